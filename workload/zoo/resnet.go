package zoo

import "github.com/nnergy/nnergy/workload"

// ResNet18 returns ResNet-18 (He et al., 2015) at 224×224 as torchvision
// builds it: a 7×7 stride-2 stem with 64 channels, 3×3 stride-2 max pooling,
// four stages of two basic blocks (two 3×3 convolutions each) with 64, 128,
// 256 and 512 channels, a 1×1 stride-2 downsample convolution on the shortcut
// of the first block of stages 2–4, global average pooling and a 1000-way FC.
func ResNet18() *workload.Network {
	b, x := resnetStem("resnet18")
	in := 64
	for s, width := range []int{64, 128, 256, 512} {
		for i := range 2 {
			p := name("layer%d.%d.", s+1, i)
			stride := 1
			if s > 0 && i == 0 {
				stride = 2
			}
			y := b.conv(p+"conv1", x, width, 3, stride, 1)
			y = b.conv(p+"conv2", y, width, 3, 1, 1)
			short := x
			if stride != 1 || in != width {
				short = b.conv(p+"downsample.0", x, width, 1, stride, 0)
			}
			x = b.add(y, short)
			in = width
		}
	}
	b.fc("fc", globalPool(x), 1000)
	return must(b.done())
}

// ResNet50 returns ResNet-50 at 224×224 as torchvision builds it (ResNet
// v1.5): the ResNet-18 stem, then 3, 4, 6 and 3 bottleneck blocks
// (1×1 reduce, 3×3, 1×1 expand by 4) of widths 64, 128, 256 and 512. The
// first block of every stage has a 1×1 downsample convolution on its
// shortcut (stride 2 in stages 2–4, stride 1 in stage 1, where only the
// channel count changes). The stride of a downsampling block sits on its
// 3×3 convolution; the original paper (v1) puts it on the first 1×1, which
// changes only the MACs of the three stride-2 blocks (3.86 G in total
// instead of 4.09 G).
func ResNet50() *workload.Network {
	b, x := resnetStem("resnet50")
	in := 64
	for s, st := range []struct{ blocks, width int }{{3, 64}, {4, 128}, {6, 256}, {3, 512}} {
		out := 4 * st.width
		for i := range st.blocks {
			p := name("layer%d.%d.", s+1, i)
			stride := 1
			if s > 0 && i == 0 {
				stride = 2
			}
			y := b.conv(p+"conv1", x, st.width, 1, 1, 0)
			y = b.conv(p+"conv2", y, st.width, 3, stride, 1)
			y = b.conv(p+"conv3", y, out, 1, 1, 0)
			short := x
			if stride != 1 || in != out {
				short = b.conv(p+"downsample.0", x, out, 1, stride, 0)
			}
			x = b.add(y, short)
			in = out
		}
	}
	b.fc("fc", globalPool(x), 1000)
	return must(b.done())
}

func resnetStem(net string) (*builder, act) {
	b, x := newBuilder(net, 3, 224, 224)
	x = b.conv("conv1", x, 64, 7, 2, 3) // 112×112
	return b, b.pool(x, 3, 2, 1, false) // 56×56
}
