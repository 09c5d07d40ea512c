package graph

import (
	"fmt"
	"slices"

	"github.com/nnergy/nnergy/onnx"
)

// reshape returns the shape a Reshape of an input of shape in to target
// gives: 0 copies the input's dimension at the same index (unless
// allowZero, when it is a dimension of size 0), -1 is inferred from the
// number of elements. The error says what is wrong with target, shown as
// the file gives it (shown) when target has been adjusted (the batch).
func reshape(in, target, shown []int64, allowZero bool) ([]int64, error) {
	out := slices.Clone(target)
	infer := -1
	known := int64(1)
	for i, d := range out {
		switch {
		case d == 0 && !allowZero:
			if i >= len(in) {
				return nil, fmt.Errorf("shape %v copies dimension %d of input shape %v, which has none", shown, i, in)
			}
			out[i] = in[i]
		case d == -1:
			if infer >= 0 {
				return nil, fmt.Errorf("shape %v has more than one -1", shown)
			}
			infer = i
			continue
		case d < 0:
			return nil, fmt.Errorf("shape %v has a negative dimension", shown)
		}
		known *= out[i]
	}
	total := onnx.Numel(in)
	if infer >= 0 {
		if known == 0 || total%known != 0 {
			return nil, fmt.Errorf("cannot reshape input of shape %v to %v", in, shown)
		}
		out[infer] = total / known
	}
	if onnx.Numel(out) != total {
		return nil, fmt.Errorf("cannot reshape input of shape %v (%d elements) to %v", in, total, shown)
	}
	return out, nil
}
