package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// Gradient checks: every layer's backward pass is compared with central
// differences of the forward pass. The loss is L = Σ out·R for a fixed
// random R, accumulated in float64; h = 1e-2; a gradient passes when
// |numeric - analytic| <= gradAbs + gradRel·max(|numeric|, |analytic|).
const (
	gradH   = 1e-2
	gradAbs = 2e-3
	gradRel = 1e-2
)

// distinct fills v with well-separated values (spacing 0.07 > 2h) in a
// random order, so that max pooling and ReLU never cross a kink under a
// perturbation of h.
func distinct(rng *rand.Rand, v []float32) {
	perm := rng.Perm(len(v))
	for i, p := range perm {
		v[i] = (float32(p) - float32(len(v))/2 + 0.5) * 0.07
	}
}

type gradCase struct {
	name    string
	layer   Layer
	in      [][]int
	batch   int
	workers int
	// shift is added to the inputs (keeping divisors and square roots away
	// from zero).
	shift float32
}

func TestLayerGradients(t *testing.T) {
	cases := []gradCase{
		{name: "conv3x3", layer: NewConv(2, 3, 3, 1, 1), in: [][]int{{2, 5, 5}}, batch: 2},
		{name: "conv-stride2", layer: NewConv(2, 3, 3, 2, 0), in: [][]int{{2, 7, 6}}, batch: 3},
		{name: "conv-dilation-asympad", layer: &Conv{InC: 2, OutC: 2, Kernel: [2]int{3, 2}, Stride: [2]int{1, 2},
			Pad: [4]int{2, 1, 0, 1}, Dilation: [2]int{2, 1}, Weight: NewParam(nil, 2, 2, 3, 2), Bias: NewParam(nil, 2)},
			in: [][]int{{2, 6, 5}}, batch: 2},
		{name: "conv-groups2-nobias", layer: &Conv{InC: 4, OutC: 6, Kernel: [2]int{3, 3}, Pad: [4]int{1, 1, 1, 1}, Groups: 2,
			Weight: NewParam(nil, 6, 2, 3, 3)}, in: [][]int{{4, 4, 4}}, batch: 3},
		{name: "conv1x1", layer: NewConv(3, 4, 1, 1, 0), in: [][]int{{3, 3, 4}}, batch: 3},
		{name: "conv1x1-stride2", layer: NewConv(3, 4, 1, 2, 0), in: [][]int{{3, 5, 4}}, batch: 2},
		{name: "depthwise", layer: NewDepthwise(3, 3, 1, 1), in: [][]int{{3, 5, 5}}, batch: 3},
		{name: "depthwise-stride2-mult2", layer: &Conv{InC: 2, OutC: 4, Kernel: [2]int{3, 3}, Stride: [2]int{2, 2},
			Pad: [4]int{1, 1, 1, 1}, Groups: 2, Weight: NewParam(nil, 4, 1, 3, 3), Bias: NewParam(nil, 4)},
			in: [][]int{{2, 6, 5}}, batch: 2},
		{name: "linear", layer: NewLinear(7, 5), in: [][]int{{7}}, batch: 4},
		{name: "relu", layer: NewReLU(), in: [][]int{{3, 4, 4}}, batch: 2},
		{name: "relu6", layer: &ReLU{Cap: 0.5}, in: [][]int{{3, 4, 4}}, batch: 2},
		{name: "maxpool2", layer: NewMaxPool(2, 2), in: [][]int{{2, 6, 5}}, batch: 2},
		{name: "maxpool3-pad-ceil", layer: &MaxPool{Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}, Pad: [4]int{1, 1, 1, 1}, Ceil: true},
			in: [][]int{{2, 6, 6}}, batch: 2},
		{name: "avgpool", layer: &AvgPool{Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}, Pad: [4]int{1, 1, 1, 1}}, in: [][]int{{2, 5, 5}}, batch: 2},
		{name: "avgpool-countpad", layer: &AvgPool{Kernel: [2]int{2, 2}, Stride: [2]int{1, 1}, Pad: [4]int{1, 0, 0, 1}, CountPad: true},
			in: [][]int{{2, 4, 3}}, batch: 2},
		{name: "globalavg", layer: &GlobalAvgPool{}, in: [][]int{{3, 3, 4}}, batch: 2},
		{name: "batchnorm", layer: NewBatchNorm(3), in: [][]int{{3, 3, 3}}, batch: 4},
		{name: "batchnorm1d", layer: NewBatchNorm(5), in: [][]int{{5}}, batch: 6},
		{name: "add3", layer: &Add{}, in: [][]int{{2, 3, 3}, {2, 3, 3}, {2, 3, 3}}, batch: 2},
		{name: "concat", layer: &Concat{}, in: [][]int{{2, 3, 3}, {1, 3, 3}, {3, 3, 3}}, batch: 2},
		{name: "flatten", layer: &Flatten{}, in: [][]int{{2, 3, 3}}, batch: 2},
		{name: "dropout", layer: NewDropout(0.4), in: [][]int{{3, 4, 4}}, batch: 2},
		{name: "sigmoid", layer: NewAct(Sigmoid), in: [][]int{{3, 4, 4}}, batch: 2},
		{name: "hardsigmoid", layer: &Act{Func: HardSigmoid, Alpha: 0.3, Beta: 0.5}, in: [][]int{{3, 4, 4}}, batch: 2},
		{name: "hardswish", layer: NewAct(HardSwish), in: [][]int{{3, 4, 4}}, batch: 2},
		{name: "silu", layer: NewAct(SiLU), in: [][]int{{3, 4, 4}}, batch: 2},
		{name: "leakyrelu", layer: &Act{Func: LeakyReLU, Alpha: 0.1}, in: [][]int{{3, 4, 4}}, batch: 2},
		{name: "tanh", layer: NewAct(Tanh), in: [][]int{{7}}, batch: 3},
		{name: "gelu", layer: NewAct(GELU), in: [][]int{{4, 5}}, batch: 2},
		{name: "erf", layer: NewAct(Erf), in: [][]int{{4, 5}}, batch: 2},
		{name: "pow2", layer: &Act{Func: Pow, Alpha: 2}, in: [][]int{{4, 5}}, batch: 2},
		{name: "exp", layer: NewAct(Exp), in: [][]int{{4, 5}}, batch: 2},
		{name: "softmax", layer: &Softmax{Axis: 1}, in: [][]int{{3, 4, 2}}, batch: 2},
		{name: "logsoftmax", layer: &Softmax{Axis: 0, Log: true}, in: [][]int{{5}}, batch: 3},
		{name: "linear-tokens", layer: NewLinear(5, 3), in: [][]int{{4, 5}}, batch: 2},
		{name: "permute", layer: &Permute{In: []int{2, 3, 4}, Perm: []int{2, 0, 1}, Out: []int{4, 6}}, in: [][]int{{6, 4}}, batch: 2},
		{name: "reshape", layer: &Permute{Out: []int{3, 8}}, in: [][]int{{2, 3, 4}}, batch: 2},
		{name: "slice", layer: &Slice{Axis: 1, Start: 1, End: 4}, in: [][]int{{2, 5, 3}}, batch: 2},
		{name: "reducemean-keep", layer: &ReduceMean{Axes: []int{1}, Keep: true}, in: [][]int{{3, 4, 2}}, batch: 2},
		{name: "reducemean-two", layer: &ReduceMean{Axes: []int{0, 2}}, in: [][]int{{3, 4, 2}}, batch: 2},
		{name: "matmul", layer: &MatMul{}, in: [][]int{{2, 3, 4}, {2, 4, 5}}, batch: 2},
		{name: "matmul-2d", layer: &MatMul{}, in: [][]int{{3, 4}, {4, 2}}, batch: 3},
		{name: "layernorm", layer: &LayerNorm{Axes: 1, Eps: 1e-5, Scale: NewParam(nil, 6), Bias: NewParam(nil, 6)}, in: [][]int{{3, 6}}, batch: 2},
		{name: "layernorm2-nobias", layer: &LayerNorm{Axes: 2, Eps: 1e-3, Scale: NewParam(nil, 2, 3)}, in: [][]int{{2, 2, 3}}, batch: 2},
		{name: "pad", layer: &Pad{Pads: []int{0, 1, 2, 1, 0, 1}, Value: 0.5}, in: [][]int{{2, 3, 2}}, batch: 2},
		{name: "mul-se", layer: &Binary{Op: OpMul}, in: [][]int{{3, 4, 4}, {3, 1, 1}}, batch: 2},
		{name: "div-bcast", layer: &Binary{Op: OpDiv}, in: [][]int{{4, 1}, {4, 5}}, batch: 2, shift: 3},
		{name: "sub-same", layer: &Binary{Op: OpSub}, in: [][]int{{2, 3}, {2, 3}}, batch: 3},
		{name: "add-const", layer: &Binary{Op: OpAdd, Const: NewParam(nil, 3, 4)}, in: [][]int{{2, 3, 4}}, batch: 2},
		{name: "mul-const-left", layer: &Binary{Op: OpMul, Const: NewParam(nil, 4), ConstLeft: true}, in: [][]int{{3, 4}}, batch: 2},
		{name: "div-const-left", layer: &Binary{Op: OpDiv, Const: NewParam(nil, 1, 4), ConstLeft: true}, in: [][]int{{3, 4}}, batch: 2, shift: 3},
		{name: "sqrt", layer: NewAct(Sqrt), in: [][]int{{4, 5}}, batch: 2, shift: 3},
		{name: "sub-const-frozen", layer: &Binary{Op: OpSub, Const: NewParam(nil), Frozen: true}, in: [][]int{{3, 4}}, batch: 2},
	}
	for _, c := range cases {
		for _, workers := range []int{1, 2} {
			t.Run(fmt.Sprintf("%s/w%d", c.name, workers), func(t *testing.T) {
				c.workers = workers
				checkLayer(t, c)
			})
		}
	}
}

