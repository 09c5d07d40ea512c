package cli

import (
	"slices"
	"testing"
)

// TestLogTicksBelowOne checks that a log axis below 1 (watts, seconds)
// labels its ticks as the decimals they are.
func TestLogTicksBelowOne(t *testing.T) {
	for _, tc := range []struct {
		lo, hi float64
		want   []string
	}{
		{0.1, 10, []string{"0.1", "0.2", "0.5", "1", "2", "5", "10"}},
		{0.001, 0.1, []string{"0.001", "0.002", "0.005", "0.01", "0.02", "0.05", "0.1"}},
		{1e-6, 1, []string{"1e-06", "1e-05", "0.0001", "0.001", "0.01", "0.1", "1"}},
	} {
		a := objectiveAxis("power", 1, []float64{tc.lo * 1.5, tc.hi / 1.5})
		if !a.log || a.lo != tc.lo || a.hi != tc.hi {
			t.Errorf("axis over [%g, %g]: log %v [%g, %g]", tc.lo, tc.hi, a.log, a.lo, a.hi)
			continue
		}
		if _, got := a.ticks(); !slices.Equal(got, tc.want) {
			t.Errorf("ticks over [%g, %g]: %q, want %q", tc.lo, tc.hi, got, tc.want)
		}
	}
}
