package netadaptv2

import (
	"context"
	"math"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/nnergy/nnergy/measure"
	"github.com/nnergy/nnergy/netadapt"
	"github.com/nnergy/nnergy/nn"
	"github.com/nnergy/nnergy/nn/data"
	"github.com/nnergy/nnergy/nn/zoo"
)

// trainedSuper returns LeNet-5 trained with ordered dropout on a small
// synthetic set (the test's cost: 4 passes over 3 epochs of 2,000 images).
func trainedSuper(t *testing.T) (*Super, *data.Set) {
	t.Helper()
	m, err := zoo.New("lenet5", 1)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSuper(m, 0.25)
	if err != nil {
		t.Fatal(err)
	}
	train := data.Synthetic(2000, 1)
	if _, err := TrainSuper(context.Background(), s, TrainConfig{Train: train, Epochs: 3, Batch: 32, LR: 0.003, Seed: 1,
		Sampling: DefaultSampling}); err != nil {
		t.Fatal(err)
	}
	return s, data.Synthetic(500, 2)
}

func TestUnits(t *testing.T) {
	for _, c := range []struct {
		model string
		want  []Unit
	}{
		{"lenet5", []Unit{{Node: "conv1", Full: 6, Min: 2}, {Node: "conv2", Full: 16, Min: 4}, {Node: "fc1", Full: 120, Min: 30}, {Node: "fc2", Full: 84, Min: 21}}},
		// b2_pw and b3_pw keep the same channels (the residual Add): one unit.
		{"mobilenet-small", []Unit{{Node: "stem", Full: 16, Min: 4}, {Node: "b1_pw", Full: 32, Min: 8},
			{Node: "b2_pw", Tied: []string{"b3_pw"}, Full: 64, Min: 16}, {Node: "b4_pw", Full: 128, Min: 32}}},
	} {
		m, err := zoo.New(c.model, 1)
		if err != nil {
			t.Fatal(err)
		}
		s, err := NewSuper(m, 0.25)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(s.Units, c.want) {
			t.Errorf("%s: units %+v\nwant %+v", c.model, s.Units, c.want)
		}
	}
}

// TestMaskedEqualsExtracted checks that a sub-network computed on the
// super-network by zeroing the filters beyond its widths equals the
// sub-network cut out by surgery, on a model with batch norm, tied layers
// and depthwise convolutions.
func TestMaskedEqualsExtracted(t *testing.T) {
	for _, model := range []string{"lenet5", "mobilenet-small"} {
		m, err := zoo.New(model, 2)
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(3, 4))
		for _, n := range m.Nodes {
			if l, ok := n.Layer.(*nn.BatchNorm); ok {
				for i := range l.C {
					l.Bias.Data[i], l.Mean[i], l.Var[i] = rng.Float32()-0.5, rng.Float32()-0.5, 0.5+rng.Float32()
				}
			}
		}
		s, err := NewSuper(m, 0.25)
		if err != nil {
			t.Fatal(err)
		}
		x := nn.NewTensor(2, 1, 28, 28)
		for i := range x.Data {
			x.Data[i] = rng.Float32()
		}
		for k, w := range s.SampleWidths(rng, Sampling{Random: 3, Sandwich: true}) {
			masked, err := s.Masked(w)
			if err != nil {
				t.Fatal(err)
			}
			cut, err := s.Extract(w)
			if err != nil {
				t.Fatal(err)
			}
			a, b := forward(t, masked, x), forward(t, cut, x)
			for i := range a {
				if math.Abs(float64(a[i]-b[i])) > 1e-4 {
					t.Fatalf("%s, sub-network %d %v: output %d masked %v, extracted %v", model, k, w, i, a[i], b[i])
				}
			}
			if k == 1 && cut.NumParams() >= m.NumParams()/4 {
				t.Errorf("%s: the smallest sub-network has %d parameters of %d", model, cut.NumParams(), m.NumParams())
			}
		}
	}
}

