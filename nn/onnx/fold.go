package onnx

import (
	"slices"

	"github.com/nnergy/nnergy/nn"
	"github.com/nnergy/nnergy/onnx"
	"github.com/nnergy/nnergy/onnx/graph"
)

// Constants are folded at import by the ONNX front-end (package
// onnx/graph): a node whose inputs are all constants becomes a constant.
// What remains here is the engine's own: the shape of an activation, in
// which the batch size is the symbol batchDim (and k·N is sym(k)), so that
// a Reshape target built from it can be recognised, and the arithmetic on
// such symbols.

// moves are the ops that only move data: they fold shape values holding
// batch symbols as they fold any other constant.
var moves = map[string]bool{"Gather": true, "Unsqueeze": true, "Squeeze": true, "Concat": true,
	"Slice": true, "Identity": true}

// fold makes the outputs of n constants when all its inputs are, with the
// front-end's op of n's type; false when it does not apply (an input is an
// activation, or holds batch symbols that n would compute on).
func (im *importer) fold(n *onnx.Node) (bool, error) {
	if _, ok := graph.Lookup(n.OpType); !ok {
		return false, nil
	}
	sym := false
	for _, name := range n.Inputs {
		if name == "" {
			continue
		}
		v := im.vals[name]
		if v == nil || v.bad != "" || v.c == nil {
			return false, nil
		}
		sym = sym || slices.ContainsFunc(v.c.Ints, func(d int64) bool { _, ok := symK(d); return ok })
	}
	if sym && !moves[n.OpType] {
		return false, nil
	}
	if im.fw == nil {
		im.fw = graph.NewWalker(im.om)
		im.fw.Opset = im.opset
	}
	for _, name := range n.Inputs {
		if name != "" {
			im.fw.Values[name] = graph.Const(im.vals[name].c)
		}
	}
	if err := im.fw.Node(n); err != nil {
		return true, err
	}
	for _, o := range n.Outputs {
		if v := im.fw.Values[o]; o != "" && !v.Known {
			if _, ok := converters[n.OpType]; ok {
				return false, nil // the converter says why it cannot
			}
			return true, im.errorf(n, "output %q of shape %v cannot be folded (the front-end computes %s on small constants only, or not at all)", o, v.Shape, n.OpType)
		}
	}
	for _, o := range n.Outputs {
		if o == "" {
			continue
		}
		v := im.fw.Values[o]
		if (v.Floats != nil) != v.Type.IsFloat() && (v.Floats != nil || v.Ints != nil) {
			return true, im.errorf(n, "output %q of type %s is computed from inputs of other element types", o, v.Type)
		}
		t := &onnx.Tensor{DataType: v.Type, Dims: v.Shape, Ints: v.Ints, Floats: v.Floats}
		if v.Type.IsFloat() {
			t.DataType = onnx.Float
		}
		im.vals[o] = &value{c: t}
	}
	return true, nil
}

// constOnly imports an op the engine has only on constants (which fold
// took): its input is an activation.
func (im *importer) constOnly(n *onnx.Node) error {
	for i := range n.Inputs {
		if _, err := im.constant(n, i, false); err != nil {
			return err
		}
	}
	return im.errorf(n, "cannot be computed from its inputs at import")
}

// cast imports Cast of an activation to FLOAT, which changes nothing, and
// of integer shape values holding batch symbols to another integer type.
func (im *importer) cast(n *onnx.Node) error {
	v, err := im.get(n, 0)
	if err != nil {
		return err
	}
	to, err := n.Int("to", 0)
	if err != nil {
		return im.inFile(err)
	}
	dt := onnx.DataType(to)
	switch {
	case v.act != "" && dt != onnx.Float:
		return im.inFile(n.AttrErrorf("to", "casting an activation to %s is not supported", dt))
	case v.act == "" && (dt != onnx.Int64 && dt != onnx.Int32 || v.c.DataType.IsFloat()):
		return im.inFile(n.AttrErrorf("to", "casting a shape that holds the batch size to %s is not supported", dt))
	}
	return im.alias(n, v)
}

// shapeOp folds Shape of an activation: [batchDim, per-sample...].
func (im *importer) shapeOp(n *onnx.Node) error {
	v, err := im.get(n, 0)
	if err != nil {
		return err
	}
	if v.act == "" {
		return im.errorf(n, "input %q cannot be folded", n.Input(0))
	}
	s := v.dims()
	r := int64(len(s))
	start, err := n.Int("start", 0)
	if err != nil {
		return im.inFile(err)
	}
	end, err := n.Int("end", r)
	if err != nil {
		return im.inFile(err)
	}
	clamp := func(i int64) int64 {
		if i < 0 {
			i += r
		}
		return min(max(i, 0), r)
	}
	start, end = clamp(start), clamp(end)
	if end < start {
		end = start
	}
	s = s[start:end]
	im.define(n, &value{c: onnx.NewInt64Tensor("", []int64{int64(len(s))}, s)})
	return nil
}

