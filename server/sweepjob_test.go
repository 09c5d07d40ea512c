package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"testing"

	"github.com/nnergy/nnergy/report"
)

// testSweep is a small sweep: three points of lenet5 on eyeriss, mapped by
// the builder.
const testSweep = `version: 1
name: glb
arch: eyeriss
networks: [lenet5]
mapper: {method: builder, dataflow: rs}
parameters:
  - {name: glb, key: levels.GLB.size_words, values: [16384, 32768, 65536]}
`

// runSweepJob starts a sweep job of req and returns its progress events and
// its finished run; the job waits until the event stream is open.
func runSweepJob(t *testing.T, f *fixture, req any) ([]Progress, *report.Run) {
	t.Helper()
	b, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	release := hold(f.srv)
	code, body := f.do("POST", "/api/v1/jobs/sweep", "application/json", b)
	var r report.Run
	if code != http.StatusAccepted || json.Unmarshal(body, &r) != nil {
		release()
		t.Fatalf("sweep job: %d %s", code, body)
	}
	if r.Status != "running" || r.RunKind != "sweep" {
		t.Errorf("started sweep job: %s %s, want a running sweep", r.RunKind, r.Status)
	}
	return f.watch(r.ID, release)
}

func TestSweepJob(t *testing.T) {
	f := newFixture(t, Config{Jobs: 1})
	req := SweepRequest{SweepYAML: testSweep, Pareto: "energy,latency"}
	ps, run := runSweepJob(t, f, req)
	if run.Status != "done" {
		t.Fatalf("sweep job: %s %q", run.Status, run.Error)
	}
	var rep report.Sweep
	if err := json.Unmarshal(run.Report, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Name != "glb" || len(rep.Points) != 3 || rep.Pareto == nil || len(rep.Pareto.Fronts) != 1 || rep.Store == nil {
		t.Fatalf("sweep report: name %s, %d points, pareto %v, store %v", rep.Name, len(rep.Points), rep.Pareto, rep.Store)
	}
	for _, p := range rep.Points {
		if !p.Valid || len(p.Results) != 1 || !p.Results[0].OK || p.Results[0].EnergyPJ <= 0 {
			t.Errorf("point %s: valid %t, results %+v", p.ID, p.Valid, p.Results)
		}
	}
	if rep.Store.Stored != 0 {
		t.Errorf("first sweep: %d points from the store, want 0", rep.Store.Stored)
	}
	if run.WorkloadDigest != rep.Store.RunKey || run.Workload != "lenet5" {
		t.Errorf("run records workload %q digest %s, want lenet5 and the sweep's run key %s", run.Workload, run.WorkloadDigest, rep.Store.RunKey)
	}
	if len(ps) < 2 || ps[0].Points != 3 || ps[0].PointsDone != 0 {
		t.Fatalf("progress %+v: want it to start at 0 of 3 points", ps)
	}
	if last := ps[len(ps)-1]; last.PointsDone != 3 || last.Points != 3 {
		t.Errorf("last progress %+v, want 3 of 3 points", last)
	}
	for i := 1; i < len(ps); i++ {
		if ps[i].PointsDone < ps[i-1].PointsDone {
			t.Errorf("progress went back: %+v", ps)
		}
	}

	// The store keeps the points: the same sweep again takes them all from
	// it, with the same figures.
	_, again := runSweepJob(t, f, req)
	var rep2 report.Sweep
	if again.Status != "done" || json.Unmarshal(again.Report, &rep2) != nil {
		t.Fatalf("second sweep job: %s %q", again.Status, again.Error)
	}
	if rep2.Store == nil || rep2.Store.Stored != 3 || rep2.Store.RunKey != rep.Store.RunKey {
		t.Errorf("second sweep: store %+v, want all 3 points from run key %s", rep2.Store, rep.Store.RunKey)
	}
	for i := range rep.Points {
		if a, b := rep.Points[i].Results[0].EnergyPJ, rep2.Points[i].Results[0].EnergyPJ; a != b {
			t.Errorf("point %s: energy %g, then %g from the store", rep.Points[i].ID, a, b)
		}
	}

	// A shard evaluates its part of the points.
	_, part := runSweepJob(t, f, SweepRequest{SweepYAML: testSweep, Shard: "1/2"})
	var rep3 report.Sweep
	if part.Status != "done" || json.Unmarshal(part.Report, &rep3) != nil {
		t.Fatalf("shard job: %s %q", part.Status, part.Error)
	}
	if rep3.Shard.Index != 1 || rep3.Shard.Count != 2 || len(rep3.Points) == 0 || len(rep3.Points) == 3 {
		t.Errorf("shard 1/2: shard %+v with %d points", rep3.Shard, len(rep3.Points))
	}
}

func TestSweepJobBadRequests(t *testing.T) {
	f := newFixture(t, Config{MaxBody: 4096})
	yamlReq := func(text string, extra ...string) string {
		b, _ := json.Marshal(text)
		return `{"sweep_yaml": ` + string(b) + strings.Join(extra, "") + `}`
	}
	onnxBody, onnxType := multipartBody(t, yamlReq(testSweep), []byte("onnx"))
	for _, c := range []struct {
		name, ctype, body string
		code              int
		want              string
	}{
		{"no sweep", "application/json", `{}`, 400, "sweep_yaml is required"},
		{"malformed yaml", "application/json", yamlReq("version: 1\nname: x\n\tarch: eyeriss\n"), 400, "sweep_yaml:2: invalid YAML: found a tab"},
		{"unknown key", "application/json", yamlReq(testSweep + "extra: 1\n"), 400, "sweep_yaml:8:1: extra: unknown key"},
		{"arch file", "application/json", yamlReq(strings.Replace(testSweep, "arch: eyeriss", "arch: /etc/arch.yaml", 1)), 400, `sweep_yaml:3:7: arch: "/etc/arch.yaml" is not a preset`},
		{"network file", "application/json", yamlReq(strings.Replace(testSweep, "[lenet5]", "[../../etc/passwd]", 1)), 400, "sweep_yaml:4:12: networks[0]: \"../../etc/passwd\" names a file"},
		{"every error", "application/json", yamlReq(strings.Replace(strings.Replace(testSweep, "[lenet5]", "[w.yaml]", 1), "arch: eyeriss", "arch: a.yaml", 1)), 400,
			"sweep_yaml:3:7: arch: \"a.yaml\" is not a preset (edge-npu, eyeriss, eyeriss-v2, systolic, systolic-16); a sweep sent over the network names no files\n" +
				"sweep_yaml:4:12: networks[0]: \"w.yaml\" names a file"},
		{"unknown zoo model", "application/json", yamlReq(strings.Replace(testSweep, "[lenet5]", "[lenet9]", 1)), 400, `networks[0]: zoo: unknown model "lenet9"`},
		{"bad shard", "application/json", yamlReq(testSweep, `, "shard": "3/2"`), 400, "server: shard:"},
		{"bad pareto", "application/json", yamlReq(testSweep, `, "pareto": "joy"`), 400, "server: pareto:"},
		{"negative workers", "application/json", yamlReq(testSweep, `, "workers": -1`), 400, "workers -1"},
		{"too many workers", "application/json", yamlReq(testSweep, fmt.Sprintf(`, "workers": %d`, runtime.GOMAXPROCS(0)+1)), 400, "cores"},
		{"unknown field", "application/json", yamlReq(testSweep, `, "file": "x.yaml"`), 400, `unknown field "file"`},
		{"onnx part", onnxType, onnxBody, 400, "takes no ONNX model"},
		{"too large", "application/json", yamlReq(testSweep + "# " + strings.Repeat("x", 5000) + "\n"), 413, "exceeds the limit"},
	} {
		f.wantError(c.name, "POST", "/api/v1/jobs/sweep", c.ctype, c.body, c.code, c.want)
	}
}

// TestSweepJobCancel cancels a sweep job waiting for a slot, with its event
// stream open.
func TestSweepJobCancel(t *testing.T) {
	f := newFixture(t, Config{Jobs: 1})
	release := hold(f.srv)
	defer release()
	code, body := f.do("POST", "/api/v1/jobs/sweep", "application/json", []byte(`{"sweep_yaml": `+jsonString(testSweep)+`}`))
	var r report.Run
	if code != http.StatusAccepted || json.Unmarshal(body, &r) != nil {
		t.Fatalf("sweep job: %d %s", code, body)
	}
	_, done := f.watch(r.ID, func() {
		if code, body := f.do("DELETE", fmt.Sprintf("/api/v1/jobs/%d", r.ID), "", nil); code != http.StatusAccepted {
			t.Errorf("cancel: %d %s", code, body)
		}
	})
	if done.Status != "failed" || done.Error != "cancelled" {
		t.Errorf("cancelled sweep job: %s %q, want failed, cancelled", done.Status, done.Error)
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
