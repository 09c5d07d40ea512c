package zoo

import "github.com/nnergy/nnergy/workload"

// AlexNet returns the original two-GPU AlexNet (Krizhevsky et al., 2012) as
// Eyeriss runs it: a 227×227×3 input, CONV1 96@11×11 stride 4, CONV2
// 256@5×5 in 2 groups, CONV3 384@3×3, CONV4 384@3×3 and CONV5 256@3×3 in 2
// groups, then FC6 4096, FC7 4096 and FC8 1000. The CONV layers perform 666 M
// MACs and hold 2.3 M weights per image, the figures of the Eyeriss papers.
// Local response normalization and the 3×3 stride-2 max pooling after CONV1,
// CONV2 and CONV5 are not layers.
func AlexNet() *workload.Network {
	b, x := newBuilder("alexnet", 3, 227, 227)
	x = b.conv("conv1", x, 96, 11, 4, 0) // 55×55
	x = b.pool(x, 3, 2, 0, false)        // 27×27
	x = b.convG("conv2", x, 256, 5, 1, 2, 2)
	x = b.pool(x, 3, 2, 0, false) // 13×13
	x = b.conv("conv3", x, 384, 3, 1, 1)
	x = b.convG("conv4", x, 384, 3, 1, 1, 2)
	x = b.convG("conv5", x, 256, 3, 1, 1, 2)
	x = b.pool(x, 3, 2, 0, false) // 6×6
	x = b.fc("fc6", x, 4096)
	x = b.fc("fc7", x, 4096)
	b.fc("fc8", x, 1000)
	return must(b.done())
}

// VGG16 returns VGG-16 (Simonyan and Zisserman, 2014, configuration D) at
// 224×224: thirteen 3×3 convolutions with padding 1 in five stages of 64,
// 128, 256, 512 and 512 channels, each stage closed by 2×2 stride-2 max
// pooling, then FC6 4096, FC7 4096 and FC8 1000. The CONV layers perform
// 15.3 G MACs and hold 14.7 M weights.
func VGG16() *workload.Network {
	b, x := newBuilder("vgg16", 3, 224, 224)
	stages := []struct{ convs, ch int }{{2, 64}, {2, 128}, {3, 256}, {3, 512}, {3, 512}}
	for s, st := range stages {
		for i := range st.convs {
			x = b.conv(name("conv%d_%d", s+1, i+1), x, st.ch, 3, 1, 1)
		}
		x = b.pool(x, 2, 2, 0, false)
	}
	x = b.fc("fc6", x, 4096)
	x = b.fc("fc7", x, 4096)
	b.fc("fc8", x, 1000)
	return must(b.done())
}
