package sweep

import (
	"context"
	"math"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/nnergy/nnergy/arch"
)

// TestAreaFill checks the level that fills an area budget: each point's
// architecture is within the budget, and one more allocation step of the
// filled level would put it over (the property the bisection keeps even
// where area is not monotone in capacity).
func TestAreaFill(t *testing.T) {
	for _, tc := range []struct {
		budget string
		step   int64
	}{
		{"2.1", 1},
		{"2.5", 1024},
		{"3.75", 4096},
	} {
		src := head + "parameters:\n" +
			"  - zip:\n      - {name: x, key: levels.RF.mesh.x, values: [4, 12, 14]}\n      - {name: y, key: levels.RF.mesh.y, values: [4, 12, 14]}\n" +
			"area: {budget_mm2: " + tc.budget + ", fill: GLB, fill_step_words: " + itoa64(tc.step) + "}\n"
		s := mustParse(t, src)
		budget := s.Area.BudgetUM2
		valid := 0
		for i := range s.Points {
			p := &s.Points[i]
			d, reason := s.Design(p)
			if reason != "" {
				if !strings.Contains(reason, "over the budget") {
					t.Errorf("budget %s, point %s: %s", tc.budget, s.Label(p), reason)
				}
				continue
			}
			valid++
			size := d.Arch.Levels[d.Arch.Level("GLB")].SizeWords
			area := d.Arch.Area().TotalUM2
			if area > budget {
				t.Errorf("budget %s, point %s: area %g µm² over the budget %g", tc.budget, s.Label(p), area, budget)
			}
			if size%tc.step != 0 {
				t.Errorf("budget %s, point %s: GLB %d words, not a multiple of %d", tc.budget, s.Label(p), size, tc.step)
			}
			next := withSize(t, s, d.YAML, size+tc.step)
			if next <= budget {
				t.Errorf("budget %s, point %s: GLB %d words leaves room: %d words take %g µm² of %g", tc.budget, s.Label(p), size, size+tc.step, next, budget)
			}
		}
		if valid == 0 {
			t.Errorf("budget %s: no valid point", tc.budget)
		}
	}
}

// withSize returns the area of the architecture file data with the GLB at
// size words.
func withSize(t *testing.T, s *Sweep, data []byte, size int64) float64 {
	t.Helper()
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		t.Fatal(err)
	}
	if err := s.Area.fillKey.set(&root, intNode(size)); err != nil {
		t.Fatal(err)
	}
	b, err := yaml.Marshal(&root)
	if err != nil {
		t.Fatal(err)
	}
	spec, err := arch.Parse("next.yaml", b)
	if err != nil {
		t.Fatal(err)
	}
	return spec.Area().TotalUM2
}

func itoa64(v int64) string { return strings.TrimSpace(string(intNode(v).Value)) }

// TestAreaBudget checks that points over an area budget are evaluated and
// marked, not dropped, and that area and power are objectives.
func TestAreaBudget(t *testing.T) {
	s := mustParse(t, head+"mapper: {method: builder, dataflow: rs}\nparameters:\n"+
		"  - {name: glb, key: levels.GLB.size_words, values: [8192, 55296]}\n"+
		"area: {budget_mm2: 2.5}\n")
	res, err := s.Run(context.Background(), Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	over := 0
	for i := range res.Points {
		p := &res.Points[i]
		if !p.Valid() || len(p.Workloads) != 1 || !p.Workloads[0].OK() {
			t.Fatalf("point %d: %q %+v", i, p.Reason, p.Workloads)
		}
		if p.OverArea != (p.AreaUM2 > 2.5e6) {
			t.Errorf("point %d: area %g, over %v", i, p.AreaUM2, p.OverArea)
		}
		if p.OverArea {
			over++
		}
		f := &p.Workloads[0].Figures
		if f.AreaUM2 != p.AreaUM2 || f.PowerWatts <= 0 || math.Abs(f.DynamicPJ+f.StaticPJ-f.EnergyPJ) > 1e-9*f.EnergyPJ {
			t.Errorf("point %d: figures %+v", i, f)
		}
		if want := f.EnergyPJ * 1e-12 / f.LatencySeconds; f.PowerWatts != want {
			t.Errorf("point %d: power %g, energy over latency %g", i, f.PowerWatts, want)
		}
	}
	if over != 1 {
		t.Errorf("%d points over 2.5 mm², want 1 (the 55296-word GLB)", over)
	}
	fronts, err := res.Fronts([]Objective{Area, Power})
	if err != nil || len(fronts) != 1 || len(fronts[0].Points) == 0 {
		t.Errorf("fronts over area, power: %v, %v", fronts, err)
	}
}
