package report

import (
	"context"
	"fmt"
	"strings"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/cost"
	"github.com/nnergy/nnergy/dataflow"
	"github.com/nnergy/nnergy/explore"
	"github.com/nnergy/nnergy/mapper"
	"github.com/nnergy/nnergy/mapping"
	"github.com/nnergy/nnergy/workload"
)

// Source says where the mappings of an evaluation came from.
type Source string

// The sources of mappings.
const (
	// SourceBuilder: the deterministic builder of a dataflow.
	SourceBuilder Source = "builder"
	// SourceMapper: a search of the mapspace (within a dataflow's
	// constraints, or of the whole space for dataflow "best").
	SourceMapper Source = "mapper"
	// SourceFile: a mapping read from a file (loop-nest text).
	SourceFile Source = "file"
)

// Bound says what limits a layer's cycles.
type Bound string

// The bounds.
const (
	BoundCompute Bound = "compute" // the MAC units
	BoundLevel   Bound = "level"   // a storage level's bandwidth (BoundLevel names it)
	BoundNetwork Bound = "network" // the bandwidth of the network into a level (BoundLevel names the level)
)

// DataflowBest is the dataflow of a search of the whole mapspace, without a
// dataflow's constraints (--dataflow best).
const DataflowBest = "best"

// Eval is the report of nnergy eval: every layer of a network on an
// accelerator, and the total.
type Eval struct {
	Header
	Arch  string `json:"arch"`
	Model string `json:"model"`
	Batch int    `json:"batch"`
	// BatchUnknown: the network's batch cannot be told apart (an ONNX file
	// with static transformer inputs); it is evaluated at the file's own
	// shapes, Batch is 1 and per-inference figures are per pass.
	BatchUnknown bool `json:"batch_unknown,omitempty"`
	// ClockHz is the compute clock; latencies are cycles over it.
	ClockHz  float64 `json:"clock_hz"`
	MACUnits int64   `json:"mac_units"`
	// MappingSource says how the layers were mapped.
	MappingSource Source `json:"mapping_source"`
	// Dataflow is ws, os, is, rs, nlr or best (builder and mapper).
	Dataflow string `json:"dataflow,omitempty"`
	// Objective is the mapper's lexicographic objective (mapper).
	Objective []string `json:"objective,omitempty"`
	// MappingFile is the file the mapping was read from (file).
	MappingFile string `json:"mapping_file,omitempty"`
	Chip
	Layers []Layer `json:"layers"`
	Total  Total   `json:"total"`
	// Search sums the searches of the unique layer shapes (mapper).
	Search *SearchTotal `json:"search,omitempty"`
	// Partial marks the report of a search stopped before it ended.
	Partial *Partial `json:"partial,omitempty"`
}

// Partial marks the report of a run stopped before it ended (by a signal):
// it holds the best found so far. The layers searched, and the one whose
// search was stopped, have the best mapping their search had found; the
// later ones have their dataflow's builder mapping (Unsearched), or are
// left out when there is none (Missing).
type Partial struct {
	// Reason says what stopped the run ("interrupt signal received").
	Reason string `json:"reason"`
	// Unsearched names the layers mapped by their dataflow's builder, not
	// searched; in a comparison as "dataflow/layer".
	Unsearched []string `json:"unsearched"`
	// Missing names the layers left out; in a comparison as
	// "dataflow/layer".
	Missing []string `json:"missing"`
}

// NewPartial returns the mark of a stopped evaluation, its layer names
// prefixed with prefix.
func NewPartial(st *explore.Stopped, prefix string) *Partial {
	p := &Partial{Reason: "stopped", Unsearched: []string{}, Missing: []string{}}
	p.Add(st, prefix)
	return p
}

// Add adds the layers of another stopped evaluation, their names prefixed
// with prefix.
func (p *Partial) Add(st *explore.Stopped, prefix string) {
	if st == nil {
		return
	}
	if st.Cause != nil {
		p.Reason = st.Cause.Error()
	}
	for _, n := range st.Unsearched {
		p.Unsearched = append(p.Unsearched, prefix+n)
	}
	for _, n := range st.Missing {
		p.Missing = append(p.Missing, prefix+n)
	}
}

