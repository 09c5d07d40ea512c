package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPlot draws pruning histories (with and without the method column)
// together, and a NetAdapt history alone; and refuses what it cannot draw.
func TestPlot(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	both := write("both.json", `[
 {"method": "magnitude", "step": 0, "action": "start", "sparsity": 0, "energy_pj": 10, "energy_ratio": 1, "latency_s": 0, "macs": 5, "params": 3, "accuracy": 0.98},
 {"method": "magnitude", "step": 1, "action": "remove", "sparsity": 0.3, "energy_pj": 6, "energy_ratio": 0.6, "latency_s": 0, "macs": 3, "params": 2, "accuracy": 0.5},
 {"method": "magnitude", "step": 2, "action": "fine-tune", "sparsity": 0.3, "energy_pj": 6, "energy_ratio": 0.6, "latency_s": 0, "macs": 3, "params": 2, "accuracy": 0.9, "target": "energy=0.6"},
 {"method": "energy-aware", "step": 0, "action": "start", "sparsity": 0, "energy_pj": 10, "energy_ratio": 1, "latency_s": 0, "macs": 5, "params": 3, "accuracy": 0.98},
 {"method": "energy-aware", "step": 1, "action": "remove", "sparsity": 0.2, "energy_pj": 5.5, "energy_ratio": 0.55, "latency_s": 0, "macs": 3, "params": 2, "accuracy": 0.95}
]`)
	old := write("old.json", `[
 {"step": 0, "action": "start", "sparsity": 0, "energy_pj": 10, "energy_ratio": 1, "latency_s": 0, "macs": 5, "params": 3, "accuracy": null},
 {"step": 1, "action": "remove", "sparsity": 0.2, "energy_pj": 7, "energy_ratio": 0.7, "latency_s": 0, "macs": 3, "params": 2, "accuracy": 0.9}
]`)
	adapt := write("adapt.json", `{"metric": "energy", "initial": 10, "budget": 5, "init_reduction": 0.25, "decay": 0.96,
 "initial_accuracy": 0.98, "iterations": [], "proposals": [], "resource": 10, "accuracy": 0.98, "met": false, "stop": "interrupted"}`)
	png, svg := filepath.Join(dir, "p.png"), filepath.Join(dir, "a.svg")
	if code, _, stderr := runNnergy(t, "plot", "--out", png, both, old); code != 0 {
		t.Fatalf("plot pruning: exit %d: %s", code, stderr)
	}
	if b, err := os.ReadFile(png); err != nil || !strings.HasPrefix(string(b), "\x89PNG") {
		t.Fatalf("png: %v", err)
	}
	if code, _, stderr := runNnergy(t, "plot", "--out", svg, "--title", "T", adapt); code != 0 {
		t.Fatalf("plot NetAdapt: exit %d: %s", code, stderr)
	}
	b, err := os.ReadFile(svg)
	if err != nil || !strings.Contains(string(b), ">T</text>") {
		t.Fatalf("svg: %v\n%.400s", err, b)
	}
	// The pruning plot draws every step with an accuracy: 3 + 2 - 1 (the
	// second method's start is the first's) + 1 (old's start has none).
	if code, _, stderr := runNnergy(t, "plot", "--out", svg, both, old); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, _ = os.ReadFile(svg)
	if n := strings.Count(string(b), "<circle "); n != 5 {
		t.Errorf("%d points, want 5", n)
	}
	// Two NetAdapt histories are drawn together, each a series.
	adapt2 := write("adapt2.json", `{"metric": "energy", "initial": 10, "budget": 5, "init_reduction": 0.25, "decay": 0.96,
 "initial_accuracy": 0.98, "iterations": [], "proposals": [{"iteration": 1, "layer": "conv1 6→5, fc1 120→100", "removed": 21,
 "filters": 105, "resource": 8, "ratio": 0.8, "accuracy": 0.9, "chosen": true}], "resource": 8, "accuracy": 0.9, "met": false, "stop": "interrupted"}`)
	if code, _, stderr := runNnergy(t, "plot", "--out", svg, adapt, adapt2); code != 0 {
		t.Fatalf("plot two NetAdapt histories: exit %d: %s", code, stderr)
	}
	b, _ = os.ReadFile(svg)
	for _, want := range []string{"adapt: adapt, adapt2", "adapt2: chosen proposals", "adapt: final"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("the comparison plot lacks %q", want)
		}
	}
	bad := write("bad.json", `[{"step": 0, "colour": "red"}]`)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"plot", both}, "--out is required"},
		{[]string{"plot", "--out", "x.gif", both}, `--out "x.gif": want a .svg or .png file`},
		{[]string{"plot", "--out", svg, adapt, both}, "NetAdapt histories are drawn without pruning histories"},
		{[]string{"plot", "--out", svg, bad}, "bad.json: not a pruning or NetAdapt history"},
		{[]string{"plot", "--out", svg, filepath.Join(dir, "none.json")}, "none.json"},
	} {
		code, _, stderr := runNnergy(t, tc.args...)
		if code == 0 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", tc.args[1:], code, stderr, tc.want)
		}
	}
}
