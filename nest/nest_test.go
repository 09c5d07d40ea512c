package nest

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/mapping"
	"github.com/nnergy/nnergy/workload"
)

// randomCase draws a small layer, a hierarchy of 2 to 4 levels and a legal
// (capacity-free) mapping of the layer onto it.
func randomCase(rng *rand.Rand) (*workload.Layer, *arch.Spec, *mapping.Mapping) {
	pick := func(vs ...int) int { return vs[rng.IntN(len(vs))] }
	shape := workload.Shape{
		workload.N: pick(1, 1, 2),
		workload.G: pick(1, 1, 2),
		workload.M: pick(1, 2, 3, 4),
		workload.C: pick(1, 2, 3),
		workload.P: pick(1, 2, 3, 4, 6),
		workload.Q: pick(1, 2, 3),
		workload.R: pick(1, 2, 3),
		workload.S: pick(1, 2, 3),
	}
	stride := [2]int{pick(1, 1, 2, 3), pick(1, 2)}
	dil := [2]int{pick(1, 1, 2), pick(1, 2)}
	l, err := workload.NewLayer("rand", workload.Conv, shape, stride, dil)
	if err != nil {
		panic(err)
	}
	nl := 2 + rng.IntN(3)
	a := &arch.Spec{Name: "rand", ClockHz: 1e9, Compute: arch.Compute{MeshX: 4, MeshY: 4, EnergyPJ: 1}}
	m := &mapping.Mapping{}
	for i := range nl {
		lv := arch.Level{Name: fmt.Sprintf("L%d", i), MeshX: 4, MeshY: 4}
		if i == 0 {
			lv.MeshX, lv.MeshY = 1, 1
		}
		lv.Network.Multicast = rng.IntN(4) != 0
		lv.Network.Reduction = true
		ml := mapping.Level{Name: lv.Name}
		for t := range workload.NumTensors {
			lv.Keeps[t] = i == 0 || rng.IntN(3) != 0
			ml.Keep[t] = lv.Keeps[t]
		}
		a.Levels = append(a.Levels, lv)
		m.Levels = append(m.Levels, ml)
	}
	// Split each dimension's bound into factors placed at random slots.
	for d := range workload.NumDims {
		n := shape[d]
		for n > 1 {
			f := n
			// take a random divisor
			var divs []int
			for k := 2; k <= n; k++ {
				if n%k == 0 {
					divs = append(divs, k)
				}
			}
			f = divs[rng.IntN(len(divs))]
			n /= f
			lvl := rng.IntN(nl)
			lp := mapping.Loop{Dim: workload.Dim(d), Factor: f}
			if rng.IntN(3) == 0 {
				lp.Axis = mapping.Axis(1 + rng.IntN(2))
				m.Levels[lvl].Spatial = append(m.Levels[lvl].Spatial, lp)
			} else {
				tl := m.Levels[lvl].Temporal
				at := rng.IntN(len(tl) + 1)
				tl = append(tl, mapping.Loop{})
				copy(tl[at+1:], tl[at:])
				tl[at] = lp
				m.Levels[lvl].Temporal = tl
			}
		}
	}
	return l, a, m
}

// conventionSets lists the counting conventions the property tests run
// under: the default, each alternative alone, Timeloop's, and (for case i)
// a random set.
func conventionSets(rng *rand.Rand) []arch.Conventions {
	sets := []arch.Conventions{0}
	for c := range arch.NumConventions {
		if arch.TimeloopConventions.Has(c) {
			sets = append(sets, arch.Conventions(0).With(c, true))
		}
	}
	return append(sets, arch.TimeloopConventions, arch.Conventions(rng.Uint32())&arch.TimeloopConventions)
}

