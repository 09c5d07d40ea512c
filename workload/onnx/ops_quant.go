package onnx

import (
	"github.com/nnergy/nnergy/onnx"
)

// Quantized models come in two forms, and both give layers whose word
// widths are those of the stored integer types (see wordBits):
//
//   - QOperator: QLinearConv, QLinearMatMul (and ConvInteger,
//     MatMulInteger) read int8 or uint8 tensors with their scales and zero
//     points. They are Conv and MatMul layers whose weights' density is the
//     fraction of weights that differ from their zero point.
//   - QDQ: QuantizeLinear and DequantizeLinear around ordinary Conv, Gemm
//     and MatMul nodes. A dequantized tensor keeps its stored type (the
//     accelerator reads the integer words and folds the scale into its
//     arithmetic, as runtimes fuse these patterns), so the Conv after a
//     DequantizeLinear of int8 weights and activations is an int8 layer;
//     constant weights are dequantized, so that their zeros are known.

// quantizeLinear: y has x's shape and the type of y_zero_point (UINT8
// when absent, or output_dtype from opset 21).
func (im *importer) quantizeLinear(c *call) ([]*value, error) {
	x := c.in[0]
	dt := onnx.Uint8
	if zp := c.arg(2); zp != nil && zp.dtype != onnx.Undefined {
		dt = zp.dtype
	}
	to, err := c.n.Int("output_dtype", 0)
	if err != nil {
		return nil, im.wrap(err)
	}
	if to != 0 {
		dt = onnx.DataType(to)
	}
	return []*value{{shape: x.shape, batch: x.batch, dtype: dt}}, nil
}

// dequantizeLinear: y has x's shape and keeps x's stored type; a known x
// is dequantized, (x − zero point) × scale, per axis when the scale is a
// vector.
func (im *importer) dequantizeLinear(c *call) ([]*value, error) {
	x := c.in[0]
	a, err := c.n.Int("axis", 1)
	if err != nil {
		return nil, im.wrap(err)
	}
	y := &value{shape: x.shape, batch: x.batch, dtype: x.dtype}
	if !x.known || !c.in[1].known || (c.arg(2) != nil && !c.arg(2).known) {
		return []*value{y}, nil // only the shape: nothing to fold
	}
	ax := 0
	if len(x.shape) > 0 {
		if ax, err = axis(a, len(x.shape)); err != nil {
			return nil, im.wrap(c.n.AttrErrorf("axis", "%v", err))
		}
	}
	zp, err := im.perAxis(c, 2, x.shape, ax, "zero point")
	if err != nil {
		return nil, err
	}
	scale, err := im.perAxis(c, 1, x.shape, ax, "scale")
	if err != nil {
		return nil, err
	}
	if scale == nil {
		return nil, im.errorf(c.n, "scale (input 1) is not a known constant")
	}
	n := onnx.Numel(x.shape)
	if n > maxMove {
		return []*value{y}, nil
	}
	y.known, y.floats = true, make([]float32, n)
	for i := range y.floats {
		y.floats[i] = float32((elem(x, i) - zp(i)) * scale(i))
	}
	return []*value{y}, nil
}

// dynamicQuantizeLinear: y is x as UINT8 with a scalar scale and zero point.
func (im *importer) dynamicQuantizeLinear(c *call) ([]*value, error) {
	x := c.in[0]
	return []*value{
		{shape: x.shape, batch: x.batch, dtype: onnx.Uint8},
		{shape: []int64{}, dtype: onnx.Float},
		{shape: []int64{}, dtype: onnx.Uint8},
	}, nil
}

// qlinearConv imports QLinearConv (x, x_scale, x_zero_point, w, w_scale,
// w_zero_point, y_scale, y_zero_point, B) and ConvInteger (x, w,
// x_zero_point, w_zero_point) as a convolution whose weights are w less
// its zero point (per output channel when it is a vector).
func (im *importer) qlinearConv(c *call) ([]*value, error) {
	wi, zpi, yzpi := 3, 5, 7
	if c.n.OpType == "ConvInteger" {
		wi, zpi, yzpi = 1, 3, -1
	}
	w, err := im.centred(c, wi, zpi, 0)
	if err != nil {
		return nil, err
	}
	c.out = quantizedType(c, yzpi)
	outs, err := im.convOf(c, c.in[0], w, wi)
	if err != nil {
		return nil, err
	}
	outs[0].dtype = c.out
	return outs, nil
}

