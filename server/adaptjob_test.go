package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"testing"

	nnonnx "github.com/nnergy/nnergy/nn/onnx"
	nnzoo "github.com/nnergy/nnergy/nn/zoo"
	"github.com/nnergy/nnergy/onnx"
	"github.com/nnergy/nnergy/report"
)

// smallAdapt is an adapt request that runs in a moment: MACs of lenet5 on
// synthetic data, a few mini-batches per proposal.
const smallAdapt = `{"data": "synthetic", "measure": "macs", "budget": "macs=0.8", "init_reduction": 0.1,
 "short_steps": 2, "batch": 16, "holdout": 300, "eval_images": 100, "long_epochs": 0}`

// startJob posts a job request and returns the run it is recorded as.
func (f *fixture) startJob(path, ctype, body string) *report.Run {
	f.t.Helper()
	code, b := f.do("POST", path, ctype, []byte(body))
	var r report.Run
	if code != http.StatusAccepted || json.Unmarshal(b, &r) != nil {
		f.t.Fatalf("POST %s: %d %s", path, code, b)
	}
	return &r
}

func TestAdaptJob(t *testing.T) {
	f := newFixture(t, Config{Jobs: 1})
	release := hold(f.srv)
	r := f.startJob("/api/v1/jobs/adapt", "application/json", smallAdapt)
	if r.RunKind != "adapt" || r.Status != "running" || r.Workload != "lenet5" {
		t.Errorf("started adapt job: %s %s %s", r.RunKind, r.Status, r.Workload)
	}
	ps, done := f.watch(r.ID, release)
	if done.Status != "done" {
		t.Fatalf("adapt job: %s %q", done.Status, done.Error)
	}
	var a report.Adapt
	if err := json.Unmarshal(done.Report, &a); err != nil {
		t.Fatal(err)
	}
	if a.Metric != "macs" || a.Data != "synthetic" || !a.Met || a.FinalResource > a.BudgetResource || len(a.Iterations) == 0 {
		t.Fatalf("adapt report: metric %s data %s met %t %g <= %g, %d iterations", a.Metric, a.Data, a.Met, a.FinalResource, a.BudgetResource, len(a.Iterations))
	}
	// The events follow the iterations: the last carries the last one's
	// figures.
	last := ps[len(ps)-1]
	it := a.Iterations[len(a.Iterations)-1]
	if ps[0].Iterations != 0 || last.Iterations != len(a.Iterations) || last.Accuracy == nil || *last.Accuracy != it.Accuracy ||
		last.Resource != it.Resource || last.ResourceUnit != "macs" {
		t.Errorf("progress %+v, want it to end at iteration %d with %+v", last, len(a.Iterations), it)
	}
	var settings map[string]string
	if err := json.Unmarshal(done.Settings, &settings); err != nil || settings["budget"] != "macs=0.8" || settings["short-steps"] != "2" {
		t.Errorf("settings %s", done.Settings)
	}
}

// TestAdaptJobV2 runs NetAdaptV2 as a job: the report says the method and
// meets the budget.
func TestAdaptJobV2(t *testing.T) {
	f := newFixture(t, Config{})
	body := strings.Replace(smallAdapt, `"long_epochs": 0`, `"long_epochs": 0, "method": "netadaptv2", "v2_proposals": 2, "v2_epochs": 1`, 1)
	_, done := f.wait(f.startJob("/api/v1/jobs/adapt", "application/json", body).ID)
	var a report.Adapt
	if done.Status != "done" || json.Unmarshal(done.Report, &a) != nil {
		t.Fatalf("NetAdaptV2 job: %s %q", done.Status, done.Error)
	}
	if a.Method != "netadaptv2" || !a.Met || a.FinalResource > a.BudgetResource || len(a.Iterations) == 0 || !(a.SearchSeconds > 0) {
		t.Errorf("NetAdaptV2 job: method %q met %t %g <= %g, %d iterations, %g s", a.Method, a.Met, a.FinalResource, a.BudgetResource,
			len(a.Iterations), a.SearchSeconds)
	}
}

