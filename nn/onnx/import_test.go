package onnx_test

import (
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nnergy/nnergy/nn"
	nnonnx "github.com/nnergy/nnergy/nn/onnx"
	"github.com/nnergy/nnergy/onnx"
	"github.com/nnergy/nnergy/onnx/onnxtest"
)

// builder builds ONNX graphs by hand for the import tests.
type builder struct {
	m   *onnx.Model
	g   *onnx.Graph
	rng *rand.Rand
}

// newBuilder starts a model of the given opset whose input "x" has shape
// [N, shape...] with a symbolic N, or the given shape when batch > 0.
func newBuilder(opset int64, batch int64, shape ...int64) *builder {
	m := onnx.NewModel("test")
	m.Opsets[0].Version = opset
	v := onnx.ValueInfo{Name: "x", DataType: onnx.Float, Shape: append([]int64{batch}, shape...)}
	if batch < 1 {
		v.Shape[0] = -1
		v.Params = make([]string, len(v.Shape))
		v.Params[0] = "N"
	}
	m.Graph.Inputs = append(m.Graph.Inputs, v)
	return &builder{m: m, g: m.Graph, rng: rand.New(rand.NewPCG(uint64(opset), uint64(len(shape))))}
}

// w adds a random float initializer in [lo, hi) and returns its name.
func (b *builder) w(name string, lo, hi float32, dims ...int64) string {
	n := int64(1)
	for _, d := range dims {
		n *= d
	}
	v := make([]float32, n)
	for i := range v {
		v[i] = lo + (hi-lo)*b.rng.Float32()
	}
	b.g.AddInitializer(name, dims, v)
	return name
}

// ints adds an INT64 initializer and returns its name.
func (b *builder) ints(name string, v ...int64) string {
	b.g.AddInt64Initializer(name, []int64{int64(len(v))}, v)
	return name
}

// scalar adds a scalar float initializer and returns its name.
func (b *builder) scalar(name string, v float32) string {
	b.g.AddInitializer(name, []int64{}, []float32{v})
	return name
}

// node adds a node named after its one output and returns the output.
func (b *builder) node(op, out string, in []string, attrs ...onnx.Attribute) string {
	b.g.AddNode(op, in, []string{out}, attrs...).Name = out
	return out
}

// output declares the graph output, of shape [N, ?].
func (b *builder) output(name string) *onnx.Model {
	b.g.Outputs = append(b.g.Outputs, onnx.ValueInfo{Name: name, DataType: onnx.Float, Shape: []int64{-1, -1}, Params: []string{"N", ""}})
	return b.m
}

func ia(name string, v ...int64) onnx.Attribute { return onnx.IntsAttr(name, v...) }
func i1(name string, v int64) onnx.Attribute    { return onnx.IntAttr(name, v) }

