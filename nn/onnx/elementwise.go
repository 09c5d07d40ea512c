package onnx

import (
	"math"
	"slices"

	"github.com/nnergy/nnergy/nn"
	"github.com/nnergy/nnergy/onnx"
	"github.com/nnergy/nnergy/onnx/graph"
)

// unary imports the activations without attributes.
func unary(f nn.Func) func(*importer, *onnx.Node) error {
	return func(im *importer, n *onnx.Node) error {
		return im.elementwise(n, nn.NewAct(f))
	}
}

// elementwise imports an operation on each value of input 0, which keeps
// its view.
func (im *importer) elementwise(n *onnx.Node, l nn.Layer) error {
	x, err := im.anyAct(n, 0)
	if err != nil {
		return err
	}
	w, err := im.layer(n, "", l, x.act)
	if err != nil {
		return err
	}
	im.defineView(n, w, x.groups())
	return nil
}

func (im *importer) hardSigmoid(n *onnx.Node) error {
	a, err := n.Float("alpha", 0.2)
	if err != nil {
		return im.inFile(err)
	}
	b, err := n.Float("beta", 0.5)
	if err != nil {
		return im.inFile(err)
	}
	return im.elementwise(n, &nn.Act{Func: nn.HardSigmoid, Alpha: a, Beta: b})
}

func (im *importer) leakyRelu(n *onnx.Node) error {
	a, err := n.Float("alpha", 0.01)
	if err != nil {
		return im.inFile(err)
	}
	return im.elementwise(n, &nn.Act{Func: nn.LeakyReLU, Alpha: a})
}

// gelu imports Gelu (opset 20) in its exact (erf) form.
func (im *importer) gelu(n *onnx.Node) error {
	ap, err := n.Str("approximate", "none")
	if err != nil {
		return im.inFile(err)
	}
	if ap != "none" {
		return im.inFile(n.AttrErrorf("approximate", "only the exact form (\"none\") is supported, got %q", ap))
	}
	return im.elementwise(n, nn.NewAct(nn.GELU))
}

// pow imports Pow of an activation by a constant scalar exponent.
func (im *importer) pow(n *onnx.Node) error {
	if _, err := im.anyAct(n, 0); err != nil {
		return err
	}
	t, err := im.constant(n, 1, true)
	if err != nil {
		return err
	}
	var e float64
	switch {
	case t.DataType == onnx.Float && len(t.Floats) == 1:
		e = float64(t.Floats[0])
	case t.DataType != onnx.Float && len(t.Ints) == 1:
		e = float64(t.Ints[0])
	default:
		return im.errorf(n, "exponent %q must be a scalar constant, has shape %v", n.Input(1), t.Dims)
	}
	return im.elementwise(n, &nn.Act{Func: nn.Pow, Alpha: float32(e)})
}

// binary imports Add, Sub, Mul and Div; Add first tries to be a bias
// ([importer.addOp]). The operands are two activations, broadcast against
// each other, or an activation and a constant (the front-end folds
// arithmetic on constants).
func binary(op nn.Op) func(*importer, *onnx.Node) error {
	return func(im *importer, n *onnx.Node) error {
		a, err := im.get(n, 0)
		if err != nil {
			return err
		}
		b, err := im.get(n, 1)
		if err != nil {
			return err
		}
		if a.act != "" && b.act != "" {
			if a, err = im.anyAct(n, 0); err != nil {
				return err
			}
			if b, err = im.anyAct(n, 1); err != nil {
				return err
			}
			if (a.view != nil || b.view != nil) && slices.Equal(a.shape, b.shape) && slices.EqualFunc(a.groups(), b.groups(), slices.Equal) {
				// Laid out alike: computed as they are.
				var l nn.Layer = &nn.Binary{Op: op}
				if op == nn.OpAdd {
					l = &nn.Add{}
				}
				if op == nn.OpMul {
					if done, err := im.swish(n, a, b); done || err != nil {
						return err
					}
				}
				w, err := im.layer(n, "", l, a.act, b.act)
				if err != nil {
					return err
				}
				im.defineView(n, w, a.groups())
				return nil
			}
			if a, err = im.act(n, 0); err != nil {
				return err
			}
			if b, err = im.act(n, 1); err != nil {
				return err
			}
			if op == nn.OpMul {
				if done, err := im.swish(n, a, b); done || err != nil {
					return err
				}
			}
			if op == nn.OpAdd && slices.Equal(a.shape, b.shape) {
				return im.add(n, &nn.Add{}, a.act, b.act)
			}
			return im.add(n, &nn.Binary{Op: op}, a.act, b.act)
		}
		left := a.act == ""
		k, c := 1, a.c
		if !left {
			k, c = 0, b.c
		}
		x, err := im.anyAct(n, k)
		if err != nil {
			return err
		}
		if x.view != nil {
			x, err = im.constLayout(n, k, x, c)
			if err != nil {
				return err
			}
		}
		p, err := im.constOperand(n, c, len(x.shape))
		if err != nil {
			return err
		}
		var l nn.Layer = &nn.Binary{Op: op, Const: p, ConstLeft: left, Frozen: p.Len() == 1}
		in := x.act
		if op == nn.OpMul && p.Len() == 1 && p.Data[0] == 0.5 {
			if g := im.geluChain(x); g != nil {
				l, in = nn.NewAct(nn.GELU), g[0]
			}
		}
		w, err := im.layer(n, "", l, in)
		if err != nil {
			return err
		}
		im.defineView(n, w, x.groups())
		return nil
	}
}

