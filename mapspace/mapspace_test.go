package mapspace_test

import (
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/cost"
	"github.com/nnergy/nnergy/dataflow"
	"github.com/nnergy/nnergy/mapping"
	"github.com/nnergy/nnergy/mapspace"
	"github.com/nnergy/nnergy/nest"
	"github.com/nnergy/nnergy/workload"
	"github.com/nnergy/nnergy/workload/zoo"
)

func eyeriss(t testing.TB) *arch.Spec {
	t.Helper()
	a, err := arch.Preset("eyeriss")
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestPointOfRoundTrip turns random points into mappings and back.
func TestPointOfRoundTrip(t *testing.T) {
	a := eyeriss(t)
	net, _ := zoo.Get("alexnet")
	rng := rand.New(rand.NewPCG(3, 4))
	for _, l := range net.Layers {
		s, err := mapspace.New(l, a, mapspace.Constraints{})
		if err != nil {
			t.Fatal(err)
		}
		p := s.NewPoint()
		for range 20 {
			s.Random(rng, p)
			var m mapping.Mapping
			s.Mapping(p, &m)
			q, err := s.PointOf(&m)
			if err != nil {
				t.Fatalf("%s: PointOf(Mapping(p)): %v\n%s", l.Name, err, m.Format())
			}
			var m2 mapping.Mapping
			s.Mapping(q, &m2)
			if diff := cmp.Diff(m.Format(), m2.Format()); diff != "" {
				t.Fatalf("%s: round trip differs:\n%s", l.Name, diff)
			}
		}
	}
}

// TestNest checks that a point's nest, built directly, is the layout of its
// mapping, on random points of constrained and unconstrained spaces.
func TestNest(t *testing.T) {
	a := eyeriss(t)
	net, _ := zoo.Get("alexnet")
	rng := rand.New(rand.NewPCG(5, 6))
	for _, l := range net.Layers {
		for _, c := range []mapspace.Constraints{{}, dataflow.Constraints(dataflow.RS, l, a)} {
			s, err := mapspace.New(l, a, c)
			if err != nil {
				t.Fatal(err)
			}
			p := s.NewPoint()
			var got, want nest.Nest
			for range 50 {
				s.Random(rng, p)
				var m mapping.Mapping
				s.Mapping(p, &m)
				want.Set(&m)
				s.Nest(p, &got)
				if diff := cmp.Diff(want, got); diff != "" {
					t.Fatalf("%s: Nest(p) differs from the layout of Mapping(p) (-want +got):\n%s\n%s", l.Name, diff, m.Format())
				}
				tf := s.Factors(p, nil)
				for k := range s.Slots {
					if sf := s.SlotFactors(p, k); sf != tf[k] {
						t.Fatalf("%s: SlotFactors(p, %d) = %v, Factors gives %v", l.Name, k, sf, tf[k])
					}
				}
			}
		}
	}
}

// TestSize checks the factorization count against direct enumeration on a
// small layer: every way to write each bound as an ordered product over
// the slots.
func TestSize(t *testing.T) {
	a := eyeriss(t)
	l, err := workload.NewLayer("s", workload.Conv, workload.Shape{1, 1, 12, 4, 6, 1, 1, 1}, [2]int{1, 1}, [2]int{1, 1})
	if err != nil {
		t.Fatal(err)
	}
	s, err := mapspace.New(l, a, mapspace.Constraints{})
	if err != nil {
		t.Fatal(err)
	}
	// eyeriss: DRAM temporal, GLB temporal, GLB→RF X and Y, RF temporal.
	if len(s.Slots) != 5 {
		t.Fatalf("%d slots, want 5", len(s.Slots))
	}
	// Ordered factorizations of n into k factors.
	var count func(n, k int) int
	count = func(n, k int) int {
		if k == 1 {
			return 1
		}
		c := 0
		for f := 1; f <= n; f++ {
			if n%f == 0 {
				c += count(n/f, k-1)
			}
		}
		return c
	}
	want := float64(count(12, 5) * count(4, 5) * count(6, 5))
	if got := s.Size().Factorizations; got != want {
		t.Errorf("factorizations %g, want %g", got, want)
	}
}

// TestDataflowConstraints checks that the row-stationary constraints pin
// all of R across Y and all of S in the PE, and that a builder mapping of
// the dataflow lies in its space.
func TestDataflowConstraints(t *testing.T) {
	a := eyeriss(t)
	m, _ := cost.New(a)
	net, _ := zoo.Get("alexnet")
	for _, l := range net.Layers[:5] {
		s, err := mapspace.New(l, a, dataflow.Constraints(dataflow.RS, l, a))
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(1, 1))
		p := s.NewPoint()
		s.Random(rng, p)
		var mp mapping.Mapping
		s.Mapping(p, &mp)
		f := mp.Factors()
		if f != l.Shape {
			t.Fatalf("%s: factors %v, want %v", l.Name, f, l.Shape)
		}
		var r, sf int
		for _, lp := range mp.Levels[1].Spatial {
			if lp.Dim == workload.R && lp.Axis == mapping.Y {
				r = lp.Factor
			}
		}
		for _, lp := range mp.Levels[2].Temporal {
			if lp.Dim == workload.S {
				sf = lp.Factor
			}
		}
		if r != l.Shape[workload.R] || sf != l.Shape[workload.S] {
			t.Errorf("%s: R across Y %d, S in the PE %d; want %d and %d\n%s", l.Name, r, sf, l.Shape[workload.R], l.Shape[workload.S], mp.Format())
		}
		b, err := dataflow.Build(dataflow.RS, l, m)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.PointOf(b); err != nil {
			t.Errorf("%s: the RS builder's mapping is outside the RS space: %v\n%s", l.Name, err, b.Format())
		}
	}
}

