package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/nnergy/nnergy/internal/pgtest"
	"github.com/nnergy/nnergy/report"
	"github.com/nnergy/nnergy/store"
	"github.com/nnergy/nnergy/sweep"
)

// childArgsEnv makes the test binary run nnergy with the arguments it
// holds (a JSON array) and exit: the shard contract test's processes.
const childArgsEnv = "NNERGY_CLI_TEST_ARGS"

func childMain(args string) int {
	var a []string
	if err := json.Unmarshal([]byte(args), &a); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	return Main(a, os.Stdin, os.Stdout, os.Stderr)
}

// nnergyProcess returns the command that runs nnergy args in a process of
// its own.
func nnergyProcess(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	b, _ := json.Marshal(args)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childArgsEnv+"="+string(b))
	return cmd
}

const shardSweep = "testdata/sweep/shards.yaml"

// TestShardContract runs a sweep as S shard processes against a store
// (SQLite, and a real PostgreSQL): their union, collected from the store,
// is the single-process run; a shard killed with SIGKILL in the middle and
// run again changes nothing the others stored, and leaves no row
// duplicated or lost; running it once more changes nothing at all.
func TestShardContract(t *testing.T) {
	if testing.Short() {
		t.Skip("starts shard processes")
	}
	want := sweepJSON(t, shardSweep, "--store", "none", "--workers", "1", "--pareto", "energy,latency")
	s, err := sweep.Load(shardSweep)
	if err != nil {
		t.Fatal(err)
	}
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			dsn := filepath.Join(t.TempDir(), "results.db")
			if backend == "postgres" {
				dsn = pgtest.DSN(t)
				mustRun(t, "runs", "init", "--store", dsn)
			}
			ctx := context.Background()
			st, err := store.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			const shards = 3
			shard := func(i int) *exec.Cmd {
				return nnergyProcess(t, "sweep", shardSweep, "--shard", fmt.Sprintf("%d/%d", i, shards), "--workers", "1", "--progress", "never", "--format", "json", "--store", dsn)
			}
			// Shards 0 and 2 at once, to the end.
			var procs []*exec.Cmd
			for _, i := range []int{0, 2} {
				c := shard(i)
				c.Stderr = os.Stderr
				if err := c.Start(); err != nil {
					t.Fatal(err)
				}
				procs = append(procs, c)
			}
			for _, c := range procs {
				if err := c.Wait(); err != nil {
					t.Fatalf("shard: %v", err)
				}
			}
			before := storedItems(t, st, s.RunKey())
			// Shard 1, killed once it has stored a point and before it ends.
			c := shard(1)
			c.Stderr = os.Stderr
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- c.Wait() }()
			killed := false
		poll:
			for {
				select {
				case err := <-exited:
					t.Logf("shard 1 ended before it could be killed (%v): the kill is not tested", err)
					break poll
				case <-time.After(5 * time.Millisecond):
				}
				if n := len(storedItems(t, st, s.RunKey())); n > len(before) {
					c.Process.Signal(syscall.SIGKILL)
					err := <-exited
					if ws, ok := c.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
						killed = true
						t.Logf("killed shard 1 with %d of the sweep's %d points stored", n, len(s.Points))
					} else {
						t.Logf("shard 1 ended before the kill (%v)", err)
					}
					break
				}
			}
			// Shards 0 and 2 are untouched by the kill.
			mid := storedItems(t, st, s.RunKey())
			for i, v := range before {
				if !bytes.Equal(mid[i], v) {
					t.Errorf("point %d changed while shard 1 ran", i)
				}
			}
			if killed {
				if _, code, errOut := collectJSON(t, dsn); code == 0 {
					t.Errorf("collect succeeds with shard 1 killed: %s", errOut)
				} else if !strings.Contains(errOut, "run shard 1 of 3 again (--shard 1/3)") {
					t.Errorf("collect with shard 1 killed: %s", errOut)
				}
			}
			// Shard 1 again, to the end; then once more.
			for range 2 {
				out, err := shard(1).Output()
				if err != nil {
					t.Fatalf("shard 1 again: %v", err)
				}
				var rep report.Sweep
				if err := json.Unmarshal(out, &rep); err != nil {
					t.Fatal(err)
				}
			}
			after := storedItems(t, st, s.RunKey())
			if len(after) != len(s.Points) {
				t.Errorf("%d points stored, the sweep has %d", len(after), len(s.Points))
			}
			for i, v := range mid {
				if !bytes.Equal(after[i], v) {
					t.Errorf("point %d changed when shard 1 ran again", i)
				}
			}
			results := resultCount(t, st)
			out, err := shard(1).Output()
			if err != nil {
				t.Fatal(err)
			}
			var rep report.Sweep
			if err := json.Unmarshal(out, &rep); err != nil {
				t.Fatal(err)
			}
			if rep.Store == nil || rep.Store.Stored != len(rep.Points) || resultCount(t, st) != results {
				t.Errorf("a finished shard run again evaluates or writes: %+v, %d results then %d", rep.Store, results, resultCount(t, st))
			}
			if !cmp.Equal(after, storedItems(t, st, s.RunKey())) {
				t.Error("a finished shard run again changes the stored points")
			}
			// The union is the single-process run.
			got, code, msg := collectJSON(t, dsn)
			if code != 0 {
				t.Fatalf("collect: exit %d: %s", code, msg)
			}
			if got.Store == nil || !got.Store.Collected || len(got.Store.Missing) != 0 || got.Store.Stored != len(s.Points) {
				t.Errorf("collect: store %+v", got.Store)
			}
			if d := cmp.Diff(pointFigures(want), pointFigures(got)); d != "" {
				t.Errorf("the shards' union differs from the single-process run (-single +union):\n%s", d)
			}
			if d := cmp.Diff(want.Pareto, got.Pareto); d != "" {
				t.Errorf("fronts differ (-single +union):\n%s", d)
			}
		})
	}
}

