package nest

import (
	"math/bits"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/mapping"
	"github.com/nnergy/nnergy/workload"
)

// transition is one kind of step of the temporal loops above a child: loop k
// advances by one and every loop inside it wraps to zero. Each kind happens
// count times and moves the child's tile by delta (per dimension).
type transition struct {
	count int64
	delta workload.Shape
	mask  uint8 // bit d set when delta[d] != 0
	// wrap is set when loops inside the advancing one wrap around (see
	// arch.ConvWrap).
	wrap bool
}

// transitions lists the transitions of the temporal loops before position
// end of the flattened nest, innermost loop first.
func (z *Analyzer) transitions(end int, tr *[]transition) {
	if cap(*tr) < end {
		*tr = make([]transition, 0, end)
	}
	*tr = (*tr)[:0]
	// back[d] is minus how far dimension d wraps back when the loops
	// inside the current one wrap to zero; backMask has bit d set when
	// back[d] != 0.
	var back workload.Shape
	var backMask uint8
	// Walk inside out.
	for i := end - 1; i >= 0; i-- {
		lp := &z.loops[i]
		if lp.Axis != mapping.Temporal {
			continue
		}
		// The loop's own dimension always moves: the loops of it inside
		// this one wrap back by at most step−1 (their factors multiply to
		// at most step).
		step := z.step[i]
		*tr = (*tr)[:len(*tr)+1] // there is room for every loop before end
		t := &(*tr)[len(*tr)-1]
		t.count, t.delta, t.mask = int64(lp.Factor-1), back, backMask|1<<lp.Dim
		t.wrap = backMask != 0
		t.delta[lp.Dim] += step
		if lp.Factor > 1 {
			back[lp.Dim] -= (lp.Factor - 1) * step
			backMask |= 1 << lp.Dim
		}
	}
	// Multiply each count by the iterations of the loops outside it.
	outer := int64(1)
	for i, j := 0, len(*tr)-1; i < end; i++ {
		lp := &z.loops[i]
		if lp.Axis != mapping.Temporal {
			continue
		}
		(*tr)[j].count *= outer
		outer *= int64(lp.Factor)
		j--
	}
}

// trans returns the transitions of the temporal loops above level b (b may
// be the MAC pseudo-level), computed once per analysis.
func (z *Analyzer) trans(b int) []transition {
	if !z.trOK[b] {
		z.transitions(z.start[b], &z.trs[b])
		z.trOK[b] = true
	}
	return z.trs[b]
}

// rank is one rank of a tensor prepared for an interface.
type rank struct {
	n          int
	mask       uint8 // dimensions of the rank
	d          [2]workload.Dim
	c          [2]int
	e          [2]int // child tile extents
	size       int64  // |X|: distinct values in the child tile
	u          int64  // |U|: distinct values in the union over the children
	spatial    bool   // some spatial loop in range touches this rank
	contiguous bool   // X is an arithmetic progression with step g
	g          int
	xs         []int // values of X (bitmap path only)
	offs       []int // offsets of the children (bitmap path only)
}

// prepare fills r for one rank of a tensor whose child tile has extents
// ext, with spatial loops in positions [from, to) of the flattened nest
// whose factors per dimension are fan.
func (z *Analyzer) prepare(r *rank, pr *workload.Rank, ext *workload.Shape, fan *workload.Shape, from, to int) {
	r.n = pr.Len
	if r.n == 1 {
		// Tiles of a one-term rank partition it: the union is fan·e values.
		d := pr.Terms[0].Dim
		r.mask = 1 << d
		r.d[0], r.c[0], r.e[0] = d, pr.Terms[0].Coef, ext[d]
		r.spatial = fan[d] > 1
		r.size = int64(r.e[0])
		r.u = int64(fan[d]) * r.size
		r.contiguous, r.g = true, 1 // in units of the dimension
		return
	}
	r.spatial = false
	r.mask = 0
	for i := 0; i < pr.Len; i++ {
		d := pr.Terms[i].Dim
		r.mask |= 1 << d
		r.d[i], r.c[i], r.e[i] = d, pr.Terms[i].Coef, ext[d]
		if fan[d] > 1 {
			r.spatial = true
		}
	}
	switch {
	case r.n == 0:
		r.size, r.u = 1, 1
		r.contiguous, r.g = true, 1
	case z.box:
		// The bounding box: every value from 0 to the largest.
		r.size = int64(boxSpan(r.c[0], r.e[0], r.c[1], r.e[1]))
		r.contiguous, r.g = true, 1
		r.u = r.size
		if r.spatial {
			r.xs = r.xs[:0]
			for v := range int(r.size) {
				r.xs = append(r.xs, v)
			}
			z.spread(r, from, to)
		}
	default:
		r.size = workload.SumSetSize(r.c[0], r.e[0], r.c[1], r.e[1])
		r.contiguous, r.g = progression(r.c[0], r.e[0], r.c[1], r.e[1])
		if !r.spatial {
			r.u = r.size
			if !r.contiguous {
				r.xs = sumSet(r.xs[:0], r.c[0], r.e[0], r.c[1], r.e[1])
			}
			break
		}
		r.xs = sumSet(r.xs[:0], r.c[0], r.e[0], r.c[1], r.e[1])
		z.spread(r, from, to)
	}
}

