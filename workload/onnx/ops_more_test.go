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

// layerWant is what the tests below check of a layer: its loop nest, word
// widths, weight density and edges.
type layerWant struct {
	Name     string
	Kind     workload.Kind
	Shape    workload.Shape
	Stride   [2]int
	Dilation [2]int
	Bits     [workload.NumTensors]int
	Density  float64
	From     []string
}

func gotLayers(net *workload.Network) []layerWant {
	var ws []layerWant
	for _, l := range net.Layers {
		ws = append(ws, layerWant{l.Name, l.Kind, l.Shape, l.Stride, l.Dilation, l.Bits, l.Density[workload.Weights], l.From})
	}
	return ws
}

var ones2 = [2]int{1, 1}

// w16 are the default word widths.
var w16 = [workload.NumTensors]int{16, 16, 16}

// shapeOf returns a shape from bounds given by dimension.
func shapeOf(bounds map[workload.Dim]int) workload.Shape {
	s := workload.Ones()
	for d, v := range bounds {
		s[d] = v
	}
	return s
}

// probe adds a 1×1 Conv (or, for other ranks, a MatMul) named "probe"
// reading value v, whose loop bounds reveal v's shape.
func probeConv(g *onnx.Graph, v string, c int64) {
	g.AddNode("Conv", []string{v, weight(g, "probe_w", 0, 1, c, 1, 1)}, []string{"probe_y"}).Name = "probe"
}

