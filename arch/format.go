package arch

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/nnergy/nnergy/workload"
)

// Format returns the canonical YAML of s: every value explicit, every
// energy in pJ and every area and leakage given per instance, so that Parse reads it back to a Spec equal to s except for
// Source. Energies of tensors a level does not keep are not written (they
// are zero in parsed specs).
func Format(s *Spec) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "version: %d\n", FormatVersion)
	fmt.Fprintf(&b, "name: %s\n", quote(s.Name))
	if s.Description != "" {
		fmt.Fprintf(&b, "description: %s\n", strconv.Quote(s.Description))
	}
	fmt.Fprintf(&b, "clock_mhz: %s\n", num(s.ClockHz/1e6))
	var db []string
	for _, t := range workload.Tensors {
		if s.DataBits[t] > 0 {
			db = append(db, fmt.Sprintf("%s: %d", t, s.DataBits[t]))
		}
	}
	if len(db) > 0 {
		fmt.Fprintf(&b, "data_bits: {%s}\n", strings.Join(db, ", "))
	}
	fmt.Fprintf(&b, "gate_unused: %t\n", s.GateUnused)
	b.WriteString(formatConventions(s.Conventions))
	b.WriteString("levels:\n")
	for i := range s.Levels {
		formatLevel(&b, &s.Levels[i], i)
	}
	c := s.Compute
	b.WriteString("compute:\n")
	fmt.Fprintf(&b, "  mesh: [%d, %d]\n", c.MeshX, c.MeshY)
	fmt.Fprintf(&b, "  bits: %d\n", c.Bits)
	fmt.Fprintf(&b, "  mac_pj: %s\n", num(c.EnergyPJ))
	fmt.Fprintf(&b, "  area_um2: %s\n", num(c.AreaUM2))
	if c.LeakagePJ != 0 { // Validate: not both
		fmt.Fprintf(&b, "  leakage_pj_per_cycle: %s\n", num(c.LeakagePJ))
	} else {
		fmt.Fprintf(&b, "  leakage_watts: %s\n", num(c.LeakageWatts))
	}
	formatTensors(&b, "  gate_on", c.GateOn)
	formatTensors(&b, "  skip_on", c.SkipOn)
	return b.Bytes()
}

// formatTensors writes "key: [T, ...]" when the set is not empty.
func formatTensors(b *bytes.Buffer, key string, set [workload.NumTensors]bool) {
	var ns []string
	for _, t := range workload.Tensors {
		if set[t] {
			ns = append(ns, t.String())
		}
	}
	if len(ns) > 0 {
		fmt.Fprintf(b, "%s: [%s]\n", key, strings.Join(ns, ", "))
	}
}

