package main_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nnergy/nnergy/report"
	"github.com/nnergy/nnergy/server"
	"github.com/nnergy/nnergy/store"
	"github.com/nnergy/nnergy/sweep"
)

// build builds the nnergy binary into a temporary directory, once per
// test binary.
var build = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "nnergy-bin-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "nnergy")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

func TestMain(m *testing.M) {
	code := m.Run()
	if bin, err := build(); err == nil {
		os.RemoveAll(filepath.Dir(bin))
	}
	os.Exit(code)
}

// serveProc is a running nnergy serve.
type serveProc struct {
	t    *testing.T
	cmd  *exec.Cmd
	base string
	// lines are its standard error's lines after the first.
	mu     sync.Mutex
	lines  []string
	exited chan struct{}
}

// serve starts nnergy serve on the SQLite store db with one job at a
// time, and returns once it listens (the address is the first line of its
// standard error).
func serve(t *testing.T, db string) *serveProc {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command to build nnergy with")
	}
	bin, err := build()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--store", "sqlite:"+db, "--jobs", "1")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &serveProc{t: t, cmd: cmd, exited: make(chan struct{})}
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			cmd.Process.Kill()
			<-p.exited
		}
	})
	sc := bufio.NewScanner(stderr)
	if !sc.Scan() {
		cmd.Process.Kill()
		t.Fatalf("nnergy serve said nothing: %v", cmd.Wait())
	}
	first := sc.Text()
	url, _, ok := strings.Cut(strings.TrimPrefix(first, "nnergy: serving the API on "), "/api/v1 over ")
	if !ok || !strings.HasPrefix(url, "http://127.0.0.1:") {
		cmd.Process.Kill()
		t.Fatalf("nnergy serve's first line %q names no address", first)
	}
	p.base = url
	go func() {
		for sc.Scan() {
			p.mu.Lock()
			p.lines = append(p.lines, sc.Text())
			p.mu.Unlock()
		}
		cmd.Wait()
		close(p.exited)
	}()
	return p
}

// said returns what the server wrote on standard error after its first
// line.
func (p *serveProc) said() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.lines, "\n")
}

// signal sends sig and waits for the server to exit; it returns the exit
// status.
func (p *serveProc) signal(sig os.Signal) *os.ProcessState {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatal(err)
	}
	select {
	case <-p.exited:
	case <-time.After(time.Minute):
		p.t.Fatalf("nnergy serve did not exit in a minute after %v", sig)
	}
	return p.cmd.ProcessState
}

func (p *serveProc) do(method, path, body string) (int, []byte) {
	p.t.Helper()
	req, err := http.NewRequest(method, p.base+path, strings.NewReader(body))
	if err != nil {
		p.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		p.t.Fatal(err)
	}
	return resp.StatusCode, b
}

// job starts a job and returns its run.
func (p *serveProc) job(kind, body string) report.Run {
	p.t.Helper()
	code, b := p.do("POST", "/api/v1/jobs/"+kind, body)
	var r report.Run
	if code != http.StatusAccepted || json.Unmarshal(b, &r) != nil {
		p.t.Fatalf("POST /api/v1/jobs/%s: %d %s", kind, code, b)
	}
	return r
}

// get reads the answer of GET path into v; it must be 200.
func (p *serveProc) get(path string, v any) {
	p.t.Helper()
	code, b := p.do("GET", path, "")
	if code != http.StatusOK || json.Unmarshal(b, v) != nil {
		p.t.Fatalf("GET %s: %d %s", path, code, b)
	}
}

// run returns run id as the API answers it.
func (p *serveProc) run(id int64) report.Run {
	p.t.Helper()
	var r report.Run
	p.get(fmt.Sprintf("/api/v1/runs/%d", id), &r)
	return r
}

// waitDone polls run id until it is no longer running.
func (p *serveProc) waitDone(id int64) report.Run {
	p.t.Helper()
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if r := p.run(id); r.Status != "running" {
			return r
		}
	}
	p.t.Fatalf("run %d still running after two minutes", id)
	return report.Run{}
}

// waitSearching waits until job id's search has evaluated mappings: it
// is running, not waiting.
func (p *serveProc) waitSearching(id int64) { p.waitProgress(id, 1) }