// TestAdaptV2Bypass: a NetAdaptV2 job has channel-level bypasses unless
// the request's v2_bypass turns them off, as nnergy adapt --v2-bypass.
func TestAdaptV2Bypass(t *testing.T) {
	for _, tc := range []struct {
		extra    string
		noBypass bool
	}{{``, false}, {`, "v2_bypass": true`, false}, {`, "v2_bypass": false`, true}} {
		req := DefaultAdaptRequest()
		body := strings.Replace(smallAdapt, `"long_epochs": 0`, `"long_epochs": 0, "method": "netadaptv2"`+tc.extra, 1)
		if err := json.Unmarshal([]byte(body), &req); err != nil {
			t.Fatal(err)
		}
		a, err := resolveAdapt(&req, nil)
		if err != nil {
			t.Fatal(err)
		}
		if a.v2 == nil || a.v2.NoBypass != tc.noBypass {
			t.Errorf("request %s: options %+v, want NoBypass %t", body, a.v2, tc.noBypass)
		}
	}
}

// lenetONNX returns LeNet-5 of the training engine as ONNX.
func lenetONNX(t *testing.T) []byte {
	t.Helper()
	om, err := nnonnx.Export(nnzoo.LeNet5())
	if err != nil {
		t.Fatal(err)
	}
	b, err := onnx.Marshal(om)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestAdaptJobONNX adapts a model uploaded as ONNX.
func TestAdaptJobONNX(t *testing.T) {
	f := newFixture(t, Config{})
	body, ctype := multipartBody(t, smallAdapt, lenetONNX(t))
	_, done := f.wait(f.startJob("/api/v1/jobs/adapt", ctype, body).ID)
	var a report.Adapt
	if done.Status != "done" || json.Unmarshal(done.Report, &a) != nil {
		t.Fatalf("ONNX adapt job: %s %q", done.Status, done.Error)
	}
	if a.Model != "onnx" || done.Workload != "onnx" || len(a.Iterations) == 0 {
		t.Errorf("ONNX adapt job: model %s workload %s, %d iterations", a.Model, done.Workload, len(a.Iterations))
	}
}

// TestAdaptJobCancel cancels an adapt job in the middle of its run: the
// job stops and is recorded cancelled.
func TestAdaptJobCancel(t *testing.T) {
	f := newFixture(t, Config{Jobs: 1})
	long := strings.Replace(smallAdapt, `"macs=0.8"`, `"macs=0.05"`, 1)
	long = strings.Replace(long, `"short_steps": 2`, `"short_steps": 40`, 1)
	f.cancelAfterFirstIteration("/api/v1/jobs/adapt", long)
}

// cancelAfterFirstIteration starts a job of body, waits for its first
// iteration or step, cancels it and checks that it ends cancelled.
func (f *fixture) cancelAfterFirstIteration(path, body string) {
	f.t.Helper()
	r := f.startJob(path, "application/json", body)
	j := f.srv.job(r.ID, nil)
	for j != nil {
		p, changed := j.progress()
		if p.Iterations >= 1 || changed == nil {
			break
		}
		<-changed
	}
	if code, body := f.do("DELETE", fmt.Sprintf("/api/v1/jobs/%d", r.ID), "", nil); code != http.StatusAccepted {
		f.t.Fatalf("cancel: %d %s", code, body)
	}
	if _, done := f.wait(r.ID); done.Status != "failed" || done.Error != "cancelled" {
		f.t.Errorf("cancelled job %s: %s %q, want failed, cancelled", path, done.Status, done.Error)
	}
}

// wantError checks that a request is answered with code and an error
// holding want.
func (f *fixture) wantError(name, method, path, ctype, body string, code int, want string) {
	f.t.Helper()
	got, b := f.do(method, path, ctype, []byte(body))
	var e Error
	json.Unmarshal(b, &e)
	if got != code || !strings.Contains(e.Error, want) {
		f.t.Errorf("%s: %d %s, want %d containing %q", name, got, b, code, want)
	}
}

// badNNRequests are the bad inputs that prune and adapt requests share.
func badNNRequests(t *testing.T, f *fixture, path, good string) {
	t.Helper()
	t.Setenv("NNERGY_DATA", t.TempDir())
	field := func(kv string) string { return strings.Replace(good, "{", "{"+kv+", ", 1) }
	garbage, garbageType := multipartBody(t, good, []byte("not an onnx model"))
	both, bothType := multipartBody(t, field(`"model": "lenet5"`), []byte("x"))
	for _, c := range []struct {
		name, ctype, body string
		code              int
		want              string
	}{
		{"unknown zoo model", "application/json", field(`"model": "lenet9"`), 400, `zoo: unknown model "lenet9"`},
		{"workload zoo name", "application/json", field(`"model": "alexnet"`), 400, `unknown model "alexnet"`},
		{"model path", "application/json", field(`"model": "/tmp/m.onnx"`), 400, "unknown model"},
		{"onnx garbage", garbageType, garbage, 400, "onnx"},
		{"model and onnx", bothType, both, 400, "not both"},
		{"unknown data", "application/json", strings.Replace(good, `"synthetic"`, `"cifar"`, 1), 400, `data "cifar": want mnist or fashion-mnist or synthetic`},
		{"mnist missing", "application/json", strings.Replace(good, `"synthetic"`, `"mnist"`, 1), 400, "fetch it with: scripts/fetch-mnist.sh"},
		{"unknown field", "application/json", field(`"data_dir": "/etc"`), 400, `unknown field "data_dir"`},
		{"malformed json", "application/json", "{\n\"data\": synthetic}", 400, "request:2:"},
		{"too many workers", "application/json", field(fmt.Sprintf(`"workers": %d`, runtime.GOMAXPROCS(0)+1)), 400, "cores"},
		{"bad arch yaml", "application/json", field(`"arch_yaml": "name: x\nlevelz: []\n"`), 400, "arch_yaml:2:1: levelz: unknown key"},
		{"arch and arch yaml", "application/json", field(`"arch": "eyeriss", "arch_yaml": "name: x"`), 400, "exactly one of arch"},
		{"too large", "application/json", field(`"arch_yaml": "` + strings.Repeat("#", 5000) + `"`), 413, "exceeds the limit"},
	} {
		f.wantError(c.name, "POST", path, c.ctype, c.body, c.code, c.want)
	}
}

func TestAdaptJobBadRequests(t *testing.T) {
	f := newFixture(t, Config{MaxBody: 4096})
	const good = `{"data": "synthetic", "budget": "energy=0.9"}`
	badNNRequests(t, f, "/api/v1/jobs/adapt", good)
	for _, c := range []struct{ body, want string }{
		{`{"data": "synthetic", "budget": "energy=2"}`, `budget "energy=2"`},
		{`{"data": "synthetic", "budget": "power=0.5"}`, `budget "power=0.5"`},
		{`{"data": "synthetic", "measure": "macs"}`, "measure macs does not report energy"},
		{`{"data": "synthetic", "measure": "gpu"}`, "gpu"},
		{`{"data": "synthetic", "select": "best"}`, "best"},
		{`{"data": "synthetic", "dataflow": "xs"}`, `dataflow "xs"`},
		{`{"data": "synthetic", "init_reduction": 1.5, "decay": 0}`, "init_reduction 1.5 outside (0, 1)\ndecay 0 outside (0, 1]"},
		{`{"data": "synthetic", "holdout": 6000}`, "holdout 6000 leaves no training images (the set has 6000)"},
		{`{"data": "synthetic", "measure": "macs", "budget": "macs=0.5", "search": true}`, "search maps layers"},
		{`{"data": "synthetic", "method": "netadapt3"}`, `method: `},
		{`{"data": "synthetic", "method": "netadaptv2", "v2_calib_batches": 0}`, "v2_calib_batches 0: want at least 1"},
		{`{"data": "synthetic", "method": "netadaptv2", "v2_proposals": 0, "v2_min_width": 2}`, "v2_proposals 0: want at least 1\nv2_min_width 2 outside (0, 1]"},
	} {
		f.wantError(c.body, "POST", "/api/v1/jobs/adapt", "application/json", c.body, http.StatusBadRequest, c.want)
	}
}
