package chart

import (
	"math"
	"testing"
)

func TestNiceAxis(t *testing.T) {
	for _, v := range []float64{0.003, 0.07, 0.9, 1, 7.3, 12, 99, 1234.5, 6e9} {
		top, step := NiceAxis(v)
		m := step / math.Pow(10, math.Floor(math.Log10(step)+1e-9))
		nice := false
		for _, k := range []float64{1, 2, 2.5, 5} {
			nice = nice || math.Abs(m-k) < 1e-9
		}
		if !nice || top < v || top-step >= v || top/step > 6+1e-9 {
			t.Errorf("NiceAxis(%v) = %v, %v: want a step of 1, 2, 2.5 or 5 × 10^k, the first multiple at or above v, at most 6 steps", v, top, step)
		}
	}
	if top, step := NiceAxis(0); top != 1 || step != 0.2 {
		t.Errorf("NiceAxis(0) = %v, %v", top, step)
	}
}

func TestTickText(t *testing.T) {
	for _, c := range []struct {
		v, step float64
		want    string
	}{{2, 1, "2"}, {0.5, 0.5, "0.5"}, {0.75, 0.25, "0.75"}, {25, 2.5, "25.0"}, {0.002, 0.001, "0.002"}} {
		if got := TickText(c.v, c.step); got != c.want {
			t.Errorf("TickText(%v, %v) = %q, want %q", c.v, c.step, got, c.want)
		}
	}
}
