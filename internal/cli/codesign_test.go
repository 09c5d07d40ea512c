package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/nnergy/nnergy/report"
)

// codesignArgs is a small codesign run on synthetic digits over the
// tiny sweep: NetAdapt and energy-aware pruning on the designs' front.
func codesignArgs(extra ...string) []string {
	return append([]string{"codesign", "--model", "lenet5", "--data", "synthetic", "--sweep", "testdata/sweep/codesign.yaml",
		"--budget", "energy=0.85", "--method", "both", "--init-reduction", "0.1", "--short-steps", "2", "--finetune-epochs", "0",
		"--train-batch", "16", "--holdout", "200", "--eval-images", "50", "--restore-images", "16", "--adapt-workers", "2",
		"--format", "json"}, extra...)
}

func codesignJSON(t *testing.T, sch *jsonschema.Schema, args ...string) *report.Codesign {
	t.Helper()
	code, out, errOut := runNnergy(t, args...)
	if code != 0 {
		t.Fatalf("nnergy %s: exit %d: %s", strings.Join(args, " "), code, errOut)
	}
	rep, ok := checkReport(t, sch, "codesign", []byte(out)).(*report.Codesign)
	if !ok {
		t.Fatalf("not a codesign report: %s", out)
	}
	return rep
}

func TestCodesign(t *testing.T) {
	sch, err := jsonschema.NewCompiler().Compile(reportSchema)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	st := "sqlite:" + filepath.Join(dir, "store.db")
	out := filepath.Join(dir, "out")
	rep := codesignJSON(t, sch, codesignArgs("--store", st, "--out", out)...)
	if !rep.Complete || rep.Ran != len(rep.Jobs) || rep.Resumed != 0 || len(rep.Designs) != 3 || len(rep.Front) == 0 {
		t.Fatalf("complete %v, ran %d of %d jobs, %d designs, front %d", rep.Complete, rep.Ran, len(rep.Jobs), len(rep.Designs), len(rep.Front))
	}
	candidates := 0
	for _, d := range rep.Designs {
		if d.Candidate {
			candidates++
		}
	}
	if len(rep.Jobs) != 2*candidates {
		t.Errorf("%d jobs for %d candidates and 2 methods", len(rep.Jobs), candidates)
	}
	for _, j := range rep.Jobs {
		if !j.Done || (j.Adapt == nil) == (j.Prune == nil) || j.EnergyRatio >= 1 {
			t.Errorf("job %d: %+v", j.Index, j)
		}
		// The model, its history and its design's architecture are written.
		for _, p := range []string{j.ModelFile, strings.TrimSuffix(j.ModelFile, ".onnx") + ".json", filepath.Join(out, j.Design+".yaml")} {
			if _, err := os.Stat(p); err != nil {
				t.Errorf("job %d: %v", j.Index, err)
			}
		}
		b, err := os.ReadFile(strings.TrimSuffix(j.ModelFile, ".onnx") + ".json")
		if err == nil {
			checkReport(t, sch, "history of job "+j.Design, b)
		}
	}

	// Re-run: every job comes from the store, with the same figures.
	again := codesignJSON(t, sch, codesignArgs("--store", st)...)
	if again.Ran != 0 || again.Resumed != len(rep.Jobs) {
		t.Errorf("the second run ran %d jobs and resumed %d", again.Ran, again.Resumed)
	}
	for i := range rep.Jobs {
		a, b := rep.Jobs[i], again.Jobs[i]
		if a.Accuracy != b.Accuracy || a.EnergyPJ != b.EnergyPJ || a.LatencySeconds != b.LatencySeconds {
			t.Errorf("job %d: %+v, resumed %+v", i, a, b)
		}
	}

	// Two shards into another store: the first is partial, the second
	// reports the whole front, the same as the single run's.
	st2 := "sqlite:" + filepath.Join(dir, "shards.db")
	s0 := codesignJSON(t, sch, codesignArgs("--store", st2, "--shard", "0/2")...)
	s1 := codesignJSON(t, sch, codesignArgs("--store", st2, "--shard", "1/2")...)
	if s0.Complete || !s1.Complete || s0.Ran+s1.Ran != len(rep.Jobs) {
		t.Errorf("shards: complete %v %v, ran %d + %d of %d", s0.Complete, s1.Complete, s0.Ran, s1.Ran, len(rep.Jobs))
	}
	if len(s1.Front) != len(rep.Front) {
		t.Fatalf("the shards' front %+v, the single run's %+v", s1.Front, rep.Front)
	}
	for i := range rep.Front {
		if s1.Front[i] != rep.Front[i] {
			t.Errorf("front %d: shards %+v, single %+v", i, s1.Front[i], rep.Front[i])
		}
	}

	// The table shows the three parts.
	code, table, errOut := runNnergy(t, append(codesignArgs("--store", st), "--format", "table")...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"unadapted network on every design", "jobs (0 ran, ", "Pareto front over accuracy, energy, latency, area"} {
		if !strings.Contains(table, want) {
			t.Errorf("the table lacks %q:\n%s", want, table)
		}
	}
}

func TestCodesignErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"codesign", "--data", "synthetic"}, "--sweep FILE is required"},
		{codesignArgs("--budget", "macs=0.5"), "want an energy or latency budget"},
		{codesignArgs("--budget", "latency=0.5"), "prunes to an energy budget"},
		{codesignArgs("--method", "magnitude"), `unknown method "magnitude"`},
		{codesignArgs("--pareto", "power"), "unknown objective"},
		{codesignArgs("--top", "-1"), `invalid argument "-1" for "--top" flag: want an integer at least 0`},
		{codesignArgs("--shard", "2/2"), "shard 2 of 2"},
		{codesignArgs("--format", "csv"), "want table or json"},
	} {
		code, _, errOut := runNnergy(t, append(tc.args, "--store", "none")...)
		if code == 0 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, %q; want %q", tc.args, code, errOut, tc.want)
		}
	}
}
