// Package mapspace describes the space of legal mappings of one layer onto
// one architecture: how each dimension's bound is split into factors across
// the levels' temporal loops and spatial fan-outs, the order of the loops
// at each level, and which tensors each level keeps, all under constraints
// (a dataflow's, or a user's from YAML).
//
// A point of the space assigns every prime factor of every bound to a slot
// (a level's temporal loops, or its X or Y fan-out), gives each level a loop
// order and each level a keep mask. Space.Mapping turns a point into a
// mapping.Mapping; package mapper searches the points.
package mapspace

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/mapping"
	"github.com/nnergy/nnergy/workload"
)

// Slot is where a factor can go: the temporal loops of a level, or the X or
// Y fan-out from a level to the instances of the next (or to the MAC units).
type Slot struct {
	Level int
	Axis  mapping.Axis
}

// Rule constrains the loops and storage of one level. The zero Rule allows
// everything the architecture allows.
type Rule struct {
	// Temporal lists the dimensions that may have temporal loops at this
	// level (nil: all). The outermost level always accepts every dimension.
	Temporal []workload.Dim
	// X and Y list the dimensions that may fan out across the X and Y axes
	// below this level (nil: all).
	X, Y []workload.Dim
	// Factors fixes the temporal factor of a dimension at this level.
	Factors map[workload.Dim]int
	// Spatial fixes the whole bound of a dimension onto an axis below this
	// level ("all of R across Y" for the row-stationary dataflow).
	Spatial map[workload.Dim]mapping.Axis
	// Order fixes the relative order (outermost first) of these dimensions'
	// temporal loops at this level.
	Order []workload.Dim
	// Keep fixes which tensors the level keeps (nil: searched over what the
	// architecture allows).
	Keep *[workload.NumTensors]bool
}

// Constraints restrict a space: a rule per level name and a minimum
// utilization of the MAC units by the spatial fan-out.
type Constraints struct {
	Name           string
	Levels         map[string]Rule
	MinUtilization float64
	// Where is, for constraints read from a file, the position of each
	// level's name (file:line:col), so that a level the architecture lacks
	// is told where it is written.
	Where map[string]string
}

// at returns "POS: " for level name, or "".
func (c Constraints) at(name string) string {
	if w := c.Where[name]; w != "" {
		return w + ": "
	}
	return ""
}

// UnknownLevel returns an error naming the first level of c (by name)
// that a lacks, with its position and the levels a has, or nil.
func (c Constraints) UnknownLevel(a *arch.Spec) error {
	var have []string
	for _, l := range a.Levels {
		have = append(have, l.Name)
	}
	for _, name := range slices.Sorted(maps.Keys(c.Levels)) {
		if a.Level(name) < 0 {
			return fmt.Errorf("%slevel %q: architecture %q has no such level (have %s)", c.at(name), name, a.Name, strings.Join(have, ", "))
		}
	}
	return nil
}

// Space is the mapspace of one layer on one architecture under constraints.
// It is immutable and safe for concurrent use.
type Space struct {
	Layer *workload.Layer
	Arch  *arch.Spec
	Cons  Constraints

	Slots []Slot
	// Primes lists the prime factors of each dimension's bound, ascending.
	Primes [workload.NumDims][]int
	// Allowed lists, per dimension, the slots (indices into Slots) a prime
	// factor of it may go to; Pinned lists for each prime either -1 or the
	// only slot it may take (fixed factors).
	Allowed [workload.NumDims][]int
	Pinned  [workload.NumDims][]int
	// Free lists the slots the unpinned primes of each dimension may take.
	Free [workload.NumDims][]int
	// Keeps lists the keep masks each level may take.
	Keeps [][]uint8
	// temporal[i] is the slot index of level i's temporal loops.
	temporal []int
	// mesh[s] is the fan-out limit of a spatial slot.
	mesh  []int
	rules []Rule
}

