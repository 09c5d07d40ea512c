package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/nnergy/nnergy/report"
)

func TestMapJSON(t *testing.T) {
	code, out, errOut := runNnergy(t, "map", "--model", "lenet5", "--layer", "c3", "--max-evals", "3000", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rep report.Map
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Kind != report.KindMap || rep.Layer.Name != "c3" || rep.Dataflow != "rs" || strings.Join(rep.Objective, ",") != "energy" {
		t.Errorf("report header %+v", rep)
	}
	if rep.Search.Evaluations < 1 || rep.Search.Evaluations > 3000 {
		t.Errorf("evaluated %d, want 1..3000", rep.Search.Evaluations)
	}
	if rep.Layer.EnergyPJ < rep.Layer.LowerBoundPJ {
		t.Errorf("energy %g below the lower bound %g", rep.Layer.EnergyPJ, rep.Layer.LowerBoundPJ)
	}
	if !strings.HasPrefix(rep.Layer.Mapping.Text, "DRAM keep") {
		t.Errorf("mapping %q", rep.Layer.Mapping.Text)
	}
}

// TestMapBeatsBuilder checks that the search is at least as good as the
// dataflow's builder on the same layer.
func TestMapBeatsBuilder(t *testing.T) {
	energy := func(args ...string) float64 {
		code, out, errOut := runNnergy(t, append(args, "--format", "json")...)
		if code != 0 {
			t.Fatalf("nnergy %v: exit %d: %s", args, code, errOut)
		}
		var rep struct {
			Layers []struct {
				EnergyPJ float64 `json:"energy_pj"`
			}
		}
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatal(err)
		}
		return rep.Layers[0].EnergyPJ
	}
	built := energy("eval", "--model", "alexnet", "--layer", "conv4")
	searched := energy("eval", "--model", "alexnet", "--layer", "conv4", "--search", "--max-evals", "20000")
	if searched > built {
		t.Errorf("searched mapping %g pJ, builder's %g pJ", searched, built)
	}
}

func TestMapspace(t *testing.T) {
	code, out, errOut := runNnergy(t, "mapspace", "--model", "alexnet", "--layer", "conv1")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	checkGolden(t, "mapspace_alexnet_conv1.golden", out)
}

func TestEvalSearchSummary(t *testing.T) {
	code, out, errOut := runNnergy(t, "eval", "--model", "lenet5", "--dataflow", "best", "--max-evals", "2000")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "5 unique layer shapes searched: ") || !strings.Contains(out, "dataflow best (searched, objective energy)") {
		t.Errorf("output lacks the search summary:\n%s", out)
	}
}

func TestMapErrors(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"map", "--model", "lenet5"}, 2, "nnergy: map: --layer is required"},
		{[]string{"map", "--model", "lenet5", "--layer", "c9"}, 1, `nnergy: workload: network "lenet5" has no layer "c9"`},
		{[]string{"map", "--layer", "conv1", "--objective", "power"}, 2, `nnergy: mapper: unknown objective "power"`},
		{[]string{"map", "--layer", "conv1", "--algorithm", "genetic"}, 2, `nnergy: map: unknown --algorithm "genetic" (want auto, exhaustive, random or bnb)`},
		{[]string{"map", "--layer", "conv1", "--max-evals", "0"}, 2, "nnergy: map: --max-evals must be at least 1, got 0"},
		{[]string{"map", "--layer", "conv1", "--dataflow", "xs"}, 2, `nnergy: dataflow: unknown dataflow "xs" (want ws, os, is, rs or nlr, or best)`},
		{[]string{"mapspace", "--layer", "conv1", "--batch", "0"}, 2, "nnergy: mapspace: --batch must be at least 1, got 0"},
	} {
		code, out, errOut := runNnergy(t, tc.args...)
		if code != tc.code || !strings.HasPrefix(errOut, tc.stderr) || strings.Count(errOut, "\n") != 1 || out != "" {
			t.Errorf("nnergy %s: exit %d, stdout %q, stderr %q; want exit %d, stderr starting %q on one line",
				strings.Join(tc.args, " "), code, out, errOut, tc.code, tc.stderr)
		}
	}
}