func TestConstraintErrors(t *testing.T) {
	a := eyeriss(t)
	l, _ := workload.NewLayer("s", workload.Conv, workload.Shape{1, 1, 24, 4, 6, 1, 1, 1}, [2]int{1, 1}, [2]int{1, 1})
	for _, tc := range []struct {
		c    mapspace.Constraints
		want string
	}{
		{mapspace.Constraints{Levels: map[string]mapspace.Rule{"L9": {}}}, `mapspace: constraints: level "L9": architecture "eyeriss" has no such level (have DRAM, GLB, RF)`},
		{mapspace.Constraints{Levels: map[string]mapspace.Rule{"GLB": {Factors: map[workload.Dim]int{workload.M: 5}}}}, "mapspace: level GLB: factor 5 of M does not divide its bound 24"},
		{mapspace.Constraints{Levels: map[string]mapspace.Rule{"GLB": {Spatial: map[workload.Dim]mapping.Axis{workload.M: mapping.Y}}}}, "mapspace: level GLB: all of M (24) does not fit the y fan-out of 12"},
	} {
		_, err := mapspace.New(l, a, tc.c)
		if err == nil || err.Error() != tc.want {
			t.Errorf("error %v, want %q", err, tc.want)
		}
	}
}

// TestSlotFits checks that, after one free prime moves on a point whose
// fan-outs all fit, SlotFits of its new slot agrees with FanoutOK.
func TestSlotFits(t *testing.T) {
	a := eyeriss(t)
	net, _ := zoo.Get("alexnet")
	rng := rand.New(rand.NewPCG(7, 8))
	var checked [2]int // moves that break a fan-out, and that do not
	for _, l := range net.Layers {
		s, err := mapspace.New(l, a, mapspace.Constraints{})
		if err != nil {
			t.Fatal(err)
		}
		p := s.NewPoint()
		for range 2000 {
			s.Random(rng, p)
			if !s.FanoutOK(p) {
				continue
			}
			d := workload.Dim(rng.IntN(int(workload.NumDims)))
			if len(p.Slot[d]) == 0 {
				continue
			}
			k := rng.IntN(len(p.Slot[d]))
			if s.Pinned[d][k] >= 0 {
				continue
			}
			to := s.Free[d][rng.IntN(len(s.Free[d]))]
			p.Slot[d][k] = to
			got, want := s.SlotFits(p, to), s.FanoutOK(p)
			if got != want {
				t.Fatalf("%s: SlotFits(p, %d) = %v, FanoutOK = %v", l.Name, to, got, want)
			}
			if want {
				checked[1]++
			} else {
				checked[0]++
			}
		}
	}
	if checked[0] < 20 || checked[1] < 20 {
		t.Fatalf("only %d moves that break a fan-out and %d that do not were checked", checked[0], checked[1])
	}
}

// TestOrderRuleKeepsAPermutation draws random points under order rules and
// checks that every level's order still holds each dimension once and that
// the mapping covers the layer. fixOrder used to overwrite one ruled
// dimension with another, so the factor of the survivor counted twice
// (issue 15: the constraints doc's example panicked map).
func TestOrderRuleKeepsAPermutation(t *testing.T) {
	a := eyeriss(t)
	net, _ := zoo.Get("alexnet")
	for _, order := range [][]workload.Dim{
		{workload.C, workload.Q},
		{workload.Q, workload.C},
		{workload.S, workload.N},
		{workload.R, workload.M, workload.C},
		workload.Dims[:],
	} {
		c := mapspace.Constraints{Levels: map[string]mapspace.Rule{"GLB": {Order: order}}}
		rng := rand.New(rand.NewPCG(7, 8))
		for _, l := range net.Layers {
			s, err := mapspace.New(l, a, c)
			if err != nil {
				t.Fatal(err)
			}
			p := s.NewPoint()
			for range 50 {
				s.Random(rng, p)
				for i, o := range p.Order {
					seen := map[workload.Dim]bool{}
					for _, d := range o {
						seen[d] = true
					}
					if len(seen) != int(workload.NumDims) {
						t.Fatalf("order %v, %s: level %d order %v is not a permutation", order, l.Name, i, o)
					}
				}
				var m mapping.Mapping
				s.Mapping(p, &m)
				if err := m.CheckShape(l); err != nil {
					t.Fatalf("order %v, %s: %v\n%s", order, l.Name, err, m.Format())
				}
			}
		}
	}
}

func TestOrderListedTwice(t *testing.T) {
	a := eyeriss(t)
	net, _ := zoo.Get("alexnet")
	c := mapspace.Constraints{Levels: map[string]mapspace.Rule{"GLB": {Order: []workload.Dim{workload.C, workload.Q, workload.C}}}}
	if _, err := mapspace.New(net.Layers[0], a, c); err == nil {
		t.Fatal("New accepted an order listing C twice")
	}
}
