package onnx

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/nnergy/nnergy/nn"
	"github.com/nnergy/nnergy/onnx"
)

// BatchParam is the symbolic name of the batch dimension of exported
// models' input and output.
const BatchParam = "N"

// WriteFile exports m (see [Export]) into the ONNX file path.
func WriteFile(path string, m *nn.Model) error {
	om, err := Export(m)
	if err != nil {
		return err
	}
	return onnx.WriteFile(path, om)
}

// Export returns m as an ONNX model of opset 13 with every weight as an
// initializer (see the package documentation for the operators). It fails
// when m does not pass [nn.Model.Check]. The weights are copied.
func Export(m *nn.Model) (*onnx.Model, error) {
	shapes, err := m.Shapes()
	if err != nil {
		return nil, fmt.Errorf("onnx: export: %w", err)
	}
	om := onnx.NewModel("nnergy")
	for _, n := range m.Nodes {
		if _, ok := n.Layer.(*nn.LayerNorm); ok {
			om.Opsets[0].Version = 17 // LayerNormalization
		}
	}
	ex := &exporter{g: om.Graph, used: map[string]bool{m.Input: true}, shapes: shapes}
	for _, n := range m.Nodes {
		ex.used[n.Name] = true
	}
	ex.g.Inputs = append(ex.g.Inputs, batchValue(m.Input, m.InShape))
	for _, n := range m.Nodes {
		if err := ex.node(n); err != nil {
			return nil, fmt.Errorf("onnx: export: node %q (%v): %w", n.Name, n.Layer.Kind(), err)
		}
	}
	out := m.OutputName()
	ex.g.Outputs = append(ex.g.Outputs, batchValue(out, shapes[out]))
	return om, nil
}

// batchValue describes a float tensor [N, shape...] with a symbolic N.
func batchValue(name string, shape []int) onnx.ValueInfo {
	v := onnx.ValueInfo{Name: name, DataType: onnx.Float, Shape: []int64{-1}, Params: make([]string, len(shape)+1)}
	v.Params[0] = BatchParam
	for _, d := range shape {
		v.Shape = append(v.Shape, int64(d))
	}
	return v
}

type exporter struct {
	g      *onnx.Graph
	used   map[string]bool // value names taken: the input, the nodes, the initializers
	shapes map[string][]int
}

// shape adds an INT64 initializer [-1, dims...] (a Reshape target keeping
// the batch) and returns its name.
func (ex *exporter) shape(node, suffix string, dims []int) string {
	name := ex.name(node + "." + suffix)
	ex.g.AddInt64Initializer(name, []int64{int64(len(dims) + 1)}, append([]int64{-1}, ints(dims...)...))
	return name
}

// ints64 adds a 1-D INT64 initializer and returns its name.
func (ex *exporter) ints64(node, suffix string, v ...int64) string {
	name := ex.name(node + "." + suffix)
	ex.g.AddInt64Initializer(name, []int64{int64(len(v))}, v)
	return name
}

// name returns a value name derived from base that no other value has.
func (ex *exporter) name(base string) string {
	s := base
	for i := 2; ex.used[s]; i++ {
		s = fmt.Sprintf("%s_%d", base, i)
	}
	ex.used[s] = true
	return s
}

// weight adds an initializer holding a copy of data with the given shape
// and returns its name.
func (ex *exporter) weight(node, suffix string, data []float32, shape ...int) string {
	name := ex.name(node + "." + suffix)
	dims := make([]int64, len(shape))
	for i, d := range shape {
		dims[i] = int64(d)
	}
	ex.g.AddInitializer(name, dims, slices.Clone(data))
	return name
}

// scalar adds a scalar float initializer.
func (ex *exporter) scalar(node, suffix string, v float32) string {
	name := ex.name(node + "." + suffix)
	ex.g.AddInitializer(name, []int64{}, []float32{v})
	return name
}

func ints(v ...int) []int64 {
	out := make([]int64, len(v))
	for i, x := range v {
		out[i] = int64(x)
	}
	return out
}

func one(v int) int {
	if v == 0 {
		return 1
	}
	return v
}

