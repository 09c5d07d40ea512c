package cost

import (
	"math"

	"github.com/nnergy/nnergy/nest"
	"github.com/nnergy/nnergy/sparse"
	"github.com/nnergy/nnergy/workload"
)

// maxFiber caps the fiber length used for a compressed format's expected
// size: beyond a few thousand values the ratio of compressed to dense size
// no longer changes, and the expectation costs time per value.
const maxFiber = 1 << 14

type ratioKey struct {
	level, tensor int
	n             int64
	density       float64
}

// ratio returns the size of tile words of tensor t at level i in the
// level's format, as a fraction of the dense size (1 for dense, and never
// above 1: a level stores a tensor compressed only when that saves space).
func (m *Model) ratio(l *workload.Layer, i int, t workload.Tensor, tile int64) float64 {
	f := m.spec.Levels[i].Format[t]
	d := l.Density[t]
	if f == nil || tile <= 0 {
		return 1
	}
	n := min(tile, maxFiber)
	k := ratioKey{i, int(t), n, d}
	if v, ok := m.ratios.Load(k); ok {
		return v.(float64)
	}
	r := f.ExpectedBits(int(n), d) / (float64(n) * float64(m.spec.Levels[i].WordBits))
	if !(r < 1) || math.IsNaN(r) {
		r = 1
	}
	m.ratios.Store(k, r)
	return r
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
