package timeloop_test

import (
	"os"
	"strings"
	"testing"

	"github.com/nnergy/nnergy/mapspace"
	"github.com/nnergy/nnergy/timeloop"
)

func readInput(t *testing.T, path string) timeloop.Input {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return timeloop.Input{Name: path, Data: data}
}

// v04Inputs are a design's v0.4 architecture (arch.yaml of the
// exercises), the default problem and clock, and the ERT, ART and mapping
// of its reference outputs, whose targets name the containers as the
// front end does (inter_PE_spatial for the container PE).
func v04Inputs(t *testing.T, dir string) []timeloop.Input {
	name := strings.TrimPrefix(dir, "testdata/")
	in := []timeloop.Input{
		readInput(t, "testdata/v04/"+name+".arch.yaml"),
		readInput(t, "testdata/v04/default_problem.yaml"),
		readInput(t, "testdata/v04/variables.yaml"),
		readInput(t, dir+"/timeloop-mapper.ERT.yaml"),
		readInput(t, dir+"/timeloop-mapper.ART.yaml"),
	}
	return append(in, readInput(t, dir+"/timeloop-mapper.map.yaml"))
}

// TestImportV04 imports each design from its v0.4 tree (!Container,
// !Component, !Parallel, spatial meshes, dataspace constraints): the same
// nnergy files, constraints included, as from the front end's v0.3 dump,
// but for the name of the top container (NAME_top_level in the dump).
func TestImportV04(t *testing.T) {
	for _, d := range designs {
		t.Run(d, func(t *testing.T) {
			r3 := importDesign(t, "testdata/"+d)
			r4, err := timeloop.Import(v04Inputs(t, "testdata/"+d))
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct{ what, a, b string }{
				{"arch", strings.Replace(string(r3.ArchYAML), `_top_level"`, `"`, 1), string(r4.ArchYAML)},
				{"workload", string(r3.WorkloadYAML), string(r4.WorkloadYAML)},
				{"mapping", r3.MappingText, r4.MappingText},
				{"constraints", string(r3.ConstraintsYAML), string(r4.ConstraintsYAML)},
			} {
				if a, b := uncomment(c.a), uncomment(c.b); a != b {
					t.Errorf("%s from the v0.4 tree differs from the v0.3 one:\n--- v0.3\n%s\n--- v0.4\n%s", c.what, a, b)
				}
			}
		})
	}
}

// TestImportV04Errors breaks the v0.4 tree and wants each error
// positioned in its file.
func TestImportV04Errors(t *testing.T) {
	const arch = "eyeriss_like.arch.yaml"
	for _, c := range []brokenCase{
		{"unknown tag", arch, "- !Container # Each column", "- !Contianer # Each column", `unknown node tag "!Contianer"`, ""},
		{"unknown key", arch, "    spatial: {meshX: 14}", "    spatail: {meshX: 14}", "unknown key of a !Container node", ""},
		{"bad mesh", arch, "spatial: {meshY: 12}", "spatial: {meshY: twelve}", `want a positive whole number, got "twelve"`, ""},
		{"unknown mesh key", arch, "spatial: {meshY: 12}", "spatial: {meshZ: 12}", "unknown key (want meshX or meshY)", ""},
		{"unknown class", arch, "class: smartbuffer_RF", "class: smartbufer_RF", `unknown class "smartbufer_RF" of ifmap_spad`, ""},
		{"missing attribute", arch, "        depth: 192\n", "", "missing attribute depth of weights_spad", ""},
		{"unknown data space", arch, "dataspace: {keep: [Inputs]}", "dataspace: {keep: [Imputs]}", `unknown data space "Imputs"`, ""},
		{"no class", arch, "    class: intmac\n", "", "a !Component needs a class", ""},
		{"no clock", "variables.yaml", "global_cycle_seconds: 1e-9", "technology: 45nm", "no global_cycle_seconds", arch},
		{"jinja", arch, "depth: 16384", "depth: {{ depth }}", "unexpanded Jinja template", ""},
		{"a mapping on an unknown container", "timeloop-mapper.map.yaml", "target: inter_PE_column_spatial\n    type: spatial", "target: inter_PE_colum_spatial\n    type: spatial", `unknown target "inter_PE_colum_spatial"`, ""},
	} {
		t.Run(c.name, func(t *testing.T) { checkBroken(t, v04Inputs(t, design), c) })
	}
}

// TestImportConstraints imports each design's constraints: nnergy reads
// them, and their mapspace holds the imported mapping.
func TestImportConstraints(t *testing.T) {
	for _, d := range designs {
		t.Run(d, func(t *testing.T) {
			r := importDesign(t, "testdata/"+d)
			c, err := mapspace.ParseConstraints("constraints.yaml", r.ConstraintsYAML)
			if err != nil {
				t.Fatalf("%v\n%s", err, r.ConstraintsYAML)
			}
			if len(c.Levels) < 3 {
				t.Errorf("constraints %v: want at least 3 levels constrained", c)
			}
			s, err := mapspace.New(r.Network.Layers[0], r.Spec, c)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.PointOf(r.Mapping); err != nil {
				t.Errorf("the imported mapping breaks the imported constraints: %v\n%s", err, r.ConstraintsYAML)
			}
		})
	}
}

// TestImportSome imports parts of a design, as eval and map do with the
// Timeloop files given to --arch, --model and --mapping.
func TestImportSome(t *testing.T) {
	read := func(names ...string) []timeloop.Input {
		var in []timeloop.Input
		for _, n := range names {
			in = append(in, readInput(t, "testdata/v04/"+n))
		}
		return in
	}
	ert := readInput(t, design+"/timeloop-mapper.ERT.yaml")
	for _, c := range []struct {
		name            string
		in              []timeloop.Input
		arch, net, mapg bool
		err             string
	}{
		{"problem", read("default_problem.yaml"), false, true, false, ""},
		{"architecture", append(read("eyeriss_like.arch.yaml", "variables.yaml"), ert), true, false, false, ""},
		{"architecture without ERT", read("eyeriss_like.arch.yaml", "variables.yaml"), false, false, false, "no ERT section"},
		{"mapping without architecture", append(read("default_problem.yaml"), readInput(t, design+"/timeloop-mapper.map.yaml")), false, false, false, "a mapping needs the Timeloop architecture and problem"},
		{"nothing", read("variables.yaml"), false, false, false, "no architecture or problem section"},
		{"all", v04Inputs(t, design), true, true, true, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, err := timeloop.ImportSome(c.in)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want one saying %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (r.Spec != nil) != c.arch || (r.Network != nil) != c.net || (r.Mapping != nil) != c.mapg {
				t.Errorf("architecture %v, network %v, mapping %v; want %v, %v, %v", r.Spec != nil, r.Network != nil, r.Mapping != nil, c.arch, c.net, c.mapg)
			}
			if c.net && !c.arch && r.Network.Layers[0].MACs() != 3*32*3*3*112*112 {
				t.Errorf("the problem alone has %d MACs", r.Network.Layers[0].MACs())
			}
		})
	}
}
