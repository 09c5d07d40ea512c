package netadaptv2

import (
	"context"
	"math/rand/v2"
	"syscall"
	"testing"

	"github.com/nnergy/nnergy/nn"
	"github.com/nnergy/nnergy/nn/data"
	"github.com/nnergy/nnergy/nn/zoo"
)

// BenchmarkTrain compares ordered-dropout super-network training with
// plain training of LeNet-5 on one epoch of 1,024 synthetic images (batch
// 64, 1 worker), in images/s: DefaultSampling trains 4 sub-networks per
// step, sharing out the batch among them (super-split, one pass of the
// batch per step) or each on the whole batch (super, four passes).
func BenchmarkTrain(b *testing.B) {
	train := data.Synthetic(1024, 1)
	whole := DefaultSampling
	whole.Split = false
	for _, c := range []struct {
		name  string
		super bool
		smp   Sampling
	}{{"plain", false, Sampling{}}, {"super", true, whole}, {"super-split", true, DefaultSampling}} {
		b.Run(c.name, func(b *testing.B) {
			var images int
			cpu0 := cpuSeconds()
			for b.Loop() {
				m, err := zoo.New("lenet5", 1)
				if err != nil {
					b.Fatal(err)
				}
				if c.super {
					s, err := NewSuper(m, DefaultSampling.MinWidth, true)
					if err != nil {
						b.Fatal(err)
					}
					st, err := TrainSuper(context.Background(), s, TrainConfig{Train: train, Batch: 64, LR: 0.001, Workers: 1, Sampling: c.smp})
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
			b.ReportMetric(float64(images)/(cpuSeconds()-cpu0), "images/cpu-s")
		})
	}
}

// BenchmarkScore scores NetAdaptV2 proposals of LeNet-5 as a search
// does (5,000 held-out images, one worker per proposal): on the
// super-network masked to the proposal's widths (the former way) and on
// the sub-network cut out by surgery (the search's way, the same
// accuracies), in proposals/s.
func BenchmarkScore(b *testing.B) {
	m, err := zoo.New("lenet5", 1)
	if err != nil {
		b.Fatal(err)
	}
	s, err := NewSuper(m, DefaultSampling.MinWidth, true)
	if err != nil {
		b.Fatal(err)
	}
	r := &run{s: s, cfg: Config{Holdout: data.Synthetic(5000, 2), Calibration: data.Synthetic(1280, 1), CalibBatches: 20}}
	// Proposals of a search's middle: every unit at 50–100 % of its filters.
	rng := rand.New(rand.NewPCG(1, 2))
	var props []Widths
	for range 8 {
		w := s.FullWidths()
		for u := range w {
			w[u] = max(s.Units[u].Min, w[u]/2+rng.IntN(w[u]/2+1))
		}
		props = append(props, w)
	}
	for _, c := range []struct {
		name  string
		score func(Widths) (float64, error)
	}{{"masked", r.scoreMasked}, {"extracted", func(w Widths) (float64, error) { return r.score(context.Background(), w) }}} {
		b.Run(c.name, func(b *testing.B) {
			n := 0
			cpu0 := cpuSeconds()
			for b.Loop() {
				if _, err := c.score(props[n%len(props)]); err != nil {
					b.Fatal(err)
				}
				n++
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "proposals/s")
			b.ReportMetric(float64(n)/(cpuSeconds()-cpu0), "proposals/cpu-s")
		})
	}
}

// cpuSeconds returns the process's CPU time (user and system): on a
// shared machine, throughput per CPU second is steadier than per second.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
