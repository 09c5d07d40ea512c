package zoo

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/nnergy/nnergy/workload"
)

// convMACs and convWeights sum over the convolution layers (conv, depthwise,
// pointwise), the "CONV layers" of published figures.
func convTotals(n *workload.Network) (macs, weights int64) {
	for _, l := range n.Layers {
		switch l.Kind {
		case workload.Conv, workload.Depthwise, workload.Pointwise:
			macs += l.MACs()
			weights += l.Size(workload.Weights)
		}
	}
	return macs, weights
}

// outChannels sums the output channels of the layers of the given kinds:
// one bias, or one BN scale and shift pair, per output channel.
func outChannels(n *workload.Network, kinds ...workload.Kind) int64 {
	var s int64
	for _, l := range n.Layers {
		if slices.Contains(kinds, l.Kind) {
			s += int64(l.Shape[workload.G] * l.Shape[workload.M])
		}
	}
	return s
}

var convKinds = []workload.Kind{workload.Conv, workload.Depthwise, workload.Pointwise}

// TestTotals pins every model's exact MACs and parameters, which follow from
// the published shapes.
func TestTotals(t *testing.T) {
	tests := []struct {
		model          string
		layers         int
		macs, params   int64
		convMACs, conv int64 // CONV-layer MACs and weights
	}{
		// c1 117,600 + c3 240,000 + c5 48,000 + f6 10,080 + output 840.
		{"lenet5", 5, 416_520, 61_470, 405_600, 50_550},
		{"alexnet", 8, 724_406_816, 60_954_656, 665_784_864, 2_332_704},
		{"vgg16", 16, 15_470_264_320, 138_344_128, 15_346_630_656, 14_710_464},
		{"resnet18", 21, 1_814_073_344, 11_678_912, 1_813_561_344, 11_166_912},
		{"resnet50", 54, 4_089_184_256, 25_502_912, 4_087_136_256, 23_454_912},
		{"mobilenet", 28, 568_740_352, 4_209_088, 567_716_352, 3_185_088},
		{"mobilenet-0.5-128", 28, 49_160_192, 1_319_648, 48_648_192, 807_648},
		{"mobilenetv2", 53, 300_774_272, 3_469_760, 299_494_272, 2_189_760},
		{"squeezenet", 26, 832_667_936, 1_244_448, 832_667_936, 1_244_448},
		{"googlenet", 58, 1_582_671_872, 6_990_272, 1_581_647_872, 5_966_272},
		{"bert-base-block", 8, 931_135_488, 7_077_888, 0, 0},
	}
	if len(tests) != len(Names()) {
		t.Errorf("%d models in the zoo, %d tested", len(Names()), len(tests))
	}
	for _, tt := range tests {
		t.Run(tt.model, func(t *testing.T) {
			n, err := Get(tt.model)
			if err != nil {
				t.Fatal(err)
			}
			if err := n.Validate(); err != nil {
				t.Fatal(err)
			}
			if n.Name != tt.model {
				t.Errorf("Name = %q", n.Name)
			}
			if len(n.Layers) != tt.layers {
				t.Errorf("%d layers, want %d", len(n.Layers), tt.layers)
			}
			if got := n.MACs(); got != tt.macs {
				t.Errorf("MACs = %d, want %d", got, tt.macs)
			}
			if got := n.Params(); got != tt.params {
				t.Errorf("Params = %d, want %d", got, tt.params)
			}
			cm, cw := convTotals(n)
			if cm != tt.convMACs || cw != tt.conv {
				t.Errorf("CONV MACs, weights = %d, %d, want %d, %d", cm, cw, tt.convMACs, tt.conv)
			}
			for _, l := range n.Layers {
				if l.Shape[workload.N] != 1 {
					t.Errorf("%s: batch %d", l.Name, l.Shape[workload.N])
				}
				for _, tn := range workload.Tensors {
					if l.Bits[tn] != 16 || l.Density[tn] != 1 {
						t.Errorf("%s: %s bits %d density %g", l.Name, tn, l.Bits[tn], l.Density[tn])
					}
				}
			}
		})
	}
}

// within reports whether got rounds or truncates to the published figure
// want, printed with step as its last digit (666 M: want 666e6, step 1e6).
func within(got int64, want, step float64) bool {
	return math.Abs(float64(got)-want) < step
}

