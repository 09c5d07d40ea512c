package timeloop

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/internal/yamlspec"
	"github.com/nnergy/nnergy/mapping"
	"github.com/nnergy/nnergy/workload"
)

// Input is one Timeloop file: its name (for error positions) and content.
type Input struct {
	Name string
	Data []byte
	// Sections, when not empty, are the only top-level sections taken from
	// the file (architecture, problem, mapping, ERT, ART, variables, ...).
	Sections []string
}

// Detect returns the first of the sections architecture, problem and
// mapping that data, a YAML file, has at its top level: "" for a file
// that is no Timeloop input (an nnergy architecture or workload has none
// of them).
func Detect(data []byte) string {
	var n yaml.Node
	if err := yaml.Unmarshal(data, &n); err != nil || len(n.Content) != 1 || n.Content[0].Kind != yaml.MappingNode {
		return ""
	}
	for _, s := range []string{"architecture", "problem", "mapping"} {
		if yamlspec.Lookup(n.Content[0], s) != nil {
			return s
		}
	}
	return ""
}

// Sections reports which of the top-level sections Import reads data has.
func Sections(data []byte) []string {
	var n yaml.Node
	if err := yaml.Unmarshal(data, &n); err != nil || len(n.Content) != 1 || n.Content[0].Kind != yaml.MappingNode {
		return nil
	}
	var out []string
	for _, s := range sections {
		if yamlspec.Lookup(n.Content[0], s) != nil {
			out = append(out, s)
		}
	}
	return out
}

// Note is one thing Import could not carry over, or carried over only
// approximately: where it is in the Timeloop input, what it is, and why.
type Note struct {
	Where string `json:"where"`
	What  string `json:"what"`
	Why   string `json:"why"`
}

// Result is an imported design: the nnergy files as text, the values they
// parse to, and the notes on what was left out.
type Result struct {
	// ArchYAML, WorkloadYAML and MappingText are the nnergy files
	// (docs/format/arch.md, workload.md, mapping.md).
	ArchYAML, WorkloadYAML []byte
	MappingText            string
	// Layout is the architecture's chain of Timeloop levels, the ones
	// that keep nothing included, so that ExportMapping and ExportDesign
	// write to the same targets; nil without an architecture.
	Layout *Layout
	// ConstraintsYAML is the architecture's and mapspace's constraints
	// as an nnergy constraints file (docs/format/constraints.md), where it
	// can say them; nil when there are none.
	ConstraintsYAML []byte
	Spec            *arch.Spec
	Network         *workload.Network
	// Mapping is the mapping of the network's one layer; nil when the
	// inputs hold no mapping.
	Mapping *mapping.Mapping
	// Files lists the inputs read; Skipped those of a directory that hold
	// no section Import reads.
	Files, Skipped []string
	Notes          []Note
}

// sections are the top-level keys a file must have one of to be read when
// it comes from a directory.
var sections = []string{"architecture", "problem", "mapping", "ERT", "ART", "variables"}

// ReadPaths reads the named files; a directory stands for its *.yaml
// files, of which those that hold none of the sections Import reads
// (architecture, problem, mapping, ERT, ART) are returned in skipped.
func ReadPaths(paths []string) (in []Input, skipped []string, err error) {
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, nil, fmt.Errorf("timeloop: %w", err)
		}
		if !st.IsDir() {
			data, err := yamlspec.ReadFile(p)
			if err != nil {
				return nil, nil, fmt.Errorf("timeloop: %w", err)
			}
			in = append(in, Input{Name: p, Data: data})
			continue
		}
		names, err := filepath.Glob(filepath.Join(p, "*.yaml"))
		if err != nil {
			return nil, nil, fmt.Errorf("timeloop: %w", err)
		}
		sort.Strings(names)
		for _, n := range names {
			data, err := yamlspec.ReadFile(n)
			if err != nil {
				return nil, nil, fmt.Errorf("timeloop: %w", err)
			}
			if !hasSection(data) {
				skipped = append(skipped, n)
				continue
			}
			in = append(in, Input{Name: n, Data: data})
		}
	}
	if len(in) == 0 {
		return nil, skipped, errors.New("timeloop: no Timeloop input among " + strings.Join(paths, ", "))
	}
	return in, skipped, nil
}

