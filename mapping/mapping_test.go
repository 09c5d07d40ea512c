package mapping

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/nnergy/nnergy/workload"
)

func TestFormatParseRoundTrip(t *testing.T) {
	all := [workload.NumTensors]bool{true, true, true}
	m := &Mapping{Levels: []Level{
		{Name: "DRAM", Keep: all, Temporal: []Loop{{Dim: workload.M, Factor: 4}, {Dim: workload.N, Factor: 2}}},
		{Name: "GLB", Keep: [workload.NumTensors]bool{false, true, true},
			Temporal: []Loop{{Dim: workload.C, Factor: 3}},
			Spatial:  []Loop{{Dim: workload.M, Factor: 16, Axis: X}, {Dim: workload.R, Factor: 3, Axis: Y}}},
		{Name: "RF", Temporal: []Loop{{Dim: workload.S, Factor: 3}}},
	}}
	text := m.Format()
	want := `DRAM keep Weights Inputs Outputs
  for M in [0:4)
  for N in [0:2)
GLB keep Inputs Outputs
  for C in [0:3)
  spatial-x M in [0:16)
  spatial-y R in [0:3)
RF keep none
  for S in [0:3)
`
	if diff := cmp.Diff(want, text); diff != "" {
		t.Fatalf("Format (-want +got):\n%s", diff)
	}
	back, err := Parse("m.txt", text)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(m, back); diff != "" {
		t.Fatalf("Parse(Format(m)) differs (-m +parsed):\n%s", diff)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"", "mapping: m.txt: no levels"},
		{"  for M in [0:4)\n", "mapping: m.txt:1: loop before the first level header"},
		{"DRAM\n", `mapping: m.txt:1: level header "DRAM": want "NAME keep TENSOR..."`},
		{"DRAM keep Weights Psums\n", `mapping: m.txt:1: unknown tensor "Psums" (want Weights, Inputs or Outputs)`},
		{"DRAM keep Weights\n  for K in [0:4)\n", `mapping: m.txt:2: unknown dimension "K" (want N, G, M, C, P, Q, R or S)`},
		{"DRAM keep Weights\n  for M in [0:0)\n", `mapping: m.txt:2: loop "for M in [0:0)": factor must be an integer from 1 to 4294967296 (workload.MaxBound)`},
		{"DRAM keep Weights\n  spatial-z M in [0:2)\n", `mapping: m.txt:2: loop "spatial-z M in [0:2)": unknown loop kind "spatial-z" (want for, spatial-x or spatial-y)`},
		{"DRAM keep Weights\n  for M to 4\n", `mapping: m.txt:2: loop "for M to 4": want "for D in [0:F)" or "spatial-x D in [0:F)"`},
		// A none beside tensors used to be skipped: the level kept Inputs.
		{"DRAM keep Weights Inputs Outputs\nGLB keep none Inputs\n", `mapping: m.txt:2: level GLB: keep none Inputs: none keeps no tensor, and cannot be given with tensors`},
		{"DRAM keep Weights Inputs Outputs\nGLB keep Inputs none\n", `mapping: m.txt:2: level GLB: keep Inputs none: none keeps no tensor, and cannot be given with tensors`},
		{"DRAM keep Weights Inputs Weights\n", `mapping: m.txt:1: level DRAM: keeps Weights twice`},
	} {
		_, err := Parse("m.txt", tc.text)
		if err == nil || err.Error() != tc.want {
			t.Errorf("Parse(%q) error = %v, want %q", tc.text, err, tc.want)
		}
	}
}

func TestCheckShape(t *testing.T) {
	l, err := workload.NewConv(workload.ConvSpec{Name: "c", InC: 4, OutC: 8, InH: 6, InW: 6, KH: 3, KW: 3})
	if err != nil {
		t.Fatal(err)
	}
	m := &Mapping{Levels: []Level{{Name: "DRAM", Temporal: []Loop{{Dim: workload.M, Factor: 8}, {Dim: workload.C, Factor: 4},
		{Dim: workload.P, Factor: 4}, {Dim: workload.Q, Factor: 4}, {Dim: workload.R, Factor: 3}, {Dim: workload.S, Factor: 2}}}}}
	err = m.CheckShape(l)
	want := `mapping: factors of S multiply to 2, layer "c" has S=3`
	if err == nil || err.Error() != want {
		t.Fatalf("CheckShape error = %v, want %q", err, want)
	}
	m.Levels[0].Temporal[5].Factor = 3
	if err := m.CheckShape(l); err != nil {
		t.Fatal(err)
	}
	if strings.Count(m.Format(), "for") != 6 {
		t.Fatalf("Format lost loops:\n%s", m.Format())
	}
}

