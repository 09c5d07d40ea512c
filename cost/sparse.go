package cost

import (
	"math"

	"github.com/nnergy/nnergy/nest"
	"github.com/nnergy/nnergy/sparse"
	"github.com/nnergy/nnergy/workload"
)

// ratio returns the size of tile values of tensor t in level i's format
// over their dense size (see arch.Spec.Ratio).
func (m *Model) ratio(l *workload.Layer, i int, t workload.Tensor, tile int64) float64 {
	return m.spec.Ratio(l, i, t, tile)
}

// zeroChance returns the probability that the condition tensors of a gate
// or skip at level i (all but t) make an access of t useless: at the
// innermost level one value of each, further out a whole child tile.
func zeroChance(l *workload.Layer, c *nest.Counts, cond *[workload.NumTensors]bool, i int, t workload.Tensor) float64 {
	nonzero := 1.0
	for k, on := range cond {
		if !on || workload.Tensor(k) == t {
			continue
		}
		d := l.Density[k]
		n := int64(1)
		if i+1 < len(c.Levels) {
			// The words of the condition tensor one child holds.
			for j := i + 1; j < len(c.Levels); j++ {
				if tile := c.Levels[j].Tensors[k].Tile; tile > 0 {
					n = tile
					break
				}
			}
		}
		empty := math.Pow(1-d, float64(n))
		nonzero *= 1 - empty
	}
	return 1 - nonzero
}

// computeSplit returns the fractions of MACs performed, gated and skipped.
func (m *Model) computeSplit(l *workload.Layer) sparse.Split {
	if !m.zeros {
		return sparse.Split{Performed: 1}
	}
	var buf [workload.NumTensors]sparse.Condition
	conds := buf[:0]
	for k := range workload.NumTensors {
		z := 1 - l.Density[k]
		switch {
		case m.spec.Compute.SkipOn[k]:
			conds = append(conds, sparse.Condition{Zero: z, Policy: sparse.Skip})
		case m.spec.Compute.GateOn[k]:
			conds = append(conds, sparse.Condition{Zero: z, Policy: sparse.Gate})
		}
	}
	return sparse.Apply(conds...)
}
