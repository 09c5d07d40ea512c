package report

import (
	"fmt"

	"github.com/nnergy/nnergy/sweep"
)

// Sweep is the report of nnergy sweep: the design points of a sweep file
// (of one shard), each evaluated on every network at every batch, and the
// Pareto front of each network and batch when asked.
type Sweep struct {
	Header
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// File is the sweep file.
	File string `json:"file"`
	// Arch is the base architecture's name, ArchSource where it came from.
	Arch       string `json:"arch"`
	ArchSource string `json:"arch_source"`
	// Levels names the base architecture's storage levels, outermost
	// first: the order of levels_energy_pj.
	Levels      []string         `json:"levels"`
	Mapper      SweepMapper      `json:"mapper"`
	Parameters  []SweepParameter `json:"parameters"`
	Derived     []SweepDerived   `json:"derived"`
	Constraints []string         `json:"constraints"`
	Workloads   []SweepWorkload  `json:"workloads"`
	// Combinations is the product of the axes' lengths; Excluded those the
	// constraints leave out; TotalPoints the rest, the sweep's points.
	Combinations int        `json:"combinations"`
	Excluded     int        `json:"excluded"`
	TotalPoints  int        `json:"total_points"`
	Shard        SweepShard `json:"shard"`
	// AreaBudgetUM2 is the sweep's area budget, µm² (0: none); AreaFill
	// the level whose capacity fills it ("" : none), in steps of
	// AreaFillStepWords.
	AreaBudgetUM2     float64 `json:"area_budget_um2"`
	AreaFill          string  `json:"area_fill"`
	AreaFillStepWords int64   `json:"area_fill_step_words"`
	// Points are the points of the shard, in index order.
	Points []SweepPoint `json:"points"`
	Pareto *SweepPareto `json:"pareto,omitempty"`
	// Store says what the results store gave, when the sweep ran with one.
	Store *SweepStore `json:"store,omitempty"`
}

// SweepStore is what a sweep took from the results store.
type SweepStore struct {
	// RunKey is the key of the sweep's expansion, under which the store
	// keeps its points (sweep.Sweep.RunKey).
	RunKey string `json:"run_key"`
	// Stored counts the points taken from the store.
	Stored int `json:"stored"`
	// Collected is set for nnergy sweep --collect, which evaluates
	// nothing; Missing then lists the IDs of the points of the shard the
	// store does not hold.
	Collected bool     `json:"collected"`
	Missing   []string `json:"missing"`
}

// SweepMapper is the mapper settings of the sweep file, before a point's
// mapper parameters apply.
type SweepMapper struct {
	// Method is search or builder.
	Method string `json:"method"`
	// Dataflow is ws, os, is, rs, nlr or best.
	Dataflow       string   `json:"dataflow"`
	Objective      []string `json:"objective"`
	Algorithm      string   `json:"algorithm"`
	MaxEvaluations int64    `json:"max_evaluations"`
	Victory        int64    `json:"victory"`
	Seed           uint64   `json:"seed"`
	Workers        int      `json:"workers"`
}

// SweepParameter is one parameter and its values.
type SweepParameter struct {
	Name string `json:"name"`
	// Key is what the parameter sets; absent for a variable.
	Key string `json:"key,omitempty"`
	// Axis is the index of its entry under parameters (a zip's parameters
	// share one).
	Axis   int      `json:"axis"`
	Values []string `json:"values"`
}

// SweepDerived is one derived value.
type SweepDerived struct {
	Name string `json:"name"`
	Key  string `json:"key,omitempty"`
	Expr string `json:"expr"`
}

// SweepWorkload is one network at one batch.
type SweepWorkload struct {
	// Model is the network as the sweep file names it, Network its name.
	Model        string `json:"model"`
	Network      string `json:"network"`
	Batch        int    `json:"batch"`
	BatchUnknown bool   `json:"batch_unknown,omitempty"`
	MACs         int64  `json:"macs"`
}

// SweepShard says which part of the sweep the report holds.
type SweepShard struct {
	Index int    `json:"index"`
	Count int    `json:"count"`
	Seed  uint64 `json:"seed"`
}

