package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nnergy/nnergy/report"
)

// TestAdaptCompareMethods runs NetAdapt and NetAdaptV2 from the same
// start: the comparison table, one history per method (NetAdaptV2's
// proposals shrink several layers and meet their targets), the plot with
// both, and the written NetAdaptV2 model re-measured by nnergy eval.
func TestAdaptCompareMethods(t *testing.T) {
	dir := t.TempDir()
	base := trainSyntheticLeNet(t, dir)
	hj, out, svg := filepath.Join(dir, "h.json"), filepath.Join(dir, "a.onnx"), filepath.Join(dir, "both.svg")
	code, stdout, stderr := runNnergy(t, "adapt", "--model", base, "--data", "synthetic", "--measure", "macs",
		"--budget", "macs=0.6", "--init-reduction", "0.1", "--short-steps", "3", "--train-batch", "32", "--holdout", "5000",
		"--eval-images", "300", "--finetune-epochs", "1", "--workers", "2", "--method", "netadapt,netadaptv2",
		"--v2-proposals", "3", "--v2-layers", "2", "--history", hj, "--out", out, "--plot", svg)
	if code != 0 {
		t.Fatalf("adapt: exit %d: %s", code, stderr)
	}
	for _, want := range []string{"\n== netadapt\n", "\n== netadaptv2\n", "super-network trained with ordered dropout (2 random + full + smallest",
		"4 sub-networks each", "super-network held-out accuracy ", "netadaptv2 took ", "\nmethod  ", "\nnetadaptv2  ",
		"netadaptv2 over netadapt: ", "saved " + filepath.Join(dir, "a-netadaptv2.onnx") + "\n"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	v1, v2 := readAdaptHistory(t, filepath.Join(dir, "h-netadapt.json")), readAdaptHistory(t, filepath.Join(dir, "h-netadaptv2.json"))
	if v1.Method != "netadapt" || v2.Method != "netadaptv2" || !(v2.SearchSeconds > 0) || !(v2.SearchCPUSeconds > 0) {
		t.Errorf("methods %q %q, times %v s wall %v s CPU", v1.Method, v2.Method, v2.SearchSeconds, v2.SearchCPUSeconds)
	}
	if !v2.Met || v2.InitialResource != v1.InitialResource || len(v2.Iterations) == 0 {
		t.Fatalf("NetAdaptV2 history %+v", v2)
	}
	multi := false
	for _, p := range v2.Proposals {
		if p.Resource > v2.Iterations[p.Iteration-1].TargetResource*(1+1e-12) {
			t.Errorf("proposal %+v misses its target %v", p, v2.Iterations[p.Iteration-1].TargetResource)
		}
		multi = multi || strings.Contains(p.Layer, ", ")
	}
	if !multi {
		t.Errorf("no NetAdaptV2 proposal shrank two layers: %+v", v2.Proposals)
	}
	s, err := os.ReadFile(svg)
	if err != nil || !strings.Contains(string(s), "netadaptv2: final") || !strings.Contains(string(s), "netadapt: chosen proposals") {
		t.Errorf("plot: %v", err)
	}
	code, evalOut, stderr := runNnergy(t, "eval", "--arch", "eyeriss", "--model", filepath.Join(dir, "a-netadaptv2.onnx"), "--format", "json")
	if code != 0 {
		t.Fatalf("eval: exit %d: %s", code, stderr)
	}
	var rep struct {
		Total struct {
			MACs float64 `json:"macs"`
		} `json:"total"`
	}
	if err := json.Unmarshal([]byte(evalOut), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Total.MACs != v2.FinalResource || rep.Total.MACs > v2.BudgetResource {
		t.Errorf("nnergy eval: %v MACs; history %v, budget %v", rep.Total.MACs, v2.FinalResource, v2.BudgetResource)
	}
}

// TestAdaptCompareMethodsCPU compares the methods on CPU latency: both
// are measured by one set of lookup tables, so they start from the same
// latency (timed twice, the same start differed by half on a loaded
// machine).
func TestAdaptCompareMethodsCPU(t *testing.T) {
	dir := t.TempDir()
	base := trainSyntheticLeNet(t, dir)
	hj := filepath.Join(dir, "h.json")
	code, _, stderr := runNnergy(t, "adapt", "--model", base, "--data", "synthetic", "--measure", "cpu", "--cpu-samples", "2",
		"--budget", "latency=0.9", "--init-reduction", "0.1", "--short-steps", "2", "--train-batch", "32", "--holdout", "2000",
		"--eval-images", "100", "--finetune-epochs", "0", "--max-iterations", "1", "--workers", "2", "--method", "netadapt,netadaptv2",
		"--v2-proposals", "2", "--v2-epochs", "1", "--history", hj)
	if code != 0 {
		t.Fatalf("adapt: exit %d: %s", code, stderr)
	}
	v1, v2 := readAdaptHistory(t, filepath.Join(dir, "h-netadapt.json")), readAdaptHistory(t, filepath.Join(dir, "h-netadaptv2.json"))
	if !(v1.InitialResource > 0) || v1.InitialResource != v2.InitialResource {
		t.Errorf("start latency %v s by NetAdapt's tables, %v s by NetAdaptV2's: want one set of tables", v1.InitialResource, v2.InitialResource)
	}
}

// TestAdaptV2Resume interrupts a checkpointed NetAdaptV2 run and resumes
// it to the uninterrupted run's result.
func TestAdaptV2Resume(t *testing.T) {
	dir := t.TempDir()
	args := func(extra ...string) []string {
		return append([]string{"adapt", "--model", "lenet5", "--data", "synthetic", "--measure", "macs", "--budget", "macs=0.6",
			"--init-reduction", "0.08", "--holdout", "5200", "--eval-images", "200", "--finetune-epochs", "0", "--method", "netadaptv2",
			"--v2-proposals", "2"}, extra...)
	}
	full, ck, part := filepath.Join(dir, "full.json"), filepath.Join(dir, "ck"), filepath.Join(dir, "resumed.json")
	if code, _, stderr := runNnergy(t, args("--workers", "2", "--history", full)...); code != 0 {
		t.Fatalf("full run: exit %d: %s", code, stderr)
	}
	if code, stdout, stderr := runNnergy(t, args("--workers", "2", "--checkpoint", ck, "--max-iterations", "2")...); code != 0 ||
		!strings.Contains(stdout, "stopped after 2 iterations") {
		t.Fatalf("interrupted run: exit %d: %s\n%s", code, stderr, stdout)
	}
	code, stdout, stderr := runNnergy(t, args("--workers", "1", "--resume", ck, "--history", part)...)
	if code != 0 || !strings.Contains(stdout, "resuming from "+ck+"\n") || strings.Contains(stdout, "super-network trained") {
		t.Fatalf("resume: exit %d: %s\n%s", code, stderr, stdout)
	}
	a, b := readAdaptHistory(t, full), readAdaptHistory(t, part)
	if len(a.Iterations) < 3 || a.FinalResource != b.FinalResource || len(a.Proposals) != len(b.Proposals) {
		t.Fatalf("resumed run differs:\n%+v\n%+v", b, a)
	}
	for i := range a.Proposals {
		if a.Proposals[i] != b.Proposals[i] {
			t.Errorf("proposal %d: resumed %+v, uninterrupted %+v", i, b.Proposals[i], a.Proposals[i])
		}
	}
}

// TestAdaptV2Bypass adapts mobilenet-small with NetAdaptV2: with the
// channel-level bypasses (the default) the history names bypass units
// ("(cbc)", "(bypassed)") and the written model shows its cut layers; with
// --v2-bypass=false no layer is bypassed.
func TestAdaptV2Bypass(t *testing.T) {
	dir := t.TempDir()
	run := func(name string, extra ...string) (string, report.Adapt) {
		hj, out := filepath.Join(dir, name+".json"), filepath.Join(dir, name+".nnw")
		args := append([]string{"adapt", "--model", "mobilenet-small", "--data", "synthetic", "--measure", "macs", "--budget", "macs=0.7",
			"--init-reduction", "0.15", "--holdout", "1000", "--eval-images", "100", "--finetune-epochs", "0", "--method", "netadaptv2",
			"--v2-proposals", "4", "--v2-layers", "3", "--v2-calib-batches", "2", "--workers", "2", "--history", hj, "--out", out}, extra...)
		code, stdout, stderr := runNnergy(t, args...)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", name, code, stderr)
		}
		return stdout, readAdaptHistory(t, hj)
	}
	stdout, h := run("cbc")
	bypassed := false
	for _, p := range h.Proposals {
		bypassed = bypassed || strings.Contains(p.Layer, "(cbc)") || strings.Contains(p.Layer, "(bypassed)")
	}
	if !bypassed || !strings.Contains(stdout, "bypass layers from 0") || !strings.Contains(stdout, " b3_dw ") {
		t.Errorf("no bypass in the history or output:\n%s", stdout)
	}
	code, show, stderr := runNnergy(t, "show", filepath.Join(dir, "cbc.nnw"), "--format", "csv")
	if code != 0 {
		t.Fatalf("show: exit %d: %s", code, stderr)
	}
	if !h.Met || !strings.Contains(show, "b4_pw,") {
		t.Errorf("met %v; show:\n%s", h.Met, show)
	}
	stdout, h = run("plain", "--v2-bypass=false")
	for _, p := range h.Proposals {
		if strings.Contains(p.Layer, "(cbc)") || strings.Contains(p.Layer, "(bypassed)") {
			t.Errorf("--v2-bypass=false bypassed: %s", p.Layer)
		}
	}
	if strings.Contains(stdout, "bypass layers from 0") {
		t.Errorf("--v2-bypass=false:\n%s", stdout)
	}
}
