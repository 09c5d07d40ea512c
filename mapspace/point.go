package mapspace

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/mapping"
	"github.com/nnergy/nnergy/nest"
	"github.com/nnergy/nnergy/workload"
)

// stackSlots is how many slots the per-evaluation scratch arrays hold
// without allocating (three per level for five levels); more still work.
const stackSlots = 16

// Point is one mapping of the space in search form.
type Point struct {
	// Slot gives, per dimension, the slot of each prime in Space.Primes.
	Slot [workload.NumDims][]int
	// Order gives, per level, the order of all eight dimensions (outermost
	// first); only those with a factor above 1 at the level make loops.
	Order [][workload.NumDims]workload.Dim
	// Keep is the keep mask of each level (bit t for tensor t).
	Keep []uint8
}

// Clone returns a deep copy of p.
func (p *Point) Clone() *Point {
	c := &Point{Order: slices.Clone(p.Order), Keep: slices.Clone(p.Keep)}
	for d := range p.Slot {
		c.Slot[d] = slices.Clone(p.Slot[d])
	}
	return c
}

// CopyFrom makes p equal to q, reusing p's storage.
func (p *Point) CopyFrom(q *Point) {
	for d := range q.Slot {
		p.Slot[d] = append(p.Slot[d][:0], q.Slot[d]...)
	}
	p.Order = append(p.Order[:0], q.Order...)
	p.Keep = append(p.Keep[:0], q.Keep...)
}

// NewPoint returns the point that puts every free prime at the outermost
// level, in canonical order, keeping everything allowed.
func (s *Space) NewPoint() *Point {
	p := &Point{}
	for d := range workload.NumDims {
		p.Slot[d] = make([]int, len(s.Primes[d]))
		for k := range p.Slot[d] {
			if s.Pinned[d][k] >= 0 {
				p.Slot[d][k] = s.Pinned[d][k]
			} else {
				p.Slot[d][k] = s.temporal[0]
			}
		}
	}
	for i := range s.Arch.Levels {
		p.Order = append(p.Order, s.canonicalOrder(i))
		p.Keep = append(p.Keep, s.Keeps[i][0])
	}
	return p
}

func (s *Space) canonicalOrder(level int) [workload.NumDims]workload.Dim {
	o := workload.Dims
	s.fixOrder(level, &o)
	return o
}

// fixOrder reorders the constrained dimensions of a level's order into the
// rule's relative order, leaving the others where they are.
func (s *Space) fixOrder(level int, o *[workload.NumDims]workload.Dim) {
	want := s.rules[level].Order
	if len(want) < 2 {
		return
	}
	// Find every position first, then write: testing membership while
	// writing saw a dimension already overwritten as missing, skipped it
	// and left another twice in the order (its factor then counted twice).
	var buf [workload.NumDims]int
	pos := buf[:0]
	for i, d := range o {
		if slices.Contains(want, d) {
			pos = append(pos, i)
		}
	}
	// o holds every dimension once, so pos has one position per distinct
	// dimension of want; New refuses a rule listing one twice.
	for j, d := range want[:len(pos)] {
		o[pos[j]] = d
	}
}

// Random draws a point: every free prime in a random allowed slot, random
// loop orders and keep masks. The point may break capacity or fan-out
// limits; Repair fixes that.
func (s *Space) Random(rng *rand.Rand, p *Point) {
	if p.Order == nil {
		*p = *s.NewPoint()
	}
	for d := range workload.NumDims {
		for k := range p.Slot[d] {
			if s.Pinned[d][k] >= 0 {
				continue
			}
			f := s.Free[d]
			p.Slot[d][k] = f[rng.IntN(len(f))]
		}
	}
	for i := range p.Order {
		rng.Shuffle(len(p.Order[i]), func(a, b int) { p.Order[i][a], p.Order[i][b] = p.Order[i][b], p.Order[i][a] })
		s.fixOrder(i, &p.Order[i])
		p.Keep[i] = s.Keeps[i][rng.IntN(len(s.Keeps[i]))]
	}
}

// Factors returns the factor of every dimension in every slot.
func (s *Space) Factors(p *Point, f [][workload.NumDims]int) [][workload.NumDims]int {
	f = f[:0]
	for range s.Slots {
		f = append(f, [workload.NumDims]int{1, 1, 1, 1, 1, 1, 1, 1})
	}
	for d := range workload.NumDims {
		for k, sl := range p.Slot[d] {
			f[sl][d] *= s.Primes[d][k]
		}
	}
	return f
}

