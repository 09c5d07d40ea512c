package mapper

import (
	"cmp"
	"container/heap"
	"context"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nnergy/nnergy/cost"
	"github.com/nnergy/nnergy/mapping"
	"github.com/nnergy/nnergy/mapspace"
	"github.com/nnergy/nnergy/nest"
	"github.com/nnergy/nnergy/workload"
)

// Branch and bound ("bnb").
//
// A node of the tree fixes the keep masks of every level, the placement of
// the primes of some dimensions (in a fixed order: those with one placement
// first, then those with the most), and then the loop orders of the
// outermost levels. The primes of the dimensions not placed yet wait in the
// outermost level's temporal loops, where they enlarge no tile and no
// fan-out. Bounds, all admissible (no completion of the node goes below):
//
//   - a node with dimensions left to place: cost.Evaluator.BoundNestPrefix
//     (each level filled with every word its instances need once, each
//     parent reading its part once, outputs updated once per instance that
//     holds them, at least MACs ÷ (the meshes below a level) words from it
//     and through the bypassing levels to the MACs and the partial sums
//     read back there, the refetches every sweep of the final loops above
//     a buffer forces (nest.Analyzer.BoundBy, refetch), the factors of the
//     dimensions not placed counting at least as much wherever they go,
//     the least over the cases of DRAM's innermost loop, compression below
//     the outermost level free and zeros gating all they can, the
//     compulsory compute cycles and each level's bandwidth over all its
//     instances), after checking the fan-out and capacity limits, which
//     only grow as primes move down;
//   - a complete factorization: cost.Evaluator.BoundNestOrders with no
//     order fixed (the same, the MAC interface exact, the cycles of its
//     steps and of the bandwidth its bound counts need);
//   - loop orders fixed at levels 0..i: the same with the interfaces into
//     levels 1..i+1 counted exactly and DRAM's refetches from its order.
//
// A node's bound is at least its parent's.
//
// Latency and EDP use the cycles of these results. A lexicographic
// objective prunes on its first metric only.
//
// Dominance: only loops of a factor above 1 are permuted, and the order of
// a level is not searched at all when no level below it keeps a tensor: the
// counts of an interface depend on the orders above its child alone, and
// an interface into the MAC units on none (see nest.Analyzer.Bound).
//
// Work: best bound first. A heap holds the open nodes; each batch takes the
// nodes of least bound, and the workers share them: a node with dimensions
// left to place is expanded into its children, a node with all placed (or
// any node once the heap is full) is searched depth first, loop orders
// included, until it has done spillOps bounds and evaluations; the nodes
// it has not reached by then (placements, or loop orders of the outer
// levels) go back to the heap (unless the heap is twice full), so that the
// least open bound keeps rising. The incumbent (at first
// the annealing search's best) that prunes a batch is frozen for it and
// lowered between batches; each node is searched by one worker with its own
// best, and the batch is merged in node order. Limits are checked between
// batches, and each node of a batch stops at its share of what the
// evaluation limit leaves (so that the search never exceeds it). The same inputs thus give the same mapping and certificate
// whatever the number of workers (a Timeout or interruption aside). When
// the search stops early, the certificate is the least bound of the open
// nodes.

const (
	// maxTasks is how many nodes the heap of the best-first search holds
	// before it searches the nodes it takes depth first; taskBatch how many
	// nodes a batch takes. Neither depends on the workers, so that the work
	// done does not either.
	maxTasks  = 1 << 19
	taskBatch = 32
	// spillOps is how many bounds and evaluations a depth-first search of
	// a node does before it hands the rest back to the heap.
	spillOps = 1 << 14
	// tol is the relative margin of every prune: a subtree is cut only when
	// its bound exceeds the threshold by more, so ties are always searched
	// (and broken by the mapping's text).
	tol = 1e-9
)

// task is a node of the tree: keep masks, and the placements of the first
// depth dimensions of bnbRun.dims (indices into their choices).
type task struct {
	bound  float64
	keep   int32
	depth  int8
	choice [workload.NumDims]int32
	seq    int
	// orders holds the loop orders of the outermost levels, fixed, of a
	// node with every dimension placed that a depth-first search handed
	// back.
	orders [][workload.NumDims]workload.Dim
}

