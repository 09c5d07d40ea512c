package arch

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestPresets(t *testing.T) {
	want := []string{"edge-npu", "eyeriss", "eyeriss-v2", "systolic", "systolic-16"}
	if diff := cmp.Diff(want, Presets()); diff != "" {
		t.Fatalf("Presets() (-want +got):\n%s", diff)
	}
	// Shape of each preset: levels, MAC units, clock, and that the
	// outermost level is DRAM.
	tests := []struct {
		name    string
		levels  []string
		macs    int
		clockHz float64
	}{
		{"eyeriss", []string{"DRAM", "GLB", "RF"}, 168, 200e6},
		{"systolic", []string{"DRAM", "UB", "Accumulators", "PE"}, 128 * 128, 700e6},
		{"systolic-16", []string{"DRAM", "UB", "Accumulators", "PE"}, 16 * 16, 500e6},
		{"edge-npu", []string{"DRAM", "L2", "L1", "RF"}, 4 * 64, 1e9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Preset(tt.name)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Validate(); err != nil {
				t.Fatal(err)
			}
			var levels []string
			for _, l := range s.Levels {
				levels = append(levels, l.Name)
			}
			if diff := cmp.Diff(tt.levels, levels); diff != "" {
				t.Errorf("levels (-want +got):\n%s", diff)
			}
			if got := s.MACUnits(); got != tt.macs {
				t.Errorf("MACUnits() = %d, want %d", got, tt.macs)
			}
			if s.ClockHz != tt.clockHz {
				t.Errorf("ClockHz = %g, want %g", s.ClockHz, tt.clockHz)
			}
			if s.Source != "preset "+tt.name || s.Name != tt.name || s.Description == "" {
				t.Errorf("Name %q, Source %q, Description %q", s.Name, s.Source, s.Description)
			}
		})
	}
}

// TestEyeriss checks the eyeriss preset against the chip (figures.md §1a)
// and the ISCA 2016 energy table (§2).
func TestEyeriss(t *testing.T) {
	s, err := Preset("eyeriss")
	if err != nil {
		t.Fatal(err)
	}
	glb, rf := &s.Levels[s.Level("GLB")], &s.Levels[s.Level("RF")]
	checks := []struct {
		what      string
		got, want float64
	}{
		{"GLB bytes", float64(glb.SizeWords * int64(glb.WordBits) / 8), 108 * 1024},
		{"GLB weight bytes", float64(glb.Partition[0] * 2), 8 * 1024},
		{"RF Weights words", float64(rf.Partition[0]), 224},
		{"RF Inputs words", float64(rf.Partition[1]), 12},
		{"RF Outputs words", float64(rf.Partition[2]), 24},
		{"PE columns (X)", float64(rf.MeshX), 14},
		{"PE rows (Y)", float64(rf.MeshY), 12},
		// 181.5 kB of on-chip SRAM: the GLB and the 168 filter spads (the
		// ifmap and psum spads are registers).
		{"on-chip SRAM bytes", float64(glb.SizeWords*2 + int64(s.Instances(2))*rf.Partition[0]*2), 181.5 * 1024},
		{"DRAM pJ", s.Levels[0].Energy[0].ReadPJ, 200},
		{"GLB pJ", glb.Energy[1].ReadPJ, 6},
		{"NoC pJ", rf.Network.WordPJ, 2},
		{"RF pJ", rf.Energy[2].UpdatePJ, 1},
		{"MAC pJ", s.Compute.EnergyPJ, 1},
		{"DRAM words/cycle", s.Levels[0].BandwidthWords, 4 * 60.0 / 200},
	}
	for _, c := range checks {
		if !cmp.Equal(c.got, c.want, cmpopts.EquateApprox(0.001, 0)) {
			t.Errorf("%s = %g, want %g", c.what, c.got, c.want)
		}
	}
	if !rf.Network.Multicast || !rf.Network.Reduction {
		t.Errorf("RF network %+v: want multicast and reduction", rf.Network)
	}
}

// TestRoundTrip formats every preset, checks the canonical YAML against its
// golden file, and parses it back to an equal Spec.
func TestRoundTrip(t *testing.T) {
	for _, name := range Presets() {
		t.Run(name, func(t *testing.T) {
			s, err := Preset(name)
			if err != nil {
				t.Fatal(err)
			}
			out := Format(s)
			golden(t, filepath.Join("testdata", "format", name+".yaml"), out)
			back, err := Parse(name+".yaml", out)
			if err != nil {
				t.Fatalf("Parse(Format(%s)): %v", name, err)
			}
			if diff := cmp.Diff(s, back, cmpopts.IgnoreFields(Spec{}, "Source")); diff != "" {
				t.Errorf("round trip (-preset +reparsed):\n%s", diff)
			}
			if again := Format(back); string(again) != string(out) {
				t.Errorf("Format is not idempotent")
			}
		})
	}
}