// Chip is the silicon of the architecture: its area and leakage.
type Chip struct {
	Area Area `json:"area"`
	// LeakageWatts is the static power with every instance powered.
	LeakageWatts float64 `json:"leakage_watts"`
	// GateUnused: instances a mapping leaves unused are power-gated and do
	// not leak.
	GateUnused bool `json:"gate_unused"`
}

// Area is the area of an architecture per level and in total (the
// outermost level is off-chip and has none; networks are not counted).
type Area struct {
	Levels     []LevelArea `json:"levels"`
	ComputeUM2 float64     `json:"compute_um2"`
	TotalUM2   float64     `json:"total_um2"`
}

// LevelArea is one level's area.
type LevelArea struct {
	Name           string  `json:"name"`
	PerInstanceUM2 float64 `json:"per_instance_um2"`
	Instances      int     `json:"instances"`
	TotalUM2       float64 `json:"total_um2"`
}

func newChip(spec *arch.Spec) Chip {
	a := spec.Area()
	c := Chip{Area: Area{Levels: []LevelArea{}, ComputeUM2: a.ComputeUM2, TotalUM2: a.TotalUM2},
		LeakageWatts: spec.LeakageWatts(), GateUnused: spec.GateUnused}
	for _, l := range a.Levels {
		c.Area.Levels = append(c.Area.Levels, LevelArea(l))
	}
	return c
}

// Figures are what layers and totals share.
type Figures struct {
	MACs int64 `json:"macs"`
	// EnergyPJ = DynamicPJ + StaticPJ.
	EnergyPJ  float64 `json:"energy_pj"`
	DynamicPJ float64 `json:"dynamic_pj"`
	// StaticPJ is the leakage energy over the latency.
	StaticPJ             float64 `json:"static_pj"`
	MACEnergyPJ          float64 `json:"mac_energy_pj"`
	MACStaticPJ          float64 `json:"mac_static_pj"`
	EnergyPJPerMAC       float64 `json:"energy_pj_per_mac"`
	LowerBoundPJ         float64 `json:"lower_bound_pj"`
	EnergyOverLowerBound float64 `json:"energy_over_lower_bound"`
	Cycles               int64   `json:"cycles"`
	ComputeCycles        int64   `json:"compute_cycles"`
	LowerBoundCycles     int64   `json:"lower_bound_cycles"`
	LatencySeconds       float64 `json:"latency_seconds"`
	// PowerWatts is the average power, energy over latency (0 without a
	// latency).
	PowerWatts float64 `json:"power_watts"`
	// Utilization is MACs over cycles × MAC units.
	Utilization float64 `json:"utilization"`
	// Levels is the breakdown per storage level, outermost first.
	Levels []Level `json:"levels"`
	// Dense is the same mappings with every density 1, present when some
	// tensor of the network has zeros.
	Dense *Dense `json:"dense,omitempty"`
}

// Layer is one layer's evaluation.
type Layer struct {
	Name string `json:"name"`
	// Kind is the layer's kind: conv, depthwise, pointwise, fc, gemm, matmul.
	Kind string `json:"kind"`
	Figures
	BoundBy Bound `json:"bound_by"`
	// BoundLevel names the level (bound_by level) or the level the network
	// feeds (bound_by network).
	BoundLevel   string   `json:"bound_level,omitempty"`
	UsedMACUnits int64    `json:"used_mac_units"`
	Mapping      *Mapping `json:"mapping"`
	// SameShapeAs names the earlier layer of the same shape whose mapping
	// this layer reuses.
	SameShapeAs string `json:"same_shape_as,omitempty"`
	// Search is the search of this layer's shape (mapper, first layer of
	// the shape).
	Search *Search `json:"search,omitempty"`
	// Explain attributes the difference to another set of counting
	// conventions (eval --explain).
	Explain *Explain `json:"explain,omitempty"`
}

