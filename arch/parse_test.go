package arch

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/nnergy/nnergy/arch/tech"
	"github.com/nnergy/nnergy/internal/yamlspec"
	"github.com/nnergy/nnergy/workload"
)

// TestParseErrors pins every error of each invalid file in testdata/errors
// in the matching .err file.
func TestParseErrors(t *testing.T) {
	files, err := filepath.Glob("testdata/errors/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no test files: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			_, err = Parse(file, data)
			if err == nil {
				t.Fatal("Parse succeeded, want errors")
			}
			var list yamlspec.ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("error %v is not a yamlspec.ErrorList", err)
			}
			var b strings.Builder
			for _, e := range list {
				b.WriteString(e.Error() + "\n")
			}
			golden(t, strings.TrimSuffix(file, ".yaml")+".err", []byte(b.String()))
		})
	}
}

const header = "version: 1\nname: t\nclock_mhz: 100\n"

func TestParse(t *testing.T) {
	sram := func(words int64, bits int) float64 { return tech.SRAMPJ(words*int64(bits)/8, bits) }
	// cost is the area and leakage of memories of words words of bits bits,
	// at nm nanometres.
	cost := func(nm, bits int, words ...int64) tech.Cost {
		var c tech.Cost
		for _, w := range words {
			m, err := tech.SRAMCost(nm, w*int64(bits)/8, bits)
			if err != nil {
				t.Fatal(err)
			}
			c = c.Add(m)
		}
		return c
	}
	h, _ := tech.Lookup("horowitz-45nm")
	mac8, _ := h.Cost("mac", tech.Access{WordBits: 8})
	e, _ := tech.Lookup("eyeriss-65nm")
	mac16, _ := e.Cost("mac", tech.Access{WordBits: 16})
	rf8, err := e.Energy("rf", tech.Access{WordBits: 8, SizeBytes: 64})
	if err != nil {
		t.Fatal(err)
	}
	glb := cost(45, 16, 4096, 61440)
	spads := cost(65, 16, 224, 12, 24)
	tests := []struct {
		name string
		in   string
		want *Spec
	}{{
		name: "defaults",
		in: header + `levels:
  - name: DRAM
    energy: {read_pj: 100}
  - name: RF
    size_words: 64
    mesh: [4, 2]
    energy: {read_pj: 1, write_pj: 2}
compute: {mac_pj: 0.5}
`,
		want: &Spec{Name: "t", ClockHz: 100e6, Levels: []Level{
			{Name: "DRAM", Keeps: all, WordBits: 16, MeshX: 1, MeshY: 1,
				Energy: same(Actions{100, 100, 100})},
			{Name: "RF", Keeps: all, SizeWords: 64, WordBits: 16, MeshX: 4, MeshY: 2,
				Energy: same(Actions{1, 2, 2})},
		}, Compute: Compute{MeshX: 1, MeshY: 1, EnergyPJ: 0.5, Bits: 16}},
	}, {
		name: "word bits, MAC-normalized energies and per-tensor overrides",
		in: header + `word_bits: 8
levels:
  - name: DRAM
    word_bits: 32
    energy: {read_mac: 200, update_mac: 300}
  - name: Buf
    keeps: [Inputs, Outputs]
    energy: {read_pj: 4, Outputs: {update_pj: 9}}
    bandwidth_words: 2.5
    network: {name: n, word_mac: 2, multicast: true, reduction: true, reduce_mac: 0.5}
compute: {mac_pj: 0.25, mesh: [2, 3]}
`,
		want: &Spec{Name: "t", ClockHz: 100e6, Levels: []Level{
			{Name: "DRAM", Keeps: all, WordBits: 32, MeshX: 1, MeshY: 1,
				Energy: same(Actions{50, 50, 75})},
			{Name: "Buf", Keeps: [3]bool{false, true, true}, WordBits: 8, MeshX: 1, MeshY: 1,
				Energy:         [3]Actions{{}, {4, 4, 4}, {4, 4, 9}},
				BandwidthWords: 2.5,
				Network:        Network{Name: "n", WordPJ: 0.5, Multicast: true, Reduction: true, ReducePJ: 0.125}},
		}, Compute: Compute{MeshX: 2, MeshY: 3, EnergyPJ: 0.25, Bits: 8}},
	}, {
		name: "technology classes by the capacity each tensor sees",
		in: header + `tech: horowitz-45nm
levels:
  - name: DRAM
    energy: {tech: dram}
  - name: GLB
    size_words: 65536
    partition_words: {Weights: 4096}
    energy: {tech: sram, Outputs: {write_pj: 3}}
    network: {tech: reg}
compute: {tech: mac, bits: 8}
`,
		want: &Spec{Name: "t", ClockHz: 100e6, Levels: []Level{
			{Name: "DRAM", Keeps: all, WordBits: 16, MeshX: 1, MeshY: 1,
				Energy: same(Actions{487.5, 487.5, 487.5})},
			{Name: "GLB", Keeps: all, SizeWords: 65536, Partition: [3]int64{4096, 0, 0}, WordBits: 16, MeshX: 1, MeshY: 1,
				Energy: [3]Actions{
					{sram(4096, 16), sram(4096, 16), sram(4096, 16)},
					{sram(61440, 16), sram(61440, 16), sram(61440, 16)},
					{sram(61440, 16), 3, sram(61440, 16)},
				},
				Network: Network{WordPJ: tech.SRAMPJ(2, 16)},
				AreaUM2: glb.AreaUM2, LeakageWatts: glb.LeakageWatts},
		}, Compute: Compute{MeshX: 1, MeshY: 1, EnergyPJ: tech.MACPJ(8), Bits: 8, AreaUM2: mac8.AreaUM2, LeakageWatts: mac8.LeakageWatts}},
	}, {
		name: "area and leakage: a memory per partition, overrides, gating",
		in: header + `tech: eyeriss-65nm
gate_unused: true
levels:
  - name: DRAM
    energy: {tech: dram}
  - name: RF
    size_words: 260
    partition_words: {Weights: 224, Inputs: 12, Outputs: 24}
    mesh: [2, 1]
    energy: {tech: rf}
  - name: Reg
    keeps: [Outputs]
    size_words: 8
    energy: {read_pj: 1}
    area_um2: 100
compute: {tech: mac, leakage_watts: 1e-6}
`,
		want: &Spec{Name: "t", ClockHz: 100e6, GateUnused: true, Levels: []Level{
			{Name: "DRAM", Keeps: all, WordBits: 16, MeshX: 1, MeshY: 1, Energy: same(Actions{200, 200, 200})},
			{Name: "RF", Keeps: all, SizeWords: 260, Partition: [3]int64{224, 12, 24}, WordBits: 16, MeshX: 2, MeshY: 1,
				Energy: same(Actions{1, 1, 1}), AreaUM2: spads.AreaUM2, LeakageWatts: spads.LeakageWatts},
			{Name: "Reg", Keeps: [3]bool{false, false, true}, SizeWords: 8, WordBits: 16, MeshX: 1, MeshY: 1,
				Energy: [3]Actions{{}, {}, {1, 1, 1}}, AreaUM2: 100},
		}, Compute: Compute{MeshX: 1, MeshY: 1, EnergyPJ: 1, Bits: 16, AreaUM2: mac16.AreaUM2, LeakageWatts: 1e-6}},
	}, {
		name: "read and write bandwidths, per-tensor widths, clusters, leakage per cycle",
		in: header + `tech: eyeriss-65nm
word_bits: 8
levels:
  - name: DRAM
    energy: {read_pj: 100}
    read_bandwidth_words: 4
  - name: Acc
    keeps: [Outputs]
    size_words: 96
    mesh: [4, 1]
    energy: {read_pj: 3}
    write_bandwidth_words: 0.5
    data_bits: {Outputs: 24}
    cluster_size: 2
    leakage_pj_per_cycle: 0.25
  - name: RF
    size_words: 64
    energy: {tech: rf}
    leakage_pj_per_cycle: 0.5
compute: {mac_pj: 1, leakage_pj_per_cycle: 0.01}
`,
		want: &Spec{Name: "t", ClockHz: 100e6, Levels: []Level{
			{Name: "DRAM", Keeps: all, WordBits: 8, MeshX: 1, MeshY: 1, Energy: same(Actions{100, 100, 100}), ReadBandwidthWords: 4},
			{Name: "Acc", Keeps: [3]bool{false, false, true}, SizeWords: 96, WordBits: 8, MeshX: 4, MeshY: 1,
				Energy: [3]Actions{{}, {}, {3, 3, 3}}, WriteBandwidthWords: 0.5, DataBits: [3]int{0, 0, 24}, ClusterSize: 2, LeakagePJ: 0.25},
			// The per-cycle leakage replaces the table's (the RF's SRAM
			// leaks, in watts, otherwise).
			{Name: "RF", Keeps: all, SizeWords: 64, WordBits: 8, MeshX: 1, MeshY: 1,
				Energy: same(Actions{rf8, rf8, rf8}), AreaUM2: cost(65, 8, 64).AreaUM2, LeakagePJ: 0.5},
		}, Compute: Compute{MeshX: 1, MeshY: 1, EnergyPJ: 1, Bits: 8, LeakagePJ: 0.01}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse("t.yaml", []byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			tt.want.Source = "t.yaml"
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateApprox(1e-12, 0)); diff != "" {
				t.Errorf("Parse (-want +got):\n%s", diff)
			}
			// Format writes the new keys only when set, and reads back.
			back, err := Parse("t.yaml", Format(got))
			if err != nil {
				t.Fatalf("Parse(Format): %v\n%s", err, Format(got))
			}
			if diff := cmp.Diff(got, back); diff != "" {
				t.Errorf("Parse(Format) (-want +got):\n%s", diff)
			}
		})
	}
}

var all = [workload.NumTensors]bool{true, true, true}

func same(a Actions) [workload.NumTensors]Actions { return [workload.NumTensors]Actions{a, a, a} }
