package onnx

import (
	"slices"

	"github.com/nnergy/nnergy/nn"
	"github.com/nnergy/nnergy/onnx"
)

// The ops below are folded at import: they compute constants (the target
// of a Reshape, usually) from constants and from the shapes of
// activations, in which the batch size is batchDim.

// maxFold bounds the size of folded tensors; shape computations are tiny.
const maxFold = 1 << 16

func (im *importer) setConst(n *onnx.Node, t *onnx.Tensor) error {
	im.define(n, &value{c: t})
	return nil
}

func (im *importer) constantOp(n *onnx.Node) error {
	if len(n.Attrs) != 1 {
		return im.errorf(n, "want exactly one attribute, have %d", len(n.Attrs))
	}
	a := n.Attrs[0]
	var t *onnx.Tensor
	switch {
	case a.Name == "value" && a.Type == onnx.AttrTensor:
		t = a.Tensor
	case a.Name == "value_float" && a.Type == onnx.AttrFloat:
		t = onnx.NewFloatTensor("", []int64{}, []float32{a.Float})
	case a.Name == "value_floats" && a.Type == onnx.AttrFloats:
		t = onnx.NewFloatTensor("", []int64{int64(len(a.Floats))}, a.Floats)
	case a.Name == "value_int" && a.Type == onnx.AttrInt:
		t = onnx.NewInt64Tensor("", []int64{}, []int64{a.Int})
	case a.Name == "value_ints" && a.Type == onnx.AttrInts:
		t = onnx.NewInt64Tensor("", []int64{int64(len(a.Ints))}, a.Ints)
	default:
		return im.inFile(n.AttrErrorf(a.Name, "a Constant of type %s is not supported", a.Type))
	}
	return im.setConst(n, t)
}

// shapeOp folds Shape: an activation's shape is [batchDim, per-sample...].
func (im *importer) shapeOp(n *onnx.Node) error {
	v, err := im.get(n, 0)
	if err != nil {
		return err
	}
	var s []int64
	if v.act != "" {
		s = v.dims()
	} else {
		s = slices.Clone(v.c.Dims)
	}
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
	return im.setConst(n, onnx.NewInt64Tensor("", []int64{int64(len(s))}, s))
}

// intConst returns constant input i as int64 values.
func (im *importer) intConst(n *onnx.Node, i int, want bool) (*onnx.Tensor, error) {
	t, err := im.constant(n, i, want)
	if t == nil || err != nil {
		return t, err
	}
	if t.DataType == onnx.Float {
		return nil, im.errorf(n, "input %q must be an integer constant", n.Input(i))
	}
	return t, nil
}

// elems returns the number of values t holds.
func elems(t *onnx.Tensor) int {
	if t.DataType == onnx.Float {
		return len(t.Floats)
	}
	return len(t.Ints)
}

// pick returns a tensor of t's type with the given dims holding t's
// elements at the given indices.
func pick(t *onnx.Tensor, dims []int64, idx []int) *onnx.Tensor {
	out := &onnx.Tensor{DataType: t.DataType, Dims: dims}
	if t.DataType == onnx.Float {
		out.Floats = make([]float32, len(idx))
		for k, i := range idx {
			out.Floats[k] = t.Floats[i]
		}
	} else {
		out.Ints = make([]int64, len(idx))
		for k, i := range idx {
			out.Ints[k] = t.Ints[i]
		}
	}
	return out
}

// gather folds Gather from a 1-D constant.
func (im *importer) gather(n *onnx.Node) error {
	data, err := im.constant(n, 0, true)
	if err != nil {
		return err
	}
	idx, err := im.intConst(n, 1, true)
	if err != nil {
		return err
	}
	ax, err := n.Int("axis", 0)
	if err != nil {
		return im.inFile(err)
	}
	if len(data.Dims) != 1 || (ax != 0 && ax != -1) {
		return im.errorf(n, "only gathering from a 1-D constant is supported, data has shape %v", data.Dims)
	}
	size := int64(elems(data))
	pos := make([]int, len(idx.Ints))
	for k, i := range idx.Ints {
		if i < 0 {
			i += size
		}
		if i < 0 || i >= size {
			return im.errorf(n, "index %d out of range for %d values", idx.Ints[k], size)
		}
		pos[k] = int(i)
	}
	return im.setConst(n, pick(data, slices.Clone(idx.Dims), pos))
}

// axes returns the axes of Squeeze and Unsqueeze: an attribute before
// opset 13, an optional input from 13.
func (im *importer) axes(n *onnx.Node) ([]int64, error) {
	if im.opset < 13 {
		a, err := n.Ints("axes", -1, nil)
		return a, im.inFile(err)
	}
	t, err := im.intConst(n, 1, false)
	if t == nil || err != nil {
		return nil, err
	}
	return t.Ints, nil
}

