package cli

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/report"
)

// TestEvalExplain evaluates the Eyeriss-like Timeloop design (imported with
// conventions: timeloop) with --explain: the table (golden) lists each
// convention's changes against nnergy's defaults, the JSON's steps add up
// to the difference between the two results, and against timeloop there is
// nothing to explain.
func TestEvalExplain(t *testing.T) {
	const d = "../../timeloop/testdata/eyeriss_like/"
	in := d + "parsed-processed-input.yaml"
	args := []string{"eval", "--arch", in, "--model", in, "--mapping", d + "timeloop-mapper.map.yaml", "--explain"}
	code, stdout, errOut := runNnergy(t, args...)
	if code != 0 {
		t.Fatalf("eval --explain: exit %d, stderr %q", code, errOut)
	}
	i := strings.Index(stdout, "\nconv2D: conventions")
	if i < 0 {
		t.Fatalf("no explanation:\n%s", stdout)
	}
	checkGolden(t, "eval_explain.golden", stdout[i+1:])
	code, js, errOut := runNnergy(t, append(args, "--format", "json")...)
	if code != 0 {
		t.Fatalf("eval --explain --format json: exit %d, stderr %q", code, errOut)
	}
	sch, err := jsonschema.NewCompiler().Compile(reportSchema)
	if err != nil {
		t.Fatal(err)
	}
	rep, ok := checkReport(t, sch, "eval", []byte(js)).(*report.Eval)
	if !ok || len(rep.Layers) != 1 || rep.Layers[0].Explain == nil {
		t.Fatalf("eval --explain --format json: no explanation: %+v", rep)
	}
	l := rep.Layers[0]
	ex := l.Explain
	if ex.From != "default" || ex.To != "timeloop" || len(ex.Steps) != 6 {
		t.Errorf("explain from %s to %s, %d steps; want default, timeloop and the six conventions Timeloop's set changes", ex.From, ex.To, len(ex.Steps))
	}
	var sum float64
	for _, st := range ex.Steps {
		sum += st.EnergyPJ
	}
	if diff := l.EnergyPJ - ex.FromEnergyPJ; math.Abs(sum-diff) > 1e-6*math.Abs(diff) {
		t.Errorf("the steps add up to %g pJ, the results differ by %g", sum, diff)
	}
	code, stdout, errOut = runNnergy(t, append(args, "--explain-against", "timeloop")...)
	if code != 0 || !strings.Contains(stdout, "nothing to explain") {
		t.Errorf("--explain-against timeloop: exit %d, stderr %q, stdout\n%s", code, errOut, stdout)
	}
	// Against an architecture file: its conventions (here drains only), so
	// one step fewer.
	spec, err := arch.Preset("eyeriss")
	if err != nil {
		t.Fatal(err)
	}
	spec.Conventions = arch.Conventions(0).With(arch.ConvDrain, true)
	file := filepath.Join(t.TempDir(), "drains.yaml")
	if err := os.WriteFile(file, arch.Format(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	code, js, errOut = runNnergy(t, append(args, "--explain-against", file, "--format", "json")...)
	if code != 0 {
		t.Fatalf("--explain-against FILE: exit %d, stderr %q", code, errOut)
	}
	rep, ok = checkReport(t, sch, "eval", []byte(js)).(*report.Eval)
	if !ok || rep.Layers[0].Explain == nil || rep.Layers[0].Explain.From != "{drain: update_only}" || len(rep.Layers[0].Explain.Steps) != 5 {
		t.Errorf("--explain-against FILE: %+v, want from {drain: update_only} and 5 steps", rep.Layers[0].Explain)
	}
	for _, bad := range [][]string{
		{"eval", "--explain-against", "timeloop"},
		{"eval", "--explain", "--explain-against", "zigzag"},
	} {
		code, _, errOut := runNnergy(t, bad...)
		if code != 2 || !strings.Contains(errOut, "explain-against") {
			t.Errorf("%v: exit %d, stderr %q; want a usage error naming --explain-against", bad, code, errOut)
		}
	}
}