func (ex *exporter) node(n *nn.Node) error {
	in := slices.Clone(n.Inputs)
	out := []string{n.Name}
	var op string
	var attrs []onnx.Attribute
	switch l := n.Layer.(type) {
	case *nn.Conv:
		op = "Conv"
		in = append(in, ex.weight(n.Name, "weight", l.Weight.Data, l.Weight.Shape...))
		if l.Bias != nil {
			in = append(in, ex.weight(n.Name, "bias", l.Bias.Data, l.Bias.Shape...))
		}
		attrs = []onnx.Attribute{
			onnx.IntsAttr("kernel_shape", ints(l.Kernel[:]...)...),
			onnx.IntsAttr("strides", ints(one(l.Stride[0]), one(l.Stride[1]))...),
			onnx.IntsAttr("pads", ints(l.Pad[:]...)...),
			onnx.IntsAttr("dilations", ints(one(l.Dilation[0]), one(l.Dilation[1]))...),
			onnx.IntAttr("group", int64(one(l.Groups))),
		}
	case *nn.Linear:
		if len(ex.shapes[n.Inputs[0]]) > 1 {
			return ex.linearRows(n, l)
		}
		op = "Gemm"
		in = append(in, ex.weight(n.Name, "weight", l.Weight.Data, l.Weight.Shape...))
		if l.Bias != nil {
			in = append(in, ex.weight(n.Name, "bias", l.Bias.Data, l.Bias.Shape...))
		}
		attrs = []onnx.Attribute{onnx.FloatAttr("alpha", 1), onnx.FloatAttr("beta", 1), onnx.IntAttr("transB", 1)}
	case *nn.ReLU:
		op = "Relu"
		if l.Cap > 0 {
			op = "Clip"
			in = append(in, ex.scalar(n.Name, "min", 0), ex.scalar(n.Name, "max", l.Cap))
		}
	case *nn.MaxPool:
		op = "MaxPool"
		attrs = poolAttrs(l.Kernel, l.Stride, l.Pad, l.Ceil)
	case *nn.AvgPool:
		op = "AveragePool"
		attrs = append(poolAttrs(l.Kernel, l.Stride, l.Pad, l.Ceil), onnx.IntAttr("count_include_pad", b2i(l.CountPad)))
	case *nn.GlobalAvgPool:
		op = "GlobalAveragePool"
	case *nn.BatchNorm:
		op = "BatchNormalization"
		in = append(in,
			ex.weight(n.Name, "weight", l.Scale.Data, l.C),
			ex.weight(n.Name, "bias", l.Bias.Data, l.C),
			ex.weight(n.Name, "running_mean", l.Mean, l.C),
			ex.weight(n.Name, "running_var", l.Var, l.C))
		eps, mom := l.Eps, l.Momentum
		if eps == 0 {
			eps = 1e-5
		}
		if mom == 0 {
			mom = 0.1
		}
		attrs = []onnx.Attribute{onnx.FloatAttr("epsilon", eps), onnx.FloatAttr("momentum", 1-mom)}
	case *nn.Add:
		op = "Add"
		if len(in) > 2 {
			op = "Sum"
		}
	case *nn.Concat:
		op = "Concat"
		attrs = []onnx.Attribute{onnx.IntAttr("axis", 1)}
	case *nn.Flatten:
		op = "Flatten"
		attrs = []onnx.Attribute{onnx.IntAttr("axis", 1)}
	case *nn.Dropout:
		op = "Dropout"
		in = append(in, ex.scalar(n.Name, "ratio", l.Rate))
	case *nn.Act:
		return ex.act(n, l)
	case *nn.CBC:
		return ex.cbc(n, l)
	case *nn.Permute:
		return ex.permute(n, l)
	case *nn.Slice:
		op = "Slice"
		in = append(in, ex.ints64(n.Name, "starts", int64(l.Start)), ex.ints64(n.Name, "ends", int64(l.End)),
			ex.ints64(n.Name, "axes", int64(l.Axis+1)))
	case *nn.ReduceMean:
		op = "ReduceMean"
		axes := make([]int64, len(l.Axes))
		for i, a := range l.Axes {
			axes[i] = int64(a + 1)
		}
		attrs = []onnx.Attribute{onnx.IntsAttr("axes", axes...), onnx.IntAttr("keepdims", b2i(l.Keep))}
	case *nn.MatMul:
		op = "MatMul"
	case *nn.Pad:
		op = "Pad"
		r := len(l.Pads) / 2
		pads := make([]int64, 0, 2*r+2)
		pads = append(pads, 0)
		pads = append(pads, ints(l.Pads[:r]...)...)
		pads = append(pads, 0)
		pads = append(pads, ints(l.Pads[r:]...)...)
		in = append(in, ex.ints64(n.Name, "pads", pads...), ex.scalar(n.Name, "value", l.Value))
	case *nn.LayerNorm:
		op = "LayerNormalization"
		in = append(in, ex.weight(n.Name, "weight", l.Scale.Data, l.Scale.Shape...))
		if l.Bias != nil {
			in = append(in, ex.weight(n.Name, "bias", l.Bias.Data, l.Bias.Shape...))
		}
		attrs = []onnx.Attribute{onnx.IntAttr("axis", int64(-l.Axes)), onnx.FloatAttr("epsilon", l.Eps)}
	case *nn.Softmax:
		op = "Softmax"
		if l.Log {
			op = "LogSoftmax"
		}
		attrs = []onnx.Attribute{onnx.IntAttr("axis", int64(l.Axis+1))}
	case *nn.Binary:
		op = map[nn.Op]string{nn.OpAdd: "Add", nn.OpSub: "Sub", nn.OpMul: "Mul", nn.OpDiv: "Div"}[l.Op]
		if l.Const != nil {
			c := ex.weight(n.Name, "const", l.Const.Data, l.Const.Shape...)
			if l.ConstLeft {
				in = []string{c, in[0]}
			} else {
				in = append(in, c)
			}
		}
	default:
		return fmt.Errorf("layer %T cannot be exported", n.Layer)
	}
	ex.g.AddNode(op, in, out, attrs...).Name = n.Name
	return nil
}

