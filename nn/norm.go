package nn

import (
	"fmt"
	"math"
	"slices"
)

// BatchNorm normalises each channel (ONNX BatchNormalization). In training
// it uses the batch's mean and biased variance and updates the running
// statistics as running = (1-Momentum)·running + Momentum·batch (PyTorch's
// convention; ONNX's momentum attribute is 1-Momentum), with the unbiased
// variance; in inference it uses the running statistics. The input is
// [C, H, W] or [C]. Zero Eps means 1e-5 and zero Momentum 0.1.
type BatchNorm struct {
	C        int
	Eps      float32
	Momentum float32
	Scale    *Param // γ, [C]
	Bias     *Param // β, [C]
	Mean     []float32
	Var      []float32
}

// NewBatchNorm returns a batch normalisation over c channels with γ = 1,
// β = 0, running mean 0 and running variance 1.
func NewBatchNorm(c int) *BatchNorm {
	b := &BatchNorm{C: c, Eps: 1e-5, Momentum: 0.1, Scale: NewParam(nil, c), Bias: NewParam(nil, c),
		Mean: make([]float32, c), Var: make([]float32, c)}
	for i := range c {
		b.Scale.Data[i], b.Var[i] = 1, 1
	}
	return b
}

// Kind returns KindBatchNorm.
func (l *BatchNorm) Kind() Kind { return KindBatchNorm }

// Params returns the scale and the bias.
func (l *BatchNorm) Params() []*Param { return []*Param{l.Scale, l.Bias} }

func (l *BatchNorm) clone() Layer {
	d := *l
	d.Scale, d.Bias = l.Scale.clone(), l.Bias.clone()
	d.Mean, d.Var = slices.Clone(l.Mean), slices.Clone(l.Var)
	return &d
}

func (l *BatchNorm) eps() float32 {
	if l.Eps == 0 {
		return 1e-5
	}
	return l.Eps
}

func (l *BatchNorm) momentum() float32 {
	if l.Momentum == 0 {
		return 0.1
	}
	return l.Momentum
}

// OutShape returns the input shape.
func (l *BatchNorm) OutShape(in [][]int) ([]int, error) {
	x, err := oneInput(in, KindBatchNorm)
	if err != nil {
		return nil, err
	}
	if len(x) != 1 && len(x) != 3 || x[0] != l.C {
		return nil, fmt.Errorf("batchnorm: input shape %v, want %d channels", x, l.C)
	}
	c := []int{l.C}
	if l.Scale == nil || l.Bias == nil || !slices.Equal(l.Scale.Shape, c) || !slices.Equal(l.Bias.Shape, c) || len(l.Mean) != l.C || len(l.Var) != l.C {
		return nil, fmt.Errorf("batchnorm: scale, bias, mean and var must all have %d values", l.C)
	}
	return x, nil
}

func (l *BatchNorm) newOp(in [][]int, out []int, batch int) op {
	return &bnOp{l: l, hw: numel(in[0][1:])}
}

type bnOp struct {
	act    fusedReLU
	l      *BatchNorm
	hw     int
	xhat   []float32
	invstd []float32
}

func (o *bnOp) forward(r *run, in []*Tensor, out *Tensor, train bool) {
	l, hw := o.l, o.hw
	x, y := in[0].Data, out.Data
	n := in[0].Shape[0]
	cs := l.C * hw
	if !train {
		eps := l.eps()
		r.par(l.C, 1, func(_, lo, hi int) {
			for c := lo; c < hi; c++ {
				s := l.Scale.Data[c] / float32(math.Sqrt(float64(l.Var[c]+eps)))
				b := l.Bias.Data[c] - l.Mean[c]*s
				for i := 0; i < n; i++ {
					xs, ys := x[i*cs+c*hw:i*cs+(c+1)*hw], y[i*cs+c*hw:i*cs+(c+1)*hw]
					for k, v := range xs {
						ys[k] = v * s
					}
					o.act.apply(ys, b)
				}
			}
		})
		return
	}
	if len(o.xhat) != len(x) {
		o.xhat = make([]float32, len(x))
		o.invstd = make([]float32, l.C)
	}
	mom, eps := l.momentum(), float64(l.eps())
	cnt := float64(n * hw)
	r.par(l.C, 1, func(_, lo, hi int) {
		for c := lo; c < hi; c++ {
			var sum float64
			for i := 0; i < n; i++ {
				var s float32
				for _, v := range x[i*cs+c*hw : i*cs+(c+1)*hw] {
					s += v
				}
				sum += float64(s)
			}
			mean := sum / cnt
			var sq float64
			for i := 0; i < n; i++ {
				var s float32
				m := float32(mean)
				for _, v := range x[i*cs+c*hw : i*cs+(c+1)*hw] {
					d := v - m
					s += d * d
				}
				sq += float64(s)
			}
			variance := sq / cnt
			inv := 1 / math.Sqrt(variance+eps)
			o.invstd[c] = float32(inv)
			g, b := l.Scale.Data[c], l.Bias.Data[c]
			m, iv := float32(mean), float32(inv)
			for i := 0; i < n; i++ {
				xs := x[i*cs+c*hw : i*cs+(c+1)*hw]
				xh := o.xhat[i*cs+c*hw : i*cs+(c+1)*hw]
				ys := y[i*cs+c*hw : i*cs+(c+1)*hw]
				for k, v := range xs {
					h := (v - m) * iv
					xh[k] = h
					ys[k] = h * g
				}
				o.act.apply(ys, b)
			}
			unbiased := variance
			if cnt > 1 {
				unbiased = sq / (cnt - 1)
			}
			l.Mean[c] = (1-mom)*l.Mean[c] + mom*float32(mean)
			l.Var[c] = (1-mom)*l.Var[c] + mom*float32(unbiased)
		}
	})
}

func (o *bnOp) backward(r *run, in []*Tensor, out, dout *Tensor, din []*Tensor) {
	l, hw := o.l, o.hw
	dy := dout.Data
	n := in[0].Shape[0]
	cs := l.C * hw
	l.Scale.ensureGrad()
	l.Bias.ensureGrad()
	var dx []float32
	if din[0] != nil {
		dx = din[0].Data
	}
	cnt := float32(n * hw)
	r.par(l.C, 1, func(_, lo, hi int) {
		for c := lo; c < hi; c++ {
			var sg, sb float64
			for i := 0; i < n; i++ {
				var a, b float32
				dys := dy[i*cs+c*hw : i*cs+(c+1)*hw]
				xh := o.xhat[i*cs+c*hw : i*cs+(c+1)*hw]
				for k, v := range dys {
					a += v * xh[k]
					b += v
				}
				sg += float64(a)
				sb += float64(b)
			}
			dg, db := float32(sg), float32(sb)
			l.Scale.Grad[c], l.Bias.Grad[c] = dg, db
			if dx == nil {
				continue
			}
			k0 := l.Scale.Data[c] * o.invstd[c] / cnt
			for i := 0; i < n; i++ {
				dys := dy[i*cs+c*hw : i*cs+(c+1)*hw]
				xh := o.xhat[i*cs+c*hw : i*cs+(c+1)*hw]
				dxs := dx[i*cs+c*hw : i*cs+(c+1)*hw]
				for k, v := range dys {
					dxs[k] = k0 * (cnt*v - db - xh[k]*dg)
				}
			}
		}
	})
}
