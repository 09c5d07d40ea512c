package cli

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nnergy/nnergy/nn/data"
)

// TestTestNormalize checks that `nnergy test --help` states the input
// normalisation with its values, and that --normalize changes it.
func TestTestNormalize(t *testing.T) {
	_, stdout, _ := runNnergy(t, "test", "--help")
	for _, want := range []string{"(x - 0.1307) / 0.3081", "--normalize"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("test --help lacks %q:\n%s", want, stdout)
		}
	}
	out := filepath.Join(t.TempDir(), "m.nnw")
	if code, _, stderr := runNnergy(t, "train", "--model", "lenet5", "--data", "synthetic", "--epochs", "1",
		"--train-images", "500", "--train-batch", "32", "--seed", "3", "--out", out); code != 0 {
		t.Fatalf("train: exit %d: %s", code, stderr)
	}
	results := map[string]string{}
	for _, norm := range []string{"", "mnist", "0.1307,0.3081", "none", "0.5,0.5"} {
		args := []string{"test", "--model", out, "--data", "synthetic"}
		if norm != "" {
			args = append(args, "--normalize", norm)
		}
		code, stdout, stderr := runNnergy(t, args...)
		if code != 0 {
			t.Fatalf("--normalize %s: exit %d: %s", norm, code, stderr)
		}
		results[norm] = stdout
	}
	if results["mnist"] != results["0.1307,0.3081"] || results[""] != results["mnist"] {
		t.Errorf("mnist and its values differ:\n%s%s", results["mnist"], results["0.1307,0.3081"])
	}
	if results["mnist"] == results["none"] || results["none"] == results["0.5,0.5"] {
		t.Errorf("--normalize changes nothing:\n%v", results)
	}
	for _, bad := range []string{"0.5", "a,b", "0.5,0", "0.5,-1"} {
		code, _, stderr := runNnergy(t, "test", "--model", out, "--data", "synthetic", "--normalize", bad)
		if want := `nnergy: test: --normalize: want mnist, fashion-mnist, none or MEAN,STD with a positive STD, got "` + bad + "\"\n"; code != 2 || stderr != want {
			t.Errorf("--normalize %s: exit %d, stderr %q", bad, code, stderr)
		}
	}
}

// TestRenormalize checks that none gives the pixels in 0..1.
func TestRenormalize(t *testing.T) {
	s := data.Synthetic(50, 1)
	renormalize(s, data.MNISTMean, data.MNISTStd, 0, 1)
	lo, hi := slices.Min(s.X), slices.Max(s.X)
	if lo < -1e-6 || hi > 1+1e-6 || hi < 0.5 {
		t.Errorf("pixels in [%v, %v], want within [0, 1]", lo, hi)
	}
}
