package prune

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/nnergy/nnergy/measure"
	"github.com/nnergy/nnergy/nn"
	"github.com/nnergy/nnergy/nn/data"
)

// sameResults checks that b is a: the same steps (NaN accuracies equal)
// and the same models, bytes compared.
func sameResults(t *testing.T, a, b *Result) {
	t.Helper()
	if len(a.Steps) != len(b.Steps) {
		t.Fatalf("%d steps, uninterrupted %d", len(b.Steps), len(a.Steps))
	}
	for i := range a.Steps {
		x, y := a.Steps[i], b.Steps[i]
		if x.Accuracy != x.Accuracy && y.Accuracy != y.Accuracy {
			x.Accuracy, y.Accuracy = 0, 0
		}
		if !reflect.DeepEqual(x, y) {
			t.Errorf("step %d: %+v, uninterrupted %+v", i, y, x)
		}
	}
	if a.Reached != b.Reached || a.Tolerance != b.Tolerance || len(a.Targets) != len(b.Targets) {
		t.Fatalf("reached %v tolerance %v targets %d; uninterrupted %v %v %d", b.Reached, b.Tolerance, len(b.Targets), a.Reached, a.Tolerance, len(a.Targets))
	}
	for i := range a.Targets {
		var x, y bytes.Buffer
		if err := nn.Save(&x, a.Targets[i].Model); err != nil {
			t.Fatal(err)
		}
		if err := nn.Save(&y, b.Targets[i].Model); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(x.Bytes(), y.Bytes()) {
			t.Errorf("target %v: the model differs from the uninterrupted run's", a.Targets[i].Target)
		}
	}
}

// TestResumeEqualsUninterrupted stops pruning runs after a random step
// (seeded), once or twice, and resumes them from their checkpoints: each
// ends with the uninterrupted run's steps and models. A checkpoint of
// another run is refused.
func TestResumeEqualsUninterrupted(t *testing.T) {
	ctx := context.Background()
	m := trained(t)
	target, ms, err := ParseTargets("energy=0.8,0.6")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"magnitude weights", Config{Target: mustTarget(t, "sparsity=0.7"), Milestones: []Target{mustTarget(t, "sparsity=0.3")}, Increment: 0.15}},
		{"magnitude filters", Config{Granularity: Filter, Target: target, Milestones: ms, Increment: 0.2}},
		{"energy-aware filters", Config{Method: EnergyAware, Granularity: Filter, Target: target, Milestones: ms, Increment: 0.2}},
		{"energy-aware weights", Config{Method: EnergyAware, Target: mustTarget(t, "energy=0.7"), Increment: 0.3, MaxSteps: 10}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			cfg.Measurer, cfg.Calibration, cfg.Test, cfg.Train, cfg.Workers = hw(t, "eyeriss"), measure.Batch(data.Synthetic(256, 5), 256),
				data.Synthetic(200, 9), data.Synthetic(300, 11), 2
			cfg.Finetune = nn.TrainConfig{Epochs: 1, Batch: 32, Optimizer: &nn.Adam{}, Schedule: nn.ConstantLR{Base: 0.001}, Seed: 2}
			want, err := Run(ctx, m, cfg)
			if err != nil {
				t.Fatal(err)
			}
			pruning := 0
			for _, s := range want.Steps {
				if s.Target == "" {
					pruning++
				}
			}
			rng := rand.New(rand.NewPCG(7, uint64(len(tc.name))))
			for _, stops := range []int{1, 2} {
				dir := t.TempDir()
				c := cfg
				c.Checkpoint = dir
				for k := range stops {
					// Stop after step n of the pruning (1 is the start).
					n := 1 + rng.IntN(max(1, pruning-1))
					sctx, cancel := context.WithCancel(ctx)
					seen := 0
					c.OnStep = func(Step) {
						if seen++; seen >= n {
							cancel()
						}
					}
					_, err := Run(sctx, m, c)
					cancel()
					if err != nil && !errors.Is(err, context.Canceled) {
						t.Fatalf("stop %d after %d steps: %v", k, n, err)
					}
					if err == nil {
						break // finished before the stop
					}
					c.Resume = dir
				}
				c.OnStep = nil
				got, err := Run(ctx, m, c)
				if err != nil {
					t.Fatal(err)
				}
				sameResults(t, want, got)
			}
			// Another run's checkpoint.
			dir := t.TempDir()
			c := cfg
			c.Checkpoint = dir
			c.MaxSteps = 1
			if _, err := Run(ctx, m, c); err != nil {
				t.Fatal(err)
			}
			c.Resume, c.Increment = dir, cfg.Increment/2
			if _, err := Run(ctx, m, c); err == nil || !strings.Contains(err.Error(), "another run's: increment") {
				t.Errorf("resume with another increment: %v", err)
			}
		})
	}
	// A damaged state is an error naming the file.
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, checkpointState), []byte(`{"version": 1, "bogus": 2}`), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := Config{Target: mustTarget(t, "sparsity=0.5"), Measurer: hw(t, "eyeriss"), Resume: dir}
	if _, err := Run(ctx, m, cfg); err == nil || !strings.Contains(err.Error(), checkpointState) {
		t.Errorf("damaged state: %v", err)
	}
}
