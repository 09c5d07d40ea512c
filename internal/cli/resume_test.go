package cli

import (
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nnergy/nnergy/report"
)

// resumeHint is what an interrupted train or adapt says about its
// checkpoint.
var resumeHint = regexp.MustCompile(`the same command with --resume (\S+) continues it`)

// interruptAt starts nnergy with args, sends sig once ready(stdout) holds
// and then delay has passed, and returns its exit code and output; ok is
// false when it finished before the signal.
func interruptAt(t *testing.T, args []string, ready func(stdout string) bool, delay time.Duration, sig syscall.Signal) (code int, stdout, stderr string, ok bool) {
	t.Helper()
	c := nnergyProcess(t, args...)
	var out, errOut lockedBuffer
	c.Stdout, c.Stderr = &out, &errOut
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- c.Wait() }()
	t.Cleanup(func() { c.Process.Kill() })
	wait := func(err error) int {
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return 0
	}
	for deadline := time.Now().Add(2 * time.Minute); !ready(out.String()); {
		if time.Now().After(deadline) {
			t.Fatalf("nnergy %s was not under way in two minutes: %s", args[0], errOut.String())
		}
		select {
		case err := <-exited:
			return wait(err), out.String(), errOut.String(), false
		case <-time.After(20 * time.Millisecond):
		}
	}
	select {
	case err := <-exited:
		return wait(err), out.String(), errOut.String(), false
	case <-time.After(delay):
	}
	if err := c.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		return wait(err), out.String(), errOut.String(), true
	case <-time.After(2 * time.Minute):
		t.Fatalf("nnergy %s did not stop in two minutes after %v: %s", args[0], sig, errOut.String())
	}
	return 0, "", "", false
}

// resumeCase is a command that TestResumeEqualsUninterrupted stops and
// resumes.
type resumeCase struct {
	name string
	// args is the command writing its outputs into dir.
	args func(dir string) []string
	// ready reports, from the run's directory and its output so far,
	// that it is under way (its signal handler installed).
	ready func(dir, stdout string) bool
	// span is the time after ready within which to stop it.
	span   time.Duration
	points int
	// same compares the outputs of the uninterrupted run, in want, with
	// those of the resumed one.
	same func(t *testing.T, want, got string)
}

// firstIteration matches the row of an adapt's first iteration, or of a
// prune's first step.
var firstIteration = regexp.MustCompile(`(?m)^ +1 +\S`)

// adaptResumeCase is a checkpointed adapt of LeNet-5 with the options
// extra, stopped within span.
func adaptResumeCase(name string, span time.Duration, extra ...string) resumeCase {
	return resumeCase{name: name,
		args: func(dir string) []string {
			return append(append([]string{"adapt", "--model", "lenet5", "--data", "synthetic", "--measure", "macs", "--holdout", "500",
				"--eval-images", "200", "--workers", "2", "--store", "none"}, extra...), "--checkpoint", filepath.Join(dir, "ck"),
				"--out", filepath.Join(dir, "model.nnw"), "--history", filepath.Join(dir, "history.json"))
		},
		// Under way past its first iteration, so that a checkpoint exists
		// to resume from.
		ready:  func(_, out string) bool { return firstIteration.MatchString(out) },
		span:   span,
		points: 1,
		same: func(t *testing.T, want, got string) {
			sameFile(t, want, got, "model.nnw")
			sameAdaptHistory(t, want, got)
		},
	}
}

