package nn

import (
	"fmt"
	"math"
)

// Func is the elementwise function of an [Act] layer.
type Func int

// The activation functions. Alpha and Beta of [Act] parametrise some of
// them, as the ONNX operators of the same name do.
const (
	// Sigmoid is 1 / (1 + e^-x).
	Sigmoid Func = iota + 1
	// HardSigmoid is max(0, min(1, Alpha·x + Beta)).
	HardSigmoid
	// HardSwish is x · HardSigmoid(x) with Alpha 1/6 and Beta 0.5.
	HardSwish
	// SiLU is x · Sigmoid(x) (Swish).
	SiLU
	// LeakyReLU is x for x >= 0 and Alpha·x below.
	LeakyReLU
	// Tanh is the hyperbolic tangent.
	Tanh
	// GELU is x · Φ(x) = x/2 · (1 + erf(x/√2)), the exact (erf) form.
	GELU
	// Erf is the error function.
	Erf
	// Sqrt is the square root.
	Sqrt
	// Pow is x^Alpha.
	Pow
	// Exp is e^x.
	Exp
)

var funcNames = map[Func]string{
	Sigmoid: "sigmoid", HardSigmoid: "hardsigmoid", HardSwish: "hardswish", SiLU: "silu",
	LeakyReLU: "leakyrelu", Tanh: "tanh", GELU: "gelu", Erf: "erf", Sqrt: "sqrt", Pow: "pow", Exp: "exp",
}

// String returns the function's name, e.g. "silu".
func (f Func) String() string {
	if s, ok := funcNames[f]; ok {
		return s
	}
	return fmt.Sprintf("Func(%d)", int(f))
}

// ParseFunc returns the function with the given name.
func ParseFunc(s string) (Func, error) {
	for f, n := range funcNames {
		if n == s {
			return f, nil
		}
	}
	return 0, fmt.Errorf("nn: unknown activation %q", s)
}

// Act applies an elementwise function to a tensor of any shape (ONNX
// Sigmoid, HardSigmoid, HardSwish, LeakyRelu, Tanh, Gelu, Erf, Sqrt, Pow by
// a constant, Exp; SiLU is what PyTorch exports as Sigmoid then Mul).
type Act struct {
	Func        Func
	Alpha, Beta float32
}

// NewAct returns an activation with the ONNX defaults of its parameters
// (HardSigmoid 0.2 and 0.5, HardSwish 1/6 and 0.5, LeakyReLU 0.01).
func NewAct(f Func) *Act {
	a := &Act{Func: f}
	switch f {
	case HardSigmoid:
		a.Alpha, a.Beta = 0.2, 0.5
	case HardSwish:
		a.Alpha, a.Beta = 1.0/6, 0.5
	case LeakyReLU:
		a.Alpha = 0.01
	case Pow:
		a.Alpha = 1
	}
	return a
}

// Kind returns KindAct.
func (l *Act) Kind() Kind { return KindAct }

// Params returns nil.
func (l *Act) Params() []*Param { return nil }

func (l *Act) clone() Layer { d := *l; return &d }

// OutShape returns the input shape.
func (l *Act) OutShape(in [][]int) ([]int, error) {
	if _, ok := funcNames[l.Func]; !ok {
		return nil, fmt.Errorf("act: unknown function %d", int(l.Func))
	}
	return oneInput(in, KindAct)
}

func (l *Act) newOp(in [][]int, out []int, batch int) op { return &actOp{l: *l} }

type actOp struct{ l Act }

// value returns f(x).
func (l *Act) value(x float32) float32 {
	switch l.Func {
	case Sigmoid:
		return sigmoid(x)
	case HardSigmoid, HardSwish:
		h := min(max(l.Alpha*x+l.Beta, 0), 1)
		if l.Func == HardSwish {
			return x * h
		}
		return h
	case SiLU:
		return x * sigmoid(x)
	case LeakyReLU:
		if x < 0 {
			return l.Alpha * x
		}
		return x
	case Tanh:
		return float32(math.Tanh(float64(x)))
	case GELU:
		return float32(0.5 * float64(x) * (1 + math.Erf(float64(x)/math.Sqrt2)))
	case Erf:
		return float32(math.Erf(float64(x)))
	case Sqrt:
		return float32(math.Sqrt(float64(x)))
	case Pow:
		if l.Alpha == 2 {
			return x * x
		}
		return float32(math.Pow(float64(x), float64(l.Alpha)))
	case Exp:
		return float32(math.Exp(float64(x)))
	}
	return x
}

// deriv returns f'(x); y is f(x).
func (l *Act) deriv(x, y float32) float32 {
	switch l.Func {
	case Sigmoid:
		return y * (1 - y)
	case HardSigmoid, HardSwish:
		t := l.Alpha*x + l.Beta
		in := t > 0 && t < 1
		if l.Func == HardSigmoid {
			if in {
				return l.Alpha
			}
			return 0
		}
		switch {
		case t <= 0:
			return 0
		case t >= 1:
			return 1
		}
		return t + l.Alpha*x
	case SiLU:
		s := sigmoid(x)
		return s * (1 + x*(1-s))
	case LeakyReLU:
		if x < 0 {
			return l.Alpha
		}
		return 1
	case Tanh:
		return 1 - y*y
	case GELU:
		xd := float64(x)
		return float32(0.5*(1+math.Erf(xd/math.Sqrt2)) + xd*math.Exp(-xd*xd/2)/math.Sqrt(2*math.Pi))
	case Erf:
		xd := float64(x)
		return float32(2 / math.Sqrt(math.Pi) * math.Exp(-xd*xd))
	case Sqrt:
		return 0.5 / y
	case Pow:
		if l.Alpha == 2 {
			return 2 * x
		}
		return l.Alpha * float32(math.Pow(float64(x), float64(l.Alpha-1)))
	case Exp:
		return y
	}
	return 1
}

func sigmoid(x float32) float32 {
	return float32(1 / (1 + math.Exp(-float64(x))))
}

func (o *actOp) forward(r *run, in []*Tensor, out *Tensor, train bool) {
	x, y := in[0].Data, out.Data
	r.par(len(x), grainElems/4, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			y[i] = o.l.value(x[i])
		}
	})
}

func (o *actOp) backward(r *run, in []*Tensor, out, dout *Tensor, din []*Tensor) {
	if din[0] == nil {
		return
	}
	x, y, dy, dx := in[0].Data, out.Data, dout.Data, din[0].Data
	r.par(len(x), grainElems/4, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			dx[i] = dy[i] * o.l.deriv(x[i], y[i])
		}
	})
}
