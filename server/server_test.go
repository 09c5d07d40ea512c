package server

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/nnergy/nnergy/report"
	"github.com/nnergy/nnergy/store"
	"github.com/nnergy/nnergy/workload"
	"github.com/nnergy/nnergy/workload/zoo"
)

const reportSchema = "../docs/format/report.schema.json"

// fixture is a server over a fresh store, behind httptest.
type fixture struct {
	t   testing.TB
	st  *store.Store
	srv *Server
	ts  *httptest.Server
	sch *jsonschema.Schema
}

func newFixture(t testing.TB, cfg Config) *fixture {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "runs.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return startOn(t, st, cfg)
}

func startOn(t testing.TB, st *store.Store, cfg Config) *fixture {
	t.Helper()
	cfg.Store = st
	srv, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		srv.Shutdown(context.Background())
		ts.Close()
	})
	sch, err := jsonschema.NewCompiler().Compile(reportSchema)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, st: st, srv: srv, ts: ts, sch: sch}
}

// do sends a request and returns the status and body; a 2xx JSON body is
// checked against the report schema.
func (f *fixture) do(method, path, contentType string, body []byte, header ...string) (int, []byte) {
	f.t.Helper()
	resp, b := f.roundTrip(http.DefaultClient, method, path, contentType, body, header...)
	if resp.StatusCode/100 == 2 && len(b) > 0 && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		f.checkReport(b)
	}
	if resp.StatusCode/100 != 2 {
		var e Error
		if err := json.Unmarshal(b, &e); err != nil || e.Error == "" {
			f.t.Errorf("%s %s: %d with body %q: want an Error object", method, path, resp.StatusCode, b)
		}
	}
	return resp.StatusCode, b
}

func (f *fixture) checkReport(b []byte) {
	f.t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		f.t.Fatal(err)
	}
	if err := f.sch.Validate(inst); err != nil {
		f.t.Errorf("response does not match the report schema: %v\n%s", err, b)
	}
}

func (f *fixture) eval(req string) *report.Run {
	f.t.Helper()
	code, b := f.do("POST", "/api/v1/jobs/eval", "application/json", []byte(req))
	if code != http.StatusAccepted {
		f.t.Fatalf("POST eval %s: %d %s", req, code, b)
	}
	var r report.Run
	if err := json.Unmarshal(b, &r); err != nil {
		f.t.Fatal(err)
	}
	return &r
}

// wait reads the job's events to the end and returns the progress events
// and the final run.
func (f *fixture) wait(id int64) ([]Progress, *report.Run) { return f.watch(id, nil) }

// watch is wait calling opened after the first event.
func (f *fixture) watch(id int64, opened func()) ([]Progress, *report.Run) {
	f.t.Helper()
	resp, err := http.Get(fmt.Sprintf("%s/api/v1/jobs/%d/events", f.ts.URL, id))
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		f.t.Fatalf("events: Content-Type %q", ct)
	}
	var ps []Progress
	var run *report.Run
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<24)
	event := ""
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "event: "); ok {
			event = v
			continue
		}
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			continue
		}
		if opened != nil {
			opened()
			opened = nil
		}
		switch event {
		case "progress":
			var p Progress
			if err := json.Unmarshal([]byte(data), &p); err != nil {
				f.t.Fatal(err)
			}
			ps = append(ps, p)
		case "run":
			f.checkReport([]byte(data))
			run = new(report.Run)
			if err := json.Unmarshal([]byte(data), run); err != nil {
				f.t.Fatal(err)
			}
		default:
			f.t.Fatalf("unknown event %q", event)
		}
	}
	if run == nil {
		f.t.Fatalf("job %d: the events ended without a run event", id)
	}
	return ps, run
}