// Mapping writes the mapping of point p into m, reusing m's storage.
func (s *Space) Mapping(p *Point, m *mapping.Mapping) {
	L := len(s.Arch.Levels)
	if cap(m.Levels) < L {
		m.Levels = make([]mapping.Level, L)
	}
	m.Levels = m.Levels[:L]
	var fac [stackSlots][workload.NumDims]int
	f := s.Factors(p, fac[:0])
	for i := range L {
		lv := &m.Levels[i]
		lv.Name = s.Arch.Levels[i].Name
		lv.Temporal = lv.Temporal[:0]
		lv.Spatial = lv.Spatial[:0]
		for t := range workload.NumTensors {
			lv.Keep[t] = p.Keep[i]&(1<<t) != 0
		}
		tf := &f[s.temporal[i]]
		for _, d := range p.Order[i] {
			if tf[d] > 1 {
				lv.Temporal = append(lv.Temporal, mapping.Loop{Dim: d, Factor: tf[d]})
			}
		}
	}
	for k, sl := range s.Slots {
		if sl.Axis == mapping.Temporal {
			continue
		}
		for d := range workload.NumDims {
			if f[k][d] > 1 {
				lv := &m.Levels[sl.Level]
				lv.Spatial = append(lv.Spatial, mapping.Loop{Dim: workload.Dim(d), Factor: f[k][d], Axis: sl.Axis})
			}
		}
	}
}

// Nest lays point p out for analysis in n, reusing n's storage: the nest
// of Mapping(p) (see nest.Nest.Set) without building the mapping. Searches
// evaluate every candidate this way (cost.Evaluator.ScoreNest).
func (s *Space) Nest(p *Point, n *nest.Nest) {
	var fac [stackSlots][workload.NumDims]int
	f := s.Factors(p, fac[:0])
	n.Loops = n.Loops[:0]
	n.Start = n.Start[:0]
	n.Keep = append(n.Keep[:0], p.Keep...)
	for i := range s.Arch.Levels {
		n.Start = append(n.Start, len(n.Loops))
		tf := &f[s.temporal[i]]
		for _, d := range p.Order[i] {
			if tf[d] > 1 {
				n.Loops = append(n.Loops, mapping.Loop{Dim: d, Factor: tf[d]})
			}
		}
		// The level's spatial slots follow its temporal one, X before Y.
		for k := s.temporal[i] + 1; k < len(s.Slots) && s.Slots[k].Level == i; k++ {
			for d := range workload.NumDims {
				if f[k][d] > 1 {
					n.Loops = append(n.Loops, mapping.Loop{Dim: workload.Dim(d), Factor: f[k][d], Axis: s.Slots[k].Axis})
				}
			}
		}
	}
	n.Start = append(n.Start, len(n.Loops))
}

// SlotFactors returns the factor of every dimension in slot k alone (see
// Factors).
func (s *Space) SlotFactors(p *Point, k int) [workload.NumDims]int {
	f := [workload.NumDims]int{1, 1, 1, 1, 1, 1, 1, 1}
	for d := range workload.NumDims {
		for j, sl := range p.Slot[d] {
			if sl == k {
				f[d] *= s.Primes[d][j]
			}
		}
	}
	return f
}

// Utilization returns the share of MAC units the point's fan-out uses.
func (s *Space) Utilization(p *Point) float64 {
	used := 1
	for d := range workload.NumDims {
		for k, sl := range p.Slot[d] {
			if s.Slots[sl].Axis != mapping.Temporal {
				used *= s.Primes[d][k]
			}
		}
	}
	return float64(used) / float64(s.Arch.MACUnits())
}

// FanoutOK reports whether every spatial slot's product fits its mesh.
func (s *Space) FanoutOK(p *Point) bool {
	var buf [stackSlots]int
	prod := buf[:0]
	for range s.Slots {
		prod = append(prod, 1)
	}
	for d := range workload.NumDims {
		for k, sl := range p.Slot[d] {
			prod[sl] *= s.Primes[d][k]
		}
	}
	for k, sl := range s.Slots {
		if sl.Axis != mapping.Temporal && prod[k] > s.mesh[k] {
			return false
		}
	}
	return true
}

// SlotFits reports whether the factors in slot k fit its fan-out (a
// temporal slot has no limit). After moving one prime into slot k of a
// point whose fan-outs all fit, it tells what FanoutOK would, more cheaply.
func (s *Space) SlotFits(p *Point, k int) bool {
	if s.Slots[k].Axis == mapping.Temporal {
		return true
	}
	prod := 1
	for _, f := range s.SlotFactors(p, k) {
		prod *= f
	}
	return prod <= s.mesh[k]
}