// bnbRun is the state of one branch-and-bound search.
type bnbRun struct {
	r       *run
	metric  Metric
	choices [workload.NumDims][][]int
	// dims is the order in which dimensions are placed.
	dims  [workload.NumDims]workload.Dim
	keeps [][]uint8 // every combination of keep masks
	// canon holds the canonical order of every level.
	canon [][workload.NumDims]workload.Dim
	// moving[d] is the product of the primes of dimension d that are not
	// pinned: those that wait in the outermost level while d is not placed.
	moving workload.Shape
	// floor is the compulsory bound of the layer, for nodes where no
	// better bound is available.
	floor float64
	// used counts evaluations and bounds (the budget); nodes counts bounds.
	used, nodes atomic.Int64
	// inc is the incumbent: the best mapping so far.
	inc *cand
}

// cand is a candidate best mapping.
type cand struct {
	p    *mapspace.Point
	res  cost.Result
	text string
	// after is when it was found; at how many bounds and evaluations the
	// search had done by then (at first those of its node, see search).
	after time.Duration
	at    int64
}

// better reports whether a beats b (b may be nil).
func (br *bnbRun) better(a, b *cand) bool {
	if b == nil {
		return true
	}
	if c := br.r.set.Objective.Compare(&a.res, &b.res); c != 0 {
		return c < 0
	}
	return a.text < b.text
}

// threshold returns the value of the incumbent's first metric (+Inf with
// none).
func (br *bnbRun) threshold() float64 {
	if br.inc == nil {
		return math.Inf(1)
	}
	return br.metric.Value(&br.inc.res)
}

// spaceBound returns the compulsory bound of the metric for the whole
// space (cost.Model.LowerBound).
func spaceBound(m Metric, model *cost.Model, l *workload.Layer) float64 {
	e, c := model.LowerBound(l)
	switch m {
	case Latency:
		return float64(c)
	case EDP:
		return e * float64(c)
	}
	return e
}

// bnbWorker is one goroutine's scratch state.
type bnbWorker struct {
	br *bnbRun
	c  *counters
	ev *cost.Evaluator
	p  *mapspace.Point
	n  nest.Nest
	mp mapping.Mapping
	// res is the scratch result of evaluations.
	res cost.Result
	// best is the best mapping of the current task, thr the threshold it
	// prunes against.
	best *cand
	thr  float64
	// t is the task being searched and path the placements of its
	// dimensions so far; ops counts its bounds and evaluations. Once ops
	// passes spillOps, with spill set, the nodes left are handed back to
	// the heap (spilled) rather than searched.
	t     *task
	path  [workload.NumDims]int32
	ops   int64
	spill bool
	out   []task
	// cap is how many bounds and evaluations the node may do: the
	// evaluation limit shared out over a batch, so that the search stops
	// exactly at it whatever the number of workers.
	cap int64
}

func (br *bnbRun) newWorker(id int) *bnbWorker {
	return &bnbWorker{br: br, c: &br.r.counts[id], ev: br.r.m.NewEvaluator(), p: br.r.s.NewPoint()}
}

// forEach runs fn over items 0..n−1 on the workers; any worker takes the
// next item. It returns false when ctx ended first.
func forEach(ctx context.Context, ws []*bnbWorker, n int, fn func(w *bnbWorker, i int)) bool {
	var next atomic.Int64
	var wg sync.WaitGroup
	for _, w := range ws {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				fn(w, i)
			}
		}()
	}
	wg.Wait()
	return ctx.Err() == nil
}

// setDims fills in the choices of every dimension, the product of its
// primes that are not pinned, and the order in which they are placed.
func (br *bnbRun) setDims() {
	s := br.r.s
	for d := range workload.NumDims {
		br.choices[d] = dimChoices(s, workload.Dim(d))
		br.dims[d] = workload.Dim(d)
		br.moving[d] = 1
		for k, p := range s.Primes[d] {
			if s.Pinned[d][k] < 0 {
				br.moving[d] *= p
			}
		}
	}
}

