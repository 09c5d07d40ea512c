package cli

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/nnergy/nnergy/report"
)

const areaSweep = "testdata/sweep/area.yaml"

func TestFitErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--power", "1W", "--fps", "30", "--arch", "eyeriss"}, "fit: --model is required"},
		{[]string{"--model", "lenet5", "--fps", "30", "--arch", "eyeriss"}, "fit: --power and --fps are required"},
		{[]string{"--model", "lenet5", "--power", "1", "--fps", "30", "--arch", "eyeriss"}, `fit: --power: power "1": no unit (want W, mW or uW), such as 1W or 500mW`},
		{[]string{"--model", "lenet5", "--power", "1kW", "--fps", "30", "--arch", "eyeriss"}, `fit: --power: power "1kW": unknown unit "kW" (want W, mW or uW)`},
		{[]string{"--model", "lenet5", "--power", "1W", "--fps", "30Hz", "--arch", "eyeriss"}, `fit: --fps: frame rate "30Hz": unknown unit "Hz" (want fps, or none)`},
		{[]string{"--model", "lenet5", "--power", "1W", "--fps", "30", "--area", "10cm2", "--arch", "eyeriss"}, `fit: --area: area "10cm2": unknown unit "cm2" (want mm2 or um2)`},
		{[]string{"--model", "lenet5", "--power", "1W", "--fps", "30"}, "fit: give --arch (one architecture) or --sweep"},
		{[]string{"--model", "lenet5", "--power", "1W", "--fps", "30", "--arch", "eyeriss", "--sweep", areaSweep}, "fit: give --arch (one architecture) or --sweep"},
		{[]string{"--model", "lenet5", "--power", "1W", "--fps", "30", "--sweep", areaSweep, "--dataflow", "ws"}, "fit: --dataflow applies to --arch; a sweep maps as its file says"},
		{[]string{"--model", "lenet5", "--power", "1W", "--fps", "30", "--sweep", areaSweep, "--max-evals", "10"}, "fit: --max-evals applies to --arch"},
		{[]string{"--model", "lenet5", "--power", "1W", "--fps", "30", "--arch", "eyeriss", "--format", "csv"}, `fit: unknown format "csv" (want table or json)`},
	} {
		code, _, errOut := runNnergy(t, append([]string{"fit", "--store", "none"}, tc.args...)...)
		if code != 2 || !strings.Contains(errOut, tc.want) {
			t.Errorf("fit %s: exit %d, %q; want exit 2 and %q", strings.Join(tc.args, " "), code, errOut, tc.want)
		}
	}
}

// TestFitReports checks fit's reports against the schema, its table, and
// that it is recorded in the results store.
func TestFitReports(t *testing.T) {
	sch, err := jsonschema.NewCompiler().Compile(reportSchema)
	if err != nil {
		t.Fatal(err)
	}
	st := "--store=" + filepath.Join(t.TempDir(), "runs.db")
	arch := []string{"fit", st, "--model", "lenet5", "--power", "20mW", "--fps", "1000", "--area", "2.4mm2", "--arch", "eyeriss"}
	v, ok := checkReport(t, sch, "fit --arch", []byte(mustRun(t, append(arch, "--format", "json")...))).(*report.Fit)
	if !ok || v.Design == nil || v.Sweep != nil || v.Budget.PowerWatts != 0.02 || v.Budget.AreaUM2 != 2.4e6 {
		t.Fatalf("fit --arch report: %+v", v)
	}
	d := v.Design
	if d.Fits != (d.PowerMargin >= 0 && d.ThroughputMargin >= 0 && d.AreaMargin >= 0) || len(d.Bounds) == 0 || len(d.PowerParts) == 0 {
		t.Errorf("fit --arch design: %+v", d)
	}
	table := mustRun(t, arch...)
	for _, want := range []string{"fit: lenet5, batch 1 on eyeriss", "verdict: ", "throughput", "cycles bound by: "} {
		if !strings.Contains(table, want) {
			t.Errorf("fit --arch table lacks %q:\n%s", want, table)
		}
	}

	sw := []string{"fit", st, "--model", "lenet5", "--power", "20mW", "--fps", "1000", "--area", "2.4mm2", "--sweep", areaSweep}
	v, ok = checkReport(t, sch, "fit --sweep", []byte(mustRun(t, append(sw, "--format", "json")...))).(*report.Fit)
	if !ok || v.Sweep == nil || v.Design != nil {
		t.Fatalf("fit --sweep report: %+v", v)
	}
	s := v.Sweep
	if len(s.Fits)+len(s.Misses)+s.Invalid != s.TotalPoints || s.TotalPoints != 3 {
		t.Errorf("fit --sweep: %d fit, %d miss, %d invalid of %d", len(s.Fits), len(s.Misses), s.Invalid, s.TotalPoints)
	}
	for i, f := range s.Fits {
		if !f.Fits || f.Point == "" || i > 0 && f.PowerWatts < s.Fits[i-1].PowerWatts {
			t.Errorf("fit %d: %+v", i, f)
		}
	}
	for _, m := range s.Misses {
		if m.Fits {
			t.Errorf("a miss fits: %+v", m)
		}
	}
	if out := mustRun(t, sw...); !strings.Contains(out, "designs that fit: ") || !strings.Contains(out, "designs that miss: ") {
		t.Errorf("fit --sweep table:\n%s", out)
	}
	// The sweep's own report carries the area figures.
	sr, ok := checkReport(t, sch, "sweep area", []byte(mustRun(t, "sweep", "--store", "none", areaSweep, "--pareto", "area,power", "--format", "json"))).(*report.Sweep)
	if !ok || sr.AreaFill != "GLB" || sr.AreaBudgetUM2 != 2.4e6 {
		t.Fatalf("sweep report: %+v", sr)
	}
	for _, p := range sr.Points {
		if p.Valid && (p.AreaUM2 > sr.AreaBudgetUM2 || p.FillWords == 0 || p.Results[0].PowerWatts <= 0) {
			t.Errorf("sweep point %s: area %g, GLB %d words, power %g", p.ID, p.AreaUM2, p.FillWords, p.Results[0].PowerWatts)
		}
	}

	list := mustRun(t, "runs", "list", st, "--kind", "fit")
	if !strings.HasPrefix(list, "4 runs") {
		t.Errorf("runs list --kind fit:\n%s", list)
	}
}
