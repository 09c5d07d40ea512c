package timeloop

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/nnergy/nnergy/internal/yamlspec"
)

// loop is one mapped loop.
type loop struct {
	dim    string
	factor int
	axis   string // "" temporal, "x" or "y" spatial
}

// target is what a map.yaml says about one level.
type target struct {
	keep              []string
	keepGiven         bool
	temporal, spatial []loop // outermost first
}

// factors parses "C1 M8 R1" or "C=1 M=8 R=1".
func (im *importer) factors(mf *file, path, s string, p *problem) map[string]int {
	out := map[string]int{}
	for _, f := range strings.Fields(s) {
		f = strings.Replace(f, "=", "", 1)
		i := strings.IndexAny(f, "0123456789")
		if i <= 0 {
			im.errPath(mf, path, "bad factor %q (want a dimension and a number, as M8)", f)
			continue
		}
		d, n := f[:i], f[i:]
		v, err := strconv.Atoi(n)
		if err != nil || v < 1 {
			im.errPath(mf, path, "bad factor %q (want a positive whole number)", f)
			continue
		}
		if _, ok := p.bounds[d]; !ok {
			im.errPath(mf, path, "unknown dimension %q in factor %q", d, f)
			continue
		}
		out[d] = v
	}
	return out
}

// order lists the dimensions of a permutation (innermost first in
// Timeloop) outermost first; dimensions with a factor above 1 must be in it.
func (im *importer) order(mf *file, path, perm string, fs map[string]int) []string {
	var inner []string
	seen := map[string]bool{}
	for _, r := range perm {
		d := string(r)
		if seen[d] {
			im.errPath(mf, path, "dimension %s twice in permutation %q", d, perm)
			continue
		}
		seen[d] = true
		inner = append(inner, d)
	}
	for d, f := range fs {
		if f > 1 && !seen[d] {
			im.errPath(mf, path, "dimension %s has factor %d but is not in permutation %q", d, f, perm)
		}
	}
	out := make([]string, len(inner))
	for i, d := range inner {
		out[len(inner)-1-i] = d
	}
	return out
}

// mapping converts a map.yaml to nnergy's mapping text: the loops of a
// dummy level (one that keeps nothing) move to the storage level above it.
func (im *importer) mapping(mf *file, d *design, p *problem) string {
	targets := map[string]*target{}
	got := map[string]map[string]map[string]int{} // target -> type -> dim -> factor
	keeps := map[string][]string{}
	at := map[string]string{} // target/type -> path of its entry
	product := map[string]int{}
	for dn := range p.bounds {
		product[dn] = 1
	}
	for i, e := range *mf.f.Mapping {
		path := yamlspec.Index("mapping", i)
		l := d.find(e.Target)
		if l == nil {
			im.errPath(mf, path+".target", "unknown target %q (not a storage level of the architecture)", e.Target)
			continue
		}
		name := l.name // a v0.4 container's level may be targeted by the container's name
		t := targets[name]
		if t == nil {
			t = &target{}
			targets[name] = t
		}
		at[name+"/"+e.Type] = path
		switch e.Type {
		case "datatype", "bypass":
			t.keep, t.keepGiven = e.Keep, true
			keeps[name] = e.Keep
			at[name+"/datatype"] = path
			for _, k := range append(append([]string(nil), e.Keep...), e.Bypass...) {
				if k != "Weights" && k != "Inputs" && k != "Outputs" {
					im.errPath(mf, path, "unknown data space %q", k)
				}
			}
		case "temporal", "spatial":
			fs := im.factors(mf, path+".factors", e.Factors, p)
			if got[name] == nil {
				got[name] = map[string]map[string]int{}
			}
			got[name][e.Type] = fs
			dims := im.order(mf, path+".permutation", e.Permutation, fs)
			split := len(dims) // all X unless split says otherwise
			if e.Type == "spatial" {
				if e.Split == nil {
					im.errPath(mf, path, "a spatial entry needs split (the dimensions before it go along X)")
				} else {
					split = *e.Split
				}
			}
			// split counts from the innermost (the permutation's first);
			// the X loops are listed before the Y loops.
			var ys []loop
			for j, dn := range dims {
				f := max(fs[dn], 1)
				product[dn] *= f
				if f == 1 {
					continue
				}
				lp := loop{dim: dn, factor: f}
				if e.Type == "spatial" {
					if len(dims)-1-j < split {
						lp.axis = "x"
						t.spatial = append(t.spatial, lp)
					} else {
						lp.axis = "y"
						ys = append(ys, lp)
					}
				} else {
					t.temporal = append(t.temporal, lp)
				}
			}
			t.spatial = append(t.spatial, ys...)
		default:
			im.errPath(mf, path+".type", "unknown type %q (want datatype, temporal or spatial)", e.Type)
		}
	}
	for _, dn := range p.dims {
		if product[dn] != p.bounds[dn] {
			im.errPath(mf, "mapping", "the factors of %s multiply to %d, the problem's bound is %d", dn, product[dn], p.bounds[dn])
		}
	}
	im.checkMapping(mf, d, got, keeps, at)
	var b strings.Builder
	fmt.Fprintf(&b, "# Imported from Timeloop (%s) by nnergy import timeloop.\n", mf.name)
	var cur *target
	var blocks []struct {
		name string
		t    *target
	}
	for _, l := range d.levels {
		t := targets[l.name]
		if t == nil {
			t = &target{}
		}
		if l.kind == dummy {
			if t.keepGiven && len(t.keep) > 0 {
				im.errPath(mf, "mapping", "%s keeps %s, but its class dummy_storage holds nothing", l.name, strings.Join(t.keep, ", "))
			}
			if cur == nil {
				im.errPath(mf, "mapping", "%s (dummy_storage) is the outermost level", l.name)
				continue
			}
			if len(t.temporal) > 0 {
				im.note(where(mf.name, nil), l.name+" temporal loops", "a level that keeps nothing: its temporal loops run innermost at the level above it")
			}
			cur.temporal = append(cur.temporal, t.temporal...)
			cur.spatial = append(cur.spatial, t.spatial...)
			continue
		}
		c := *t
		if !c.keepGiven {
			c.keep = l.keeps
			if len(c.keep) == 0 {
				c.keep = []string{"Weights", "Inputs", "Outputs"}
			}
		}
		cur = &c
		blocks = append(blocks, struct {
			name string
			t    *target
		}{l.name, cur})
	}
	for _, bl := range blocks {
		keep := strings.Join(bl.t.keep, " ")
		if keep == "" {
			keep = "none"
		}
		fmt.Fprintf(&b, "%s keep %s\n", bl.name, keep)
		for _, lp := range bl.t.temporal {
			fmt.Fprintf(&b, "  for %s in [0:%d)\n", lp.dim, lp.factor)
		}
		for _, lp := range bl.t.spatial {
			fmt.Fprintf(&b, "  spatial-%s %s in [0:%d)\n", lp.axis, lp.dim, lp.factor)
		}
	}
	return b.String()
}