// hasSection reports whether data is a YAML mapping with one of the
// top-level keys Import reads. Unparsable data counts as having one, so
// that Import reports its syntax error.
func hasSection(data []byte) bool {
	var n yaml.Node
	if err := yaml.Unmarshal(data, &n); err != nil || len(n.Content) != 1 {
		return true
	}
	m := n.Content[0]
	if m.Kind != yaml.MappingNode {
		return true
	}
	for i := 0; i < len(m.Content); i += 2 {
		if slices.Contains(sections, m.Content[i].Value) {
			return true
		}
	}
	return false
}

// file is one decoded input.
type file struct {
	name string
	doc  *yamlspec.Doc
	f    fileYAML
}

// only drops every section of f but those named (its yaml keys).
func (f *file) only(keep []string) {
	v := reflect.ValueOf(&f.f).Elem()
	t := v.Type()
	for i := range t.NumField() {
		tag, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if !slices.Contains(keep, tag) {
			v.Field(i).SetZero()
		}
	}
}

// importer gathers the errors of all files and the notes.
type importer struct {
	errs  yamlspec.ErrorList
	notes []Note
}

func (im *importer) errAt(file string, n *yaml.Node, path, format string, args ...any) {
	p := yamlspec.Pos{File: file}
	if n != nil {
		p.Line, p.Col = n.Line, n.Column
	}
	im.errs.Add(p, path, fmt.Sprintf(format, args...))
}

func (im *importer) errPath(f *file, path, format string, args ...any) {
	f.doc.Errorf(path, format, args...)
}

func (im *importer) note(where, what, why string) {
	im.notes = append(im.notes, Note{Where: where, What: what, Why: why})
}

func where(file string, n *yaml.Node) string {
	if n == nil {
		return file
	}
	return fmt.Sprintf("%s:%d:%d", file, n.Line, n.Column)
}

// Import reads Timeloop inputs — together exactly one architecture, one
// problem and one ERT, at most one ART and at most one non-empty mapping —
// and returns the equivalent nnergy design. Every problem of every file is
// reported at once, positioned in its Timeloop file.
func Import(inputs []Input) (*Result, error) { return importAll(inputs, true) }

// ImportSome is Import with every section optional: an architecture
// (which then needs its ERT), a problem, or both, and a mapping only with
// both. The Result's fields of what was not given are nil.
func ImportSome(inputs []Input) (*Result, error) { return importAll(inputs, false) }