// collectJSON runs sweep --collect on the contract test's sweep.
func collectJSON(t *testing.T, dsn string) (*report.Sweep, int, string) {
	t.Helper()
	code, out, errOut := runNnergy(t, "sweep", shardSweep, "--collect", "--shards", "3", "--format", "json", "--pareto", "energy,latency", "--store", dsn)
	var rep report.Sweep
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("collect: %v: %s", err, errOut)
	}
	return &rep, code, errOut
}

// pointFigures is what of a report's points must not depend on how the
// sweep ran: IDs, values, validity and results.
func pointFigures(rep *report.Sweep) []string {
	var out []string
	for _, p := range rep.Points {
		b, _ := json.Marshal(struct {
			ID      string
			Index   int
			Values  []report.SweepValue
			Valid   bool
			Reason  string
			Results []report.SweepResult
		}{p.ID, p.Index, p.Values, p.Valid, p.Reason, p.Results})
		out = append(out, string(b))
	}
	slices.Sort(out)
	return out
}

// storedItems returns the done items of runKey by index, failing on an
// item not done.
func storedItems(t *testing.T, st *store.Store, runKey string) map[int][]byte {
	t.Helper()
	items, err := st.Items(context.Background(), runKey)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int][]byte{}
	for _, it := range items {
		if _, dup := out[it.Index]; dup || !it.Done {
			t.Fatalf("item %d: duplicated or not done", it.Index)
		}
		out[it.Index] = it.Value
	}
	return out
}

// resultCount checks the store (store.Check: integrity, schema, JSON) and
// counts its results.
func resultCount(t *testing.T, st *store.Store) int {
	t.Helper()
	c, err := st.Check(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return c.Results
}

// TestSweepStoreFlags checks the flags of --collect and --emit-k8s-job:
// what they refuse, and what they print.
func TestSweepStoreFlags(t *testing.T) {
	db := filepath.Join(t.TempDir(), "results.db")
	for _, tc := range []struct {
		args []string
		code int
		want string // in stderr, or stdout when code is 0
	}{
		{[]string{"--image", "img"}, 2, "--image goes with --emit-k8s-job"},
		{[]string{"--parallelism", "3"}, 2, "--parallelism goes with --emit-k8s-job"},
		{[]string{"--emit-k8s-job"}, 2, "needs --image"},
		{[]string{"--emit-k8s-job", "--image", "img", "--shard", "1/2"}, 2, "--shard does not go with --emit-k8s-job"},
		{[]string{"--emit-k8s-job", "--image", "img", "--parallelism", "0"}, 1, "parallelism of at least 1"},
		{[]string{"--emit-k8s-job", "--image", "img", "--parallelism", "2", "--completions", "5"}, 0, "completions: 5\n  parallelism: 2\n"},
		{[]string{"--collect", "--store", "none"}, 2, "--store none names none"},
		{[]string{"--collect", "--list"}, 2, "--list and --print-arch read none"},
		{[]string{"--collect", "--store", db, "--shards", "4"}, 1, "12 of 12 points are not in the results store"},
		{[]string{"--collect", "--store", db, "--shard", "1/4"}, 1, "3 of 3 points are not in the results store"},
	} {
		code, out, errOut := runNnergy(t, append([]string{"sweep", shardSweep}, tc.args...)...)
		got := errOut
		if tc.code == 0 {
			got = out
		}
		if code != tc.code || !strings.Contains(got, tc.want) {
			t.Errorf("sweep %s: exit %d, %q; want exit %d and %q", strings.Join(tc.args, " "), code, got, tc.code, tc.want)
		}
	}
	// Four shards missing, all named.
	_, _, errOut := runNnergy(t, "sweep", shardSweep, "--collect", "--store", db, "--shards", "4")
	if !strings.Contains(errOut, "run shards 0, 1, 2, 3 of 4 again") {
		t.Errorf("collect of an empty store: %s", errOut)
	}
}
