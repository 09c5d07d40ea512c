package timeloop_test

import (
	"cmp"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/cost"
	"github.com/nnergy/nnergy/internal/yamlspec"
	"github.com/nnergy/nnergy/mapping"
	"github.com/nnergy/nnergy/timeloop"
	"github.com/nnergy/nnergy/workload"
)

const design = "testdata/eyeriss_like"

func inputs(t *testing.T) []timeloop.Input {
	t.Helper()
	in, skipped, err := timeloop.ReadPaths([]string{design})
	if err != nil {
		t.Fatal(err)
	}
	if len(in) != 4 || len(skipped) != 0 {
		t.Fatalf("read %d inputs, skipped %v; want the 4 YAML files", len(in), skipped)
	}
	return in
}

// TestImportLoads checks that the written files load in nnergy on their
// own and describe the Timeloop design: its instances, capacities, energy
// per word and bounds.
func TestImportLoads(t *testing.T) {
	r, err := timeloop.Import(inputs(t))
	if err != nil {
		t.Fatal(err)
	}
	spec, err := arch.Parse("arch.yaml", r.ArchYAML)
	if err != nil {
		t.Fatal(err)
	}
	net, err := workload.Parse("workload.yaml", r.WorkloadYAML)
	if err != nil {
		t.Fatal(err)
	}
	m, err := mapping.Parse("mapping.txt", r.MappingText)
	if err != nil {
		t.Fatal(err)
	}
	l := net.Layers[0]
	if err := m.CheckShape(l); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		what      string
		got, want float64
	}{
		{"levels", float64(len(spec.Levels)), 5},
		{"MAC units", float64(spec.MACUnits()), 168},
		{"ifmap_spad instances", float64(spec.Instances(spec.Level("ifmap_spad"))), 168},
		{"shared_glb words", float64(spec.Levels[spec.Level("shared_glb")].SizeWords), 16384 * 8},
		{"weights_spad words", float64(spec.Levels[spec.Level("weights_spad")].SizeWords), 192 * 2},
		{"DRAM read pJ/word", spec.Levels[0].Energy[workload.Inputs].ReadPJ, 512.0 / 8},
		{"psum_spad read pJ/word", spec.Levels[spec.Level("psum_spad")].Energy[workload.Outputs].ReadPJ, 0.2513},
		{"MAC pJ", spec.Compute.EnergyPJ, 0.207692},
		{"clock Hz", spec.ClockHz, 1e9},
		{"MACs", float64(l.MACs()), 3 * 32 * 3 * 3 * 112 * 112},
		{"stride", float64(l.Stride[0]), 2},
	} {
		if d := c.got - c.want; d > 1e-9*c.want || d < -1e-9*c.want {
			t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
		}
	}
	mdl, err := cost.New(spec)
	if err != nil {
		t.Fatal(err)
	}
	res, err := mdl.Evaluate(l, m)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Valid {
		t.Errorf("imported mapping breaks the imported architecture: %v", res.Violations)
	}
}

var position = regexp.MustCompile(`\.yaml:\d+:\d+: `)

