package sweep

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/nnergy/nnergy/arch"
)

// AreaBudget is the area key of a sweep file: a budget that points are
// checked against (those over it are reported with their area, not
// dropped) and, optionally, a level whose capacity fills the area the
// rest of the chip leaves.
type AreaBudget struct {
	// BudgetUM2 is the chip's area budget in µm² (0: none).
	BudgetUM2 float64
	// Fill names the level whose size_words each point solves for: the
	// largest multiple of FillStep words whose architecture's area is at
	// most the budget ("" : none).
	Fill     string
	FillStep int64
	fillKey  target
}

// DefaultFillStepWords is the allocation step of a filled level.
const DefaultFillStepWords = 1

// maxFillWords bounds the capacity a filled level is searched up to.
const maxFillWords = int64(1) << 40

// OverBudget reports whether area (µm²) is over the budget.
func (a *AreaBudget) OverBudget(areaUM2 float64) bool {
	return a.BudgetUM2 > 0 && areaUM2 > a.BudgetUM2
}

func (v *validator) area(a *areaYAML, levels []string) {
	if a == nil {
		return
	}
	d := v.d
	ab := &v.s.Area
	ab.FillStep = DefaultFillStepWords
	switch {
	case a.BudgetMM2 == nil:
		d.Errorf("area.budget_mm2", "required: the chip's area budget in mm²")
	case !(*a.BudgetMM2 > 0):
		d.Errorf("area.budget_mm2", "must be positive, got %g", *a.BudgetMM2)
	default:
		ab.BudgetUM2 = *a.BudgetMM2 * 1e6
	}
	if a.FillStepWords != nil {
		if *a.FillStepWords < 1 {
			d.Errorf("area.fill_step_words", "must be at least 1, got %d", *a.FillStepWords)
		}
		ab.FillStep = *a.FillStepWords
		if a.Fill == "" {
			d.Errorf("area.fill_step_words", "needs area.fill, the level it sizes")
		}
	}
	if a.Fill == "" || v.s.Arch == nil {
		return
	}
	i := v.s.Arch.Level(a.Fill)
	switch {
	case i < 0:
		d.Errorf("area.fill", "no level %q in the architecture; its levels: %s", a.Fill, strings.Join(levels, ", "))
		return
	case i == 0:
		d.Errorf("area.fill", "%s is the outermost level, off-chip: it has no area to fill", a.Fill)
		return
	}
	key := "levels." + a.Fill + ".size_words"
	if o, set := v.keys[key]; set {
		d.Errorf("area.fill", "%s fills the area, so its size_words is solved for each point; %s sets it too", a.Fill, o)
		return
	}
	t, msg := parseKey(key, levels)
	if msg != "" {
		d.Errorf("area.fill", "%s", msg)
		return
	}
	ab.Fill, ab.fillKey = a.Fill, t
}

// fill solves the capacity of the filled level of a point's architecture
// document root: the largest multiple k of the step whose architecture has
// an area at most the budget, such that k+step is over it. It returns the
// architecture built at that capacity, or why there is none.
//
// The smallest valid capacity is found by doubling from one step (a level
// with partitions needs room for them); then a bisection keeps the
// invariant "lo fits, hi does not", so the answer is within one step of
// the budget even where area is not monotone in capacity (a register file
// turning into an SRAM).
func (s *Sweep) fill(root *yaml.Node) (*arch.Spec, []byte, string) {
	a := &s.Area
	build := func(k int64) (*arch.Spec, []byte, string) {
		if err := a.fillKey.set(root, intNode(k*a.FillStep)); err != nil {
			return nil, nil, fmt.Sprintf("%s: %v", a.Fill, err)
		}
		return s.parseDoc(root)
	}
	// The smallest valid capacity, by doubling: a level with partitions
	// needs room for them.
	lo := int64(1)
	spec, _, reason := build(lo)
	for reason != "" {
		if lo*a.FillStep >= maxFillWords/2 {
			return nil, nil, reason
		}
		lo *= 2
		spec, _, reason = build(lo)
	}
	if area := spec.Area().TotalUM2; area > a.BudgetUM2 {
		return nil, nil, fmt.Sprintf("area: %s at its smallest (%d words) the chip takes %.4g mm², over the budget of %.4g mm²",
			a.Fill, lo*a.FillStep, area/1e6, a.BudgetUM2/1e6)
	}
	hi := 2 * lo
	for {
		sp, _, reason := build(hi)
		if reason != "" {
			return nil, nil, reason
		}
		if sp.Area().TotalUM2 > a.BudgetUM2 {
			break
		}
		lo = hi
		if hi*a.FillStep >= maxFillWords/2 {
			return nil, nil, fmt.Sprintf("area: %s reaches %d words within the budget (does its area grow with its size?)", a.Fill, hi*a.FillStep)
		}
		hi *= 2
	}
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		sp, _, reason := build(mid)
		if reason != "" {
			return nil, nil, reason
		}
		if sp.Area().TotalUM2 > a.BudgetUM2 {
			hi = mid
		} else {
			lo = mid
		}
	}
	return build(lo)
}