// bnb runs the branch and bound. It returns the best mapping (nil: none)
// and the statistics with the certificate.
func (r *run) bnb(ctx context.Context) (*cand, Stats) {
	s := r.s
	br := &bnbRun{r: r, metric: r.set.Objective[0], floor: spaceBound(r.set.Objective[0], r.m, s.Layer)}
	br.setDims()
	// Dimensions with one placement first (their nodes are the roots'),
	// then those with the most.
	slices.SortStableFunc(br.dims[:], func(a, b workload.Dim) int {
		na, nb := len(br.choices[a]), len(br.choices[b])
		if (na == 1) != (nb == 1) {
			return cmp.Compare(na, nb)
		}
		return cmp.Compare(nb, na)
	})
	br.keeps = keepCombos(s)
	br.canon = s.NewPoint().Order
	ws := make([]*bnbWorker, r.set.Workers)
	for i := range ws {
		ws[i] = br.newWorker(i)
	}

	// The incumbent: an annealing search with a fixed number of workers,
	// so that it does not depend on Workers.
	br.incumbent(ctx)

	lb, stopped := br.search(ctx, ws)
	st := r.snapshot()
	st.Nodes = br.nodes.Load()
	if br.inc != nil {
		st.BestAfter, st.BestAtEval = br.inc.after, br.inc.at
	}
	st.Stopped = stopped
	best := br.threshold()
	switch {
	case br.inc == nil:
		st.Optimal = stopped == "done"
		st.LowerBound = max(br.floor, 0)
	case lb >= best*(1-tol):
		// Nothing unexplored can beat the incumbent.
		st.Optimal = true
		st.LowerBound = best
	default:
		st.LowerBound = max(lb, 0)
	}
	return br.inc, st
}

// search searches the tree best bound first: it takes the nodes of least
// bound from a heap in batches; a node with dimensions left to place is
// expanded into its children (bounded and pushed), unless the heap is
// full, and a node with every dimension placed, or any node when the heap
// is full, is searched depth first (handing back what it leaves after
// spillOps). It returns the least bound of what it did not search (+Inf:
// nothing) and why it stopped.
func (br *bnbRun) search(ctx context.Context, ws []*bnbWorker) (float64, string) {
	r := br.r
	// The roots: one per combination of keep masks.
	var roots []task
	for k := range br.keeps {
		roots = append(roots, task{keep: int32(k)})
	}
	thr := br.threshold()
	h := &taskHeap{}
	seq := 0
	// spent counts the bounds and evaluations done, as br.used, but
	// between batches only, so that it is the same whatever the workers.
	spent := br.used.Load()
	for _, t := range br.bounded(ctx, ws, roots, thr, r.set.MaxEvaluations-spent) {
		t.seq = seq
		seq++
		heap.Push(h, t)
	}
	batch := make([]task, 0, taskBatch)
	kids := make([][]task, taskBatch)
	results := make([]*cand, taskBatch)
	done := make([]bool, taskBatch)
	ops := make([]int64, taskBatch)
	for h.Len() > 0 {
		thr := br.threshold()
		if (*h)[0].bound > thr*(1+tol) {
			break // every other node is bounded higher
		}
		if ctx.Err() != nil {
			return (*h)[0].bound, ctxStop(ctx)
		}
		spent = br.used.Load()
		if spent >= r.set.MaxEvaluations {
			return (*h)[0].bound, "evaluations"
		}
		expand := h.Len() < maxTasks
		// Depth-first searches hand back what they leave after spillOps
		// while the heap has room.
		spill := h.Len() < 2*maxTasks
		batch = batch[:0]
		for h.Len() > 0 && len(batch) < taskBatch && (*h)[0].bound <= thr*(1+tol) {
			batch = append(batch, heap.Pop(h).(task))
		}
		clear(done)
		// Each node may do its share of what the limit leaves.
		share := (r.set.MaxEvaluations - spent) / int64(len(batch))
		ok := forEach(ctx, ws, len(batch), func(w *bnbWorker, i int) {
			t := &batch[i]
			w.ops, w.cap = 0, share
			if expand && int(t.depth) < int(workload.NumDims) {
				kids[i], done[i] = w.expand(t, thr, kids[i][:0])
				results[i], ops[i] = nil, w.ops
				return
			}
			results[i], done[i], kids[i] = w.task(ctx, t, thr, spill, kids[i][:0])
			ops[i] = w.ops
		})
		lb := math.Inf(1)
		for i := range batch {
			if c := results[i]; c != nil && br.better(c, br.inc) {
				c.at += spent
				br.inc = c
			}
			spent += ops[i]
			if !done[i] {
				lb = min(lb, batch[i].bound)
				continue
			}
			for _, k := range kids[i] {
				k.seq = seq
				seq++
				heap.Push(h, k)
			}
		}
		if !ok || lb < math.Inf(1) {
			// Interrupted, or some node used up its share of the
			// limit: what it left counts at its bound.
			if h.Len() > 0 {
				lb = min(lb, (*h)[0].bound)
			}
			if !ok {
				return lb, ctxStop(ctx)
			}
			return lb, "evaluations"
		}
	}
	return math.Inf(1), "done"
}

