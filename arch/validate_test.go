package arch

import (
	"math"
	"testing"

	"github.com/nnergy/nnergy/workload"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		breakIt func(s *Spec)
		want    string
	}{
		{"valid", func(*Spec) {}, ""},
		{"no levels", func(s *Spec) { s.Levels = nil }, "arch: eyeriss: levels: required: at least one level"},
		{"bad clock", func(s *Spec) { s.ClockHz = 0 }, "arch: eyeriss: clock_mhz: must be from 0.001 to 1e+06 MHz (arch.MinClockMHz, arch.MaxClockMHz), got 0"},
		// Within float64 but past the bounds: results went Inf or NaN.
		{"tiny clock", func(s *Spec) { s.ClockHz = 1e-300 }, "arch: eyeriss: clock_mhz: must be from 0.001 to 1e+06 MHz (arch.MinClockMHz, arch.MaxClockMHz), got 1e-306"},
		{"huge clock", func(s *Spec) { s.ClockHz = math.Inf(1) }, "arch: eyeriss: clock_mhz: must be from 0.001 to 1e+06 MHz (arch.MinClockMHz, arch.MaxClockMHz), got +Inf"},
		{"huge energy", func(s *Spec) { s.Levels[0].Energy[0].ReadPJ = 1e300 },
			"arch: eyeriss: levels[0].energy.Weights.read_pj: must be from 0 to 1e+09 pJ (arch.MaxEnergyPJ), got 1e+300"},
		{"tiny bandwidth", func(s *Spec) { s.Levels[1].BandwidthWords = 1e-9 },
			"arch: eyeriss: levels[1].bandwidth_words: must be from 0.01 to 1e+12 words/cycle (0 is unlimited; arch.MinBandwidthWords, arch.MaxBandwidthWords), got 1e-09"},
		{"huge leakage", func(s *Spec) { s.Compute.LeakageWatts = 1e9 },
			"arch: eyeriss: compute.leakage_watts: must be from 0 to 1e+06 W (arch.MaxLeakageWatts), got 1e+09"},
		{"outer keeps", func(s *Spec) {
			s.Levels[0].Keeps[1] = false
			s.Levels[0].Energy[1] = Actions{}
			s.Levels[0].Format[1] = nil
		}, "arch: eyeriss: levels[0].keeps: the outermost level must keep every tensor"},
		{"duplicate names", func(s *Spec) { s.Levels[2].Name = "GLB" }, `arch: eyeriss: levels[2].name: want a unique, non-empty name, got "GLB"`},
		{"partition of bypassed tensor", func(s *Spec) { s.Levels[1].Keeps[0] = false; s.Levels[1].Energy[0] = Actions{} },
			"arch: eyeriss: levels[1].partition_words.Weights: want a positive partition of a kept tensor, got 4096"},
		{"partitions overflow", func(s *Spec) { s.Levels[1].Partition[1] = 60000 },
			"arch: eyeriss: levels[1].partition_words: partitions total 64096 words of size_words 55296, leaving no room for the shared tensors"},
		{"negative energy", func(s *Spec) { s.Levels[2].Energy[1].WritePJ = -1 },
			"arch: eyeriss: levels[2].energy.Inputs.write_pj: must be from 0 to 1e+09 pJ (arch.MaxEnergyPJ), got -1"},
		{"NaN MAC", func(s *Spec) { s.Compute.EnergyPJ = math.NaN() },
			"arch: eyeriss: compute.mac_pj: must be from 0 to 1e+09 pJ (arch.MaxEnergyPJ), got NaN"},
		{"mesh", func(s *Spec) { s.Levels[0].MeshX = 2 },
			"arch: eyeriss: levels[0].mesh: want positive sizes ([1, 1] for the outermost level), got [2, 1]"},
		{"network on DRAM", func(s *Spec) { s.Levels[0].Network.Multicast = true },
			"arch: eyeriss: levels[0].network: the outermost level has no parent network"},
		{"reduce without reduction", func(s *Spec) { s.Levels[2].Network.Reduction = false; s.Levels[2].Network.ReducePJ = 1 },
			"arch: eyeriss: levels[2].network.reduce_pj: needs reduction: true"},
		{"two problems", func(s *Spec) { s.Compute.Bits = 0; s.Levels[1].WordBits = 99 },
			"arch: eyeriss: levels[1].word_bits: must be between 1 and 64 bits, got 99 (and 1 more error)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Preset("eyeriss")
			if err != nil {
				t.Fatal(err)
			}
			tt.breakIt(s)
			got := ""
			if err := s.Validate(); err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("Validate() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestValidateFormat(t *testing.T) {
	s, err := Preset("eyeriss")
	if err != nil {
		t.Fatal(err)
	}
	s.Levels[1].Format[workload.Outputs] = s.Levels[0].Format[workload.Outputs]
	s.Levels[1].Keeps[workload.Outputs] = false
	s.Levels[1].Energy[workload.Outputs] = Actions{}
	want := "arch: eyeriss: levels[1].format.Outputs: the level does not keep Outputs"
	if err := s.Validate(); err == nil || err.Error() != want {
		t.Errorf("Validate() = %v, want %q", err, want)
	}
}
