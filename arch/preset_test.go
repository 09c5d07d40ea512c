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