// Total is the whole network, layers run one after the other, with figures
// per inference.
type Total struct {
	Figures
	EnergyPerInferencePJ float64 `json:"energy_per_inference_pj"`
	InferencesPerSecond  float64 `json:"inferences_per_second"`
	// DRAMWords and DRAMBytes are the words read and written at the
	// outermost level (bytes at each tensor's width and compression).
	DRAMWords        int64   `json:"dram_words"`
	DRAMBytes        float64 `json:"dram_bytes"`
	DRAMWordsPerMAC  float64 `json:"dram_words_per_mac"`
	BusyMACUnitsMean float64 `json:"busy_mac_units_mean"`
}

// Level is one storage level's share of a result.
type Level struct {
	Name     string  `json:"name"`
	EnergyPJ float64 `json:"energy_pj"`
	// StoragePJ + NetworkPJ + StaticPJ = EnergyPJ.
	StoragePJ float64 `json:"storage_pj"`
	NetworkPJ float64 `json:"network_pj"`
	StaticPJ  float64 `json:"static_pj"`
	Instances int64   `json:"instances"`
	// Cycles is the level's bandwidth-bound cycles, NetworkCycles its
	// network's (0: unlimited).
	Cycles        int64   `json:"cycles"`
	NetworkCycles int64   `json:"network_cycles"`
	Tensors       Tensors `json:"tensors"`
}

// Tensors is the traffic of each tensor at a level.
type Tensors struct {
	Weights Traffic `json:"weights"`
	Inputs  Traffic `json:"inputs"`
	Outputs Traffic `json:"outputs"`
}

func (t *Tensors) at(i workload.Tensor) *Traffic {
	return [...]*Traffic{&t.Weights, &t.Inputs, &t.Outputs}[i]
}

// Traffic is one tensor's counts at one level, over all its instances, in
// words (values of the tensor).
type Traffic struct {
	TileWords    int64   `json:"tile_words"`
	ReadWords    int64   `json:"read_words"`
	WriteWords   int64   `json:"write_words"`
	FillWords    int64   `json:"fill_words"`
	UpdateWords  int64   `json:"update_words"`
	DrainWords   int64   `json:"drain_words"`
	NetworkWords int64   `json:"network_words"`
	EnergyPJ     float64 `json:"energy_pj"`
	// FormatRatio is the tensor's size in the level's format over its dense
	// size (1 when dense).
	FormatRatio float64 `json:"format_ratio"`
}

// Dense is the dense twin of a result: the same mapping with every tensor
// dense.
type Dense struct {
	EnergyPJ float64 `json:"energy_pj"`
	Cycles   int64   `json:"cycles"`
	// SavedFraction is (dense energy − energy) / dense energy.
	SavedFraction float64 `json:"saved_fraction"`
	// BeyondLimits is set when the dense tensors would not fit the
	// capacities the mapping was chosen for (compressed tiles); the dense
	// figures count the same traffic as if they did.
	BeyondLimits bool `json:"beyond_limits,omitempty"`
	// LevelsEnergyPJ is each level's dense energy, outermost first.
	LevelsEnergyPJ []float64 `json:"levels_energy_pj"`
}

// SearchTotal sums the searches of an evaluation.
type SearchTotal struct {
	Searches    int     `json:"searches"`
	Evaluations int64   `json:"evaluations"`
	Optimal     int     `json:"optimal"`
	Seconds     float64 `json:"seconds"`
	// MaxGapPercent is the largest gap of a search to its certificate
	// (see Search.GapPercent), when some search is not optimal.
	MaxGapPercent float64 `json:"max_gap_percent,omitempty"`
}

// EvalOptions says how an evaluation's mappings were chosen.
type EvalOptions struct {
	Source Source
	// Dataflow is the dataflow (builder, mapper); nil is the whole mapspace.
	Dataflow *dataflow.Dataflow
	// Objective is the mapper's (mapper).
	Objective mapper.Objective
	// MappingFile is the path of the mapping (file).
	MappingFile string
	// Searches holds the statistics of each search by the name of the layer
	// it mapped (mapper).
	Searches map[string]mapper.Stats
	// ExplainAgainst, when set, explains every layer's result against
	// these counting conventions (Layer.Explain).
	ExplainAgainst *arch.Conventions
}

