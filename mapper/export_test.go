package mapper

import (
	"math"

	"github.com/nnergy/nnergy/cost"
	"github.com/nnergy/nnergy/mapspace"
	"github.com/nnergy/nnergy/workload"
)

// NodeBounds returns the bounds the branch and bound gives, under metric
// met, to the nodes above the complete point p: the nodes with the first
// 0..8 dimensions placed as in p (with p's keep masks), then those with
// p's loop orders fixed at levels 0..i. A node the search would cut as
// beyond the limits gives NaN.
func NodeBounds(s *mapspace.Space, m *cost.Model, met Metric, p *mapspace.Point) []float64 {
	r := &run{s: s, m: m, set: Settings{Objective: Objective{met}}, counts: make([]counters, 1)}
	br := &bnbRun{r: r, metric: met, floor: spaceBound(met, m, s.Layer)}
	br.setDims()
	br.canon = s.NewPoint().Order
	w := br.newWorker(0)
	var out []float64
	for depth := 0; depth <= int(workload.NumDims); depth++ {
		w.p.CopyFrom(p)
		copy(w.p.Order, br.canon)
		for _, d := range br.dims[depth:] {
			br.park(w.p, d)
		}
		b, ok := w.nodeBound(depth)
		if !ok {
			b = math.NaN()
		}
		out = append(out, b)
	}
	for fixed := 1; fixed < len(p.Order); fixed++ {
		w.p.CopyFrom(p)
		copy(w.p.Order[fixed:], br.canon[fixed:])
		s.Nest(w.p, &w.n)
		res, ok := w.ev.BoundNestOrders(s.Layer, &w.n, fixed)
		b := math.NaN()
		if ok {
			b = met.Value(res)
		}
		out = append(out, b)
	}
	return out
}