func TestRunsAPI(t *testing.T) {
	f := newFixture(t, Config{Jobs: 2})
	release := hold(f.srv)
	a := f.eval(`{"arch": "eyeriss", "model": "lenet5"}`)
	b := f.eval(`{"arch": "eyeriss-v2", "model": "lenet5", "batch": 2, "dataflow": "ws"}`)
	if a.Status != "running" || a.RunKind != "eval" {
		t.Errorf("started job: status %q kind %q, want running eval", a.Status, a.RunKind)
	}
	// The jobs wait until the event stream is open.
	ps, ra := f.watch(a.ID, release)
	_, rb := f.wait(b.ID)
	for _, r := range []*report.Run{ra, rb} {
		if r.Status != "done" || len(r.Report) == 0 {
			t.Fatalf("run %d: %s %q, want done with a report", r.ID, r.Status, r.Error)
		}
	}
	// The digest is the layers', as nnergy eval records it, whichever
	// route gave them.
	lenet, err := zoo.Get("lenet5")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		r     *report.Run
		batch int
	}{{ra, 1}, {rb, 2}} {
		if want := workload.Digest(lenet.WithBatch(c.batch).Layers); c.r.WorkloadDigest != want {
			t.Errorf("run %d at batch %d: workload digest %s, want %s", c.r.ID, c.batch, c.r.WorkloadDigest, want)
		}
	}
	if len(ps) < 2 || ps[0].ShapesDone != 0 || ps[len(ps)-1].ShapesDone != ps[len(ps)-1].Shapes || ps[0].Shapes == 0 {
		t.Errorf("progress events %+v: want them to end with every shape done", ps)
	}
	// The report of the run is the one nnergy eval emits.
	var ev report.Eval
	if err := json.Unmarshal(rb.Report, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Arch != "eyeriss-v2" || ev.Batch != 2 || ev.Dataflow != "ws" || ev.Total.EnergyPJ <= 0 {
		t.Errorf("report: arch %s batch %d dataflow %s energy %g", ev.Arch, ev.Batch, ev.Dataflow, ev.Total.EnergyPJ)
	}
	energy := func(r *report.Run) float64 {
		var e report.Eval
		if err := json.Unmarshal(r.Report, &e); err != nil {
			t.Fatal(err)
		}
		return e.Total.EnergyPJ
	}
	low, high := ra.ID, rb.ID
	if energy(ra) > energy(rb) {
		low, high = high, low
	}
	list := func(query string) []int64 {
		t.Helper()
		code, body := f.do("GET", "/api/v1/runs"+query, "", nil)
		if code != http.StatusOK {
			t.Fatalf("GET runs%s: %d %s", query, code, body)
		}
		var rs report.Runs
		if err := json.Unmarshal(body, &rs); err != nil {
			t.Fatal(err)
		}
		ids := []int64{}
		for _, r := range rs.Runs {
			ids = append(ids, r.ID)
		}
		return ids
	}
	for _, c := range []struct {
		query string
		want  []int64
	}{
		{"", []int64{b.ID, a.ID}},
		{"?limit=1", []int64{b.ID}},
		{"?sort=energy", []int64{low, high}},
		{"?sort=energy&limit=1", []int64{low}},
		{"?sort=latency&kind=eval", nil},
		{"?arch=eyeriss-v2", []int64{b.ID}},
		{"?model=lenet5&arch=eyeriss", []int64{a.ID}},
		{"?model=alexnet", []int64{}},
		{"?kind=map,sweep", []int64{}},
	} {
		got := list(c.query)
		if c.want != nil && fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("GET runs%s: %v, want %v", c.query, got, c.want)
		}
		if c.want == nil && len(got) != 2 {
			t.Errorf("GET runs%s: %v, want both runs", c.query, got)
		}
	}
	for _, path := range []string{"/api/v1/runs/%d", "/api/v1/jobs/%d"} {
		code, body := f.do("GET", fmt.Sprintf(path, a.ID), "", nil)
		var r report.Run
		if code != http.StatusOK || json.Unmarshal(body, &r) != nil || r.ID != a.ID || r.Status != "done" {
			t.Errorf("GET %s: %d %s", fmt.Sprintf(path, a.ID), code, body)
		}
	}
	// The diff of the two: the total's energies as the reports give them,
	// and the inputs and settings that differ.
	code, body := f.do("GET", fmt.Sprintf("/api/v1/runs/%d/diff/%d", a.ID, b.ID), "", nil)
	var d report.Diff
	if code != http.StatusOK || json.Unmarshal(body, &d) != nil {
		t.Fatalf("GET diff: %d %s", code, body)
	}
	if len(d.Figures) == 0 || d.Figures[0].Name != "total" || d.Figures[0].A.EnergyPJ == nil || *d.Figures[0].A.EnergyPJ != energy(ra) ||
		*d.Figures[0].B.EnergyPJ != energy(rb) || d.Figures[0].A.Accuracy != nil {
		t.Errorf("diff figures: %s", body)
	}
	var names []string
	for _, s := range append(d.Inputs, d.Settings...) {
		names = append(names, s.Name)
	}
	if got := strings.Join(names, ","); got != "arch,workload_digest,arch,batch,dataflow" {
		t.Errorf("diff inputs and settings %s, want arch,workload_digest,arch,batch,dataflow", got)
	}
	if code, body := f.do("DELETE", fmt.Sprintf("/api/v1/runs/%d", a.ID), "", nil); code != http.StatusNoContent {
		t.Errorf("DELETE run: %d %s", code, body)
	}
	if got := list(""); fmt.Sprint(got) != fmt.Sprint([]int64{b.ID}) {
		t.Errorf("after DELETE: runs %v, want [%d]", got, b.ID)
	}
	if code, _ := f.do("DELETE", fmt.Sprintf("/api/v1/jobs/%d", b.ID), "", nil); code != http.StatusConflict {
		t.Errorf("cancel of a finished job: %d, want 409", code)
	}
}

