package timeloop

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/nnergy/nnergy/internal/yamlspec"
)

// constraint is one Timeloop constraint on a target level: from
// architecture_constraints or mapspace_constraints targets (v0.3), or a
// v0.4 node's constraints.
type constraint struct {
	target  string
	typ     string // temporal, spatial, bypass (dataspace), utilization
	factors map[string]int
	perm    []string // innermost first
	split   *int
	keep    []string
	keeps   bool // keep given
	min     float64
	file    string
	node    *yaml.Node
	path    string
}

func (c *constraint) where() string { return where(c.file, c.node) }

// constraintKeys are the keys of a constraint target Import reads; the
// others are noted.
var constraintKeys = []string{"target", "type", "factors", "permutation", "split", "keep", "bypass", "min"}

// targets reads a v0.3 list of constraint targets (architecture_constraints
// or mapspace_constraints: a mapping with targets, or the list itself).
func (im *importer) targets(f *file, n *yaml.Node, key string) []*constraint {
	if n == nil {
		return nil
	}
	path := key
	if t := yamlspec.Lookup(n, "targets"); t != nil {
		n, path = t, key+".targets"
	}
	if n.Kind != yaml.SequenceNode {
		if n.Kind == yaml.MappingNode && len(n.Content) == 0 {
			return nil
		}
		im.errAt(f.name, n, path, "want a list of constraint targets")
		return nil
	}
	var out []*constraint
	for i, t := range n.Content {
		p := yamlspec.Index(path, i)
		tgt, typ := yamlspec.Lookup(t, "target"), yamlspec.Lookup(t, "type")
		if tgt == nil || typ == nil {
			im.errAt(f.name, t, p, "a constraint needs a target and a type")
			continue
		}
		c := &constraint{target: tgt.Value, typ: typ.Value, file: f.name, node: t, path: p}
		if c.typ == "datatype" {
			c.typ = "bypass"
		}
		for j := 0; j+1 < len(t.Content); j += 2 {
			if k := t.Content[j]; !slices.Contains(constraintKeys, k.Value) {
				im.note(where(f.name, k), fmt.Sprintf("%s constraint key %s", c.target, k.Value), "not carried over")
			}
		}
		im.constraintBody(f, c, t, p)
		out = append(out, c)
	}
	return out
}

// nodeConstraints reads a v0.4 node's `constraints: {dataspace, temporal,
// spatial}`.
func (im *importer) nodeConstraints(f *file, target string, n *yaml.Node, path string) []*constraint {
	cs := yamlspec.Lookup(n, "constraints")
	if cs == nil {
		return nil
	}
	if cs.Kind != yaml.MappingNode {
		im.errAt(f.name, cs, path+".constraints", "want a mapping of dataspace, temporal and spatial")
		return nil
	}
	var out []*constraint
	for j := 0; j+1 < len(cs.Content); j += 2 {
		k, v := cs.Content[j], cs.Content[j+1]
		p := path + ".constraints." + k.Value
		typ := k.Value
		switch typ {
		case "dataspace":
			typ = "bypass"
		case "temporal", "spatial":
		default:
			im.errAt(f.name, k, p, "unknown constraint %q (want dataspace, temporal or spatial)", k.Value)
			continue
		}
		if v.Kind != yaml.MappingNode {
			im.errAt(f.name, v, p, "want a mapping")
			continue
		}
		c := &constraint{target: target, typ: typ, file: f.name, node: v, path: p}
		for i := 0; i+1 < len(v.Content); i += 2 {
			if key := v.Content[i]; !slices.Contains(constraintKeys, key.Value) {
				im.note(where(f.name, key), fmt.Sprintf("%s %s constraint key %s", target, k.Value, key.Value), "not carried over")
			}
		}
		im.constraintBody(f, c, v, p)
		out = append(out, c)
	}
	return out
}

