package onnx_test

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/nnergy/nnergy/nn"
	nnonnx "github.com/nnergy/nnergy/nn/onnx"
	"github.com/nnergy/nnergy/nn/zoo"
	"github.com/nnergy/nnergy/onnx"
	"github.com/nnergy/nnergy/onnx/onnxtest"
)

// ortTol is the largest absolute difference allowed between nnergy's and a
// reference's outputs.
const ortTol = 1e-4

// allLayers is a model with every layer kind and the attributes that
// change what the layers compute: a dilated, strided, asymmetrically padded
// rectangular convolution, batch norm on images and on features, ReLU6 and
// another cap, grouped and depthwise (channel multiplier 2) convolutions,
// concatenations of images and of features, max pooling with padding and
// ceil mode, average pooling with and without counting the padding, a
// three-input add that reads one tensor twice, global pooling, two
// flattens, a linear layer without bias, and dropout.
func allLayers() *nn.Model {
	m := nn.New("image", 3, 13, 11)
	x := m.Add("conv", &nn.Conv{InC: 3, OutC: 8, Kernel: [2]int{3, 2}, Stride: [2]int{1, 2}, Pad: [4]int{2, 0, 1, 1},
		Dilation: [2]int{2, 1}, Groups: 1, Weight: nn.NewParam(nil, 8, 3, 3, 2), Bias: nn.NewParam(nil, 8)}, "image") // 8x12x6
	x = m.Add("bn", nn.NewBatchNorm(8), x)
	x = m.Add("relu6", nn.NewReLU6(), x)
	g := m.Add("grouped", &nn.Conv{InC: 8, OutC: 12, Kernel: [2]int{3, 3}, Stride: [2]int{1, 1}, Pad: [4]int{1, 1, 1, 1},
		Dilation: [2]int{1, 1}, Groups: 4, Weight: nn.NewParam(nil, 12, 2, 3, 3), Bias: nn.NewParam(nil, 12)}, x)
	d := m.Add("dw", &nn.Conv{InC: 8, OutC: 16, Kernel: [2]int{3, 3}, Stride: [2]int{1, 1}, Pad: [4]int{1, 1, 1, 1},
		Dilation: [2]int{1, 1}, Groups: 8, Weight: nn.NewParam(nil, 16, 1, 3, 3)}, x)
	x = m.Add("cat", &nn.Concat{}, g, d)                                                                                    // 28x12x6
	mp := m.Add("maxpool", &nn.MaxPool{Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}, Pad: [4]int{1, 1, 1, 1}, Ceil: true}, x) // 28x7x4
	ap := m.Add("avgpool", &nn.AvgPool{Kernel: [2]int{3, 3}, Stride: [2]int{1, 1}, Pad: [4]int{1, 1, 1, 1}}, mp)
	ac := m.Add("avgpool_pad", &nn.AvgPool{Kernel: [2]int{3, 4}, Stride: [2]int{1, 1}, Pad: [4]int{1, 0, 1, 3}, CountPad: true}, mp)
	x = m.Add("sum", &nn.Add{}, ap, mp, mp)
	x = m.Add("add", &nn.Add{}, x, ac)
	gp := m.Add("gap", &nn.GlobalAvgPool{}, x)
	f1 := m.Add("flat", &nn.Flatten{}, x)
	f2 := m.Add("flat_gap", &nn.Flatten{}, gp)
	l := m.Add("fc_nobias", &nn.Linear{In: 28 * 7 * 4, Out: 16, Weight: nn.NewParam(nil, 16, 28*7*4)}, f1)
	x = m.Add("cat_features", &nn.Concat{}, l, f2) // 44
	x = m.Add("bn_features", nn.NewBatchNorm(44), x)
	x = m.Add("relu_cap", &nn.ReLU{Cap: 0.7}, x)
	x = m.Add("drop", nn.NewDropout(0.4), x)
	x = m.Add("relu", nn.NewReLU(), x)
	m.Add("fc", nn.NewLinear(44, 5), x)
	return m
}

