package cli

import (
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/nnergy/nnergy/report"
)

// TestPruneSynthetic trains LeNet-5 briefly on the synthetic set, prunes it
// energy-aware by filters to 60% of its eyeriss energy, and checks the
// table, the model, the history in both formats and the plot; then the
// pruned model, exported to ONNX, evaluated by nnergy eval with dense
// activations, costs what the history says with dense activations.
func TestPruneSynthetic(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(dir, "lenet.nnw")
	if code, _, stderr := runNnergy(t, "train", "--model", "lenet5", "--data", "synthetic", "--epochs", "1",
		"--train-images", "3000", "--train-batch", "50", "--workers", "2", "--out", base); code != 0 {
		t.Fatalf("train: exit %d: %s", code, stderr)
	}
	out := filepath.Join(dir, "pruned.onnx")
	hj, hc, svg := filepath.Join(dir, "h.json"), filepath.Join(dir, "h.csv"), filepath.Join(dir, "h.svg")
	code, stdout, stderr := runNnergy(t, "prune", "--model", base, "--data", "synthetic", "--method", "energy-aware",
		"--granularity", "filter", "--target", "energy=0.6", "--arch", "eyeriss", "--increment", "0.2",
		"--density-images", "0", "--restore-images", "256", "--eval-images", "300", "--finetune-epochs", "1", "--train-images", "1000",
		"--train-batch", "50", "--workers", "2", "--out", out, "--history", hj, "--history", hc, "--plot", svg)
	if code != 0 {
		t.Fatalf("prune: exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"pruning " + base + " on synthetic: energy-aware, filter, target energy=0.6, energy on eyeriss (rs builder)\n",
		"step  sparsity   energy_uJ   energy  accuracy  layer_err  action\n",
		"   0      0.0%", "100.0%", "start\n", "fine-tune 1 epochs\n", "target energy=0.6 reached: ", "saved " + out,
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	b, err := os.ReadFile(hj)
	if err != nil {
		t.Fatal(err)
	}
	v, err := report.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	h, ok := v.(*report.Prune)
	if !ok || len(h.Runs) != 1 || h.Runs[0].Method != "energy-aware" || h.Arch != "eyeriss" || h.Granularity != "filter" {
		t.Fatalf("history %+v", v)
	}
	steps := h.Runs[0].Steps
	if len(steps) < 3 || steps[0].EnergyRatio != 1 || steps[len(steps)-2].EnergyRatio > 0.6 || steps[1].Layer == "" || steps[1].Accuracy == nil {
		t.Fatalf("history %+v", steps)
	}
	f, err := os.Open(hc)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil || len(rows) != len(steps)+1 || rows[0][0] != "step" || rows[0][4] != "energy_pj" {
		t.Fatalf("csv: %v, %d rows for %d steps", err, len(rows), len(steps))
	}
	s, err := os.ReadFile(svg)
	if err != nil || !strings.HasPrefix(string(s), "<svg ") || strings.Count(string(s), "<circle ") != len(steps) {
		t.Fatalf("plot: %v\n%.300s", err, s)
	}
	// The written model, evaluated by nnergy eval (weights' zeros from the
	// ONNX file, activations dense), costs what the last step recorded.
	code, evalOut, stderr := runNnergy(t, "eval", "--arch", "eyeriss", "--model", out, "--format", "json")
	if code != 0 {
		t.Fatalf("eval: exit %d: %s", code, stderr)
	}
	var rep struct {
		Total struct {
			EnergyPJ float64 `json:"energy_pj"`
		} `json:"total"`
	}
	if err := json.Unmarshal([]byte(evalOut), &rep); err != nil {
		t.Fatal(err)
	}
	last := steps[len(steps)-1]
	if math.Abs(rep.Total.EnergyPJ-last.EnergyPJ) > 1e-9*last.EnergyPJ {
		t.Errorf("nnergy eval of the pruned model: %v pJ, history %v pJ", rep.Total.EnergyPJ, last.EnergyPJ)
	}

	// Both methods, several targets: each run keeps, fine-tunes and writes
	// the model at each target; every written model costs what its row
	// and its history step say.
	tmpl := filepath.Join(dir, "m-{method}-{target}.onnx")
	code, stdout, stderr = runNnergy(t, "prune", "--model", base, "--data", "synthetic", "--method", "magnitude,energy-aware",
		"--granularity", "filter", "--target", "energy=0.5,0.8,0.65", "--arch", "eyeriss", "--also-arch", "eyeriss,eyeriss-v2",
		"--density-images", "0", "--increment", "0.2", "--restore-images", "256", "--eval-images", "300", "--finetune-epochs", "1",
		"--train-images", "500", "--train-batch", "50", "--workers", "2", "--out", tmpl, "--history", hc, "--plot", filepath.Join(dir, "both.png"))
	if code != 0 {
		t.Fatalf("prune, two methods, three targets: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "method        target          reached  step  sparsity    pruned     tuned   eyeriss   eyeriss-v2\n") {
		t.Errorf("no target table:\n%s", stdout)
	}
	if rows, err = readCSV(hc); err != nil || rows[0][12] != "target" || rows[0][13] != "method" {
		t.Fatalf("csv: %v %v", err, rows)
	}
	for _, method := range []string{"magnitude", "energy-aware"} {
		for _, tg := range []string{"energy=0.8", "energy=0.65", "energy=0.5"} {
			row := regexp.MustCompile(`(?m)^` + method + `\s+` + tg + `\s+yes\s+\d+\s+\S+%\s+\S+%\s+\S+%\s+([0-9.]+)%\s+([0-9.]+)%$`).FindStringSubmatch(stdout)
			if row == nil {
				t.Errorf("no row for %s %s:\n%s", method, tg, stdout)
				continue
			}
			path := strings.ReplaceAll(strings.ReplaceAll(tmpl, "{target}", strings.ReplaceAll(tg, "=", "-")), "{method}", method)
			if !strings.Contains(stdout, "saved "+path+"\n") {
				t.Errorf("%s not saved", path)
			}
			var tuned []string
			for _, r := range rows {
				if r[12] == tg && r[13] == method {
					tuned = r
				}
			}
			if tuned == nil {
				t.Fatalf("csv has no fine-tune step for %s %s", method, tg)
			}
			code, evalOut, stderr := runNnergy(t, "eval", "--arch", "eyeriss", "--model", path, "--format", "json")
			if code != 0 {
				t.Fatalf("eval %s: exit %d: %s", path, code, stderr)
			}
			if err := json.Unmarshal([]byte(evalOut), &rep); err != nil {
				t.Fatal(err)
			}
			if got := fmtF(rep.Total.EnergyPJ, 1); got != tuned[4] {
				t.Errorf("%s %s: nnergy eval %s pJ, history %s pJ", method, tg, got, tuned[4])
			}
			if ratio, _ := strconv.ParseFloat(row[1], 64); ratio > 100*tgFraction(tg)+1e-9 {
				t.Errorf("%s %s: energy %v%%", method, tg, ratio)
			}
		}
	}
}

func readCSV(path string) ([][]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return csv.NewReader(f).ReadAll()
}

func tgFraction(tg string) float64 {
	_, v, _ := strings.Cut(tg, "=")
	f, _ := strconv.ParseFloat(v, 64)
	return f
}

func TestPruneUsage(t *testing.T) {
	for _, args := range [][]string{
		{"prune", "--data", "synthetic", "--target", "energy=1.5"},
		{"prune", "--data", "synthetic", "--method", "random"},
		{"prune", "--data", "synthetic", "--granularity", "channel"},
		{"prune", "--data", "synthetic", "--history", "h.txt"},
		{"prune", "--data", "synthetic", "--plot", "h.jpg"},
		{"prune", "--data", "synthetic", "--target", "energy=0.5,sparsity=0.5"},
		{"prune", "--data", "synthetic", "--out", "m.txt"},
		{"prune", "--data", "synthetic", "--method", "magnitude,random"},
		{"prune", "--data", "synthetic", "--method", "magnitude,energy-aware", "--out", "m.onnx"},
	} {
		if code, _, stderr := runNnergy(t, args...); code == 0 || stderr == "" {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
		}
	}
}
