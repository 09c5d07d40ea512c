package mapping

import (
	"fmt"
	"slices"
	"strings"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/workload"
)

// Dataflow names a family of mappings by what stays put in the PEs.
type Dataflow uint8

// The dataflows of Chen, Emer and Sze (ISCA 2016).
const (
	// WS, weight stationary: each PE keeps weights and streams inputs and
	// partial sums; filters (M) spread across X, input channels (C) down Y.
	WS Dataflow = iota
	// OS, output stationary: each PE accumulates its own outputs; output
	// columns (Q) across X, output rows (P) down Y.
	OS
	// IS, input stationary: each PE keeps inputs and loops over filters.
	IS
	// RS, row stationary (Eyeriss): filter rows (R) down Y, output rows (P)
	// across X, each PE running 1-D convolutions of a filter row over an
	// input row, with filters and channels stacked in its scratchpads.
	RS
	// NLR, no local reuse: PEs keep nothing; every operand comes from the
	// global buffer and every partial sum goes back to it.
	NLR
)

var dataflowNames = [...]string{"ws", "os", "is", "rs", "nlr"}

// Dataflows lists every dataflow.
var Dataflows = []Dataflow{WS, OS, IS, RS, NLR}

func (d Dataflow) String() string {
	if int(d) < len(dataflowNames) {
		return dataflowNames[d]
	}
	return fmt.Sprintf("Dataflow(%d)", uint8(d))
}

// ParseDataflow returns the dataflow named s (ws, os, is, rs, nlr).
func ParseDataflow(s string) (Dataflow, error) {
	for i, n := range dataflowNames {
		if strings.EqualFold(n, s) {
			return Dataflow(i), nil
		}
	}
	return 0, fmt.Errorf("mapping: unknown dataflow %q (dataflows: %s)", s, strings.Join(dataflowNames[:], ", "))
}

type (
	dims = []workload.Dim
)

const (
	n, g, m, c, p, q, r, s = workload.N, workload.G, workload.M, workload.C, workload.P, workload.Q, workload.R, workload.S
)

// rule is what a dataflow asks of a mapping.
type rule struct {
	x, y  dims // dimensions for the PE array's X and Y axes, first choice first
	pe    dims // dimensions kept in the PE's storage, innermost first
	order dims // loop order above the PEs, outermost first
}

var rules = [...]rule{
	WS:  {x: dims{m, g}, y: dims{c, r, s}, pe: dims{}, order: dims{g, m, c, r, s, n, p, q}},
	OS:  {x: dims{q, m, g}, y: dims{p, n, m}, pe: dims{s, r, c}, order: dims{g, n, m, p, q, c, r, s}},
	IS:  {x: dims{q, g}, y: dims{c, p}, pe: dims{m}, order: dims{g, n, c, p, q, r, s, m}},
	RS:  {x: dims{p, m, g, n}, y: dims{r, c, g}, pe: dims{s, c, m}, order: dims{g, n, m, c, p, q}},
	NLR: {x: dims{m, g}, y: dims{c, r, s}, pe: nil, order: dims{g, n, p, q, m, c, r, s}},
}