// constLayout returns activation x (input k of n, with a view) laid out
// for an operation with constant c: as it is for a scalar, with its last
// dimension as the last axis for a constant that varies only along it
// (a bias or a layer norm's scale), else as [N, shape...].
func (im *importer) constLayout(n *onnx.Node, k int, x *value, c *onnx.Tensor) (*value, error) {
	if c.Len() == 1 {
		return x, nil
	}
	d := x.dims()
	if len(c.Dims) <= len(d) && !slices.ContainsFunc(c.Dims[:len(c.Dims)-1], func(v int64) bool { return v != 1 }) &&
		c.Dims[len(c.Dims)-1] == d[len(d)-1] {
		return im.rows(n, n.Input(k), x)
	}
	return im.canonical(n, n.Input(k), x)
}

// constOperand returns constant c, broadcast against an activation of
// per-sample rank r, as a parameter without the batch dimension: leading
// dimensions of size 1 beyond rank r are dropped; a constant that varies
// along the batch is refused.
func (im *importer) constOperand(n *onnx.Node, c *onnx.Tensor, r int) (*nn.Param, error) {
	dims := slices.Clone(c.Dims)
	for len(dims) > r {
		if dims[0] != 1 {
			return nil, im.errorf(n, "constant of shape %v varies along the batch dimension", c.Dims)
		}
		dims = dims[1:]
	}
	var data []float32
	switch {
	case c.DataType == onnx.Float:
		data = clone32(c.Floats)
	default:
		data = make([]float32, len(c.Ints))
		for i, v := range c.Ints {
			data[i] = float32(v)
		}
	}
	if int64(len(data)) != c.Len() {
		return nil, im.errorf(n, "constant has %d values for shape %v", len(data), c.Dims)
	}
	return nn.NewParam(data, toInts(dims)...), nil
}

// swish makes Mul(x, Sigmoid(x)) one SiLU and Mul(x, HardSigmoid(x)) with
// alpha 1/6 and beta 0.5 one HardSwish, as PyTorch exports them: the
// sigmoid's layer becomes the product's when nothing else reads it.
func (im *importer) swish(n *onnx.Node, a, b *value) (bool, error) {
	for _, p := range [][2]*value{{a, b}, {b, a}} {
		x, s := p[0], p[1]
		if s.node == nil || len(s.node.Inputs) != 1 || s.node.Inputs[0] != x.act || im.readers(s) != 1 {
			continue
		}
		act, ok := s.node.Layer.(*nn.Act)
		if !ok {
			continue
		}
		switch {
		case act.Func == nn.Sigmoid:
			act.Func = nn.SiLU
		case act.Func == nn.HardSigmoid && math.Abs(float64(act.Alpha)-1.0/6) < 1e-7 && act.Beta == 0.5:
			act.Func = nn.HardSwish
		default:
			continue
		}
		im.rename(s.node, n)
		s.node = nil
		return true, im.alias(n, s)
	}
	return false, nil
}

