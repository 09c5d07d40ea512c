package onnx

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/nnergy/nnergy/onnx"
	"github.com/nnergy/nnergy/onnx/graph"
)

// TestShapesMatchONNX holds the front-end (onnx/graph, with this package's
// MAC lowerings) to ONNX's reference shape inference: for every fixture,
// every value whose shape onnx.shape_inference gives (testdata/shapes.json,
// made by scripts/make_shape_oracle.py) has that shape after the import at
// the file's own batch, in every static dimension.
func TestShapesMatchONNX(t *testing.T) {
	b, err := os.ReadFile("testdata/shapes.json")
	if err != nil {
		t.Fatal(err)
	}
	var oracle map[string]map[string][]any
	if err := json.Unmarshal(b, &oracle); err != nil {
		t.Fatal(err)
	}
	if len(oracle) < 20 {
		t.Fatalf("testdata/shapes.json has %d fixtures, want every fixture", len(oracle))
	}
	for file, shapes := range oracle {
		t.Run(file, func(t *testing.T) {
			m, err := onnx.ReadFile(filepath.Join("testdata", file))
			if err != nil {
				t.Fatal(err)
			}
			o := Options{Dims: map[string]int{}}
			for _, in := range m.Graph.Inputs {
				for _, s := range in.Params {
					if s != "" && !graph.IsBatchName(s) {
						o.Dims[s] = 5 // any size: the oracle leaves it symbolic
					}
				}
			}
			p, err := graph.NewPlan(m, o.Dims, nil)
			if err != nil {
				t.Fatal(err)
			}
			batch := int64(0)
			if p.Known {
				batch = max(p.Own, 1)
			}
			_, im, err := walkAt(m, p, batch, true)
			if err != nil {
				t.Fatal(err)
			}
			checked := 0
			for name, want := range shapes {
				v := im.w.Values[name]
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
			if checked == 0 {
				t.Errorf("no value checked")
			}
		})
	}
}
