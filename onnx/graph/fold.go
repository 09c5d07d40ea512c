package graph

import (
	"math"

	"github.com/nnergy/nnergy/onnx"
)

// Fold folds an elementwise op over known, broadcast inputs. The result is
// integer unless an input is float. It returns false when it cannot fold.
func Fold(op string, out []int64, in []*Value) (*Value, bool) {
	n := onnx.Numel(out)
	if n < 0 || n > maxArith {
		return nil, false
	}
	isFloat := false
	for _, v := range in {
		if v == nil || !v.Known {
			return nil, false
		}
		if v.Floats != nil {
			isFloat = true
		}
	}
	ats := make([]func([]int64) int64, len(in))
	data := make([][]float64, len(in))
	for i, v := range in {
		ats[i] = broadcastAt(v.Shape, out)
		data[i] = AsFloats(v)
	}
	res := &Value{Shape: out, Known: true}
	if isFloat {
		res.Floats = make([]float32, n)
	} else {
		res.Ints = make([]int64, n)
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
			res.Floats[i] = float32(y)
		} else {
			res.Ints[i] = int64(y)
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
		res.Ints = make([]int64, n)
		for i, f := range res.Floats {
			res.Ints[i] = int64(f)
		}
		res.Floats = nil
	}
	return res, true
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