// taskHeap is a min-heap of tasks by bound, then by seq.
type taskHeap []task

func (h taskHeap) Len() int { return len(h) }
func (h taskHeap) Less(i, j int) bool {
	if h[i].bound != h[j].bound {
		return h[i].bound < h[j].bound
	}
	return h[i].seq < h[j].seq
}
func (h taskHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *taskHeap) Push(x any)   { *h = append(*h, x.(task)) }
func (h *taskHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	*h = old[:len(old)-1]
	return t
}

func ctxStop(ctx context.Context) string {
	if ctx.Err() == context.DeadlineExceeded {
		return "timeout"
	}
	return "interrupted"
}

// bounded returns the root tasks within the limits whose bound does not
// exceed thr, with their bounds.
func (br *bnbRun) bounded(ctx context.Context, ws []*bnbWorker, ts []task, thr float64, left int64) []task {
	keep := make([]bool, len(ts))
	forEach(ctx, ws, len(ts), func(w *bnbWorker, i int) {
		if int64(i) >= left {
			// Beyond the evaluation limit: the compulsory bound.
			ts[i].bound, keep[i] = max(br.floor, 0), true
			return
		}
		w.setTask(&ts[i])
		b, ok := w.nodeBound(0)
		ts[i].bound = b
		keep[i] = ok && b <= thr*(1+tol)
	})
	var out []task
	for i, t := range ts {
		if keep[i] {
			out = append(out, t)
		}
	}
	return out
}

// keepCombos lists every combination of the levels' keep masks.
func keepCombos(s *mapspace.Space) [][]uint8 {
	out := [][]uint8{nil}
	for i := range s.Arch.Levels {
		var next [][]uint8
		for _, pre := range out {
			for _, k := range s.Keeps[i] {
				next = append(next, append(slices.Clone(pre), k))
			}
		}
		out = next
	}
	return out
}

// incumbent runs the annealing search for the starting incumbent: 200 000
// evaluations (a tenth of the limit, within it, when that is less), since
// with the capacity-aware bounds a better incumbent cuts more than the
// proof would do in the time it takes.
func (br *bnbRun) incumbent(ctx context.Context) {
	r := br.r
	n := min(200000, max(r.set.MaxEvaluations/10, 1000), r.set.MaxEvaluations)
	set := r.set
	set.Algorithm, set.MaxEvaluations, set.Workers, set.Progress, set.Timeout, set.Victory = "random", n, 2, nil, 0, 0
	b, st, err := Search(ctx, r.s, r.m, set)
	// Its evaluations count as the first worker's.
	r.counts[0].evals.Add(st.Evaluated)
	r.counts[0].valid.Add(st.Valid)
	br.used.Add(st.Evaluated)
	if err != nil {
		return
	}
	p, err := r.s.PointOf(b.Mapping)
	if err != nil {
		return
	}
	br.inc = &cand{p: p, res: b.Result, text: b.Mapping.Format(), after: st.BestAfter, at: st.BestAtEval}
}

