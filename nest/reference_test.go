package nest

import (
	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/mapping"
	"github.com/nnergy/nnergy/workload"
)

// The reference walks every iteration of a mapped loop nest and counts the
// traffic of each interface by the rules in doc.go, with explicit sets. It
// shares no code with the analytical model.

type refLoop struct {
	level   int
	spatial bool
	dim     workload.Dim
	f       int
}

type refNest struct {
	l     *workload.Layer
	conv  arch.Conventions
	loops []refLoop
	start []int // first loop of each level; start[L] = len(loops)
}

func newRefNest(l *workload.Layer, conv arch.Conventions, m *mapping.Mapping) *refNest {
	r := &refNest{l: l, conv: conv}
	for i, lv := range m.Levels {
		r.start = append(r.start, len(r.loops))
		for _, lp := range lv.Temporal {
			r.loops = append(r.loops, refLoop{i, false, lp.Dim, lp.Factor})
		}
		for _, lp := range lv.Spatial {
			r.loops = append(r.loops, refLoop{i, true, lp.Dim, lp.Factor})
		}
	}
	r.start = append(r.start, len(r.loops))
	return r
}

// dims turns one index per loop into one index per dimension (mixed radix,
// outer loops most significant).
func (r *refNest) dims(idx []int) workload.Shape {
	var d workload.Shape
	for i, lp := range r.loops {
		d[lp.dim] = d[lp.dim]*lp.f + idx[i]
	}
	return d
}

// rankValues returns the value of each rank of tensor t at dimension
// indices d.
func (r *refNest) rankValues(t workload.Tensor, d workload.Shape) []int {
	p := r.l.Projection(t)
	vs := make([]int, p.Len)
	for j := 0; j < p.Len; j++ {
		for k := 0; k < p.Ranks[j].Len; k++ {
			vs[j] += p.Ranks[j].Terms[k].Coef * d[p.Ranks[j].Terms[k].Dim]
		}
	}
	return vs
}

// encode encodes a coordinate given by its rank values.
func encode(vs []int) int64 {
	var key int64
	for _, v := range vs {
		key = key*1000 + int64(v)
	}
	return key
}

// coord encodes the coordinate of tensor t touched at dimension indices d.
func (r *refNest) coord(t workload.Tensor, d workload.Shape) int64 {
	return encode(r.rankValues(t, d))
}

// each calls fn for every index vector of the loops at positions in sel,
// with the other positions held at the values in idx, in lexicographic
// order.
func (r *refNest) each(sel []int, idx []int, fn func()) {
	var rec func(k int)
	rec = func(k int) {
		if k == len(sel) {
			fn()
			return
		}
		for v := 0; v < r.loops[sel[k]].f; v++ {
			idx[sel[k]] = v
			rec(k + 1)
		}
		idx[sel[k]] = 0
	}
	rec(0)
}

func (r *refNest) positions(lo, hi int, spatial, temporal bool) []int {
	var s []int
	for i := lo; i < hi; i++ {
		if (r.loops[i].spatial && spatial) || (!r.loops[i].spatial && temporal) {
			s = append(s, i)
		}
	}
	return s
}

type set map[int64]bool

// tile returns the coordinates of t touched by the loops from position lo on,
// with the outer loops at the values in idx.
//
// Under arch.ConvStride's "box" the tile is the bounding box of those
// coordinates: every rank value from the least to the largest touched.
func (r *refNest) tile(t workload.Tensor, lo int, idx []int) set {
	s := set{}
	inner := r.positions(lo, len(r.loops), true, true)
	cp := append([]int(nil), idx...)
	if !r.conv.Has(arch.ConvStride) {
		r.each(inner, cp, func() { s[r.coord(t, r.dims(cp))] = true })
		return s
	}
	var lo_, hi []int
	r.each(inner, cp, func() {
		vs := r.rankValues(t, r.dims(cp))
		if lo_ == nil {
			lo_, hi = append([]int(nil), vs...), append([]int(nil), vs...)
		}
		for j, v := range vs {
			lo_[j], hi[j] = min(lo_[j], v), max(hi[j], v)
		}
	})
	vs := make([]int, len(lo_))
	var rec func(j int)
	rec = func(j int) {
		if j == len(vs) {
			s[encode(vs)] = true
			return
		}
		for v := lo_[j]; v <= hi[j]; v++ {
			vs[j] = v
			rec(j + 1)
		}
	}
	rec(0)
	return s
}

func key(idx []int, sel []int) string {
	b := make([]byte, 0, len(sel))
	for _, i := range sel {
		b = append(b, byte(idx[i]))
	}
	return string(b)
}