// Build returns a deterministic, legal mapping of layer l onto architecture
// a that follows dataflow df: the spatial split and the loops kept in the
// PEs come from the dataflow, and the remaining factors are placed from the
// inside out, each at the innermost level whose capacity still holds it.
// It is a reasonable mapping, not an optimal one; the mapper searches for
// better ones.
func Build(df Dataflow, l *workload.Layer, a *arch.Spec) (*Mapping, error) {
	if int(df) >= len(rules) {
		return nil, fmt.Errorf("mapping: unknown dataflow %d", df)
	}
	ru := rules[df]
	L := len(a.Levels)
	if L == 0 {
		return nil, fmt.Errorf("mapping: architecture %q has no levels", a.Name)
	}
	b := &builder{l: l, a: a, m: &Mapping{Levels: make([]Level, L)}}
	for i := range L {
		b.m.Levels[i].Name = a.Levels[i].Name
		b.m.Levels[i].Keep = a.Levels[i].Keeps
	}
	for t := range workload.NumTensors {
		b.m.Levels[0].Keep[t] = true
	}
	b.rem = l.Shape
	pe := L - 1
	if df == NLR && L >= 3 {
		b.m.Levels[pe].Keep = [workload.NumTensors]bool{}
	}
	if df == WS && L >= 3 {
		// Weights stay in the PEs; inputs and partial sums stream through.
		if a.Levels[pe].Keeps[workload.Weights] {
			b.m.Levels[pe].Keep = [workload.NumTensors]bool{workload.Weights: true}
		}
	}
	// Spatial fan-out, innermost array first.
	for i := L - 1; i >= 0; i-- {
		mx, my := a.Compute.MeshX, a.Compute.MeshY
		red := true
		if i+1 < L {
			mx, my = a.Levels[i+1].MeshX, a.Levels[i+1].MeshY
			red = a.Levels[i+1].Network.Reduction
		}
		if mx*my <= 1 {
			continue
		}
		x, y := ru.x, ru.y
		switch {
		case i == L-1: // SIMD lanes inside a PE: an adder tree reduces C
			x, y = dims{c, m}, dims{c, m}
		case i != L-2: // arrays of cores or clusters split outputs
			x, y = dims{m, p, n, q, g}, dims{p, n, m, q, g}
		}
		b.spatial(i, X, x, mx, red)
		b.spatial(i, Y, y, my, red)
	}
	b.fit()
	// Stationary loops in the PE storage.
	if L >= 2 {
		b.fill(pe, ru.pe, ru.order)
	}
	// Everything else from the inside out.
	fillOrder := slices.Clone(ru.order)
	slices.Reverse(fillOrder)
	fillOrder = append(fillOrder, r, s)
	for i := L - 2; i >= 1; i-- {
		b.fill(i, fillOrder, ru.order)
	}
	for _, d := range ru.order {
		b.push(0, d)
	}
	for _, d := range workload.Dims {
		b.push(0, d)
	}
	b.sortLoops(ru.order)
	if err := b.m.CheckShape(l); err != nil {
		return nil, fmt.Errorf("mapping: building %s for %q: %v", df, l.Name, err)
	}
	if v := b.violation(); v != "" {
		return nil, fmt.Errorf("mapping: %s cannot map layer %q onto %q: %s", df, l.Name, a.Name, v)
	}
	return b.m, nil
}

type builder struct {
	l   *workload.Layer
	a   *arch.Spec
	m   *Mapping
	rem workload.Shape // factors not placed yet
}

// divisors returns the divisors of v that are at most lim, largest first.
func divisors(v, lim int) []int {
	var ds []int
	for k := min(v, lim); k >= 1; k-- {
		if v%k == 0 {
			ds = append(ds, k)
		}
	}
	return ds
}

// spatial splits up to mesh instances of level i's children along axis ax,
// taking factors of the preferred dimensions so that the product is as large
// as possible (ties keep more of the first dimension).
func (b *builder) spatial(i int, ax Axis, pref dims, mesh int, reduce bool) {
	var ok dims
	for _, d := range pref {
		if !reduce && !b.l.Relevant(workload.Outputs, d) {
			continue
		}
		if b.rem[d] > 1 && !slices.Contains(ok, d) {
			ok = append(ok, d)
		}
	}
	if len(ok) == 0 {
		return
	}
	best, bestF := 0, []int(nil)
	var rec func(k, left int, fs []int)
	rec = func(k, left int, fs []int) {
		if k == len(ok) {
			tot := 1
			for _, f := range fs {
				tot *= f
			}
			if tot > best {
				best, bestF = tot, slices.Clone(fs)
			}
			return
		}
		for _, f := range divisors(b.rem[ok[k]], left) {
			rec(k+1, left/f, append(fs, f))
		}
	}
	rec(0, mesh, nil)
	for k, f := range bestF {
		if f > 1 {
			b.m.Levels[i].Spatial = append(b.m.Levels[i].Spatial, Loop{Dim: ok[k], Factor: f, Axis: ax})
			b.rem[ok[k]] /= f
		}
	}
}

// tile returns the words of tensor t held by one instance of level i with
// the loops placed so far.
func (b *builder) tile(i int, t workload.Tensor) int64 {
	ext := workload.Ones()
	for _, lv := range b.m.Levels[i:] {
		for _, lp := range lv.Temporal {
			ext[lp.Dim] *= lp.Factor
		}
		for _, lp := range lv.Spatial {
			ext[lp.Dim] *= lp.Factor
		}
	}
	return b.l.Projection(t).Size(&ext)
}

// violation describes the first capacity or fan-out problem, or "".
func (b *builder) violation() string {
	for i := range b.m.Levels {
		if msg := b.overflow(i); msg != "" {
			return msg
		}
	}
	return ""
}