// TestAgainstReference holds the analytical counts to the brute-force walk
// on hundreds of random small layers, hierarchies and mappings, under
// every counting convention (each case under the default and one other
// set, in turn).
func TestAgainstReference(t *testing.T) {
	n := 400
	if testing.Short() {
		n = 100
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var z Analyzer
	checked := 0
	for i := range n {
		l, a, m := randomCase(rng)
		if l.MACs() > 4000 {
			continue
		}
		sets := conventionSets(rng)
		for _, cv := range []arch.Conventions{0, sets[1+i%(len(sets)-1)]} {
			a.Conventions = cv
			var got Counts
			if err := z.Analyze(l, a, m, &got); err != nil {
				t.Fatalf("case %d: %v", i, err)
			}
			want := reference(l, a, m)
			if diff := cmp.Diff(want, &got, cmpopts.IgnoreFields(Counts{}, "Ext")); diff != "" {
				t.Fatalf("case %d: layer %v stride %v dilation %v conventions %v\nmapping:\n%s\nmulticast: %v\ncounts differ (-reference +model):\n%s",
					i, l.Shape, l.Stride, l.Dilation, cv, m.Format(), multicasts(a), diff)
			}
		}
		checked++
	}
	if checked < n/2 {
		t.Fatalf("only %d of %d random cases were small enough to check", checked, n)
	}
}

func multicasts(a *arch.Spec) []bool {
	var s []bool
	for _, l := range a.Levels {
		s = append(s, l.Network.Multicast)
	}
	return s
}

// TestInnermostOrder checks what the mapper relies on to collapse loop
// orders: permuting the temporal loops of the innermost level never
// changes the counts, under any counting convention.
func TestInnermostOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var z Analyzer
	for i := range 300 {
		l, a, m := randomCase(rng)
		sets := conventionSets(rng)
		a.Conventions = sets[i%len(sets)]
		var want, got Counts
		if err := z.Analyze(l, a, m, &want); err != nil {
			t.Fatal(err)
		}
		inner := m.Levels[len(m.Levels)-1].Temporal
		rng.Shuffle(len(inner), func(x, y int) { inner[x], inner[y] = inner[y], inner[x] })
		if err := z.Analyze(l, a, m, &got); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("case %d: innermost order changed the counts:\n%s", i, diff)
		}
	}
}

// TestBound checks that Bound never exceeds the real counts of a mapping,
// field by field, on random cases, under every counting convention.
func TestBound(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	var z Analyzer
	for i := range 400 {
		l, a, m := randomCase(rng)
		sets := conventionSets(rng)
		a.Conventions = sets[i%len(sets)]
		var real, lb Counts
		if err := z.Analyze(l, a, m, &real); err != nil {
			t.Fatal(err)
		}
		if err := z.Tiles(l, a, m, &lb); err != nil {
			t.Fatal(err)
		}
		z.Bound(l, a, &lb)
		for k := range real.Levels {
			r, b := real.Levels[k], lb.Levels[k]
			for tt := range r.Tensors {
				x, y := r.Tensors[tt], b.Tensors[tt]
				if y.Fills > x.Fills || y.Reads > x.Reads || y.Updates > x.Updates || y.Drains > x.Drains || b.Net.Words[tt] > r.Net.Words[tt] {
					t.Fatalf("case %d level %d tensor %d: bound %+v net %d above the real %+v net %d\n%s", i, k, tt, y, b.Net.Words[tt], x, r.Net.Words[tt], m.Format())
				}
			}
			if b.Net.Reduce > r.Net.Reduce {
				t.Fatalf("case %d level %d: bound reduce %d above the real %d", i, k, b.Net.Reduce, r.Net.Reduce)
			}
		}
		if lb.Compute != real.Compute {
			t.Fatalf("case %d: the MAC interface should be exact: %+v vs %+v", i, lb.Compute, real.Compute)
		}
	}
}