func forward(t *testing.T, m *nn.Model, x *nn.Tensor) []float32 {
	t.Helper()
	y, err := nn.NewExec(m, 1).Forward(x, false)
	if err != nil {
		t.Fatal(err)
	}
	return slices.Clone(y.Data)
}

// TestOrderedDropout checks that ordered dropout trains the prefixes: the
// smallest sub-network and a random one, taken from the super-network
// without fine-tuning, score far above chance (10%).
func TestOrderedDropout(t *testing.T) {
	s, test := trainedSuper(t)
	rng := rand.New(rand.NewPCG(9, 9))
	for _, w := range []Widths{s.FullWidths(), s.MinWidths(), s.SampleWidths(rng, Sampling{Random: 1})[0]} {
		m, err := s.Extract(w)
		if err != nil {
			t.Fatal(err)
		}
		sc, err := nn.Evaluate(m, test, 0, 1)
		if err != nil {
			t.Fatal(err)
		}
		if sc.Accuracy < 0.6 {
			t.Errorf("sub-network %v: accuracy %.1f%%, want far above chance (10%%)", w, 100*sc.Accuracy)
		}
		t.Logf("sub-network %v: %d parameters, accuracy %.1f%%", w, m.NumParams(), 100*sc.Accuracy)
	}
}

func runConfig(workers int, checkpoint string) Config {
	train := data.Synthetic(1500, 1)
	hold := data.Synthetic(300, 5)
	return Config{Measurer: measure.Count{Batch: 1}, Budget: netadapt.Budget{Metric: measure.MACs, Fraction: 0.5},
		InitReduction: 0.1, Decay: 0.9, Proposals: 4, Layers: 2,
		Super:   TrainConfig{Train: train, Epochs: 1, Batch: 32, LR: 0.003, Seed: 4},
		Holdout: hold, Tuner: &netadapt.Trainer{Train: train, Holdout: hold}, Workers: workers, Seed: 4, Checkpoint: checkpoint}
}

// TestRun checks multi-layer coordinate descent: every proposal meets its
// iteration's target per the measurer, the chosen one has the best
// accuracy, the budget is met and re-measured, and the run is the same
// for a seed whatever the number of workers.
func TestRun(t *testing.T) {
	m, err := zoo.New("lenet5", 1)
	if err != nil {
		t.Fatal(err)
	}
	var runs []*Result
	for _, workers := range []int{1, 2} {
		res, err := Run(context.Background(), m, runConfig(workers, ""))
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, res)
	}
	res := runs[0]
	if len(res.Iterations) < 2 || !res.Met || res.Stop != "budget met" {
		t.Fatalf("%d iterations, met %v, stop %q", len(res.Iterations), res.Met, res.Stop)
	}
	targets := map[int]float64{}
	for _, it := range res.Iterations {
		targets[it.Iteration] = it.Target
		if !netadapt.Meets(it.Resource, it.Target) {
			t.Errorf("iteration %d: %g MACs above its target %g", it.Iteration, it.Resource, it.Target)
		}
	}
	for _, p := range res.Proposals {
		if !netadapt.Meets(p.Resource, targets[p.Iteration]) {
			t.Errorf("iteration %d proposal %s: %g MACs above the target %g", p.Iteration, p.Layer, p.Resource, targets[p.Iteration])
		}
	}
	for _, it := range res.Iterations {
		for _, p := range res.Proposals {
			if p.Iteration == it.Iteration && p.Accuracy > it.Accuracy {
				t.Errorf("iteration %d chose %.3f, proposal %s scored %.3f", it.Iteration, it.Accuracy, p.Layer, p.Accuracy)
			}
		}
	}
	ms, err := measure.Count{Batch: 1}.Measure(context.Background(), res.Model)
	if err != nil {
		t.Fatal(err)
	}
	if got := ms.Total.Value(measure.MACs); got != res.Resource || got > res.Budget {
		t.Errorf("the result measures %g MACs, reported %g, budget %g", got, res.Resource, res.Budget)
	}
	if !reflect.DeepEqual(runs[0].Iterations, runs[1].Iterations) || !reflect.DeepEqual(runs[0].Proposals, runs[1].Proposals) ||
		!slices.Equal(runs[0].Widths, runs[1].Widths) {
		t.Errorf("1 and 2 workers differ:\n%+v\n%+v", runs[0].Iterations, runs[1].Iterations)
	}
	t.Logf("%d iterations, widths %v, super-network %.1f%%, result %.1f%% at %g MACs of %g",
		len(res.Iterations), res.Widths, 100*res.SuperAccuracy, 100*res.Accuracy, res.Resource, res.Initial)
}

