package nn

import (
	"fmt"
	"math"
	"slices"

	"github.com/nnergy/nnergy/nn/internal/vec"
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
	return &bnOp{l: l, hw: numel(in[0][1:]), mean: make([]float32, l.C), invstd: make([]float32, l.C)}
}

// bnOp normalises channel by channel, each worker taking whole channels.
// A training pass reads its input twice: once per image for the statistics
// (two passes over a slice that stays in L1: its sum, then its deviations
// from the slice mean), once to normalise and apply the fused activation.
// It keeps only the batch mean and 1/σ per channel: backward recomputes
// x̂ = (x−mean)/σ from the input (which the executor keeps until then),
// which is cheaper than writing x̂ out and reading it back.
type bnOp struct {
	act    fusedReLU
	l      *BatchNorm
	hw     int
	mean   []float32 // per channel, of the last training pass
	invstd []float32
	stats  []float32 // per worker: each image's shift a and Σ(x−a)
}

func (o *bnOp) forward(r *run, in []*Tensor, out *Tensor, train bool) {
	l, hw := o.l, o.hw
	x, y := in[0].Data, out.Data
	n := in[0].Shape[0]
	cs := l.C * hw
	lo, hi := o.act.bounds()
	if !train {
		eps := l.eps()
		r.par(l.C, 1, func(_, c0, c1 int) {
			for c := c0; c < c1; c++ {
				s := l.Scale.Data[c] / float32(math.Sqrt(float64(l.Var[c]+eps)))
				for i := 0; i < n; i++ {
					j := i*cs + c*hw
					vec.AffineClamp(y[j:j+hw], x[j:j+hw], l.Mean[c], s, l.Bias.Data[c], lo, hi)
				}
			}
		})
		return
	}
	if len(o.stats) < 2*n*r.workers {
		o.stats = make([]float32, 2*n*r.workers)
	}
	mom, eps := l.momentum(), float64(l.eps())
	cnt := float64(n * hw)
	r.par(l.C, 1, func(slot, c0, c1 int) {
		st := o.stats[2*n*slot : 2*n*(slot+1)]
		for c := c0; c < c1; c++ {
			// Per image, a shift a (the slice's float32 mean) and the
			// sums of the deviations from it, Σ(x−a) and Σ(x−a)²: small
			// terms, so float32 adds them up accurately, and no large
			// sums of squares cancel. Added in float64, they give the
			// batch mean μ and, by the identity
			// Σ(x−μ)² = Σ(x−a)² + 2(a−μ)Σ(x−a) + hw(a−μ)²,
			// the squared deviations from it.
			var sum, sq float64
			for i := 0; i < n; i++ {
				xs := x[i*cs+c*hw : i*cs+(c+1)*hw]
				a := vec.Sum(xs) / float32(hw)
				d1, d2 := vec.DevSums(xs, a)
				st[2*i], st[2*i+1] = a, d1
				sum += float64(hw)*float64(a) + float64(d1)
				sq += float64(d2)
			}
			mean := sum / cnt
			for i := 0; i < n; i++ {
				d := float64(st[2*i]) - mean
				sq += d * (2*float64(st[2*i+1]) + float64(hw)*d)
			}
			variance := max(sq, 0) / cnt
			inv := 1 / math.Sqrt(variance+eps)
			m, iv := float32(mean), float32(inv)
			o.mean[c], o.invstd[c] = m, iv
			// y = γ(x−μ)/σ + β, clamped by the fused activation.
			s, b := l.Scale.Data[c]*iv, l.Bias.Data[c]
			for i := 0; i < n; i++ {
				j := i*cs + c*hw
				vec.AffineClamp(y[j:j+hw], x[j:j+hw], m, s, b, lo, hi)
			}
			unbiased := variance
			if cnt > 1 {
				unbiased = max(sq, 0) / (cnt - 1)
			}
			l.Mean[c] = (1-mom)*l.Mean[c] + mom*m
			l.Var[c] = (1-mom)*l.Var[c] + mom*float32(unbiased)
		}
	})
}

func (o *bnOp) backward(r *run, in []*Tensor, out, dout *Tensor, din []*Tensor) {
	l, hw := o.l, o.hw
	x, dy := in[0].Data, dout.Data
	n := in[0].Shape[0]
	cs := l.C * hw
	l.Scale.ensureGrad()
	l.Bias.ensureGrad()
	var dx []float32
	if din[0] != nil {
		dx = din[0].Data
	}
	cnt := float32(n * hw)
	r.par(l.C, 1, func(_, c0, c1 int) {
		for c := c0; c < c1; c++ {
			m, iv := o.mean[c], o.invstd[c]
			// dγ = Σdy·x̂ = Σdy·(x−μ)/σ and dβ = Σdy, from per-image
			// float32 partials added in float64.
			var sg, sb float64
			for i := 0; i < n; i++ {
				j := i*cs + c*hw
				s, d := vec.SumDotDev(dy[j:j+hw], x[j:j+hw], m)
				sb += float64(s)
				sg += float64(d)
			}
			dg, db := float32(sg*float64(iv)), float32(sb)
			l.Scale.Grad[c], l.Bias.Grad[c] = dg, db
			if dx == nil {
				continue
			}
			// dx = k0·(cnt·dy − dβ − x̂·dγ) with k0 = γ/(σ·cnt), as one
			// pass of a·dy + b·(x−μ) + c.
			k0 := l.Scale.Data[c] * iv / cnt
			a, b, cc := k0*cnt, -k0*dg*iv, -k0*db
			for i := 0; i < n; i++ {
				j := i*cs + c*hw
				vec.AxpBy(dx[j:j+hw], dy[j:j+hw], x[j:j+hw], a, b, m, cc)
			}
		}
	})
}
