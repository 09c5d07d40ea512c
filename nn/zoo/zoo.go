// Package zoo builds the trainable reference networks for 28×28×1 input
// (MNIST): LeNet-5, a small VGG-style CNN and a small MobileNet-style
// network of depthwise-separable blocks with batch normalisation.
package zoo

import (
	"fmt"
	"slices"
	"strings"

	"github.com/nnergy/nnergy/nn"
)

// builders maps each model name to its constructor.
var builders = map[string]func() *nn.Model{
	"lenet5":          LeNet5,
	"vgg-small":       VGGSmall,
	"mobilenet-small": MobileNetSmall,
}

// Names returns the model names, sorted.
func Names() []string {
	var s []string
	for n := range builders {
		s = append(s, n)
	}
	slices.Sort(s)
	return s
}

// New returns the named network with weights initialised from seed (see
// [nn.Init]).
func New(name string, seed uint64) (*nn.Model, error) {
	b, ok := builders[name]
	if !ok {
		return nil, fmt.Errorf("zoo: unknown model %q (have %s)", name, strings.Join(Names(), ", "))
	}
	m := b()
	nn.Init(m, seed)
	return m, nil
}

// LeNet-5 for 28×28 input: two 5×5 convolutions (the first padded by 2)
// each followed by ReLU and 2×2 max pooling, then 400-120-84-10 fully
// connected layers with ReLU. 61,706 parameters. Weights are zero; see
// [nn.Init].
func LeNet5() *nn.Model {
	m := nn.New("input", 1, 28, 28)
	x := m.Add("conv1", nn.NewConv(1, 6, 5, 1, 2), "input")
	x = m.Add("relu1", nn.NewReLU(), x)
	x = m.Add("pool1", nn.NewMaxPool(2, 2), x)
	x = m.Add("conv2", nn.NewConv(6, 16, 5, 1, 0), x)
	x = m.Add("relu2", nn.NewReLU(), x)
	x = m.Add("pool2", nn.NewMaxPool(2, 2), x)
	x = m.Add("flatten", &nn.Flatten{}, x)
	x = m.Add("fc1", nn.NewLinear(400, 120), x)
	x = m.Add("relu3", nn.NewReLU(), x)
	x = m.Add("fc2", nn.NewLinear(120, 84), x)
	x = m.Add("relu4", nn.NewReLU(), x)
	m.Add("fc3", nn.NewLinear(84, 10), x)
	return m
}

// VGGSmall is a VGG-style CNN: two stages of two 3×3 convolutions with
// ReLU (16 then 32 channels) each ending in 2×2 max pooling, then a
// 1568-128-10 classifier with dropout 0.25.
func VGGSmall() *nn.Model {
	m := nn.New("input", 1, 28, 28)
	x := "input"
	in := 1
	for s, c := range []int{16, 32} {
		for j := 1; j <= 2; j++ {
			name := fmt.Sprintf("conv%d_%d", s+1, j)
			x = m.Add(name, nn.NewConv(in, c, 3, 1, 1), x)
			x = m.Add(fmt.Sprintf("relu%d_%d", s+1, j), nn.NewReLU(), x)
			in = c
		}
		x = m.Add(fmt.Sprintf("pool%d", s+1), nn.NewMaxPool(2, 2), x)
	}
	x = m.Add("flatten", &nn.Flatten{}, x)
	x = m.Add("fc1", nn.NewLinear(32*7*7, 128), x)
	x = m.Add("relu_fc1", nn.NewReLU(), x)
	x = m.Add("drop", nn.NewDropout(0.25), x)
	m.Add("fc2", nn.NewLinear(128, 10), x)
	return m
}

// MobileNetSmall is a MobileNet-style network: a 3×3 stem convolution (16
// channels), then depthwise-separable blocks (3×3 depthwise, batch norm,
// ReLU6, 1×1 pointwise, batch norm, ReLU6) to 32, 64 (stride 2), 64 with a
// residual connection, and 128 (stride 2) channels, global average pooling
// and a linear classifier.
func MobileNetSmall() *nn.Model {
	m := nn.New("input", 1, 28, 28)
	x := m.Add("stem", noBias(nn.NewConv(1, 16, 3, 1, 1)), "input")
	x = m.Add("stem_bn", nn.NewBatchNorm(16), x)
	x = m.Add("stem_relu", nn.NewReLU6(), x)
	block := func(name, x string, in, out, stride int) string {
		x = m.Add(name+"_dw", noBias(nn.NewDepthwise(in, 3, stride, 1)), x)
		x = m.Add(name+"_dw_bn", nn.NewBatchNorm(in), x)
		x = m.Add(name+"_dw_relu", nn.NewReLU6(), x)
		x = m.Add(name+"_pw", noBias(nn.NewConv(in, out, 1, 1, 0)), x)
		x = m.Add(name+"_pw_bn", nn.NewBatchNorm(out), x)
		return m.Add(name+"_pw_relu", nn.NewReLU6(), x)
	}
	x = block("b1", x, 16, 32, 1)
	x = block("b2", x, 32, 64, 2)
	y := block("b3", x, 64, 64, 1)
	x = m.Add("b3_add", &nn.Add{}, x, y)
	x = block("b4", x, 64, 128, 2)
	x = m.Add("pool", &nn.GlobalAvgPool{}, x)
	x = m.Add("flatten", &nn.Flatten{}, x)
	m.Add("fc", nn.NewLinear(128, 10), x)
	return m
}

func noBias(c *nn.Conv) *nn.Conv {
	c.Bias = nil
	return c
}