// refReadOnly walks a Weights or Inputs interface (p, ch) and returns the
// child fills and, for every level k in [p, ch), the words the instances of
// k send down: the union of the children's new words over the children that
// share an instance of k and the positions of every unicast spatial loop
// (unicast(j) for loop position j) between k and ch.
func (r *refNest) refReadOnly(t workload.Tensor, p, ch int, unicast func(j int) bool) (fills int64, sent map[int]int64) {
	L := len(r.start) - 1
	mac := ch == L
	sent = map[int]int64{}
	idx := make([]int, len(r.loops))
	timeSel := r.positions(0, r.start[ch], false, true)
	instSel := r.positions(0, r.start[ch], true, false)
	prev := map[string]set{}
	last := make([]int, len(r.loops))
	r.each(timeSel, idx, func() {
		// A wrap-around: some temporal loop went back (arch.ConvWrap).
		wrapped := false
		for _, j := range timeSel {
			if idx[j] < last[j] {
				wrapped = true
			}
			last[j] = idx[j]
		}
		unions := map[int]map[string]set{}
		r.each(instSel, idx, func() {
			ck := key(idx, instSel)
			cur := r.tile(t, r.start[ch], idx)
			old := prev[ck]
			if mac || (wrapped && r.conv.Has(arch.ConvWrap) && !sameSet(old, cur)) {
				old = nil
			}
			var nw []int64
			for c := range cur {
				if !old[c] {
					nw = append(nw, c)
				}
			}
			fills += int64(len(nw))
			prev[ck] = cur
			for k := p; k < ch && k < L; k++ {
				// Instance of k (the spatial loops before level k) and
				// the positions of the unicast fan-outs below it.
				sel := r.positions(0, r.start[k], true, false)
				for _, j := range r.positions(r.start[k], r.start[ch], true, false) {
					if unicast(j) {
						sel = append(sel, j)
					}
				}
				pk := key(idx, sel)
				if unions[k] == nil {
					unions[k] = map[string]set{}
				}
				if unions[k][pk] == nil {
					unions[k][pk] = set{}
				}
				for _, c := range nw {
					unions[k][pk][c] = true
				}
			}
		})
		for k, m := range unions {
			for _, s := range m {
				sent[k] += int64(len(s))
			}
		}
	})
	return fills, sent
}

type refOut struct {
	updates, reloads, drains int64
	// childReloads counts each reloaded word once per child instance that
	// holds it, and reloadsK per instance of each bypassed level k
	// (arch.ConvReload "all").
	childReloads int64
	reloadsK     map[int]int64
	netWords     map[int]int64 // words on the network into level k (k in (p, ch])
}

// refOutputs walks the Outputs interface (p, ch).
func (r *refNest) refOutputs(p, ch int) refOut {
	t := workload.Outputs
	L := len(r.start) - 1
	mac := ch == L
	out := refOut{netWords: map[int]int64{}, reloadsK: map[int]int64{}}
	idx := make([]int, len(r.loops))
	timeSel := r.positions(0, r.start[ch], false, true)
	instSel := r.positions(0, r.start[ch], true, false)
	parentSel := r.positions(0, r.start[p], true, false)
	prev := map[string]set{}          // child tile per child instance
	held := map[string]set{}          // union held per parent instance
	seen := map[string]set{}          // outputs ever held per parent instance
	heldK := map[int]map[string]set{} // union per instance of bypassed level k
	flush := func(pk string) {
		out.updates += int64(len(held[pk]))
	}
	first := true
	r.each(timeSel, idx, func() {
		cur := map[string]set{}
		changed := first || mac
		r.each(instSel, idx, func() {
			ck := key(idx, instSel)
			c := r.tile(t, r.start[ch], idx)
			cur[ck] = c
			if !changed && !sameSet(prev[ck], c) {
				changed = true
			}
		})
		if !changed {
			return
		}
		if !first {
			for pk := range held {
				flush(pk)
			}
			for ck := range prev {
				out.drains += int64(len(prev[ck]))
			}
			for k, m := range heldK {
				for _, s := range m {
					out.netWords[k] += int64(len(s))
				}
			}
		}
		first = false
		held = map[string]set{}
		heldK = map[int]map[string]set{}
		r.each(instSel, idx, func() {
			pk := key(idx, parentSel)
			if held[pk] == nil {
				held[pk] = set{}
			}
			for c := range cur[key(idx, instSel)] {
				held[pk][c] = true
			}
			for k := p + 1; k < ch && k < L; k++ {
				kk := key(idx, r.positions(0, r.start[k], true, false))
				if heldK[k] == nil {
					heldK[k] = map[string]set{}
				}
				if heldK[k][kk] == nil {
					heldK[k][kk] = set{}
				}
				for c := range cur[key(idx, instSel)] {
					heldK[k][kk][c] = true
				}
			}
		})
		// Before seen learns this occupancy: the words each child, and
		// each instance of a bypassed level, holds that its parent
		// instance held before.
		r.each(instSel, idx, func() {
			for c := range cur[key(idx, instSel)] {
				if seen[key(idx, parentSel)][c] {
					out.childReloads++
				}
			}
		})
		for k, m := range heldK {
			for kk, s := range m {
				_ = kk
				for c := range s {
					// the parent instance of this k instance: its spatial
					// indices before p are a prefix of kk's.
					if seenBy(seen, c, kk, len(key(idx, parentSel))) {
						out.reloadsK[k]++
					}
				}
			}
		}
		for pk, s := range held {
			if seen[pk] == nil {
				seen[pk] = set{}
			}
			for c := range s {
				if seen[pk][c] {
					out.reloads++
				} else {
					seen[pk][c] = true
				}
			}
		}
		prev = cur
	})
	for pk := range held {
		flush(pk)
	}
	for ck := range prev {
		out.drains += int64(len(prev[ck]))
	}
	for k, m := range heldK {
		for _, s := range m {
			out.netWords[k] += int64(len(s))
		}
	}
	return out
}

