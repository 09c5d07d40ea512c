package cost

import (
	"fmt"
	"math"
	"sync"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/mapping"
	"github.com/nnergy/nnergy/nest"
	"github.com/nnergy/nnergy/sparse"
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
	// macUnits is spec.MACUnits().
	macUnits int64
	// instances[i] is spec.Instances(i); leaks says whether anything of
	// the spec leaks.
	instances []float64
	leaks     bool
	// leakW[i] is the static power of one instance of level i and macLeakW
	// of one MAC unit, in watts (arch.Spec.LevelLeakageWatts), and
	// chipLeakW the whole chip's with every instance on: what the model
	// charges, so none of the MACs' under arch.ConvMACLeak's "none".
	leakW     []float64
	macLeakW  float64
	chipLeakW float64
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
	m.macUnits = int64(spec.MACUnits())
	for i := range spec.Levels {
		m.instances = append(m.instances, float64(spec.Instances(i)))
	}
	for i := range spec.Levels {
		m.leakW = append(m.leakW, spec.LevelLeakageWatts(i))
	}
	m.macLeakW, m.chipLeakW = spec.MACLeakageWatts(), spec.LeakageWatts()
	if spec.Conventions.Has(arch.ConvMACLeak) {
		m.chipLeakW -= float64(m.macUnits) * m.macLeakW
		m.macLeakW = 0
	}
	m.leaks = m.chipLeakW > 0
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
	// cases holds nest.Analyzer.OuterCases of the last bound.
	cases []uint8
	tiles []nest.Level
	// per caches what depends on the layer of the last evaluation alone.
	per perLayer
}

// perLayer holds the parts of an evaluation that depend on the layer (and
// the model) alone: computed once per layer rather than per mapping.
type perLayer struct {
	l        *workload.Layer
	shape    workload.Shape
	density  [workload.NumTensors]float64
	bits     [workload.NumTensors]int
	measured [workload.NumTensors]*sparse.Measured
	// lb is the compulsory energy (Model.lowerBound).
	lb float64
	// cycles and energy are the fractions of MAC cycles spent and MAC
	// energy used (Model.computeSplit).
	cycles, energy float64
	// levels holds the per-level part, one per level of the model.
	levels []perLevel
}

// perLevel is the part of perLayer for one level.
type perLevel struct {
	// scale[t] is bitsScale of tensor t; dense[t] is true when the level
	// stores tensor t dense (ratio 1 whatever the tile), and plain[t] when
	// moreover a value takes one word (a tile of n values takes n words).
	scale        [workload.NumTensors]float64
	dense, plain [workload.NumTensors]bool
	// zeros is true when the level gates or skips on a tensor of the layer
	// that has zeros; otherwise its zero chances are 0.
	zeros bool
	// minKeepE[t] and minKeepC[t] are the least shares of tensor t's
	// accesses that zeros leave for energy and for cycles, whatever the
	// tiles: a condition tensor of density d is zero over a child tile of
	// n ≥ 1 values with chance (1−d)^n ≤ 1−d (see zeroChance).
	minKeepE, minKeepC [workload.NumTensors]float64
}

