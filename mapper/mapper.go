// Package mapper searches a mapspace for the best mapping of a layer under
// an objective (energy, latency, EDP, or a lexicographic list of them).
//
// # Algorithms
//
//   - exhaustive: every factorization, keep mask and loop order. Subtrees are
//     skipped when a partial factorization already breaks a fan-out or
//     capacity limit, since no completion can repair it, and, under the
//     energy objective, when the factorization's order-independent lower
//     bound (cost.Evaluator.Bound) exceeds the best energy found so far;
//     the result is proven optimal for the space.
//   - random: random restarts with local search (moves of one prime factor
//     between slots, swaps of two loops, a keep toggled), accepting
//     sideways and, with a cooling probability, worse moves.
//     An exhaustive search also stops at MaxEvaluations; it is then not
//     proven optimal and its Stats say it stopped on evaluations.
//   - auto (default): exhaustive when the space has at most MaxEvaluations
//     points, random otherwise.
//
// Work is split over Workers goroutines. With the same Seed, Workers and
// MaxEvaluations, and no Timeout, a search returns the same mapping every
// time; ties between mappings are broken by their text.
package mapper

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nnergy/nnergy/cost"
	"github.com/nnergy/nnergy/mapping"
	"github.com/nnergy/nnergy/mapspace"
	"github.com/nnergy/nnergy/nest"
)

// Settings control a search. The zero value is a usable default.
type Settings struct {
	// Objective to minimize (default energy).
	Objective Objective
	// Algorithm is "auto" (default), "exhaustive" or "random".
	Algorithm string
	// MaxEvaluations bounds the cost-model evaluations of every algorithm
	// (default 200000). The auto algorithm searches exhaustively when the
	// space is no larger.
	MaxEvaluations int64
	// Timeout stops the search after this long (0: none). A search stopped
	// by time is not reproducible.
	Timeout time.Duration
	// Victory stops a random search after this many evaluations in a row
	// without a better mapping (0: never).
	Victory int64
	// Workers is the number of goroutines (default GOMAXPROCS).
	Workers int
	// Seed makes random searches reproducible.
	Seed uint64
	// Start lists mappings (for example a dataflow builder's) that random
	// searches start from before their random restarts; those outside the
	// space are skipped.
	Start []*mapping.Mapping
	// Progress, if set, is called about every ProgressEvery with the
	// statistics so far (from one goroutine at a time).
	Progress      func(Stats)
	ProgressEvery time.Duration
}

// Reason is why a candidate was rejected.
type Reason uint8

// The rejection reasons.
const (
	Capacity Reason = iota
	FanoutX
	FanoutY
	Reduction
	Utilization
	numReasons
)

var reasonNames = [...]string{"capacity", "fanout-x", "fanout-y", "reduction", "utilization"}

func (r Reason) String() string { return reasonNames[r] }

// Stats report what a search did.
type Stats struct {
	Algorithm string `json:"algorithm"`
	// SpaceSize is the size of the mapspace (an upper bound on its legal
	// points).
	SpaceSize float64 `json:"space_size"`
	// Evaluated counts cost-model evaluations; Valid those within limits;
	// Pruned counts mappings skipped without evaluation because their
	// subtree could not be legal.
	Evaluated int64            `json:"evaluated"`
	Valid     int64            `json:"valid"`
	Pruned    float64          `json:"pruned"`
	Rejected  map[string]int64 `json:"rejected"`
	Elapsed   time.Duration    `json:"elapsed_ns"`
	// EvalsPerSecond is Evaluated / Elapsed.
	EvalsPerSecond float64 `json:"evals_per_second"`
	// BestAfter is how long the search took to first reach the returned
	// mapping's objective, and BestAtEval how many evaluations its worker
	// had done by then.
	BestAfter  time.Duration `json:"best_after_ns"`
	BestAtEval int64         `json:"best_at_eval"`
	// Optimal is true when the whole space was searched, or every part of
	// it not searched was proven unable to beat the mapping returned.
	Optimal bool `json:"optimal"`
	// LowerBound is the certificate: a value of the objective's first
	// metric (pJ, cycles, or pJ × cycles) that no mapping of the space goes
	// below. It is the best mapping's value when Optimal; otherwise the
	// least bound over what was not searched (branch and bound) or the
	// compulsory bound of the layer (cost.Model.LowerBound). GapPercent is
	// (best − LowerBound) / LowerBound × 100.
	LowerBound float64 `json:"lower_bound"`
	GapPercent float64 `json:"gap_percent"`
	// Nodes counts the partial mappings a branch and bound bounded.
	Nodes int64 `json:"nodes"`
	// Stopped says why the search ended: "done", "evaluations", "timeout",
	// "victory" or "interrupted".
	Stopped string `json:"stopped"`
	Workers int    `json:"workers"`
}

