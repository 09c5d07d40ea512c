package arch

import (
	"fmt"
	"slices"
	"strings"

	"github.com/nnergy/nnergy/arch/tech"
	"github.com/nnergy/nnergy/internal/yamlspec"
	"github.com/nnergy/nnergy/sparse"
	"github.com/nnergy/nnergy/workload"
)

// Parse reads an architecture from YAML (the format of docs/format/arch.md).
// file names the input in error messages and becomes the Spec's Source.
//
// Parsing runs in four steps: strict decoding (unknown keys, duplicate keys
// and values of the wrong type are errors), validation of the whole file,
// defaults, and the build of the Spec, which resolves every energy to pJ.
// The error, if any, is a yamlspec.ErrorList holding every problem found by
// the first step that failed, each positioned as file:line:col with its key
// path.
func Parse(file string, data []byte) (*Spec, error) {
	var f fileYAML
	doc, err := yamlspec.Decode(file, data, &f)
	if err != nil {
		return nil, err
	}
	f.validate(doc)
	if err := doc.Err(); err != nil {
		return nil, err
	}
	setDefaults(&f)
	s := f.build(doc)
	doc.Errs.RemoveMultiples() // an energy class fails once per tensor
	if err := doc.Err(); err != nil {
		return nil, err
	}
	s.Source = file
	if err := s.Validate(); err != nil {
		// validate accepted a file that builds an invalid spec: a bug here.
		return nil, fmt.Errorf("arch: %s: internal error: %w", file, err)
	}
	return s, nil
}

// tensorNames lists the tensor names in canonical order, as YAML spells them.
func tensorNames() []string {
	names := make([]string, workload.NumTensors)
	for _, t := range workload.Tensors {
		names[t] = t.String()
	}
	return names
}

// parseTensor returns the tensor spelled exactly name.
func parseTensor(name string) (workload.Tensor, string, bool) {
	for _, t := range workload.Tensors {
		if t.String() == name {
			return t, "", true
		}
	}
	if c := yamlspec.Closest(name, tensorNames()); c != "" {
		return 0, fmt.Sprintf("unknown tensor %q (did you mean %s?)", name, c), false
	}
	return 0, fmt.Sprintf("unknown tensor %q (want Weights, Inputs or Outputs)", name), false
}

// validate reports every problem of the file as decoded, before defaults.
func (f *fileYAML) validate(d *yamlspec.Doc) {
	d.CheckVersion(f.Version, FormatVersion)
	if f.Name == "" {
		d.Errorf("name", "required")
	}
	switch {
	case f.ClockMHz == nil:
		d.Errorf("clock_mhz", "required")
	default:
		checkRange(d, "clock_mhz", f.ClockMHz, MinClockMHz, MaxClockMHz, "MHz", "arch.MinClockMHz, arch.MaxClockMHz")
	}
	v := validator{d: d, tableGiven: f.Tech != ""}
	if f.Tech != "" {
		t, err := tech.Lookup(f.Tech)
		if err != nil {
			d.Errorf("tech", "unknown technology table %q (tables: %s)", f.Tech, strings.Join(tech.Names(), ", "))
		}
		v.table = t
	}
	d.CheckBits("word_bits", f.WordBits)
	for _, t := range workload.Tensors {
		d.CheckBits(yamlspec.Join("data_bits", t.String()), f.DataBits.Get(int(t)))
	}
	if len(f.Levels) == 0 {
		d.Errorf("levels", "required: at least one level")
	}
	names := map[string]int{}
	for i := range f.Levels {
		v.level(&f.Levels[i], i, names)
	}
	v.compute(f.Compute)
	// The instances multiply down the tree: stop at the mesh that takes
	// them past MaxMACUnits (before, 2^32 × 2^32 PEs wrapped to 0).
	units := int64(1)
	for i, m := range append(levelMeshes(f.Levels), f.Compute.mesh()) {
		path := "compute.mesh"
		if i < len(f.Levels) {
			path = yamlspec.Join(yamlspec.Index("levels", i), "mesh")
		}
		if m != nil && (m[0] < 1 || m[1] < 1) {
			continue
		}
		if m == nil {
			m = &[2]int{1, 1}
		}
		if units = mulUnits(mulUnits(units, m[0]), m[1]); units > MaxMACUnits {
			d.Errorf(path, "takes the instances below it past %d (arch.MaxMACUnits, docs/limits.md)", int64(MaxMACUnits))
			break
		}
		if i < len(f.Levels) {
			if c := f.Levels[i].ClusterSize; c != nil && *c > 1 && units%int64(*c) != 0 {
				d.Errorf(yamlspec.Join(yamlspec.Index("levels", i), "cluster_size"), "%d does not divide the level's %d instances", *c, units)
			}
		}
	}
}

