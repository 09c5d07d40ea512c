package nn

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"time"
)

// LatencyConfig sets up a latency measurement. Zero fields take the
// defaults given.
type LatencyConfig struct {
	Batch   int // images per forward pass; default 1
	Runs    int // timed runs; default 20
	Warmup  int // untimed runs first; default 3
	Workers int // default: the number of usable CPUs
}

func (c *LatencyConfig) defaults() {
	if c.Batch <= 0 {
		c.Batch = 1
	}
	if c.Runs <= 0 {
		c.Runs = 20
	}
	if c.Warmup < 0 {
		c.Warmup = 0
	} else if c.Warmup == 0 {
		c.Warmup = 3
	}
}

// Latency is the measured inference latency of a model on this CPU.
type Latency struct {
	Batch   int
	Runs    int
	Workers int
	// Total is the median time of a whole forward pass.
	Total time.Duration
	// Layers holds the median time of each node, in model order, from
	// runs timed node by node (separate from the runs behind Total).
	Layers []LayerLatency
}

// LayerLatency is the median forward time of one node.
type LayerLatency struct {
	Name   string
	Kind   Kind
	Median time.Duration
}

// MeasureLatency runs m in inference mode on random input, cfg.Warmup
// times untimed and then cfg.Runs times timed as a whole and cfg.Runs times
// timed node by node, and returns the medians. A ReLU that the executor
// fuses into the convolution, linear or batch-norm layer before it (see [Exec]) is
// timed as part of that layer and shows close to zero.
func MeasureLatency(m *Model, cfg LatencyConfig) (*Latency, error) {
	cfg.defaults()
	if err := m.CheckSize(cfg.Batch); err != nil {
		return nil, err
	}
	e := NewExec(m, cfg.Workers)
	x := randomInput(m.InShape, cfg.Batch, 1)
	for range cfg.Warmup {
		if _, err := e.Forward(x, false); err != nil {
			return nil, err
		}
	}
	total := make([]time.Duration, cfg.Runs)
	for r := range total {
		t0 := time.Now()
		if _, err := e.Forward(x, false); err != nil {
			return nil, err
		}
		total[r] = time.Since(t0)
	}
	per := make([][]time.Duration, len(m.Nodes))
	times := make([]time.Duration, len(m.Nodes))
	for range cfg.Runs {
		if _, err := e.forward(x, false, times); err != nil {
			return nil, err
		}
		for i, t := range times {
			per[i] = append(per[i], t)
		}
	}
	l := &Latency{Batch: cfg.Batch, Runs: cfg.Runs, Workers: e.Workers(), Total: median(total)}
	for i, n := range m.Nodes {
		l.Layers = append(l.Layers, LayerLatency{Name: n.Name, Kind: n.Layer.Kind(), Median: median(per[i])})
	}
	return l, nil
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	n := len(s)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// LatencyTable is the measured latency of one convolution or linear layer
// as a function of its input and output channel counts, with the rest of its
// geometry (kernel, stride, padding, input size) fixed: the lookup table
// NetAdapt estimates a pruned network's latency from.
type LatencyTable struct {
	Node  string
	Batch int
	InC   []int // ascending
	OutC  []int // ascending; for a depthwise layer, the output count that goes with each InC
	// Times[i][j] is the median latency with InC[i] inputs and OutC[j]
	// outputs (Times[i][0] for a depthwise layer).
	Times     [][]time.Duration
	Depthwise bool
}

// TableSpec asks for the lookup table of one convolution or linear node:
// its latency with each combination of InC input and OutC output channels
// (a depthwise node follows its input: only InC matter).
type TableSpec struct {
	Node      string
	InC, OutC []int
}

// MeasureLayerTable builds the layer of node alone, with each combination of
// inCs and outCs channels (a depthwise layer follows its input: only inCs
// matter), and times each in inference, interleaved as [MeasureTables]
// does.
func MeasureLayerTable(m *Model, node string, inCs, outCs []int, cfg LatencyConfig) (*LatencyTable, error) {
	ts, _, err := measureTables(m, []TableSpec{{node, inCs, outCs}}, cfg, false)
	if err != nil {
		return nil, err
	}
	return ts[0], nil
}

// MeasureTables builds the lookup tables of several nodes of m (see
// [MeasureLayerTable]) and times m itself, whole and node by node (as
// [MeasureLatency]), all interleaved: every round runs each table entry,
// a whole pass of m and a node-timed pass of m once, in turn, and each
// figure is the median over cfg.Runs rounds. Load from other processes,
// which drifts over seconds on a shared machine, so falls on every entry
// alike, and the tables agree with each other and with m's own times up
// to a common factor; timed one after another they could be apart by
// whatever the load did in between.
func MeasureTables(m *Model, specs []TableSpec, cfg LatencyConfig) ([]*LatencyTable, *Latency, error) {
	return measureTables(m, specs, cfg, true)
}

// timed is one model timed in the rounds of measureTables.
type timed struct {
	e     *Exec
	x     *Tensor
	times []time.Duration
}

func newTimed(m *Model, batch, workers int, seed uint64) *timed {
	return &timed{e: NewExec(m, workers), x: randomInput(m.InShape, batch, seed)}
}

// randomInput is a batch of standard normal values in shape, the same for
// the same seed: what the latency measurements run on.
func randomInput(shape []int, batch int, seed uint64) *Tensor {
	x := NewTensor(append([]int{batch}, shape...)...)
	rng := rand.New(rand.NewPCG(seed, 2))
	for i := range x.Data {
		x.Data[i] = float32(rng.NormFloat64())
	}
	return x
}

func measureTables(m *Model, specs []TableSpec, cfg LatencyConfig, base bool) ([]*LatencyTable, *Latency, error) {
	cfg.defaults()
	if err := m.CheckSize(cfg.Batch); err != nil {
		return nil, nil, err
	}
	shapes, err := m.Shapes()
	if err != nil {
		return nil, nil, err
	}
	var entries []*timed
	type cell struct{ t, i, j, e int } // table, row, column, entry
	var cells []cell
	tables := make([]*LatencyTable, len(specs))
	for ti, sp := range specs {
		t, models, err := tableModels(m, shapes, sp, cfg.Batch)
		if err != nil {
			return nil, nil, err
		}
		tables[ti] = t
		for i, row := range models {
			t.Times = append(t.Times, make([]time.Duration, len(row)))
			for j, lm := range row {
				cells = append(cells, cell{ti, i, j, len(entries)})
				entries = append(entries, newTimed(lm, cfg.Batch, cfg.Workers, uint64(len(entries))+1))
			}
		}
	}
	var whole *timed
	var per [][]time.Duration
	if base {
		whole = newTimed(m, cfg.Batch, cfg.Workers, 1)
		per = make([][]time.Duration, len(m.Nodes))
	}
	nodeTimes := make([]time.Duration, len(m.Nodes))
	for r := -cfg.Warmup; r < cfg.Runs; r++ {
		for _, en := range entries {
			// Other entries ran since this one last did and took its
			// weights out of the caches; inside a whole pass repeated
			// on a stream of inputs a layer finds them there. One
			// untimed pass first makes the timed one warm.
			if _, err := en.e.Forward(en.x, false); err != nil {
				return nil, nil, err
			}
			t0 := time.Now()
			if _, err := en.e.Forward(en.x, false); err != nil {
				return nil, nil, err
			}
			if r >= 0 {
				en.times = append(en.times, time.Since(t0))
			}
		}
		if !base {
			continue
		}
		// Warm, as the entries: m's weights too left the caches.
		if _, err := whole.e.Forward(whole.x, false); err != nil {
			return nil, nil, err
		}
		t0 := time.Now()
		if _, err := whole.e.Forward(whole.x, false); err != nil {
			return nil, nil, err
		}
		d := time.Since(t0)
		// Then node by node, still warm from the whole pass.
		if _, err := whole.e.forward(whole.x, false, nodeTimes); err != nil {
			return nil, nil, err
		}
		if r >= 0 {
			whole.times = append(whole.times, d)
			for i, t := range nodeTimes {
				per[i] = append(per[i], t)
			}
		}
	}
	for _, c := range cells {
		tables[c.t].Times[c.i][c.j] = median(entries[c.e].times)
	}
	if !base {
		return tables, nil, nil
	}
	lat := &Latency{Batch: cfg.Batch, Runs: cfg.Runs, Workers: whole.e.Workers(), Total: median(whole.times)}
	for i, n := range m.Nodes {
		lat.Layers = append(lat.Layers, LayerLatency{Name: n.Name, Kind: n.Layer.Kind(), Median: median(per[i])})
	}
	return tables, lat, nil
}

// tableModels returns the table of sp, without times, and the one-layer
// models of its entries, by row (input count) and column (output count).
func tableModels(m *Model, shapes map[string][]int, sp TableSpec, batch int) (*LatencyTable, [][]*Model, error) {
	node := sp.Node
	n := m.Node(node)
	if n == nil {
		return nil, nil, fmt.Errorf("nn: no node %q", node)
	}
	inCs, outCs := sortedUnique(sp.InC), sortedUnique(sp.OutC)
	if len(inCs) == 0 || inCs[0] < 1 || (len(outCs) == 0 || outCs[0] < 1) {
		return nil, nil, fmt.Errorf("nn: latency table needs positive input and output channel counts")
	}
	inShape := shapes[n.Inputs[0]]
	t := &LatencyTable{Node: node, Batch: max(batch, 1), InC: inCs, OutC: outCs}
	build := func(in, out int) (*Model, error) {
		s := slices.Clone(inShape)
		s[0] = in
		lm := New("input", s...)
		switch l := n.Layer.(type) {
		case *Conv:
			c := &Conv{InC: in, OutC: out, Kernel: l.Kernel, Stride: l.Stride, Pad: l.Pad, Dilation: l.Dilation, Groups: 1}
			if l.Depthwise() {
				c.Groups = in
			}
			c.Weight = NewParam(nil, out, in/one(c.Groups), l.Kernel[0], l.Kernel[1])
			if l.Bias != nil {
				c.Bias = NewParam(nil, out)
			}
			lm.Add(node, c, "input")
		case *Linear:
			lm.Add(node, NewLinear(in, out), "input")
		default:
			return nil, fmt.Errorf("nn: node %q is %v, not conv or linear", node, n.Layer.Kind())
		}
		Init(lm, 1)
		return lm, nil
	}
	mg := 0 // depthwise channel multiplier
	if c, ok := n.Layer.(*Conv); ok && c.Depthwise() {
		t.Depthwise = true
		mg = c.OutC / c.InC
		t.OutC = nil
		for _, in := range inCs {
			t.OutC = append(t.OutC, in*mg)
		}
	}
	var models [][]*Model
	for _, in := range inCs {
		var row []*Model
		outs := outCs
		if t.Depthwise {
			outs = []int{in * mg}
		}
		for _, out := range outs {
			lm, err := build(in, out)
			if err != nil {
				return nil, nil, err
			}
			if err := lm.Check(); err != nil {
				return nil, nil, err
			}
			row = append(row, lm)
		}
		models = append(models, row)
	}
	return t, models, nil
}

func sortedUnique(v []int) []int {
	s := slices.Clone(v)
	slices.Sort(s)
	return slices.Compact(s)
}

// At returns the latency for in input and out output channels, bilinearly
// interpolated between the measured counts; ok is false outside the
// measured range. A depthwise table ignores out.
func (t *LatencyTable) At(in, out int) (d time.Duration, ok bool) {
	i0, i1, fi, ok := bracket(t.InC, in)
	if !ok {
		return 0, false
	}
	if t.Depthwise {
		return lerp(t.Times[i0][0], t.Times[i1][0], fi), true
	}
	j0, j1, fj, ok := bracket(t.OutC, out)
	if !ok {
		return 0, false
	}
	a := lerp(t.Times[i0][j0], t.Times[i0][j1], fj)
	b := lerp(t.Times[i1][j0], t.Times[i1][j1], fj)
	return lerp(a, b, fi), true
}

// bracket finds v between s[lo] and s[hi] and the fraction of the way.
func bracket(s []int, v int) (lo, hi int, f float64, ok bool) {
	if len(s) == 0 || v < s[0] || v > s[len(s)-1] {
		return 0, 0, 0, false
	}
	hi = sort.SearchInts(s, v)
	if s[hi] == v {
		return hi, hi, 0, true
	}
	lo = hi - 1
	return lo, hi, float64(v-s[lo]) / float64(s[hi]-s[lo]), true
}

func lerp(a, b time.Duration, f float64) time.Duration {
	return a + time.Duration(f*float64(b-a))
}

// CompareLatency times whole inference passes of several models on the same
// random input (one batch of cfg.Batch images, every model's input shape
// must be the same), interleaved: each round runs every model once, in
// turn, so that load from other processes, which drifts over seconds on a
// shared machine, falls on all of them alike. It returns the median pass
// of each model, in order. Comparing models this way is what a budget
// fraction (the adapted model at 50% of the original) needs: two separate
// MeasureLatency calls can see different loads.
func CompareLatency(models []*Model, cfg LatencyConfig) ([]time.Duration, error) {
	cfg.defaults()
	if len(models) == 0 {
		return nil, fmt.Errorf("nn: no models to compare")
	}
	execs := make([]*Exec, len(models))
	for i, m := range models {
		if err := m.CheckSize(cfg.Batch); err != nil {
			return nil, err
		}
		if !slices.Equal(m.InShape, models[0].InShape) {
			return nil, fmt.Errorf("nn: model %d takes input %v, model 0 %v", i, m.InShape, models[0].InShape)
		}
		execs[i] = NewExec(m, cfg.Workers)
	}
	x := randomInput(models[0].InShape, cfg.Batch, 1)
	times := make([][]time.Duration, len(models))
	for r := -cfg.Warmup; r < cfg.Runs; r++ {
		for i, e := range execs {
			t0 := time.Now()
			if _, err := e.Forward(x, false); err != nil {
				return nil, err
			}
			if r >= 0 {
				times[i] = append(times[i], time.Since(t0))
			}
		}
	}
	out := make([]time.Duration, len(models))
	for i, t := range times {
		out[i] = median(t)
	}
	return out, nil
}
