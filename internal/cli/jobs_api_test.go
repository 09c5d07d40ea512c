package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nnergy/nnergy/report"
	"github.com/nnergy/nnergy/server"
	"github.com/nnergy/nnergy/store"
)

// apiJob runs a job through the HTTP API on a fresh store and returns the
// report of its run.
func apiJob(t *testing.T, path, contentType, body string) []byte {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "api.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	srv, err := server.New(context.Background(), server.Config{Store: st, Jobs: 1})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	defer srv.Shutdown(context.Background())
	resp, err := http.Post(ts.URL+path, contentType, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var run report.Run
	if resp.StatusCode != http.StatusAccepted || json.Unmarshal(b, &run) != nil {
		t.Fatalf("POST %s: %d %s", path, resp.StatusCode, b)
	}
	ev, err := http.Get(fmt.Sprintf("%s/api/v1/jobs/%d/events", ts.URL, run.ID))
	if err != nil {
		t.Fatal(err)
	}
	defer ev.Body.Close()
	sc := bufio.NewScanner(ev.Body)
	sc.Buffer(nil, 1<<26)
	var last string
	for sc.Scan() {
		if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			last = d
		}
	}
	var done report.Run
	if err := json.Unmarshal([]byte(last), &done); err != nil {
		t.Fatalf("last event %q: %v", last, err)
	}
	if done.Status != "done" {
		t.Fatalf("job %s: %s %q", path, done.Status, done.Error)
	}
	return done.Report
}

// sameReports fails unless a and b are equal once clear is applied to each.
func sameReports[T any](t *testing.T, what string, a, b []byte, clear func(*T)) {
	t.Helper()
	var x, y T
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatal(err)
	}
	clear(&x)
	clear(&y)
	ja, _ := json.MarshalIndent(x, "", " ")
	jb, _ := json.MarshalIndent(y, "", " ")
	if string(ja) != string(jb) {
		t.Errorf("%s: the CLI's and the API's reports differ:\nCLI %s\nAPI %s", what, ja, jb)
	}
}

// TestSweepCLIAndAPI runs one sweep with nnergy sweep and as an API job:
// the reports are equal but for the name of the file.
func TestSweepCLIAndAPI(t *testing.T) {
	const text = "version: 1\nname: glb\narch: eyeriss\nnetworks: [lenet5]\nmapper: {method: builder, dataflow: ws}\n" +
		"parameters:\n  - {name: glb, key: levels.GLB.size_words, values: [16384, 65536]}\n"
	dir := t.TempDir()
	file := filepath.Join(dir, "s.yaml")
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	code, cli, stderr := runNnergy(t, "sweep", file, "--format", "json", "--pareto", "energy,edp", "--store", filepath.Join(dir, "cli.db"))
	if code != 0 {
		t.Fatalf("sweep: exit %d: %s", code, stderr)
	}
	req, _ := json.Marshal(server.SweepRequest{SweepYAML: text, Pareto: "energy,edp"})
	api := apiJob(t, "/api/v1/jobs/sweep", "application/json", string(req))
	sameReports(t, "sweep", []byte(cli), api, func(s *report.Sweep) { s.File = "" })
}

// TestAdaptCLIAndAPI runs one NetAdapt with nnergy adapt and as an API job:
// the reports are equal.
func TestAdaptCLIAndAPI(t *testing.T) {
	h := filepath.Join(t.TempDir(), "h.json")
	code, _, stderr := runNnergy(t, "adapt", "--model", "lenet5", "--data", "synthetic", "--arch", "eyeriss", "--dataflow", "ws",
		"--budget", "energy=0.9", "--init-reduction", "0.05", "--short-steps", "2", "--train-batch", "16", "--holdout", "300",
		"--eval-images", "100", "--finetune-epochs", "0", "--seed", "3", "--workers", "2", "--history", h, "--store", "none")
	if code != 0 {
		t.Fatalf("adapt: exit %d: %s", code, stderr)
	}
	cli, err := os.ReadFile(h)
	if err != nil {
		t.Fatal(err)
	}
	api := apiJob(t, "/api/v1/jobs/adapt", "application/json", `{"model": "lenet5", "data": "synthetic", "arch": "eyeriss", "dataflow": "ws",
		"budget": "energy=0.9", "init_reduction": 0.05, "short_steps": 2, "batch": 16, "holdout": 300, "eval_images": 100,
		"long_epochs": 0, "seed": 3, "workers": 1}`)
	var a report.Adapt
	if err := json.Unmarshal(api, &a); err != nil || len(a.Iterations) == 0 || a.Arch != "eyeriss" {
		t.Fatalf("API adapt report: %v, %d iterations on %q", err, len(a.Iterations), a.Arch)
	}
	if a.Method != "netadapt" || !(a.SearchSeconds > 0) {
		t.Errorf("API adapt report: method %q, search %v s; want netadapt and a time", a.Method, a.SearchSeconds)
	}
	sameReports(t, "adapt", cli, api, func(a *report.Adapt) { a.SearchSeconds, a.SearchCPUSeconds = 0, 0 })
}

// TestPruneCLIAndAPI prunes with nnergy prune and as an API job, both
// methods, with a fine-tune: the reports are equal.
func TestPruneCLIAndAPI(t *testing.T) {
	h := filepath.Join(t.TempDir(), "h.json")
	code, _, stderr := runNnergy(t, "prune", "--model", "lenet5", "--data", "synthetic", "--method", "magnitude,energy-aware",
		"--granularity", "filter", "--target", "energy=0.9,0.8", "--arch", "eyeriss-v2", "--eval-images", "100", "--restore-images", "32",
		"--density-images", "16", "--finetune-epochs", "1", "--train-images", "200", "--train-batch", "32", "--seed", "2", "--workers", "1",
		"--history", h, "--store", "none")
	if code != 0 {
		t.Fatalf("prune: exit %d: %s", code, stderr)
	}
	cli, err := os.ReadFile(h)
	if err != nil {
		t.Fatal(err)
	}
	api := apiJob(t, "/api/v1/jobs/prune", "application/json", `{"model": "lenet5", "data": "synthetic", "method": "magnitude,energy-aware",
		"granularity": "filter", "target": "energy=0.9,0.8", "arch": "eyeriss-v2", "eval_images": 100, "calibration": 32,
		"density_images": 16, "finetune_epochs": 1, "limit": 200, "batch": 32, "seed": 2, "workers": 1}`)
	var p report.Prune
	if err := json.Unmarshal(api, &p); err != nil || len(p.Runs) != 2 || len(p.Runs[1].Steps) < 2 {
		t.Fatalf("API prune report: %v, %+v", err, p)
	}
	sameReports(t, "prune", cli, api, func(*report.Prune) {})
}