// TestResume interrupts a run after its second iteration and resumes it
// from the checkpoint: the same result as the uninterrupted run, without
// training the super-network again.
func TestResume(t *testing.T) {
	m, err := zoo.New("lenet5", 1)
	if err != nil {
		t.Fatal(err)
	}
	full, err := Run(context.Background(), m, runConfig(1, ""))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "ck")
	ctx, cancel := context.WithCancel(context.Background())
	cfg := runConfig(1, dir)
	cfg.OnIteration = func(it netadapt.Iteration, _ []netadapt.Proposal) {
		if it.Iteration == 2 {
			cancel()
		}
	}
	if _, err := Run(ctx, m, cfg); err == nil {
		t.Fatal("the interrupted run did not stop")
	}
	cfg = runConfig(1, "")
	cfg.Super.Train = nil // resuming must not train
	cfg.Calibration = data.Synthetic(1500, 1)
	res, err := Resume(context.Background(), dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(res.Iterations, full.Iterations) || !slices.Equal(res.Widths, full.Widths) || res.Resource != full.Resource {
		t.Errorf("resumed run differs:\n%+v\n%+v", res.Iterations, full.Iterations)
	}
}

// TestRecalibrate checks that batch-norm statistics become the mean of the
// calibration batches' statistics: for a batch norm right after the input,
// the per-channel mean of the images.
func TestRecalibrate(t *testing.T) {
	m := nn.New("input", 1, 28, 28)
	x := m.Add("bn", nn.NewBatchNorm(1), "input")
	x = m.Add("flatten", &nn.Flatten{}, x)
	m.Add("fc", nn.NewLinear(28*28, 10), x)
	bn := m.Node("bn").Layer.(*nn.BatchNorm)
	bn.Mean[0], bn.Var[0] = 7, 9
	set := data.Synthetic(256, 3)
	if err := Recalibrate(m, set, 4, 64, 1); err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, v := range set.X {
		sum += float64(v)
	}
	if want := sum / float64(len(set.X)); math.Abs(float64(bn.Mean[0])-want) > 1e-4 {
		t.Errorf("running mean %v, want the images' mean %v", bn.Mean[0], want)
	}
	if bn.Momentum != 0.1 {
		t.Errorf("momentum left at %v", bn.Momentum)
	}
}

// scoreMasked is how proposals were scored before they were cut out: the
// super-network with the filters beyond w zeroed, at full size. It is the
// reference TestScoreExtracted holds score to, and BenchmarkScore's
// baseline.
func (r *run) scoreMasked(w Widths) (float64, error) {
	m, err := r.s.Masked(w)
	if err != nil {
		return 0, err
	}
	return r.accuracy(m)
}

// TestScoreExtracted checks that scoring a proposal on its cut-out
// sub-network gives the accuracy of the masked super-network, batch norm
// recalibrated (mobilenet-small has batch norm, depthwise and tied
// layers), for the full, the smallest and random widths.
func TestScoreExtracted(t *testing.T) {
	lenet, hold := trainedSuper(t)
	mnet, err := zoo.New("mobilenet-small", 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := nn.Train(context.Background(), mnet, data.Synthetic(512, 1), nil, nn.TrainConfig{Batch: 32, Optimizer: &nn.Adam{},
		Schedule: nn.CosineLR{Base: 0.003}, Workers: 1}); err != nil {
		t.Fatal(err)
	}
	ms, err := NewSuper(mnet, 0.25)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []*Super{lenet, ms} {
		r := &run{s: s, cfg: Config{Holdout: hold, Calibration: data.Synthetic(256, 7), CalibBatches: 4}}
		rng := rand.New(rand.NewPCG(5, 6))
		for _, w := range s.SampleWidths(rng, Sampling{Random: 4, Sandwich: true}) {
			got, err := r.score(context.Background(), w)
			if err != nil {
				t.Fatal(err)
			}
			want, err := r.scoreMasked(w)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("%s %v: extracted scores %.4f, masked %.4f", s.Units[0].Node, w, got, want)
			}
			t.Logf("%s %v: %.4f", s.Units[0].Node, w, got)
		}
	}
}

