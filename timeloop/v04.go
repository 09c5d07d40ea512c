package timeloop

import (
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/nnergy/nnergy/internal/yamlspec"
)

// The keys each node of the v0.4 tree may have.
var nodeKeys = map[string][]string{
	"!Container":    {"name", "attributes", "spatial", "constraints", "networks", "enabled"},
	"!Component":    {"name", "class", "subclass", "attributes", "spatial", "constraints", "required_actions", "enabled", "area_share", "networks"},
	"!Parallel":     {"nodes"},
	"!Hierarchical": {"nodes"},
	"!Nothing":      {"constraints"},
}

// tree reads the v0.4 architecture (`architecture: nodes:`): a list in
// which each node holds the ones after it. A !Container's `spatial: {meshX,
// meshY}` replicates everything below it; a !Component is a level as in
// the v0.3 tree; the branches of a !Parallel each sit where the !Parallel
// is, and Timeloop chains them in their order, as the front end does;
// !Nothing is an empty branch. global_cycle_seconds comes from a
// container's attributes or the `variables` of an input.
func (im *importer) tree(af *file, d *design, vars []*file) {
	im.nodes(af, d, af.f.Architecture.Nodes, "architecture.nodes", 1, 1)
	if d.cycleS != 0 {
		return
	}
	for _, vf := range vars {
		if v := yamlspec.Lookup(vf.f.Variables, "global_cycle_seconds"); v != nil {
			x, err := strconv.ParseFloat(v.Value, 64)
			if err != nil || x <= 0 {
				im.errAt(vf.name, v, "variables.global_cycle_seconds", "want a positive number of seconds, got %q", v.Value)
				return
			}
			d.cycleS = x
			return
		}
	}
	im.errPath(af, "architecture.nodes", "no global_cycle_seconds (the clock period): give it in a container's attributes or in variables (Timeloop's front end takes 1e-9 from its top-level variables)")
}

// nodes walks one list of nodes under inst instances, meshX of them
// along X; it returns the instances and meshX below its last node.
func (im *importer) nodes(af *file, d *design, seq *yaml.Node, path string, inst, meshX int) (int, int) {
	if seq.Kind != yaml.SequenceNode {
		im.errAt(af.name, seq, path, "want a list of !Container, !Component and !Parallel nodes")
		return inst, meshX
	}
	for i, n := range seq.Content {
		inst, meshX = im.node(af, d, n, yamlspec.Index(path, i), inst, meshX)
	}
	return inst, meshX
}

// node reads one node of the v0.4 tree. A !Container with a spatial
// fan-out is a level that keeps nothing (as dummy_storage is in the v0.3
// form) above its fan-out, named inter_NAME_spatial as Timeloop's front
// end names it (its map.yaml targets it so); a mapping may also target it
// by the container's name.
func (im *importer) node(af *file, d *design, n *yaml.Node, p string, inst, meshX int) (int, int) {
	keys, known := nodeKeys[n.Tag]
	if !known {
		im.errAt(af.name, n, p, "unknown node tag %q (want !Container, !Component, !Parallel, !Hierarchical or !Nothing)", n.Tag)
		return inst, meshX
	}
	if n.Kind != yaml.MappingNode {
		im.errAt(af.name, n, p, "a %s node must be a mapping", n.Tag)
		return inst, meshX
	}
	bad := false
	for j := 0; j+1 < len(n.Content); j += 2 {
		k := n.Content[j]
		if !slices.Contains(keys, k.Value) {
			im.errAt(af.name, k, p+"."+k.Value, "unknown key of a %s node (want one of %s)", n.Tag, strings.Join(keys, ", "))
			bad = true
		}
	}
	if bad {
		return inst, meshX
	}
	switch n.Tag {
	case "!Parallel", "!Hierarchical":
		sub := yamlspec.Lookup(n, "nodes")
		if sub == nil || sub.Kind != yaml.SequenceNode {
			im.errAt(af.name, n, p, "a %s node needs a list of nodes", n.Tag)
			return inst, meshX
		}
		if n.Tag == "!Hierarchical" {
			return im.nodes(af, d, sub, p+".nodes", inst, meshX)
		}
		// Each branch sits here, and Timeloop chains them in order.
		for j, b := range sub.Content {
			bi, bx := im.node(af, d, b, yamlspec.Index(p+".nodes", j), inst, meshX)
			if bi != inst || bx != meshX {
				im.errAt(af.name, b, yamlspec.Index(p+".nodes", j), "a branch of a !Parallel with a spatial fan-out of its own is not read")
			}
		}
		return inst, meshX
	case "!Nothing":
		if c := yamlspec.Lookup(n, "constraints"); c != nil {
			im.note(where(af.name, n), "!Nothing constraints", "an empty branch: its constraints constrain nothing nnergy models")
		}
		return inst, meshX
	}
	if e := yamlspec.Lookup(n, "enabled"); e != nil && e.Value == "false" {
		im.note(where(af.name, n), "disabled node", "enabled: false: left out")
		return inst, meshX
	}
	name := yamlspec.Lookup(n, "name")
	if name == nil || name.Value == "" {
		im.errAt(af.name, n, p, "a %s node needs a name", n.Tag)
		return inst, meshX
	}
	sx, sy := im.spatial(af, n, p)
	if n.Tag == "!Container" && sx*sy == 1 {
		if c := yamlspec.Lookup(n, "constraints"); c != nil {
			im.note(where(af.name, c), name.Value+" constraints", "a container without a spatial fan-out is no level in nnergy: its constraints are not carried")
		}
	} else {
		target := name.Value
		if n.Tag == "!Container" {
			target = "inter_" + target + "_spatial"
		}
		d.cons = append(d.cons, im.nodeConstraints(af, target, n, p)...)
	}
	if n.Tag == "!Container" {
		im.container(af, d, n, p)
		if sx*sy > 1 {
			d.levels = append(d.levels, &level{name: "inter_" + name.Value + "_spatial", alias: name.Value, class: "!Container", kind: dummy, instances: inst, meshX: meshX, node: name, path: p, file: af.name})
		}
		return inst * sx * sy, meshX * sx
	}
	inst, meshX = inst*sx*sy, meshX*sx
	class := yamlspec.Lookup(n, "class")
	if class == nil {
		im.errAt(af.name, n, p, "a !Component needs a class")
		return inst, meshX
	}
	c := componentYAML{Name: name.Value, Class: class.Value, Attributes: yamlspec.Lookup(n, "attributes")}
	if sc := yamlspec.Lookup(n, "subclass"); sc != nil {
		c.Subclass = sc.Value
	}
	before := len(d.levels)
	im.component(af, d, &c, p, &placement{name: name, class: class, instances: inst, meshX: meshX})
	if len(d.levels) > before {
		im.dataspace(af, d.levels[len(d.levels)-1], n, p)
	}
	return inst, meshX
}