// qlinearMatMul imports QLinearMatMul (a, a_scale, a_zero_point, b,
// b_scale, b_zero_point, y_scale, y_zero_point) and MatMulInteger (a, b,
// a_zero_point, b_zero_point) as a MatMul of a by b less its zero point
// (per column when it is a vector).
func (im *importer) qlinearMatMul(c *call) ([]*value, error) {
	bi, zpi, yzpi := 3, 5, 7
	if c.n.OpType == "MatMulInteger" {
		bi, zpi, yzpi = 1, 3, -1
	}
	b := c.in[bi]
	if b == nil {
		return nil, im.errorf(c.n, "input %d is missing", bi)
	}
	b, err := im.centred(c, bi, zpi, len(b.shape)-1)
	if err != nil {
		return nil, err
	}
	c.out = quantizedType(c, yzpi)
	outs, err := im.matmulOf(c, c.in[0], b)
	if err != nil {
		return nil, err
	}
	outs[0].dtype = c.out
	return outs, nil
}

// quantizedType returns the type of a quantized layer's output: that of
// y_zero_point (input yzpi; UINT8 when absent) for the QLinear ops, INT32
// for the Integer ops (yzpi < 0).
func quantizedType(c *call, yzpi int) onnx.DataType {
	if yzpi < 0 {
		return onnx.Int32
	}
	if zp := c.arg(yzpi); zp != nil && zp.dtype != onnx.Undefined {
		return zp.dtype
	}
	return onnx.Uint8
}

// centred returns input wi less its zero point (input zpi, a scalar or a
// vector along axis ax), with its stored type, so that its density counts
// the weights that differ from their zero point.
func (im *importer) centred(c *call, wi, zpi, ax int) (*value, error) {
	w := c.arg(wi)
	if w == nil {
		return nil, im.errorf(c.n, "input %d is missing", wi)
	}
	out := &value{shape: w.shape, batch: w.batch, dtype: w.dtype, srcs: w.srcs}
	if !w.known || (c.arg(zpi) != nil && !c.arg(zpi).known) {
		return out, nil // its zeros are not known
	}
	if len(w.shape) == 0 {
		ax = 0
	}
	zp, err := im.perAxis(c, zpi, w.shape, ax, "zero point")
	if err != nil {
		return nil, err
	}
	out.known, out.floats = true, make([]float32, max(len(w.ints), len(w.floats)))
	for i := range out.floats {
		out.floats[i] = float32(elem(w, i) - zp(i))
	}
	return out, nil
}

// elem returns element i of a known value.
func elem(v *value, i int) float64 {
	if v.floats != nil {
		return float64(v.floats[i])
	}
	return float64(v.ints[i])
}

// perAxis returns the value of input i for element j of a tensor of the
// given shape: input i is a scalar, or a vector along axis ax. An absent
// input is 0 for a zero point; nil is returned for an absent scale.
func (im *importer) perAxis(c *call, i int, shape []int64, ax int, what string) (func(j int) float64, error) {
	v := c.arg(i)
	if v == nil {
		if what == "scale" {
			return nil, nil
		}
		return func(int) float64 { return 0 }, nil
	}
	if !v.known {
		return nil, im.errorf(c.n, "%s (input %d, %q) is not a known constant", what, i, c.n.Inputs[i])
	}
	data := asFloats(v)
	switch {
	case len(data) == 1:
		return func(int) float64 { return data[0] }, nil
	case len(shape) > 0 && int64(len(data)) == shape[ax] && len(v.shape) == 1:
		st := rowStrides(shape)[ax]
		d := shape[ax]
		return func(j int) float64 { return data[(int64(j)/st)%d] }, nil
	}
	return nil, im.errorf(c.n, "%s (input %d) has shape %v; want a scalar or %d values along axis %d of %v", what, i, v.shape, dimAt(shape, ax), ax, shape)
}
