package mapper

import (
	"cmp"
	"context"
	"math"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/nnergy/nnergy/cost"
	"github.com/nnergy/nnergy/mapping"
	"github.com/nnergy/nnergy/mapspace"
	"github.com/nnergy/nnergy/nest"
	"github.com/nnergy/nnergy/workload"
)

// Branch and bound ("bnb").
//
// The tree has three stages. The keep masks of every level come first (a
// few dozen combinations), then the factorization, one dimension at a time,
// then the loop orders, one level at a time from the outermost.
//
//   - Keep masks and factorization prefixes are cut when the factors placed
//     so far already break a fan-out or capacity limit: the primes not yet
//     placed wait in the outermost level's temporal loops, where they
//     enlarge no tile and no fan-out, and placing them anywhere else can
//     only enlarge tiles and fan-outs.
//   - A complete factorization with its keep masks (a leaf of stage one) is
//     bounded by cost.Evaluator.BoundNestOrders with no order fixed: every
//     child instance filled with each word it needs once, and so on.
//   - A node of stage two (orders fixed at levels 0..i) is bounded the same
//     way with the interfaces below the fixed levels counted exactly.
//
// Stage one runs to completion first, keeping only the leaves whose bound
// does not exceed the incumbent (the annealing search's best), then stage
// two visits the survivors in increasing order of their bound, so that,
// when a limit stops it, the bound of the first unvisited survivor is a
// lower bound of everything not yet searched.
//
// Dominance: only loops of a factor above 1 are permuted, and the order of
// a level is not searched at all when no level below it keeps a tensor: the
// counts of an interface depend on the orders above its child alone, and
// an interface into the MAC units on none (see nest.Analyzer.Bound).
//
// Determinism: the incumbent used to prune is frozen for each batch of
// work and only lowered between batches, each batch's items are processed
// independently (any worker may take any item) and merged in item order,
// and limits are checked between batches. The same inputs thus give the
// same mapping and certificate whatever the number of workers (a Timeout or
// an interruption aside).

// Batch sizes of the two stages.
const (
	leafBatch     = 4096
	survivorBatch = 16
	// maxSurvivors caps the leaves kept for stage two; beyond it the worse
	// half is dropped and its least bound kept as a floor of the
	// certificate.
	maxSurvivors = 1 << 21
	// tol is the relative margin of every prune: a subtree is cut only when
	// its bound exceeds the threshold by more, so ties are always searched
	// (and broken by the mapping's text).
	tol = 1e-9
)

// survivor is a leaf of stage one: a factorization (an index into the
// choices of each dimension) with a combination of keep masks, and its
// bound.
type survivor struct {
	bound  float64
	keep   int32
	choice [workload.NumDims]int32
	seq    int64 // position in stage one's walk, for ties
}

