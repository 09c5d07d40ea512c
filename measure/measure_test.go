package measure

import (
	"context"
	"math"
	"path/filepath"
	"testing"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/cost"
	"github.com/nnergy/nnergy/dataflow"
	"github.com/nnergy/nnergy/explore"
	"github.com/nnergy/nnergy/nn"
	"github.com/nnergy/nnergy/nn/data"
	nnonnx "github.com/nnergy/nnergy/nn/onnx"
	"github.com/nnergy/nnergy/nn/zoo"
	"github.com/nnergy/nnergy/workload"
	"github.com/nnergy/nnergy/workload/engine"
	wonnx "github.com/nnergy/nnergy/workload/onnx"
)

// tiny is a small CNN with a dense, a depthwise and a pointwise convolution
// and two linear layers.
func tiny(seed uint64) *nn.Model {
	m := nn.New("input", 1, 28, 28)
	x := m.Add("conv1", nn.NewConv(1, 8, 3, 1, 1), "input")
	x = m.Add("relu1", nn.NewReLU(), x)
	x = m.Add("pool1", nn.NewMaxPool(2, 2), x)
	x = m.Add("dw", nn.NewDepthwise(8, 3, 2, 1), x)
	x = m.Add("bn", nn.NewBatchNorm(8), x)
	x = m.Add("relu2", nn.NewReLU(), x)
	x = m.Add("pw", nn.NewConv(8, 16, 1, 1, 0), x)
	x = m.Add("relu3", nn.NewReLU(), x)
	x = m.Add("flat", &nn.Flatten{}, x)
	x = m.Add("fc1", nn.NewLinear(16*7*7, 32), x)
	x = m.Add("relu4", nn.NewReLU(), x)
	m.Add("fc2", nn.NewLinear(32, 10), x)
	nn.Init(m, seed)
	return m
}

// TestWorkload: the workload measure evaluates for a model with a masked layer.
func TestWorkload(t *testing.T) {
	m := tiny(1)
	w := m.Node("pw").Layer.(*nn.Conv).Weight
	if err := w.MaskSmallest(0.75); err != nil {
		t.Fatal(err)
	}
	net, err := engine.Lower(m, 2)
	if err != nil {
		t.Fatal(err)
	}
	if err := net.Validate(); err != nil {
		t.Fatal(err)
	}
	type want struct {
		name          string
		kind          workload.Kind
		g, m, c, p, r int
		from          []string
		wd            float64
	}
	wants := []want{
		{"conv1", workload.Conv, 1, 8, 1, 28, 3, nil, 1},
		{"dw", workload.Depthwise, 8, 1, 1, 7, 3, []string{"conv1"}, 1},
		{"pw", workload.Conv, 1, 16, 8, 7, 1, []string{"dw"}, 0.25},
		{"fc1", workload.FC, 1, 32, 16 * 7 * 7, 1, 1, []string{"pw"}, 1},
		{"fc2", workload.FC, 1, 10, 32, 1, 1, []string{"fc1"}, 1},
	}
	if len(net.Layers) != len(wants) {
		t.Fatalf("got %d layers, want %d", len(net.Layers), len(wants))
	}
	for i, w := range wants {
		l := net.Layers[i]
		s := l.Shape
		if l.Name != w.name || s[workload.N] != 2 || s[workload.G] != w.g || s[workload.M] != w.m || s[workload.C] != w.c ||
			s[workload.P] != w.p || s[workload.R] != w.r || len(l.From) != len(w.from) || l.Density[workload.Weights] != w.wd {
			t.Errorf("layer %d: got %s %v %v from %v density %v, want %+v", i, l.Name, l.Kind, s, l.From, l.Density, w)
		}
		if l.Kind == workload.Conv && w.kind == workload.Depthwise {
			t.Errorf("layer %s: kind %v, want depthwise", l.Name, l.Kind)
		}
	}
}

func TestDensities(t *testing.T) {
	m := tiny(1)
	x := Batch(data.Synthetic(16, 3), 16)
	d, err := MeasureDensities(m, x, 1)
	if err != nil {
		t.Fatal(err)
	}
	// conv1 reads the normalised image (no exact zeros) and writes through
	// a ReLU; fc2 writes logits.
	if d["conv1"].Inputs != 1 || !(d["conv1"].Outputs > 0.05 && d["conv1"].Outputs < 0.95) {
		t.Errorf("conv1 densities %+v", d["conv1"])
	}
	if d["pw"].Inputs != d["dw"].Outputs {
		t.Errorf("pw reads what dw writes after bn and relu: %v vs %v", d["pw"].Inputs, d["dw"].Outputs)
	}
	if d["fc2"].Outputs != 1 {
		t.Errorf("fc2 output density %v, want 1", d["fc2"].Outputs)
	}
}

