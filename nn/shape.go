package nn

import (
	"fmt"
	"slices"
)

// Permute rearranges each sample's values: it views the per-sample input
// as In (nil: as it is), permutes those axes by Perm (nil: none; output
// axis i is input axis Perm[i]) and views the result as Out (nil: as
// permuted). The batch axis stays first. It is ONNX Reshape (In and Perm
// nil), Transpose of the per-sample axes (Out nil), or both, which is how
// an importer moves the heads of an attention block next to the batch.
type Permute struct {
	In, Perm, Out []int
}

// Kind returns KindPermute.
func (l *Permute) Kind() Kind { return KindPermute }

// Params returns nil.
func (l *Permute) Params() []*Param { return nil }

func (l *Permute) clone() Layer {
	return &Permute{In: slices.Clone(l.In), Perm: slices.Clone(l.Perm), Out: slices.Clone(l.Out)}
}

// stages returns the viewed input shape and the permuted shape.
func (l *Permute) stages(in [][]int) (view, perm []int, err error) {
	x, err := oneInput(in, KindPermute)
	if err != nil {
		return nil, nil, err
	}
	view = x
	if l.In != nil {
		if numel(l.In) != numel(x) || slices.ContainsFunc(l.In, func(d int) bool { return d < 1 }) {
			return nil, nil, fmt.Errorf("permute: cannot view %v as %v", x, l.In)
		}
		view = l.In
	}
	perm = view
	if l.Perm != nil {
		if len(l.Perm) != len(view) {
			return nil, nil, fmt.Errorf("permute: permutation %v of %d axes", l.Perm, len(view))
		}
		seen := make([]bool, len(view))
		perm = make([]int, len(view))
		for i, a := range l.Perm {
			if a < 0 || a >= len(view) || seen[a] {
				return nil, nil, fmt.Errorf("permute: %v is not a permutation", l.Perm)
			}
			seen[a] = true
			perm[i] = view[a]
		}
	}
	return view, perm, nil
}

// OutShape returns Out, or the permuted shape.
func (l *Permute) OutShape(in [][]int) ([]int, error) {
	_, perm, err := l.stages(in)
	if err != nil {
		return nil, err
	}
	if l.Out == nil {
		return perm, nil
	}
	if numel(l.Out) != numel(perm) || slices.ContainsFunc(l.Out, func(d int) bool { return d < 1 }) || len(l.Out) == 0 {
		return nil, fmt.Errorf("permute: cannot view %v as %v", perm, l.Out)
	}
	return l.Out, nil
}

func (l *Permute) newOp(in [][]int, out []int, batch int) op {
	view, _, _ := l.stages(in)
	if l.Perm == nil || isIdentity(l.Perm) {
		return copyOp{}
	}
	// src[i] is the input offset of output element i within a sample.
	n := numel(view)
	src := make([]int32, n)
	stride := make([]int, len(view))
	s := 1
	for i := len(view) - 1; i >= 0; i-- {
		stride[i] = s
		s *= view[i]
	}
	idx := make([]int, len(view))
	for i := range src {
		off := 0
		for k, a := range l.Perm {
			off += idx[k] * stride[a]
		}
		src[i] = int32(off)
		for k := len(idx) - 1; k >= 0; k-- {
			idx[k]++
			if idx[k] < view[l.Perm[k]] {
				break
			}
			idx[k] = 0
		}
	}
	return &permuteOp{src: src}
}

func isIdentity(p []int) bool {
	for i, a := range p {
		if a != i {
			return false
		}
	}
	return true
}

type permuteOp struct{ src []int32 }

func (o *permuteOp) forward(r *run, in []*Tensor, out *Tensor, train bool) {
	n := len(o.src)
	x, y := in[0].Data, out.Data
	r.par(len(y)/n, max(1, grainElems/n), func(_, lo, hi int) {
		for s := lo; s < hi; s++ {
			xs, ys := x[s*n:(s+1)*n], y[s*n:(s+1)*n]
			for i, k := range o.src {
				ys[i] = xs[k]
			}
		}
	})
}

func (o *permuteOp) backward(r *run, in []*Tensor, out, dout *Tensor, din []*Tensor) {
	if din[0] == nil {
		return
	}
	n := len(o.src)
	dx, dy := din[0].Data, dout.Data
	r.par(len(dy)/n, max(1, grainElems/n), func(_, lo, hi int) {
		for s := lo; s < hi; s++ {
			dxs, dys := dx[s*n:(s+1)*n], dy[s*n:(s+1)*n]
			for i, k := range o.src {
				dxs[k] = dys[i]
			}
		}
	})
}

