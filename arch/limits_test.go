package arch

import (
	"strings"
	"testing"
)

// TestMACUnitsLimit parses and validates architectures whose meshes
// multiply past MaxMACUnits (2^32 × 2^32 PEs used to wrap to 0 MAC units)
// and one at the limit.
func TestMACUnitsLimit(t *testing.T) {
	base := func(rf, compute string) string {
		return "version: 1\nname: m\nclock_mhz: 200\nlevels:\n" +
			"  - {name: DRAM, keeps: [Weights, Inputs, Outputs], word_bits: 16, energy: {read_pj: 200, write_pj: 200, update_pj: 200}}\n" +
			"  - {name: RF, keeps: [Weights, Inputs, Outputs], size_words: 64, word_bits: 16, mesh: " + rf + ", energy: {read_pj: 1, write_pj: 1, update_pj: 1}}\n" +
			"compute: {mesh: " + compute + ", bits: 16, mac_pj: 1}\n"
	}
	for _, tc := range []struct {
		rf, compute, want string
	}{
		{"[65536, 65536]", "[1, 1]", ""},
		{"[4294967296, 4294967296]", "[1, 1]", "m.yaml:6:82: levels[1].mesh: takes the instances below it past 4294967296 (arch.MaxMACUnits"},
		{"[65536, 65536]", "[2, 1]", "m.yaml:7:11: compute.mesh: takes the instances below it past"},
		{"[9223372036854775807, 2]", "[1, 1]", "levels[1].mesh"},
	} {
		s, err := Parse("m.yaml", []byte(base(tc.rf, tc.compute)))
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s %s: %v", tc.rf, tc.compute, err)
		case tc.want == "" && s.MACUnits() != 1<<32:
			t.Errorf("%s %s: %d MAC units", tc.rf, tc.compute, s.MACUnits())
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s %s: error %v, want %q", tc.rf, tc.compute, err, tc.want)
		}
	}
	s, err := Parse("m.yaml", []byte(base("[65536, 65536]", "[1, 1]")))
	if err != nil {
		t.Fatal(err)
	}
	s.Compute.MeshX = 2
	if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "arch.MaxMACUnits") {
		t.Errorf("Validate: %v, want the MaxMACUnits limit", err)
	}
}