// spread sets r.offs to the offsets of the children's tiles under the
// multicast spatial loops in positions [from, to), and r.u to the size of
// the union of r.xs over them.
func (z *Analyzer) spread(r *rank, from, to int) {
	r.offs = r.offs[:0]
	r.offs = append(r.offs, 0)
	for li := from; li < to; li++ {
		lp := &z.loops[li]
		if lp.Axis == mapping.Temporal || z.uni[li] {
			continue
		}
		for i := 0; i < r.n; i++ {
			if lp.Dim != r.d[i] {
				continue
			}
			n := len(r.offs)
			for k := 1; k < lp.Factor; k++ {
				for _, o := range r.offs[:n] {
					r.offs = append(r.offs, o+k*z.step[li]*r.c[i])
				}
			}
		}
	}
	r.u = z.union(r.xs, r.offs, 0, nil)
}

// boxSpan returns the number of values from 0 to the largest of
// a·x + b·y, x < n, y < m: the bounding box of the rank (arch.ConvStride).
func boxSpan(a, n, b, m int) int {
	if n < 1 || m < 1 {
		return 0
	}
	return a*(n-1) + b*(m-1) + 1
}

// casts sets z.uni for the nest being analysed on architecture a: a
// spatial loop of level i fans out into level i+1 over the network into
// that level, and is unicast when that network does not multicast. The
// fan-out into the MAC units (SIMD lanes) always shares operands.
//
// Multicast is thus decided at each fan-out, where the array spreads the
// words, whichever level further down keeps them: a word read once by
// the parent serves every instance that differs from another only in the
// positions of multicast fan-outs, and each position of a unicast fan-out
// is served by reads of its own.
//
// Under arch.ConvMulticast's "identical", casts(a, rel) with rel the mask
// of the dimensions that index a tensor also makes every spatial loop over
// one of them unicast for that tensor: a read then serves only children
// whose tiles are identical.
func (z *Analyzer) casts(a *arch.Spec, rel uint8) {
	L := len(z.keep)
	if cap(z.uni) < len(z.loops) {
		z.uni = make([]bool, len(z.loops))
	}
	z.uni = z.uni[:len(z.loops)]
	for i := range L {
		mc := i+1 == L || a.Levels[i+1].Network.Multicast
		for k := z.start[i]; k < z.start[i+1]; k++ {
			lp := &z.loops[k]
			z.uni[k] = lp.Axis != mapping.Temporal && (!mc || rel&(1<<lp.Dim) != 0)
		}
	}
}

// castsFor sets z.uni for tensor t when multicast depends on the tensor
// (see casts); otherwise z.uni, set once, serves every tensor.
func (z *Analyzer) castsFor(l *workload.Layer, a *arch.Spec, t workload.Tensor) {
	if z.ident {
		z.casts(a, l.Projection(t).Mask)
	}
}

// multicastLoops reports whether a multicast spatial loop sits in
// positions [from, to), and returns the product of the factors of the
// unicast ones there.
func (z *Analyzer) multicastLoops(from, to int) (any bool, unicast int64) {
	unicast = 1
	for k, lp := range z.loops[from:to] {
		switch {
		case lp.Axis == mapping.Temporal:
		case z.uni[from+k]:
			unicast *= int64(lp.Factor)
		default:
			any = true
		}
	}
	return any, unicast
}

// fanout sets fan to the product of the multicast spatial factors per
// dimension of the loops in positions [from, to).
func (z *Analyzer) fanout(from, to int, fan *workload.Shape) {
	*fan = workload.Ones()
	for k, lp := range z.loops[from:to] {
		if lp.Axis != mapping.Temporal && !z.uni[from+k] {
			fan[lp.Dim] *= lp.Factor
		}
	}
}

// shift returns how far the rank's values move under delta.
func (r *rank) shift(delta *workload.Shape) int {
	s := 0
	for i := 0; i < r.n; i++ {
		s += r.c[i] * delta[r.d[i]]
	}
	return s
}

// moved returns the values new to one child after the rank moves by delta,
// |X \ (X − s)|, or, with union set, |R|: the union over the children of the
// values new to each.
func (z *Analyzer) moved(r *rank, delta *workload.Shape, union bool) int64 {
	sp := union && r.spatial
	switch r.n {
	case 0:
		return 0
	case 1:
		dd := delta[r.d[0]]
		if dd == 0 {
			return 0
		}
		if sp {
			return r.u
		}
		if dd < 0 {
			dd = -dd
		}
		return min(int64(dd), r.size)
	}
	s := r.shift(delta)
	if s == 0 {
		return 0
	}
	if !sp && r.contiguous {
		if s%r.g != 0 {
			return r.size
		}
		q := s / r.g
		if q < 0 {
			q = -q
		}
		return min(int64(q), r.size)
	}
	// General case: X' = {x in X : x+s not in X}, R = union over children.
	offs := zeroOffs
	if sp {
		offs = r.offs
	}
	return z.union(r.xs, offs, s, r.xs)
}

var zeroOffs = []int{0}