// softmax imports Softmax and LogSoftmax. Before opset 13 they normalise
// over all the axes from axis on; that is supported when axis is the last.
func softmax(log bool) func(*importer, *onnx.Node) error {
	return func(im *importer, n *onnx.Node) error {
		x, err := im.anyAct(n, 0)
		if err != nil {
			return err
		}
		r := len(x.groups())
		def := int64(-1)
		if im.opset < 13 {
			def = 1
		}
		ax, err := n.Int("axis", def)
		if err != nil {
			return im.inFile(err)
		}
		a, axErr := graph.Axis(ax, r)
		if axErr != nil || a == 0 {
			return im.inFile(n.AttrErrorf("axis", "axis %d of an input of rank %d is not supported (the batch axis or out of range)", ax, r))
		}
		if im.opset < 13 && a != r-1 {
			return im.inFile(n.AttrErrorf("axis", "before opset 13, only the last axis is supported, got %d of rank %d", ax, r))
		}
		if a == r-1 {
			x, err = im.rows(n, n.Input(0), x)
		} else {
			x, err = im.canonical(n, n.Input(0), x)
		}
		if err != nil {
			return err
		}
		g := x.groups()
		w, err := im.layer(n, "", &nn.Softmax{Axis: g[a][0] - 1, Log: log}, x.act)
		if err != nil {
			return err
		}
		im.defineView(n, w, g)
		return nil
	}
}

// geluChain recognises PyTorch's export of the exact GELU before opset 20,
// Mul(Mul(x, Add(Erf(Div(x, √2)), 1)), 0.5), when m is the inner Mul's
// output and nothing else reads the intermediate values: it removes their
// layers and returns x's name, for one GELU layer to replace them.
func (im *importer) geluChain(m *value) []string {
	mul := im.only(m.act)
	if mul == nil || len(mul.Inputs) != 2 {
		return nil
	}
	if b, ok := mul.Layer.(*nn.Binary); !ok || b.Op != nn.OpMul || b.Const != nil {
		return nil
	}
	for k := range 2 {
		x, a := mul.Inputs[k], mul.Inputs[1-k]
		add := im.only(a)
		if !isConstOp(add, nn.OpAdd, 1) {
			continue
		}
		erf := im.only(add.Inputs[0])
		if erf == nil {
			continue
		}
		if f, ok := erf.Layer.(*nn.Act); !ok || f.Func != nn.Erf {
			continue
		}
		div := im.only(erf.Inputs[0])
		if !isConstOp(div, nn.OpDiv, math.Sqrt2) || div.Inputs[0] != x {
			continue
		}
		drop := map[*nn.Node]bool{mul: true, add: true, erf: true, div: true}
		im.m.Nodes = slices.DeleteFunc(im.m.Nodes, func(n *nn.Node) bool { return drop[n] })
		return []string{x}
	}
	return nil
}

// only returns the layer computing nn tensor t when exactly one ONNX node
// (or graph output) reads it, else nil.
func (im *importer) only(t string) *nn.Node {
	r := 0
	for name, v := range im.vals {
		if v.act == t {
			r += im.uses[name]
		}
	}
	if r != 1 {
		return nil
	}
	return im.m.Node(t)
}

// isConstOp reports whether l is a Binary op with a frozen scalar constant
// equal to c (within float32 rounding), on the right unless op commutes.
func isConstOp(l *nn.Node, op nn.Op, c float64) bool {
	if l == nil {
		return false
	}
	b, ok := l.Layer.(*nn.Binary)
	return ok && b.Op == op && b.Const != nil && (!b.ConstLeft || op == nn.OpAdd || op == nn.OpMul) && b.Const.Len() == 1 &&
		math.Abs(float64(b.Const.Data[0])-c) <= 1e-6*c
}

// rename gives layer l, whose output nothing has read yet in the nn model,
// the name that ONNX node n's layer would get, so that a layer merged into
// the node that completes it is named after that node.
func (im *importer) rename(l *nn.Node, n *onnx.Node) {
	old := l.Name
	delete(im.names, old)
	name := im.names.Unique(graph.NodeName(n))
	if name == old {
		return
	}
	im.shapes[name] = im.shapes[old]
	delete(im.shapes, old)
	for _, v := range im.vals {
		if v.act == old {
			v.act = name
		}
	}
	l.Name = name
}
