package netadapt

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/nnergy/nnergy/measure"
	"github.com/nnergy/nnergy/nn"
	"github.com/nnergy/nnergy/nn/data"
	nnonnx "github.com/nnergy/nnergy/nn/onnx"
	"github.com/nnergy/nnergy/nn/zoo"
)

func TestTarget(t *testing.T) {
	for _, c := range []struct {
		cur, red, decay float64
		i               int
		budget, want    float64
	}{
		{100, 2.5, 0.96, 1, 50, 97.5},
		{97.5, 2.5, 0.96, 2, 50, 97.5 - 2.4},
		{90, 2.5, 0.96, 3, 50, 90 - 2.5*0.9216},
		{51, 2.5, 0.96, 1, 50, 50}, // never below the budget
		{80, 10, 0.5, 4, 0, 78.75},
	} {
		if got := Target(c.cur, c.red, c.decay, c.i, c.budget); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("Target(%v, %v, %v, %d, %v) = %v, want %v", c.cur, c.red, c.decay, c.i, c.budget, got, c.want)
		}
	}
}

func TestFormatValue(t *testing.T) {
	for _, c := range []struct {
		m    measure.Metric
		v    float64
		want string
	}{
		{measure.Energy, 16.804e6, "16.804uJ"},
		{measure.Energy, 512, "512pJ"},
		{measure.Energy, 2.5e9, "2.5mJ"},
		{measure.Latency, 3.28e-5, "32.8us"},
		{measure.Latency, 2e-3, "2ms"},
		{measure.Latency, 4e-10, "0.4ns"},
		{measure.MACs, 416520, "416520"},
	} {
		if got := FormatValue(c.m, c.v); got != c.want {
			t.Errorf("FormatValue(%v, %v) = %q, want %q", c.m, c.v, got, c.want)
		}
	}
}

func TestParseBudget(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Budget
	}{
		{"energy=0.5", Budget{Metric: measure.Energy, Fraction: 0.5}},
		{"energy=12uJ", Budget{Metric: measure.Energy, Absolute: 12e6}},
		{"energy=3.5 nJ", Budget{Metric: measure.Energy, Absolute: 3500}},
		{"latency=2ms", Budget{Metric: measure.Latency, Absolute: 2e-3}},
		{"latency=0.25", Budget{Metric: measure.Latency, Fraction: 0.25}},
		{"macs=1.5M", Budget{Metric: measure.MACs, Absolute: 1.5e6}},
		{"params=30000", Budget{Metric: measure.Params, Absolute: 30000}},
		{"edp=0.75", Budget{Metric: measure.EDP, Fraction: 0.75}},
	} {
		got, err := ParseBudget(c.in)
		if err != nil || math.Abs(got.Absolute-c.want.Absolute) > 1e-9*c.want.Absolute || got.Fraction != c.want.Fraction || got.Metric != c.want.Metric {
			t.Errorf("ParseBudget(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
		}
	}
	for _, c := range []struct{ in, msg string }{
		{"energy", "want METRIC=VALUE"},
		{"power=0.5", `unknown metric "power"`},
		{"energy=2", "needs a unit (pJ, nJ, uJ, mJ, J)"},
		{"latency=3", "needs a unit (ns, us, ms, s)"},
		{"energy=12xJ", "unknown unit"},
		{"energy=0", "fraction in (0, 1) or a positive"},
		{"energy=-1uJ", "positive number before the unit"},
		{"edp=3uJ", "edp takes a fraction"},
	} {
		_, err := ParseBudget(c.in)
		if err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("ParseBudget(%q) error %v, want one containing %q", c.in, err, c.msg)
		}
	}
}

