package onnx

import (
	"math"
	"slices"

	"github.com/nnergy/nnergy/nn"
	"github.com/nnergy/nnergy/onnx"
	"github.com/nnergy/nnergy/onnx/graph"
)

// converters maps each supported op_type to the function that imports it.
var converters = map[string]func(*importer, *onnx.Node) error{
	"Conv":               (*importer).conv,
	"Gemm":               (*importer).gemm,
	"MatMul":             (*importer).matmul,
	"Relu":               (*importer).relu,
	"Clip":               (*importer).clip,
	"MaxPool":            (*importer).maxPool,
	"AveragePool":        (*importer).avgPool,
	"GlobalAveragePool":  (*importer).globalAvgPool,
	"BatchNormalization": (*importer).batchNorm,
	"Add":                (*importer).addOp,
	"Sub":                binary(nn.OpSub),
	"Mul":                binary(nn.OpMul),
	"Div":                binary(nn.OpDiv),
	"Pow":                (*importer).pow,
	"Sigmoid":            unary(nn.Sigmoid),
	"Tanh":               unary(nn.Tanh),
	"Erf":                unary(nn.Erf),
	"Sqrt":               unary(nn.Sqrt),
	"Exp":                unary(nn.Exp),
	"HardSwish":          unary(nn.HardSwish),
	"HardSigmoid":        (*importer).hardSigmoid,
	"LeakyRelu":          (*importer).leakyRelu,
	"Gelu":               (*importer).gelu,
	"Softmax":            softmax(false),
	"LogSoftmax":         softmax(true),
	"Transpose":          (*importer).transpose,
	"LayerNormalization": (*importer).layerNorm,
	"ReduceMean":         (*importer).reduceMean,
	"Sum":                (*importer).sum,
	"Concat":             (*importer).concat,
	"Flatten":            (*importer).flatten,
	"Reshape":            (*importer).reshape,
	"Dropout":            (*importer).dropout,
	"Identity":           (*importer).identity,
	"Pad":                (*importer).padOp,
	"Slice":              (*importer).sliceAct,
	"Cast":               (*importer).cast,
}

// window reads the 2-D window attributes shared by Conv and the pooling
// ops (see graph.ReadWindow) for the node's input [N C H W] as ONNX has it,
// after any Pad the node absorbs. kernel is the default kernel shape (Conv
// takes it from the weights; pools require it).
func (im *importer) window(n *onnx.Node, kernel []int64) (k, s, d [2]int, pad [4]int, err error) {
	w, err := graph.ReadWindow(n, im.call.In[0].Shape[2:], kernel)
	if err != nil {
		return k, s, d, pad, im.inFile(err)
	}
	for i := range 2 {
		k[i], s[i], d[i] = int(w.Kernel[i]), int(w.Strides[i]), int(w.Dilations[i])
	}
	for i := range 4 {
		pad[i] = int(w.Pads[i])
	}
	return k, s, d, pad, nil
}

func (im *importer) conv(n *onnx.Node) error {
	x, extra, err := im.padded(n, 0)
	if err != nil {
		return err
	}
	w, err := im.weight(n, 1, 4, true)
	if err != nil {
		return err
	}
	b, err := im.weight(n, 2, 1, false)
	if err != nil {
		return err
	}
	group, err := n.Int("group", 1) // positive: the front-end has checked it
	if err != nil {
		return im.inFile(err)
	}
	k, s, d, pad, err := im.window(n, w.Dims[2:])
	if err != nil {
		return err
	}
	for i := range pad {
		pad[i] += extra[i]
	}
	c := &nn.Conv{InC: x.shape[0], OutC: int(w.Dims[0]), Kernel: k, Stride: s, Pad: pad, Dilation: d, Groups: int(group),
		Weight: nn.NewParam(clone32(w.Floats), toInts(w.Dims)...)}
	if b != nil {
		c.Bias = nn.NewParam(clone32(b.Floats), toInts(b.Dims)...)
	}
	return im.add(n, c, x.act)
}

