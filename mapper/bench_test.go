package mapper_test

import (
	"context"
	"testing"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/cost"
	"github.com/nnergy/nnergy/dataflow"
	"github.com/nnergy/nnergy/mapper"
	"github.com/nnergy/nnergy/mapspace"
	"github.com/nnergy/nnergy/workload"
	"github.com/nnergy/nnergy/workload/zoo"
)

func benchSpace(b testing.TB, model, layer string, batch int, df *dataflow.Dataflow) (*mapspace.Space, *cost.Model, *workload.Layer) {
	spec, err := arch.Preset("eyeriss")
	if err != nil {
		b.Fatal(err)
	}
	m, _ := cost.New(spec)
	net, err := zoo.Get(model)
	if err != nil {
		b.Fatal(err)
	}
	l, err := net.WithBatch(batch).Layer(layer)
	if err != nil {
		b.Fatal(err)
	}
	var cons mapspace.Constraints
	if df != nil {
		cons = dataflow.Constraints(*df, l, spec)
	}
	s, err := mapspace.New(l, spec, cons)
	if err != nil {
		b.Fatal(err)
	}
	return s, m, l
}

// BenchmarkSearch measures the random search on AlexNet CONV3 (batch 4) on
// eyeriss within the RS constraints with one and two workers: cost-model
// evaluations per second, for the speed-up from one worker to two.
func BenchmarkSearch(b *testing.B) {
	rs := dataflow.RS
	s, m, _ := benchSpace(b, "alexnet", "conv3", 4, &rs)
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

// BenchmarkTimeToBest searches the whole mapspace (no dataflow) of AlexNet
// CONV1-5 (batch 4) and five ResNet-50 layers (batch 1) on eyeriss with
// 1 M evaluations on all cores, and reports the seconds until the returned
// mapping was first found, the whole search's seconds and its energy.
func BenchmarkTimeToBest(b *testing.B) {
	cases := []struct {
		model, layer string
		batch        int
	}{
		{"alexnet", "conv1", 4}, {"alexnet", "conv2", 4}, {"alexnet", "conv3", 4}, {"alexnet", "conv4", 4}, {"alexnet", "conv5", 4},
		{"resnet50", "conv1", 1}, {"resnet50", "layer1.0.conv2", 1}, {"resnet50", "layer2.0.conv2", 1},
		{"resnet50", "layer3.0.conv1", 1}, {"resnet50", "layer4.2.conv3", 1},
	}
	for _, tc := range cases {
		b.Run(tc.model+"/"+tc.layer, func(b *testing.B) {
			s, m, l := benchSpace(b, tc.model, tc.layer, tc.batch, nil)
			var st mapper.Stats
			var best mapper.Best
			for b.Loop() {
				var err error
				best, st, err = mapper.Search(context.Background(), s, m, mapper.Settings{MaxEvaluations: 1000000, Seed: 1})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(st.BestAfter.Seconds(), "s-to-best")
			b.ReportMetric(st.Elapsed.Seconds(), "s-search")
			b.ReportMetric(st.EvalsPerSecond, "evals/s")
			b.ReportMetric(best.Result.EnergyPJ/float64(l.MACs()), "pJ/MAC")
		})
	}
}
