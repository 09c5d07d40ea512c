package nn

import "fmt"

// Dropout zeroes each value with probability Rate in training and scales
// the others by 1/(1-Rate); in inference it is the identity (ONNX Dropout).
// The mask is a function of the run's seed, the step and the position only,
// so it does not depend on the number of workers.
type Dropout struct {
	Rate float32
}

// NewDropout returns a dropout layer.
func NewDropout(rate float32) *Dropout { return &Dropout{Rate: rate} }

// Kind returns KindDropout.
func (l *Dropout) Kind() Kind { return KindDropout }

// Params returns nil.
func (l *Dropout) Params() []*Param { return nil }

func (l *Dropout) clone() Layer { d := *l; return &d }

// OutShape returns the input shape.
func (l *Dropout) OutShape(in [][]int) ([]int, error) {
	if l.Rate < 0 || l.Rate >= 1 {
		return nil, fmt.Errorf("dropout: rate %v outside [0, 1)", l.Rate)
	}
	return oneInput(in, KindDropout)
}

func (l *Dropout) newOp(in [][]int, out []int, batch int) op { return &dropoutOp{l: l} }

type dropoutOp struct {
	l     *Dropout
	id    uint64 // node index, mixed into the mask
	scale []float32
}

// splitmix64 is a counter-based hash: a deterministic random stream that
// can be evaluated at any position.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

func (o *dropoutOp) forward(r *run, in []*Tensor, out *Tensor, train bool) {
	x, y := in[0].Data, out.Data
	if !train || o.l.Rate == 0 {
		copy(y, x)
		o.scale = o.scale[:0]
		return
	}
	if len(o.scale) != len(x) {
		o.scale = make([]float32, len(x))
	}
	keep := 1 / (1 - o.l.Rate)
	thresh := uint64(float64(o.l.Rate) * (1 << 53))
	base := splitmix64(r.seed ^ splitmix64(r.step^(o.id<<40)))
	r.par(len(x), grainElems, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			if splitmix64(base+uint64(i))>>11 < thresh {
				o.scale[i] = 0
			} else {
				o.scale[i] = keep
			}
			y[i] = x[i] * o.scale[i]
		}
	})
}

func (o *dropoutOp) backward(r *run, in []*Tensor, out, dout *Tensor, din []*Tensor) {
	if din[0] == nil {
		return
	}
	if len(o.scale) == 0 {
		copy(din[0].Data, dout.Data)
		return
	}
	for i, s := range o.scale {
		din[0].Data[i] = dout.Data[i] * s
	}
}