// activations is a model with every activation, a squeeze-and-excitation
// block (a broadcast Mul), Binary operations with trained and frozen
// constants on either side, and softmax over channels and features.
func activations() *nn.Model {
	m := nn.New("image", 3, 8, 8)
	x := m.Add("conv", nn.NewConv(3, 8, 3, 1, 1), "image")
	x = m.Add("silu", nn.NewAct(nn.SiLU), x)
	s := m.Add("se_pool", &nn.GlobalAvgPool{}, x)
	s = m.Add("se_fc1", nn.NewConv(8, 4, 1, 1, 0), s)
	s = m.Add("se_relu", nn.NewReLU(), s)
	s = m.Add("se_fc2", nn.NewConv(4, 8, 1, 1, 0), s)
	s = m.Add("se_gate", nn.NewAct(nn.HardSigmoid), s)
	x = m.Add("se_scale", &nn.Binary{Op: nn.OpMul}, x, s)
	x = m.Add("hswish", nn.NewAct(nn.HardSwish), x)
	x = m.Add("leaky", &nn.Act{Func: nn.LeakyReLU, Alpha: 0.1}, x)
	shift := nn.NewParam(nil, 8, 1, 1)
	for i := range shift.Data {
		shift.Data[i] = 0.1 * float32(i-4)
	}
	x = m.Add("shift", &nn.Binary{Op: nn.OpSub, Const: shift}, x)
	x = m.Add("tanh", nn.NewAct(nn.Tanh), x)
	x = m.Add("gelu", nn.NewAct(nn.GELU), x)
	x = m.Add("sigmoid", nn.NewAct(nn.Sigmoid), x)
	x = m.Add("recip", &nn.Binary{Op: nn.OpDiv, Const: nn.NewParam([]float32{2}), ConstLeft: true, Frozen: true}, x)
	x = m.Add("pow", &nn.Act{Func: nn.Pow, Alpha: 2}, x)
	x = m.Add("sqrt", nn.NewAct(nn.Sqrt), x)
	x = m.Add("softmax_c", &nn.Softmax{Axis: 0}, x)
	x = m.Add("flat", &nn.Flatten{}, x)
	x = m.Add("fc", nn.NewLinear(512, 6), x)
	x = m.Add("erf", nn.NewAct(nn.Erf), x)
	x = m.Add("exp", nn.NewAct(nn.Exp), x)
	m.Add("logsoftmax", &nn.Softmax{Log: true}, x)
	return m
}

// exportCase is a model for the reference checks.
type exportCase struct {
	name  string
	model func(t *testing.T) *nn.Model
}

func zooModel(name string) func(t *testing.T) *nn.Model {
	return func(t *testing.T) *nn.Model {
		m, err := zoo.New(name, 1)
		if err != nil {
			t.Fatal(err)
		}
		randomize(m, 7)
		return m
	}
}

// pruned returns a zoo model after nn.RemoveFilters on each (node, filters).
func pruned(name string, cuts map[string][]int) func(t *testing.T) *nn.Model {
	return func(t *testing.T) *nn.Model {
		m := zooModel(name)(t)
		for _, node := range slices.Sorted(func(yield func(string) bool) {
			for k := range cuts {
				if !yield(k) {
					return
				}
			}
		}) {
			if _, err := nn.RemoveFilters(m, node, cuts[node]); err != nil {
				t.Fatal(err)
			}
		}
		return m
	}
}

var exportCases = []exportCase{
	{"lenet5", zooModel("lenet5")},
	{"vgg-small", zooModel("vgg-small")},
	{"mobilenet-small", zooModel("mobilenet-small")},
	{"lenet5-pruned", pruned("lenet5", map[string][]int{"conv1": {2}, "conv2": {0, 5, 11}, "fc1": {3, 4, 50}})},
	{"mobilenet-small-pruned", pruned("mobilenet-small", map[string][]int{"stem": {0, 3}, "b1_pw": {1, 4, 7}, "b3_pw": {5}})},
	{"all-layers", func(t *testing.T) *nn.Model { m := allLayers(); randomize(m, 5); return m }},
	{"activations", func(t *testing.T) *nn.Model { m := activations(); randomize(m, 6); return m }},
}

// TestExportORT runs every exported model in ONNX Runtime and requires its
// output to equal nnergy's within ortTol; the ONNX checker must accept
// every exported model.
func TestExportORT(t *testing.T) {
	for _, tc := range exportCases {
		t.Run(tc.name, func(t *testing.T) {
			m := tc.model(t)
			om, err := nnonnx.Export(m)
			if err != nil {
				t.Fatal(err)
			}
			onnxtest.Check(t, om)
			x := randomInput(m, 3, 11)
			want := forward(t, m, x)
			got := runORT(t, om, x)
			d := maxDiff(t, got, want)
			r := relDiff(t, want, got)
			t.Logf("max |ORT - nnergy| = %.3g over %d outputs (%.3g relative)", d, len(want.Data), r)
			if d > ortTol || r > ortRel {
				t.Errorf("ONNX Runtime and nnergy differ by %.3g, %.3g relative (> %g, %g)", d, r, ortTol, ortRel)
			}
		})
	}
}

