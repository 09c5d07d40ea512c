package mapper_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/cost"
	"github.com/nnergy/nnergy/dataflow"
	"github.com/nnergy/nnergy/mapper"
	"github.com/nnergy/nnergy/mapping"
	"github.com/nnergy/nnergy/mapspace"
	"github.com/nnergy/nnergy/workload"
)

// smallArch is a three-level hierarchy with a 2×2 PE array and small
// buffers, so that capacity limits bite on small layers.
func smallArch(rng *rand.Rand) *arch.Spec {
	all := [workload.NumTensors]bool{true, true, true}
	lv := func(name string, size int64, mx, my int, e float64) arch.Level {
		l := arch.Level{Name: name, Keeps: all, SizeWords: size, MeshX: mx, MeshY: my, WordBits: 16}
		for t := range l.Energy {
			l.Energy[t] = arch.Actions{ReadPJ: e, WritePJ: e, UpdatePJ: e}
		}
		l.Network = arch.Network{WordPJ: 0.5 + rng.Float64(), Multicast: rng.IntN(3) != 0, Reduction: rng.IntN(3) != 0}
		return l
	}
	return &arch.Spec{
		Name: "small", ClockHz: 1e9,
		Levels:  []arch.Level{lv("DRAM", 0, 1, 1, 100), lv("GLB", int64(24+rng.IntN(64)), 1, 1, 5), lv("RF", int64(3+rng.IntN(6)), 2, 2, 1)},
		Compute: arch.Compute{MeshX: 1, MeshY: 1, EnergyPJ: 0.5},
	}
}

func smallLayer(rng *rand.Rand) *workload.Layer {
	pick := func(vs ...int) int { return vs[rng.IntN(len(vs))] }
	sh := workload.Shape{1, 1, pick(1, 2, 4), pick(1, 2, 3), pick(1, 2, 4), 1, pick(1, 2, 3), 1}
	l, err := workload.NewLayer("small", workload.Conv, sh, [2]int{pick(1, 2), 1}, [2]int{1, 1})
	if err != nil {
		panic(err)
	}
	return l
}

// smallCase returns a random small layer, a random small hierarchy's
// model and the whole mapspace; with sparse, the layer has zeros and the
// hierarchy compresses and gates (see sparsify).
func smallCase(t *testing.T, rng *rand.Rand, sparse bool) (*workload.Layer, *cost.Model, *mapspace.Space) {
	t.Helper()
	l, a := smallLayer(rng), smallArch(rng)
	if sparse {
		sparsify(rng, l, a)
	}
	m, s := modelSpace(t, l, a)
	return l, m, s
}

// modelSpace returns the model of a and the whole mapspace of l on it.
func modelSpace(t *testing.T, l *workload.Layer, a *arch.Spec) (*cost.Model, *mapspace.Space) {
	t.Helper()
	m, err := cost.New(a)
	if err != nil {
		t.Fatal(err)
	}
	s, err := mapspace.New(l, a, mapspace.Constraints{})
	if err != nil {
		t.Fatal(err)
	}
	return m, s
}

// presetModel returns the preset architecture name and its cost model.
func presetModel(t testing.TB, name string) (*arch.Spec, *cost.Model) {
	t.Helper()
	a, err := arch.Preset(name)
	if err != nil {
		t.Fatal(err)
	}
	m, err := cost.New(a)
	if err != nil {
		t.Fatal(err)
	}
	return a, m
}

