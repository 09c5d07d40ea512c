package cost_test

import (
	"fmt"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/cost"
	"github.com/nnergy/nnergy/mapping"
	"github.com/nnergy/nnergy/workload"
)

// Evaluate one convolution under a hand-written mapping on the Eyeriss
// preset and read the energy, its lower bound, the DRAM traffic and the
// split between dynamic and static (leakage) energy.
func ExampleModel_Evaluate() {
	spec, err := arch.Preset("eyeriss")
	if err != nil {
		panic(err)
	}
	m, err := cost.New(spec)
	if err != nil {
		panic(err)
	}
	l, err := workload.NewConv(workload.ConvSpec{Name: "conv", InC: 4, OutC: 16, InH: 16, InW: 16, KH: 3, KW: 3})
	if err != nil {
		panic(err)
	}
	mp, err := mapping.Parse("example", `DRAM keep Weights Inputs Outputs
  for M in [0:2)
GLB keep Weights Inputs Outputs
  for Q in [0:14)
  spatial-x P in [0:14)
  spatial-y R in [0:3)
RF keep Weights Inputs Outputs
  for M in [0:8)
  for C in [0:4)
  for S in [0:3)
`)
	if err != nil {
		panic(err)
	}
	r, err := m.Evaluate(l, mp)
	if err != nil {
		panic(err)
	}
	fmt.Printf("valid %v, %d MACs, %.1f pJ/MAC, %.2fx the lower bound\n", r.Valid, r.MACs, r.PJPerMAC(), r.BoundRatio())
	dram := r.Levels[0]
	fmt.Printf("DRAM reads: weights %d, inputs %d; output writes %d\n",
		dram.Tensors[workload.Weights].Reads, dram.Tensors[workload.Inputs].Reads, dram.Tensors[workload.Outputs].Writes)
	fmt.Printf("%d cycles, %.0f%% of the MACs busy\n", r.Cycles, 100*r.Utilization()) // bound by DRAM bandwidth
	// The energy is dynamic (accesses and MACs) plus the chip's leakage
	// over those cycles.
	macs := float64(r.MACs)
	fmt.Printf("%.2f pJ/MAC dynamic + %.2f static\n", r.DynamicPJ/macs, r.StaticPJ/macs)
	// Output:
	// valid true, 112896 MACs, 14.8 pJ/MAC, 1.57x the lower bound
	// DRAM reads: weights 576, inputs 1024; output writes 3136
	// 3947 cycles, 17% of the MACs busy
	// 14.47 pJ/MAC dynamic + 0.37 static
}
