package prune

import (
	"context"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/dataflow"
	"github.com/nnergy/nnergy/measure"
	"github.com/nnergy/nnergy/nn"
	"github.com/nnergy/nnergy/nn/data"
)

func small(seed uint64) *nn.Model {
	m := nn.New("input", 1, 28, 28)
	x := m.Add("conv1", nn.NewConv(1, 8, 3, 1, 1), "input")
	x = m.Add("relu1", nn.NewReLU(), x)
	x = m.Add("pool1", nn.NewMaxPool(2, 2), x)
	x = m.Add("conv2", nn.NewConv(8, 16, 3, 1, 1), x)
	x = m.Add("relu2", nn.NewReLU(), x)
	x = m.Add("pool2", nn.NewMaxPool(2, 2), x)
	x = m.Add("flat", &nn.Flatten{}, x)
	x = m.Add("fc1", nn.NewLinear(16*7*7, 32), x)
	x = m.Add("relu3", nn.NewReLU(), x)
	m.Add("fc2", nn.NewLinear(32, 10), x)
	nn.Init(m, seed)
	return m
}

var (
	trainOnce sync.Once
	trainedM  *nn.Model
	trainErr  error
)

// trained returns (a copy of) small trained for one short epoch on the
// synthetic set.
func trained(t *testing.T) *nn.Model {
	t.Helper()
	trainOnce.Do(func() {
		trainedM = small(1)
		_, trainErr = nn.Train(context.Background(), trainedM, data.Synthetic(3000, 1), nil,
			nn.TrainConfig{Epochs: 1, Batch: 32, Optimizer: &nn.Adam{}, Schedule: nn.ConstantLR{Base: 0.003}, Seed: 1, Workers: 2})
	})
	if trainErr != nil {
		t.Fatal(trainErr)
	}
	return trainedM.Clone()
}

// outErr runs m and returns ‖y − ref‖²/‖ref‖² of node's output.
func outErr(t *testing.T, m *nn.Model, node string, x, ref *nn.Tensor) float64 {
	t.Helper()
	a, err := measure.Activations(m, x, []string{node}, 2)
	if err != nil {
		t.Fatal(err)
	}
	var num, den float64
	for i, v := range a[node].Data {
		d := float64(v) - float64(ref.Data[i])
		num += d * d
		den += float64(ref.Data[i]) * float64(ref.Data[i])
	}
	return num / den
}

// TestRestoreBeatsMagnitude prunes one layer by magnitude and checks, with
// forward passes independent of the normal equations, that the least-
// squares restoration leaves a clearly smaller output error than the plain
// pruned weights, that Restore reports both errors right, and that masked
// weights stay zero.
func TestRestoreBeatsMagnitude(t *testing.T) {
	m := trained(t)
	x := measure.Batch(data.Synthetic(300, 7), 300)
	for _, tc := range []struct {
		node     string
		sparsity float64
	}{{"conv2", 0.7}, {"fc1", 0.8}, {"conv1", 0.5}, {"fc2", 0.6}} {
		p := m.Clone()
		ref, err := measure.Activations(m, x, []string{tc.node}, 2)
		if err != nil {
			t.Fatal(err)
		}
		w, _ := weightsOf(p.Node(tc.node).Layer)
		if err := w.MaskSmallest(tc.sparsity); err != nil {
			t.Fatal(err)
		}
		plain := outErr(t, p, tc.node, x, ref[tc.node])
		in, err := measure.Activations(p, x, p.Node(tc.node).Inputs, 2)
		if err != nil {
			t.Fatal(err)
		}
		before, after, err := Restore(p, tc.node, in[p.Node(tc.node).Inputs[0]], ref[tc.node], 1e-6)
		if err != nil {
			t.Fatal(err)
		}
		ls := outErr(t, p, tc.node, x, ref[tc.node])
		t.Logf("%s at %.0f%%: plain %.4f, restored %.4f (reported %.4f, %.4f)", tc.node, 100*tc.sparsity, plain, ls, before, after)
		if !(ls < 0.7*plain) {
			t.Errorf("%s: restored error %.4f not clearly below plain magnitude %.4f", tc.node, ls, plain)
		}
		if math.Abs(before-plain) > 1e-3*plain+1e-6 || math.Abs(after-ls) > 1e-3*ls+1e-6 {
			t.Errorf("%s: Restore reports %.5f -> %.5f, forward passes give %.5f -> %.5f", tc.node, before, after, plain, ls)
		}
		if z := w.Sparsity(); math.Abs(z-tc.sparsity) > 0.01 {
			t.Errorf("%s: sparsity %.3f after restore, want %.2f", tc.node, z, tc.sparsity)
		}
	}
}