// importCases are hand-written graphs with what PyTorch and other
// exporters emit; ONNX Runtime on the graph is the reference.
var importCases = []struct {
	name  string
	batch int
	build func() *onnx.Model
}{
	{"gemm-matmul", 3, func() *onnx.Model {
		b := newBuilder(13, -1, 6)
		y := b.node("Gemm", "gemm", []string{"x", b.w("B", -1, 1, 6, 4), b.w("C", -1, 1, 1, 4)},
			onnx.FloatAttr("alpha", 0.5), onnx.FloatAttr("beta", 2), i1("transB", 0))
		y = b.node("Relu", "relu", []string{y})
		y = b.node("MatMul", "mm", []string{y, b.w("M", -1, 1, 4, 5)})
		y = b.node("Add", "mm_bias", []string{b.w("mb", -1, 1, 5), y})
		y = b.node("Clip", "relu6", []string{y, b.scalar("zero", 0), b.scalar("six", 0.5)})
		y = b.node("Gemm", "fc", []string{y, b.w("W", -1, 1, 3, 5), b.scalar("c", 0.25)}, i1("transB", 1))
		return b.output(y)
	}},
	{"conv-auto-pad-bias", 2, func() *onnx.Model {
		b := newBuilder(13, -1, 2, 8, 7)
		y := b.node("Conv", "c1", []string{"x", b.w("w1", -0.5, 0.5, 4, 2, 3, 3)},
			onnx.StringAttr("auto_pad", "SAME_UPPER"), ia("strides", 2, 2))
		y = b.node("Add", "c1_bias", []string{y, b.w("b1", -1, 1, 1, 4, 1, 1)})
		y = b.node("Relu", "r1", []string{y})
		y = b.node("Conv", "c2", []string{y, b.w("w2", -0.5, 0.5, 4, 4, 2, 2)}, onnx.StringAttr("auto_pad", "SAME_LOWER"))
		y = b.node("Conv", "c3", []string{y, b.w("w3", -0.5, 0.5, 3, 4, 1, 1), b.w("b3", -1, 1, 3)}, onnx.StringAttr("auto_pad", "VALID"))
		y = b.node("Flatten", "flat", []string{y})
		y = b.node("Gemm", "fc", []string{y, b.w("W", -0.2, 0.2, 4, 3*4*4), b.w("c", -1, 1, 4)}, i1("transB", 1))
		return b.output(y)
	}},
	{"pad-pool-concat", 2, func() *onnx.Model {
		b := newBuilder(13, -1, 3, 8, 8)
		a := b.node("Pad", "pad_a", []string{"x", b.ints("pads_a", 0, 0, 1, 2, 0, 0, 2, 1)})
		a = b.node("Conv", "conv_a", []string{a, b.w("wa", -0.5, 0.5, 4, 3, 3, 3), b.w("ba", -1, 1, 4)})
		a = b.node("Flatten", "flat_a", []string{a}, i1("axis", -3))
		p := b.node("Pad", "pad_b", []string{"x", b.ints("pads_b", 0, 0, 1, 1, 0, 0, 1, 1), b.scalar("fill", 0)}, onnx.StringAttr("mode", "constant"))
		p = b.node("AveragePool", "avg_b", []string{p}, ia("kernel_shape", 3, 3), ia("strides", 2, 2))
		p = b.node("Flatten", "flat_b", []string{p})
		c := b.node("MaxPool", "max_c", []string{"x"}, ia("kernel_shape", 3, 3), ia("strides", 2, 2), ia("pads", 1, 1, 1, 1), i1("ceil_mode", 1))
		c = b.node("AveragePool", "avg_c", []string{c}, ia("kernel_shape", 2, 2), ia("pads", 0, 0, 1, 1), i1("count_include_pad", 0))
		c = b.node("GlobalAveragePool", "gap_c", []string{c})
		c = b.node("Flatten", "flat_c", []string{c})
		y := b.node("Concat", "cat", []string{a, p, c}, i1("axis", -1))
		y = b.node("Reshape", "same", []string{y, b.ints("shape", 0, -1)})
		y = b.node("Gemm", "fc", []string{y, b.w("W", -0.1, 0.1, 5, 4*9*9+3*4*4+3), b.w("c", -1, 1, 5)}, i1("transB", 1))
		return b.output(y)
	}},
	{"static-batch-reshape", 2, func() *onnx.Model {
		b := newBuilder(13, 2, 3, 4, 4)
		x := b.node("Reshape", "noop", []string{"x", b.ints("s0", 0, 3, 4, 4)})
		y := b.node("Conv", "conv", []string{x, b.w("w", -0.5, 0.5, 3, 3, 1, 1)})
		y = b.node("BatchNormalization", "bn", []string{y, b.w("g", 0.5, 1.5, 3), b.w("be", -1, 1, 3), b.w("mu", -1, 1, 3), b.w("var", 0.5, 1.5, 3)},
			onnx.FloatAttr("epsilon", 1e-3))
		id := b.node("Identity", "id", []string{y})
		y = b.node("Sum", "sum", []string{y, id, x})
		f := b.node("Reshape", "flat", []string{y, b.ints("s1", 2, -1)})
		g := b.node("Reshape", "flat2", []string{x, b.ints("s2", -1, 48)})
		y = b.node("Concat", "cat", []string{f, g}, i1("axis", 1))
		y = b.node("BatchNormalization", "bn_f", []string{y, b.w("g2", 0.5, 1.5, 96), b.w("be2", -1, 1, 96), b.w("mu2", -1, 1, 96), b.w("var2", 0.5, 1.5, 96)})
		y = b.node("Dropout", "drop", []string{y, b.scalar("ratio", 0.2)})
		y = b.node("Gemm", "fc", []string{y, b.w("W", -0.2, 0.2, 5, 96)}, i1("transB", 1))
		return b.output(y)
	}},
	{"opset-10", 2, func() *onnx.Model {
		b := newBuilder(10, -1, 2, 6, 6)
		y := b.node("Conv", "conv", []string{"x", b.w("w", -0.5, 0.5, 4, 2, 3, 3), b.w("b", -1, 1, 4)}, ia("kernel_shape", 3, 3))
		y = b.node("Clip", "relu6", []string{y}, onnx.FloatAttr("min", 0), onnx.FloatAttr("max", 0.6))
		y = b.node("Dropout", "drop", []string{y}, onnx.FloatAttr("ratio", 0.3))
		s := b.node("Shape", "shape", []string{y})
		n := b.node("Gather", "batch", []string{s, b.ints("zero", 0)})
		n = b.node("Unsqueeze", "batch1", []string{n}, ia("axes", 1))
		n = b.node("Squeeze", "batch0", []string{n}, ia("axes", 1))
		rest := b.node("Slice", "rest", []string{s, b.ints("one", 1), b.ints("two", 2)})
		t := b.node("Concat", "target", []string{b.ints("minus1", -1), rest, n}, i1("axis", 0))
		t = b.node("Slice", "target2", []string{t, b.ints("from", -1), b.ints("to", -10), b.ints("axis0", 0), b.ints("back", -2)})
		y = b.node("Reshape", "flat", []string{y, t})
		y = b.node("Gemm", "fc", []string{y, b.w("W", -0.2, 0.2, 3, 64), b.w("c", -1, 1, 3)}, i1("transB", 1))
		return b.output(y)
	}},
	{"activations-opset14", 2, func() *onnx.Model {
		b := newBuilder(14, -1, 3, 5, 5)
		y := b.node("Conv", "conv", []string{"x", b.w("w", -0.5, 0.5, 4, 3, 3, 3), b.w("b", -1, 1, 4)}, ia("pads", 1, 1, 1, 1))
		y = b.node("HardSwish", "hswish", []string{y})
		g := b.node("GlobalAveragePool", "gap", []string{y})
		g = b.node("HardSigmoid", "gate", []string{g}, onnx.FloatAttr("alpha", 0.3), onnx.FloatAttr("beta", 0.4))
		y = b.node("Mul", "se", []string{g, y})
		y = b.node("LeakyRelu", "leaky", []string{y}, onnx.FloatAttr("alpha", 0.2))
		y = b.node("Sub", "centre", []string{b.scalar("half", 0.5), y})
		y = b.node("Tanh", "tanh", []string{y})
		y = b.node("Add", "bias_img", []string{y, b.w("cb", -1, 1, 4, 1, 1)})
		y = b.node("Mul", "scale_img", []string{b.w("cs", 0.5, 1.5, 1, 4, 5, 5), y})
		s := b.node("Sigmoid", "sig", []string{y})
		y = b.node("Mul", "silu", []string{y, s})
		y = b.node("Flatten", "flat", []string{y})
		y = b.node("Gemm", "fc", []string{y, b.w("W", -0.2, 0.2, 6, 100)}, i1("transB", 1))
		y = b.node("Div", "div", []string{y, b.scalar("two", 2)})
		y = b.node("Softmax", "softmax", []string{y}, i1("axis", 1))
		return b.output(y)
	}},
	{"bias-read-twice", 2, func() *onnx.Model {
		b := newBuilder(13, -1, 4)
		y := b.node("MatMul", "mm", []string{"x", b.w("w", 0, 1, 4, 4)})
		z := b.node("Add", "bias", []string{y, b.w("c", 0, 1, 4)})
		return b.output(b.node("Add", "res", []string{y, z}))
	}},
	{"tokens-attention", 2, func() *onnx.Model {
		b := newBuilder(17, -1, 4, 3, 3)
		y := b.node("Reshape", "tokens", []string{"x", b.ints("s", 0, 2, -1)}) // [N 2 18]
		y = b.node("Transpose", "t", []string{y}, ia("perm", 1, 0, 2))         // [2 N 18]
		y = b.node("MatMul", "proj", []string{y, b.w("P", -0.3, 0.3, 18, 12)})
		y = b.node("Add", "proj_bias", []string{y, b.w("pb", -1, 1, 12)})
		q := b.node("Slice", "q", []string{y, b.ints("q0", 0), b.ints("q1", 6), b.ints("ax", -1)})
		k := b.node("Slice", "k", []string{y, b.ints("k0", 6), b.ints("k1", 12), b.ints("ax2", 2)})
		q = b.node("Transpose", "qt", []string{q}, ia("perm", 1, 0, 2)) // [N 2 6]
		k = b.node("Transpose", "kt", []string{k}, ia("perm", 1, 2, 0)) // [N 6 2]
		a := b.node("MatMul", "scores", []string{q, k})                 // [N 2 2]
		a = b.node("Softmax", "attn", []string{a}, i1("axis", -1))
		v := b.node("Transpose", "v", []string{y}, ia("perm", 1, 0, 2)) // [N 2 12]
		y = b.node("MatMul", "mix", []string{a, v})                     // [N 2 12]
		y = b.node("LayerNormalization", "ln", []string{y, b.w("g", 0.5, 1.5, 12), b.w("be", -1, 1, 12)}, onnx.FloatAttr("epsilon", 1e-3))
		y = b.node("ReduceMean", "mean", []string{y}, ia("axes", 1), i1("keepdims", 0))
		y = b.node("Gemm", "fc", []string{y, b.w("W", -0.5, 0.5, 3, 12)}, i1("transB", 1))
		return b.output(y)
	}},
	{"pad-anywhere", 2, func() *onnx.Model {
		b := newBuilder(13, -1, 3, 4, 4)
		p := b.node("Pad", "pad", []string{"x", b.ints("p", 0, 0, 1, 1, 0, 0, 1, 1)})
		m := b.node("MaxPool", "pool", []string{p}, ia("kernel_shape", 2, 2))                               // 3x5x5
		c := b.node("Pad", "pad_c", []string{m, b.ints("pc", 0, 1, 0, 2, 0, 2, 1, 0), b.scalar("v", -0.5)}) // 6x6x7
		y := b.node("Relu", "relu", []string{c})
		y = b.node("Flatten", "flat", []string{y})
		y = b.node("Gemm", "fc", []string{y, b.w("W", -0.2, 0.2, 3, 6*6*7)}, i1("transB", 1))
		// Plus a constant made by ConstantOfShape from the output's shape.
		s := b.node("Shape", "shape", []string{y})
		s = b.node("Slice", "dims", []string{s, b.ints("one", 1), b.ints("two", 2)})
		c = b.node("ConstantOfShape", "ones", []string{s}, onnx.TensorAttr("value", onnx.NewFloatTensor("", []int64{1}, []float32{0.25})))
		return b.output(b.node("Add", "plus", []string{y, c}))
	}},
	{"identity-of-pad", 2, func() *onnx.Model {
		// The Conv absorbs the Pad through the Identity.
		b := newBuilder(13, -1, 2, 5, 5)
		p := b.node("Pad", "pad", []string{"x", b.ints("p", 0, 0, 1, 1, 0, 0, 1, 1)})
		p = b.node("Identity", "same", []string{p})
		y := b.node("Conv", "conv", []string{p, b.w("w", -0.5, 0.5, 3, 2, 3, 3)})
		y = b.node("Flatten", "flat", []string{y})
		return b.output(b.node("Gemm", "fc", []string{y, b.w("W", -0.2, 0.2, 4, 3*5*5)}, i1("transB", 1)))
	}},
	{"pad-then-same-conv", 2, func() *onnx.Model {
		// SAME_UPPER pads the 7×7 the Pad makes, not the 6×6 before it:
		// ONNX's Conv sees the padded input.
		b := newBuilder(13, -1, 2, 6, 6)
		p := b.node("Pad", "pad", []string{"x", b.ints("p", 0, 0, 1, 1, 0, 0, 0, 0)})
		y := b.node("Conv", "conv", []string{p, b.w("w", -0.5, 0.5, 3, 2, 3, 3)}, onnx.StringAttr("auto_pad", "SAME_UPPER"), ia("strides", 2, 2))
		y = b.node("Flatten", "flat", []string{y})
		return b.output(b.node("Gemm", "fc", []string{y, b.w("W", -0.2, 0.2, 2, 3*4*4)}, i1("transB", 1)))
	}},
	{"gelu-decomposed", 2, func() *onnx.Model {
		b := newBuilder(13, -1, 5)
		x := b.node("Gemm", "fc1", []string{"x", b.w("W1", -1, 1, 6, 5)}, i1("transB", 1))
		d := b.node("Div", "div", []string{x, b.scalar("sqrt2", 1.4142135)})
		e := b.node("Erf", "erf", []string{d})
		a := b.node("Add", "plus1", []string{b.scalar("one", 1), e})
		m := b.node("Mul", "mul", []string{a, x})
		y := b.node("Mul", "gelu", []string{b.scalar("half", 0.5), m})
		y = b.node("Gemm", "fc2", []string{y, b.w("W2", -1, 1, 3, 6)}, i1("transB", 1))
		return b.output(y)
	}},
	{"front-end-folds", 2, func() *onnx.Model {
		// Weights computed from constants by ops the engine has no layer
		// for: the front-end folds them.
		b := newBuilder(13, -1, 6)
		w := b.node("Transpose", "wt", []string{b.w("W", -1, 1, 6, 4)}, ia("perm", 1, 0))
		w = b.node("Neg", "wneg", []string{w})
		c := b.node("Reshape", "c", []string{b.w("c0", -1, 1, 2, 2), b.ints("four", 4)})
		y := b.node("Gemm", "fc", []string{"x", w, c}, i1("transB", 1))
		return b.output(y)
	}},
	{"gelu-opset20", 3, func() *onnx.Model {
		b := newBuilder(20, -1, 6)
		y := b.node("Gemm", "fc1", []string{"x", b.w("W1", -1, 1, 8, 6), b.w("c1", -1, 1, 8)}, i1("transB", 1))
		y = b.node("Gelu", "gelu", []string{y})
		e := b.node("Exp", "exp", []string{y})
		e = b.node("Sqrt", "sqrt", []string{e})
		y = b.node("Pow", "pow", []string{e, b.scalar("p", 3)})
		y = b.node("Erf", "erf", []string{y})
		y = b.node("Gemm", "fc2", []string{y, b.w("W2", -1, 1, 4, 8)}, i1("transB", 1))
		y = b.node("LogSoftmax", "logsoftmax", []string{y})
		return b.output(y)
	}},
}

