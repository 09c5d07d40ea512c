package netadaptv2

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
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
	s, err := NewSuper(m, 0.25, false)
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
		// Bypass units: the layers between equal shapes, b3_pw too (b2_pw's
		// unit changes its input and output channels alike).
		{"mobilenet-small+bypass", []Unit{{Node: "stem", Full: 16, Min: 4}, {Node: "b1_pw", Full: 32, Min: 8},
			{Node: "b2_pw", Tied: []string{"b3_pw"}, Full: 64, Min: 16}, {Node: "b4_pw", Full: 128, Min: 32},
			{Node: "b1_dw", Full: 16, Bypass: true}, {Node: "b3_dw", Full: 64, Bypass: true}, {Node: "b3_pw", Full: 64, Bypass: true}}},
		{"lenet5+bypass", []Unit{{Node: "conv1", Full: 6, Min: 2}, {Node: "conv2", Full: 16, Min: 4}, {Node: "fc1", Full: 120, Min: 30}, {Node: "fc2", Full: 84, Min: 21}}},
		// conv1_2 (32 to 32) is its own width unit, which changes its
		// output alone: it keeps the unit and takes no bypass.
		{"vgg-small+bypass", nil},
	} {
		name, bypass := strings.CutSuffix(c.model, "+bypass")
		m, err := zoo.New(name, 1)
		if err != nil {
			t.Fatal(err)
		}
		s, err := NewSuper(m, 0.25, bypass)
		if err != nil {
			t.Fatal(err)
		}
		if c.want == nil {
			for _, u := range s.Units {
				if u.Bypass {
					t.Errorf("%s: bypass unit %+v", c.model, u)
				}
			}
			continue
		}
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
	for _, model := range []string{"lenet5", "mobilenet-small", "mobilenet-small+bypass"} {
		name, bypass := strings.CutSuffix(model, "+bypass")
		m, err := zoo.New(name, 2)
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(3, 4))
		randomBN(m, rng)
		s, err := NewSuper(m, 0.25, bypass)
		if err != nil {
			t.Fatal(err)
		}
		x := nn.NewTensor(2, 1, 28, 28)
		for i := range x.Data {
			x.Data[i] = rng.Float32()
		}
		for k, w := range s.SampleWidths(rng, Sampling{Random: 3, Sandwich: true}) {
			cut := extractMatchesMasked(t, s, w, x, fmt.Sprintf("%s, sub-network %d %v", model, k, w))
			if k == 1 && cut.NumParams() >= m.NumParams()/4 {
				t.Errorf("%s: the smallest sub-network has %d parameters of %d", model, cut.NumParams(), m.NumParams())
			}
		}
	}
}

// extractMatchesMasked returns the sub-network of w extracted from s,
// failing t unless its outputs on x equal the masked super-network's.
func extractMatchesMasked(t *testing.T, s *Super, w Widths, x *nn.Tensor, what string) *nn.Model {
	t.Helper()
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
			t.Fatalf("%s: output %d masked %v, extracted %v", what, i, a[i], b[i])
		}
	}
	return cut
}

