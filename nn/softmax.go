package nn

import (
	"fmt"
	"math"
)

// Softmax normalises along one axis of the per-sample shape (ONNX Softmax
// and, with Log, LogSoftmax, opset 13 semantics: along that axis only).
// Axis counts from 0 for the first per-sample axis (ONNX axis 1).
type Softmax struct {
	Axis int
	Log  bool
}

// Kind returns KindSoftmax.
func (l *Softmax) Kind() Kind { return KindSoftmax }

// Params returns nil.
func (l *Softmax) Params() []*Param { return nil }

func (l *Softmax) clone() Layer { d := *l; return &d }

// OutShape returns the input shape.
func (l *Softmax) OutShape(in [][]int) ([]int, error) {
	x, err := oneInput(in, KindSoftmax)
	if err != nil {
		return nil, err
	}
	if l.Axis < 0 || l.Axis >= len(x) {
		return nil, fmt.Errorf("softmax: axis %d outside the per-sample shape %v", l.Axis, x)
	}
	return x, nil
}

func (l *Softmax) newOp(in [][]int, out []int, batch int) op {
	x := in[0]
	return &softmaxOp{log: l.Log, n: x[l.Axis], inner: numel(x[l.Axis+1:]), outer: batch * numel(x[:l.Axis])}
}

// softmaxOp works on outer × n × inner blocks, normalising along n.
type softmaxOp struct {
	log             bool
	n, inner, outer int
}

func (o *softmaxOp) forward(r *run, in []*Tensor, out *Tensor, train bool) {
	x, y := in[0].Data, out.Data
	r.par(o.outer*o.inner, max(1, grainElems/(4*o.n)), func(_, lo, hi int) {
		for row := lo; row < hi; row++ {
			base := (row/o.inner)*o.n*o.inner + row%o.inner
			m := float32(math.Inf(-1))
			for i := 0; i < o.n; i++ {
				m = max(m, x[base+i*o.inner])
			}
			var s float64
			for i := 0; i < o.n; i++ {
				e := math.Exp(float64(x[base+i*o.inner] - m))
				s += e
				if !o.log {
					y[base+i*o.inner] = float32(e)
				}
			}
			if o.log {
				ls := float32(math.Log(s))
				for i := 0; i < o.n; i++ {
					y[base+i*o.inner] = x[base+i*o.inner] - m - ls
				}
				continue
			}
			inv := float32(1 / s)
			for i := 0; i < o.n; i++ {
				y[base+i*o.inner] *= inv
			}
		}
	})
}

func (o *softmaxOp) backward(r *run, in []*Tensor, out, dout *Tensor, din []*Tensor) {
	if din[0] == nil {
		return
	}
	y, dy, dx := out.Data, dout.Data, din[0].Data
	r.par(o.outer*o.inner, max(1, grainElems/(4*o.n)), func(_, lo, hi int) {
		for row := lo; row < hi; row++ {
			base := (row/o.inner)*o.n*o.inner + row%o.inner
			var s float32
			if o.log {
				// dx = dy - softmax · Σ dy
				for i := 0; i < o.n; i++ {
					s += dy[base+i*o.inner]
				}
				for i := 0; i < o.n; i++ {
					k := base + i*o.inner
					dx[k] = dy[k] - float32(math.Exp(float64(y[k])))*s
				}
				continue
			}
			// dx = y · (dy - Σ dy·y)
			for i := 0; i < o.n; i++ {
				s += dy[base+i*o.inner] * y[base+i*o.inner]
			}
			for i := 0; i < o.n; i++ {
				k := base + i*o.inner
				dx[k] = y[k] * (dy[k] - s)
			}
		}
	})
}
