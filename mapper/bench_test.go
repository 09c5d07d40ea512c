package mapper_test

import (
	"context"
	"testing"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/cost"
	"github.com/nnergy/nnergy/dataflow"
	"github.com/nnergy/nnergy/mapper"
	"github.com/nnergy/nnergy/mapspace"
	"github.com/nnergy/nnergy/workload/zoo"
)

// BenchmarkSearch measures the random search on AlexNet CONV3 (batch 4) on
// eyeriss within the RS constraints, with one and two workers, reporting
// cost-model evaluations per second.
func BenchmarkSearch(b *testing.B) {
	spec, err := arch.Preset("eyeriss")
	if err != nil {
		b.Fatal(err)
	}
	m, _ := cost.New(spec)
	net, _ := zoo.Get("alexnet")
	l, _ := net.WithBatch(4).Layer("conv3")
	s, err := mapspace.New(l, spec, dataflow.Constraints(dataflow.RS, l, spec))
	if err != nil {
		b.Fatal(err)
	}
	for _, w := range []int{1, 2} {
		b.Run(map[int]string{1: "workers=1", 2: "workers=2"}[w], func(b *testing.B) {
			var evals int64
			for b.Loop() {
				_, st, err := mapper.Search(context.Background(), s, m, mapper.Settings{MaxEvaluations: 100000, Workers: w, Seed: 1})
				if err != nil {
					b.Fatal(err)
				}
				evals += st.Evaluated
			}
			b.ReportMetric(float64(evals)/b.Elapsed().Seconds(), "evals/s")
		})
	}
}