func TestMapJob(t *testing.T) {
	f := newFixture(t, Config{})
	lenet, err := zoo.Get("lenet5")
	if err != nil {
		t.Fatal(err)
	}
	c3, err := lenet.Layer("c3")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ req, dataflow string }{
		{`{"arch": "eyeriss", "model": "lenet5", "layer": "c3", "max_evals": 300}`, "rs"},
		{`{"arch": "eyeriss", "model": "lenet5", "layer": "c3", "max_evals": 300, "dataflow": "best", "objective": "edp"}`, "best"},
	} {
		// The job waits until the event stream is open, so that the stream
		// sees its progress rather than only the finished run.
		release := hold(f.srv)
		code, b := f.do("POST", "/api/v1/jobs/map", "application/json", []byte(c.req))
		var r report.Run
		if code != http.StatusAccepted || json.Unmarshal(b, &r) != nil {
			release()
			t.Fatalf("map job %s: %d %s", c.req, code, b)
		}
		ps, done := f.watch(r.ID, release)
		if done.Status != "done" || done.RunKind != "map" {
			t.Fatalf("map job %s: %s %s %q", c.req, done.RunKind, done.Status, done.Error)
		}
		if want := workload.Digest([]*workload.Layer{c3}); done.WorkloadDigest != want {
			t.Errorf("map job %s: workload digest %s, want layer c3's %s", c.req, done.WorkloadDigest, want)
		}
		var m report.Map
		if err := json.Unmarshal(done.Report, &m); err != nil {
			t.Fatal(err)
		}
		if m.Layer.Name != "c3" || m.Dataflow != c.dataflow || m.Search.Evaluations == 0 || m.Search.Evaluations > 300 {
			t.Errorf("map report: layer %s dataflow %s evaluations %d", m.Layer.Name, m.Dataflow, m.Search.Evaluations)
		}
		if last := ps[len(ps)-1]; last.ShapesDone != 1 || last.Evaluated != m.Search.Evaluations {
			t.Errorf("last progress %+v, want 1 shape and %d evaluated", last, m.Search.Evaluations)
		}
	}
	// Branch and bound: the report carries its certificate.
	_, r := f.wait(f.startJob("/api/v1/jobs/map", "application/json", `{"arch": "eyeriss", "model": "lenet5", "layer": "c3", "max_evals": 3000, "algorithm": "bnb"}`).ID)
	var m report.Map
	if r.Status != "done" {
		t.Fatalf("bnb map job: %s %q", r.Status, r.Error)
	}
	if err := json.Unmarshal(r.Report, &m); err != nil {
		t.Fatal(err)
	}
	if m.Search.Algorithm != "bnb" || !(m.Search.LowerBound > 0) || m.Search.LowerBound > m.Layer.EnergyPJ*(1+1e-9) {
		t.Errorf("bnb map job: algorithm %q, lower bound %v for %v pJ", m.Search.Algorithm, m.Search.LowerBound, m.Layer.EnergyPJ)
	}
}

// TestONNXUpload evaluates a model uploaded as ONNX in a multipart body.
func TestONNXUpload(t *testing.T) {
	f := newFixture(t, Config{})
	body, ctype := multipartBody(t, `{"arch": "eyeriss", "batch": 3}`, lenetONNX(t))
	code, resp := f.do("POST", "/api/v1/jobs/eval", ctype, []byte(body))
	var r report.Run
	if code != http.StatusAccepted || json.Unmarshal(resp, &r) != nil {
		t.Fatalf("ONNX upload: %d %s", code, resp)
	}
	_, done := f.wait(r.ID)
	var ev report.Eval
	if done.Status != "done" || json.Unmarshal(done.Report, &ev) != nil {
		t.Fatalf("ONNX job: %s %q", done.Status, done.Error)
	}
	if ev.Batch != 3 || len(ev.Layers) == 0 || done.Workload != "onnx" {
		t.Errorf("ONNX job: batch %d, %d layers, workload %q", ev.Batch, len(ev.Layers), done.Workload)
	}
}