// Best is the best mapping found and its evaluation.
type Best struct {
	Mapping *mapping.Mapping
	Result  cost.Result
}

// ErrNoMapping is returned when no legal mapping was found.
var ErrNoMapping = fmt.Errorf("mapper: no legal mapping found")

// Search looks for the best mapping in space s on model m.
func Search(ctx context.Context, s *mapspace.Space, m *cost.Model, set Settings) (Best, Stats, error) {
	if set.MaxEvaluations <= 0 {
		set.MaxEvaluations = 200000
	}
	if set.Workers <= 0 {
		set.Workers = runtime.GOMAXPROCS(0)
	}
	if len(set.Objective) == 0 {
		set.Objective = Objective{Energy}
	}
	if set.ProgressEvery <= 0 {
		set.ProgressEvery = 200 * time.Millisecond
	}
	size := s.Size()
	alg := set.Algorithm
	switch alg {
	case "", "auto":
		alg = "random"
		if size.Total() <= float64(set.MaxEvaluations) {
			alg = "exhaustive"
		}
	case "exhaustive", "random", "bnb":
	default:
		return Best{}, Stats{}, fmt.Errorf("mapper: unknown algorithm %q (want auto, exhaustive, random or bnb)", set.Algorithm)
	}
	if set.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, set.Timeout)
		defer cancel()
	}
	run := &run{s: s, m: m, set: set, start: time.Now(), counts: make([]counters, set.Workers)}
	run.bestEnergy.Store(math.Float64bits(math.Inf(1)))
	run.stats.Algorithm = alg
	run.stats.SpaceSize = size.Total()
	run.stats.Workers = set.Workers
	done := make(chan struct{})
	var wg sync.WaitGroup
	if set.Progress != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTicker(set.ProgressEvery)
			defer t.Stop()
			for {
				select {
				case <-done:
					return
				case <-t.C:
					set.Progress(run.snapshot())
				}
			}
		}()
	}
	if alg == "bnb" {
		c, st := run.bnb(ctx)
		close(done)
		wg.Wait()
		if c == nil {
			return Best{}, st, ErrNoMapping
		}
		b := Best{Mapping: &mapping.Mapping{}}
		s.Mapping(c.p, b.Mapping)
		if err := m.NewEvaluator().Evaluate(s.Layer, b.Mapping, &b.Result); err != nil {
			return Best{}, st, fmt.Errorf("mapper: %v", err)
		}
		b.Result.Violations = nil
		st.certify(set.Objective[0], &b.Result)
		return b, st, nil
	}
	bests := make([]workerBest, set.Workers)
	var ww sync.WaitGroup
	for w := range set.Workers {
		ww.Add(1)
		go func() {
			defer ww.Done()
			wk := run.newWorker(w)
			if alg == "exhaustive" {
				wk.exhaustive(ctx)
			} else {
				wk.random(ctx)
			}
			bests[w] = wk.best
		}()
	}
	ww.Wait()
	close(done)
	wg.Wait()
	st := run.snapshot()
	switch {
	case ctx.Err() == context.DeadlineExceeded:
		st.Stopped = "timeout"
	case ctx.Err() != nil:
		st.Stopped = "interrupted"
	case alg == "exhaustive" && !run.cut.Load():
		st.Stopped = "done"
		st.Optimal = true
	case run.victory.Load():
		st.Stopped = "victory"
	default:
		st.Stopped = "evaluations"
	}
	var best *workerBest
	for i := range bests {
		b := &bests[i]
		if b.mp == nil {
			continue
		}
		if best == nil || better(set.Objective, b, best) {
			best = b
		}
	}
	if best == nil {
		return Best{}, st, ErrNoMapping
	}
	st.BestAfter, st.BestAtEval = best.after, best.at
	if st.Optimal {
		st.LowerBound = set.Objective[0].Value(&best.r)
	} else {
		st.LowerBound = spaceBound(set.Objective[0], m, s.Layer)
	}
	st.certify(set.Objective[0], &best.r)
	return Best{Mapping: best.mp, Result: best.r}, st, nil
}

