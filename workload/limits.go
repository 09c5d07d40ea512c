package workload

import (
	"fmt"
	"math/bits"
)

// Limits on the size of a layer and a network, checked when a layer is
// built (NewLayer, NewConv) and when a layer or network is validated, so
// that no count overflows int64 and every search factors its bounds
// quickly. docs/limits.md lists every limit of nnergy; these are fixed
// (raise them here, in one place, if a real network needs more).
const (
	// MaxBound is the largest loop bound of one dimension (N G M C P Q R
	// S), and the largest stride, dilation, padding, channel count,
	// input size and kernel size a layer is built from: 2^32.
	MaxBound = 1 << 32
	// MaxMACs is the most multiply-accumulates of one layer or of a whole
	// network, and the most words of one tensor of a layer: 2^53
	// (9.007e15), the largest integer a float64 holds exactly, which leaves
	// the access counts derived from it (a few per MAC) far from overflowing
	// int64.
	MaxMACs = 1 << 53
)

// mulLimit returns a·b, or false when the product exceeds MaxMACs (or
// overflows). a and b must not be negative.
func mulLimit(a, b int64) (int64, bool) {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	if hi != 0 || lo > MaxMACs {
		return 0, false
	}
	return int64(lo), true
}

// checkBound returns an error when v, named what, is above MaxBound.
func checkBound(layer, what string, v int) error {
	if v > MaxBound {
		return fmt.Errorf("workload: layer %q: %s is %d, above the limit of %d (workload.MaxBound, docs/limits.md)", layer, what, v, int64(MaxBound))
	}
	return nil
}

// checkSize checks the layer's bounds, strides and dilations against
// MaxBound and its MACs and tensor sizes against MaxMACs, with checked
// multiplication: before it, a layer's MACs could wrap around to a
// negative count.
func (l *Layer) checkSize() error {
	for d, v := range l.Shape {
		if err := checkBound(l.Name, "the bound of "+Dim(d).String(), v); err != nil {
			return err
		}
	}
	for i, v := range [...]int{l.Stride[0], l.Stride[1], l.Dilation[0], l.Dilation[1]} {
		if err := checkBound(l.Name, [...]string{"the row stride", "the column stride", "the row dilation", "the column dilation"}[i], v); err != nil {
			return err
		}
	}
	// The padded input spans (P−1)·stride + (R−1)·dilation + 1 rows (and
	// the same for Q, S in columns); bounding it bounds every input rank.
	for i, pr := range [2][2]Dim{{P, R}, {Q, S}} {
		out, ok1 := mulLimit(int64(l.Shape[pr[0]]-1), int64(l.Stride[i]))
		win, ok2 := mulLimit(int64(l.Shape[pr[1]]-1), int64(l.Dilation[i]))
		if !ok1 || !ok2 || out+win+1 > MaxBound {
			return fmt.Errorf("workload: layer %q: the padded input %s spans more than %d (workload.MaxBound, docs/limits.md)", l.Name, [...]string{"height", "width"}[i], int64(MaxBound))
		}
	}
	macs := int64(1)
	for _, v := range l.Shape {
		var ok bool
		if macs, ok = mulLimit(macs, int64(v)); !ok {
			return fmt.Errorf("workload: layer %q: %s has more than %d MACs (workload.MaxMACs, docs/limits.md)", l.Name, l.Shape, int64(MaxMACs))
		}
	}
	for t := range NumTensors {
		p := l.Projection(t)
		words := int64(1)
		for i := 0; i < p.Len; i++ {
			var ok bool
			if words, ok = mulLimit(words, p.Ranks[i].Size(&l.Shape)); !ok {
				return fmt.Errorf("workload: layer %q: %s has more than %d words (workload.MaxMACs, docs/limits.md)", l.Name, t, int64(MaxMACs))
			}
		}
	}
	return nil
}