// TestImportORT imports hand-written graphs and requires nnergy's outputs
// to equal ONNX Runtime's on the same graph within ortTol, and on the
// graph re-exported from the imported model.
func TestImportORT(t *testing.T) {
	for _, tc := range importCases {
		t.Run(tc.name, func(t *testing.T) {
			om := tc.build()
			if om.Opset("") <= 17 {
				// Debian's onnx 1.12 checker knows opsets up to 17.
				onnxtest.Check(t, om)
			}
			m, err := nnonnx.Import(om)
			if err != nil {
				t.Fatal(err)
			}
			x := randomInput(m, tc.batch, 9)
			got := forward(t, m, x)
			want := runORT(t, om, x)
			d := maxDiff(t, got, want)
			r := relDiff(t, got, want)
			t.Logf("max |nnergy - ORT| = %.3g over %d outputs (%.3g relative); layers: %s", d, len(want.Data), r, kinds(m))
			if d > ortTol || r > ortRel {
				t.Errorf("nnergy and ONNX Runtime differ by %.3g, %.3g relative (> %g, %g)", d, r, ortTol, ortRel)
			}
			back, err := nnonnx.Export(m)
			if err != nil {
				t.Fatal(err)
			}
			if d := maxDiff(t, runORT(t, back, x), want); d > ortTol {
				t.Errorf("ONNX Runtime on the re-exported model differs by %.3g", d)
			}
		})
	}
}

