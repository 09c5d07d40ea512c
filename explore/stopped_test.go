package explore_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/nnergy/nnergy/dataflow"
	"github.com/nnergy/nnergy/explore"
	"github.com/nnergy/nnergy/mapper"
	"github.com/nnergy/nnergy/mapping"
	"github.com/nnergy/nnergy/workload"
	"github.com/nnergy/nnergy/workload/zoo"
)

// TestEvaluateStopped cancels an evaluation during the search of one layer:
// the layers before it keep their searched mappings, it keeps its best so
// far, and the later ones take the fallback's mapping (or the mapping
// already searched for their key), or are left out without one.
func TestEvaluateStopped(t *testing.T) {
	m := model(t, "eyeriss")
	net := zoo.AlexNet().WithBatch(1)
	searchSet := mapper.Settings{MaxEvaluations: 200, Workers: 1, Seed: 1}
	builder := explore.DataflowMapper(m, dataflow.RS)
	for _, tc := range []struct {
		name     string
		stopAt   int // index of the layer whose search is cancelled
		fallback explore.Mapper
	}{
		{"builder after conv2", 1, builder},
		{"builder after fc6", 5, builder},
		{"none after conv3", 2, nil},
		{"none at the first", 0, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancelCause(context.Background())
			defer cancel(nil)
			stopped := errors.New("test stop")
			var searched []string
			rs := dataflow.RS
			search := explore.DataflowSearch(m, &rs, searchSet, nil)
			mp := func(c context.Context, l *workload.Layer) (*mapping.Mapping, error) {
				searched = append(searched, l.Name)
				if l.Name == net.Layers[tc.stopAt].Name {
					cancel(stopped)
				}
				return search(c, l)
			}
			res, st, err := explore.EvaluateStopped(ctx, m, net, mp, tc.fallback)
			if err != nil {
				t.Fatal(err)
			}
			if st == nil || st.Cause != stopped {
				t.Fatalf("stopped %+v, want the cause %v", st, stopped)
			}
			var names []string
			for _, l := range res.Layers {
				names = append(names, l.Layer.Name)
			}
			later := []string{}
			for _, l := range net.Layers[tc.stopAt+1:] {
				later = append(later, l.Name)
			}
			want := []string{}
			for _, l := range net.Layers[:tc.stopAt+1] {
				want = append(want, l.Name)
			}
			// A search stopped before its first evaluation finds
			// nothing, and its layer falls back too.
			if stop := net.Layers[tc.stopAt].Name; slices.Contains(st.Unsearched, stop) || slices.Contains(st.Missing, stop) {
				want = want[:tc.stopAt]
				later = append([]string{net.Layers[tc.stopAt].Name}, later...)
			}
			if searched[len(searched)-1] != net.Layers[tc.stopAt].Name {
				t.Errorf("searched %v, the last after the stop", searched)
			}
			switch {
			case tc.fallback == nil:
				if !slices.Equal(names, want) || !slices.Equal(st.Missing, later) || len(st.Unsearched) != 0 {
					t.Errorf("layers %v, missing %v, unsearched %v; want layers %v, missing %v", names, st.Missing, st.Unsearched, want, later)
				}
			default:
				if len(names) != len(net.Layers) || len(st.Missing) != 0 || !slices.Equal(st.Unsearched, later) {
					t.Errorf("layers %v, missing %v, unsearched %v; want all, none missing, unsearched %v", names, st.Missing, st.Unsearched, later)
				}
			}
			var total int64
			for _, l := range res.Layers {
				total += l.Result.MACs
			}
			if total != res.Total.MACs {
				t.Errorf("total %d MACs, layers %d", res.Total.MACs, total)
			}
		})
	}
	// Not cancelled, it is Evaluate.
	res, st, err := explore.EvaluateStopped(context.Background(), m, net, builder, nil)
	want, werr := explore.Evaluate(context.Background(), m, net, builder)
	if err != nil || werr != nil || st != nil || res.Total.EnergyPJ != want.Total.EnergyPJ || res.Total.Cycles != want.Total.Cycles {
		t.Errorf("uncancelled: %v, %+v, %v; Evaluate %v", err, st, res.Total.EnergyPJ, want.Total.EnergyPJ)
	}
}
