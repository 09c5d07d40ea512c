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
	// zeros records whether any level or the MACs gate or skip on zeros
	// (most architectures do not, and skip that accounting).
	zeros bool
	// netNames[i] names the network into level i in BoundBy.
	netNames []string
	// tiles caches measured tile statistics (tileKey -> sparse.TileStats).
	tiles sync.Map
}

// New builds a model of spec. The spec must not change afterwards.
func New(spec *arch.Spec) (*Model, error) {
	if spec == nil || len(spec.Levels) == 0 {
		return nil, fmt.Errorf("cost: architecture has no levels")
	}
	m := &Model{spec: spec}
	for _, l := range spec.Levels {
		m.netNames = append(m.netNames, l.Name+" network")
	}
	for _, l := range spec.Levels {
		m.zeros = m.zeros || l.GateOn != [workload.NumTensors]bool{} || l.SkipOn != [workload.NumTensors]bool{}
	}
	m.zeros = m.zeros || spec.Compute.GateOn != [workload.NumTensors]bool{} || spec.Compute.SkipOn != [workload.NumTensors]bool{}
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
	// lb caches the lower bound of the last layer evaluated, which
	// depends on the layer alone.
	lbLayer   *workload.Layer
	lbDensity [workload.NumTensors]float64
	lb        float64
}

// lowerBound returns the lower bound of l, cached across evaluations of
// the same layer.
func (e *Evaluator) lowerBound(l *workload.Layer) float64 {
	if e.lbLayer != l || e.lbDensity != l.Density {
		e.lbLayer, e.lbDensity, e.lb = l, l.Density, e.m.lowerBound(l)
	}
	return e.lb
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
	return e.evaluate(l, mp, r, true)
}

// Score is Evaluate without the per-level breakdown: r gets the totals
// (energy, cycles, validity and violations) and an empty Levels. Searches
// score candidates with it and Evaluate the ones they keep.
func (e *Evaluator) Score(l *workload.Layer, mp *mapping.Mapping, r *Result) error {
	return e.evaluate(l, mp, r, false)
}

func (e *Evaluator) evaluate(l *workload.Layer, mp *mapping.Mapping, r *Result, detail bool) error {
	if err := e.z.Tiles(l, e.m.spec, mp, &e.counts); err != nil {
		return err
	}
	r.Violations = e.m.check(l, mp, &e.counts, r.Violations[:0])
	r.Valid = len(r.Violations) == 0
	if r.Valid {
		e.z.Traffic(l, e.m.spec, mp, &e.counts)
	}
	e.m.fill(l, &e.counts, r, e.lowerBound(l), detail)
	return nil
}

// Counts returns the counts of the last evaluation.
func (e *Evaluator) Counts() *nest.Counts { return &e.counts }

// bitsScale is the share of a level word one value of tensor t occupies.
func (m *Model) bitsScale(l *workload.Layer, t workload.Tensor, wordBits int) float64 {
	if wordBits <= 0 {
		return 1
	}
	return float64(m.spec.Bits(l, t)) / float64(wordBits)
}

