package nn

import (
	"fmt"
	"slices"
)

// Op is the arithmetic of a [Binary] layer.
type Op int

// The binary operations.
const (
	OpAdd Op = iota + 1
	OpSub
	OpMul
	OpDiv
)

var opNames = map[Op]string{OpAdd: "add", OpSub: "sub", OpMul: "mul", OpDiv: "div"}

// String returns the operation's name, e.g. "mul".
func (o Op) String() string {
	if s, ok := opNames[o]; ok {
		return s
	}
	return fmt.Sprintf("Op(%d)", int(o))
}

// ParseOp returns the operation with the given name.
func ParseOp(s string) (Op, error) {
	for o, n := range opNames {
		if n == s {
			return o, nil
		}
	}
	return 0, fmt.Errorf("nn: unknown binary operation %q", s)
}

// Binary applies Add, Sub, Mul or Div elementwise to two operands with
// NumPy broadcasting of the per-sample shapes (aligned at the last axis;
// ONNX Add, Sub, Mul and Div). The operands are two activations, or one
// activation and a constant: Const, the left operand when ConstLeft. The
// constant has no batch dimension, so it is the same for every sample; it
// is trained unless Frozen (an importer freezes scalars such as the 0.5 of
// a GELU and trains tensors such as a layer norm's scale or a positional
// embedding).
//
// The squeeze-and-excitation blocks of MobileNetV3 and EfficientNet are
// Binary Muls of an image [C H W] by a [C 1 1] scale.
type Binary struct {
	Op        Op
	Const     *Param
	ConstLeft bool
	Frozen    bool
}

// Kind returns KindBinary.
func (l *Binary) Kind() Kind { return KindBinary }

// Params returns the constant when it is trained.
func (l *Binary) Params() []*Param {
	if l.Const == nil || l.Frozen {
		return nil
	}
	return []*Param{l.Const}
}

func (l *Binary) clone() Layer {
	d := *l
	d.Const = l.Const.clone()
	return &d
}

// operands returns the per-sample shapes of the left and right operands.
func (l *Binary) operands(in [][]int) ([][]int, error) {
	want := 2
	if l.Const != nil {
		want = 1
	}
	if len(in) != want {
		return nil, fmt.Errorf("binary %v takes %d activation inputs, got %d", l.Op, want, len(in))
	}
	if l.Const == nil {
		return in, nil
	}
	if l.ConstLeft {
		return [][]int{l.Const.Shape, in[0]}, nil
	}
	return [][]int{in[0], l.Const.Shape}, nil
}

// OutShape returns the broadcast shape of the operands.
func (l *Binary) OutShape(in [][]int) ([]int, error) {
	if _, ok := opNames[l.Op]; !ok {
		return nil, fmt.Errorf("binary: unknown operation %d", int(l.Op))
	}
	ops, err := l.operands(in)
	if err != nil {
		return nil, err
	}
	out, ok := broadcastShape(ops...)
	if !ok {
		return nil, fmt.Errorf("binary %v: shapes %v and %v do not broadcast", l.Op, ops[0], ops[1])
	}
	if l.Const != nil && len(l.Const.Shape) > len(in[0]) {
		return nil, fmt.Errorf("binary %v: constant of shape %v has more dimensions than the activation %v", l.Op, l.Const.Shape, in[0])
	}
	return out, nil
}

// broadcastShape returns the NumPy broadcast of shapes.
func broadcastShape(shapes ...[]int) ([]int, bool) {
	r := 0
	for _, s := range shapes {
		r = max(r, len(s))
	}
	out := make([]int, r)
	for i := range out {
		out[i] = 1
	}
	for _, s := range shapes {
		for i, d := range s {
			k := r - len(s) + i
			switch {
			case d == out[k] || d == 1:
			case out[k] == 1:
				out[k] = d
			default:
				return nil, false
			}
		}
	}
	return out, true
}

// bcast maps the output of a broadcast onto its operands, per sample: the
// output shape with adjacent axes merged where every operand is contiguous
// or broadcast along both, and each operand's stride along each merged
// axis (0 where broadcast).
type bcast struct {
	dims    []int
	strides [][]int
	sizes   []int // per-sample size of each operand
	outSize int
}

func newBcast(out []int, ops [][]int) *bcast {
	r := len(out)
	st := make([][]int, len(ops))
	b := &bcast{outSize: numel(out)}
	for k, s := range ops {
		st[k] = make([]int, r)
		stride := 1
		for i := len(s) - 1; i >= 0; i-- {
			a := r - len(s) + i
			if s[i] != 1 {
				st[k][a] = stride
			}
			stride *= s[i]
		}
		b.sizes = append(b.sizes, numel(s))
	}
	// Merge axis i into i+1 when every operand allows.
	dims := slices.Clone(out)
	keep := make([]bool, r)
	for i := range keep {
		keep[i] = true
	}
	for i := r - 2; i >= 0; i-- {
		// Find the next kept axis after i.
		j := i + 1
		for !keep[j] {
			j++
		}
		ok := true
		for k := range ops {
			if st[k][i] != st[k][j]*dims[j] {
				ok = false
				break
			}
		}
		if ok || dims[i] == 1 {
			dims[j] *= dims[i]
			keep[i] = false
		}
	}
	for i := range dims {
		if keep[i] {
			b.dims = append(b.dims, dims[i])
		}
	}
	if len(b.dims) == 0 {
		b.dims = []int{1}
	}
	b.strides = make([][]int, len(ops))
	for k := range ops {
		for i := range dims {
			if keep[i] {
				b.strides[k] = append(b.strides[k], st[k][i])
			}
		}
		if len(b.strides[k]) == 0 {
			b.strides[k] = []int{0}
		}
	}
	return b
}

