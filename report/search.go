package report

import (
	"math"
	"time"

	"github.com/nnergy/nnergy/mapper"
)

// Search is what one search of a layer's mapspace did.
type Search struct {
	// Algorithm is exhaustive, random or bnb.
	Algorithm string `json:"algorithm"`
	// SpaceSize is the size of the mapspace (an upper bound on its legal
	// mappings).
	SpaceSize float64 `json:"space_size"`
	// Evaluations counts cost-model evaluations, Valid those within the
	// architecture's limits; Pruned counts mappings skipped unevaluated.
	Evaluations int64    `json:"evaluations"`
	Valid       int64    `json:"valid"`
	Pruned      float64  `json:"pruned"`
	Rejected    Rejected `json:"rejected"`
	Seconds     float64  `json:"seconds"`
	// EvaluationsPerSecond is Evaluations / Seconds.
	EvaluationsPerSecond float64 `json:"evaluations_per_second"`
	// BestAfterSeconds is when the search first reached the returned
	// mapping's objective, BestAtEvaluation after how many evaluations of
	// its worker.
	BestAfterSeconds float64 `json:"best_after_seconds"`
	BestAtEvaluation int64   `json:"best_at_evaluation"`
	// Optimal is true when the whole space was searched.
	Optimal bool `json:"optimal"`
	// Stopped is why the search ended: done, evaluations, timeout, victory
	// or interrupted.
	Stopped string `json:"stopped"`
	Workers int    `json:"workers"`
	// LowerBound is the certificate: no mapping of the space goes below
	// this value of the objective's first metric (pJ, cycles or
	// pJ × cycles); GapPercent is how far above it the mapping is, in
	// percent (0 when optimal). Nodes counts the partial mappings a branch
	// and bound bounded. Reports written before the certificate lack them.
	LowerBound float64 `json:"lower_bound,omitempty"`
	GapPercent float64 `json:"gap_percent,omitempty"`
	Nodes      int64   `json:"nodes,omitempty"`
}

// Rejected counts evaluated mappings rejected, by the limit they broke.
type Rejected struct {
	Capacity    int64 `json:"capacity"`
	FanoutX     int64 `json:"fanout_x"`
	FanoutY     int64 `json:"fanout_y"`
	Reduction   int64 `json:"reduction"`
	Utilization int64 `json:"utilization"`
}

func (r *Rejected) counts() [5]*int64 {
	return [...]*int64{&r.Capacity, &r.FanoutX, &r.FanoutY, &r.Reduction, &r.Utilization}
}

var reasons = [5]mapper.Reason{mapper.Capacity, mapper.FanoutX, mapper.FanoutY, mapper.Reduction, mapper.Utilization}

// NewSearch returns the report of a search's statistics.
func NewSearch(st mapper.Stats) *Search {
	s := &Search{Algorithm: st.Algorithm, SpaceSize: st.SpaceSize, Evaluations: st.Evaluated, Valid: st.Valid,
		Pruned: st.Pruned, Seconds: st.Elapsed.Seconds(), EvaluationsPerSecond: st.EvalsPerSecond,
		BestAfterSeconds: st.BestAfter.Seconds(), BestAtEvaluation: st.BestAtEval, Optimal: st.Optimal,
		Stopped: st.Stopped, Workers: st.Workers, LowerBound: st.LowerBound, GapPercent: st.GapPercent, Nodes: st.Nodes}
	for i, c := range s.Rejected.counts() {
		*c = st.Rejected[reasons[i].String()]
	}
	return s
}

// Stats returns s as mapper statistics (durations to the nanosecond), for
// printing with mapper.Stats.String.
func (s *Search) Stats() mapper.Stats {
	st := mapper.Stats{Algorithm: s.Algorithm, SpaceSize: s.SpaceSize, Evaluated: s.Evaluations, Valid: s.Valid,
		Pruned: s.Pruned, Rejected: map[string]int64{}, Elapsed: seconds(s.Seconds), EvalsPerSecond: s.EvaluationsPerSecond,
		BestAfter: seconds(s.BestAfterSeconds), BestAtEval: s.BestAtEvaluation, Optimal: s.Optimal, Stopped: s.Stopped, Workers: s.Workers,
		LowerBound: s.LowerBound, GapPercent: s.GapPercent, Nodes: s.Nodes}
	for i, c := range s.Rejected.counts() {
		if *c > 0 {
			st.Rejected[reasons[i].String()] = *c
		}
	}
	return st
}

func seconds(s float64) time.Duration { return time.Duration(math.Round(s * 1e9)) }
