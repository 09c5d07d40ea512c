package nn_test

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nnergy/nnergy/nn"
	"github.com/nnergy/nnergy/nn/data"
	"github.com/nnergy/nnergy/nn/zoo"
)

// resumeModel returns a small model with dropout and batch norm, so that a
// resume must restore the dropout counter and the running statistics.
func resumeModel(t *testing.T, seed uint64) *nn.Model {
	t.Helper()
	m := nn.New("x", 1, 28, 28)
	x := m.Add("conv", nn.NewConv(1, 4, 5, 2, 0), "x")
	x = m.Add("bn", nn.NewBatchNorm(4), x)
	x = m.Add("relu", nn.NewReLU(), x)
	x = m.Add("flat", &nn.Flatten{}, x)
	x = m.Add("drop", nn.NewDropout(0.3), x)
	m.Add("fc", nn.NewLinear(4*12*12, 10), x)
	nn.Init(m, seed)
	if err := m.Check(); err != nil {
		t.Fatal(err)
	}
	return m
}

// saved returns m in the native format.
func saved(t *testing.T, m *nn.Model) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := nn.Save(&b, m); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// sameHistory reports whether two histories are equal apart from timings.
func sameHistory(a, b []nn.Event) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		// Timings: Resumed says which images Elapsed did not time.
		x.Elapsed, y.Elapsed, x.Resumed, y.Resumed = 0, 0, 0, 0
		if (x.Test == nil) != (y.Test == nil) || x.Test != nil && *x.Test != *y.Test {
			return false
		}
		x.Test, y.Test = nil, nil
		if x != y {
			return false
		}
	}
	return true
}

// TestTrainResumeEqualsUninterrupted stops training runs after a random
// step (seeded), several times each, resumes them from their checkpoint
// and checks the model and the history are those of an uninterrupted run.
func TestTrainResumeEqualsUninterrupted(t *testing.T) {
	train, test := data.Synthetic(200, 1), data.Synthetic(50, 2)
	const epochs, batch = 3, 32
	steps := (train.Len() + batch - 1) / batch
	for _, tc := range []struct {
		name  string
		model func(t *testing.T) *nn.Model
		opt   func() nn.Optimizer
		sched nn.Schedule
	}{
		{"dropout, bn, adam, cosine", func(t *testing.T) *nn.Model { return resumeModel(t, 3) },
			func() nn.Optimizer { return &nn.Adam{WeightDecay: 1e-4} }, nn.CosineLR{Base: 0.003}},
		{"lenet5, sgd nesterov, step", func(t *testing.T) *nn.Model { m, _ := zoo.New("lenet5", 4); return m },
			func() nn.Optimizer { return &nn.SGD{Momentum: 0.9, Nesterov: true} }, nn.StepLR{Base: 0.05, Every: 1, Gamma: 0.5}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := func() nn.TrainConfig {
				return nn.TrainConfig{Epochs: epochs, Batch: batch, Optimizer: tc.opt(), Schedule: tc.sched, Seed: 7, Workers: 2}
			}
			want := tc.model(t)
			wantHist, err := nn.Train(context.Background(), want, train, test, cfg())
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(11, uint64(len(tc.name))))
			for range 3 {
				dir := t.TempDir()
				m := tc.model(t)
				// Stop after a random step; a run may be stopped more
				// than once.
				stops := []int{1 + rng.IntN(epochs*steps-1)}
				if rng.IntN(2) == 0 {
					stops = append(stops, stops[0]+1+rng.IntN(epochs*steps-stops[0]))
				}
				var hist []nn.Event
				for i := 0; ; i++ {
					ctx, cancel := context.WithCancel(context.Background())
					c := cfg()
					c.Checkpoint = dir
					if i > 0 {
						c.Resume, c.Checkpoint = dir, ""
						m = tc.model(t)
					}
					done, first := 0, true
					c.OnEvent = func(ev nn.Event) {
						if first && i > 0 {
							// The first step after a resume in mid-epoch
							// times only its own images.
							first = false
							want := 0
							if ev.Epoch == (stops[i-1])/steps+1 {
								want = stops[i-1] % steps * batch
							}
							if ev.Resumed != want || ev.Kind == nn.EventStep && ev.Images-ev.Resumed != batch && ev.Step < steps {
								t.Errorf("resumed after step %d: first event %+v, want %d images resumed", stops[i-1], ev, want)
							}
						}
						if done = (ev.Epoch-1)*ev.Steps + ev.Step; i < len(stops) && ev.Kind == nn.EventStep && done == stops[i] {
							cancel()
						}
					}
					hist, err = nn.Train(ctx, m, train, test, c)
					cancel()
					if i < len(stops) && stops[i] < epochs*steps {
						if !errors.Is(err, context.Canceled) {
							t.Fatalf("stop %d after step %d: %v", i, stops[i], err)
						}
						p, err := nn.ReadCheckpoint(dir)
						if err != nil {
							t.Fatal(err)
						}
						if got := (p.Epoch-1)*p.Steps + p.Step; got != stops[i] {
							t.Fatalf("checkpoint at step %d (%+v), stopped after %d", got, p, stops[i])
						}
						continue
					}
					if err != nil {
						t.Fatalf("resumed after %v: %v", stops, err)
					}
					break
				}
				if !bytes.Equal(saved(t, m), saved(t, want)) {
					t.Errorf("stopped after steps %v and resumed: the model differs from an uninterrupted run's", stops)
				}
				if !sameHistory(hist, wantHist) {
					t.Errorf("stopped after steps %v and resumed: history\n%+v\nwant\n%+v", stops, hist, wantHist)
				}
			}
		})
	}
}