// TestResumeEqualsUninterrupted stops train, adapt (NetAdapt and
// NetAdaptV2) and sweep runs with SIGINT or SIGTERM at random points
// (seeded), resumes each as the interrupted run says, and checks the result
// is an uninterrupted run's: the same model file, the same history apart
// from timings, the same sweep points apart from where they came from.
func TestResumeEqualsUninterrupted(t *testing.T) {
	if testing.Short() {
		t.Skip("starts nnergy processes")
	}
	sw, err := filepath.Abs(shardSweep)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []resumeCase{
		{name: "train",
			args: func(dir string) []string {
				return []string{"train", "--model", "lenet5", "--data", "synthetic", "--train-images", "1500", "--epochs", "3", "--workers", "2",
					"--checkpoint", filepath.Join(dir, "ck"), "--out", filepath.Join(dir, "model.nnw"), "--store", "none"}
			},
			ready:  func(_, out string) bool { return strings.Contains(out, "training lenet5") },
			span:   1500 * time.Millisecond,
			points: 3,
			same:   func(t *testing.T, want, got string) { sameFile(t, want, got, "model.nnw") },
		},
		adaptResumeCase("adapt netadapt", 2500*time.Millisecond, "--budget", "macs=0.7", "--init-reduction", "0.06", "--select", "ratio",
			"--short-steps", "3", "--train-batch", "32"),
		adaptResumeCase("adapt netadaptv2", 3500*time.Millisecond, "--method", "netadaptv2", "--budget", "macs=0.6", "--init-reduction", "0.08",
			"--finetune-epochs", "0", "--v2-proposals", "2"),
		{name: "prune",
			args: func(dir string) []string {
				return []string{"prune", "--model", "lenet5", "--data", "synthetic", "--method", "magnitude,energy-aware",
					"--granularity", "filter", "--target", "energy=0.6,0.8", "--arch", "eyeriss", "--density-images", "0",
					"--increment", "0.2", "--restore-images", "128", "--eval-images", "200", "--finetune-epochs", "1",
					"--train-images", "300", "--train-batch", "50", "--workers", "2", "--store", "none",
					"--checkpoint", filepath.Join(dir, "ck"), "--out", filepath.Join(dir, "m-{method}-{target}.nnw"),
					"--history", filepath.Join(dir, "history.json")}
			},
			// Under way past its first pruning step.
			ready:  func(_, out string) bool { return firstIteration.MatchString(out) },
			span:   4 * time.Second,
			points: 2,
			same: func(t *testing.T, want, got string) {
				for _, m := range []string{"magnitude", "energy-aware"} {
					for _, tg := range []string{"energy-0.6", "energy-0.8"} {
						sameFile(t, want, got, "m-"+m+"-"+tg+".nnw")
					}
				}
				sameFile(t, want, got, "history.json")
			},
		},
		{name: "sweep",
			args: func(dir string) []string {
				return []string{"sweep", sw, "--workers", "1", "--store", filepath.Join(dir, "runs.db"),
					"--format", "json"}
			},
			ready:  func(dir, _ string) bool { return runningIn(filepath.Join(dir, "runs.db")) },
			span:   3 * time.Second,
			points: 2,
			same:   sameSweepPoints,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := t.TempDir()
			start := time.Now()
			code, stdout, stderr := runNnergy(t, tc.args(want)...)
			if code != 0 {
				t.Fatalf("uninterrupted run: exit %d: %s", code, stderr)
			}
			// The stopping points fall within the span, or within 60 % of
			// what the uninterrupted run took when that is shorter, so that
			// a fast machine still stops the runs under way.
			span := min(tc.span, time.Since(start)*6/10)
			keepStdout(t, want, stdout)
			rng := rand.New(rand.NewPCG(15, uint64(len(tc.name))))
			stopped := 0
			for range tc.points {
				dir := t.TempDir()
				args := tc.args(dir)
				sig := []syscall.Signal{syscall.SIGINT, syscall.SIGTERM}[rng.IntN(2)]
				delay := time.Duration(rng.Int64N(int64(span)))
				code, _, stderr, ok := interruptAt(t, args, func(out string) bool { return tc.ready(dir, out) }, delay, sig)
				// Finished before the signal: once more, sooner, in a new
				// directory.
				for try := 0; try < 3 && code == 0; try++ {
					dir = t.TempDir()
					args = tc.args(dir)
					delay /= 4
					code, _, stderr, ok = interruptAt(t, args, func(out string) bool { return tc.ready(dir, out) }, delay, sig)
				}
				// Exit 0: it finished as the signal was sent (a signal it
				// caught makes it exit 128+n whatever it had done).
				if ok && code != 0 {
					if want := 128 + int(sig); code != want {
						t.Fatalf("stopped by %v after %v: exit %d, want %d: %s", sig, delay, code, want, stderr)
					}
					stopped++
					how := "the same command"
					if m := resumeHint.FindStringSubmatch(stderr); m != nil {
						args = append(args, "--resume", m[1])
						how = "--resume " + m[1]
					}
					t.Logf("stopped by %s %v after it was under way; continued with %s", signalName(sig), delay, how)
				} else if code != 0 {
					t.Fatalf("exit %d before it was stopped: %s", code, stderr)
				}
				code, stdout, stderr = runNnergy(t, args...)
				if code != 0 {
					t.Fatalf("resumed after %v at %v: exit %d: %s\n%s", sig, delay, code, stderr, stdout)
				}
				keepStdout(t, dir, stdout)
				tc.same(t, want, dir)
				if t.Failed() {
					t.Fatalf("stopped by %v %v after it was under way", sig, delay)
				}
			}
			if stopped == 0 {
				t.Errorf("every run finished before it was stopped: shorten the span")
			}
		})
	}
}

// keepStdout writes a run's standard output to the file stdout in dir.
func keepStdout(t *testing.T, dir, stdout string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "stdout"), []byte(stdout), 0o644); err != nil {
		t.Fatal(err)
	}
}

// sameFile checks that the files name in directories want and got are
// byte-equal.
func sameFile(t *testing.T, want, got, name string) {
	t.Helper()
	a, err := os.ReadFile(filepath.Join(want, name))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(got, name))
	if err != nil {
		t.Fatal(err)
	}
	if string(a) != string(b) {
		t.Errorf("%s differs from the uninterrupted run's", name)
	}
}

// sameAdaptHistory checks the adapt histories in want and got are equal
// apart from the runs' times.
func sameAdaptHistory(t *testing.T, want, got string) {
	t.Helper()
	a, b := readAdaptHistory(t, filepath.Join(want, "history.json")), readAdaptHistory(t, filepath.Join(got, "history.json"))
	for _, h := range []*report.Adapt{&a, &b} {
		h.SearchSeconds, h.SearchCPUSeconds = 0, 0
	}
	if !reflect.DeepEqual(a, b) {
		t.Errorf("resumed history differs:\n%+v\nuninterrupted:\n%+v", b, a)
	}
}

// sameSweepPoints checks the sweep reports printed in want and got hold the same
// points, apart from whether they were evaluated by this run or read from
// the store.
func sameSweepPoints(t *testing.T, want, got string) {
	t.Helper()
	read := func(dir string) []report.SweepPoint {
		rep := readReport[report.Sweep](t, filepath.Join(dir, "stdout"))
		for i := range rep.Points {
			p := &rep.Points[i]
			p.FromStore, p.StoredSearches, p.Evaluations = false, 0, 0
		}
		return rep.Points
	}
	a, b := read(want), read(got)
	if len(a) == 0 || !reflect.DeepEqual(a, b) {
		t.Errorf("resumed sweep points differ:\n%+v\nuninterrupted:\n%+v", b, a)
	}
}

// readReport reads the report of type T in the file path strictly.
func readReport[T any](t *testing.T, path string) *T {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	v, err := report.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	rep, ok := v.(*T)
	if !ok {
		t.Fatalf("%s: a %T, not a %T", path, v, rep)
	}
	return rep
}
