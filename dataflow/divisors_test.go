package dataflow

import (
	"slices"
	"testing"
)

// TestDivisors checks divisors against counting down from the bound, the
// way it used to find them (2^31 steps for a prime bound of 2^31−1).
func TestDivisors(t *testing.T) {
	for v := 1; v <= 400; v++ {
		for _, lim := range []int{1, 2, 7, v - 1, v, v + 5} {
			var want []int
			for k := min(v, lim); k >= 1; k-- {
				if v%k == 0 {
					want = append(want, k)
				}
			}
			if got := divisors(v, lim); !slices.Equal(got, want) {
				t.Fatalf("divisors(%d, %d) = %v, want %v", v, lim, got, want)
			}
		}
	}
	for _, tc := range []struct {
		v, lim int
		want   []int
	}{
		{1<<31 - 1, 1<<31 - 1, []int{1<<31 - 1, 1}},
		{1 << 32, 16, []int{16, 8, 4, 2, 1}},
		{4294967291, 168, []int{1}},
	} {
		if got := divisors(tc.v, tc.lim); !slices.Equal(got, tc.want) {
			t.Errorf("divisors(%d, %d) = %v, want %v", tc.v, tc.lim, got, tc.want)
		}
	}
}