// spatial reads a node's `spatial: {meshX, meshY}` (1 × 1 without one).
func (im *importer) spatial(af *file, n *yaml.Node, path string) (int, int) {
	s := yamlspec.Lookup(n, "spatial")
	if s == nil {
		return 1, 1
	}
	if s.Kind != yaml.MappingNode {
		im.errAt(af.name, s, path+".spatial", "want {meshX: N, meshY: N}")
		return 1, 1
	}
	xy := [2]int{1, 1}
	for j := 0; j+1 < len(s.Content); j += 2 {
		k, v := s.Content[j], s.Content[j+1]
		i := slices.Index([]string{"meshX", "meshY"}, k.Value)
		if i < 0 {
			im.errAt(af.name, k, path+".spatial."+k.Value, "unknown key (want meshX or meshY)")
			continue
		}
		x, err := strconv.Atoi(v.Value)
		if err != nil || x < 1 || x > 1<<20 {
			im.errAt(af.name, v, path+".spatial."+k.Value, "want a positive whole number, got %q", v.Value)
			continue
		}
		xy[i] = x
	}
	return xy[0], xy[1]
}

// container reads a !Container: its name and the clock period of its
// attributes (the first one given).
func (im *importer) container(af *file, d *design, n *yaml.Node, path string) {
	if name := yamlspec.Lookup(n, "name"); name != nil && d.name == "" {
		d.name = name.Value
	}
	attrs := yamlspec.Lookup(n, "attributes")
	if v := yamlspec.Lookup(attrs, "global_cycle_seconds"); v != nil && d.cycleS == 0 {
		x, err := strconv.ParseFloat(v.Value, 64)
		if err != nil || x <= 0 {
			im.errAt(af.name, v, path+".attributes.global_cycle_seconds", "want a positive number of seconds, got %q", v.Value)
			return
		}
		d.cycleS = x
	}
}

// dataspace takes a component's keep list (or everything but its bypass
// list) from its `constraints: {dataspace: {keep, bypass}}`.
func (im *importer) dataspace(af *file, l *level, n *yaml.Node, path string) {
	ds := yamlspec.Lookup(yamlspec.Lookup(n, "constraints"), "dataspace")
	if ds == nil {
		return
	}
	keep, bypass := names(yamlspec.Lookup(ds, "keep")), names(yamlspec.Lookup(ds, "bypass"))
	for _, t := range append(slices.Clone(keep), bypass...) {
		if t != "Weights" && t != "Inputs" && t != "Outputs" {
			im.errAt(af.name, ds, path+".constraints.dataspace", "unknown data space %q", t)
			return
		}
	}
	if l.kind == dummy {
		return
	}
	if yamlspec.Lookup(ds, "keep") == nil {
		keep = nil
		for _, t := range []string{"Weights", "Inputs", "Outputs"} {
			if !slices.Contains(bypass, t) {
				keep = append(keep, t)
			}
		}
	}
	l.keeps = keep
}

// names reads a list of names, or one name.
func names(n *yaml.Node) []string {
	if n == nil {
		return nil
	}
	if n.Kind == yaml.ScalarNode {
		return []string{n.Value}
	}
	var out []string
	for _, c := range n.Content {
		out = append(out, c.Value)
	}
	return out
}