func TestMoreOps(t *testing.T) {
	const N, G, M, C, P, Q, R, S = workload.N, workload.G, workload.M, workload.C, workload.P, workload.Q, workload.R, workload.S
	for _, tc := range []struct {
		name  string
		build func() *onnx.Model
		want  []layerWant
		macs  int64 // independent count of all MACs; 0: the product of the shapes above
	}{{
		// ConvTranspose: C_in 4, C_out 6, group 2, 3×3, stride 2, pads 1,
		// output_padding 1 on 5×5: output 2·(5−1) + 1 + 2 + 1 − 2 = 10.
		name: "convtranspose groups, pads, output_padding",
		build: func() *onnx.Model {
			m, g := model(1, 4, 5, 5)
			g.AddNode("ConvTranspose", []string{"x", weight(g, "w", 0, 4, 3, 3, 3)}, []string{"y"},
				onnx.IntAttr("group", 2), onnx.IntsAttr("strides", 2, 2), onnx.IntsAttr("pads", 1, 1, 1, 1),
				onnx.IntsAttr("output_padding", 1, 1)).Name = "up"
			probeConv(g, "y", 6)
			return m
		},
		want: []layerWant{
			{Name: "up", Kind: workload.Conv, Shape: shapeOf(map[workload.Dim]int{G: 2, M: 2, C: 3, P: 5, Q: 5, R: 3, S: 3}), Stride: [2]int{2, 2}, Dilation: ones2, Bits: w16, Density: 1},
			{Name: "probe", Kind: workload.Pointwise, Shape: shapeOf(map[workload.Dim]int{C: 6, P: 10, Q: 10}), Stride: ones2, Dilation: ones2, Bits: w16, Density: 1, From: []string{"up"}},
		},
		macs: 4*3*3*3*5*5 + 6*10*10, // C_in × C_out/group × kH × kW × H_in × W_in, then the probe
	}, {
		// Dilation 2, kernel 2×3, stride 1×3, SAME_UPPER: output = input × stride.
		name: "convtranspose dilation, auto_pad, rectangular",
		build: func() *onnx.Model {
			m, g := model(2, 3, 4, 6)
			g.AddNode("ConvTranspose", []string{"x", weight(g, "w", 0, 3, 5, 2, 3)}, []string{"y"},
				onnx.IntsAttr("strides", 1, 3), onnx.IntsAttr("dilations", 2, 2), onnx.StringAttr("auto_pad", "SAME_UPPER")).Name = "up"
			probeConv(g, "y", 5)
			return m
		},
		want: []layerWant{
			{Name: "up", Kind: workload.Conv, Shape: shapeOf(map[workload.Dim]int{N: 2, M: 3, C: 5, P: 4, Q: 6, R: 2, S: 3}), Stride: [2]int{1, 3}, Dilation: [2]int{2, 2}, Bits: w16, Density: 1},
			{Name: "probe", Kind: workload.Pointwise, Shape: shapeOf(map[workload.Dim]int{N: 2, C: 5, P: 4, Q: 18}), Stride: ones2, Dilation: ones2, Bits: w16, Density: 1, From: []string{"up"}},
		},
	}, {
		// output_shape [9, 9] from 4×4, stride 2, kernel 3: full 9, no crop.
		name: "convtranspose output_shape and 1-D",
		build: func() *onnx.Model {
			m, g := model(1, 2, 4, 4)
			g.AddNode("ConvTranspose", []string{"x", weight(g, "w", 0, 2, 2, 3, 3)}, []string{"y"},
				onnx.IntsAttr("strides", 2, 2), onnx.IntsAttr("output_shape", 8, 9)).Name = "up"
			g.AddInput("s", onnx.Float, 1, 2, 7)
			g.AddNode("ConvTranspose", []string{"s", weight(g, "w1", 0, 2, 4, 3)}, []string{"y1"},
				onnx.IntsAttr("strides", 3), onnx.IntsAttr("pads", 1, 0)).Name = "up1d"
			g.AddNode("Conv", []string{"y1", weight(g, "p1", 0, 1, 4, 1)}, []string{"z"}).Name = "probe1d"
			probeConv(g, "y", 2)
			return m
		},
		want: []layerWant{
			{Name: "up", Kind: workload.Conv, Shape: shapeOf(map[workload.Dim]int{M: 2, C: 2, P: 4, Q: 4, R: 3, S: 3}), Stride: [2]int{2, 2}, Dilation: ones2, Bits: w16, Density: 1},
			// 1-D: 3·(7−1) + 3 − 1 = 20.
			{Name: "up1d", Kind: workload.Conv, Shape: shapeOf(map[workload.Dim]int{M: 2, C: 4, Q: 7, S: 3}), Stride: [2]int{1, 3}, Dilation: ones2, Bits: w16, Density: 1},
			{Name: "probe1d", Kind: workload.Pointwise, Shape: shapeOf(map[workload.Dim]int{C: 4, Q: 20}), Stride: ones2, Dilation: ones2, Bits: w16, Density: 1, From: []string{"up1d"}},
			{Name: "probe", Kind: workload.Pointwise, Shape: shapeOf(map[workload.Dim]int{C: 2, P: 8, Q: 9}), Stride: ones2, Dilation: ones2, Bits: w16, Density: 1, From: []string{"up"}},
		},
	}, {
		// auto_pad VALID ignores the pads: the output is the full
		// (4−1)·2 + (3−1) + 1 = 9.
		name: "convtranspose auto_pad VALID",
		build: func() *onnx.Model {
			m, g := model(1, 2, 4, 4)
			g.AddNode("ConvTranspose", []string{"x", weight(g, "w", 0, 2, 2, 3, 3)}, []string{"y"},
				onnx.IntsAttr("strides", 2, 2), onnx.IntsAttr("pads", 1, 1, 1, 1), onnx.StringAttr("auto_pad", "VALID")).Name = "up"
			probeConv(g, "y", 2)
			return m
		},
		want: []layerWant{
			{Name: "up", Kind: workload.Conv, Shape: shapeOf(map[workload.Dim]int{M: 2, C: 2, P: 4, Q: 4, R: 3, S: 3}), Stride: [2]int{2, 2}, Dilation: ones2, Bits: w16, Density: 1},
			{Name: "probe", Kind: workload.Pointwise, Shape: shapeOf(map[workload.Dim]int{C: 2, P: 9, Q: 9}), Stride: ones2, Dilation: ones2, Bits: w16, Density: 1, From: []string{"up"}},
		},
	}, {
		name: "einsum attention scores and context",
		build: func() *onnx.Model {
			m, g := model(2, 4, 5, 8) // q [b, h, i, d]
			g.AddInput("k", onnx.Float, 2, 4, 6, 8)
			g.AddInput("v", onnx.Float, 2, 4, 6, 8)
			g.AddNode("Einsum", []string{"x", "k"}, []string{"s"}, onnx.StringAttr("equation", "bhid,bhjd->bhij")).Name = "qk"
			g.AddNode("Einsum", []string{"s", "v"}, []string{"o"}, onnx.StringAttr("equation", "bhij, bhjd -> bhid")).Name = "sv"
			g.AddNode("Einsum", []string{"o", weight(g, "wo", 4, 8, 3)}, []string{"y"}, onnx.StringAttr("equation", "bhid,df->bhif")).Name = "proj"
			return m
		},
		want: []layerWant{
			{Name: "qk", Kind: workload.MatMul, Shape: shapeOf(map[workload.Dim]int{G: 8, M: 6, C: 8, P: 5}), Stride: ones2, Dilation: ones2, Bits: w16, Density: 1},
			{Name: "sv", Kind: workload.MatMul, Shape: shapeOf(map[workload.Dim]int{G: 8, M: 8, C: 6, P: 5}), Stride: ones2, Dilation: ones2, Bits: w16, Density: 1, From: []string{"qk"}},
			// A constant second operand is the weights of a GEMM: N = b, P = h·i.
			{Name: "proj", Kind: workload.GEMM, Shape: shapeOf(map[workload.Dim]int{N: 2, M: 3, C: 8, P: 20}), Stride: ones2, Dilation: ones2, Bits: w16, Density: 0.75, From: []string{"sv"}},
		},
		macs: 2*4*5*6*8 + 2*4*5*8*6 + 2*4*5*8*3,
	}, {
		name: "einsum matrix forms, implicit output, ellipsis",
		build: func() *onnx.Model {
			m, g := model(3, 4, 5)
			g.AddInput("b", onnx.Float, 3, 5, 6)
			g.AddInput("e", onnx.Float, 2, 3, 4, 5)
			g.AddInput("f", onnx.Float, 2, 3, 5, 7)
			g.AddNode("Einsum", []string{"x", "b"}, []string{"y1"}, onnx.StringAttr("equation", "bij,bjk->bik")).Name = "bmm"
			g.AddNode("Einsum", []string{"y1", weight(g, "w", 0, 6, 2)}, []string{"y2"}, onnx.StringAttr("equation", "bij,jk")).Name = "implicit"
			g.AddNode("Einsum", []string{"e", "f"}, []string{"y3"}, onnx.StringAttr("equation", "...ij,...jk->...ik")).Name = "ellipsis"
			g.AddNode("Einsum", []string{"x", weight(g, "wt", 0, 2, 5)}, []string{"y4"}, onnx.StringAttr("equation", "bij,kj->bik")).Name = "transposed"
			// A constant first operand (W·x): columns b and k of the second.
			g.AddNode("Einsum", []string{weight(g, "wl", 2, 7, 4), "x"}, []string{"y5"}, onnx.StringAttr("equation", "ij,bjk->bik")).Name = "left"
			return m
		},
		want: []layerWant{
			{Name: "bmm", Kind: workload.MatMul, Shape: shapeOf(map[workload.Dim]int{G: 3, M: 6, C: 5, P: 4}), Stride: ones2, Dilation: ones2, Bits: w16, Density: 1},
			{Name: "implicit", Kind: workload.GEMM, Shape: shapeOf(map[workload.Dim]int{N: 3, M: 2, C: 6, P: 4}), Stride: ones2, Dilation: ones2, Bits: w16, Density: 1, From: []string{"bmm"}},
			{Name: "ellipsis", Kind: workload.MatMul, Shape: shapeOf(map[workload.Dim]int{G: 6, M: 7, C: 5, P: 4}), Stride: ones2, Dilation: ones2, Bits: w16, Density: 1},
			{Name: "transposed", Kind: workload.GEMM, Shape: shapeOf(map[workload.Dim]int{N: 3, M: 2, C: 5, P: 4}), Stride: ones2, Dilation: ones2, Bits: w16, Density: 1},
			{Name: "left", Kind: workload.GEMM, Shape: shapeOf(map[workload.Dim]int{N: 3, M: 7, C: 4, P: 5}), Stride: ones2, Dilation: ones2, Bits: w16, Density: 0.5},
		},
		macs: 3*4*5*6 + 3*4*6*2 + 2*3*4*5*7 + 3*4*5*2 + 7*4*3*5,
	}, {
		// Bidirectional LSTM: seq 5, batch 2, input 3, hidden 4.
		name: "lstm bidirectional",
		build: func() *onnx.Model {
			m, g := model(5, 2, 3)
			g.AddNode("LSTM", []string{"x", weight(g, "W", 0, 2, 16, 3), weight(g, "R", 4, 2, 16, 4)}, []string{"Y", "Y_h"},
				onnx.IntAttr("hidden_size", 4), onnx.StringAttr("direction", "bidirectional")).Name = "lstm"
			// Y [seq, dirs, batch, hidden] = [5, 2, 2, 4].
			g.AddNode("MatMul", []string{"Y", weight(g, "head", 0, 4, 3)}, []string{"z"}).Name = "head"
			return m
		},
		want: append(append([]layerWant{
			{Name: "lstm/input", Kind: workload.GEMM, Shape: shapeOf(map[workload.Dim]int{N: 2, P: 5, C: 3, M: 32}), Stride: ones2, Dilation: ones2, Bits: w16, Density: 1}},
			steps("lstm", 5, shapeOf(map[workload.Dim]int{N: 2, G: 2, C: 4, M: 16}), 0.75)...),
			layerWant{Name: "head", Kind: workload.GEMM, Shape: shapeOf(map[workload.Dim]int{N: 5, P: 4, C: 4, M: 3}), Stride: ones2, Dilation: ones2, Bits: w16, Density: 1,
				From: []string{"lstm/step0", "lstm/step1", "lstm/step2", "lstm/step3", "lstm/step4"}}),
		// 4 gates × (input + hidden) × hidden × batch per step per direction.
		macs: 4*(3+4)*4*2*5*2 + 5*2*2*4*3,
	}, {
		// GRU, batch first (layout 1), forward: batch 3, seq 2, input 5,
		// hidden 6; Y_h [batch, dirs, hidden].
		name: "gru layout 1",
		build: func() *onnx.Model {
			m, g := model(3, 2, 5)
			g.AddNode("GRU", []string{"x", weight(g, "W", 0, 1, 18, 5), weight(g, "R", 0, 1, 18, 6), weight(g, "B", 0, 1, 36)}, []string{"", "Y_h"},
				onnx.IntAttr("hidden_size", 6), onnx.IntAttr("layout", 1), onnx.IntAttr("linear_before_reset", 1))
			g.AddNode("MatMul", []string{"Y_h", weight(g, "head", 0, 6, 2)}, []string{"z"}).Name = "head"
			return m
		},
		want: append(append([]layerWant{
			{Name: "Y_h/input", Kind: workload.GEMM, Shape: shapeOf(map[workload.Dim]int{N: 3, P: 2, C: 5, M: 18}), Stride: ones2, Dilation: ones2, Bits: w16, Density: 1}},
			steps("Y_h", 2, shapeOf(map[workload.Dim]int{N: 3, C: 6, M: 18}), 1)...),
			layerWant{Name: "head", Kind: workload.GEMM, Shape: shapeOf(map[workload.Dim]int{N: 3, P: 1, C: 6, M: 2}), Stride: ones2, Dilation: ones2, Bits: w16, Density: 1,
				From: []string{"Y_h/step1"}}),
		macs: 3*(5+6)*6*3*2 + 3*6*2,
	}, {
		// QLinearConv: uint8 activations, int8 weights whose zero point is
		// 1; every third weight equals it (density 2/3).
		name: "qlinearconv and qlinearmatmul",
		build: func() *onnx.Model {
			m, g := model()
			g.Inputs = nil
			g.AddInput("x", onnx.Uint8, 1, 2, 5, 5)
			scalar := func(name string, dt onnx.DataType, v float32) string {
				t := &onnx.Tensor{Name: name, DataType: dt, Dims: []int64{}}
				if dt.IsFloat() {
					t.Floats = []float32{v}
				} else {
					t.Ints = []int64{int64(v)}
				}
				g.Initializers = append(g.Initializers, t)
				return name
			}
			wq := make([]int64, 4*2*3*3)
			for i := range wq {
				wq[i] = int64(i%3) + 1 // 1, 2, 3, ...: a third are the zero point
			}
			g.Initializers = append(g.Initializers, &onnx.Tensor{Name: "w", DataType: onnx.Int8, Dims: []int64{4, 2, 3, 3}, Ints: wq})
			g.AddNode("QLinearConv", []string{"x", scalar("xs", onnx.Float, 0.1), scalar("xz", onnx.Uint8, 128), "w", scalar("ws", onnx.Float, 0.05),
				scalar("wz", onnx.Int8, 1), scalar("ys", onnx.Float, 0.2), scalar("yz", onnx.Int8, 0)}, []string{"y"}, onnx.IntsAttr("pads", 1, 1, 1, 1)).Name = "qc"
			g.AddInt64Initializer("flat", []int64{2}, []int64{1, 100})
			g.AddNode("Reshape", []string{"y", "flat"}, []string{"f"})
			// Per-column zero points [0, 5]: column 1 is all 5 (zero),
			// column 0 alternates 1 and 0: a quarter are nonzero.
			bq := make([]int64, 200)
			for i := range bq {
				bq[i] = int64(5 * (i % 2))
				if i%4 == 0 {
					bq[i] = 1
				}
			}
			g.Initializers = append(g.Initializers, &onnx.Tensor{Name: "b", DataType: onnx.Uint8, Dims: []int64{100, 2}, Ints: bq},
				&onnx.Tensor{Name: "bz", DataType: onnx.Uint8, Dims: []int64{2}, Ints: []int64{0, 5}})
			g.AddNode("QLinearMatMul", []string{"f", "ys", "yz", "b", "ws", "bz", "xs", "xz"}, []string{"z"}).Name = "qm"
			return m
		},
		want: []layerWant{
			{Name: "qc", Kind: workload.Conv, Shape: shapeOf(map[workload.Dim]int{M: 4, C: 2, P: 5, Q: 5, R: 3, S: 3}), Stride: ones2, Dilation: ones2, Bits: [3]int{8, 8, 8}, Density: 2.0 / 3},
			{Name: "qm", Kind: workload.FC, Shape: shapeOf(map[workload.Dim]int{N: 1, C: 100, M: 2}), Stride: ones2, Dilation: ones2, Bits: [3]int{8, 8, 8}, Density: 0.25, From: []string{"qc"}},
		},
	}, {
		// QDQ: int8 weights through DequantizeLinear, activations through
		// QuantizeLinear/DequantizeLinear; an FP16 MatMul after.
		name: "qdq and fp16",
		build: func() *onnx.Model {
			m, g := model(1, 2, 4, 4)
			g.Initializers = append(g.Initializers,
				&onnx.Tensor{Name: "s", DataType: onnx.Float, Dims: []int64{}, Floats: []float32{0.5}},
				&onnx.Tensor{Name: "z", DataType: onnx.Int8, Dims: []int64{}, Ints: []int64{0}},
				&onnx.Tensor{Name: "wq", DataType: onnx.Int8, Dims: []int64{3, 2, 1, 1}, Ints: []int64{0, 1, 2, 0, 3, 4}},
				&onnx.Tensor{Name: "ws", DataType: onnx.Float, Dims: []int64{3}, Floats: []float32{1, 2, 3}},
				&onnx.Tensor{Name: "h", DataType: onnx.Float16, Dims: []int64{48, 5}, Floats: filled(240, 0)})
			g.AddNode("QuantizeLinear", []string{"x", "s", "z"}, []string{"xq"})
			g.AddNode("DequantizeLinear", []string{"xq", "s", "z"}, []string{"xd"})
			g.AddNode("DequantizeLinear", []string{"wq", "ws"}, []string{"wd"}, onnx.IntAttr("axis", 0))
			g.AddNode("Conv", []string{"xd", "wd"}, []string{"y"}).Name = "c"
			g.AddInt64Initializer("flat", []int64{2}, []int64{1, 48})
			g.AddNode("Reshape", []string{"y", "flat"}, []string{"f"})
			g.AddNode("Cast", []string{"f"}, []string{"f16"}, onnx.IntAttr("to", int64(onnx.Float16)))
			g.AddNode("MatMul", []string{"f16", "h"}, []string{"o"}).Name = "fc"
			return m
		},
		want: []layerWant{
			{Name: "c", Kind: workload.Pointwise, Shape: shapeOf(map[workload.Dim]int{M: 3, C: 2, P: 4, Q: 4}), Stride: ones2, Dilation: ones2, Bits: [3]int{8, 8, 8}, Density: 4.0 / 6},
			{Name: "fc", Kind: workload.FC, Shape: shapeOf(map[workload.Dim]int{C: 48, M: 5}), Stride: ones2, Dilation: ones2, Bits: [3]int{16, 16, 16}, Density: 1, From: []string{"c"}},
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			net, err := wonnx.Import(tc.build(), 0)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, gotLayers(net)); diff != "" {
				t.Errorf("layers (-want +got):\n%s", diff)
			}
			if tc.macs != 0 {
				var total int64
				for _, l := range net.Layers {
					total += l.MACs()
				}
				if total != tc.macs {
					t.Errorf("%d MACs, want %d", total, tc.macs)
				}
			}
		})
	}
}