func importAll(inputs []Input, strict bool) (*Result, error) {
	im := &importer{}
	var files []*file
	for _, in := range inputs {
		if jinja(im, in) {
			continue
		}
		f := &file{name: in.Name}
		doc, err := yamlspec.Decode(in.Name, in.Data, &f.f)
		f.doc = doc
		if err != nil {
			var el yamlspec.ErrorList
			if errors.As(err, &el) {
				im.errs = append(im.errs, el...)
				continue
			}
			return nil, fmt.Errorf("timeloop: %w", err)
		}
		if len(in.Sections) > 0 {
			f.only(in.Sections)
		}
		files = append(files, f)
	}
	if len(im.errs) > 0 {
		return nil, im.fail(files)
	}
	archF := pick(im, files, "architecture", func(f *file) bool { return f.f.Architecture != nil }, strict)
	probF := pick(im, files, "problem", func(f *file) bool { return f.f.Problem != nil }, strict)
	ertF := pick(im, files, "ERT", func(f *file) bool { return f.f.ERT != nil }, strict || archF != nil)
	artF := pick(im, files, "ART", func(f *file) bool { return f.f.ART != nil }, false)
	mapF := pick(im, files, "mapping", func(f *file) bool { return f.f.Mapping != nil && len(*f.f.Mapping) > 0 }, false)
	if mapF != nil && (archF == nil || probF == nil) {
		im.errPath(mapF, "mapping", "a mapping needs the Timeloop architecture and problem it maps (its targets and factors name them)")
	}
	if archF == nil && probF == nil && !strict {
		im.errs.Add(yamlspec.Pos{}, "", "timeloop: no architecture or problem section in "+strings.Join(fileNames(files), ", "))
	}
	if (archF != nil) != (ertF != nil) || strict && (archF == nil || probF == nil) || len(im.errs) > 0 {
		return nil, im.fail(files)
	}
	for _, f := range files {
		im.unread(f)
	}
	var vars []*file
	for _, f := range files {
		if f.f.Variables != nil {
			vars = append(vars, f)
		}
	}
	var d *design
	var p *problem
	if archF != nil {
		d = im.design(archF, ertF, artF, vars)
		for _, f := range files {
			d.cons = append(d.cons, im.targets(f, f.f.MapspaceConstraints, "mapspace_constraints")...)
		}
	}
	if probF != nil {
		p = im.problem(probF)
	}
	var cons []byte
	if d != nil && p != nil && d.mac != nil && len(im.errs) == 0 {
		cons = im.constraintsYAML(d, p)
	}
	if err := im.fail(files); err != nil {
		return nil, err
	}
	r := &Result{Notes: im.notes}
	for _, in := range inputs {
		r.Files = append(r.Files, in.Name)
	}
	bits := 0
	if d != nil {
		r.ArchYAML = d.yaml()
		r.ConstraintsYAML = cons
		spec, err := arch.Parse("arch.yaml", r.ArchYAML)
		if err != nil {
			return nil, fmt.Errorf("timeloop: the written architecture does not load: %w", err)
		}
		r.Spec, bits = spec, d.bits
		r.Layout = d.layout()
	}
	if p != nil {
		r.WorkloadYAML = p.yaml(bits)
		net, err := workload.Parse("workload.yaml", r.WorkloadYAML)
		if err != nil {
			return nil, fmt.Errorf("timeloop: the written workload does not load: %w", err)
		}
		r.Network = net
	}
	if mapF != nil {
		text := im.mapping(mapF, d, p)
		if err := im.fail(files); err != nil {
			return nil, err
		}
		m, err := mapping.Parse("mapping.txt", text)
		if err != nil {
			return nil, fmt.Errorf("timeloop: the written mapping does not load: %w", err)
		}
		if err := m.CheckShape(r.Network.Layers[0]); err != nil {
			return nil, fmt.Errorf("timeloop: %s: %w", mapF.name, err)
		}
		r.MappingText, r.Mapping = text, m
	}
	r.Notes = im.notes
	return r, nil
}

func fileNames(files []*file) []string {
	var n []string
	for _, f := range files {
		n = append(n, f.name)
	}
	return n
}

// fail gathers the errors of the importer and of every file's document.
func (im *importer) fail(files []*file) error {
	all := append(yamlspec.ErrorList(nil), im.errs...)
	for _, f := range files {
		all = append(all, f.doc.Errs...)
	}
	all.Sort()
	all.RemoveMultiples()
	if len(all) == 0 {
		return nil
	}
	return all
}

// jinja reports (and records as an error) a Jinja template left
// unexpanded: Timeloop's front end expands them, Import does not.
func jinja(im *importer, in Input) bool {
	found := false
	for i, line := range strings.Split(string(in.Data), "\n") {
		for _, mark := range []string{"{{", "{%"} {
			if c := strings.Index(line, mark); c >= 0 {
				im.errs.Add(yamlspec.Pos{File: in.Name, Line: i + 1, Col: c + 1}, "",
					fmt.Sprintf("unexpanded Jinja template %q: give the file Timeloop's front end writes (parsed-processed-input.yaml)", strings.TrimSpace(line)))
				found = true
				break
			}
		}
	}
	return found
}

// pick returns the one file that has a section, reporting a section given
// twice, or missing when required.
func pick(im *importer, files []*file, section string, has func(*file) bool, required bool) *file {
	var got *file
	for _, f := range files {
		if !has(f) {
			continue
		}
		if got != nil {
			im.errPath(f, section, "given again (first in %s)", got.name)
			continue
		}
		got = f
	}
	if got == nil && required {
		var names []string
		for _, f := range files {
			names = append(names, f.name)
		}
		im.errs.Add(yamlspec.Pos{}, "", fmt.Sprintf("timeloop: no %s section in %s", section, strings.Join(names, ", ")))
	}
	return got
}

// unread notes the sections nnergy does not carry over.
func (im *importer) unread(f *file) {
	for _, s := range []struct {
		n    *yaml.Node
		key  string
		why  string
		keep bool
	}{

		{f.f.CompoundComponents, "compound_components", "Accelergy's component classes: their energies and areas come from the ERT and ART", false},
		{f.f.Components, "components", "Accelergy's component classes: their energies and areas come from the ERT and ART", false},
		{f.f.Mapper, "mapper", "Timeloop's search settings; nnergy's mapper has its own (nnergy map --help)", true},
		{f.f.Mapspace, "mapspace", "Timeloop's mapspace template", true},
		{f.f.Variables, "variables", "expanded by Timeloop's front end already", false},
		{f.f.Globals, "globals", "front-end settings", false},
	} {
		if s.n != nil && s.keep {
			im.note(f.doc.Pos(s.key).String(), s.key, s.why)
		}
	}
}

