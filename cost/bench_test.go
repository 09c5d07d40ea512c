package cost_test

import (
	"math/rand/v2"
	"testing"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/cost"
	"github.com/nnergy/nnergy/dataflow"
	"github.com/nnergy/nnergy/mapspace"
	"github.com/nnergy/nnergy/nest"
	"github.com/nnergy/nnergy/workload"
	"github.com/nnergy/nnergy/workload/zoo"
)

// fourLevel is a four-level hierarchy: DRAM, a shared L2, four cores with an
// L1 each, and an 8×8 PE array with register files per core.
func fourLevel() *arch.Spec {
	all := [workload.NumTensors]bool{true, true, true}
	lv := func(name string, size int64, mx, my int, e float64) arch.Level {
		l := arch.Level{Name: name, Keeps: all, SizeWords: size, MeshX: mx, MeshY: my, WordBits: 16}
		for t := range l.Energy {
			l.Energy[t] = arch.Actions{ReadPJ: e, WritePJ: e, UpdatePJ: e}
		}
		l.Network = arch.Network{WordPJ: 0.5, Multicast: true, Reduction: true}
		return l
	}
	return &arch.Spec{
		Name: "four-level", ClockHz: 1e9,
		Levels: []arch.Level{lv("DRAM", 0, 1, 1, 100), lv("L2", 256<<10, 1, 1, 10),
			lv("L1", 32<<10, 4, 1, 3), lv("RF", 64, 8, 8, 0.5)},
		Compute: arch.Compute{MeshX: 1, MeshY: 1, EnergyPJ: 0.5, Bits: 16},
	}
}

// BenchmarkEvaluate measures one evaluation (nest analysis, cost and check)
// of a ResNet-style 3×3 convolution on the four-level hierarchy.
func BenchmarkEvaluate(b *testing.B) {
	spec := fourLevel()
	m, err := cost.New(spec)
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		spec workload.ConvSpec
	}{
		{"conv3x3-128", workload.ConvSpec{Name: "c", InC: 128, OutC: 128, InH: 28, InW: 28, KH: 3, KW: 3, PadT: 1, PadB: 1, PadL: 1, PadR: 1}},
		{"conv1x1-s2", workload.ConvSpec{Name: "d", InC: 256, OutC: 512, InH: 28, InW: 28, KH: 1, KW: 1, StrideH: 2, StrideW: 2}},
	} {
		l, err := workload.NewConv(tc.spec)
		if err != nil {
			b.Fatal(err)
		}
		for _, df := range []dataflow.Dataflow{dataflow.RS, dataflow.WS, dataflow.OS} {
			mp, err := dataflow.Build(df, l, m)
			if err != nil {
				b.Fatal(err)
			}
			b.Run(tc.name+"/"+df.String(), func(b *testing.B) {
				e := m.NewEvaluator()
				var r cost.Result
				b.ReportAllocs()
				for b.Loop() {
					if err := e.Evaluate(l, mp, &r); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "evals/s")
			})
		}
	}
}

// BenchmarkScoreNest measures scoring a search candidate straight from its
// mapspace point (laying out the nest, then nest analysis, check and
// totals), as the mapper does: AlexNet CONV3 (batch 4) on eyeriss within
// the RS constraints, over a fixed set of legal random points.
func BenchmarkScoreNest(b *testing.B) {
	spec, err := arch.Preset("eyeriss")
	if err != nil {
		b.Fatal(err)
	}
	m, err := cost.New(spec)
	if err != nil {
		b.Fatal(err)
	}
	net, err := zoo.Get("alexnet")
	if err != nil {
		b.Fatal(err)
	}
	l, err := net.WithBatch(4).Layer("conv3")
	if err != nil {
		b.Fatal(err)
	}
	s, err := mapspace.New(l, spec, dataflow.Constraints(dataflow.RS, l, spec))
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	e := m.NewEvaluator()
	var n nest.Nest
	var r cost.Result
	var points []*mapspace.Point
	for range 1 << 20 {
		p := s.NewPoint()
		s.Random(rng, p)
		s.Nest(p, &n)
		if e.ScoreNest(l, &n, &r); r.Valid {
			points = append(points, p)
			if len(points) == 256 {
				break
			}
		}
	}
	if len(points) == 0 {
		b.Fatal("no legal random point")
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		s.Nest(points[i%len(points)], &n)
		e.ScoreNest(l, &n, &r)
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "evals/s")
}