// TestCheckShapeNoWrap gives factors whose product wraps int64 around to
// the bound ((2^63−1)² ≡ 1 mod 2^64): CheckShape refuses them.
func TestCheckShapeNoWrap(t *testing.T) {
	l, err := workload.NewLayer("l", workload.Conv, workload.Shape{1, 1, 1, 4, 1, 1, 1, 1}, [2]int{1, 1}, [2]int{1, 1})
	if err != nil {
		t.Fatal(err)
	}
	const big = 1<<63 - 1
	for _, loops := range [][]Loop{
		{{Dim: workload.M, Factor: big}, {Dim: workload.M, Factor: big}, {Dim: workload.C, Factor: 4}},
		{{Dim: workload.C, Factor: 1 << 62}, {Dim: workload.C, Factor: 1 << 62}, {Dim: workload.C, Factor: 4}},
		{{Dim: workload.C, Factor: 8}},
	} {
		m := &Mapping{Levels: []Level{{Name: "DRAM", Temporal: loops}}}
		if err := m.CheckShape(l); err == nil {
			t.Errorf("CheckShape accepted %v", loops)
		}
	}
	ok := &Mapping{Levels: []Level{{Name: "DRAM", Temporal: []Loop{{Dim: workload.C, Factor: 2}, {Dim: workload.C, Factor: 2}}}}}
	if err := ok.CheckShape(l); err != nil {
		t.Error(err)
	}
}

// TestParseLongLines reads a mapping with a comment line longer than
// bufio.Scanner's default 64 KB: the loops after it used to be dropped
// without an error. Text past MaxTextBytes is refused.
func TestParseLongLines(t *testing.T) {
	text := "DRAM keep Weights\n#" + strings.Repeat("x", 100<<10) + "\n  for M in [0:4)\n"
	m, err := Parse("m.txt", text)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Levels[0].Temporal) != 1 {
		t.Errorf("loops after the long line lost: %s", m.Format())
	}
	if _, err := Parse("m.txt", "DRAM keep Weights\n#"+strings.Repeat("x", MaxTextBytes)); err == nil || !strings.Contains(err.Error(), "mapping.MaxTextBytes") {
		t.Errorf("text past the limit: %v", err)
	}
}

// TestParseFor checks the levels' names against the architecture's: a
// level named as none of them used to be evaluated as the level in its
// place.
func TestParseFor(t *testing.T) {
	levels := []string{"DRAM", "GLB", "RF"}
	good := "DRAM keep Weights Inputs Outputs\n  for M in [0:4)\nGLB keep none\n\nRF keep Weights\n"
	if _, err := ParseFor("m.txt", good, levels); err != nil {
		t.Fatalf("ParseFor(good): %v", err)
	}
	for _, tc := range []struct{ text, want string }{
		{strings.Replace(good, "GLB", "SRAM", 1), "mapping: m.txt:3: level SRAM matches no level of the architecture (DRAM, GLB, RF); level 2 is GLB"},
		{strings.Replace(good, "DRAM", "dram", 1), "mapping: m.txt:1: level dram matches no level of the architecture (DRAM, GLB, RF); level 1 is DRAM"},
		{"DRAM keep Weights Inputs Outputs\nRF keep none\nGLB keep none\n", "mapping: m.txt:2: level RF is level 3 of the architecture, not 2 (DRAM, GLB, RF: outermost first)"},
		{"DRAM keep Weights Inputs Outputs\nGLB keep none\n", "mapping: m.txt: 2 levels, the architecture has 3 (DRAM, GLB, RF): RF has no block"},
		{good + "REG keep none\n", "mapping: m.txt:6: level REG: the architecture has 3 levels (DRAM, GLB, RF)"},
	} {
		_, err := ParseFor("m.txt", tc.text, levels)
		if err == nil || err.Error() != tc.want {
			t.Errorf("ParseFor(%q) error = %v, want %q", tc.text, err, tc.want)
		}
	}
}
