package graph

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
func quantizeLinear(c *Call) ([]*Value, error) {
	x := c.In[0]
	dt := onnx.Uint8
	if zp := c.Arg(2); zp != nil && zp.Type != onnx.Undefined {
		dt = zp.Type
	}
	to, err := c.Node.Int("output_dtype", 0)
	if err != nil {
		return nil, c.Wrap(err)
	}
	if to != 0 {
		dt = onnx.DataType(to)
	}
	return []*Value{{Shape: x.Shape, Batch: x.Batch, Type: dt}}, nil
}

// dequantizeLinear: y has x's shape and keeps x's stored type; a known x
// is dequantized, (x − zero point) × scale, per axis when the scale is a
// vector.
func dequantizeLinear(c *Call) ([]*Value, error) {
	x := c.In[0]
	a, err := c.Node.Int("axis", 1)
	if err != nil {
		return nil, c.Wrap(err)
	}
	y := &Value{Shape: x.Shape, Batch: x.Batch, Type: x.Type}
	if !x.Known || !c.In[1].Known || (c.Arg(2) != nil && !c.Arg(2).Known) {
		return []*Value{y}, nil // only the Shape: nothing to fold
	}
	ax := 0
	if len(x.Shape) > 0 {
		if ax, err = Axis(a, len(x.Shape)); err != nil {
			return nil, c.Wrap(c.Node.AttrErrorf("axis", "%v", err))
		}
	}
	zp, err := PerAxis(c, 2, x.Shape, ax, "zero point")
	if err != nil {
		return nil, err
	}
	scale, err := PerAxis(c, 1, x.Shape, ax, "scale")
	if err != nil {
		return nil, err
	}
	if scale == nil {
		return nil, c.Errorf("scale (input 1) is not a known constant")
	}
	n := onnx.Numel(x.Shape)
	if n > maxMove {
		return []*Value{y}, nil
	}
	y.Known, y.Floats = true, make([]float32, n)
	for i := range y.Floats {
		y.Floats[i] = float32((Elem(x, i) - zp(i)) * scale(i))
	}
	return []*Value{y}, nil
}

// dynamicQuantizeLinear: y is x as UINT8 with a scalar scale and zero point.
func dynamicQuantizeLinear(c *Call) ([]*Value, error) {
	x := c.In[0]
	return []*Value{
		{Shape: x.Shape, Batch: x.Batch, Type: onnx.Uint8},
		{Shape: []int64{}, Type: onnx.Float},
		{Shape: []int64{}, Type: onnx.Uint8},
	}, nil
}

// PerAxis returns the value of input i for element j of a tensor of the
// given Shape: input i is a scalar, or a vector along axis ax. An absent
// input is 0 for a zero point; nil is returned for an absent scale.
func PerAxis(c *Call, i int, shape []int64, ax int, what string) (func(j int) float64, error) {
	v := c.Arg(i)
	if v == nil {
		if what == "scale" {
			return nil, nil
		}
		return func(int) float64 { return 0 }, nil
	}
	if !v.Known {
		return nil, c.Errorf("%s (input %d, %q) is not a known constant", what, i, c.Node.Inputs[i])
	}
	data := AsFloats(v)
	switch {
	case len(data) == 1:
		return func(int) float64 { return data[0] }, nil
	case len(shape) > 0 && int64(len(data)) == shape[ax] && len(v.Shape) == 1:
		st := RowStrides(shape)[ax]
		d := shape[ax]
		return func(j int) float64 { return data[(int64(j)/st)%d] }, nil
	}
	return nil, c.Errorf("%s (input %d) has shape %v; want a scalar or %d values along axis %d of %v", what, i, v.Shape, DimAt(shape, ax), ax, shape)
}
