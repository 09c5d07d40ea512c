package timeloop

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/mapping"
	"github.com/nnergy/nnergy/workload"
)

// Export is a design written as Timeloop inputs: the files, each a name and
// its content, and the notes on what Timeloop cannot express or expresses
// only approximately.
type Export struct {
	Files []Input
	Notes []Note
}

// The files ExportDesign writes.
const (
	ArchFile    = "arch.yaml"
	ProblemFile = "problem.yaml"
	MapFile     = "map.yaml"
	ERTFile     = "ERT.yaml"
	ARTFile     = "ART.yaml"
)

// exportDims is the order of the dimensions in an exported problem (the
// order of Timeloop's CNN layer); G only when the layer has groups.
var exportDims = []workload.Dim{workload.C, workload.M, workload.R, workload.S, workload.N, workload.P, workload.Q}

func problemDims(l *workload.Layer) []workload.Dim {
	if l.Shape[workload.G] > 1 {
		return append([]workload.Dim{workload.G}, exportDims...)
	}
	return exportDims
}

// Layout is the chain of Timeloop levels an nnergy architecture stands
// for: its storage levels and, between them, levels that keep nothing
// (dummy_storage in the v0.3 form, a container with a spatial fan-out in
// the v0.4 tree), each with its instances and instances along X, outermost
// first. Import keeps the layout of the design it read, so that a mapping
// exports to the same targets; LayoutOf makes one for any architecture.
type Layout struct {
	Levels []LayoutLevel
	// MACs and MACsX are the compute level's instances, and those along X.
	MACs, MACsX int
	// MACName is the compute component's name.
	MACName string
}

// LayoutLevel is one Timeloop level: a storage level of the nnergy
// architecture (Storage its index) or a level that keeps nothing
// (Storage -1).
type LayoutLevel struct {
	Name             string
	Storage          int
	Instances, MeshX int
}

// LayoutOf returns the layout of spec: its storage levels and, below a
// level whose children form a mesh of both X and Y, a level that keeps
// nothing named after the child with "_y": Timeloop gives a dimension one
// spatial loop per level, X or Y, so the level fans out along X to it and
// it fans out along Y to the children, as in Timeloop's Eyeriss-like
// design.
func LayoutOf(spec *arch.Spec) *Layout {
	taken := map[string]bool{"mac": true}
	for _, l := range spec.Levels {
		taken[l.Name] = true
	}
	lay := &Layout{MACName: "mac"}
	meshX := 1
	for i := range spec.Levels {
		lv := &spec.Levels[i]
		if i > 0 && lv.MeshX > 1 && lv.MeshY > 1 {
			name := lv.Name + "_y"
			for taken[name] {
				name += "_"
			}
			taken[name] = true
			lay.Levels = append(lay.Levels, LayoutLevel{Name: name, Storage: -1, Instances: spec.Instances(i-1) * lv.MeshX, MeshX: meshX * lv.MeshX})
		}
		meshX *= lv.MeshX
		lay.Levels = append(lay.Levels, LayoutLevel{Name: lv.Name, Storage: i, Instances: spec.Instances(i), MeshX: meshX})
	}
	c := &spec.Compute
	if c.MeshX > 1 && c.MeshY > 1 {
		lay.Levels = append(lay.Levels, LayoutLevel{Name: "mac_y", Storage: -1, Instances: spec.Instances(len(spec.Levels)-1) * c.MeshX, MeshX: meshX * c.MeshX})
	}
	lay.MACs, lay.MACsX = spec.MACUnits(), meshX*c.MeshX
	return lay
}

// check reports a layout that does not stand for spec.
func (lay *Layout) check(spec *arch.Spec) error {
	n := 0
	for _, l := range lay.Levels {
		if l.Storage < 0 {
			continue
		}
		if l.Storage != n || l.Storage >= len(spec.Levels) || spec.Levels[l.Storage].Name != l.Name || spec.Instances(l.Storage) != l.Instances {
			return fmt.Errorf("timeloop: the Timeloop layout's level %s is not level %d of architecture %q", l.Name, n, spec.Name)
		}
		n++
	}
	if n != len(spec.Levels) || lay.MACs != spec.MACUnits() || len(lay.Levels) == 0 || lay.Levels[0].Storage != 0 {
		return fmt.Errorf("timeloop: the Timeloop layout does not stand for architecture %q", spec.Name)
	}
	return nil
}