// New builds the mapspace of layer l on architecture a under constraints c.
func New(l *workload.Layer, a *arch.Spec, c Constraints) (*Space, error) {
	L := len(a.Levels)
	s := &Space{Layer: l, Arch: a, Cons: c, rules: make([]Rule, L)}
	if err := c.UnknownLevel(a); err != nil {
		return nil, fmt.Errorf("mapspace: constraints: %w", err)
	}
	for i := range L {
		s.rules[i] = c.Levels[a.Levels[i].Name]
		for k, d := range s.rules[i].Order {
			if slices.Contains(s.rules[i].Order[:k], d) {
				return nil, fmt.Errorf("mapspace: level %s: order lists %s twice", a.Levels[i].Name, d)
			}
		}
	}
	for i := range L {
		s.temporal = append(s.temporal, len(s.Slots))
		s.Slots = append(s.Slots, Slot{i, mapping.Temporal})
		s.mesh = append(s.mesh, 0)
		mx, my := a.Compute.MeshX, a.Compute.MeshY
		if i+1 < L {
			mx, my = a.Levels[i+1].MeshX, a.Levels[i+1].MeshY
		}
		if mx > 1 {
			s.Slots = append(s.Slots, Slot{i, mapping.X})
			s.mesh = append(s.mesh, mx)
		}
		if my > 1 {
			s.Slots = append(s.Slots, Slot{i, mapping.Y})
			s.mesh = append(s.mesh, my)
		}
	}
	for d := range workload.NumDims {
		s.Primes[d] = primes(l.Shape[d])
		for k, sl := range s.Slots {
			if s.allows(sl, workload.Dim(d)) {
				s.Allowed[d] = append(s.Allowed[d], k)
			}
		}
		s.Pinned[d] = make([]int, len(s.Primes[d]))
		for k := range s.Pinned[d] {
			s.Pinned[d][k] = -1
		}
	}
	// Fixed factors and fixed spatial dimensions pin primes to slots.
	for i, r := range s.rules {
		for d, f := range r.Factors {
			if err := s.pin(d, f, s.temporal[i]); err != nil {
				return nil, fmt.Errorf("mapspace: level %s: %v", a.Levels[i].Name, err)
			}
		}
		for d, ax := range r.Spatial {
			k := s.slot(i, ax)
			if k < 0 {
				return nil, fmt.Errorf("mapspace: level %s has no %s fan-out for %s", a.Levels[i].Name, ax, d)
			}
			if l.Shape[d] > s.mesh[k] {
				return nil, fmt.Errorf("mapspace: level %s: all of %s (%d) does not fit the %s fan-out of %d", a.Levels[i].Name, d, l.Shape[d], ax, s.mesh[k])
			}
			if err := s.pin(d, l.Shape[d], k); err != nil {
				return nil, fmt.Errorf("mapspace: level %s: %v", a.Levels[i].Name, err)
			}
		}
	}
	for d := range workload.NumDims {
		// Free primes may not join a slot that a fixed factor owns.
		var free []int
		for _, k := range s.Allowed[d] {
			if !slices.Contains(s.Pinned[d], k) {
				free = append(free, k)
			}
		}
		s.Free[d] = free
		if slices.Contains(s.Pinned[d], -1) && len(free) == 0 {
			return nil, fmt.Errorf("mapspace: dimension %s (bound %d) has no level it may go to", workload.Dim(d), l.Shape[d])
		}
	}
	// Keep masks.
	for i := range L {
		var opts []uint8
		if r := s.rules[i].Keep; r != nil || i == 0 {
			var m uint8
			for t := range workload.NumTensors {
				if i == 0 || r[t] {
					m |= 1 << t
				}
				if i > 0 && r[t] && !a.Levels[i].Keeps[t] {
					return nil, fmt.Errorf("mapspace: level %s cannot keep %s", a.Levels[i].Name, workload.Tensor(t))
				}
			}
			opts = []uint8{m}
		} else {
			var allowed uint8
			for t := range workload.NumTensors {
				if a.Levels[i].Keeps[t] {
					allowed |= 1 << t
				}
			}
			// Every subset of what the level allows, the full set first.
			for m := int(allowed); m >= 0; m-- {
				if uint8(m)&^allowed == 0 {
					opts = append(opts, uint8(m))
				}
			}
		}
		s.Keeps = append(s.Keeps, opts)
	}
	return s, nil
}

