package dataflow_test

import (
	"fmt"
	"testing"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/cost"
	"github.com/nnergy/nnergy/dataflow"
	"github.com/nnergy/nnergy/workload"
	"github.com/nnergy/nnergy/workload/zoo"
)

// TestInvariants builds a mapping of every dataflow for a sample of layers
// of every zoo model on every preset, and checks what must hold of any
// legal mapping: it is valid (no level over capacity, no fan-out beyond a
// mesh), it covers every MAC exactly once, its energy is at least the
// compulsory lower bound and its cycles at least the compute bound.
func TestInvariants(t *testing.T) {
	for _, name := range arch.Presets() {
		spec, err := arch.Preset(name)
		if err != nil {
			t.Fatal(err)
		}
		m, err := cost.New(spec)
		if err != nil {
			t.Fatal(err)
		}
		for _, model := range zoo.Names() {
			net, err := zoo.Get(model)
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range sample(net.Layers, 3) {
				for _, df := range dataflow.Dataflows {
					t.Run(fmt.Sprintf("%s/%s/%s/%s", name, model, l.Name, df), func(t *testing.T) {
						mp, err := dataflow.Build(df, l, m)
						if err != nil {
							t.Fatal(err)
						}
						r, err := m.Evaluate(l, mp)
						if err != nil {
							t.Fatal(err)
						}
						if !r.Valid {
							t.Fatalf("mapping breaks limits: %v\n%s", r.Violations, mp.Format())
						}
						if r.MACs != l.MACs() {
							t.Errorf("MACs %d, layer has %d", r.MACs, l.MACs())
						}
						if r.EnergyPJ < r.LowerBoundPJ*(1-1e-12) {
							t.Errorf("energy %g pJ below the lower bound %g pJ", r.EnergyPJ, r.LowerBoundPJ)
						}
						if r.Cycles < r.LowerBoundCycles || r.Utilization() > 1 {
							t.Errorf("cycles %d below the bound %d (utilization %g)", r.Cycles, r.LowerBoundCycles, r.Utilization())
						}
						for i, lv := range r.Levels {
							for tt, tr := range lv.Tensors {
								if !mp.Levels[i].Keep[tt] {
									continue
								}
								if c, own := spec.Levels[i].Capacity(workload.Tensor(tt)); own && tr.Tile > c {
									t.Errorf("level %s holds %d words of %s, partition %d", lv.Name, tr.Tile, workload.Tensor(tt), c)
								}
							}
						}
					})
				}
			}
		}
	}
}

// sample returns the first, the middle and the last of at most k layers.
func sample(ls []*workload.Layer, k int) []*workload.Layer {
	if len(ls) <= k {
		return ls
	}
	out := []*workload.Layer{ls[0], ls[len(ls)/2], ls[len(ls)-1]}
	return out[:k]
}

func TestParseDataflow(t *testing.T) {
	for _, df := range dataflow.Dataflows {
		got, err := dataflow.ParseDataflow(df.String())
		if err != nil || got != df {
			t.Errorf("ParseDataflow(%q) = %v, %v", df.String(), got, err)
		}
	}
	_, err := dataflow.ParseDataflow("xs")
	want := `dataflow: unknown dataflow "xs" (dataflows: ws, os, is, rs, nlr)`
	if err == nil || err.Error() != want {
		t.Errorf("error %v, want %q", err, want)
	}
}
