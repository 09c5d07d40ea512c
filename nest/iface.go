package nest

import (
	"math/bits"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/workload"
)

// transition is one kind of step of the temporal loops above a child: loop k
// advances by one and every loop inside it wraps to zero. Each kind happens
// count times and moves the child's tile by delta (per dimension).
type transition struct {
	count int64
	delta workload.Shape
}

// transitions lists the transitions of the temporal loops before position
// end of the flattened nest, innermost loop first.
func (z *Analyzer) transitions(end int, tr *[]transition) {
	*tr = (*tr)[:0]
	var reset workload.Shape
	// Walk inside out, accumulating how far each dim wraps back.
	for i := end - 1; i >= 0; i-- {
		lp := z.loops[i]
		if lp.spatial {
			continue
		}
		var t transition
		for d := range reset {
			t.delta[d] = -reset[d]
		}
		t.delta[lp.dim] += lp.step
		t.count = int64(lp.f - 1)
		*tr = append(*tr, t)
		reset[lp.dim] += (lp.f - 1) * lp.step
	}
	// Multiply each count by the iterations of the loops outside it.
	outer := int64(1)
	for i, j := 0, len(*tr)-1; i < end; i++ {
		lp := z.loops[i]
		if lp.spatial {
			continue
		}
		(*tr)[j].count *= outer
		outer *= int64(lp.f)
		j--
	}
}

