package cost_test

import (
	"math"
	"testing"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/cost"
	"github.com/nnergy/nnergy/mapping"
	"github.com/nnergy/nnergy/workload"
)

// staticSpec is a two-level spec with 4 × 2 PEs whose leakages are round
// numbers, gating unused instances or not.
func staticSpec(gate bool) *arch.Spec {
	all := [workload.NumTensors]bool{true, true, true}
	lv := func(name string, e float64, mesh int, leak float64) arch.Level {
		l := arch.Level{Name: name, Keeps: all, MeshX: mesh, MeshY: 1, WordBits: 16, LeakageWatts: leak}
		for t := range l.Energy {
			l.Energy[t] = arch.Actions{ReadPJ: e, WritePJ: e, UpdatePJ: e}
		}
		return l
	}
	return &arch.Spec{
		Name: "static", ClockHz: 100e6, GateUnused: gate,
		Levels:  []arch.Level{lv("DRAM", 100, 1, 0), lv("GLB", 2, 1, 1e-3), lv("RF", 1, 8, 1e-4)},
		Compute: arch.Compute{MeshX: 1, MeshY: 1, EnergyPJ: 1, Bits: 16, LeakageWatts: 1e-5},
	}
}

// TestStatic checks the static energy against the leakage × latency worked
// out by hand, with and without power gating, and that every breakdown adds
// up: levels and MACs to the total, dynamic and static to the energy.
func TestStatic(t *testing.T) {
	l, err := workload.NewLayer("fc", workload.FC, workload.Shape{1, 1, 16, 8, 1, 1, 1, 1}, [2]int{1, 1}, [2]int{1, 1})
	if err != nil {
		t.Fatal(err)
	}
	// Four of the eight PEs, M split 4 ways: 16/4 × 8 = 32 MACs per PE.
	mp, err := mapping.Parse("m", `DRAM keep Weights Inputs Outputs
GLB keep Weights Inputs Outputs
  spatial-x M in [0:4)
RF keep Weights Inputs Outputs
  for M in [0:4)
  for C in [0:8)
`)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		gate          bool
		rfs, macUnits float64 // instances that leak
	}{
		{false, 8, 8},
		{true, 4, 4},
	} {
		m, err := cost.New(staticSpec(tc.gate))
		if err != nil {
			t.Fatal(err)
		}
		r, err := m.Evaluate(l, mp)
		if err != nil || !r.Valid {
			t.Fatalf("gate %v: %v %v", tc.gate, err, r.Violations)
		}
		if r.Cycles != 32 {
			t.Fatalf("gate %v: %d cycles, want 32", tc.gate, r.Cycles)
		}
		// 32 cycles at 100 MHz = 320 ns; 1 W over 1 s is 1e12 pJ.
		sec := 320e-9
		want := []float64{0, 1e-3 * sec * 1e12, tc.rfs * 1e-4 * sec * 1e12}
		for i, w := range want {
			if got := r.Levels[i].StaticPJ; math.Abs(got-w) > 1e-9 {
				t.Errorf("gate %v: %s static %g pJ, want %g", tc.gate, r.Levels[i].Name, got, w)
			}
		}
		if w := tc.macUnits * 1e-5 * sec * 1e12; math.Abs(r.MACStaticPJ-w) > 1e-9 {
			t.Errorf("gate %v: MAC static %g pJ, want %g", tc.gate, r.MACStaticPJ, w)
		}
		sum, static := r.MACEnergyPJ+r.MACStaticPJ, r.MACStaticPJ
		for _, lr := range r.Levels {
			sum += lr.EnergyPJ
			static += lr.StaticPJ
			if math.Abs(lr.EnergyPJ-(lr.StoragePJ+lr.NetworkPJ+lr.StaticPJ)) > 1e-9 {
				t.Errorf("gate %v: %s energy %g ≠ storage + network + static", tc.gate, lr.Name, lr.EnergyPJ)
			}
		}
		if math.Abs(sum-r.EnergyPJ) > 1e-9 || math.Abs(static-r.StaticPJ) > 1e-9 || math.Abs(r.DynamicPJ+r.StaticPJ-r.EnergyPJ) > 1e-9 {
			t.Errorf("gate %v: energy %g, levels and MACs %g; static %g, summed %g; dynamic %g", tc.gate, r.EnergyPJ, sum, r.StaticPJ, static, r.DynamicPJ)
		}
		// The same layer evaluated without leakage has the dynamic energy.
		dry := staticSpec(tc.gate)
		for i := range dry.Levels {
			dry.Levels[i].LeakageWatts = 0
		}
		dry.Compute.LeakageWatts = 0
		dm, _ := cost.New(dry)
		d, _ := dm.Evaluate(l, mp)
		if d.StaticPJ != 0 || d.EnergyPJ != r.DynamicPJ || d.DynamicPJ != r.DynamicPJ {
			t.Errorf("gate %v: without leakage energy %g static %g, want the dynamic %g", tc.gate, d.EnergyPJ, d.StaticPJ, r.DynamicPJ)
		}
		// Static energy adds and scales with the layers.
		two := r.Add(r)
		if math.Abs(two.StaticPJ-2*r.StaticPJ) > 1e-9 || math.Abs(two.Levels[2].StaticPJ-2*r.Levels[2].StaticPJ) > 1e-9 ||
			math.Abs(r.Scale(3).MACStaticPJ-3*r.MACStaticPJ) > 1e-9 || math.Abs(r.Scale(3).DynamicPJ-3*r.DynamicPJ) > 1e-9 {
			t.Errorf("gate %v: Add or Scale lose static energy: %+v", tc.gate, two)
		}
		// The lower bound stays below the energy.
		if lb, _ := m.LowerBound(l); lb > r.EnergyPJ || lb != r.LowerBoundPJ {
			t.Errorf("gate %v: lower bound %g (result's %g), energy %g", tc.gate, lb, r.LowerBoundPJ, r.EnergyPJ)
		}
	}
}