// level is one Timeloop component in the order of the tree, outermost
// first.
type level struct {
	name      string
	alias     string // of a v0.4 container's level: the container's name
	class     string
	kind      kind
	instances int
	meshX     int
	node      *yaml.Node // the component's name value, for positions
	path      string
	file      string
	// storage
	sizeWords     int64 // 0: unbounded
	bits          int
	block         int
	readBW, wrBW  float64
	read, wr, upd float64 // pJ per word
	leakPJ        float64 // per instance and cycle (the ERT's leak)
	areaUM2       float64
	cluster       int // instances per cluster (1: none)
	macPJ         float64
	keeps         []string
	attrs         *yaml.Node
}

type kind int

const (
	storage kind = iota
	dummy
	compute
)

// Timeloop's model tells a component's kind by a part of its class
// name: a storage class holds one of storageParts, a compute class one of
// computeParts. A class holding "dummy" is a level that keeps nothing
// (Accelergy's dummy_storage).
var (
	storageParts = []string{"DRAM", "SRAM", "regfile", "smartbuffer", "storage", "buffet"}
	computeParts = []string{"mac", "compute"}
)

// classKind returns the kind of a component class, as Timeloop tells it.
func classKind(class string) (kind, bool) {
	has := func(parts []string) bool {
		return slices.ContainsFunc(parts, func(p string) bool { return strings.Contains(class, p) })
	}
	switch {
	case strings.Contains(class, "dummy"):
		return dummy, true
	case has(storageParts):
		return storage, true
	case has(computeParts):
		return compute, true
	}
	return 0, false
}

func classNames() string {
	return "a name holding one of " + strings.Join(storageParts, ", ") + " (storage) or " + strings.Join(computeParts, ", ") + " (compute), as Timeloop's model reads it"
}

// design is the architecture as nnergy levels.
type design struct {
	name     string
	levels   []*level // storage and dummy levels, outermost first
	mac      *level
	cycleS   float64
	bits     int
	archFile string
	// cons are the architecture's and mapspace's constraints.
	cons []*constraint
}

// layout returns the chain of Timeloop levels of d.
func (d *design) layout() *Layout {
	lay := &Layout{MACs: d.mac.instances, MACsX: d.mac.meshX, MACName: d.mac.name}
	n := 0
	for _, l := range d.levels {
		ll := LayoutLevel{Name: l.name, Storage: -1, Instances: l.instances, MeshX: l.meshX}
		if l.kind == storage {
			ll.Storage = n
			n++
		}
		lay.Levels = append(lay.Levels, ll)
	}
	return lay
}

func (d *design) storageLevels() []*level {
	var ls []*level
	for _, l := range d.levels {
		if l.kind == storage {
			ls = append(ls, l)
		}
	}
	return ls
}

func (d *design) find(name string) *level {
	for _, l := range d.levels {
		if l.name == name || l.alias != "" && l.alias == name {
			return l
		}
	}
	return nil
}

// splitName parses "DRAM[1..1]" into DRAM and 1 instance.
func splitName(s string) (string, int, bool) {
	i := strings.IndexByte(s, '[')
	if i < 0 {
		return s, 1, true
	}
	lo, hi, ok := strings.Cut(strings.TrimSuffix(s[i+1:], "]"), "..")
	a, err1 := strconv.Atoi(lo)
	b, err2 := strconv.Atoi(hi)
	if !ok || err1 != nil || err2 != nil || b < a || !strings.HasSuffix(s, "]") {
		return s, 0, false
	}
	return s[:i], b - a + 1, true
}

