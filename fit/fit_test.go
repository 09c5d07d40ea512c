package fit

import (
	"context"
	"math"
	"slices"
	"testing"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/cost"
	"github.com/nnergy/nnergy/dataflow"
	"github.com/nnergy/nnergy/explore"
	"github.com/nnergy/nnergy/sweep"
	"github.com/nnergy/nnergy/workload/zoo"
)

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(math.Abs(a), math.Abs(b)) }

// evaluate maps LeNet-5 at batch on the eyeriss preset with the RS builder.
func evaluate(t *testing.T, gate bool, batch int) (*arch.Spec, *explore.Network) {
	t.Helper()
	spec, err := arch.Preset("eyeriss")
	if err != nil {
		t.Fatal(err)
	}
	spec.GateUnused = gate
	m, err := cost.New(spec)
	if err != nil {
		t.Fatal(err)
	}
	net, err := zoo.Get("lenet5")
	if err != nil {
		t.Fatal(err)
	}
	res, err := explore.Evaluate(context.Background(), m, net.WithBatch(batch), explore.DataflowMapper(m, dataflow.RS))
	if err != nil {
		t.Fatal(err)
	}
	return spec, res
}

// TestCheckArithmetic holds Check's figures to a hand computation from the
// cost model's totals: power at the frame rate is the dynamic energy per
// frame times the frame rate plus the leakage of the whole chip, or with
// gate_unused the static energy per frame times the frame rate.
func TestCheckArithmetic(t *testing.T) {
	for _, tc := range []struct {
		gate  bool
		batch int
		b     Budget
	}{
		{false, 1, Budget{PowerWatts: 0.05, FPS: 30}},
		{false, 4, Budget{PowerWatts: 1e-3, FPS: 1000, AreaUM2: 5e6}},
		{true, 2, Budget{PowerWatts: 2e-3, FPS: 120, AreaUM2: 1e6}},
	} {
		spec, res := evaluate(t, tc.gate, tc.batch)
		tot := res.Total
		n := float64(tc.batch)
		v := Check(spec, res, tc.b)
		dyn := tot.DynamicPJ / n * 1e-12 * tc.b.FPS
		leak := spec.LeakageWatts()
		if tc.gate {
			leak = tot.StaticPJ / n * 1e-12 * tc.b.FPS
		}
		maxFPS := n * spec.ClockHz / float64(tot.Cycles)
		area := spec.Area().TotalUM2
		for _, c := range []struct {
			name      string
			got, want float64
		}{
			{"dynamic W", v.DynamicWatts, dyn},
			{"leakage W", v.LeakageAtFPSWatts, leak},
			{"power W", v.PowerWatts, dyn + leak},
			{"energy per frame", v.EnergyPerFramePJ, tot.EnergyPJ / n},
			{"max fps", v.MaxFPS, maxFPS},
			{"power margin", v.PowerMargin, 1 - (dyn+leak)/tc.b.PowerWatts},
			{"throughput margin", v.ThroughputMargin, 1 - tc.b.FPS/maxFPS},
			{"area", v.AreaUM2, area},
		} {
			if !near(c.got, c.want) {
				t.Errorf("gate %v batch %d: %s = %g, want %g", tc.gate, tc.batch, c.name, c.got, c.want)
			}
		}
		if tc.b.AreaUM2 > 0 && !near(v.AreaMargin, 1-area/tc.b.AreaUM2) {
			t.Errorf("gate %v: area margin %g", tc.gate, v.AreaMargin)
		}
		var parts float64
		for _, p := range v.Parts {
			parts += p.Watts
		}
		if !near(parts, v.PowerWatts) {
			t.Errorf("gate %v: parts add to %g W, power %g W", tc.gate, parts, v.PowerWatts)
		}
		fits := v.PowerMargin >= 0 && v.ThroughputMargin >= 0 && (tc.b.AreaUM2 == 0 || v.AreaMargin >= 0)
		if v.Fits != fits {
			t.Errorf("gate %v batch %d: fits %v with margins %g %g %g", tc.gate, tc.batch, v.Fits, v.PowerMargin, v.ThroughputMargin, v.AreaMargin)
		}
		var cyc int64
		for _, b := range v.Bounds {
			cyc += b.Cycles
		}
		if cyc != tot.Cycles {
			t.Errorf("bounds hold %d cycles, the network %d", cyc, tot.Cycles)
		}
	}
}

// synthetic returns a network whose layers are bound as given (cycles,
// bound), with dynamic energy dynPJ.
type bound struct {
	cycles int64
	by     string
}

func synthetic(dynPJ float64, layers ...bound) *explore.Network {
	net := &explore.Network{Batch: 1}
	for _, l := range layers {
		r := cost.Result{Cycles: l.cycles, BoundBy: l.by}
		net.Layers = append(net.Layers, explore.Layer{Result: r})
		net.Total.Cycles += r.Cycles
	}
	net.Total.DynamicPJ, net.Total.EnergyPJ, net.Total.MACEnergyPJ = dynPJ, dynPJ, dynPJ
	return net
}

