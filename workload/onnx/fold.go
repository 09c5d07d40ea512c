package onnx

import (
	"fmt"
	"math"
	"slices"

	"github.com/nnergy/nnergy/onnx"
)

// Limits on constant folding: data-movement ops (transpose, slice, gather,
// concat, expand) fold up to maxMove elements, so that weights reached
// through them keep their values; arithmetic folds only small tensors, as
// shape computations are.
const (
	maxMove  = 1 << 24
	maxArith = 1 << 16
)

func prod(s []int64) int64 {
	p := int64(1)
	for _, v := range s {
		p *= v
	}
	return p
}

func rowStrides(shape []int64) []int64 {
	st := make([]int64, len(shape))
	s := int64(1)
	for i := len(shape) - 1; i >= 0; i-- {
		st[i] = s
		s *= shape[i]
	}
	return st
}

// axis normalizes a possibly negative axis against rank r.
func axis(a int64, r int) (int, error) {
	if a < -int64(r) || a >= int64(r) {
		return 0, fmt.Errorf("axis %d out of range for rank %d", a, r)
	}
	if a < 0 {
		a += int64(r)
	}
	return int(a), nil
}

// axes normalizes a list of axes against rank r and rejects repeats.
func axes(as []int64, r int) ([]int, error) {
	out := make([]int, len(as))
	for i, a := range as {
		x, err := axis(a, r)
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

// broadcast returns the numpy-style broadcast of shapes.
func broadcast(shapes ...[]int64) ([]int64, error) {
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
func remap(v *value, out []int64, at func(idx []int64) int64) *value {
	r := &value{shape: out}
	n := onnx.Numel(out)
	if !v.known || n < 0 || n > maxMove {
		return r
	}
	r.known = true
	idx := make([]int64, len(out))
	if v.floats != nil {
		r.floats = make([]float32, n)
	} else {
		r.ints = make([]int64, n)
	}
	for i := int64(0); i < n; i++ {
		j := at(idx)
		if r.floats != nil {
			r.floats[i] = v.floats[j]
		} else {
			r.ints[i] = v.ints[j]
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
	st := rowStrides(in)
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
func reshaped(v *value, shape []int64) *value {
	return &value{shape: shape, known: v.known, ints: v.ints, floats: v.floats}
}

// asFloats returns the data of a known value as float64s.
func asFloats(v *value) []float64 {
	out := make([]float64, max(len(v.ints), len(v.floats)))
	for i, x := range v.ints {
		out[i] = float64(x)
	}
	for i, x := range v.floats {
		out[i] = float64(x)
	}
	return out
}

// arith folds an elementwise op over known, broadcast inputs. The result is
// integer unless an input is float. It returns false when it cannot fold.
func arith(op string, out []int64, in []*value) (*value, bool) {
	n := onnx.Numel(out)
	if n < 0 || n > maxArith {
		return nil, false
	}
	isFloat := false
	for _, v := range in {
		if v == nil || !v.known {
			return nil, false
		}
		if v.floats != nil {
			isFloat = true
		}
	}
	ats := make([]func([]int64) int64, len(in))
	data := make([][]float64, len(in))
	for i, v := range in {
		ats[i] = broadcastAt(v.shape, out)
		data[i] = asFloats(v)
	}
	res := &value{shape: out, known: true}
	if isFloat {
		res.floats = make([]float32, n)
	} else {
		res.ints = make([]int64, n)
	}
	idx := make([]int64, len(out))
	x := make([]float64, len(in))
	for i := int64(0); i < n; i++ {
		for k := range in {
			x[k] = data[k][ats[k](idx)]
		}
		var y float64
		switch op {
		case "Add", "Sum":
			y = x[0]
			for _, v := range x[1:] {
				y += v
			}
		case "Sub":
			y = x[0] - x[1]
		case "Mul":
			y = x[0] * x[1]
		case "Div":
			if x[1] == 0 {
				return nil, false
			}
			y = x[0] / x[1]
			if !isFloat {
				y = float64(int64(x[0]) / int64(x[1])) // truncate like C
			}
		case "Mod", "FMod": // Mod: the sign of the divisor, as Python's %; FMod: of the dividend, as C's fmod
			if x[1] == 0 {
				return nil, false
			}
			y = math.Mod(x[0], x[1])
			if op == "Mod" && y != 0 && (y < 0) != (x[1] < 0) {
				y += x[1]
			}
		case "Max":
			y = x[0]
			for _, v := range x[1:] {
				y = max(y, v)
			}
		case "Min":
			y = x[0]
			for _, v := range x[1:] {
				y = min(y, v)
			}
		case "Equal":
			y = b2f(x[0] == x[1])
		case "Less":
			y = b2f(x[0] < x[1])
		case "Greater":
			y = b2f(x[0] > x[1])
		case "Where":
			y = x[2]
			if x[0] != 0 {
				y = x[1]
			}
		case "Neg":
			y = -x[0]
		case "Floor":
			y = math.Floor(x[0])
		case "Ceil":
			y = math.Ceil(x[0])
		case "Abs":
			y = max(x[0], -x[0])
		default:
			return nil, false
		}
		if isFloat {
			res.floats[i] = float32(y)
		} else {
			res.ints[i] = int64(y)
		}
		for d := len(idx) - 1; d >= 0; d-- {
			idx[d]++
			if idx[d] < out[d] {
				break
			}
			idx[d] = 0
		}
	}
	if isFloat && (op == "Equal" || op == "Less" || op == "Greater") {
		// Comparisons yield bools, held as ints.
		res.ints = make([]int64, n)
		for i, f := range res.floats {
			res.ints[i] = int64(f)
		}
		res.floats = nil
	}
	return res, true
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
