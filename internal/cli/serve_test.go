package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nnergy/nnergy/report"
	"github.com/nnergy/nnergy/store"
)

func TestServeUsage(t *testing.T) {
	t.Setenv(tokenEnv, "")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--addr", "0.0.0.0:0"}, "not a loopback address: give a --token"},
		{[]string{"serve", "--addr", "nocolon"}, `--addr "nocolon"`},
		{[]string{"serve", "--jobs", "-1"}, `invalid argument "-1" for "--jobs" flag: want an integer at least 0`},
		{[]string{"serve", "--store", "none"}, "--store none"},
	} {
		code, _, errOut := runNnergy(t, c.args...)
		if code != 2 || !strings.Contains(errOut, c.want) {
			t.Errorf("nnergy %s: exit %d, %q; want 2 and %q", strings.Join(c.args, " "), code, errOut, c.want)
		}
	}
}

// TestServe starts nnergy serve on a store with a run left running by a
// live process (this one), evaluates through it and stops it as a signal
// would.
func TestServe(t *testing.T) {
	db := filepath.Join(t.TempDir(), "runs.db")
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	left := store.Run{Kind: store.KindEval, Version: "test", Command: []string{"nnergy", "eval"}}
	if err := st.Begin(context.Background(), &left); err != nil {
		t.Fatal(err)
	}
	st.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	args := []string{"serve", "--store", db, "--addr", "127.0.0.1:0", "--token", "tok"}
	root := newRoot(args, strings.NewReader(""), io.Discard, pw)
	root.SetArgs(args)
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx); pw.Close() }()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("serve: %v (%s)", err, line)
	}
	go io.Copy(io.Discard, pr)
	base, _, ok := strings.Cut(strings.TrimPrefix(line, "nnergy: serving the API on "), "/api/v1")
	if !ok {
		t.Fatalf("serve said %q", line)
	}
	get := func(method, path, body, token string) (int, []byte) {
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	if code, _ := get("GET", "/api/v1/runs", "", ""); code != http.StatusUnauthorized {
		t.Errorf("no token: %d, want 401", code)
	}
	code, b := get("GET", fmt.Sprintf("/api/v1/runs/%d", left.ID), "", "tok")
	var r report.Run
	if code != 200 || json.Unmarshal(b, &r) != nil || r.Status != "running" || r.Owner == nil || r.Owner.PID != os.Getpid() {
		t.Errorf("run a live process writes: %d %s, want running, owned by pid %d", code, b, os.Getpid())
	}
	code, b = get("POST", "/api/v1/jobs/eval", `{"arch": "eyeriss", "model": "lenet5"}`, "tok")
	if code != http.StatusAccepted || json.Unmarshal(b, &r) != nil {
		t.Fatalf("eval job: %d %s", code, b)
	}
	for deadline := time.Now().Add(time.Minute); r.Status == "running" && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
		_, b = get("GET", fmt.Sprintf("/api/v1/jobs/%d", r.ID), "", "tok")
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatal(err)
		}
	}
	if r.Status != "done" {
		t.Errorf("eval job: %s %q", r.Status, r.Error)
	}
	// The same binary serves the web UI: the run's page shows the eval.
	if code, b := get("GET", fmt.Sprintf("/runs/%d", r.ID), "", "tok"); code != 200 || !strings.Contains(string(b), `<nav id="nav">`) || !strings.Contains(string(b), `id="total-energy-pj"`) {
		t.Errorf("GET /runs/%d: %d %.300s", r.ID, code, b)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve after the signal: %v", err)
	}
}