// num reads a numeric attribute; required ones that are missing or not
// numbers are errors.
func (im *importer) num(l *level, keys []string, required bool) (float64, bool) {
	for _, k := range keys {
		v := yamlspec.Lookup(l.attrs, k)
		if v == nil || v.Tag == "!!null" {
			continue
		}
		x, err := strconv.ParseFloat(v.Value, 64)
		if err != nil || math.IsInf(x, 0) || math.IsNaN(x) {
			im.errAt(l.file, v, l.path+".attributes."+k, "want a number, got %q", v.Value)
			return 0, false
		}
		return x, true
	}
	if required {
		at := l.node
		if l.attrs != nil {
			at = l.attrs
		}
		im.errAt(l.file, at, l.path+".attributes", "missing attribute %s of %s (class %s)", keys[0], l.name, l.class)
	}
	return 0, false
}

func (im *importer) integer(l *level, keys []string, required bool) (int, bool) {
	x, ok := im.num(l, keys, required)
	if !ok {
		return 0, false
	}
	if x != math.Trunc(x) || x < 0 || x > 1<<32 {
		im.errAt(l.file, yamlspec.Lookup(l.attrs, keys[0]), l.path+".attributes."+keys[0], "want a whole number, got %v", x)
		return 0, false
	}
	return int(x), true
}

// design reads the architecture with its ERT and ART.
func (im *importer) design(af, ef, rf *file, vars []*file) *design {
	a := af.f.Architecture
	d := &design{archFile: af.name}
	switch {
	case a.Nodes != nil && len(a.Subtree) > 0:
		im.errPath(af, "architecture.nodes", "both nodes (v0.4) and subtree (v0.3): give one")
		return d
	case a.Nodes != nil:
		im.tree(af, d, vars)
	case len(a.Subtree) == 0:
		im.errPath(af, "architecture", "no subtree (v0.3) or nodes (v0.4)")
		return d
	}
	var walk func(st []subtreeYAML, path string)
	walk = func(st []subtreeYAML, path string) {
		for i := range st {
			s := &st[i]
			p := yamlspec.Index(path+".subtree", i)
			if d.name == "" {
				d.name = s.Name
			}
			if v := yamlspec.Lookup(s.Attributes, "global_cycle_seconds"); v != nil && d.cycleS == 0 {
				x, err := strconv.ParseFloat(v.Value, 64)
				if err != nil || x <= 0 {
					im.errAt(af.name, v, p+".attributes.global_cycle_seconds", "want a positive number of seconds, got %q", v.Value)
				}
				d.cycleS = x
			}
			for j := range s.Local {
				c := &s.Local[j]
				lp := yamlspec.Index(p+".local", j)
				im.component(af, d, c, lp, nil)
			}
			walk(s.Subtree, p)
		}
	}
	walk(a.Subtree, "architecture")
	d.cons = append(d.cons, im.targets(af, af.f.ArchitectureConstraints, "architecture_constraints")...)
	if d.cycleS == 0 && a.Nodes == nil {
		im.errPath(af, "architecture.subtree[0].attributes", "missing attribute global_cycle_seconds (the clock period)")
	}
	st := d.storageLevels()
	if len(st) == 0 || d.mac == nil {
		im.errPath(af, "architecture", "needs at least one storage component and one compute component")
		return d
	}
	if len(im.errs) > 0 || len(af.doc.Errs) > 0 {
		return d
	}
	for i, l := range st[1:] {
		up := st[i]
		if l.meshX%up.meshX != 0 || (l.instances/l.meshX)%(up.instances/up.meshX) != 0 {
			im.errAt(af.name, l.node, l.path, "%s: its %d×%d instances are not a whole mesh under the %d×%d of %s", l.name, l.meshX, l.instances/l.meshX, up.meshX, up.instances/up.meshX, up.name)
		}
	}
	if m, last := d.mac, st[len(st)-1]; m.meshX%last.meshX != 0 || (m.instances/m.meshX)%(last.instances/last.meshX) != 0 {
		im.errAt(af.name, m.node, m.path, "%s: its %d×%d instances are not a whole mesh under the %d×%d of %s", m.name, m.meshX, m.instances/m.meshX, last.meshX, last.instances/last.meshX, last.name)
	}
	if len(im.errs) > 0 {
		return d
	}
	d.bits = st[0].bits
	im.energies(ef, d)
	if rf != nil {
		im.areas(rf, d)
	} else {
		im.note("", "areas", "no ART given: the levels have no area")
	}
	im.keeps(af, d)
	return d
}

// placement is where a v0.4 component sits: its node's name and class
// values (for positions), its instances and its instances along X, which
// the containers above it give.
type placement struct {
	name, class      *yaml.Node
	instances, meshX int
}

