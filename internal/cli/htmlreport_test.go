package cli

import (
	"encoding/json"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/nnergy/nnergy/report"
)

// pageValue returns the exact value a --report page shows under id.
func pageValue(t *testing.T, page, id string) float64 {
	t.Helper()
	m := regexp.MustCompile(`id="` + regexp.QuoteMeta(id) + `" data-value="([^"]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("the page has no %s", id)
	}
	v, err := strconv.ParseFloat(html.UnescapeString(m[1]), 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestReportFlag(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "eval.html")
	code, stdout, stderr := runNnergy(t, "eval", "--model", "lenet5", "--density", "inputs=0.5", "--format", "json", "--report", out)
	if code != 0 {
		t.Fatalf("eval: exit %d: %s", code, stderr)
	}
	var rep report.Eval
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	if !strings.HasPrefix(page, "<!DOCTYPE html>") || strings.Contains(page, "<script") {
		t.Errorf("not a self-contained page:\n%.200s", page)
	}
	for id, want := range map[string]float64{"total-energy-pj": rep.Total.EnergyPJ, "total-dense-energy-pj": rep.Total.Dense.EnergyPJ,
		"layer-0-energy-pj": rep.Layers[0].EnergyPJ, "area-total-um2": rep.Area.TotalUM2} {
		if got := pageValue(t, page, id); got != want {
			t.Errorf("%s: page %v, JSON %v", id, got, want)
		}
	}

	// sweep and adapt write theirs too.
	sw := filepath.Join(dir, "sweep.html")
	if code, _, stderr := runNnergy(t, "sweep", "../../page/testdata/small.yaml", "--pareto", "energy,latency", "--progress", "never", "--report", sw); code != 0 {
		t.Fatalf("sweep: exit %d: %s", code, stderr)
	}
	if b, err := os.ReadFile(sw); err != nil || !strings.Contains(string(b), `class="front"`) || !strings.Contains(string(b), `<a href="#point-0-`) {
		t.Errorf("sweep page: %v\n%.300s", err, b)
	}
	ad := filepath.Join(dir, "adapt.html")
	script, _ := filepath.Abs("testdata/adapt_finetune.sh")
	if code, _, stderr := runNnergy(t, "adapt", "--model", "lenet5", "--data", "synthetic", "--measure", "macs", "--budget", "macs=0.8",
		"--init-reduction", "0.1", "--finetune-cmd", script, "--workers", "2", "--report", ad); code != 0 {
		t.Fatalf("adapt: exit %d: %s", code, stderr)
	}
	if b, err := os.ReadFile(ad); err != nil || pageValue(t, string(b), "final-accuracy") != 0.875 {
		t.Errorf("adapt page: %v", err)
	}
}

func TestReportFlagErrors(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"eval", "--model", "lenet5", "--report", filepath.Join(dir, "x.svg")}, 2, `eval: --report "` + filepath.Join(dir, "x.svg") + `": want a .html or .htm file`},
		{[]string{"eval", "--model", "lenet5", "--report", filepath.Join(dir, "no", "x.html")}, 1, "eval: --report: directory " + filepath.Join(dir, "no") + ": no such file or directory"},
		{[]string{"eval", "--model", "lenet5", "--report", dir + "/"}, 2, "want a .html or .htm file"},
		{[]string{"sweep", "../../page/testdata/small.yaml", "--report", filepath.Join(dir, "no", "s.html")}, 1, "sweep: --report"},
	} {
		code, stdout, stderr := runNnergy(t, c.args...)
		if code != c.code || !strings.Contains(stderr, c.want) || stdout != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit %d and %q", c.args, code, stdout, stderr, c.code, c.want)
		}
	}
}