// steps returns the recurrent step layers "<node>/step<t>" of an RNN node.
func steps(node string, n int, shape workload.Shape, density float64) []layerWant {
	var ws []layerWant
	for t := range n {
		from := []string{node + "/input"}
		if t > 0 {
			from = append(from, node+"/step"+string(rune('0'+t-1)))
		}
		ws = append(ws, layerWant{Name: node + "/step" + string(rune('0'+t)), Kind: workload.GEMM, Shape: shape, Stride: ones2, Dilation: ones2, Bits: w16, Density: density, From: from})
	}
	return ws
}

func TestMoreOpErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		build func() *onnx.Model
		err   string
	}{{
		name: "einsum diagonal",
		build: func() *onnx.Model {
			m, g := model(4, 4)
			g.AddNode("Einsum", []string{"x", weight(g, "w", 0, 4, 3)}, []string{"y"}, onnx.StringAttr("equation", "ii,ij->ij")).Name = "e"
			return m
		},
		err: `onnx: m.onnx: node "e" (Einsum): equation "ii,ij->ij" is not supported: letter 'i' repeats in term "ii" (a diagonal) (supported: two operands`,
	}, {
		name: "einsum one operand",
		build: func() *onnx.Model {
			m, g := model(4, 4)
			g.AddNode("Einsum", []string{"x"}, []string{"y"}, onnx.StringAttr("equation", "ij->ji")).Name = "e"
			return m
		},
		err: `onnx: m.onnx: node "e" (Einsum): equation "ij->ji" is not supported: it has 1 operands (supported: two operands`,
	}, {
		name: "einsum sum over one operand",
		build: func() *onnx.Model {
			m, g := model(4, 5)
			g.AddNode("Einsum", []string{"x", weight(g, "w", 0, 5, 3)}, []string{"y"}, onnx.StringAttr("equation", "ij,jk->k")).Name = "e"
			return m
		},
		err: `onnx: m.onnx: node "e" (Einsum): equation "ij,jk->k" is not supported: letter 'i' is summed over the first operand alone`,
	}, {
		name: "convtranspose output_padding",
		build: func() *onnx.Model {
			m, g := model(1, 2, 4, 4)
			g.AddNode("ConvTranspose", []string{"x", weight(g, "w", 0, 2, 2, 3, 3)}, []string{"y"},
				onnx.IntsAttr("strides", 2, 2), onnx.IntsAttr("output_padding", 2, 0)).Name = "up"
			return m
		},
		err: `onnx: m.onnx: node "up" (ConvTranspose): attribute "output_padding": [2 0]: each value must be at least 0 and less than its stride or dilation`,
	}, {
		name: "convtranspose unknown auto_pad with output_shape",
		build: func() *onnx.Model {
			m, g := model(1, 2, 4, 4)
			g.AddNode("ConvTranspose", []string{"x", weight(g, "w", 0, 2, 2, 3, 3)}, []string{"y"},
				onnx.IntsAttr("strides", 2, 2), onnx.IntsAttr("output_shape", 8, 8), onnx.StringAttr("auto_pad", "SAME")).Name = "up"
			return m
		},
		err: `onnx: m.onnx: node "up" (ConvTranspose): attribute "auto_pad": unknown value "SAME"`,
	}, {
		name: "lstm weights",
		build: func() *onnx.Model {
			m, g := model(5, 2, 3)
			g.AddNode("LSTM", []string{"x", weight(g, "W", 0, 1, 12, 3), weight(g, "R", 0, 1, 16, 4)}, []string{"Y"}, onnx.IntAttr("hidden_size", 4)).Name = "lstm"
			return m
		},
		err: `onnx: m.onnx: node "lstm" (LSTM): weights "W" have shape [1 12 3], want [1 16 3]`,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := wonnx.Import(tc.build(), 0)
			if err == nil || !strings.HasPrefix(err.Error(), tc.err) {
				t.Errorf("got error\n%v\nwant prefix\n%s", err, tc.err)
			}
		})
	}
}

