package cost

import (
	"fmt"
	"math"
	"sync"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/mapping"
	"github.com/nnergy/nnergy/nest"
	"github.com/nnergy/nnergy/workload"
)

// Model evaluates mappings on one architecture. It is safe for concurrent
// use; for the tightest loops give each goroutine its own Evaluator.
type Model struct {
	spec *arch.Spec
	pool sync.Pool
}

// New builds a model of spec. The spec must not change afterwards.
func New(spec *arch.Spec) (*Model, error) {
	if spec == nil || len(spec.Levels) == 0 {
		return nil, fmt.Errorf("cost: architecture has no levels")
	}
	m := &Model{spec: spec}
	m.pool.New = func() any { return m.NewEvaluator() }
	return m, nil
}

// Spec returns the architecture of the model.
func (m *Model) Spec() *arch.Spec { return m.spec }

// Evaluator holds scratch space for evaluating many mappings in a row. It is
// not safe for concurrent use.
type Evaluator struct {
	m      *Model
	z      nest.Analyzer
	counts nest.Counts
	viol   []Violation
	bound  Result
}

// NewEvaluator returns an evaluator for the model.
func (m *Model) NewEvaluator() *Evaluator { return &Evaluator{m: m} }

// Evaluate returns the result of layer l under mapping mp. A mapping that
// does not fit the architecture's limits gives a Result with Valid false
// and its Violations; an error means the mapping does not match the layer
// or the architecture's structure at all.
func (m *Model) Evaluate(l *workload.Layer, mp *mapping.Mapping) (Result, error) {
	e := m.pool.Get().(*Evaluator)
	defer m.pool.Put(e)
	var r Result
	err := e.Evaluate(l, mp, &r)
	return r, err
}

// Evaluate fills r with the result of layer l under mapping mp.
//
// A mapping that breaks a limit is not analysed further: r then carries
// the violations, the tiles and the MAC count, but no traffic or energy.
func (e *Evaluator) Evaluate(l *workload.Layer, mp *mapping.Mapping, r *Result) error {
	if err := e.z.Tiles(l, e.m.spec, mp, &e.counts); err != nil {
		return err
	}
	r.Violations = e.m.check(l, mp, &e.counts, r.Violations[:0])
	r.Valid = len(r.Violations) == 0
	if r.Valid {
		e.z.Traffic(l, e.m.spec, mp, &e.counts)
	}
	e.m.fill(l, &e.counts, r)
	return nil
}

// Counts returns the counts of the last evaluation.
func (e *Evaluator) Counts() *nest.Counts { return &e.counts }

// bitsScale is the share of a level word one value of tensor t occupies.
func bitsScale(l *workload.Layer, t workload.Tensor, wordBits int) float64 {
	if wordBits <= 0 {
		return 1
	}
	return float64(l.Bits[t]) / float64(wordBits)
}

func (m *Model) fill(l *workload.Layer, c *nest.Counts, r *Result) {
	s := m.spec
	r.Layer = l.Name
	r.MACs = c.MACs
	r.MACUnits = int64(s.MACUnits())
	r.UsedMACUnits = c.MACUnits
	if cap(r.Levels) < len(s.Levels) {
		r.Levels = make([]LevelResult, len(s.Levels))
	}
	r.Levels = r.Levels[:len(s.Levels)]
	r.EnergyPJ = 0
	r.ComputeCycles = c.Steps
	r.Cycles = c.Steps
	r.BoundBy = "compute"
	for i := range s.Levels {
		sl := &s.Levels[i]
		cl := &c.Levels[i]
		lr := &r.Levels[i]
		*lr = LevelResult{Name: sl.Name, Instances: cl.Instances}
		var words float64
		for t := range workload.NumTensors {
			a := cl.Tensors[t]
			sc := bitsScale(l, t, sl.WordBits)
			en := sl.Energy[t]
			e := (float64(a.Reads)*en.ReadPJ + float64(a.Fills)*en.WritePJ + float64(a.Updates)*en.UpdatePJ) * sc
			lr.Tensors[t] = TensorResult{Reads: a.Reads, Writes: a.Fills + a.Updates, Fills: a.Fills, Updates: a.Updates, Drains: a.Drains, Tile: a.Tile, EnergyPJ: e}
			lr.StoragePJ += e
			words += float64(a.Reads+a.Fills+a.Updates) * sc
			nw := float64(cl.Net.Words[t]) * sl.Network.WordPJ * sc
			lr.NetworkPJ += nw
			lr.Tensors[t].NetworkWords = cl.Net.Words[t]
		}
		lr.NetworkPJ += float64(cl.Net.Reduce) * sl.Network.ReducePJ
		lr.EnergyPJ = lr.StoragePJ + lr.NetworkPJ
		r.EnergyPJ += lr.EnergyPJ
		if sl.BandwidthWords > 0 && cl.Instances > 0 {
			cyc := int64(math.Ceil(words / float64(cl.Instances) / sl.BandwidthWords))
			lr.Cycles = cyc
			if cyc > r.Cycles {
				r.Cycles = cyc
				r.BoundBy = sl.Name
			}
		}
	}
	r.MACEnergyPJ = float64(c.MACs) * s.Compute.EnergyPJ
	r.EnergyPJ += r.MACEnergyPJ
	r.LowerBoundPJ = m.lowerBound(l)
	r.LowerBoundCycles = (c.MACs + r.MACUnits - 1) / r.MACUnits
}

// lowerBound returns the compulsory energy of l: every weight and input read
// once from the outermost level, every output written once, every MAC once.
func (m *Model) lowerBound(l *workload.Layer) float64 {
	top := &m.spec.Levels[0]
	e := float64(l.MACs()) * m.spec.Compute.EnergyPJ
	for _, t := range []workload.Tensor{workload.Weights, workload.Inputs} {
		e += float64(l.Size(t)) * top.Energy[t].ReadPJ * bitsScale(l, t, top.WordBits)
	}
	o := workload.Outputs
	e += float64(l.Size(o)) * top.Energy[o].UpdatePJ * bitsScale(l, o, top.WordBits)
	return e
}

// LowerBound returns the compulsory energy (pJ) and cycles of layer l on the
// model's architecture.
func (m *Model) LowerBound(l *workload.Layer) (energyPJ float64, cycles int64) {
	u := int64(m.spec.MACUnits())
	return m.lowerBound(l), (l.MACs() + u - 1) / u
}

// Bound returns an energy no mapping with the same factors and keep masks
// as mp can go below, whatever its loop orders (see nest.Analyzer.Bound),
// and whether mp is within the architecture's limits at all. Searches use
// it to skip every loop order of a factorization that cannot win.
func (e *Evaluator) Bound(l *workload.Layer, mp *mapping.Mapping) (energyPJ float64, valid bool, err error) {
	if err := e.z.Tiles(l, e.m.spec, mp, &e.counts); err != nil {
		return 0, false, err
	}
	e.viol = e.m.check(l, mp, &e.counts, e.viol[:0])
	if len(e.viol) > 0 {
		return 0, false, nil
	}
	e.z.Bound(l, e.m.spec, mp, &e.counts)
	e.m.fill(l, &e.counts, &e.bound)
	return e.bound.EnergyPJ, true, nil
}
