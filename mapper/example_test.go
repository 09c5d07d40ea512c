package mapper_test

import (
	"context"
	"fmt"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/cost"
	"github.com/nnergy/nnergy/dataflow"
	"github.com/nnergy/nnergy/mapper"
	"github.com/nnergy/nnergy/mapspace"
	"github.com/nnergy/nnergy/workload"
)

// Search the row-stationary mapspace of a small convolution on Eyeriss
// exhaustively: the result is proven optimal for the space.
func ExampleSearch() {
	spec, err := arch.Preset("eyeriss")
	if err != nil {
		panic(err)
	}
	m, err := cost.New(spec)
	if err != nil {
		panic(err)
	}
	l, err := workload.NewConv(workload.ConvSpec{Name: "conv", InC: 2, OutC: 4, InH: 6, InW: 6, KH: 3, KW: 3})
	if err != nil {
		panic(err)
	}
	s, err := mapspace.New(l, spec, dataflow.Constraints(dataflow.RS, l, spec))
	if err != nil {
		panic(err)
	}
	best, st, err := mapper.Search(context.Background(), s, m, mapper.Settings{Algorithm: "exhaustive", MaxEvaluations: 1e9, Workers: 2})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%.1f pJ/MAC, %.2fx the lower bound; optimal: %v\n", best.Result.PJPerMAC(), best.Result.BoundRatio(), st.Optimal)
	fmt.Print(best.Mapping)
	// Output:
	// 44.2 pJ/MAC, 1.19x the lower bound; optimal: true
	// DRAM keep Weights Inputs Outputs
	//   for Q in [0:2)
	// GLB keep none
	//   for Q in [0:2)
	//   spatial-x P in [0:4)
	//   spatial-y R in [0:3)
	// RF keep Weights Inputs Outputs
	//   for M in [0:4)
	//   for C in [0:2)
	//   for S in [0:3)
}
