package cli

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nnergy/nnergy/report"
)

func TestEvalGolden(t *testing.T) {
	code, out, errOut := runNnergy(t, "eval", "--arch", "eyeriss", "--model", "alexnet", "--batch", "4")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	checkGolden(t, "eval_eyeriss_alexnet.golden", out)
}

func TestEvalJSON(t *testing.T) {
	code, out, errOut := runNnergy(t, "eval", "--arch", "eyeriss", "--model", "alexnet", "--layer", "conv1,conv2", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rep report.Eval
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Version != report.Version || rep.Kind != report.KindEval || rep.MappingSource != report.SourceBuilder || rep.Dataflow != "rs" {
		t.Errorf("report header %+v", rep.Header)
	}
	if len(rep.Layers) != 2 {
		t.Fatalf("%d layers, want 2", len(rep.Layers))
	}
	var sum float64
	for _, l := range rep.Layers {
		if l.Mapping == nil || !strings.HasPrefix(l.Mapping.Text, "DRAM keep") || len(l.Mapping.Levels) != 3 {
			t.Errorf("layer %s: mapping %+v", l.Name, l.Mapping)
		}
		if l.Levels[0].Name != "DRAM" {
			t.Errorf("first level %v, want DRAM", l.Levels[0].Name)
		}
		var levelSum float64
		for _, lv := range l.Levels {
			levelSum += lv.EnergyPJ
			var tensorSum float64
			for _, tr := range []report.Traffic{lv.Tensors.Weights, lv.Tensors.Inputs, lv.Tensors.Outputs} {
				tensorSum += tr.EnergyPJ
			}
			if abs(tensorSum-lv.StoragePJ) > 1e-6*lv.StoragePJ {
				t.Errorf("layer %s level %s: tensors %g pJ, storage %g pJ", l.Name, lv.Name, tensorSum, lv.StoragePJ)
			}
		}
		// Levels plus MACs (dynamic and static) add up to the layer's
		// energy, and so do its dynamic and static energies; the chip
		// leaks, so the static energy is positive.
		if got, want := levelSum+l.MACEnergyPJ+l.MACStaticPJ, l.EnergyPJ; abs(got-want) > 1e-6*want {
			t.Errorf("layer %v: levels + MACs = %g pJ, energy_pj = %g", l.Name, got, want)
		}
		if got, want := l.DynamicPJ+l.StaticPJ, l.EnergyPJ; abs(got-want) > 1e-6*want || l.StaticPJ <= 0 {
			t.Errorf("layer %v: dynamic %g + static %g pJ, energy_pj = %g", l.Name, l.DynamicPJ, l.StaticPJ, want)
		}
		// Static energy is the leakage over the latency (no power gating on
		// eyeriss).
		if got, want := l.StaticPJ, rep.LeakageWatts*l.LatencySeconds*1e12; abs(got-want) > 1e-6*want {
			t.Errorf("layer %v: static %g pJ, leakage × latency %g", l.Name, got, want)
		}
		sum += l.EnergyPJ
	}
	if got := rep.Total.EnergyPJ; abs(got-sum) > 1e-6*sum {
		t.Errorf("total energy %g pJ, layers add up to %g", got, sum)
	}
	if len(rep.Total.Levels) != 3 {
		t.Error("total lacks levels")
	}
	// The area: DRAM has none, the levels and MACs add up to the total.
	a := rep.Area
	if len(a.Levels) != 3 || a.Levels[0].TotalUM2 != 0 || a.Levels[2].Instances != 168 ||
		abs(a.Levels[1].TotalUM2+a.Levels[2].TotalUM2+a.ComputeUM2-a.TotalUM2) > 1e-9*a.TotalUM2 || a.ComputeUM2 <= 0 {
		t.Errorf("area %+v", a)
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

func TestEvalCSV(t *testing.T) {
	code, out, errOut := runNnergy(t, "eval", "--model", "lenet5", "--format", "csv")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(recs[0], ","); got != "layer,macs,energy_pj,dynamic_pj,static_pj,lower_bound_pj,cycles,utilization,DRAM_pj,GLB_pj,RF_pj,mac_pj" {
		t.Errorf("header %s", got)
	}
	if recs[len(recs)-1][0] != "total" {
		t.Errorf("last row %v, want the total", recs[len(recs)-1])
	}
}

func TestEvalMapping(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.txt")
	// A legal mapping of LeNet-5's first layer (6x1x5x5, 28x28 outputs).
	text := `DRAM keep Weights Inputs Outputs
  for P in [0:2)
GLB keep Weights Inputs Outputs
  for Q in [0:28)
  spatial-x P in [0:14)
  spatial-y R in [0:5)
RF keep Weights Inputs Outputs
  for M in [0:6)
  for S in [0:5)
`
	if err := os.WriteFile(good, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runNnergy(t, "eval", "--model", "lenet5", "--layer", "c1", "--mapping", good, "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rep report.Eval
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Layers[0].Mapping.Text != text || rep.MappingSource != report.SourceFile || rep.MappingFile != good || rep.Dataflow != "" {
		t.Errorf("mapping %s from %s %s (dataflow %q), want\n%s", rep.Layers[0].Mapping.Text, rep.MappingSource, rep.MappingFile, rep.Dataflow, text)
	}
	bad := filepath.Join(dir, "bad.txt")
	if err := os.WriteFile(bad, []byte(strings.Replace(text, "for M in [0:6)", "for M in [0:6)\n  for C in [0:1)\n  for X in [0:2)", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	over := filepath.Join(dir, "over.txt")
	if err := os.WriteFile(over, []byte(strings.Replace(strings.Replace(text, "spatial-x P in [0:14)", "spatial-x P in [0:28)", 1), "  for P in [0:2)\n", "", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"eval", "--arch", "tpu"}, 1, `nnergy: arch: unknown architecture "tpu"`},
		{[]string{"eval", "--model", "alexnet3"}, 1, `nnergy: zoo: unknown model "alexnet3"`},
		{[]string{"eval", "--dataflow", "xs"}, 2, `nnergy: dataflow: unknown dataflow "xs" (want ws, os, is, rs or nlr, or best)`},
		{[]string{"eval", "--batch", "0"}, 2, "nnergy: eval: --batch must be at least 1, got 0"},
		{[]string{"eval", "--format", "xml"}, 2, `nnergy: eval: unknown --format "xml" (want table, json or csv)`},
		{[]string{"eval", "--model", "lenet5", "--layer", "conv9"}, 1, `nnergy: workload: network "lenet5" has no layer "conv9"`},
		{[]string{"eval", "--model", "lenet5", "--mapping", good}, 2, "nnergy: eval: --mapping needs exactly one layer (use --layer)"},
		{[]string{"eval", "--model", "lenet5", "--layer", "c1", "--mapping", bad}, 1,
			"nnergy: mapping: " + bad + `:10: unknown dimension "X" (want N, G, M, C, P, Q, R or S)`},
		{[]string{"eval", "--model", "lenet5", "--layer", "c1", "--mapping", over}, 1,
			`nnergy: explore: layer "c1": mapping breaks the architecture's limits: level GLB: spatial X fan-out 28 exceeds the mesh (14)`},
		{[]string{"eval", "--bogus"}, 2, "nnergy: eval: unknown flag: --bogus"},
	} {
		code, out, errOut := runNnergy(t, tc.args...)
		if code != tc.code || !strings.HasPrefix(errOut, tc.stderr) || strings.Count(errOut, "\n") != 1 || out != "" {
			t.Errorf("nnergy %s: exit %d, stdout %q, stderr %q; want exit %d, stderr starting %q on one line",
				strings.Join(tc.args, " "), code, out, errOut, tc.code, tc.stderr)
		}
	}
}

func TestEvalDensity(t *testing.T) {
	code, out, errOut := runNnergy(t, "eval", "--model", "alexnet", "--layer", "conv4,conv5", "--batch", "4",
		"--density", "inputs=0.4,conv5:inputs=0.25", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rep report.Eval
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	for _, l := range rep.Layers {
		if l.Dense == nil || !(l.EnergyPJ < l.Dense.EnergyPJ) {
			t.Fatalf("%s: sparse energy %g not below the dense %v (eyeriss gates on zero inputs and compresses fmaps)", l.Name, l.EnergyPJ, l.Dense)
		}
		// Savings per level: DRAM (compressed fmaps) and RF (gated reads).
		if len(l.Dense.LevelsEnergyPJ) != len(l.Levels) {
			t.Fatalf("%s: %d dense level energies for %d levels", l.Name, len(l.Dense.LevelsEnergyPJ), len(l.Levels))
		}
		for _, i := range []int{0, 2} {
			if !(l.Levels[i].EnergyPJ < l.Dense.LevelsEnergyPJ[i]) {
				t.Errorf("%s: level %d energy %g, dense %g: no saving", l.Name, i, l.Levels[i].EnergyPJ, l.Dense.LevelsEnergyPJ[i])
			}
		}
	}
	if s4, s5 := 1-rep.Layers[0].EnergyPJ/rep.Layers[0].Dense.EnergyPJ, 1-rep.Layers[1].EnergyPJ/rep.Layers[1].Dense.EnergyPJ; !(s5 > s4) {
		t.Errorf("conv5 (25%% nonzero inputs) saves %.3f, conv4 (40%%) %.3f; want more for conv5", s5, s4)
	}
	code, out, _ = runNnergy(t, "eval", "--model", "lenet5", "--density", "weights=0.5")
	if code != 0 || !strings.Contains(out, "dense_uJ") || !strings.Contains(out, "saved%") {
		t.Errorf("table lacks the dense columns:\n%s", out)
	}
	code, out, _ = runNnergy(t, "eval", "--model", "../../workload/onnx/testdata/pruned_cnn.onnx",
		"--sparsity-from", "../../workload/onnx/testdata/pruned_cnn.onnx", "--format", "json")
	if code != 0 || !strings.Contains(out, `"dense"`) {
		t.Errorf("--sparsity-from a pruned model: exit %d, no dense figures:\n%.300s", code, out)
	}
	for _, tc := range []struct {
		args   []string
		stderr string
	}{
		{[]string{"eval", "--density", "weights"}, `nnergy: --density: "weights": want TENSOR=D or LAYER:TENSOR=D`},
		{[]string{"eval", "--density", "psums=0.5"}, `nnergy: --density: "psums=0.5": unknown tensor "psums" (want weights, inputs or outputs)`},
		{[]string{"eval", "--density", "inputs=0"}, `nnergy: --density: "inputs=0": density must be a number in (0, 1], got "0"`},
		{[]string{"eval", "--density", "conv9:inputs=0.5"}, `nnergy: --density: "conv9:inputs=0.5": workload: network "alexnet" has no layer "conv9"`},
		{[]string{"eval", "--sparsity-from", "../../workload/onnx/testdata/tiny_cnn.onnx"}, "nnergy: --sparsity-from ../../workload/onnx/testdata/tiny_cnn.onnx: no layer names match alexnet's, and it has 3 layers, not 8"},
	} {
		code, out, errOut := runNnergy(t, tc.args...)
		if code == 0 || !strings.HasPrefix(errOut, tc.stderr) || strings.Count(errOut, "\n") != 1 || out != "" {
			t.Errorf("nnergy %s: exit %d, stderr %q; want stderr starting %q on one line", strings.Join(tc.args, " "), code, errOut, tc.stderr)
		}
	}
}

// TestEvalCalibrate trains a small model, then measures its activation
// densities on calibration images: ReLU outputs have zeros, so the sparse
// energy falls below the dense one; a .nnw model loads as a workload too.
func TestEvalCalibrate(t *testing.T) {
	dir := t.TempDir()
	for _, path := range []string{filepath.Join(dir, "l.onnx"), filepath.Join(dir, "l.nnw")} {
		if code, _, errOut := runNnergy(t, "train", "--model", "lenet5", "--data", "synthetic", "--epochs", "1", "--out", path); code != 0 {
			t.Fatalf("train: %s", errOut)
		}
		code, out, errOut := runNnergy(t, "eval", "--model", path, "--data", "synthetic", "--density-images", "32", "--format", "json")
		if code != 0 {
			t.Fatalf("eval --data: exit %d: %s", code, errOut)
		}
		var rep report.Eval
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatal(err)
		}
		if rep.Total.Dense == nil || !(rep.Total.EnergyPJ < rep.Total.Dense.EnergyPJ) {
			t.Errorf("%s: calibrated energy %g, dense %v: want a saving from zero activations", path, rep.Total.EnergyPJ, rep.Total.Dense)
		}
	}
	code, _, errOut := runNnergy(t, "eval", "--model", "alexnet", "--data", "synthetic")
	if want := `nnergy: --data: --model must be a trained model (.onnx or .nnw), got "alexnet"`; code != 2 || strings.TrimSpace(errOut) != want {
		t.Errorf("exit %d, stderr %q; want 2, %q", code, errOut, want)
	}
}

// TestEvalAllSpecErrors: every problem of a bad arch file is printed, each
// on its own line with its position, not the first and a count.
func TestEvalAllSpecErrors(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	spec := "name: x\nlevels:\n  - name: DRAM\n    bogus: 1\n    other: 2\n  - nme: y\n"
	if err := os.WriteFile(bad, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runNnergy(t, "eval", "--arch", bad, "--model", "lenet5")
	lines := strings.Split(strings.TrimSuffix(errOut, "\n"), "\n")
	if code != 1 || out != "" || len(lines) != 3 {
		t.Fatalf("exit %d, stdout %q, stderr:\n%s\nwant exit 1 and 3 error lines", code, out, errOut)
	}
	for i, pos := range []string{":4:5: levels[0].bogus:", ":5:5: levels[0].other:", ":6:5: levels[1].nme:"} {
		if !strings.HasPrefix(lines[i], "nnergy: "+bad+pos) || strings.Contains(lines[i], "more error") {
			t.Errorf("line %d = %q, want it to start %q", i+1, lines[i], "nnergy: "+bad+pos)
		}
	}
}

// TestEvalPrunedFC evaluates a 1000×512 fully connected layer with pruned
// weights on eyeriss-v2, whose RF holds the weights compressed: the mapping
// chosen for the compressed tiles need not fit them dense, and the dense
// figures beside it must not make the evaluation fail.
func TestEvalPrunedFC(t *testing.T) {
	model := filepath.Join(t.TempDir(), "fc.yaml")
	yaml := "version: 1\nname: fc\ninput: [1, 512, 1, 1]\nlayers:\n  - {name: fc, kind: fc, in_channels: 512, out_channels: 1000}\n"
	if err := os.WriteFile(model, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"0.45", "0.1", "0.001"} {
		for _, search := range []bool{false, true} {
			args := []string{"eval", "--arch", "eyeriss-v2", "--model", model, "--density", "weights=" + d, "--format", "json"}
			if search {
				args = append(args, "--search", "--max-evals", "300", "--workers", "1")
			}
			code, out, errOut := runNnergy(t, args...)
			if code != 0 {
				t.Errorf("weights=%s search %v: exit %d: %s", d, search, code, errOut)
				continue
			}
			var rep struct {
				Total struct {
					EnergyPJ    float64 `json:"energy_pj"`
					Utilization float64 `json:"utilization"`
					Dense       *struct {
						EnergyPJ     float64 `json:"energy_pj"`
						BeyondLimits bool    `json:"beyond_limits"`
					} `json:"dense"`
				} `json:"total"`
			}
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatal(err)
			}
			if tot := rep.Total; tot.Dense == nil || !(tot.EnergyPJ < tot.Dense.EnergyPJ) || tot.Utilization > 1 {
				t.Errorf("weights=%s search %v: energy %g pJ, dense %v, utilization %g", d, search, tot.EnergyPJ, tot.Dense, tot.Utilization)
			}
			// The builder's tiles for 10% dense weights hold 10x fewer
			// words than dense ones: the report says the dense figures
			// are beyond the limits.
			if d == "0.1" && !search && (rep.Total.Dense == nil || !rep.Total.Dense.BeyondLimits) {
				t.Errorf("weights=0.1, builder: dense %+v, want beyond_limits", rep.Total.Dense)
			}
			if d == "0.1" && !search {
				_, table, _ := runNnergy(t, args[:len(args)-2]...) // the table, not JSON
				if !strings.Contains(table, "* dense tiles exceed the capacities") {
					t.Errorf("weights=0.1, builder: the table does not mark the dense figures:\n%s", table)
				}
			}
		}
	}
}
