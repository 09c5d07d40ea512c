package store_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/nnergy/nnergy/store"
)

// The tests below re-run the test binary as writer processes: TestMain
// runs child(mode) when childEnv is set, with the store in dsnEnv.
const (
	childEnv = "NNERGY_STORE_TEST_CHILD"
	dsnEnv   = "NNERGY_STORE_TEST_DSN"
	shardEnv = "NNERGY_STORE_TEST_SHARD"
	// stepEnv makes a shard wait for a line on its standard input before
	// each item, so that the test kills it between two known items.
	stepEnv = "NNERGY_STORE_TEST_STEP"
)

// shardItems is how many items the shard contract test's run has.
const shardItems = 40

// child is a writer process. It prints one line per row as soon as the
// transaction that wrote the row has committed.
func child(mode string) int {
	ctx := context.Background()
	s, err := store.Open(ctx, os.Getenv(dsnEnv))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer s.Close()
	switch mode {
	case "crash":
		err = crashWriter(ctx, s)
	case "shard":
		var i, n int
		if _, err := fmt.Sscanf(os.Getenv(shardEnv), "%d/%d", &i, &n); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		in := bufio.NewReader(os.Stdin)
		err = shard(ctx, s, i, n, func(idx int) {
			fmt.Printf("item %d\n", idx)
			if os.Getenv(stepEnv) == "1" {
				in.ReadString('\n')
			}
		})
	default:
		err = fmt.Errorf("unknown child mode %q", mode)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// crashWriter writes runs, batches of results and items until it is
// killed.
func crashWriter(ctx context.Context, s *store.Store) error {
	for i := 0; ; i++ {
		r := newRun(store.KindEval, fmt.Sprintf("net%d", i))
		if err := s.Begin(ctx, r); err != nil {
			return err
		}
		fmt.Printf("run %d running\n", r.ID)
		// Large batches, so that the kill often lands inside one.
		var rs []store.Result
		for j := range 200 {
			rs = append(rs, store.Result{Key: store.Key([]byte(fmt.Sprint(i, j))), Value: []byte(fmt.Sprintf(`{"i":%d,"j":%d,"pad":"%s"}`, i, j, strings.Repeat("x", 500)))})
		}
		if _, err := s.PutResults(ctx, rs...); err != nil {
			return err
		}
		for _, r := range rs {
			fmt.Printf("result %s\n", r.Key)
		}
		if _, err := s.PutItems(ctx, store.Item{RunKey: "crash", Index: i, Value: []byte(strconv.Itoa(i)), Done: true}); err != nil {
			return err
		}
		fmt.Printf("item %d\n", i)
		if err := s.Finish(ctx, r.ID, []byte(fmt.Sprintf(`{"i":%d}`, i))); err != nil {
			return err
		}
		fmt.Printf("run %d done\n", r.ID)
	}
}

// shardValue is the value of item idx: what a shard computes, the same in
// every process.
func shardValue(idx int) []byte {
	return []byte(fmt.Sprintf(`{"point":%d,"energy_pj":%d}`, idx, idx*idx+7))
}

// shard writes shard i of n of a run of shardItems items: each item's
// layer results (shared between items, so shards write the same keys),
// then the item marked done. Items already done are skipped, as a resumed
// sweep does.
func shard(ctx context.Context, s *store.Store, i, n int, wrote func(int)) error {
	have, err := s.Items(ctx, "shards")
	if err != nil {
		return err
	}
	done := map[int]bool{}
	for _, it := range have {
		done[it.Index] = it.Done
	}
	for idx := i; idx < shardItems; idx += n {
		if done[idx] {
			continue
		}
		var rs []store.Result
		for _, layer := range []int{idx % 5, idx % 7} {
			rs = append(rs, store.Result{Key: store.Key([]byte("layer"), []byte{byte(layer)}), Value: []byte(fmt.Sprintf(`{"layer":%d}`, layer))})
		}
		if _, err := s.PutResults(ctx, rs...); err != nil {
			return err
		}
		if _, err := s.PutItems(ctx, store.Item{RunKey: "shards", Index: idx, Value: shardValue(idx), Done: true}); err != nil {
			return err
		}
		wrote(idx)
	}
	return nil
}

// startChild runs a child process; lines receives its output lines, and
// stdin is its standard input.
func startChild(t *testing.T, mode, dsn string, env ...string) (cmd *exec.Cmd, lines <-chan string, stdin io.WriteCloser) {
	t.Helper()
	cmd = exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), append(env, childEnv+"="+mode, dsnEnv+"="+dsn)...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ch := make(chan string)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			ch <- sc.Text()
		}
		io.Copy(io.Discard, out)
		close(ch)
	}()
	return cmd, ch, stdin
}