func checkLayer(t *testing.T, c gradCase) {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, uint64(len(c.name))))
	for _, p := range c.layer.Params() {
		for i := range p.Data {
			p.Data[i] = rng.Float32()*2 - 1
		}
	}
	if bn, ok := c.layer.(*BatchNorm); ok {
		for i := range bn.Scale.Data {
			bn.Scale.Data[i] = 0.5 + rng.Float32()
		}
	}
	outShape, err := c.layer.OutShape(c.in)
	if err != nil {
		t.Fatal(err)
	}
	op := c.layer.newOp(c.in, outShape, c.batch)
	r := newRun(c.workers)
	r.seed = 99
	ins := make([]*Tensor, len(c.in))
	dins := make([]*Tensor, len(c.in))
	for k, s := range c.in {
		ins[k] = NewTensor(append([]int{c.batch}, s...)...)
		dins[k] = NewTensor(ins[k].Shape...)
		distinct(rng, ins[k].Data)
		for i := range ins[k].Data {
			ins[k].Data[i] += c.shift
		}
		for i := range dins[k].Data {
			dins[k].Data[i] = float32(math.NaN()) // backward must overwrite
		}
	}
	out := NewTensor(append([]int{c.batch}, outShape...)...)
	weights := make([]float32, len(out.Data))
	for i := range weights {
		weights[i] = rng.Float32()*2 - 1
	}
	loss := func() float64 {
		op.forward(r, ins, out, true)
		var s float64
		for i, v := range out.Data {
			s += float64(v) * float64(weights[i])
		}
		return s
	}
	loss()
	dout := &Tensor{Shape: out.Shape, Data: weights}
	op.backward(r, ins, out, dout, dins)
	check := func(what string, v []float32, grad []float32) {
		for i := range v {
			old := v[i]
			v[i] = old + gradH
			lp := loss()
			v[i] = old - gradH
			lm := loss()
			v[i] = old
			num := (lp - lm) / (2 * gradH)
			ana := float64(grad[i])
			if d := math.Abs(num - ana); !(d <= gradAbs+gradRel*max(math.Abs(num), math.Abs(ana))) {
				t.Errorf("%s[%d]: numeric %.5f, analytic %.5f", what, i, num, ana)
			}
		}
	}
	for _, p := range c.layer.Params() {
		check("param", p.Data, append([]float32(nil), p.Grad...))
	}
	for k := range ins {
		check(fmt.Sprintf("input%d", k), ins[k].Data, dins[k].Data)
	}
}

func TestSoftmaxCrossEntropyGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	logits := NewTensor(3, 4)
	for i := range logits.Data {
		logits.Data[i] = rng.Float32()*4 - 2
	}
	labels := []int{0, 3, 2}
	grad := NewTensor(3, 4)
	if _, err := SoftmaxCrossEntropy(logits, labels, grad); err != nil {
		t.Fatal(err)
	}
	for i := range logits.Data {
		old := logits.Data[i]
		logits.Data[i] = old + gradH
		lp, _ := SoftmaxCrossEntropy(logits, labels, nil)
		logits.Data[i] = old - gradH
		lm, _ := SoftmaxCrossEntropy(logits, labels, nil)
		logits.Data[i] = old
		num := (lp - lm) / (2 * gradH)
		if d := math.Abs(num - float64(grad.Data[i])); d > 1e-4 {
			t.Errorf("logit %d: numeric %.6f analytic %.6f", i, num, grad.Data[i])
		}
	}
	// A uniform prediction over K classes costs log K.
	l, _ := SoftmaxCrossEntropy(NewTensor(2, 5), []int{1, 4}, nil)
	if math.Abs(l-math.Log(5)) > 1e-6 {
		t.Errorf("uniform loss %v, want %v", l, math.Log(5))
	}
}
