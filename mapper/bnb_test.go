package mapper_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/cost"
	"github.com/nnergy/nnergy/sparse"

	"github.com/nnergy/nnergy/dataflow"
	"github.com/nnergy/nnergy/mapping"
	"github.com/nnergy/nnergy/workload"

	"github.com/nnergy/nnergy/mapper"
	"github.com/nnergy/nnergy/mapspace"
)

// TestBnBMatchesExhaustive checks on random small layers and hierarchies
// that the branch and bound proves the optimum the exhaustive search finds,
// for every objective, and that its certificate never exceeds it.
func TestBnBMatchesExhaustive(t *testing.T) {
	rng := rand.New(rand.NewPCG(16, 16))
	cases := 40
	if testing.Short() {
		cases = 10
	}
	objectives := []mapper.Objective{{mapper.Energy}, {mapper.Latency}, {mapper.EDP}, {mapper.Latency, mapper.Energy}}
	for i := range cases {
		l, m, s := smallCase(t, rng, i%3 == 2)
		o := objectives[i%len(objectives)]
		ex, est, err := mapper.Search(context.Background(), s, m, mapper.Settings{Objective: o, Algorithm: "exhaustive", MaxEvaluations: 1e9})
		if err != nil || !est.Optimal {
			t.Fatalf("case %d: exhaustive: %v (%v)", i, err, est)
		}
		bb, bst, err := mapper.Search(context.Background(), s, m, mapper.Settings{Objective: o, Algorithm: "bnb", MaxEvaluations: 1e9, Seed: uint64(i)})
		if err != nil {
			t.Fatalf("case %d: bnb: %v (%v)", i, err, bst)
		}
		if !bst.Optimal || bst.GapPercent != 0 {
			t.Errorf("case %d: bnb not closed: %v", i, bst)
		}
		if c := o.Compare(&bb.Result, &ex.Result); c != 0 {
			t.Errorf("case %d: %v, layer %v: bnb %g pJ %d cycles, exhaustive %g pJ %d cycles (%v)\nbnb:\n%s\nexhaustive:\n%s",
				i, o, l.Shape, bb.Result.EnergyPJ, bb.Result.Cycles, ex.Result.EnergyPJ, ex.Result.Cycles, bst, bb.Mapping, ex.Mapping)
		}
		opt := o[0].Value(&ex.Result)
		if bst.LowerBound > opt*(1+1e-9) {
			t.Errorf("case %d: certificate %g above the optimum %g", i, bst.LowerBound, opt)
		}
		// A search stopped early: its certificate is still below the
		// optimum, and its gap is what it says.
		cut, cst, err := mapper.Search(context.Background(), s, m, mapper.Settings{Objective: o, Algorithm: "bnb", MaxEvaluations: 1500 + int64(rng.IntN(1500)), Seed: uint64(i)})
		if err != nil && err != mapper.ErrNoMapping {
			t.Fatalf("case %d: stopped bnb: %v", i, err)
		}
		if cst.LowerBound > opt*(1+1e-9) {
			t.Errorf("case %d: certificate %g of a search stopped on %s above the optimum %g", i, cst.LowerBound, cst.Stopped, opt)
		}
		if err == nil {
			v := o[0].Value(&cut.Result)
			if want := (v - cst.LowerBound) / cst.LowerBound * 100; math.Abs(cst.GapPercent-want) > 1e-6*max(1, want) {
				t.Errorf("case %d: gap %g%%, want %g%%", i, cst.GapPercent, want)
			}
		}
		if est.LowerBound > opt*(1+1e-9) {
			t.Errorf("case %d: exhaustive certificate %g above the optimum %g", i, est.LowerBound, opt)
		}
	}
}