// component reads one component: of the v0.3 tree (at nil, its instances
// in its name NAME[1..N] and meshX an attribute) or of the v0.4 tree.
func (im *importer) component(af *file, d *design, c *componentYAML, path string, at *placement) {
	base, n, ok := splitName(c.Name)
	nameNode, classNode := nodeAt(af, path+".name"), nodeAt(af, path+".class")
	if at != nil {
		nameNode, classNode, n = at.name, at.class, at.instances
		ok = !strings.ContainsAny(c.Name, "[]")
	}
	if !ok {
		im.errAt(af.name, nameNode, path+".name", "bad component name %q (want NAME or NAME[1..N])", c.Name)
		return
	}
	class := c.Class // class storage with a subclass is storage whatever the subclass
	k, known := classKind(class)
	if !known {
		im.errAt(af.name, classNode, path+".class", "unknown class %q of %s (want one of %s)", class, base, classNames())
		return
	}
	if c.Enabled != nil && !*c.Enabled {
		im.note(where(af.name, nameNode), base, "disabled (enabled: false): left out")
		return
	}
	l := &level{name: base, class: class, kind: k, instances: n, node: nameNode, path: path, file: af.name, attrs: c.Attributes}
	if at != nil {
		l.meshX = at.meshX
	} else if mx, ok := im.integer(l, []string{"meshX"}, false); ok && mx > 0 {
		l.meshX = mx
	} else {
		l.meshX = 1
	}
	if n%l.meshX != 0 {
		im.errAt(af.name, yamlspec.Lookup(l.attrs, "meshX"), path+".attributes.meshX", "%s: %d instances do not divide into meshX %d", base, n, l.meshX)
	}
	switch k {
	case compute:
		if d.mac != nil {
			im.errAt(af.name, nameNode, path, "a second compute component (first %s): nnergy has one kind of MAC", d.mac.name)
			return
		}
		d.mac = l
		return
	case dummy:
		d.levels = append(d.levels, l)
		return
	}
	w, okW := im.integer(l, []string{"width", "block_size_bits"}, true)
	dw, okD := im.integer(l, []string{"datawidth", "word_bits", "word-bits"}, true)
	if !okW || !okD {
		return
	}
	if dw == 0 || w < dw || w%dw != 0 {
		im.errAt(af.name, yamlspec.Lookup(l.attrs, "width"), path+".attributes.width", "%s: width %d is not a multiple of datawidth %d", base, w, dw)
		return
	}
	if dw > 64 {
		im.errAt(af.name, yamlspec.Lookup(l.attrs, "datawidth"), path+".attributes.datawidth", "%s: datawidth %d is over 64 bits", base, dw)
		return
	}
	l.bits, l.cluster = dw, 1
	if c, ok := im.integer(l, []string{"cluster_size"}, false); ok && c > 1 {
		cp := path + ".attributes.cluster_size"
		switch {
		case (w/dw)%c != 0:
			im.errAt(af.name, yamlspec.Lookup(l.attrs, "cluster_size"), cp, "%s: cluster_size %d does not divide the %d words of width %d", base, c, w/dw, w)
			return
		case n%c != 0:
			im.errAt(af.name, yamlspec.Lookup(l.attrs, "cluster_size"), cp, "%s: cluster_size %d does not divide its %d instances", base, c, n)
			return
		}
		l.cluster = c
	}
	// Timeloop's block size: the words of one access of an instance, the
	// width shared by the instances of a cluster.
	l.block = w / dw / l.cluster
	if !strings.Contains(class, "DRAM") {
		depth, ok := im.integer(l, []string{"depth"}, true)
		if !ok {
			return
		}
		l.sizeWords = int64(depth) * int64(l.block)
	}
	l.readBW, _ = im.num(l, []string{"read_bandwidth"}, false)
	l.wrBW, _ = im.num(l, []string{"write_bandwidth"}, false)
	for _, a := range []struct {
		key  string
		want float64
		why  string
	}{
		{"multiple_buffering", 1, "nnergy does not model multiple buffering"},
		{"min_utilization", 0, "nnergy has no minimum utilization"},
	} {
		if v, ok := im.num(l, []string{a.key}, false); ok && v != a.want {
			im.note(where(af.name, yamlspec.Lookup(l.attrs, a.key)), fmt.Sprintf("%s %s %v", base, a.key, v), a.why)
		}
	}
	d.levels = append(d.levels, l)
}

