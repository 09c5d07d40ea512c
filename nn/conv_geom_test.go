package nn

import (
	"strings"
	"testing"
)

// TestConvDilatedKernelTooWide checks that a dilated kernel wider than the
// padded input is refused by the shape check instead of passing it and
// failing at run time.
func TestConvDilatedKernelTooWide(t *testing.T) {
	c := &Conv{InC: 1, OutC: 1, Kernel: [2]int{3, 3}, Dilation: [2]int{3, 3}, Stride: [2]int{2, 2}}
	c.Weight = NewParam(make([]float32, 9), 1, 1, 3, 3)
	_, err := c.geom([]int{1, 6, 6})
	if err == nil || !strings.Contains(err.Error(), "does not fit") {
		t.Fatalf("geom of a 3x3 kernel dilated 3 (7 wide) over 6x6 at stride 2: error %v, want it not to fit", err)
	}
}
