package onnx_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nnergy/nnergy/nn"
	"github.com/nnergy/nnergy/nn/data"
	nnonnx "github.com/nnergy/nnergy/nn/onnx"
	"github.com/nnergy/nnergy/onnx"
	"github.com/nnergy/nnergy/onnx/onnxtest"
)

// The PyTorch fixtures in testdata/ come from scripts/make_nn_onnx_fixtures.py:
// NAME.onnx as torch.onnx.export wrote it, NAME.input.f32 a batch of inputs
// and NAME.output.f32 PyTorch's outputs for them.
var torchFixtures = []struct {
	name string
	// layers lists the imported model's layer kinds in order.
	layers string
}{
	// Conv, BatchNormalization and Relu stay separate; the Pad before the
	// count_include_pad AveragePool becomes the pool's padding.
	{"cnn", "conv batchnorm relu maxpool conv batchnorm relu avgpool maxpool flatten linear relu linear"},
	// BatchNormalization folded into the convolutions; Relu then Clip(0, 6)
	// is one ReLU6; x.view(x.size(0), -1) is a Flatten.
	{"dwblock", "conv relu conv relu conv add avgpool conv globalavgpool flatten linear"},
	{"dwblock_bn", "conv batchnorm relu conv batchnorm relu conv batchnorm add avgpool conv globalavgpool flatten linear"},
	// LeakyRelu, Tanh, GELU as PyTorch decomposes it (Div, Erf, Add, Mul,
	// Mul: one layer), SiLU (Sigmoid then Mul: one layer), Hardswish
	// (HardSigmoid then Mul: one layer), Sigmoid and LogSoftmax.
	{"mlp_acts", "flatten linear act linear act linear act linear act linear act linear act linear softmax"},
	// torchvision's MobileNetV3 and EfficientNet-B0, width-reduced: the
	// activations and the squeeze-and-excitation Muls.
	{"mnv3s", ""},
	{"mnv3l", ""},
	{"effb0", ""},
	// A transformer encoder: torch's multi-head attention transposes the
	// batch away and back; layer norm decomposed (opset 13) and as
	// LayerNormalization (opset 17).
	{"tf", ""},
	{"tf_ln", ""},
}

// readF32 reads a file of little-endian float32 values.
func readF32(t *testing.T, path string) []float32 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return f32values(b)
}

func kinds(m *nn.Model) string {
	s := make([]string, len(m.Nodes))
	for i, n := range m.Nodes {
		s[i] = n.Layer.Kind().String()
	}
	return strings.Join(s, " ")
}

// TestTorchFixtures imports models exported by PyTorch and requires
// nnergy's outputs to equal PyTorch's within ortTol; exported back to ONNX,
// ONNX Runtime must agree with PyTorch too.
func TestTorchFixtures(t *testing.T) {
	for _, f := range torchFixtures {
		t.Run(f.name, func(t *testing.T) {
			base := filepath.Join("testdata", f.name)
			m, err := nnonnx.ReadFile(base + ".onnx")
			if err != nil {
				t.Fatal(err)
			}
			if got := kinds(m); f.layers != "" && got != f.layers {
				t.Errorf("layers\n%s\nwant\n%s", got, f.layers)
			}
			in := readF32(t, base+".input.f32")
			per := 1
			for _, d := range m.InShape {
				per *= d
			}
			x := &nn.Tensor{Shape: append([]int{len(in) / per}, m.InShape...), Data: in}
			want := &nn.Tensor{Shape: []int{x.Shape[0], 10}, Data: readF32(t, base+".output.f32")}
			got := forward(t, m, x)
			d := maxDiff(t, got, want)
			t.Logf("max |nnergy - PyTorch| = %.3g over %d outputs (%.3g relative)", d, len(want.Data), relDiff(t, got, want))
			if d > ortTol {
				t.Errorf("nnergy and PyTorch differ by %.3g (> %g)", d, ortTol)
			}
			om, err := nnonnx.Export(m)
			if err != nil {
				t.Fatal(err)
			}
			onnxtest.Check(t, om)
			d = maxDiff(t, runORT(t, om, x), want)
			t.Logf("max |ORT(nnergy export) - PyTorch| = %.3g", d)
			if d > ortTol {
				t.Errorf("ONNX Runtime on the re-exported model and PyTorch differ by %.3g (> %g)", d, ortTol)
			}
			// ONNX Runtime on the original file against nnergy.
			orig, err := onnx.ReadFile(base + ".onnx")
			if err != nil {
				t.Fatal(err)
			}
			r := relDiff(t, got, runORT(t, orig, x))
			t.Logf("ORT relative error (max |nnergy - ORT| / max |ORT|) = %.3g", r)
			if r > ortRel {
				t.Errorf("nnergy and ONNX Runtime differ by %.3g relative (> %g)", r, ortRel)
			}
		})
	}
}

