package cost_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/cost"
	"github.com/nnergy/nnergy/dataflow"
	"github.com/nnergy/nnergy/workload"
	"github.com/nnergy/nnergy/workload/zoo"
)

// TestUtilizationAtMostOne checks, over random sparse layers (of zoo
// networks and of random shapes) on every
// preset and dataflow, that the MAC units are never more than fully busy:
// skipped MACs take no cycle and no unit, so utilization (and the sum of
// layers') is at most 1 and the busy MACs at most the MACs.
func TestUtilizationAtMostOne(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 4))
	densities := []float64{1, 0.9, 0.5, 0.3, 0.2, 0.1, 0.01, 0.001}
	nets := []string{"alexnet", "resnet18", "vgg16", "mobilenet"}
	for _, name := range arch.Presets() {
		spec, err := arch.Preset(name)
		if err != nil {
			t.Fatal(err)
		}
		m, err := cost.New(spec)
		if err != nil {
			t.Fatal(err)
		}
		var total cost.Result
		for k := range 24 {
			var l *workload.Layer
			switch k % 3 {
			case 0:
				net, err := zoo.Get(nets[rng.IntN(len(nets))])
				if err != nil {
					t.Fatal(err)
				}
				l = net.Layers[rng.IntN(len(net.Layers))].WithBatch(1)
			case 1:
				l, err = workload.NewFC("fc", 1+rng.IntN(4), 64<<rng.IntN(5), 10+rng.IntN(1000))
			default:
				kh := 1 + 2*rng.IntN(3)
				l, err = workload.NewConv(workload.ConvSpec{Name: "conv", InC: 3 + rng.IntN(128), OutC: 8 + rng.IntN(256),
					InH: 7 + rng.IntN(50), InW: 7 + rng.IntN(50), KH: kh, KW: kh, PadT: kh / 2, PadB: kh / 2, PadL: kh / 2, PadR: kh / 2})
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, tt := range workload.Tensors {
				l.Density[tt] = densities[rng.IntN(len(densities))]
			}
			df := dataflow.Dataflows[rng.IntN(len(dataflow.Dataflows))]
			t.Run(fmt.Sprintf("%s/%d/%v/%s", name, k, l.Density, df), func(t *testing.T) {
				mp, err := dataflow.Build(df, l, m)
				if err != nil {
					t.Skip(err)
				}
				r, err := m.Evaluate(l, mp)
				if err != nil {
					t.Fatal(err)
				}
				if u := r.Utilization(); u > 1 || u <= 0 {
					t.Errorf("utilization %g (%d busy of %d MACs, %d cycles, %d units)", u, r.BusyMACs, r.MACs, r.Cycles, r.MACUnits)
				}
				if r.BusyMACs > r.MACs {
					t.Errorf("%d busy MACs of %d", r.BusyMACs, r.MACs)
				}
				if a := r.ActiveMACUnits(); a > float64(r.UsedMACUnits) {
					t.Errorf("%g active MAC units, the mapping uses %d", a, r.UsedMACUnits)
				}
				total = total.Add(r)
			})
		}
		if u := total.Utilization(); u > 1 {
			t.Errorf("%s: total utilization %g", name, u)
		}
	}
}