func TestBadRequests(t *testing.T) {
	f := newFixture(t, Config{})
	onnxBody, onnxType := multipartBody(t, `{"arch": "eyeriss"}`, []byte("not an onnx model"))
	for _, c := range []struct {
		method, path, ctype, body string
		code                      int
		want                      string
	}{
		{"GET", "/api/v1/runs/7", "", "", 404, "no run 7"},
		{"GET", "/api/v1/runs/x", "", "", 400, `run ID "x"`},
		{"GET", "/api/v1/runs/0", "", "", 400, `run ID "0"`},
		{"DELETE", "/api/v1/runs/7", "", "", 404, "no run 7"},
		{"GET", "/api/v1/jobs/7", "", "", 404, "no run 7"},
		{"DELETE", "/api/v1/jobs/7", "", "", 404, "no run 7"},
		{"GET", "/api/v1/jobs/7/events", "", "", 404, "no run 7"},
		{"GET", "/api/v1/runs?kind=evil", "", "", 400, "kind"},
		{"GET", "/api/v1/runs/7/diff/8", "", "", 404, "no run 7"},
		{"GET", "/api/v1/runs/7/diff/x", "", "", 400, `run ID "x"`},
		{"GET", "/api/v1/runs?sort=size", "", "", 400, `sort "size"`},
		{"GET", "/api/v1/runs?limit=-1", "", "", 400, `limit "-1"`},
		{"GET", "/api/v1/nothing", "", "", 404, "no endpoint GET /api/v1/nothing"},
		{"PUT", "/api/v1/runs", "", "", 405, "want GET"},
		{"POST", "/api/v1/jobs/3", "", "", 405, "want GET or DELETE"},
		{"POST", "/api/v1/jobs/eval", "text/plain", "{}", 415, "Content-Type"},
		{"POST", "/api/v1/jobs/eval", "application/json", "{\n  \"arch\": \"eyeriss\",\n  \"modle\": \"lenet5\"}", 400, `request:3:`},
		{"POST", "/api/v1/jobs/eval", "application/json", "{\"arch\": \"eyeriss\",\n \"batch\": \"two\"}", 400, "request:2:"},
		{"POST", "/api/v1/jobs/eval", "application/json", `{"arch": "eyeriss"`, 400, "request:1:"},
		{"POST", "/api/v1/jobs/eval", "application/json", `{"arch": "eyeriss", "model": "lenet5"} {}`, 400, "data after the JSON object"},
		{"POST", "/api/v1/jobs/eval", "application/json", `{"model": "lenet5"}`, 400, "exactly one of arch"},
		{"POST", "/api/v1/jobs/eval", "application/json", `{"arch": "eyeriss"}`, 400, "exactly one of model"},
		{"POST", "/api/v1/jobs/eval", "application/json", `{"arch": "/etc/passwd", "model": "lenet5"}`, 400, "unknown"},
		{"POST", "/api/v1/jobs/eval", "application/json", `{"arch": "eyeriss", "model": "../../etc/passwd.yaml"}`, 400, "zoo"},
		{"POST", "/api/v1/jobs/eval", "application/json", `{"arch_yaml": "name: x\nlevelz: []\n", "model": "lenet5"}`, 400, "arch_yaml:2:1: levelz: unknown key"},
		{"POST", "/api/v1/jobs/eval", "application/json", `{"arch": "eyeriss", "workload_yaml": "name: n\nlayers:\n  - name: c\n    kind: conv\n    bogus: 1\n"}`, 400, "workload_yaml:5:"},
		{"POST", "/api/v1/jobs/eval", "application/json", `{"arch": "eyeriss", "model": "lenet5", "dataflow": "xs"}`, 400, `dataflow "xs"`},
		{"POST", "/api/v1/jobs/eval", "application/json", `{"arch": "eyeriss", "model": "lenet5", "batch": -1}`, 400, "batch -1"},
		{"POST", "/api/v1/jobs/eval", "application/json", `{"arch": "eyeriss", "model": "vgg16", "batch": 4000000000000}`, 400, "at batch 4000000000000"},
		{"POST", "/api/v1/jobs/eval", onnxType, onnxBody, 400, "onnx"},
		{"POST", "/api/v1/jobs/map", "application/json", `{"arch": "eyeriss", "model": "lenet5"}`, 400, "layer is required"},
		{"POST", "/api/v1/jobs/map", "application/json", `{"arch": "eyeriss", "model": "lenet5", "layer": "c9"}`, 400, "c9"},
		{"POST", "/api/v1/jobs/map", "application/json", `{"arch": "eyeriss", "model": "lenet5", "layer": "c3", "objective": "joy"}`, 400, "objective"},
		{"POST", "/api/v1/jobs/map", "application/json", `{"arch": "eyeriss", "model": "lenet5", "layer": "c3", "algorithm": "magic"}`, 400, `algorithm "magic"`},
		{"POST", "/api/v1/jobs/map", "application/json", `{"arch": "eyeriss", "model": "lenet5", "layer": "c3", "max_evals": -3}`, 400, "max_evals -3"},
		{"POST", "/api/v1/jobs/map", "application/json", `{"arch": "eyeriss", "model": "lenet5", "layer": "c3", "bogus": 1}`, 400, `unknown field "bogus"`},
	} {
		code, body := f.do(c.method, c.path, c.ctype, []byte(c.body))
		var e Error
		json.Unmarshal(body, &e)
		if code != c.code || !strings.Contains(e.Error, c.want) {
			t.Errorf("%s %s %.60q: %d %s, want %d containing %q", c.method, c.path, c.body, code, body, c.code, c.want)
		}
	}
}

