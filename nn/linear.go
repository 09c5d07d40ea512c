package nn

import (
	"fmt"
	"slices"
)

// Linear is a fully connected layer, y = x·Weightᵀ + Bias (ONNX Gemm with
// transB = 1). Weight has shape [Out, In]; Bias has shape [Out] or is nil.
// The input is a feature vector [In], or [..., In] with the layer applied
// to every vector along the last axis (ONNX MatMul by a constant, as the
// projections of a transformer's tokens); put a [Flatten] in front of
// images.
type Linear struct {
	In, Out int
	Weight  *Param
	Bias    *Param
}

// NewLinear returns a linear layer with a bias and zero weights (see
// [Init]).
func NewLinear(in, out int) *Linear {
	return &Linear{In: in, Out: out, Weight: NewParam(nil, out, in), Bias: NewParam(nil, out)}
}

// Kind returns KindLinear.
func (l *Linear) Kind() Kind { return KindLinear }

// Params returns the weight and, if present, the bias.
func (l *Linear) Params() []*Param {
	if l.Bias == nil {
		return []*Param{l.Weight}
	}
	return []*Param{l.Weight, l.Bias}
}

func (l *Linear) clone() Layer {
	d := *l
	d.Weight, d.Bias = l.Weight.clone(), l.Bias.clone()
	return &d
}

// OutShape returns [Out], or [..., Out] for an input [..., In].
func (l *Linear) OutShape(in [][]int) ([]int, error) {
	x, err := oneInput(in, KindLinear)
	if err != nil {
		return nil, err
	}
	if len(x) == 0 || x[len(x)-1] != l.In {
		return nil, fmt.Errorf("linear: input shape %v, want [%d] or [... %d]", x, l.In, l.In)
	}
	if l.Weight == nil || !slices.Equal(l.Weight.Shape, []int{l.Out, l.In}) {
		return nil, fmt.Errorf("linear: weight shape must be [%d %d]", l.Out, l.In)
	}
	if l.Bias != nil && !slices.Equal(l.Bias.Shape, []int{l.Out}) {
		return nil, fmt.Errorf("linear: bias shape %v, want [%d]", l.Bias.Shape, l.Out)
	}
	return append(slices.Clone(x[:len(x)-1]), l.Out), nil
}

func (l *Linear) newOp(in [][]int, out []int, batch int) op { return &linearOp{l: l} }

type linearOp struct {
	l   *Linear
	act fusedReLU
}

func (o *linearOp) forward(r *run, in []*Tensor, out *Tensor, train bool) {
	l := o.l
	n := len(in[0].Data) / l.In // rows
	y := out.Data
	if n <= 2 {
		// Too few rows for packing to pay: dot products straight from the
		// weight rows.
		x := in[0].Data
		r.par(l.Out, max(16, (1<<15)/l.In), func(_, lo, hi int) {
			for i := 0; i < n; i++ {
				xi := x[i*l.In : (i+1)*l.In]
				for j := lo; j < hi; j++ {
					y[i*l.Out+j] = dot(l.Weight.Data[j*l.In:(j+1)*l.In], xi)
				}
			}
		})
	} else {
		r.gemm(false, true, n, l.Out, l.In, in[0].Data, l.In, l.Weight.Data, l.In, y, l.Out, false)
	}
	if l.Bias == nil && !o.act.on {
		return
	}
	for i := 0; i < n; i++ {
		row := y[i*l.Out : (i+1)*l.Out]
		if l.Bias != nil {
			addTo(row, l.Bias.Data)
		}
		o.act.apply(row, 0)
	}
}

func (o *linearOp) backward(r *run, in []*Tensor, out, dout *Tensor, din []*Tensor) {
	l := o.l
	n := len(in[0].Data) / l.In // rows
	dy := dout.Data
	l.Weight.ensureGrad()
	r.gemm(true, false, l.Out, l.In, n, dy, l.Out, in[0].Data, l.In, l.Weight.Grad, l.In, false)
	if l.Bias != nil {
		l.Bias.ensureGrad()
		db := l.Bias.Grad
		copy(db, dy[:l.Out])
		for i := 1; i < n; i++ {
			addTo(db, dy[i*l.Out:(i+1)*l.Out])
		}
	}
	if din[0] != nil {
		r.gemm(false, false, n, l.In, l.Out, dy, l.Out, l.Weight.Data, l.In, din[0].Data, l.In, false)
	}
}

// dot returns the inner product of a and b (len(b) >= len(a)), with four
// independent accumulators.
func dot(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}
