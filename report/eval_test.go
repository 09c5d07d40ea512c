package report

import (
	"context"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/cost"
	"github.com/nnergy/nnergy/dataflow"
	"github.com/nnergy/nnergy/explore"
	"github.com/nnergy/nnergy/mapper"
	"github.com/nnergy/nnergy/sparse"
	"github.com/nnergy/nnergy/workload"
)

func model(t *testing.T, name string) *cost.Model {
	t.Helper()
	spec, err := arch.Preset(name)
	if err != nil {
		t.Fatal(err)
	}
	m, err := cost.New(spec)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func conv(t *testing.T, name string, batch, in, out, hw int) *workload.Layer {
	t.Helper()
	l, err := workload.NewConv(workload.ConvSpec{Name: name, Batch: batch, InC: in, OutC: out, InH: hw, InW: hw, KH: 3, KW: 3, PadT: 1, PadB: 1, PadL: 1, PadR: 1})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func evaluate(t *testing.T, m *cost.Model, layers ...*workload.Layer) *explore.Network {
	t.Helper()
	net := &workload.Network{Name: "test", Input: [4]int{layers[0].Shape[workload.N], 1, 1, 1}, Layers: layers}
	res, err := explore.Evaluate(context.Background(), m, net, explore.DataflowMapper(m, dataflow.RS))
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// withZeros returns a copy of l whose weights are measured values with
// every other value zero (density 0.5).
func withZeros(t *testing.T, l *workload.Layer, measured bool) *workload.Layer {
	t.Helper()
	c := l.WithBatch(l.Shape[workload.N])
	c.Density[workload.Weights] = 0.5
	if measured {
		sh := c.Shape
		n := sh[workload.G] * sh[workload.M] * sh[workload.C] * sh[workload.R] * sh[workload.S]
		v := make([]float32, n)
		for i := range v {
			if i%2 == 0 {
				v[i] = float32(i + 1)
			}
		}
		ms, err := sparse.NewMeasured(sparse.Tensor{Shape: []int{sh[workload.G], sh[workload.M], sh[workload.C], sh[workload.R], sh[workload.S]}, Values: v})
		if err != nil {
			t.Fatal(err)
		}
		c.Measured[workload.Weights] = ms
	}
	return c
}

// TestDenseTwinIgnoresMeasured: the dense twin has every density 1, so it
// must not depend on how the sparsity was given, by a density alone or by
// measured values (which, kept in the twin, still compressed its weights).
func TestDenseTwinIgnoresMeasured(t *testing.T) {
	m := model(t, "eyeriss-v2")
	base := conv(t, "c", 1, 32, 32, 14)
	byDensity, err := NewEval(context.Background(), m, evaluate(t, m, withZeros(t, base, false)), EvalOptions{Source: SourceBuilder, Dataflow: ptr(dataflow.RS)})
	if err != nil {
		t.Fatal(err)
	}
	byValues, err := NewEval(context.Background(), m, evaluate(t, m, withZeros(t, base, true)), EvalOptions{Source: SourceBuilder, Dataflow: ptr(dataflow.RS)})
	if err != nil {
		t.Fatal(err)
	}
	dense, err := NewEval(context.Background(), m, evaluate(t, m, base), EvalOptions{Source: SourceBuilder, Dataflow: ptr(dataflow.RS)})
	if err != nil {
		t.Fatal(err)
	}
	if dense.Total.Dense != nil || byDensity.Total.Dense == nil || byValues.Total.Dense == nil {
		t.Fatalf("dense twins: of a dense layer %v, of sparse ones %v and %v", dense.Total.Dense, byDensity.Total.Dense, byValues.Total.Dense)
	}
	for _, r := range []*Eval{byDensity, byValues} {
		if got, want := r.Total.Dense.EnergyPJ, dense.Total.EnergyPJ; got != want {
			t.Errorf("dense twin %g pJ, the dense layer %g pJ", got, want)
		}
		if !(r.Total.EnergyPJ < r.Total.Dense.EnergyPJ) || !(r.Total.Dense.SavedFraction > 0) {
			t.Errorf("sparse %g pJ, dense twin %+v: no saving", r.Total.EnergyPJ, r.Total.Dense)
		}
	}
}

func ptr[T any](v T) *T { return &v }

// TestEvalTotals checks the per-inference figures against the layers'
// results they come from.
func TestEvalTotals(t *testing.T) {
	m := model(t, "eyeriss")
	a, b := conv(t, "a", 4, 16, 32, 14), conv(t, "b", 4, 32, 32, 14)
	b2 := conv(t, "b2", 4, 32, 32, 14)
	res := evaluate(t, m, a, b, b2)
	rep, err := NewEval(context.Background(), m, res, EvalOptions{Source: SourceMapper, Dataflow: nil, Objective: mapper.Objective{mapper.Latency, mapper.Energy},
		Searches: map[string]mapper.Stats{"a": {Evaluated: 10, Optimal: true, Elapsed: time.Second}, "b": {Evaluated: 5, Elapsed: time.Second / 2}, "b2": {Evaluated: 99}}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Dataflow != DataflowBest || strings.Join(rep.Objective, ",") != "latency,energy" || rep.Batch != 4 || rep.MACUnits != 168 {
		t.Errorf("header %+v", rep)
	}
	// b2 has b's shape: it reuses b's mapping and search.
	if rep.Layers[2].SameShapeAs != "b" || rep.Layers[2].Search != nil || rep.Layers[1].Search == nil || rep.Layers[1].SameShapeAs != "" {
		t.Errorf("layer b2: same shape as %q, search %v; b: search %v", rep.Layers[2].SameShapeAs, rep.Layers[2].Search, rep.Layers[1].Search)
	}
	if s := rep.Search; s == nil || *s != (SearchTotal{Searches: 2, Evaluations: 15, Optimal: 1, Seconds: 1.5}) {
		t.Errorf("search total %+v", s)
	}
	var energy, dramBytes float64
	var dramWords, macs, cycles int64
	for i, l := range res.Layers {
		energy += l.Result.EnergyPJ
		macs += l.Result.MACs
		cycles += l.Result.Cycles
		for _, tt := range workload.Tensors {
			tr := l.Result.Levels[0].Tensors[tt]
			dramWords += tr.Reads + tr.Writes
			dramBytes += float64(tr.Reads+tr.Writes) * 2 * tr.Ratio // 16-bit words
		}
		if got := rep.Layers[i]; got.EnergyPJ != l.Result.EnergyPJ || got.Mapping.Text != l.Mapping.Format() || got.Kind != "conv" {
			t.Errorf("layer %s: %g pJ, kind %s, mapping\n%s", got.Name, got.EnergyPJ, got.Kind, got.Mapping.Text)
		}
	}
	tot := rep.Total
	near := func(what string, got, want float64) {
		t.Helper()
		if math.Abs(got-want) > 1e-12*math.Abs(want) {
			t.Errorf("%s %g, want %g", what, got, want)
		}
	}
	near("energy", tot.EnergyPJ, energy)
	near("energy per inference", tot.EnergyPerInferencePJ, energy/4)
	near("latency", tot.LatencySeconds, float64(cycles)/200e6)
	near("inferences per second", tot.InferencesPerSecond, 4/(float64(cycles)/200e6))
	near("power", tot.PowerWatts, energy*1e-12/(float64(cycles)/200e6))
	near("DRAM bytes", tot.DRAMBytes, dramBytes)
	near("DRAM words per MAC", tot.DRAMWordsPerMAC, float64(dramWords)/float64(macs))
	near("busy MAC units", tot.BusyMACUnitsMean, float64(macs)/float64(cycles))
	if tot.DRAMWords != dramWords || tot.MACs != macs {
		t.Errorf("DRAM words %d, MACs %d; want %d, %d", tot.DRAMWords, tot.MACs, dramWords, macs)
	}
	if _, err := NewEval(context.Background(), m, res, EvalOptions{Source: "guess"}); err == nil || err.Error() != `report: unknown mapping source "guess" (want builder, mapper or file)` {
		t.Errorf("unknown source: %v", err)
	}
}

func TestBound(t *testing.T) {
	spec, err := arch.Preset("eyeriss")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		in    string
		bound Bound
		level string
		err   string
	}{
		{"compute", BoundCompute, "", ""},
		{"GLB", BoundLevel, "GLB", ""},
		{"RF network", BoundNetwork, "RF", ""},
		{"L3 network", "", "", `bound by "L3 network": not compute, a level of eyeriss or the network into one`},
		{"", "", "", `bound by "": not compute, a level of eyeriss or the network into one`},
	} {
		b, l, err := bound(spec, tc.in)
		if b != tc.bound || l != tc.level || (err == nil) != (tc.err == "") || (err != nil && err.Error() != tc.err) {
			t.Errorf("bound(%q) = %q, %q, %v; want %q, %q, %s", tc.in, b, l, err, tc.bound, tc.level, tc.err)
		}
	}
}

// TestSearchRoundTrip: a search's report gives back the mapper's statistics.
func TestSearchRoundTrip(t *testing.T) {
	st := mapper.Stats{Algorithm: "random", SpaceSize: 1e12, Evaluated: 2000, Valid: 1500, Pruned: 3,
		Rejected: map[string]int64{"capacity": 400, "fanout-y": 100}, Elapsed: 1234567891 * time.Nanosecond, EvalsPerSecond: 1620.0001,
		BestAfter: 987654321 * time.Nanosecond, BestAtEval: 77, Stopped: "evaluations", Workers: 2}
	s := NewSearch(st)
	if s.Rejected != (Rejected{Capacity: 400, FanoutY: 100}) || s.Seconds != 1.234567891 {
		t.Errorf("search %+v", s)
	}
	if got := s.Stats(); !reflect.DeepEqual(got, st) {
		t.Errorf("round trip\n%+v\nwant\n%+v", got, st)
	}
}