func TestLimiter(t *testing.T) {
	spec, err := arch.Preset("eyeriss") // 200 MHz; levels DRAM, GLB, RF
	if err != nil {
		t.Fatal(err)
	}
	leak, area := spec.LeakageWatts(), spec.Area().TotalUM2
	// 2e6 cycles at 200 MHz: 10 ms, 100 fps at most; 1 mJ per frame.
	net := synthetic(1e9, bound{5e5, "compute"}, bound{1e6, "DRAM"}, bound{4e5, "RF network"}, bound{1e5, "compute"})
	tests := []struct {
		name string
		b    Budget
		fits bool
		want Limiter
	}{
		{"power", Budget{PowerWatts: 0.06 + leak, FPS: 50}, true, Power},                // margins ≈ 0.16, 0.5
		{"power missed", Budget{PowerWatts: 0.02, FPS: 50}, false, Power},               // −1.5…, 0.5
		{"throughput", Budget{PowerWatts: 1, FPS: 90}, true, Throughput},                // 0.9, 0.1
		{"throughput missed", Budget{PowerWatts: 1, FPS: 200}, false, Throughput},       // 0.8, −1
		{"area", Budget{PowerWatts: 1, FPS: 10, AreaUM2: area * 1.01}, true, Area},      // 0.99, 0.9, 0.0099
		{"area missed", Budget{PowerWatts: 1, FPS: 10, AreaUM2: area / 2}, false, Area}, // area −1
	}
	for _, tt := range tests {
		v := Check(spec, net, tt.b)
		if v.Fits != tt.fits || v.Limiter != tt.want {
			t.Errorf("%s: fits %v limiter %s, want %v %s (margins %g %g %g)", tt.name, v.Fits, v.Limiter, tt.fits, tt.want,
				v.PowerMargin, v.ThroughputMargin, v.AreaMargin)
		}
	}
	v := Check(spec, net, Budget{PowerWatts: 1, FPS: 1})
	want := []Bound{
		{Kind: Level, Level: "DRAM", Outermost: true, Cycles: 1e6, Share: 0.5, Layers: 1},
		{Kind: Compute, Cycles: 6e5, Share: 0.3, Layers: 2},
		{Kind: Network, Level: "RF", Cycles: 4e5, Share: 0.2, Layers: 1},
	}
	if !slices.Equal(v.Bounds, want) {
		t.Errorf("bounds %+v, want %+v", v.Bounds, want)
	}
	if s := v.Bounds[0].String(); s != "DRAM bandwidth" {
		t.Errorf("bound %q", s)
	}
	c := Cannot(spec, "layer c1: no legal mapping", Budget{PowerWatts: 1, FPS: 1})
	if c.Fits || c.Limiter != Capacity || c.Reason == "" {
		t.Errorf("Cannot: %+v", c)
	}
}

// TestSweepOrder checks that the designs that fit come cheapest first and
// the misses closest first, with the points that cannot run last.
func TestSweepOrder(t *testing.T) {
	spec, err := arch.Preset("eyeriss")
	if err != nil {
		t.Fatal(err)
	}
	leak := spec.LeakageWatts()
	// Dynamic energy per frame in mJ, at 2e6 cycles (100 fps at most).
	mk := func(mJ float64) *explore.Network { return synthetic(mJ*1e9, bound{2e6, "compute"}) }
	res := &sweep.Result{Sweep: &sweep.Sweep{Workloads: make([]sweep.Workload, 1)}}
	add := func(net *explore.Network, reason string) {
		i := len(res.Points)
		res.Points = append(res.Points, sweep.PointResult{Point: &sweep.Point{Index: i}, Design: sweep.Design{Arch: spec},
			Workloads: []sweep.WorkloadResult{{Network: net, Reason: reason}}})
	}
	add(mk(3), "")                         // 0: 30 mW at 10 fps
	add(mk(1), "")                         // 1: 10 mW
	add(mk(50), "")                        // 2: 500 mW: misses by far
	add(nil, "layer c1: no legal mapping") // 3: capacity
	add(mk(2), "")                         // 4: 20 mW
	add(mk(12), "")                        // 5: 120 mW: misses a little
	res.Points = append(res.Points, sweep.PointResult{Point: &sweep.Point{Index: 6}, Reason: "architecture: invalid"})
	fits, misses, err := Sweep(res, 0, Budget{PowerWatts: 0.1 + leak, FPS: 10})
	if err != nil {
		t.Fatal(err)
	}
	ids := func(cs []Candidate) []int {
		var out []int
		for _, c := range cs {
			out = append(out, c.Point)
		}
		return out
	}
	if got := ids(fits); !slices.Equal(got, []int{1, 4, 0}) {
		t.Errorf("fits %v, want [1 4 0]", got)
	}
	if got := ids(misses); !slices.Equal(got, []int{5, 2, 3}) {
		t.Errorf("misses %v, want [5 2 3]", got)
	}
	for i := 1; i < len(fits); i++ {
		if fits[i].PowerWatts < fits[i-1].PowerWatts {
			t.Errorf("fits out of power order: %v", ids(fits))
		}
	}
	if _, _, err := Sweep(res, 1, Budget{PowerWatts: 1, FPS: 1}); err == nil {
		t.Error("workload 1 of 1: no error")
	}
}
