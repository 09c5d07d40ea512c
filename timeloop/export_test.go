package timeloop_test

import (
	"cmp"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/cost"
	"github.com/nnergy/nnergy/dataflow"
	"github.com/nnergy/nnergy/mapping"
	"github.com/nnergy/nnergy/timeloop"
	"github.com/nnergy/nnergy/workload"
	"github.com/nnergy/nnergy/workload/zoo"
)

// designs are the Timeloop designs under testdata/, each a directory of
// Timeloop's reference outputs.
var designs = []string{"eyeriss_like", "simple_weight_stationary", "simple_output_stationary", "simba_like"}

// uncomment drops YAML and mapping comments (whole lines and trailing),
// which name the files a design came from.
func uncomment(s string) string {
	var out []string
	for line := range strings.Lines(s) {
		line = strings.TrimRight(line, "\n")
		if i := strings.Index(line, "#"); i >= 0 && (i == 0 || line[i-1] == ' ') {
			line = strings.TrimRight(line[:i], " ")
		}
		if strings.TrimSpace(line) != "" {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

// importDesign imports the Timeloop inputs of directory dir.
func importDesign(t *testing.T, dir string) *timeloop.Result {
	t.Helper()
	in, _, err := timeloop.ReadPaths([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	r, err := timeloop.Import(in)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func reimport(t *testing.T, ex *timeloop.Export) *timeloop.Result {
	t.Helper()
	r, err := timeloop.Import(ex.Files)
	if err != nil {
		for _, f := range ex.Files {
			t.Logf("%s:\n%s", f.Name, f.Data)
		}
		t.Fatalf("importing the export: %v", err)
	}
	return r
}

// TestRoundTrip imports each design, exports it and imports the export:
// the nnergy files must be the same but for their comments.
func TestRoundTrip(t *testing.T) {
	for _, d := range designs {
		t.Run(d, func(t *testing.T) {
			r1 := importDesign(t, "testdata/"+d)
			ex, err := timeloop.ExportDesign(r1.Spec, r1.Layout, r1.Network.Layers[0], r1.Mapping)
			if err != nil {
				t.Fatal(err)
			}
			r2 := reimport(t, ex)
			for _, c := range []struct{ what, a, b string }{
				{"arch", string(r1.ArchYAML), string(r2.ArchYAML)},
				{"workload", string(r1.WorkloadYAML), string(r2.WorkloadYAML)},
				{"mapping", r1.MappingText, r2.MappingText},
			} {
				if a, b := uncomment(c.a), uncomment(c.b); a != b {
					t.Errorf("%s differs after import, export, import:\n--- first\n%s\n--- second\n%s", c.what, a, b)
				}
			}
		})
	}
}

// canonical lists each level's spatial X loops before its Y loops, the
// one order a Timeloop spatial entry (split) can say.
func canonical(m *mapping.Mapping) *mapping.Mapping {
	c := m.Clone()
	for i := range c.Levels {
		slices.SortStableFunc(c.Levels[i].Spatial, func(a, b mapping.Loop) int { return cmp.Compare(a.Axis, b.Axis) })
	}
	return c
}

// TestExportNativeMapping exports nnergy's own mappings on the eyeriss
// preset (every dataflow's builder on every AlexNet layer) and imports
// them back: the same mapping, and the same cost on the preset.
func TestExportNativeMapping(t *testing.T) {
	spec, err := arch.Preset("eyeriss")
	if err != nil {
		t.Fatal(err)
	}
	mdl, err := cost.New(spec)
	if err != nil {
		t.Fatal(err)
	}
	net, err := zoo.Get("alexnet")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, df := range dataflow.Dataflows {
		for _, l := range net.Layers {
			m, err := dataflow.Build(df, l, mdl)
			if err != nil {
				continue // the dataflow cannot map this layer
			}
			n++
			t.Run(fmt.Sprintf("%s/%s", df, l.Name), func(t *testing.T) {
				ex, err := timeloop.ExportDesign(spec, nil, l, m)
				if err != nil && strings.Contains(err.Error(), "Timeloop has one loop per dimension") && twice(m) {
					t.Skipf("not expressible in Timeloop: %v", err)
				}
				if err != nil {
					t.Fatal(err)
				}
				r := reimport(t, ex)
				if got, want := r.Mapping.Format(), canonical(m).Format(); got != want {
					t.Fatalf("mapping after export and import:\n%s\nwant\n%s", got, want)
				}
				a, err := mdl.Evaluate(l, m)
				if err != nil {
					t.Fatal(err)
				}
				b, err := mdl.Evaluate(l, r.Mapping)
				if err != nil {
					t.Fatal(err)
				}
				if a.EnergyPJ != b.EnergyPJ || a.Cycles != b.Cycles {
					t.Errorf("energy %v pJ, %d cycles; after the round trip %v pJ, %d cycles", a.EnergyPJ, a.Cycles, b.EnergyPJ, b.Cycles)
				}
			})
		}
	}
	if n == 0 {
		t.Fatal("no dataflow mapped any layer")
	}
}

// twice reports whether a level of m has two loops of one dimension of one
// kind (temporal, or spatial on either axis).
func twice(m *mapping.Mapping) bool {
	for _, lv := range m.Levels {
		for _, loops := range [][]mapping.Loop{lv.Temporal, lv.Spatial} {
			seen := map[workload.Dim]bool{}
			for _, lp := range loops {
				if lp.Factor == 1 {
					continue
				}
				if seen[lp.Dim] {
					return true
				}
				seen[lp.Dim] = true
			}
		}
	}
	return false
}

// mapEntry is one entry of a map.yaml, as the tests compare them.
type mapEntry struct {
	Target      string   `yaml:"target"`
	Type        string   `yaml:"type"`
	Factors     string   `yaml:"factors"`
	Permutation string   `yaml:"permutation"`
	Split       int      `yaml:"split"`
	Keep        []string `yaml:"keep"`
	Bypass      []string `yaml:"bypass"`
}

// loopsOf says what an entry does: its kept tensors, or its loops of
// factor above 1 innermost first, each with its axis (spatial) or none.
func loopsOf(t *testing.T, e mapEntry) string {
	if e.Type == "datatype" {
		k := slices.Clone(e.Keep)
		slices.Sort(k)
		return "keep " + strings.Join(k, " ")
	}
	f := map[string]string{}
	for _, s := range strings.Fields(e.Factors) {
		i := strings.IndexAny(s, "0123456789")
		f[s[:i]] = strings.TrimPrefix(s[i:], "=")
	}
	var out []string
	for j, r := range e.Permutation {
		d := string(r)
		if f[d] == "1" || f[d] == "" {
			continue
		}
		ax := ""
		if e.Type == "spatial" {
			ax = map[bool]string{true: "x", false: "y"}[j < e.Split]
		}
		out = append(out, d+f[d]+ax)
	}
	if e.Type == "spatial" {
		slices.Sort(out) // the order of spatial loops does not count
	}
	return strings.Join(out, " ")
}

// TestExportMatchesTimeloopMap exports each design's imported mapping to
// its imported layout: every target keeps and loops as in Timeloop's own
// map.yaml (the dummy levels' spatial loops included).
func TestExportMatchesTimeloopMap(t *testing.T) {
	for _, d := range designs {
		t.Run(d, func(t *testing.T) {
			r := importDesign(t, "testdata/"+d)
			out, err := timeloop.ExportMapping(r.Spec, r.Layout, r.Network.Layers[0], r.Mapping)
			if err != nil {
				t.Fatal(err)
			}
			read := func(data []byte) map[string]string {
				var f struct {
					Mapping []mapEntry `yaml:"mapping"`
				}
				if err := yaml.Unmarshal(data, &f); err != nil {
					t.Fatal(err)
				}
				m := map[string]string{}
				for _, e := range f.Mapping {
					if s := loopsOf(t, e); s != "" || e.Type == "datatype" {
						m[e.Target+" "+e.Type] = s
					}
				}
				return m
			}
			orig, err := os.ReadFile("testdata/" + d + "/timeloop-mapper.map.yaml")
			if err != nil {
				t.Fatal(err)
			}
			want, got := read(orig), read(out)
			for k, w := range want {
				if got[k] != w {
					t.Errorf("%s: exported %q, Timeloop's map.yaml %q", k, got[k], w)
				}
			}
			for k, g := range got {
				if _, ok := want[k]; !ok {
					t.Errorf("%s: exported %q, not in Timeloop's map.yaml", k, g)
				}
			}
		})
	}
}