// TestNestFactorOne checks that loops of factor 1 in a nest change nothing:
// nests built from mappings leave them out, others need not.
func TestNestFactorOne(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 11))
	var z Analyzer
	for i := range 200 {
		l, a, m := randomCase(rng)
		sets := conventionSets(rng)
		a.Conventions = sets[i%len(sets)]
		var want, got Counts
		if err := z.Analyze(l, a, m, &want); err != nil {
			t.Fatal(err)
		}
		var n, padded Nest
		n.Set(m)
		// Copy n, adding temporal loops of factor 1 of random dimensions
		// before random temporal loops.
		padded.Keep = n.Keep
		for lv := range n.Keep {
			padded.Start = append(padded.Start, len(padded.Loops))
			loops := n.Level(lv)
			for _, lp := range loops {
				if lp.Axis == mapping.Temporal && rng.IntN(2) == 0 {
					padded.Loops = append(padded.Loops, mapping.Loop{Dim: workload.Dim(rng.IntN(int(workload.NumDims))), Factor: 1})
				}
				padded.Loops = append(padded.Loops, lp)
			}
		}
		padded.Start = append(padded.Start, len(padded.Loops))
		z.TilesNest(l, a, &padded, &got)
		z.Traffic(l, a, &got)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("case %d: loops of factor 1 changed the counts:\n%s", i, diff)
		}
	}
}

