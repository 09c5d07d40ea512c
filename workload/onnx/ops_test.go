package onnx_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/nnergy/nnergy/onnx"
	"github.com/nnergy/nnergy/onnx/onnxtest"
	"github.com/nnergy/nnergy/workload"
	wonnx "github.com/nnergy/nnergy/workload/onnx"
)

// filled returns n values, every k-th of them zero (k = 0: none).
func filled(n int64, k int) []float32 {
	d := make([]float32, n)
	for i := range d {
		d[i] = 0.5
		if k > 0 && i%k == 0 {
			d[i] = 0
		}
	}
	return d
}

// model starts a model named m.onnx with one float input.
func model(input ...int64) (*onnx.Model, *onnx.Graph) {
	m := onnx.NewModel("g")
	m.Source = "m.onnx"
	m.Graph.AddInput("x", onnx.Float, input...)
	return m, m.Graph
}

func weight(g *onnx.Graph, name string, zeroEvery int, dims ...int64) string {
	n := int64(1)
	for _, d := range dims {
		n *= d
	}
	g.AddInitializer(name, dims, filled(n, zeroEvery))
	return name
}

func layerShape(n, g, m, c, p, q, r, s int) workload.Shape {
	return workload.Shape{workload.N: n, workload.G: g, workload.M: m, workload.C: c, workload.P: p, workload.Q: q, workload.R: r, workload.S: s}
}