func (im *importer) unsqueeze(n *onnx.Node) error {
	t, err := im.constant(n, 0, true)
	if err != nil {
		return err
	}
	axes, err := im.axes(n)
	if err != nil {
		return err
	}
	r := len(t.Dims) + len(axes)
	ones := make([]bool, r)
	for _, a := range axes {
		x, ok := normAxis(a, r)
		if !ok || ones[x] {
			return im.errorf(n, "axes %v do not fit rank %d", axes, r)
		}
		ones[x] = true
	}
	var dims []int64
	k := 0
	for _, one := range ones {
		if one {
			dims = append(dims, 1)
		} else {
			dims = append(dims, t.Dims[k])
			k++
		}
	}
	return im.setConst(n, reshaped(t, dims))
}

func (im *importer) squeeze(n *onnx.Node) error {
	t, err := im.constant(n, 0, true)
	if err != nil {
		return err
	}
	axes, err := im.axes(n)
	if err != nil {
		return err
	}
	drop := make([]bool, len(t.Dims))
	for i, d := range t.Dims {
		drop[i] = axes == nil && d == 1
	}
	for _, a := range axes {
		x, ok := normAxis(a, len(t.Dims))
		if !ok || t.Dims[x] != 1 {
			return im.errorf(n, "axis %d of shape %v cannot be squeezed", a, t.Dims)
		}
		drop[x] = true
	}
	dims := []int64{}
	for i, d := range t.Dims {
		if !drop[i] {
			dims = append(dims, d)
		}
	}
	return im.setConst(n, reshaped(t, dims))
}

// reshaped returns t with other dims and the same data.
func reshaped(t *onnx.Tensor, dims []int64) *onnx.Tensor {
	return &onnx.Tensor{DataType: t.DataType, Dims: dims, Floats: t.Floats, Ints: t.Ints}
}

// concatConst folds Concat of 1-D constants.
func (im *importer) concatConst(n *onnx.Node, ax int64) error {
	var parts []*onnx.Tensor
	for i := range n.Inputs {
		t, err := im.constant(n, i, true)
		if err != nil {
			return err
		}
		if len(t.Dims) != 1 || (ax != 0 && ax != -1) {
			return im.errorf(n, "only concatenating 1-D constants is supported, input %q has shape %v", n.Input(i), t.Dims)
		}
		if t.DataType != parts0(parts, t).DataType {
			return im.errorf(n, "inputs of types %s and %s", parts[0].DataType, t.DataType)
		}
		parts = append(parts, t)
	}
	out := &onnx.Tensor{DataType: parts[0].DataType}
	for _, t := range parts {
		out.Floats = append(out.Floats, t.Floats...)
		out.Ints = append(out.Ints, t.Ints...)
	}
	out.Dims = []int64{int64(elems(out))}
	if out.Dims[0] > maxFold {
		return im.errorf(n, "constant of %d values is too large to fold", out.Dims[0])
	}
	return im.setConst(n, out)
}

func parts0(parts []*onnx.Tensor, t *onnx.Tensor) *onnx.Tensor {
	if len(parts) == 0 {
		return t
	}
	return parts[0]
}

