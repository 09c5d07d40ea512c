package report

import (
	"math"
	"strings"
	"testing"
)

// TestCheckFinite finds a non-finite figure anywhere in a report and names
// it by its JSON path and its layer.
func TestCheckFinite(t *testing.T) {
	eval := func() *Eval {
		return &Eval{Model: "m", Layers: []Layer{{Name: "conv1"}, {Name: "conv2"}},
			Total: Total{}}
	}
	if err := CheckFinite(eval()); err != nil {
		t.Fatalf("finite report: %v", err)
	}
	for _, tc := range []struct {
		name string
		rep  any
		want string
	}{
		{"layer energy", func() any { r := eval(); r.Layers[1].EnergyPJ = math.Inf(1); return r }(), "layers[1] (conv2).energy_pj is +Inf"},
		{"total", func() any { r := eval(); r.Total.Utilization = math.NaN(); return r }(), "total.utilization is NaN"},
		{"chip", func() any { r := eval(); r.ClockHz = math.Inf(-1); return r }(), "clock_hz is -Inf"},
		{"adapt proposal", &Adapt{Proposals: []AdaptProposal{{Layer: "c3", Accuracy: math.NaN()}}}, "proposals[0] (c3).accuracy is NaN"},
	} {
		err := CheckFinite(tc.rep)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one naming %q", tc.name, err, tc.want)
		}
	}
}
