package chart

import (
	"math"
	"strconv"
)

// NiceAxis returns the top of a y axis at or above v and its tick step:
// steps of 1, 2, 2.5 or 5 times a power of ten, at most 6 of them.
func NiceAxis(v float64) (top, step float64) {
	if !(v > 0) {
		return 1, 0.2
	}
	p := math.Pow(10, math.Floor(math.Log10(v/6)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		step = m * p
		if v/step <= 6 {
			break
		}
	}
	return math.Ceil(v/step-1e-9) * step, step
}

// TickText formats a tick value with the decimals its step needs.
func TickText(v, step float64) string {
	dec := 0
	for d := step; d < 1-1e-9 && dec < 4; d *= 10 {
		dec++
	}
	if math.Abs(step*math.Pow(10, float64(dec))-math.Round(step*math.Pow(10, float64(dec)))) > 1e-9 {
		dec++
	}
	return strconv.FormatFloat(v, 'f', dec, 64)
}