func hardware(t *testing.T, name string, cfg HardwareConfig) *Hardware {
	t.Helper()
	spec, err := arch.Load(name)
	if err != nil {
		t.Fatal(err)
	}
	h, err := NewHardware(spec, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestHardwarePrunedCostsLess(t *testing.T) {
	ctx := context.Background()
	base := tiny(1)
	x := Batch(data.Synthetic(32, 3), 32)
	for _, tc := range []struct {
		arch   string
		filter bool
	}{{"eyeriss-v2", false}, {"eyeriss", true}, {"eyeriss-v2", true}} {
		h := hardware(t, tc.arch, HardwareConfig{Dataflow: dataflow.RS, Calibration: x})
		before, err := h.Measure(ctx, base)
		if err != nil {
			t.Fatal(err)
		}
		p := base.Clone()
		if tc.filter {
			if _, err := nn.RemoveFilters(p, "pw", []int{0, 1, 2, 3, 4, 5, 6, 7}); err != nil {
				t.Fatal(err)
			}
		} else {
			for _, par := range p.Params() {
				if len(par.Shape) > 1 {
					if err := par.MaskSmallest(0.8); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
		after, err := h.Measure(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if !(after.Total.EnergyPJ < 0.9*before.Total.EnergyPJ) || after.Total.Params >= before.Total.Params {
			t.Errorf("%s filter=%v: pruned %.0f pJ %d params, unpruned %.0f pJ %d params", tc.arch, tc.filter,
				after.Total.EnergyPJ, after.Total.Params, before.Total.EnergyPJ, before.Total.Params)
		}
		var sum float64
		for _, l := range after.Layers {
			sum += l.EnergyPJ
		}
		if math.Abs(sum-after.Total.EnergyPJ) > 1e-6*sum {
			t.Errorf("layers sum to %v, total %v", sum, after.Total.EnergyPJ)
		}
	}
}

func TestHardwareCache(t *testing.T) {
	ctx := context.Background()
	m := tiny(1)
	h := hardware(t, "eyeriss", HardwareConfig{Dataflow: dataflow.RS})
	a, err := h.Measure(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	if st := h.Stats(); st.Hits != 0 || st.Misses != 5 {
		t.Fatalf("first measure: %+v, want 0 hits, 5 misses", st)
	}
	b, err := h.Measure(ctx, m.Clone())
	if err != nil {
		t.Fatal(err)
	}
	if st := h.Stats(); st.Hits != 5 || st.Misses != 5 {
		t.Fatalf("second measure: %+v, want 5 hits, 5 misses", st)
	}
	if a.Total != b.Total {
		t.Errorf("cached total %+v differs from %+v", b.Total, a.Total)
	}
	// Pruning the filters of pw changes pw and fc1 only.
	p := m.Clone()
	if _, err := nn.RemoveFilters(p, "pw", []int{1, 3}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Measure(ctx, p); err != nil {
		t.Fatal(err)
	}
	if st := h.Stats(); st.Hits != 8 || st.Misses != 7 {
		t.Fatalf("after pruning pw: %+v, want 8 hits, 7 misses", st)
	}
}

// TestHardwareMatchesEval checks the measurer against what nnergy eval
// computes for the same network: the model exported to ONNX, imported as a
// workload by package workload/onnx (what eval --model x.onnx does), and
// evaluated by explore.Evaluate with the same builder.
func TestHardwareMatchesEval(t *testing.T) {
	ctx := context.Background()
	m := tiny(1)
	for _, p := range m.Params() {
		if len(p.Shape) > 1 {
			if err := p.MaskSmallest(0.6); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := nn.RemoveFilters(m, "conv1", []int{2}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "m.onnx")
	if err := nnonnx.WriteFile(path, m); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"eyeriss", "eyeriss-v2"} {
		for _, batch := range []int{1, 3} {
			h := hardware(t, name, HardwareConfig{Dataflow: dataflow.RS, Batch: batch})
			got, err := h.Measure(ctx, m)
			if err != nil {
				t.Fatal(err)
			}
			net, err := wonnx.ReadFile(path, batch)
			if err != nil {
				t.Fatal(err)
			}
			cm, err := cost.New(h.Spec())
			if err != nil {
				t.Fatal(err)
			}
			want, err := explore.Evaluate(ctx, cm, net, explore.DataflowMapper(cm, dataflow.RS))
			if err != nil {
				t.Fatal(err)
			}
			if len(want.Layers) != len(got.Layers) {
				t.Fatalf("%s: eval has %d layers, measure %d", name, len(want.Layers), len(got.Layers))
			}
			for i, l := range want.Layers {
				g := got.Layers[i]
				if g.Name != l.Layer.Name || g.EnergyPJ != l.Result.EnergyPJ || g.Cycles != l.Result.Cycles || g.MACs != l.Result.MACs {
					t.Errorf("%s batch %d layer %s: measure %v pJ %d cycles %d MACs, eval %s %v pJ %d cycles %d MACs", name, batch, g.Name,
						g.EnergyPJ, g.Cycles, g.MACs, l.Layer.Name, l.Result.EnergyPJ, l.Result.Cycles, l.Result.MACs)
				}
			}
			if math.Abs(got.Total.EnergyPJ-want.Total.EnergyPJ) > 1e-9*want.Total.EnergyPJ || got.Total.Cycles != want.Total.Cycles {
				t.Errorf("%s batch %d: total %v pJ %d cycles, eval %v pJ %d cycles", name, batch,
					got.Total.EnergyPJ, got.Total.Cycles, want.Total.EnergyPJ, want.Total.Cycles)
			}
		}
	}
}

func TestHardwareSearch(t *testing.T) {
	ctx := context.Background()
	m := tiny(1)
	b := hardware(t, "eyeriss", HardwareConfig{Dataflow: dataflow.RS})
	s := hardware(t, "eyeriss", HardwareConfig{Dataflow: dataflow.RS, Search: true})
	mb, err := b.Measure(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	msr, err := s.Measure(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	// The search starts from the builder's mapping and minimizes energy.
	for i := range mb.Layers {
		if msr.Layers[i].EnergyPJ > mb.Layers[i].EnergyPJ*(1+1e-9) {
			t.Errorf("layer %s: searched %v pJ, builder %v pJ", mb.Layers[i].Name, msr.Layers[i].EnergyPJ, mb.Layers[i].EnergyPJ)
		}
	}
}

func TestCount(t *testing.T) {
	m := tiny(1)
	ms, err := Count{Batch: 2}.Measure(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	net, _ := engine.Lower(m, 2)
	if ms.Total.MACs != net.MACs() {
		t.Errorf("MACs %d, workload %d", ms.Total.MACs, net.MACs())
	}
	w := m.Node("fc1").Layer.(*nn.Linear).Weight
	if err := w.MaskSmallest(0.5); err != nil {
		t.Fatal(err)
	}
	ms2, _ := Count{Batch: 2}.Measure(context.Background(), m)
	if d := ms.Total.Params - ms2.Total.Params; d != int64(w.Len()/2) {
		t.Errorf("masking half of fc1 removed %d params, want %d", d, w.Len()/2)
	}
	if ms.Total.Value(MACs) != float64(ms.Total.MACs) {
		t.Error("Value(MACs)")
	}
}

func TestCPU(t *testing.T) {
	m := tiny(1)
	c, err := NewCPU(m, CPUConfig{Samples: 3, Latency: nn.LatencyConfig{Runs: 3, Warmup: 1, Workers: 1}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	base, err := c.Measure(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	// The base model's estimate is its whole pass, measured with the tables.
	if math.Abs(base.Total.LatencyS-c.whole.Seconds()) > 1e-12+1e-9 || c.whole <= 0 { // to the nanosecond
		t.Errorf("base estimate %v s, whole pass %v", base.Total.LatencyS, c.whole)
	}
	// At the base counts each layer's estimate is its table's measured corner.
	for _, l := range base.Layers {
		tb := c.tables[l.Name]
		want := tb.Times[len(tb.InC)-1][len(tb.Times[len(tb.InC)-1])-1].Seconds()
		if l.LatencyS != want || want <= 0 {
			t.Errorf("layer %s: %v s, table corner %v s", l.Name, l.LatencyS, want)
		}
	}
	p := m.Clone()
	if _, err := nn.RemoveFilters(p, "conv1", []int{0, 1, 2, 3, 4}); err != nil {
		t.Fatal(err)
	}
	pm, err := c.Measure(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	// conv1 and dw follow three channels: their estimates interpolate.
	tb := c.tables["conv1"]
	if d, _ := tb.At(1, 3); pm.Layers[0].LatencyS != d.Seconds() {
		t.Errorf("pruned conv1: %v s, table %v", pm.Layers[0].LatencyS, d)
	}
	// A layer wider than the base is outside its table.
	w := tiny(1)
	w.Node("fc2").Layer = nn.NewLinear(32, 20)
	nn.Init(w, 1)
	if _, err := c.Measure(ctx, w); err == nil {
		t.Error("a wider fc2 was measured")
	}
}

// TestCPUBypass: a network with channel-level bypasses (NetAdaptV2) is
// measured by the tables of the network it came from: the layer a bypass
// thins costs its table's entry at the kept channels, the bypass's copy its
// elements at the cheapest element cost, and a layer bypassed whole
// nothing.
func TestCPUBypass(t *testing.T) {
	m, err := zoo.New("mobilenet-small", 1)
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewCPU(m, CPUConfig{Samples: 3, MaxOutputs: 8, Latency: nn.LatencyConfig{Runs: 2, Warmup: 1, Workers: 1}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	base, err := c.Measure(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	latency := func(ms Measurement, layer string) (float64, bool) {
		for _, l := range ms.Layers {
			if l.Name == layer {
				return l.LatencyS, true
			}
		}
		return 0, false
	}
	for _, tc := range []struct {
		node string
		keep int
	}{{"b3_pw", 16}, {"b3_pw", 0}, {"b3_dw", 20}, {"b1_dw", 0}} {
		p := m.Clone()
		if _, err := nn.PartialBypass(p, tc.node, tc.keep); err != nil {
			t.Fatal(err)
		}
		got, err := c.Measure(ctx, p)
		if err != nil {
			t.Fatalf("%s kept %d: %v", tc.node, tc.keep, err)
		}
		d, ok := latency(got, tc.node)
		full, _ := latency(base, tc.node)
		switch {
		case tc.keep == 0 && ok:
			t.Errorf("%s bypassed whole still costs %v s", tc.node, d)
		case tc.keep > 0 && !(ok && d > 0 && d < full):
			t.Errorf("%s kept %d of its channels: %v s (found %v), base %v s", tc.node, tc.keep, d, ok, full)
		}
		if !(got.Total.LatencyS < base.Total.LatencyS) {
			t.Errorf("%s kept %d: total %v s, not below the base's %v s", tc.node, tc.keep, got.Total.LatencyS, base.Total.LatencyS)
		}
	}
	if c.copyNS <= 0 {
		t.Errorf("copy cost %v ns per element", c.copyNS)
	}
}

// TestHardwareTransformer: the hardware measurer's layers are engine.Lower's,
// attention's matrix products included (it indexed past its layer list on
// a transformer), and the feed-forward pruning of the transformer costs
// less.
func TestHardwareTransformer(t *testing.T) {
	ctx := context.Background()
	m, err := nnonnx.ReadFile(filepath.Join("..", "nn", "onnx", "testdata", "tf_ln.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	h := hardware(t, "eyeriss", HardwareConfig{Dataflow: dataflow.RS})
	before, err := h.Measure(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	net, err := engine.Lower(m, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(before.Layers) != len(net.Layers) {
		t.Fatalf("%d layers measured, %d lowered", len(before.Layers), len(net.Layers))
	}
	for i, l := range net.Layers {
		if r := before.Layers[i]; r.Name != l.Name || r.MACs != l.MACs() || !(r.EnergyPJ > 0) {
			t.Errorf("layer %d: measured %s with %d MACs and %v pJ, lowered %s with %d MACs", i, r.Name, r.MACs, r.EnergyPJ, l.Name, l.MACs())
		}
	}
	if before.Total.MACs != net.MACs() {
		t.Errorf("total %d MACs, lowered %d", before.Total.MACs, net.MACs())
	}
	if _, err := nn.RemoveFilters(m, "/enc/layers.0/linear1/MatMul", []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}); err != nil {
		t.Fatal(err)
	}
	after, err := h.Measure(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	if !(after.Total.EnergyPJ < before.Total.EnergyPJ) || before.Total.MACs-after.Total.MACs != 2*28*32*16 {
		t.Errorf("pruned: %v pJ, %d MACs; unpruned %v pJ, %d MACs", after.Total.EnergyPJ, after.Total.MACs, before.Total.EnergyPJ, before.Total.MACs)
	}
}