// layer returns the per-layer part of evaluations of l, recomputed when l
// (or its shape, densities, widths or measured values) changed since the
// last evaluation.
func (e *Evaluator) layer(l *workload.Layer) *perLayer {
	p := &e.per
	if p.l == l && p.shape == l.Shape && p.density == l.Density && p.bits == l.Bits && p.measured == l.Measured {
		return p
	}
	m := e.m
	p.l, p.shape, p.density, p.bits, p.measured = l, l.Shape, l.Density, l.Bits, l.Measured
	p.lb = m.lowerBound(l)
	split := m.computeSplit(l)
	p.cycles, p.energy = split.Cycles(), split.Energy()
	p.levels = p.levels[:0]
	for i := range m.spec.Levels {
		sl := &m.spec.Levels[i]
		var pl perLevel
		for t := range workload.NumTensors {
			pl.scale[t] = m.bitsScale(l, i, workload.Tensor(t))
			// As in arch.Spec.Ratio: no format, or no zeros, is dense.
			pl.dense[t] = sl.Format[t] == nil || l.Density[t] >= 1
			// As in arch.Spec.TileWords.
			pl.plain[t] = sl.Format[t] == nil && m.spec.LevelBits(l, i, workload.Tensor(t)) == sl.WordBits
			// As in zeroChance: a condition tensor without zeros never
			// makes an access useless.
			if (sl.GateOn[t] || sl.SkipOn[t]) && (l.Density[t] < 1 || l.Measured[t] != nil) {
				pl.zeros = true
			}
		}
		for t := range workload.NumTensors {
			pl.minKeepE[t], pl.minKeepC[t] = 1, 1
			for k := range workload.NumTensors {
				if k == t {
					continue
				}
				if sl.GateOn[k] {
					pl.minKeepE[t] *= l.Density[k]
				}
				if sl.SkipOn[k] {
					pl.minKeepE[t] *= l.Density[k]
					pl.minKeepC[t] *= l.Density[k]
				}
			}
		}
		p.levels = append(p.levels, pl)
	}
	return p
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

// EvaluateBeyondLimits is Evaluate, except that a mapping that breaks a
// limit is analysed in full, as if the architecture had room for it: r has
// Valid false and the Violations, and the traffic, energy and cycles of
// the mapping's loop nest. It answers what-if questions about a mapping
// chosen under other conditions, such as the same mapping with every
// tensor dense when it was chosen for compressed tiles.
func (m *Model) EvaluateBeyondLimits(l *workload.Layer, mp *mapping.Mapping) (Result, error) {
	e := m.pool.Get().(*Evaluator)
	defer m.pool.Put(e)
	var r Result
	if err := e.z.Tiles(l, m.spec, mp, &e.counts); err != nil {
		return r, err
	}
	per := e.layer(l)
	r.Violations = m.check(l, e.z.Nest(), &e.counts, per, nil)
	r.Valid = len(r.Violations) == 0
	e.z.Traffic(l, m.spec, &e.counts)
	m.fill(l, &e.counts, &r, per, true)
	return r, nil
}

// Score is Evaluate without the per-level breakdown: r gets the totals
// (energy, cycles, validity and violations) and an empty Levels. Searches
// score candidates this way (with ScoreNest) and Evaluate the ones they
// keep.
func (e *Evaluator) Score(l *workload.Layer, mp *mapping.Mapping, r *Result) error {
	return e.evaluate(l, mp, r, false)
}

// ScoreNest is Score for a nest built directly rather than a mapping, as
// searches do for every candidate (see nest.Nest); n is not checked (see
// nest.Analyzer.TilesNest). For a nest that breaks a limit it only sets
// r.Valid to false and r.Violations, and leaves the rest of r as it was:
// no totals are computed for it.
func (e *Evaluator) ScoreNest(l *workload.Layer, n *nest.Nest, r *Result) {
	e.z.TilesNest(l, e.m.spec, n, &e.counts)
	e.score(l, n, r, false, false)
}

func (e *Evaluator) evaluate(l *workload.Layer, mp *mapping.Mapping, r *Result, detail bool) error {
	if err := e.z.Tiles(l, e.m.spec, mp, &e.counts); err != nil {
		return err
	}
	e.score(l, e.z.Nest(), r, detail, true)
	return nil
}

// score completes an evaluation after Tiles: the check, then, for a nest
// within the limits, the traffic and the totals. Totals are filled in for
// a nest beyond the limits too when invalidTotals is set.
func (e *Evaluator) score(l *workload.Layer, n *nest.Nest, r *Result, detail, invalidTotals bool) {
	per := e.layer(l)
	r.Violations = e.m.check(l, n, &e.counts, per, r.Violations[:0])
	r.Valid = len(r.Violations) == 0
	if r.Valid {
		e.z.Traffic(l, e.m.spec, &e.counts)
	} else if !invalidTotals {
		return
	}
	e.m.fill(l, &e.counts, r, per, detail)
}

// Counts returns the counts of the last evaluation.
func (e *Evaluator) Counts() *nest.Counts { return &e.counts }

// bitsScale is the share of a word of level i that one value of tensor t
// occupies, at the width the level holds it (arch.Spec.LevelBits).
func (m *Model) bitsScale(l *workload.Layer, i int, t workload.Tensor) float64 {
	wordBits := m.spec.Levels[i].WordBits
	if wordBits <= 0 {
		return 1
	}
	return float64(m.spec.LevelBits(l, i, t)) / float64(wordBits)
}

// clusterShare returns the share of an access of a clustered level's
// array that one of its instances is charged (arch.Level.ClusterSize): the
// access is shared by the used instances of a cluster, used instances
// being spread evenly over the clusters as in Timeloop. 1 without
// clusters; in prefix mode the least share, 1/ClusterSize, since a
// completion may fill every cluster.
func (m *Model) clusterShare(i int, used float64, prefix bool) float64 {
	k := m.spec.Levels[i].ClusterSize
	if k <= 1 || used <= 0 {
		return 1
	}
	if prefix {
		return 1 / float64(k)
	}
	clusters := max(math.Floor(m.instances[i]/float64(k)), 1)
	return min(used, clusters) / used
}

// Without detail only the totals are filled in; r.Levels is left empty.
// per is the layer's part (Evaluator.layer).
func (m *Model) fill(l *workload.Layer, c *nest.Counts, r *Result, per *perLayer, detail bool) {
	m.fillAs(l, c, r, per, detail, false)
}

// fillAs is fill; with prefix set, the counts are those of
// nest.Analyzer.BoundPrefix, whose tiles are not final: compression ratios
// below the outermost level count as 0 and zero chances as their largest
// (perLevel.minKeepE, minKeepC), so that the energy bounds every
// completion's.
func (m *Model) fillAs(l *workload.Layer, c *nest.Counts, r *Result, per *perLayer, detail, prefix bool) {
	s := m.spec
	r.Layer = l.Name
	r.MACs = c.MACs
	// Skipped MACs take no cycle and no unit; gated ones take both.
	r.BusyMACs = int64(math.Round(float64(c.MACs) * per.cycles))
	r.MACUnits = m.macUnits
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
	r.ComputeCycles = int64(math.Ceil(float64(c.Steps) * per.cycles))
	// inst returns the instances of level i that share its traffic: in
	// prefix mode as many as the architecture has, since a completion may
	// use them all.
	inst := func(i int) float64 { return float64(c.Levels[i].Instances) }
	if prefix {
		r.ComputeCycles = int64(math.Ceil(float64(c.MACs) * per.cycles / float64(m.macUnits)))
		inst = func(i int) float64 { return m.instances[i] }
	}
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
		pl := &per.levels[i]
		var words, readWords, writeWords float64
		share := 1.0
		if sl.ClusterSize > 1 {
			share = m.clusterShare(i, float64(cl.Instances), prefix)
		}
		for t := range workload.NumTensors {
			tt := workload.Tensor(t)
			a := &cl.Tensors[t]
			rho := 1.0
			switch {
			case pl.dense[t]:
			case prefix && i > 0:
				rho = 0
			default:
				rho = m.ratio(l, i, tt, a.Tile)
			}
			if per.measured[t] != nil {
				if mr, ok := m.measuredRatio(l, c, i, tt); ok {
					rho = mr
				}
			}
			sc := pl.scale[t] * rho
			// Zeros of the gating and skipping tensors save this level's
			// reads and updates for its children (not drains or fills).
			keepE, keepC := 1.0, 1.0
			if pl.zeros && prefix {
				keepE, keepC = pl.minKeepE[t], pl.minKeepC[t]
			} else if pl.zeros {
				zg := m.zeroChance(l, c, &sl.GateOn, i, tt)
				zs := m.zeroChance(l, c, &sl.SkipOn, i, tt)
				keepE, keepC = (1-zg)*(1-zs), 1-zs
			}
			served := float64(a.Reads - a.Drains)
			en := sl.Energy[t]
			e := ((served*keepE+float64(a.Drains))*en.ReadPJ + float64(a.Fills)*en.WritePJ + float64(a.Updates)*keepE*en.UpdatePJ) * sc * share
			if detail {
				lr.Tensors[t] = TensorResult{Reads: a.Reads, Writes: a.Fills + a.Updates, Fills: a.Fills, Updates: a.Updates, Drains: a.Drains, Tile: a.Tile, EnergyPJ: e, Ratio: rho, NetworkWords: cl.Net.Words[t]}
			}
			lr.StoragePJ += e
			rw := (served*keepC + float64(a.Drains)) * sc
			ww := (float64(a.Updates)*keepC + float64(a.Fills)) * sc
			readWords += rw
			writeWords += ww
			words += rw + ww
			nw := float64(cl.Net.Words[t]) * sl.Network.WordPJ * sc
			lr.NetworkPJ += nw
			if bw := sl.Network.BandwidthWords[t]; bw > 0 && i > 0 && c.Levels[i-1].Instances > 0 {
				cyc := int64(math.Ceil(busWords(c, sl.Network.Multicast, i, tt) * sc / inst(i-1) / bw))
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
		if cl.Instances > 0 {
			var cyc int64
			if sl.BandwidthWords > 0 {
				cyc = int64(math.Ceil(words / inst(i) / sl.BandwidthWords))
			}
			if sl.ReadBandwidthWords > 0 || sl.WriteBandwidthWords > 0 {
				cyc = max(cyc, portCycles(readWords/inst(i), sl.ReadBandwidthWords), portCycles(writeWords/inst(i), sl.WriteBandwidthWords))
			}
			lr.Cycles = cyc
			if cyc > r.Cycles {
				r.Cycles = cyc
				r.BoundBy = sl.Name
			}
		}
	}
	r.MACEnergyPJ = float64(c.MACs) * s.Compute.EnergyPJ * per.energy
	r.EnergyPJ += r.MACEnergyPJ
	r.DynamicPJ = r.EnergyPJ
	r.LowerBoundPJ = per.lb
	r.LowerBoundCycles = int64(math.Ceil(float64(c.MACs) * per.cycles / float64(r.MACUnits)))
	m.static(c, r, detail)
}

// portCycles returns the cycles a port of bw words per cycle (0:
// unlimited) takes to move words.
func portCycles(words, bw float64) int64 {
	if bw <= 0 {
		return 0
	}
	return int64(math.Ceil(words / bw))
}

// static adds to r the leakage energy over its latency (r.Cycles): every
// instance of every level and every MAC unit leaks, or, when the spec gates
// unused instances, those the mapping uses. The lower bound gets the
// leakage over its cycles: of the whole chip, or when gated of one MAC
// unit per busy MAC cycle.
func (m *Model) static(c *nest.Counts, r *Result, detail bool) {
	r.StaticPJ, r.MACStaticPJ = 0, 0
	if !m.leaks {
		return
	}
	s := m.spec
	pjPerWattCycle := 1e12 / s.ClockHz
	perCycle := 0.0 // watts of what leaks
	for i := range s.Levels {
		n := m.instances[i]
		if s.GateUnused {
			n = float64(c.Levels[i].Instances)
		}
		w := n * m.leakW[i]
		perCycle += w
		if detail {
			lr := &r.Levels[i]
			lr.StaticPJ = w * float64(r.Cycles) * pjPerWattCycle
			lr.EnergyPJ += lr.StaticPJ
		}
	}
	units := float64(m.macUnits)
	if s.GateUnused {
		units = float64(c.MACUnits)
	}
	macW := units * m.macLeakW
	cyc := float64(r.Cycles) * pjPerWattCycle
	r.MACStaticPJ = macW * cyc
	r.StaticPJ = (perCycle + macW) * cyc
	r.EnergyPJ = r.DynamicPJ + r.StaticPJ
	if s.GateUnused {
		r.LowerBoundPJ += float64(r.BusyMACs) * m.macLeakW * pjPerWattCycle
	} else {
		r.LowerBoundPJ += m.chipLeakW * float64(r.LowerBoundCycles) * pjPerWattCycle
	}
}

// lowerBound returns the compulsory energy of l: every weight and input read
// once from the outermost level, every output written once (compressed as
// that level stores them), every MAC that gating or skipping leaves once.
func (m *Model) lowerBound(l *workload.Layer) float64 {
	top := &m.spec.Levels[0]
	e := float64(l.MACs()) * m.spec.Compute.EnergyPJ * m.computeSplit(l).Energy()
	for _, t := range []workload.Tensor{workload.Weights, workload.Inputs} {
		n := l.Size(t)
		e += float64(n) * top.Energy[t].ReadPJ * m.bitsScale(l, 0, t) * m.ratio(l, 0, t, n)
	}
	o := workload.Outputs
	n := l.Size(o)
	e += float64(n) * top.Energy[o].UpdatePJ * m.bitsScale(l, 0, o) * m.ratio(l, 0, o, n)
	return e
}

// LowerBound returns the compulsory energy (pJ) and cycles of layer l on the
// model's architecture: the dynamic bound and the leakage over the bound's
// cycles (as Result.LowerBoundPJ).
func (m *Model) LowerBound(l *workload.Layer) (energyPJ float64, cycles int64) {
	u := float64(m.spec.MACUnits())
	split := m.computeSplit(l)
	cycles = int64(math.Ceil(float64(l.MACs()) * split.Cycles() / u))
	energyPJ = m.lowerBound(l)
	pj := 1e12 / m.spec.ClockHz
	if m.spec.GateUnused {
		energyPJ += math.Round(float64(l.MACs())*split.Cycles()) * m.macLeakW * pj
	} else {
		energyPJ += m.chipLeakW * float64(cycles) * pj
	}
	return energyPJ, cycles
}

// Bound returns an energy no mapping with the same factors and keep masks
// as mp can go below, whatever its loop orders (see nest.Analyzer.Bound),
// and whether mp is within the architecture's limits at all. Searches use
// it to skip every loop order of a factorization that cannot win.
func (e *Evaluator) Bound(l *workload.Layer, mp *mapping.Mapping) (energyPJ float64, valid bool, err error) {
	if err := e.z.Tiles(l, e.m.spec, mp, &e.counts); err != nil {
		return 0, false, err
	}
	energyPJ, valid = e.bound1(l, e.z.Nest())
	return energyPJ, valid, nil
}

// BoundNest is Bound for a nest built directly (see ScoreNest).
func (e *Evaluator) BoundNest(l *workload.Layer, n *nest.Nest) (energyPJ float64, valid bool) {
	e.z.TilesNest(l, e.m.spec, n, &e.counts)
	return e.bound1(l, n)
}

// BoundNestOrders is BoundNest for a nest whose loop orders are final at
// levels 0..fixed−1 (see nest.Analyzer.BoundOrders): no mapping with the
// same factors and keep masks and those orders goes below the result's
// EnergyPJ, Cycles or their product. The result is valid until the next
// call; ok is false when n is beyond the architecture's limits.
func (e *Evaluator) BoundNestOrders(l *workload.Layer, n *nest.Nest, fixed int) (r *Result, ok bool) {
	e.z.TilesNest(l, e.m.spec, n, &e.counts)
	per := e.layer(l)
	e.viol = e.m.check(l, n, &e.counts, per, e.viol[:0])
	if len(e.viol) > 0 {
		return nil, false
	}
	e.boundCases(l, per, &nest.Bounding{Fixed: fixed, Moving: workload.Ones()})
	return &e.bound, true
}

// boundCases fills e.bound, after TilesNest, with the bound of the
// completions b covers: with no loop order final, the least energy and
// cycles over nest.Analyzer.OuterCases (each case bounds the completions
// that refetch its tensors at the outermost level, and every completion is
// in one of them), so that the energy, the cycles and their product are
// each at most every completion's.
func (e *Evaluator) boundCases(l *workload.Layer, per *perLayer, b *nest.Bounding) {
	e.cases = e.cases[:0]
	if b.Fixed == 0 {
		e.cases = e.z.OuterCases(l, &b.Moving, e.cases)
	}
	if len(e.cases) == 0 {
		e.z.BoundBy(l, e.m.spec, &e.counts, b)
		e.m.fillAs(l, &e.counts, &e.bound, per, false, b.Prefix)
		return
	}
	// Each case starts from the counts of TilesNest.
	e.tiles = append(e.tiles[:0], e.counts.Levels...)
	compute := e.counts.Compute
	energy, cycles := math.Inf(1), int64(math.MaxInt64)
	for _, m := range e.cases {
		copy(e.counts.Levels, e.tiles)
		e.counts.Compute = compute
		b.Refetched = m
		e.z.BoundBy(l, e.m.spec, &e.counts, b)
		e.m.fillAs(l, &e.counts, &e.bound, per, false, b.Prefix)
		energy, cycles = min(energy, e.bound.EnergyPJ), min(cycles, e.bound.Cycles)
	}
	e.bound.EnergyPJ, e.bound.Cycles = energy, cycles
}

// BoundNestPrefix returns, for a nest whose factors in the outermost
// level's temporal loops may still move to any other loop (see
// nest.Analyzer.BoundPrefix), a result whose EnergyPJ no completion goes
// below, with the static energy over the result's Cycles. ok is false when n
// already breaks a limit that no completion can repair (every limit the
// check knows grows with tiles and fan-outs); avail is false when the
// bound is not available: the layer has measured values, whose
// compression and zeros depend on the tiles in no monotone way.
// Compression below the outermost level counts as free and zeros as
// gating (or skipping) as much as they can (see fillAs). moving[d] is the
// product of the factors of dimension d in the outermost level's temporal
// loops that may still move; the others there are final (see
// nest.Analyzer.BoundPrefix). The result is valid until the next call.
func (e *Evaluator) BoundNestPrefix(l *workload.Layer, n *nest.Nest, moving *workload.Shape) (r *Result, ok, avail bool) {
	per := e.layer(l)
	for t := range workload.NumTensors {
		if per.measured[t] != nil {
			return nil, true, false
		}
	}
	e.z.TilesNest(l, e.m.spec, n, &e.counts)
	e.viol = e.m.check(l, n, &e.counts, per, e.viol[:0])
	if len(e.viol) > 0 {
		return nil, false, true
	}
	e.boundCases(l, per, &nest.Bounding{Prefix: true, Moving: *moving})
	return &e.bound, true, true
}

// bound1 completes Bound after Tiles.
func (e *Evaluator) bound1(l *workload.Layer, n *nest.Nest) (energyPJ float64, valid bool) {
	per := e.layer(l)
	e.viol = e.m.check(l, n, &e.counts, per, e.viol[:0])
	if len(e.viol) > 0 {
		return 0, false
	}
	e.z.Bound(l, e.m.spec, &e.counts)
	e.m.fill(l, &e.counts, &e.bound, per, false)
	return e.bound.EnergyPJ, true
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
