package dataflow

import (
	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/mapping"
	"github.com/nnergy/nnergy/mapspace"
	"github.com/nnergy/nnergy/workload"
)

// Constraints returns the constraint set that defines dataflow df on
// architecture a for layer l, for the mapper to search within:
//
//   - WS: the PEs keep only weights, loop in them only over N, P and Q (so
//     a weight stays put while inputs and outputs stream), and spread weight
//     dimensions (M, C, R, S, G) across the array.
//   - OS: loops in the PEs only over C, R and S (an output stays put while
//     it accumulates); output dimensions (N, M, P, Q, G) across the array.
//   - IS: loops in the PEs only over M (an input stays put while it meets
//     every filter); input dimensions (N, C, P, Q, G) across the array.
//   - RS: every filter row across Y (all of R) and every filter column in
//     the PE (all of S), the PE looping over S, C and M: 1-D convolutions of
//     a filter row over an input row, as Eyeriss defines it; output rows,
//     filters, channels, images or groups fill the rest of the array.
//   - NLR: the PEs keep nothing and loop over nothing; filters and channels
//     across the array.
//
// The PE array is the fan-out into the innermost level; other levels are
// unconstrained.
func Constraints(df Dataflow, l *workload.Layer, a *arch.Spec) mapspace.Constraints {
	cs := mapspace.Constraints{Name: df.String(), Levels: map[string]mapspace.Rule{}}
	L := len(a.Levels)
	if L < 2 {
		return cs
	}
	peName, arrName := a.Levels[L-1].Name, a.Levels[L-2].Name
	pe, arr := mapspace.Rule{}, mapspace.Rule{}
	keepOnly := func(ts ...workload.Tensor) *[workload.NumTensors]bool {
		var k [workload.NumTensors]bool
		for _, t := range ts {
			if a.Levels[L-1].Keeps[t] {
				k[t] = true
			}
		}
		return &k
	}
	ds := func(d ...workload.Dim) []workload.Dim { return append([]workload.Dim{}, d...) } // never nil: nil allows every dimension
	switch df {
	case WS:
		pe.Keep = keepOnly(workload.Weights)
		pe.Temporal = ds(n, p, q)
		arr.X, arr.Y = ds(m, c, r, s, g), ds(m, c, r, s, g)
	case OS:
		pe.Temporal = ds(c, r, s)
		arr.X, arr.Y = ds(n, m, p, q, g), ds(n, m, p, q, g)
	case IS:
		pe.Temporal = ds(m)
		arr.X, arr.Y = ds(n, c, p, q, g), ds(n, c, p, q, g)
	case RS:
		pe.Temporal = ds(s, c, m)
		arr.X, arr.Y = ds(p, m, c, n, g), ds(r, c, m, g)
		if l.Shape[r] <= a.Levels[L-1].MeshY {
			arr.Spatial = map[workload.Dim]mapping.Axis{r: mapping.Y}
		}
		pe.Factors = map[workload.Dim]int{s: l.Shape[s]}
	case NLR:
		pe.Keep = keepOnly()
		pe.Temporal = ds()
		arr.X, arr.Y = ds(m, c, g), ds(m, c, g)
	}
	cs.Levels[peName] = pe
	cs.Levels[arrName] = arr
	return cs
}
