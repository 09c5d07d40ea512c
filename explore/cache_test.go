package explore_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sync/atomic"
	"testing"

	"github.com/nnergy/nnergy/cost"
	"github.com/nnergy/nnergy/dataflow"
	"github.com/nnergy/nnergy/explore"
	"github.com/nnergy/nnergy/mapping"
	"github.com/nnergy/nnergy/onnx"
	"github.com/nnergy/nnergy/workload"
	wonnx "github.com/nnergy/nnergy/workload/onnx"
	"github.com/nnergy/nnergy/workload/zoo"
)

// resnet50ONNX builds torchvision's resnet50() (v1.5: stride on the 3×3)
// as an ONNX graph with random dense weights, as an export with
// weights=None would have them.
func resnet50ONNX(seed uint64) *onnx.Model {
	rng := rand.New(rand.NewPCG(seed, 50))
	m := onnx.NewModel("resnet50")
	g := m.Graph
	g.AddInput("input", onnx.Float, 1, 3, 224, 224)
	n := 0
	conv := func(in string, cin, cout, k, s int) string {
		n++
		w := make([]float32, cout*cin*k*k)
		sd := math.Sqrt(2 / float64(cin*k*k))
		for i := range w {
			w[i] = float32(rng.NormFloat64() * sd)
		}
		name := fmt.Sprintf("conv%d", n)
		g.AddInitializer(name+".w", []int64{int64(cout), int64(cin), int64(k), int64(k)}, w)
		out := name + ".y"
		p := int64(k / 2)
		g.AddNode("Conv", []string{in, name + ".w"}, []string{out},
			onnx.IntsAttr("kernel_shape", int64(k), int64(k)), onnx.IntsAttr("strides", int64(s), int64(s)),
			onnx.IntsAttr("pads", p, p, p, p)).Name = name
		return out
	}
	relu := func(in string) string {
		g.AddNode("Relu", []string{in}, []string{in + ".relu"})
		return in + ".relu"
	}
	x := relu(conv("input", 3, 64, 7, 2))
	g.AddNode("MaxPool", []string{x}, []string{"pool"}, onnx.IntsAttr("kernel_shape", 3, 3),
		onnx.IntsAttr("strides", 2, 2), onnx.IntsAttr("pads", 1, 1, 1, 1))
	x = "pool"
	in := 64
	for stage, blocks := range []int{3, 4, 6, 3} {
		width := 64 << stage
		for b := range blocks {
			s := 1
			if stage > 0 && b == 0 {
				s = 2
			}
			y := relu(conv(x, in, width, 1, 1))
			y = relu(conv(y, width, width, 3, s))
			y = conv(y, width, 4*width, 1, 1)
			short := x
			if b == 0 {
				short = conv(x, in, 4*width, 1, s)
			}
			g.AddNode("Add", []string{y, short}, []string{y + ".add"})
			x, in = relu(y+".add"), 4*width
		}
	}
	g.AddNode("GlobalAveragePool", []string{x}, []string{"gap"})
	g.AddNode("Flatten", []string{"gap"}, []string{"flat"}, onnx.IntAttr("axis", 1))
	fc := make([]float32, 1000*2048)
	for i := range fc {
		fc[i] = float32(rng.NormFloat64() * 0.02)
	}
	g.AddInitializer("fc.w", []int64{1000, 2048}, fc)
	g.AddNode("Gemm", []string{"flat", "fc.w"}, []string{"logits"}, onnx.IntAttr("transB", 1)).Name = "fc"
	g.AddOutput("logits", onnx.Float, 1, 1000)
	return m
}

// counting returns the builder's Mapper and a counter of its calls.
func counting(m *cost.Model) (explore.Mapper, *atomic.Int64) {
	var n atomic.Int64
	build := explore.DataflowMapper(m, dataflow.RS)
	return func(ctx context.Context, l *workload.Layer) (*mapping.Mapping, error) {
		n.Add(1)
		return build(ctx, l)
	}, &n
}

