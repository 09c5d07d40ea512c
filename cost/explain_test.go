package cost_test

import (
	"math"
	"testing"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/cost"
	"github.com/nnergy/nnergy/dataflow"
	"github.com/nnergy/nnergy/workload/zoo"
)

// TestExplain checks that the steps of an explanation add up: each step's
// rows to the step's energy, the steps to the difference of the two
// results, whichever way round and whichever conventions differ; and that
// only the conventions that differ get a step, in order.
func TestExplain(t *testing.T) {
	net, err := zoo.Get("alexnet")
	if err != nil {
		t.Fatal(err)
	}
	for _, preset := range []string{"eyeriss", "systolic"} {
		spec, err := arch.Preset(preset)
		if err != nil {
			t.Fatal(err)
		}
		m, err := cost.New(spec)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"conv1", "conv3"} {
			l, err := net.Layer(name)
			if err != nil {
				t.Fatal(err)
			}
			mp, err := dataflow.Build(dataflow.RS, l, m)
			if err != nil {
				t.Skipf("%s %s: %v", preset, name, err)
			}
			for _, tc := range []struct{ to, from arch.Conventions }{
				{arch.TimeloopConventions, 0},
				{0, arch.TimeloopConventions},
				{arch.Conventions(0).With(arch.ConvDrain, true).With(arch.ConvWrap, true), arch.Conventions(0).With(arch.ConvMACLeak, true)},
				{arch.TimeloopConventions, arch.TimeloopConventions},
			} {
				s := *spec
				s.Conventions = tc.to
				ex, err := cost.Explain(&s, l, mp, tc.from)
				if err != nil {
					t.Fatal(err)
				}
				var sumE float64
				var sumC int64
				last := -1
				for _, st := range ex.Steps {
					if int(st.Convention) <= last || tc.from.Has(st.Convention) == tc.to.Has(st.Convention) {
						t.Errorf("%s %s %v→%v: step %v out of order or not a difference", preset, name, tc.from, tc.to, st.Convention)
					}
					last = int(st.Convention)
					var rows float64
					for _, r := range st.Rows {
						rows += r.EnergyPJ
					}
					if math.Abs(rows-st.EnergyPJ) > 1e-6*math.Max(1, math.Abs(st.EnergyPJ)) {
						t.Errorf("%s %s %v: rows add to %g pJ, the step is %g", preset, name, st.Convention, rows, st.EnergyPJ)
					}
					sumE += st.EnergyPJ
					sumC += st.Cycles
				}
				want := 0
				for c := range arch.NumConventions {
					if tc.from.Has(c) != tc.to.Has(c) {
						want++
					}
				}
				if len(ex.Steps) != want {
					t.Errorf("%s %s %v→%v: %d steps, want %d", preset, name, tc.from, tc.to, len(ex.Steps), want)
				}
				d := ex.ToResult.EnergyPJ - ex.FromResult.EnergyPJ
				if math.Abs(sumE-d) > 1e-6*math.Max(1, math.Abs(d)) || sumC != ex.ToResult.Cycles-ex.FromResult.Cycles {
					t.Errorf("%s %s %v→%v: steps add to %g pJ %d cycles, the results differ by %g pJ %d cycles", preset, name, tc.from, tc.to, sumE, sumC, d, ex.ToResult.Cycles-ex.FromResult.Cycles)
				}
				// The end is the evaluation under spec's own conventions.
				direct, err := cost.New(&s)
				if err != nil {
					t.Fatal(err)
				}
				r, err := direct.EvaluateBeyondLimits(l, mp)
				if err != nil {
					t.Fatal(err)
				}
				if r.EnergyPJ != ex.ToResult.EnergyPJ || r.Cycles != ex.ToResult.Cycles {
					t.Errorf("%s %s: explanation ends at %g pJ, the spec evaluates to %g", preset, name, ex.ToResult.EnergyPJ, r.EnergyPJ)
				}
			}
		}
	}
}