// TestBnBBoundsAdmissible checks every bound of the branch and bound
// against brute force: for random legal mappings of random small layers and
// hierarchies, the bound of every node above the mapping (dimensions placed
// one by one, then loop orders fixed level by level) is at most the
// mapping's value, for every metric, under random counting conventions
// (arch.Conventions: every third case nnergy's own, then Timeloop's, then
// a random set).
func TestBnBBoundsAdmissible(t *testing.T) {
	rng := rand.New(rand.NewPCG(16, 1))
	cases, points := 60, 300
	if testing.Short() {
		cases = 15
	}
	checkBoundsAdmissible(t, cases, points, func(i int) (*workload.Layer, *cost.Model, *mapspace.Space, *rand.Rand) {
		l, m, s := smallCase(t, rng, i%2 == 1)
		// Every third case under Timeloop's counting conventions, every
		// third under a random set of them.
		if cv := [3]arch.Conventions{0, arch.TimeloopConventions, arch.Conventions(rng.Uint32()) & arch.TimeloopConventions}[i%3]; cv != 0 {
			a := *m.Spec()
			a.Conventions = cv
			var err error
			if m, err = cost.New(&a); err != nil {
				t.Fatal(err)
			}
			if s, err = mapspace.New(l, &a, mapspace.Constraints{}); err != nil {
				t.Fatal(err)
			}
		}
		return l, m, s, rng
	})
}

// checkBoundsAdmissible checks, for cases cases of next and up to points
// random mappings of each, that the bound of every node above a legal
// mapping is at most the mapping's value, for every metric.
func checkBoundsAdmissible(t *testing.T, cases, points int, next func(i int) (*workload.Layer, *cost.Model, *mapspace.Space, *rand.Rand)) {
	t.Helper()
	checked := 0
	for i := range cases {
		l, m, s, rng := next(i)
		p := s.NewPoint()
		var mp mapping.Mapping
		for range points {
			s.Random(rng, p)
			s.Mapping(p, &mp)
			r, err := m.Evaluate(l, &mp)
			if err != nil {
				t.Fatal(err)
			}
			if !r.Valid {
				continue
			}
			checked++
			for _, met := range []mapper.Metric{mapper.Energy, mapper.Latency, mapper.EDP} {
				v := met.Value(&r)
				for k, b := range mapper.NodeBounds(s, m, met, p) {
					if !(b <= v*(1+1e-9)) {
						t.Fatalf("case %d, %v: node %d bound %g above the mapping's %g (layer %v)\n%s", i, met, k, b, v, l.Shape, &mp)
					}
				}
			}
		}
	}
	if checked < cases*10 {
		t.Errorf("only %d legal mappings checked", checked)
	}
}

// rsCase returns a small convolution's RS mapspace on eyeriss and the
// model: a space the branch and bound closes in a few seconds.
func rsCase(t *testing.T) (*mapspace.Space, *cost.Model) {
	t.Helper()
	a, m := presetModel(t, "eyeriss")
	l, err := workload.NewLayer("c", workload.Conv, workload.Shape{1, 1, 16, 8, 7, 7, 3, 3}, [2]int{1, 1}, [2]int{1, 1})
	if err != nil {
		t.Fatal(err)
	}
	s, err := mapspace.New(l, a, dataflow.Constraints(dataflow.RS, l, a))
	if err != nil {
		t.Fatal(err)
	}
	return s, m
}

