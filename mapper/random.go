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
	p := s.NewPoint()
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
		// p is legal from here on: each move is made on p itself and
		// undone unless the candidate is accepted.
		for stale < patience && !w.out() && ctx.Err() == nil {
			u, ok := w.move(rng, p)
			if !ok {
				stale++
				continue
			}
			// Only moving a prime can break a fan-out limit, since p
			// kept them all, and only the limit of the prime's new slot.
			if u.kind == movePrime && !s.SlotFits(p, p.Slot[u.d][u.k]) {
				u.undo(p)
				stale++
				continue
			}
			if !w.eval(p) {
				u.undo(p)
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
				cur = v
				stale = 0
			case v <= cur*(1+1e-12) || rng.Float64() < math.Exp(-(v-cur)/(temp*cur)):
				cur = v
				stale++
			default:
				u.undo(p)
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

// The kinds of move.
const (
	movePrime = iota // one prime factor to another slot
	moveSwap         // two loops of a level swapped
	moveKeep         // a level's keep mask changed
)

// change records a move made on a point so that it can be undone.
type change struct {
	kind int
	// movePrime: prime k of dimension d came from slot from.
	d       workload.Dim
	k, from int
	// moveSwap: positions a and b of level's order were swapped;
	// moveKeep: level's keep mask was keep.
	level, a, b int
	keep        uint8
}

// undo takes the move back.
func (c *change) undo(p *mapspace.Point) {
	switch c.kind {
	case movePrime:
		p.Slot[c.d][c.k] = c.from
	case moveSwap:
		o := &p.Order[c.level]
		o[c.a], o[c.b] = o[c.b], o[c.a]
	case moveKeep:
		p.Keep[c.level] = c.keep
	}
}

// move changes p by one random step and returns how to undo it; it reports
// false, leaving p as it was, if the chosen step was impossible.
func (w *worker) move(rng *rand.Rand, p *mapspace.Point) (change, bool) {
	s := w.r.s
	switch r := rng.IntN(20); {
	case r < 12: // move one prime factor
		d := workload.Dim(rng.IntN(int(workload.NumDims)))
		free := s.Free[d]
		if len(p.Slot[d]) == 0 || len(free) < 2 {
			return change{}, false
		}
		k := rng.IntN(len(p.Slot[d]))
		if s.Pinned[d][k] >= 0 {
			return change{}, false
		}
		to := free[rng.IntN(len(free))]
		if to == p.Slot[d][k] {
			return change{}, false
		}
		c := change{kind: movePrime, d: d, k: k, from: p.Slot[d][k]}
		p.Slot[d][k] = to
		return c, true
	case r < 17: // swap two loops of a level
		i := rng.IntN(len(p.Order))
		if !s.OrderMatters(i) {
			return change{}, false
		}
		var buf [workload.NumDims]workload.Dim
		ds := active(s, p, i, &buf)
		if len(ds) < 2 {
			return change{}, false
		}
		a, b := rng.IntN(len(ds)), rng.IntN(len(ds))
		if a == b {
			return change{}, false
		}
		o := &p.Order[i]
		ia, ib := indexOf(*o, ds[a]), indexOf(*o, ds[b])
		o[ia], o[ib] = o[ib], o[ia]
		if !respects(o[:], s.Rule(i).Order) {
			o[ia], o[ib] = o[ib], o[ia]
			return change{}, false
		}
		return change{kind: moveSwap, level: i, a: ia, b: ib}, true
	default: // change what a level keeps
		i := rng.IntN(len(p.Keep))
		opts := s.Keeps[i]
		if len(opts) < 2 {
			return change{}, false
		}
		k := opts[rng.IntN(len(opts))]
		if k == p.Keep[i] {
			return change{}, false
		}
		c := change{kind: moveKeep, level: i, keep: p.Keep[i]}
		p.Keep[i] = k
		return c, true
	}
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
