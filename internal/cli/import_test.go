package cli

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/nnergy/nnergy/report"
)

// TestImportTimeloop imports the Eyeriss-like Timeloop design, then
// evaluates its layer under the imported mapping with nnergy eval: the
// cycles are Timeloop's 86016 (stats.txt).
func TestImportTimeloop(t *testing.T) {
	out := filepath.Join(t.TempDir(), "eyeriss_like")
	code, stdout, errOut := runNnergy(t, "import", "timeloop", "../../timeloop/testdata/eyeriss_like", "--out", out)
	if code != 0 || errOut != "" {
		t.Fatalf("import: exit %d, stderr %q", code, errOut)
	}
	for _, f := range []string{"arch.yaml", "workload.yaml", "mapping.txt", "constraints.yaml", "import-report.txt"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
	if !strings.Contains(stdout, "Hpad: 1: not a dimension") {
		t.Errorf("the printed report does not name the instance's Hpad:\n%s", stdout)
	}
	// The 16-bit psum_spad of an 8-bit design is carried over as such.
	if a, err := os.ReadFile(filepath.Join(out, "arch.yaml")); err != nil || !strings.Contains(string(a), "word_bits: 16\n    data_bits: {Outputs: 16}") {
		t.Errorf("arch.yaml does not hold psum_spad's partial sums at 16 bits (%v):\n%s", err, a)
	}
	sch, err := jsonschema.NewCompiler().Compile(reportSchema)
	if err != nil {
		t.Fatal(err)
	}
	js, err := os.ReadFile(filepath.Join(out, "import-report.json"))
	if err != nil {
		t.Fatal(err)
	}
	rep, ok := checkReport(t, sch, "import-report.json", js).(*report.Import)
	if !ok || len(rep.Written) != 4 || len(rep.Files) != 4 {
		t.Errorf("import-report.json: %+v, want 4 files read and 4 written", rep)
	}
	found := false
	for _, n := range rep.Notes {
		found = found || strings.Contains(n.What, "Hpad: 1") && strings.Contains(n.Where, "parsed-processed-input.yaml:")
	}
	if !found {
		t.Errorf("import-report.json has no positioned note on the instance's Hpad: %+v", rep.Notes)
	}
	code, stdout, errOut = runNnergy(t, "eval", "--arch", filepath.Join(out, "arch.yaml"), "--model", filepath.Join(out, "workload.yaml"),
		"--layer", "conv2D", "--mapping", filepath.Join(out, "mapping.txt"), "--format", "csv")
	if code != 0 || errOut != "" {
		t.Fatalf("eval: exit %d, stderr %q", code, errOut)
	}
	if !strings.Contains(stdout, ",86016,") {
		t.Errorf("eval of the imported mapping does not take Timeloop's 86016 cycles:\n%s", stdout)
	}
}

func TestImportTimeloopErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"import", "timeloop", "../../timeloop/testdata/eyeriss_like"}, "--out is required"},
		{[]string{"import", "timeloop", "no-such-dir", "--out", t.TempDir()}, "no-such-dir"},
		{[]string{"import", "timeloop", "../../timeloop/testdata/eyeriss_like/timeloop-mapper.map.yaml", "--out", t.TempDir()}, "no architecture section"},
	} {
		code, _, errOut := runNnergy(t, c.args...)
		if code == 0 || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want an error saying %q", c.args, code, errOut, c.want)
		}
	}
}