// certify sets the gap of the certificate from the best mapping's result.
func (st *Stats) certify(m Metric, r *cost.Result) {
	v := m.Value(r)
	if st.Optimal {
		st.LowerBound = v
	}
	st.LowerBound = min(st.LowerBound, v)
	if st.LowerBound > 0 {
		st.GapPercent = (v - st.LowerBound) / st.LowerBound * 100
	}
}

type workerBest struct {
	mp    *mapping.Mapping
	r     cost.Result
	text  string
	after time.Duration
	at    int64
}

func better(o Objective, a, b *workerBest) bool {
	if c := o.Compare(&a.r, &b.r); c != 0 {
		return c < 0
	}
	return a.text < b.text
}

// run is the shared state of one search.
type run struct {
	s       *mapspace.Space
	m       *cost.Model
	set     Settings
	start   time.Time
	pruned  atomicFloat
	victory atomic.Bool
	// cut is set when an exhaustive worker stopped at its share of
	// MaxEvaluations with points left to evaluate.
	cut atomic.Bool
	// counts holds each worker's counters, each on its own cache lines so
	// that the workers do not contend for them.
	counts []counters
	stats  Stats
	// bestEnergy holds the float64 bits of the least energy any worker has
	// found (for pruning by bound under the energy objective).
	bestEnergy atomic.Uint64
}

// lowerBest lowers the shared best energy to e if e is lower.
func (r *run) lowerBest(e float64) {
	for {
		old := r.bestEnergy.Load()
		if e >= math.Float64frombits(old) {
			return
		}
		if r.bestEnergy.CompareAndSwap(old, math.Float64bits(e)) {
			return
		}
	}
}

// counters are one worker's evaluation counts.
type counters struct {
	evals   atomic.Int64
	valid   atomic.Int64
	rejects [numReasons]atomic.Int64
	_       [64]byte
}

type atomicFloat struct {
	mu sync.Mutex
	v  float64
}

func (a *atomicFloat) add(x float64) {
	a.mu.Lock()
	a.v += x
	a.mu.Unlock()
}

func (a *atomicFloat) load() float64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.v
}

func (r *run) snapshot() Stats {
	st := r.stats
	st.Pruned = r.pruned.load()
	st.Rejected = map[string]int64{}
	for k := range r.counts {
		c := &r.counts[k]
		st.Evaluated += c.evals.Load()
		st.Valid += c.valid.Load()
		for i := range c.rejects {
			if n := c.rejects[i].Load(); n > 0 {
				st.Rejected[Reason(i).String()] += n
			}
		}
	}
	st.Elapsed = time.Since(r.start)
	if s := st.Elapsed.Seconds(); s > 0 {
		st.EvalsPerSecond = float64(st.Evaluated) / s
	}
	return st
}

// worker holds one goroutine's scratch state.
type worker struct {
	r  *run
	c  *counters
	id int
	ev *cost.Evaluator
	// n is the nest of the candidate being evaluated; mp its mapping, built
	// only when the candidate may become the best.
	n    nest.Nest
	mp   mapping.Mapping
	res  cost.Result
	best workerBest
	// budget is this worker's share of MaxEvaluations.
	budget int64
	used   int64
}