// NewEval returns the report of res, an evaluation on m's architecture. When
// some tensor of some layer has zeros it evaluates the dense twin (every
// density 1, the same mappings) beside it.
func NewEval(ctx context.Context, m *cost.Model, res *explore.Network, o EvalOptions) (*Eval, error) {
	spec := m.Spec()
	rep := &Eval{Header: header(KindEval), Arch: spec.Name, Model: res.Name, Batch: res.Batch, BatchUnknown: res.BatchUnknown, ClockHz: spec.ClockHz,
		MACUnits: int64(spec.MACUnits()), MappingSource: o.Source, Chip: newChip(spec), Layers: []Layer{}}
	switch o.Source {
	case SourceBuilder, SourceMapper:
		rep.Dataflow = DataflowBest
		if o.Dataflow != nil {
			rep.Dataflow = o.Dataflow.String()
		}
		if o.Source == SourceMapper {
			rep.Objective = objective(o.Objective)
		}
	case SourceFile:
		rep.MappingFile = o.MappingFile
	default:
		return nil, fmt.Errorf("report: unknown mapping source %q (want builder, mapper or file)", o.Source)
	}
	first := map[workload.ShapeKey]string{}
	for i := range res.Layers {
		el := &res.Layers[i]
		l, err := newLayer(spec, el.Layer, &el.Result, el.Mapping)
		if err != nil {
			return nil, err
		}
		if f, ok := first[el.Layer.Key()]; ok {
			l.SameShapeAs = f
		} else {
			first[el.Layer.Key()] = el.Layer.Name
		}
		if st, ok := o.Searches[el.Layer.Name]; ok && o.Source == SourceMapper && l.SameShapeAs == "" {
			l.Search = NewSearch(st)
		}
		if o.ExplainAgainst != nil && el.Mapping != nil {
			ex, err := cost.Explain(spec, el.Layer, el.Mapping, *o.ExplainAgainst)
			if err != nil {
				return nil, fmt.Errorf("report: layer %q: %w", el.Layer.Name, err)
			}
			l.Explain = NewExplain(ex)
		}
		rep.Layers = append(rep.Layers, l)
	}
	rep.Total = newTotal(spec, res)
	if o.Source == SourceMapper {
		t := &SearchTotal{}
		for _, l := range rep.Layers {
			if s := l.Search; s != nil {
				t.Searches++
				t.Evaluations += s.Evaluations
				t.Seconds += s.Seconds
				t.MaxGapPercent = max(t.MaxGapPercent, s.GapPercent)
				if s.Optimal {
					t.Optimal++
				}
			}
		}
		rep.Search = t
	}
	if hasZeros(res) {
		dense, err := explore.DenseTwin(m, res)
		if err != nil {
			return nil, err
		}
		for i := range rep.Layers {
			rep.Layers[i].Dense = newDense(&rep.Layers[i].Figures, &dense.Layers[i].Result)
		}
		rep.Total.Dense = newDense(&rep.Total.Figures, &dense.Total)
	}
	return checked(rep)
}

func objective(o mapper.Objective) []string {
	if len(o) == 0 {
		return []string{mapper.Energy.String()} // the mapper's default
	}
	out := make([]string, len(o))
	for i, m := range o {
		out[i] = m.String()
	}
	return out
}

func hasZeros(res *explore.Network) bool {
	for _, l := range res.Layers {
		for _, d := range l.Layer.Density {
			if d < 1 {
				return true
			}
		}
	}
	return false
}

func newDense(f *Figures, r *cost.Result) *Dense {
	d := &Dense{EnergyPJ: r.EnergyPJ, Cycles: r.Cycles, BeyondLimits: !r.Valid, LevelsEnergyPJ: []float64{}}
	if r.EnergyPJ > 0 {
		d.SavedFraction = (r.EnergyPJ - f.EnergyPJ) / r.EnergyPJ
	}
	for _, l := range r.Levels {
		d.LevelsEnergyPJ = append(d.LevelsEnergyPJ, l.EnergyPJ)
	}
	return d
}