// TestExportPrunedShapes checks that every exported weight has the shape of
// the pruned model's parameter, and that pruning changed them.
func TestExportPrunedShapes(t *testing.T) {
	m := pruned("mobilenet-small", map[string][]int{"stem": {0, 3}, "b1_pw": {1, 4, 7}})(t)
	om, err := nnonnx.Export(m)
	if err != nil {
		t.Fatal(err)
	}
	dims := map[string][]int64{}
	for _, in := range om.Graph.Initializers {
		dims[in.Name] = in.Dims
	}
	for _, n := range m.Nodes {
		for k, p := range n.Layer.Params() {
			suffix := []string{"weight", "bias"}[k]
			want := make([]int64, len(p.Shape))
			for i, d := range p.Shape {
				want[i] = int64(d)
			}
			if got := dims[n.Name+"."+suffix]; !slices.Equal(got, want) {
				t.Errorf("%s.%s: exported shape %v, model has %v", n.Name, suffix, got, want)
			}
		}
	}
	for name, want := range map[string][]int64{
		"stem.weight":          {14, 1, 3, 3},
		"stem_bn.running_mean": {14},
		"b1_dw.weight":         {14, 1, 3, 3},
		"b1_pw.weight":         {29, 14, 1, 1},
		"b1_pw_bn.running_var": {29},
		"b2_dw.weight":         {29, 1, 3, 3},
		"b2_pw.weight":         {64, 29, 1, 1},
		"b3_pw.weight":         {64, 64, 1, 1},
		"fc.weight":            {10, 128},
	} {
		if got := dims[name]; !slices.Equal(got, want) {
			t.Errorf("%s: shape %v, want %v", name, got, want)
		}
	}
	for _, n := range om.Graph.Nodes {
		if n.Name == "b2_dw" {
			if g, _ := n.Int("group", 0); g != 29 {
				t.Errorf("b2_dw: group %d, want 29", g)
			}
		}
	}
}