func (b *builder) overflow(i int) string {
	lv := &b.a.Levels[i]
	var shared int64
	for t := range workload.NumTensors {
		if !b.m.Levels[i].Keep[t] {
			continue
		}
		w := b.tile(i, t)
		capw, own := lv.Capacity(t)
		if own {
			if w > capw {
				return fmt.Sprintf("level %s: %s tile of %d words exceeds its %d-word partition", lv.Name, t, w, capw)
			}
			continue
		}
		shared += w
	}
	var probe workload.Tensor
	for t, v := range lv.Partition {
		if v == 0 {
			probe = workload.Tensor(t)
			break
		}
	}
	if capw, _ := lv.Capacity(probe); capw > 0 && shared > capw {
		return fmt.Sprintf("level %s: tiles of %d words exceed its %d words", lv.Name, shared, capw)
	}
	return ""
}

// fits reports whether every level from 1 to i holds its tiles.
func (b *builder) fits(upto int) bool {
	for j := 1; j <= upto; j++ {
		if b.overflow(j) != "" {
			return false
		}
	}
	return true
}

// fit makes the spatial split legal: a level that cannot hold the tiles of
// a tensor bypasses it (when the tensor can be kept further out), otherwise
// the largest spatial factor shrinks.
func (b *builder) fit() {
	L := len(b.m.Levels)
	for guard := 0; guard < 1000; guard++ {
		bad := -1
		for i := L - 1; i >= 1; i-- {
			if b.overflow(i) != "" {
				bad = i
				break
			}
		}
		if bad < 0 {
			return
		}
		if b.shrinkSpatial(bad) {
			continue
		}
		// No parallelism left to give up: the level bypasses its largest
		// tensor, which then comes from further out.
		var worst workload.Tensor
		var most int64 = -1
		for t := range workload.NumTensors {
			if b.m.Levels[bad].Keep[t] && b.tile(bad, t) > most {
				worst, most = workload.Tensor(t), b.tile(bad, t)
			}
		}
		b.m.Levels[bad].Keep[worst] = false
	}
}

// shrinkSpatial halves (to the next divisor) the largest spatial factor at
// or below level i; it reports false when there is none.
func (b *builder) shrinkSpatial(i int) bool {
	bi, bk, bf := -1, -1, 1
	for j := i; j < len(b.m.Levels); j++ {
		for k, lp := range b.m.Levels[j].Spatial {
			if lp.Factor > bf {
				bi, bk, bf = j, k, lp.Factor
			}
		}
	}
	if bi < 0 {
		return false
	}
	lp := &b.m.Levels[bi].Spatial[bk]
	ds := divisors(lp.Factor, lp.Factor-1)
	nf := ds[0]
	b.rem[lp.Dim] *= lp.Factor / nf
	lp.Factor = nf
	return true
}

// fill places, at level i, the largest factor of each dimension in ds (in
// that order) that keeps every level up to i within capacity.
func (b *builder) fill(i int, ds dims, order dims) {
	for _, d := range ds {
		if b.rem[d] <= 1 {
			continue
		}
		for _, f := range divisors(b.rem[d], b.rem[d]) {
			if f == 1 {
				break
			}
			b.m.Levels[i].Temporal = append(b.m.Levels[i].Temporal, Loop{Dim: d, Factor: f})
			if b.fits(i) {
				b.rem[d] /= f
				break
			}
			b.m.Levels[i].Temporal = b.m.Levels[i].Temporal[:len(b.m.Levels[i].Temporal)-1]
		}
	}
}

// push puts the remaining factor of d at level i.
func (b *builder) push(i int, d workload.Dim) {
	if b.rem[d] > 1 {
		b.m.Levels[i].Temporal = append(b.m.Levels[i].Temporal, Loop{Dim: d, Factor: b.rem[d]})
		b.rem[d] = 1
	}
}

// sortLoops orders every level's temporal loops by the dataflow's order and
// merges loops of the same dimension.
func (b *builder) sortLoops(order dims) {
	rank := func(d workload.Dim) int {
		if k := slices.Index(order, d); k >= 0 {
			return k
		}
		return len(order) + int(d)
	}
	for i := range b.m.Levels {
		var f workload.Shape
		var seen []workload.Dim
		for _, lp := range b.m.Levels[i].Temporal {
			if f[lp.Dim] == 0 {
				f[lp.Dim] = 1
				seen = append(seen, lp.Dim)
			}
			f[lp.Dim] *= lp.Factor
		}
		slices.SortStableFunc(seen, func(x, y workload.Dim) int { return rank(x) - rank(y) })
		tl := b.m.Levels[i].Temporal[:0]
		for _, d := range seen {
			tl = append(tl, Loop{Dim: d, Factor: f[d]})
		}
		b.m.Levels[i].Temporal = tl
	}
}