// park puts d's free primes in the outermost level's temporal loops (where
// they enlarge no tile and no fan-out below it) and its pinned ones in
// their slots.
func (br *bnbRun) park(p *mapspace.Point, d workload.Dim) {
	s := br.r.s
	for k := range p.Slot[d] {
		if s.Pinned[d][k] >= 0 {
			p.Slot[d][k] = s.Pinned[d][k]
		} else {
			p.Slot[d][k] = s.TemporalSlot(0)
		}
	}
}

// setTask makes w.p the point of task t: its placements, every other
// dimension parked, canonical orders.
func (w *bnbWorker) setTask(t *task) {
	br := w.br
	for j, d := range br.dims {
		if j < int(t.depth) {
			copy(w.p.Slot[d], br.choices[d][t.choice[j]])
		} else {
			br.park(w.p, d)
		}
	}
	copy(w.p.Keep, br.keeps[t.keep])
	copy(w.p.Order, br.canon)
	copy(w.p.Order, t.orders)
}

// nodeBound returns the bound of w.p with its first depth dimensions
// placed (orders canonical and free), and false when no completion is
// within the limits.
func (w *bnbWorker) nodeBound(depth int) (float64, bool) {
	s := w.br.r.s
	if !s.FanoutOK(w.p) || !s.Fits(w.p) {
		return 0, false
	}
	s.Nest(w.p, &w.n)
	w.br.used.Add(1)
	w.br.nodes.Add(1)
	w.ops++
	if depth == int(workload.NumDims) {
		if mu := s.Cons.MinUtilization; mu > 0 && s.Utilization(w.p) < mu {
			w.c.rejects[Utilization].Add(1)
			return 0, false
		}
		r, ok := w.ev.BoundNestOrders(s.Layer, &w.n, 0)
		if !ok {
			return 0, false
		}
		return w.br.metric.Value(r), true
	}
	moving := workload.Ones()
	for _, d := range w.br.dims[depth:] {
		moving[d] = w.br.moving[d]
	}
	r, ok, avail := w.ev.BoundNestPrefix(s.Layer, &w.n, &moving)
	if !avail {
		return w.br.floor, true
	}
	if !ok {
		return 0, false
	}
	return w.br.metric.Value(r), true
}

// expand returns the children of task t (its next dimension placed) within
// the limits whose bound does not exceed thr.
func (w *bnbWorker) expand(t *task, thr float64, out []task) ([]task, bool) {
	w.setTask(t)
	d := w.br.dims[t.depth]
	for ci, c := range w.br.choices[d] {
		if w.ops >= w.cap {
			return out, false
		}
		copy(w.p.Slot[d], c)
		b, ok := w.nodeBound(int(t.depth) + 1)
		if !ok || b > thr*(1+tol) {
			w.br.r.pruned.add(1)
			continue
		}
		k := *t
		k.choice[t.depth] = int32(ci)
		k.depth++
		k.bound = max(b, t.bound) // the parent's bound holds for its children
		out = append(out, k)
	}
	return out, true
}

// task searches below task t, pruning against thr and the task's own best;
// it returns its best mapping (nil: none better than thr) and whether it
// finished.
func (w *bnbWorker) task(ctx context.Context, t *task, thr float64, spill bool, out []task) (*cand, bool, []task) {
	w.setTask(t)
	w.best, w.thr = nil, thr
	w.t, w.path, w.spill, w.out = t, t.choice, spill, out
	var ok bool
	if len(t.orders) > 0 {
		ok = w.orders(ctx, len(t.orders), t.bound)
	} else {
		ok = w.place(ctx, int(t.depth), t.bound)
	}
	return w.best, ok, w.out
}

// place searches the placements of the dimensions from the depth-th on,
// then the loop orders.
func (w *bnbWorker) place(ctx context.Context, depth int, lb float64) bool {
	if depth == int(workload.NumDims) {
		return w.orders(ctx, 0, lb)
	}
	if ctx.Err() != nil {
		return false
	}
	d := w.br.dims[depth]
	for ci, c := range w.br.choices[d] {
		if w.ops >= w.cap {
			return false
		}
		copy(w.p.Slot[d], c)
		b, ok := w.nodeBound(depth + 1)
		if !ok || b > w.limit()*(1+tol) {
			w.br.r.pruned.add(1)
			continue
		}
		b = max(b, lb)
		w.path[depth] = int32(ci)
		if w.spill && w.ops >= spillOps {
			w.out = append(w.out, task{bound: b, keep: w.t.keep, depth: int8(depth + 1), choice: w.path})
			continue
		}
		if !w.place(ctx, depth+1, b) {
			return false
		}
	}
	w.br.park(w.p, d)
	return true
}