func (c *computeYAML) mesh() *[2]int {
	if c == nil {
		return nil
	}
	return c.Mesh
}

// levelMeshes returns each level's mesh (nil when not given).
func levelMeshes(ls []levelYAML) []*[2]int {
	out := make([]*[2]int, len(ls))
	for i := range ls {
		out[i] = ls[i].Mesh
	}
	return out
}

type validator struct {
	d          *yamlspec.Doc
	table      *tech.Table // nil when absent or unknown
	tableGiven bool
}

func checkNonNegative(d *yamlspec.Doc, path string, v *float64) {
	if v != nil && *v < 0 {
		d.Errorf(path, "must not be negative, got %g", *v)
	}
}

// checkRange reports a given value outside [lo, hi] (or not finite), with
// its unit and the constants that bound it.
func checkRange(d *yamlspec.Doc, path string, v *float64, lo, hi float64, unit, limit string) {
	if v != nil {
		if msg := rangeProblem(*v, lo, hi, unit, limit); msg != "" {
			d.Errorf(path, "%s", msg)
		}
	}
}

// rangeProblem says how v falls outside [lo, hi], or "".
func rangeProblem(v, lo, hi float64, unit, limit string) string {
	if v >= lo && v <= hi {
		return ""
	}
	if unit != "" {
		unit = " " + unit
	}
	return fmt.Sprintf("must be from %g to %g%s (%s), got %g", lo, hi, unit, limit, v)
}

// checkEnergy bounds a given energy in pJ.
func checkEnergy(d *yamlspec.Doc, path string, v *float64) {
	checkRange(d, path, v, 0, MaxEnergyPJ, "pJ", "arch.MaxEnergyPJ")
}

// checkBandwidth bounds a given bandwidth: 0 (unlimited) or at least
// MinBandwidthWords.
func checkBandwidth(d *yamlspec.Doc, path string, v *float64) {
	if v != nil && *v != 0 {
		checkRange(d, path, v, MinBandwidthWords, MaxBandwidthWords, "words/cycle", "0 is unlimited; arch.MinBandwidthWords, arch.MaxBandwidthWords")
	}
}

func checkMesh(d *yamlspec.Doc, path string, m *[2]int) {
	if m == nil {
		return
	}
	for i, n := range m {
		if n < 1 {
			d.Errorf(yamlspec.Index(path, i), "must be at least 1, got %d", n)
		}
	}
}

// class checks a technology class name.
func (v *validator) class(path, class string) {
	switch {
	case class == "":
	case !v.tableGiven:
		v.d.Errorf(path, "technology class %q needs a technology table (set the top-level tech)", class)
	case v.table == nil: // unknown table, reported already
	case !slices.Contains(v.table.ClassNames(), class):
		v.d.Errorf(path, "unknown class %q of %s (classes: %s)", class, v.table.Name, strings.Join(v.table.ClassNames(), ", "))
	}
}

