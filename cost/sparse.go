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
func (m *Model) zeroChance(l *workload.Layer, c *nest.Counts, cond *[workload.NumTensors]bool, i int, t workload.Tensor) float64 {
	nonzero := 1.0
	for k, on := range cond {
		if !on || workload.Tensor(k) == t {
			continue
		}
		d := l.Density[k]
		n := int64(1)
		if j := childLevel(c, i, k); j < len(c.Levels) {
			// The words of the condition tensor one child holds.
			n = c.Levels[j].Tensors[k].Tile
		}
		empty := math.Pow(1-d, float64(n))
		if n > 1 && m != nil {
			if st, ok := m.measuredTile(l, i, workload.Tensor(k), &c.Ext[childLevel(c, i, k)]); ok {
				empty = st.Empty
			}
		}
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

// tileKey identifies the measured statistics of one tiling of a tensor.
type tileKey struct {
	m      *sparse.Measured
	level  int
	extent [workload.MaxRanks]int
}

// measuredTile returns the statistics of tensor t's tiles at tile extents
// ext, measured on the layer's real values and encoded in level i's format
// (dense when the level has none), cached per tiling. ok is false when t
// has no measured values.
func (m *Model) measuredTile(l *workload.Layer, i int, t workload.Tensor, ext *workload.Shape) (st sparse.TileStats, ok bool) {
	ms := l.Measured[t]
	if ms == nil {
		return st, false
	}
	p := l.Projection(t)
	k := tileKey{m: ms, level: i}
	for j := 0; j < p.Len; j++ {
		k.extent[j] = int(min(p.Ranks[j].Size(ext), int64(ms.Tensor().Shape[j])))
	}
	if v, hit := m.tiles.Load(k); hit {
		return v.(sparse.TileStats), true
	}
	f := m.spec.Levels[i].Format[t]
	if f == nil {
		f = sparse.Dense{ValueBits: m.spec.Levels[i].WordBits}
	}
	st, err := ms.Tile(sparse.Tiling{Extent: k.extent[:p.Len]}, f)
	if err != nil {
		return st, false
	}
	m.tiles.Store(k, st)
	return st, true
}

// measuredRatio returns the compressed size of tensor t's tiles at level i
// over their dense size, measured on real values, or ok false.
func (m *Model) measuredRatio(l *workload.Layer, c *nest.Counts, i int, t workload.Tensor) (float64, bool) {
	if l.Measured[t] == nil || m.spec.Levels[i].Format[t] == nil || c.Levels[i].Tensors[t].Tile == 0 {
		return 0, false
	}
	st, ok := m.measuredTile(l, i, t, &c.Ext[i])
	if !ok || st.Elements == 0 {
		return 0, false
	}
	r := st.Bits / (float64(st.Elements) * float64(m.spec.Levels[i].WordBits))
	return min(r, 1), true
}

// childLevel returns the nearest level below i that keeps tensor k (or the
// number of levels: the MACs).
func childLevel(c *nest.Counts, i, k int) int {
	j := i + 1
	for j < len(c.Levels) && c.Levels[j].Tensors[k].Tile == 0 {
		j++
	}
	return j
}
