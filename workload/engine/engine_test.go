package engine_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/nnergy/nnergy/measure"
	"github.com/nnergy/nnergy/nn"
	nnonnx "github.com/nnergy/nnergy/nn/onnx"
	"github.com/nnergy/nnergy/nn/zoo"
	"github.com/nnergy/nnergy/onnx"
	"github.com/nnergy/nnergy/workload"
	"github.com/nnergy/nnergy/workload/engine"
	wonnx "github.com/nnergy/nnergy/workload/onnx"
)

// loweredLayer is what both routes from a trainable model to a workload
// must agree on.
type loweredLayer struct {
	Name          string
	Kind          workload.Kind
	Shape         workload.Shape
	Stride        [2]int
	Dilation      [2]int
	Padding       [4]int
	MACs          int64
	From          []string
	WeightDensity float64
}

func layersOf(n *workload.Network) []loweredLayer {
	out := make([]loweredLayer, len(n.Layers))
	for i, l := range n.Layers {
		out[i] = loweredLayer{l.Name, l.Kind, l.Shape, l.Stride, l.Dilation, l.Padding, l.MACs(), l.From, l.Density[workload.Weights]}
	}
	return out
}

// TestLoweringsAgree: for every model the project can make (the trainable
// zoo, whole and with filters removed, and the ONNX test graphs the engine
// imports: PyTorch CNNs, MobileNetV3, EfficientNet-B0 and transformers),
// the engine's lowering (engine.Lower) and the analysis import of the
// model's ONNX export (workload/onnx) give the same layers, shapes, MACs,
// edges and weight densities, at batch 1 and 3. Their MACs are also the
// engine's own count (nn.Describe) and, for a test graph, those of the
// analysis import of the graph as PyTorch wrote it.
func TestLoweringsAgree(t *testing.T) {
	type model struct {
		name, file string // file: the ONNX test graph the model is imported from
		m          *nn.Model
	}
	var models []model
	for _, name := range zoo.Names() {
		for _, pruned := range []bool{false, true} {
			m, err := zoo.New(name, 1)
			if err != nil {
				t.Fatal(err)
			}
			if pruned {
				removeFirstFilters(t, m)
			}
			models = append(models, model{name: fmt.Sprintf("%s/pruned=%v", name, pruned), m: m})
		}
	}
	files, err := filepath.Glob("../../nn/onnx/testdata/*.onnx")
	if err != nil || len(files) == 0 {
		t.Fatalf("no ONNX test graphs (%v)", err)
	}
	for _, f := range files {
		m, err := nnonnx.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		models = append(models, model{name: filepath.Base(f), file: f, m: m})
	}
	for _, mm := range models {
		data, err := exported(mm.m)
		if err != nil {
			t.Fatalf("%s: export: %v", mm.name, err)
		}
		infos, err := nn.Describe(mm.m)
		if err != nil {
			t.Fatal(err)
		}
		var engineMACs int64
		for _, li := range infos {
			engineMACs += li.MACs
		}
		for _, batch := range []int{1, 3} {
			t.Run(fmt.Sprintf("%s/batch=%d", mm.name, batch), func(t *testing.T) {
				lowered, err := engine.Lower(mm.m, batch)
				if err != nil {
					t.Fatal(err)
				}
				if err := lowered.Validate(); err != nil {
					t.Error(err)
				}
				om, err := onnx.Parse("model.onnx", data)
				if err != nil {
					t.Fatal(err)
				}
				analysis, err := wonnx.Import(om, batch)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(layersOf(lowered), layersOf(analysis)); diff != "" {
					t.Errorf("engine lowering (-) and ONNX import (+) differ:\n%s", diff)
				}
				if len(lowered.Layers) == 0 {
					t.Fatal("no layers")
				}
				got := lowered.MACs()
				if a := analysis.MACs(); got != a || got != engineMACs*int64(batch) {
					t.Errorf("MACs: lowered %d, ONNX import of the export %d, engine count %d", got, a, engineMACs*int64(batch))
				}
				if mm.file == "" {
					return
				}
				orig, err := wonnx.ReadFile(mm.file, batch)
				if err != nil {
					t.Fatal(err)
				}
				if o := orig.MACs(); got != o {
					t.Errorf("MACs: lowered %d, ONNX import of %s %d", got, mm.file, o)
				}
			})
		}
	}
}

