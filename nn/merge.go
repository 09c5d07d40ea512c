package nn

import (
	"fmt"
	"slices"
)

// Add sums its inputs elementwise; all inputs have the same shape (ONNX Add
// without broadcasting). It joins the branches of a residual block.
type Add struct{}

// Concat joins its inputs along the channel axis (ONNX Concat, axis 1).
type Concat struct{}

// Flatten reshapes [C, H, W] to [C·H·W] (ONNX Flatten, axis 1).
type Flatten struct{}

// Kind returns KindAdd.
func (l *Add) Kind() Kind { return KindAdd }

// Kind returns KindConcat.
func (l *Concat) Kind() Kind { return KindConcat }

// Kind returns KindFlatten.
func (l *Flatten) Kind() Kind { return KindFlatten }

// Params returns nil.
func (l *Add) Params() []*Param { return nil }

// Params returns nil.
func (l *Concat) Params() []*Param { return nil }

// Params returns nil.
func (l *Flatten) Params() []*Param { return nil }

func (l *Add) clone() Layer     { return &Add{} }
func (l *Concat) clone() Layer  { return &Concat{} }
func (l *Flatten) clone() Layer { return &Flatten{} }

// OutShape returns the common input shape.
func (l *Add) OutShape(in [][]int) ([]int, error) {
	if len(in) < 2 {
		return nil, fmt.Errorf("add takes at least 2 inputs, got %d", len(in))
	}
	for _, s := range in[1:] {
		if !slices.Equal(s, in[0]) {
			return nil, fmt.Errorf("add: input shapes %v differ", in)
		}
	}
	return in[0], nil
}

// OutShape returns the inputs' shape with the channel counts summed.
func (l *Concat) OutShape(in [][]int) ([]int, error) {
	if len(in) < 1 {
		return nil, fmt.Errorf("concat takes at least 1 input")
	}
	out := slices.Clone(in[0])
	for _, s := range in[1:] {
		if len(s) != len(out) || !slices.Equal(s[1:], out[1:]) {
			return nil, fmt.Errorf("concat: input shapes %v differ beyond the channel axis", in)
		}
		out[0] += s[0]
	}
	return out, nil
}

// OutShape returns [C·H·W].
func (l *Flatten) OutShape(in [][]int) ([]int, error) {
	x, err := oneInput(in, KindFlatten)
	if err != nil {
		return nil, err
	}
	return []int{numel(x)}, nil
}

func (l *Add) newOp(in [][]int, out []int, batch int) op     { return addOp{} }
func (l *Concat) newOp(in [][]int, out []int, batch int) op  { return concatOp{} }
func (l *Flatten) newOp(in [][]int, out []int, batch int) op { return copyOp{} }

type addOp struct{}

func (addOp) forward(r *run, in []*Tensor, out *Tensor, train bool) {
	y := out.Data
	r.par(len(y), grainElems, func(_, lo, hi int) {
		copy(y[lo:hi], in[0].Data[lo:hi])
		for _, t := range in[1:] {
			addTo(y[lo:hi], t.Data[lo:hi])
		}
	})
}

func (addOp) backward(r *run, in []*Tensor, out, dout *Tensor, din []*Tensor) {
	for _, d := range din {
		if d != nil {
			copy(d.Data, dout.Data)
		}
	}
}

type concatOp struct{}

// blocks returns, per input, the length of one sample's block.
func concatBlocks(in []*Tensor) (sizes []int, total int) {
	n := in[0].Shape[0]
	for _, t := range in {
		s := len(t.Data) / n
		sizes = append(sizes, s)
		total += s
	}
	return sizes, total
}

func (concatOp) forward(r *run, in []*Tensor, out *Tensor, train bool) {
	sizes, total := concatBlocks(in)
	for i := 0; i < in[0].Shape[0]; i++ {
		o := i * total
		for k, t := range in {
			copy(out.Data[o:o+sizes[k]], t.Data[i*sizes[k]:(i+1)*sizes[k]])
			o += sizes[k]
		}
	}
}

func (concatOp) backward(r *run, in []*Tensor, out, dout *Tensor, din []*Tensor) {
	sizes, total := concatBlocks(in)
	for i := 0; i < in[0].Shape[0]; i++ {
		o := i * total
		for k, d := range din {
			if d != nil {
				copy(d.Data[i*sizes[k]:(i+1)*sizes[k]], dout.Data[o:o+sizes[k]])
			}
			o += sizes[k]
		}
	}
}

// copyOp passes data through unchanged (Flatten, and Dropout in
// inference).
type copyOp struct{}

func (copyOp) forward(r *run, in []*Tensor, out *Tensor, train bool) { copy(out.Data, in[0].Data) }

func (copyOp) backward(r *run, in []*Tensor, out, dout *Tensor, din []*Tensor) {
	if din[0] != nil {
		copy(din[0].Data, dout.Data)
	}
}
