package zoo

import (
	"fmt"

	"github.com/nnergy/nnergy/workload"
)

// mobilenetV1Body lists the depthwise-separable blocks of MobileNetV1: the
// stride of the depthwise 3×3 convolution and the output channels of the
// pointwise 1×1 convolution at width 1.
var mobilenetV1Body = []struct{ stride, out int }{
	{1, 64}, {2, 128}, {1, 128}, {2, 256}, {1, 256}, {2, 512},
	{1, 512}, {1, 512}, {1, 512}, {1, 512}, {1, 512},
	{2, 1024}, {1, 1024},
}

// MobileNetV1 returns MobileNetV1 (Howard et al., 2017) with the given width
// multiplier and square input resolution: a 3×3 stride-2 convolution with 32
// channels, thirteen depthwise-separable blocks (3×3 depthwise, then 1×1
// pointwise), global average pooling and a 1000-way FC. Channel counts are
// scaled as in the reference TensorFlow implementation, max(⌊d·width⌋, 8);
// the FC reads the scaled last width. The network is named "mobilenet" at
// width 1 and 224×224, and "mobilenet-WIDTH-RES" otherwise.
//
// At width 1 and 224×224 it performs 569 M MACs with 4.2 M weights; at width
// 0.5 and 128×128, 49 M MACs with 1.3 M weights (the figures published with
// the reference implementation).
func MobileNetV1(width float64, resolution int) (*workload.Network, error) {
	if !(width > 0) || resolution <= 0 {
		return nil, fmt.Errorf("zoo: mobilenet: width %g and resolution %d must be positive", width, resolution)
	}
	depth := func(d int) int { return max(int(float64(d)*width), 8) }
	netName := "mobilenet"
	if width != 1 || resolution != 224 {
		netName = fmt.Sprintf("mobilenet-%g-%d", width, resolution)
	}
	b, x := newBuilder(netName, 3, resolution, resolution)
	x = b.conv("conv2d_0", x, depth(32), 3, 2, 1)
	for i, blk := range mobilenetV1Body {
		x = b.dw(name("conv2d_%d_depthwise", i+1), x, 3, blk.stride, 1)
		x = b.conv(name("conv2d_%d_pointwise", i+1), x, depth(blk.out), 1, 1, 0)
	}
	b.fc("logits", globalPool(x), 1000)
	return b.done()
}

// MobileNetV2 returns MobileNetV2 (Sandler et al., 2018) at width 1 and
// 224×224: a 3×3 stride-2 convolution with 32 channels, seventeen inverted
// residual blocks (1×1 expansion by t, 3×3 depthwise, 1×1 linear
// projection; no expansion when t = 1; a residual add when the stride is 1
// and the channel count is unchanged) with (t, channels, repeats, stride) =
// (1,16,1,1) (6,24,2,2) (6,32,3,2) (6,64,4,2) (6,96,3,1) (6,160,3,2)
// (6,320,1,1), a 1×1 convolution to 1280 channels, global average pooling
// and a 1000-way FC. It performs 300 M MACs with 3.4 M weights.
func MobileNetV2() *workload.Network {
	b, x := newBuilder("mobilenetv2", 3, 224, 224)
	x = b.conv("conv", x, 32, 3, 2, 1)
	blk := 0
	for _, st := range []struct{ t, c, n, s int }{
		{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2},
		{6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1},
	} {
		for i := range st.n {
			p := "expanded_conv/"
			if blk > 0 {
				p = name("expanded_conv_%d/", blk)
			}
			stride := 1
			if i == 0 {
				stride = st.s
			}
			y := x
			if st.t != 1 {
				y = b.conv(p+"expand", y, x.c*st.t, 1, 1, 0)
			}
			y = b.dw(p+"depthwise", y, 3, stride, 1)
			y = b.conv(p+"project", y, st.c, 1, 1, 0)
			if stride == 1 && x.c == st.c {
				y = b.add(y, x)
			}
			x = y
			blk++
		}
	}
	x = b.conv("conv_1", x, 1280, 1, 1, 0)
	b.fc("logits", globalPool(x), 1000)
	return must(b.done())
}