func TestRoundTripQuoting(t *testing.T) {
	s, err := Preset("eyeriss")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"true", "null", "two words", "a:b", "ü", "# x", "1e3", `q"uote`} {
		s.Name, s.Description, s.Levels[1].Name, s.Levels[2].Network.Name = name, name+"\n", name+"!", name
		back, err := Parse("q.yaml", Format(s))
		if err != nil {
			t.Fatalf("name %q: %v", name, err)
		}
		if diff := cmp.Diff(s, back, cmpopts.IgnoreFields(Spec{}, "Source")); diff != "" {
			t.Errorf("name %q: round trip (-want +got):\n%s", name, diff)
		}
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "my.yaml")
	data, err := PresetYAML("systolic-16")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		arg        string
		wantSource string
		wantErr    string
		unknown    bool
	}{
		{arg: "eyeriss", wantSource: "preset eyeriss"},
		{arg: file, wantSource: file},
		{arg: "eyriss", wantErr: `arch: unknown architecture "eyriss" (presets: edge-npu, eyeriss, eyeriss-v2, systolic, systolic-16)`, unknown: true},
		{arg: filepath.Join(dir, "missing.yaml"), wantErr: "arch: open " + filepath.Join(dir, "missing.yaml") + ": no such file or directory"},
	}
	for _, tt := range tests {
		s, err := Load(tt.arg)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("Load(%q) error = %v, want %q", tt.arg, err, tt.wantErr)
			}
			if got := errors.Is(err, ErrUnknown); got != tt.unknown {
				t.Errorf("Load(%q): errors.Is(err, ErrUnknown) = %v, want %v", tt.arg, got, tt.unknown)
			}
			continue
		}
		if err != nil {
			t.Errorf("Load(%q): %v", tt.arg, err)
			continue
		}
		if s.Source != tt.wantSource {
			t.Errorf("Load(%q).Source = %q, want %q", tt.arg, s.Source, tt.wantSource)
		}
	}
	if _, err := Preset("tpu"); err == nil || !errors.Is(err, ErrUnknown) {
		t.Errorf("Preset(unknown) = %v, want ErrUnknown", err)
	}
}

// TestEyerissArea holds the eyeriss preset's area model to the published
// split of the chip (JSSC 2017 §VI, figures.md §1a): the spads take about
// half of the core and 2.5× the GLB's area, all storage about 2/3 of it, the
// multipliers and adders 7.4%. The model has only storage and MACs (no
// control, NoC, clock tree or pads: about a quarter of the core by the same
// split), so it is compared on ratios among those parts. The tolerances are
// what the model reaches (see README, "Area and static power"): the spads
// and the GLB within 20% of the published ratio, the MACs within a factor
// 2.5 of their published share of storage (the model's MACs are about 2×
// too large next to its storage).
func TestEyerissArea(t *testing.T) {
	s, err := Preset("eyeriss")
	if err != nil {
		t.Fatal(err)
	}
	a := s.Area()
	spads, glb, macs := a.Levels[s.Level("RF")].TotalUM2, a.Levels[s.Level("GLB")].TotalUM2, a.ComputeUM2
	if a.Levels[0].TotalUM2 != 0 || spads <= 0 || glb <= 0 || macs <= 0 || a.TotalUM2 != spads+glb+macs {
		t.Fatalf("area %+v: want DRAM 0 and the GLB, spads and MACs adding up to the total", a)
	}
	// Published shares of the core.
	const pubSpads, pubStorage, pubMACs = 0.5, 2.0 / 3, 0.074
	pubGLB := pubSpads / 2.5
	storage := spads + glb
	checks := []struct {
		what       string
		model, pub float64
		lo, hi     float64 // model / pub must lie in [lo, hi]
	}{
		{"spads / GLB", spads / glb, 2.5, 0.8, 1.2},
		{"spads / storage", spads / storage, pubSpads / (pubSpads + pubGLB), 0.93, 1.07},
		{"storage / (storage + MACs)", storage / a.TotalUM2, pubStorage / (pubStorage + pubMACs), 0.85, 1.15},
		{"MACs / storage", macs / storage, pubMACs / pubStorage, 1 / 2.5, 2.5},
	}
	for _, c := range checks {
		r := c.model / c.pub
		t.Logf("%-28s model %.3f, published %.3f (%.2fx)", c.what, c.model, c.pub, r)
		if r < c.lo || r > c.hi {
			t.Errorf("%s: model %.3f, published %.3f: ratio %.2f outside [%.2f, %.2f]", c.what, c.model, c.pub, r, c.lo, c.hi)
		}
	}
	// The chip's level sizes: 168 PEs, a 108 kB GLB, spads of 12 + 224 + 24
	// 16-bit words (figures.md §1a), as TestEyeriss checks in detail.
	rf := s.Levels[s.Level("RF")]
	if n := a.Levels[s.Level("RF")].Instances; n != 168 || rf.SizeWords != 260 || rf.WordBits != 16 {
		t.Errorf("RF: %d instances of %d %d-bit words", n, rf.SizeWords, rf.WordBits)
	}
}
