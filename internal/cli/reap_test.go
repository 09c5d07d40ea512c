package cli

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nnergy/nnergy/store"
)

// startLong starts nnergy args in a process of its own, recording into
// db, and returns it once its run is recorded running.
func startLong(t *testing.T, db string, args ...string) (*exec.Cmd, *store.Run) {
	t.Helper()
	c := nnergyProcess(t, append(args, "--store", db)...)
	var stderr strings.Builder
	c.Stderr = &stderr
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- c.Wait() }()
	ctx := context.Background()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); {
		select {
		case err := <-exited:
			t.Fatalf("nnergy map ended before it was stopped: %v: %s", err, stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
		st, err := store.Open(ctx, db)
		if err != nil {
			continue
		}
		runs, err := st.Runs(ctx, store.Filter{Statuses: []store.Status{store.Running}})
		st.Close()
		if err == nil && len(runs) == 1 {
			t.Cleanup(func() { c.Process.Kill(); <-exited })
			go func() { err := <-exited; exited <- err }()
			return c, runs[0]
		}
	}
	c.Process.Kill()
	t.Fatalf("nnergy %s recorded no running run in a minute", args[0])
	return nil, nil
}

// TestKilledRunReaped kills a recording command with SIGKILL: runs list
// shows its process gone, runs reap marks it interrupted. A command
// stopped by SIGINT records itself interrupted.
func TestKilledRunReaped(t *testing.T) {
	if testing.Short() {
		t.Skip("starts nnergy processes")
	}
	db := filepath.Join(t.TempDir(), "runs.db")
	st := "--store=" + db
	c, run := startLong(t, db, "map", "--model", "alexnet", "--layer", "conv3", "--max-evals", "1000000000", "--workers", "1")
	if run.Owner.PID != c.Process.Pid || !run.Owner.Local() {
		t.Errorf("the run's owner %+v, want this host, pid %d", run.Owner, c.Process.Pid)
	}
	if list := mustRun(t, "runs", "list", st); !matches(t, fmt.Sprintf(`(?m)^ %d  map  .*running \(pid %d\) `, run.ID, c.Process.Pid), list) {
		t.Errorf("runs list with a live run:\n%s", list)
	}
	if code, _, errOut := runNnergy(t, "runs", "reap", st, i64(run.ID)); code != 1 || !strings.Contains(errOut, "which is alive (nothing marked)") {
		t.Errorf("runs reap of a live run: exit %d, %s", code, errOut)
	}
	if err := c.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); run.Owner.Alive() && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	list := mustRun(t, "runs", "list", st)
	if !matches(t, fmt.Sprintf(`(?m)^ %d  map  .*running \(pid %d gone\) `, run.ID, c.Process.Pid), list) ||
		!strings.Contains(list, fmt.Sprintf("run %d: its process is gone; nnergy runs reap marks it interrupted", run.ID)) {
		t.Errorf("runs list with a killed run:\n%s", list)
	}
	if got := mustRun(t, "runs", "reap", st); got != fmt.Sprintf("marked 1 run interrupted in %s: %d\n", db, run.ID) {
		t.Errorf("runs reap: %q", got)
	}
	show := mustRun(t, "runs", "show", st, i64(run.ID))
	if !strings.Contains(show, fmt.Sprintf("run %d: map, interrupted\nerror: interrupted: its process (", run.ID)) ||
		!strings.Contains(show, fmt.Sprintf("pid %d) ended before the run did", c.Process.Pid)) || !strings.Contains(show, "(gone)") {
		t.Errorf("runs show of the reaped run:\n%s", show)
	}
	if got := mustRun(t, "runs", "reap", st); !strings.HasPrefix(got, "no run in ") {
		t.Errorf("runs reap again: %q", got)
	}
	if code, _, errOut := runNnergy(t, "runs", "reap", st, i64(run.ID)); code != 1 || !strings.Contains(errOut, "is interrupted, not running") {
		t.Errorf("runs reap of an interrupted run: exit %d, %s", code, errOut)
	}

	// SIGINT: a sweep records its own run interrupted (and exits 130,
	// TestInterruptExitCodes). SIGTERM (a batch scheduler stopping a
	// shard) is recorded the same way.
	sw := longSweep(t)
	for _, sig := range []struct {
		sig  os.Signal
		text string
	}{{os.Interrupt, "interrupt"}, {syscall.SIGTERM, "terminated"}} {
		c, run = startLong(t, db, "sweep", sw, "--workers", "1", "--progress", "never")
		if err := c.Process.Signal(sig.sig); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(time.Minute); run.Owner.Alive() && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
		}
		show = mustRun(t, "runs", "show", st, i64(run.ID))
		if !strings.Contains(show, fmt.Sprintf("run %d: sweep, interrupted\nerror: interrupted: %s signal received\n", run.ID, sig.text)) {
			t.Errorf("runs show of a run stopped by %v:\n%s", sig.sig, show)
		}
	}
}