// TestSplitSharesTheBatch checks the weighting of a shared-out batch:
// with every sub-network the full network (smallest width 1), a step
// whose sub-networks each train on a share of the batch (Split) averages
// to the whole batch's gradient, so it trains as a step whose
// sub-networks all see the whole batch; batches of 50 share out
// unevenly among 4 sub-networks (12, 13, 12, 13; the last batch of 10
// too), which the weights must account for.
func TestSplitSharesTheBatch(t *testing.T) {
	train := data.Synthetic(310, 1)
	var weights [][]float32
	for _, split := range []bool{false, true} {
		m, err := zoo.New("lenet5", 1)
		if err != nil {
			t.Fatal(err)
		}
		s, err := NewSuper(m, 1)
		if err != nil {
			t.Fatal(err)
		}
		var losses []float64
		st, err := TrainSuper(context.Background(), s, TrainConfig{Train: train, Batch: 50, LR: 0.003, Seed: 2, Workers: 1,
			Sampling: Sampling{MinWidth: 1, Random: 2, Sandwich: true, Split: split},
			OnStep:   func(_, _ int, l float64) { losses = append(losses, l) }})
		if err != nil {
			t.Fatal(err)
		}
		if st.Steps != 7 || st.Images != 310 || st.SubNetworks != 4 {
			t.Errorf("split %v: %+v, want 7 steps, 310 images, 4 sub-networks", split, st)
		}
		var w []float32
		for _, p := range m.Params() {
			w = append(w, p.Data...)
		}
		weights = append(weights, w)
		t.Logf("split %v: losses %.4f", split, losses)
	}
	var worst float64
	for i := range weights[0] {
		worst = max(worst, math.Abs(float64(weights[0][i]-weights[1][i])))
	}
	if worst > 1e-4 {
		t.Errorf("shared-out and whole-batch training differ by up to %g", worst)
	}
	m, err := zoo.New("lenet5", 1)
	if err != nil {
		t.Fatal(err)
	}
	var moved float64
	for i, p := range m.Params()[0].Data {
		moved = max(moved, math.Abs(float64(p-weights[0][i])))
	}
	if moved < 1e-3 {
		t.Errorf("training moved the first weights by only %g", moved)
	}
}

// TestSameWidthsScoredOnce checks that proposals that come to the same
// widths are scored once and that this changes nothing: the run equals
// one that scores every proposal. Small LeNet-5 layers and many
// proposals make such proposals common.
func TestSameWidthsScoredOnce(t *testing.T) {
	m, err := zoo.New("lenet5", 1)
	if err != nil {
		t.Fatal(err)
	}
	var runs []*Result
	for _, each := range []bool{false, true} {
		cfg := runConfig(2, "")
		cfg.Proposals, cfg.scoreEach = 12, each
		res, err := Run(context.Background(), m, cfg)
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, res)
	}
	if !reflect.DeepEqual(runs[0].Iterations, runs[1].Iterations) || !reflect.DeepEqual(runs[0].Proposals, runs[1].Proposals) {
		t.Errorf("scoring equal widths once changed the run:\n%+v\n%+v", runs[0].Iterations, runs[1].Iterations)
	}
	if n := len(runs[1].Proposals); runs[1].scored != n || runs[0].scored >= n {
		t.Errorf("%d proposals: %d scored (each), %d scored (once per widths), want all and fewer", n, runs[1].scored, runs[0].scored)
	}
	t.Logf("%d proposals, %d distinct widths", len(runs[0].Proposals), runs[0].scored)
}