// TestExportTimeloop writes a searched mapping for Timeloop, alone and
// with its design, imports the design back and evaluates the imported
// mapping: the same cycles as the mapping nnergy found.
func TestExportTimeloop(t *testing.T) {
	args := []string{"map", "--arch", "eyeriss", "--model", "alexnet", "--layer", "conv3", "--max-evals", "300", "--seed", "1"}
	code, stdout, errOut := runNnergy(t, append(args, "--format", "timeloop")...)
	if code != 0 {
		t.Fatalf("map --format timeloop: exit %d, stderr %q", code, errOut)
	}
	for _, want := range []string{"mapping:\n", "target: DRAM\n", "target: GLB\n", "target: RF\n", "type: spatial\n"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("map.yaml has no %q:\n%s", want, stdout)
		}
	}
	out := filepath.Join(t.TempDir(), "tl")
	code, _, errOut = runNnergy(t, append(args, "--format", "timeloop", "--out", out)...)
	if code != 0 || !strings.Contains(errOut, "partition_words") {
		t.Fatalf("map --format timeloop --out: exit %d, stderr %q; want the partitions noted", code, errOut)
	}
	back := filepath.Join(t.TempDir(), "back")
	if code, _, errOut := runNnergy(t, "import", "timeloop", out, "--out", back); code != 0 {
		t.Fatalf("import of the export: exit %d, stderr %q", code, errOut)
	}
	_, table, _ := runNnergy(t, append(args, "--format", "json")...)
	var found struct {
		Layer struct {
			Cycles int64 `json:"cycles"`
		} `json:"layer"`
	}
	if err := json.Unmarshal([]byte(table), &found); err != nil {
		t.Fatal(err)
	}
	code, csv, errOut := runNnergy(t, "eval", "--arch", "eyeriss", "--model", "alexnet", "--layer", "conv3",
		"--mapping", filepath.Join(back, "mapping.txt"), "--format", "csv")
	if code != 0 {
		t.Fatalf("eval of the imported mapping: exit %d, stderr %q", code, errOut)
	}
	if want := fmt.Sprintf(",%d,", found.Layer.Cycles); found.Layer.Cycles == 0 || !strings.Contains(csv, want) {
		t.Errorf("eval of the round-tripped mapping:\n%s\nwant the mapper's %d cycles", csv, found.Layer.Cycles)
	}
	code, stdout, errOut = runNnergy(t, "eval", "--arch", "eyeriss", "--model", "alexnet", "--layer", "conv3",
		"--mapping", filepath.Join(back, "mapping.txt"), "--format", "timeloop")
	if code != 0 || !strings.Contains(stdout, "target: RF_y\n") {
		t.Errorf("eval --format timeloop: exit %d, stderr %q:\n%s", code, errOut, stdout)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"map", "--layer", "conv3", "--out", out}, "--out needs --format timeloop"},
		{[]string{"eval", "--format", "timeloop"}, "--format timeloop needs exactly one layer"},
		{[]string{"eval", "--format", "yaml"}, "unknown --format"},
	} {
		code, _, errOut := runNnergy(t, c.args...)
		if code == 0 || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want %q", c.args, code, errOut, c.want)
		}
	}
}

