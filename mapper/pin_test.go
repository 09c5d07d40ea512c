package mapper_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	goldenfile "github.com/nnergy/nnergy/internal/golden"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/cost"
	"github.com/nnergy/nnergy/dataflow"
	"github.com/nnergy/nnergy/mapper"
	"github.com/nnergy/nnergy/mapping"
	"github.com/nnergy/nnergy/mapspace"
	"github.com/nnergy/nnergy/workload"
	"github.com/nnergy/nnergy/workload/zoo"
)

// TestPinnedResults runs seeded searches (random and exhaustive, several
// objectives, constraints and worker counts) and compares what they return
// with testdata/search.golden: the best energy to the last bit, the best
// mapping's text and the evaluation counts. The golden file was written by
// the search before its evaluation path was reworked for speed, so any
// change in the results of a search shows up here. Rewrite it with -update
// only when a change of results is intended.
func TestPinnedResults(t *testing.T) {
	spec, m := presetModel(t, "eyeriss")
	zooLayer := func(model, layer string, batch int) *workload.Layer {
		net, err := zoo.Get(model)
		if err != nil {
			t.Fatal(err)
		}
		l, err := net.WithBatch(batch).Layer(layer)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	conv3 := zooLayer("alexnet", "conv3", 4)
	sparseConv3 := *conv3
	sparseConv3.Density = [workload.NumTensors]float64{0.6, 0.35, 0.5}
	small, err := workload.NewConv(workload.ConvSpec{Name: "conv", InC: 2, OutC: 4, InH: 6, InW: 6, KH: 3, KW: 3})
	if err != nil {
		t.Fatal(err)
	}
	rs := func(l *workload.Layer) mapspace.Constraints { return dataflow.Constraints(dataflow.RS, l, spec) }
	start := func(df dataflow.Dataflow, l *workload.Layer) []*mapping.Mapping {
		mp, err := dataflow.Build(df, l, m)
		if err != nil {
			t.Fatal(err)
		}
		return []*mapping.Mapping{mp}
	}
	minUtil := func(l *workload.Layer) mapspace.Constraints {
		c := rs(l)
		c.MinUtilization = 0.5
		return c
	}
	resnet := zooLayer("resnet50", "layer1.0.conv2", 1)
	resnet3 := zooLayer("resnet50", "layer3.0.conv1", 1)
	type pinCase struct {
		name string
		l    *workload.Layer
		cons mapspace.Constraints
		set  mapper.Settings
		spec *arch.Spec // nil: eyeriss
	}
	cases := []pinCase{
		{"rs-conv3-w1", conv3, rs(conv3), mapper.Settings{MaxEvaluations: 20000, Workers: 1, Seed: 1}, nil},
		{"rs-conv3-w2", conv3, rs(conv3), mapper.Settings{MaxEvaluations: 20000, Workers: 2, Seed: 1}, nil},
		{"free-conv1-w2", zooLayer("alexnet", "conv1", 4), mapspace.Constraints{}, mapper.Settings{MaxEvaluations: 20000, Workers: 2, Seed: 3}, nil},
		{"free-conv5-w1", zooLayer("alexnet", "conv5", 4), mapspace.Constraints{}, mapper.Settings{MaxEvaluations: 20000, Workers: 1, Seed: 4}, nil},
		{"sparse-conv3-w2", &sparseConv3, mapspace.Constraints{}, mapper.Settings{MaxEvaluations: 20000, Workers: 2, Seed: 8}, nil},
		{"latency-resnet-w1", resnet, rs(resnet), mapper.Settings{Objective: mapper.Objective{mapper.Latency, mapper.Energy}, MaxEvaluations: 10000, Workers: 1, Seed: 5}, nil},
		{"edp-start-w2", resnet3, mapspace.Constraints{}, mapper.Settings{Objective: mapper.Objective{mapper.EDP}, MaxEvaluations: 10000, Workers: 2, Seed: 9, Start: start(dataflow.WS, resnet3)}, nil},
		{"minutil-conv3-w1", conv3, minUtil(conv3), mapper.Settings{MaxEvaluations: 10000, Workers: 1, Seed: 2}, nil},
		{"victory-conv3-w1", conv3, rs(conv3), mapper.Settings{MaxEvaluations: 50000, Workers: 1, Seed: 6, Victory: 3000}, nil},
		{"exhaustive-rs-w1", small, rs(small), mapper.Settings{Algorithm: "exhaustive", MaxEvaluations: 1e9, Workers: 1}, nil},
		{"exhaustive-rs-edp-w1", small, rs(small), mapper.Settings{Algorithm: "exhaustive", Objective: mapper.Objective{mapper.EDP}, MaxEvaluations: 1e9, Workers: 1}, nil},
	}
	// Small random layers on a three-level hierarchy with tiny buffers, where
	// capacity, fan-out and reduction limits bite.
	rng := rand.New(rand.NewPCG(11, 11))
	for i := range 4 {
		l, a := smallLayer(rng), smallArch(rng)
		cases = append(cases,
			pinCase{fmt.Sprintf("exhaustive-small-%d-w1", i), l, mapspace.Constraints{}, mapper.Settings{Algorithm: "exhaustive", MaxEvaluations: 1e9, Workers: 1}, a},
			pinCase{fmt.Sprintf("random-small-%d-w2", i), l, mapspace.Constraints{}, mapper.Settings{Algorithm: "random", MaxEvaluations: 5000, Workers: 2, Seed: uint64(i)}, a})
	}
	var b strings.Builder
	for _, tc := range cases {
		a, cm := spec, m
		if tc.spec != nil {
			a = tc.spec
			if cm, err = cost.New(a); err != nil {
				t.Fatal(err)
			}
		}
		s, err := mapspace.New(tc.l, a, tc.cons)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		best, st, err := mapper.Search(context.Background(), s, cm, tc.set)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		fmt.Fprintf(&b, "== %s\n", tc.name)
		fmt.Fprintf(&b, "energy %s pJ, %d cycles\n", strconv.FormatFloat(best.Result.EnergyPJ, 'g', -1, 64), best.Result.Cycles)
		fmt.Fprintf(&b, "evaluated %d, valid %d, rejected", st.Evaluated, st.Valid)
		for _, r := range []string{"capacity", "fanout-x", "fanout-y", "reduction", "utilization"} {
			fmt.Fprintf(&b, " %s=%d", r, st.Rejected[r])
		}
		fmt.Fprintf(&b, ", pruned %.6g, best at %d, stopped %s, optimal %v\n", st.Pruned, st.BestAtEval, st.Stopped, st.Optimal)
		b.WriteString(best.Mapping.Format())
	}
	got := b.String()
	golden := filepath.Join("testdata", "search.golden")
	if goldenfile.Update() {
		goldenfile.Write(t, golden, []byte(got))
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got == string(want) {
		return
	}
	// Report the first differing case.
	gs, ws := strings.Split(got, "== "), strings.Split(string(want), "== ")
	for i := range max(len(gs), len(ws)) {
		var g, w string
		if i < len(gs) {
			g = gs[i]
		}
		if i < len(ws) {
			w = ws[i]
		}
		if g != w {
			t.Fatalf("search results differ from %s:\ngot:\n%s\nwant:\n%s", golden, g, w)
		}
	}
}
