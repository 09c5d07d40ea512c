package nn

import (
	"fmt"
	"math/bits"
)

// Limits on the tensors of a forward pass, checked before anything of the
// pass is allocated (MeasureLatency, Train, Evaluate and the latency
// tables call Model.CheckSize), so that a model whose input claims huge
// sizes, or a huge batch, is refused with an error instead of exhausting
// memory. docs/limits.md lists every limit of nnergy; these are fixed
// (raise them here, in one place).
const (
	// MaxTensorElements is the most elements of one tensor of a pass,
	// batch included: 2^28, 1 GiB of float32.
	MaxTensorElements = 1 << 28
	// MaxPassElements is the most elements of all the tensors of a pass
	// together (the input and every node's output), batch included: 2^30,
	// 4 GiB of float32.
	MaxPassElements = 1 << 30
)

// CheckSize reports an error when a forward pass of m over batch samples
// would hold a tensor of more than MaxTensorElements elements, or more
// than MaxPassElements elements in all. It also reports the errors of
// Check.
func (m *Model) CheckSize(batch int) error {
	if batch < 1 {
		return fmt.Errorf("nn: batch %d, want at least 1", batch)
	}
	shapes, err := m.Shapes()
	if err != nil {
		return err
	}
	var total uint64
	check := func(name string, shape []int) error {
		n := uint64(batch)
		for _, d := range shape {
			hi, lo := bits.Mul64(n, uint64(d))
			if hi != 0 || lo > MaxTensorElements {
				return fmt.Errorf("nn: tensor %q of shape %v at batch %d has more than %d elements (nn.MaxTensorElements, docs/limits.md)", name, shape, batch, MaxTensorElements)
			}
			n = lo
		}
		if total += n; total > MaxPassElements {
			return fmt.Errorf("nn: a forward pass at batch %d holds more than %d elements by tensor %q (nn.MaxPassElements, docs/limits.md)", batch, MaxPassElements, name)
		}
		return nil
	}
	if err := check(m.Input, m.InShape); err != nil {
		return err
	}
	for _, n := range m.Nodes {
		if err := check(n.Name, shapes[n.Name]); err != nil {
			return err
		}
	}
	return nil
}
