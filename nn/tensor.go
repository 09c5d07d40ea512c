package nn

import (
	"fmt"
	"slices"
)

// Tensor is a dense float32 array stored in row-major order. Images are NCHW:
// batch, channels, height, width.
type Tensor struct {
	Shape []int
	Data  []float32
}

// NewTensor returns a zero tensor of the given shape.
func NewTensor(shape ...int) *Tensor {
	return &Tensor{Shape: slices.Clone(shape), Data: make([]float32, numel(shape))}
}

// Len returns the number of elements the shape describes.
func (t *Tensor) Len() int { return numel(t.Shape) }

// Param is a trainable tensor: its values, the gradient the last backward
// pass wrote, and an optional mask for unstructured pruning.
//
// A masked weight (Mask[i] == false) is held at exactly zero: the optimizers
// zero its gradient before the update and its value after it. Mask is nil
// when the parameter is dense.
type Param struct {
	Shape []int
	Data  []float32
	Grad  []float32
	Mask  []bool
}

// NewParam returns a parameter of the given shape holding data, or zeros
// when data is nil. It panics if len(data) does not match the shape, a
// programmer error.
func NewParam(data []float32, shape ...int) *Param {
	n := numel(shape)
	if data == nil {
		data = make([]float32, n)
	}
	if len(data) != n {
		panic(fmt.Sprintf("nn: NewParam: %d values for shape %v", len(data), shape))
	}
	return &Param{Shape: slices.Clone(shape), Data: data}
}

// Len returns the number of values.
func (p *Param) Len() int { return len(p.Data) }

// clone returns a deep copy (the gradient is not copied).
func (p *Param) clone() *Param {
	if p == nil {
		return nil
	}
	q := &Param{Shape: slices.Clone(p.Shape), Data: slices.Clone(p.Data)}
	if p.Mask != nil {
		q.Mask = slices.Clone(p.Mask)
	}
	return q
}

// applyMask zeroes the masked values.
func (p *Param) applyMask() {
	if p.Mask == nil {
		return
	}
	for i, keep := range p.Mask {
		if !keep {
			p.Data[i] = 0
		}
	}
}

// ensureGrad allocates the gradient if needed.
func (p *Param) ensureGrad() {
	if len(p.Grad) != len(p.Data) {
		p.Grad = make([]float32, len(p.Data))
	}
}

func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}
