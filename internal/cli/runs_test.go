package cli

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/nnergy/nnergy/internal/pgtest"
	"github.com/nnergy/nnergy/report"
)

// TestMain keeps the tests' runs out of the user's store: every command
// records into a SQLite file of a temporary data directory unless a test
// names another store.
func TestMain(m *testing.M) {
	if args, ok := os.LookupEnv(childArgsEnv); ok {
		os.Exit(childMain(args))
	}
	dir, err := os.MkdirTemp("", "nnergy-cli-data-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Setenv("XDG_DATA_HOME", dir)
	os.Unsetenv(storeEnv)
	code := pgtest.Main(m)
	os.RemoveAll(dir)
	os.Exit(code)
}

// mustRun runs nnergy and fails t unless it exits 0.
func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errOut := runNnergy(t, args...)
	if code != 0 {
		t.Fatalf("nnergy %s: exit %d: %s", strings.Join(args, " "), code, errOut)
	}
	return out
}

func TestRunsCommands(t *testing.T) {
	sch, err := jsonschema.NewCompiler().Compile(reportSchema)
	if err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(t.TempDir(), "runs.db")
	st := "--store=" + db
	// Two evaluations that differ in the architecture and the batch.
	evalA := mustRun(t, "eval", st, "--model", "lenet5", "--format", "json")
	evalB := mustRun(t, "eval", st, "--model", "lenet5", "--arch", "eyeriss-v2", "--batch", "2", "--format", "json")
	mustRun(t, "map", st, "--model", "lenet5", "--layer", "c3", "--max-evals", "100", "--workers", "1")

	list := mustRun(t, "runs", "list", st)
	if !strings.HasPrefix(list, "3 runs in "+db) || !matches(t, `(?m)^ 3  map  .* done .*lenet5 .*map --store=.* --model lenet5 --layer c3`, list) {
		t.Errorf("runs list:\n%s", list)
	}
	if got := mustRun(t, "runs", "list", st, "--kind", "map,compare"); !strings.HasPrefix(got, "1 run in") {
		t.Errorf("runs list --kind map,compare:\n%s", got)
	}
	if got := mustRun(t, "runs", "list", st, "--limit", "2"); !strings.HasPrefix(got, "2 runs") || strings.Contains(got, "\n 1 ") {
		t.Errorf("runs list --limit 2:\n%s", got)
	}

	// show --format json is a run report that holds eval's report as eval
	// printed it.
	show := mustRun(t, "runs", "show", st, "1", "--format", "json")
	run, ok := checkReport(t, sch, "runs show --format json", []byte(show)).(*report.Run)
	if !ok {
		t.Fatalf("runs show --format json is not a run report:\n%s", show)
	}
	if run.ID != 1 || run.RunKind != "eval" || run.Status != "done" || run.Workload != "lenet5" || len(run.WorkloadDigest) != 64 ||
		!strings.Contains(run.Arch, "name: eyeriss\n") || !slices.Equal(run.Command, []string{"nnergy", "eval", st, "--model", "lenet5", "--format", "json"}) {
		t.Errorf("run %+v", run.RunRecord)
	}
	if !jsonEqual(t, run.Report, []byte(evalA)) {
		t.Errorf("the recorded report differs from what eval printed")
	}
	var set map[string]string
	if err := json.Unmarshal(run.Settings, &set); err != nil || set["arch"] != "eyeriss" || set["batch"] != "1" || set["dataflow"] != "rs" {
		t.Errorf("settings %s (%v)", run.Settings, err)
	}
	table := mustRun(t, "runs", "show", st, "2")
	for _, want := range []string{"run 2: eval, done", "results:", "total"} {
		if !strings.Contains(table, want) {
			t.Errorf("runs show 2 has no %q:\n%s", want, table)
		}
	}
	// The settings' column is as wide as the longest flag name.
	if !regexp.MustCompile(`\n--arch +eyeriss-v2\n`).MatchString(table) {
		t.Errorf("runs show 2 has no --arch eyeriss-v2 setting:\n%s", table)
	}

	// diff: the totals and layers of both reports, and what differs.
	var repA, repB report.Eval
	if err := json.Unmarshal([]byte(evalA), &repA); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(evalB), &repB); err != nil {
		t.Fatal(err)
	}
	diff := mustRun(t, "runs", "diff", st, "1", "2")
	for _, l := range append([]report.Layer{{Name: "total", Figures: repA.Total.Figures}}, repA.Layers...) {
		b := repB.Total.Figures
		for _, lb := range repB.Layers {
			if lb.Name == l.Name {
				b = lb.Figures
			}
		}
		want := fmt.Sprintf(`(?m)^%s +%s +%s +[+-]?%s `, l.Name, fmtF(l.EnergyPJ/1e6, 3), fmtF(b.EnergyPJ/1e6, 3), fmtF(math.Abs(b.EnergyPJ-l.EnergyPJ)/1e6, 3))
		if !matches(t, strings.ReplaceAll(want, ".", `\.`), diff) {
			t.Errorf("runs diff 1 2: no line %s:\n%s", want, diff)
		}
	}
	for _, want := range []string{`(?m)^--arch +eyeriss +eyeriss-v2$`, `(?m)^--batch +1 +2$`, `(?m)^arch +eyeriss \([0-9a-f]{12}\) +eyeriss-v2 \(`, `(?m)^workload_digest `} {
		if !matches(t, want, diff) {
			t.Errorf("runs diff 1 2 has no line %s:\n%s", want, diff)
		}
	}
	if matches(t, `(?m)^(--model|--dataflow|workload|kind) `, diff) {
		t.Errorf("runs diff 1 2 lists what is the same:\n%s", diff)
	}
	djson := mustRun(t, "runs", "diff", st, "1", "2", "--format", "json")
	d, ok := checkReport(t, sch, "runs diff --format json", []byte(djson)).(*report.Diff)
	if !ok || d.A != 1 || d.B != 2 || len(d.Figures) != len(repA.Layers)+1 || d.Figures[0].Name != "total" ||
		d.Figures[0].A.EnergyPJ == nil || *d.Figures[0].A.EnergyPJ != repA.Total.EnergyPJ || *d.Figures[0].B.EnergyPJ != repB.Total.EnergyPJ {
		t.Errorf("runs diff --format json: %s", djson)
	}

	// export: JSON of every run, CSV with the documented columns.
	export := mustRun(t, "runs", "export", st)
	runs, ok := checkReport(t, sch, "runs export", []byte(export)).(*report.Runs)
	if !ok || len(runs.Runs) != 3 || runs.Runs[0].ID != 3 || runs.Runs[2].ID != 1 || !jsonEqual(t, runs.Runs[1].Report, []byte(evalB)) {
		t.Errorf("runs export: %s", export)
	}
	rows, err := csv.NewReader(strings.NewReader(mustRun(t, "runs", "export", st, "2", "1", "--format", "csv"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile(reportDoc)
	if err != nil {
		t.Fatal(err)
	}
	if cols := csvColumns(t, doc, "`runs export --format csv`"); !slices.Equal(rows[0], cols) {
		t.Errorf("runs export CSV header %v, report.md documents %v", rows[0], cols)
	}
	if len(rows) != 3 || rows[1][0] != "2" || rows[2][0] != "1" || rows[2][8] != fmt.Sprint(repA.Total.EnergyPJ) || rows[1][9] != fmt.Sprint(repB.Total.LatencySeconds) {
		t.Errorf("runs export CSV rows %q", rows[1:])
	}

	// rm: all named or none.
	if code, _, errOut := runNnergy(t, "runs", "rm", st, "1", "99"); code != 1 || !strings.Contains(errOut, "no run 99 (nothing removed)") {
		t.Errorf("runs rm 1 99: exit %d, %s", code, errOut)
	}
	if got := mustRun(t, "runs", "rm", st, "1", "3"); !strings.HasPrefix(got, "removed 2 runs") {
		t.Errorf("runs rm 1 3: %s", got)
	}
	if got := mustRun(t, "runs", "list", st); !strings.HasPrefix(got, "1 run in") {
		t.Errorf("after rm:\n%s", got)
	}
	for _, tc := range []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"runs", "show", st, "1"}, 1, "no run 1"},
		{[]string{"runs", "show", st, "x"}, 2, `run ID "x": want a positive integer`},
		{[]string{"runs", "diff", st, "2"}, 1, "accepts 2 arg(s)"},
		{[]string{"runs", "list", st, "--kind", "evaluate"}, 2, `unknown run kind "evaluate" (want eval, map, compare, prune, adapt, sweep, codesign or fit)`},
		{[]string{"runs", "export", st, "--format", "table"}, 2, "want json or csv"},
		{[]string{"runs", "list", "--store", "none"}, 2, "no results store to read"},
		{[]string{"runs", "list", "--store", "mysql://h/db"}, 1, `unknown scheme "mysql"`},
	} {
		code, _, errOut := runNnergy(t, tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.err) {
			t.Errorf("nnergy %s: exit %d, %q; want exit %d and %q", strings.Join(tc.args, " "), code, errOut, tc.code, tc.err)
		}
	}
}