// TestImportErrors feeds broken Timeloop input and wants every error
// positioned in the Timeloop file it comes from.
func TestImportErrors(t *testing.T) {
	for _, c := range []brokenCase{
		{"unknown class", "parsed-processed-input.yaml", "class: smartbuffer_RF", "class: smartbufer_RF", `unknown class "smartbufer_RF" of ifmap_spad`, ""},
		{"missing attribute", "parsed-processed-input.yaml", "                depth: 12\n", "", "missing attribute depth of ifmap_spad", ""},
		{"unknown key", "parsed-processed-input.yaml", "            enabled: true\n", "            enabeld: true\n", "enabeld: unknown key", ""},
		{"jinja", "parsed-processed-input.yaml", "M: 32", "M: {{ M }}", "unexpanded Jinja template", ""},
		{"factors", "timeloop-mapper.map.yaml", "factors: C1 M4 R1", "factors: C1 M2 R1", "the factors of M multiply to 16, the problem's bound is 32", ""},
		{"unknown target", "timeloop-mapper.map.yaml", "target: DRAM\n    type: temporal", "target: DRAMM\n    type: temporal", `unknown target "DRAMM"`, ""},
		{"unknown dimension", "parsed-processed-input.yaml", "          - C\n          - M\n          - R\n          - S\n          - N\n          - P\n          - Q\n        name", "          - C\n          - K\n          - R\n          - S\n          - N\n          - P\n          - Q\n        name", `dimension "K" has no nnergy counterpart`, ""},
		{"mesh", "parsed-processed-input.yaml", "meshX: 14\n                meshY: 12\n                power_gated_at: null\n                technology: \"32nm\"\n            required_actions:\n              - leak\n              - write\n              - read\n              - update\n            enabled: true\n          - name: weights_spad", "meshX: 12\n                meshY: 14\n                power_gated_at: null\n                technology: \"32nm\"\n            required_actions:\n              - leak\n              - write\n              - read\n              - update\n            enabled: true\n          - name: weights_spad", "weights_spad: its 14×12 instances are not a whole mesh under the 12×14 of ifmap_spad", ""},
		{"mapping against a constraint", "timeloop-mapper.map.yaml", "factors: C3 M1 R1 S3", "factors: C1 M1 R3 S3", "inter_PE_spatial spatial factor of R is 3: the constraint at testdata/eyeriss_like/parsed-processed-input.yaml:", ""},
		{"keep against a constraint", "timeloop-mapper.map.yaml", "keep:\n      - Inputs\n    bypass:\n      - Weights\n      - Outputs", "keep:\n      - Inputs\n      - Outputs\n    bypass:\n      - Weights", "ifmap_spad keeps [Inputs, Outputs]: the constraint at", ""},
		{"constraint on an unknown level", "parsed-processed-input.yaml", "target: inter_PE_column_spatial\n      - factors", "target: inter_PE_colum_spatial\n      - factors", `unknown target "inter_PE_colum_spatial"`, ""},
		{"bad constraint factor", "parsed-processed-input.yaml", "factors: N=1,C=1,P=1,R=1,S=1", "factors: N=1,C=one", `bad factor "C=one"`, ""},
		{"no ERT entry", "timeloop-mapper.ERT.yaml", "system_top_level.psum_spad", "system_top_level.psum_pad", "no table for psum_spad", ""},
		{"v0.4 tree", "parsed-processed-input.yaml", "architecture:\n    version: '0.4'\n", "architecture:\n    version: '0.4'\n    nodes: []\n", "both nodes (v0.4) and subtree (v0.3)", ""},
	} {
		t.Run(c.name, func(t *testing.T) { checkBroken(t, inputs(t), c) })
	}
}

// brokenCase is one bad Timeloop input: in file, old replaced by new; the
// import must fail with an error saying want, positioned in file (or in,
// when given).
type brokenCase struct {
	name, file, old, new string
	want                 string
	in                   string
}

// checkBroken breaks the inputs as c says and checks the error.
func checkBroken(t *testing.T, in []timeloop.Input, c brokenCase) {
	t.Helper()
	changed := false
	for i := range in {
		if strings.HasSuffix(in[i].Name, "/"+c.file) {
			s := string(in[i].Data)
			if !strings.Contains(s, c.old) {
				t.Fatalf("%s has no %q", c.file, c.old)
			}
			in[i].Data = []byte(strings.Replace(s, c.old, c.new, 1))
			changed = true
		}
	}
	if !changed {
		t.Fatalf("no input %s", c.file)
	}
	_, err := timeloop.Import(in)
	if err == nil {
		t.Fatal("no error")
	}
	var el yamlspec.ErrorList
	if !errors.As(err, &el) {
		t.Fatalf("error %q is not a yamlspec.ErrorList", err)
	}
	var line string
	for _, e := range el {
		if strings.Contains(e.Error(), c.want) {
			line = e.Error()
		}
	}
	if line == "" {
		t.Fatalf("error %q does not say %q", err, c.want)
	}
	want := cmp.Or(c.in, c.file)
	if !strings.Contains(line, want) || !position.MatchString(line) {
		t.Errorf("error %q is not positioned in %s", line, want)
	}
}