func TestCholSolve(t *testing.T) {
	// A = LLᵀ with L = [[2,0,0],[1,3,0],[0.5,-1,1]]; x = (1, -2, 3).
	L := [][]float64{{2, 0, 0}, {1, 3, 0}, {0.5, -1, 1}}
	x := []float64{1, -2, 3}
	A := make([]float64, 9)
	for i := range 3 {
		for j := range 3 {
			for k := range 3 {
				A[i*3+j] += L[i][k] * L[j][k]
			}
		}
	}
	b := make([]float64, 3)
	for i := range 3 {
		for j := range 3 {
			b[i] += A[i*3+j] * x[j]
		}
	}
	if err := cholSolve(A, b, 3); err != nil {
		t.Fatal(err)
	}
	for i := range x {
		if math.Abs(b[i]-x[i]) > 1e-12 {
			t.Fatalf("x = %v, want %v", b, x)
		}
	}
	if err := cholSolve([]float64{1, 2, 2, 1}, []float64{1, 1}, 2); err == nil {
		t.Error("an indefinite matrix was solved")
	}
}

func hw(t *testing.T, name string) *measure.Hardware {
	calib := measure.Batch(data.Synthetic(64, 5), 64)
	t.Helper()
	spec, err := arch.Load(name)
	if err != nil {
		t.Fatal(err)
	}
	h, err := measure.NewHardware(spec, measure.HardwareConfig{Dataflow: dataflow.RS, Calibration: calib})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// mustTarget parses a target the test gives.
func mustTarget(t testing.TB, s string) Target {
	t.Helper()
	tg, err := ParseTarget(s)
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

func TestRunTargets(t *testing.T) {
	ctx := context.Background()
	m := trained(t)
	test := data.Synthetic(300, 9)
	calib := measure.Batch(data.Synthetic(256, 5), 256)
	mustTarget := func(s string) Target { return mustTarget(t, s) }
	for _, tc := range []struct {
		name     string
		cfg      Config
		arch     string
		finetune bool
	}{
		{"magnitude global sparsity", Config{Target: mustTarget("sparsity=0.8")}, "eyeriss", true},
		{"magnitude per-layer sparsity", Config{Target: mustTarget("sparsity=0.5"), PerLayer: true}, "eyeriss", false},
		{"magnitude filters energy", Config{Granularity: Filter, Target: mustTarget("energy=0.6")}, "eyeriss", false},
		{"magnitude weights energy v2", Config{Target: mustTarget("energy=0.7")}, "eyeriss-v2", false},
		{"energy-aware weights energy v2", Config{Method: EnergyAware, Target: mustTarget("energy=0.6"), Increment: 0.3}, "eyeriss-v2", true},
		{"energy-aware filters energy", Config{Method: EnergyAware, Granularity: Filter, Target: mustTarget("energy=0.6"), Increment: 0.2}, "eyeriss", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			cfg.Measurer = hw(t, tc.arch)
			cfg.Calibration = calib
			cfg.Test = test
			cfg.Workers = 2
			if tc.finetune {
				cfg.Train = data.Synthetic(600, 11)
				cfg.Finetune = nn.TrainConfig{Epochs: 1, Batch: 32, Optimizer: &nn.Adam{}, Schedule: nn.ConstantLR{Base: 0.001}, Seed: 2}
			}
			res, err := Run(ctx, m, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if !res.Reached {
				t.Fatalf("target %v not reached: %+v", cfg.Target, res.Steps[len(res.Steps)-1])
			}
			first, last := res.Steps[0], res.Steps[len(res.Steps)-1]
			if first.EnergyRatio != 1 || first.Sparsity != 0 || math.IsNaN(last.Accuracy) || len(res.Steps) < 2 {
				t.Errorf("history: first %+v, last %+v", first, last)
			}
			if cfg.Target.Energy && !(last.EnergyRatio <= cfg.Target.Fraction) {
				t.Errorf("energy ratio %.3f, target %v", last.EnergyRatio, cfg.Target.Fraction)
			}
			if !cfg.Target.Energy && (last.Sparsity < cfg.Target.Fraction-1e-9 || last.Sparsity > cfg.Target.Fraction+0.02) {
				t.Errorf("sparsity %.3f, target %v", last.Sparsity, cfg.Target.Fraction)
			}
			// The model's state agrees with the last record.
			ms, err := cfg.Measurer.Measure(ctx, res.Model)
			if err != nil {
				t.Fatal(err)
			}
			if ms.Total.EnergyPJ != last.EnergyPJ {
				t.Errorf("model measures %v pJ, history says %v", ms.Total.EnergyPJ, last.EnergyPJ)
			}
			if cfg.Method == EnergyAware {
				// The first layer pruned is the one with the most energy.
				base, err := cfg.Measurer.Measure(ctx, m)
				if err != nil {
					t.Fatal(err)
				}
				top := base.Layers[0]
				for _, l := range base.Layers {
					if l.EnergyPJ > top.EnergyPJ {
						top = l
					}
				}
				if res.Steps[1].Layer != top.Name && cfg.Granularity == Weight {
					t.Errorf("first step prunes %s, the most energy is in %s", res.Steps[1].Layer, top.Name)
				}
				for _, s := range res.Steps[1:] {
					if s.Layer != "" && s.LayerError > s.PlainError+1e-9 {
						t.Errorf("step %+v: restoration made the layer worse", s)
					}
				}
			}
			if tc.finetune && !(last.Accuracy > 0.5) {
				t.Errorf("accuracy after fine-tuning %.3f", last.Accuracy)
			}
			if m.Node("conv1").Layer.(*nn.Conv).Weight.Mask != nil {
				t.Fatal("Run changed its input model")
			}
			t.Logf("%d steps, sparsity %.2f, energy %.3f, accuracy %.3f (start %.3f)", len(res.Steps), last.Sparsity, last.EnergyRatio, last.Accuracy, first.Accuracy)
		})
	}
}

// TestMilestones prunes once to energy=0.5 keeping the models at 0.8 and
// 0.65: each kept model meets its milestone, is fine-tuned separately, and
// measures what its history step says.
func TestMilestones(t *testing.T) {
	ctx := context.Background()
	m := trained(t)
	target, ms, err := ParseTargets("energy=0.65,0.8,energy=0.5")
	if err != nil {
		t.Fatal(err)
	}
	for _, method := range []Method{Magnitude, EnergyAware} {
		t.Run(method.String(), func(t *testing.T) {
			cfg := Config{Method: method, Granularity: Filter, Target: target, Milestones: ms, Increment: 0.2,
				Measurer: hw(t, "eyeriss"), Calibration: measure.Batch(data.Synthetic(256, 5), 256), Test: data.Synthetic(300, 9),
				Train: data.Synthetic(300, 11), Workers: 2,
				Finetune: nn.TrainConfig{Epochs: 1, Batch: 32, Optimizer: &nn.Adam{}, Schedule: nn.ConstantLR{Base: 0.001}, Seed: 2}}
			res, err := Run(ctx, m, cfg)
			if err != nil {
				t.Fatal(err)
			}
			want := []float64{0.8, 0.65, 0.5}
			if len(res.Targets) != len(want) {
				t.Fatalf("%d targets, want %d", len(res.Targets), len(want))
			}
			tuned := 0
			for _, s := range res.Steps {
				if s.Target != "" {
					tuned++
				}
			}
			if tuned != len(want) || res.Steps[len(res.Steps)-1] != res.Targets[2].Tuned {
				t.Errorf("%d fine-tune steps; last step %+v, final target %+v", tuned, res.Steps[len(res.Steps)-1], res.Targets[2].Tuned)
			}
			prev := 2.0 // one step may meet several targets
			for i, tr := range res.Targets {
				if tr.Target.Fraction != want[i] || !tr.Reached {
					t.Fatalf("target %d: %v reached %v", i, tr.Target, tr.Reached)
				}
				if !(tr.Pruned.EnergyRatio <= want[i]) || !(tr.Pruned.EnergyRatio <= prev) {
					t.Errorf("%v kept at energy %.3f (previous %.3f)", tr.Target, tr.Pruned.EnergyRatio, prev)
				}
				prev = tr.Pruned.EnergyRatio
				if tr.Tuned.Target != tr.Target.String() || math.IsNaN(tr.Tuned.Accuracy) {
					t.Errorf("%v: tuned step %+v", tr.Target, tr.Tuned)
				}
				got, err := cfg.Measurer.Measure(ctx, tr.Model)
				if err != nil {
					t.Fatal(err)
				}
				if got.Total.EnergyPJ != tr.Tuned.EnergyPJ {
					t.Errorf("%v: model measures %v pJ, its step %v", tr.Target, got.Total.EnergyPJ, tr.Tuned.EnergyPJ)
				}
				sc, err := nn.Evaluate(tr.Model, cfg.Test, 0, 2)
				if err != nil {
					t.Fatal(err)
				}
				if sc.Accuracy != tr.Tuned.Accuracy {
					t.Errorf("%v: model scores %v, its step %v", tr.Target, sc.Accuracy, tr.Tuned.Accuracy)
				}
			}
			if res.Model != res.Targets[2].Model {
				t.Error("the result's model is not the final target's")
			}
		})
	}
}

func TestParseTargets(t *testing.T) {
	for _, tc := range []struct {
		in, target, ms string
	}{
		{"energy=0.5", "energy=0.5", "[]"},
		{"energy=0.75,0.5,0.25", "energy=0.25", "[energy=0.75 energy=0.5]"},
		{"sparsity=0.9,sparsity=0.5", "sparsity=0.9", "[sparsity=0.5]"},
		{"energy=0.5,0.5", "energy=0.5", "[]"},
	} {
		tg, ms, err := ParseTargets(tc.in)
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		if got := fmt.Sprint(ms); tg.String() != tc.target || got != tc.ms {
			t.Errorf("%s: %v %s, want %s %s", tc.in, tg, got, tc.target, tc.ms)
		}
	}
	for _, bad := range []string{"energy=0.5,sparsity=0.5", "energy=0.5,", "energy=0.5,1.5", ""} {
		if _, _, err := ParseTargets(bad); err == nil {
			t.Errorf("ParseTargets(%q) accepted", bad)
		}
	}
	if _, err := Run(context.Background(), trained(t), Config{Target: Target{Energy: true, Fraction: 0.5},
		Milestones: []Target{{Energy: true, Fraction: 0.4}}, Measurer: measure.Count{}}); err == nil || !strings.Contains(err.Error(), "milestone energy=0.4") {
		t.Errorf("a milestone past the target: %v", err)
	}
}

func TestParse(t *testing.T) {
	for _, bad := range []string{"energy=1", "energy=0", "sparsity", "latency=0.5", "energy=x"} {
		if _, err := ParseTarget(bad); err == nil {
			t.Errorf("ParseTarget(%q) accepted", bad)
		}
	}
	if tg, err := ParseTarget("energy=0.5"); err != nil || !tg.Energy || tg.Fraction != 0.5 || tg.String() != "energy=0.5" {
		t.Errorf("energy=0.5: %+v %v", tg, err)
	}
	if _, err := ParseMethod("lottery"); err == nil {
		t.Error("unknown method accepted")
	}
	if g, err := ParseGranularity("filter"); err != nil || g != Filter {
		t.Error("filter")
	}
}