// TestRandomFindsExhaustiveOptimum checks on small random cases that the
// heuristic search reaches the optimum the exhaustive search proves, and
// that neither returns an illegal mapping.
func TestRandomFindsExhaustiveOptimum(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	cases := 40
	if testing.Short() {
		cases = 10
	}
	for i := range cases {
		l, m, s := smallCase(t, rng, false)
		ex, est, err := mapper.Search(context.Background(), s, m, mapper.Settings{Algorithm: "exhaustive", MaxEvaluations: 1e9})
		if err != nil {
			t.Fatalf("case %d: exhaustive: %v (%v)", i, err, est)
		}
		if !est.Optimal {
			t.Fatalf("case %d: exhaustive search not marked optimal: %v", i, est)
		}
		rn, rst, err := mapper.Search(context.Background(), s, m, mapper.Settings{Algorithm: "random", MaxEvaluations: 20000, Seed: uint64(i)})
		if err != nil {
			t.Fatalf("case %d: random: %v", i, err)
		}
		for _, b := range []mapper.Best{ex, rn} {
			r, err := m.Evaluate(l, b.Mapping)
			if err != nil || !r.Valid {
				t.Fatalf("case %d: search returned an illegal mapping (%v %v):\n%s", i, err, r.Violations, b.Mapping)
			}
		}
		if rn.Result.EnergyPJ > ex.Result.EnergyPJ*(1+1e-9) {
			t.Errorf("case %d: layer %v: random search %.6g pJ, exhaustive optimum %.6g pJ (%v)\nrandom:\n%s\nexhaustive:\n%s",
				i, l.Shape, rn.Result.EnergyPJ, ex.Result.EnergyPJ, rst, rn.Mapping, ex.Mapping)
		}
		if rn.Result.EnergyPJ < ex.Result.EnergyPJ*(1-1e-9) {
			t.Errorf("case %d: random search beat the 'optimal' exhaustive search: %.6g < %.6g", i, rn.Result.EnergyPJ, ex.Result.EnergyPJ)
		}
	}
}

// TestDeterministic checks that a seeded search returns the same mapping
// every time for the same worker count.
func TestDeterministic(t *testing.T) {
	a, m := presetModel(t, "eyeriss")
	l, _ := workload.NewConv(workload.ConvSpec{Name: "c", InC: 64, OutC: 64, InH: 28, InW: 28, KH: 3, KW: 3, PadT: 1, PadB: 1, PadL: 1, PadR: 1})
	s, err := mapspace.New(l, a, dataflow.Constraints(dataflow.RS, l, a))
	if err != nil {
		t.Fatal(err)
	}
	for _, workers := range []int{1, 2} {
		var first string
		for run := range 3 {
			b, _, err := mapper.Search(context.Background(), s, m, mapper.Settings{MaxEvaluations: 20000, Seed: 42, Workers: workers})
			if err != nil {
				t.Fatal(err)
			}
			got := fmt.Sprintf("%s%g", b.Mapping, b.Result.EnergyPJ)
			if run == 0 {
				first = got
			} else if got != first {
				t.Fatalf("workers %d: run %d differs:\n%s\nfirst:\n%s", workers, run, got, first)
			}
		}
	}
}

func TestObjective(t *testing.T) {
	o, err := mapper.ParseObjective("latency,energy")
	if err != nil || o.String() != "latency,energy" {
		t.Fatalf("ParseObjective = %v, %v", o, err)
	}
	_, err = mapper.ParseObjective("power")
	want := `mapper: unknown objective "power" (want energy, latency or edp, or a comma-separated list of them)`
	if err == nil || err.Error() != want {
		t.Errorf("error %v, want %q", err, want)
	}
	a := cost.Result{EnergyPJ: 10, Cycles: 5}
	b := cost.Result{EnergyPJ: 8, Cycles: 7}
	if o.Compare(&a, &b) >= 0 {
		t.Error("latency first: a (5 cycles) should beat b (7 cycles)")
	}
	if (mapper.Objective{mapper.Energy}).Compare(&a, &b) <= 0 {
		t.Error("energy: b should beat a")
	}
	if (mapper.Objective{mapper.EDP}).Compare(&a, &b) >= 0 {
		t.Error("EDP: a (50) should beat b (56)")
	}
}