// nodeAt returns a node with the position of a decoded key path.
func nodeAt(f *file, path string) *yaml.Node {
	p := f.doc.Pos(path)
	return &yaml.Node{Line: p.Line, Column: p.Col}
}

// tableName maps an ERT or ART table name to its component:
// "system_top_level.DRAM[1..1]" is DRAM.
func tableName(s string) string {
	if i := strings.LastIndexByte(s, '.'); i >= 0 && !strings.Contains(s[i:], "]") {
		s = s[i+1:]
	} else if i := strings.LastIndex(s, "]."); i >= 0 {
		s = s[i+2:]
	} else if i := strings.LastIndexByte(s[:max(strings.IndexByte(s, '['), 0)], '.'); i >= 0 {
		s = s[i+1:]
	}
	b, _, _ := splitName(s)
	return b
}

func (im *importer) energies(ef *file, d *design) {
	tables := map[string]*ertTableYAML{}
	for i := range ef.f.ERT.Tables {
		t := &ef.f.ERT.Tables[i]
		tables[tableName(t.Name)] = t
	}
	action := func(l *level, t *ertTableYAML, names ...string) (float64, bool) {
		for _, n := range names {
			for _, a := range t.Actions {
				if a.Name == n {
					return a.Energy, true
				}
			}
		}
		return 0, false
	}
	all := append(slices.Clone(d.storageLevels()), d.mac)
	for _, l := range all {
		t := tables[l.name]
		if t == nil {
			im.errPath(ef, "ERT.tables", "no table for %s", l.name)
			continue
		}
		l.leakPJ, _ = action(l, t, "leak")
		if l.kind == compute {
			e, ok := action(l, t, "compute", "mac_random", "mac")
			if !ok {
				im.errPath(ef, "ERT.tables", "%s: no compute action", t.Name)
			}
			l.macPJ = e
			continue
		}
		r, okR := action(l, t, "read")
		w, okW := action(l, t, "write")
		u, okU := action(l, t, "update")
		if !okR || !okW {
			im.errPath(ef, "ERT.tables", "%s: needs the actions read and write", t.Name)
			continue
		}
		if !okU {
			u = w
			im.note(ef.name, l.name+" update", "no update action in the ERT: charged as a write")
		}
		b := float64(l.block)
		l.read, l.wr, l.upd = r/b, w/b, u/b
	}
}

func (im *importer) areas(rf *file, d *design) {
	byName := map[string]float64{}
	for _, t := range rf.f.ART.Tables {
		byName[tableName(t.Name)] = t.Area
	}
	for _, l := range append(slices.Clone(d.storageLevels()), d.mac) {
		a, ok := byName[l.name]
		if !ok {
			im.errPath(rf, "ART.tables", "no table for %s", l.name)
			continue
		}
		l.areaUM2 = a
	}
}

// keeps takes each storage level's tensors from the architecture
// constraints' keep lists; without one the level may keep every tensor.
func (im *importer) keeps(af *file, d *design) {
	n := af.f.ArchitectureConstraints
	if n == nil {
		return
	}
	targets := yamlspec.Lookup(n, "targets")
	if targets == nil || targets.Kind != yaml.SequenceNode {
		return
	}
	for _, t := range targets.Content {
		typ, tgt, keep := yamlspec.Lookup(t, "type"), yamlspec.Lookup(t, "target"), yamlspec.Lookup(t, "keep")
		if typ == nil || typ.Value != "bypass" || tgt == nil || keep == nil {
			continue
		}
		l := d.find(tgt.Value)
		if l == nil {
			im.errAt(af.name, tgt, "architecture_constraints.targets", "unknown target %q", tgt.Value)
			continue
		}
		var ks []string
		for _, k := range keep.Content {
			ks = append(ks, k.Value)
		}
		l.keeps = ks
	}
}

func num(v float64) string { return strconv.FormatFloat(v, 'g', 12, 64) }

