package zoo

import (
	"context"
	"testing"

	"github.com/nnergy/nnergy/nn"
	"github.com/nnergy/nnergy/nn/data"
)

func TestModelsCheck(t *testing.T) {
	want := map[string]int{"lenet5": 61706}
	for _, name := range Names() {
		m, err := New(name, 1)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Check(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if w, ok := want[name]; ok && m.NumParams() != w {
			t.Errorf("%s: %d parameters, want %d", name, m.NumParams(), w)
		}
	}
	if _, err := New("resnet", 1); err == nil || err.Error() != `zoo: unknown model "resnet" (have lenet5, mobilenet-small, vgg-small)` {
		t.Errorf("unknown model: %v", err)
	}
}

// TestModelsLearnSynthetic trains every zoo model briefly on the synthetic
// set and requires test accuracy far above chance (10%).
func TestModelsLearnSynthetic(t *testing.T) {
	train, test := data.Synthetic(1200, 1), data.Synthetic(300, 2)
	cases := []struct {
		name string
		lr   float64
		min  float64
	}{
		{"lenet5", 0.002, 0.9},
		{"vgg-small", 0.002, 0.9},
		{"mobilenet-small", 0.01, 0.8},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, _ := New(c.name, 1)
			hist, err := nn.Train(context.Background(), m, train, test, nn.TrainConfig{
				Epochs: 2, Batch: 32, Optimizer: &nn.Adam{}, Schedule: nn.ConstantLR{Base: c.lr}, Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			last := hist[len(hist)-1]
			if last.Test.Accuracy < c.min {
				t.Errorf("test accuracy %.3f after %d epochs, want >= %.2f (loss %.3f)", last.Test.Accuracy, len(hist), c.min, last.Loss)
			}
		})
	}
}
