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
	want := `dataflow: unknown dataflow "xs" (want ws, os, is, rs or nlr)`
	if err == nil || err.Error() != want {
		t.Errorf("error %v, want %q", err, want)
	}
}

// TestBuildSparse checks that the builder's mapping of a sparse layer is
// legal for that layer on every preset (capacities counted in the
// compressed formats the levels use), for fully connected and convolution
// shapes at weight and input densities down to 0.001.
func TestBuildSparse(t *testing.T) {
	fc := func(in, out int) *workload.Layer {
		l, err := workload.NewFC(fmt.Sprintf("fc%dx%d", out, in), 1, in, out)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	conv := func(name string, c workload.ConvSpec) *workload.Layer {
		c.Name = name
		l, err := workload.NewConv(c)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	layers := []*workload.Layer{
		fc(512, 1000),
		fc(4096, 4096),
		fc(9216, 4096),
		fc(2048, 1000),
		fc(784, 10),
		conv("conv3x3", workload.ConvSpec{InC: 256, OutC: 384, InH: 13, InW: 13, KH: 3, KW: 3, PadT: 1, PadB: 1, PadL: 1, PadR: 1}),
		conv("conv11", workload.ConvSpec{InC: 3, OutC: 96, InH: 227, InW: 227, KH: 11, KW: 11, StrideH: 4, StrideW: 4}),
		conv("pw", workload.ConvSpec{InC: 1024, OutC: 2048, InH: 7, InW: 7, KH: 1, KW: 1}),
		conv("dw", workload.ConvSpec{InC: 512, OutC: 512, Groups: 512, InH: 14, InW: 14, KH: 3, KW: 3, PadT: 1, PadB: 1, PadL: 1, PadR: 1}),
	}
	densities := []float64{1, 0.45, 0.1, 0.01, 0.001}
	for _, name := range arch.Presets() {
		spec, err := arch.Preset(name)
		if err != nil {
			t.Fatal(err)
		}
		m, err := cost.New(spec)
		if err != nil {
			t.Fatal(err)
		}
		for _, base := range layers {
			for _, dw := range densities {
				for _, di := range []float64{1, 0.3, 0.001} {
					l := base.WithBatch(1)
					l.Density[workload.Weights] = dw
					l.Density[workload.Inputs] = di
					for _, df := range dataflow.Dataflows {
						t.Run(fmt.Sprintf("%s/%s/w%g/i%g/%s", name, l.Name, dw, di, df), func(t *testing.T) {
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
						})
					}
				}
			}
		}
	}
}

// TestBuildHugeBounds builds every dataflow for layers with a prime bound
// of 2^31−1 and a bound of 2^32, which used to take minutes (divisors
// counted down from the bound).
func TestBuildHugeBounds(t *testing.T) {
	spec, err := arch.Preset("eyeriss")
	if err != nil {
		t.Fatal(err)
	}
	m, err := cost.New(spec)
	if err != nil {
		t.Fatal(err)
	}
	for _, sh := range []workload.Shape{
		{1, 1, 1<<31 - 1, 1, 1, 1, 1, 1},
		{1, 1, 4, 1 << 32, 1, 1, 1, 1},
		{1, 1, 4294967291, 2, 1, 1, 1, 1},
	} {
		l, err := workload.NewLayer("huge", workload.GEMM, sh, [2]int{1, 1}, [2]int{1, 1})
		if err != nil {
			t.Fatal(err)
		}
		for _, df := range []dataflow.Dataflow{dataflow.WS, dataflow.OS, dataflow.RS} {
			mp, err := dataflow.Build(df, l, m)
			if err != nil {
				continue // a dataflow may not fit; it must answer
			}
			if err := mp.CheckShape(l); err != nil {
				t.Errorf("%s on %v: %v", df, sh, err)
			}
		}
	}
}