// TestTrainResumeRefusesAnotherRun resumes a checkpoint with settings that
// differ from its run's: each difference is named.
func TestTrainResumeRefusesAnotherRun(t *testing.T) {
	train := data.Synthetic(100, 1)
	dir := t.TempDir()
	base := func() nn.TrainConfig {
		return nn.TrainConfig{Epochs: 2, Batch: 50, Optimizer: &nn.Adam{}, Schedule: nn.ConstantLR{Base: 0.01}, Seed: 1, Workers: 1}
	}
	c := base()
	c.Checkpoint, c.Epochs = dir, 1
	c.Epochs = 2
	ctx, cancel := context.WithCancel(context.Background())
	c.OnEvent = func(ev nn.Event) { cancel() }
	if _, err := nn.Train(ctx, resumeModel(t, 1), train, nil, c); !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		edit  func(c *nn.TrainConfig, m **nn.Model, set **data.Set)
		wants []string
	}{
		{"epochs", func(c *nn.TrainConfig, _ **nn.Model, _ **data.Set) { c.Epochs = 3 }, []string{"epochs is 2, not 3"}},
		{"seed and batch", func(c *nn.TrainConfig, _ **nn.Model, _ **data.Set) { c.Seed, c.Batch = 2, 10 },
			[]string{"seed is 1, not 2", "batch is 50, not 10"}},
		{"optimizer", func(c *nn.TrainConfig, _ **nn.Model, _ **data.Set) { c.Optimizer = &nn.SGD{} }, []string{"optimizer is adam"}},
		{"schedule", func(c *nn.TrainConfig, _ **nn.Model, _ **data.Set) { c.Schedule = nn.ConstantLR{Base: 0.02} }, []string{"schedule is"}},
		{"workers", func(c *nn.TrainConfig, _ **nn.Model, _ **data.Set) { c.Workers = 2 }, []string{"workers is 1, not 2"}},
		{"model", func(_ *nn.TrainConfig, m **nn.Model, _ **data.Set) { *m = resumeModel(t, 2) }, []string{"started from another model"}},
		{"data", func(_ *nn.TrainConfig, _ **nn.Model, s **data.Set) { *s = data.Synthetic(90, 1) }, []string{"images is 100, not 90"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, m, set := base(), resumeModel(t, 1), train
			c.Resume = dir
			tc.edit(&c, &m, &set)
			_, err := nn.Train(context.Background(), m, set, nil, c)
			if err == nil {
				t.Fatal("resumed")
			}
			for _, w := range tc.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q: %v", w, err)
				}
			}
		})
	}
	// A corrupt checkpoint is refused as one.
	path := filepath.Join(dir, nn.CheckpointFile)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 1
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	c = base()
	c.Resume = dir
	if _, err := nn.Train(context.Background(), resumeModel(t, 1), train, nil, c); !errors.Is(err, nn.ErrCheckpoint) {
		t.Errorf("corrupt checkpoint: %v", err)
	}
}
