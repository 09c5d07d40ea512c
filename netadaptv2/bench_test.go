package netadaptv2

import (
	"context"
	"testing"

	"github.com/nnergy/nnergy/nn"
	"github.com/nnergy/nnergy/nn/data"
	"github.com/nnergy/nnergy/nn/zoo"
)

// BenchmarkTrain compares ordered-dropout super-network training with
// plain training of LeNet-5 on one epoch of 1,024 synthetic images (batch
// 64, 1 worker): images/s of each, and the super-network's cost as a
// factor over plain training (DefaultSampling trains 4 sub-networks per
// step).
func BenchmarkTrain(b *testing.B) {
	train := data.Synthetic(1024, 1)
	for _, c := range []struct {
		name  string
		super bool
	}{{"plain", false}, {"super", true}} {
		b.Run(c.name, func(b *testing.B) {
			var images int
			for b.Loop() {
				m, err := zoo.New("lenet5", 1)
				if err != nil {
					b.Fatal(err)
				}
				if c.super {
					s, err := NewSuper(m, DefaultSampling.MinWidth)
					if err != nil {
						b.Fatal(err)
					}
					st, err := TrainSuper(context.Background(), s, TrainConfig{Train: train, Batch: 64, LR: 0.001, Workers: 1, Sampling: DefaultSampling})
					if err != nil {
						b.Fatal(err)
					}
					images += st.Images
					continue
				}
				if _, err := nn.Train(context.Background(), m, train, nil, nn.TrainConfig{Batch: 64, Optimizer: &nn.Adam{},
					Schedule: nn.CosineLR{Base: 0.001}, Workers: 1}); err != nil {
					b.Fatal(err)
				}
				images += train.Len()
			}
			b.ReportMetric(float64(images)/b.Elapsed().Seconds(), "images/s")
		})
	}
}