func (im *importer) gemm(n *onnx.Node) error {
	x, err := im.anyAct(n, 0)
	if err != nil {
		return err
	}
	if d := x.dims(); len(d) != 2 {
		return im.errorf(n, "input %q has shape %s, want [N F]", n.Input(0), d)
	}
	if x, err = im.rows(n, n.Input(0), x); err != nil {
		return err
	}
	var attr [2]int64
	for i, a := range []string{"transA", "transB"} {
		if attr[i], err = n.Int(a, 0); err != nil {
			return im.inFile(err)
		}
	}
	if attr[0] != 0 {
		return im.inFile(n.AttrErrorf("transA", "a transposed activation is not supported"))
	}
	alpha, err := n.Float("alpha", 1)
	if err != nil {
		return im.inFile(err)
	}
	beta, err := n.Float("beta", 1)
	if err != nil {
		return im.inFile(err)
	}
	w, err := im.weight(n, 1, 2, true)
	if err != nil {
		return err
	}
	l := linear(w, attr[1] != 0, alpha)
	c, err := im.weight(n, 2, -1, false)
	if err != nil {
		return err
	}
	if c != nil {
		bias, ok := vector(c, l.Out)
		if !ok {
			return im.errorf(n, "bias %q has shape %v; want a scalar, [%d] or [1 %d]", n.Input(2), c.Dims, l.Out, l.Out)
		}
		for i := range bias {
			bias[i] *= beta
		}
		l.Bias = nn.NewParam(bias, l.Out)
	}
	y, err := im.layer(n, "", l, x.act)
	if err != nil {
		return err
	}
	im.defineView(n, y, x.groups())
	return nil
}

// linear returns a linear layer without bias for weight w ([Out In] when
// transposed, else [In Out]) scaled by alpha.
func linear(w *onnx.Tensor, transposed bool, alpha float32) *nn.Linear {
	r, c := int(w.Dims[0]), int(w.Dims[1])
	data := make([]float32, r*c)
	if transposed {
		copy(data, w.Floats)
	} else {
		for i := range r {
			for j := range c {
				data[j*r+i] = w.Floats[i*c+j]
			}
		}
		r, c = c, r
	}
	if alpha != 1 {
		for i := range data {
			data[i] *= alpha
		}
	}
	return &nn.Linear{In: c, Out: r, Weight: nn.NewParam(data, r, c)}
}

// vector returns a copy of t's data broadcast to n values when t is a
// scalar, [n] or [1 n].
func vector(t *onnx.Tensor, n int) ([]float32, bool) {
	switch {
	case len(t.Floats) == 1 && len(t.Dims) <= 2:
		v := make([]float32, n)
		for i := range v {
			v[i] = t.Floats[0]
		}
		return v, true
	case slices.Equal(t.Dims, []int64{int64(n)}), slices.Equal(t.Dims, []int64{1, int64(n)}):
		return clone32(t.Floats), true
	}
	return nil, false
}

// matmul imports MatMul of an activation [N... F] by a constant matrix as
// a linear layer along the last dimension, and MatMul of two activations
// as a batched product.
func (im *importer) matmul(n *onnx.Node) error {
	if b, err := im.get(n, 1); err == nil && b.act != "" {
		return im.matmulActs(n)
	}
	x, err := im.anyAct(n, 0)
	if err != nil {
		return err
	}
	if x, err = im.rows(n, n.Input(0), x); err != nil {
		return err
	}
	w, err := im.weight(n, 1, 2, true)
	if err != nil {
		return err
	}
	l := linear(w, false, 1)
	v, err := im.layer(n, "", l, x.act)
	if err != nil {
		return err
	}
	im.defineView(n, v, x.groups())
	return nil
}

func (im *importer) relu(n *onnx.Node) error {
	x, err := im.act(n, 0)
	if err != nil {
		return err
	}
	return im.add(n, nn.NewReLU(), x.act)
}

// clip imports Clip(min 0, max c) as a ReLU capped at c (uncapped without
// a finite max).
func (im *importer) clip(n *onnx.Node) error {
	x, err := im.act(n, 0)
	if err != nil {
		return err
	}
	lo, hi := float32(-math.MaxFloat32), float32(math.MaxFloat32)
	if im.opset < 11 {
		if lo, err = n.Float("min", lo); err != nil {
			return im.inFile(err)
		}
		if hi, err = n.Float("max", hi); err != nil {
			return im.inFile(err)
		}
	} else {
		if lo, err = im.scalar(n, 1, lo); err != nil {
			return err
		}
		if hi, err = im.scalar(n, 2, hi); err != nil {
			return err
		}
	}
	if lo != 0 || !(hi > 0) {
		return im.errorf(n, "Clip to [%v, %v] is not supported (only min 0 and a positive max: ReLU, ReLU6)", lo, hi)
	}
	if hi >= math.MaxFloat32 {
		hi = 0
	}
	// PyTorch exports ReLU6 as Relu then Clip(0, 6): one capped ReLU.
	if x.node != nil {
		if r, ok := x.node.Layer.(*nn.ReLU); ok && r.Cap == 0 && im.readers(x) == 1 {
			r.Cap = hi
			return im.alias(n, x)
		}
	}
	return im.add(n, &nn.ReLU{Cap: hi}, x.act)
}

