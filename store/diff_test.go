package store_test

import (
	"encoding/json"
	"fmt"
	"math"
	"testing"

	"github.com/nnergy/nnergy/report"
	"github.com/nnergy/nnergy/store"
)

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fig formats figures, NaN as "-".
func fig(fs []store.Figure) string {
	s := ""
	for _, f := range fs {
		v := func(x float64) string {
			if math.IsNaN(x) {
				return "-"
			}
			return fmt.Sprint(x)
		}
		s += fmt.Sprintf("%s:%s/%s/%s ", f.Name, v(f.EnergyPJ), v(f.LatencySeconds), v(f.Accuracy))
	}
	return s
}

func TestFigures(t *testing.T) {
	acc := 0.97
	h := func(k report.Kind) report.Header { return report.Header{Version: report.Version, Kind: k} }
	eval := report.Eval{Header: h(report.KindEval), Layers: []report.Layer{
		{Name: "c1", Figures: report.Figures{EnergyPJ: 10, LatencySeconds: 1}},
		{Name: "c2", Figures: report.Figures{EnergyPJ: 20, LatencySeconds: 2}}}}
	eval.Total.EnergyPJ, eval.Total.LatencySeconds = 30, 3
	mp := report.Map{Header: h(report.KindMap), Layer: report.Layer{Name: "c3", Figures: report.Figures{EnergyPJ: 5, LatencySeconds: 0.5}}}
	cmp := report.Compare{Header: h(report.KindCompare), Groups: []report.Group{{Name: report.GroupConv,
		Results: []report.CompareResult{{Dataflow: "rs", EnergyPJ: 7}, {Dataflow: "ws", EnergyPJ: 9}}}}}
	step := func(e float64) report.PruneStep {
		return report.PruneStep{EnergyPJ: e, LatencySeconds: e / 10, Accuracy: &acc}
	}
	prune1 := report.Prune{Header: h(report.KindPrune), Runs: []report.PruneRun{{Method: "magnitude", Steps: []report.PruneStep{step(100), step(50)}}}}
	prune2 := prune1
	prune2.Runs = append(prune2.Runs, report.PruneRun{Method: "energy-aware", Steps: []report.PruneStep{step(100), step(40)}})
	adapt := report.Adapt{Header: h(report.KindAdapt), ResourceUnit: "seconds", FinalResource: 0.25, FinalAccuracy: 0.9}
	fitArch := report.Fit{Header: h(report.KindFit), Batch: 2, Design: &report.FitDesign{EnergyPerFramePJ: 6, LatencySeconds: 0.5}}
	fitSweep := report.Fit{Header: h(report.KindFit), Batch: 1, Sweep: &report.FitSweep{
		Fits: []report.FitDesign{{EnergyPerFramePJ: 4, LatencySeconds: 2}, {EnergyPerFramePJ: 3, LatencySeconds: 1}}}}
	fitNone := report.Fit{Header: h(report.KindFit), Batch: 1, Sweep: &report.FitSweep{Misses: []report.FitDesign{{EnergyPerFramePJ: 1}}}}
	for _, tc := range []struct {
		name string
		rep  []byte
		want string
	}{
		{"eval", mustJSON(t, eval), "total:30/3/- c1:10/1/- c2:20/2/- "},
		{"map", mustJSON(t, mp), "total:5/0.5/- c3:5/0.5/- "},
		{"compare", mustJSON(t, cmp), "conv/rs:7/-/- conv/ws:9/-/- "},
		{"prune", mustJSON(t, prune1), "total:50/5/0.97 "},
		{"prune two methods", mustJSON(t, prune2), "magnitude:50/5/0.97 energy-aware:40/4/0.97 "},
		{"adapt", mustJSON(t, adapt), "total:-/0.25/0.9 "},
		{"fit an architecture", mustJSON(t, fitArch), "total:12/0.5/- "},
		{"fit a sweep: the cheapest that fits", mustJSON(t, fitSweep), "total:4/2/- "},
		{"fit a sweep: none fits", mustJSON(t, fitNone), ""},
		{"an older version", []byte(`{"version":"nnergy.report/v1","kind":"map","layer":{"name":"x","energy_pj":2,"latency_seconds":1}}`), "total:2/1/- x:2/1/- "},
		{"a kind it does not know", []byte(`{"version":"nnergy.report/v9","kind":"sweep"}`), ""},
		{"no report", nil, ""},
	} {
		fs, err := store.Figures(tc.rep)
		if err != nil || fig(fs) != tc.want {
			t.Errorf("%s: Figures = %q, %v; want %q", tc.name, fig(fs), err, tc.want)
		}
	}
	if _, err := store.Figures([]byte(`{"kind":"eval","layers":{}}`)); err == nil {
		t.Error("Figures of a malformed eval report: no error")
	}
}

func TestNewDiff(t *testing.T) {
	rep := func(energy ...float64) []byte {
		e := report.Eval{Header: report.Header{Version: report.Version, Kind: report.KindEval}}
		for i, v := range energy {
			e.Layers = append(e.Layers, report.Layer{Name: fmt.Sprint("l", i), Figures: report.Figures{EnergyPJ: v, LatencySeconds: v / 100}})
			e.Total.EnergyPJ += v
		}
		return mustJSON(t, e)
	}
	a := &store.Run{ID: 1, Kind: store.KindEval, Version: "devel", Arch: "name: eyeriss\n", Workload: "alexnet", WorkloadDigest: "aa",
		Settings: json.RawMessage(`{"arch":"eyeriss","batch":"4","seed":1,"only_a":"x"}`), Report: rep(10, 20)}
	b := &store.Run{ID: 2, Kind: store.KindEval, Version: "devel", Arch: "name: eyeriss\nx: 1\n", Workload: "alexnet", WorkloadDigest: "bb",
		Settings: json.RawMessage(`{"arch":"eyeriss","batch":"8","seed":2,"only_b":"y"}`), Report: rep(15, 20, 5)}
	d, err := store.NewDiff(a, b)
	if err != nil {
		t.Fatal(err)
	}
	var figs string
	for _, f := range d.Figures {
		figs += fmt.Sprintf("%s:%v>%v ", f.Name, f.A.EnergyPJ, f.B.EnergyPJ)
	}
	if want := "total:30>40 l0:10>15 l1:20>20 l2:NaN>5 "; figs != want {
		t.Errorf("figures %q, want %q", figs, want)
	}
	if got := fmt.Sprint(d.Inputs); got != fmt.Sprint([]store.SettingDiff{
		{Name: "arch", A: store.ArchSummary(a.Arch), B: store.ArchSummary(b.Arch)}, {Name: "workload_digest", A: "aa", B: "bb"}}) {
		t.Errorf("inputs %s", got)
	}
	if got, want := fmt.Sprint(d.Settings), fmt.Sprint([]store.SettingDiff{{Name: "batch", A: "4", B: "8"}, {Name: "only_a", A: "x", NoB: true},
		{Name: "only_b", B: "y", NoA: true}, {Name: "seed", A: "1", B: "2"}}); got != want {
		t.Errorf("settings %s, want %s", got, want)
	}
	if store.ArchSummary(a.Arch) == store.ArchSummary(b.Arch) || store.ArchSummary("") != "" {
		t.Error("ArchSummary does not tell architectures apart")
	}
}