// runs calls fn for every run of the last merged axis of one sample: the
// output offset, each operand's offset and stride along the run, and its
// length.
func (b *bcast) runs(fn func(o, a, b, sa, sb, n int)) {
	r := len(b.dims)
	n := b.dims[r-1]
	sa, sb := b.strides[0][r-1], b.strides[1][r-1]
	idx := make([]int, r-1)
	oa, ob := 0, 0
	for o := 0; o < b.outSize; o += n {
		fn(o, oa, ob, sa, sb, n)
		for i := r - 2; i >= 0; i-- {
			idx[i]++
			oa += b.strides[0][i]
			ob += b.strides[1][i]
			if idx[i] < b.dims[i] {
				break
			}
			oa -= idx[i] * b.strides[0][i]
			ob -= idx[i] * b.strides[1][i]
			idx[i] = 0
		}
	}
}

func (l *Binary) newOp(in [][]int, out []int, batch int) op {
	ops, _ := l.operands(in)
	return &binaryOp{l: l, b: newBcast(out, ops)}
}

type binaryOp struct {
	l *Binary
	b *bcast
}

// sides returns the data of the left and right operands for sample s, and
// whether each is an activation (else the constant).
func (o *binaryOp) sides(in []*Tensor) (a, b []float32, actA, actB bool) {
	l := o.l
	switch {
	case l.Const == nil:
		return in[0].Data, in[1].Data, true, true
	case l.ConstLeft:
		return l.Const.Data, in[0].Data, false, true
	}
	return in[0].Data, l.Const.Data, true, false
}

func (o *binaryOp) forward(r *run, in []*Tensor, out *Tensor, train bool) {
	a, b, actA, actB := o.sides(in)
	n := out.Shape[0]
	bc := o.b
	r.par(n, max(1, grainElems/max(1, bc.outSize)), func(_, lo, hi int) {
		for s := lo; s < hi; s++ {
			as, bs := a, b
			if actA {
				as = a[s*bc.sizes[0] : (s+1)*bc.sizes[0]]
			}
			if actB {
				bs = b[s*bc.sizes[1] : (s+1)*bc.sizes[1]]
			}
			y := out.Data[s*bc.outSize : (s+1)*bc.outSize]
			bc.runs(func(oo, oa, ob, sa, sb, m int) {
				binaryRun(o.l.Op, y[oo:oo+m], as[oa:], bs[ob:], sa, sb)
			})
		}
	})
}

// binaryRun computes y[i] = a[i·sa] op b[i·sb].
func binaryRun(op Op, y, a, b []float32, sa, sb int) {
	switch op {
	case OpAdd:
		for i := range y {
			y[i] = a[i*sa] + b[i*sb]
		}
	case OpSub:
		for i := range y {
			y[i] = a[i*sa] - b[i*sb]
		}
	case OpMul:
		for i := range y {
			y[i] = a[i*sa] * b[i*sb]
		}
	case OpDiv:
		for i := range y {
			y[i] = a[i*sa] / b[i*sb]
		}
	}
}

// grads accumulates the gradients of one sample into da and db (either may
// be nil): dy is the output gradient, a and b the operands.
func (o *binaryOp) grads(dy, a, b, da, db []float32) {
	op := o.l.Op
	o.b.runs(func(oo, oa, ob, sa, sb, m int) {
		g := dy[oo : oo+m]
		for i, v := range g {
			x, z := a[oa+i*sa], b[ob+i*sb]
			var ga, gb float32
			switch op {
			case OpAdd:
				ga, gb = v, v
			case OpSub:
				ga, gb = v, -v
			case OpMul:
				ga, gb = v*z, v*x
			case OpDiv:
				ga, gb = v/z, -v*x/(z*z)
			}
			if da != nil {
				da[oa+i*sa] += ga
			}
			if db != nil {
				db[ob+i*sb] += gb
			}
		}
	})
}

func (o *binaryOp) backward(r *run, in []*Tensor, out, dout *Tensor, din []*Tensor) {
	a, b, actA, actB := o.sides(in)
	l := o.l
	n := out.Shape[0]
	bc := o.b
	// The activations' gradients, sample by sample in parallel.
	var dA, dB []float32
	k := 0
	if actA {
		if din[0] != nil {
			dA = din[0].Data
			clear(dA)
		}
		k = 1
	}
	if actB && din[k] != nil {
		dB = din[k].Data
		clear(dB)
	}
	sample := func(s int, data []float32, act bool, size int) []float32 {
		if !act || data == nil {
			return data
		}
		return data[s*size : (s+1)*size]
	}
	if dA != nil || dB != nil {
		r.par(n, max(1, grainElems/max(1, bc.outSize)), func(_, lo, hi int) {
			for s := lo; s < hi; s++ {
				var da, db []float32
				if dA != nil {
					da = sample(s, dA, true, bc.sizes[0])
				}
				if dB != nil {
					db = sample(s, dB, true, bc.sizes[1])
				}
				o.grads(dout.Data[s*bc.outSize:(s+1)*bc.outSize], sample(s, a, actA, bc.sizes[0]),
					sample(s, b, actB, bc.sizes[1]), da, db)
			}
		})
	}
	// The constant's gradient, summed over the samples in order.
	if l.Const == nil || l.Frozen {
		return
	}
	l.Const.ensureGrad()
	clear(l.Const.Grad)
	for s := 0; s < n; s++ {
		var da, db []float32
		if l.ConstLeft {
			da = l.Const.Grad
		} else {
			db = l.Const.Grad
		}
		o.grads(dout.Data[s*bc.outSize:(s+1)*bc.outSize], sample(s, a, actA, bc.sizes[0]),
			sample(s, b, actB, bc.sizes[1]), da, db)
	}
}