// SweepPoint is one design point.
type SweepPoint struct {
	Index int    `json:"index"`
	ID    string `json:"id"`
	// Values holds every parameter's value, then every derived value's.
	Values []SweepValue `json:"values"`
	// Valid is false when the point's architecture is invalid; Reason
	// then says why, and the point has no results.
	Valid  bool   `json:"valid"`
	Reason string `json:"reason,omitempty"`
	// MACUnits and ClockHz are the point's (0 when invalid).
	MACUnits int64   `json:"mac_units"`
	ClockHz  float64 `json:"clock_hz"`
	// AreaUM2 is the chip's area and LeakageWatts its static power with
	// every instance powered (0 when invalid); OverAreaBudget is set when
	// the area is over the sweep's budget (the point is evaluated all the
	// same); FillWords is the filled level's solved capacity (0: none).
	AreaUM2        float64 `json:"area_um2"`
	LeakageWatts   float64 `json:"leakage_watts"`
	OverAreaBudget bool    `json:"over_area_budget"`
	FillWords      int64   `json:"fill_words"`
	// Method and Dataflow are the point's mapper settings.
	Method   string `json:"method"`
	Dataflow string `json:"dataflow"`
	// Searches counts the mapper's searches (or builds) of the point,
	// Evaluations their cost-model evaluations.
	Searches    int64 `json:"searches"`
	Evaluations int64 `json:"evaluations"`
	// FromStore is set for a point taken from the results store, whose
	// searches and evaluations are those of the run that stored it;
	// StoredSearches counts the searches the store served.
	FromStore      bool          `json:"from_store,omitempty"`
	StoredSearches int64         `json:"stored_searches"`
	Results        []SweepResult `json:"results"`
}

// SweepValue is one parameter's or derived value's value at a point.
type SweepValue struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// SweepResult is one workload on one point: the network's layers one after
// the other.
type SweepResult struct {
	// Workload indexes workloads.
	Workload int `json:"workload"`
	// OK is false when the point cannot run the network; Reason says why.
	OK                   bool    `json:"ok"`
	Reason               string  `json:"reason,omitempty"`
	MACs                 int64   `json:"macs"`
	EnergyPJ             float64 `json:"energy_pj"`
	EnergyPJPerMAC       float64 `json:"energy_pj_per_mac"`
	EnergyPerInferencePJ float64 `json:"energy_per_inference_pj"`
	Cycles               int64   `json:"cycles"`
	LatencySeconds       float64 `json:"latency_seconds"`
	InferencesPerSecond  float64 `json:"inferences_per_second"`
	// EDPJouleSeconds is the energy in joules times the latency.
	EDPJouleSeconds float64 `json:"edp_joule_seconds"`
	Utilization     float64 `json:"utilization"`
	// DynamicPJ and StaticPJ split EnergyPJ; PowerWatts is EnergyPJ over
	// the latency: the dynamic energy per inference times the inferences
	// per second plus the leakage.
	DynamicPJ  float64 `json:"dynamic_pj"`
	StaticPJ   float64 `json:"static_pj"`
	PowerWatts float64 `json:"power_watts"`
	// LevelsEnergyPJ is each level's energy, in the order of levels.
	LevelsEnergyPJ []float64 `json:"levels_energy_pj"`
}

// SweepPareto holds the Pareto front of every workload.
type SweepPareto struct {
	// Objectives are minimized, all of them: energy, latency, edp, area or
	// power.
	Objectives []string     `json:"objectives"`
	Fronts     []SweepFront `json:"fronts"`
}

// SweepFront is one workload's front.
type SweepFront struct {
	Workload int `json:"workload"`
	// Points are the IDs of the points on the front, ordered by the
	// objectives (the first decides).
	Points []string `json:"points"`
}