// constraintBody reads factors, permutation, split, keep and min.
func (im *importer) constraintBody(f *file, c *constraint, n *yaml.Node, path string) {
	if v := yamlspec.Lookup(n, "factors"); v != nil {
		c.factors = map[string]int{}
		for _, s := range splitList(v) {
			d, num, ok := strings.Cut(s, "=")
			x, err := strconv.Atoi(strings.TrimSpace(num))
			if !ok || err != nil || x < 0 || strings.TrimSpace(d) == "" {
				im.errAt(f.name, v, path+".factors", "bad factor %q (want a dimension = a whole number, as M=8)", s)
				continue
			}
			c.factors[strings.TrimSpace(d)] = x
		}
	}
	if v := yamlspec.Lookup(n, "permutation"); v != nil {
		if v.Kind == yaml.ScalarNode && !strings.ContainsAny(v.Value, " ,") {
			for _, r := range v.Value {
				c.perm = append(c.perm, string(r))
			}
		} else {
			c.perm = splitList(v)
		}
	}
	if v := yamlspec.Lookup(n, "split"); v != nil {
		x, err := strconv.Atoi(v.Value)
		if err != nil || x < 0 {
			im.errAt(f.name, v, path+".split", "want a whole number, got %q", v.Value)
		} else {
			c.split = &x
		}
	}
	if v := yamlspec.Lookup(n, "keep"); v != nil {
		c.keep, c.keeps = names(v), true
	}
	if v := yamlspec.Lookup(n, "bypass"); v != nil && !c.keeps {
		bypass := names(v)
		c.keeps = true
		for _, t := range []string{"Weights", "Inputs", "Outputs"} {
			if !slices.Contains(bypass, t) {
				c.keep = append(c.keep, t)
			}
		}
	}
	if v := yamlspec.Lookup(n, "min"); v != nil {
		x, err := strconv.ParseFloat(v.Value, 64)
		if err != nil || x < 0 || x > 1 {
			im.errAt(f.name, v, path+".min", "want a fraction from 0 to 1, got %q", v.Value)
		}
		c.min = x
	}
}

// splitList reads a list of strings, or one string of items separated by
// commas or spaces.
func splitList(n *yaml.Node) []string {
	var raw []string
	if n.Kind == yaml.ScalarNode {
		raw = []string{n.Value}
	} else {
		for _, c := range n.Content {
			raw = append(raw, c.Value)
		}
	}
	var out []string
	for _, r := range raw {
		out = append(out, strings.FieldsFunc(r, func(c rune) bool { return c == ',' || c == ' ' })...)
	}
	return out
}

// levelRule is what the nnergy constraints file says of one level.
type levelRule struct {
	temporal    []string // nil: any
	hasTemporal bool
	factors     map[string]int
	order       []string
	sx, sy      []string
	hasX, hasY  bool
	// keep is exactly what the level keeps, when a bypass constraint
	// says (Timeloop's keep and bypass lists force both ways).
	keep        []string
	hasKeep     bool
	constrained bool
}

