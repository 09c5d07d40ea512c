package mapspace_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/internal/yamlspec"
	"github.com/nnergy/nnergy/mapping"
	"github.com/nnergy/nnergy/mapspace"
	"github.com/nnergy/nnergy/workload"
)

const formatDoc = "../docs/format/constraints.md"

func TestConstraintsDoc(t *testing.T) {
	md, err := os.ReadFile(formatDoc)
	if err != nil {
		t.Fatal(err)
	}
	if diff := yamlspec.DocDiff(mapspace.ConstraintKeys(), md); diff != "" {
		t.Errorf("%s and the decoder disagree:\n%s", formatDoc, diff)
	}
	blocks := yamlspec.Examples(md)
	if len(blocks) == 0 {
		t.Fatal("no YAML example")
	}
	for _, b := range blocks {
		c, err := mapspace.ParseConstraints(formatDoc, b)
		if err != nil {
			t.Fatalf("example does not parse: %v", err)
		}
		glb := c.Levels["GLB"]
		if c.MinUtilization != 0.5 || glb.Spatial[workload.R] != mapping.Y || c.Levels["RF"].Factors[workload.S] != 3 || !slices.Equal(glb.Order, []workload.Dim{workload.C, workload.Q}) {
			t.Errorf("example parsed as %+v", c)
		}
	}
}

func TestConstraintsErrors(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"version: 2\n", "c.yaml:1:10: version: want 1, got 2"},
		{"version: 1\nlevels:\n  - name: GLB\n    temporal: [C, K]\n", `c.yaml:4:19: levels[0].temporal[1]: unknown dimension "K" (want N, G, M, C, P, Q, R or S)`},
		{"version: 1\nlevels:\n  - name: GLB\n    spatial: {R: z}\n", `c.yaml:4:18: levels[0].spatial.R: axis "z", want x or y`},
		{"version: 1\nlevels:\n  - name: GLB\n    factors: {M: 0}\n", "c.yaml:4:18: levels[0].factors.M: must be at least 1, got 0"},
		{"version: 1\nmin_utilization: 2\n", "c.yaml:2:18: min_utilization: must be between 0 and 1, got 2"},
		{"version: 1\nlevels:\n  - name: GLB\n    keep: [Psums]\n", `c.yaml:4:12: levels[0].keep[0]: unknown tensor "Psums" (want Weights, Inputs or Outputs)`},
		{"version: 1\nlevels:\n  - nmae: GLB\n", "c.yaml:3:5: levels[0].nmae: unknown key (did you mean name?)"},
	} {
		_, err := mapspace.ParseConstraints("c.yaml", []byte(tc.yaml))
		if err == nil || err.Error() != tc.want {
			t.Errorf("ParseConstraints(%q):\n got %v\nwant %s", tc.yaml, err, tc.want)
		}
	}
}

func TestMerge(t *testing.T) {
	base := mapspace.Constraints{Name: "rs", Levels: map[string]mapspace.Rule{"RF": {Temporal: []workload.Dim{workload.S}}, "GLB": {X: []workload.Dim{workload.P}}}}
	over := mapspace.Constraints{Name: "mine", MinUtilization: 0.5, Levels: map[string]mapspace.Rule{"GLB": {Order: []workload.Dim{workload.C}}}}
	m := mapspace.Merge(base, over)
	if m.Name != "rs+mine" || m.MinUtilization != 0.5 || len(m.Levels["RF"].Temporal) != 1 || len(m.Levels["GLB"].X) != 1 || len(m.Levels["GLB"].Order) != 1 {
		t.Errorf("Merge = %+v", m)
	}
	if len(base.Levels["GLB"].Order) != 0 {
		t.Error("Merge changed its base")
	}
}

// TestUnknownLevelPosition: a level the architecture lacks is told at the
// line of its name, by New as by UnknownLevel, after a Merge too.
func TestUnknownLevelPosition(t *testing.T) {
	src := "version: 1\nlevels:\n  - name: GLB\n    order: [M]\n  - name: L2\n    order: [C]\n"
	c, err := mapspace.ParseConstraints("c.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	a, err := arch.Preset("eyeriss")
	if err != nil {
		t.Fatal(err)
	}
	want := `c.yaml:5:11: level "L2": architecture "eyeriss" has no such level`
	if err := c.UnknownLevel(a); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("UnknownLevel: %v; want %q", err, want)
	}
	l, err := workload.NewLayer("s", workload.Conv, workload.Shape{1, 1, 4, 4, 2, 2, 1, 1}, [2]int{1, 1}, [2]int{1, 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mapspace.New(l, a, mapspace.Merge(mapspace.Constraints{}, c)); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("New: %v; want %q", err, want)
	}
}