// TestImportFolds checks what the imported hand-written graphs become.
func TestImportFolds(t *testing.T) {
	want := map[string]string{
		// MatMul+Add is one linear layer, Clip without a Relu a ReLU6.
		"gemm-matmul": "linear relu linear relu linear",
		// The constant Add is the first conv's bias.
		"conv-auto-pad-bias": "conv relu conv conv flatten linear",
		// Pads go into the conv and pool; Reshape [0 -1] of [N F] is dropped.
		"pad-pool-concat": "conv flatten avgpool flatten maxpool avgpool globalavgpool flatten concat linear",
		// Identity and the no-op Reshape are dropped; Sum is an add.
		"static-batch-reshape": "conv batchnorm add flatten flatten concat batchnorm dropout linear",
		"opset-10":             "conv relu dropout flatten linear",
		// Sigmoid then Mul is one SiLU layer; constant Adds after a non-conv
		// layer and constant Muls are Binary layers.
		"activations-opset14": "conv act globalavgpool act binary act binary act binary binary act flatten linear binary softmax",
		"gelu-opset20":        "linear act act act act act linear softmax",
		// Div, Erf, Add, Mul, Mul in any operand order is one GELU.
		"gelu-decomposed": "linear act linear",
		// A Pad read through an Identity is still absorbed by the Conv.
		"identity-of-pad": "conv flatten linear",
		// The Pad goes into the Conv, whose own pads are SAME's for 7×7.
		"pad-then-same-conv": "conv flatten linear",
		// Transpose, Neg and Reshape of constants are folded into the weights.
		"front-end-folds": "linear",
		// A constant Add after a MatMul whose output is read elsewhere is
		// not its bias.
		"bias-read-twice": "linear binary add",
		// A zero Pad before MaxPool is a layer; so is a padding of the
		// channels with a value.
		"pad-anywhere": "pad maxpool pad relu flatten linear binary",
		// The general Reshape is a permute; the batch-mixing transposes are
		// views, and only the transposed key is laid out (a permute) for the
		// product of activations.
		"tokens-attention": "permute linear slice slice permute matmul softmax matmul layernorm reducemean linear",
	}
	for _, tc := range importCases {
		m, err := nnonnx.Import(tc.build())
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := kinds(m); got != want[tc.name] {
			t.Errorf("%s: layers %s\nwant %s", tc.name, got, want[tc.name])
		}
	}
	m, _ := nnonnx.Import(importCases[1].build())
	if c := m.Node("c1").Layer.(*nn.Conv); c.Bias == nil || c.Pad != [4]int{0, 1, 1, 1} {
		t.Errorf("c1: bias %v, pad %v", c.Bias, c.Pad)
	}
	if c := m.Node("c2").Layer.(*nn.Conv); c.Pad != [4]int{1, 1, 0, 0} {
		t.Errorf("c2: pad %v, want SAME_LOWER's [1 1 0 0]", c.Pad)
	}
	m, _ = nnonnx.Import(importCases[2].build())
	if c := m.Node("conv_a").Layer.(*nn.Conv); c.Pad != [4]int{1, 2, 2, 1} {
		t.Errorf("conv_a: pad %v", c.Pad)
	}
	if p := m.Node("avg_b").Layer.(*nn.AvgPool); p.Pad != [4]int{1, 1, 1, 1} || !p.CountPad {
		t.Errorf("avg_b: %+v", p)
	}
	m, _ = nnonnx.Import(importCases[4].build())
	if r := m.Node("relu6").Layer.(*nn.ReLU); r.Cap != 0.6 {
		t.Errorf("relu6: cap %v", r.Cap)
	}
	if d := m.Node("drop").Layer.(*nn.Dropout); d.Rate != 0.3 {
		t.Errorf("drop: rate %v", d.Rate)
	}
}