// TestBnBDeterministic checks that the branch and bound returns the same
// mapping and certificate whatever the number of workers, both when it
// closes and when an evaluation limit stops it.
func TestBnBDeterministic(t *testing.T) {
	s, m := rsCase(t)
	for _, max := range []int64{1e9, 20000} {
		var first string
		for _, workers := range []int{1, 2, 3} {
			b, st, err := mapper.Search(context.Background(), s, m, mapper.Settings{Algorithm: "bnb", MaxEvaluations: max, Workers: workers, Seed: 5})
			if err != nil {
				t.Fatal(err)
			}
			got := fmt.Sprintf("%s%g pJ, optimal %v, bound %g, gap %g, stopped %s, best at %d, work %d", b.Mapping, b.Result.EnergyPJ, st.Optimal, st.LowerBound, st.GapPercent, st.Stopped, st.BestAtEval, st.Evaluated+st.Nodes)
			if st.BestAtEval <= 0 || st.BestAtEval > st.Evaluated+st.Nodes {
				t.Errorf("max %d: best at evaluation %d of %d", max, st.BestAtEval, st.Evaluated+st.Nodes)
			}
			if max == 1e9 && !st.Optimal {
				t.Errorf("max %d: not closed: %v", max, st)
			}
			if max == 20000 && st.Optimal {
				t.Errorf("max %d: closed, the test needs a search the limit stops: %v", max, st)
			}
			if workers == 1 {
				first = got
			} else if got != first {
				t.Errorf("max %d: %d workers:\n%s\none worker:\n%s", max, workers, got, first)
			}
		}
	}
}

// sparsify gives layer l zeros and architecture a compressed storage and
// zero gating or skipping, as Eyeriss has: RLC or a bitmask at random
// levels, gates and skips on random operands.
func sparsify(rng *rand.Rand, l *workload.Layer, a *arch.Spec) {
	l.Density[workload.Weights] = 0.2 + 0.8*rng.Float64()
	l.Density[workload.Inputs] = 0.2 + 0.8*rng.Float64()
	for i := range a.Levels {
		for _, t := range []workload.Tensor{workload.Inputs, workload.Outputs, workload.Weights} {
			switch rng.IntN(4) {
			case 0:
				a.Levels[i].Format[t] = sparse.RLC{RunBits: 5, LevelBits: 16, PairsPerWord: 3, WordBits: 64}
			case 1:
				a.Levels[i].Format[t] = sparse.Bitmask{ValueBits: 16}
			}
		}
		if i > 0 {
			a.Levels[i].GateOn[workload.Inputs] = rng.IntN(2) == 0
			a.Levels[i].SkipOn[workload.Weights] = rng.IntN(3) == 0
		}
	}
	a.Compute.GateOn[workload.Inputs] = rng.IntN(2) == 0
}

// TestBnBStopsAtLimit checks that an evaluation limit stops the branch and
// bound never beyond it (its bounds and evaluations, Nodes + Evaluated,
// stay within the limit; the last batch shares out what is left, so that
// it may stop short), and that the certificate of the search it stopped
// stays below the optimum.
func TestBnBStopsAtLimit(t *testing.T) {
	s, m := rsCase(t)
	full, fst, err := mapper.Search(context.Background(), s, m, mapper.Settings{Algorithm: "bnb", MaxEvaluations: 1e9, Seed: 5})
	if err != nil || !fst.Optimal {
		t.Fatalf("unlimited: %v (%v)", err, fst)
	}
	work := fst.Evaluated + fst.Nodes
	for _, max := range []int64{500, 1001, 5003, work / 3, work / 2, work - 1} {
		b, st, err := mapper.Search(context.Background(), s, m, mapper.Settings{Algorithm: "bnb", MaxEvaluations: max, Seed: 5})
		if err != nil {
			t.Fatalf("max %d: %v", max, err)
		}
		got := st.Evaluated + st.Nodes
		if got > max || got < max/2 {
			t.Errorf("max %d: %d bounds and evaluations (stopped %s)", max, got, st.Stopped)
		}
		if st.Stopped != "evaluations" && !st.Optimal {
			t.Errorf("max %d: stopped %s, not optimal", max, st.Stopped)
		}
		if st.LowerBound > full.Result.EnergyPJ*(1+1e-9) || b.Result.EnergyPJ < full.Result.EnergyPJ*(1-1e-9) {
			t.Errorf("max %d: bound %g, best %g, optimum %g", max, st.LowerBound, b.Result.EnergyPJ, full.Result.EnergyPJ)
		}
	}
}
