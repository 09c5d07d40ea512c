package explore

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// Dominates reports whether a dominates b when every objective is
// minimized: a is no worse than b in every objective and better in at
// least one. Equal vectors do not dominate each other. a and b have the
// same length.
func Dominates(a, b []float64) bool {
	better := false
	for i := range a {
		switch {
		case a[i] > b[i]:
			return false
		case a[i] < b[i]:
			better = true
		}
	}
	return better
}

// Pareto returns the indices, in increasing order, of the rows that no
// other row dominates (see Dominates): the Pareto front of the rows when
// every column is an objective to minimize. Rows with equal vectors are on
// the front together or not at all. Every row has the same number of
// objectives, at least one, and each is a finite number; otherwise Pareto
// returns an error.
//
// It sorts the rows lexicographically, so that a row can only be dominated
// by rows before it, and compares each row with the front found so far:
// O(n log n + n·f·d) for n rows, f of them on the front, of d objectives.
func Pareto(rows [][]float64) ([]int, error) {
	if len(rows) == 0 {
		return []int{}, nil
	}
	d := len(rows[0])
	if d == 0 {
		return nil, fmt.Errorf("explore: Pareto front of rows without objectives")
	}
	for i, r := range rows {
		if len(r) != d {
			return nil, fmt.Errorf("explore: Pareto front: row %d has %d objectives, row 0 has %d", i, len(r), d)
		}
		for j, v := range r {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("explore: Pareto front: row %d objective %d is %g, want a finite number", i, j, v)
			}
		}
	}
	order := make([]int, len(rows))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return slices.Compare(rows[a], rows[b]) })
	var front []int
	for _, i := range order {
		dominated := false
		// The last front rows are the nearest in the sort order and the
		// likeliest to dominate.
		for k := len(front) - 1; k >= 0; k-- {
			if Dominates(rows[front[k]], rows[i]) {
				dominated = true
				break
			}
		}
		if !dominated {
			front = append(front, i)
		}
	}
	slices.SortFunc(front, cmp.Compare[int])
	return front, nil
}
