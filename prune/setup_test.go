package prune

import (
	"strings"
	"testing"
)

func TestSetupCheck(t *testing.T) {
	id := func(o string) string { return "--" + strings.ReplaceAll(o, "_", "-") }
	for _, c := range []struct {
		name string
		edit func(*Setup)
		want []string
	}{
		{"defaults", func(*Setup) {}, nil},
		{"every bad option", func(s *Setup) {
			s.FinetuneEpochs, s.Calibration, s.Batch, s.Workers, s.LR, s.MaxEvals, s.Methods = -1, 0, 0, -2, 0, 0, nil
		}, []string{"--finetune-epochs -1: want at least 0", "--calibration 0: want at least 1", "--batch 0: want at least 1",
			"--workers -2: want at least 0", "--lr and --tolerance must be positive", "--max-evals 0: want at least 1", "--method: none given"}},
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
			t.Fatalf("%s: no error", c.name)
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
	if _, err := (&Setup{}).Prepare(); err == nil || !strings.HasPrefix(err.Error(), "prune: ") {
		t.Errorf("Prepare of an empty setup: %v", err)
	}
}