// TestTorchFixtureReLU6 checks that the imported ReLU6s are capped ReLUs.
func TestTorchFixtureReLU6(t *testing.T) {
	m, err := nnonnx.ReadFile(filepath.Join("testdata", "dwblock.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, node := range m.Nodes {
		if r, ok := node.Layer.(*nn.ReLU); ok {
			n++
			if r.Cap != 6 {
				t.Errorf("%s: cap %v, want 6", node.Name, r.Cap)
			}
		}
	}
	if n != 2 {
		t.Errorf("%d ReLUs, want 2", n)
	}
}

// TestTorchFixtureTrain fine-tunes an imported PyTorch model on the
// synthetic set: the imported model is trainable, pruning works on it, and
// it learns.
func TestTorchFixtureTrain(t *testing.T) {
	m, err := nnonnx.ReadFile(filepath.Join("testdata", "cnn.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := nn.RemoveFilters(m, "/conv2/Conv", []int{2, 9}); err != nil {
		t.Fatal(err)
	}
	train, test := data.Synthetic(2000, 1), data.Synthetic(500, 2)
	before, err := nn.Evaluate(m, test, 250, 2)
	if err != nil {
		t.Fatal(err)
	}
	cfg := nn.TrainConfig{Epochs: 2, Batch: 32, Optimizer: &nn.Adam{}, Schedule: nn.ConstantLR{Base: 0.003}, Seed: 1, Workers: 2}
	ev, err := nn.Train(context.Background(), m, train, test, cfg)
	if err != nil {
		t.Fatal(err)
	}
	after := ev[len(ev)-1].Test
	t.Logf("synthetic test accuracy %.1f%% before, %.1f%% after fine-tuning", 100*before.Accuracy, 100*after.Accuracy)
	if after.Accuracy < 0.8 || after.Accuracy < before.Accuracy+0.3 {
		t.Errorf("accuracy %.3f after fine-tuning (%.3f before)", after.Accuracy, before.Accuracy)
	}
	// The fine-tuned, pruned model still exports and runs in ONNX Runtime.
	om, err := nnonnx.Export(m)
	if err != nil {
		t.Fatal(err)
	}
	x := randomInput(m, 2, 4)
	if d := maxDiff(t, runORT(t, om, x), forward(t, m, x)); d > ortTol {
		t.Errorf("ONNX Runtime and nnergy differ by %.3g after fine-tuning", d)
	}
}

// TestTorchFixturePruneSE removes filters of the expanding convolution of
// blocks with squeeze-and-excitation in MobileNetV3 and EfficientNet-B0:
// the channels leave the depthwise convolution, the SE block's two
// convolutions (input of the first, output of the second) and the
// projecting convolution, and the pruned model still runs in ONNX Runtime
// like in nnergy.
func TestTorchFixturePruneSE(t *testing.T) {
	tests := []struct {
		file, node string
		filters    []int
		// want lists nodes and their new channel counts (out, in).
		want map[string][2]int
	}{
		{"effb0", "/features/features.2/features.2.0/block/block.0/block.0.0/Conv", []int{1, 5, 47},
			map[string][2]int{
				"/features/features.2/features.2.0/block/block.0/block.0.0/Conv": {45, 8},
				"/features/features.2/features.2.0/block/block.1/block.1.0/Conv": {45, 45},
				"/features/features.2/features.2.0/block/block.2/fc1/Conv":       {2, 45},
				"/features/features.2/features.2.0/block/block.2/fc2/Conv":       {45, 2},
				"/features/features.2/features.2.0/block/block.3/block.3.0/Conv": {8, 45},
			}},
		{"mnv3s", "/features/features.4/block/block.0/block.0.0/Conv", []int{0, 3},
			map[string][2]int{
				"/features/features.4/block/block.0/block.0.0/Conv": {22, 8},
				"/features/features.4/block/block.1/block.1.0/Conv": {22, 22},
				"/features/features.4/block/block.2/fc1/Conv":       {8, 22},
				"/features/features.4/block/block.2/fc2/Conv":       {22, 8},
				"/features/features.4/block/block.3/block.3.0/Conv": {16, 22},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			m, err := nnonnx.ReadFile(filepath.Join("testdata", tt.file+".onnx"))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := nn.RemoveFilters(m, tt.node, tt.filters); err != nil {
				t.Fatal(err)
			}
			for name, want := range tt.want {
				c, ok := m.Node(name).Layer.(*nn.Conv)
				if !ok {
					t.Fatalf("%s is not a conv", name)
				}
				if got := [2]int{c.OutC, c.InC}; got != want {
					t.Errorf("%s: out, in %v, want %v", name, got, want)
				}
			}
			om, err := nnonnx.Export(m)
			if err != nil {
				t.Fatal(err)
			}
			x := randomInput(m, 2, 5)
			if r := relDiff(t, forward(t, m, x), runORT(t, om, x)); r > ortRel {
				t.Errorf("pruned model: nnergy and ONNX Runtime differ by %.3g relative", r)
			}
		})
	}
}

// TestTorchFixtureTrainModels trains the imported MobileNetV3,
// EfficientNet-B0 and transformer on the synthetic set: every layer has a
// backward pass, and the models learn.
func TestTorchFixtureTrainModels(t *testing.T) {
	if testing.Short() {
		t.Skip("trains three models")
	}
	for _, name := range trainedFixtures {
		t.Run(name, func(t *testing.T) {
			m, err := nnonnx.ReadFile(filepath.Join("testdata", name+".onnx"))
			if err != nil {
				t.Fatal(err)
			}
			// The fixtures' weights (PyTorch's initialisation with random
			// batch-norm statistics folded into the convolutions) give
			// logits of 1e-9 that 2 epochs do not move; train from nnergy's
			// He initialisation instead.
			nn.Init(m, 1)
			train, test := data.Synthetic(2000, 1), data.Synthetic(500, 2)
			before, err := nn.Evaluate(m, test, 250, 2)
			if err != nil {
				t.Fatal(err)
			}
			cfg := nn.TrainConfig{Epochs: 2, Batch: 32, Optimizer: &nn.Adam{}, Schedule: nn.ConstantLR{Base: 0.003}, Seed: 1, Workers: 2}
			start := time.Now()
			ev, err := nn.Train(context.Background(), m, train, test, cfg)
			if err != nil {
				t.Fatal(err)
			}
			secs := time.Since(start).Seconds()
			after := ev[len(ev)-1].Test
			t.Logf("synthetic test accuracy %.1f%% before, %.1f%% after 2 epochs (%.0f images/s with 2 workers, evaluation included)",
				100*before.Accuracy, 100*after.Accuracy, 2*2000/secs)
			if after.Accuracy < 0.6 || after.Accuracy < before.Accuracy+0.3 {
				t.Errorf("accuracy %.3f after fine-tuning (%.3f before)", after.Accuracy, before.Accuracy)
			}
			// The trained model exports and runs in ONNX Runtime.
			om, err := nnonnx.Export(m)
			if err != nil {
				t.Fatal(err)
			}
			x := randomInput(m, 2, 4)
			if r := relDiff(t, forward(t, m, x), runORT(t, om, x)); r > ortRel {
				t.Errorf("ONNX Runtime and nnergy differ by %.3g relative after training", r)
			}
		})
	}
}

// TestTorchFixturePruneRefused pins the errors of pruning where channels
// cannot be followed: the token projections of the transformer and its
// attention.
func TestTorchFixturePruneRefused(t *testing.T) {
	m, err := nnonnx.ReadFile(filepath.Join("testdata", "tf_ln.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	for node, want := range map[string]string{
		"/emb/MatMul": `nn: node "/enc/layers.0/norm1/LayerNormalization" (layernorm): cannot remove channels through layernorm (it normalises over them: the model dimension of a transformer is tied across its residual stream and is not pruned)`,
		"/Reshape":    `nn: node "/Reshape" is permute; filters can be removed from conv and linear layers`,
	} {
		if _, err := nn.RemoveFilters(m, node, []int{1}); err == nil || err.Error() != want {
			t.Errorf("%s: error %v\nwant %s", node, err, want)
		}
	}
}

// trainedFixtures are the fixtures TestTorchFixtureTrainModels fine-tunes.
var trainedFixtures = []string{"mnv3s", "effb0", "tf", "tf_ln"}
