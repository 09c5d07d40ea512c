package zoo

import "github.com/nnergy/nnergy/workload"

// inception gives the branch widths of one GoogLeNet inception module:
// 1×1; 3×3 reduce and 3×3; 5×5 reduce and 5×5; 1×1 projection after 3×3
// max pooling.
type inception struct{ b1, r3, b3, r5, b5, pool int }

// GoogLeNet returns GoogLeNet (Inception v1, Szegedy et al., 2014, Table 1)
// at 224×224 with the layer names of the reference Caffe model: a 7×7
// stride-2 convolution with 64 channels, 3×3 stride-2 max pooling, a 1×1
// reduce to 64 and a 3×3 convolution to 192 channels, max pooling, inception
// modules 3a–3b, max pooling, 4a–4e, max pooling, 5a–5b, 7×7 average pooling
// and a 1000-way FC. Max pooling rounds up (Caffe), giving the paper's
// 56/28/14/7 sizes. The two auxiliary classifiers only serve training and
// are left out. It performs 1.6 G MACs with 7.0 M weights.
func GoogLeNet() *workload.Network {
	b, x := newBuilder("googlenet", 3, 224, 224)
	x = b.conv("conv1/7x7_s2", x, 64, 7, 2, 3) // 112×112
	x = b.pool(x, 3, 2, 0, true)               // 56×56
	x = b.conv("conv2/3x3_reduce", x, 64, 1, 1, 0)
	x = b.conv("conv2/3x3", x, 192, 3, 1, 1)
	x = b.pool(x, 3, 2, 0, true) // 28×28
	x = b.inception("inception_3a", x, inception{64, 96, 128, 16, 32, 32})
	x = b.inception("inception_3b", x, inception{128, 128, 192, 32, 96, 64})
	x = b.pool(x, 3, 2, 0, true) // 14×14
	x = b.inception("inception_4a", x, inception{192, 96, 208, 16, 48, 64})
	x = b.inception("inception_4b", x, inception{160, 112, 224, 24, 64, 64})
	x = b.inception("inception_4c", x, inception{128, 128, 256, 24, 64, 64})
	x = b.inception("inception_4d", x, inception{112, 144, 288, 32, 64, 64})
	x = b.inception("inception_4e", x, inception{256, 160, 320, 32, 128, 128})
	x = b.pool(x, 3, 2, 0, true) // 7×7
	x = b.inception("inception_5a", x, inception{256, 160, 320, 32, 128, 128})
	x = b.inception("inception_5b", x, inception{384, 192, 384, 48, 128, 128})
	b.fc("loss3/classifier", globalPool(x), 1000)
	return must(b.done())
}

func (b *builder) inception(p string, x act, m inception) act {
	b1 := b.conv(p+"/1x1", x, m.b1, 1, 1, 0)
	b3 := b.conv(p+"/3x3_reduce", x, m.r3, 1, 1, 0)
	b3 = b.conv(p+"/3x3", b3, m.b3, 3, 1, 1)
	b5 := b.conv(p+"/5x5_reduce", x, m.r5, 1, 1, 0)
	b5 = b.conv(p+"/5x5", b5, m.b5, 5, 1, 2)
	bp := b.conv(p+"/pool_proj", b.pool(x, 3, 1, 1, false), m.pool, 1, 1, 0)
	return b.concat(b1, b3, b5, bp)
}

// SqueezeNet returns SqueezeNet v1.0 (Iandola et al., 2016, Table 1) with
// the layer names of the reference Caffe model: a 7×7 stride-2 convolution
// with 96 channels, fire modules 2–9 (a 1×1 squeeze, then 1×1 and 3×3
// expand convolutions whose outputs are concatenated) with 3×3 stride-2 max
// pooling after conv1, fire4 and fire8, a 1×1 conv10 to 1000 channels and
// global average pooling. The input is 227×227, the crop of the reference
// model, which gives the 111/55/27/13 activation sizes of the paper's
// Table 1 (the table's header says 224×224, which would give 109). It has
// 1,248,424 parameters with biases, as the paper's Table 1 counts.
func SqueezeNet() *workload.Network {
	b, x := newBuilder("squeezenet", 3, 227, 227)
	x = b.conv("conv1", x, 96, 7, 2, 0) // 111×111
	x = b.pool(x, 3, 2, 0, true)        // 55×55
	fire := func(i int, x act, s, e int) act {
		p := name("fire%d/", i)
		sq := b.conv(p+"squeeze1x1", x, s, 1, 1, 0)
		e1 := b.conv(p+"expand1x1", sq, e, 1, 1, 0)
		e3 := b.conv(p+"expand3x3", sq, e, 3, 1, 1)
		return b.concat(e1, e3)
	}
	x = fire(2, x, 16, 64)
	x = fire(3, x, 16, 64)
	x = fire(4, x, 32, 128)
	x = b.pool(x, 3, 2, 0, true) // 27×27
	x = fire(5, x, 32, 128)
	x = fire(6, x, 48, 192)
	x = fire(7, x, 48, 192)
	x = fire(8, x, 64, 256)
	x = b.pool(x, 3, 2, 0, true) // 13×13
	x = fire(9, x, 64, 256)
	b.conv("conv10", x, 1000, 1, 1, 0)
	return must(b.done())
}
