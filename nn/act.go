package nn

import (
	"math"

	"github.com/nnergy/nnergy/nn/internal/vec"
)

// ReLU is max(x, 0), capped at Cap when Cap > 0 (ReLU6 has Cap 6; ONNX Relu,
// or Clip with min 0 and max Cap).
type ReLU struct {
	Cap float32
}

// NewReLU returns an uncapped ReLU.
func NewReLU() *ReLU { return &ReLU{} }

// NewReLU6 returns min(max(x, 0), 6).
func NewReLU6() *ReLU { return &ReLU{Cap: 6} }

// Kind returns KindReLU.
func (l *ReLU) Kind() Kind { return KindReLU }

// Params returns nil.
func (l *ReLU) Params() []*Param { return nil }

func (l *ReLU) clone() Layer { d := *l; return &d }

// OutShape returns the input shape.
func (l *ReLU) OutShape(in [][]int) ([]int, error) { return oneInput(in, KindReLU) }

func (l *ReLU) newOp(in [][]int, out []int, batch int) op { return &reluOp{cap: l.Cap} }

// reluOp computes the ReLU, unless the executor fused it into the
// producing layer (fused), which then writes the activated values into the
// buffer this op shares as its output. Backward reads the mask from the
// output (y > 0 exactly when x > 0, and y < cap when x < cap), so it works
// either way.
type reluOp struct {
	cap   float32
	fused bool
}

// fusedReLU is the activation a convolution or linear layer applies to its
// output when the executor fused the following ReLU into it.
type fusedReLU struct {
	on  bool
	cap float32
}

// apply adds bias b to row and, when on, applies the activation, in one
// pass.
func (a fusedReLU) apply(row []float32, b float32) {
	if !a.on && b == 0 {
		return
	}
	lo, hi := a.bounds()
	vec.AffineClamp(row, row, 0, 1, b, lo, hi)
}

// bounds returns the clamp the activation applies: none when off, [0, cap]
// for ReLU6 and friends, [0, +Inf) for a plain ReLU.
func (a fusedReLU) bounds() (lo, hi float32) {
	switch {
	case !a.on:
		return float32(math.Inf(-1)), float32(math.Inf(1))
	case a.cap > 0:
		return 0, a.cap
	}
	return 0, float32(math.Inf(1))
}

// fuser is an op (convolution, linear, batch norm) that can absorb a
// following ReLU.
type fuser interface {
	fuse(a fusedReLU)
}

func (o *convOp) fuse(a fusedReLU)      { o.act = a }
func (o *depthwiseOp) fuse(a fusedReLU) { o.act = a }
func (o *linearOp) fuse(a fusedReLU)    { o.act = a }
func (o *bnOp) fuse(a fusedReLU)        { o.act = a }

// elementwise grain: below this many elements a single worker is faster.
const grainElems = 1 << 14

func (o *reluOp) forward(r *run, in []*Tensor, out *Tensor, train bool) {
	if o.fused {
		return
	}
	x, y := in[0].Data, out.Data
	lo, hi := fusedReLU{on: true, cap: o.cap}.bounds()
	r.par(len(x), grainElems, func(_, i, j int) {
		vec.AffineClamp(y[i:j], x[i:j], 0, 1, 0, lo, hi)
	})
}

func (o *reluOp) backward(r *run, in []*Tensor, out, dout *Tensor, din []*Tensor) {
	if din[0] == nil {
		return
	}
	y, dy, dx := out.Data, dout.Data, din[0].Data
	r.par(len(y), grainElems, func(_, lo, hi int) {
		if o.cap > 0 {
			vec.MaskRange(dx[lo:hi], y[lo:hi], dy[lo:hi], 0, o.cap)
			return
		}
		// y > 0 exactly when x > 0 (y's bits, as an int32, are then
		// positive).
		vec.MaskPositive(dx[lo:hi], y[lo:hi], dy[lo:hi])
	})
}
