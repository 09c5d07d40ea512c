package nn_test

import (
	"context"
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/nnergy/nnergy/nn"
	"github.com/nnergy/nnergy/nn/data"
	"github.com/nnergy/nnergy/nn/zoo"
)

func trainLeNet(t *testing.T, workers int, seed uint64) (*nn.Model, []nn.Event) {
	t.Helper()
	m, err := zoo.New("lenet5", seed)
	if err != nil {
		t.Fatal(err)
	}
	hist, err := nn.Train(context.Background(), m, data.Synthetic(600, 1), data.Synthetic(200, 2), nn.TrainConfig{
		Epochs: 1, Batch: 50, Optimizer: &nn.SGD{Momentum: 0.9}, Schedule: nn.ConstantLR{Base: 0.05}, Seed: seed, Workers: workers})
	if err != nil {
		t.Fatal(err)
	}
	return m, hist
}

func TestTrainReproducible(t *testing.T) {
	a, ha := trainLeNet(t, 2, 3)
	b, hb := trainLeNet(t, 2, 3)
	for i, p := range a.Params() {
		if !slices.Equal(p.Data, b.Params()[i].Data) {
			t.Fatalf("param %d differs between two runs with the same seed", i)
		}
	}
	if ha[0].Loss != hb[0].Loss || *ha[0].Test != *hb[0].Test {
		t.Errorf("histories differ: %+v %+v", ha[0], hb[0])
	}
	c, _ := trainLeNet(t, 2, 4)
	if slices.Equal(a.Params()[0].Data, c.Params()[0].Data) {
		t.Error("different seeds gave the same weights")
	}
}

func TestTrainEventsAndCancel(t *testing.T) {
	m, _ := zoo.New("lenet5", 1)
	var steps, epochs int
	ctx, cancel := context.WithCancel(context.Background())
	_, err := nn.Train(ctx, m, data.Synthetic(300, 1), nil, nn.TrainConfig{Epochs: 3, Batch: 32, OnEvent: func(e nn.Event) {
		switch e.Kind {
		case nn.EventStep:
			steps++
			if e.Steps != 10 || e.Step != steps || e.Images > 300 || e.ImagesPerSec() <= 0 || math.IsNaN(e.Loss) {
				t.Errorf("step event %+v", e)
			}
		case nn.EventEpoch:
			epochs++
			if e.Test != nil || e.Images != 300 {
				t.Errorf("epoch event %+v", e)
			}
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) || steps != 10 || epochs != 1 {
		t.Errorf("err %v after %d steps, %d epochs", err, steps, epochs)
	}
}

func TestTrainRejectsMismatchedData(t *testing.T) {
	m, _ := zoo.New("lenet5", 1)
	s := data.Synthetic(10, 1)
	s.Classes = 5
	for i := range s.Y {
		s.Y[i] %= 5
	}
	_, err := nn.Train(context.Background(), m, s, nil, nn.TrainConfig{})
	if err == nil || err.Error() != "nn: model output shape [10], data set synthetic has 5 classes" {
		t.Errorf("got %v", err)
	}
}

func TestSchedules(t *testing.T) {
	tests := []struct {
		name  string
		s     nn.Schedule
		epoch float64
		want  float64
	}{
		{"constant", nn.ConstantLR{Base: 0.1}, 3, 0.1},
		{"step before", nn.StepLR{Base: 0.1, Every: 2, Gamma: 0.5}, 1.9, 0.1},
		{"step after", nn.StepLR{Base: 0.1, Every: 2, Gamma: 0.5}, 4.1, 0.025},
		{"cosine start", nn.CosineLR{Base: 0.1}, 0, 0.1},
		{"cosine middle", nn.CosineLR{Base: 0.1, Min: 0.02}, 5, 0.06},
		{"cosine end", nn.CosineLR{Base: 0.1}, 10, 0},
		{"warmup", nn.CosineLR{Base: 0.1, Warmup: 2}, 1, 0.05},
	}
	for _, tt := range tests {
		if got := tt.s.LR(tt.epoch, 10); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("%s: LR(%v) = %v, want %v", tt.name, tt.epoch, got, tt.want)
		}
	}
}