// seenBy reports whether the parent instance whose key is the first n bytes
// of kk has seen c.
func seenBy(seen map[string]set, c int64, kk string, n int) bool {
	return seen[kk[:n]][c]
}

func sameSet(a, b set) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

// reference computes Counts by brute force.
func reference(l *workload.Layer, a *arch.Spec, m *mapping.Mapping) *Counts {
	r := newRefNest(l, a.Conventions, m)
	L := len(m.Levels)
	c := &Counts{Levels: make([]Level, L), MACs: l.MACs(), Steps: 1, MACUnits: 1}
	for _, lp := range r.loops {
		if lp.spatial {
			c.MACUnits *= int64(lp.f)
		} else {
			c.Steps *= int64(lp.f)
		}
	}
	for i := range L {
		c.Levels[i].Instances = 1
		for _, lp := range r.loops[:r.start[i]] {
			if lp.spatial {
				c.Levels[i].Instances *= int64(lp.f)
			}
		}
		for t := range workload.NumTensors {
			if m.Levels[i].Keep[t] {
				c.Levels[i].Tensors[t].Tile = int64(len(r.tile(t, r.start[i], make([]int, len(r.loops)))))
			}
		}
	}
	for t := range workload.NumTensors {
		p := 0
		for {
			ch := p + 1
			for ch < L && !m.Levels[ch].Keep[t] {
				ch++
			}
			if t == workload.Outputs {
				o := r.refOutputs(p, ch)
				c.Levels[p].Tensors[t].Updates += o.updates
				c.Levels[p].Tensors[t].Reads += o.reloads
				all := a.Conventions.Has(arch.ConvReload)
				if ch == L {
					c.Compute.Words[t] += o.reloads + o.drains
					c.Compute.Reduce += o.drains - o.updates
				} else {
					fills := o.reloads
					if all {
						fills = o.childReloads
					}
					c.Levels[ch].Tensors[t].Fills += fills
					if !a.Conventions.Has(arch.ConvDrain) {
						c.Levels[ch].Tensors[t].Reads += o.drains
						c.Levels[ch].Tensors[t].Drains += o.drains
					}
					c.Levels[ch].Net.Words[t] += fills + o.drains
					c.Levels[ch].Net.Reduce += o.drains - o.updates
				}
				for k, w := range o.netWords {
					rl := o.reloads
					if all {
						rl = o.reloadsK[k]
					}
					c.Levels[k].Net.Words[t] += rl + w
				}
			} else {
				mac := ch == L
				// unicast(j): a spatial loop of level i fans out into
				// level i+1 over its network; the MAC lanes share
				// operands.
				//
				// Under arch.ConvMulticast's "identical" a spatial loop
				// over a dimension that indexes the tensor is unicast:
				// the children along it hold different tiles.
				unicast := func(j int) bool {
					i := 0
					for i+1 < L && r.start[i+1] <= j {
						i++
					}
					if a.Conventions.Has(arch.ConvMulticast) && r.l.Projection(t).Relevant(r.loops[j].dim) {
						return true
					}
					return i+1 < L && !a.Levels[i+1].Network.Multicast
				}
				fills, sent := r.refReadOnly(t, p, ch, unicast)
				c.Levels[p].Tensors[t].Reads += sent[p]
				if mac {
					c.Compute.Words[t] += fills
				} else {
					c.Levels[ch].Tensors[t].Fills += fills
					c.Levels[ch].Net.Words[t] += fills
				}
				for k := p + 1; k < ch && k < L; k++ {
					c.Levels[k].Net.Words[t] += sent[k]
				}
			}
			if ch == L {
				break
			}
			p = ch
		}
	}
	return c
}
