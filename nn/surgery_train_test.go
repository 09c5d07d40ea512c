package nn_test

import (
	"context"
	"testing"

	"github.com/nnergy/nnergy/nn"
	"github.com/nnergy/nnergy/nn/data"
	"github.com/nnergy/nnergy/nn/zoo"
)

// TestTrainShortBatchAfterSurgery trains LeNet-5 after removing most of
// fc1's outputs, with a last batch shorter than the others: the split of
// the weight-gradient product must not slice past its operands.
func TestTrainShortBatchAfterSurgery(t *testing.T) {
	m, err := zoo.New("lenet5", 1)
	if err != nil {
		t.Fatal(err)
	}
	idx := make([]int, 62)
	for i := range idx {
		idx[i] = i
	}
	if _, err := nn.RemoveFilters(m, "fc1", idx); err != nil {
		t.Fatal(err)
	}
	set := data.Synthetic(96, 1)
	if _, err := nn.Train(context.Background(), m, set, nil, nn.TrainConfig{Epochs: 1, Batch: 64, Workers: 2}); err != nil {
		t.Fatal(err)
	}
}