// Without detail only the totals are filled in; r.Levels is left empty.
func (m *Model) fill(l *workload.Layer, c *nest.Counts, r *Result, lowerBound float64, detail bool) {
	s := m.spec
	r.Layer = l.Name
	r.MACs = c.MACs
	r.MACUnits = int64(s.MACUnits())
	r.UsedMACUnits = c.MACUnits
	if detail {
		if cap(r.Levels) < len(s.Levels) {
			r.Levels = make([]LevelResult, len(s.Levels))
		}
		r.Levels = r.Levels[:len(s.Levels)]
	} else {
		r.Levels = r.Levels[:0]
	}
	var scratch LevelResult
	r.EnergyPJ = 0
	split := m.computeSplit(l)
	r.ComputeCycles = int64(math.Ceil(float64(c.Steps) * split.Cycles()))
	r.Cycles = r.ComputeCycles
	r.BoundBy = "compute"
	for i := range s.Levels {
		sl := &s.Levels[i]
		cl := &c.Levels[i]
		lr := &scratch
		if detail {
			lr = &r.Levels[i]
		}
		*lr = LevelResult{Name: sl.Name, Instances: cl.Instances}
		var words float64
		for t := range workload.NumTensors {
			tt := workload.Tensor(t)
			a := cl.Tensors[t]
			rho := m.ratio(l, i, tt, a.Tile)
			if mr, ok := m.measuredRatio(l, c, i, tt); ok {
				rho = mr
			}
			sc := m.bitsScale(l, tt, sl.WordBits) * rho
			// Zeros of the gating and skipping tensors save this level's
			// reads and updates for its children (not drains or fills).
			keepE, keepC := 1.0, 1.0
			if m.zeros {
				zg := m.zeroChance(l, c, &sl.GateOn, i, tt)
				zs := m.zeroChance(l, c, &sl.SkipOn, i, tt)
				keepE, keepC = (1-zg)*(1-zs), 1-zs
			}
			served := float64(a.Reads - a.Drains)
			en := sl.Energy[t]
			e := ((served*keepE+float64(a.Drains))*en.ReadPJ + float64(a.Fills)*en.WritePJ + float64(a.Updates)*keepE*en.UpdatePJ) * sc
			if detail {
				lr.Tensors[t] = TensorResult{Reads: a.Reads, Writes: a.Fills + a.Updates, Fills: a.Fills, Updates: a.Updates, Drains: a.Drains, Tile: a.Tile, EnergyPJ: e, Ratio: rho, NetworkWords: cl.Net.Words[t]}
			}
			lr.StoragePJ += e
			words += ((served+float64(a.Updates))*keepC + float64(a.Drains+a.Fills)) * sc
			nw := float64(cl.Net.Words[t]) * sl.Network.WordPJ * sc
			lr.NetworkPJ += nw
			if bw := sl.Network.BandwidthWords[t]; bw > 0 && i > 0 && c.Levels[i-1].Instances > 0 {
				cyc := int64(math.Ceil(busWords(c, sl.Network.Multicast, i, tt) * sc / float64(c.Levels[i-1].Instances) / bw))
				if cyc > lr.NetworkCycles {
					lr.NetworkCycles = cyc
				}
			}
		}
		if lr.NetworkCycles > r.Cycles {
			r.Cycles = lr.NetworkCycles
			r.BoundBy = m.netNames[i]
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
	r.MACEnergyPJ = float64(c.MACs) * s.Compute.EnergyPJ * split.Energy()
	r.EnergyPJ += r.MACEnergyPJ
	r.LowerBoundPJ = lowerBound
	r.LowerBoundCycles = int64(math.Ceil(float64(c.MACs) * split.Cycles() / float64(r.MACUnits)))
}

// lowerBound returns the compulsory energy of l: every weight and input read
// once from the outermost level, every output written once (compressed as
// that level stores them), every MAC that gating or skipping leaves once.
func (m *Model) lowerBound(l *workload.Layer) float64 {
	top := &m.spec.Levels[0]
	e := float64(l.MACs()) * m.spec.Compute.EnergyPJ * m.computeSplit(l).Energy()
	for _, t := range []workload.Tensor{workload.Weights, workload.Inputs} {
		n := l.Size(t)
		e += float64(n) * top.Energy[t].ReadPJ * m.bitsScale(l, t, top.WordBits) * m.ratio(l, 0, t, n)
	}
	o := workload.Outputs
	n := l.Size(o)
	e += float64(n) * top.Energy[o].UpdatePJ * m.bitsScale(l, o, top.WordBits) * m.ratio(l, 0, o, n)
	return e
}

// LowerBound returns the compulsory energy (pJ) and cycles of layer l on the
// model's architecture.
func (m *Model) LowerBound(l *workload.Layer) (energyPJ float64, cycles int64) {
	u := float64(m.spec.MACUnits())
	return m.lowerBound(l), int64(math.Ceil(float64(l.MACs()) * m.computeSplit(l).Cycles() / u))
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
	e.m.fill(l, &e.counts, &e.bound, e.lowerBound(l), false)
	return e.bound.EnergyPJ, true, nil
}

// busWords returns the words of tensor t that cross the network into level
// i: every delivery on a unicast network; on a multicast one, each word
// once, as the nearest level above that keeps t reads it out (or, for
// partial sums, is updated with it).
func busWords(c *nest.Counts, multicast bool, i int, t workload.Tensor) float64 {
	if !multicast {
		return float64(c.Levels[i].Net.Words[t])
	}
	for p := i - 1; p >= 0; p-- {
		if a := c.Levels[p].Tensors[t]; a.Tile > 0 {
			return float64(a.Reads - a.Drains + a.Updates)
		}
	}
	return float64(c.Levels[i].Net.Words[t])
}