// TestCrash kills a writer with SIGKILL in the middle of its writes: the
// store then opens, passes the integrity check, and holds every row the
// writer saw committed.
func TestCrash(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			dsn := b.dsn(t)
			for round := range 3 {
				cmd, lines, _ := startChild(t, "crash", dsn)
				var runs, done []int64
				var results []string
				var items []int
				// Kill after a number of rows that differs by round.
				for n := 0; n < 300+457*round; n++ {
					l, ok := <-lines
					if !ok {
						t.Fatalf("writer ended before it was killed: %v", cmd.Wait())
					}
					f := strings.Fields(l)
					switch f[0] {
					case "run":
						id, _ := strconv.ParseInt(f[1], 10, 64)
						if f[2] == "done" {
							done = append(done, id)
						} else {
							runs = append(runs, id)
						}
					case "result":
						results = append(results, f[1])
					case "item":
						i, _ := strconv.Atoi(f[1])
						items = append(items, i)
					}
				}
				if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
					t.Fatal(err)
				}
				for range lines {
				}
				cmd.Wait()

				ctx := context.Background()
				s, err := store.Open(ctx, dsn)
				if err != nil {
					t.Fatalf("round %d: opening after the kill: %v", round, err)
				}
				c, err := s.Check(ctx)
				if err != nil {
					t.Fatalf("round %d: %v", round, err)
				}
				for _, id := range runs {
					if _, err := s.Run(ctx, id); err != nil {
						t.Errorf("round %d: committed run %d lost: %v", round, id, err)
					}
				}
				for _, id := range done {
					if r, err := s.Run(ctx, id); err != nil || r.Status != store.Done || r.Report == nil {
						t.Errorf("round %d: run %d committed done, read back %v, %v", round, id, r, err)
					}
				}
				for _, k := range results {
					if _, ok, err := s.Result(ctx, k); !ok || err != nil {
						t.Errorf("round %d: committed result %s lost (%v)", round, k, err)
					}
				}
				got, err := s.Items(ctx, "crash")
				if err != nil {
					t.Fatal(err)
				}
				have := map[int]bool{}
				for _, it := range got {
					have[it.Index] = it.Done
				}
				for _, i := range items {
					if !have[i] {
						t.Errorf("round %d: committed item %d lost", round, i)
					}
				}
				// The killed writer's run is found interrupted; every
				// other run had ended.
				gone, err := s.InterruptOrphans(ctx)
				if err != nil {
					t.Fatal(err)
				}
				for _, id := range gone {
					if slices.Contains(done, id) {
						t.Errorf("round %d: run %d committed done was marked interrupted", round, id)
					}
				}
				if left, err := s.Runs(ctx, store.Filter{Statuses: []store.Status{store.Running}}); err != nil || len(left) > 0 {
					t.Errorf("round %d: after InterruptOrphans, %d runs of a killed writer are still running (%v)", round, len(left), err)
				}
				t.Logf("round %d: killed after %d runs, %d results, %d items reported; the store holds %v; interrupted %v", round, len(runs), len(results), len(items), c, gone)
				s.Close()
			}
		})
	}
}

// TestShardProcesses is the store's half of the shard contract: shards of
// a run written by separate processes at once, one of them killed with
// SIGKILL and run again, hold exactly what one process writes alone: no
// row duplicated or lost, and the re-run changes nothing that was done.
func TestShardProcesses(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			ref, sharded := open(t, b.dsn(t)), b.dsn(t)
			if err := shard(ctx, ref, 0, 1, func(int) {}); err != nil {
				t.Fatal(err)
			}
			const n = 3
			type proc struct {
				cmd   *exec.Cmd
				lines <-chan string
			}
			var procs []proc
			for i := range n {
				env := []string{fmt.Sprintf("%s=%d/%d", shardEnv, i, n)}
				if i == 1 {
					env = append(env, stepEnv+"=1")
				}
				cmd, lines, stdin := startChild(t, "shard", sharded, env...)
				if i == 1 {
					// Shard 1 writes two items, then is killed while
					// the others go on.
					for k := range 2 {
						if _, ok := <-lines; !ok {
							t.Fatal("shard 1 ended early")
						}
						if k == 0 {
							io.WriteString(stdin, "next\n")
						}
					}
					cmd.Process.Signal(syscall.SIGKILL)
				}
				procs = append(procs, proc{cmd, lines})
			}
			for i, p := range procs {
				for range p.lines {
				}
				if err := p.cmd.Wait(); err != nil && i != 1 {
					t.Fatalf("shard %d: %v", i, err)
				}
			}
			s := open(t, sharded)
			before, _ := s.Items(ctx, "shards")
			// The re-run, and a second re-run that finds everything done.
			for range 2 {
				cmd, lines, _ := startChild(t, "shard", sharded, fmt.Sprintf("%s=1/%d", shardEnv, n))
				for range lines {
				}
				if err := cmd.Wait(); err != nil {
					t.Fatalf("shard 1 re-run: %v", err)
				}
			}
			after, _ := s.Items(ctx, "shards")
			if want := shardItems - (shardItems+n-2)/n + 2; len(before) != want {
				t.Errorf("%d items before shard 1's re-run, want %d (all but shard 1's after its first two)", len(before), want)
			}
			beforeByIdx := map[int]string{}
			for _, it := range before {
				beforeByIdx[it.Index] = string(it.Value)
			}
			for _, it := range after {
				if v, ok := beforeByIdx[it.Index]; ok && v != string(it.Value) {
					t.Errorf("item %d changed by the re-run: %s -> %s", it.Index, v, it.Value)
				}
			}
			want, err := ref.Items(ctx, "shards")
			if err != nil {
				t.Fatal(err)
			}
			if js(after) != js(want) {
				t.Errorf("sharded items\n%s\nwant (one process)\n%s", js(after), js(want))
			}
			cw, err := ref.Check(ctx)
			if err != nil {
				t.Fatal(err)
			}
			cg, err := s.Check(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if cg != cw || cw.Items != shardItems {
				t.Errorf("sharded store holds %v, one process wrote %v (%d items)", cg, cw, shardItems)
			}
			for layer := range 7 {
				k := store.Key([]byte("layer"), []byte{byte(layer)})
				w, _, _ := ref.Result(ctx, k)
				g, ok, err := s.Result(ctx, k)
				if !ok || err != nil || string(g) != string(w) {
					t.Errorf("result of layer %d: %s (%v, %v), want %s", layer, g, ok, err, w)
				}
			}
		})
	}
}

func js(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