// Slice keeps the indices Start to End-1 of one per-sample axis (ONNX
// Slice with step 1 on one axis; Axis 0 is ONNX axis 1).
type Slice struct {
	Axis, Start, End int
}

// Kind returns KindSlice.
func (l *Slice) Kind() Kind { return KindSlice }

// Params returns nil.
func (l *Slice) Params() []*Param { return nil }

func (l *Slice) clone() Layer { d := *l; return &d }

// OutShape returns the input shape with the axis cut to End - Start.
func (l *Slice) OutShape(in [][]int) ([]int, error) {
	x, err := oneInput(in, KindSlice)
	if err != nil {
		return nil, err
	}
	if l.Axis < 0 || l.Axis >= len(x) || l.Start < 0 || l.End > x[l.Axis] || l.Start >= l.End {
		return nil, fmt.Errorf("slice: [%d, %d) of axis %d of %v", l.Start, l.End, l.Axis, x)
	}
	out := slices.Clone(x)
	out[l.Axis] = l.End - l.Start
	return out, nil
}

func (l *Slice) newOp(in [][]int, out []int, batch int) op {
	x := in[0]
	return &sliceOp{outer: batch * numel(x[:l.Axis]), inner: numel(x[l.Axis+1:]), n: x[l.Axis], start: l.Start, m: l.End - l.Start}
}

type sliceOp struct{ outer, inner, n, start, m int }

func (o *sliceOp) forward(r *run, in []*Tensor, out *Tensor, train bool) {
	w, bw := o.m*o.inner, o.n*o.inner
	for i := 0; i < o.outer; i++ {
		copy(out.Data[i*w:(i+1)*w], in[0].Data[i*bw+o.start*o.inner:])
	}
}

func (o *sliceOp) backward(r *run, in []*Tensor, out, dout *Tensor, din []*Tensor) {
	if din[0] == nil {
		return
	}
	clear(din[0].Data)
	w, bw := o.m*o.inner, o.n*o.inner
	for i := 0; i < o.outer; i++ {
		copy(din[0].Data[i*bw+o.start*o.inner:i*bw+o.start*o.inner+w], dout.Data[i*w:(i+1)*w])
	}
}

// ReduceMean averages over per-sample axes (ONNX ReduceMean; Axes count
// from 0 for ONNX axis 1), keeping them as size 1 when Keep.
type ReduceMean struct {
	Axes []int
	Keep bool
}

// Kind returns KindReduceMean.
func (l *ReduceMean) Kind() Kind { return KindReduceMean }

// Params returns nil.
func (l *ReduceMean) Params() []*Param { return nil }

func (l *ReduceMean) clone() Layer { return &ReduceMean{Axes: slices.Clone(l.Axes), Keep: l.Keep} }

// OutShape returns the reduced shape.
func (l *ReduceMean) OutShape(in [][]int) ([]int, error) {
	x, err := oneInput(in, KindReduceMean)
	if err != nil {
		return nil, err
	}
	red := make([]bool, len(x))
	for _, a := range l.Axes {
		if a < 0 || a >= len(x) || red[a] {
			return nil, fmt.Errorf("reducemean: axes %v of %v", l.Axes, x)
		}
		red[a] = true
	}
	if len(l.Axes) == 0 {
		return nil, fmt.Errorf("reducemean: no axes")
	}
	var out []int
	for i, d := range x {
		switch {
		case !red[i]:
			out = append(out, d)
		case l.Keep:
			out = append(out, 1)
		}
	}
	if len(out) == 0 {
		out = []int{1}
	}
	return out, nil
}

func (l *ReduceMean) newOp(in [][]int, out []int, batch int) op {
	x := in[0]
	red := make([]int, len(x))
	for _, a := range l.Axes {
		red[a] = 1
	}
	// dst[i] is the output offset of input element i within a sample.
	n := numel(x)
	dst := make([]int32, n)
	ostride := make([]int, len(x))
	s := 1
	for i := len(x) - 1; i >= 0; i-- {
		if red[i] == 0 {
			ostride[i] = s
			s *= x[i]
		}
	}
	idx := make([]int, len(x))
	for i := range dst {
		off := 0
		for k := range idx {
			off += idx[k] * ostride[k]
		}
		dst[i] = int32(off)
		for k := len(idx) - 1; k >= 0; k-- {
			idx[k]++
			if idx[k] < x[k] {
				break
			}
			idx[k] = 0
		}
	}
	return &reduceOp{dst: dst, outN: s, scale: float32(s) / float32(n)}
}

