package explore_test

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/cost"
	"github.com/nnergy/nnergy/dataflow"
	"github.com/nnergy/nnergy/explore"
	"github.com/nnergy/nnergy/sparse"
	"github.com/nnergy/nnergy/workload"
)

func model(t *testing.T, name string) *cost.Model {
	t.Helper()
	spec, err := arch.Preset(name)
	if err != nil {
		t.Fatal(err)
	}
	m, err := cost.New(spec)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// prunedConv returns a convolution whose weights are real values of which
// round(d·n) at random places are kept (the rest zero), measured; with
// filters set, whole filters are kept instead (structured pruning).
func prunedConv(t *testing.T, name string, seed uint64, d float64, filters bool) *workload.Layer {
	t.Helper()
	l, err := workload.NewConv(workload.ConvSpec{Name: name, InC: 32, OutC: 64, InH: 14, InW: 14, KH: 3, KW: 3, PadT: 1, PadB: 1, PadL: 1, PadR: 1})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 1))
	sh := l.Shape
	v := make([]float32, l.Size(workload.Weights))
	unit := 1
	if filters {
		unit = len(v) / sh[workload.M]
	}
	units := len(v) / unit
	keep := int(math.Round(d * float64(units)))
	for _, u := range rng.Perm(units)[:keep] {
		for i := u * unit; i < (u+1)*unit; i++ {
			v[i] = float32(rng.NormFloat64())
		}
	}
	ms, err := sparse.NewMeasured(sparse.Tensor{Shape: []int{sh[workload.G], sh[workload.M], sh[workload.C], sh[workload.R], sh[workload.S]}, Values: v})
	if err != nil {
		t.Fatal(err)
	}
	l.Measured[workload.Weights] = ms
	l.Density[workload.Weights] = float64(keep*unit) / float64(len(v))
	return l
}

// TestDenseTwin checks the dense twin: every layer under its own mapping
// with every tensor dense and no measured values, and a mapping chosen for
// compressed tiles that does not fit them dense evaluated all the same,
// marked invalid.
func TestDenseTwin(t *testing.T) {
	m := model(t, "eyeriss-v2")
	fc, err := workload.NewFC("fc", 1, 512, 1000)
	if err != nil {
		t.Fatal(err)
	}
	fc.Density[workload.Weights] = 0.1
	conv := prunedConv(t, "conv", 1, 0.3, false)
	net := &workload.Network{Name: "pruned", Input: [4]int{1, 512, 1, 1}, Layers: []*workload.Layer{fc, conv}}
	res, err := explore.Evaluate(context.Background(), m, net, explore.DataflowMapper(m, dataflow.RS))
	if err != nil {
		t.Fatal(err)
	}
	twin, err := explore.DenseTwin(m, res)
	if err != nil {
		t.Fatal(err)
	}
	if len(twin.Layers) != 2 {
		t.Fatalf("%d twin layers, want 2", len(twin.Layers))
	}
	// The FC layer's mapping holds 400 weights per RF, compressed at
	// density 0.1; dense they need 400 words of a 192-word partition.
	fr := twin.Layers[0].Result
	if fr.Valid || len(fr.Violations) == 0 || fr.Violations[0].Kind != cost.Capacity {
		t.Errorf("dense FC under the sparse mapping: valid %v, violations %v; want a capacity violation", fr.Valid, fr.Violations)
	}
	if !(fr.EnergyPJ > res.Layers[0].Result.EnergyPJ) || fr.MACs != fc.MACs() {
		t.Errorf("dense FC: %g pJ, %d MACs; sparse %g pJ", fr.EnergyPJ, fr.MACs, res.Layers[0].Result.EnergyPJ)
	}
	// The twin of the measured convolution is the plain dense layer.
	plain := conv.WithBatch(1)
	plain.Density, plain.Measured = [workload.NumTensors]float64{1, 1, 1}, [workload.NumTensors]*sparse.Measured{}
	want, err := m.Evaluate(plain, res.Layers[1].Mapping)
	if err != nil {
		t.Fatal(err)
	}
	if got := twin.Layers[1].Result; got.EnergyPJ != want.EnergyPJ || got.Cycles != want.Cycles {
		t.Errorf("dense twin of the measured conv: %g pJ, %d cycles; the dense layer: %g pJ, %d cycles", got.EnergyPJ, got.Cycles, want.EnergyPJ, want.Cycles)
	}
	if twin.Total.Valid || twin.Total.EnergyPJ != fr.EnergyPJ+twin.Layers[1].Result.EnergyPJ {
		t.Errorf("twin total: valid %v, %g pJ", twin.Total.Valid, twin.Total.EnergyPJ)
	}
}
