package cost

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/nnergy/nnergy/workload"
)

// TestResultAdd checks sums of results with and without a per-level
// breakdown: totals always add; the breakdown is kept when both operands
// have one of the same levels, taken from the operand that has one when the
// other is the zero Result, and dropped otherwise (it could not account for
// the whole sum).
func TestResultAdd(t *testing.T) {
	level := func(name string, pJ float64, reads int64) LevelResult {
		lr := LevelResult{Name: name, EnergyPJ: pJ, StoragePJ: pJ, Instances: 1}
		lr.Tensors[workload.Weights] = TensorResult{Reads: reads, EnergyPJ: pJ, Ratio: 1, Tile: 4}
		return lr
	}
	res := func(macs int64, pJ float64, levels ...LevelResult) Result {
		return Result{Layer: "l", Valid: true, MACs: macs, EnergyPJ: pJ, Cycles: macs, ComputeCycles: macs, BusyMACs: macs,
			MACUnits: 4, UsedMACUnits: 2, LowerBoundPJ: pJ / 2, LowerBoundCycles: macs, Levels: levels}
	}
	sum := func(macs int64, pJ float64, levels ...LevelResult) Result {
		r := res(macs, pJ, levels...)
		r.Layer = "total"
		return r
	}
	tests := []struct {
		name string
		a, b Result
		want Result
	}{
		{"neither has levels", res(5, 50), res(7, 70), sum(12, 120)},
		{"left has no levels", res(5, 50), res(7, 70, level("DRAM", 70, 7)), sum(12, 120)},
		{"right has no levels", res(5, 50, level("DRAM", 50, 5)), res(7, 70), sum(12, 120)},
		{"both have levels", res(5, 50, level("DRAM", 30, 5), level("RF", 20, 1)), res(7, 70, level("DRAM", 40, 7), level("RF", 30, 2)),
			sum(12, 120, level("DRAM", 70, 12), level("RF", 50, 3))},
		{"level counts differ", res(5, 50, level("DRAM", 50, 5)), res(7, 70, level("DRAM", 40, 7), level("RF", 30, 2)), sum(12, 120)},
		{"level names differ", res(5, 50, level("DRAM", 50, 5)), res(7, 70, level("HBM", 70, 7)), sum(12, 120)},
		{"zero plus levels", Result{}, res(7, 70, level("DRAM", 70, 7)), sum(7, 70, level("DRAM", 70, 7))},
		{"levels plus zero", res(7, 70, level("DRAM", 70, 7)), Result{}, sum(7, 70, level("DRAM", 70, 7))},
		{"zero plus no levels", Result{}, res(7, 70), sum(7, 70)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.a.Add(tc.b)
			if d := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); d != "" {
				t.Errorf("Add (-want +got):\n%s", d)
			}
		})
	}
	// Validity is the conjunction, and violations are kept from both.
	a, b := res(5, 50), res(7, 70)
	b.Valid = false
	b.Violations = []Violation{{Kind: Capacity, Name: "RF", Need: 9, Have: 8}}
	if s := a.Add(b); s.Valid || len(s.Violations) != 1 {
		t.Errorf("valid + invalid = valid %v with %d violations", s.Valid, len(s.Violations))
	}
	if s := b.Add(a); s.Valid || len(s.Violations) != 1 {
		t.Errorf("invalid + valid = valid %v with %d violations", s.Valid, len(s.Violations))
	}
}