// TestRecording checks where runs are recorded: $NNERGY_STORE, the user's
// data directory, nowhere with none; that a failed run is recorded failed;
// and that a store that cannot record fails the command.
func TestRecording(t *testing.T) {
	data := t.TempDir()
	t.Setenv("XDG_DATA_HOME", data)
	mustRun(t, "eval", "--model", "lenet5", "--layer", "c1")
	if got := mustRun(t, "runs", "list"); !strings.HasPrefix(got, "1 run in "+filepath.Join(data, "nnergy", "results.db")) {
		t.Errorf("default store: %s", got)
	}
	env := filepath.Join(t.TempDir(), "env.db")
	t.Setenv(storeEnv, env)
	mustRun(t, "eval", "--model", "lenet5", "--layer", "c1")
	mustRun(t, "eval", "--model", "lenet5", "--layer", "c1", "--store", "none")
	if got := mustRun(t, "runs", "list"); !strings.HasPrefix(got, "1 run in "+env) {
		t.Errorf("$%s: %s", storeEnv, got)
	}
	t.Setenv(storeEnv, "none")
	mustRun(t, "eval", "--model", "lenet5", "--layer", "c1")
	if got := mustRun(t, "runs", "list", "--store", env); !strings.HasPrefix(got, "1 run in") {
		t.Errorf("%s=none recorded a run: %s", storeEnv, got)
	}

	// A run that fails after it began is recorded failed, with its error.
	bad := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(bad, []byte("version: 1\nlevels:\n  - name: NOPE\n    temporal: [C]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runNnergy(t, "eval", "--store", env, "--model", "lenet5", "--layer", "c1", "--search", "--constraints", bad, "--max-evals", "10")
	if code != 1 || !strings.Contains(errOut, `level "NOPE"`) {
		t.Fatalf("eval with a bad level: exit %d, %s", code, errOut)
	}
	show := mustRun(t, "runs", "show", "--store", env, "2")
	if !strings.Contains(show, "run 2: eval, failed\nerror: ") || !strings.Contains(show, `level "NOPE"`) {
		t.Errorf("failed run:\n%s", show)
	}

	// prune and adapt record their histories as their reports.
	mustRun(t, "prune", "--store", env, "--model", "lenet5", "--data", "synthetic", "--method", "magnitude", "--target", "sparsity=0.3",
		"--increment", "0.3", "--finetune-epochs", "0", "--density-images", "0", "--restore-images", "8", "--eval-images", "10", "--workers", "1")
	mustRun(t, "adapt", "--store", env, "--model", "lenet5", "--data", "synthetic", "--measure", "macs", "--budget", "macs=0.9",
		"--init-reduction", "0.1", "--short-steps", "1", "--finetune-epochs", "0", "--train-batch", "8", "--holdout", "50", "--eval-images", "10", "--workers", "1")
	export := mustRun(t, "runs", "export", "--store", env, "3", "4")
	var runs report.Runs
	if err := json.Unmarshal([]byte(export), &runs); err != nil {
		t.Fatal(err)
	}
	for i, want := range []report.Kind{report.KindAdapt, report.KindPrune} {
		r := runs.Runs[i]
		v, err := report.Decode(r.Report)
		if err != nil || r.RunKind != string(want) || r.Status != "done" || len(r.WorkloadDigest) != 64 {
			t.Errorf("%s run %d: %s, %s, digest %q, report %T (%v)", want, r.ID, r.RunKind, r.Status, r.WorkloadDigest, v, err)
		}
	}
	if !strings.Contains(runs.Runs[1].Arch, "name: eyeriss\n") || runs.Runs[0].Arch != "" {
		t.Errorf("archs of prune %q and adapt --measure macs %q", runs.Runs[1].Arch, runs.Runs[0].Arch)
	}

	// A store that cannot record fails the command before its work.
	code, out, errOut := runNnergy(t, "eval", "--store", t.TempDir(), "--model", "lenet5")
	if code != 1 || out != "" || !strings.Contains(errOut, "recording the run (--store none turns recording off): store: ") || !strings.Contains(errOut, "is a directory") {
		t.Errorf("eval into a directory: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// TestRunsPostgres records into a PostgreSQL store, which runs init
// creates once.
func TestRunsPostgres(t *testing.T) {
	dsn := pgtest.DSN(t)
	code, _, errOut := runNnergy(t, "eval", "--store", dsn, "--model", "lenet5", "--layer", "c1")
	if code != 1 || !strings.Contains(errOut, "nnergy runs init") {
		t.Errorf("eval before runs init: exit %d, %s", code, errOut)
	}
	if got := mustRun(t, "runs", "init", "--store", dsn); !strings.Contains(got, "schema version 0 -> ") {
		t.Errorf("runs init: %s", got)
	}
	if got := mustRun(t, "runs", "init", "--store", dsn); !strings.Contains(got, "nothing to do") {
		t.Errorf("second runs init: %s", got)
	}
	// A password in the DSN is not recorded (the throwaway server trusts
	// its user and ignores it).
	withPassword := strings.Replace(dsn, "nnergy@", "nnergy:secret@", 1)
	mustRun(t, "eval", "--store", withPassword, "--model", "lenet5", "--layer", "c1")
	t.Setenv(storeEnv, dsn)
	mustRun(t, "compare", "--model", "lenet5", "--layer", "c1", "--dataflow", "rs,ws", "--max-evals", "50", "--workers", "1")
	list := mustRun(t, "runs", "list")
	if !strings.HasPrefix(list, "2 runs in postgres://") || !matches(t, `(?m)^ 2  compare .*eyeriss-equal-area-rs,eyeriss-equal-area-ws|^ 2  compare `, list) {
		t.Errorf("runs list:\n%s", list)
	}
	if strings.Contains(mustRun(t, "runs", "export"), "secret") {
		t.Error("the store keeps the password of a --store DSN")
	}
	show := mustRun(t, "runs", "show", "2")
	if !matches(t, `(?m)^conv/(rs|ws)|^layers/(rs|ws)`, show) {
		t.Errorf("runs show of a comparison has no group figures:\n%s", show)
	}
}

// matches reports whether re matches s.
func matches(t *testing.T, re, s string) bool {
	t.Helper()
	ok, err := regexp.MatchString(re, s)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// jsonEqual reports whether a and b hold the same JSON value.
func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var va, vb any
	if err := json.Unmarshal(a, &va); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &vb); err != nil {
		t.Fatal(err)
	}
	ca, _ := json.Marshal(va)
	cb, _ := json.Marshal(vb)
	return bytes.Equal(ca, cb)
}