func (v *validator) level(l *levelYAML, i int, names map[string]int) {
	d := v.d
	p := yamlspec.Index("levels", i)
	at := func(key string) string { return yamlspec.Join(p, key) }
	switch j, dup := names[l.Name]; {
	case l.Name == "":
		d.Errorf(at("name"), "required")
	case dup:
		d.Errorf(at("name"), "duplicate level name %q (also levels[%d])", l.Name, j)
	default:
		names[l.Name] = i
	}

	// kept is the set of kept tensors; when keeps names an unknown tensor,
	// known is false and checks against the set are skipped.
	kept := [workload.NumTensors]bool{true, true, true}
	known := true
	if l.Keeps != nil {
		kept = [workload.NumTensors]bool{}
		for k, name := range l.Keeps {
			t, msg, ok := parseTensor(name)
			switch {
			case !ok:
				d.Errorf(yamlspec.Index(at("keeps"), k), "%s", msg)
				known = false
			case kept[t]:
				d.Errorf(yamlspec.Index(at("keeps"), k), "%s listed twice", name)
			default:
				kept[t] = true
			}
		}
		var missing []string
		for _, t := range workload.Tensors {
			if !kept[t] {
				missing = append(missing, t.String())
			}
		}
		switch {
		case len(l.Keeps) == 0:
			d.Errorf(at("keeps"), "must keep at least one tensor")
		case i == 0 && known && len(missing) > 0:
			d.Errorf(at("keeps"), "the outermost level must keep every tensor (missing %s)", strings.Join(missing, ", "))
		}
	}

	if l.SizeWords != nil && *l.SizeWords < 0 {
		d.Errorf(at("size_words"), "must not be negative, got %d", *l.SizeWords)
	}
	for _, t := range workload.Tensors {
		n := l.Format.Get(int(t))
		if n == nil {
			continue
		}
		fp := yamlspec.Join(at("format"), t.String())
		if !kept[t] && known {
			d.Errorf(fp, "the level does not keep %s", t)
		}
		if !slices.Contains(sparse.FormatNames(), *n) {
			d.Errorf(fp, "unknown format %q (formats: %s)", *n, strings.Join(sparse.FormatNames(), ", "))
		}
	}
	checkTensors(d, at("gate_on"), l.GateOn)
	checkTensors(d, at("skip_on"), l.SkipOn)
	if pw := l.PartitionWords; pw != nil {
		var sum int64
		var shared []string
		for _, t := range workload.Tensors {
			n := pw.Get(int(t))
			tp := yamlspec.Join(at("partition_words"), t.String())
			switch {
			case n == nil:
				if kept[t] {
					shared = append(shared, t.String())
				}
			case !kept[t] && known:
				d.Errorf(tp, "the level does not keep %s", t)
			case *n < 1:
				d.Errorf(tp, "must be positive, got %d", *n)
			default:
				sum += *n
			}
		}
		if l.SizeWords != nil && *l.SizeWords > 0 {
			switch size := *l.SizeWords; {
			case sum > size:
				d.Errorf(at("partition_words"), "partitions total %d words, more than size_words %d", sum, size)
			case sum == size && len(shared) > 0:
				d.Errorf(at("partition_words"), "partitions take all %d words, leaving none for %s", size, strings.Join(shared, ", "))
			}
		}
	}
	d.CheckBits(at("word_bits"), l.WordBits)
	checkMesh(d, at("mesh"), l.Mesh)
	if i == 0 && l.Mesh != nil && *l.Mesh != [2]int{1, 1} {
		d.Errorf(at("mesh"), "the outermost level has one instance, want [1, 1]")
	}

	if l.Energy == nil {
		d.Errorf(at("energy"), "required (give tech, read_pj or read_mac)")
	} else {
		ep := at("energy")
		v.actions(ep, &l.Energy.actionsYAML)
		for _, t := range workload.Tensors {
			o := l.Energy.tensor(t)
			tp := yamlspec.Join(ep, t.String())
			if o != nil {
				if !kept[t] && known {
					d.Errorf(tp, "the level does not keep %s", t)
				}
				v.actions(tp, o)
			}
			if kept[t] && !givesRead(&l.Energy.actionsYAML) && !givesRead(o) {
				d.Errorf(ep, "no read energy for %s (give tech, read_pj or read_mac)", t)
			}
		}
	}
	checkBandwidth(d, at("bandwidth_words"), l.BandwidthWords)
	checkBandwidth(d, at("read_bandwidth_words"), l.ReadBandwidth)
	checkBandwidth(d, at("write_bandwidth_words"), l.WriteBandwidth)
	for _, t := range workload.Tensors {
		b := l.DataBits.Get(int(t))
		if b == nil {
			continue
		}
		bp := yamlspec.Join(at("data_bits"), t.String())
		if !kept[t] && known {
			d.Errorf(bp, "the level does not keep %s", t)
		}
		d.CheckBits(bp, b)
	}
	if c := l.ClusterSize; c != nil && *c < 1 {
		d.Errorf(at("cluster_size"), "must be at least 1, got %d", *c)
	}
	checkRange(d, at("area_um2"), l.AreaUM2, 0, MaxAreaUM2, "µm²", "arch.MaxAreaUM2")
	checkLeakage(d, p, l.LeakageWatts, l.LeakagePJ)
	if l.Network != nil {
		if i == 0 {
			d.Errorf(at("network"), "the outermost level has no parent network")
		}
		v.network(at("network"), l.Network)
	}
}

func givesRead(a *actionsYAML) bool {
	return a != nil && (a.Tech != "" || a.ReadPJ != nil || a.ReadMAC != nil)
}