// TestImportUnsorted imports a graph whose nodes are not in topological
// order, as a graph built in memory may be: the layers come in another
// valid order and compute the same.
func TestImportUnsorted(t *testing.T) {
	om := importCases[2].build()
	want, err := nnonnx.Import(om)
	if err != nil {
		t.Fatal(err)
	}
	slices.Reverse(om.Graph.Nodes)
	got, err := nnonnx.Import(om)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Nodes) != len(want.Nodes) {
		t.Fatalf("unsorted graph imports as\n%s\nwant\n%s", describe(got), describe(want))
	}
	x := randomInput(want, 2, 1)
	if d := maxDiff(t, forward(t, got, x), forward(t, want, x)); d != 0 {
		t.Errorf("outputs differ by %g", d)
	}
	if om.Graph.Nodes[0].Name != "fc" {
		t.Error("Import reordered the caller's graph")
	}
}

// TestImportErrors pins the messages for what Import refuses.
// supportedOps is the list of operators Import names when it refuses one.
const supportedOps = "Add, AveragePool, BatchNormalization, Cast, Clip, Concat, Constant, ConstantOfShape, Conv, Div, Dropout, Erf, Exp, Flatten, Gather, Gelu, Gemm, GlobalAveragePool, HardSigmoid, HardSwish, Identity, LayerNormalization, LeakyRelu, LogSoftmax, MatMul, MaxPool, Mul, Pad, Pow, ReduceMean, Relu, Reshape, Shape, Sigmoid, Slice, Softmax, Sqrt, Squeeze, Sub, Sum, Tanh, Transpose, Unsqueeze"