// pool reads the input and the attributes common to MaxPool and
// AveragePool, and the padding of a Pad before it (extra).
func (im *importer) pool(n *onnx.Node, absorb bool) (x *value, extra [4]int, k, s [2]int, pad [4]int, ceil bool, err error) {
	if absorb {
		x, extra, err = im.padded(n, 0)
	} else {
		x, err = im.image(n, 0)
	}
	if err != nil {
		return
	}
	var d [2]int
	if k, s, d, pad, err = im.window(n, nil); err != nil {
		return
	}
	if d != [2]int{1, 1} {
		err = im.inFile(n.AttrErrorf("dilations", "dilated pooling is not supported"))
		return
	}
	c, err := n.Int("ceil_mode", 0)
	return x, extra, k, s, pad, c != 0, im.inFile(err)
}

func (im *importer) maxPool(n *onnx.Node) error {
	// A zero Pad before it is a layer: MaxPool's own padding is -∞.
	x, _, k, s, pad, ceil, err := im.pool(n, false)
	if err != nil {
		return err
	}
	return im.add(n, &nn.MaxPool{Kernel: k, Stride: s, Pad: pad, Ceil: ceil}, x.act)
}

// avgPool imports AveragePool. Zeros a Pad added before it count in every
// window, as they do with count_include_pad: PyTorch exports AvgPool2d with
// padding and count_include_pad as Pad then AveragePool.
func (im *importer) avgPool(n *onnx.Node) error {
	x, extra, k, s, pad, ceil, err := im.pool(n, true)
	if err != nil {
		return err
	}
	cp, err := n.Int("count_include_pad", 0)
	if err != nil {
		return im.inFile(err)
	}
	if extra != [4]int{} {
		if cp == 0 && pad != [4]int{} {
			return im.errorf(n, "a Pad before an AveragePool with its own pads and count_include_pad 0 is not supported")
		}
		if ceil {
			return im.errorf(n, "a Pad before an AveragePool with ceil_mode is not supported")
		}
		for i := range pad {
			pad[i] += extra[i]
		}
		cp = 1
	}
	return im.add(n, &nn.AvgPool{Kernel: k, Stride: s, Pad: pad, Ceil: ceil, CountPad: cp != 0}, x.act)
}

// padOp imports Pad in constant mode. A zero padding of the height and
// width of an image adds no layer: the Conv or AveragePool that reads it
// takes the padding (any other reader gets an nn.Pad). Other constant
// paddings of the per-sample axes are an nn.Pad.
func (im *importer) padOp(n *onnx.Node) error {
	x, err := im.act(n, 0)
	if err != nil {
		return err
	}
	mode, err := n.Str("mode", "constant")
	if err != nil {
		return im.inFile(err)
	}
	if mode != "constant" {
		return im.inFile(n.AttrErrorf("mode", "only constant padding is supported, got %q", mode))
	}
	pads, err := im.ints(n, 1, "pads")
	if err != nil {
		return err
	}
	fill, err := n.Float("value", 0) // an attribute before opset 11, input 2 from 11
	if err != nil {
		return im.inFile(err)
	}
	if fill, err = im.scalar(n, 2, fill); err != nil {
		return err
	}
	if n.Input(3) != "" {
		return im.errorf(n, "padding chosen axes (input \"axes\") is not supported")
	}
	r := len(x.shape) + 1
	if len(pads) != 2*r || pads[0] != 0 || pads[r] != 0 || slices.Min(pads) < 0 {
		return im.errorf(n, "pads %v: only non-negative padding of the %d dimensions after the batch is supported", pads, r-1)
	}
	if r == 4 && fill == 0 && pads[1] == 0 && pads[5] == 0 {
		pad := [4]int{int(pads[2]), int(pads[3]), int(pads[6]), int(pads[7])}
		im.define(n, &value{act: x.act, shape: x.shape, pad: &pad})
		return nil
	}
	per := make([]int, 0, 2*(r-1))
	for _, p := range pads[1:r] {
		per = append(per, int(p))
	}
	for _, p := range pads[r+1:] {
		per = append(per, int(p))
	}
	return im.add(n, &nn.Pad{Pads: per, Value: fill}, x.act)
}