// NewSweep returns the report of res, with the Pareto fronts over objs
// when objs is not empty.
func NewSweep(res *sweep.Result, objs []sweep.Objective) (*Sweep, error) {
	s := res.Sweep
	m := &s.Mapper
	rep := &Sweep{Header: header(KindSweep), Name: s.Name, Description: s.Description, File: s.File,
		Arch: s.Arch.Name, ArchSource: s.Arch.Source, Levels: []string{},
		Mapper: SweepMapper{Method: m.Method.String(), Dataflow: m.DataflowName(), Objective: objective(m.Search.Objective),
			Algorithm: m.Search.Algorithm, MaxEvaluations: m.Search.MaxEvaluations, Victory: m.Search.Victory, Seed: m.Search.Seed,
			Workers: m.Search.Workers},
		Parameters: []SweepParameter{}, Derived: []SweepDerived{}, Constraints: append([]string{}, s.Constraints...),
		Workloads: []SweepWorkload{}, Combinations: s.Combinations, Excluded: s.Excluded, TotalPoints: len(s.Points),
		Shard: SweepShard{Index: res.Shard.Index, Count: max(res.Shard.Count, 1), Seed: s.ShardSeed}, Points: []SweepPoint{},
		AreaBudgetUM2: s.Area.BudgetUM2, AreaFill: s.Area.Fill}
	if s.Area.Fill != "" {
		rep.AreaFillStepWords = s.Area.FillStep
	}
	for _, l := range s.Arch.Levels {
		rep.Levels = append(rep.Levels, l.Name)
	}
	for _, p := range s.Params {
		sp := SweepParameter{Name: p.Name, Key: p.Key, Axis: p.Axis, Values: []string{}}
		for _, v := range p.Values {
			sp.Values = append(sp.Values, v.Text)
		}
		rep.Parameters = append(rep.Parameters, sp)
	}
	for _, d := range s.Derived {
		rep.Derived = append(rep.Derived, SweepDerived{Name: d.Name, Key: d.Key, Expr: d.Expr})
	}
	for _, w := range s.Workloads {
		rep.Workloads = append(rep.Workloads, SweepWorkload{Model: w.Model, Network: w.Network.Name, Batch: w.Batch,
			BatchUnknown: w.Network.BatchUnknown, MACs: w.Network.MACs()})
	}
	names := s.Names()
	for i := range res.Points {
		pr := &res.Points[i]
		p := pr.Point
		sp := SweepPoint{Index: p.Index, ID: p.ID, Values: []SweepValue{}, Valid: pr.Valid(), Reason: pr.Reason,
			Method: pr.Design.Mapper.Method.String(), Dataflow: pr.Design.Mapper.DataflowName(), Results: []SweepResult{}}
		for k, v := range p.Values {
			sp.Values = append(sp.Values, SweepValue{Name: names[k], Value: v.Text})
		}
		if pr.Valid() {
			d := &pr.Design
			sp.MACUnits, sp.ClockHz = int64(d.Arch.MACUnits()), d.Arch.ClockHz
			sp.Searches, sp.Evaluations = pr.Cache.Searches, pr.Evaluations
			sp.AreaUM2, sp.LeakageWatts, sp.OverAreaBudget = pr.AreaUM2, pr.LeakageWatts, pr.OverArea
			if s.Area.Fill != "" {
				sp.FillWords = d.Arch.Levels[d.Arch.Level(s.Area.Fill)].SizeWords
			}
		}
		sp.FromStore, sp.StoredSearches = pr.FromStore, pr.StoredLayers
		for w := range pr.Workloads {
			sp.Results = append(sp.Results, newSweepResult(w, &pr.Workloads[w]))
		}
		rep.Points = append(rep.Points, sp)
	}
	if res.RunKey != "" {
		rep.Store = &SweepStore{RunKey: res.RunKey, Stored: res.Stored, Collected: res.StoredOnly, Missing: []string{}}
		for _, i := range res.Missing {
			rep.Store.Missing = append(rep.Store.Missing, s.Points[i].ID)
		}
	}
	if len(objs) == 0 {
		return checked(rep)
	}
	fronts, err := res.Fronts(objs)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	rep.Pareto = &SweepPareto{Objectives: []string{}, Fronts: []SweepFront{}}
	for _, o := range objs {
		rep.Pareto.Objectives = append(rep.Pareto.Objectives, o.String())
	}
	for _, f := range fronts {
		sf := SweepFront{Workload: f.Workload, Points: []string{}}
		for _, i := range f.Points {
			sf.Points = append(sf.Points, res.Points[i].Point.ID)
		}
		rep.Pareto.Fronts = append(rep.Pareto.Fronts, sf)
	}
	return checked(rep)
}

func newSweepResult(w int, r *sweep.WorkloadResult) SweepResult {
	out := SweepResult{Workload: w, OK: r.OK(), Reason: r.Reason, LevelsEnergyPJ: []float64{}}
	if !r.OK() {
		return out
	}
	f := &r.Figures
	batch := float64(max(r.Network.Batch, 1))
	out.MACs, out.EnergyPJ, out.Cycles, out.LatencySeconds = f.MACs, f.EnergyPJ, f.Cycles, f.LatencySeconds
	out.EnergyPerInferencePJ = f.EnergyPJ / batch
	if f.MACs > 0 {
		out.EnergyPJPerMAC = f.EnergyPJ / float64(f.MACs)
	}
	if f.LatencySeconds > 0 {
		out.InferencesPerSecond = batch / f.LatencySeconds
	}
	out.EDPJouleSeconds, out.Utilization = f.EDPJouleSeconds, f.Utilization
	out.DynamicPJ, out.StaticPJ, out.PowerWatts = f.DynamicPJ, f.StaticPJ, f.PowerWatts
	out.LevelsEnergyPJ = append(out.LevelsEnergyPJ, f.LevelsEnergyPJ...)
	return out
}
