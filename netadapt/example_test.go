package netadapt_test

import (
	"context"
	"fmt"

	"github.com/nnergy/nnergy/measure"
	"github.com/nnergy/nnergy/netadapt"
	"github.com/nnergy/nnergy/nn/data"
	"github.com/nnergy/nnergy/nn/zoo"
)

// Adapt LeNet-5 to 70% of its MACs, fine-tuning proposals for a few steps
// on synthetic digits.
func ExampleRun() {
	m, _ := zoo.New("lenet5", 1)
	budget, _ := netadapt.ParseBudget("macs=0.7")
	res, err := netadapt.Run(context.Background(), m, netadapt.Config{
		Measurer:      measure.Count{},
		Budget:        budget,
		InitReduction: 0.1,
		Tuner:         &netadapt.Trainer{Train: data.Synthetic(1000, 1), Holdout: data.Synthetic(200, 2), ShortSteps: 2},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	// Which layers shrink depends on the fine-tuned accuracies; the budget
	// is met either way.
	fmt.Printf("%s: %.0f MACs -> %.0f or fewer: %v\n", res.Stop, res.Initial, res.Budget, res.Resource <= res.Budget)
	for _, it := range res.Iterations {
		if it.Resource > it.Target {
			fmt.Printf("iteration %d misses its target\n", it.Iteration)
		}
	}
	// Output:
	// budget met: 416520 MACs -> 291564 or fewer: true
}
