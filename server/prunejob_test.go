package server

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/nnergy/nnergy/report"
)

// smallPrune is a prune request that runs in a moment.
const smallPrune = `{"data": "synthetic", "method": "magnitude,energy-aware", "target": "sparsity=0.3", "eval_images": 100,
 "finetune_epochs": 0, "calibration": 32, "density_images": 0, "workers": 1}`

func TestPruneJob(t *testing.T) {
	f := newFixture(t, Config{Jobs: 1})
	release := hold(f.srv)
	r := f.startJob("/api/v1/jobs/prune", "application/json", smallPrune)
	if r.RunKind != "prune" || r.Status != "running" || r.Workload != "lenet5" {
		t.Errorf("started prune job: %s %s %s", r.RunKind, r.Status, r.Workload)
	}
	ps, done := f.watch(r.ID, release)
	if done.Status != "done" {
		t.Fatalf("prune job: %s %q", done.Status, done.Error)
	}
	var h report.Prune
	if err := json.Unmarshal(done.Report, &h); err != nil {
		t.Fatal(err)
	}
	if h.Arch != "eyeriss" || h.Data != "synthetic" || len(h.Runs) != 2 || h.Runs[0].Method != "magnitude" || h.Runs[1].Method != "energy-aware" {
		t.Fatalf("prune report: arch %s data %s, %d runs", h.Arch, h.Data, len(h.Runs))
	}
	steps := 0
	for _, run := range h.Runs {
		steps += len(run.Steps)
	}
	last := ps[len(ps)-1]
	step := h.Runs[1].Steps[len(h.Runs[1].Steps)-1]
	if ps[0].Iterations != 0 || last.Iterations != steps || last.Resource != step.EnergyPJ || last.ResourceUnit != "pj" ||
		last.Accuracy == nil || step.Accuracy == nil || *last.Accuracy != *step.Accuracy {
		t.Errorf("last progress %+v, want step %d of energy %g", last, steps, step.EnergyPJ)
	}
}

// TestPruneJobCancel cancels a prune job after its first step.
func TestPruneJobCancel(t *testing.T) {
	f := newFixture(t, Config{Jobs: 1})
	long := strings.Replace(smallPrune, `"sparsity=0.3"`, `"sparsity=0.95"`, 1)
	long = strings.Replace(long, `"finetune_epochs": 0`, `"finetune_epochs": 20`, 1)
	f.cancelAfterFirstIteration("/api/v1/jobs/prune", long)
}

func TestPruneJobBadRequests(t *testing.T) {
	f := newFixture(t, Config{MaxBody: 4096})
	badNNRequests(t, f, "/api/v1/jobs/prune", `{"data": "synthetic"}`)
	for _, c := range []struct{ body, want string }{
		{`{"data": "synthetic", "target": "energy=1.5"}`, "energy=1.5"},
		{`{"data": "synthetic", "target": "energy=0.5,sparsity=0.5"}`, "target"},
		{`{"data": "synthetic", "method": "magnitude,random"}`, "random"},
		{`{"data": "synthetic", "granularity": "channel"}`, "channel"},
		{`{"data": "synthetic", "dataflow": "xs"}`, `dataflow "xs"`},
		{`{"data": "synthetic", "calibration": 0, "lr": -1}`, "calibration 0: want at least 1\nlr and tolerance must be positive"},
		{`{"data": "synthetic", "max_evals": 0}`, "max_evals 0"},
	} {
		f.wantError(c.body, "POST", "/api/v1/jobs/prune", "application/json", c.body, http.StatusBadRequest, c.want)
	}
}