// TestTimeloopDirect gives eval and map Timeloop files for --arch, --model
// and --mapping: the same import, its report on stderr, and Timeloop's
// 86016 cycles.
func TestTimeloopDirect(t *testing.T) {
	const d = "../../timeloop/testdata/eyeriss_like/"
	in := d + "parsed-processed-input.yaml"
	code, stdout, errOut := runNnergy(t, "eval", "--arch", in, "--model", in, "--mapping", d+"timeloop-mapper.map.yaml", "--format", "csv")
	if code != 0 {
		t.Fatalf("eval: exit %d, stderr %q", code, errOut)
	}
	if !strings.Contains(stdout, ",86016,") || !strings.Contains(errOut, "Imported from Timeloop") || !strings.Contains(errOut, "timeloop-mapper.ERT.yaml") {
		t.Errorf("eval of the Timeloop files directly: stdout\n%s\nstderr\n%s\nwant Timeloop's 86016 cycles and the import's report naming the ERT beside the architecture", stdout, errOut)
	}
	code, stdout, errOut = runNnergy(t, "map", "--arch", in, "--model", "alexnet", "--layer", "conv2", "--max-evals", "200", "--seed", "1")
	if code != 0 || !strings.Contains(stdout, "shared_glb keep") || !strings.Contains(errOut, "Imported from Timeloop") ||
		!strings.Contains(errOut, "this search is not held to them") {
		t.Errorf("map on the Timeloop architecture: exit %d, stdout\n%s\nstderr %q", code, stdout, errOut)
	}
	// The Timeloop problem too: the search keeps to the architecture's
	// constraints (what each level keeps, which loops where), as
	// Timeloop's mapper does, unless --constraints replaces them.
	code, stdout, errOut = runNnergy(t, "map", "--arch", in, "--model", in, "--layer", "conv2D", "--max-evals", "2000", "--seed", "1", "--format", "json")
	if code != 0 {
		t.Fatalf("map on the Timeloop architecture and problem: exit %d, stderr %q", code, errOut)
	}
	want := map[string]string{"DRAM": "weights inputs outputs", "shared_glb": "inputs outputs", "ifmap_spad": "inputs", "weights_spad": "weights", "psum_spad": "outputs"}
	if got := keepsOf(t, stdout, false); !maps.Equal(got, want) {
		t.Errorf("map on the Timeloop architecture and problem keeps %v, want %v as its constraints say", got, want)
	}
	code, stdout, errOut = runNnergy(t, "eval", "--arch", in, "--model", in, "--search", "--max-evals", "2000", "--seed", "1", "--format", "json")
	if code != 0 {
		t.Fatalf("eval --search on the Timeloop architecture and problem: exit %d, stderr %q", code, errOut)
	}
	if got := keepsOf(t, stdout, true); !maps.Equal(got, want) {
		t.Errorf("eval --search on the Timeloop architecture and problem keeps %v, want %v as its constraints say", got, want)
	}
	free := filepath.Join(t.TempDir(), "free.yaml")
	if err := os.WriteFile(free, []byte("version: 1\nname: free\nlevels: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = runNnergy(t, "map", "--arch", in, "--model", in, "--layer", "conv2D", "--max-evals", "200", "--constraints", free)
	if code != 0 || !strings.Contains(errOut, "replaces the constraints of the Timeloop architecture") {
		t.Errorf("map --constraints on the Timeloop architecture: exit %d, stderr %q", code, errOut)
	}
	// Timeloop's mapping, through nnergy and back: the levels it targets.
	code, stdout, errOut = runNnergy(t, "eval", "--arch", in, "--model", in, "--mapping", d+"timeloop-mapper.map.yaml", "--format", "timeloop")
	if code != 0 || !strings.Contains(stdout, "target: inter_PE_column_spatial\n    type: spatial\n    factors: C1 M1 R1 S1 N1 P1 Q14\n") {
		t.Errorf("eval --format timeloop on the Timeloop architecture: exit %d, stderr %q, map.yaml:\n%s", code, errOut, stdout)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"eval", "--arch", "eyeriss", "--model", in, "--mapping", d + "timeloop-mapper.map.yaml"}, "needs the Timeloop --arch and --model it maps"},
		{[]string{"eval", "--arch", "../../timeloop/testdata/v04/eyeriss_like.arch.yaml", "--model", "alexnet", "--layer", "conv1"}, "no ERT section"},
	} {
		code, _, errOut := runNnergy(t, c.args...)
		if code == 0 || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want %q", c.args, code, errOut, c.want)
		}
	}
}

// keepsOf returns what each level keeps in the mapping of a map report's
// layer, or of an eval report's first layer.
func keepsOf(t *testing.T, report string, eval bool) map[string]string {
	t.Helper()
	type layer struct {
		Mapping struct {
			Levels []struct {
				Name string   `json:"name"`
				Keep []string `json:"keep"`
			} `json:"levels"`
		} `json:"mapping"`
	}
	var rep struct {
		Layer  layer   `json:"layer"`
		Layers []layer `json:"layers"`
	}
	if err := json.Unmarshal([]byte(report), &rep); err != nil {
		t.Fatal(err)
	}
	l := rep.Layer
	if eval {
		if len(rep.Layers) == 0 {
			t.Fatalf("no layers in %.300s", report)
		}
		l = rep.Layers[0]
	}
	keeps := map[string]string{}
	for _, lv := range l.Mapping.Levels {
		keeps[lv.Name] = strings.Join(lv.Keep, " ")
	}
	return keeps
}