func multipartBody(t *testing.T, request string, model []byte) (string, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if err := mw.WriteField(RequestPart, request); err != nil {
		t.Fatal(err)
	}
	fw, err := mw.CreateFormFile(ONNXPart, "model.onnx")
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(model)
	mw.Close()
	return buf.String(), mw.FormDataContentType()
}

func TestAuth(t *testing.T) {
	for _, c := range []struct {
		name, token, header string
		code                int
	}{
		{"no token configured", "", "", 200},
		{"no header", "s3cret", "", 401},
		{"wrong token", "s3cret", "Bearer s3crex", 401},
		{"not bearer", "s3cret", "Basic s3cret", 401},
		{"right token", "s3cret", "Bearer s3cret", 200},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, Config{Token: c.token})
			var h []string
			if c.header != "" {
				h = []string{"Authorization", c.header}
			}
			if code, body := f.do("GET", "/api/v1/runs", "", nil, h...); code != c.code {
				t.Errorf("%d %s, want %d", code, body, c.code)
			}
		})
	}
}

func TestBodyLimit(t *testing.T) {
	f := newFixture(t, Config{MaxBody: 64})
	big := `{"arch": "eyeriss", "model": "lenet5", "dataflow": "` + strings.Repeat("x", 100) + `"}`
	if code, body := f.do("POST", "/api/v1/jobs/eval", "application/json", []byte(big)); code != http.StatusRequestEntityTooLarge {
		t.Errorf("body of %d bytes over 64: %d %s, want 413", len(big), code, body)
	}
	// A body of unknown length is cut at the limit too.
	req, _ := http.NewRequest("POST", f.ts.URL+"/api/v1/jobs/eval", io.MultiReader(strings.NewReader(big)))
	req.ContentLength = -1
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("chunked body over the limit: %d, want 413", resp.StatusCode)
	}
}

// hold fills the running slots, so that jobs admitted wait; the returned
// function frees them.
func hold(s *Server) func() {
	for range cap(s.running) {
		s.running <- struct{}{}
	}
	return func() {
		for range cap(s.running) {
			<-s.running
		}
	}
}

func TestQueueFull(t *testing.T) {
	f := newFixture(t, Config{Jobs: 1})
	release := hold(f.srv)
	// One running and one waiting fit; the third is refused.
	a := f.eval(`{"arch": "eyeriss", "model": "lenet5"}`)
	b := f.eval(`{"arch": "eyeriss", "model": "lenet5"}`)
	code, body := f.do("POST", "/api/v1/jobs/eval", "application/json", []byte(`{"arch": "eyeriss", "model": "lenet5"}`))
	if code != http.StatusTooManyRequests {
		t.Errorf("third job with --jobs 1: %d %s, want 429", code, body)
	}
	release()
	for _, id := range []int64{a.ID, b.ID} {
		if _, r := f.wait(id); r.Status != "done" {
			t.Errorf("job %d: %s %q", id, r.Status, r.Error)
		}
	}
	// The queue has room again.
	f.wait(f.eval(`{"arch": "eyeriss", "model": "lenet5"}`).ID)
}

