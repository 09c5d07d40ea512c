package cost_test

import (
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/cost"
	"github.com/nnergy/nnergy/mapping"
	"github.com/nnergy/nnergy/mapspace"
	"github.com/nnergy/nnergy/nest"
	"github.com/nnergy/nnergy/workload"
	"github.com/nnergy/nnergy/workload/zoo"
)

// TestScoreNest checks on random points of several mapspaces (presets,
// dense and sparse layers, legal and illegal points) that scoring a point's
// nest gives what scoring its mapping does, and likewise for the bound; and
// that neither allocates once warmed up.
func TestScoreNest(t *testing.T) {
	net, err := zoo.Get("alexnet")
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 5))
	legal := 0
	for _, preset := range []string{"eyeriss", "eyeriss-v2", "systolic", "edge-npu"} {
		spec, err := arch.Preset(preset)
		if err != nil {
			t.Fatal(err)
		}
		m, err := cost.New(spec)
		if err != nil {
			t.Fatal(err)
		}
		layers := net.WithBatch(2).Layers[:5]
		for _, cs := range []workload.ConvSpec{
			{Name: "small", InC: 4, OutC: 8, InH: 8, InW: 8, KH: 3, KW: 3},
			{Name: "strided", InC: 6, OutC: 16, InH: 14, InW: 14, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadT: 1, PadB: 1, PadL: 1, PadR: 1},
			{Name: "pointwise", InC: 16, OutC: 12, InH: 7, InW: 7, KH: 1, KW: 1},
		} {
			l, err := workload.NewConv(cs)
			if err != nil {
				t.Fatal(err)
			}
			layers = append(layers, l)
		}
		for _, base := range layers {
			for _, density := range []float64{1, 0.4} {
				l := *base
				for k := range l.Density {
					l.Density[k] = density
				}
				s, err := mapspace.New(&l, spec, mapspace.Constraints{})
				if err != nil {
					t.Fatal(err)
				}
				ev, evNest := m.NewEvaluator(), m.NewEvaluator()
				p := s.NewPoint()
				var mp mapping.Mapping
				var n nest.Nest
				var want, got cost.Result
				valid := 0
				for range 100 {
					s.Random(rng, p)
					s.Mapping(p, &mp)
					s.Nest(p, &n)
					if err := ev.Score(&l, &mp, &want); err != nil {
						t.Fatal(err)
					}
					evNest.ScoreNest(&l, &n, &got)
					if got.Valid != want.Valid || !cmp.Equal(got.Violations, want.Violations) {
						t.Fatalf("%s %s: ScoreNest gives valid %v %v, Score %v %v\n%s", preset, l.Name, got.Valid, got.Violations, want.Valid, want.Violations, mp.Format())
					}
					if want.Valid {
						valid++
						if diff := cmp.Diff(want, got); diff != "" {
							t.Fatalf("%s %s: ScoreNest differs from Score (-Score +ScoreNest):\n%s\n%s", preset, l.Name, diff, mp.Format())
						}
					}
					lb, ok, err := ev.Bound(&l, &mp)
					if err != nil {
						t.Fatal(err)
					}
					lbNest, okNest := evNest.BoundNest(&l, &n)
					if lb != lbNest || ok != okNest {
						t.Fatalf("%s %s: BoundNest = %g, %v; Bound = %g, %v\n%s", preset, l.Name, lbNest, okNest, lb, ok, mp.Format())
					}
				}
				legal += valid
				if allocs := testing.AllocsPerRun(20, func() {
					s.Nest(p, &n)
					evNest.ScoreNest(&l, &n, &got)
				}); allocs != 0 {
					t.Errorf("%s %s: Nest and ScoreNest allocate %g times per evaluation", preset, l.Name, allocs)
				}
			}
		}
	}
	if legal < 200 {
		t.Errorf("only %d legal points compared", legal)
	}
}
