package onnx_test

import (
	"slices"
	"testing"

	"github.com/nnergy/nnergy/nn"
	"github.com/nnergy/nnergy/nn/zoo"
)

// TestBypassExportORT removes layers of the zoo networks as channel-level
// bypasses (the residual branch of mobilenet-small, a 3×3 convolution
// between equal widths of vgg-small) and checks that the written ONNX
// model has them removed and that ONNX Runtime computes what nnergy does.
func TestBypassExportORT(t *testing.T) {
	needORT(t)
	for _, c := range []struct {
		model, node string
		removed     []string
	}{
		{"mobilenet-small", "b3_pw", []string{"b3_dw", "b3_dw_bn", "b3_dw_relu", "b3_pw", "b3_pw_bn", "b3_pw_relu", "b3_add"}},
		{"vgg-small", "conv1_2", []string{"conv1_2", "relu1_2"}},
	} {
		t.Run(c.model, func(t *testing.T) {
			m, err := zoo.New(c.model, 3)
			if err != nil {
				t.Fatal(err)
			}
			randomize(m, 5)
			removed, err := nn.Bypass(m, c.node)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(removed, c.removed) {
				t.Errorf("removed %v, want %v", removed, c.removed)
			}
			x := randomInput(m, 2, 9)
			exportMatchesORT(t, m, x, forward(t, m, x))
		})
	}
}