// removeFirstFilters removes a quarter of the filters of every convolution
// that has more than 4, so that the lowerings see uneven channel counts.
func removeFirstFilters(t *testing.T, m *nn.Model) {
	t.Helper()
	infos, err := nn.Describe(m)
	if err != nil {
		t.Fatal(err)
	}
	for _, li := range infos {
		if li.Kind != nn.KindConv || li.Out[0] <= 4 || li.Groups > 1 {
			continue
		}
		var drop []int
		for f := 0; f < li.Out[0]/4; f++ {
			drop = append(drop, 2*f)
		}
		if _, err := nn.RemoveFilters(m, li.Name, drop); err != nil {
			t.Fatalf("remove filters of %s: %v", li.Name, err)
		}
	}
}

func exported(m *nn.Model) ([]byte, error) {
	om, err := nnonnx.Export(m)
	if err != nil {
		return nil, err
	}
	return onnx.Marshal(om)
}

// TestLowerPrunedTransformer: once the hidden width of its feed-forward
// blocks is pruned and a head removed, the transformer lowers with the MACs the engine and
// measure.Count count and the analysis import of its export finds, and
// the pruned linear layers are GEMMs with a row per token of the kept
// width.
func TestLowerPrunedTransformer(t *testing.T) {
	for _, file := range []string{"../../nn/onnx/testdata/tf.onnx", "../../nn/onnx/testdata/tf_ln.onnx"} {
		m, err := nnonnx.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		full, err := engine.Lower(m, 1)
		if err != nil {
			t.Fatal(err)
		}
		cuts := map[string][]int{"/enc/layers.0/linear1/MatMul": {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, "/enc/layers.1/linear1/MatMul": {3, 30, 60}}
		for node, drop := range cuts {
			if _, err := nn.RemoveFilters(m, node, drop); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := nn.RemoveHeads(m, "/enc/layers.0/self_attn/MatMul_1", []int{2}); err != nil {
			t.Fatal(err)
		}
		infos, err := nn.Describe(m)
		if err != nil {
			t.Fatal(err)
		}
		var engineMACs int64
		for _, li := range infos {
			engineMACs += li.MACs
		}
		om, err := nnonnx.Export(m)
		if err != nil {
			t.Fatal(err)
		}
		for _, batch := range []int{1, 3} {
			lowered, err := engine.Lower(m, batch)
			if err != nil {
				t.Fatal(err)
			}
			analysis, err := wonnx.Import(om, batch)
			if err != nil {
				t.Fatal(err)
			}
			count, err := measure.Count{Batch: batch}.Measure(context.Background(), m)
			if err != nil {
				t.Fatal(err)
			}
			if got := lowered.MACs(); got != engineMACs*int64(batch) || got != analysis.MACs() || got != count.Total.MACs {
				t.Errorf("%s batch %d: lowered %d MACs, engine counts %d, ONNX import of the export %d, measure.Count %d",
					file, batch, got, engineMACs*int64(batch), analysis.MACs(), count.Total.MACs)
			}
			for node, drop := range cuts {
				for _, name := range []string{node, strings.Replace(node, "linear1", "linear2", 1)} {
					l, err := lowered.Layer(name)
					if err != nil {
						t.Fatal(err)
					}
					if want := int64(batch * 28 * 32 * (64 - len(drop))); l.MACs() != want || l.Shape[workload.P] != 28 {
						t.Errorf("%s batch %d: %s has %d MACs over %d rows, want %d over 28 tokens", file, batch, name, l.MACs(), l.Shape[workload.P], want)
					}
				}
			}
		}
		// A head: its 24 rows of the fused projection, 8 columns of the
		// output projection and its two 28×28×8 products.
		if pruned, _ := engine.Lower(m, 1); pruned.MACs() != full.MACs()-2*28*32*13-(28*32*24+28*8*32+2*28*28*8) {
			t.Errorf("%s: pruning 13 hidden features and a head saved %d MACs, want %d", file, full.MACs()-pruned.MACs(), 2*28*32*13+28*32*24+28*8*32+2*28*28*8)
		}
	}
}