// act exports an activation as its ONNX operator, or as the nodes PyTorch
// writes at opset 13: SiLU as Sigmoid then Mul, HardSwish as HardSigmoid
// then Mul, GELU as Div, Erf, Add, Mul, Mul.
func (ex *exporter) act(n *nn.Node, l *nn.Act) error {
	x := n.Inputs[0]
	node := func(op string, in []string, out string, attrs ...onnx.Attribute) {
		ex.g.AddNode(op, in, []string{out}, attrs...).Name = out
	}
	tmp := func(suffix string) string { return ex.name(n.Name + "/" + suffix) }
	switch l.Func {
	case nn.Sigmoid, nn.Tanh, nn.Erf, nn.Sqrt, nn.Exp:
		op := map[nn.Func]string{nn.Sigmoid: "Sigmoid", nn.Tanh: "Tanh", nn.Erf: "Erf", nn.Sqrt: "Sqrt", nn.Exp: "Exp"}[l.Func]
		node(op, []string{x}, n.Name)
	case nn.HardSigmoid:
		node("HardSigmoid", []string{x}, n.Name, onnx.FloatAttr("alpha", l.Alpha), onnx.FloatAttr("beta", l.Beta))
	case nn.LeakyReLU:
		node("LeakyRelu", []string{x}, n.Name, onnx.FloatAttr("alpha", l.Alpha))
	case nn.Pow:
		node("Pow", []string{x, ex.scalar(n.Name, "exponent", l.Alpha)}, n.Name)
	case nn.SiLU:
		s := tmp("sigmoid")
		node("Sigmoid", []string{x}, s)
		node("Mul", []string{x, s}, n.Name)
	case nn.HardSwish:
		s := tmp("hardsigmoid")
		node("HardSigmoid", []string{x}, s, onnx.FloatAttr("alpha", l.Alpha), onnx.FloatAttr("beta", l.Beta))
		node("Mul", []string{x, s}, n.Name)
	case nn.GELU:
		d, e, a, m := tmp("div"), tmp("erf"), tmp("add"), tmp("mul")
		node("Div", []string{x, ex.scalar(n.Name, "sqrt2", float32(math.Sqrt2))}, d)
		node("Erf", []string{d}, e)
		node("Add", []string{e, ex.scalar(n.Name, "one", 1)}, a)
		node("Mul", []string{x, a}, m)
		node("Mul", []string{m, ex.scalar(n.Name, "half", 0.5)}, n.Name)
	default:
		return fmt.Errorf("activation %v cannot be exported", l.Func)
	}
	return nil
}

