package nn

import (
	"testing"
	"time"
)

func TestMeasureLatency(t *testing.T) {
	m := dagModel()
	lat, err := MeasureLatency(m, LatencyConfig{Batch: 4, Runs: 5, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(lat.Layers) != len(m.Nodes) || lat.Total <= 0 || lat.Batch != 4 || lat.Runs != 5 {
		t.Fatalf("latency %+v", lat)
	}
	var sum time.Duration
	for _, l := range lat.Layers {
		if l.Median <= 0 {
			t.Errorf("%s: median %v", l.Name, l.Median)
		}
		sum += l.Median
	}
	// The per-layer medians come from other runs, but they must be of the
	// same order as the whole.
	if sum > 20*lat.Total || 20*sum < lat.Total {
		t.Errorf("layers sum to %v, whole pass %v", sum, lat.Total)
	}
}

func TestCompareLatency(t *testing.T) {
	a := dagModel()
	b := a.Clone()
	d, err := CompareLatency([]*Model{a, b}, LatencyConfig{Runs: 5, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(d) != 2 || d[0] <= 0 || d[1] <= 0 {
		t.Fatalf("durations %v", d)
	}
	other := New("x", 3, 8, 8)
	other.Add("flat", &Flatten{}, "x")
	if _, err := CompareLatency([]*Model{a, other}, LatencyConfig{Runs: 1}); err == nil {
		t.Error("models with different inputs compared")
	}
	if _, err := CompareLatency(nil, LatencyConfig{}); err == nil {
		t.Error("no models compared")
	}
}

func TestLatencyTable(t *testing.T) {
	m := New("x", 8, 16, 16)
	x := m.Add("c", NewConv(8, 16, 3, 1, 1), "x")
	m.Add("dw", NewDepthwise(16, 3, 1, 1), x)
	tab, err := MeasureLayerTable(m, "c", []int{8, 2, 4}, []int{32, 4}, LatencyConfig{Runs: 5, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(tab.Times) != 3 || len(tab.Times[0]) != 2 || tab.InC[0] != 2 {
		t.Fatalf("table %+v", tab)
	}
	// More work takes longer: 8×32 against 2×4 channels is 32× the MACs.
	if tab.Times[2][1] <= tab.Times[0][0] {
		t.Errorf("8x32 %v not slower than 2x4 %v", tab.Times[2][1], tab.Times[0][0])
	}
	if d, ok := tab.At(4, 32); !ok || d != tab.Times[1][1] {
		t.Errorf("At(4, 32) = %v %v, want %v", d, ok, tab.Times[1][1])
	}
	mid, ok := tab.At(3, 18)
	lo, hi := min(tab.Times[0][0], tab.Times[1][1]), max(tab.Times[0][0], tab.Times[1][1], tab.Times[0][1], tab.Times[1][0])
	if !ok || mid < lo || mid > hi {
		t.Errorf("At(3, 18) = %v outside [%v, %v]", mid, lo, hi)
	}
	if _, ok := tab.At(9, 4); ok {
		t.Error("At outside the grid succeeded")
	}
	dt, err := MeasureLayerTable(m, "dw", []int{4, 16}, []int{1}, LatencyConfig{Runs: 3, Workers: 1})
	if err != nil || !dt.Depthwise || dt.OutC[1] != 16 {
		t.Errorf("depthwise table %+v %v", dt, err)
	}
}