// TemporalSlot returns the slot index of level i's temporal loops.
func (s *Space) TemporalSlot(i int) int { return s.temporal[i] }

// Rule returns the rule of level i.
func (s *Space) Rule(i int) Rule { return s.rules[i] }

// Fits reports whether every level holds the tiles of the tensors the point
// keeps there. It does no cost evaluation.
func (s *Space) Fits(p *Point) bool {
	var fac [stackSlots][workload.NumDims]int
	f := s.Factors(p, fac[:0])
	ext := workload.Ones()
	var buf [workload.NumTensors + 1]arch.Overflow
	for i := len(s.Arch.Levels) - 1; i >= 1; i-- {
		for k, sl := range s.Slots {
			if sl.Level == i {
				for d := range ext {
					ext[d] *= f[k][d]
				}
			}
		}
		var keep [workload.NumTensors]bool
		var tiles [workload.NumTensors]int64
		for t := range workload.NumTensors {
			keep[t] = p.Keep[i]&(1<<t) != 0
			if keep[t] {
				tiles[t] = s.Arch.TileWords(s.Layer, i, workload.Tensor(t), s.Layer.Projection(workload.Tensor(t)).Size(&ext))
			}
		}
		if len(s.Arch.Levels[i].Overflows(keep, tiles, buf[:0])) > 0 {
			return false
		}
	}
	return true
}

// PointOf returns the point of mapping m, or an error when m is not in the
// space (a factor in a slot the constraints forbid, a keep mask they do not
// allow, or loops that do not cover the layer).
func (s *Space) PointOf(m *mapping.Mapping) (*Point, error) {
	if len(m.Levels) != len(s.Arch.Levels) {
		return nil, fmt.Errorf("mapspace: mapping has %d levels, architecture %d", len(m.Levels), len(s.Arch.Levels))
	}
	if err := m.CheckShape(s.Layer); err != nil {
		return nil, err
	}
	p := s.NewPoint()
	used := [workload.NumDims][]bool{}
	for d := range workload.NumDims {
		used[d] = make([]bool, len(s.Primes[d]))
		for k := range p.Slot[d] {
			p.Slot[d][k] = -1
		}
	}
	place := func(d workload.Dim, f, slot int) error {
		for f > 1 {
			found := false
			for k, pr := range s.Primes[d] {
				if !used[d][k] && f%pr == 0 && (s.Pinned[d][k] < 0 || s.Pinned[d][k] == slot) {
					if s.Pinned[d][k] < 0 && !slices.Contains(s.Free[d], slot) {
						return fmt.Errorf("mapspace: a factor of %s may not go to %s %s", d, s.Arch.Levels[s.Slots[slot].Level].Name, s.Slots[slot].Axis)
					}
					used[d][k] = true
					p.Slot[d][k] = slot
					f /= pr
					found = true
					break
				}
			}
			if !found {
				return fmt.Errorf("mapspace: factor of %s does not fit the space's fixed factors", d)
			}
		}
		return nil
	}
	for i, lv := range m.Levels {
		for _, lp := range lv.Temporal {
			if err := place(lp.Dim, lp.Factor, s.temporal[i]); err != nil {
				return nil, err
			}
		}
		for _, lp := range lv.Spatial {
			k := s.slot(i, lp.Axis)
			if k < 0 {
				return nil, fmt.Errorf("mapspace: level %s has no %s fan-out", lv.Name, lp.Axis)
			}
			if err := place(lp.Dim, lp.Factor, k); err != nil {
				return nil, err
			}
		}
		var o [workload.NumDims]workload.Dim
		n := 0
		for _, lp := range lv.Temporal {
			if !slices.Contains(o[:n], lp.Dim) {
				o[n] = lp.Dim
				n++
			}
		}
		for _, d := range workload.Dims {
			if !slices.Contains(o[:n], d) {
				o[n] = d
				n++
			}
		}
		p.Order[i] = o
		var keep uint8
		for t, k := range lv.Keep {
			if k {
				keep |= 1 << t
			}
		}
		if !slices.Contains(s.Keeps[i], keep) {
			return nil, fmt.Errorf("mapspace: level %s may not keep that set of tensors", lv.Name)
		}
		p.Keep[i] = keep
	}
	for d := range workload.NumDims {
		for k := range p.Slot[d] {
			if p.Slot[d][k] < 0 {
				return nil, fmt.Errorf("mapspace: fixed factor of %s not placed as the constraints require", workload.Dim(d))
			}
		}
	}
	return p, nil
}