func TestImportErrors(t *testing.T) {
	tests := []struct {
		name  string
		build func() *onnx.Model
		want  string
	}{
		{"unsupported op", func() *onnx.Model {
			b := newBuilder(13, -1, 4)
			return b.output(b.node("Elu", "elu", []string{"x"}))
		}, `onnx: node "elu" (Elu): op type Elu is not supported (supported: ` + supportedOps + `)`},
		{"other domain", func() *onnx.Model {
			b := newBuilder(13, -1, 4)
			b.g.AddNode("FusedGemm", []string{"x"}, []string{"y"}).Domain = "com.microsoft"
			return b.output("y")
		}, `onnx: node "y" (FusedGemm): op domain "com.microsoft" is not supported`},
		{"clip min", func() *onnx.Model {
			b := newBuilder(13, -1, 4)
			return b.output(b.node("Clip", "clip", []string{"x", b.scalar("lo", -1), b.scalar("hi", 6)}))
		}, `onnx: node "clip" (Clip): Clip to [-1, 6] is not supported (only min 0 and a positive max: ReLU, ReLU6)`},
		{"gemm transA", func() *onnx.Model {
			b := newBuilder(13, 2, 4)
			return b.output(b.node("Gemm", "fc", []string{"x", b.w("w", 0, 1, 2, 3)}, i1("transA", 1)))
		}, `onnx: node "fc" (Gemm): attribute "transA": a transposed activation is not supported`},
		{"gemm shape", func() *onnx.Model {
			b := newBuilder(13, -1, 4)
			return b.output(b.node("Gemm", "fc", []string{"x", b.w("w", 0, 1, 4, 2)}, i1("transB", 1)))
		}, `onnx: node "fc" (Gemm): A of shape [1 4] and B of shape [4 2] do not multiply (transA 0, transB 1)`},
		{"broadcast mismatch", func() *onnx.Model {
			b := newBuilder(13, -1, 4, 3, 3)
			g := b.node("MaxPool", "pool", []string{"x"}, ia("kernel_shape", 2, 2))
			return b.output(b.node("Add", "add", []string{"x", g}))
		}, `onnx: node "add" (Add): input shapes [[1 4 3 3] [1 4 2 2]] do not broadcast`},
		{"constant along the batch", func() *onnx.Model {
			b := newBuilder(13, -1, 4)
			return b.output(b.node("Mul", "mul", []string{"x", b.w("c", 0, 1, 2, 4)}))
		}, `onnx: node "mul" (Mul): constant of shape [2 4] varies along the batch dimension`},
		{"gelu tanh", func() *onnx.Model {
			b := newBuilder(20, -1, 4)
			return b.output(b.node("Gelu", "gelu", []string{"x"}, onnx.StringAttr("approximate", "tanh")))
		}, `onnx: node "gelu" (Gelu): attribute "approximate": only the exact form ("none") is supported, got "tanh"`},
		{"softmax over the batch", func() *onnx.Model {
			b := newBuilder(13, -1, 4)
			return b.output(b.node("Softmax", "sm", []string{"x"}, i1("axis", 0)))
		}, `onnx: node "sm" (Softmax): attribute "axis": axis 0 of an input of rank 2 is not supported (the batch axis or out of range)`},
		{"pow by a tensor", func() *onnx.Model {
			b := newBuilder(13, -1, 4)
			return b.output(b.node("Pow", "pow", []string{"x", b.w("e", 1, 2, 4)}))
		}, `onnx: node "pow" (Pow): exponent "e" must be a scalar constant, has shape [4]`},
		{"conv weight not constant", func() *onnx.Model {
			b := newBuilder(13, -1, 1, 3, 3)
			return b.output(b.node("Conv", "conv", []string{"x", "x"}))
		}, `onnx: node "conv" (Conv): input "x" must be a constant (an initializer or computed from constants)`},
		{"conv channels", func() *onnx.Model {
			b := newBuilder(13, -1, 2, 3, 3)
			return b.output(b.node("Conv", "conv", []string{"x", b.w("w", 0, 1, 4, 3, 1, 1)}))
		}, `onnx: node "conv" (Conv): weights of shape [4 3 1 1] with group 1 do not fit input of shape [1 2 3 3]`},
		{"conv kernel_shape", func() *onnx.Model {
			b := newBuilder(13, -1, 2, 3, 3)
			return b.output(b.node("Conv", "conv", []string{"x", b.w("w", 0, 1, 4, 2, 1, 1)}, ia("kernel_shape", 3, 3)))
		}, `onnx: node "conv" (Conv): attribute "kernel_shape" is [3 3] but the weights have kernel [1 1]`},
		{"conv pads", func() *onnx.Model {
			b := newBuilder(13, -1, 2, 3, 3)
			return b.output(b.node("Conv", "conv", []string{"x", b.w("w", 0, 1, 4, 2, 1, 1)}, ia("pads", 1, 1)))
		}, `onnx: node "conv" (Conv): attribute "pads": want 4 ints, got 2`},
		{"conv 1-d", func() *onnx.Model {
			b := newBuilder(13, -1, 2, 3)
			return b.output(b.node("Conv", "conv", []string{"x", b.w("w", 0, 1, 4, 2, 1)}))
		}, `onnx: graph input "x" must have shape [N C H W] or [N F], has [N 2 3]`},
		{"conv dilated kernel too large", func() *onnx.Model {
			b := newBuilder(13, -1, 1, 6, 3)
			return b.output(b.node("Conv", "conv", []string{"x", b.w("w", 0, 1, 1, 1, 3, 3)}, ia("dilations", 2, 2)))
		}, `onnx: node "conv" (Conv): kernel [3 3] with dilations [2 2] does not fit input of shape [1 1 6 3]`},
		{"reshape splitting the batch", func() *onnx.Model {
			b := newBuilder(13, -1, 4, 3, 3)
			return b.output(b.node("Reshape", "r", []string{"x", b.ints("s", 2, -1)}))
		}, `onnx: node "r" (Reshape): reshaping [N 4 3 3] to [2 N*18] is not supported (the batch must stay whole and keep its place among the other dimensions)`},
		{"relu of a constant", func() *onnx.Model {
			b := newBuilder(13, -1, 4)
			return b.output(b.node("Relu", "r", []string{b.w("w", -1, 1, 4)}))
		}, `onnx: node "r" (Relu): output "r" of shape [4] cannot be folded (the front-end computes Relu on small constants only, or not at all)`},
		{"sum of large constants", func() *onnx.Model {
			b := newBuilder(13, -1, 4)
			w := b.w("w", -1, 1, 300, 300)
			return b.output(b.node("Add", "a", []string{w, w}))
		}, `onnx: node "a" (Add): output "a" of shape [300 300] cannot be folded (the front-end computes Add on small constants only, or not at all)`},
		{"negation of a large constant", func() *onnx.Model {
			b := newBuilder(13, -1, 4)
			return b.output(b.node("Neg", "neg", []string{b.w("w", -1, 1, 300, 300)}))
		}, `onnx: node "neg" (Neg): output "neg" of shape [300 300] cannot be folded (the front-end computes Neg on small constants only, or not at all)`},
		{"sum of an integer and a float constant", func() *onnx.Model {
			b := newBuilder(13, -1, 4)
			c := b.node("Add", "c", []string{b.ints("i", 1, 2, 3, 4), b.w("w", -1, 1, 4)})
			return b.output(b.node("Add", "a", []string{"x", c}))
		}, `onnx: node "c" (Add): output "c" of type INT64 is computed from inputs of other element types`},
		{"reshape with two -1", func() *onnx.Model {
			b := newBuilder(13, -1, 4, 3, 3)
			return b.output(b.node("Reshape", "r", []string{"x", b.ints("s", 0, -1, -1)}))
		}, `onnx: node "r" (Reshape): shape [0 -1 -1] has more than one -1`},
		{"reshape to the wrong size", func() *onnx.Model {
			b := newBuilder(13, 2, 4, 3, 3)
			return b.output(b.node("Reshape", "r", []string{"x", b.ints("s", 2, 35)}))
		}, `onnx: node "r" (Reshape): cannot reshape input of shape [2 4 3 3] (72 elements) to [2 35]`},
		{"output without the batch first", func() *onnx.Model {
			b := newBuilder(13, -1, 4, 3, 3)
			return b.output(b.node("Reshape", "r", []string{"x", b.ints("s", 1, -1)}))
		}, `onnx: graph output "r" has shape [1 N*36]; its first dimension must be the batch alone`},
		{"transpose then pool", func() *onnx.Model {
			b := newBuilder(13, -1, 4, 3, 3)
			y := b.node("Transpose", "t", []string{"x"}, ia("perm", 1, 0, 2, 3))
			return b.output(b.node("MaxPool", "p", []string{y}, ia("kernel_shape", 2, 2)))
		}, `onnx: node "p" (MaxPool): input "t" has shape [4 N 3 3]; here the first dimension must be the batch alone`},
		{"concat axis", func() *onnx.Model {
			b := newBuilder(13, -1, 4, 3, 3)
			return b.output(b.node("Concat", "cat", []string{"x", "x"}, i1("axis", 2)))
		}, `onnx: node "cat" (Concat): attribute "axis": only the channel axis (1) is supported, got 2`},
		{"pad batch", func() *onnx.Model {
			b := newBuilder(13, -1, 4, 3, 3)
			return b.output(b.node("Pad", "pad", []string{"x", b.ints("p", 1, 0, 0, 0, 0, 0, 0, 0)}))
		}, `onnx: node "pad" (Pad): pads [1 0 0 0 0 0 0 0]: only non-negative padding of the 3 dimensions after the batch is supported`},
		{"pad reflect", func() *onnx.Model {
			b := newBuilder(13, -1, 4, 3, 3)
			return b.output(b.node("Pad", "pad", []string{"x", b.ints("p", 0, 0, 1, 1, 0, 0, 1, 1)}, onnx.StringAttr("mode", "reflect")))
		}, `onnx: node "pad" (Pad): attribute "mode": only constant padding is supported, got "reflect"`},
		{"pool kernel", func() *onnx.Model {
			b := newBuilder(13, -1, 4, 3, 3)
			return b.output(b.node("MaxPool", "pool", []string{"x"}))
		}, `onnx: node "pool" (MaxPool): attribute "kernel_shape" is missing`},
		{"bn mean not constant", func() *onnx.Model {
			b := newBuilder(13, -1, 4)
			return b.output(b.node("BatchNormalization", "bn", []string{"x", b.w("s", 0, 1, 4), b.w("b", 0, 1, 4), "x", b.w("v", 0, 1, 4)}))
		}, `onnx: node "bn" (BatchNormalization): input "x" must be a constant (an initializer or computed from constants)`},
		{"dropout mask", func() *onnx.Model {
			b := newBuilder(13, -1, 4)
			b.g.AddNode("Dropout", []string{"x"}, []string{"y", "mask"}).Name = "drop"
			return b.output("mask")
		}, `onnx: graph output "mask": output 1 of node "drop" (Dropout) is not supported`},
		{"two inputs", func() *onnx.Model {
			b := newBuilder(13, -1, 4)
			b.g.AddInput("z", onnx.Float, 1, 4)
			return b.output(b.node("Add", "add", []string{"x", "z"}))
		}, `onnx: the graph must have one input besides the initializers, has 2 ("x", "z")`},
		{"symbolic size", func() *onnx.Model {
			b := newBuilder(13, -1, -1, 28, 28)
			return b.output(b.node("Relu", "r", []string{"x"}))
		}, `onnx: graph input "x": dimension 1 must be fixed, shape is [N ? 28 28]`},
		{"no output", func() *onnx.Model {
			b := newBuilder(13, -1, 4)
			b.g.AddNode("Relu", []string{"x"}, nil).Name = "r"
			return b.output(b.node("Relu", "y", []string{"x"}))
		}, `onnx: node "r" (Relu): has no output`},
		{"cycle", func() *onnx.Model {
			b := newBuilder(13, -1, 4)
			b.node("Add", "a", []string{"x", "b"})
			return b.output(b.node("Relu", "b", []string{"a"}))
		}, `onnx: node "a" (Add): input "b" is not defined`},
		{"undefined input", func() *onnx.Model {
			b := newBuilder(13, -1, 4)
			return b.output(b.node("Relu", "r", []string{"nothing"}))
		}, `onnx: node "r" (Relu): input "nothing" is not defined`},
		{"weights from the batch size", func() *onnx.Model {
			b := newBuilder(13, -1, 4)
			s := b.node("Shape", "s", []string{"x"})
			c := b.node("ConstantOfShape", "ones", []string{s}, onnx.TensorAttr("value", onnx.NewFloatTensor("", []int64{1}, []float32{1})))
			return b.output(b.node("Mul", "mul", []string{"x", c}))
		}, `onnx: node "mul" (Mul): input "ones" is computed from the batch size`},
		{"reshape to the batch plus one", func() *onnx.Model {
			// [N 6] to [N+1, -1]: [2 3] at batch 1, [3 4] at batch 2.
			b := newBuilder(13, -1, 6)
			s := b.node("Shape", "s", []string{"x"})
			n := b.node("Gather", "n", []string{s, b.ints("zero", 0)})
			n = b.node("Add", "n1", []string{n, b.ints("one", 1)})
			t := b.node("Concat", "t", []string{n, b.ints("rest", -1)}, i1("axis", 0))
			return b.output(b.node("Reshape", "r", []string{"x", t}))
		}, `onnx: node "r" (Reshape): "r" has shape [2 3] at batch 1 but [3 4] at batch 2: it does not scale with the batch`},
		{"batch fixed in a constant target", func() *onnx.Model {
			b := newBuilder(13, 2, 4)
			y := b.node("Reshape", "r", []string{"x", b.ints("s", 8)})
			return b.output(b.node("Relu", "relu", []string{y}))
		}, `onnx: node "r" (Reshape): at batch 3: cannot reshape input of shape [3 4] (12 elements) to [8] (at batch 2 it walks: its shapes do not scale with the batch)`},
		{"broadcast over the batch", func() *onnx.Model {
			b := newBuilder(13, -1, 4)
			y := b.node("Reshape", "r", []string{"x", b.ints("s", 0, 1, 1, 4)})
			return b.output(b.node("Mul", "mul", []string{y, "x"}))
		}, `onnx: node "mul" (Mul): output "mul" has shape [N 1 N 4], which the engine would compute as [N 1 1 4]: not supported`},
		{"mean of each sample", func() *onnx.Model {
			b := newBuilder(13, -1, 4)
			return b.output(b.node("ReduceMean", "mean", []string{"x"}, ia("axes", 1), i1("keepdims", 0)))
		}, `onnx: node "mean" (ReduceMean): output "mean" has shape [N], which the engine would compute as [N 1]: not supported`},
		{"output is input", func() *onnx.Model {
			b := newBuilder(13, -1, 4)
			return b.output(b.node("Identity", "id", []string{"x"}))
		}, `onnx: graph output "id" is the graph input`},
	}
	for _, tt := range tests {
		_, err := nnonnx.Import(tt.build())
		if err == nil || err.Error() != tt.want {
			t.Errorf("%s: error\n%v\nwant\n%s", tt.name, err, tt.want)
		}
	}
}

// TestImportErrorNamesFile checks that errors from ReadFile name the file
// and are *onnx.NodeError values.
func TestImportErrorNamesFile(t *testing.T) {
	b := newBuilder(13, -1, 4)
	om := b.output(b.node("Elu", "sig", []string{"x"}))
	path := filepath.Join(t.TempDir(), "sig.onnx")
	if err := onnx.WriteFile(path, om); err != nil {
		t.Fatal(err)
	}
	_, err := nnonnx.ReadFile(path)
	var ne *onnx.NodeError
	if !errors.As(err, &ne) || ne.File != path || ne.Node != "sig" || ne.OpType != "Elu" {
		t.Fatalf("error %#v", err)
	}
	if want := "onnx: " + path + `: node "sig" (Elu): op type Elu is not supported`; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %q, want prefix %q", err, want)
	}
	os.WriteFile(path, []byte("not onnx"), 0o644)
	if _, err := nnonnx.ReadFile(path); err == nil || !strings.HasPrefix(err.Error(), "onnx: "+path+": ") {
		t.Errorf("error %v for a file that is not ONNX", err)
	}
}
