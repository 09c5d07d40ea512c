package onnx_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/nnergy/nnergy/onnx"
	wonnx "github.com/nnergy/nnergy/workload/onnx"
)

// batchFixture is the JSON that scripts/onnx-fixtures/batch.py writes beside
// each testdata/batch fixture: MACs per Conv/Gemm/MatMul node counted from
// ONNX shape inference on a static export of the same torch module at each
// batch, never by nnergy.
type batchFixture struct {
	File         string         `json:"file"`
	Identifiable bool           `json:"identifiable"`
	Input        []any          `json:"input"`
	BatchAxis    *int           `json:"batch_axis"`
	Dims         map[string]int `json:"dims"`
	Batches      map[string]struct {
		Layers []struct {
			Node string `json:"node"`
			Op   string `json:"op"`
			MACs int64  `json:"macs"`
		} `json:"layers"`
		Total int64 `json:"total"`
	} `json:"batches"`
}

// readBatchFixtures reads every testdata/batch/*.json.
func readBatchFixtures(t *testing.T) []batchFixture {
	t.Helper()
	paths, err := filepath.Glob("testdata/batch/*.json")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no batch fixtures: %v", err)
	}
	var fs []batchFixture
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var f batchFixture
		if err := json.Unmarshal(b, &f); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		fs = append(fs, f)
	}
	return fs
}

// ownBatch is the batch a fixture imports at without a batch size: its
// static batch, or 1 when the batch is a dynamic axis.
func (f *batchFixture) ownBatch() int {
	var bs []int
	for k := range f.Batches {
		b, _ := strconv.Atoi(k)
		bs = append(bs, b)
	}
	sort.Ints(bs)
	return bs[0]
}