// TestStop checks that a search stopped by its context (Ctrl-C) or its
// timeout still returns the best mapping found so far, and says why it
// stopped.
func TestStop(t *testing.T) {
	a, m := presetModel(t, "eyeriss")
	l, _ := workload.NewConv(workload.ConvSpec{Name: "c", InC: 256, OutC: 384, InH: 13, InW: 13, KH: 3, KW: 3, PadT: 1, PadB: 1, PadL: 1, PadR: 1})
	s, err := mapspace.New(l, a, mapspace.Constraints{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	set := mapper.Settings{MaxEvaluations: 1e12, ProgressEvery: time.Millisecond, Progress: func(st mapper.Stats) {
		calls++
		if st.Valid > 0 {
			cancel()
		}
	}}
	b, st, err := mapper.Search(ctx, s, m, set)
	if err != nil {
		t.Fatal(err)
	}
	if st.Stopped != "interrupted" || b.Mapping == nil || calls == 0 {
		t.Errorf("stopped %q, mapping %v, %d progress calls; want interrupted with a mapping", st.Stopped, b.Mapping != nil, calls)
	}
	b, st, err = mapper.Search(context.Background(), s, m, mapper.Settings{MaxEvaluations: 1e12, Timeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if st.Stopped != "timeout" || b.Mapping == nil {
		t.Errorf("stopped %q, mapping %v; want timeout with a mapping", st.Stopped, b.Mapping != nil)
	}
}

// TestSearchIllegalStart starts a search from a mapping that breaks a
// capacity limit (one built for the layer's compressed weights, given the
// same layer dense): the search repairs it or leaves it, and still returns
// a legal mapping.
func TestSearchIllegalStart(t *testing.T) {
	spec, m := presetModel(t, "eyeriss-v2")
	sparse, err := workload.NewFC("fc", 1, 512, 1000)
	if err != nil {
		t.Fatal(err)
	}
	sparse.Density[workload.Weights] = 0.1
	start, err := dataflow.Build(dataflow.RS, sparse, m)
	if err != nil {
		t.Fatal(err)
	}
	dense := sparse.WithBatch(1)
	dense.Density[workload.Weights] = 1
	if r, err := m.Evaluate(dense, start); err != nil || r.Valid {
		t.Fatalf("the start mapping is legal for the dense layer (err %v); the test needs an illegal one", err)
	}
	for _, alg := range []string{"random", "auto"} {
		s, err := mapspace.New(dense, spec, dataflow.Constraints(dataflow.RS, dense, spec))
		if err != nil {
			t.Fatal(err)
		}
		best, _, err := mapper.Search(context.Background(), s, m, mapper.Settings{Algorithm: alg, MaxEvaluations: 500, Workers: 1, Seed: 3, Start: []*mapping.Mapping{start}})
		if err != nil {
			t.Fatalf("%s: %v", alg, err)
		}
		if !best.Result.Valid {
			t.Errorf("%s: returned mapping breaks limits: %v", alg, best.Result.Violations)
		}
	}
}

// TestExhaustiveHonoursMaxEvaluations runs exhaustive searches of spaces
// larger than their bound: they stop at it and say so (issue 15, item 6).
func TestExhaustiveHonoursMaxEvaluations(t *testing.T) {
	a, m := presetModel(t, "eyeriss")
	l, err := workload.NewLayer("c", workload.Conv, workload.Shape{1, 1, 64, 32, 14, 14, 3, 3}, [2]int{1, 1}, [2]int{1, 1})
	if err != nil {
		t.Fatal(err)
	}
	s, err := mapspace.New(l, a, mapspace.Constraints{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		max     int64
		workers int
	}{{50, 1}, {1000, 1}, {999, 2}, {3000, 3}} {
		if s.Size().Total() <= float64(tc.max) {
			t.Fatalf("space of %g is not larger than %d", s.Size().Total(), tc.max)
		}
		_, st, err := mapper.Search(context.Background(), s, m, mapper.Settings{Algorithm: "exhaustive", MaxEvaluations: tc.max, Workers: tc.workers})
		if err != nil && err != mapper.ErrNoMapping {
			t.Fatal(err)
		}
		if st.Evaluated > tc.max {
			t.Errorf("max %d, %d workers: %d evaluated", tc.max, tc.workers, st.Evaluated)
		}
		if st.Optimal || st.Stopped != "evaluations" {
			t.Errorf("max %d, %d workers: optimal %v, stopped %q; want not optimal, stopped on evaluations", tc.max, tc.workers, st.Optimal, st.Stopped)
		}
	}
}