func TestCancel(t *testing.T) {
	f := newFixture(t, Config{Jobs: 1})
	release := hold(f.srv)
	defer release()
	a := f.eval(`{"arch": "eyeriss", "model": "lenet5"}`)
	if code, body := f.do("DELETE", fmt.Sprintf("/api/v1/jobs/%d", a.ID), "", nil); code != http.StatusAccepted {
		t.Fatalf("cancel: %d %s", code, body)
	}
	if _, r := f.wait(a.ID); r.Status != "failed" || r.Error != "cancelled" {
		t.Errorf("cancelled job: %s %q, want failed, cancelled", r.Status, r.Error)
	}
}

func TestDeleteRunningJob(t *testing.T) {
	f := newFixture(t, Config{Jobs: 1})
	release := hold(f.srv)
	a := f.eval(`{"arch": "eyeriss", "model": "lenet5"}`)
	if code, _ := f.do("DELETE", fmt.Sprintf("/api/v1/runs/%d", a.ID), "", nil); code != http.StatusConflict {
		t.Errorf("DELETE of a running job's run: %d, want 409", code)
	}
	release()
	f.wait(a.ID)
}

// TestRestartMarksInterrupted starts a server on a store with runs left
// running: only the one whose process on this host is gone is marked
// interrupted; a live process's run and another host's stay running.
func TestRestartMarksInterrupted(t *testing.T) {
	path := filepath.Join(t.TempDir(), "runs.db")
	st, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	// What each run's owner is changed to, behind the store's back.
	me := store.Self()
	owners := []struct {
		host string
		pid  int
		want string
	}{
		{me.Host, dead.Process.Pid, "interrupted"},
		{me.Host, me.PID, "running"},
		{"elsewhere.example", dead.Process.Pid, "running"},
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var ids []int64
	for _, o := range owners {
		left := store.Run{Kind: store.KindEval, Version: "test", Command: []string{"nnergy", "eval"}}
		if err := st.Begin(context.Background(), &left); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(`UPDATE runs SET owner_host = ?, owner_pid = ?, owner_start = '' WHERE id = ?`, o.host, o.pid, left.ID); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, left.ID)
	}
	f := startOn(t, st, Config{})
	if got := f.srv.Orphans(); !slices.Equal(got, ids[:1]) {
		t.Errorf("Orphans() = %v, want %v", got, ids[:1])
	}
	for i, o := range owners {
		code, body := f.do("GET", fmt.Sprintf("/api/v1/runs/%d", ids[i]), "", nil)
		var r report.Run
		if code != 200 || json.Unmarshal(body, &r) != nil || r.Status != o.want || r.Owner == nil || r.Owner.Host != o.host || r.Owner.PID != o.pid {
			t.Errorf("run left running by %s pid %d: %d %s, want %s", o.host, o.pid, code, body, o.want)
		}
		if o.want == "interrupted" && !strings.Contains(r.Error, "ended before the run did") {
			t.Errorf("interrupted run's error %q", r.Error)
		}
	}
}

func TestShutdown(t *testing.T) {
	f := newFixture(t, Config{Jobs: 1})
	release := hold(f.srv)
	defer release()
	a := f.eval(`{"arch": "eyeriss", "model": "lenet5"}`)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := f.srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	r, err := f.st.Run(context.Background(), a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != store.Interrupted || r.Error != Interrupted {
		t.Errorf("job at shutdown: %s %q, want interrupted, %q", r.Status, r.Error, Interrupted)
	}
	if code, body := f.do("POST", "/api/v1/jobs/eval", "application/json", []byte(`{"arch": "eyeriss", "model": "lenet5"}`)); code != http.StatusServiceUnavailable {
		t.Errorf("job after shutdown: %d %s, want 503", code, body)
	}
}

func TestNewErrors(t *testing.T) {
	if _, err := New(context.Background(), Config{}); err == nil || !strings.HasPrefix(err.Error(), "server: ") {
		t.Errorf("New without a store: %v", err)
	}
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "runs.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := New(context.Background(), Config{Store: st, Jobs: -1}); err == nil {
		t.Error("New with -1 jobs: no error")
	}
}