// waitProgress waits until job id has searched (a map job) or finished
// at least points design points (a sweep job).
func (p *serveProc) waitProgress(id int64, points int) {
	p.t.Helper()
	req, _ := http.NewRequest("GET", fmt.Sprintf("%s/api/v1/jobs/%d/events", p.base, id), nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		data, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		var pr server.Progress
		if json.Unmarshal([]byte(data), &pr) == nil && (pr.Evaluated > 0 || pr.Points > 0 && pr.PointsDone >= points) {
			return
		}
	}
	p.t.Fatalf("job %d: no progress of its search or %d points (%v)", id, points, sc.Err())
}

// list returns the API's list of every run.
func (p *serveProc) list() []report.RunRecord {
	p.t.Helper()
	var rs report.Runs
	p.get("/api/v1/runs", &rs)
	return rs.Runs
}

// longMap is a map job that searches far longer than the test lasts.
const longMap = `{"arch": "eyeriss", "model": "alexnet", "layer": "conv3", "algorithm": "random", "max_evals": 1000000000}`

// longSweep is a sweep job of 24 design points, each a search of
// alexnet's layers: it runs far longer than the test waits.
const longSweep = `version: 1
name: sigterm
arch: eyeriss
networks: [alexnet]
mapper: {method: search, dataflow: rs, max_evaluations: 3000, workers: 1}
parameters:
  - {name: rf, key: levels.RF.size_words, range: {from: 16, to: 512, factor: 2}}
  - {name: glb, key: levels.GLB.size_words, values: [16384, 32768, 65536, 131072]}
`