// constraintsYAML turns the constraints into nnergy's constraints file
// (docs/format/constraints.md) where it can say them, and notes the rest;
// nil when nothing is carried.
func (im *importer) constraintsYAML(d *design, p *problem) []byte {
	rules := map[string]*levelRule{}
	minUtil := 0.0
	rule := func(name string) *levelRule {
		if rules[name] == nil {
			rules[name] = &levelRule{}
		}
		return rules[name]
	}
	without := func(dims []string, fs map[string]int) []string {
		var out []string
		for _, dn := range dims {
			if f, ok := fs[dn]; !ok || f != 1 {
				out = append(out, dn)
			}
		}
		return out
	}
	intersect := func(has bool, cur, next []string) []string {
		if !has {
			return next
		}
		var out []string
		for _, x := range cur {
			if slices.Contains(next, x) {
				out = append(out, x)
			}
		}
		return out
	}
	for _, c := range d.cons {
		if c.typ == "utilization" {
			minUtil = max(minUtil, c.min)
			continue
		}
		i := slices.IndexFunc(d.levels, func(l *level) bool { return l.name == c.target })
		if i < 0 {
			if c.target == d.mac.name {
				im.note(c.where(), c.target+" "+c.typ+" constraint", "a constraint on the compute level: nnergy has no loops there")
			} else if c.typ != "bypass" { // keeps reports those
				im.errAt(c.file, c.node, c.path, "unknown target %q (not a level of the architecture)", c.target)
			}
			continue
		}
		for dn := range c.factors {
			if _, ok := p.bounds[dn]; !ok && !slices.Contains([]string{"N", "G", "M", "C", "P", "Q", "R", "S"}, dn) {
				im.errAt(c.file, c.node, c.path+".factors", "unknown dimension %q", dn)
			}
		}
		for _, dn := range c.perm {
			if _, ok := p.bounds[dn]; !ok && !slices.Contains([]string{"N", "G", "M", "C", "P", "Q", "R", "S"}, dn) {
				im.errAt(c.file, c.node, c.path+".permutation", "unknown dimension %q", dn)
			}
		}
		l := d.levels[i]
		// the storage level at or above the target, which holds its loops
		si := i
		for si >= 0 && d.levels[si].kind != storage {
			si--
		}
		switch c.typ {
		case "bypass":
			// carried as the levels' keeps (the architecture: what a
			// level may keep) and here as what it must keep
			if c.keeps && l.kind == storage {
				r := rule(l.name)
				r.keep, r.hasKeep = c.keep, true
			}
		case "temporal":
			if l.kind != storage {
				for dn, f := range c.factors {
					if f > 1 {
						im.note(c.where(), fmt.Sprintf("%s temporal factor %s=%d", c.target, dn, f), "a level that keeps nothing has no temporal loops in nnergy")
					}
				}
				continue
			}
			r := rule(l.name)
			allowed := without(p.dims, c.factors)
			if len(allowed) < len(p.dims) {
				r.temporal = intersect(r.hasTemporal, r.temporal, allowed)
				r.hasTemporal = true
			}
			for dn, f := range c.factors {
				switch {
				case f <= 1:
				case p.bounds[dn]%f != 0:
					im.note(c.where(), fmt.Sprintf("%s temporal factor %s=%d", c.target, dn, f), fmt.Sprintf("does not divide the bound %d: not carried", p.bounds[dn]))
				default:
					if r.factors == nil {
						r.factors = map[string]int{}
					}
					r.factors[dn] = f
				}
			}
			if len(c.perm) > 0 {
				var order []string
				for _, dn := range slices.Backward(c.perm) {
					if slices.Contains(allowed, dn) && p.bounds[dn] > 1 {
						order = append(order, dn)
					}
				}
				r.order = order
				if len(c.perm) < len(p.dims) && len(order) > 0 {
					im.note(c.where(), c.target+" temporal permutation "+strings.Join(c.perm, ""), "a partial permutation puts its dimensions innermost in Timeloop; nnergy's order keeps only their relative order")
				}
			}
		case "spatial":
			if si < 0 {
				im.note(c.where(), c.target+" spatial constraint", "above the outermost storage level: not carried")
				continue
			}
			// the fan-out below the target
			cx, cy := d.mac.meshX, d.mac.instances/d.mac.meshX
			if i+1 < len(d.levels) {
				cx, cy = d.levels[i+1].meshX, d.levels[i+1].instances/d.levels[i+1].meshX
			}
			fx, fy := cx/l.meshX, cy/(l.instances/l.meshX)
			allowed := without(p.dims, c.factors)
			xs, ys := allowed, allowed
			if c.split != nil && len(c.perm) > 0 {
				// Timeloop's front end completes a partial permutation by
				// putting the dimensions it lacks first (innermost), so
				// that split counts them: those without a factor-1
				// constraint first, as it does.
				var perm []string
				for _, group := range [][]string{allowed, p.dims} {
					for _, dn := range group {
						if !slices.Contains(c.perm, dn) && !slices.Contains(perm, dn) {
							perm = append(perm, dn)
						}
					}
				}
				perm = append(perm, c.perm...)
				cut := min(*c.split, len(perm))
				xs, ys = nil, nil
				for _, dn := range allowed {
					j := slices.Index(perm, dn)
					if j < 0 || j < cut {
						xs = append(xs, dn)
					}
					if j < 0 || j >= cut {
						ys = append(ys, dn)
					}
				}
			}
			r := rule(d.levels[si].name)
			if fx > 1 {
				r.sx = intersect(r.hasX, r.sx, xs)
				r.hasX = true
			}
			if fy > 1 {
				r.sy = intersect(r.hasY, r.sy, ys)
				r.hasY = true
			}
			for dn, f := range c.factors {
				if f > 1 {
					im.note(c.where(), fmt.Sprintf("%s spatial factor %s=%d", c.target, dn, f), "nnergy's constraints fix a spatial dimension's whole bound only: not carried")
				}
			}
		default:
			im.note(c.where(), c.target+" "+c.typ+" constraint", "not carried over")
		}
	}
	if len(rules) == 0 && minUtil == 0 {
		return nil
	}
	var b bytes.Buffer
	b.WriteString("# Imported from Timeloop's architecture and mapspace constraints by nnergy import timeloop.\nversion: 1\nname: timeloop\n")
	if minUtil > 0 {
		fmt.Fprintf(&b, "min_utilization: %s\n", num(minUtil))
	}
	list := func(s []string) string { return "[" + strings.Join(s, ", ") + "]" }
	b.WriteString("levels:\n")
	n := 0
	for _, l := range d.storageLevels() {
		r := rules[l.name]
		outer := l == d.storageLevels()[0]
		if r == nil || !(r.hasTemporal && !outer || r.hasX || r.hasY || len(r.factors) > 0 || len(r.order) > 1 || r.hasKeep) {
			continue
		}
		n++
		fmt.Fprintf(&b, "  - name: %s\n", l.name)
		if r.hasTemporal && !outer {
			fmt.Fprintf(&b, "    temporal: %s\n", list(r.temporal))
		}
		if r.hasX {
			fmt.Fprintf(&b, "    spatial_x: %s\n", list(r.sx))
		}
		if r.hasY {
			fmt.Fprintf(&b, "    spatial_y: %s\n", list(r.sy))
		}
		if len(r.factors) > 0 {
			var fs []string
			for _, dn := range p.dims {
				if f, ok := r.factors[dn]; ok {
					fs = append(fs, fmt.Sprintf("%s: %d", dn, f))
				}
			}
			fmt.Fprintf(&b, "    factors: {%s}\n", strings.Join(fs, ", "))
		}
		if len(r.order) > 1 {
			fmt.Fprintf(&b, "    order: %s\n", list(r.order))
		}
		if r.hasKeep {
			fmt.Fprintf(&b, "    keep: %s\n", list(r.keep))
		}
	}
	if n == 0 {
		b.Truncate(b.Len() - len("levels:\n"))
		if minUtil == 0 {
			return nil
		}
	}
	return b.Bytes()
}

// checkMapping reports a map.yaml that breaks a constraint: a fixed
// factor it does not take, or a tensor kept against a constraint's keep.
func (im *importer) checkMapping(mf *file, d *design, got map[string]map[string]map[string]int, keeps map[string][]string, at map[string]string) {
	for _, c := range d.cons {
		switch c.typ {
		case "temporal", "spatial":
			for dn, want := range c.factors {
				if want == 0 {
					continue
				}
				f := 1
				if m := got[c.target][c.typ]; m != nil {
					if x, ok := m[dn]; ok {
						f = x
					}
				}
				if f != want {
					path := at[c.target+"/"+c.typ]
					if path == "" {
						path = "mapping"
					}
					im.errPath(mf, path, "%s %s factor of %s is %d: the constraint at %s says %d", c.target, c.typ, dn, f, c.where(), want)
				}
			}
		case "bypass":
			k, ok := keeps[c.target]
			if !ok || !c.keeps {
				continue
			}
			if !slices.Equal(sorted(k), sorted(c.keep)) {
				path := at[c.target+"/datatype"]
				im.errPath(mf, path, "%s keeps [%s]: the constraint at %s says [%s]", c.target, strings.Join(k, ", "), c.where(), strings.Join(c.keep, ", "))
			}
		}
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