// TestRoundTrip exports models, encodes, decodes and imports them: the
// layers, their attributes and weights, and the outputs must be the same.
func TestRoundTrip(t *testing.T) {
	for _, tc := range exportCases {
		t.Run(tc.name, func(t *testing.T) {
			m := tc.model(t)
			for _, n := range m.Nodes {
				if bn, ok := n.Layer.(*nn.BatchNorm); ok {
					bn.Momentum, bn.Eps = 0.25, 1e-3
				}
			}
			om, err := nnonnx.Export(m)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := onnx.Encode(&buf, om); err != nil {
				t.Fatal(err)
			}
			back, err := onnx.Decode(bytes.NewReader(buf.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			got, err := nnonnx.Import(back)
			if err != nil {
				t.Fatal(err)
			}
			if diff := describe(got); diff != describe(m) {
				t.Errorf("imported model:\n%s\nwant:\n%s", diff, describe(m))
			}
			x := randomInput(m, 2, 3)
			if d := maxDiff(t, forward(t, got, x), forward(t, m, x)); d != 0 {
				t.Errorf("the imported model's outputs differ by %g", d)
			}
		})
	}
}

// describe lists a model's nodes with their inputs, attributes and a hash
// of their weights, one per line.
func describe(m *nn.Model) string {
	var b strings.Builder
	fmt.Fprintf(&b, "input %s %v output %s\n", m.Input, m.InShape, m.OutputName())
	for _, n := range m.Nodes {
		fmt.Fprintf(&b, "%s %v <- %v", n.Name, n.Layer.Kind(), n.Inputs)
		switch l := n.Layer.(type) {
		case *nn.Conv:
			fmt.Fprintf(&b, " %d->%d k%v s%v p%v d%v g%d", l.InC, l.OutC, l.Kernel, l.Stride, l.Pad, l.Dilation, l.Groups)
		case *nn.Linear:
			fmt.Fprintf(&b, " %d->%d", l.In, l.Out)
		case *nn.BatchNorm:
			fmt.Fprintf(&b, " eps %g momentum %g mean %v var %v", l.Eps, l.Momentum, sum(l.Mean), sum(l.Var))
		case *nn.Binary:
			fmt.Fprintf(&b, " %v left %v frozen %v", l.Op, l.ConstLeft, l.Frozen)
			if l.Const != nil {
				fmt.Fprintf(&b, " const %v:%v", l.Const.Shape, sum(l.Const.Data))
			}
		default:
			fmt.Fprintf(&b, " %+v", l)
		}
		for _, p := range n.Layer.Params() {
			fmt.Fprintf(&b, " %v:%v", p.Shape, sum(p.Data))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// sum returns a position-weighted checksum of v.
func sum(v []float32) float64 {
	s := 0.0
	for i, x := range v {
		s += float64(x) * float64(i%7+1)
	}
	return s
}

// TestExportMasked checks that masked weights export as zeros.
func TestExportMasked(t *testing.T) {
	m := zooModel("lenet5")(t)
	w := m.Node("fc1").Layer.(*nn.Linear).Weight
	if err := w.MaskSmallest(0.5); err != nil {
		t.Fatal(err)
	}
	om, err := nnonnx.Export(m)
	if err != nil {
		t.Fatal(err)
	}
	init := om.Graph.Initializer("fc1.weight")
	if init == nil || init.Density() > 0.5 || !slices.Equal(init.Floats, w.Data) {
		t.Fatalf("fc1.weight not exported with its zeros")
	}
	// The export is a copy: changing the model does not change it.
	w.Data[0] += 1
	if init.Floats[0] == w.Data[0] {
		t.Error("the exported weights share memory with the model")
	}
}

func TestExportErrors(t *testing.T) {
	m := nn.New("x", 1, 4, 4)
	m.Add("fc", nn.NewLinear(16, 2), "x")
	_, err := nnonnx.Export(m)
	want := `onnx: export: nn: node "fc" (linear): linear: input shape [1 4 4], want [16] or [... 16]`
	if err == nil || err.Error() != want {
		t.Errorf("error %v\nwant %s", err, want)
	}
}

// TestExportNames checks that initializer names never collide with layer
// names.
func TestExportNames(t *testing.T) {
	m := nn.New("x", 4)
	x := m.Add("fc.weight", nn.NewLinear(4, 3), "x")
	m.Add("fc", nn.NewLinear(3, 2), x)
	randomize(m, 1)
	om, err := nnonnx.Export(m)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, in := range om.Graph.Initializers {
		names = append(names, in.Name)
	}
	if want := []string{"fc.weight.weight", "fc.weight.bias", "fc.weight_2", "fc.bias"}; !slices.Equal(names, want) {
		t.Errorf("initializers %v, want %v", names, want)
	}
	onnxtest.Check(t, om)
	x0 := randomInput(m, 2, 1)
	if d := maxDiff(t, runORT(t, om, x0), forward(t, m, x0)); d > ortTol {
		t.Errorf("ONNX Runtime and nnergy differ by %g", d)
	}
}

// TestExportKeepsTokenLinearNames: a linear layer over tokens (exported as
// MatMul and Add) comes back under its own name, so that a pruned
// transformer's layers keep their names through ONNX.
func TestExportKeepsTokenLinearNames(t *testing.T) {
	for _, file := range []string{"testdata/tf.onnx", "testdata/tf_ln.onnx"} {
		m, err := nnonnx.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		om, err := nnonnx.Export(m)
		if err != nil {
			t.Fatal(err)
		}
		data, err := onnx.Marshal(om)
		if err != nil {
			t.Fatal(err)
		}
		back, err := onnx.Parse(file, data)
		if err != nil {
			t.Fatal(err)
		}
		m2, err := nnonnx.Import(back)
		if err != nil {
			t.Fatal(err)
		}
		var want, got []string
		for _, n := range m.Nodes {
			if _, ok := n.Layer.(*nn.Linear); ok {
				want = append(want, n.Name)
			}
		}
		for _, n := range m2.Nodes {
			if _, ok := n.Layer.(*nn.Linear); ok {
				got = append(got, n.Name)
			}
		}
		if len(want) == 0 || strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s: linear layers %v after the round trip, want %v", file, got, want)
		}
	}
}
