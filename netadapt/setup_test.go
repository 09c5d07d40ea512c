package netadapt

import (
	"context"
	"strings"
	"testing"

	"github.com/nnergy/nnergy/measure"
	"github.com/nnergy/nnergy/nn/data"
	"github.com/nnergy/nnergy/nn/zoo"
)

func TestSetupCheck(t *testing.T) {
	id := func(o string) string { return o }
	for _, c := range []struct {
		name string
		edit func(*Setup)
		// want holds a text of every error, none for a valid setup.
		want []string
	}{
		{"defaults", func(*Setup) {}, nil},
		{"every bad option", func(s *Setup) {
			s.InitReduction, s.Decay, s.ShortSteps, s.CPUSamples, s.Workers, s.MaxEvals, s.LR = 1, 0, 0, 1, -1, 0, 0
			s.Measure, s.Search = measure.CountKind, true
		}, []string{"measure macs does not report energy", "init_reduction 1 outside (0, 1)", "decay 0 outside (0, 1]", "short_steps 0: want at least 1",
			"cpu_samples 1: want at least 2", "workers -1: want at least 0", "max_evals 0: want at least 1", "search maps layers", "lr and long_lr must be positive"}},
		{"holdout", func(s *Setup) { s.Train, s.Holdout = data.Synthetic(10, 1), 10 }, []string{"holdout 10 leaves no training images (the set has 10)"}},
	} {
		s := DefaultSetup()
		c.edit(&s)
		err := s.Check(id)
		if len(c.want) == 0 {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		if got := strings.Split(err.Error(), "\n"); len(got) != len(c.want) {
			t.Errorf("%s: %d errors, want %d:\n%v", c.name, len(got), len(c.want), err)
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %q lacks %q", c.name, err, w)
			}
		}
	}
}

// TestSetupRunCancelled checks that a cancelled run stops with the
// context's error.
func TestSetupRunCancelled(t *testing.T) {
	m, err := zoo.New("lenet5", 1)
	if err != nil {
		t.Fatal(err)
	}
	s := DefaultSetup()
	s.Model, s.Train, s.Test = m, data.Synthetic(300, 1), data.Synthetic(50, 2)
	s.Measure, s.Budget, s.Holdout, s.ShortSteps, s.Batch, s.Workers = measure.CountKind, Budget{Metric: measure.MACs, Fraction: 0.8}, 100, 2, 16, 1
	p, err := s.Prepare()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := p.Run(ctx); err != context.Canceled {
		t.Errorf("cancelled run: %v, want %v", err, context.Canceled)
	}
}