// sweepJob is the body of a sweep job of longSweep.
func sweepJob(t *testing.T) string {
	b, err := json.Marshal(server.SweepRequest{SweepYAML: longSweep, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// sweepItems returns how many points of longSweep db holds done.
func sweepItems(t *testing.T, db string) int {
	t.Helper()
	s, err := sweep.ParseNoFiles("sweep_yaml", []byte(longSweep))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	items, err := st.Sweep().Items(ctx, s.RunKey())
	if err != nil {
		t.Fatal(err)
	}
	return len(items)
}

// checkStore opens db, checks it and returns its runs by ID.
func checkStore(t *testing.T, db string) map[int64]*store.Run {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Check(ctx); err != nil {
		t.Errorf("store after the server stopped: %v", err)
	}
	runs, err := st.Runs(ctx, store.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	m := map[int64]*store.Run{}
	for _, r := range runs {
		m[r.ID] = r
	}
	return m
}

// serveBusy starts a server on a new store with an eval job done and a
// long sweep job past its first design point.
func serveBusy(t *testing.T) (p *serveProc, db string, done, running report.Run) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds nnergy and starts servers")
	}
	db = filepath.Join(t.TempDir(), "runs.db")
	p = serve(t, db)
	done = p.waitDone(p.job("eval", `{"arch": "eyeriss", "model": "lenet5"}`).ID)
	if done.Status != "done" {
		t.Fatalf("eval job: %s %q", done.Status, done.Error)
	}
	running = p.job("sweep", sweepJob(t))
	p.waitProgress(running.ID, 1)
	return p, db, done, running
}

// TestServeSIGTERM stops nnergy serve with SIGTERM while a sweep runs and
// a map job waits: it exits 0, both jobs are recorded interrupted, the run
// that finished and the sweep's points done are intact, the store passes
// its check, a server started again on the store lists the runs as they
// are, and the same sweep sent to it resumes from the points stored.
func TestServeSIGTERM(t *testing.T) {
	p, db, done, running := serveBusy(t)
	waiting := p.job("map", longMap)
	before := p.run(done.ID)

	ps := p.signal(syscall.SIGTERM)
	if !ps.Success() {
		t.Errorf("nnergy serve after SIGTERM: %v (stderr: %s)", ps, p.said())
	}
	runs := checkStore(t, db)
	for _, id := range []int64{running.ID, waiting.ID} {
		if r := runs[id]; r == nil || r.Status != store.Interrupted || r.Error != server.Interrupted || r.Report != nil {
			t.Errorf("job %d after SIGTERM: %+v, want interrupted, %q", id, r, server.Interrupted)
		}
	}
	if r := runs[done.ID]; r == nil || r.Status != store.Done || !jsonEqual(t, r.Report, done.Report) {
		t.Errorf("the finished run %d changed: %+v", done.ID, r)
	}

	// Again on the same store: nothing left to mark, and the API lists
	// the runs as the store holds them.
	p = serve(t, db)
	if s := p.said(); strings.Contains(s, "marked interrupted") {
		t.Errorf("restart marked runs a clean shutdown had recorded: %s", s)
	}
	list := p.list()
	var ids []int64
	for _, r := range list {
		ids = append(ids, r.ID)
		want := runs[r.ID].Record()
		if got, _ := json.Marshal(r); !jsonEqual(t, got, mustJSON(t, want)) {
			t.Errorf("run %d listed after the restart:\n%s\nthe store holds\n%s", r.ID, got, mustJSON(t, want))
		}
	}
	if !slices.Equal(ids, []int64{waiting.ID, running.ID, done.ID}) {
		t.Errorf("runs listed after the restart: %v", ids)
	}
	if after := p.run(done.ID); !jsonEqual(t, mustJSON(t, after.RunRecord), mustJSON(t, before.RunRecord)) {
		t.Errorf("run %d before the shutdown and after the restart differ", done.ID)
	}
	// The sweep again: it counts the points the interrupted one stored
	// before it evaluates any, and loses none of them when stopped again.
	if ps := p.signal(syscall.SIGTERM); !ps.Success() {
		t.Errorf("idle nnergy serve after SIGTERM: %v", ps)
	}
	stored := sweepItems(t, db)
	if stored < 1 {
		t.Fatalf("the interrupted sweep stored %d points, want at least the one it reported", stored)
	}
	p = serve(t, db)
	again := p.job("sweep", sweepJob(t))
	p.waitProgress(again.ID, stored)
	if ps := p.signal(syscall.SIGTERM); !ps.Success() {
		t.Errorf("nnergy serve after SIGTERM during the resumed sweep: %v", ps)
	}
	if r := checkStore(t, db)[again.ID]; r == nil || r.Status != store.Interrupted {
		t.Errorf("the resumed sweep after SIGTERM: %+v, want interrupted", r)
	}
	if n := sweepItems(t, db); n < stored {
		t.Errorf("the store holds %d of the sweep's points after the second stop, had %d", n, stored)
	}
}

// TestServeSIGKILL kills nnergy serve with SIGKILL while a job runs: the
// run stays running in the store until the next server starts, which
// marks it interrupted and says so.
func TestServeSIGKILL(t *testing.T) {
	p, db, done, running := serveBusy(t)
	ps := p.signal(syscall.SIGKILL)
	if ws, ok := ps.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
		t.Fatalf("nnergy serve was not killed: %v", ps)
	}
	runs := checkStore(t, db)
	if r := runs[running.ID]; r == nil || r.Status != store.Running || r.Owner.PID != p.cmd.Process.Pid {
		t.Fatalf("the killed server's job: %+v, want running, owned by pid %d", r, p.cmd.Process.Pid)
	}

	p = serve(t, db)
	r := p.run(running.ID)
	if r.Status != "interrupted" || !strings.Contains(r.Error, fmt.Sprintf("pid %d) ended before the run did", runs[running.ID].Owner.PID)) {
		t.Errorf("the killed server's job after the restart: %s %q", r.Status, r.Error)
	}
	// The line comes after the address; the server is up, so it has been
	// written, but maybe not yet read.
	want := fmt.Sprintf("nnergy: marked interrupted 1 run whose process is gone: %d", running.ID)
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(p.said(), want) && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.Contains(p.said(), want) {
		t.Errorf("the restarted server said %q, want %q", p.said(), want)
	}
	if d := p.run(done.ID); d.Status != "done" || !jsonEqual(t, d.Report, done.Report) {
		t.Errorf("the finished run after the kill: %s", d.Status)
	}
	p.signal(syscall.SIGTERM)
	checkStore(t, db)
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// jsonEqual says whether a and b are the same JSON value.
func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var va, vb any
	if err := json.Unmarshal(a, &va); err != nil {
		t.Fatalf("%v: %.200s", err, a)
	}
	if err := json.Unmarshal(b, &vb); err != nil {
		t.Fatalf("%v: %.200s", err, b)
	}
	ja, _ := json.Marshal(va)
	jb, _ := json.Marshal(vb)
	return string(ja) == string(jb)
}