func lenet(t *testing.T) *nn.Model {
	t.Helper()
	m, err := zoo.New("lenet5", 7)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestPropose checks on every prunable layer of LeNet-5 that the proposal
// meets the target, that one filter fewer (the smallest norms again) does
// not, and that the kept filters are those with the largest norms.
func TestPropose(t *testing.T) {
	ctx := context.Background()
	m := lenet(t)
	layers := Layers(m)
	if !slices.Equal(layers, []string{"conv1", "conv2", "fc1", "fc2"}) {
		t.Fatalf("Layers = %v", layers)
	}
	ms := measure.Count{}
	base, _ := ms.Measure(ctx, m)
	for _, frac := range []float64{0.01, 0.05, 0.2} {
		target := (1 - frac) * float64(base.Total.MACs)
		for _, l := range layers {
			p, k, v, ok, err := Propose(ctx, m, l, ms, measure.MACs, target)
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				// Even one filter left must miss the target.
				c := m.Clone()
				idx, _ := Smallest(c, l, filters(c, c.Node(l))-1)
				nn.RemoveFilters(c, l, idx)
				got, _ := ms.Measure(ctx, c)
				if Meets(float64(got.Total.MACs), target) {
					t.Errorf("%s at %v: no proposal, but keeping one filter meets the target", l, frac)
				}
				continue
			}
			got, _ := ms.Measure(ctx, p)
			if float64(got.Total.MACs) != v || !Meets(v, target) {
				t.Errorf("%s at %v: resource %v (re-measured %d) misses target %v", l, frac, v, got.Total.MACs, target)
			}
			if k > 1 {
				c := m.Clone()
				idx, _ := Smallest(c, l, k-1)
				if _, err := nn.RemoveFilters(c, l, idx); err != nil {
					t.Fatal(err)
				}
				fewer, _ := ms.Measure(ctx, c)
				if Meets(float64(fewer.Total.MACs), target) {
					t.Errorf("%s at %v: %d filters removed, but %d meet the target too", l, frac, k, k-1)
				}
			}
			before, _ := nn.FilterNorms(m, l)
			after, _ := nn.FilterNorms(p, l)
			slices.Sort(before)
			slices.Sort(after)
			if len(after) != len(before)-k || !slices.Equal(after, before[k:]) {
				t.Errorf("%s: kept norms %v, want the largest of %v", l, after, before)
			}
		}
	}
}

func TestSelection(t *testing.T) {
	a := Proposal{Layer: "a", Resource: 50, Accuracy: 0.85} // loses 0.05 for 50: 0.001 per unit
	b := Proposal{Layer: "b", Resource: 90, Accuracy: 0.88} // loses 0.02 for 10: 0.002 per unit
	r := &run{cur: 100, acc: 0.9}
	if !r.better(b, a) || r.better(a, b) {
		t.Errorf("highest accuracy should pick b")
	}
	r.cfg.Select = BestRatio
	if !r.better(a, b) || r.better(b, a) {
		t.Errorf("best ratio should pick a")
	}
	// Ties go to the higher accuracy, then to the lower resource.
	c := Proposal{Layer: "c", Resource: 80, Accuracy: 0.88}
	if !r.better(c, b) {
		t.Errorf("ratio tie: c (resource 80, loss 0.001/unit) should beat b")
	}
	r.cfg.Select = HighestAccuracy
	if !r.better(c, b) || r.better(b, c) {
		t.Errorf("accuracy tie should go to the lower resource")
	}
	for _, s := range []string{"accuracy", "ratio"} {
		if sel, err := ParseSelection(s); err != nil || sel.String() != s {
			t.Errorf("ParseSelection(%q) = %v, %v", s, sel, err)
		}
	}
	if _, err := ParseSelection("best"); err == nil || !strings.Contains(err.Error(), "want accuracy or ratio") {
		t.Errorf("ParseSelection(best): %v", err)
	}
}

// trained returns LeNet-5 trained briefly on synthetic digits, and a
// trainer with a held-out set.
func trained(t *testing.T) (*nn.Model, *Trainer) {
	t.Helper()
	train, hold := data.Synthetic(1500, 1), data.Synthetic(300, 2)
	m := lenet(t)
	if _, err := nn.Train(context.Background(), m, train, nil, nn.TrainConfig{Epochs: 1, Batch: 50,
		Optimizer: &nn.Adam{}, Schedule: nn.ConstantLR{Base: 0.003}, Seed: 1, Workers: 2}); err != nil {
		t.Fatal(err)
	}
	return m, &Trainer{Train: train, Holdout: hold, ShortSteps: 4, LongEpochs: 1, Batch: 32, Workers: 1}
}

func checkHistory(t *testing.T, res *Result) {
	t.Helper()
	// The schedule: each target from the previous iteration's resource.
	prev := res.Initial
	for i, it := range res.Iterations {
		want := max(prev-res.InitReduction*math.Pow(res.Decay, float64(i)), res.Budget)
		if it.Iteration != i+1 || math.Abs(it.Target-want) > 1e-9*want || !(it.Target < prev) {
			t.Errorf("iteration %+v: target %v, want %v (previous resource %v)", it, it.Target, want, prev)
		}
		prev = it.Resource
	}
	var chosen int
	for _, p := range res.Proposals {
		it := res.Iterations[p.Iteration-1]
		if !Meets(p.Resource, it.Target) {
			t.Errorf("proposal %+v misses its target %v", p, it.Target)
		}
		if p.Chosen {
			chosen++
			if p.Layer != it.Layer || p.Accuracy != it.Accuracy {
				t.Errorf("chosen proposal %+v, iteration %+v", p, it)
			}
		}
	}
	if chosen != len(res.Iterations) {
		t.Errorf("%d chosen proposals for %d iterations", chosen, len(res.Iterations))
	}
}

