package mapper

import (
	"context"
	"math"
	"slices"

	"github.com/nnergy/nnergy/mapping"
	"github.com/nnergy/nnergy/mapspace"
	"github.com/nnergy/nnergy/workload"
)

// exhaustive walks every factorization and keep mask (the leaves are dealt
// to the workers round robin) and, for those that fit, every loop order.
func (w *worker) exhaustive(ctx context.Context) {
	s := w.r.s
	p := s.NewPoint()
	var choices [workload.NumDims][][]int
	for d := range workload.NumDims {
		choices[d] = dimChoices(s, workload.Dim(d))
	}
	leaf := int64(0)
	var rec func(d int) bool
	rec = func(d int) bool {
		if ctx.Err() != nil {
			return false
		}
		if d == int(workload.NumDims) {
			return w.keeps(ctx, p, 0, &leaf)
		}
		for _, c := range choices[d] {
			copy(p.Slot[d], c)
			if !s.FanoutOK(p) {
				w.r.pruned.add(float64(w.subtree(d+1)) / float64(w.r.set.Workers))
				continue
			}
			if !rec(d + 1) {
				return false
			}
		}
		// Reset the dimension so that later fan-out checks see no factors.
		copy(p.Slot[d], choices[d][0])
		return true
	}
	rec(0)
}

// subtree estimates the points below a pruned dimension prefix.
func (w *worker) subtree(from int) float64 {
	s := w.r.s
	n := 1.0
	for d := from; d < int(workload.NumDims); d++ {
		n *= float64(len(dimChoices(s, workload.Dim(d))))
	}
	z := s.Size()
	return n * z.Orders * z.Keeps
}

// keeps walks the keep masks of levels from i on, then the loop orders.
func (w *worker) keeps(ctx context.Context, p *mapspace.Point, i int, leaf *int64) bool {
	s := w.r.s
	if i == len(s.Arch.Levels) {
		n := *leaf
		*leaf++
		if n%int64(w.r.set.Workers) != int64(w.id) {
			return true
		}
		if !s.Fits(p) {
			w.r.pruned.add(float64(w.orderCount(p)))
			w.c.rejects[Capacity].Add(1)
			return true
		}
		if w.r.set.Objective[0] == Energy {
			s.Nest(p, &w.n)
			lb, ok := w.ev.BoundNest(s.Layer, &w.n)
			if ok && lb > math.Float64frombits(w.r.bestEnergy.Load())*(1+1e-9) {
				w.r.pruned.add(float64(w.orderCount(p)))
				return true
			}
		}
		return w.orders(ctx, p, 0)
	}
	for _, k := range s.Keeps[i] {
		p.Keep[i] = k
		if !w.keeps(ctx, p, i+1, leaf) {
			return false
		}
	}
	return true
}

// active lists the dimensions with a temporal factor above 1 at level i,
// in the point's order, into buf.
func active(s *mapspace.Space, p *mapspace.Point, i int, buf *[workload.NumDims]workload.Dim) []workload.Dim {
	tf := s.SlotFactors(p, s.TemporalSlot(i))
	ds := buf[:0]
	for _, d := range p.Order[i] {
		if tf[d] > 1 {
			ds = append(ds, d)
		}
	}
	return ds
}

func (w *worker) orderCount(p *mapspace.Point) int64 {
	n := int64(1)
	for i := range p.Order {
		if !w.r.s.OrderMatters(i) {
			continue
		}
		var buf [workload.NumDims]workload.Dim
		for k := int64(len(active(w.r.s, p, i, &buf))); k > 1; k-- {
			n *= k
		}
	}
	return n
}

// orders walks the permutations of the active loops of levels from i on.
func (w *worker) orders(ctx context.Context, p *mapspace.Point, i int) bool {
	s := w.r.s
	if ctx.Err() != nil {
		return false
	}
	if i == len(p.Order) {
		if w.out() {
			w.r.cut.Store(true)
			return false
		}
		w.eval(p)
		return true
	}
	if !s.OrderMatters(i) {
		return w.orders(ctx, p, i+1)
	}
	return eachOrder(s, p, i, func() bool { return w.orders(ctx, p, i+1) })
}

// eachOrder sets level i's order of point p to every permutation of its
// active loops that the rules allow (the active dimensions first, the
// others after) and calls fn with each until fn returns false; it restores
// the order and reports whether fn never returned false.
func eachOrder(s *mapspace.Space, p *mapspace.Point, i int, fn func() bool) bool {
	var buf [workload.NumDims]workload.Dim
	ds := active(s, p, i, &buf)
	rule := s.Rule(i).Order
	saved := p.Order[i]
	ok := true
	permute(ds, func(perm []workload.Dim) bool {
		if !respects(perm, rule) {
			return true
		}
		var o [workload.NumDims]workload.Dim
		k := copy(o[:], perm)
		for _, d := range workload.Dims {
			if !slices.Contains(perm, d) {
				o[k] = d
				k++
			}
		}
		p.Order[i] = o
		ok = fn()
		return ok
	})
	p.Order[i] = saved
	return ok
}

// respects reports whether perm keeps the dimensions of rule in rule's
// relative order.
func respects(perm, rule []workload.Dim) bool {
	last := -1
	for _, d := range rule {
		if k := slices.Index(perm, d); k >= 0 {
			if k < last {
				return false
			}
			last = k
		}
	}
	return true
}

// permute calls fn with every permutation of ds (Heap's algorithm) until fn
// returns false.
func permute(ds []workload.Dim, fn func([]workload.Dim) bool) {
	a := slices.Clone(ds)
	c := make([]int, len(a))
	if !fn(a) {
		return
	}
	for i := 0; i < len(a); {
		if c[i] < i {
			if i%2 == 0 {
				a[0], a[i] = a[i], a[0]
			} else {
				a[c[i]], a[i] = a[i], a[c[i]]
			}
			if !fn(a) {
				return
			}
			c[i]++
			i = 0
		} else {
			c[i] = 0
			i++
		}
	}
}

// dimChoices lists every placement of d's primes: free primes of equal
// value take non-decreasing slots (so that no placement repeats), pinned
// primes stay in their slot.
func dimChoices(s *mapspace.Space, d workload.Dim) [][]int {
	ps := s.Primes[d]
	free := s.Free[d]
	var out [][]int
	cur := make([]int, len(ps))
	var rec func(k int)
	rec = func(k int) {
		if k == len(ps) {
			out = append(out, slices.Clone(cur))
			return
		}
		if s.Pinned[d][k] >= 0 {
			cur[k] = s.Pinned[d][k]
			rec(k + 1)
			return
		}
		lo := 0
		// Equal primes: start where the previous free one of the same
		// value went.
		for j := k - 1; j >= 0; j-- {
			if ps[j] == ps[k] && s.Pinned[d][j] < 0 {
				lo = slices.Index(free, cur[j])
				break
			}
		}
		for _, sl := range free[lo:] {
			cur[k] = sl
			rec(k + 1)
		}
	}
	rec(0)
	return out
}

var _ = mapping.Temporal
