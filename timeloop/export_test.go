package timeloop_test

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"testing"

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
var designs = []string{"eyeriss_like", "simple_weight_stationary", "simple_output_stationary"}

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
			in, _, err := timeloop.ReadPaths([]string{"testdata/" + d})
			if err != nil {
				t.Fatal(err)
			}
			r1, err := timeloop.Import(in)
			if err != nil {
				t.Fatal(err)
			}
			ex, err := timeloop.ExportDesign(r1.Spec, r1.Network.Layers[0], r1.Mapping)
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
				ex, err := timeloop.ExportDesign(spec, l, m)
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