func (r *run) newWorker(id int) *worker {
	w := &worker{r: r, c: &r.counts[id], id: id, ev: r.m.NewEvaluator()}
	n := int64(r.set.Workers)
	w.budget = r.set.MaxEvaluations / n
	if int64(id) < r.set.MaxEvaluations%n {
		w.budget++
	}
	return w
}

// eval evaluates point p; it returns false when the point is rejected.
func (w *worker) eval(p *mapspace.Point) bool {
	s := w.r.s
	w.used++
	w.c.evals.Add(1)
	if mu := s.Cons.MinUtilization; mu > 0 && s.Utilization(p) < mu {
		w.c.rejects[Utilization].Add(1)
		return false
	}
	// The space only builds well-formed nests, so the point is scored
	// without building and checking its mapping.
	s.Nest(p, &w.n)
	w.ev.ScoreNest(s.Layer, &w.n, &w.res)
	if !w.res.Valid {
		w.c.rejects[reason(w.res.Violations[0].Kind)].Add(1)
		return false
	}
	w.c.valid.Add(1)
	w.offer(p)
	return true
}

func reason(k cost.Kind) Reason {
	switch k {
	case cost.FanoutX:
		return FanoutX
	case cost.FanoutY:
		return FanoutY
	case cost.Reduction:
		return Reduction
	}
	return Capacity
}

// offer makes the last evaluation, of point p, the worker's best if it is
// better.
func (w *worker) offer(p *mapspace.Point) {
	if w.best.mp != nil {
		c := w.r.set.Objective.Compare(&w.res, &w.best.r)
		if c > 0 {
			return
		}
		w.r.s.Mapping(p, &w.mp)
		if c == 0 {
			if t := w.mp.Format(); t < w.best.text {
				at, after := w.best.at, w.best.after
				w.keep(t)
				w.best.at, w.best.after = at, after // same objective, found earlier
			}
			return
		}
	}
	if w.best.mp == nil {
		w.r.s.Mapping(p, &w.mp)
	}
	w.keep(w.mp.Format())
	w.best.at, w.best.after = w.used, time.Since(w.r.start)
	w.r.lowerBest(w.res.EnergyPJ)
}

func (w *worker) keep(text string) {
	w.best.mp = w.mp.Clone()
	// Candidates are scored without their breakdown; the one kept gets it.
	var full cost.Result
	if err := w.ev.Evaluate(w.r.s.Layer, w.best.mp, &full); err != nil {
		panic(fmt.Sprintf("mapper: %v", err))
	}
	w.best.r = full
	w.best.r.Violations = nil
	w.best.text = text
}

// value returns the objective's first metric of the last evaluation.
func (w *worker) value() float64 {
	return w.r.set.Objective[0].Value(&w.res)
}

func (w *worker) out() bool { return w.used >= w.budget }

// String formats the stats for people.
func (st Stats) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s search: %d evaluated (%d valid", st.Algorithm, st.Evaluated, st.Valid)
	for _, r := range reasonNames {
		if n := st.Rejected[r]; n > 0 {
			fmt.Fprintf(&b, ", %d over %s", n, r)
		}
	}
	b.WriteString(")")
	if st.Pruned > 0 {
		fmt.Fprintf(&b, ", %.3g pruned", st.Pruned)
	}
	fmt.Fprintf(&b, " of a space of %.3g in %.2fs (%.0f evals/s, %d workers; best after %.2fs); ", st.SpaceSize, st.Elapsed.Seconds(), st.EvalsPerSecond, st.Workers, st.BestAfter.Seconds())
	if st.Nodes > 0 {
		fmt.Fprintf(&b, "%d nodes bounded; ", st.Nodes)
	}
	if st.Optimal {
		b.WriteString("optimal for the space")
	} else {
		fmt.Fprintf(&b, "not proven optimal (stopped: %s)", st.Stopped)
		if st.LowerBound > 0 {
			fmt.Fprintf(&b, "; lower bound %.6g, gap %.2f%%", st.LowerBound, st.GapPercent)
		}
	}
	return b.String()
}
