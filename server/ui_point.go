package server

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/report"
	"github.com/nnergy/nnergy/sweep"
	"github.com/nnergy/nnergy/workload/zoo"
)

// pointArch rebuilds the architecture of point pt of a stored sweep: a
// sweep file of the report's base architecture, mapper and area budget with
// one value per parameter (the point's), expanded by package sweep as
// nnergy sweep --print-arch would. It reads no file: the base architecture
// must be a preset (a sweep over a file's architecture cannot be rebuilt
// from the store).
func pointArch(rep *report.Sweep, pt *report.SweepPoint) ([]byte, error) {
	base, ok := strings.CutPrefix(rep.ArchSource, "preset ")
	if !ok || !slices.Contains(arch.Presets(), base) {
		return nil, fmt.Errorf("the architecture cannot be rebuilt here: the sweep's base architecture came from %s, not a preset (nnergy sweep FILE --print-arch %s prints it)", rep.ArchSource, pt.ID)
	}
	if !pt.Valid {
		return nil, fmt.Errorf("the point is invalid: %s", pt.Reason)
	}
	values := map[string]string{}
	for _, v := range pt.Values {
		values[v.Name] = v.Value
	}
	type param struct {
		Name   string       `yaml:"name"`
		Key    string       `yaml:"key,omitempty"`
		Values []*yaml.Node `yaml:"values"`
	}
	type derived struct {
		Name string `yaml:"name"`
		Key  string `yaml:"key,omitempty"`
		Expr string `yaml:"expr"`
	}
	type area struct {
		BudgetMM2     float64 `yaml:"budget_mm2"`
		Fill          string  `yaml:"fill,omitempty"`
		FillStepWords int64   `yaml:"fill_step_words,omitempty"`
	}
	// The networks do not change the design; one from the zoo keeps the
	// file from naming a path.
	names := zoo.Names()
	if len(names) == 0 {
		return nil, errors.New("the zoo has no network")
	}
	f := struct {
		Version    int               `yaml:"version"`
		Name       string            `yaml:"name"`
		Arch       string            `yaml:"arch"`
		Networks   []string          `yaml:"networks"`
		Mapper     map[string]string `yaml:"mapper"`
		Parameters []param           `yaml:"parameters"`
		Derived    []derived         `yaml:"derived,omitempty"`
		Area       *area             `yaml:"area,omitempty"`
	}{Version: sweep.FormatVersion, Name: rep.Name, Arch: base, Networks: names[:1],
		Mapper: map[string]string{"method": rep.Mapper.Method, "dataflow": rep.Mapper.Dataflow}}
	for _, p := range rep.Parameters {
		v, ok := values[p.Name]
		if !ok {
			return nil, fmt.Errorf("the point has no value of parameter %s", p.Name)
		}
		f.Parameters = append(f.Parameters, param{Name: p.Name, Key: p.Key, Values: []*yaml.Node{{Kind: yaml.ScalarNode, Value: v}}})
	}
	for _, d := range rep.Derived {
		f.Derived = append(f.Derived, derived(d))
	}
	if rep.AreaBudgetUM2 > 0 {
		f.Area = &area{BudgetMM2: rep.AreaBudgetUM2 * 1e-6, Fill: rep.AreaFill, FillStepWords: rep.AreaFillStepWords}
	}
	b, err := yaml.Marshal(&f)
	if err != nil {
		return nil, fmt.Errorf("the architecture cannot be rebuilt: %v", err)
	}
	s, err := sweep.Parse("stored sweep "+rep.Name, b)
	if err != nil {
		return nil, fmt.Errorf("the architecture cannot be rebuilt from the stored sweep: %v", err)
	}
	if len(s.Points) != 1 {
		return nil, fmt.Errorf("the architecture cannot be rebuilt: the stored sweep expands to %d points, not 1", len(s.Points))
	}
	if got := s.Points[0].ID; got != pt.ID {
		return nil, fmt.Errorf("the architecture cannot be rebuilt: the stored sweep's point is %s, not %s", got, pt.ID)
	}
	d, reason := s.Design(&s.Points[0])
	if reason != "" {
		return nil, fmt.Errorf("the architecture cannot be rebuilt: %s", reason)
	}
	return d.YAML, nil
}
