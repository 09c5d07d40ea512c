package workload

import (
	"strings"
	"testing"
)

// TestSharedWeights: a layer that reads another's weights counts none of
// its own, and must name an earlier layer with weights of the same size.
func TestSharedWeights(t *testing.T) {
	gemm := func(name string, rows, inner, cols int) *Layer {
		l, err := NewGEMM(name, rows, inner, cols)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	s0, s1, other := gemm("step0", 1, 16, 64), gemm("step1", 1, 16, 64), gemm("other", 1, 8, 64)
	s1.SharesWeights = "step0"
	n := &Network{Name: "rnn", Layers: []*Layer{s0, s1}}
	if err := n.Validate(); err != nil {
		t.Fatal(err)
	}
	if got := n.Params(); got != 16*64 {
		t.Errorf("Params = %d, want %d (the shared weights once)", got, 16*64)
	}
	for _, tc := range []struct {
		layers []*Layer
		want   string
	}{
		{[]*Layer{s1, s0}, `layer "step1" shares the weights of "step0", which is not an earlier layer`},
		{[]*Layer{s0, other, withShare(other, "step0")}, `shares the weights of "step0", which has 1024 weight words, not 512`},
	} {
		n := &Network{Name: "rnn", Layers: tc.layers}
		if err := n.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate error = %v, want %q", err, tc.want)
		}
	}
}

func withShare(l *Layer, of string) *Layer {
	c := *l
	c.Name = l.Name + "_shared"
	c.SharesWeights = of
	return &c
}
