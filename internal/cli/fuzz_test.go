package cli

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/nnergy/nnergy/internal/chart"
	"github.com/nnergy/nnergy/netadapt"
	"github.com/nnergy/nnergy/page"
	"github.com/nnergy/nnergy/prune"
	"github.com/nnergy/nnergy/workload/zoo"
)

// flagSeeds adds to f every value of the flag that the README, docs/ and
// this package's testdata give it (good and bad ones).
func flagSeeds(f *testing.F, flag string) {
	f.Helper()
	files, _ := filepath.Glob("../../docs/*.md")
	more, _ := filepath.Glob("testdata/*")
	files = append(append(files, "../../README.md"), more...)
	re := regexp.MustCompile(regexp.QuoteMeta(flag) + `[ =]([^ \x60"'|\n]+)`)
	n := 0
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			continue // a directory
		}
		for _, m := range re.FindAllSubmatch(b, -1) {
			f.Add(string(m[1]))
			n++
		}
	}
	if n == 0 {
		f.Fatalf("no value of %s in the docs or testdata", flag)
	}
}

// FuzzDensityFlag checks that no --density value panics, that every one
// refused is a usage error naming the flag, and that every one accepted
// leaves AlexNet's densities in (0, 1]. Seeds: the values the docs and
// testdata give. Run longer with
//
//	go test ./internal/cli -run '^$' -fuzz '^FuzzDensityFlag$' -fuzztime 60s
func FuzzDensityFlag(f *testing.F) {
	flagSeeds(f, "--density")
	f.Fuzz(func(t *testing.T, v string) {
		net, err := zoo.Get("alexnet")
		if err != nil {
			t.Fatal(err)
		}
		if err := applyDensity(net, v); err != nil {
			var ue usageError
			if !errors.As(err, &ue) || !strings.HasPrefix(err.Error(), "--density: ") {
				t.Fatalf("--density %q: %v, not a usage error naming the flag", v, err)
			}
			return
		}
		for _, l := range net.Layers {
			for _, d := range l.Density {
				if !(d > 0 && d <= 1) {
					t.Fatalf("--density %q set a density %v in %s", v, d, l.Name)
				}
			}
		}
	})
}

// FuzzBudgetFlag checks that no --budget value makes netadapt.ParseBudget
// panic, and that every one accepted is a fraction in (0, 1) or a positive
// finite value that prints back to the same budget. Seeds: the values the
// docs and testdata give. Run longer with
//
//	go test ./internal/cli -run '^$' -fuzz '^FuzzBudgetFlag$' -fuzztime 60s
func FuzzBudgetFlag(f *testing.F) {
	flagSeeds(f, "--budget")
	f.Fuzz(func(t *testing.T, v string) {
		b, err := netadapt.ParseBudget(v)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "netadapt: budget ") {
				t.Fatalf("--budget %q: %v", v, err)
			}
			return
		}
		if !(b.Fraction > 0 && b.Fraction < 1 && b.Absolute == 0 || b.Fraction == 0 && b.Absolute > 0 && b.Absolute < 1e308) {
			t.Fatalf("--budget %q gave %+v", v, b)
		}
		again, err := netadapt.ParseBudget(b.String())
		if err != nil {
			t.Fatalf("--budget %q prints as %q, which does not parse: %v", v, b, err)
		}
		if again.Metric != b.Metric || again.Fraction != b.Fraction || !near(again.Absolute, b.Absolute) {
			t.Fatalf("--budget %q: %+v prints as %q, which parses to %+v", v, b, b, again)
		}
	})
}

// near reports whether a and b agree to a relative 1e-12 (a budget printed
// with a unit is scaled back).
func near(a, b float64) bool {
	d := a - b
	if d < 0 {
		d = -d
	}
	return d <= 1e-12*max(a, b, -a, -b)
}

// FuzzTargetFlag checks that no prune --target value makes
// prune.ParseTargets panic, and that what it accepts are fractions in
// (0, 1) of one kind, each printing back to itself. Seeds: the values the
// docs and testdata give. Run longer with
//
//	go test ./internal/cli -run '^$' -fuzz '^FuzzTargetFlag$' -fuzztime 60s
func FuzzTargetFlag(f *testing.F) {
	flagSeeds(f, "--target")
	f.Fuzz(func(t *testing.T, v string) {
		target, milestones, err := prune.ParseTargets(v)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "prune: target") {
				t.Fatalf("--target %q: %v", v, err)
			}
			return
		}
		for _, x := range append(milestones, target) {
			if !(x.Fraction > 0 && x.Fraction < 1) || x.Energy != target.Energy {
				t.Fatalf("--target %q gave %+v among %+v", v, x, milestones)
			}
			if again, err := prune.ParseTarget(x.String()); err != nil || again != x {
				t.Fatalf("--target %q: %+v prints as %q, which parses to %+v (%v)", v, x, x, again, err)
			}
		}
	})
}

// FuzzPlotHistory checks that no file makes what nnergy plot does with a
// history, read it (readHistory, report.ReadHistory) and draw it, panic.
// Seeds: the adapt and prune histories in page/testdata, and the same in
// the forms written before reports were versioned. Run longer with
//
//	go test ./internal/cli -run '^$' -fuzz '^FuzzPlotHistory$' -fuzztime 60s
func FuzzPlotHistory(f *testing.F) {
	for _, name := range []string{"adapt_lenet5.json", "prune_lenet5.json"} {
		b, err := os.ReadFile(filepath.Join("../../page/testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`[{"method": "magnitude", "step": 0, "action": "start", "sparsity": 0, "energy_pj": 10, "energy_ratio": 1, "accuracy": 0.9},
 {"method": "magnitude", "step": 1, "action": "prune", "sparsity": 0.5, "energy_pj": 6, "energy_ratio": 0.6, "target": "sparsity=0.5"}]`))
	f.Add([]byte(`{"metric": "energy", "initial": 10, "budget": 5, "init_reduction": 1, "decay": 0.9, "initial_accuracy": 0.9,
 "iterations": [{"iteration": 1, "target": 9, "layer": "conv1", "removed": 1, "filters": 5, "resource": 8, "ratio": 0.8, "accuracy": 0.8, "proposals": 2}],
 "proposals": [], "resource": 8, "accuracy": 0.8, "met": false, "stop": "max_iterations"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		runs, ad, err := readHistory("fuzz.json", b)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.json: ") {
				t.Fatalf("error not naming the file: %v", err)
			}
			return
		}
		var d chart.Drawing
		if ad != nil {
			d = page.AdaptChart("fuzz", ad)
			page.AdaptCompareChart("fuzz", []page.AdaptRun{{Label: "a", Result: ad}, {Label: "b", Result: ad}}).Encode(chart.SVG)
		} else {
			d = page.PruneChart("fuzz", pageRuns(runs))
		}
		if _, err := d.Encode(chart.SVG); err != nil {
			t.Fatalf("an accepted history does not draw: %v", err)
		}
	})
}