// fanout returns the fan-out below layout level k along X and Y.
func (lay *Layout) fanout(k int) (x, y int) {
	l := lay.Levels[k]
	inst, mx := lay.MACs, lay.MACsX
	if k+1 < len(lay.Levels) {
		inst, mx = lay.Levels[k+1].Instances, lay.Levels[k+1].MeshX
	}
	return mx / l.MeshX, (inst / mx) / (l.Instances / l.MeshX)
}

// ExportMapping writes mapping m of layer l on spec as a Timeloop map.yaml
// for layout lay (nil: LayoutOf(spec), the architecture ExportDesign
// writes): per Timeloop level (target: its name), the tensors it keeps and
// bypasses, its temporal loops and its spatial loops, factors of every
// dimension of the problem and the permutation innermost first; the first
// `split` dimensions of a spatial permutation go along X, the rest along Y.
// An nnergy level's spatial loops go, outermost first, to the first of it
// and the levels that keep nothing below it whose fan-out has room for
// them.
func ExportMapping(spec *arch.Spec, lay *Layout, l *workload.Layer, m *mapping.Mapping) ([]byte, error) {
	if lay == nil {
		lay = LayoutOf(spec)
	}
	if err := lay.check(spec); err != nil {
		return nil, err
	}
	if len(m.Levels) != len(spec.Levels) {
		return nil, fmt.Errorf("timeloop: the mapping has %d levels, architecture %q has %d", len(m.Levels), spec.Name, len(spec.Levels))
	}
	if err := m.CheckShape(l); err != nil {
		return nil, fmt.Errorf("timeloop: %w", err)
	}
	dims := problemDims(l)
	// spatial[k] are the loops of layout level k: X then Y, outermost first.
	spatial := make([][2][]mapping.Loop, len(lay.Levels))
	for k := 0; k < len(lay.Levels); k++ {
		i := lay.Levels[k].Storage
		if i < 0 {
			continue
		}
		if lv := m.Levels[i]; lv.Name != spec.Levels[i].Name {
			return nil, fmt.Errorf("timeloop: level %d of the mapping is %s, of architecture %q %s", i, lv.Name, spec.Name, spec.Levels[i].Name)
		}
		hops := []int{k}
		for j := k + 1; j < len(lay.Levels) && lay.Levels[j].Storage < 0; j++ {
			hops = append(hops, j)
		}
		for ax, axis := range []mapping.Axis{mapping.X, mapping.Y} {
			h := 0
			used := 1
			for _, lp := range m.Levels[i].Spatial {
				if lp.Factor == 1 || (lp.Axis == mapping.Y) != (axis == mapping.Y) {
					continue
				}
				for h < len(hops) {
					fx, fy := lay.fanout(hops[h])
					room := [2]int{fx, fy}[ax]
					if used*lp.Factor <= room && !slices.ContainsFunc(spatial[hops[h]][ax], func(o mapping.Loop) bool { return o.Dim == lp.Dim }) {
						break
					}
					h, used = h+1, 1
				}
				if h == len(hops) {
					return nil, fmt.Errorf("timeloop: level %s: spatial-%s %s %d has no room in the fan-out below %s", lv(spec, i), axis, lp.Dim, lp.Factor, lv(spec, i))
				}
				spatial[hops[h]][ax] = append(spatial[hops[h]][ax], lp)
				used *= lp.Factor
			}
		}
	}
	var b bytes.Buffer
	var errs []error
	all := flow([]string{"Weights", "Inputs", "Outputs"})
	fmt.Fprintf(&b, "# Layer %s on %s, written by nnergy for Timeloop.\nmapping:\n", l.Name, spec.Name)
	// Innermost level first, as Timeloop's mapper writes them; nnergy lists
	// loops outermost first, Timeloop's permutation is innermost first.
	for k := len(lay.Levels) - 1; k >= 0; k-- {
		ll := lay.Levels[k]
		if ll.Storage < 0 {
			fmt.Fprintf(&b, "  - target: %s\n    type: datatype\n    keep: []\n    bypass: %s\n", ll.Name, all)
		} else {
			lv := &m.Levels[ll.Storage]
			var keep, bypass []string
			for t := range workload.NumTensors {
				if lv.Keep[t] {
					keep = append(keep, workload.Tensor(t).String())
				} else {
					bypass = append(bypass, workload.Tensor(t).String())
				}
			}
			fmt.Fprintf(&b, "  - target: %s\n    type: datatype\n    keep: %s\n    bypass: %s\n", ll.Name, flow(keep), flow(bypass))
			var temporal []mapping.Loop
			for _, lp := range slices.Backward(lv.Temporal) {
				if lp.Factor > 1 {
					temporal = append(temporal, lp)
				}
			}
			f, perm, err := loopsText(ll.Name, "temporal", dims, temporal)
			if err != nil {
				errs = append(errs, err)
			}
			fmt.Fprintf(&b, "  - target: %s\n    type: temporal\n    factors: %s\n    permutation: %s\n", ll.Name, f, perm)
		}
		x, y := slices.Clone(spatial[k][0]), slices.Clone(spatial[k][1])
		if len(x)+len(y) == 0 {
			continue
		}
		slices.Reverse(x)
		slices.Reverse(y)
		f, perm, err := loopsText(ll.Name, "spatial", dims, append(x, y...))
		if err != nil {
			errs = append(errs, err)
		}
		fmt.Fprintf(&b, "  - target: %s\n    type: spatial\n    factors: %s\n    permutation: %s\n    split: %d\n", ll.Name, f, perm, len(x))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func lv(spec *arch.Spec, i int) string { return spec.Levels[i].Name }

// loopsText gives the factors of every dimension and the permutation of
// loops (innermost first), the dimensions without a loop last.
func loopsText(level, kind string, dims []workload.Dim, loops []mapping.Loop) (factors, perm string, err error) {
	fs := map[workload.Dim]int{}
	var p strings.Builder
	for _, lp := range loops {
		if _, twice := fs[lp.Dim]; twice {
			return "", "", fmt.Errorf("timeloop: level %s: two %s loops of %s: Timeloop has one loop per dimension, level and kind", level, kind, lp.Dim)
		}
		if !slices.Contains(dims, lp.Dim) {
			return "", "", fmt.Errorf("timeloop: level %s: a loop of %s, which the problem does not have", level, lp.Dim)
		}
		fs[lp.Dim] = lp.Factor
		p.WriteString(lp.Dim.String())
	}
	var f []string
	for _, d := range dims {
		n, ok := fs[d]
		if !ok {
			n = 1
			p.WriteString(d.String())
		}
		f = append(f, d.String()+strconv.Itoa(n))
	}
	return strings.Join(f, " "), p.String(), nil
}

// plainName reports whether s is a name Timeloop's component names can
// hold.
func plainName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

// exportBandwidths returns a level's read and write bandwidths for
// Timeloop (0: unlimited): its own read and write ports, and a shared
// bandwidth split evenly between the two (noted) where it binds them more.
func exportBandwidths(lv *arch.Level, note func(where, what, why string)) (read, write float64) {
	read, write = lv.ReadBandwidthWords, lv.WriteBandwidthWords
	if bw := lv.BandwidthWords; bw > 0 {
		if read == 0 || read > bw/2 {
			read = bw / 2
		}
		if write == 0 || write > bw/2 {
			write = bw / 2
		}
		note(lv.Name, "bandwidth_words "+num(bw), "nnergy's shared bandwidth (reads plus writes) is split evenly into Timeloop's read_bandwidth and write_bandwidth")
	}
	return read, write
}

// exportWidths notes the tensors that level lv holds at a width other
// than its word's: Timeloop holds every value in one word of the level's
// datawidth.
func exportWidths(lv *arch.Level, note func(where, what, why string)) {
	for _, t := range workload.Tensors {
		if b := lv.DataBits[t]; b > 0 && b != lv.WordBits && lv.Keeps[t] {
			note(lv.Name, fmt.Sprintf("data_bits %s %d", t, b), fmt.Sprintf("Timeloop holds each value in one %d-bit word of the level (datawidth); nnergy packs %d-bit values into its words", lv.WordBits, b))
		}
	}
}

func flow(s []string) string { return "[" + strings.Join(s, ", ") + "]" }

// ExportDesign writes layer l on spec as Timeloop inputs: the architecture
// in the v0.3 form (subtree/local, every storage level a component with
// NAME[1..instances] and meshX, its keep/bypass as architecture
// constraints), Accelergy's ERT and ART (energies per word, block size 1),
// the problem and, when m is not nil, the mapping (ExportMapping). What
// Timeloop cannot express is approximated and noted.
func ExportDesign(spec *arch.Spec, lay *Layout, l *workload.Layer, m *mapping.Mapping) (*Export, error) {
	if lay == nil {
		lay = LayoutOf(spec)
	}
	if err := lay.check(spec); err != nil {
		return nil, err
	}
	ex := &Export{}
	note := func(where, what, why string) { ex.Notes = append(ex.Notes, Note{Where: where, What: what, Why: why}) }
	cycleS := 1 / spec.ClockHz
	var a, ert, art, cons bytes.Buffer
	top := spec.Name
	if !plainName(top) {
		top = "system"
		note("name", spec.Name, "not a Timeloop component name (letters, digits, _ and -): the top subtree is called system")
	}
	fmt.Fprintf(&a, "# Architecture %s, written by nnergy for Timeloop (v0.3 form).\narchitecture:\n  version: '0.3'\n  subtree:\n    - name: %s\n      attributes:\n        global_cycle_seconds: %s\n      local:\n", spec.Name, top, num(cycleS))
	ert.WriteString("# Per-word energies (block size 1) of " + spec.Name + ", written by nnergy.\nERT:\n  version: '0.4'\n  tables:\n")
	art.WriteString("# Areas of one instance of each component of " + spec.Name + ", written by nnergy.\nART:\n  version: '0.4'\n  tables:\n")
	consN := 0
	constraint := func(target string, keep, bypass []string) {
		if consN == 0 {
			cons.WriteString("architecture_constraints:\n  targets:\n")
		}
		consN++
		fmt.Fprintf(&cons, "    - target: %s\n      type: bypass\n      keep: %s\n      bypass: %s\n", target, flow(keep), flow(bypass))
	}
	for _, ll := range lay.Levels {
		i := ll.Storage
		if i < 0 {
			fmt.Fprintf(&a, "        - name: %s[1..%d]\n          class: dummy_storage\n          attributes:\n            width: 1\n            depth: 1\n            datawidth: 1\n            meshX: %d\n", ll.Name, ll.Instances, ll.MeshX)
			constraint(ll.Name, nil, []string{"Weights", "Inputs", "Outputs"})
			continue
		}
		lv := &spec.Levels[i]
		inst, meshX := ll.Instances, ll.MeshX
		class := "SRAM"
		if i == 0 && lv.SizeWords == 0 {
			class = "DRAM"
		}
		bits := lv.WordBits
		full := fmt.Sprintf("%s[1..%d]", lv.Name, inst)
		fmt.Fprintf(&a, "        - name: %s\n          class: %s\n          attributes:\n", full, class)
		if lv.SizeWords > 0 {
			fmt.Fprintf(&a, "            depth: %d\n", lv.SizeWords)
		} else if class != "DRAM" {
			note(lv.Name, "size_words 0 (unbounded)", "Timeloop needs a depth for a level other than DRAM: written as 2^31 words")
			fmt.Fprintf(&a, "            depth: %d\n", 1<<31)
		}
		// A cluster of k instances is one array k words wide, each access of
		// it the level's energy (Timeloop's block size width / datawidth /
		// cluster_size stays 1).
		width := bits * max(lv.ClusterSize, 1)
		fmt.Fprintf(&a, "            width: %d\n            datawidth: %d\n            meshX: %d\n", width, bits, meshX)
		if lv.ClusterSize > 1 {
			fmt.Fprintf(&a, "            cluster_size: %d\n", lv.ClusterSize)
		}
		exportWidths(&spec.Levels[i], note)
		rd, wr := exportBandwidths(lv, note)
		if rd > 0 {
			fmt.Fprintf(&a, "            read_bandwidth: %s\n", num(rd))
		}
		if wr > 0 {
			fmt.Fprintf(&a, "            write_bandwidth: %s\n", num(wr))
		}
		var parts []string
		for t, p := range lv.Partition {
			if p > 0 {
				parts = append(parts, fmt.Sprintf("%s %d", workload.Tensor(t), p))
			}
		}
		if len(parts) > 0 {
			note(lv.Name, "partition_words "+strings.Join(parts, ", "), "Timeloop's storage is shared by the tensors a level keeps: the partitions are left out (depth is size_words)")
		}
		e := exportEnergy(lv, note)
		fmt.Fprintf(&ert, "    - name: %s.%s\n      actions:\n", top, full)
		for _, act := range []struct {
			name string
			pj   float64
		}{{"read", e.ReadPJ}, {"write", e.WritePJ}, {"update", e.UpdatePJ}, {"leak", spec.LevelLeakageWatts(i) * cycleS * 1e12}} {
			fmt.Fprintf(&ert, "        - name: %s\n          arguments: {}\n          energy: %s\n", act.name, num(act.pj))
		}
		fmt.Fprintf(&art, "    - name: %s.%s\n      area: %s\n", top, full, num(lv.AreaUM2))
		if i > 0 {
			exportNotes(spec, i, note)
		}
		var keep, bypass []string
		for t, k := range lv.Keeps {
			if k {
				keep = append(keep, workload.Tensor(t).String())
			} else {
				bypass = append(bypass, workload.Tensor(t).String())
			}
		}
		if i > 0 && len(bypass) > 0 {
			constraint(lv.Name, keep, bypass)
		}
	}
	c := &spec.Compute
	macs, macX := lay.MACs, lay.MACsX
	full := fmt.Sprintf("%s[1..%d]", lay.MACName, macs)
	fmt.Fprintf(&a, "        - name: %s\n          class: intmac\n          attributes:\n            datawidth: %d\n            meshX: %d\n", full, c.Bits, macX)
	fmt.Fprintf(&ert, "    - name: %s.%s\n      actions:\n        - name: compute\n          arguments: {}\n          energy: %s\n        - name: leak\n          arguments: {}\n          energy: %s\n", top, full, num(c.EnergyPJ), num(spec.MACLeakageWatts()*cycleS*1e12))
	fmt.Fprintf(&art, "    - name: %s.%s\n      area: %s\n", top, full, num(c.AreaUM2))
	if c.GateOn != [workload.NumTensors]bool{} || c.SkipOn != [workload.NumTensors]bool{} {
		note("compute", "gate_on / skip_on", "zero gating and skipping are Timeloop's sparse optimizations, not written")
	}
	if !spec.GateUnused {
		note("gate_unused", "false (every instance leaks)", "Timeloop charges leakage to the utilized instances only")
	}
	if spec.Conventions != arch.TimeloopConventions {
		note("conventions", spec.Conventions.String(), "Timeloop counts as `conventions: timeloop` does (what the import sets); nnergy eval --explain --explain-against timeloop shows the difference")
	}
	a.Write(cons.Bytes())
	ex.Files = append(ex.Files, Input{Name: ArchFile, Data: a.Bytes()}, Input{Name: ERTFile, Data: ert.Bytes()}, Input{Name: ARTFile, Data: art.Bytes()})
	ex.Files = append(ex.Files, Input{Name: ProblemFile, Data: exportProblem(spec, l, note)})
	if m != nil {
		data, err := ExportMapping(spec, lay, l, m)
		if err != nil {
			return nil, err
		}
		ex.Files = append(ex.Files, Input{Name: MapFile, Data: data})
	}
	return ex, nil
}

// exportEnergy returns a level's energies: Timeloop has one per component,
// nnergy one per tensor; tensors that differ are noted and the first kept
// tensor's are written.
func exportEnergy(lv *arch.Level, note func(where, what, why string)) arch.Actions {
	first := -1
	for t, k := range lv.Keeps {
		if !k {
			continue
		}
		if first < 0 {
			first = t
			continue
		}
		if lv.Energy[t] != lv.Energy[first] {
			note(lv.Name, "energy of "+workload.Tensor(t).String(), fmt.Sprintf("Timeloop charges one energy per action and component: %s's is written", workload.Tensor(first)))
		}
	}
	if first < 0 {
		return arch.Actions{}
	}
	return lv.Energy[first]
}

// exportNotes notes what of level i Timeloop's v0.3 architecture does not
// hold.
func exportNotes(spec *arch.Spec, i int, note func(where, what, why string)) {
	lv := &spec.Levels[i]
	n := &lv.Network
	if n.WordPJ > 0 || n.ReducePJ > 0 {
		note(lv.Name, "network energy", "nnergy's per-word network energy is not written (Timeloop's network components are not exported)")
	}
	if n.BandwidthWords != [workload.NumTensors]float64{} {
		note(lv.Name, "network bandwidth", "not written")
	}
	if (!n.Multicast || !n.Reduction) && lv.MeshX*lv.MeshY > 1 {
		note(lv.Name, "network without multicast or reduction", "Timeloop's default network multicasts and reduces")
	}
	for t := range workload.NumTensors {
		if lv.Format[t] != nil {
			note(lv.Name, "format of "+workload.Tensor(t).String(), "sparse formats are not written")
		}
	}
	if lv.GateOn != [workload.NumTensors]bool{} || lv.SkipOn != [workload.NumTensors]bool{} {
		note(lv.Name, "gate_on / skip_on", "zero gating and skipping are Timeloop's sparse optimizations, not written")
	}
}

// exportProblem writes the layer as a Timeloop problem: the convolution's
// shape (projections with stride and dilation coefficients) and its bounds.
func exportProblem(spec *arch.Spec, l *workload.Layer, note func(where, what, why string)) []byte {
	var b bytes.Buffer
	g := l.Shape[workload.G] > 1
	dims := problemDims(l)
	withG := func(s string) string {
		if g {
			return "[[G]], " + s
		}
		return s
	}
	fmt.Fprintf(&b, "# Layer %s, written by nnergy for Timeloop.\nproblem:\n  version: '0.3'\n  shape:\n    name: %s\n    dimensions: [", l.Name, strconv.Quote(l.Name))
	for i, d := range dims {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(d.String())
	}
	b.WriteString("]\n    coefficients:\n")
	for _, c := range []string{"Wstride", "Hstride", "Wdilation", "Hdilation"} {
		fmt.Fprintf(&b, "      - {name: %s, default: 1}\n", c)
	}
	b.WriteString("    data_spaces:\n")
	fmt.Fprintf(&b, "      - name: Weights\n        projection: [%s[[C]], [[M]], [[R]], [[S]]]\n", withG(""))
	fmt.Fprintf(&b, "      - name: Inputs\n        projection: [[[N]], %s[[C]], [[R, Wdilation], [P, Wstride]], [[S, Hdilation], [Q, Hstride]]]\n", withG(""))
	fmt.Fprintf(&b, "      - name: Outputs\n        projection: [[[N]], %s[[M]], [[Q]], [[P]]]\n        read_write: true\n", withG(""))
	b.WriteString("  instance:\n")
	for _, d := range dims {
		fmt.Fprintf(&b, "    %s: %d\n", d, l.Shape[d])
	}
	fmt.Fprintf(&b, "    Wstride: %d\n    Hstride: %d\n    Wdilation: %d\n    Hdilation: %d\n", l.Stride[0], l.Stride[1], l.Dilation[0], l.Dilation[1])
	var dens []string
	for t := range workload.NumTensors {
		if d := l.Density[t]; d > 0 && d < 1 {
			dens = append(dens, fmt.Sprintf("%s: %s", workload.Tensor(t), num(d)))
		}
	}
	if len(dens) > 0 {
		fmt.Fprintf(&b, "    densities: {%s}\n", strings.Join(dens, ", "))
	}
	for t := range workload.NumTensors {
		if bits := spec.Bits(l, workload.Tensor(t)); bits != spec.Levels[0].WordBits {
			note(workload.Tensor(t).String(), fmt.Sprintf("%d-bit words", bits), fmt.Sprintf("Timeloop holds a tensor at the datawidth of each level: the outermost level's is %d bits", spec.Levels[0].WordBits))
		}
	}
	return b.Bytes()
}