func TestOps(t *testing.T) {
	for _, tc := range []struct {
		name  string
		build func() *onnx.Model
		batch int
		want  []want
	}{{
		name: "conv auto_pad SAME_UPPER",
		build: func() *onnx.Model {
			m, g := model(1, 2, 8, 7)
			g.AddNode("Conv", []string{"x", weight(g, "w", 0, 4, 2, 2, 3)}, []string{"y"},
				onnx.StringAttr("auto_pad", "SAME_UPPER"), onnx.IntsAttr("strides", 2, 2)).Name = "c"
			return m
		},
		// H: out 4, total pad (4−1)·2+2−8 = 0; W: out 4, total (4−1)·2+3−7 = 2.
		want: []want{{Name: "c", Kind: workload.Conv, Shape: layerShape(1, 1, 4, 2, 4, 4, 2, 3),
			Stride: [2]int{2, 2}, Dilation: [2]int{1, 1}, Padding: [4]int{0, 0, 1, 1}, Density: 1}},
	}, {
		name: "conv auto_pad SAME_LOWER odd total",
		build: func() *onnx.Model {
			m, g := model(1, 2, 8, 8)
			g.AddNode("Conv", []string{"x", weight(g, "w", 0, 4, 2, 2, 2)}, []string{"y"},
				onnx.StringAttr("auto_pad", "SAME_LOWER")).Name = "c"
			return m
		},
		want: []want{{Name: "c", Kind: workload.Conv, Shape: layerShape(1, 1, 4, 2, 8, 8, 2, 2),
			Stride: [2]int{1, 1}, Dilation: [2]int{1, 1}, Padding: [4]int{1, 0, 1, 0}, Density: 1}},
	}, {
		name: "conv 1-D without kernel_shape",
		build: func() *onnx.Model {
			m, g := model(1, 4, 10)
			g.AddNode("Conv", []string{"x", weight(g, "w", 2, 6, 4, 3)}, []string{"y"}, onnx.IntsAttr("pads", 1, 1)).Name = "c"
			return m
		},
		want: []want{{Name: "c", Kind: workload.Conv, Shape: layerShape(1, 1, 6, 4, 1, 10, 1, 3),
			Stride: [2]int{1, 1}, Dilation: [2]int{1, 1}, Padding: [4]int{0, 0, 1, 1}, Density: 0.5}},
	}, {
		name: "maxpool ceil_mode feeds conv",
		build: func() *onnx.Model {
			m, g := model(1, 2, 8, 8)
			g.AddNode("MaxPool", []string{"x"}, []string{"p"}, onnx.IntsAttr("kernel_shape", 3, 3),
				onnx.IntsAttr("strides", 2, 2), onnx.IntAttr("ceil_mode", 1))
			g.AddNode("Conv", []string{"p", weight(g, "w", 0, 3, 2, 1, 1)}, []string{"y"}).Name = "c"
			return m
		},
		want: []want{{Name: "c", Kind: workload.Pointwise, Shape: layerShape(1, 1, 3, 2, 4, 4, 1, 1),
			Stride: [2]int{1, 1}, Dilation: [2]int{1, 1}, Density: 1}},
	}, {
		name: "gemm transA transB",
		build: func() *onnx.Model {
			m, g := model(4, 2)
			g.AddNode("Gemm", []string{"x", weight(g, "w", 4, 3, 4)}, []string{"y"},
				onnx.IntAttr("transA", 1), onnx.IntAttr("transB", 1)).Name = "fc"
			return m
		},
		want: []want{{Name: "fc", Kind: workload.FC, Shape: layerShape(2, 1, 3, 4, 1, 1, 1, 1),
			Stride: [2]int{1, 1}, Dilation: [2]int{1, 1}, Density: 0.75}},
	}, {
		name: "matmul constant times activation",
		build: func() *onnx.Model {
			m, g := model(-1, 4, 7)
			g.Inputs[0].Params = []string{"batch", "", ""}
			g.AddNode("MatMul", []string{weight(g, "w", 5, 5, 4), "x"}, []string{"y"}).Name = "wx"
			return m
		},
		batch: 3,
		want: []want{{Name: "wx", Kind: workload.GEMM, Shape: layerShape(3, 1, 5, 4, 7, 1, 1, 1),
			Stride: [2]int{1, 1}, Dilation: [2]int{1, 1}, Density: 0.8}},
	}, {
		name: "matmul second operand broadcast over batch",
		build: func() *onnx.Model {
			m, g := model(2, 3, 6, 4)
			g.AddInput("b", onnx.Float, 1, 3, 4, 5)
			g.AddNode("MatMul", []string{"x", "b"}, []string{"y"}).Name = "mm"
			return m
		},
		want: []want{{Name: "mm", Kind: workload.MatMul, Shape: layerShape(2, 3, 5, 4, 6, 1, 1, 1),
			Stride: [2]int{1, 1}, Dilation: [2]int{1, 1}, Density: 1}},
	}, {
		name: "matmul first operand broadcast",
		build: func() *onnx.Model {
			m, g := model(3, 6, 4)
			g.AddInput("b", onnx.Float, 2, 3, 4, 5)
			g.AddNode("MatMul", []string{"x", "b"}, []string{"y"}).Name = "mm"
			return m
		},
		want: []want{{Name: "mm", Kind: workload.MatMul, Shape: layerShape(1, 3, 10, 4, 6, 1, 1, 1),
			Stride: [2]int{1, 1}, Dilation: [2]int{1, 1}, Density: 1}},
	}, {
		name: "matmul vector",
		build: func() *onnx.Model {
			m, g := model(4)
			g.AddNode("MatMul", []string{"x", weight(g, "w", 0, 4, 3)}, []string{"y"}).Name = "v"
			return m
		},
		want: []want{{Name: "v", Kind: workload.FC, Shape: layerShape(1, 1, 3, 4, 1, 1, 1, 1),
			Stride: [2]int{1, 1}, Dilation: [2]int{1, 1}, Density: 1}},
	}, {
		name: "shape arithmetic, transpose and transposed weights",
		build: func() *onnx.Model {
			// x [b,8,4,4] -> reshape to Shape(x)[0:2] ++ [-1] = [b,8,16] -> transpose [b,16,8]
			// -> matmul with Transpose(w [4,8]) = [8,4].
			m, g := model(-1, 8, 4, 4)
			m.Graph.Inputs[0].Params = []string{"N", "", "", ""}
			g.AddInt64Initializer("starts", []int64{1}, []int64{0})
			g.AddInt64Initializer("ends", []int64{1}, []int64{2})
			g.AddInt64Initializer("minus1", []int64{1}, []int64{-1})
			g.AddNode("Shape", []string{"x"}, []string{"s"})
			g.AddNode("Slice", []string{"s", "starts", "ends"}, []string{"s2"})
			g.AddNode("Concat", []string{"s2", "minus1"}, []string{"target"}, onnx.IntAttr("axis", 0))
			g.AddNode("Reshape", []string{"x", "target"}, []string{"r"})
			g.AddNode("Transpose", []string{"r"}, []string{"rt"}, onnx.IntsAttr("perm", 0, 2, 1))
			g.AddNode("Transpose", []string{weight(g, "w", 4, 4, 8)}, []string{"wt"})
			g.AddNode("MatMul", []string{"rt", "wt"}, []string{"y"}).Name = "proj"
			return m
		},
		batch: 2,
		want: []want{{Name: "proj", Kind: workload.GEMM, Shape: layerShape(2, 1, 4, 8, 16, 1, 1, 1),
			Stride: [2]int{1, 1}, Dilation: [2]int{1, 1}, Density: 0.75}},
	}, {
		name: "split, squeeze, unsqueeze, gather and edges",
		build: func() *onnx.Model {
			m, g := model(1, 4, 6)
			g.AddNode("Gemm", []string{"x2", weight(g, "w0", 0, 6, 6)}, []string{"h"}).Name = "first"
			g.Nodes[0].Inputs[0] = "x2"
			g.AddInt64Initializer("ax0", []int64{1}, []int64{0})
			g.AddInt64Initializer("idx", []int64{}, []int64{0})
			g.AddInt64Initializer("split", []int64{2}, []int64{2, 4})
			// Defined after their use: Import sees the sorted graph.
			g.AddNode("Squeeze", []string{"x", "ax0"}, []string{"x2"})
			g.AddNode("Split", []string{"h", "split"}, []string{"h1", "h2"}, onnx.IntAttr("axis", 1))
			g.AddNode("Unsqueeze", []string{"h2", "ax0"}, []string{"h3"})
			g.AddNode("Gather", []string{"h3", "idx"}, []string{"h4"}, onnx.IntAttr("axis", 0))
			g.AddNode("MatMul", []string{"h1", weight(g, "w1", 0, 2, 3)}, []string{"y1"}).Name = "a"
			g.AddNode("MatMul", []string{"h4", weight(g, "w2", 0, 4, 3)}, []string{"y2"}).Name = "b"
			g.AddNode("Add", []string{"y1", "y2"}, []string{"y3"})
			g.AddNode("MatMul", []string{"y3", weight(g, "w3", 0, 3, 3)}, []string{"y"}).Name = "c"
			if err := g.Sort(); err != nil {
				panic(err)
			}
			return m
		},
		want: []want{
			{Name: "first", Kind: workload.FC, Shape: layerShape(4, 1, 6, 6, 1, 1, 1, 1), Stride: [2]int{1, 1}, Dilation: [2]int{1, 1}, Density: 1},
			{Name: "a", Kind: workload.FC, Shape: layerShape(4, 1, 3, 2, 1, 1, 1, 1), Stride: [2]int{1, 1}, Dilation: [2]int{1, 1}, Density: 1, From: []string{"first"}},
			{Name: "b", Kind: workload.FC, Shape: layerShape(4, 1, 3, 4, 1, 1, 1, 1), Stride: [2]int{1, 1}, Dilation: [2]int{1, 1}, Density: 1, From: []string{"first"}},
			{Name: "c", Kind: workload.FC, Shape: layerShape(4, 1, 3, 3, 1, 1, 1, 1), Stride: [2]int{1, 1}, Dilation: [2]int{1, 1}, Density: 1, From: []string{"a", "b"}},
		},
	}, {
		name: "unnamed and duplicate node names, all-zero weights",
		build: func() *onnx.Model {
			m, g := model(1, 4)
			g.AddInitializer("z", []int64{4, 4}, make([]float32, 16))
			g.AddNode("MatMul", []string{"x", "z"}, []string{"y1"})
			g.AddNode("MatMul", []string{"y1", "z"}, []string{"y2"}).Name = "fc"
			g.AddNode("MatMul", []string{"y2", "z"}, []string{"y3"}).Name = "fc"
			return m
		},
		want: []want{
			{Name: "y1", Kind: workload.FC, Shape: layerShape(1, 1, 4, 4, 1, 1, 1, 1), Stride: [2]int{1, 1}, Dilation: [2]int{1, 1}, Density: 1.0 / 16},
			{Name: "fc", Kind: workload.FC, Shape: layerShape(1, 1, 4, 4, 1, 1, 1, 1), Stride: [2]int{1, 1}, Dilation: [2]int{1, 1}, Density: 1.0 / 16, From: []string{"y1"}},
			{Name: "fc_2", Kind: workload.FC, Shape: layerShape(1, 1, 4, 4, 1, 1, 1, 1), Stride: [2]int{1, 1}, Dilation: [2]int{1, 1}, Density: 1.0 / 16, From: []string{"fc"}},
		},
	}, {
		// Stored out of order (ONNX wants topological order, hand-built
		// graphs do not always have it): the walk visits the Relu first.
		name: "nodes out of order",
		build: func() *onnx.Model {
			m, g := model(1, 4)
			g.AddNode("MatMul", []string{"r", weight(g, "w", 0, 4, 3)}, []string{"y"}).Name = "fc"
			g.AddNode("Relu", []string{"x"}, []string{"r"})
			return m
		},
		want: []want{
			{Name: "fc", Kind: workload.FC, Shape: layerShape(1, 1, 3, 4, 1, 1, 1, 1), Stride: [2]int{1, 1}, Dilation: [2]int{1, 1}, Density: 1},
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			m := tc.build()
			net, err := wonnx.Import(m, tc.batch)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got(net)); diff != "" {
				t.Errorf("layers (-want +got):\n%s", diff)
			}
		})
	}
}

func TestImportErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		build func() *onnx.Model
		err   string
	}{{
		name: "attribute count",
		build: func() *onnx.Model {
			m, g := model(1, 3, 8, 8)
			g.AddNode("Conv", []string{"x", weight(g, "w", 0, 4, 3, 3, 3)}, []string{"y"}, onnx.IntsAttr("pads", 1, 1)).Name = "conv1"
			return m
		},
		err: `onnx: m.onnx: node "conv1" (Conv): attribute "pads": want 4 ints, got 2`,
	}, {
		name: "attribute type",
		build: func() *onnx.Model {
			m, g := model(1, 3, 8, 8)
			g.AddNode("Conv", []string{"x", weight(g, "w", 0, 4, 3, 3, 3)}, []string{"y"}, onnx.FloatAttr("group", 1)).Name = "conv1"
			return m
		},
		err: `onnx: m.onnx: node "conv1" (Conv): attribute "group": want type INT, got FLOAT`,
	}, {
		name: "kernel_shape disagrees with weights",
		build: func() *onnx.Model {
			m, g := model(1, 3, 8, 8)
			g.AddNode("Conv", []string{"x", weight(g, "w", 0, 4, 3, 3, 3)}, []string{"y"}, onnx.IntsAttr("kernel_shape", 5, 5)).Name = "conv1"
			return m
		},
		err: `onnx: m.onnx: node "conv1" (Conv): attribute "kernel_shape" is [5 5] but the weights have kernel [3 3]`,
	}, {
		name: "unsupported op",
		build: func() *onnx.Model {
			m, g := model(1, 3, 8, 8)
			g.AddNode("NonMaxSuppression", []string{"x"}, []string{"y"}).Name = "nms"
			return m
		},
		err: `onnx: m.onnx: node "nms" (NonMaxSuppression): op type NonMaxSuppression is not supported (supported: Abs, Add, And, ArgMax,`,
	}, {
		name: "custom domain",
		build: func() *onnx.Model {
			m, g := model(1, 3, 8, 8)
			n := g.AddNode("FusedConv", []string{"x"}, []string{"y"})
			n.Domain = "com.microsoft"
			return m
		},
		err: `onnx: m.onnx: node "y" (FusedConv): op domain "com.microsoft" is not supported`,
	}, {
		name: "groups",
		build: func() *onnx.Model {
			m, g := model(1, 3, 8, 8)
			g.AddNode("Conv", []string{"x", weight(g, "w", 0, 4, 3, 3, 3)}, []string{"y"}, onnx.IntAttr("group", 2)).Name = "c"
			return m
		},
		err: `onnx: m.onnx: node "c" (Conv): weights of shape [4 3 3 3] with group 2 do not fit input of shape [1 3 8 8]`,
	}, {
		name: "kernel larger than input",
		build: func() *onnx.Model {
			m, g := model(1, 3, 4, 4)
			g.AddNode("Conv", []string{"x", weight(g, "w", 0, 4, 3, 9, 9)}, []string{"y"}).Name = "c"
			return m
		},
		err: `onnx: m.onnx: node "c" (Conv): kernel [9 9] with dilations [1 1] does not fit input of shape [1 3 4 4]`,
	}, {
		name: "conv3d",
		build: func() *onnx.Model {
			m, g := model(1, 3, 4, 4, 4)
			g.AddNode("Conv", []string{"x", weight(g, "w", 0, 4, 3, 1, 1, 1)}, []string{"y"}).Name = "c"
			return m
		},
		err: `onnx: m.onnx: node "c" (Conv): input "x" has shape [1 3 4 4 4]; only 1-D and 2-D convolutions (rank 3 or 4) are supported`,
	}, {
		name: "dynamic reshape",
		build: func() *onnx.Model {
			m, g := model(1, 3, 8, 8)
			g.AddInput("s", onnx.Int64, 2)
			g.AddNode("Reshape", []string{"x", "s"}, []string{"y"}).Name = "r"
			return m
		},
		err: `onnx: m.onnx: node "r" (Reshape): shape (input 1, "s") is not a constant integer tensor`,
	}, {
		name: "bad reshape",
		build: func() *onnx.Model {
			m, g := model(1, 3, 8, 8)
			g.AddInt64Initializer("s", []int64{2}, []int64{5, -1})
			g.AddNode("Reshape", []string{"x", "s"}, []string{"y"}).Name = "r"
			return m
		},
		err: `onnx: m.onnx: node "r" (Reshape): cannot reshape input of shape [1 3 8 8] to [5 -1]`,
	}, {
		name: "inner dimensions",
		build: func() *onnx.Model {
			m, g := model(2, 5)
			g.AddNode("MatMul", []string{"x", weight(g, "w", 0, 4, 3)}, []string{"y"}).Name = "mm"
			return m
		},
		err: `onnx: m.onnx: node "mm" (MatMul): inner dimensions of [2 5] and [4 3] differ`,
	}, {
		name: "broadcast",
		build: func() *onnx.Model {
			m, g := model(2, 5)
			g.AddInitializer("b", []int64{3}, make([]float32, 3))
			g.AddNode("Add", []string{"x", "b"}, []string{"y"}).Name = "add"
			return m
		},
		err: `onnx: m.onnx: node "add" (Add): input shapes [[2 5] [3]] do not broadcast`,
	}, {
		name: "symbolic dimension",
		build: func() *onnx.Model {
			m, _ := model(1, 3, -1, 8)
			m.Graph.Inputs[0].Params = []string{"", "", "height", ""}
			return m
		},
		err: `onnx: m.onnx: graph input "x": dimension 2 is the symbolic "height", with no size given (--dim height=SIZE)`,
	}, {
		name: "no layers",
		build: func() *onnx.Model {
			m, g := model(1, 3)
			g.AddNode("Relu", []string{"x"}, []string{"y"})
			return m
		},
		err: `onnx: m.onnx: the graph has no node that becomes a layer (Conv, ConvInteger, ConvTranspose, Einsum, GRU, Gemm, LSTM, MatMul, MatMulInteger, QLinearConv, QLinearMatMul, RNN)`,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := wonnx.Import(tc.build(), 0)
			if err == nil || !strings.HasPrefix(err.Error(), tc.err) {
				t.Errorf("got error\n%v\nwant prefix\n%s", err, tc.err)
			}
		})
	}
	if _, err := wonnx.Import(onnx.NewModel("g"), -1); err == nil || err.Error() != "onnx: batch size -1 is negative" {
		t.Errorf("negative batch: %v", err)
	}
	if _, err := wonnx.ReadFile("testdata/missing.onnx", 1); err == nil || !strings.Contains(err.Error(), "testdata/missing.onnx") {
		t.Errorf("missing file: %v", err)
	}
}

// TestCheckerAcceptsOpModels runs the reference ONNX checker on a few of
// the hand-built models above, so that they are valid ONNX and not just
// what this importer accepts.
func TestCheckerAcceptsOpModels(t *testing.T) {
	m, g := model(1, 2, 8, 8)
	g.AddNode("MaxPool", []string{"x"}, []string{"p"}, onnx.IntsAttr("kernel_shape", 3, 3),
		onnx.IntsAttr("strides", 2, 2), onnx.IntAttr("ceil_mode", 1))
	g.AddNode("Conv", []string{"p", weight(g, "w", 0, 3, 2, 1, 1)}, []string{"y"}).Name = "c"
	g.AddOutput("y", onnx.Float, 1, 3, 4, 4)
	onnxtest.Check(t, m)
}