// TestPublished checks the totals against published figures.
func TestPublished(t *testing.T) {
	get := func(name string) *workload.Network {
		n, err := Get(name)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	bnAndBias := func(n *workload.Network) int64 {
		// Every convolution is followed by batch normalization (a scale
		// and a shift per channel) and has no bias; the FC has a bias.
		return 2*outChannels(n, convKinds...) + outChannels(n, workload.FC)
	}
	biases := func(n *workload.Network) int64 {
		return outChannels(n, workload.Conv, workload.Depthwise, workload.Pointwise, workload.FC, workload.GEMM)
	}
	alex, vgg := get("alexnet"), get("vgg16")
	alexConv, alexConvW := convTotals(alex)
	vggConv, vggConvW := convTotals(vgg)
	r18, r50 := get("resnet18"), get("resnet50")
	mb, mbh, mb2 := get("mobilenet"), get("mobilenet-0.5-128"), get("mobilenetv2")
	sq, bert, lenet := get("squeezenet"), get("bert-base-block"), get("lenet5")

	tests := []struct {
		what       string
		got        int64
		want, step float64
	}{
		// Eyeriss ISSCC 2016 (reference/figures.md, section 1b).
		{"AlexNet CONV MACs, 666 M", alexConv, 666e6, 1e6},
		{"AlexNet CONV weights, 2.3 M", alexConvW, 2.3e6, 0.1e6},
		{"VGG-16 CONV MACs, 15.3 G", vggConv, 15.3e9, 0.1e9},
		{"VGG-16 CONV weights, 14.7 M", vggConvW, 14.7e6, 0.1e6},
		// Parameter counts of the reference implementations, which add
		// biases (and batch normalization) to our weights: Caffe's
		// bvlc_alexnet 60,965,224; torchvision vgg16 138,357,544, resnet18
		// 11,689,512, resnet50 25,557,032, mobilenet_v2 3,504,872; Keras
		// MobileNet 4,231,976 trainable; the classic LeNet-5 with a full C3
		// 61,706; SqueezeNet v1.0 1,248,424 (the paper's Table 1).
		{"AlexNet parameters with biases", alex.Params() + biases(alex), 60_965_224, 1},
		{"VGG-16 parameters with biases", vgg.Params() + biases(vgg), 138_357_544, 1},
		{"ResNet-18 parameters with BN and bias", r18.Params() + bnAndBias(r18), 11_689_512, 1},
		{"ResNet-50 parameters with BN and bias", r50.Params() + bnAndBias(r50), 25_557_032, 1},
		{"MobileNetV2 parameters with BN and bias", mb2.Params() + bnAndBias(mb2), 3_504_872, 1},
		{"MobileNetV1 parameters with BN and bias", mb.Params() + bnAndBias(mb), 4_231_976, 1},
		{"LeNet-5 parameters with biases", lenet.Params() + biases(lenet), 61_706, 1},
		{"SqueezeNet v1.0 parameters with biases", sq.Params() + biases(sq), 1_248_424, 1},
		// torchvision's model table: ResNet-18 1.81 GFLOPS, ResNet-50 4.09
		// (its "FLOPS" are MACs). ResNet-50 v1.5 is what torchvision and
		// MLPerf run; the ResNet paper's "3.8 G" is v1, with the stride on
		// the first 1×1 of a downsampling block (TestResNet50V1).
		{"ResNet-18 MACs, 1.81 G", r18.MACs(), 1.81e9, 0.01e9},
		{"ResNet-50 MACs, 4.09 G", r50.MACs(), 4.09e9, 0.01e9},
		// MobileNetV1 paper, Tables 6 and 7, and the reference
		// implementation's table (0.5 at 128×128: 49 M MACs; the weights
		// do not depend on the resolution, 0.5 width: 1.3 M).
		{"MobileNetV1 MACs, 569 M", mb.MACs(), 569e6, 1e6},
		{"MobileNetV1 weights, 4.2 M", mb.Params(), 4.2e6, 0.1e6},
		{"MobileNetV1 0.5/128 MACs, 49 M", mbh.MACs(), 49e6, 1e6},
		{"MobileNetV1 0.5/128 weights, 1.3 M", mbh.Params(), 1.3e6, 0.1e6},
		// MobileNetV2 paper: 300 M MACs, 3.4 M parameters (our 3.47 M
		// truncated; torchvision's exact count is above).
		{"MobileNetV2 MACs, 300 M", mb2.MACs(), 300e6, 1e6},
		{"MobileNetV2 weights, 3.4 M", mb2.Params(), 3.4e6, 0.1e6},
		// BERT-base: 12·d² MACs per token in the projections and FFN plus
		// 2·L·d in the attention products (d = 768, L = 128).
		{"BERT-base block MACs per token", bert.MACs() / 128, 12*768*768 + 2*128*768, 1},
		// Hugging Face BertLayer has 7,087,872 parameters: our weights plus
		// 6,912 biases and two layer norms of 2·768.
		{"BERT-base block parameters with biases and LN", bert.Params() + biases(bert) + 4*768, 7_087_872, 1},
	}
	for _, tt := range tests {
		if !within(tt.got, tt.want, tt.step) {
			t.Errorf("%s: got %d, want %.0f to within %.0f", tt.what, tt.got, tt.want, tt.step)
		}
	}
	if bert.MACs()%128 != 0 {
		t.Errorf("BERT MACs %d not a multiple of the sequence length", bert.MACs())
	}
}

// TestMobileNetV1Scaling checks the width and resolution multipliers against
// Tables 6 and 7 of the MobileNetV1 paper (million MACs, million
// parameters; the paper's parameters include the FC).
func TestMobileNetV1Scaling(t *testing.T) {
	tests := []struct {
		width      float64
		res        int
		macs, prms float64 // millions, as printed in the paper
	}{
		{1, 224, 569, 4.2},
		{0.75, 224, 325, 2.6},
		{0.5, 224, 149, 1.3},
		{0.25, 224, 41, 0.5},
		{1, 192, 418, 4.2},
		{1, 160, 290, 4.2},
		{1, 128, 186, 4.2},
	}
	for _, tt := range tests {
		n, err := MobileNetV1(tt.width, tt.res)
		if err != nil {
			t.Fatal(err)
		}
		if !within(n.MACs(), tt.macs*1e6, 1e6) || !within(n.Params(), tt.prms*1e6, 0.1e6) {
			t.Errorf("MobileNetV1(%g, %d): %d MACs, %d weights, want %g M, %g M",
				tt.width, tt.res, n.MACs(), n.Params(), tt.macs, tt.prms)
		}
	}
	if _, err := MobileNetV1(0, 224); err == nil {
		t.Error("MobileNetV1(0, 224): no error")
	}
}

// TestGoogLeNetTable1 checks each inception module against the "ops" column
// of Table 1 of the GoogLeNet paper (millions of MACs). The table's rows
// for conv1 (34 M) and inception 5a (54 M) do not follow from the widths it
// lists and are left out.
func TestGoogLeNetTable1(t *testing.T) {
	want := map[string]float64{
		"conv2": 360, "inception_3a": 128, "inception_3b": 304,
		"inception_4a": 73, "inception_4b": 88, "inception_4c": 100,
		"inception_4d": 119, "inception_4e": 170, "inception_5b": 71,
		"loss3": 1,
	}
	got := map[string]int64{}
	for _, l := range GoogLeNet().Layers {
		module, _, _ := strings.Cut(l.Name, "/")
		got[module] += l.MACs()
	}
	for m, w := range want {
		if math.Abs(float64(got[m])/1e6-w) > 1 {
			t.Errorf("%s: %d MACs, Table 1 says %g M", m, got[m], w)
		}
	}
}

// TestResNet50V1 shows where the two common ResNet-50 figures come from:
// moving the stride of each downsampling block from its 3×3 to its first 1×1
// (the original v1) divides that 1×1's MACs by 4 and gives the paper's 3.8 G
// (3.86 G); the 3×3 computes the same output either way.
func TestResNet50V1(t *testing.T) {
	var v1 int64
	for _, l := range ResNet50().Layers {
		macs := l.MACs()
		switch l.Name {
		case "layer2.0.conv1", "layer3.0.conv1", "layer4.0.conv1":
			macs /= 4
		}
		v1 += macs
	}
	if !within(v1, 3.86e9, 0.01e9) {
		t.Errorf("ResNet-50 v1: %d MACs, want 3.86 G", v1)
	}
}

func TestShapes(t *testing.T) {
	get := func(model, layer string) *workload.Layer {
		n, err := Get(model)
		if err != nil {
			t.Fatal(err)
		}
		l, err := n.Layer(layer)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	s := func(n, g, m, c, p, q, r, ss int) workload.Shape { return workload.Shape{n, g, m, c, p, q, r, ss} }
	tests := []struct {
		model, layer string
		kind         workload.Kind
		shape        workload.Shape
		stride       int
		from         []string
	}{
		{"lenet5", "c3", workload.Conv, s(1, 1, 16, 6, 10, 10, 5, 5), 1, []string{"c1"}},
		{"lenet5", "c5", workload.Conv, s(1, 1, 120, 16, 1, 1, 5, 5), 1, []string{"c3"}},
		{"alexnet", "conv1", workload.Conv, s(1, 1, 96, 3, 55, 55, 11, 11), 4, nil},
		{"alexnet", "conv2", workload.Conv, s(1, 2, 128, 48, 27, 27, 5, 5), 1, []string{"conv1"}},
		{"alexnet", "conv3", workload.Conv, s(1, 1, 384, 256, 13, 13, 3, 3), 1, []string{"conv2"}},
		{"alexnet", "conv4", workload.Conv, s(1, 2, 192, 192, 13, 13, 3, 3), 1, []string{"conv3"}},
		{"alexnet", "conv5", workload.Conv, s(1, 2, 128, 192, 13, 13, 3, 3), 1, []string{"conv4"}},
		{"alexnet", "fc6", workload.FC, s(1, 1, 4096, 9216, 1, 1, 1, 1), 1, []string{"conv5"}},
		{"vgg16", "conv5_3", workload.Conv, s(1, 1, 512, 512, 14, 14, 3, 3), 1, []string{"conv5_2"}},
		{"vgg16", "fc6", workload.FC, s(1, 1, 4096, 25088, 1, 1, 1, 1), 1, []string{"conv5_3"}},
		{"resnet18", "layer1.0.conv1", workload.Conv, s(1, 1, 64, 64, 56, 56, 3, 3), 1, []string{"conv1"}},
		{"resnet18", "layer1.1.conv1", workload.Conv, s(1, 1, 64, 64, 56, 56, 3, 3), 1,
			[]string{"layer1.0.conv2", "conv1"}},
		{"resnet18", "layer2.0.conv1", workload.Conv, s(1, 1, 128, 64, 28, 28, 3, 3), 2,
			[]string{"layer1.1.conv2", "layer1.0.conv2", "conv1"}},
		{"resnet18", "layer2.0.downsample.0", workload.Pointwise, s(1, 1, 128, 64, 28, 28, 1, 1), 2,
			[]string{"layer1.1.conv2", "layer1.0.conv2", "conv1"}},
		{"resnet18", "layer2.1.conv1", workload.Conv, s(1, 1, 128, 128, 28, 28, 3, 3), 1,
			[]string{"layer2.0.conv2", "layer2.0.downsample.0"}},
		{"resnet18", "fc", workload.FC, s(1, 1, 1000, 512, 1, 1, 1, 1), 1,
			[]string{"layer4.1.conv2", "layer4.0.conv2", "layer4.0.downsample.0"}},
		{"resnet50", "layer1.0.downsample.0", workload.Pointwise, s(1, 1, 256, 64, 56, 56, 1, 1), 1, []string{"conv1"}},
		{"resnet50", "layer3.0.conv2", workload.Conv, s(1, 1, 256, 256, 14, 14, 3, 3), 2, []string{"layer3.0.conv1"}},
		{"resnet50", "fc", workload.FC, s(1, 1, 1000, 2048, 1, 1, 1, 1), 1,
			[]string{"layer4.2.conv3", "layer4.1.conv3", "layer4.0.conv3", "layer4.0.downsample.0"}},
		{"mobilenet", "conv2d_1_depthwise", workload.Depthwise, s(1, 32, 1, 1, 112, 112, 3, 3), 1, []string{"conv2d_0"}},
		{"mobilenet", "conv2d_13_pointwise", workload.Pointwise, s(1, 1, 1024, 1024, 7, 7, 1, 1), 1,
			[]string{"conv2d_13_depthwise"}},
		{"mobilenet-0.5-128", "conv2d_12_depthwise", workload.Depthwise, s(1, 256, 1, 1, 4, 4, 3, 3), 2,
			[]string{"conv2d_11_pointwise"}},
		{"mobilenet-0.5-128", "logits", workload.FC, s(1, 1, 1000, 512, 1, 1, 1, 1), 1, []string{"conv2d_13_pointwise"}},
		{"mobilenetv2", "expanded_conv/project", workload.Pointwise, s(1, 1, 16, 32, 112, 112, 1, 1), 1,
			[]string{"expanded_conv/depthwise"}},
		{"mobilenetv2", "expanded_conv_2/expand", workload.Pointwise, s(1, 1, 144, 24, 56, 56, 1, 1), 1,
			[]string{"expanded_conv_1/project"}},
		{"mobilenetv2", "expanded_conv_3/expand", workload.Pointwise, s(1, 1, 144, 24, 56, 56, 1, 1), 1,
			[]string{"expanded_conv_2/project", "expanded_conv_1/project"}},
		{"mobilenetv2", "expanded_conv_3/depthwise", workload.Depthwise, s(1, 144, 1, 1, 28, 28, 3, 3), 2,
			[]string{"expanded_conv_3/expand"}},
		{"mobilenetv2", "conv_1", workload.Pointwise, s(1, 1, 1280, 320, 7, 7, 1, 1), 1,
			[]string{"expanded_conv_16/project"}},
		{"squeezenet", "fire2/squeeze1x1", workload.Pointwise, s(1, 1, 16, 96, 55, 55, 1, 1), 1, []string{"conv1"}},
		{"squeezenet", "fire9/expand3x3", workload.Conv, s(1, 1, 256, 64, 13, 13, 3, 3), 1, []string{"fire9/squeeze1x1"}},
		{"squeezenet", "conv10", workload.Pointwise, s(1, 1, 1000, 512, 13, 13, 1, 1), 1,
			[]string{"fire9/expand1x1", "fire9/expand3x3"}},
		{"googlenet", "inception_3b/3x3_reduce", workload.Pointwise, s(1, 1, 128, 256, 28, 28, 1, 1), 1,
			[]string{"inception_3a/1x1", "inception_3a/3x3", "inception_3a/5x5", "inception_3a/pool_proj"}},
		{"googlenet", "inception_5b/5x5", workload.Conv, s(1, 1, 128, 48, 7, 7, 5, 5), 1, []string{"inception_5b/5x5_reduce"}},
		{"bert-base-block", "attention.self.query", workload.GEMM, s(1, 1, 768, 768, 128, 1, 1, 1), 1, nil},
		{"bert-base-block", "attention.self.scores", workload.MatMul, s(1, 12, 128, 64, 128, 1, 1, 1), 1,
			[]string{"attention.self.query", "attention.self.key"}},
		{"bert-base-block", "attention.self.context", workload.MatMul, s(1, 12, 64, 128, 128, 1, 1, 1), 1,
			[]string{"attention.self.scores", "attention.self.value"}},
		{"bert-base-block", "intermediate.dense", workload.GEMM, s(1, 1, 3072, 768, 128, 1, 1, 1), 1,
			[]string{"attention.output.dense"}},
		{"bert-base-block", "output.dense", workload.GEMM, s(1, 1, 768, 3072, 128, 1, 1, 1), 1,
			[]string{"intermediate.dense"}},
	}
	for _, tt := range tests {
		l := get(tt.model, tt.layer)
		if l.Kind != tt.kind || l.Shape != tt.shape || l.Stride != [2]int{tt.stride, tt.stride} || !slices.Equal(l.From, tt.from) {
			t.Errorf("%s %s: %s %v stride %v from %q, want %s %v stride %d from %q",
				tt.model, tt.layer, l.Kind, l.Shape, l.Stride, l.From, tt.kind, tt.shape, tt.stride, tt.from)
		}
	}
}

func TestGet(t *testing.T) {
	_, err := Get("lenet")
	want := `zoo: unknown model "lenet" (models: lenet5, alexnet, vgg16, resnet18, resnet50, mobilenet, mobilenet-0.5-128, mobilenetv2, squeezenet, googlenet, bert-base-block)`
	if err == nil || err.Error() != want {
		t.Errorf("Get(lenet) error = %v, want %s", err, want)
	}
	// Every call builds a fresh network.
	a, _ := Get("alexnet")
	a.Layers[0].Shape[workload.M] = 1
	a.Layers[1].From[0] = "x"
	b, _ := Get("alexnet")
	if b.Layers[0].Shape[workload.M] != 96 || b.Layers[1].From[0] != "conv1" {
		t.Error("Get returned a shared network")
	}
	for _, m := range Models() {
		if m.Description == "" {
			t.Errorf("%s: no description", m.Name)
		}
	}
}

func TestBERTBaseBlockSeqLen(t *testing.T) {
	n, err := BERTBaseBlock(512)
	if err != nil {
		t.Fatal(err)
	}
	if n.Name != "bert-base-block-512" || n.MACs() != 512*(12*768*768+2*512*768) {
		t.Errorf("%s: %d MACs", n.Name, n.MACs())
	}
	if _, err := BERTBaseBlock(0); err == nil {
		t.Error("BERTBaseBlock(0): no error")
	}
}
