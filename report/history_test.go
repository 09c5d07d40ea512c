package report

import (
	"encoding/json"
	"math"
	"reflect"
	"testing"

	"github.com/nnergy/nnergy/netadapt"
	"github.com/nnergy/nnergy/prune"
)

func TestPruneHistory(t *testing.T) {
	steps := []prune.Step{
		{Step: 0, Action: "start", EnergyPJ: 10, EnergyRatio: 1, LatencyS: 1e-3, MACs: 5, Params: 3, Accuracy: 0.98},
		{Step: 1, Action: "prune c1", Layer: "c1", Sparsity: 0.3, EnergyPJ: 6, EnergyRatio: 0.6, Accuracy: math.NaN(), LayerError: 0.01, PlainError: 0.2},
		{Step: 2, Action: "fine-tune 1 epochs", Sparsity: 0.3, EnergyPJ: 6, EnergyRatio: 0.6, Accuracy: 0.9, Target: "energy=0.6"},
	}
	h := NewPrune(PruneInfo{Model: "m.nnw", Data: "synthetic", Arch: "eyeriss", Dataflow: "rs", MappingSource: SourceBuilder,
		Granularity: prune.Filter, Targets: []prune.Target{{Energy: true, Fraction: 0.6}}},
		[]MethodResult{{Method: prune.EnergyAware, Result: &prune.Result{Steps: steps, Reached: true}}})
	if h.Version != Version || h.Kind != KindPrune || h.Granularity != "filter" || h.Targets[0] != "energy=0.6" || h.Runs[0].Method != "energy-aware" {
		t.Errorf("history %+v", h)
	}
	phases := []Phase{PhaseStart, PhasePrune, PhaseFinetune}
	for i, s := range h.Runs[0].Steps {
		if s.Phase != phases[i] {
			t.Errorf("step %d: phase %s, want %s", i, s.Phase, phases[i])
		}
		back := s.ToPrune()
		if math.IsNaN(steps[i].Accuracy) != math.IsNaN(back.Accuracy) || (!math.IsNaN(back.Accuracy) && back.Accuracy != steps[i].Accuracy) {
			t.Errorf("step %d: accuracy %v, want %v", i, back.Accuracy, steps[i].Accuracy)
		}
		back.Accuracy, steps[i].Accuracy = 0, 0
		if back != steps[i] {
			t.Errorf("step %d: round trip %+v, want %+v", i, back, steps[i])
		}
	}
	if h.Runs[0].Steps[1].Accuracy != nil {
		t.Error("NaN accuracy written as a number, want null")
	}
	b, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	p, a, err := ReadHistory(b)
	if err != nil || a != nil || !reflect.DeepEqual(p, h) {
		t.Errorf("read back: %+v, %v, %v", p, a, err)
	}
}

func TestAdaptHistory(t *testing.T) {
	res := &netadapt.Result{Metric: "latency", Initial: 2e-3, Budget: 1e-3, InitReduction: 5e-5, Decay: 0.96, InitialAccuracy: 0.9,
		Iterations: []netadapt.Iteration{{Iteration: 1, Target: 1.9e-3, Layer: "c1", Removed: 2, Filters: 4, Resource: 1.8e-3, Ratio: 0.9, Accuracy: 0.88, Proposals: 2}},
		Proposals: []netadapt.Proposal{{Iteration: 1, Layer: "c1", Removed: 2, Filters: 4, Resource: 1.8e-3, Ratio: 0.9, Accuracy: 0.88, Chosen: true},
			{Iteration: 1, Layer: "c3", Removed: 3, Filters: 13, Resource: 1.85e-3, Ratio: 0.925, Accuracy: 0.8}},
		Resource: 1.8e-3, Accuracy: 0.89, Stop: "stopped after 1 iterations"}
	h, err := NewAdapt(AdaptInfo{Model: "lenet5", Data: "synthetic", Measurer: "cpu"}, res)
	if err != nil {
		t.Fatal(err)
	}
	if h.ResourceUnit != "seconds" || h.Stop != "max_iterations" || h.StopText != res.Stop || h.Arch != "" {
		t.Errorf("history %+v", h)
	}
	if back := h.Result(); !reflect.DeepEqual(back, res) {
		t.Errorf("round trip\n%+v\nwant\n%+v", back, res)
	}
	if _, err := NewAdapt(AdaptInfo{Measurer: "gpu"}, res); err == nil || err.Error() != `report: NetAdapt measurer "gpu": want model, cpu or macs` {
		t.Errorf("measurer gpu: %v", err)
	}
	bad := *res
	bad.Stop = "tired"
	if _, err := NewAdapt(AdaptInfo{Measurer: "cpu"}, &bad); err == nil || err.Error() != `report: unknown NetAdapt stop reason "tired"` {
		t.Errorf("stop reason: %v", err)
	}
	for text, id := range map[string]string{"budget met": "budget_met", "stopped after 500 iterations": "max_iterations", "no layer can meet iteration 7's target": "no_proposal"} {
		if got, err := stopID(text); got != id || err != nil {
			t.Errorf("stopID(%q) = %q, %v; want %q", text, got, err, id)
		}
	}
}

