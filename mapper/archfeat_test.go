package mapper_test

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/cost"
	"github.com/nnergy/nnergy/mapper"
	"github.com/nnergy/nnergy/mapspace"
	"github.com/nnergy/nnergy/workload"
)

// withArchFeatures gives a small hierarchy (smallArch) the optional
// features of docs/format/arch.md at random: read and write bandwidths,
// per-level tensor widths, clusters, leakage per cycle and gating.
func withArchFeatures(rng *rand.Rand, a *arch.Spec) {
	for i := range a.Levels {
		l := &a.Levels[i]
		if rng.IntN(2) == 0 {
			l.ReadBandwidthWords = []float64{0, 0.5, 1, 2}[rng.IntN(4)]
			l.WriteBandwidthWords = []float64{0, 0.25, 1, 3}[rng.IntN(4)]
		}
		if i > 0 && rng.IntN(2) == 0 {
			l.DataBits[rng.IntN(int(workload.NumTensors))] = []int{8, 24, 32}[rng.IntN(3)]
		}
		if n := a.Instances(i); n > 1 && rng.IntN(2) == 0 {
			l.ClusterSize = []int{2, n}[rng.IntN(2)]
		}
		if rng.IntN(2) == 0 {
			l.LeakagePJ = rng.Float64()
		}
	}
	a.Compute.LeakagePJ = rng.Float64() / 10
	a.GateUnused = rng.IntN(2) == 0
}

func featureCase(t *testing.T, rng *rand.Rand) (*workload.Layer, *cost.Model, *mapspace.Space) {
	t.Helper()
	l, a := smallLayer(rng), smallArch(rng)
	withArchFeatures(rng, a)
	m, s := modelSpace(t, l, a)
	return l, m, s
}

// TestBnBBoundsAdmissibleArchFeatures is TestBnBBoundsAdmissible on
// hierarchies with the optional architecture features: every node's bound
// stays at most the value of every legal mapping below it.
func TestBnBBoundsAdmissibleArchFeatures(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 3))
	cases, points := 40, 200
	if testing.Short() {
		cases = 10
	}
	checkBoundsAdmissible(t, cases, points, func(int) (*workload.Layer, *cost.Model, *mapspace.Space, *rand.Rand) {
		l, m, s := featureCase(t, rng)
		return l, m, s, rng
	})
}

// TestBnBMatchesExhaustiveArchFeatures checks that the branch and bound
// still proves the exhaustive optimum with the optional features.
func TestBnBMatchesExhaustiveArchFeatures(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 4))
	cases := 16
	if testing.Short() {
		cases = 4
	}
	objectives := []mapper.Objective{{mapper.Energy}, {mapper.Latency}, {mapper.EDP}}
	for i := range cases {
		_, m, s := featureCase(t, rng)
		o := objectives[i%len(objectives)]
		ex, est, err := mapper.Search(context.Background(), s, m, mapper.Settings{Objective: o, Algorithm: "exhaustive", MaxEvaluations: 1e9})
		if err != nil || !est.Optimal {
			t.Fatalf("case %d: exhaustive: %v (%v)", i, err, est)
		}
		bb, bst, err := mapper.Search(context.Background(), s, m, mapper.Settings{Objective: o, Algorithm: "bnb", MaxEvaluations: 1e9, Seed: uint64(i)})
		if err != nil || !bst.Optimal {
			t.Fatalf("case %d: bnb: %v (%v)", i, err, bst)
		}
		if c := o.Compare(&bb.Result, &ex.Result); c != 0 {
			t.Errorf("case %d: %v: bnb %g pJ %d cycles, exhaustive %g pJ %d cycles", i, o, bb.Result.EnergyPJ, bb.Result.Cycles, ex.Result.EnergyPJ, ex.Result.Cycles)
		}
		if opt := o[0].Value(&ex.Result); bst.LowerBound > opt*(1+1e-9) {
			t.Errorf("case %d: certificate %g above the optimum %g", i, bst.LowerBound, opt)
		}
	}
}
