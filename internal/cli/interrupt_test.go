package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/nnergy/nnergy/store"
)

// lockedBuffer is a strings.Builder a process and a test share.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// runningIn reports whether the store db holds a running run.
func runningIn(db string) bool {
	ctx := context.Background()
	st, err := store.Open(ctx, db)
	if err != nil {
		return false
	}
	defer st.Close()
	runs, err := st.Runs(ctx, store.Filter{Statuses: []store.Status{store.Running}})
	return err == nil && len(runs) == 1
}

// longSweep writes a sweep that runs until it is stopped and returns its
// file name.
func longSweep(t *testing.T) string {
	t.Helper()
	sw := filepath.Join(t.TempDir(), "long.yaml")
	if err := os.WriteFile(sw, []byte(`version: 1
name: long
arch: eyeriss
networks: [alexnet]
mapper: {method: search, dataflow: rs, max_evaluations: 1000000000, workers: 1}
parameters:
  - {name: x, key: levels.RF.mesh.x, values: [12, 14]}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	return sw
}

// TestInterruptExitCodes stops each long command with SIGINT or SIGTERM
// once it is under way: it exits 130 or 143 (not 0 or 1), says which
// signal stopped it, and says how to resume where there is a checkpoint or
// a store.
func TestInterruptExitCodes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts nnergy processes")
	}
	dir := t.TempDir()
	sw := longSweep(t)
	ckpt, trainCkpt := filepath.Join(dir, "ckpt"), filepath.Join(dir, "train-ckpt")
	model := filepath.Join(dir, "trained.nnw")
	for _, tc := range []struct {
		name string
		args []string
		sig  syscall.Signal
		// ready reports, from the process's stdout and its store, that
		// the command is under way.
		ready func(db, stdout string) bool
		code  int
		// stderr and stdout hold these.
		stderr, stdout []string
		// absent must not exist afterwards.
		absent string
		// kept: the store keeps the report of what the run finished,
		// which holds this mark of the stop.
		kept string
	}{
		{name: "map", args: []string{"map", "--model", "alexnet", "--layer", "conv3", "--max-evals", "1000000000", "--workers", "1"},
			sig: syscall.SIGINT, code: 130, stderr: []string{"nnergy: stopped by SIGINT\n"}, stdout: []string{"conv3"}, kept: `"stopped":"interrupted"`},
		{name: "eval --search", args: []string{"eval", "--model", "alexnet", "--search", "--max-evals", "1000000000", "--workers", "1"},
			sig: syscall.SIGTERM, code: 143, stderr: []string{"nnergy: stopped by SIGTERM\n"},
			stdout: []string{"alexnet on eyeriss", "\npartial: stopped (terminated signal received) before the search ended; the best mappings found so far", "\nenergy "}, kept: `"partial":{"reason":"`},
		{name: "compare", args: []string{"compare", "--model", "alexnet", "--workers", "1"},
			sig: syscall.SIGINT, code: 130, stderr: []string{"nnergy: stopped by SIGINT\n"},
			stdout: []string{"energy per MAC of each layer", "\npartial: stopped (interrupt signal received) before the search ended; the best mappings found so far; not searched, the dataflow's builder mapping: "}, kept: `"partial":{"reason":"`},
		{name: "sweep", args: []string{"sweep", sw, "--workers", "1", "--progress", "never"},
			sig: syscall.SIGTERM, code: 143, stderr: []string{"nnergy sweep: interrupted; the points evaluated are kept in ", "the same command continues from them", "nnergy: stopped by SIGTERM\n"}},
		{name: "train", args: []string{"train", "--model", "lenet5", "--data", "synthetic", "--epochs", "1000", "--out", model},
			sig: syscall.SIGINT, code: 130, ready: func(_, out string) bool { return strings.Contains(out, "epoch 1/1000") },
			stderr: []string{"nnergy: stopped by SIGINT\n"}, absent: model},
		{name: "train --checkpoint", args: []string{"train", "--model", "lenet5", "--data", "synthetic", "--epochs", "1000", "--checkpoint", trainCkpt},
			sig: syscall.SIGTERM, code: 143, ready: func(_, out string) bool { return strings.Contains(out, "epoch 1/1000") },
			stderr: []string{"nnergy train: interrupted; " + trainCkpt + " holds the run at epoch 2, step ", " of 94: the same command with --resume " + trainCkpt + " continues it\n", "nnergy: stopped by SIGTERM\n"}},
		{name: "prune", args: []string{"prune", "--model", "lenet5", "--data", "synthetic", "--method", "energy-aware", "--target", "energy=0.2", "--arch", "eyeriss"},
			sig: syscall.SIGTERM, code: 143, stderr: []string{"nnergy: stopped by SIGTERM\n"}},
		{name: "adapt", args: []string{"adapt", "--model", "lenet5", "--data", "synthetic", "--arch", "eyeriss", "--budget", "energy=0.1", "--checkpoint", ckpt},
			sig: syscall.SIGINT, code: 130, ready: func(string, string) bool { _, err := os.Stat(filepath.Join(ckpt, "state.json")); return err == nil },
			stderr: []string{"nnergy adapt: interrupted; " + ckpt + " holds the last finished iteration: the same command with --resume " + ckpt + " continues it\n", "nnergy: stopped by SIGINT\n"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "runs.db")
			ready := tc.ready
			if ready == nil {
				ready = func(db, _ string) bool { return runningIn(db) }
			}
			code, stdout, stderr, ok := interruptAt(t, append(tc.args, "--store", db), func(out string) bool { return ready(db, out) }, 0, tc.sig)
			if !ok {
				t.Fatalf("nnergy %s ended before it was stopped: exit %d: %s", tc.name, code, stderr)
			}
			if code != tc.code {
				t.Errorf("exit %d after %v, want %d; stderr:\n%s", code, tc.sig, tc.code, stderr)
			}
			for _, want := range tc.stderr {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr)
				}
			}
			for _, want := range tc.stdout {
				if !strings.Contains(stdout, want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout)
				}
			}
			if strings.Contains(stderr, "nnergy: context canceled") {
				t.Errorf("stderr says only that the context was cancelled:\n%s", stderr)
			}
			checkInterruptedRuns(t, db, tc.kept)
			if tc.absent != "" {
				if _, err := os.Stat(tc.absent); err == nil {
					t.Errorf("%s was written by an interrupted run", tc.absent)
				}
			}
		})
	}
}

// checkInterruptedRuns fails unless every run the store db recorded is
// interrupted (a stopped run is never done) and, when kept is set, holds
// the report of what it finished, marked by kept; else no report.
func checkInterruptedRuns(t *testing.T, db, kept string) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	runs, err := st.Runs(ctx, store.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if kept != "" && len(runs) == 0 {
		t.Fatalf("%s recorded no run", db)
	}
	for _, r := range runs {
		if r.Status != store.Interrupted {
			t.Errorf("run %d recorded %v, want interrupted", r.ID, r.Status)
		}
		switch {
		case kept != "" && !strings.Contains(string(r.Report), kept):
			t.Errorf("run %d kept no report marked %s: %.300s", r.ID, kept, r.Report)
		case kept == "" && len(r.Report) > 0:
			t.Errorf("run %d kept a report of a run that made none: %.300s", r.ID, r.Report)
		}
	}
}