func (im *importer) globalAvgPool(n *onnx.Node) error {
	x, err := im.image(n, 0)
	if err != nil {
		return err
	}
	return im.add(n, &nn.GlobalAvgPool{}, x.act)
}

func (im *importer) batchNorm(n *onnx.Node) error {
	x, err := im.act(n, 0)
	if err != nil {
		return err
	}
	c := x.shape[0]
	var p [4]*onnx.Tensor
	for i := range p {
		if p[i], err = im.weight(n, i+1, 1, true); err != nil {
			return err
		}
		if p[i].Dims[0] != int64(c) {
			return im.errorf(n, "input %q has shape %v for %d channels", n.Input(i+1), p[i].Dims, c)
		}
	}
	eps, err := n.Float("epsilon", 1e-5)
	if err != nil {
		return im.inFile(err)
	}
	mom, err := n.Float("momentum", 0.9)
	if err != nil {
		return im.inFile(err)
	}
	if sp, err := n.Int("spatial", 1); err != nil || sp != 1 {
		if err != nil {
			return im.inFile(err)
		}
		return im.inFile(n.AttrErrorf("spatial", "only 1 is supported"))
	}
	if eps <= 0 || mom < 0 || mom >= 1 {
		return im.errorf(n, "epsilon %v must be positive and momentum %v in [0, 1)", eps, mom)
	}
	bn := &nn.BatchNorm{C: c, Eps: eps, Momentum: 1 - mom,
		Scale: nn.NewParam(clone32(p[0].Floats), c), Bias: nn.NewParam(clone32(p[1].Floats), c),
		Mean: clone32(p[2].Floats), Var: clone32(p[3].Floats)}
	return im.add(n, bn, x.act)
}

// addOp imports Add of two activations of one shape, or of a constant that
// is the bias of the Gemm, MatMul or Conv (without bias) before it.
func (im *importer) addOp(n *onnx.Node) error {
	a, err := im.get(n, 0)
	if err != nil {
		return err
	}
	b, err := im.get(n, 1)
	if err != nil {
		return err
	}
	if a.act != "" && b.act != "" {
		return binary(nn.OpAdd)(im, n)
	}
	if a.act == "" {
		a, b = b, a
	}
	if a.pad == nil && im.bias(a, b.c) == "" {
		return im.alias(n, a)
	}
	return binary(nn.OpAdd)(im, n)
}

// bias makes constant c the bias of the layer that computes activation a,
// or says why it cannot.
func (im *importer) bias(a *value, c *onnx.Tensor) string {
	if a.node == nil {
		return "the other input is not computed by such a layer"
	}
	if im.readers(a) != 1 {
		return "the layer's output is read elsewhere too"
	}
	if c.DataType != onnx.Float {
		return "the constant is not FLOAT"
	}
	switch l := a.node.Layer.(type) {
	case *nn.Linear:
		if l.Bias != nil {
			return "the layer already has a bias"
		}
		if !slices.Equal(c.Dims, []int64{int64(l.Out)}) && !slices.Equal(c.Dims, []int64{1, int64(l.Out)}) {
			return "the constant's shape is not [out] or [1 out]"
		}
		l.Bias = nn.NewParam(clone32(c.Floats), l.Out)
	case *nn.Conv:
		if l.Bias != nil {
			return "the layer already has a bias"
		}
		oc := int64(l.OutC)
		if !slices.Equal(c.Dims, []int64{oc, 1, 1}) && !slices.Equal(c.Dims, []int64{1, oc, 1, 1}) {
			return "the constant's shape is not [C 1 1] or [1 C 1 1]"
		}
		l.Bias = nn.NewParam(clone32(c.Floats), l.OutC)
	default:
		return "the other input is not computed by such a layer"
	}
	a.node = nil
	return ""
}