// TestCheckerAcceptsMoreOps: the hand-built models of the new ops are
// valid ONNX, as the reference checker sees them.
func TestCheckerAcceptsMoreOps(t *testing.T) {
	m, g := model(1, 4, 5, 5)
	m.Opsets = []onnx.Opset{{Domain: "", Version: 13}}
	g.AddNode("ConvTranspose", []string{"x", weight(g, "w", 0, 4, 3, 3, 3)}, []string{"y"},
		onnx.IntAttr("group", 2), onnx.IntsAttr("strides", 2, 2), onnx.IntsAttr("pads", 1, 1, 1, 1),
		onnx.IntsAttr("output_padding", 1, 1)).Name = "up"
	g.AddInitializer("scales", []int64{4}, []float32{1, 1, 2, 2})
	g.AddNode("Resize", []string{"y", "", "scales"}, []string{"r"})
	g.AddInt64Initializer("shape", []int64{3}, []int64{20, 1, 120})
	g.AddNode("Reshape", []string{"r", "shape"}, []string{"s"})
	g.AddNode("LSTM", []string{"s", weight(g, "W", 0, 2, 16, 120), weight(g, "R", 4, 2, 16, 4)}, []string{"Y", "Y_h"},
		onnx.IntAttr("hidden_size", 4), onnx.StringAttr("direction", "bidirectional")).Name = "lstm"
	g.AddNode("Einsum", []string{"Y_h", weight(g, "e", 0, 4, 3)}, []string{"z"}, onnx.StringAttr("equation", "dbh,hk->dbk"))
	g.AddOutput("z", onnx.Float, 2, 1, 3)
	g.AddOutput("Y", onnx.Float, 20, 2, 1, 4)
	onnxtest.Check(t, m)
	if _, err := wonnx.Import(m, 0); err != nil {
		t.Error(err)
	}
}
