package cost

import (
	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/mapping"
	"github.com/nnergy/nnergy/workload"
)

// Explanation attributes the difference between a layer's result under
// two sets of counting conventions (arch.Conventions) to the conventions,
// one at a time: starting from From, each convention on which To differs
// is switched in turn, in the order of arch.Convention, and each Step holds
// what that switch changed. The steps add up to To's result minus From's.
type Explanation struct {
	From, To arch.Conventions
	// FromResult and ToResult are the layer's results under From and To.
	FromResult, ToResult Result
	Steps                []ExplainStep
}

// ExplainStep is what switching one convention changed.
type ExplainStep struct {
	Convention arch.Convention
	// From and To name the convention's values before and after.
	From, To string
	// EnergyPJ and Cycles are the changes of the layer's totals.
	EnergyPJ float64
	Cycles   int64
	// Rows are the changes per level and tensor, and of each level's
	// network and leakage energy and of the MACs, where something changed
	// (outermost level first).
	Rows []ExplainRow
}

// ExplainRow is the change of one level's counts of one tensor (Tensor
// set), or of an energy that no tensor holds: a level's network
// (Part "network"), its leakage ("leakage"), or the MACs' energy and
// leakage (Level "MACs").
type ExplainRow struct {
	Level  string
	Tensor workload.Tensor
	// Part is "" for a tensor's storage counts and energy, else "network",
	// "leakage" or "compute".
	Part                          string
	Reads, Fills, Updates, Drains int64
	Tile, NetworkWords            int64
	EnergyPJ                      float64
}

// Explain evaluates layer l under mapping mp on spec with the conventions
// from and with spec's own, and attributes the difference convention by
// convention (see Explanation). The mapping is evaluated beyond the
// architecture's limits when a convention makes a tile outgrow them (the
// bounding box of a strided tile).
func Explain(spec *arch.Spec, l *workload.Layer, mp *mapping.Mapping, from arch.Conventions) (*Explanation, error) {
	to := spec.Conventions
	eval := func(cv arch.Conventions) (Result, error) {
		s := *spec
		s.Conventions = cv
		m, err := New(&s)
		if err != nil {
			return Result{}, err
		}
		return m.EvaluateBeyondLimits(l, mp)
	}
	ex := &Explanation{From: from, To: to}
	cur, err := eval(from)
	if err != nil {
		return nil, err
	}
	ex.FromResult = cur
	cv := from
	for c := range arch.NumConventions {
		if cv.Has(c) == to.Has(c) {
			continue
		}
		next := cv.With(c, to.Has(c))
		r, err := eval(next)
		if err != nil {
			return nil, err
		}
		ex.Steps = append(ex.Steps, ExplainStep{Convention: c, From: cv.Value(c), To: next.Value(c),
			EnergyPJ: r.EnergyPJ - cur.EnergyPJ, Cycles: r.Cycles - cur.Cycles, Rows: diffRows(&cur, &r)})
		cv, cur = next, r
	}
	ex.ToResult = cur
	return ex, nil
}

// diffRows lists what changed from a to b (results of one layer and
// mapping on one architecture).
func diffRows(a, b *Result) []ExplainRow {
	var rows []ExplainRow
	for i := range b.Levels {
		la, lb := &a.Levels[i], &b.Levels[i]
		for t := range workload.NumTensors {
			x, y := &la.Tensors[t], &lb.Tensors[t]
			r := ExplainRow{Level: lb.Name, Tensor: workload.Tensor(t), Reads: y.Reads - x.Reads, Fills: y.Fills - x.Fills,
				Updates: y.Updates - x.Updates, Drains: y.Drains - x.Drains, Tile: y.Tile - x.Tile,
				NetworkWords: y.NetworkWords - x.NetworkWords, EnergyPJ: y.EnergyPJ - x.EnergyPJ}
			if r != (ExplainRow{Level: r.Level, Tensor: r.Tensor}) {
				rows = append(rows, r)
			}
		}
		if d := lb.NetworkPJ - la.NetworkPJ; d != 0 {
			rows = append(rows, ExplainRow{Level: lb.Name, Part: "network", EnergyPJ: d})
		}
		if d := lb.StaticPJ - la.StaticPJ; d != 0 {
			rows = append(rows, ExplainRow{Level: lb.Name, Part: "leakage", EnergyPJ: d})
		}
	}
	if d := (b.MACEnergyPJ - a.MACEnergyPJ) + (b.MACStaticPJ - a.MACStaticPJ); d != 0 {
		rows = append(rows, ExplainRow{Level: "MACs", Part: "compute", EnergyPJ: d})
	}
	return rows
}
