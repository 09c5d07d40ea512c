package cost

import (
	"math"
	"math/rand/v2"
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

// TestSparseAgainstRealTensors draws real sparse input tensors and counts,
// by walking every MAC of the layer, the MACs whose input is nonzero (the
// ones gating lets through), and encodes the input tensor in RLC. The
// model's expectations (density × MACs; the format's expected size) must
// agree within four standard deviations of the sampling noise.
func TestSparseAgainstRealTensors(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for trial := range 30 {
		d := 0.1 + 0.8*rng.Float64()
		shape := workload.Shape{1, 1, 1 + rng.IntN(4), 1 + rng.IntN(3), 4 + rng.IntN(12), 4 + rng.IntN(12), 1 + rng.IntN(3), 1 + rng.IntN(3)}
		l, err := workload.NewLayer("real", workload.Conv, shape, [2]int{1 + rng.IntN(2), 1}, [2]int{1, 1})
		if err != nil {
			t.Fatal(err)
		}
		l.Density[workload.Inputs] = d
		h, w := l.InputHW()
		c := shape[workload.C]
		in := make([]float32, c*h*w)
		for i := range in {
			if rng.Float64() < d {
				in[i] = float32(1 + rng.IntN(1000)) // 16-bit fixed point
			}
		}
		at := func(ci, y, x int) float32 { return in[(ci*h+y)*w+x] }
		// Walk every MAC: how many see a nonzero input, and how often each
		// input is used (for the sampling variance).
		uses := make([]int, len(in))
		var nonzero int64
		for m := 0; m < shape[workload.M]; m++ {
			for ci := 0; ci < c; ci++ {
				for p := 0; p < shape[workload.P]; p++ {
					for q := 0; q < shape[workload.Q]; q++ {
						for r := 0; r < shape[workload.R]; r++ {
							for s := 0; s < shape[workload.S]; s++ {
								y, x := p*l.Stride[0]+r, q*l.Stride[1]+s
								uses[(ci*h+y)*w+x]++
								if at(ci, y, x) != 0 {
									nonzero++
								}
							}
						}
					}
				}
			}
		}
		var variance float64
		for _, u := range uses {
			variance += float64(u*u) * d * (1 - d)
		}
		a := isca16(1)
		a.Compute.GateOn[workload.Inputs] = true
		rlc, _ := sparse.ParseFormat("rlc", 16)
		a.Levels[0].Format[workload.Inputs] = rlc
		m, _ := New(a)
		all := [workload.NumTensors]bool{true, true, true}
		flat := &mapping.Mapping{Levels: []mapping.Level{{Name: "DRAM", Keep: all}, {Name: "GLB", Keep: all}, {Name: "RF", Keep: all}}}
		for dim := range workload.NumDims {
			if shape[dim] > 1 {
				flat.Levels[0].Temporal = append(flat.Levels[0].Temporal, mapping.Loop{Dim: workload.Dim(dim), Factor: shape[dim]})
			}
		}
		r, err := m.Evaluate(l, flat)
		if err != nil || !r.Valid {
			t.Fatalf("trial %d: %v %v", trial, err, r.Violations)
		}
		performed := r.MACEnergyPJ / a.Compute.EnergyPJ
		if diff := math.Abs(performed - float64(nonzero)); diff > 4*math.Sqrt(variance)+1e-9 {
			t.Errorf("trial %d (density %.2f): model lets %.1f MACs through, the tensor %d (σ %.1f)", trial, d, performed, nonzero, math.Sqrt(variance))
		}
		// The input tensor, encoded: the model's expected size against the
		// real one, over the touched inputs in DRAM.
		enc, err := rlc.Encode(in)
		if err != nil {
			t.Fatal(err)
		}
		n := float64(len(in))
		expected := rlc.ExpectedBits(len(in), d)
		// The model compresses the inputs the layer touches (with stride 2
		// and a 1-wide filter, fewer than the padded tensor holds).
		tile := r.Levels[0].Tensors[workload.Inputs].Tile
		if ratio := r.Levels[0].Tensors[workload.Inputs].Ratio; ratio < 1 {
			want := rlc.ExpectedBits(int(tile), d)
			if got := ratio * 16 * float64(tile); math.Abs(got-want) > 1e-6*want {
				t.Errorf("trial %d: model's compressed size %.1f bits, the format's expectation %.1f", trial, got, want)
			}
		}
		// Sampling noise of an RLC size: at most one pair (21 bits) per
		// value, Bernoulli per value, packed 3 per 64-bit word.
		if sd := math.Sqrt(n*d*(1-d)) * 21 * 64 / 63; math.Abs(float64(enc.Bits)-expected) > 4*sd+64 {
			t.Errorf("trial %d (density %.2f, %d values): encoded %d bits, expected %.1f (σ %.1f)", trial, d, len(in), enc.Bits, expected, sd)
		}
	}
}

// TestMeasuredTiles checks that measured weights change what uniform
// zeros cannot express: with every other filter entirely zero, a level that
// skips on zero weight tiles of one filter skips half its reads, where
// zeros spread uniformly at the same density almost never leave a whole
// filter empty. Uniformly random measured weights agree with the uniform
// model.
func TestMeasuredTiles(t *testing.T) {
	shape := workload.Shape{1, 1, 8, 4, 6, 6, 3, 3}
	mk := func() *workload.Layer {
		l, err := workload.NewLayer("m", workload.Conv, shape, [2]int{1, 1}, [2]int{1, 1})
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	a := isca16(1)
	a.Levels[1].SkipOn[workload.Weights] = true // the GLB skips reads for zero weight tiles
	m, _ := New(a)
	all := [workload.NumTensors]bool{true, true, true}
	// One filter (4×3×3 weights) per RF tile; M, P, Q loop in the GLB.
	mp := &mapping.Mapping{Levels: []mapping.Level{
		{Name: "DRAM", Keep: all},
		{Name: "GLB", Keep: all, Temporal: []mapping.Loop{{Dim: workload.M, Factor: 8}, {Dim: workload.P, Factor: 6}, {Dim: workload.Q, Factor: 6}}},
		{Name: "RF", Keep: all, Temporal: []mapping.Loop{{Dim: workload.C, Factor: 4}, {Dim: workload.R, Factor: 3}, {Dim: workload.S, Factor: 3}}},
	}}
	n := int(shape[workload.M] * shape[workload.C] * shape[workload.R] * shape[workload.S])
	w := make([]float32, n)
	per := n / shape[workload.M]
	for i := range w {
		if (i/per)%2 == 0 {
			w[i] = 1
		}
	}
	ms, err := sparse.NewMeasured(sparse.Tensor{Shape: []int{1, 8, 4, 3, 3}, Values: w})
	if err != nil {
		t.Fatal(err)
	}
	structured, uniform := mk(), mk()
	structured.Density[workload.Weights], uniform.Density[workload.Weights] = 0.5, 0.5
	structured.Measured[workload.Weights] = ms
	rs, err := m.Evaluate(structured, mp)
	if err != nil {
		t.Fatal(err)
	}
	ru, _ := m.Evaluate(uniform, mp)
	in := workload.Inputs
	dense := float64(rs.Levels[1].Tensors[in].Reads) * 6
	if got := rs.Levels[1].Tensors[in].EnergyPJ; math.Abs(got-dense*0.5) > 1e-9*dense {
		t.Errorf("measured: GLB input read energy %g, want half of %g", got, dense)
	}
	if got := ru.Levels[1].Tensors[in].EnergyPJ; got < dense*0.999 {
		t.Errorf("uniform: GLB input read energy %g, want nearly all of %g (a 36-weight tile at density 0.5 is almost never empty)", got, dense)
	}
	// Random measured weights behave like the uniform model.
	rng := rand.New(rand.NewPCG(3, 3))
	rw := make([]float32, n)
	nz := 0
	for i := range rw {
		if rng.Float64() < 0.05 {
			rw[i] = 1
			nz++
		}
	}
	rms, _ := sparse.NewMeasured(sparse.Tensor{Shape: []int{1, 8, 4, 3, 3}, Values: rw})
	random, uni := mk(), mk()
	random.Density[workload.Weights] = float64(nz) / float64(n)
	uni.Density[workload.Weights] = random.Density[workload.Weights]
	random.Measured[workload.Weights] = rms
	rr, _ := m.Evaluate(random, mp)
	ru2, _ := m.Evaluate(uni, mp)
	if a, b := rr.Levels[1].Tensors[in].EnergyPJ, ru2.Levels[1].Tensors[in].EnergyPJ; math.Abs(a-b) > 0.35*b {
		t.Errorf("random measured weights: GLB input read energy %g, uniform model %g", a, b)
	}
}