func newFigures(spec *arch.Spec, r *cost.Result) Figures {
	f := Figures{MACs: r.MACs, EnergyPJ: r.EnergyPJ, DynamicPJ: r.DynamicPJ, StaticPJ: r.StaticPJ,
		MACEnergyPJ: r.MACEnergyPJ, MACStaticPJ: r.MACStaticPJ, EnergyPJPerMAC: r.PJPerMAC(),
		LowerBoundPJ: r.LowerBoundPJ, EnergyOverLowerBound: r.BoundRatio(), Cycles: r.Cycles, ComputeCycles: r.ComputeCycles,
		LowerBoundCycles: r.LowerBoundCycles, LatencySeconds: float64(r.Cycles) / spec.ClockHz, Utilization: r.Utilization(),
		Levels: []Level{}}
	if f.LatencySeconds > 0 {
		f.PowerWatts = r.EnergyPJ * 1e-12 / f.LatencySeconds
	}
	for _, lr := range r.Levels {
		lv := Level{Name: lr.Name, EnergyPJ: lr.EnergyPJ, StoragePJ: lr.StoragePJ, NetworkPJ: lr.NetworkPJ, StaticPJ: lr.StaticPJ,
			Instances: lr.Instances, Cycles: lr.Cycles, NetworkCycles: lr.NetworkCycles}
		for _, t := range workload.Tensors {
			tr := &lr.Tensors[t]
			*lv.Tensors.at(t) = Traffic{TileWords: tr.Tile, ReadWords: tr.Reads, WriteWords: tr.Writes, FillWords: tr.Fills,
				UpdateWords: tr.Updates, DrainWords: tr.Drains, NetworkWords: tr.NetworkWords, EnergyPJ: tr.EnergyPJ, FormatRatio: tr.Ratio}
		}
		f.Levels = append(f.Levels, lv)
	}
	return f
}

// newLayer returns the report of one layer l evaluated as r under mp.
func newLayer(spec *arch.Spec, l *workload.Layer, r *cost.Result, mp *mapping.Mapping) (Layer, error) {
	out := Layer{Name: r.Layer, Kind: l.Kind.String(), Figures: newFigures(spec, r), UsedMACUnits: r.UsedMACUnits}
	var err error
	if out.BoundBy, out.BoundLevel, err = bound(spec, r.BoundBy); err != nil {
		return Layer{}, fmt.Errorf("report: layer %q: %w", r.Layer, err)
	}
	if mp != nil {
		out.Mapping = NewMapping(mp)
	}
	return out, nil
}

// bound reads cost.Result.BoundBy: "compute", a level's name, or a level's
// name and " network".
func bound(spec *arch.Spec, s string) (Bound, string, error) {
	if s == "compute" {
		return BoundCompute, "", nil
	}
	if spec.Level(s) >= 0 {
		return BoundLevel, s, nil
	}
	if n, ok := strings.CutSuffix(s, " network"); ok && spec.Level(n) >= 0 {
		return BoundNetwork, n, nil
	}
	return "", "", fmt.Errorf("bound by %q: not compute, a level of %s or the network into one", s, spec.Name)
}

// newTotal returns the total of res with its figures per inference. DRAM
// traffic is summed over the layers, each at its own tensor widths.
func newTotal(spec *arch.Spec, res *explore.Network) Total {
	t := &res.Total
	tot := Total{Figures: newFigures(spec, t)}
	batch := float64(max(res.Batch, 1))
	tot.EnergyPerInferencePJ = t.EnergyPJ / batch
	if tot.LatencySeconds > 0 {
		tot.InferencesPerSecond = batch / tot.LatencySeconds
	}
	for _, el := range res.Layers {
		if len(el.Result.Levels) == 0 {
			continue
		}
		for _, tt := range workload.Tensors {
			tr := &el.Result.Levels[0].Tensors[tt]
			tot.DRAMWords += tr.Reads + tr.Writes
			tot.DRAMBytes += float64(tr.Reads+tr.Writes) * float64(spec.LevelBits(el.Layer, 0, tt)) / 8 * tr.Ratio
		}
	}
	if t.MACs > 0 {
		tot.DRAMWordsPerMAC = float64(tot.DRAMWords) / float64(t.MACs)
	}
	tot.BusyMACUnitsMean = tot.Utilization * float64(spec.MACUnits())
	return tot
}