func (s *Space) slot(level int, ax mapping.Axis) int {
	for k, sl := range s.Slots {
		if sl.Level == level && sl.Axis == ax {
			return k
		}
	}
	return -1
}

// allows reports whether a factor of d may go to slot sl.
func (s *Space) allows(sl Slot, d workload.Dim) bool {
	r := s.rules[sl.Level]
	switch sl.Axis {
	case mapping.Temporal:
		if sl.Level == 0 {
			return true
		}
		if r.Temporal != nil && !slices.Contains(r.Temporal, d) {
			return false
		}
		if _, ok := r.Spatial[d]; ok {
			return false
		}
		return true
	case mapping.X:
		return r.X == nil || slices.Contains(r.X, d)
	default:
		return r.Y == nil || slices.Contains(r.Y, d)
	}
}

// pin reserves primes of d multiplying to f for slot k.
func (s *Space) pin(d workload.Dim, f int, k int) error {
	if f <= 0 || s.Layer.Shape[d]%f != 0 {
		return fmt.Errorf("factor %d of %s does not divide its bound %d", f, d, s.Layer.Shape[d])
	}
	rest := f
	for i, p := range s.Primes[d] {
		if s.Pinned[d][i] < 0 && rest%p == 0 {
			s.Pinned[d][i] = k
			rest /= p
		}
	}
	if rest != 1 {
		return fmt.Errorf("factor %d of %s conflicts with other fixed factors", f, d)
	}
	return nil
}

// primes returns the prime factors of n in ascending order.
func primes(n int) []int {
	var ps []int
	for p := 2; p*p <= n; p++ {
		for n%p == 0 {
			ps = append(ps, p)
			n /= p
		}
	}
	if n > 1 {
		ps = append(ps, n)
	}
	return ps
}

// OrderMatters reports whether the order of level i's temporal loops can
// change the counts. The loops of the innermost level sit above nothing but
// the MAC units, which read every operand on every MAC whatever the order,
// so all their orders are one.
func (s *Space) OrderMatters(i int) bool { return i < len(s.Arch.Levels)-1 }

// Size describes how large the space is. Counts can be astronomically
// large, so they are float64.
type Size struct {
	// Factorizations counts the ways to split every bound across the slots
	// (before capacity and fan-out limits).
	Factorizations float64
	// Orders is an upper bound on the loop orders per factorization: the
	// product over the levels whose order matters of (dimensions that may
	// loop there)!.
	Orders float64
	// Keeps counts the keep masks.
	Keeps float64
}

// Total returns Factorizations × Orders × Keeps.
func (z Size) Total() float64 { return z.Factorizations * z.Orders * z.Keeps }

// Size returns the size of the space.
func (s *Space) Size() Size {
	z := Size{Factorizations: 1, Orders: 1, Keeps: 1}
	for d := range workload.NumDims {
		z.Factorizations *= float64(s.dimFactorizations(workload.Dim(d)))
	}
	for i := range s.Arch.Levels {
		z.Keeps *= float64(len(s.Keeps[i]))
		if !s.OrderMatters(i) {
			continue
		}
		n := 0
		for d := range workload.NumDims {
			if s.Layer.Shape[d] > 1 && s.allows(Slot{i, mapping.Temporal}, workload.Dim(d)) {
				n++
			}
		}
		z.Orders *= math.Gamma(float64(n + 1))
	}
	return z
}

// DimFactorizations counts the distinct ways to place d's free primes.
func (s *Space) DimFactorizations(d workload.Dim) float64 {
	return float64(s.dimFactorizations(d))
}

func (s *Space) dimFactorizations(d workload.Dim) int64 {
	// Group free primes by value: a prime of multiplicity e goes to k slots
	// in C(e+k−1, k−1) ways.
	count := map[int]int{}
	for i, p := range s.Primes[d] {
		if s.Pinned[d][i] < 0 {
			count[p]++
		}
	}
	k := len(s.Free[d])
	n := int64(1)
	for _, e := range count {
		n *= binom(e+k-1, k-1)
	}
	return n
}

func binom(n, k int) int64 {
	if k < 0 || k > n {
		return 0
	}
	r := int64(1)
	for i := 1; i <= k; i++ {
		r = r * int64(n-k+i) / int64(i)
	}
	return r
}
