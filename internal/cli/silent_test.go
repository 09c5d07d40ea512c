package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestBadValuesRefused runs the bad values of issue 15 that used to pass
// silently into wrong results, each refused now with a message naming the
// file and line, the flag or the field. Paths are written relative to the
// test's directory so that the transcript does not depend on it.
func TestBadValuesRefused(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	const conv1 = alexnetConv1Map
	write("good.map", conv1)
	write("renamed.map", strings.Replace(conv1, "GLB keep", "SRAM keep", 1))
	write("none.map", strings.Replace(conv1, "GLB keep Inputs", "GLB keep none Inputs", 1))
	preset, err := os.ReadFile("../../arch/presets/eyeriss.yaml")
	if err != nil {
		t.Fatal(err)
	}
	clock := regexp.MustCompile(`(?m)^clock_mhz: .*$`)
	write("slow.yaml", clock.ReplaceAllString(string(preset), "clock_mhz: 1e-300"))
	write("fast.yaml", clock.ReplaceAllString(string(preset), "clock_mhz: 1e308"))
	const onnx = "../../workload/onnx/testdata/"
	cases := [][]string{
		// The static energy was +Inf, NaN% of the total; 1e308 MHz was an
		// unpositioned internal error.
		{"eval", "--model", "lenet5", "--arch", "DIR/slow.yaml"},
		{"eval", "--model", "lenet5", "--arch", "DIR/fast.yaml"},
		{"eval", "--layer", "conv1", "--mapping", "DIR/good.map"},
		{"eval", "--layer", "conv1", "--mapping", "DIR/renamed.map"},
		{"eval", "--layer", "conv1", "--mapping", "DIR/none.map"},
		{"eval", "--model", onnx + "tiny_cnn.onnx", "--sparsity-from", onnx + "pruned_cnn.onnx"},
	}
	var b strings.Builder
	for _, c := range cases {
		args := make([]string, len(c))
		for i, a := range c {
			args[i] = strings.ReplaceAll(a, "DIR", dir)
		}
		code, out, errOut := runNnergy(t, append(args, "--store", "none")...)
		if nonFinite.MatchString(out + errOut) {
			t.Errorf("%v printed a non-finite figure:\n%s%s", c, out, errOut)
		}
		if code == 0 {
			errOut = "(ran)\n"
		}
		fmt.Fprintf(&b, "$ nnergy %s\nexit %d\n%s\n", strings.Join(c, " "), code, strings.ReplaceAll(errOut, dir, "DIR"))
	}
	checkGolden(t, "bad_values.golden", b.String())
}

// nonFinite matches a figure printed as NaN or Inf.
var nonFinite = regexp.MustCompile(`\b(NaN|[+-]?Inf)\b`)

// TestAdaptResumeMismatch resumes a checkpoint with another budget,
// architecture, model, method, seed or schedule, and a checkpoint whose
// numbers were edited: each used to mix into the checkpoint's run
// silently (a 0.25 budget ran as the checkpoint's 0.5 and was labelled
// 0.25); each is refused naming what differs.
func TestAdaptResumeMismatch(t *testing.T) {
	dir := t.TempDir()
	ck, edited := filepath.Join(dir, "ck"), filepath.Join(dir, "edited")
	base := []string{"adapt", "--model", "lenet5", "--data", "synthetic", "--budget", "energy=0.5", "--init-reduction", "0.1",
		"--short-steps", "2", "--train-batch", "32", "--holdout", "300", "--eval-images", "50", "--finetune-epochs", "0", "--store", "none"}
	if code, _, stderr := runNnergy(t, append(base, "--max-iterations", "1", "--checkpoint", ck)...); code != 0 {
		t.Fatalf("checkpointed run: exit %d: %s", code, stderr)
	}
	// The same checkpoint with its numbers edited.
	if err := os.MkdirAll(edited, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"model.nnw", "state.json"} {
		b, err := os.ReadFile(filepath.Join(ck, name))
		if err != nil {
			t.Fatal(err)
		}
		if name == "state.json" {
			var st map[string]any
			if err := json.Unmarshal(b, &st); err != nil {
				t.Fatal(err)
			}
			st["resource"] = -5.0
			st["result"].(map[string]any)["initial_accuracy"] = 1.5
			if b, err = json.Marshal(st); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(edited, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cases := [][]string{
		{"--resume", "DIR/ck", "--budget", "energy=0.25"},
		{"--resume", "DIR/ck", "--budget", "latency=0.5"},
		{"--resume", "DIR/ck", "--arch", "systolic"},
		{"--resume", "DIR/ck", "--model", "vgg-small"},
		{"--resume", "DIR/ck", "--method", "netadaptv2"},
		{"--resume", "DIR/ck", "--seed", "7"},
		{"--resume", "DIR/ck", "--decay", "0.5"},
		{"--resume", "DIR/edited"},
	}
	var b strings.Builder
	for _, c := range cases {
		args := make([]string, len(c))
		for i, a := range c {
			args[i] = strings.ReplaceAll(a, "DIR", dir)
		}
		code, _, errOut := runNnergy(t, append(slices.Clone(base), args...)...)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2: %s", c, code, errOut)
		}
		fmt.Fprintf(&b, "$ nnergy adapt ... %s\nexit %d\n%s\n", strings.Join(c, " "), code, strings.ReplaceAll(errOut, dir, "DIR"))
	}
	checkGolden(t, "adapt_resume_mismatch.golden", b.String())
	// The same options resume.
	if code, stdout, stderr := runNnergy(t, append(slices.Clone(base), "--resume", ck)...); code != 0 || !strings.Contains(stdout, "budget energy=0.5 (") {
		t.Errorf("resume with the same options: exit %d: %s\n%s", code, stderr, stdout)
	}
}