// union returns the size of the union over o in offs of {x+o : x in xs},
// keeping only the x whose x+s is not in old (when old is not nil).
func (z *Analyzer) union(xs, offs []int, s int, old []int) int64 {
	maxX, maxO := 0, 0
	if len(xs) > 0 {
		maxX = xs[len(xs)-1]
	}
	for _, o := range offs {
		maxO = max(maxO, o)
	}
	n := (maxX+maxO)/64 + 1
	if cap(z.words) < n {
		z.words = make([]uint64, n)
	}
	w := z.words[:n]
	clear(w)
	for _, x := range xs {
		if old != nil && contains(old, x+s) {
			continue
		}
		for _, o := range offs {
			v := x + o
			w[v>>6] |= 1 << (v & 63)
		}
	}
	var c int64
	for _, v := range w {
		c += int64(bits.OnesCount64(v))
	}
	return c
}

// contains reports whether sorted xs holds v.
func contains(xs []int, v int) bool {
	lo, hi := 0, len(xs)
	for lo < hi {
		m := (lo + hi) / 2
		switch {
		case xs[m] == v:
			return true
		case xs[m] < v:
			lo = m + 1
		default:
			hi = m
		}
	}
	return false
}

// sumSet appends the sorted distinct values a·x + b·y, x < n, y < m.
func sumSet(dst []int, a, n, b, m int) []int {
	span := a*(n-1) + b*(m-1) + 1
	seen := make([]bool, span)
	for x := 0; x < n; x++ {
		for y := 0; y < m; y++ {
			seen[a*x+b*y] = true
		}
	}
	for v, ok := range seen {
		if ok {
			dst = append(dst, v)
		}
	}
	return dst
}

// progression reports whether {a·x + b·y : x < n, y < m} is an arithmetic
// progression, and its step.
func progression(a, n, b, m int) (bool, int) {
	switch {
	case n <= 1 && m <= 1:
		return true, 1
	case m <= 1:
		return true, a
	case n <= 1:
		return true, b
	}
	g := gcdInt(a, b)
	a, b = a/g, b/g
	if (b == 1 && m >= a) || (a == 1 && n >= b) {
		return true, g
	}
	return false, g
}

