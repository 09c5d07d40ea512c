package mapspace

import (
	"math/rand/v2"
	"slices"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/mapping"
	"github.com/nnergy/nnergy/workload"
)

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
	var pos []int
	for i, d := range o {
		if slices.Contains(want, d) {
			pos = append(pos, i)
		}
	}
	k := 0
	for _, d := range want {
		if slices.Contains(o[:], d) && k < len(pos) {
			o[pos[k]] = d
			k++
		}
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
	var fac [32][workload.NumDims]int
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
	var prod [32]int
	for k := range s.Slots {
		prod[k] = 1
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

// TemporalSlot returns the slot index of level i's temporal loops.
func (s *Space) TemporalSlot(i int) int { return s.temporal[i] }

// Mesh returns the fan-out limit of slot k (0 for temporal slots).
func (s *Space) Mesh(k int) int { return s.mesh[k] }

// Rule returns the rule of level i.
func (s *Space) Rule(i int) Rule { return s.rules[i] }

// Fits reports whether every level holds the tiles of the tensors the point
// keeps there. It does no cost evaluation.
func (s *Space) Fits(p *Point) bool {
	var fac [32][workload.NumDims]int
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
				tiles[t] = s.Layer.Projection(workload.Tensor(t)).Size(&ext)
			}
		}
		if len(s.Arch.Levels[i].Overflows(keep, tiles, buf[:0])) > 0 {
			return false
		}
	}
	return true
}