// TestImportBatchFixtures checks the MACs of every layer of the batch
// fixtures against the independent count: at the file's own batch without
// a batch size, and at batch 4 where the batch can be told apart. Before
// the importer tracked the batch axis, enc_sf_dyn was refused (a symbolic
// dimension 1) and every file imported at its own shapes regardless of the
// batch asked for or refused nothing.
func TestImportBatchFixtures(t *testing.T) {
	for _, f := range readBatchFixtures(t) {
		own := f.ownBatch()
		for _, batch := range []int{0, own, 4} {
			t.Run(fmt.Sprintf("%s/batch=%d", f.File, batch), func(t *testing.T) {
				net, err := wonnx.ReadFileWith(filepath.Join("testdata/batch", f.File), wonnx.Options{Batch: batch, Dims: f.Dims})
				at := batch
				if at == 0 {
					at = own
				}
				want, ok := f.Batches[strconv.Itoa(at)]
				if !ok && batch == 0 {
					t.Fatalf("no count at batch %d", at)
				}
				if !ok || (!f.Identifiable && batch > 0) {
					// No batch size but the file's own may be asked of a
					// file whose batch cannot be told apart.
					if err == nil {
						t.Fatalf("imported at batch %d (%d MACs), want a refusal", batch, net.MACs())
					}
					if !strings.Contains(err.Error(), f.File) || !strings.Contains(err.Error(), `graph input "src"`) || !strings.Contains(err.Error(), "cannot be told apart") {
						t.Errorf("refusal %q does not name the file, the input and why", err)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if len(net.Layers) != len(want.Layers) {
					t.Fatalf("%d layers, want %d", len(net.Layers), len(want.Layers))
				}
				for i, l := range net.Layers {
					w := want.Layers[i]
					if l.Name != w.Node || l.MACs() != w.MACs {
						t.Errorf("layer %d: %s %d MACs, want %s %d", i, l.Name, l.MACs(), w.Node, w.MACs)
					}
				}
				if net.MACs() != want.Total {
					t.Errorf("%d MACs, want %d (%.2fx)", net.MACs(), want.Total, float64(net.MACs())/float64(want.Total))
				}
				if net.BatchUnknown == f.Identifiable {
					t.Errorf("BatchUnknown %v for a file whose batch is identifiable: %v", net.BatchUnknown, f.Identifiable)
				}
				if f.Identifiable && net.Batch != at {
					t.Errorf("batch %d, want %d", net.Batch, at)
				}
				if len(net.Inputs) != 1 || len(net.Inputs[0].Shape) != len(f.Input) {
					t.Fatalf("inputs %v, want one of shape %v", net.Inputs, f.Input)
				}
				for i, d := range f.Input {
					want, _ := d.(float64) // 0 for "batch" and "seq"
					if name, ok := d.(string); ok && f.Dims[name] > 0 {
						want = float64(f.Dims[name])
					}
					if f.BatchAxis != nil && i == *f.BatchAxis {
						want = float64(at)
					}
					if net.Inputs[0].Shape[i] != int(want) {
						t.Errorf("input shape %v, want %v at batch %d", net.Inputs[0].Shape, f.Input, at)
					}
				}
			})
		}
	}
}

// encoderModel returns enc_bf_dyn.onnx with its input src renamed
// dimensions: params for dims 0..2 (the file has "batch", 8, 16).
func encoderModel(t *testing.T, file string) *onnx.Model {
	t.Helper()
	m, err := onnx.ReadFile(filepath.Join("testdata/batch", file))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestImportDims(t *testing.T) {
	// The dynamic encoder with its batch renamed "seq": not the batch, a
	// symbolic dimension to be given.
	renamed := func(t *testing.T) *onnx.Model {
		m := encoderModel(t, "enc_bf_dyn.onnx")
		m.Graph.Inputs[0].Params[0] = "seq"
		return m
	}
	t.Run("dim", func(t *testing.T) {
		// seq=4 on dimension 0 of [seq, 8, 16]: four sequences, the same
		// MACs as the batch-first encoder at batch 4; the batch is unknown.
		net, err := wonnx.ImportWith(renamed(t), wonnx.Options{Dims: map[string]int{"seq": 4}})
		if err != nil {
			t.Fatal(err)
		}
		f := fixture(t, "enc_bf_dyn.json")
		if net.MACs() != f.Batches["4"].Total || !net.BatchUnknown || net.Batch != 1 {
			t.Errorf("%d MACs, batch %d unknown %v; want %d MACs, batch unknown", net.MACs(), net.Batch, net.BatchUnknown, f.Batches["4"].Total)
		}
	})
	t.Run("input shape", func(t *testing.T) {
		net, err := wonnx.ImportWith(renamed(t), wonnx.Options{Shapes: map[string][]int{"src": {4, 8, 16}}})
		if err != nil {
			t.Fatal(err)
		}
		if want := fixture(t, "enc_bf_dyn.json").Batches["4"].Total; net.MACs() != want {
			t.Errorf("%d MACs, want %d", net.MACs(), want)
		}
	})
	for _, tc := range []struct {
		name string
		m    func(t *testing.T) *onnx.Model
		o    wonnx.Options
		err  string
	}{
		{"unresolved", renamed, wonnx.Options{},
			`onnx: ` + filepath.Join("testdata/batch", "enc_bf_dyn.onnx") + `: graph input "src": dimension 0 is the symbolic "seq", with no size given (--dim seq=SIZE)`},
		{"unknown dim", renamed, wonnx.Options{Dims: map[string]int{"seq": 4, "len": 3}},
			`no graph input has a dimension named "len" (symbolic dimensions: "seq")`},
		{"dim is the batch", func(t *testing.T) *onnx.Model { return encoderModel(t, "enc_bf_dyn.onnx") }, wonnx.Options{Dims: map[string]int{"batch": 4}},
			`dimension "batch" is the batch: give it as the batch size, not as a dimension`},
		{"unknown input", renamed, wonnx.Options{Shapes: map[string][]int{"x": {4, 8, 16}}},
			`no graph input "x" (inputs: "src")`},
		{"static mismatch", renamed, wonnx.Options{Shapes: map[string][]int{"src": {4, 9, 16}}},
			`graph input "src": dimension 1 is 8 in the file, the shape given (4x9x16) has 9`},
		{"rank mismatch", renamed, wonnx.Options{Shapes: map[string][]int{"src": {4, 8}}},
			`graph input "src" has rank 3 (shape seqx8x16), the shape given has rank 2 (4x8)`},
		{"batch of a renamed batch", renamed, wonnx.Options{Batch: 4, Dims: map[string]int{"seq": 4}},
			`cannot import at batch 4: graph input "src" of shape seqx8x16 names no dimension as the batch`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := wonnx.ImportWith(tc.m(t), tc.o)
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("got error %v, want %q", err, tc.err)
			}
		})
	}
}

// TestImportBakedBatch: a graph whose constant shapes fix its batch, or
// mix the batch with other dimensions, imports at its own batch and is
// refused at another, naming the node or layer.
func TestImportBakedBatch(t *testing.T) {
	for _, tc := range []struct {
		name  string
		build func() *onnx.Model
		err   string
	}{{
		// [2, 8] reshaped to the constant [1, 16]: 32 values at batch 4.
		name: "constant reshape",
		build: func() *onnx.Model {
			m, g := model(2, 8)
			g.AddInt64Initializer("shape", []int64{2}, []int64{1, 16})
			g.AddNode("Reshape", []string{"x", "shape"}, []string{"r"})
			g.AddNode("MatMul", []string{"r", weight(g, "w", 0, 16, 4)}, []string{"y"}).Name = "fc"
			return m
		},
		err: `onnx: m.onnx: cannot import at batch 4, only at batch 2: node "r" (Reshape): cannot reshape input of shape [4 8] (32 elements) to [1 16]; the file fixes its batch in constant shapes`,
	}, {
		// [2, 8] reshaped to [-1, 4] and multiplied by its transpose: the
		// product grows as the square of the batch.
		name: "batch mixed with rows",
		build: func() *onnx.Model {
			m, g := model(2, 8)
			g.AddInt64Initializer("shape", []int64{2}, []int64{-1, 4})
			g.AddNode("Reshape", []string{"x", "shape"}, []string{"r"})
			g.AddNode("Transpose", []string{"r"}, []string{"rt"})
			g.AddNode("MatMul", []string{"r", "rt"}, []string{"y"}).Name = "mm"
			return m
		},
		err: `onnx: m.onnx: layer "mm" has bounds M=4 P=4 at batch 2 but M=8 P=8 at batch 4: they do not scale with the batch on one bound`,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			net, err := wonnx.Import(tc.build(), 0)
			if err != nil || net.Batch != 2 {
				t.Fatalf("at its own batch: %v, batch %v", err, net)
			}
			_, err = wonnx.Import(tc.build(), 4)
			if err == nil || !strings.HasPrefix(err.Error(), tc.err) {
				t.Errorf("got error\n%v\nwant prefix\n%s", err, tc.err)
			}
		})
	}
}