// randomBN gives every batch norm of m random biases and statistics.
func randomBN(m *nn.Model, rng *rand.Rand) {
	for _, n := range m.Nodes {
		if l, ok := n.Layer.(*nn.BatchNorm); ok {
			for i := range l.C {
				l.Bias.Data[i], l.Mean[i], l.Var[i] = rng.Float32()-0.5, rng.Float32()-0.5, 0.5+rng.Float32()
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
	ms, err := NewSuper(mnet, 0.25, true)
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
		s, err := NewSuper(m, 1, false)
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

// TestBypassUnits checks the channel-level bypasses of mobilenet-small's
// super-network: a bypass unit at width 0 leaves the extracted network,
// whose outputs equal the masked super-network's (the layer's input
// passed on), and one at a partial width computes only its first
// channels, the others its input's, as the super-network does; the
// measurer sees the smaller network.
func TestBypassUnits(t *testing.T) {
	m, err := zoo.New("mobilenet-small", 5)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 8))
	randomBN(m, rng)
	s, err := NewSuper(m, 0.25, true)
	if err != nil {
		t.Fatal(err)
	}
	unit := func(node string) int {
		return slices.IndexFunc(s.Units, func(u Unit) bool { return u.Node == node && u.Bypass })
	}
	x := nn.NewTensor(3, 1, 28, 28)
	for i := range x.Data {
		x.Data[i] = rng.Float32()
	}
	full, err := s.Extract(s.FullWidths())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	macs := func(m *nn.Model) int64 {
		ms, err := measure.Count{Batch: 1}.Measure(ctx, m)
		if err != nil {
			t.Fatal(err)
		}
		return ms.Total.MACs
	}
	for _, c := range []struct {
		name    string
		widths  map[string]int // bypass units' widths; the others full
		gone    []string       // nodes the extracted network lacks
		filters map[string]int // filters left in the extracted network
	}{
		{"b3_dw removed", map[string]int{"b3_dw": 0}, []string{"b3_dw", "b3_dw_bn", "b3_dw_relu"}, nil},
		{"b3_pw removed", map[string]int{"b3_pw": 0}, []string{"b3_pw", "b3_pw_bn", "b3_pw_relu"}, nil},
		{"b1_dw partial", map[string]int{"b1_dw": 5}, nil, map[string]int{"b1_dw": 5}},
		{"all", map[string]int{"b1_dw": 0, "b3_dw": 7, "b3_pw": 20}, []string{"b1_dw"}, map[string]int{"b3_dw": 7, "b3_pw": 20}},
	} {
		w := s.FullWidths()
		for node, k := range c.widths {
			w[unit(node)] = k
		}
		cut := extractMatchesMasked(t, s, w, x, c.name)
		for _, g := range c.gone {
			if cut.Node(g) != nil {
				t.Errorf("%s: the extracted network has %s", c.name, g)
			}
		}
		for node, f := range c.filters {
			if got := filters(cut.Node(node)); got != f {
				t.Errorf("%s: %s has %d filters, want %d", c.name, node, got, f)
			}
		}
		if macs(cut) >= macs(full) {
			t.Errorf("%s: %d MACs, the full network %d", c.name, macs(cut), macs(full))
		}
	}
	// At width 0 the masked super-network passes the layer's input on: its
	// output equals the network with the layer removed by nn.Bypass's
	// equal-width form, computed independently here by rewiring.
	w := s.FullWidths()
	w[unit("b1_dw")] = 0
	masked, err := s.Masked(w)
	if err != nil {
		t.Fatal(err)
	}
	plain := m.Clone()
	if _, err := nn.RemoveBypasses(plain); err != nil {
		t.Fatal(err)
	}
	for _, n := range plain.Nodes {
		for k, in := range n.Inputs {
			if in == "b1_dw_relu" {
				n.Inputs[k] = "stem_relu"
			}
		}
	}
	a, b := forward(t, masked, x), forward(t, plain, x)
	for i := range a {
		if math.Abs(float64(a[i]-b[i])) > 1e-5 {
			t.Fatalf("b1_dw at 0: output %d %v, with the layer rewired out %v", i, a[i], b[i])
		}
	}
}

// TestBypassTrainingDeterministic trains mobilenet-small's super-network
// with bypasses twice for a seed: the weights agree bit for bit, and the
// width-0 sub-networks it sampled trained (the weights moved).
func TestBypassTrainingDeterministic(t *testing.T) {
	var got [][]float32
	for range 2 {
		m, err := zoo.New("mobilenet-small", 1)
		if err != nil {
			t.Fatal(err)
		}
		s, err := NewSuper(m, 0.25, true)
		if err != nil {
			t.Fatal(err)
		}
		before := slices.Clone(m.Params()[0].Data)
		if _, err := TrainSuper(context.Background(), s, TrainConfig{Train: data.Synthetic(96, 1), Batch: 32, Seed: 3, Workers: 2,
			Sampling: DefaultSampling}); err != nil {
			t.Fatal(err)
		}
		var all []float32
		for _, p := range m.Params() {
			all = append(all, p.Data...)
		}
		if slices.Equal(before, m.Params()[0].Data) {
			t.Error("training did not change the stem")
		}
		for _, u := range s.Units {
			if u.Bypass && m.Node(u.Node+"_cbc").Layer.(*nn.CBC).Keep != u.Full {
				t.Errorf("%s: bypass left at %d of %d after training", u.Node, m.Node(u.Node+"_cbc").Layer.(*nn.CBC).Keep, u.Full)
			}
		}
		got = append(got, all)
	}
	if !slices.Equal(got[0], got[1]) {
		t.Error("two trainings with one seed differ")
	}
}

// TestBypassCheckpoint saves a super-network with its bypasses (as a
// checkpoint does) and builds the super-network again from the file (as
// Resume does): the same units, and the same sub-network outputs.
func TestBypassCheckpoint(t *testing.T) {
	m, err := zoo.New("mobilenet-small", 4)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSuper(m, 0.25, true)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "super.nnw")
	if err := nn.SaveFile(path, s.Model); err != nil {
		t.Fatal(err)
	}
	back, err := nn.LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(nn.Bypasses(back)) != 3 {
		t.Fatalf("the saved super-network has bypasses %v", nn.Bypasses(back))
	}
	s2, err := NewSuper(back, 0.25, true)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(s.Units, s2.Units) || len(back.Nodes) != len(m.Nodes) {
		t.Fatalf("units %+v, from the file %+v", s.Units, s2.Units)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	x := nn.NewTensor(2, 1, 28, 28)
	for i := range x.Data {
		x.Data[i] = rng.Float32()
	}
	for _, w := range s.SampleWidths(rng, Sampling{Random: 2, Sandwich: true}) {
		a, err := s.Extract(w)
		if err != nil {
			t.Fatal(err)
		}
		b, err := s2.Extract(w)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(forward(t, a, x), forward(t, b, x)) {
			t.Errorf("%v: the sub-networks differ", w)
		}
	}
}
