package nn

import (
	"math"
	"runtime"
	"sync"
)

// Optimizer updates parameters from their gradients. Step applies one
// update with learning rate lr. Masked values stay exactly zero: their
// gradient is zeroed before the update and their value after it. State kept
// per parameter (momentum, moments) is reset when the parameter's size
// changes, as after surgery.
type Optimizer interface {
	Step(params []*Param, lr float64)
}

// SGD is stochastic gradient descent with momentum and L2 weight decay
// (PyTorch's formulation: v = μ·v + g + λ·w; w -= lr·v, or with Nesterov
// w -= lr·(g + λ·w + μ·v)).
type SGD struct {
	Momentum    float64
	WeightDecay float64
	Nesterov    bool
	vel         map[*Param][]float32
}

// Adam is the Adam optimizer. With Decoupled set, weight decay is applied
// to the weights directly (AdamW); otherwise it is added to the gradient.
// Zero Beta1, Beta2 and Eps mean 0.9, 0.999 and 1e-8.
type Adam struct {
	Beta1, Beta2, Eps float64
	WeightDecay       float64
	Decoupled         bool
	t                 map[*Param]int
	m, v              map[*Param][]float32
}

// elems runs fn over [0, n) split across the CPUs when n is large. The
// updates are elementwise, so the result does not depend on the split.
func elems(n int, fn func(lo, hi int)) {
	w := runtime.GOMAXPROCS(0)
	if w == 1 || n < 1<<15 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	for k := 1; k < w; k++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(k*n/w, (k+1)*n/w)
		}()
	}
	fn(0, n/w)
	wg.Wait()
}

// flush returns 0 for subnormal x, and x otherwise. Momentum and moment
// buffers of parameters whose gradient stays zero decay geometrically into
// the subnormal range, where every arithmetic operation costs tens of
// cycles; Go cannot set the CPU's flush-to-zero mode, so the optimizers do
// it themselves (branch-free).
func flush(x float32) float32 {
	b := math.Float32bits(x)
	keep := -uint32(b2i(b&0x7f800000 != 0))
	return math.Float32frombits(b & keep)
}

func maskGrad(p *Param) {
	if p.Mask == nil {
		return
	}
	for i, keep := range p.Mask {
		if !keep {
			p.Grad[i] = 0
		}
	}
}

func state(m map[*Param][]float32, p *Param) []float32 {
	s := m[p]
	if len(s) != len(p.Data) {
		s = make([]float32, len(p.Data))
		m[p] = s
	}
	return s
}

// Step applies one SGD update.
func (o *SGD) Step(params []*Param, lr float64) {
	if o.vel == nil {
		o.vel = map[*Param][]float32{}
	}
	mu, wd, eta := float32(o.Momentum), float32(o.WeightDecay), float32(lr)
	for _, p := range params {
		if len(p.Grad) != len(p.Data) {
			continue
		}
		maskGrad(p)
		if mu == 0 {
			for i, g := range p.Grad {
				p.Data[i] -= eta * (g + wd*p.Data[i])
			}
			p.applyMask()
			continue
		}
		v := state(o.vel, p)
		elems(len(p.Data), func(lo, hi int) {
			w, grad, v := p.Data[lo:hi], p.Grad[lo:hi], v[lo:hi]
			grad, v = grad[:len(w)], v[:len(w)]
			if o.Nesterov {
				for i, g := range grad {
					g += wd * w[i]
					v[i] = flush(mu*v[i] + g)
					w[i] -= eta * (g + mu*v[i])
				}
				return
			}
			for i, g := range grad {
				vi := flush(mu*v[i] + g + wd*w[i])
				v[i] = vi
				w[i] -= eta * vi
			}
		})
		p.applyMask()
	}
}

// Step applies one Adam update.
func (o *Adam) Step(params []*Param, lr float64) {
	if o.m == nil {
		o.m, o.v, o.t = map[*Param][]float32{}, map[*Param][]float32{}, map[*Param]int{}
	}
	b1, b2, eps := o.Beta1, o.Beta2, o.Eps
	if b1 == 0 {
		b1 = 0.9
	}
	if b2 == 0 {
		b2 = 0.999
	}
	if eps == 0 {
		eps = 1e-8
	}
	for _, p := range params {
		if len(p.Grad) != len(p.Data) {
			continue
		}
		maskGrad(p)
		if len(o.m[p]) != len(p.Data) {
			o.m[p], o.v[p], o.t[p] = make([]float32, len(p.Data)), make([]float32, len(p.Data)), 0
		}
		m, v := o.m[p], o.v[p]
		o.t[p]++
		t := float64(o.t[p])
		c1 := float32(lr / (1 - math.Pow(b1, t)))
		c2 := float32(1 / math.Sqrt(1-math.Pow(b2, t)))
		fb1, fb2, fe, wd := float32(b1), float32(b2), float32(eps), float32(o.WeightDecay)
		elems(len(p.Data), func(lo, hi int) {
			w, grad, m, v := p.Data[lo:hi], p.Grad[lo:hi], m[lo:hi], v[lo:hi]
			grad, m, v = grad[:len(w)], m[:len(w)], v[:len(w)]
			for i, g := range grad {
				if o.Decoupled {
					w[i] -= float32(lr) * wd * w[i]
				} else {
					g += wd * w[i]
				}
				m[i] = flush(fb1*m[i] + (1-fb1)*g)
				v[i] = flush(fb2*v[i] + (1-fb2)*g*g)
				w[i] -= c1 * m[i] / (float32(math.Sqrt(float64(v[i])))*c2 + fe)
			}
		})
		p.applyMask()
	}
}

// Schedule gives the learning rate at a point of training: epoch counts the
// epochs done so far, with a fraction for the current one, out of total.
type Schedule interface {
	LR(epoch float64, total int) float64
}

// ConstantLR keeps the rate at Base.
type ConstantLR struct{ Base float64 }

// StepLR multiplies Base by Gamma after every Every whole epochs.
type StepLR struct {
	Base  float64
	Every int
	Gamma float64
}

// CosineLR anneals from Base to Min along half a cosine over the whole run,
// after a linear warm-up from 0 over Warmup epochs.
type CosineLR struct {
	Base, Min float64
	Warmup    float64
}

// LR returns Base.
func (s ConstantLR) LR(epoch float64, total int) float64 { return s.Base }

// LR returns Base·Gamma^⌊epoch/Every⌋.
func (s StepLR) LR(epoch float64, total int) float64 {
	if s.Every <= 0 {
		return s.Base
	}
	return s.Base * math.Pow(s.Gamma, math.Floor(epoch/float64(s.Every)))
}

// LR returns the cosine-annealed rate.
func (s CosineLR) LR(epoch float64, total int) float64 {
	if epoch < s.Warmup {
		return s.Base * epoch / s.Warmup
	}
	span := float64(total) - s.Warmup
	if span <= 0 {
		return s.Base
	}
	f := min(1, (epoch-s.Warmup)/span)
	return s.Min + (s.Base-s.Min)*0.5*(1+math.Cos(math.Pi*f))
}
