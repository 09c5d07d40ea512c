package onnx_test

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nnergy/nnergy/onnx"
	"github.com/nnergy/nnergy/onnx/graph"
	wonnx "github.com/nnergy/nnergy/workload/onnx"
)

// TestShapesMatchONNX holds the front-end (onnx/graph, with this package's
// MAC lowerings) to ONNX's reference shape inference: for every fixture,
// every value whose shape onnx.shape_inference gives (testdata/shapes.json.gz,
// made by scripts/make_shape_oracle.py) has that shape after the import at
// the file's own batch, in every static dimension; and so does every value
// the file itself annotates (its outputs and value_info).
func TestShapesMatchONNX(t *testing.T) {
	var oracle map[string]map[string][]any
	if err := json.Unmarshal(gunzip(t, "testdata/shapes.json.gz"), &oracle); err != nil {
		t.Fatal(err)
	}
	if len(oracle) < 20 {
		t.Fatalf("testdata/shapes.json.gz has %d fixtures, want every fixture", len(oracle))
	}
	for file, shapes := range oracle {
		t.Run(file, func(t *testing.T) {
			var m *onnx.Model
			var err error
			if gz, ok := strings.CutPrefix(file, "ops/"); ok && strings.HasSuffix(gz, ".gz") {
				m = readOpsFixture(t, gz)
			} else if m, err = onnx.ReadFile(filepath.Join("testdata", file)); err != nil {
				t.Fatal(err)
			}
			o := wonnx.Options{Dims: map[string]int{}}
			for _, in := range m.Graph.Inputs {
				for _, s := range in.Params {
					if s != "" && !graph.IsBatchName(s) {
						o.Dims[s] = 5 // any size: the oracle leaves it symbolic
					}
				}
			}
			vals, err := wonnx.ValuesAt(m, o)
			if err != nil {
				t.Fatal(err)
			}
			checked := 0
			for name, want := range shapes {
				v := vals[name]
				if v == nil {
					t.Errorf("value %q: the front-end has none, ONNX infers %v", name, want)
					continue
				}
				if len(v.Shape) != len(want) {
					t.Errorf("value %q: shape %v, ONNX infers %v", name, v.Shape, want)
					continue
				}
				for i, d := range want {
					n, static := d.(float64)
					if static && int64(n) != v.Shape[i] {
						t.Errorf("value %q: shape %v, ONNX infers %v", name, v.Shape, fmt.Sprint(want))
						break
					}
				}
				checked++
			}
			// The file's own annotations, where it has them.
			for _, vi := range append(slices.Clone(m.Graph.Outputs), m.Graph.ValueInfo...) {
				v := vals[vi.Name]
				if vi.Unranked {
					continue
				}
				if v == nil || len(v.Shape) != len(vi.Shape) {
					t.Errorf("value %q: the front-end has %v, the file says %v", vi.Name, v, vi.Shape)
					continue
				}
				for i, d := range vi.Shape {
					if d >= 0 && d != v.Shape[i] {
						t.Errorf("value %q: shape %v, the file says %v", vi.Name, v.Shape, vi.Shape)
						break
					}
				}
				checked++
			}
			if checked == 0 {
				t.Errorf("no value checked")
			}
		})
	}
}
