package arch

import (
	"fmt"

	"github.com/nnergy/nnergy/internal/yamlspec"
	"github.com/nnergy/nnergy/workload"
)

// Validate checks the invariants that the cost model relies on, for specs
// built in Go as well as parsed ones: at least one level, unique names, an
// outermost level with one instance that keeps every tensor, positive
// meshes and word widths, partitions that fit, and finite, non-negative
// energies, bandwidths, areas and leakages. The error lists every violation by its YAML key
// path (a yamlspec.ErrorList without positions, wrapped with the spec's
// name).
func (s *Spec) Validate() error {
	var errs yamlspec.ErrorList
	bad := func(path, format string, args ...any) {
		errs.Add(yamlspec.Pos{}, path, fmt.Sprintf(format, args...))
	}
	inRange := func(path string, v, lo, hi float64, unit, limit string) {
		if msg := rangeProblem(v, lo, hi, unit, limit); msg != "" {
			bad(path, "%s", msg)
		}
	}
	energy := func(path string, v float64) { inRange(path, v, 0, MaxEnergyPJ, "pJ", "arch.MaxEnergyPJ") }
	area := func(path string, v float64) { inRange(path, v, 0, MaxAreaUM2, "µm²", "arch.MaxAreaUM2") }
	leakage := func(path string, v float64) {
		inRange(path, v, 0, MaxLeakageWatts, "W", "arch.MaxLeakageWatts")
	}
	leakagePJ := func(path string, v float64) {
		inRange(path, v, 0, MaxLeakagePJ, "pJ/cycle", "arch.MaxLeakagePJ")
	}
	bandwidth := func(path string, v float64) {
		if v != 0 {
			inRange(path, v, MinBandwidthWords, MaxBandwidthWords, "words/cycle", "0 is unlimited; arch.MinBandwidthWords, arch.MaxBandwidthWords")
		}
	}
	if s.Name == "" {
		bad("name", "required")
	}
	inRange("clock_mhz", s.ClockHz/1e6, MinClockMHz, MaxClockMHz, "MHz", "arch.MinClockMHz, arch.MaxClockMHz")
	if len(s.Levels) == 0 {
		bad("levels", "required: at least one level")
	}
	names := map[string]bool{}
	for i := range s.Levels {
		l := &s.Levels[i]
		p := yamlspec.Index("levels", i)
		at := func(key string) string { return yamlspec.Join(p, key) }
		if l.Name == "" || names[l.Name] {
			bad(at("name"), "want a unique, non-empty name, got %q", l.Name)
		}
		names[l.Name] = true
		if i == 0 && l.Keeps != [workload.NumTensors]bool{true, true, true} {
			bad(at("keeps"), "the outermost level must keep every tensor")
		}
		if l.Keeps == [workload.NumTensors]bool{} {
			bad(at("keeps"), "must keep at least one tensor")
		}
		if l.SizeWords < 0 {
			bad(at("size_words"), "must not be negative, got %d", l.SizeWords)
		}
		var sum int64
		shared := false
		for _, t := range workload.Tensors {
			n := l.Partition[t]
			switch {
			case n < 0 || n > 0 && !l.Keeps[t]:
				bad(yamlspec.Join(at("partition_words"), t.String()), "want a positive partition of a kept tensor, got %d", n)
			case n == 0 && l.Keeps[t]:
				shared = true
			}
			sum += n
			if !l.Keeps[t] && l.Energy[t] != (Actions{}) {
				bad(yamlspec.Join(at("energy"), t.String()), "the level does not keep %s", t)
			}
			ep := yamlspec.Join(at("energy"), t.String())
			energy(yamlspec.Join(ep, "read_pj"), l.Energy[t].ReadPJ)
			energy(yamlspec.Join(ep, "write_pj"), l.Energy[t].WritePJ)
			energy(yamlspec.Join(ep, "update_pj"), l.Energy[t].UpdatePJ)
		}
		if l.SizeWords > 0 && (sum > l.SizeWords || shared && sum == l.SizeWords) {
			bad(at("partition_words"), "partitions total %d words of size_words %d, leaving no room for the shared tensors", sum, l.SizeWords)
		}
		if l.WordBits < 1 || l.WordBits > 64 {
			bad(at("word_bits"), "must be between 1 and 64 bits, got %d", l.WordBits)
		}
		if l.MeshX < 1 || l.MeshY < 1 || i == 0 && l.MeshX*l.MeshY != 1 {
			bad(at("mesh"), "want positive sizes ([1, 1] for the outermost level), got [%d, %d]", l.MeshX, l.MeshY)
		}
		bandwidth(at("bandwidth_words"), l.BandwidthWords)
		bandwidth(at("read_bandwidth_words"), l.ReadBandwidthWords)
		bandwidth(at("write_bandwidth_words"), l.WriteBandwidthWords)
		for _, t := range workload.Tensors {
			switch b := l.DataBits[t]; {
			case b < 0 || b > 64:
				bad(yamlspec.Join(at("data_bits"), t.String()), "must be between 1 and 64 bits, got %d", b)
			case b > 0 && !l.Keeps[t]:
				bad(yamlspec.Join(at("data_bits"), t.String()), "the level does not keep %s", t)
			}
		}
		if l.ClusterSize < 0 {
			bad(at("cluster_size"), "must be at least 1, got %d", l.ClusterSize)
		}
		area(at("area_um2"), l.AreaUM2)
		leakage(at("leakage_watts"), l.LeakageWatts)
		leakagePJ(at("leakage_pj_per_cycle"), l.LeakagePJ)
		if l.LeakagePJ != 0 && l.LeakageWatts != 0 {
			bad(at("leakage_pj_per_cycle"), "give leakage_watts or leakage_pj_per_cycle, not both")
		}
		for _, t := range workload.Tensors {
			if l.Format[t] != nil && !l.Keeps[t] {
				bad(yamlspec.Join(at("format"), t.String()), "the level does not keep %s", t)
			}
		}
		n := l.Network
		if i == 0 && n != (Network{}) {
			bad(at("network"), "the outermost level has no parent network")
		}
		energy(yamlspec.Join(at("network"), "word_pj"), n.WordPJ)
		for _, t := range workload.Tensors {
			bandwidth(yamlspec.Join(yamlspec.Join(at("network"), "bandwidth_words"), t.String()), n.BandwidthWords[t])
		}
		energy(yamlspec.Join(at("network"), "reduce_pj"), n.ReducePJ)
		if n.ReducePJ != 0 && !n.Reduction {
			bad(yamlspec.Join(at("network"), "reduce_pj"), "needs reduction: true")
		}
	}
	for _, t := range workload.Tensors {
		if b := s.DataBits[t]; b < 0 || b > 64 {
			bad(yamlspec.Join("data_bits", t.String()), "must be between 1 and 64 bits, got %d", b)
		}
	}
	c := s.Compute
	if c.MeshX < 1 || c.MeshY < 1 {
		bad("compute.mesh", "want positive sizes, got [%d, %d]", c.MeshX, c.MeshY)
	}
	units := int64(1)
	for i, l := range s.Levels {
		if l.MeshX >= 1 && l.MeshY >= 1 {
			if units = mulUnits(mulUnits(units, l.MeshX), l.MeshY); units > MaxMACUnits {
				bad(yamlspec.Join(yamlspec.Index("levels", i), "mesh"), "takes the instances below it past %d (arch.MaxMACUnits)", int64(MaxMACUnits))
				break
			}
		}
	}
	if units <= MaxMACUnits && c.MeshX >= 1 && c.MeshY >= 1 && mulUnits(mulUnits(units, c.MeshX), c.MeshY) > MaxMACUnits {
		bad("compute.mesh", "takes the MAC units past %d (arch.MaxMACUnits)", int64(MaxMACUnits))
	}
	if units <= MaxMACUnits {
		for i, l := range s.Levels {
			if l.ClusterSize > 1 && l.MeshX >= 1 && l.MeshY >= 1 && s.Instances(i)%l.ClusterSize != 0 {
				bad(yamlspec.Join(yamlspec.Index("levels", i), "cluster_size"), "%d does not divide the level's %d instances", l.ClusterSize, s.Instances(i))
			}
		}
	}
	if c.Bits < 1 || c.Bits > 64 {
		bad("compute.bits", "must be between 1 and 64 bits, got %d", c.Bits)
	}
	energy("compute.mac_pj", c.EnergyPJ)
	area("compute.area_um2", c.AreaUM2)
	leakage("compute.leakage_watts", c.LeakageWatts)
	leakagePJ("compute.leakage_pj_per_cycle", c.LeakagePJ)
	if c.LeakagePJ != 0 && c.LeakageWatts != 0 {
		bad("compute.leakage_pj_per_cycle", "give leakage_watts or leakage_pj_per_cycle, not both")
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("arch: %s: %w", s.Name, errs)
}
