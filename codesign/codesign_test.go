package codesign_test

import (
	"context"
	"maps"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/nnergy/nnergy/codesign"
	"github.com/nnergy/nnergy/measure"
	"github.com/nnergy/nnergy/netadapt"
	"github.com/nnergy/nnergy/nn"
	"github.com/nnergy/nnergy/nn/data"
	"github.com/nnergy/nnergy/nn/zoo"
	"github.com/nnergy/nnergy/sweep"
)

// tinySweep has three designs: a 2x2, 7x6 and 14x12 Eyeriss, mapped by
// the RS builder.
const tinySweep = `version: 1
name: tiny
arch: eyeriss
networks: [lenet5]
batches: [1]
mapper: {method: builder, dataflow: rs}
parameters:
  - zip:
      - {name: x, key: levels.RF.mesh.x, values: [2, 7, 14]}
      - {name: y, key: levels.RF.mesh.y, values: [2, 6, 12]}
`

func tiny(t testing.TB) *sweep.Sweep {
	t.Helper()
	s, err := sweep.Parse(filepath.Join(t.TempDir(), "tiny.yaml"), []byte(tinySweep))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// options returns a small run: LeNet-5 (untrained) on synthetic digits,
// NetAdapt to 80 % of each design's energy with two-step fine-tunes.
func options(t testing.TB) codesign.Options {
	t.Helper()
	m, err := zoo.New("lenet5", 1)
	if err != nil {
		t.Fatal(err)
	}
	train, test := data.Synthetic(600, 1), data.Synthetic(100, 2)
	fit, hold := train.Head(500), &data.Set{Name: "held out", Shape: train.Shape, Classes: train.Classes,
		X: train.X[500*train.SampleLen():], Y: train.Y[500:]}
	return codesign.Options{Sweep: tiny(t), Model: m, Test: test, Seed: 3,
		Budget:  netadapt.Budget{Metric: measure.Energy, Fraction: 0.8},
		Methods: []codesign.Method{codesign.NetAdapt},
		NetAdapt: netadapt.Config{InitReduction: 0.08, Workers: 2,
			Tuner: &netadapt.Trainer{Train: fit, Holdout: hold, ShortSteps: 2, Batch: 16, LR: 0.001, Workers: 1}},
		Hardware: measure.HardwareConfig{Workers: 1}, EvalWorkers: 1}
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []codesign.Method
		err  string
	}{
		{"netadapt", []codesign.Method{codesign.NetAdapt}, ""},
		{"energy-aware", []codesign.Method{codesign.EnergyAware}, ""},
		{"both", []codesign.Method{codesign.NetAdapt, codesign.EnergyAware}, ""},
		{"magnitude", nil, `unknown method "magnitude" (want netadapt, energy-aware or both)`},
	} {
		got, err := codesign.ParseMethods(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseMethods(%q): %v, want an error naming %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("ParseMethods(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, tc := range []struct{ in, err string }{
		{"energy,latency", ""},
		{"area", ""},
		{"energy,latency,edp,area", ""},
		{"energy,energy", "listed twice"},
		{"power", "unknown"},
	} {
		_, err := codesign.ParseObjectives(tc.in)
		if (err == nil) != (tc.err == "") || err != nil && !strings.Contains(err.Error(), tc.err) {
			t.Errorf("ParseObjectives(%q): %v, want %q", tc.in, err, tc.err)
		}
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(o *codesign.Options)
		want   []string
	}{
		{"ok", func(*codesign.Options) {}, nil},
		{"nothing", func(o *codesign.Options) { *o = codesign.Options{} },
			[]string{"no sweep", "no model", "no test set", "no budget", "no method"}},
		{"metric", func(o *codesign.Options) { o.Budget = netadapt.Budget{Metric: measure.MACs, Fraction: 0.5} },
			[]string{"want an energy or latency budget"}},
		{"fraction", func(o *codesign.Options) { o.Budget.Fraction = 1.5 }, []string{"fraction 1.5 outside (0, 1)"}},
		{"energy-aware on latency", func(o *codesign.Options) {
			o.Budget.Metric = measure.Latency
			o.Methods = []codesign.Method{codesign.NetAdapt, codesign.EnergyAware}
		}, []string{"energy-aware pruning prunes to an energy budget", "needs a calibration batch"}},
		{"twice", func(o *codesign.Options) {
			o.Methods = []codesign.Method{codesign.NetAdapt, codesign.NetAdapt}
			o.Objectives = []codesign.Objective{codesign.Area, codesign.Area}
		}, []string{"method netadapt listed twice", "objective area listed twice"}},
		{"no tuner", func(o *codesign.Options) { o.NetAdapt.Tuner = nil }, []string{"netadapt needs a tuner"}},
		{"counts", func(o *codesign.Options) { o.Top, o.Workers = -1, -2 }, []string{"top -1 is negative", "workers must not be negative"}},
		{"shard", func(o *codesign.Options) { o.Shard = sweep.Shard{Index: 2, Count: 2} }, []string{"shard 2 of 2"}},
	} {
		o := options(t)
		tc.change(&o)
		err := o.Validate()
		if len(tc.want) == 0 {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s: no error, want %q", tc.name, tc.want)
			continue
		}
		for _, w := range tc.want { // every problem at once
			if !strings.Contains(err.Error(), w) || !strings.HasPrefix(err.Error(), "codesign: ") && !strings.HasPrefix(err.Error(), "sweep: ") {
				t.Errorf("%s: %q does not say %q", tc.name, err, w)
			}
		}
	}
}

// figures are what a run must reproduce.
type figures struct {
	Candidates []string
	Outcomes   []codesign.Outcome
	Front      []codesign.Combo
}

func figuresOf(r *codesign.Result) figures {
	var f figures
	for _, d := range r.Designs {
		if d.Candidate {
			f.Candidates = append(f.Candidates, d.Point.ID)
		}
	}
	for _, o := range r.Outcomes {
		c := *o
		c.Model, c.Adapt = nil, nil
		f.Outcomes = append(f.Outcomes, c)
	}
	f.Front = r.Front
	return f
}

// dominates reports whether a is at least as good as b everywhere and
// better somewhere.
func dominates(a, b codesign.Combo) bool {
	x := []float64{-a.Accuracy, a.EnergyPJ, a.LatencyS, a.AreaUM2}
	y := []float64{-b.Accuracy, b.EnergyPJ, b.LatencyS, b.AreaUM2}
	better := false
	for i := range x {
		if x[i] > y[i] {
			return false
		}
		better = better || x[i] < y[i]
	}
	return better
}

func TestRun(t *testing.T) {
	ctx := context.Background()
	o := options(t)
	stored := map[int]*codesign.Outcome{}
	var mu sync.Mutex
	o.Done = func(j int, out *codesign.Outcome) error {
		mu.Lock()
		defer mu.Unlock()
		stored[j] = out
		return nil
	}
	res, err := codesign.Run(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Designs) != 3 || !res.Complete() || res.Ran != len(res.Jobs) || len(stored) != len(res.Jobs) {
		t.Fatalf("%d designs, %d jobs, ran %d, stored %d", len(res.Designs), len(res.Jobs), res.Ran, len(stored))
	}
	// The candidates are the designs' front over energy and latency.
	for i, d := range res.Designs {
		if !d.OK() {
			t.Fatalf("design %s: %s", d.Point.ID, d.Reason)
		}
		beaten := false
		for k, e := range res.Designs {
			if k != i && e.Resource.EnergyPJ <= d.Resource.EnergyPJ && e.Resource.LatencyS <= d.Resource.LatencyS &&
				(e.Resource.EnergyPJ < d.Resource.EnergyPJ || e.Resource.LatencyS < d.Resource.LatencyS) {
				beaten = true
			}
		}
		if d.Candidate == beaten {
			t.Errorf("design %s: candidate %v, dominated %v", d.Point.ID, d.Candidate, beaten)
		}
	}
	// Every job adapted its model within the budget on its design.
	for j, out := range res.Outcomes {
		d := res.Designs[res.Jobs[j].Design]
		if !out.Met || out.EnergyPJ > 0.8*d.Resource.EnergyPJ*(1+1e-9) || out.Model == nil || out.Adapt == nil {
			t.Errorf("job %d on %s: met %v, %g pJ of %g", j, d.Point.ID, out.Met, out.EnergyPJ, d.Resource.EnergyPJ)
		}
	}
	// The front against brute force: no combination beats a front point,
	// and every other combination is beaten by one.
	var all []codesign.Combo
	for i, d := range res.Designs {
		all = append(all, codesign.Combo{Design: i, Job: -1, Accuracy: res.Accuracy, EnergyPJ: d.Resource.EnergyPJ, LatencyS: d.Resource.LatencyS, AreaUM2: d.AreaUM2})
	}
	for j, out := range res.Outcomes {
		d := res.Designs[res.Jobs[j].Design]
		all = append(all, codesign.Combo{Design: res.Jobs[j].Design, Job: j, Accuracy: out.Accuracy, EnergyPJ: out.EnergyPJ, LatencyS: out.LatencyS, AreaUM2: d.AreaUM2})
	}
	for _, c := range all {
		on := slices.Contains(res.Front, c)
		beaten := slices.ContainsFunc(all, func(b codesign.Combo) bool { return dominates(b, c) })
		if on == beaten {
			t.Errorf("combination %+v: on the front %v, dominated %v", c, on, beaten)
		}
	}

	// Deterministic for the seed, whatever the workers.
	o2 := options(t)
	o2.Workers, o2.NetAdapt.Workers = 2, 1
	again, err := codesign.Run(ctx, o2)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(figuresOf(res), figuresOf(again)) {
		t.Errorf("a second run differs:\n%+v\n%+v", figuresOf(res), figuresOf(again))
	}

	// Resumed from the stored jobs: nothing runs again, the same figures.
	o3 := options(t)
	o3.Resume = func(j int) (*codesign.Outcome, bool, error) {
		out, ok := stored[j]
		return out, ok, nil
	}
	o3.Done = func(int, *codesign.Outcome) error { t.Error("a stored job ran again"); return nil }
	resumed, err := codesign.Run(ctx, o3)
	if err != nil {
		t.Fatal(err)
	}
	if resumed.Ran != 0 || resumed.Resumed != len(res.Jobs) || !reflect.DeepEqual(figuresOf(res), figuresOf(resumed)) {
		t.Errorf("resumed: ran %d, resumed %d\n%+v\n%+v", resumed.Ran, resumed.Resumed, figuresOf(res), figuresOf(resumed))
	}

	// Shards: each runs its part, the last one sees everything.
	shared := map[int]*codesign.Outcome{}
	for i := range 2 {
		os := options(t)
		os.Shard = sweep.Shard{Index: i, Count: 2}
		os.Resume = func(j int) (*codesign.Outcome, bool, error) {
			out, ok := shared[j]
			return out, ok, nil
		}
		os.Done = func(j int, out *codesign.Outcome) error { shared[j] = out; return nil }
		part, err := codesign.Run(ctx, os)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 && (part.Complete() || part.Ran == 0) || i == 1 && !part.Complete() {
			t.Errorf("shard %d: ran %d, resumed %d, complete %v", i, part.Ran, part.Resumed, part.Complete())
		}
	}
	if !slices.Equal(slices.Sorted(maps.Keys(shared)), slices.Sorted(maps.Keys(stored))) {
		t.Errorf("the shards stored jobs %v, the whole run %v", slices.Sorted(maps.Keys(shared)), slices.Sorted(maps.Keys(stored)))
	}
	for j, out := range shared {
		if out.Accuracy != stored[j].Accuracy || out.EnergyPJ != stored[j].EnergyPJ {
			t.Errorf("job %d: shard %+v, whole %+v", j, out, stored[j])
		}
	}
}

func TestTopAndMissing(t *testing.T) {
	o := options(t)
	o.Top = 1
	o.Budget = netadapt.Budget{Metric: measure.Latency, Fraction: 0.9}
	res, err := codesign.Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	least := 0
	for i, d := range res.Designs {
		if d.Resource.LatencyS < res.Designs[least].Resource.LatencyS {
			least = i
		}
	}
	if len(res.Jobs) != 1 || res.Jobs[0].Design != least || !res.Designs[least].Candidate {
		t.Errorf("top 1 by latency: jobs %+v, want design %d", res.Jobs, least)
	}

	// A stored job that belongs to another run is an error, not a result.
	o.Resume = func(int) (*codesign.Outcome, bool, error) {
		return &codesign.Outcome{PointID: "elsewhere", Method: "netadapt", Model: &nn.Model{}}, true, nil
	}
	if _, err := codesign.Run(context.Background(), o); err == nil || !strings.Contains(err.Error(), "the stored run differs") {
		t.Errorf("a foreign stored job: %v", err)
	}
}
