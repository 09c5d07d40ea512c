package graph

import (
	"fmt"
	"slices"

	"github.com/nnergy/nnergy/onnx"
)

// Value is what the front-end knows about one tensor: its shape, whether
// dimension 0 is the batch, which lowered nodes feed it, and its data when
// it is a constant (Ints for integer and bool tensors, Floats for float
// ones).
type Value struct {
	Shape []int64
	Batch bool // dimension 0 is the batch
	// From lists the lowered results (numbered by the lowering, ascending)
	// whose outputs reach this value through ops the front-end owns.
	From   []int
	Known  bool
	Ints   []int64
	Floats []float32
	Type   onnx.DataType // element type as stored; Undefined: that of the op's first input
}

// Const returns the value of a constant tensor (an initializer or a
// Constant node's value).
func Const(t *onnx.Tensor) *Value {
	v := &Value{Shape: t.Dims, Known: true, Type: t.DataType}
	if t.DataType.IsFloat() {
		v.Floats = t.Floats
	} else {
		v.Ints = t.Ints
	}
	return v
}

// Limits on constant folding: data-movement ops (transpose, slice, gather,
// concat, expand) fold up to maxMove elements, so that weights reached
// through them keep their values; arithmetic folds only small tensors, as
// shape computations are.
const (
	maxMove  = 1 << 24
	maxArith = 1 << 16
)

// Prod returns the product of the dimensions of s (1 for a scalar).
func Prod(s []int64) int64 {
	p := int64(1)
	for _, v := range s {
		p *= v
	}
	return p
}

// RowStrides returns the row-major strides of shape.
func RowStrides(shape []int64) []int64 {
	st := make([]int64, len(shape))
	s := int64(1)
	for i := len(shape) - 1; i >= 0; i-- {
		st[i] = s
		s *= shape[i]
	}
	return st
}

// Axis normalizes a possibly negative axis against rank r.
func Axis(a int64, r int) (int, error) {
	if a < -int64(r) || a >= int64(r) {
		return 0, fmt.Errorf("axis %d out of range for rank %d", a, r)
	}
	if a < 0 {
		a += int64(r)
	}
	return int(a), nil
}

// Axes normalizes a list of axes against rank r and rejects repeats.
func Axes(as []int64, r int) ([]int, error) {
	out := make([]int, len(as))
	for i, a := range as {
		x, err := Axis(a, r)
		if err != nil {
			return nil, err
		}
		if slices.Contains(out[:i], x) {
			return nil, fmt.Errorf("axis %d repeated", a)
		}
		out[i] = x
	}
	return out, nil
}

// Broadcast returns the numpy-style broadcast of shapes.
func Broadcast(shapes ...[]int64) ([]int64, error) {
	r := 0
	for _, s := range shapes {
		r = max(r, len(s))
	}
	out := make([]int64, r)
	for i := range out {
		out[i] = 1
	}
	for _, s := range shapes {
		off := r - len(s)
		for i, d := range s {
			switch o := out[off+i]; {
			case d == o || d == 1:
			case o == 1:
				out[off+i] = d
			default:
				return nil, fmt.Errorf("shapes %v do not broadcast", shapes)
			}
		}
	}
	return out, nil
}

// remap builds a new value of shape out whose element at each index comes
// from v's data at the flat index at(idx); the data is copied only when v is
// known and small enough.
func remap(v *Value, out []int64, at func(idx []int64) int64) *Value {
	r := &Value{Shape: out}
	n := onnx.Numel(out)
	if !v.Known || n < 0 || n > maxMove {
		return r
	}
	r.Known = true
	idx := make([]int64, len(out))
	if v.Floats != nil {
		r.Floats = make([]float32, n)
	} else {
		r.Ints = make([]int64, n)
	}
	for i := int64(0); i < n; i++ {
		j := at(idx)
		if r.Floats != nil {
			r.Floats[i] = v.Floats[j]
		} else {
			r.Ints[i] = v.Ints[j]
		}
		for d := len(idx) - 1; d >= 0; d-- {
			idx[d]++
			if idx[d] < out[d] {
				break
			}
			idx[d] = 0
		}
	}
	return r
}

// broadcastAt returns the flat index into a tensor of shape in for an index
// into its broadcast to out.
func broadcastAt(in, out []int64) func([]int64) int64 {
	st := RowStrides(in)
	off := len(out) - len(in)
	return func(idx []int64) int64 {
		var j int64
		for d := range in {
			if in[d] != 1 {
				j += idx[off+d] * st[d]
			}
		}
		return j
	}
}

// reshaped returns v's data under a new shape.
func reshaped(v *Value, shape []int64) *Value {
	return &Value{Shape: shape, Known: v.Known, Ints: v.Ints, Floats: v.Floats}
}

// AsFloats returns the data of a known value as float64s.
func AsFloats(v *Value) []float64 {
	out := make([]float64, max(len(v.Ints), len(v.Floats)))
	for i, x := range v.Ints {
		out[i] = float64(x)
	}
	for i, x := range v.Floats {
		out[i] = float64(x)
	}
	return out
}

// Elem returns element i of a known value.
func Elem(v *Value, i int) float64 {
	if v.Floats != nil {
		return float64(v.Floats[i])
	}
	return float64(v.Ints[i])
}

// Union merges two ascending index lists.
func Union(a, b []int) []int {
	if len(b) == 0 {
		return a
	}
	if len(a) == 0 {
		return b
	}
	out := make([]int, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || (i < len(a) && a[i] < b[j]):
			out = append(out, a[i])
			i++
		case i == len(a) || b[j] < a[i]:
			out = append(out, b[j])
			j++
		default:
			out = append(out, a[i])
			i++
			j++
		}
	}
	return out
}

// DimAt returns s[i], or 1 when i is out of range (a missing broadcast
// dimension).
func DimAt(s []int64, i int) int64 {
	if i < 0 || i >= len(s) {
		return 1
	}
	return s[i]
}