// slice folds Slice of a 1-D constant.
func (im *importer) slice(n *onnx.Node) error {
	if v, err := im.get(n, 0); err == nil && v.act != "" {
		return im.sliceAct(n)
	}
	t, err := im.constant(n, 0, true)
	if err != nil {
		return err
	}
	if len(t.Dims) != 1 {
		return im.errorf(n, "only slicing a 1-D constant is supported, data has shape %v", t.Dims)
	}
	starts, ends, axes, steps, err := im.sliceArgs(n)
	if err != nil {
		return err
	}
	if axes == nil {
		axes = []int64{0}
	}
	if steps == nil {
		steps = []int64{1}
	}
	if len(starts) != 1 || len(ends) != 1 || len(axes) != 1 || len(steps) != 1 || (axes[0] != 0 && axes[0] != -1) || steps[0] == 0 {
		return im.errorf(n, "starts %v, ends %v, axes %v and steps %v do not slice a 1-D constant", starts, ends, axes, steps)
	}
	size := int64(elems(t))
	clamp := func(i, lo, hi int64) int64 {
		if i < 0 {
			i += size
		}
		return min(max(i, lo), hi)
	}
	var idx []int
	if step := steps[0]; step > 0 {
		for i := clamp(starts[0], 0, size); i < clamp(ends[0], 0, size); i += step {
			idx = append(idx, int(i))
		}
	} else {
		for i := clamp(starts[0], 0, size-1); i > clamp(ends[0], -1, size-1); i += step {
			idx = append(idx, int(i))
		}
	}
	return im.setConst(n, pick(t, []int64{int64(len(idx))}, idx))
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

// cast folds Cast of constants between FLOAT, INT32 and INT64; on an
// activation, a Cast to FLOAT changes nothing.
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
	if v.act != "" {
		if dt != onnx.Float {
			return im.inFile(n.AttrErrorf("to", "casting an activation to %s is not supported", dt))
		}
		return im.alias(n, v)
	}
	t := v.c
	out := &onnx.Tensor{DataType: dt, Dims: t.Dims}
	switch {
	case dt == onnx.Float && t.DataType == onnx.Float:
		out.Floats = t.Floats
	case dt == onnx.Float:
		out.Floats = make([]float32, len(t.Ints))
		for i, x := range t.Ints {
			out.Floats[i] = float32(x)
		}
	case dt == onnx.Int64 || dt == onnx.Int32:
		if t.DataType == onnx.Float {
			out.Ints = make([]int64, len(t.Floats))
			for i, x := range t.Floats {
				out.Ints[i] = int64(x)
			}
		} else {
			out.Ints = t.Ints
		}
	default:
		return im.inFile(n.AttrErrorf("to", "casting to %s is not supported", dt))
	}
	return im.setConst(n, out)
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

// foldArith folds Add, Sub, Mul and Div of two constants of one shape, or
// of a constant and a scalar. Multiples of the batch size (from Shape) may
// be multiplied and divided by plain integers.
func (im *importer) foldArith(n *onnx.Node, op nn.Op, a, b *onnx.Tensor) error {
	if (a.DataType == onnx.Float) != (b.DataType == onnx.Float) {
		return im.errorf(n, "inputs of types %s and %s", a.DataType, b.DataType)
	}
	na, nb := elems(a), elems(b)
	if na == 0 || nb == 0 || int64(na) != a.Len() || int64(nb) != b.Len() {
		return im.errorf(n, "constants of shapes %v and %v with %d and %d values cannot be folded", a.Dims, b.Dims, na, nb)
	}
	dims := a.Dims
	switch {
	case slices.Equal(a.Dims, b.Dims):
	case nb == 1 && len(b.Dims) <= len(a.Dims):
	case na == 1 && len(a.Dims) <= len(b.Dims):
		dims = b.Dims
	default:
		return im.errorf(n, "folding constants of shapes %v and %v is not supported", a.Dims, b.Dims)
	}
	size := max(na, nb)
	if size > maxFold {
		return im.errorf(n, "constant of %d values is too large to fold", size)
	}
	at := func(n, i int) int {
		if n == 1 {
			return 0
		}
		return i
	}
	out := &onnx.Tensor{DataType: a.DataType, Dims: slices.Clone(dims)}
	if a.DataType == onnx.Float {
		out.Floats = make([]float32, size)
		for i := range out.Floats {
			x, y := a.Floats[at(na, i)], b.Floats[at(nb, i)]
			switch op {
			case nn.OpAdd:
				out.Floats[i] = x + y
			case nn.OpSub:
				out.Floats[i] = x - y
			case nn.OpMul:
				out.Floats[i] = x * y
			case nn.OpDiv:
				out.Floats[i] = x / y
			}
		}
		return im.setConst(n, out)
	}
	out.Ints = make([]int64, size)
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
		case op == nn.OpDiv:
			if y == 0 {
				return im.errorf(n, "integer division by zero")
			}
			v = x / y
		}
		out.Ints[i] = v
	}
	return im.setConst(n, out)
}

// constantOfShape folds ConstantOfShape of a constant shape.
func (im *importer) constantOfShape(n *onnx.Node) error {
	s, err := im.intConst(n, 0, true)
	if err != nil {
		return err
	}
	size := int64(1)
	for _, d := range s.Ints {
		if _, ok := symK(d); ok {
			return im.errorf(n, "a constant of shape %s, which holds the batch size, is not supported", fmtDims(s.Ints))
		}
		if d < 0 || d > maxFold || size*d > maxFold {
			return im.errorf(n, "constant of shape %v is too large to fold", s.Ints)
		}
		size *= d
	}
	out := onnx.NewFloatTensor("", slices.Clone(s.Ints), make([]float32, size))
	if a := n.Attr("value"); a != nil {
		t, err := n.Tensor("value")
		if err != nil {
			return im.inFile(err)
		}
		if elems(t) != 1 {
			return im.inFile(n.AttrErrorf("value", "must hold one value, has %d", elems(t)))
		}
		out.DataType = t.DataType
		if t.DataType == onnx.Float {
			for i := range out.Floats {
				out.Floats[i] = t.Floats[0]
			}
		} else {
			out.Floats = nil
			out.Ints = make([]int64, size)
			for i := range out.Ints {
				out.Ints[i] = t.Ints[0]
			}
		}
	}
	return im.setConst(n, out)
}
