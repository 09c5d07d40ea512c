package cost

import (
	"testing"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/mapping"
	"github.com/nnergy/nnergy/workload"
)

// isca16 is the four-level hierarchy of the ISCA 2016 energy analysis:
// DRAM 200, global buffer 6, array network 2, RF 1, MAC 1 (units of one
// MAC). Eq. 3 and 4 charge a level for its reads and updates only, so fills
// cost nothing here.
func isca16(pes int) *arch.Spec {
	all := [workload.NumTensors]bool{true, true, true}
	lv := func(name string, e float64, mesh int) arch.Level {
		l := arch.Level{Name: name, Keeps: all, MeshX: mesh, MeshY: 1, WordBits: 16}
		for t := range l.Energy {
			l.Energy[t] = arch.Actions{ReadPJ: e, UpdatePJ: e}
		}
		return l
	}
	rf := lv("RF", 1, pes)
	rf.Network = arch.Network{Name: "array", WordPJ: 2, Multicast: true, Reduction: true}
	return &arch.Spec{
		Name: "isca16", ClockHz: 200e6,
		Levels:  []arch.Level{lv("DRAM", 200, 1), lv("GLB", 6, 1), rf},
		Compute: arch.Compute{MeshX: 1, MeshY: 1, EnergyPJ: 1, Bits: 16},
	}
}

// reuseMapping splits dimension d as a×b×c×d across DRAM, GLB, the PE array
// and the RF, with a P loop of 2 inside DRAM and GLB so that every level
// refetches between reuses.
func reuseMapping(d workload.Dim, a, b, c, dd int) *mapping.Mapping {
	all := [workload.NumTensors]bool{true, true, true}
	return &mapping.Mapping{Levels: []mapping.Level{
		{Name: "DRAM", Keep: all, Temporal: []mapping.Loop{{Dim: d, Factor: a}, {Dim: workload.P, Factor: 2}}},
		{Name: "GLB", Keep: all, Temporal: []mapping.Loop{{Dim: d, Factor: b}, {Dim: workload.P, Factor: 2}},
			Spatial: []mapping.Loop{{Dim: d, Factor: c, Axis: mapping.X}}},
		{Name: "RF", Keep: all, Temporal: []mapping.Loop{{Dim: d, Factor: dd}}},
	}}
}

// TestISCA16Eq3 checks input reuse a×b×c×d against Eq. 3:
// a·EC(DRAM) + ab·EC(GLB) + abc·EC(array) + abcd·EC(RF) per input.
func TestISCA16Eq3(t *testing.T) {
	for _, tc := range []struct{ a, b, c, d int }{
		{1, 2, 3, 4}, // the paper's example: reuse 24
		{2, 1, 1, 1}, {1, 1, 1, 5}, {3, 2, 4, 2}, {2, 3, 1, 3},
	} {
		reuse := tc.a * tc.b * tc.c * tc.d
		l, err := workload.NewLayer("eq3", workload.Conv, workload.Shape{1, 1, reuse, 1, 4, 1, 1, 1}, [2]int{1, 1}, [2]int{1, 1})
		if err != nil {
			t.Fatal(err)
		}
		m, _ := New(isca16(tc.c))
		r, err := m.Evaluate(l, reuseMapping(workload.M, tc.a, tc.b, tc.c, tc.d))
		if err != nil {
			t.Fatal(err)
		}
		in := workload.Inputs
		per := float64(l.Size(in))
		a, b, c, d := float64(tc.a), float64(tc.b), float64(tc.c), float64(tc.d)
		want := (a*200 + a*b*6 + a*b*c*2 + a*b*c*d*1) * per
		got := r.Levels[0].Tensors[in].EnergyPJ + r.Levels[1].Tensors[in].EnergyPJ +
			r.Levels[2].Tensors[in].EnergyPJ + float64(r.Levels[2].Tensors[in].NetworkWords)*2
		if got != want {
			t.Errorf("reuse %d×%d×%d×%d: input energy %g pJ, Eq. 3 gives %g", tc.a, tc.b, tc.c, tc.d, got, want)
		}
	}
}

// TestISCA16Eq4 checks partial sums accumulated a×b×c×d times (a passes
// through DRAM, b through the GLB, c PEs reducing spatially, d MACs in each
// RF occupancy) against hand-derived counts per output:
//
//	DRAM: a−1 reloads + a updates = 2a−1, Eq. 4's DRAM term exactly;
//	array: ab(c−1) spatial additions, Eq. 4's array term exactly;
//	GLB: ab updates + (ab−1) reloads from its children = 2ab−1, which is Eq. 4's
//	  GLB term 2a(b−1) plus its DRAM term: Eq. 4 charges an access to the
//	  highest level it touches only, nnergy to every level it touches;
//	RF: abcd updates and c(abd−1) reads by the MACs (each PE's share of a
//	  spatially split sum starts at zero), (ab−1) reloads and abc drains.
func TestISCA16Eq4(t *testing.T) {
	for _, tc := range []struct{ a, b, c, d int }{
		{2, 3, 3, 2}, // the paper's example: 36 accumulations
		{1, 1, 1, 4}, {3, 1, 2, 1}, {2, 2, 2, 2},
	} {
		acc := tc.a * tc.b * tc.c * tc.d
		l, err := workload.NewLayer("eq4", workload.Conv, workload.Shape{1, 1, 1, acc, 4, 1, 1, 1}, [2]int{1, 1}, [2]int{1, 1})
		if err != nil {
			t.Fatal(err)
		}
		m, _ := New(isca16(tc.c))
		e := m.NewEvaluator()
		var r Result
		if err := e.Evaluate(l, reuseMapping(workload.C, tc.a, tc.b, tc.c, tc.d), &r); err != nil {
			t.Fatal(err)
		}
		o := workload.Outputs
		n := l.Size(o)
		a, b, c, d := int64(tc.a), int64(tc.b), int64(tc.c), int64(tc.d)
		dram, glb, rf := r.Levels[0].Tensors[o], r.Levels[1].Tensors[o], r.Levels[2].Tensors[o]
		for _, chk := range []struct {
			what      string
			got, want int64
		}{
			{"DRAM reads+updates (Eq. 4: 2a−1)", dram.Reads + dram.Updates, (2*a - 1) * n},
			{"GLB updates", glb.Updates, a * b * n},
			{"GLB reads (reloads + drains)", glb.Reads, (a*b-1)*n + a*n},
			{"GLB fills", glb.Fills, (a - 1) * n},
			{"GLB child-side accesses (Eq. 4: GLB + DRAM terms)", glb.Updates + glb.Reads - glb.Drains, (2*a*(b-1) + 2*a - 1) * n},
			{"RF updates", rf.Updates, a * b * c * d * n},
			{"RF reads (MAC reads + drains)", rf.Reads, c*(a*b*d-1)*n + a*b*c*n},
			{"RF fills", rf.Fills, (a*b - 1) * n},
		} {
			if chk.got != chk.want {
				t.Errorf("reuse %v: %s = %d, want %d", tc, chk.what, chk.got, chk.want)
			}
		}
		// Eq. 4's array term: ab(c−1) spatial accumulations per output.
		if got, want := e.Counts().Levels[2].Net.Reduce, a*b*(c-1)*n; got != want {
			t.Errorf("reuse %v: spatial additions %d, Eq. 4's array term gives %d", tc, got, want)
		}
		if r.MACs != int64(acc)*4 {
			t.Errorf("MACs %d, want %d", r.MACs, acc*4)
		}
	}
}
