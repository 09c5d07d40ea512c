package explore

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// bruteFront is the reference: every row that no other row dominates,
// found by comparing every pair.
func bruteFront(rows [][]float64) []int {
	out := []int{}
	for i := range rows {
		dominated := false
		for j := range rows {
			if j != i && Dominates(rows[j], rows[i]) {
				dominated = true
				break
			}
		}
		if !dominated {
			out = append(out, i)
		}
	}
	return out
}

func TestParetoTable(t *testing.T) {
	tests := []struct {
		name string
		rows [][]float64
		want []int
	}{
		{"empty", nil, []int{}},
		{"one", [][]float64{{3, 4}}, []int{0}},
		{"chain", [][]float64{{1, 5}, {2, 4}, {3, 3}, {4, 4}, {5, 1}}, []int{0, 1, 2, 4}},
		{"ties stay together", [][]float64{{2, 2}, {1, 3}, {2, 2}, {3, 3}}, []int{0, 1, 2}},
		{"equal in one objective", [][]float64{{1, 2}, {1, 3}, {2, 1}}, []int{0, 2}},
		{"all equal", [][]float64{{1, 1}, {1, 1}, {1, 1}}, []int{0, 1, 2}},
		{"three objectives", [][]float64{{1, 1, 9}, {2, 2, 2}, {3, 3, 3}, {9, 1, 1}}, []int{0, 1, 3}},
		{"one objective", [][]float64{{3}, {1}, {2}, {1}}, []int{1, 3}},
	}
	for _, tt := range tests {
		got, err := Pareto(tt.rows)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("%s: Pareto = %v, %v; want %v", tt.name, got, err, tt.want)
		}
	}
}

func TestParetoErrors(t *testing.T) {
	tests := []struct {
		rows [][]float64
		want string
	}{
		{[][]float64{{}}, "explore: Pareto front of rows without objectives"},
		{[][]float64{{1, 2}, {1}}, "explore: Pareto front: row 1 has 1 objectives, row 0 has 2"},
		{[][]float64{{1, math.NaN()}}, "explore: Pareto front: row 0 objective 1 is NaN, want a finite number"},
		{[][]float64{{1, 2}, {math.Inf(1), 0}}, "explore: Pareto front: row 1 objective 0 is +Inf, want a finite number"},
	}
	for _, tt := range tests {
		if _, err := Pareto(tt.rows); err == nil || err.Error() != tt.want {
			t.Errorf("Pareto(%v) error %v, want %q", tt.rows, err, tt.want)
		}
	}
}

// TestParetoProperty compares Pareto with the O(n²) reference on random
// rows of two and three objectives, with values drawn from a small set so
// that ties in one objective and equal rows are common.
func TestParetoProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 2000 {
		n, d := rng.IntN(40), 2+rng.IntN(2)
		levels := 1 + rng.IntN(8)
		rows := make([][]float64, n)
		for i := range rows {
			rows[i] = make([]float64, d)
			for j := range rows[i] {
				rows[i][j] = float64(rng.IntN(levels)) * 0.5
			}
		}
		got, err := Pareto(rows)
		if err != nil {
			t.Fatal(err)
		}
		if want := bruteFront(rows); !slices.Equal(got, want) {
			t.Fatalf("trial %d: Pareto(%v) = %v, brute force %v", trial, rows, got, want)
		}
		// Every row off the front is dominated by a row on it.
		on := map[int]bool{}
		for _, i := range got {
			on[i] = true
		}
		for i := range rows {
			if on[i] {
				continue
			}
			if !slices.ContainsFunc(got, func(f int) bool { return Dominates(rows[f], rows[i]) }) {
				t.Fatalf("trial %d: row %d is off the front and no front row dominates it", trial, i)
			}
		}
	}
}