func formatLevel(b *bytes.Buffer, l *Level, i int) {
	fmt.Fprintf(b, "  - name: %s\n", quote(l.Name))
	var keeps []string
	for _, t := range workload.Tensors {
		if l.Keeps[t] {
			keeps = append(keeps, t.String())
		}
	}
	fmt.Fprintf(b, "    keeps: [%s]\n", strings.Join(keeps, ", "))
	fmt.Fprintf(b, "    size_words: %d\n", l.SizeWords)
	var parts []string
	for _, t := range workload.Tensors {
		if l.Partition[t] != 0 {
			parts = append(parts, fmt.Sprintf("%s: %d", t, l.Partition[t]))
		}
	}
	if len(parts) > 0 {
		fmt.Fprintf(b, "    partition_words: {%s}\n", strings.Join(parts, ", "))
	}
	fmt.Fprintf(b, "    word_bits: %d\n", l.WordBits)
	fmt.Fprintf(b, "    mesh: [%d, %d]\n", l.MeshX, l.MeshY)
	formatEnergy(b, l)
	fmt.Fprintf(b, "    bandwidth_words: %s\n", num(l.BandwidthWords))
	fmt.Fprintf(b, "    area_um2: %s\n", num(l.AreaUM2))
	if l.LeakagePJ != 0 { // Validate: not both
		fmt.Fprintf(b, "    leakage_pj_per_cycle: %s\n", num(l.LeakagePJ))
	} else {
		fmt.Fprintf(b, "    leakage_watts: %s\n", num(l.LeakageWatts))
	}
	formatFeatures(b, l)
	var fs []string
	for _, t := range workload.Tensors {
		if f := l.Format[t]; f != nil {
			fs = append(fs, fmt.Sprintf("%s: %s", t, f.Name()))
		}
	}
	if len(fs) > 0 {
		fmt.Fprintf(b, "    format: {%s}\n", strings.Join(fs, ", "))
	}
	formatTensors(b, "    gate_on", l.GateOn)
	formatTensors(b, "    skip_on", l.SkipOn)
	if n := l.Network; i > 0 && n != (Network{}) {
		var f []string
		if n.Name != "" {
			f = append(f, "name: "+quote(n.Name))
		}
		f = append(f, "word_pj: "+num(n.WordPJ),
			"multicast: "+strconv.FormatBool(n.Multicast),
			"reduction: "+strconv.FormatBool(n.Reduction))
		if n.Reduction {
			f = append(f, "reduce_pj: "+num(n.ReducePJ))
		}
		var bw []string
		for _, t := range workload.Tensors {
			if n.BandwidthWords[t] > 0 {
				bw = append(bw, fmt.Sprintf("%s: %s", t, num(n.BandwidthWords[t])))
			}
		}
		if len(bw) > 0 {
			f = append(f, "bandwidth_words: {"+strings.Join(bw, ", ")+"}")
		}
		fmt.Fprintf(b, "    network: {%s}\n", strings.Join(f, ", "))
	}
}

// formatFeatures writes the optional keys of a level that are written only
// when set: separate read and write bandwidths, per-tensor widths and
// clusters.
func formatFeatures(b *bytes.Buffer, l *Level) {
	if l.ReadBandwidthWords != 0 {
		fmt.Fprintf(b, "    read_bandwidth_words: %s\n", num(l.ReadBandwidthWords))
	}
	if l.WriteBandwidthWords != 0 {
		fmt.Fprintf(b, "    write_bandwidth_words: %s\n", num(l.WriteBandwidthWords))
	}
	var db []string
	for _, t := range workload.Tensors {
		if l.DataBits[t] > 0 {
			db = append(db, fmt.Sprintf("%s: %d", t, l.DataBits[t]))
		}
	}
	if len(db) > 0 {
		fmt.Fprintf(b, "    data_bits: {%s}\n", strings.Join(db, ", "))
	}
	if l.ClusterSize > 1 {
		fmt.Fprintf(b, "    cluster_size: %d\n", l.ClusterSize)
	}
}

// formatEnergy writes the energies of the first kept tensor for all, and
// overrides for the kept tensors whose energies differ.
func formatEnergy(b *bytes.Buffer, l *Level) {
	first := -1
	for _, t := range workload.Tensors {
		if l.Keeps[t] {
			first = int(t)
			break
		}
	}
	if first < 0 {
		return
	}
	acts := func(a Actions) string {
		return fmt.Sprintf("read_pj: %s, write_pj: %s, update_pj: %s", num(a.ReadPJ), num(a.WritePJ), num(a.UpdatePJ))
	}
	base := l.Energy[first]
	fmt.Fprintf(b, "    energy: {%s", acts(base))
	for _, t := range workload.Tensors {
		if l.Keeps[t] && l.Energy[t] != base {
			fmt.Fprintf(b, ",\n      %s: {%s}", t, acts(l.Energy[t]))
		}
	}
	b.WriteString("}\n")
}

// num formats a float so that it parses back to the same value.
func num(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

var plainRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.+-]*$`)

// quote returns s as a plain YAML scalar when it reads back as the same
// string, and double-quoted otherwise.
func quote(s string) string {
	switch strings.ToLower(s) {
	case "null", "true", "false", "yes", "no", "on", "off", "y", "n":
		return strconv.Quote(s)
	}
	if plainRE.MatchString(s) {
		return s
	}
	return strconv.Quote(s)
}