// intConst returns constant input i as int64 values.
func (im *importer) intConst(n *onnx.Node, i int, want bool) (*onnx.Tensor, error) {
	t, err := im.constant(n, i, want)
	if t == nil || err != nil {
		return t, err
	}
	if t.DataType.IsFloat() {
		return nil, im.errorf(n, "input %q must be an integer constant", n.Input(i))
	}
	return t, nil
}

// sliceArgs reads the starts, ends, axes and steps of a Slice: attributes
// before opset 10, inputs from 10 (axes and steps nil when omitted).
func (im *importer) sliceArgs(n *onnx.Node) (starts, ends, axes, steps []int64, err error) {
	if im.opset < 10 {
		if starts, err = n.Ints("starts", -1, nil); err != nil {
			return nil, nil, nil, nil, im.inFile(err)
		}
		if ends, err = n.Ints("ends", -1, nil); err != nil {
			return nil, nil, nil, nil, im.inFile(err)
		}
		if axes, err = n.Ints("axes", -1, nil); err != nil {
			return nil, nil, nil, nil, im.inFile(err)
		}
		return starts, ends, axes, nil, nil
	}
	for i, dst := range []*[]int64{&starts, &ends, &axes, &steps} {
		c, err := im.intConst(n, i+1, i < 2)
		if err != nil {
			return nil, nil, nil, nil, err
		}
		if c != nil {
			*dst = c.Ints
		}
	}
	return starts, ends, axes, steps, nil
}

// symSpan bounds the multiples of the batch size that folded shape values
// can hold: k·N is batchDim + k - 1 for 1 <= k < symSpan.
const symSpan = 1 << 40

// sym returns the value standing for k times the batch size.
func sym(k int64) int64 { return batchDim + k - 1 }

// symK returns k when v stands for k times the batch size.
func symK(v int64) (int64, bool) {
	if v >= batchDim && v < batchDim+symSpan {
		return v - batchDim + 1, true
	}
	return 0, false
}

// foldArith folds Add, Sub, Mul and Div of integer constants holding
// multiples of the batch size (from Shape; the front-end folds the
// others), of one shape or one a scalar: the batch size may be multiplied
// and divided by plain integers.
func (im *importer) foldArith(n *onnx.Node, op nn.Op, a, b *onnx.Tensor) error {
	isSym := func(d int64) bool { _, ok := symK(d); return ok }
	if !slices.ContainsFunc(a.Ints, isSym) && !slices.ContainsFunc(b.Ints, isSym) {
		return im.errorf(n, "constants of shapes %v and %v cannot be folded (too large, or a division by zero)", a.Dims, b.Dims)
	}
	if a.DataType.IsFloat() || b.DataType.IsFloat() {
		return im.errorf(n, "inputs of types %s and %s", a.DataType, b.DataType)
	}
	na, nb := len(a.Ints), len(b.Ints)
	dims := a.Dims
	switch {
	case slices.Equal(a.Dims, b.Dims):
	case nb == 1 && len(b.Dims) <= len(a.Dims):
	case na == 1 && len(a.Dims) <= len(b.Dims):
		dims = b.Dims
	default:
		return im.errorf(n, "folding constants of shapes %v and %v is not supported", a.Dims, b.Dims)
	}
	at := func(n, i int) int {
		if n == 1 {
			return 0
		}
		return i
	}
	out := &onnx.Tensor{DataType: a.DataType, Dims: slices.Clone(dims), Ints: make([]int64, max(na, nb))}
	for i := range out.Ints {
		x, y := a.Ints[at(na, i)], b.Ints[at(nb, i)]
		kx, sx := symK(x)
		ky, sy := symK(y)
		var v int64
		switch {
		case sx && sy:
			return im.errorf(n, "%v of two multiples of the batch size is not supported", op)
		case (sx || sy) && op == nn.OpMul:
			k, c := kx, y
			if sy {
				k, c = ky, x
			}
			if c < 1 || k*c >= symSpan {
				return im.errorf(n, "multiplying the batch size by %d is not supported", c)
			}
			v = sym(k * c)
		case sx && op == nn.OpDiv:
			if y < 1 || kx%y != 0 {
				return im.errorf(n, "dividing %d times the batch size by %d is not supported", kx, y)
			}
			v = sym(kx / y)
		case sx || sy:
			return im.errorf(n, "%v with the batch size is not supported", op)
		case op == nn.OpAdd:
			v = x + y
		case op == nn.OpSub:
			v = x - y
		case op == nn.OpMul:
			v = x * y
		default:
			if y == 0 {
				return im.errorf(n, "integer division by zero")
			}
			v = x / y
		}
		out.Ints[i] = v
	}
	im.define(n, &value{c: out})
	return nil
}
