package nn

import (
	"strings"
	"testing"
)

// TestCheckSize refuses passes whose tensors pass the limits before
// anything is allocated: a model whose input claims huge sizes used to
// panic in makeslice or try to allocate 17 GB, a batch of 10^8 313 GB.
func TestCheckSize(t *testing.T) {
	relu := func(shape ...int) *Model {
		m := New("x", shape...)
		m.Add("relu", NewReLU(), "x")
		return m
	}
	for _, tc := range []struct {
		name  string
		m     *Model
		batch int
		want  string // "" for no error
	}{
		{"small", relu(1, 4, 4), 2, ""},
		{"input at the limit", relu(1, 1<<14, 1<<13), 1, ""},
		{"1e9 x 1e9 input", relu(1, 1e9, 1e9), 1, "nn.MaxTensorElements"},
		{"product wraps int64", relu(1<<32, 1<<32, 1<<32), 1, "nn.MaxTensorElements"},
		{"65536 x 65536 input", relu(1, 65536, 65536), 1, "nn.MaxTensorElements"},
		{"batch 10^8", relu(1, 4, 4), 100000000, "nn.MaxTensorElements"},
		{"huge batch", relu(1, 4, 4), 1 << 62, "nn.MaxTensorElements"},
		{"pass past the limit", chain(1<<26, 20), 1, "nn.MaxPassElements"},
		{"zero batch", relu(1, 4, 4), 0, "batch 0"},
	} {
		err := tc.m.CheckSize(tc.batch)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: CheckSize(%d) = %v, want %q", tc.name, tc.batch, err, tc.want)
		}
	}
	// MeasureLatency checks before it allocates the input.
	if _, err := MeasureLatency(relu(1, 65536, 65536), LatencyConfig{Runs: 1}); err == nil || !strings.Contains(err.Error(), "nn.MaxTensorElements") {
		t.Errorf("MeasureLatency: %v, want the MaxTensorElements limit", err)
	}
	if _, err := CompareLatency([]*Model{relu(1, 4, 4)}, LatencyConfig{Batch: 1 << 40, Runs: 1}); err == nil || !strings.Contains(err.Error(), "nn.MaxTensorElements") {
		t.Errorf("CompareLatency: %v, want the MaxTensorElements limit", err)
	}
}

// chain is a model of n ReLUs in a row over an input of size elements.
func chain(size, n int) *Model {
	m := New("x", size)
	in := "x"
	for i := range n {
		in = m.Add("relu"+string(rune('a'+i)), NewReLU(), in)
	}
	return m
}