// rank is one rank of a tensor prepared for an interface.
type rank struct {
	n          int
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

// prepare fills r for one rank of a tensor whose child tile has extents ext,
// with spatial loops in positions [from, to) of the flattened nest.
func (z *Analyzer) prepare(r *rank, pr *workload.Rank, ext *workload.Shape, from, to int) {
	r.n = pr.Len
	r.spatial = false
	for i := 0; i < pr.Len; i++ {
		r.d[i], r.c[i], r.e[i] = pr.Terms[i].Dim, pr.Terms[i].Coef, ext[pr.Terms[i].Dim]
	}
	r.size = pr.Size(ext)
	var fan [2]int
	fan[0], fan[1] = 1, 1
	for _, lp := range z.loops[from:to] {
		if !lp.spatial {
			continue
		}
		for i := 0; i < r.n; i++ {
			if lp.dim == r.d[i] {
				fan[i] *= lp.f
				r.spatial = true
			}
		}
	}
	switch {
	case r.n == 0:
		r.u = 1
		r.contiguous, r.g = true, 1
	case r.n == 1:
		// Tiles of a one-term rank partition it: the union is fan·e values.
		r.u = int64(fan[0]) * int64(r.e[0])
		r.contiguous, r.g = true, 1 // in units of the dimension
	default:
		r.contiguous, r.g = progression(r.c[0], r.e[0], r.c[1], r.e[1])
		if !r.spatial {
			r.u = r.size
			if !r.contiguous {
				r.xs = sumSet(r.xs[:0], r.c[0], r.e[0], r.c[1], r.e[1])
			}
			break
		}
		r.xs = sumSet(r.xs[:0], r.c[0], r.e[0], r.c[1], r.e[1])
		r.offs = r.offs[:0]
		r.offs = append(r.offs, 0)
		for _, lp := range z.loops[from:to] {
			if !lp.spatial {
				continue
			}
			for i := 0; i < r.n; i++ {
				if lp.dim != r.d[i] {
					continue
				}
				n := len(r.offs)
				for k := 1; k < lp.f; k++ {
					for _, o := range r.offs[:n] {
						r.offs = append(r.offs, o+k*lp.step*r.c[i])
					}
				}
			}
		}
		r.u = z.union(r.xs, r.offs, 0, nil)
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

// moved returns |R|: the values of the union that are new to the children
// holding them after the rank moves by delta. For ranks without spatial
// fan-out this is |X \ (X − s)|.
func (z *Analyzer) moved(r *rank, delta *workload.Shape) int64 {
	switch r.n {
	case 0:
		return 0
	case 1:
		dd := delta[r.d[0]]
		if dd == 0 {
			return 0
		}
		if r.spatial {
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
	if !r.spatial && r.contiguous {
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
	return z.union(r.xs, r.offsOrZero(), s, r.xs)
}

var zeroOffs = []int{0}

func (r *rank) offsOrZero() []int {
	if r.spatial {
		return r.offs
	}
	return zeroOffs
}

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

// iface adds the counts of the interface between parent level p and child
// ch (ch == len(levels) for the MAC units) for tensor t.
func (z *Analyzer) iface(l *workload.Layer, a *arch.Spec, t workload.Tensor, p, ch int, c *Counts) {
	L := len(c.Levels)
	proj := l.Projection(t)
	var ext workload.Shape
	z.extents(ch, &ext)
	if t == workload.Outputs {
		z.outputs(l, a, proj, &ext, p, ch, c)
		return
	}
	mac := ch == L
	fills := z.reads(proj, &ext, ch, ch, mac)
	multicast := mac || a.Levels[ch].Network.Multicast
	reads := fills
	if multicast {
		reads = z.reads(proj, &ext, p, ch, mac)
	}
	c.Levels[p].Tensors[t].Reads += reads
	if mac {
		c.Compute.Words[t] += fills
	} else {
		c.Levels[ch].Tensors[t].Fills += fills
		c.Levels[ch].Net.Words[t] += fills
	}
	for k := p + 1; k < ch && k < L; k++ {
		w := fills
		if a.Levels[k].Network.Multicast {
			w = z.reads(proj, &ext, k, ch, mac)
		}
		c.Levels[k].Net.Words[t] += w
	}
}

// reads returns the words the instances of level from send down to the
// children at level ch over the whole nest: for each step of the temporal
// loops above ch, the union over the children under one instance of the
// words they did not already hold.
func (z *Analyzer) reads(proj *workload.Projection, ext *workload.Shape, from, ch int, mac bool) int64 {
	var rs [workload.MaxRanks]rank
	lo, hi := z.start[from], z.start[ch]
	if from == ch {
		lo = hi
	}
	u := int64(1)
	for j := 0; j < proj.Len; j++ {
		z.prepare(&rs[j], &proj.Ranks[j], ext, lo, hi)
		u *= rs[j].u
	}
	inst := z.instAbove(from)
	if mac {
		steps := int64(1)
		for _, lp := range z.loops[:hi] {
			if !lp.spatial {
				steps *= int64(lp.f)
			}
		}
		return inst * steps * u
	}
	z.transitions(hi, &z.tr)
	tr := z.tr
	total := u
	for i := range tr {
		stay := int64(1)
		changed := false
		for j := 0; j < proj.Len; j++ {
			m := z.moved(&rs[j], &tr[i].delta)
			if m != 0 {
				changed = true
			}
			stay *= rs[j].u - m
		}
		if changed {
			total += tr[i].count * (u - stay)
		}
	}
	return inst * total
}

// outputs adds the partial-sum traffic of one interface.
func (z *Analyzer) outputs(l *workload.Layer, a *arch.Spec, proj *workload.Projection, ext *workload.Shape, p, ch int, c *Counts) {
	L := len(c.Levels)
	hi := z.start[ch]
	// Occupancies: steps that change the child's output tile.
	occ := int64(1)
	if ch == L {
		for _, lp := range z.loops {
			if !lp.spatial {
				occ *= int64(lp.f)
			}
		}
	} else {
		z.transitions(hi, &z.tr)
		tr := z.tr
		for i := range tr {
			for j := 0; j < proj.Len; j++ {
				if tr[i].delta[proj.Ranks[j].Terms[0].Dim] != 0 {
					occ += tr[i].count
					break
				}
			}
		}
	}
	tile := proj.Size(ext)
	union := func(from int) int64 {
		u := tile
		for _, lp := range z.loops[z.start[from]:hi] {
			if lp.spatial && proj.Relevant(lp.dim) {
				u *= int64(lp.f)
			}
		}
		return u
	}
	// Distinct outputs one parent instance ever holds.
	distinct := int64(1)
	var split workload.Shape
	for d := range split {
		split[d] = 1
	}
	for _, lp := range z.loops[:z.start[p]] {
		if lp.spatial {
			split[lp.dim] *= lp.f
		}
	}
	for j := 0; j < proj.Len; j++ {
		d := proj.Ranks[j].Terms[0].Dim
		distinct *= int64(l.Shape[d] / split[d])
	}
	instP := z.instAbove(p)
	updates := instP * occ * union(p)
	reloads := updates - instP*distinct
	drains := z.instAbove(ch) * occ * tile
	if ch == L {
		drains = c.MACUnits * occ
	}
	o := workload.Outputs
	c.Levels[p].Tensors[o].Updates += updates
	c.Levels[p].Tensors[o].Reads += reloads
	if ch == L {
		c.Compute.Words[o] += reloads + drains
		c.Compute.Reduce += drains - updates
	} else {
		c.Levels[ch].Tensors[o].Fills += reloads
		c.Levels[ch].Tensors[o].Reads += drains
		c.Levels[ch].Tensors[o].Drains += drains
		c.Levels[ch].Net.Words[o] += reloads + drains
		c.Levels[ch].Net.Reduce += drains - updates
	}
	for k := p + 1; k < ch && k < L; k++ {
		c.Levels[k].Net.Words[o] += reloads + z.instAbove(k)*occ*union(k)
	}
}