func (v *validator) actions(path string, a *actionsYAML) {
	v.class(yamlspec.Join(path, "tech"), a.Tech)
	for x := range numActions {
		pj, mac := a.pj(x), a.mac(x)
		kpj, kmac := yamlspec.Join(path, actionKeys[x]+"_pj"), yamlspec.Join(path, actionKeys[x]+"_mac")
		if pj != nil && mac != nil {
			v.d.Errorf(kmac, "give %s_pj or %s_mac, not both", actionKeys[x], actionKeys[x])
		}
		checkEnergy(v.d, kpj, pj)
		checkNonNegative(v.d, kmac, mac) // bounded by the pJ it comes to, when built
	}
}

func (v *validator) network(path string, n *networkYAML) {
	d := v.d
	at := func(key string) string { return yamlspec.Join(path, key) }
	v.class(at("tech"), n.Tech)
	given := 0
	for _, ok := range []bool{n.Tech != "", n.WordPJ != nil, n.WordMAC != nil} {
		if ok {
			given++
		}
	}
	if given > 1 {
		d.Errorf(path, "give one of tech, word_pj and word_mac")
	}
	checkEnergy(d, at("word_pj"), n.WordPJ)
	checkNonNegative(d, at("word_mac"), n.WordMAC)
	for _, t := range workload.Tensors {
		checkBandwidth(d, yamlspec.Join(at("bandwidth_words"), t.String()), n.Bandwidth.Get(int(t)))
	}
	checkEnergy(d, at("reduce_pj"), n.ReducePJ)
	checkNonNegative(d, at("reduce_mac"), n.ReduceMAC)
	if n.ReducePJ != nil && n.ReduceMAC != nil {
		d.Errorf(at("reduce_mac"), "give reduce_pj or reduce_mac, not both")
	}
	if !n.Reduction {
		for key, p := range map[string]*float64{"reduce_pj": n.ReducePJ, "reduce_mac": n.ReduceMAC} {
			if p != nil {
				d.Errorf(at(key), "needs reduction: true")
			}
		}
	}
}

func (v *validator) compute(c *computeYAML) {
	d := v.d
	if c == nil {
		d.Errorf("compute", "required")
		return
	}
	checkMesh(d, "compute.mesh", c.Mesh)
	d.CheckBits("compute.bits", c.Bits)
	v.class("compute.tech", c.Tech)
	switch {
	case c.Tech == "" && c.MACPJ == nil:
		d.Errorf("compute", "no MAC energy (give tech or mac_pj)")
	case c.Tech != "" && c.MACPJ != nil:
		d.Errorf("compute.mac_pj", "give tech or mac_pj, not both")
	}
	checkEnergy(d, "compute.mac_pj", c.MACPJ)
	checkRange(d, "compute.area_um2", c.AreaUM2, 0, MaxAreaUM2, "µm²", "arch.MaxAreaUM2")
	checkLeakage(d, "compute", c.LeakageWatts, c.LeakagePJ)
	checkTensors(d, "compute.gate_on", c.GateOn)
	checkTensors(d, "compute.skip_on", c.SkipOn)
}

// checkLeakage bounds the leakage given in watts or in pJ per cycle of a
// level or the compute at path, and reports both given.
func checkLeakage(d *yamlspec.Doc, path string, watts, pj *float64) {
	checkRange(d, yamlspec.Join(path, "leakage_watts"), watts, 0, MaxLeakageWatts, "W", "arch.MaxLeakageWatts")
	checkRange(d, yamlspec.Join(path, "leakage_pj_per_cycle"), pj, 0, MaxLeakagePJ, "pJ/cycle", "arch.MaxLeakagePJ")
	if watts != nil && pj != nil {
		d.Errorf(yamlspec.Join(path, "leakage_pj_per_cycle"), "give leakage_watts or leakage_pj_per_cycle, not both")
	}
}

// checkTensors reports unknown and repeated tensor names of a list.
func checkTensors(d *yamlspec.Doc, path string, names []string) {
	seen := map[string]bool{}
	for i, n := range names {
		if _, msg, ok := parseTensor(n); !ok {
			d.Errorf(yamlspec.Index(path, i), "%s", msg)
		} else if seen[n] {
			d.Errorf(yamlspec.Index(path, i), "%s listed twice", n)
		}
		seen[n] = true
	}
}

// tensorSet turns a validated list of tensor names into a set.
func tensorSet(names []string) [workload.NumTensors]bool {
	var s [workload.NumTensors]bool
	for _, n := range names {
		t, _, _ := parseTensor(n)
		s[t] = true
	}
	return s
}
