package sweep

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/dataflow"
	"github.com/nnergy/nnergy/internal/enum"
	"github.com/nnergy/nnergy/internal/yamlspec"
	"github.com/nnergy/nnergy/mapper"
	"github.com/nnergy/nnergy/workload"
	"github.com/nnergy/nnergy/workload/load"
	"github.com/nnergy/nnergy/workload/zoo"
)

// Limits of a sweep.
const (
	// MaxCombinations bounds the product of the axes' lengths.
	MaxCombinations = 1_000_000
	// maxRange bounds the values of one range.
	maxRange = 100_000
)

// Default mapper settings (docs/format/sweep.md).
const (
	DefaultMaxEvaluations = 200000
	DefaultSeed           = 1
	DefaultWorkers        = 1
	DefaultShardSeed      = 1
)

// Method is how a point maps each layer.
type Method uint8

// The methods.
const (
	// Search searches each unique layer's mapspace with package mapper,
	// within the dataflow's constraints (the whole space for best).
	Search Method = iota
	// Builder builds each layer's mapping with the dataflow's
	// deterministic builder.
	Builder
)

var methodNames = enum.New[Method]("sweep", "mapping method", "search", "builder")

func (m Method) String() string { return methodNames.String(m) }

// DataflowBest names a search of the whole mapspace, without a dataflow's
// constraints.
const DataflowBest = "best"

// Mapper is how a point maps its layers.
type Mapper struct {
	Method Method
	// Dataflow constrains the search or chooses the builder; nil is best
	// (a search of the whole mapspace).
	Dataflow *dataflow.Dataflow
	// Search holds the objective, algorithm, budget, seed and workers of
	// each layer's search (Search only; Builder uses none of them).
	Search mapper.Settings
}

// DataflowName returns the dataflow's name, or best.
func (m *Mapper) DataflowName() string {
	if m.Dataflow == nil {
		return DataflowBest
	}
	return m.Dataflow.String()
}

// Sweep is a parsed, validated and expanded sweep: the design points in
// their deterministic order and the workloads every point runs.
type Sweep struct {
	Name        string
	Description string
	// File is the sweep file as named to Parse.
	File string
	// ArchRef is the base architecture as the file names it; Arch is it
	// built.
	ArchRef string
	Arch    *arch.Spec
	// Params lists every parameter, the members of a zip in order, and
	// Derived every derived value; a point's Values follow this order.
	Params      []Param
	Derived     []Derived
	Constraints []string
	// Workloads are every network at every batch, networks outermost.
	Workloads []Workload
	// Mapper is the settings before a point's mapper parameters apply.
	Mapper    Mapper
	ShardSeed uint64
	// Combinations is the product of the axes' lengths; Excluded counts
	// those the constraints leave out, and Points holds the others.
	Combinations int
	Excluded     int
	Points       []Point
	// Area is the area budget and the level that fills it (zero: none).
	Area AreaBudget

	archFile string
	archYAML []byte
}

// Param is one parameter.
type Param struct {
	// Name is what expressions, labels and columns call it (default: Key).
	Name string
	// Key is what it sets (docs/format/sweep.md, "Keys"); "" for a
	// variable, which only expressions and labels use.
	Key    string
	Values []Value
	// Axis is the index of the parameter's entry under parameters: the
	// members of a zip share it.
	Axis   int
	target target
	kind   kind
	// numeric: every value is a number, usable in expressions.
	numeric bool
}

// Derived is a value computed from the parameters.
type Derived struct {
	Name, Key, Expr string
	target          target
	kind            kind
	e               expr
}

// Workload is one network at one batch.
type Workload struct {
	// Model is the network as the file names it.
	Model   string
	Batch   int
	Network *workload.Network
}

// Point is one design point: a value of every parameter, and the derived
// values they give.
type Point struct {
	// Index is the point's place in the expansion order.
	Index int
	// ID is stable: it depends on the parameters' names and values only
	// (the first 12 hex digits of SHA-256 over the lines name=value, sorted).
	ID string
	// Values holds a value per Param, then a value per Derived. Derived
	// values of a point whose Reason is set may be missing.
	Values []Value
	// Reason says why the point is invalid before its architecture is
	// built (a derived value that cannot be computed); "" otherwise.
	Reason string
}

var nameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.]*$`)

// Load reads and parses the sweep file at path.
func Load(path string) (*Sweep, error) {
	data, err := yamlspec.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("sweep: %w", err)
	}
	return Parse(path, data)
}

// Parse reads a sweep from YAML (docs/format/sweep.md). file names the
// input in errors, and paths in it (the architecture, networks) are
// relative to file's directory. It decodes strictly, validates the whole
// file (loading the base architecture and every network at every batch)
// and expands the design points. The error, if any, is a
// yamlspec.ErrorList with every problem of the first step that failed.
func Parse(file string, data []byte) (*Sweep, error) {
	return parse(file, data, false)
}

// ParseNoFiles reads a sweep as Parse does, but one that names a file is an
// error: its base architecture must be a preset and its networks zoo
// names. Nothing it does reaches the file system, so it reads sweeps that
// come from the network (the HTTP API); name names the input in errors.
func ParseNoFiles(name string, data []byte) (*Sweep, error) {
	return parse(name, data, true)
}

func parse(file string, data []byte, noFiles bool) (*Sweep, error) {
	var f fileYAML
	doc, err := yamlspec.Decode(file, data, &f)
	if err != nil {
		return nil, err
	}
	v := &validator{d: doc, dir: filepath.Dir(file), noFiles: noFiles, s: &Sweep{File: file, Name: f.Name, Description: f.Description, ArchRef: f.Arch}}
	v.validate(&f)
	if err := doc.Err(); err != nil {
		return nil, err
	}
	if err := v.s.expand(); err != nil {
		return nil, err
	}
	return v.s, nil
}

type validator struct {
	d   *yamlspec.Doc
	dir string
	// noFiles refuses references to files (ParseNoFiles).
	noFiles bool
	s       *Sweep
	// names maps parameter and derived names to their slot and path.
	names map[string]nameInfo
	// keys maps each key set to the path that sets it.
	keys map[string]string
	set  []keySet
}

// nameInfo is a name's slot in the environment of expressions (-1 while
// its parameter is checked), where it is defined, and whether it is a
// number.
type nameInfo struct {
	slot    int
	path    string
	numeric bool
}

type keySet struct {
	t    target
	path string
	key  string
}

func (v *validator) validate(f *fileYAML) {
	d := v.d
	d.CheckVersion(f.Version, FormatVersion)
	if f.Name == "" {
		d.Errorf("name", "required")
	}
	v.arch(f.Arch)
	v.mapper(f.Mapper)
	v.workloads(f.Networks, f.Batches)
	v.s.ShardSeed = DefaultShardSeed
	if f.ShardSeed != nil {
		if *f.ShardSeed < 0 {
			d.Errorf("shard_seed", "must not be negative, got %d", *f.ShardSeed)
		}
		v.s.ShardSeed = uint64(*f.ShardSeed)
	}
	v.names = map[string]nameInfo{}
	v.keys = map[string]string{}
	var levels []string
	if v.s.Arch != nil {
		for _, l := range v.s.Arch.Levels {
			levels = append(levels, l.Name)
		}
	}
	for i := range f.Parameters {
		v.axis(&f.Parameters[i], i, levels)
	}
	for i := range f.Derived {
		v.derived(&f.Derived[i], i, levels)
	}
	for i, c := range f.Constraints {
		p := yamlspec.Index("constraints", i)
		if _, err := compile(c, true, v.scope(len(v.s.Params)+len(v.s.Derived))); err != nil {
			d.Errorf(p, "%s: %v", strconv.Quote(c), err)
		}
		v.s.Constraints = append(v.s.Constraints, c)
	}
	v.area(f.Area, levels)
	v.overlaps()
	combos := 1
	for _, n := range v.axisLengths() {
		if combos > MaxCombinations/max(n, 1) {
			d.Errorf("parameters", "more than %d combinations", MaxCombinations)
			return
		}
		combos *= n
	}
	v.s.Combinations = combos
}

// arch loads the base architecture: a preset, or a file relative to the
// sweep file.
func (v *validator) arch(ref string) {
	d := v.d
	if ref == "" {
		d.Errorf("arch", "required: a preset (%s) or an architecture file", strings.Join(arch.Presets(), ", "))
		return
	}
	var data []byte
	var err error
	file := ref
	if slices.Contains(arch.Presets(), ref) {
		data, err = arch.PresetYAML(ref)
		file = presetFile(ref)
	} else if v.noFiles {
		d.Errorf("arch", "%q is not a preset (%s); a sweep sent over the network names no files", ref, strings.Join(arch.Presets(), ", "))
		return
	} else {
		file = v.path(ref)
		data, err = yamlspec.ReadFile(file)
		if err != nil {
			d.Errorf("arch", "not a preset (%s) and not a readable file: %v", strings.Join(arch.Presets(), ", "), err)
			return
		}
	}
	if err != nil {
		d.Errorf("arch", "%v", err)
		return
	}
	spec, err := arch.Parse(file, data)
	if err != nil {
		d.Errorf("arch", "the base architecture is not valid: %s", errorText(err))
		return
	}
	if slices.Contains(arch.Presets(), ref) {
		spec.Source = "preset " + ref
	}
	v.s.Arch, v.s.archFile, v.s.archYAML = spec, file, data
}

// presetFile names a preset's file in errors the way arch.Preset does.
func presetFile(name string) string { return filepath.Join("presets", name+".yaml") }

// path resolves a path of the sweep file against its directory.
func (v *validator) path(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(v.dir, p)
}

// errorText joins every error of a list as "path: message" (positions in
// generated files help no one), or returns the error's text.
func errorText(err error) string {
	var list yamlspec.ErrorList
	if !errors.As(err, &list) {
		return strings.TrimPrefix(err.Error(), "arch: ")
	}
	msgs := make([]string, len(list))
	for i, e := range list {
		msgs[i] = e.Msg
		if e.Path != "" {
			msgs[i] = e.Path + ": " + e.Msg
		}
	}
	return strings.Join(msgs, "; ")
}

func (v *validator) mapper(m *mapperYAML) {
	d := v.d
	s := &v.s.Mapper
	s.Search = mapper.Settings{Objective: mapper.Objective{mapper.Energy}, Algorithm: "auto",
		MaxEvaluations: DefaultMaxEvaluations, Seed: DefaultSeed, Workers: DefaultWorkers}
	if m == nil {
		return
	}
	if m.Method != "" {
		if msg := setMapper(s, "method", m.Method); msg != "" {
			d.Errorf("mapper.method", "%s", msg)
		}
	}
	if m.Dataflow != "" {
		if msg := setMapper(s, "dataflow", m.Dataflow); msg != "" {
			d.Errorf("mapper.dataflow", "%s", msg)
		}
	}
	if s.Method == Builder && s.Dataflow == nil && m.Dataflow != "" {
		d.Errorf("mapper.dataflow", "the builder needs a dataflow (%s), not best", dataflow.Choices())
	}
	if m.Objective != "" {
		if msg := setMapper(s, "objective", m.Objective); msg != "" {
			d.Errorf("mapper.objective", "%s", msg)
		}
	}
	switch m.Algorithm {
	case "":
	case "auto", "exhaustive", "random", "bnb":
		s.Search.Algorithm = m.Algorithm
	default:
		d.Errorf("mapper.algorithm", "unknown algorithm %q (want auto, exhaustive, random or bnb)", m.Algorithm)
	}
	if m.MaxEvaluations != nil {
		if *m.MaxEvaluations < 1 {
			d.Errorf("mapper.max_evaluations", "must be at least 1, got %d", *m.MaxEvaluations)
		}
		s.Search.MaxEvaluations = *m.MaxEvaluations
	}
	if m.Victory != nil {
		if *m.Victory < 0 {
			d.Errorf("mapper.victory", "must not be negative, got %d", *m.Victory)
		}
		s.Search.Victory = *m.Victory
	}
	if m.Seed != nil {
		if *m.Seed < 0 {
			d.Errorf("mapper.seed", "must not be negative, got %d", *m.Seed)
		}
		s.Search.Seed = uint64(*m.Seed)
	}
	if m.Workers != nil {
		if *m.Workers < 1 {
			d.Errorf("mapper.workers", "must be at least 1, got %d", *m.Workers)
		}
		s.Search.Workers = *m.Workers
	}
}

// setMapper applies the mapper setting name (a mapper key) given as text,
// or returns what is wrong with it.
func setMapper(m *Mapper, name, text string) string {
	switch name {
	case "method":
		me, err := methodNames.Parse(text)
		if err != nil {
			return strings.TrimPrefix(err.Error(), "sweep: ")
		}
		m.Method = me
	case "dataflow":
		if text == DataflowBest {
			m.Dataflow = nil
			return ""
		}
		df, err := dataflow.ParseDataflow(text)
		if err != nil {
			return fmt.Sprintf("unknown dataflow %q (want %s, or best)", text, dataflow.Choices())
		}
		m.Dataflow = &df
	case "objective":
		o, err := mapper.ParseObjective(text)
		if err != nil {
			return strings.TrimPrefix(err.Error(), "mapper: ")
		}
		m.Search.Objective = o
	case "max_evaluations":
		n, err := strconv.ParseInt(text, 10, 64)
		if err != nil || n < 1 {
			return fmt.Sprintf("want an integer of at least 1, got %q", text)
		}
		m.Search.MaxEvaluations = n
	}
	return ""
}

// modelPath resolves a network of the sweep file: a path (with a
// separator, or a model file suffix) against the file's directory; any
// other name is a zoo name.
func (v *validator) modelPath(m string) string {
	if isModelFile(m) {
		return v.path(m)
	}
	return m
}

// isModelFile reports whether a network of a sweep file names a file
// rather than a zoo network.
func isModelFile(m string) bool {
	return strings.ContainsRune(m, '/') || strings.ContainsRune(m, filepath.Separator) || load.KindOf(m) == load.ONNX || load.KindOf(m) == load.NNW ||
		strings.HasSuffix(m, ".yaml") || strings.HasSuffix(m, ".yml")
}

func (v *validator) workloads(nets []string, batches []int) {
	d := v.d
	if len(nets) == 0 {
		d.Errorf("networks", "required: at least one network (a zoo name, workload YAML or ONNX file)")
	}
	// Without batches, a network runs at batch 1 and an ONNX file at its
	// own batch (0 asks load for it), as on the command line.
	own := batches == nil
	if own {
		batches = []int{1}
	} else if len(batches) == 0 {
		d.Errorf("batches", "empty (leave it out for batch 1, or an ONNX file's own)")
	}
	// The networks load at the valid batches, so that their own problems
	// show with the batches'.
	var good []int
	for i, b := range batches {
		p := yamlspec.Index("batches", i)
		switch {
		case b < 1:
			d.Errorf(p, "must be at least 1, got %d", b)
		case slices.Index(batches, b) < i:
			d.Errorf(p, "batch %d listed twice", b)
		default:
			good = append(good, b)
		}
	}
	seen := map[string]int{}
	for i, m := range nets {
		p := yamlspec.Index("networks", i)
		if j, dup := seen[m]; dup {
			d.Errorf(p, "%s listed twice (also networks[%d])", m, j)
			continue
		}
		seen[m] = i
		if v.noFiles && isModelFile(m) {
			d.Errorf(p, "%q names a file; a sweep sent over the network names zoo networks only (nnergy models lists them)", m)
			continue
		}
		path := v.modelPath(m)
		for k, b := range good {
			if own && !v.noFiles && load.KindOf(path) == load.ONNX {
				b = 0
			}
			net, err := v.network(path, b)
			switch {
			case err != nil && k == 0:
				d.Errorf(p, "%v", err)
			case err != nil:
				d.Errorf(p, "at batch %d: %v", b, err)
			}
			if err != nil {
				break
			}
			if b == 0 {
				b = max(net.Batch, 1)
			}
			v.s.Workloads = append(v.s.Workloads, Workload{Model: m, Batch: b, Network: net})
		}
	}
}

// network loads a network of the sweep at batch b: through package load,
// or from the zoo alone without files.
func (v *validator) network(m string, b int) (*workload.Network, error) {
	if !v.noFiles {
		return load.Network(m, load.Options{Batch: b})
	}
	n, err := zoo.Get(m)
	if err != nil {
		return nil, err
	}
	return n.WithBatch(max(b, 1)), nil
}

// axis validates one entry of parameters: a parameter or a zip.
func (v *validator) axis(a *paramYAML, i int, levels []string) {
	d := v.d
	p := yamlspec.Index("parameters", i)
	if a.Zip == nil {
		n := v.param(a, p, i, levels)
		if n >= 0 {
			prm := &v.s.Params[n]
			for j, x := range prm.Values {
				if k := slices.IndexFunc(prm.Values[:j], func(y Value) bool { return y.Text == x.Text }); k >= 0 {
					d.Errorf(yamlspec.Index(yamlspec.Join(p, "values"), j), "%s listed twice (also value %d)", x.Text, k)
				}
			}
		}
		return
	}
	if a.Name != "" || a.Key != "" || a.Values != nil || a.Range != nil {
		d.Errorf(p, "a zip lists its parameters under zip and has no name, key, values or range of its own")
	}
	if len(a.Zip) == 0 {
		d.Errorf(yamlspec.Join(p, "zip"), "empty: list the parameters varied together")
		return
	}
	first := len(v.s.Params)
	n := -1
	for j := range a.Zip {
		zp := yamlspec.Index(yamlspec.Join(p, "zip"), j)
		if a.Zip[j].Zip != nil {
			d.Errorf(yamlspec.Join(zp, "zip"), "a zip cannot hold a zip")
			continue
		}
		k := v.param(&a.Zip[j], zp, i, levels)
		if k < 0 {
			continue
		}
		if l := len(v.s.Params[k].Values); n < 0 {
			n = l
		} else if l != n {
			d.Errorf(zp, "%d values, but the zip's first parameter has %d: a zip's parameters have one value per point each", l, n)
		}
	}
	// The tuples of a zip are its points: each must differ.
	members := v.s.Params[first:]
	for j := 0; j < n; j++ {
		tuple := func(j int) string {
			var s []string
			for _, m := range members {
				if j < len(m.Values) {
					s = append(s, m.Values[j].Text)
				}
			}
			return strings.Join(s, ", ")
		}
		for k := 0; k < j; k++ {
			if tuple(j) == tuple(k) {
				d.Errorf(yamlspec.Join(p, "zip"), "values %d and %d are the same (%s)", k, j, tuple(j))
			}
		}
	}
}

// param validates one parameter and adds it to the sweep, returning its
// index (-1 when it could not be added).
func (v *validator) param(a *paramYAML, p string, axis int, levels []string) int {
	d := v.d
	prm := Param{Name: a.Name, Key: a.Key, Axis: axis, kind: kindNumber}
	var ok bool
	prm.Name, prm.target, ok = v.nameAndKey(a.Name, a.Key, p, levels, false)
	if prm.target.path != nil || prm.target.mapper != "" {
		prm.kind = prm.target.kind
	}
	variable := a.Key == ""
	switch {
	case a.Values != nil && a.Range != nil:
		d.Errorf(p, "give values or range, not both")
		return -1
	case a.Values == nil && a.Range == nil:
		d.Errorf(p, "needs values (a list) or a range")
		return -1
	case a.Values != nil && len(a.Values) == 0:
		d.Errorf(yamlspec.Join(p, "values"), "empty: give at least one value")
		return -1
	}
	if !ok {
		return -1
	}
	prm.numeric = true
	if a.Range != nil {
		rk := prm.kind
		switch {
		case variable:
			rk = kindNumber
		case prm.target.mapper == "max_evaluations":
			rk = kindInt
		}
		vals, msg := rangeValues(a.Range, rk)
		if msg == "" && prm.kind == kindMapper {
			for _, v := range vals {
				var m Mapper
				if msg = setMapper(&m, prm.target.mapper, v.Text); msg != "" {
					break
				}
			}
		}
		if msg != "" {
			d.Errorf(yamlspec.Join(p, "range"), "%s", msg)
			return -1
		}
		prm.Values = vals
	} else {
		for j := range a.Values {
			vp := yamlspec.Index(yamlspec.Join(p, "values"), j)
			val, msg := nodeValue(&a.Values[j], prm.kind, variable, prm.target.mapper)
			if msg != "" {
				d.Errorf(vp, "%s", msg)
				ok = false
				continue
			}
			prm.numeric = prm.numeric && val.IsNum
			prm.Values = append(prm.Values, val)
		}
		if !ok {
			return -1
		}
	}
	v.names[prm.Name] = nameInfo{slot: len(v.s.Params), path: p, numeric: prm.numeric}
	v.s.Params = append(v.s.Params, prm)
	return len(v.s.Params) - 1
}

// nameAndKey checks the name and key of a parameter or derived value at
// path p: one of them is needed, the name defaults to the key, and a key
// must be one a parameter (or, when number, a number) can set. It claims
// both, and ok is false when either is wrong.
func (v *validator) nameAndKey(name, key, p string, levels []string, number bool) (string, target, bool) {
	d := v.d
	var t target
	ok := true
	if name == "" {
		name = key
	}
	if name == "" {
		d.Errorf(p, "needs a key (what it sets) or a name (a variable for expressions and labels)")
		return "", t, false
	}
	if key != "" {
		kp := yamlspec.Join(p, "key")
		kt, msg := parseKey(key, levels)
		switch {
		case msg != "" && v.s.Arch != nil:
			d.Errorf(kp, "%s", msg)
			ok = false
		case msg != "":
			ok = false // the architecture is invalid: reported already
		case number && !kt.kind.numeric():
			d.Errorf(kp, "%s takes %s; a derived value is a number", key, kt.kind)
			ok = false
		default:
			t = kt
			v.claimKey(t, key, kp)
		}
	}
	ok = v.claimName(name, p, name != key) && ok
	return name, t, ok
}

// claimName reserves a parameter or derived name; given says the file
// spelled it (else it is the key).
func (v *validator) claimName(name, p string, given bool) bool {
	if name == "" {
		return false
	}
	at := yamlspec.Join(p, "key")
	if given {
		at = yamlspec.Join(p, "name")
	}
	if !nameRE.MatchString(name) {
		v.d.Errorf(at, "name %q: want letters, digits, _ and ., starting with a letter or _", name)
		return false
	}
	if _, isFunc := funcs[name]; isFunc {
		v.d.Errorf(at, "name %q is a function of expressions", name)
		return false
	}
	if o, dup := v.names[name]; dup {
		v.d.Errorf(at, "name %q is used twice (also %s)", name, o.path)
		return false
	}
	v.names[name] = nameInfo{slot: -1, path: p}
	return true
}

// claimKey records that path sets key, reporting a key set twice.
func (v *validator) claimKey(t target, key, path string) {
	if o, dup := v.keys[key]; dup {
		v.d.Errorf(path, "%s is set twice (also %s)", key, o)
		return
	}
	v.keys[key] = path
	v.set = append(v.set, keySet{t, path, key})
}

// overlaps reports keys that set the same place, such as a mesh and one
// of its elements.
func (v *validator) overlaps() {
	for i, a := range v.set {
		for _, b := range v.set[:i] {
			if a.key == b.key || a.t.kind == kindMapper || b.t.kind == kindMapper {
				continue
			}
			if a.t.level == b.t.level && slices.Equal(a.t.path, b.t.path) && (a.t.index < 0 || b.t.index < 0) {
				v.d.Errorf(a.path, "%s and %s (%s) set the same value", a.key, b.key, b.path)
			}
		}
	}
}

// scope returns the names an expression may use: the numeric parameters
// and derived values whose slots are below limit (parameters come first,
// then derived values in order, so a derived value sees those before it).
func (v *validator) scope(limit int) scope {
	return func(name string) (int, string) {
		info, ok := v.names[name]
		if !ok || info.slot < 0 || info.slot >= limit {
			var known []string
			for n, i := range v.names {
				if i.slot >= 0 && i.slot < limit && i.numeric {
					known = append(known, n)
				}
			}
			slices.Sort(known)
			if c := yamlspec.Closest(name, known); c != "" {
				return 0, fmt.Sprintf("unknown name %q (did you mean %s?)", name, c)
			}
			if len(known) == 0 {
				return 0, fmt.Sprintf("unknown name %q (no numeric parameters or derived values before it)", name)
			}
			return 0, fmt.Sprintf("unknown name %q (names: %s)", name, strings.Join(known, ", "))
		}
		if !info.numeric {
			return 0, fmt.Sprintf("%s is not a number", name)
		}
		return info.slot, ""
	}
}

func (v *validator) derived(dv *derivedYAML, i int, levels []string) {
	d := v.d
	p := yamlspec.Index("derived", i)
	dr := Derived{Name: dv.Name, Key: dv.Key, Expr: dv.Expr, kind: kindNumber}
	var ok bool
	dr.Name, dr.target, ok = v.nameAndKey(dv.Name, dv.Key, p, levels, true)
	if dr.target.path != nil {
		dr.kind = dr.target.kind
	}
	slot := len(v.s.Params) + len(v.s.Derived)
	if dv.Expr == "" {
		d.Errorf(yamlspec.Join(p, "expr"), "required: the expression that computes it")
		return
	}
	e, err := compile(dv.Expr, false, v.scope(slot))
	if err != nil {
		d.Errorf(yamlspec.Join(p, "expr"), "%s: %v", strconv.Quote(dv.Expr), err)
		return
	}
	if !ok {
		return
	}
	dr.e = e
	v.names[dr.Name] = nameInfo{slot: slot, path: p, numeric: true}
	v.s.Derived = append(v.s.Derived, dr)
}

func (v *validator) axisLengths() []int {
	var out []int
	for _, p := range v.s.Params {
		if p.Axis >= len(out) {
			out = append(out, make([]int, p.Axis+1-len(out))...)
		}
		out[p.Axis] = len(p.Values)
	}
	return out
}
