package nest

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/mapping"
	"github.com/nnergy/nnergy/workload"
)

// TestConventionsByHand shows each counting convention's effect on one
// small layer, with the counts worked out by hand: the default, then the
// alternative (arch.Conventions). The brute-force reference must agree.
func TestConventionsByHand(t *testing.T) {
	I, O := workload.Inputs, workload.Outputs
	T := func(d workload.Dim, f int) mapping.Loop { return mapping.Loop{Dim: d, Factor: f} }
	X := func(d workload.Dim, f int) mapping.Loop { return mapping.Loop{Dim: d, Factor: f, Axis: mapping.X} }
	type count struct {
		level  int
		tensor workload.Tensor
		field  string // Tile, Fills, Reads, Drains, Updates, Net
		def    int64  // under the default
		alt    int64  // under the convention
	}
	tests := []struct {
		name  string
		conv  arch.Convention
		shape workload.Shape
		// stride of P
		stride int
		// keeps and mesh X of the second level (the first keeps all)
		keeps workload.Tensor
		mesh  int
		top   []mapping.Loop // the first level's loops (temporal, then spatial)
		inner []mapping.Loop // the second level's
		want  []count
	}{{
		// One output per P step in Buf: it drains twice to DRAM (a read
		// at Buf each by default), and serves the MAC 4 times, 2 of them
		// reloads.
		name: "drain", conv: arch.ConvDrain,
		shape: workload.Shape{workload.C: 2, workload.P: 2}, stride: 1, keeps: O, mesh: 1,
		top: []mapping.Loop{T(workload.P, 2), T(workload.C, 2)},
		want: []count{
			{1, O, "Reads", 4, 2}, {1, O, "Drains", 2, 0}, {1, O, "Updates", 4, 4},
			{0, O, "Updates", 2, 2}, {1, O, "Net", 2, 2},
		},
	}, {
		// C spreads over 2 Bufs that reduce into one output; R (outer)
		// brings both outputs back: 4 occupancies of 1 output, 2 of them
		// reloads, written into one Buf or into both.
		name: "reload", conv: arch.ConvReload,
		shape: workload.Shape{workload.C: 2, workload.P: 2, workload.R: 2}, stride: 1, keeps: O, mesh: 2,
		top: []mapping.Loop{T(workload.R, 2), T(workload.P, 2), X(workload.C, 2)},
		want: []count{
			{1, O, "Fills", 2, 4}, {0, O, "Reads", 2, 2}, {0, O, "Updates", 4, 4},
			{1, O, "Net", 2 + 8, 4 + 8},
		},
	}, {
		// 4 PEs at (P, R) each need input P+R: 0, 1, 1, 2. One read of 1
		// serves both PEs that need it, or each its own.
		name: "multicast", conv: arch.ConvMulticast,
		shape: workload.Shape{workload.P: 2, workload.R: 2}, stride: 1, keeps: I, mesh: 4,
		top:  []mapping.Loop{X(workload.P, 2), X(workload.R, 2)},
		want: []count{{0, I, "Reads", 3, 4}, {1, I, "Fills", 4, 4}},
	}, {
		// Stride 2 and R = 1: the input tile is {0, 2}, its box {0, 1, 2}.
		name: "strided tile", conv: arch.ConvStride,
		shape: workload.Shape{workload.P: 2}, stride: 2, keeps: I, mesh: 1,
		inner: []mapping.Loop{T(workload.P, 2)},
		want: []count{
			{0, I, "Tile", 2, 3}, {1, I, "Tile", 2, 3}, {1, I, "Fills", 2, 3},
			{0, I, "Reads", 2, 3}, {1, I, "Reads", 2, 2},
		},
	}, {
		// Buf holds inputs P+R for r < 2 (2 words). M (inner, irrelevant)
		// steps keep them; the P step wraps M and moves the window by
		// one: one new word, or the whole changed tile.
		name: "wrap reuse", conv: arch.ConvWrap,
		shape: workload.Shape{workload.M: 2, workload.P: 2, workload.R: 2}, stride: 1, keeps: I, mesh: 1,
		top:   []mapping.Loop{T(workload.P, 2), T(workload.M, 2)},
		inner: []mapping.Loop{T(workload.R, 2)},
		want:  []count{{1, I, "Fills", 3, 4}, {0, I, "Reads", 3, 4}},
	}}
	var z Analyzer
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for d := range workload.NumDims {
				if tt.shape[d] == 0 {
					tt.shape[d] = 1
				}
			}
			l, err := workload.NewLayer("hand", workload.Conv, tt.shape, [2]int{tt.stride, 1}, [2]int{1, 1})
			if err != nil {
				t.Fatal(err)
			}
			a := &arch.Spec{Name: "hand", ClockHz: 1e9, Compute: arch.Compute{MeshX: 1, MeshY: 1, EnergyPJ: 1}, Levels: []arch.Level{
				{Name: "DRAM", Keeps: [3]bool{true, true, true}, MeshX: 1, MeshY: 1},
				{Name: "Buf", MeshX: tt.mesh, MeshY: 1, Network: arch.Network{Multicast: true, Reduction: true}},
			}}
			a.Levels[1].Keeps[tt.keeps] = true
			m := &mapping.Mapping{Levels: []mapping.Level{{Name: "DRAM", Keep: a.Levels[0].Keeps}, {Name: "Buf", Keep: a.Levels[1].Keeps}}}
			for i, loops := range [][]mapping.Loop{tt.top, tt.inner} {
				for _, lp := range loops {
					if lp.Axis == mapping.Temporal {
						m.Levels[i].Temporal = append(m.Levels[i].Temporal, lp)
					} else {
						m.Levels[i].Spatial = append(m.Levels[i].Spatial, lp)
					}
				}
			}
			for k, cv := range []arch.Conventions{0, arch.Conventions(0).With(tt.conv, true)} {
				a.Conventions = cv
				var c Counts
				if err := z.Analyze(l, a, m, &c); err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(reference(l, a, m), &c, cmpopts.IgnoreFields(Counts{}, "Ext")); diff != "" {
					t.Fatalf("%v: the reference disagrees (-reference +model):\n%s", cv, diff)
				}
				for _, w := range tt.want {
					acc := c.Levels[w.level].Tensors[w.tensor]
					got := map[string]int64{"Tile": acc.Tile, "Fills": acc.Fills, "Reads": acc.Reads, "Drains": acc.Drains,
						"Updates": acc.Updates, "Net": c.Levels[w.level].Net.Words[w.tensor]}[w.field]
					want := [2]int64{w.def, w.alt}[k]
					if got != want {
						t.Errorf("%v: level %d %s %s = %d, want %d", cv, w.level, w.tensor, w.field, got, want)
					}
				}
			}
		})
	}
}