// TestMACLeakageConvention works out `conventions: {mac_leakage: none}`
// by hand on TestStatic's layer: the MACs' leakage (4 or 8 units × 10 µW
// over 320 ns) leaves the energy and its lower bound, nothing else moves.
func TestMACLeakageConvention(t *testing.T) {
	l, err := workload.NewLayer("fc", workload.FC, workload.Shape{1, 1, 16, 8, 1, 1, 1, 1}, [2]int{1, 1}, [2]int{1, 1})
	if err != nil {
		t.Fatal(err)
	}
	mp, err := mapping.Parse("m", "DRAM keep Weights Inputs Outputs\nGLB keep Weights Inputs Outputs\n  spatial-x M in [0:4)\nRF keep Weights Inputs Outputs\n  for M in [0:4)\n  for C in [0:8)\n")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		gate     bool
		macUnits float64
	}{{false, 8}, {true, 4}} {
		var rs [2]cost.Result
		for k, cv := range []arch.Conventions{0, arch.Conventions(0).With(arch.ConvMACLeak, true)} {
			s := staticSpec(tc.gate)
			s.Conventions = cv
			m, err := cost.New(s)
			if err != nil {
				t.Fatal(err)
			}
			if rs[k], err = m.Evaluate(l, mp); err != nil {
				t.Fatal(err)
			}
			if lb, _ := m.LowerBound(l); lb != rs[k].LowerBoundPJ || lb > rs[k].EnergyPJ {
				t.Errorf("gate %v %v: lower bound %g, result's %g, energy %g", tc.gate, cv, lb, rs[k].LowerBoundPJ, rs[k].EnergyPJ)
			}
		}
		leak := tc.macUnits * 1e-5 * 320e-9 * 1e12 // pJ
		if rs[1].MACStaticPJ != 0 || math.Abs(rs[0].MACStaticPJ-leak) > 1e-9 {
			t.Errorf("gate %v: MAC static %g and %g pJ, want %g and 0", tc.gate, rs[0].MACStaticPJ, rs[1].MACStaticPJ, leak)
		}
		if d := rs[0].EnergyPJ - rs[1].EnergyPJ; math.Abs(d-leak) > 1e-6 {
			t.Errorf("gate %v: energy falls by %g pJ, want %g", tc.gate, d, leak)
		}
		if rs[0].DynamicPJ != rs[1].DynamicPJ || rs[0].Cycles != rs[1].Cycles || rs[0].Levels[2].StaticPJ != rs[1].Levels[2].StaticPJ {
			t.Errorf("gate %v: more than the MAC leakage changed", tc.gate)
		}
	}
}
