package mapper_test

import (
	"context"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

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

// benchLayers are AlexNet CONV1-5 (batch 4) and five ResNet-50 layers
// (batch 1).
var benchLayers = []struct {
	model, layer string
	batch        int
}{
	{"alexnet", "conv1", 4}, {"alexnet", "conv2", 4}, {"alexnet", "conv3", 4}, {"alexnet", "conv4", 4}, {"alexnet", "conv5", 4},
	{"resnet50", "conv1", 1}, {"resnet50", "layer1.0.conv2", 1}, {"resnet50", "layer2.0.conv2", 1},
	{"resnet50", "layer3.0.conv1", 1}, {"resnet50", "layer4.2.conv3", 1},
}

// BenchmarkTimeToBest searches the whole mapspace (no dataflow) of AlexNet
// CONV1-5 (batch 4) and five ResNet-50 layers (batch 1) on eyeriss with
// 1 M evaluations on all cores, and reports the seconds until the returned
// mapping was first found, the whole search's seconds and its energy.
func BenchmarkTimeToBest(b *testing.B) {
	for _, tc := range benchLayers {
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

// BenchmarkBnB runs the branch and bound (objective energy, all cores) on
// the benchLayers on eyeriss, over the whole mapspace (space=all) and within
// the row-stationary constraints (space=rs), and on LeNet-5 C3 within RS,
// each stopped after BNB_SECONDS (default 10) seconds. It reports whether
// the search closed (proven 1, else 0), the gap to its certificate in
// percent, the seconds, nodes bounded and evaluations per second.
func BenchmarkBnB(b *testing.B) {
	limit := 10 * time.Second
	if v, err := strconv.Atoi(os.Getenv("BNB_SECONDS")); err == nil && v > 0 {
		limit = time.Duration(v) * time.Second
	}
	rs := dataflow.RS
	cases := append(slices.Clone(benchLayers), struct {
		model, layer string
		batch        int
	}{"lenet5", "c3", 1})
	for _, space := range []string{"rs", "all"} {
		for _, tc := range cases {
			if tc.model == "lenet5" && space == "all" {
				continue
			}
			b.Run(space+"/"+tc.model+"/"+tc.layer, func(b *testing.B) {
				var df *dataflow.Dataflow
				if space == "rs" {
					df = &rs
				}
				s, m, _ := benchSpace(b, tc.model, tc.layer, tc.batch, df)
				var st mapper.Stats
				for b.Loop() {
					var err error
					_, st, err = mapper.Search(context.Background(), s, m, mapper.Settings{Algorithm: "bnb", MaxEvaluations: 1e15, Timeout: limit, Seed: 1})
					if err != nil {
						b.Fatal(err)
					}
				}
				proven := 0.0
				if st.Optimal {
					proven = 1
				}
				b.ReportMetric(proven, "proven")
				b.ReportMetric(st.GapPercent, "gap%")
				b.ReportMetric(st.Elapsed.Seconds(), "s-search")
				b.ReportMetric(float64(st.Nodes)/st.Elapsed.Seconds(), "nodes/s")
				b.ReportMetric(st.EvalsPerSecond, "evals/s")
			})
		}
	}
}