// TestBoundCompletions holds the bounds of partial nests to the counts of
// their completions, field by field, on random small layers, hierarchies
// and mappings: loop orders final at the outermost levels only
// (BoundOrders), the factors of some dimensions still in the outermost
// level (BoundPrefix, the mapping being one completion), and the case of
// the outermost level's order the mapping is in (Bounding.Refetched, which
// OuterCases must cover).
func TestBoundCompletions(t *testing.T) {
	rng := rand.New(rand.NewPCG(16, 17))
	var z Analyzer
	checked := 0
	check := func(i int, what string, l *workload.Layer, m *mapping.Mapping, real, lb *Counts) {
		t.Helper()
		for k := range real.Levels {
			r, b := real.Levels[k], lb.Levels[k]
			for tt := range r.Tensors {
				x, y := r.Tensors[tt], b.Tensors[tt]
				if y.Fills > x.Fills || y.Reads > x.Reads || y.Updates > x.Updates || y.Drains > x.Drains || b.Net.Words[tt] > r.Net.Words[tt] {
					t.Fatalf("case %d, %s: level %d tensor %d: bound %+v net %d above the completion's %+v net %d\nlayer %v stride %v dil %v\n%s", i, what, k, tt, y, b.Net.Words[tt], x, r.Net.Words[tt], l.Shape, l.Stride, l.Dilation, m.Format())
				}
			}
			if b.Net.Reduce > r.Net.Reduce {
				t.Fatalf("case %d, %s: level %d: bound reduce %d above the completion's %d\n%s", i, what, k, b.Net.Reduce, r.Net.Reduce, m.Format())
			}
		}
	}
	for i := range 600 {
		l, a, m := randomCase(rng)
		if !withinMeshes(a, m) {
			continue // the bounds assume the architecture's limits
		}
		// Under every counting convention: a third of the cases nnergy's,
		// a third Timeloop's, a third a random set.
		a.Conventions = [3]arch.Conventions{0, arch.TimeloopConventions, arch.Conventions(rng.Uint32()) & arch.TimeloopConventions}[i%3]
		checked++
		var real, lb Counts
		if err := z.Analyze(l, a, m, &real); err != nil {
			t.Fatal(err)
		}
		for fixed := range len(m.Levels) {
			if err := z.Tiles(l, a, m, &lb); err != nil {
				t.Fatal(err)
			}
			z.BoundOrders(l, a, &lb, fixed)
			check(i, fmt.Sprintf("orders final at %d levels", fixed), l, m, &real, &lb)
		}
		// The node: the factors of some dimensions back in the
		// outermost level's temporal loops.
		node := &mapping.Mapping{}
		moving := workload.Ones()
		for d := range workload.NumDims {
			if l.Shape[d] > 1 && rng.IntN(3) == 0 {
				moving[d] = l.Shape[d]
			}
		}
		for k, lv := range m.Levels {
			nl := mapping.Level{Name: lv.Name, Keep: lv.Keep}
			for _, lp := range lv.Temporal {
				if moving[lp.Dim] == 1 {
					nl.Temporal = append(nl.Temporal, lp)
				}
			}
			for _, lp := range lv.Spatial {
				if moving[lp.Dim] == 1 {
					nl.Spatial = append(nl.Spatial, lp)
				}
			}
			if k == 0 {
				for d := range workload.NumDims {
					if moving[d] > 1 {
						nl.Temporal = append(nl.Temporal, mapping.Loop{Dim: workload.Dim(d), Factor: moving[d]})
					}
				}
			}
			node.Levels = append(node.Levels, nl)
		}
		// The mapping's case: the tensors (one-term ranks) refetched at
		// the outermost level because its innermost loop there indexes
		// them while a final loop there does not.
		inner := -1
		for _, lp := range m.Levels[0].Temporal {
			if lp.Factor > 1 {
				inner = int(lp.Dim)
			}
		}
		for _, b := range []*Bounding{{Prefix: true, Moving: moving}, {Moving: workload.Ones()}} {
			nm := node
			if !b.Prefix {
				nm = m
			}
			if err := z.Tiles(l, a, nm, &lb); err != nil {
				t.Fatal(err)
			}
			cases := z.OuterCases(l, &b.Moving, nil)
			var mine uint8
			for tt := range workload.NumTensors {
				proj := l.Projection(tt)
				one, other := true, false
				for j := 0; j < proj.Len; j++ {
					one = one && proj.Ranks[j].Len == 1
				}
				for _, lp := range nm.Levels[0].Temporal {
					f := lp.Factor / b.Moving[lp.Dim]
					other = other || (f > 1 && !proj.Relevant(lp.Dim))
				}
				if one && other && inner >= 0 && proj.Relevant(workload.Dim(inner)) {
					mine |= 1 << tt
				}
			}
			covered := len(cases) == 0
			for _, c := range cases {
				if c&mine == c {
					covered = true
					bc := *b
					bc.Refetched = c
					if err := z.Tiles(l, a, nm, &lb); err != nil {
						t.Fatal(err)
					}
					z.BoundBy(l, a, &lb, &bc)
					check(i, fmt.Sprintf("prefix %v, moving %v, case %b", b.Prefix, b.Moving, c), l, m, &real, &lb)
				}
			}
			if !covered {
				t.Fatalf("case %d: the mapping's case %b (innermost %d) is in none of %b\n%s", i, mine, inner, cases, m.Format())
			}
			if err := z.Tiles(l, a, nm, &lb); err != nil {
				t.Fatal(err)
			}
			z.BoundBy(l, a, &lb, b)
			check(i, fmt.Sprintf("prefix %v, moving %v", b.Prefix, b.Moving), l, m, &real, &lb)
		}
	}
	if checked < 300 {
		t.Errorf("only %d of 600 mappings within the meshes", checked)
	}
}

// withinMeshes reports whether the spatial loops of every level of m fit
// the mesh of the level (or MAC units) below it.
func withinMeshes(a *arch.Spec, m *mapping.Mapping) bool {
	for i, lv := range m.Levels {
		mx, my := a.Compute.MeshX, a.Compute.MeshY
		if i+1 < len(a.Levels) {
			mx, my = a.Levels[i+1].MeshX, a.Levels[i+1].MeshY
		}
		x, y := 1, 1
		for _, lp := range lv.Spatial {
			if lp.Axis == mapping.X {
				x *= lp.Factor
			} else {
				y *= lp.Factor
			}
		}
		if x > max(mx, 1) || y > max(my, 1) {
			return false
		}
	}
	return true
}
