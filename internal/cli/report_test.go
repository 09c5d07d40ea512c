package cli

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/report"
)

const (
	reportSchema = "../../docs/format/report.schema.json"
	reportDoc    = "../../docs/format/report.md"
)

// checkReport validates a report against the JSON Schema, decodes it
// strictly into the report types and returns it.
func checkReport(t *testing.T, sch *jsonschema.Schema, what string, b []byte) any {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Errorf("%s: not valid against %s:\n%v", what, reportSchema, err)
	}
	v, err := report.Decode(b)
	if err != nil {
		t.Errorf("%s: %v", what, err)
	}
	return v
}

// TestReportSchema runs every command that writes a report on small inputs
// and validates what it writes against docs/format/report.schema.json; the
// pruning and NetAdapt histories are drawn again by nnergy plot, and every
// CSV header is the one docs/format/report.md documents.
func TestReportSchema(t *testing.T) {
	sch, err := jsonschema.NewCompiler().Compile(reportSchema)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	mp := filepath.Join(dir, "c1.txt")
	if err := os.WriteFile(mp, []byte("DRAM keep Weights Inputs Outputs\n  for P in [0:2)\nGLB keep Weights Inputs Outputs\n  for Q in [0:28)\n"+
		"  spatial-x P in [0:14)\n  spatial-y R in [0:5)\nRF keep Weights Inputs Outputs\n  for M in [0:6)\n  for S in [0:5)\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) []byte {
		t.Helper()
		code, out, errOut := runNnergy(t, args...)
		if code != 0 {
			t.Fatalf("nnergy %s: exit %d: %s", strings.Join(args, " "), code, errOut)
		}
		return []byte(out)
	}
	kinds := map[report.Kind]int{}
	for _, args := range [][]string{
		// builder, dense twin (sparse weights), a level-bound layer
		{"eval", "--model", "lenet5", "--arch", "eyeriss", "--density", "weights=0.4,inputs=0.5", "--batch", "2"},
		// mapper, the whole mapspace, searches and shapes reused
		{"eval", "--model", "resnet18", "--layer", "layer1.0.conv1,layer1.0.conv2", "--dataflow", "best", "--max-evals", "300", "--workers", "1"},
		// a mapping file
		{"eval", "--model", "lenet5", "--layer", "c1", "--mapping", mp},
		{"map", "--model", "lenet5", "--layer", "c3", "--max-evals", "300", "--workers", "1", "--objective", "latency,energy"},
		{"compare", "--model", "lenet5", "--dataflow", "ws,rs", "--max-evals", "200", "--workers", "1"},
		{"compare", "--model", "lenet5", "--layer", "c3,f6", "--dataflow", "os,nlr", "--max-evals", "200", "--workers", "1", "--pes", "64"},
		// invalid points, fronts over three objectives, one shard
		{"sweep", "testdata/sweep/small.yaml", "--pareto", "energy,latency,edp"},
		{"sweep", "testdata/sweep/small.yaml", "--shard", "1/3"},
	} {
		v := checkReport(t, sch, strings.Join(args, " "), run(append(args, "--format", "json")...))
		switch v := v.(type) {
		case *report.Eval:
			kinds[v.Kind]++
		case *report.Map:
			kinds[v.Kind]++
		case *report.Compare:
			kinds[v.Kind]++
		case *report.Sweep:
			kinds[v.Kind]++
		}
	}
	// The histories, in JSON and CSV; plot reads the JSON back.
	ph, pc, ah, ac := filepath.Join(dir, "p.json"), filepath.Join(dir, "p.csv"), filepath.Join(dir, "a.json"), filepath.Join(dir, "a.csv")
	run("prune", "--model", "lenet5", "--data", "synthetic", "--method", "magnitude,energy-aware", "--granularity", "filter",
		"--target", "energy=0.9,0.8", "--increment", "0.3", "--finetune-epochs", "1", "--train-images", "100", "--density-images", "0",
		"--restore-images", "32", "--eval-images", "30", "--workers", "2", "--history", ph, "--history", pc)
	run("adapt", "--model", "lenet5", "--data", "synthetic", "--measure", "model", "--arch", "eyeriss", "--budget", "energy=0.9",
		"--init-reduction", "0.06", "--short-steps", "2", "--finetune-epochs", "0", "--train-batch", "16", "--holdout", "100", "--eval-images", "30",
		"--workers", "2", "--history", ah, "--history", ac)
	for _, path := range []string{ph, ah} {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		switch v := checkReport(t, sch, path, b).(type) {
		case *report.Prune:
			kinds[v.Kind]++
			if len(v.Runs) != 2 || v.Runs[1].Steps[0].Phase != report.PhaseStart {
				t.Errorf("pruning history %+v", v)
			}
		case *report.Adapt:
			kinds[v.Kind]++
			if v.Arch != "eyeriss" || v.Stop != "budget_met" || len(v.Proposals) == 0 {
				t.Errorf("NetAdapt history %+v", v)
			}
		}
		run("plot", "--out", filepath.Join(dir, "plot.svg"), path)
	}
	for _, k := range []report.Kind{report.KindEval, report.KindMap, report.KindCompare, report.KindPrune, report.KindAdapt, report.KindSweep} {
		if kinds[k] == 0 {
			t.Errorf("no %s report checked", k)
		}
	}

	// CSV headers, as documented.
	doc, err := os.ReadFile(reportDoc)
	if err != nil {
		t.Fatal(err)
	}
	header := func(what string, b []byte) []string {
		t.Helper()
		rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
		if err != nil || len(rows) < 2 {
			t.Fatalf("%s: %v, %d rows", what, err, len(rows))
		}
		return rows[0]
	}
	readFile := func(p string) []byte {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, tc := range []struct {
		section string
		got     []string
		// placeholder stands for the columns at its place in the doc.
		placeholder string
		expand      []string
	}{
		{"`eval --format csv`", header("eval csv", run("eval", "--model", "lenet5", "--format", "csv")), "<level>_pj", []string{"DRAM_pj", "GLB_pj", "RF_pj"}},
		{"`eval --format csv`", header("eval csv", run("eval", "--model", "lenet5", "--arch", "edge-npu", "--format", "csv")), "<level>_pj", levelColumns(t, "edge-npu")},
		{"`compare --format csv`", header("compare csv", run("compare", "--model", "lenet5", "--dataflow", "rs", "--max-evals", "50", "--workers", "1", "--format", "csv")), "", nil},
		{"`sweep --format csv`", header("sweep csv", run("sweep", "testdata/sweep/small.yaml", "--format", "csv")), "<value>", []string{"x", "y", "glb", "obj", "pes"}},
		{"`prune --history FILE.csv`", header("prune csv", readFile(pc)), "", nil},
		{"`adapt --history FILE.csv`", header("adapt csv", readFile(ac)), "<resource>", []string{"energy_pj"}},
	} {
		var want []string
		for _, c := range csvColumns(t, doc, tc.section) {
			if c == tc.placeholder {
				want = append(want, tc.expand...)
				continue
			}
			want = append(want, c)
		}
		if !slices.Equal(tc.got, want) {
			t.Errorf("%s: header %v, report.md documents %v", tc.section, tc.got, want)
		}
	}
	// The resource column of each metric is documented.
	for _, unit := range []string{"pj", "seconds", "pj_seconds", "macs", "params"} {
		if col := adaptCSVHeader(unit)[4]; col == "" || !strings.Contains(string(doc), "`"+col+"`") {
			t.Errorf("adapt CSV resource column %q of unit %s is not in report.md", col, unit)
		}
	}
}

// levelColumns returns the level columns of eval --format csv on a preset.
func levelColumns(t *testing.T, preset string) []string {
	t.Helper()
	spec, err := arch.Preset(preset)
	if err != nil {
		t.Fatal(err)
	}
	var cols []string
	for _, l := range spec.Levels {
		cols = append(cols, l.Name+"_pj")
	}
	return cols
}

// csvColumns returns the first column of the table under the heading
// "### section" of report.md, without its backquotes.
func csvColumns(t *testing.T, doc []byte, section string) []string {
	t.Helper()
	_, rest, ok := strings.Cut(string(doc), "### "+section+"\n")
	if !ok {
		t.Fatalf("report.md has no section ### %s", section)
	}
	if i := strings.Index(rest, "\n#"); i >= 0 {
		rest = rest[:i]
	}
	var cols []string
	for _, m := range regexp.MustCompile("(?m)^\\| `([^`]+)` \\|").FindAllStringSubmatch(rest, -1) {
		cols = append(cols, m[1])
	}
	if len(cols) == 0 {
		t.Fatalf("report.md: section %s has no table of columns", section)
	}
	return cols
}