// yaml writes the design in nnergy's architecture format.
func (d *design) yaml() []byte {
	var b bytes.Buffer
	st := d.storageLevels()
	fmt.Fprintf(&b, "# Imported from Timeloop (%s) by nnergy import timeloop.\n", d.archFile)
	b.WriteString("# Energies are per word: the ERT's vector access energy / block size.\n")
	fmt.Fprintf(&b, "version: 1\nname: %s\n", strconv.Quote(d.name))
	fmt.Fprintf(&b, "clock_mhz: %s\nword_bits: %d\n", num(1e-6/d.cycleS), d.bits)
	b.WriteString("gate_unused: true  # Timeloop charges leakage to the utilized instances only\n")
	b.WriteString("conventions: timeloop  # count as Timeloop does (docs/format/arch.md, counting conventions)\n")
	fmt.Fprintf(&b, "data_bits: {Weights: %d, Inputs: %d, Outputs: %d}\nlevels:\n", d.bits, d.bits, d.bits)
	parentX, parentY := 1, 1
	for i, l := range st {
		fmt.Fprintf(&b, "  - name: %s\n", l.name)
		if len(l.keeps) > 0 && i > 0 {
			fmt.Fprintf(&b, "    keeps: [%s]\n", strings.Join(l.keeps, ", "))
		}
		if l.sizeWords > 0 {
			fmt.Fprintf(&b, "    size_words: %d  # depth x block size %d\n", l.sizeWords, l.block)
		}
		x, y := l.meshX, l.instances/l.meshX
		if i > 0 && (x != parentX || y != parentY) {
			fmt.Fprintf(&b, "    mesh: [%d, %d]\n", x/parentX, y/parentY)
			b.WriteString("    network: {multicast: true, reduction: true}\n")
		}
		parentX, parentY = x, y
		if l.bits != d.bits {
			// Timeloop holds every value at a level in one word of its
			// datawidth.
			fmt.Fprintf(&b, "    word_bits: %d\n", l.bits)
			var db []string
			for _, t := range workload.Tensors {
				if len(l.keeps) == 0 || slices.Contains(l.keeps, t.String()) {
					db = append(db, fmt.Sprintf("%s: %d", t, l.bits))
				}
			}
			fmt.Fprintf(&b, "    data_bits: {%s}  # Timeloop's datawidth\n", strings.Join(db, ", "))
		}
		if l.cluster > 1 {
			fmt.Fprintf(&b, "    cluster_size: %d  # energies are of one access of the cluster's %d-bit array\n", l.cluster, l.bits*l.block*l.cluster)
		}
		fmt.Fprintf(&b, "    energy: {read_pj: %s, write_pj: %s, update_pj: %s}\n", num(l.read), num(l.wr), num(l.upd))
		if l.readBW > 0 {
			fmt.Fprintf(&b, "    read_bandwidth_words: %s\n", num(l.readBW))
		}
		if l.wrBW > 0 {
			fmt.Fprintf(&b, "    write_bandwidth_words: %s\n", num(l.wrBW))
		}
		fmt.Fprintf(&b, "    area_um2: %s\n    leakage_pj_per_cycle: %s  # the ERT's leak\n", num(l.areaUM2), num(l.leakPJ))
	}
	m := d.mac
	fmt.Fprintf(&b, "compute:\n  mac_pj: %s\n  bits: %d\n  area_um2: %s\n  leakage_pj_per_cycle: %s\n", num(m.macPJ), d.bits, num(m.areaUM2), num(m.leakPJ))
	if last := st[len(st)-1]; m.meshX != last.meshX || m.instances != last.instances {
		fmt.Fprintf(&b, "  mesh: [%d, %d]\n", m.meshX/last.meshX, (m.instances/m.meshX)/(last.instances/last.meshX))
	}
	return b.Bytes()
}

// WriteReport writes what was imported and what was not, one note a line.
func (r *Result) WriteReport(w io.Writer) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "Imported from Timeloop: %s\n", strings.Join(r.Files, ", "))
	for _, s := range r.Skipped {
		fmt.Fprintf(&b, "skipped %s: none of the sections %s\n", s, strings.Join(sections, ", "))
	}
	if r.Mapping == nil && r.Spec != nil && r.Network != nil {
		b.WriteString("no mapping given: none written\n")
	}
	fmt.Fprintf(&b, "\nNot carried over, or carried over approximately (%d):\n", len(r.Notes))
	for _, n := range r.Notes {
		at := n.Where
		if at == "" {
			at = "-"
		}
		fmt.Fprintf(&b, "  %s: %s: %s\n", at, n.What, n.Why)
	}
	_, err := w.Write(b.Bytes())
	return err
}