func gcdInt(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// tileSize is proj.Size(ext), with the common one-term ranks inline; with
// box set, two-term ranks count their bounding box (arch.ConvStride).
func tileSize(proj *workload.Projection, ext *workload.Shape, box bool) int64 {
	n := int64(1)
	for j := 0; j < proj.Len; j++ {
		r := &proj.Ranks[j]
		switch {
		case r.Len == 1:
			n *= int64(ext[r.Terms[0].Dim])
		case box && r.Len == 2:
			a, b := r.Terms[0], r.Terms[1]
			n *= int64(boxSpan(a.Coef, ext[a.Dim], b.Coef, ext[b.Dim]))
		default:
			n *= r.Size(ext)
		}
	}
	return n
}

// iface adds the counts of the interface between parent level p and child
// ch (ch == len(levels) for the MAC units) for tensor t.
func (z *Analyzer) iface(l *workload.Layer, a *arch.Spec, t workload.Tensor, p, ch int, c *Counts) {
	L := len(c.Levels)
	proj := l.Projection(t)
	ext := &z.ext[ch]
	if t == workload.Outputs {
		z.outputs(l, proj, ext, p, ch, c)
		return
	}
	mac := ch == L
	fills, reads := z.reads(proj, ext, p, ch, mac)
	c.Levels[p].Tensors[t].Reads += reads
	if mac {
		c.Compute.Words[t] += fills
	} else {
		c.Levels[ch].Tensors[t].Fills += fills
		c.Levels[ch].Net.Words[t] += fills
	}
	// A level the tensor bypasses passes on to its instances the words
	// their children need, shared where the fan-outs below it multicast.
	for k := p + 1; k < ch && k < L; k++ {
		_, w := z.reads(proj, ext, k, ch, mac)
		c.Levels[k].Net.Words[t] += w
	}
}

// reads returns the words filled into the children at level ch and the
// words the instances of level from send down to them over the whole nest:
// for each step of the temporal loops above ch, the words each child did
// not already hold, and their union over the children under one instance of
// from that a multicast serves together (each position of a unicast
// fan-out in between is served on its own; see casts).
func (z *Analyzer) reads(proj *workload.Projection, ext *workload.Shape, from, ch int, mac bool) (fills, reads int64) {
	lo, hi := z.start[from], z.start[ch]
	multi, unicast := z.multicastLoops(lo, hi)
	if mac && !multi {
		// Every MAC reads one word of its own; nothing is shared.
		steps := z.steps[ch]
		return z.inst[ch] * steps, z.inst[from] * unicast * steps
	}
	var fan workload.Shape
	z.fanout(lo, hi, &fan)
	uc, up := int64(1), int64(1)
	rel := proj.Mask
	for j := 0; j < proj.Len; j++ {
		pr := &proj.Ranks[j]
		z.prepare(&z.rp[j], pr, ext, &fan, lo, hi)
		uc *= z.rp[j].size
		up *= z.rp[j].u
	}
	instC, instP := z.inst[ch], z.inst[from]*unicast
	if mac {
		steps := z.steps[ch]
		return instC * steps * uc, instP * steps * up
	}
	fills, reads = uc, up
	trs := z.trans(ch)
	for i := range trs {
		tr := &trs[i]
		if tr.mask&rel == 0 {
			continue
		}
		if z.refill && tr.wrap && z.changes(proj, tr) {
			// Inner loops wrapped around: the changed tile comes whole.
			fills += tr.count * uc
			reads += tr.count * up
			continue
		}
		stayC, stayP := int64(1), int64(1)
		for j := 0; j < proj.Len; j++ {
			r := &z.rp[j]
			if r.mask&tr.mask == 0 {
				stayC *= r.size
				stayP *= r.u
				continue
			}
			var mc int64
			if r.n == 1 {
				// moved, inline for the common one-term rank; the rank's
				// dimension moves, since the masks meet.
				mc = int64(tr.delta[r.d[0]])
				mc = min(max(mc, -mc), r.size)
			} else {
				mc = z.moved(r, &tr.delta, false)
			}
			if mc == r.size {
				// Every child's whole tile is new, so nothing stays for
				// the children, nor for the parent: the union of the new
				// values is the whole shifted union.
				stayC, stayP = 0, 0
				break
			}
			stayC *= r.size - mc
			if r.spatial {
				stayP *= r.u - z.moved(r, &tr.delta, true)
			} else {
				stayP *= r.u - mc
			}
		}
		fills += tr.count * (uc - stayC)
		reads += tr.count * (up - stayP)
	}
	return instC * fills, instP * reads
}

// changes reports whether transition tr moves the child's tile of the
// tensor whose ranks z.rp holds (proj's): a two-term rank may not move
// when its dimensions move in opposite ways.
func (z *Analyzer) changes(proj *workload.Projection, tr *transition) bool {
	for j := 0; j < proj.Len; j++ {
		r := &z.rp[j]
		if r.mask&tr.mask == 0 {
			continue
		}
		if r.n == 1 || r.shift(&tr.delta) != 0 {
			return true
		}
	}
	return false
}

// outputs adds the partial-sum traffic of one interface.
func (z *Analyzer) outputs(l *workload.Layer, proj *workload.Projection, ext *workload.Shape, p, ch int, c *Counts) {
	L := len(c.Levels)
	hi := z.start[ch]
	// Occupancies: steps that change the child's output tile.
	occ := int64(1)
	if ch == L {
		occ = z.steps[L]
	} else {
		rel := proj.Mask
		for _, tr := range z.trans(ch) {
			if tr.mask&rel != 0 {
				occ += tr.count
			}
		}
	}
	// The child's tile (at the MACs, one output).
	tile := int64(1)
	if ch < L {
		tile = c.Levels[ch].Tensors[workload.Outputs].Tile
	}
	union := func(from int) int64 {
		u := tile
		for _, lp := range z.loops[z.start[from]:hi] {
			if lp.Axis != mapping.Temporal && proj.Relevant(lp.Dim) {
				u *= int64(lp.Factor)
			}
		}
		return u
	}
	// Distinct outputs one parent instance ever holds.
	distinct := int64(1)
	split := workload.Ones()
	for _, lp := range z.loops[:z.start[p]] {
		if lp.Axis != mapping.Temporal {
			split[lp.Dim] *= lp.Factor
		}
	}
	for j := 0; j < proj.Len; j++ {
		d := proj.Ranks[j].Terms[0].Dim
		if split[d] == 1 {
			distinct *= int64(l.Shape[d])
		} else {
			distinct *= int64(l.Shape[d] / split[d])
		}
	}
	instP := z.inst[p]
	updates := instP * occ * union(p)
	reloads := updates - instP*distinct
	drains := z.inst[ch] * occ * tile
	if ch == L {
		drains = c.MACUnits * occ
	}
	// copies(k) is how many instances of level k hold each reloaded
	// partial sum and are written with it: one, or under
	// arch.ConvReload's "all" every instance that reduces into it.
	copies := func(k int) int64 {
		n := int64(1)
		if z.reloadAll {
			for _, lp := range z.loops[z.start[p]:z.start[k]] {
				if lp.Axis != mapping.Temporal && !proj.Relevant(lp.Dim) {
					n *= int64(lp.Factor)
				}
			}
		}
		return n
	}
	o := workload.Outputs
	c.Levels[p].Tensors[o].Updates += updates
	c.Levels[p].Tensors[o].Reads += reloads
	if ch == L {
		c.Compute.Words[o] += reloads + drains
		c.Compute.Reduce += drains - updates
	} else {
		fills := reloads * copies(ch)
		c.Levels[ch].Tensors[o].Fills += fills
		if !z.drainFree {
			c.Levels[ch].Tensors[o].Reads += drains
			c.Levels[ch].Tensors[o].Drains += drains
		}
		c.Levels[ch].Net.Words[o] += fills + drains
		c.Levels[ch].Net.Reduce += drains - updates
	}
	for k := p + 1; k < ch && k < L; k++ {
		c.Levels[k].Net.Words[o] += reloads*copies(k) + z.inst[k]*occ*union(k)
	}
}

// Bound fills c, after Tiles or TilesNest, with counts no mapping of the
// same factorization and keep masks can go below, whatever its loop orders:
// each child instance is filled with every word it ever needs at least
// once, and again with what every sweep of the loops above it forces (see
// refetch), each parent instance reads every word of its part of the
// tensor once (and the refetches of the union of the tiles it serves), and
// every output is updated once per instance that holds it (and per
// occupancy of the child's tiles the sweeps force). The MAC interface,
// which no loop order changes, is counted exactly.
func (z *Analyzer) Bound(l *workload.Layer, a *arch.Spec, c *Counts) {
	z.BoundOrders(l, a, c, 0)
}

// BoundOrders is Bound for a nest whose loop orders are final at levels
// 0..fixed−1 and free below: the interfaces into the children of those
// levels (levels 1..fixed), whose counts depend on no other order, are
// counted exactly, the others as in Bound, the refetches into the children
// of the outermost level from its order. BoundOrders(…, 0) is Bound; with
// fixed = len(c.Levels) it gives the exact counts of Traffic.
func (z *Analyzer) BoundOrders(l *workload.Layer, a *arch.Spec, c *Counts, fixed int) {
	z.BoundBy(l, a, c, &Bounding{Fixed: fixed, Moving: workload.Ones()})
}

// Bounding says which completions of the nest given to the last Tiles or
// TilesNest a bound (BoundBy) covers.
type Bounding struct {
	// Fixed is the number of outermost levels whose loop orders are final
	// (see BoundOrders).
	Fixed int
	// Prefix is set when factors may still move out of the outermost
	// level's temporal loops, Moving[d] being the product of those of
	// dimension d (see BoundPrefix); without Prefix, Moving must be all 1.
	Prefix bool
	Moving workload.Shape
	// Refetched is a mask of tensors (one of OuterCases' cases) that the
	// completions covered refetch at the outermost level: each reads its
	// tiles below that level again per iteration of the outermost level's
	// final temporal loops over dimensions that do not index it.
	Refetched uint8
}

// BoundBy fills c, after Tiles or TilesNest, with counts that no completion
// of the nest covered by b goes below.
func (z *Analyzer) BoundBy(l *workload.Layer, a *arch.Spec, c *Counts, b *Bounding) {
	z.moving = b.Moving
	z.refetched, z.fixed = b.Refetched, b.Fixed
	if b.Fixed > 0 {
		z.refetched = 0
	}
	z.bound(l, a, c, b.Fixed, b.Prefix)
}

// OuterCases appends to cases, after Tiles or TilesNest, masks of tensors
// such that every completion (moving as in Bounding.Moving, loop orders of
// the outermost level free) refetches all the tensors of one of them at
// the outermost level (see Bounding.Refetched), and returns it; none when
// some completion may refetch none. The innermost temporal loop of the
// outermost level (of a factor above 1) is over some dimension d, final
// there or moving; every other loop there is outside it, so that a tensor
// that d indexes (in one-term ranks only, whose tiles never overlap) is
// read again per iteration of the final loops there over dimensions that
// do not index it. A case that holds another is left out: the other's
// bound is lower.
func (z *Analyzer) OuterCases(l *workload.Layer, moving *workload.Shape, cases []uint8) []uint8 {
	var final workload.Shape // final factors of the outermost level's temporal loops
	final = workload.Ones()
	for _, lp := range z.loops[z.start[0]:z.start[1]] {
		if lp.Axis == mapping.Temporal {
			final[lp.Dim] *= lp.Factor
		}
	}
	var refetch uint8 // tensors with a final loop over a dimension that does not index them
	for t := range workload.NumTensors {
		proj := l.Projection(t)
		one := true
		for j := 0; j < proj.Len; j++ {
			if proj.Ranks[j].Len > 1 {
				one = false
			}
		}
		if !one {
			continue
		}
		ch := 1
		for ch < len(z.keep) && !z.keeps(ch, t) {
			ch++
		}
		if ch == len(z.keep) || z.deeper(proj, ch) {
			continue // refetched in every case, or not counted
		}
		for d := range workload.NumDims {
			if final[d]/moving[d] > 1 && !proj.Relevant(d) {
				refetch |= 1 << t
			}
		}
	}
	cases = cases[:0]
	for d := range workload.NumDims {
		if final[d]/moving[d] <= 1 && moving[d] <= 1 {
			continue
		}
		var m uint8
		for t := range workload.NumTensors {
			if refetch&(1<<t) != 0 && l.Projection(t).Relevant(d) {
				m |= 1 << t
			}
		}
		if m == 0 {
			return cases[:0]
		}
		cases = append(cases, m)
	}
	// Keep the minimal cases, once each.
	out := cases[:0]
	for i, m := range cases {
		keep := true
		for j, o := range cases {
			if o&m == o && (o != m || j < i) {
				keep = false
				break
			}
		}
		if keep {
			out = append(out, m)
		}
	}
	return out
}

// outerRefetch returns a factor by which every completion covered reads
// the tiles of tensor t (one-term ranks only) into child level ch of the
// outermost level again: the product of the final temporal loops of the
// outermost level over dimensions that do not index t that sit outside a
// loop over one that does (of a factor above 1): all of them when a level
// between keeps such a loop, or t is in z.refetched (see
// Bounding.Refetched), or, with the outermost level's order final, those
// before the last such loop there; else 1.
func (z *Analyzer) outerRefetch(l *workload.Layer, t workload.Tensor, ch int) int64 {
	proj := l.Projection(t)
	for j := 0; j < proj.Len; j++ {
		if proj.Ranks[j].Len > 1 {
			return 1
		}
	}
	all, before, run := int64(1), int64(1), int64(1)
	for _, lp := range z.loops[z.start[0]:z.start[1]] {
		if lp.Axis != mapping.Temporal || lp.Factor <= 1 {
			continue
		}
		if proj.Relevant(lp.Dim) {
			before *= run
			run = 1
			continue
		}
		all *= int64(lp.Factor)
		run *= int64(lp.Factor)
	}
	for d := range workload.NumDims {
		if !proj.Relevant(d) {
			all /= int64(z.moving[d])
		}
	}
	switch {
	case z.deeper(proj, ch) || z.refetched&(1<<t) != 0:
		return max(all, 1)
	case z.fixed > 0:
		return before
	}
	return 1
}

// deeper reports whether a temporal loop of a factor above 1 over a
// dimension that indexes the tensor sits in levels 1..ch−1.
func (z *Analyzer) deeper(proj *workload.Projection, ch int) bool {
	for _, lp := range z.loops[z.start[min(1, ch)]:z.start[ch]] {
		if lp.Axis == mapping.Temporal && lp.Factor > 1 && proj.Relevant(lp.Dim) {
			return true
		}
	}
	return false
}

// BoundPrefix fills c, after Tiles or TilesNest, with counts that no
// completion of the nest goes below, where a completion moves factors from
// the outermost level's temporal loops into any other loop (temporal or
// spatial, at any level) and chooses every loop order. It is Bound with the
// MAC interface bounded as the others rather than counted exactly: every
// part of an operand read once per parent instance (and per position of a
// unicast fan-out), every output updated once per instance that holds it,
// and each parent instance sending at least one word of each tensor per
// step, of which there are at least MACs / (the architecture's MAC units);
// the networks into the levels between that the tensor bypasses carry as
// many words.
//
// moving[d] is the product of the factors of dimension d in the outermost
// level's temporal loops that may still move (1: none; the others there
// are final); the refetches (see refetch) count only the loops that are
// final, and a moving factor of a dimension that indexes the tensor in a
// one-term rank as multiplying them by at least itself, wherever it goes.
//
// Its counts do not grow when a factor moves down: spatial factors only
// multiply instances by at least what they divide the parts by, and
// temporal ones change no part. Step counts do shrink when a factor turns
// spatial, so that bounds of cycles from c are not bounds of the
// completions' cycles.
func (z *Analyzer) BoundPrefix(l *workload.Layer, a *arch.Spec, c *Counts, moving *workload.Shape) {
	z.BoundBy(l, a, c, &Bounding{Prefix: true, Moving: *moving})
}

func (z *Analyzer) bound(l *workload.Layer, a *arch.Spec, c *Counts, fixed int, prefix bool) {
	L := len(c.Levels)
	units := max(int64(a.MACUnits()), 1)
	var below [16]int64 // below[p]: the product of the meshes under level p
	if prefix {
		n := int64(1)
		for i := L - 1; i >= 0; i-- {
			mx, my := a.Compute.MeshX, a.Compute.MeshY
			if i+1 < L {
				mx, my = a.Levels[i+1].MeshX, a.Levels[i+1].MeshY
			}
			n *= int64(max(mx, 1)) * int64(max(my, 1))
			if i < len(below) {
				below[i] = n
			}
		}
	}
	z.casts(a, 0)
	for t := range workload.NumTensors {
		proj := l.Projection(t)
		z.castsFor(l, a, t)
		p := 0
		for {
			ch := p + 1
			for ch < L && !z.keeps(ch, t) {
				ch++
			}
			if ch == L && prefix {
				// Each instance of p also serves its MAC units at least
				// one word per step: MACs / (MAC units per instance of
				// p), at most the product of the meshes below p, words.
				steps := max(z.inst[p]*((c.MACs+units-1)/units), (c.MACs+below[p]-1)/below[p])
				tt := workload.Tensor(t)
				if tt == workload.Outputs {
					var ext workload.Shape
					z.partition(l, p, &ext)
					updates := max(z.inst[p]*proj.Size(&ext), steps)
					c.Levels[p].Tensors[t].Updates += updates
					// It reads back every update but the first of each
					// output it holds (see outputs): an instance holds the
					// outputs of its part, and the instances that differ
					// only in spatial loops over dimensions that index no
					// output hold the same ones, of which the
					// architecture's meshes allow at most as many as they
					// have instances over those already over dimensions
					// that do (the bound holds for completions within
					// the meshes, the only ones searches evaluate).
					rel, room := int64(1), int64(1)
					for _, lp := range z.loops[:z.start[p]] {
						if lp.Axis != mapping.Temporal && proj.Relevant(lp.Dim) {
							rel *= int64(lp.Factor)
						}
					}
					for k := 1; k <= p; k++ {
						room *= int64(max(a.Levels[k].MeshX, 1)) * int64(max(a.Levels[k].MeshY, 1))
					}
					held := sat(l.Size(tt), max(room/rel, 1))
					c.Levels[p].Tensors[t].Reads += max(updates-held, 0)
				} else {
					c.Levels[p].Tensors[t].Reads += max(z.needCast(l, proj, p, ch), steps)
				}
				// The networks into the levels the tensor bypasses carry
				// as many words (see iface, outputs).
				for k := p + 1; k < L; k++ {
					w := max(z.inst[k]*((c.MACs+units-1)/units), (c.MACs+below[k]-1)/below[k])
					if tt != workload.Outputs {
						w = max(w, z.needCast(l, proj, k, ch))
					}
					c.Levels[k].Net.Words[t] += w
				}
				break
			}
			if ch == L || ch <= fixed {
				z.iface(l, a, t, p, ch, c)
				if ch == L {
					break
				}
				p = ch
				continue
			}
			outer := int64(1)
			need := func(i int) int64 {
				var ext workload.Shape
				z.partition(l, i, &ext)
				return z.inst[i] * z.partSize(proj, &ext, ch)
			}
			child, parent := need(ch), need(p)
			if p == 0 {
				// Every tile below is read again per refetch (see
				// Bounding.Refetched).
				outer = z.outerRefetch(l, workload.Tensor(t), ch)
			}
			childR, parentR := sat(child, outer), sat(parent, outer)
			// Every child instance holds its tile once and then, per
			// sweep of the loops above it, the words beyond it (see
			// refetch): its fills or drains.
			tile, extra := z.refetch(proj, p, ch, false)
			swept := sat(z.inst[ch], tile+extra)
			tt := workload.Tensor(t)
			if tt == workload.Outputs {
				// The parent is updated per occupancy of the child with
				// the union of the tiles of the children that a spatial
				// loop in between reduces (see outputs), and reads back
				// what it has already held.
				rel := int64(1)
				for _, lp := range z.loops[z.start[p]:z.start[ch]] {
					if lp.Axis != mapping.Temporal && proj.Relevant(lp.Dim) {
						rel *= int64(lp.Factor)
					}
				}
				per := sat(z.inst[p]*rel, tile+extra)
				drains, updates := max(childR, swept), max(parentR, per)
				reloads := updates - parent
				c.Levels[p].Tensors[t].Updates += updates
				c.Levels[p].Tensors[t].Reads += reloads
				c.Levels[ch].Tensors[t].Fills += reloads
				if !z.drainFree {
					c.Levels[ch].Tensors[t].Reads += drains
					c.Levels[ch].Tensors[t].Drains += drains
				}
				c.Levels[ch].Net.Words[t] += reloads + drains
				c.Levels[ch].Net.Reduce += max(childR-parentR, swept-per)
			} else {
				parent = sat(z.needCast(l, proj, p, ch), outer)
				// The parent instance reads, per position of the unicast
				// fan-outs in between, the union of the tiles it serves
				// once and then its refetch.
				u, x := z.refetch(proj, p, ch, true)
				_, unicast := z.multicastLoops(z.start[p], z.start[ch])
				parent = max(parent, sat(z.inst[p]*unicast, u+x))
				c.Levels[p].Tensors[t].Reads += parent
				c.Levels[ch].Tensors[t].Fills += max(childR, swept)
				c.Levels[ch].Net.Words[t] += max(childR, swept)
			}
			p = ch
		}
	}
}

// needCast returns the words the instances of level p must read at least
// once to serve their children at level ch: each part of the tensor once
// per parent instance and per position of the unicast fan-outs in between
// (see casts).
func (z *Analyzer) needCast(l *workload.Layer, proj *workload.Projection, p, ch int) int64 {
	var ext workload.Shape
	z.partition(l, p, &ext)
	n := z.inst[p]
	for k := z.start[p]; k < z.start[ch]; k++ {
		if z.uni[k] {
			ext[z.loops[k].Dim] /= z.loops[k].Factor
			n *= int64(z.loops[k].Factor)
		}
	}
	return n * z.partSize(proj, &ext, ch)
}

// partSize returns at most the words of the part of a tensor with
// projection proj that one instance of a level at or above ch works on,
// given the extents ext of its indices: proj.Size(ext), unless a spatial
// loop above ch sits inside a temporal loop over the same dimension of a
// two-term rank, so that an instance's indices of it are not a range but
// every so many (and the sliding window of the rank may skip words): the
// rank then counts as many words as its largest term's extent, which
// distinct values of that term give whatever the other's.
func (z *Analyzer) partSize(proj *workload.Projection, ext *workload.Shape, ch int) int64 {
	var temporal, strided uint8
	for _, lp := range z.loops[:z.start[ch]] {
		switch {
		case lp.Factor <= 1:
		case lp.Axis == mapping.Temporal:
			temporal |= 1 << lp.Dim
		case temporal&(1<<lp.Dim) != 0:
			strided |= 1 << lp.Dim
		}
	}
	n := int64(1)
	for j := 0; j < proj.Len; j++ {
		r := &proj.Ranks[j]
		var mask uint8
		for k := 0; k < r.Len; k++ {
			mask |= 1 << r.Terms[k].Dim
		}
		if r.Len < 2 || mask&strided == 0 {
			n *= r.Size(ext)
			continue
		}
		m := 1
		for k := 0; k < r.Len; k++ {
			m = max(m, ext[r.Terms[k].Dim])
		}
		n *= int64(m)
	}
	return n
}

// partition sets ext to the extents of the part of the layer one instance
// of level i ever works on: every bound divided by the spatial factors
// above the level.
func (z *Analyzer) partition(l *workload.Layer, i int, ext *workload.Shape) {
	*ext = l.Shape
	for _, lp := range z.loops[:z.start[i]] {
		if lp.Axis != mapping.Temporal {
			ext[lp.Dim] /= lp.Factor
		}
	}
}

// refetch returns, for one instance of child level ch of the nest being
// bounded, at most its tile's words T and words that it must take in (a
// tensor kept there) or give out (outputs) beyond its first tile, whatever
// the loop orders: for a level j above the child's parent, each of the S
// iterations of the temporal loops at levels 0..j sweeps the region D the
// temporal loops of levels j+1..ch−1 move the child's tile over, and a
// child holds one tile at a time (the counts of reads compare each step's
// tile with the last one's), so that each sweep brings in (or, for
// outputs, visits in tiles and so drains) at least |D| − |T| words:
// S·(|D| − |T|), the largest over j. Loops of level ch−1 alone give
// nothing (their irrelevant loops may go innermost).
//
// With union set, the child is instead the union of the tiles of the
// children that one read of parent level p serves at a step (over the
// multicast fan-outs in between, see reads), and the words what that
// parent instance must read.
//
// The factors in z.moving (see BoundPrefix) count as 1 in S; wherever one
// goes, it multiplies S, |D| and |T| together, or |D| alone, or the
// instances, so that for a dimension in a one-term rank of the tensor the
// refetch grows at least by the factor (the result counts it) and for
// another at least not at all.
//
// Two-term ranks (the sliding windows of inputs) are counted exactly when
// their regions are boxes; when a factor of one of their dimensions may
// still move, or a fan-out over one makes the union of the children's
// tiles strided, they are left out of the sizes (as 1): since D holds T
// rank by rank, |D| − |T| is at least the difference of the products of
// the one-term ranks alone. A spatial loop inside a temporal one of the
// same dimension of a two-term rank between the levels makes D strided
// too; that level j is then not counted.
func (z *Analyzer) refetch(proj *workload.Projection, p, ch int, union bool) (tile, extra int64) {
	mult, div := 1.0, int64(1)
	box := z.ext[ch]
	var fan workload.Shape
	if union {
		z.fanout(z.start[p], z.start[ch], &fan)
		for d := range workload.NumDims {
			box[d] *= fan[d]
		}
	}
	oneOnly := false
	var multi, one uint8 // dimensions of two-term and of one-term ranks
	for j := 0; j < proj.Len; j++ {
		r := &proj.Ranks[j]
		if r.Len == 1 {
			one |= 1 << r.Terms[0].Dim
			continue
		}
		for k := 0; k < r.Len; k++ {
			d := r.Terms[k].Dim
			multi |= 1 << d
			if union && fan[d] > 1 {
				oneOnly = true
			}
		}
	}
	for d := range workload.NumDims {
		f := z.moving[d]
		if f <= 1 {
			continue
		}
		div *= int64(f)
		if multi&(1<<d) != 0 {
			oneOnly = true
		}
		if one&(1<<d) != 0 {
			mult *= float64(f)
		}
	}
	size := func(ext *workload.Shape) float64 {
		if !oneOnly {
			return float64(proj.Size(ext))
		}
		n := 1.0
		for j := 0; j < proj.Len; j++ {
			if r := &proj.Ranks[j]; r.Len == 1 {
				n *= float64(ext[r.Terms[0].Dim])
			}
		}
		return n
	}
	t := size(&box)
	best := 0.0
	s := int64(1)
	for j := 0; j+1 < ch; j++ {
		for _, lp := range z.loops[z.start[j]:z.start[j+1]] {
			if lp.Axis == mapping.Temporal {
				s *= int64(lp.Factor)
			}
		}
		ext := box
		var seen uint8 // dimensions with a temporal loop further out
		strided := false
		for _, lp := range z.loops[z.start[j+1]:z.start[ch]] {
			switch {
			case lp.Factor <= 1:
			case lp.Axis == mapping.Temporal:
				ext[lp.Dim] *= lp.Factor
				seen |= 1 << lp.Dim
			case seen&(1<<lp.Dim) != 0 && multi&(1<<lp.Dim) != 0:
				// The tiles that loop moves over are not a box, and
				// the projection of the box would count words they do
				// not touch.
				strided = true
			}
		}
		if strided && !oneOnly {
			continue
		}
		best = max(best, mult*float64(s/div)*(size(&ext)-t))
	}
	// Below the float's rounding, and within int64.
	return int64(t), int64(min(best*(1-1e-12), 1e18))
}

// sat returns a·b, at most 1e18 (both are at least 0).
func sat(a, b int64) int64 {
	if b != 0 && a > int64(1e18)/b {
		return 1e18
	}
	return a * b
}