// sum imports Add or Sum of activations of one shape.
func (im *importer) sum(n *onnx.Node) error {
	var ins []string
	var shape []int
	for i := range n.Inputs {
		x, err := im.act(n, i)
		if err != nil {
			return err
		}
		if i > 0 && !slices.Equal(x.shape, shape) {
			return im.errorf(n, "inputs of shapes [N %s] and [N %s]: broadcasting is not supported", shapeString(shape), shapeString(x.shape))
		}
		ins, shape = append(ins, x.act), x.shape
	}
	switch len(ins) {
	case 0:
		return im.errorf(n, "no inputs")
	case 1:
		return im.alias(n, im.vals[n.Inputs[0]])
	}
	return im.add(n, &nn.Add{}, ins...)
}

func (im *importer) concat(n *onnx.Node) error {
	var ins []string
	var x *value
	for i := range n.Inputs {
		var err error
		if x, err = im.act(n, i); err != nil {
			return err
		}
		ins = append(ins, x.act)
	}
	ax, err := n.Int("axis", 0) // present: the front-end requires it
	if err != nil {
		return im.inFile(err)
	}
	if a, err := graph.Axis(ax, len(x.shape)+1); err != nil || a != 1 {
		return im.inFile(n.AttrErrorf("axis", "only the channel axis (1) is supported, got %d", ax))
	}
	return im.add(n, &nn.Concat{}, ins...)
}

func (im *importer) flatten(n *onnx.Node) error {
	x, err := im.act(n, 0)
	if err != nil {
		return err
	}
	ax, err := n.Int("axis", 1)
	if err != nil {
		return im.inFile(err)
	}
	if r := int64(len(x.shape) + 1); ax != 1 && ax != 1-r {
		return im.inFile(n.AttrErrorf("axis", "only flattening each sample (axis 1) is supported, got %d", ax))
	}
	if len(x.shape) == 1 {
		return im.alias(n, x)
	}
	return im.add(n, &nn.Flatten{}, x.act)
}

// reshape imports Reshape from the output shape the front-end infers: one
// that keeps the batch first and alone changes the per-sample shape (not
// at all, a flatten, or a permute's reshape); any other regroups the
// input's view (reshapeView).
func (im *importer) reshape(n *onnx.Node) error {
	x, err := im.anyAct(n, 0)
	if err != nil {
		return err
	}
	out, err := im.call.Dims(n.Outputs[0])
	if err != nil {
		return err
	}
	if x.view != nil || len(out) == 0 || out[0] != -1 || slices.ContainsFunc(out[1:], func(d int64) bool { return d < 0 }) {
		return im.reshapeView(n, x, out)
	}
	rest := toInts(out[1:])
	switch {
	case slices.Equal(rest, x.shape):
		return im.alias(n, x)
	case len(rest) == 1:
		return im.add(n, &nn.Flatten{}, x.act)
	}
	return im.add(n, &nn.Permute{Out: rest}, x.act)
}

func (im *importer) dropout(n *onnx.Node) error {
	x, err := im.act(n, 0)
	if err != nil {
		return err
	}
	ratio := float32(0.5)
	if im.opset < 12 {
		if ratio, err = n.Float("ratio", ratio); err != nil {
			return im.inFile(err)
		}
	} else if ratio, err = im.scalar(n, 1, ratio); err != nil {
		return err
	}
	if ratio < 0 || ratio >= 1 {
		return im.errorf(n, "ratio %v outside [0, 1)", ratio)
	}
	return im.add(n, nn.NewDropout(ratio), x.act)
}

func (im *importer) identity(n *onnx.Node) error {
	v, err := im.get(n, 0)
	if err != nil {
		return err
	}
	return im.alias(n, v)
}

// cast imports Cast of an activation to FLOAT, which changes nothing (the
// front-end folds Cast of constants).
func (im *importer) cast(n *onnx.Node) error {
	v, err := im.get(n, 0) // an activation, as it is laid out
	if err != nil {
		return err
	}
	to, err := n.Int("to", 0)
	if err != nil {
		return im.inFile(err)
	}
	if dt := onnx.DataType(to); dt != onnx.Float {
		return im.inFile(n.AttrErrorf("to", "casting an activation to %s is not supported", dt))
	}
	return im.alias(n, v)
}

// ints returns integer input i of n, or, when it is absent, the INTS
// attribute attr that it was before it became an input (nil when neither
// is given). The input must be a constant that does not depend on the
// batch size.
func (im *importer) ints(n *onnx.Node, i int, attr string) ([]int64, error) {
	if _, err := im.constant(n, i, false); err != nil {
		return nil, err
	}
	return im.call.IntsInputOrAttr(i, attr)
}
