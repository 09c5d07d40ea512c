package onnx_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/nnergy/nnergy/onnx"
	"github.com/nnergy/nnergy/onnx/onnxtest"
)

var ignoreUnexported = cmpopts.IgnoreUnexported(onnx.Attribute{})

// roundTrip encodes m and decodes the result.
func roundTrip(t *testing.T, m *onnx.Model) *onnx.Model {
	t.Helper()
	var buf bytes.Buffer
	if err := onnx.Encode(&buf, m); err != nil {
		t.Fatal(err)
	}
	got, err := onnx.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestRoundTripFixture(t *testing.T) {
	for _, file := range []string{"testdata/tiny_cnn.onnx", "testdata/unsorted.onnx"} {
		t.Run(file, func(t *testing.T) {
			m, err := onnx.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			got := roundTrip(t, m)
			got.Source = m.Source
			if diff := cmp.Diff(m, got, ignoreUnexported); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
		})
	}
}

// tinyModel builds conv -> relu -> global pool -> flatten -> gemm with the
// builder API.
func tinyModel() *onnx.Model {
	m := onnx.NewModel("tiny")
	g := m.Graph
	g.AddInput("x", onnx.Float, 1, 2, 5, 5)
	w := make([]float32, 4*2*3*3)
	for i := range w {
		w[i] = float32(i%4) - 2 // every fourth is zero
	}
	g.AddInitializer("conv.w", []int64{4, 2, 3, 3}, w)
	g.AddInitializer("conv.b", []int64{4}, []float32{0, 1, 2, 3})
	g.AddInitializer("fc.w", []int64{3, 4}, make([]float32, 12))
	g.AddInt64Initializer("shape", []int64{2}, []int64{1, -1})
	g.AddNode("Conv", []string{"x", "conv.w", "conv.b"}, []string{"c"},
		onnx.IntsAttr("kernel_shape", 3, 3), onnx.IntsAttr("pads", 1, 1, 1, 1),
		onnx.IntsAttr("strides", 2, 2)).Name = "conv"
	g.AddNode("Relu", []string{"c"}, []string{"r"}).Name = "relu"
	g.AddNode("GlobalAveragePool", []string{"r"}, []string{"p"}).Name = "pool"
	g.AddNode("Reshape", []string{"p", "shape"}, []string{"f"}).Name = "flatten"
	g.AddNode("Gemm", []string{"f", "fc.w"}, []string{"y"}, onnx.IntAttr("transB", 1), onnx.FloatAttr("alpha", 1)).Name = "fc"
	g.AddOutput("y", onnx.Float, 1, 3)
	return m
}

func TestBuilderRoundTrip(t *testing.T) {
	m := tinyModel()
	got := roundTrip(t, m)
	if diff := cmp.Diff(m, got, ignoreUnexported); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	if d := got.Graph.Initializer("conv.w").Density(); d != 0.75 {
		t.Errorf("conv.w density %g, want 0.75", d)
	}
}

func TestEncodeSortsWithoutModifying(t *testing.T) {
	m := tinyModel()
	g := m.Graph
	g.Nodes[0], g.Nodes[4] = g.Nodes[4], g.Nodes[0]
	got := roundTrip(t, m)
	if g.Nodes[0].OpType != "Gemm" {
		t.Errorf("Encode reordered the model's nodes")
	}
	assertTopological(t, got.Graph)
	if err := g.Sort(); err != nil {
		t.Fatal(err)
	}
	assertTopological(t, g)
}

func TestEncodeErrors(t *testing.T) {
	m := tinyModel()
	m.Graph.Nodes[1].Inputs[0] = "nope"
	if err := onnx.Encode(&bytes.Buffer{}, m); err == nil || err.Error() != `onnx: node "relu" (Relu): input "nope" is not defined by any node, graph input or initializer` {
		t.Errorf("got %v", err)
	}
	m = tinyModel()
	m.Graph.Initializers[0].Floats = m.Graph.Initializers[0].Floats[:3]
	if err := onnx.Encode(&bytes.Buffer{}, m); err == nil || err.Error() != `onnx: encode: initializer "conv.w": dimensions [4 2 3 3] need 72 values, have 3` {
		t.Errorf("got %v", err)
	}
	if err := onnx.Encode(&bytes.Buffer{}, &onnx.Model{}); err == nil || err.Error() != "onnx: encode: model has no graph" {
		t.Errorf("got %v", err)
	}
}

// TestChecker runs the reference ONNX checker on models written by Encode;
// it skips when Debian's python3-onnx is not installed.
func TestChecker(t *testing.T) {
	t.Run("builder", func(t *testing.T) { onnxtest.Check(t, tinyModel()) })
	t.Run("fixture", func(t *testing.T) {
		m, err := onnx.ReadFile("testdata/unsorted.onnx")
		if err != nil {
			t.Fatal(err)
		}
		onnxtest.Check(t, m)
	})
	t.Run("rejects", func(t *testing.T) {
		if onnxtest.Available() != nil {
			t.Skip("no checker")
		}
		m := tinyModel()
		m.Graph.Nodes[0].OpType = "NoSuchOp"
		ft := &fakeT{TB: t}
		onnxtest.Check(ft, m)
		if !ft.failed {
			t.Errorf("the checker accepted an unknown op")
		}
	})
}

type fakeT struct {
	testing.TB
	failed bool
}

func (f *fakeT) Errorf(string, ...any) { f.failed = true }
func (f *fakeT) Helper()               {}

func TestWriteFile(t *testing.T) {
	path := t.TempDir() + "/m.onnx"
	if err := onnx.WriteFile(path, tinyModel()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
	m, err := onnx.ReadFile(path)
	if err != nil || m.Source != path || len(m.Graph.Nodes) != 5 {
		t.Fatalf("%v %v", m, err)
	}
}
