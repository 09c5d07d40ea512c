package mapper

import (
	"context"
	"math"
	"math/rand/v2"

	"github.com/nnergy/nnergy/cost"
	"github.com/nnergy/nnergy/mapping"
	"github.com/nnergy/nnergy/mapspace"
	"github.com/nnergy/nnergy/workload"
)

// Local search settings.
const (
	patience   = 400  // moves without improvement before a restart
	startTemp  = 0.05 // accept a move 5% worse with probability 1/e at first
	coolRate   = 0.995
	repairRuns = 40
)

// random runs restarts of simulated annealing until the worker's budget, the
// victory condition or the context ends it.
func (w *worker) random(ctx context.Context) {
	s := w.r.s
	rng := rand.New(rand.NewPCG(w.r.set.Seed, uint64(w.id)+1))
	p, q := s.NewPoint(), s.NewPoint()
	sinceBest := int64(0)
	bestVal := math.Inf(1)
	// Worker k starts from the k-th start mapping, if there is one.
	var start *mapspace.Point
	if w.id < len(w.r.set.Start) {
		start, _ = s.PointOf(w.r.set.Start[w.id])
	}
	for !w.out() && ctx.Err() == nil {
		if start != nil {
			p.CopyFrom(start)
			start = nil
		} else {
			s.Random(rng, p)
		}
		if !w.repair(rng, p) {
			continue
		}
		cur := w.value()
		if cur < bestVal {
			bestVal, sinceBest = cur, 0
		}
		temp := startTemp
		stale := 0
		for stale < patience && !w.out() && ctx.Err() == nil {
			q.CopyFrom(p)
			if !w.move(rng, q) {
				stale++
				continue
			}
			if !s.FanoutOK(q) {
				stale++
				continue
			}
			if !w.eval(q) {
				stale++
				continue
			}
			v := w.value()
			sinceBest++
			if v < bestVal*(1-1e-12) {
				bestVal, sinceBest = v, 0
			}
			switch {
			case v < cur*(1-1e-12):
				p, q = q, p
				cur = v
				stale = 0
			case v <= cur*(1+1e-12) || rng.Float64() < math.Exp(-(v-cur)/(temp*cur)):
				p, q = q, p
				cur = v
				stale++
			default:
				stale++
			}
			temp *= coolRate
			if v := w.r.set.Victory; v > 0 && sinceBest >= v {
				w.r.victory.Store(true)
				return
			}
		}
	}
}

// move changes q by one random step; it reports false if the chosen step
// was impossible.
func (w *worker) move(rng *rand.Rand, q *mapspace.Point) bool {
	s := w.r.s
	switch r := rng.IntN(20); {
	case r < 12: // move one prime factor
		d := workload.Dim(rng.IntN(int(workload.NumDims)))
		free := s.Free[d]
		if len(q.Slot[d]) == 0 || len(free) < 2 {
			return false
		}
		k := rng.IntN(len(q.Slot[d]))
		if s.Pinned[d][k] >= 0 {
			return false
		}
		to := free[rng.IntN(len(free))]
		if to == q.Slot[d][k] {
			return false
		}
		q.Slot[d][k] = to
	case r < 17: // swap two loops of a level
		i := rng.IntN(len(q.Order))
		if !s.OrderMatters(i) {
			return false
		}
		var buf [workload.NumDims]workload.Dim
		ds := active(s, q, i, &buf)
		if len(ds) < 2 {
			return false
		}
		a, b := rng.IntN(len(ds)), rng.IntN(len(ds))
		if a == b {
			return false
		}
		ia, ib := indexOf(q.Order[i], ds[a]), indexOf(q.Order[i], ds[b])
		q.Order[i][ia], q.Order[i][ib] = q.Order[i][ib], q.Order[i][ia]
		if !respects(q.Order[i][:], s.Rule(i).Order) {
			return false
		}
	default: // change what a level keeps
		i := rng.IntN(len(q.Keep))
		opts := s.Keeps[i]
		if len(opts) < 2 {
			return false
		}
		k := opts[rng.IntN(len(opts))]
		if k == q.Keep[i] {
			return false
		}
		q.Keep[i] = k
	}
	return true
}

func indexOf(o [workload.NumDims]workload.Dim, d workload.Dim) int {
	for i, x := range o {
		if x == d {
			return i
		}
	}
	return -1
}

// repair evaluates p and, while it breaks a limit, moves a factor out of
// the way: off an overfull fan-out, or out of an overfull level. It reports
// whether p became legal; the last evaluation is then p's.
func (w *worker) repair(rng *rand.Rand, p *mapspace.Point) bool {
	for range repairRuns {
		if w.out() {
			return false
		}
		if w.eval(p) {
			return true
		}
		if len(w.res.Violations) == 0 { // rejected for utilization
			return false
		}
		v := w.res.Violations[rng.IntN(len(w.res.Violations))]
		if !w.fix(rng, p, v) {
			return false
		}
	}
	return false
}

// fix moves one free prime to resolve violation v.
func (w *worker) fix(rng *rand.Rand, p *mapspace.Point, v cost.Violation) bool {
	s := w.r.s
	// Candidate (dim, prime) pairs sitting in the offending slots.
	type cand struct {
		d workload.Dim
		k int
	}
	var cs []cand
	var lo int // the prime must move to a temporal slot of a level < lo+1
	for d := range workload.NumDims {
		for k, sl := range p.Slot[d] {
			if s.Pinned[d][k] >= 0 {
				continue
			}
			slot := s.Slots[sl]
			switch v.Kind {
			case cost.FanoutX, cost.FanoutY:
				ax := mapping.X
				if v.Kind == cost.FanoutY {
					ax = mapping.Y
				}
				if slot.Level == v.Level && slot.Axis == ax {
					cs = append(cs, cand{workload.Dim(d), k})
				}
			case cost.Reduction:
				if slot.Level == v.Level-1 && slot.Axis != mapping.Temporal && !s.Layer.Relevant(workload.Outputs, workload.Dim(d)) {
					cs = append(cs, cand{workload.Dim(d), k})
				}
			default: // capacity: anything inside the level's tile
				if slot.Level >= v.Level {
					cs = append(cs, cand{workload.Dim(d), k})
				}
			}
		}
	}
	if len(cs) == 0 {
		return false
	}
	c := cs[rng.IntN(len(cs))]
	switch v.Kind {
	case cost.Capacity:
		lo = v.Level - 1
	default:
		lo = s.Slots[p.Slot[c.d][c.k]].Level
	}
	// The temporal slots at levels <= lo that take this dimension.
	var to []int
	for _, sl := range s.Free[c.d] {
		if st := s.Slots[sl]; st.Axis == mapping.Temporal && st.Level <= lo {
			to = append(to, sl)
		}
	}
	if len(to) == 0 {
		return false
	}
	p.Slot[c.d][c.k] = to[rng.IntN(len(to))]
	return true
}
