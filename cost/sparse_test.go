package cost

import (
	"math"
	"testing"

	"github.com/nnergy/nnergy/mapping"

	"github.com/nnergy/nnergy/sparse"
	"github.com/nnergy/nnergy/workload"
)

// TestSparseAdjustments checks the sparse accounting on the ISCA'16
// hierarchy: RLC in DRAM scales the DRAM energy of a tensor by the
// format's expected size, gating on inputs scales the RF's weight reads,
// psum updates and the MAC energy by the input density, and skipping also
// scales the compute cycles.
func TestSparseAdjustments(t *testing.T) {
	l, err := workload.NewLayer("s", workload.Conv, workload.Shape{1, 1, 24, 1, 4, 1, 1, 1}, [2]int{1, 1}, [2]int{1, 1})
	if err != nil {
		t.Fatal(err)
	}
	mp := reuseMapping(workload.M, 1, 2, 3, 4)
	dense, _ := New(isca16(3))
	rd, err := dense.Evaluate(l, mp)
	if err != nil {
		t.Fatal(err)
	}

	const d = 0.3
	l.Density[workload.Inputs] = d
	a := isca16(3)
	rlc, _ := sparse.ParseFormat("rlc", 16)
	a.Levels[0].Format[workload.Inputs] = rlc
	a.Levels[2].GateOn[workload.Inputs] = true
	a.Compute.GateOn[workload.Inputs] = true
	m, _ := New(a)
	r, err := m.Evaluate(l, mp)
	if err != nil {
		t.Fatal(err)
	}
	in, w, o := workload.Inputs, workload.Weights, workload.Outputs
	n := l.Size(in)
	ratio := rlc.ExpectedBits(int(n), d) / float64(16*n)
	close := func(what string, got, want float64) {
		t.Helper()
		if math.Abs(got-want) > 1e-9*math.Max(1, math.Abs(want)) {
			t.Errorf("%s = %g, want %g", what, got, want)
		}
	}
	// Four inputs are too few for RLC to pay: they stay dense.
	if ratio <= 1 {
		t.Fatalf("RLC of 4 values at density %g: ratio %g, want above 1", d, ratio)
	}
	close("DRAM input compression (4 values)", r.Levels[0].Tensors[in].Ratio, 1)
	close("RF weight energy", r.Levels[2].Tensors[w].EnergyPJ, rd.Levels[2].Tensors[w].EnergyPJ*d)
	close("RF input energy (not gated by itself)", r.Levels[2].Tensors[in].EnergyPJ, rd.Levels[2].Tensors[in].EnergyPJ)
	// Output reads at the RF: drains are never gated; the MACs' psum reads are.
	ro := rd.Levels[2].Tensors[o]
	close("RF output energy", r.Levels[2].Tensors[o].EnergyPJ, float64(ro.Drains)*1+float64(ro.Reads-ro.Drains)*d+float64(ro.Updates)*d)
	close("MAC energy", r.MACEnergyPJ, rd.MACEnergyPJ*d)
	if r.Cycles != rd.Cycles {
		t.Errorf("gating changed the cycles: %d, dense %d", r.Cycles, rd.Cycles)
	}
	if r.EnergyPJ < r.LowerBoundPJ {
		t.Errorf("energy %g below the lower bound %g", r.EnergyPJ, r.LowerBoundPJ)
	}

	a.Compute.GateOn[workload.Inputs] = false
	a.Compute.SkipOn[workload.Inputs] = true
	m, _ = New(a)
	r, _ = m.Evaluate(l, mp)
	if want := int64(math.Ceil(float64(rd.ComputeCycles) * d)); r.ComputeCycles != want {
		t.Errorf("skipping: compute cycles %d, want %d", r.ComputeCycles, want)
	}
	close("skipping: MAC energy", r.MACEnergyPJ, rd.MACEnergyPJ*d)

	// A long fiber compresses: a 1×1 convolution over 4096 inputs with
	// every loop in DRAM.
	big, _ := workload.NewLayer("big", workload.Conv, workload.Shape{1, 1, 2, 1, 4096, 1, 1, 1}, [2]int{1, 1}, [2]int{1, 1})
	big.Density[in] = d
	all := [workload.NumTensors]bool{true, true, true}
	flat := &mapping.Mapping{Levels: []mapping.Level{
		{Name: "DRAM", Keep: all, Temporal: []mapping.Loop{{Dim: workload.P, Factor: 4096}, {Dim: workload.M, Factor: 2}}},
		{Name: "GLB", Keep: all}, {Name: "RF", Keep: all}}}
	rb, err := m.Evaluate(big, flat)
	if err != nil {
		t.Fatal(err)
	}
	bigRatio := rlc.ExpectedBits(4096, d) / (16 * 4096)
	close("DRAM input compression (4096 values)", rb.Levels[0].Tensors[in].Ratio, bigRatio)
	dm, _ := New(isca16(3))
	rbd, _ := dm.Evaluate(big, flat)
	close("DRAM input energy (4096 values)", rb.Levels[0].Tensors[in].EnergyPJ, rbd.Levels[0].Tensors[in].EnergyPJ*bigRatio)
	if bigRatio >= 0.7 {
		t.Errorf("RLC at density %g saves too little: ratio %g", d, bigRatio)
	}

	// A dense tensor is never stored larger than dense.
	l.Density[in] = 1
	r, _ = m.Evaluate(l, mp)
	close("dense input compression", r.Levels[0].Tensors[in].Ratio, 1)
}
