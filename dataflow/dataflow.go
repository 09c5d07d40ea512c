package dataflow

import (
	"fmt"
	"slices"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/cost"
	"github.com/nnergy/nnergy/internal/enum"
	"github.com/nnergy/nnergy/mapping"
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

var dataflowNames = enum.New[Dataflow]("dataflow", "dataflow", "ws", "os", "is", "rs", "nlr")

// Dataflows lists every dataflow.
var Dataflows = []Dataflow{WS, OS, IS, RS, NLR}

func (d Dataflow) String() string { return dataflowNames.String(d) }

// ParseDataflow returns the dataflow named s (ws, os, is, rs, nlr).
func ParseDataflow(s string) (Dataflow, error) { return dataflowNames.Parse(s) }

// Choices lists the dataflows' names for people: "ws, os, is, rs or nlr".
func Choices() string { return dataflowNames.Choices() }

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

// Build returns a deterministic, legal mapping of layer l onto the
// architecture of model m that follows dataflow df. The spatial split and
// the loops kept in the PEs come from the dataflow; the remaining factors
// are placed from the inside out, each at the innermost level whose
// capacity still holds it. Among a small set of such mappings (the order in
// which the outermost on-chip level is filled, and the loop order of the
// off-chip level) Build keeps the one of least energy, ties broken by
// cycles then by enumeration order. It is a reasonable mapping, not an
// optimal one; package mapper searches the whole mapspace.
func Build(df Dataflow, l *workload.Layer, m *cost.Model) (*mapping.Mapping, error) {
	if int(df) >= len(rules) {
		return nil, fmt.Errorf("dataflow: unknown dataflow %d", df)
	}
	a := m.Spec()
	if len(a.Levels) == 0 {
		return nil, fmt.Errorf("dataflow: architecture %q has no levels", a.Name)
	}
	ru := rules[df]
	base := fillOrder(ru)
	var best *mapping.Mapping
	var bestR cost.Result
	ev := m.NewEvaluator()
	var r cost.Result
	var firstErr error
	try := func(mp *mapping.Mapping) {
		if err := ev.Evaluate(l, mp, &r); err != nil {
			if firstErr == nil {
				firstErr = err
			}
			return
		}
		if !r.Valid {
			return
		}
		if best == nil || r.EnergyPJ < bestR.EnergyPJ || (r.EnergyPJ == bestR.EnergyPJ && r.Cycles < bestR.Cycles) {
			best = mp.Clone()
			bestR = r
			bestR.Levels = nil
			bestR.Violations = nil
		}
	}
	// Pass 1: every fill order of the outer on-chip levels, with the
	// off-chip loops in the dataflow's order; keep the best few.
	type cand struct {
		mp *mapping.Mapping
		e  float64
	}
	var cands []cand
	for _, fo := range fillOrders(base, l) {
		for bypass := range 1 << workload.NumTensors {
			mp, err := build(df, ru, fo, bypass, l, a)
			if err != nil {
				if firstErr == nil && bypass == 0 {
					firstErr = err
				}
				continue
			}
			if err := ev.Evaluate(l, mp, &r); err != nil || !r.Valid {
				continue
			}
			cands = append(cands, cand{mp, r.EnergyPJ})
		}
	}
	slices.SortStableFunc(cands, func(x, y cand) int { return cmpFloat(x.e, y.e) })
	// Pass 2: every order of the off-chip loops for the best candidates.
	for _, cd := range cands[:min(len(cands), 8)] {
		mp := cd.mp
		for _, order := range permutations(mp.Levels[0].Temporal) {
			mp.Levels[0].Temporal = order
			try(mp)
		}
	}
	if best == nil {
		if firstErr != nil {
			return nil, firstErr
		}
		return nil, fmt.Errorf("dataflow: %s cannot map layer %q onto %q within its limits", df, l.Name, a.Name)
	}
	return best, nil
}

// fillOrder is the order in which a dataflow fills the levels above the PEs:
// the innermost loops of its loop order first.
func fillOrder(ru rule) dims {
	fo := slices.Clone(ru.order)
	slices.Reverse(fo)
	for _, d := range workload.Dims {
		if !slices.Contains(fo, d) {
			fo = append(fo, d)
		}
	}
	return fo
}

// fillOrders returns the orders in which to fill the levels above the PEs:
// every permutation of the layer's dimensions other than R and S with a
// bound above 1 (at most 5! orders), then the rest in the base order.
func fillOrders(base dims, l *workload.Layer) []dims {
	var lead dims
	for _, d := range base {
		if d != r && d != s && l.Shape[d] > 1 && len(lead) < 5 {
			lead = append(lead, d)
		}
	}
	var out []dims
	var rec func(k int)
	rec = func(k int) {
		if k == len(lead) {
			o := slices.Clone(lead)
			for _, d := range base {
				if !slices.Contains(o, d) {
					o = append(o, d)
				}
			}
			out = append(out, o)
			return
		}
		for i := k; i < len(lead); i++ {
			lead[k], lead[i] = lead[i], lead[k]
			rec(k + 1)
			lead[k], lead[i] = lead[i], lead[k]
		}
	}
	rec(0)
	return out
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// permutations returns every order of loops (at most 6 loops; longer lists
// are returned as they are, plus their reverse).
func permutations(ls []mapping.Loop) [][]mapping.Loop {
	if len(ls) > 6 {
		rev := slices.Clone(ls)
		slices.Reverse(rev)
		return [][]mapping.Loop{slices.Clone(ls), rev}
	}
	var out [][]mapping.Loop
	var rec func(k int, cur []mapping.Loop)
	rec = func(k int, cur []mapping.Loop) {
		if k == len(cur) {
			out = append(out, slices.Clone(cur))
			return
		}
		for i := k; i < len(cur); i++ {
			cur[k], cur[i] = cur[i], cur[k]
			rec(k+1, cur)
			cur[k], cur[i] = cur[i], cur[k]
		}
	}
	rec(0, slices.Clone(ls))
	return out
}

// build makes one mapping of the dataflow with the given fill order; the
// tensors whose bit is set in bypass skip the outermost on-chip level.
func build(df Dataflow, ru rule, fo dims, bypass int, l *workload.Layer, a *arch.Spec) (*mapping.Mapping, error) {
	L := len(a.Levels)
	b := &builder{l: l, a: a, m: &mapping.Mapping{Levels: make([]mapping.Level, L)}}
	for i := range L {
		b.m.Levels[i].Name = a.Levels[i].Name
		b.m.Levels[i].Keep = a.Levels[i].Keeps
	}
	for t := range workload.NumTensors {
		b.m.Levels[0].Keep[t] = true
		if L > 2 && bypass&(1<<t) != 0 {
			if !a.Levels[1].Keeps[t] {
				return nil, fmt.Errorf("dataflow: %s already bypasses %s", a.Levels[1].Name, workload.Tensor(t))
			}
			b.m.Levels[1].Keep[t] = false
		}
	}
	if L <= 2 && bypass != 0 {
		return nil, fmt.Errorf("dataflow: no on-chip level to bypass")
	}
	b.rem = l.Shape
	pe := L - 1
	if df == NLR && L >= 3 {
		b.m.Levels[pe].Keep = [workload.NumTensors]bool{}
	}
	if df == WS && L >= 3 && a.Levels[pe].Keeps[workload.Weights] {
		// Weights stay in the PEs; inputs and partial sums stream through.
		b.m.Levels[pe].Keep = [workload.NumTensors]bool{workload.Weights: true}
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
		b.spatial(i, mapping.X, x, mx, red)
		b.spatial(i, mapping.Y, y, my, red)
	}
	b.fit()
	// Stationary loops in the PE storage.
	if L >= 2 {
		b.fill(pe, ru.pe)
	}
	// Everything else from the inside out.
	for i := L - 2; i >= 1; i-- {
		b.fill(i, fo)
	}
	for _, d := range ru.order {
		b.push(0, d)
	}
	for _, d := range workload.Dims {
		b.push(0, d)
	}
	b.sortLoops(ru.order)
	if err := b.m.CheckShape(l); err != nil {
		return nil, fmt.Errorf("dataflow: building %s for %q: %v", df, l.Name, err)
	}
	if v := b.violation(); v != "" {
		return nil, fmt.Errorf("dataflow: %s cannot map layer %q onto %q: %s", df, l.Name, a.Name, v)
	}
	return b.m, nil
}

type builder struct {
	l   *workload.Layer
	a   *arch.Spec
	m   *mapping.Mapping
	rem workload.Shape // factors not placed yet
}

// divisors returns the divisors of v that are at most lim, largest first.
// It pairs each divisor up to √v with its cofactor, so a prime bound of
// 2^31−1 takes 46 341 steps, not the 2^31 of counting down from v.
func divisors(v, lim int) []int {
	var small, large []int
	for k := 1; k <= v/k; k++ {
		if v%k != 0 {
			continue
		}
		if k <= lim {
			small = append(small, k)
		}
		if c := v / k; c != k && c <= lim {
			large = append(large, c)
		}
	}
	// large is descending; small ascending.
	slices.Reverse(small)
	return append(large, small...)
}

// spatial splits up to mesh instances of level i's children along axis ax.
// The first preferred dimension that can be split is always split (it is
// what makes the dataflow); the others fill the rest of the axis. Among
// such splits Build takes the largest product, ties keeping more of the
// earlier dimensions.
func (b *builder) spatial(i int, ax mapping.Axis, pref dims, mesh int, reduce bool) {
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
		ds := divisors(b.rem[ok[k]], left)
		if k == 0 && len(ds) > 1 {
			ds = ds[:len(ds)-1] // the dataflow's own dimension must be split
		}
		for _, f := range ds {
			rec(k+1, left/f, append(fs, f))
		}
	}
	rec(0, mesh, nil)
	for k, f := range bestF {
		if f > 1 {
			b.m.Levels[i].Spatial = append(b.m.Levels[i].Spatial, mapping.Loop{Dim: ok[k], Factor: f, Axis: ax})
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
	var tiles [workload.NumTensors]int64
	for t := range workload.NumTensors {
		if b.m.Levels[i].Keep[t] {
			tiles[t] = b.a.TileWords(b.l, i, workload.Tensor(t), b.tile(i, workload.Tensor(t)))
		}
	}
	var buf [workload.NumTensors + 1]arch.Overflow
	for _, o := range lv.Overflows(b.m.Levels[i].Keep, tiles, buf[:0]) {
		if o.Shared {
			return fmt.Sprintf("level %s: tiles of %d words exceed its %d words", lv.Name, o.Need, o.Have)
		}
		return fmt.Sprintf("level %s: %s tile of %d words exceeds its %d-word partition", lv.Name, o.Tensor, o.Need, o.Have)
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
func (b *builder) fill(i int, ds dims) {
	for _, d := range ds {
		if b.rem[d] <= 1 {
			continue
		}
		for _, f := range divisors(b.rem[d], b.rem[d]) {
			if f == 1 {
				break
			}
			b.m.Levels[i].Temporal = append(b.m.Levels[i].Temporal, mapping.Loop{Dim: d, Factor: f})
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
		b.m.Levels[i].Temporal = append(b.m.Levels[i].Temporal, mapping.Loop{Dim: d, Factor: b.rem[d]})
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
			tl = append(tl, mapping.Loop{Dim: d, Factor: f[d]})
		}
		b.m.Levels[i].Temporal = tl
	}
}
