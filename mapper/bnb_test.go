package mapper_test

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/nnergy/nnergy/cost"
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
		l, a := smallLayer(rng), smallArch(rng)
		m, err := cost.New(a)
		if err != nil {
			t.Fatal(err)
		}
		s, err := mapspace.New(l, a, mapspace.Constraints{})
		if err != nil {
			t.Fatal(err)
		}
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
		if est.LowerBound > opt*(1+1e-9) {
			t.Errorf("case %d: exhaustive certificate %g above the optimum %g", i, est.LowerBound, opt)
		}
	}
}