// TestSearchesPerShape checks that a network imported from ONNX, whose
// convolutions carry their measured weights, searches as many shapes as
// the same network from the zoo, with the same result; and that layers of
// one shape at different densities still search separately.
func TestSearchesPerShape(t *testing.T) {
	m := model(t, "eyeriss-v2")
	zn, err := zoo.Get("resnet50")
	if err != nil {
		t.Fatal(err)
	}
	mz, nz := counting(m)
	want, err := explore.Evaluate(context.Background(), m, zn, mz)
	if err != nil {
		t.Fatal(err)
	}
	on, err := wonnx.Import(resnet50ONNX(1), 1)
	if err != nil {
		t.Fatal(err)
	}
	measured := 0
	for _, l := range on.Layers {
		if l.Measured[workload.Weights] != nil {
			measured++
		}
	}
	if len(on.Layers) != len(zn.Layers) || measured != len(on.Layers)-1 {
		t.Fatalf("imported %d layers, %d with measured weights; the zoo has %d", len(on.Layers), measured, len(zn.Layers))
	}
	mo, no := counting(m)
	got, err := explore.Evaluate(context.Background(), m, on, mo)
	if err != nil {
		t.Fatal(err)
	}
	if no.Load() != nz.Load() {
		t.Errorf("ONNX ResNet-50 searched %d shapes, the zoo's %d", no.Load(), nz.Load())
	}
	if got.Total.EnergyPJ != want.Total.EnergyPJ || got.Total.Cycles != want.Total.Cycles {
		t.Errorf("ONNX ResNet-50: %g pJ, %d cycles; zoo: %g pJ, %d cycles", got.Total.EnergyPJ, got.Total.Cycles, want.Total.EnergyPJ, want.Total.Cycles)
	}

	// The same layer at three weight densities, twice each: three searches.
	base := zn.Layers[10]
	var layers []*workload.Layer
	for i, d := range []float64{1, 0.5, 0.25, 1, 0.5, 0.25} {
		l := base.WithBatch(1)
		l.Name = fmt.Sprintf("l%d", i)
		l.Density[workload.Weights] = d
		layers = append(layers, l)
	}
	md, nd := counting(m)
	if _, err := explore.Evaluate(context.Background(), m, &workload.Network{Name: "densities", Layers: layers}, md); err != nil {
		t.Fatal(err)
	}
	if nd.Load() != 3 {
		t.Errorf("one shape at 3 densities searched %d times, want 3", nd.Load())
	}
}

// TestSharedSearchPruned checks layers of one shape and density whose
// measured weights differ: pruned at random places they share a search,
// each is evaluated on its own weights, and the figures under the shared
// mapping are those of its own search to within 1 %; pruned by whole
// filters (another zero structure) they search separately.
func TestSharedSearchPruned(t *testing.T) {
	m := model(t, "eyeriss-v2")
	a, b := prunedConv(t, "a", 1, 0.25, false), prunedConv(t, "b", 2, 0.25, false)
	if a.Density != b.Density {
		t.Fatalf("densities %v and %v differ", a.Density, b.Density)
	}
	s := prunedConv(t, "s", 3, 0.25, true)
	if s.Density != a.Density {
		t.Fatalf("densities %v and %v differ", s.Density, a.Density)
	}
	mp, n := counting(m)
	net := &workload.Network{Name: "pruned", Layers: []*workload.Layer{a, b, s}}
	got, err := explore.Evaluate(context.Background(), m, net, mp)
	if err != nil {
		t.Fatal(err)
	}
	if n.Load() != 2 {
		t.Errorf("%d searches, want 2 (a and b share one, s has its own)", n.Load())
	}
	ra, rb := got.Layers[0].Result, got.Layers[1].Result
	if ra.EnergyPJ == rb.EnergyPJ {
		t.Errorf("a and b, with different weights, both cost %g pJ: not evaluated on their own values", ra.EnergyPJ)
	}
	for i, l := range []*workload.Layer{a, b, s} {
		own, err := explore.Evaluate(context.Background(), m, &workload.Network{Name: l.Name, Layers: []*workload.Layer{l}}, explore.DataflowMapper(m, dataflow.RS))
		if err != nil {
			t.Fatal(err)
		}
		e, o := got.Layers[i].Result.EnergyPJ, own.Total.EnergyPJ
		if math.Abs(e-o) > 0.01*o {
			t.Errorf("%s: %g pJ under the shared mapping, %g pJ under its own", l.Name, e, o)
		}
	}
}
