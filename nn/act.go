package nn

import "math"

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
	switch {
	case !a.on:
		if b != 0 {
			for j := range row {
				row[j] += b
			}
		}
	case a.cap > 0:
		for j, v := range row {
			row[j] = min(max(v+b, 0), a.cap)
		}
	default:
		for j, v := range row {
			row[j] = max(v+b, 0)
		}
	}
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
	r.par(len(x), grainElems, func(_, lo, hi int) {
		xs, ys := x[lo:hi], y[lo:hi]
		if o.cap > 0 {
			for i, v := range xs {
				ys[i] = min(max(v, 0), o.cap)
			}
			return
		}
		for i, v := range xs {
			ys[i] = max(v, 0)
		}
	})
}

func (o *reluOp) backward(r *run, in []*Tensor, out, dout *Tensor, din []*Tensor) {
	if din[0] == nil {
		return
	}
	x, dy, dx := out.Data, dout.Data, din[0].Data
	r.par(len(x), grainElems, func(_, lo, hi int) {
		xs, dys, dxs := x[lo:hi], dy[lo:hi], dx[lo:hi]
		dys, dxs = dys[:len(xs)], dxs[:len(xs)]
		if o.cap > 0 {
			for i, v := range xs {
				keep := -uint32(b2i(v > 0) & b2i(v < o.cap))
				dxs[i] = math.Float32frombits(math.Float32bits(dys[i]) & keep)
			}
			return
		}
		// Branch-free, as the signs are unpredictable: keep is all ones
		// when x > 0 (as an int32, x's bits are then positive).
		for i, v := range xs {
			b := int32(math.Float32bits(v))
			keep := uint32((-b)>>31) &^ uint32(b>>31)
			dxs[i] = math.Float32frombits(math.Float32bits(dys[i]) & keep)
		}
	})
}