func fixture(t *testing.T, name string) batchFixture {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata/batch", name))
	if err != nil {
		t.Fatal(err)
	}
	var f batchFixture
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestImportUnknownBatchSymbolic: an NCHW input with a symbolic batch next
// to an input whose batch cannot be told apart has no size to import at.
func TestImportUnknownBatchSymbolic(t *testing.T) {
	m, g := model(-1, 3, 4, 4)
	g.AddInput("seq", onnx.Float, 2, 5, 4)
	g.AddNode("Conv", []string{"x", weight(g, "w", 0, 2, 3, 1, 1)}, []string{"y"}).Name = "c"
	g.AddNode("MatMul", []string{"seq", weight(g, "v", 0, 4, 3)}, []string{"z"}).Name = "fc"
	_, err := wonnx.Import(m, 0)
	want := `onnx: m.onnx: graph input "x": dimension 0 is symbolic, and the batch cannot be told apart (graph input "seq" of shape 2x5x4 names no dimension as the batch`
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("got error\n%v\nwant prefix\n%s", err, want)
	}
	// Given its shape, it imports at the file's own shapes.
	net, err := wonnx.ImportWith(m, wonnx.Options{Shapes: map[string][]int{"x": {2, 3, 4, 4}}})
	if err != nil {
		t.Fatal(err)
	}
	if !net.BatchUnknown || net.MACs() != 2*2*3*16+2*5*4*3 {
		t.Errorf("batch unknown %v, %d MACs", net.BatchUnknown, net.MACs())
	}
}
