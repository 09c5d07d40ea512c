package arch

import (
	"math"
	"sync"

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

// ratios caches Ratio per spec; specs are immutable, so entries never go
// stale.
var ratios sync.Map // *Spec -> *sync.Map of ratioKey -> float64

// Ratio returns the size of n values of tensor t of layer l in level i's
// format as a fraction of their dense size: 1 for dense, and never above 1,
// since a level stores a tensor compressed only when that saves space. The
// expectation is the format's at the layer's density of t.
func (s *Spec) Ratio(l *workload.Layer, i int, t workload.Tensor, n int64) float64 {
	f := s.Levels[i].Format[t]
	d := l.Density[t]
	if f == nil || n <= 0 || d >= 1 {
		// Every format adds metadata to dense data: dense is stored dense.
		return 1
	}
	n = min(n, maxFiber)
	k := ratioKey{i, int(t), n, d}
	c, ok := ratios.Load(s)
	if !ok {
		c, _ = ratios.LoadOrStore(s, &sync.Map{})
	}
	cache := c.(*sync.Map)
	if v, ok := cache.Load(k); ok {
		return v.(float64)
	}
	r := f.ExpectedBits(int(n), d) / (float64(n) * float64(s.Levels[i].WordBits))
	if !(r < 1) || math.IsNaN(r) {
		r = 1
	}
	cache.Store(k, r)
	return r
}

// TileWords returns the words of level i that n values of tensor t of layer
// l occupy: scaled from the tensor's width at this level (LevelBits) to the
// level's word width, and compressed by the level's format.
func (s *Spec) TileWords(l *workload.Layer, i int, t workload.Tensor, n int64) int64 {
	if n == 0 {
		return 0
	}
	lv := &s.Levels[i]
	bits := s.LevelBits(l, i, t)
	if lv.Format[t] == nil && bits == lv.WordBits {
		return n
	}
	w := float64(n) * float64(bits) / float64(lv.WordBits) * s.Ratio(l, i, t, n)
	return int64(math.Ceil(w - 1e-9))
}