// matters reports whether the order of level i can change any count: some
// level below it (not the MAC units) keeps a tensor.
func (w *bnbWorker) matters(i int) bool {
	for _, k := range w.p.Keep[i+1:] {
		if k != 0 {
			return true
		}
	}
	return false
}

// orders searches the orders of levels i and below; lb is the bound of
// the node searched, which holds for every node below it.
func (w *bnbWorker) orders(ctx context.Context, i int, lb float64) bool {
	s := w.br.r.s
	L := len(w.p.Order)
	for i < L && !w.matters(i) {
		i++
	}
	if i == L {
		if w.ops >= w.cap {
			return false
		}
		w.eval()
		return true
	}
	if ctx.Err() != nil {
		return false
	}
	return eachOrder(s, w.p, i, func() bool {
		if w.ops >= w.cap {
			return false
		}
		b, cut := w.prune(i + 1)
		if cut {
			return true
		}
		if math.IsNaN(b) {
			return w.orders(ctx, i+1, lb)
		}
		b = max(b, lb)
		if w.spill && w.ops >= spillOps {
			t := *w.t
			t.bound, t.depth, t.choice = b, int8(workload.NumDims), w.path
			t.orders = slices.Clone(w.p.Order[:i+1])
			w.out = append(w.out, t)
			return true
		}
		return w.orders(ctx, i+1, b)
	})
}

// prune bounds the node whose orders are fixed at levels 0..fixed−1 and
// reports whether it cannot beat the threshold, with its bound. A node
// with nothing left to choose is not bounded (NaN): it is evaluated.
func (w *bnbWorker) prune(fixed int) (float64, bool) {
	L := len(w.p.Order)
	rest := false
	for i := fixed; i < L; i++ {
		if w.matters(i) {
			rest = true
		}
	}
	if !rest {
		return math.NaN(), false
	}
	s := w.br.r.s
	s.Nest(w.p, &w.n)
	w.br.used.Add(1)
	w.br.nodes.Add(1)
	w.ops++
	r, ok := w.ev.BoundNestOrders(s.Layer, &w.n, fixed)
	if !ok {
		return 0, true
	}
	b := w.br.metric.Value(r)
	if b > w.limit()*(1+tol) {
		w.br.r.pruned.add(1)
		return b, true
	}
	return b, false
}

// limit is the value a mapping must not exceed to be searched further.
func (w *bnbWorker) limit() float64 {
	if w.best != nil {
		return min(w.thr, w.br.metric.Value(&w.best.res))
	}
	return w.thr
}

// eval evaluates the complete point and keeps it when it beats the item's
// best (ties broken by text).
func (w *bnbWorker) eval() {
	s := w.br.r.s
	w.br.used.Add(1)
	w.ops++
	w.c.evals.Add(1)
	s.Nest(w.p, &w.n)
	w.ev.ScoreNest(s.Layer, &w.n, &w.res)
	if !w.res.Valid {
		w.c.rejects[reason(w.res.Violations[0].Kind)].Add(1)
		return
	}
	w.c.valid.Add(1)
	if w.br.metric.Value(&w.res) > w.limit()*(1+tol) {
		return
	}
	if w.best != nil && w.br.r.set.Objective.Compare(&w.res, &w.best.res) > 0 {
		return
	}
	s.Mapping(w.p, &w.mp)
	c := &cand{res: w.res, text: w.mp.Format(), after: time.Since(w.br.r.start), at: w.ops}
	c.res.Violations = nil
	if w.best != nil && !w.br.better(c, w.best) {
		return
	}
	c.p = w.p.Clone()
	w.best = c
}
