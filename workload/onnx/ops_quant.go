package onnx

import (
	"github.com/nnergy/nnergy/onnx"
	"github.com/nnergy/nnergy/onnx/graph"
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

// qlinearConv imports QLinearConv (x, x_scale, x_zero_point, w, w_scale,
// w_zero_point, y_scale, y_zero_point, B) and ConvInteger (x, w,
// x_zero_point, w_zero_point) as a convolution whose weights are w less
// its zero point (per output channel when it is a vector).
func (im *importer) qlinearConv(c *call) ([]*value, error) {
	wi, zpi, yzpi := 3, 5, 7
	if c.Node.OpType == "ConvInteger" {
		wi, zpi, yzpi = 1, 3, -1
	}
	w, err := im.centred(c, wi, zpi, 0)
	if err != nil {
		return nil, err
	}
	c.out = quantizedType(c, yzpi)
	outs, err := im.convOf(c, c.In[0], w, wi)
	if err != nil {
		return nil, err
	}
	outs[0].Type = c.out
	return outs, nil
}

// qlinearMatMul imports QLinearMatMul (a, a_scale, a_zero_point, b,
// b_scale, b_zero_point, y_scale, y_zero_point) and MatMulInteger (a, b,
// a_zero_point, b_zero_point) as a MatMul of a by b less its zero point
// (per column when it is a vector).
func (im *importer) qlinearMatMul(c *call) ([]*value, error) {
	bi, zpi, yzpi := 3, 5, 7
	if c.Node.OpType == "MatMulInteger" {
		bi, zpi, yzpi = 1, 3, -1
	}
	b := c.In[bi]
	if b == nil {
		return nil, im.errorf(c.Node, "input %d is missing", bi)
	}
	b, err := im.centred(c, bi, zpi, len(b.Shape)-1)
	if err != nil {
		return nil, err
	}
	c.out = quantizedType(c, yzpi)
	outs, err := im.matmulOf(c, c.In[0], b)
	if err != nil {
		return nil, err
	}
	outs[0].Type = c.out
	return outs, nil
}

// quantizedType returns the type of a quantized layer's output: that of
// y_zero_point (input yzpi; UINT8 when absent) for the QLinear ops, INT32
// for the Integer ops (yzpi < 0).
func quantizedType(c *call, yzpi int) onnx.DataType {
	if yzpi < 0 {
		return onnx.Int32
	}
	if zp := c.Arg(yzpi); zp != nil && zp.Type != onnx.Undefined {
		return zp.Type
	}
	return onnx.Uint8
}

// centred returns input wi less its zero point (input zpi, a scalar or a
// vector along axis ax), with its stored type, so that its density counts
// the weights that differ from their zero point.
func (im *importer) centred(c *call, wi, zpi, ax int) (*value, error) {
	w := c.Arg(wi)
	if w == nil {
		return nil, im.errorf(c.Node, "input %d is missing", wi)
	}
	out := &value{Shape: w.Shape, Batch: w.Batch, Type: w.Type, From: w.From}
	if !w.Known || (c.Arg(zpi) != nil && !c.Arg(zpi).Known) {
		return out, nil // its zeros are not known
	}
	if len(w.Shape) == 0 {
		ax = 0
	}
	zp, err := graph.PerAxis(c.Call, zpi, w.Shape, ax, "zero point")
	if err != nil {
		return nil, err
	}
	out.Known, out.Floats = true, make([]float32, max(len(w.Ints), len(w.Floats)))
	for i := range out.Floats {
		out.Floats[i] = float32(graph.Elem(w, i) - zp(i))
	}
	return out, nil
}