// bnbRun is the state of one branch-and-bound search.
type bnbRun struct {
	r       *run
	metric  Metric
	choices [workload.NumDims][][]int
	keeps   [][]uint8 // every combination of keep masks
	// canon holds the canonical order of every level.
	canon [][workload.NumDims]workload.Dim
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

// boundValue returns the metric's lower bound from a bound's result.
func boundValue(m Metric, r *cost.Result) float64 {
	return m.Value(r)
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
	// best is the best mapping of the current item, thr the threshold it
	// prunes against.
	best *cand
	thr  float64
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

// bnb runs the branch and bound. It returns the best mapping (nil: none)
// and the statistics with the certificate.
func (r *run) bnb(ctx context.Context) (*cand, Stats) {
	s := r.s
	br := &bnbRun{r: r, metric: r.set.Objective[0]}
	for d := range workload.NumDims {
		br.choices[d] = dimChoices(s, workload.Dim(d))
	}
	br.keeps = keepCombos(s)
	br.canon = s.NewPoint().Order
	ws := make([]*bnbWorker, r.set.Workers)
	for i := range ws {
		ws[i] = br.newWorker(i)
	}
	floor := spaceBound(br.metric, r.m, s.Layer)

	// The incumbent: an annealing search with a fixed number of workers,
	// so that it does not depend on Workers.
	br.incumbent(ctx)

	// Stage one.
	var surv []survivor
	dropped := math.Inf(1)
	stopped := ""
	var seq int64
	batch := make([]survivor, 0, leafBatch)
	found := make([][]survivor, leafBatch)
	thr := br.threshold()
	flush := func() bool {
		if len(batch) == 0 {
			return true
		}
		ok := forEach(ctx, ws, len(batch), func(w *bnbWorker, i int) {
			found[i] = w.leaf(&batch[i], thr, found[i][:0])
		})
		if !ok {
			return false
		}
		for i := range batch {
			surv = append(surv, found[i]...)
		}
		batch = batch[:0]
		if len(surv) > maxSurvivors {
			slices.SortFunc(surv, bySurvivor)
			half := len(surv) / 2
			dropped = min(dropped, surv[half].bound)
			surv = surv[:half]
		}
		return true
	}
	complete := br.walk(ctx, func(keep int, ch *[workload.NumDims]int32) bool {
		batch = append(batch, survivor{keep: int32(keep), choice: *ch, seq: seq})
		seq++
		if len(batch) < leafBatch {
			return true
		}
		if !flush() {
			return false
		}
		if br.used.Load() >= r.set.MaxEvaluations {
			stopped = "evaluations"
			return false
		}
		return true
	})
	if complete {
		complete = flush()
	}
	lb := math.Inf(1)
	if !complete {
		lb = floor
	}
	if stopped == "" && ctx.Err() != nil {
		stopped = ctxStop(ctx)
	}

	// Stage two.
	slices.SortFunc(surv, bySurvivor)
	next := 0
	if stopped == "" {
		results := make([]*cand, survivorBatch)
		for next < len(surv) {
			thr := br.threshold()
			if surv[next].bound > thr*(1+tol) {
				next = len(surv) // every later survivor is bounded higher
				break
			}
			end := min(next+survivorBatch, len(surv))
			ok := forEach(ctx, ws, end-next, func(w *bnbWorker, i int) {
				results[i] = w.survivor(ctx, &surv[next+i], thr)
			})
			if !ok {
				stopped = ctxStop(ctx)
				break
			}
			for _, c := range results[:end-next] {
				if c != nil && br.better(c, br.inc) {
					br.inc = c
				}
			}
			next = end
			if br.used.Load() >= r.set.MaxEvaluations && next < len(surv) {
				stopped = "evaluations"
				break
			}
		}
	}
	if next < len(surv) {
		lb = min(lb, surv[next].bound)
	}
	lb = min(lb, dropped)
	st := r.snapshot()
	st.Nodes = br.nodes.Load()
	if stopped == "" {
		stopped = "done"
	}
	st.Stopped = stopped
	best := br.threshold()
	if lb >= best*(1-tol) && br.inc != nil {
		// Nothing unexplored can beat the incumbent (or no mapping was
		// found and nothing is left: lb is +Inf).
		st.Optimal = true
		lb = best
	}
	if stopped == "done" && br.inc == nil {
		st.Optimal = true
	}
	st.LowerBound = max(min(lb, best), 0)
	if math.IsInf(st.LowerBound, 1) {
		st.LowerBound = floor
	}
	return br.inc, st
}

func ctxStop(ctx context.Context) string {
	if ctx.Err() == context.DeadlineExceeded {
		return "timeout"
	}
	return "interrupted"
}

func bySurvivor(a, b survivor) int {
	if c := cmp.Compare(a.bound, b.bound); c != 0 {
		return c
	}
	return cmp.Compare(a.seq, b.seq)
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

// incumbent runs the annealing search for the starting incumbent.
func (br *bnbRun) incumbent(ctx context.Context) {
	r := br.r
	n := min(200000, max(r.set.MaxEvaluations/10, 1000))
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
	br.inc = &cand{p: p, res: b.Result, text: b.Mapping.Format()}
}

// walk visits every keep combination and complete factorization within the
// fan-out and capacity limits, in a fixed order, calling fn with each;
// it returns false when fn or ctx stopped it.
func (br *bnbRun) walk(ctx context.Context, fn func(keep int, ch *[workload.NumDims]int32) bool) bool {
	s := br.r.s
	p := s.NewPoint()
	var ch [workload.NumDims]int32
	for ki, k := range br.keeps {
		copy(p.Keep, k)
		for d := range workload.NumDims {
			br.park(p, workload.Dim(d))
		}
		if !s.Fits(p) {
			continue
		}
		var rec func(d int) bool
		rec = func(d int) bool {
			if d == int(workload.NumDims) {
				return fn(ki, &ch)
			}
			if d%2 == 0 && ctx.Err() != nil {
				return false
			}
			for ci, c := range br.choices[d] {
				copy(p.Slot[d], c)
				ch[d] = int32(ci)
				if !s.FanoutOK(p) || !s.Fits(p) {
					continue
				}
				if !rec(d + 1) {
					return false
				}
			}
			br.park(p, workload.Dim(d))
			return true
		}
		if !rec(0) {
			return false
		}
	}
	return true
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

// set makes w.p the point of leaf x with canonical orders.
func (w *bnbWorker) set(x *survivor) {
	for d := range workload.NumDims {
		copy(w.p.Slot[d], w.br.choices[d][x.choice[d]])
	}
	copy(w.p.Keep, w.br.keeps[x.keep])
	copy(w.p.Order, w.br.canon)
}

// leaf bounds leaf x; it appends x with its bound to out when the bound
// does not exceed thr.
func (w *bnbWorker) leaf(x *survivor, thr float64, out []survivor) []survivor {
	s := w.br.r.s
	w.set(x)
	if mu := s.Cons.MinUtilization; mu > 0 && s.Utilization(w.p) < mu {
		w.c.rejects[Utilization].Add(1)
		return out
	}
	s.Nest(w.p, &w.n)
	w.br.used.Add(1)
	w.br.nodes.Add(1)
	r, ok := w.ev.BoundNestOrders(s.Layer, &w.n, 0)
	if !ok {
		return out
	}
	b := boundValue(w.br.metric, r)
	if b > thr*(1+tol) {
		w.br.r.pruned.add(1)
		return out
	}
	y := *x
	y.bound = b
	return append(out, y)
}

// survivor searches the loop orders of survivor x, pruning against thr and
// its own best; it returns its best mapping, or nil.
func (w *bnbWorker) survivor(ctx context.Context, x *survivor, thr float64) *cand {
	w.set(x)
	w.best, w.thr = nil, thr
	w.orders(ctx, 0)
	return w.best
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

// orders searches the orders of levels i and below.
func (w *bnbWorker) orders(ctx context.Context, i int) bool {
	s := w.br.r.s
	L := len(w.p.Order)
	for i < L && !w.matters(i) {
		i++
	}
	if i == L {
		w.eval()
		return true
	}
	if ctx.Err() != nil {
		return false
	}
	var buf [workload.NumDims]workload.Dim
	ds := active(s, w.p, i, &buf)
	rule := s.Rule(i).Order
	saved := w.p.Order[i]
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
		w.p.Order[i] = o
		if w.prune(i + 1) {
			return true
		}
		ok = w.orders(ctx, i+1)
		return ok
	})
	w.p.Order[i] = saved
	return ok
}

// prune bounds the node whose orders are fixed at levels 0..fixed−1 and
// reports whether it cannot beat the threshold. A node with nothing left
// to choose is not bounded: it is evaluated.
func (w *bnbWorker) prune(fixed int) bool {
	L := len(w.p.Order)
	rest := false
	for i := fixed; i < L; i++ {
		if w.matters(i) {
			rest = true
		}
	}
	if !rest {
		return false
	}
	s := w.br.r.s
	s.Nest(w.p, &w.n)
	w.br.used.Add(1)
	w.br.nodes.Add(1)
	r, ok := w.ev.BoundNestOrders(s.Layer, &w.n, fixed)
	if !ok {
		return true
	}
	if boundValue(w.br.metric, r) > w.limit()*(1+tol) {
		w.br.r.pruned.add(1)
		return true
	}
	return false
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
	c := &cand{res: w.res, text: w.mp.Format()}
	c.res.Violations = nil
	if w.best != nil && !w.br.better(c, w.best) {
		return
	}
	c.p = w.p.Clone()
	w.best = c
}
