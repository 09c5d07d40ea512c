package onnx_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/nnergy/nnergy/nn"
	nnonnx "github.com/nnergy/nnergy/nn/onnx"
	"github.com/nnergy/nnergy/onnx"
)

// The full-size torchvision models (MobileNetV3-Small and -Large,
// EfficientNet-B0; weights=None from a fixed seed, 3x224x224, 1000 classes)
// are 10-20 MB each, so scripts/make_torchvision.sh makes them into a cache
// instead of the repository. TestTorchvision skips when they are missing,
// unless NNERGY_REQUIRE_TORCHVISION is set, when it fails.

// torchvisionDir returns where scripts/make_torchvision.sh writes the models.
func torchvisionDir() string {
	if d := os.Getenv("NNERGY_TORCHVISION"); d != "" {
		return d
	}
	if d := os.Getenv("NNERGY_DATA"); d != "" {
		return filepath.Join(d, "torchvision")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		home = "."
	}
	return filepath.Join(home, ".cache", "nnergy", "torchvision")
}

// TestTorchvision imports the full-size models and requires nnergy's
// outputs to match PyTorch's and ONNX Runtime's within ortRel relative;
// exported back, ONNX Runtime must agree too.
func TestTorchvision(t *testing.T) {
	if testing.Short() {
		t.Skip("runs three full-size models")
	}
	for _, name := range []string{"mobilenet_v3_small", "mobilenet_v3_large", "efficientnet_b0"} {
		t.Run(name, func(t *testing.T) {
			base := filepath.Join(torchvisionDir(), name)
			if _, err := os.Stat(base + ".output.f32"); err != nil {
				msg := base + ".onnx is missing; make it with scripts/make_torchvision.sh"
				if os.Getenv("NNERGY_REQUIRE_TORCHVISION") != "" {
					t.Fatal(msg)
				}
				t.Skip(msg)
			}
			m, err := nnonnx.ReadFile(base + ".onnx")
			if err != nil {
				t.Fatal(err)
			}
			in := readF32(t, base+".input.f32")
			per := 1
			for _, d := range m.InShape {
				per *= d
			}
			x := &nn.Tensor{Shape: append([]int{len(in) / per}, m.InShape...), Data: in}
			got := forward(t, m, x)
			want := &nn.Tensor{Shape: got.Shape, Data: readF32(t, base+".output.f32")}
			r := relDiff(t, got, want)
			t.Logf("%d layers, %d parameters; relative error against PyTorch %.3g", len(m.Nodes), m.NumParams(), r)
			if r > ortRel {
				t.Errorf("nnergy and PyTorch differ by %.3g relative (> %g)", r, ortRel)
			}
			om, err := onnx.ReadFile(base + ".onnx")
			if err != nil {
				t.Fatal(err)
			}
			r = relDiff(t, got, runORT(t, om, x))
			t.Logf("relative error against ONNX Runtime %.3g", r)
			if r > ortRel {
				t.Errorf("nnergy and ONNX Runtime differ by %.3g relative (> %g)", r, ortRel)
			}
			back, err := nnonnx.Export(m)
			if err != nil {
				t.Fatal(err)
			}
			if r := relDiff(t, runORT(t, back, x), got); r > ortRel {
				t.Errorf("ONNX Runtime on the re-exported model differs by %.3g relative", r)
			}
		})
	}
}