// linearRows exports a linear layer applied along the last axis of
// [..., In] as MatMul by the transposed weight, then Add of the bias.
func (ex *exporter) linearRows(n *nn.Node, l *nn.Linear) error {
	wt := make([]float32, l.In*l.Out)
	for o := range l.Out {
		for i := range l.In {
			wt[i*l.Out+o] = l.Weight.Data[o*l.In+i]
		}
	}
	w := ex.weight(n.Name, "weight", wt, l.In, l.Out)
	if l.Bias == nil {
		ex.g.AddNode("MatMul", []string{n.Inputs[0], w}, []string{n.Name}).Name = n.Name
		return nil
	}
	// The MatMul node carries the layer's name, which the importer gives
	// the linear layer it makes of MatMul and Add.
	mm := ex.name(n.Name + "/matmul")
	ex.g.AddNode("MatMul", []string{n.Inputs[0], w}, []string{mm}).Name = n.Name
	ex.g.AddNode("Add", []string{mm, ex.weight(n.Name, "bias", l.Bias.Data, l.Out)}, []string{n.Name}).Name = ex.name(n.Name + "/bias")
	return nil
}

// permute exports a Permute as Reshape, Transpose, Reshape (each only when
// needed), the batch kept first.
func (ex *exporter) permute(n *nn.Node, l *nn.Permute) error {
	type step struct {
		op    string
		in    string
		attrs []onnx.Attribute
	}
	var steps []step
	if l.In != nil {
		steps = append(steps, step{op: "Reshape", in: ex.shape(n.Name, "in_shape", l.In)})
	}
	if l.Perm != nil {
		perm := []int64{0}
		for _, p := range l.Perm {
			perm = append(perm, int64(p+1))
		}
		steps = append(steps, step{op: "Transpose", attrs: []onnx.Attribute{onnx.IntsAttr("perm", perm...)}})
	}
	if l.Out != nil || len(steps) == 0 {
		out := l.Out
		if out == nil {
			out = ex.shapes[n.Name]
		}
		steps = append(steps, step{op: "Reshape", in: ex.shape(n.Name, "out_shape", out)})
	}
	x := n.Inputs[0]
	for i, s := range steps {
		out := n.Name
		if i < len(steps)-1 {
			out = ex.name(n.Name + "/" + strings.ToLower(s.op))
		}
		in := []string{x}
		if s.in != "" {
			in = append(in, s.in)
		}
		ex.g.AddNode(s.op, in, []string{out}, s.attrs...).Name = out
		x = out
	}
	return nil
}

func poolAttrs(kernel, stride [2]int, pad [4]int, ceil bool) []onnx.Attribute {
	return []onnx.Attribute{
		onnx.IntsAttr("kernel_shape", ints(kernel[:]...)...),
		onnx.IntsAttr("strides", ints(one(stride[0]), one(stride[1]))...),
		onnx.IntsAttr("pads", ints(pad[:]...)...),
		onnx.IntAttr("ceil_mode", b2i(ceil)),
	}
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// cbc exports a partial bypass as standard operators: Slice of the first
// Keep computed channels (when the layer computes more), Slice of the input
// channels from Keep on, and Concat along the channels; an Identity when
// one side is empty.
func (ex *exporter) cbc(n *nn.Node, l *nn.CBC) error {
	f, x := n.Inputs[0], n.Inputs[1]
	fc, xc := ex.shapes[f][0], ex.shapes[x][0]
	slice := func(v, suffix string, start, end int) string {
		out := ex.name(n.Name + "." + suffix)
		ex.g.AddNode("Slice", []string{v, ex.ints64(n.Name, suffix+".starts", int64(start)),
			ex.ints64(n.Name, suffix+".ends", int64(end)), ex.ints64(n.Name, suffix+".axes", 1)}, []string{out}).Name = out
		return out
	}
	var parts []string
	if l.Keep > 0 {
		if l.Keep < fc {
			f = slice(f, "computed", 0, l.Keep)
		}
		parts = append(parts, f)
	}
	if l.Keep < xc {
		parts = append(parts, slice(x, "bypassed", l.Keep, xc))
	}
	if len(parts) == 1 {
		ex.g.AddNode("Identity", parts, []string{n.Name}).Name = n.Name
		return nil
	}
	ex.g.AddNode("Concat", parts, []string{n.Name}, onnx.IntAttr("axis", 1)).Name = n.Name
	return nil
}