type reduceOp struct {
	dst   []int32
	outN  int
	scale float32 // 1 / (values averaged per output)
}

func (o *reduceOp) forward(r *run, in []*Tensor, out *Tensor, train bool) {
	n := len(o.dst)
	x, y := in[0].Data, out.Data
	r.par(len(x)/n, max(1, grainElems/n), func(_, lo, hi int) {
		for s := lo; s < hi; s++ {
			xs, ys := x[s*n:(s+1)*n], y[s*o.outN:(s+1)*o.outN]
			clear(ys)
			for i, k := range o.dst {
				ys[k] += xs[i]
			}
			for k := range ys {
				ys[k] *= o.scale
			}
		}
	})
}

func (o *reduceOp) backward(r *run, in []*Tensor, out, dout *Tensor, din []*Tensor) {
	if din[0] == nil {
		return
	}
	n := len(o.dst)
	dx, dy := din[0].Data, dout.Data
	r.par(len(dx)/n, max(1, grainElems/n), func(_, lo, hi int) {
		for s := lo; s < hi; s++ {
			dxs, dys := dx[s*n:(s+1)*n], dy[s*o.outN:(s+1)*o.outN]
			for i, k := range o.dst {
				dxs[i] = dys[k] * o.scale
			}
		}
	})
}

// Pad pads each sample with Value: Pads[i] values before and Pads[r+i]
// after per-sample axis i of a rank-r shape (ONNX Pad in constant mode,
// without the batch axis).
type Pad struct {
	Pads  []int
	Value float32
}

// Kind returns KindPad.
func (l *Pad) Kind() Kind { return KindPad }

// Params returns nil.
func (l *Pad) Params() []*Param { return nil }

func (l *Pad) clone() Layer { return &Pad{Pads: slices.Clone(l.Pads), Value: l.Value} }

// OutShape returns the padded shape.
func (l *Pad) OutShape(in [][]int) ([]int, error) {
	x, err := oneInput(in, KindPad)
	if err != nil {
		return nil, err
	}
	r := len(x)
	if len(l.Pads) != 2*r || slices.Min(l.Pads) < 0 {
		return nil, fmt.Errorf("pad: pads %v for a shape %v (want %d non-negative values)", l.Pads, x, 2*r)
	}
	out := make([]int, r)
	for i, d := range x {
		out[i] = d + l.Pads[i] + l.Pads[r+i]
	}
	return out, nil
}

func (l *Pad) newOp(in [][]int, out []int, batch int) op {
	x := in[0]
	r := len(x)
	// dst[i] is the output offset of input element i within a sample.
	n := numel(x)
	dst := make([]int32, n)
	ostride := make([]int, r)
	s := 1
	for i := r - 1; i >= 0; i-- {
		ostride[i] = s
		s *= out[i]
	}
	idx := make([]int, r)
	for i := range dst {
		off := 0
		for k := range idx {
			off += (idx[k] + l.Pads[k]) * ostride[k]
		}
		dst[i] = int32(off)
		for k := r - 1; k >= 0; k-- {
			idx[k]++
			if idx[k] < x[k] {
				break
			}
			idx[k] = 0
		}
	}
	return &padOp{dst: dst, outN: s, value: l.Value}
}

type padOp struct {
	dst   []int32
	outN  int
	value float32
}

func (o *padOp) forward(r *run, in []*Tensor, out *Tensor, train bool) {
	n := len(o.dst)
	x, y := in[0].Data, out.Data
	r.par(len(x)/n, max(1, grainElems/n), func(_, lo, hi int) {
		for s := lo; s < hi; s++ {
			ys := y[s*o.outN : (s+1)*o.outN]
			for k := range ys {
				ys[k] = o.value
			}
			for i, k := range o.dst {
				ys[k] = x[s*n+i]
			}
		}
	})
}

func (o *padOp) backward(r *run, in []*Tensor, out, dout *Tensor, din []*Tensor) {
	if din[0] == nil {
		return
	}
	n := len(o.dst)
	dx, dy := din[0].Data, dout.Data
	r.par(len(dx)/n, max(1, grainElems/n), func(_, lo, hi int) {
		for s := lo; s < hi; s++ {
			for i, k := range o.dst {
				dx[s*n+i] = dy[s*o.outN+int(k)]
			}
		}
	})
}