// TestReadHistory reads the histories nnergy wrote before reports were
// versioned, and refuses what is not a history of this version.
func TestReadHistory(t *testing.T) {
	p, a, err := ReadHistory([]byte(`[
 {"method": "magnitude", "step": 0, "action": "start", "sparsity": 0, "energy_pj": 10, "energy_ratio": 1, "latency_s": 0.5, "macs": 5, "params": 3, "accuracy": 0.98},
 {"method": "magnitude", "step": 1, "action": "fine-tune", "sparsity": 0.3, "energy_pj": 6, "energy_ratio": 0.6, "latency_s": 0, "macs": 3, "params": 2, "accuracy": null, "target": "energy=0.6"},
 {"method": "energy-aware", "step": 0, "action": "start", "sparsity": 0, "energy_pj": 10, "energy_ratio": 1, "latency_s": 0, "macs": 5, "params": 3, "accuracy": 0.98}
]`))
	if err != nil || a != nil || len(p.Runs) != 2 || p.Runs[0].Method != "magnitude" || len(p.Runs[0].Steps) != 2 || p.Runs[1].Method != "energy-aware" {
		t.Fatalf("legacy pruning history: %+v, %v", p, err)
	}
	if s := p.Runs[0].Steps; s[0].LatencySeconds != 0.5 || s[1].Phase != PhaseFinetune || s[1].Accuracy != nil || *s[0].Accuracy != 0.98 {
		t.Errorf("steps %+v", s)
	}
	p, a, err = ReadHistory([]byte(`{"metric": "energy", "initial": 10, "budget": 5, "init_reduction": 0.25, "decay": 0.96,
 "initial_accuracy": 0.98, "iterations": [], "proposals": [], "resource": 10, "accuracy": 0.98, "met": false, "stop": "interrupted"}`))
	if err != nil || p != nil || a.ResourceUnit != "pj" || a.InitialResource != 10 || a.StopText != "interrupted" || a.Stop != "" {
		t.Errorf("legacy NetAdapt history: %+v, %v", a, err)
	}
	for _, tc := range []struct{ in, err string }{
		{`[]`, "report: pruning history: no steps"},
		{`[{"step": 0, "colour": "red"}]`, `report: pruning history: json: unknown field "colour"`},
		{`[{"step": 0, "method": "random"}]`, `report: pruning history: step 0: unknown method "random" (want magnitude or energy-aware)`},
		{`{"metric": "energy"}`, "report: NetAdapt history: no metric or initial resource"},
		{`{"version": "nnergy.report/v0", "kind": "prune"}`, `report: version "nnergy.report/v0", this nnergy reads "nnergy.report/v2"`},
		{`{"version": "nnergy.report/v2", "kind": "dance"}`, `report: unknown kind "dance" (want eval, map, compare, prune, adapt, sweep, fit, codesign, run, runs, diff or import)`},
		{`{"version": "nnergy.report/v2", "kind": "eval", "arch": "eyeriss"}`, "report: eval report, not a pruning or NetAdapt history"},
		{`{"version": "nnergy.report/v2", "kind": "run", "id": 1}`, "report: run report, not a pruning or NetAdapt history"},
		{`{"version": "nnergy.report/v2", "kind": "prune", "runs": [], "colour": 1}`, `report: prune report: json: unknown field "colour"`},
		{`{"version": "nnergy.report/v1", "kind": "eval", "arch": "eyeriss"}`, `report: version "nnergy.report/v1", this nnergy reads "nnergy.report/v2"`},
		{`{"version": "nnergy.report/v1", "kind": "prune", "runs": [], "colour": 1}`, `report: prune report: json: unknown field "colour"`},
		{`{"version": "nnergy.report/v2", "kind": "sweep", "name": "s"}`, "report: sweep report, not a pruning or NetAdapt history"},
		{`"prune"`, "report: json: cannot unmarshal string into Go value of type map[string]json.RawMessage"},
	} {
		_, _, err := ReadHistory([]byte(tc.in))
		if err == nil || err.Error() != tc.err {
			t.Errorf("ReadHistory(%s): %v, want %s", tc.in, err, tc.err)
		}
	}
}