// TestRunBudget adapts LeNet-5 to 60% of its MACs and re-measures the
// written ONNX model independently.
func TestRunBudget(t *testing.T) {
	ctx := context.Background()
	m, tr := trained(t)
	cfg := Config{Measurer: measure.Count{}, Budget: Budget{Metric: measure.MACs, Fraction: 0.6},
		InitReduction: 0.1, Decay: 0.9, Tuner: tr, LongTerm: true, Workers: 2, Seed: 3}
	res, err := Run(ctx, m, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Met || res.Stop != "budget met" || len(res.Iterations) < 2 {
		t.Fatalf("result %+v", res)
	}
	if start, _ := (measure.Count{}).Measure(ctx, m); res.Initial != float64(start.Total.MACs) {
		t.Fatalf("initial %v, model has %d MACs", res.Initial, start.Total.MACs)
	}
	if res.Budget != 0.6*res.Initial || res.InitReduction != 0.1*res.Initial {
		t.Errorf("budget %v, reduction %v for initial %v", res.Budget, res.InitReduction, res.Initial)
	}
	checkHistory(t, res)
	path := filepath.Join(t.TempDir(), "adapted.onnx")
	if err := nnonnx.WriteFile(path, res.Model); err != nil {
		t.Fatal(err)
	}
	back, err := nnonnx.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got, err := measure.Count{}.Measure(ctx, back)
	if err != nil {
		t.Fatal(err)
	}
	if float64(got.Total.MACs) > res.Budget || float64(got.Total.MACs) != res.Resource {
		t.Errorf("re-measured %d MACs, budget %v, result says %v", got.Total.MACs, res.Budget, res.Resource)
	}
	sc, err := nn.Evaluate(back, tr.Holdout, 0, 1)
	if err != nil || math.Abs(sc.Accuracy-res.Accuracy) > 1e-9 {
		t.Errorf("re-evaluated accuracy %v (%v), result says %v", sc.Accuracy, err, res.Accuracy)
	}
	// A budget the model already meets needs no iteration.
	easy := cfg
	easy.Budget = Budget{Metric: measure.MACs, Absolute: 2 * res.Initial}
	easy.LongTerm = false
	r2, err := Run(ctx, m, easy)
	if err != nil || !r2.Met || len(r2.Iterations) != 0 || r2.Accuracy != r2.InitialAccuracy {
		t.Errorf("easy budget: %+v, %v", r2, err)
	}
}

// TestResume interrupts a run after two iterations and resumes it from
// its checkpoint, with another worker count: the result is the
// uninterrupted run's.
func TestResume(t *testing.T) {
	m, tr := trained(t)
	cfg := Config{Measurer: measure.Count{}, Budget: Budget{Metric: measure.MACs, Fraction: 0.7},
		InitReduction: 0.08, Tuner: tr, LongTerm: true, Workers: 2, Seed: 5, Select: BestRatio}
	full, err := Run(context.Background(), m, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(full.Iterations) < 3 {
		t.Fatalf("only %d iterations", len(full.Iterations))
	}
	if full.Decay != 0.96 || full.InitReduction != 0.08*full.Initial {
		t.Errorf("schedule: decay %v, reduction %v of %v", full.Decay, full.InitReduction, full.Initial)
	}
	checkHistory(t, full)
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	icfg := cfg
	icfg.Checkpoint = dir
	icfg.OnIteration = func(it Iteration, _ []Proposal) {
		if it.Iteration == 2 {
			cancel()
		}
	}
	if _, err := Run(ctx, m, icfg); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: %v", err)
	}
	rcfg := cfg
	rcfg.Workers = 1
	res, err := Resume(context.Background(), dir, rcfg)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(res.Iterations, full.Iterations) || !reflect.DeepEqual(res.Proposals, full.Proposals) {
		t.Errorf("resumed history differs:\n%+v\n%+v", res.Iterations, full.Iterations)
	}
	if res.Accuracy != full.Accuracy || res.Resource != full.Resource || !res.Met {
		t.Errorf("resumed %v/%v, uninterrupted %v/%v", res.Accuracy, res.Resource, full.Accuracy, full.Resource)
	}
	pa, pb := res.Model.Params(), full.Model.Params()
	if len(pa) != len(pb) {
		t.Fatalf("%d params vs %d", len(pa), len(pb))
	}
	for i := range pa {
		if !slices.Equal(pa[i].Data, pb[i].Data) {
			t.Fatalf("parameter %d differs", i)
		}
	}
	bad := cfg
	bad.Seed = 6
	if _, err := Resume(context.Background(), dir, bad); err == nil || !strings.Contains(err.Error(), "seed is 5, not 6") {
		t.Errorf("resume with another seed: %v", err)
	}
	if _, err := Resume(context.Background(), t.TempDir(), cfg); err == nil || !strings.Contains(err.Error(), "resume") {
		t.Errorf("resume from an empty directory: %v", err)
	}
}

// TestCommand runs the proposals' fine-tunes through a shell script that
// copies the model and prints a fixed accuracy.
func TestCommand(t *testing.T) {
	ctx := context.Background()
	script, _ := filepath.Abs("testdata/finetune.sh")
	m := lenet(t)
	for _, cmd := range []string{script, script + " {model} {out}"} {
		cfg := Config{Measurer: measure.Count{}, Budget: Budget{Metric: measure.MACs, Fraction: 0.8},
			InitReduction: 0.1, Tuner: &Command{Cmd: cmd, Dir: t.TempDir()}, LongTerm: true, Workers: 2}
		res, err := Run(ctx, m, cfg)
		if err != nil {
			t.Fatalf("%s: %v", cmd, err)
		}
		if !res.Met || len(res.Proposals) == 0 || res.Accuracy != 0.875 || res.InitialAccuracy != 0.875 {
			t.Fatalf("%s: %+v", cmd, res)
		}
		for _, p := range res.Proposals {
			if p.Accuracy != 0.875 {
				t.Errorf("%s: proposal %+v", cmd, p)
			}
		}
		checkHistory(t, res)
		// The copied model is the proposal itself.
		want, _ := measure.Count{}.Measure(ctx, res.Model)
		if float64(want.Total.MACs) != res.Resource {
			t.Errorf("%s: model has %d MACs, result %v", cmd, want.Total.MACs, res.Resource)
		}
	}
	for _, c := range []struct{ cmd, acc, msg string }{
		{script, "97.5%", ""},
		{script, "1.5", `last line "1.5" is not an accuracy`},
		{script, "", ""},
		{"echo", "", "is not an accuracy"},
		{"true", "", "printed nothing"},
		{script + " /nonexistent", "", "exit status 3: no model /nonexistent"},
		{"echo 0.5 # {out}", "", "reading its model"},
	} {
		t.Setenv("FAKE_ACCURACY", c.acc)
		_, acc, err := (&Command{Cmd: c.cmd}).Tune(ctx, m.Clone(), Job{Phase: Short, Iteration: 1, Layer: "fc1"})
		switch {
		case c.msg == "" && err != nil:
			t.Errorf("%s with %q: %v", c.cmd, c.acc, err)
		case c.msg == "" && c.acc == "97.5%" && acc != 0.975:
			t.Errorf("%s: accuracy %v, want 0.975", c.cmd, acc)
		case c.msg != "" && (err == nil || !strings.Contains(err.Error(), c.msg)):
			t.Errorf("%s with %q: error %v, want %q", c.cmd, c.acc, err, c.msg)
		}
	}
}

// failing fails on one layer and waits for the cancellation on the others.
type failing struct{ layer string }

func (f failing) Tune(ctx context.Context, m *nn.Model, job Job) (*nn.Model, float64, error) {
	switch {
	case job.Phase != Short:
		return m, 0.5, nil
	case job.Layer == f.layer:
		return nil, 0, errors.New("tuner failed on " + f.layer)
	}
	<-ctx.Done()
	return nil, 0, ctx.Err()
}

func TestTunerError(t *testing.T) {
	cfg := Config{Measurer: measure.Count{}, Budget: Budget{Metric: measure.MACs, Fraction: 0.8},
		Tuner: failing{"fc1"}, Workers: 4}
	if _, err := Run(context.Background(), lenet(t), cfg); err == nil || err.Error() != "tuner failed on fc1" {
		t.Errorf("Run: %v, want the tuner's error", err)
	}
	if _, err := Run(context.Background(), lenet(t), Config{Measurer: measure.Count{}, Tuner: failing{}}); err == nil || !strings.Contains(err.Error(), "no budget") {
		t.Errorf("Run without a budget: %v", err)
	}
}
