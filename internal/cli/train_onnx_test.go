package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/nnergy/nnergy/onnx"
	"github.com/nnergy/nnergy/onnx/onnxtest"
)

// TestTrainTestLatencyONNX trains to an ONNX file, checks it with the ONNX
// checker, and reads it back with test (which must score it exactly as
// train's own evaluation did), latency and train.
func TestTrainTestLatencyONNX(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "lenet.onnx")
	code, stdout, stderr := runNnergy(t, "train", "--model", "lenet5", "--data", "synthetic", "--epochs", "1",
		"--train-images", "1000", "--train-batch", "32", "--seed", "3", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.HasSuffix(stdout, "saved "+out+"\n") {
		t.Errorf("stdout %q", stdout)
	}
	m := regexp.MustCompile(`test accuracy ([0-9.]+%) \(loss ([0-9.]+)\)`).FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("no test accuracy in %q", stdout)
	}
	om, err := onnx.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(om.Graph.Nodes); got != 12 {
		t.Errorf("%d ONNX nodes, want 12", got)
	}
	onnxtest.CheckFile(t, out)

	code, stdout, stderr = runNnergy(t, "test", "--model", out, "--data", "synthetic")
	if code != 0 {
		t.Fatalf("test: exit %d: %s", code, stderr)
	}
	want := regexp.MustCompile(`^` + regexp.QuoteMeta(out+" on synthetic: accuracy "+m[1]) + ` \(\d+/1000\), loss ` + regexp.QuoteMeta(m[2]) + "\n$")
	if !want.MatchString(stdout) {
		t.Errorf("test on the ONNX file: %q\nwant accuracy %s and loss %s as train reported", stdout, m[1], m[2])
	}

	code, stdout, stderr = runNnergy(t, "latency", "--model", out, "--runs", "2", "--workers", "1")
	if code != 0 {
		t.Fatalf("latency: exit %d: %s", code, stderr)
	}
	if !strings.HasPrefix(stdout, out+": batch 1, median of 2 runs, 1 workers\n") ||
		!regexp.MustCompile(`\n\s+conv1\s+conv\s+6x28x28\s+[0-9.]+µs`).MatchString(stdout) {
		t.Errorf("latency on the ONNX file:\n%s", stdout)
	}

	// The same file is a workload for the energy model.
	code, stdout, stderr = runNnergy(t, "eval", "--arch", "eyeriss", "--model", out)
	if code != 0 {
		t.Fatalf("eval: exit %d: %s", code, stderr)
	}
	for _, row := range []string{`conv1\s+117\.6 k`, `conv2\s+240\.0 k`, `fc1\s+48\.0 k`, `fc3\s+840`} {
		if !regexp.MustCompile(`\n` + row + `\s`).MatchString(stdout) {
			t.Errorf("eval lacks %s:\n%s", row, stdout)
		}
	}

	// Training continues from the ONNX file, into the native format.
	nnw := filepath.Join(dir, "more.nnw")
	code, stdout, stderr = runNnergy(t, "train", "--model", out, "--data", "synthetic", "--epochs", "1", "--train-images", "200", "--out", nnw)
	if code != 0 {
		t.Fatalf("train from ONNX: exit %d: %s", code, stderr)
	}
	if !strings.HasPrefix(stdout, "training "+out+" (61706 parameters) on synthetic: 200 images") || !strings.HasSuffix(stdout, "saved "+nnw+"\n") {
		t.Errorf("train from ONNX:\n%s", stdout)
	}
	if b, err := os.ReadFile(nnw); err != nil || len(b) < 4*61706 {
		t.Errorf("native file: %d bytes, %v", len(b), err)
	}
}

// TestTestPyTorchONNX runs test and latency on a model exported by PyTorch
// (nn/onnx/testdata/cnn.onnx, random weights: about 10% accuracy).
func TestTestPyTorchONNX(t *testing.T) {
	path := filepath.Join("..", "..", "nn", "onnx", "testdata", "cnn.onnx")
	code, stdout, stderr := runNnergy(t, "test", "--model", path, "--data", "synthetic")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !regexp.MustCompile(`^` + regexp.QuoteMeta(path) + ` on synthetic: accuracy [0-9.]+% \(\d+/1000\), loss [0-9.]+\n$`).MatchString(stdout) {
		t.Errorf("test: %q", stdout)
	}
	code, stdout, stderr = runNnergy(t, "latency", "--model", path, "--runs", "2", "--workers", "1")
	if code != 0 {
		t.Fatalf("latency: exit %d: %s", code, stderr)
	}
	for _, row := range []string{`/conv1/Conv\s+conv\s+8x28x28`, `/bn1/BatchNormalization\s+batchnorm\s+8x28x28`, `/pool2/AveragePool\s+avgpool\s+16x7x7`, `/fc2/Gemm\s+linear\s+10`} {
		if !regexp.MustCompile(`\n\s+` + row + `\s+[0-9.]+µs`).MatchString(stdout) {
			t.Errorf("latency table lacks %s:\n%s", row, stdout)
		}
	}
}

// onnxSupported is the list of operators the engine's importer names when
// it refuses one.
const onnxSupported = "Add, AveragePool, BatchNormalization, Cast, Clip, Concat, Constant, ConstantOfShape, Conv, Div, Dropout, Erf, Exp, Flatten, Gather, Gelu, Gemm, GlobalAveragePool, HardSigmoid, HardSwish, Identity, LayerNormalization, LeakyRelu, LogSoftmax, MatMul, MaxPool, Mul, Pad, Pow, ReduceMean, Relu, Reshape, Shape, Sigmoid, Slice, Softmax, Sqrt, Squeeze, Sub, Sum, Tanh, Transpose, Unsqueeze"

// TestONNXModelErrors pins the messages for ONNX files the engine cannot
// run.
func TestONNXModelErrors(t *testing.T) {
	dir := t.TempDir()
	sig := onnx.NewModel("g")
	sig.Graph.AddInput("x", onnx.Float, 1, 1, 28, 28)
	sig.Graph.AddNode("LRN", []string{"x"}, []string{"y"}, onnx.IntAttr("size", 3)).Name = "act"
	sig.Graph.AddOutput("y", onnx.Float, 1, 1, 28, 28)
	sigPath := filepath.Join(dir, "sigmoid.onnx")
	vec := onnx.NewModel("g")
	vec.Graph.AddInput("x", onnx.Float, 1, 4)
	vec.Graph.AddNode("Relu", []string{"x"}, []string{"y"})
	vec.Graph.AddOutput("y", onnx.Float, 1, 4)
	vecPath := filepath.Join(dir, "vector.onnx")
	for path, m := range map[string]*onnx.Model{sigPath: sig, vecPath: vec} {
		if err := onnx.WriteFile(path, m); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"test", "--model", sigPath, "--data", "synthetic"},
			"nnergy: onnx: " + sigPath + `: node "act" (LRN): op type LRN is not supported (supported: ` + onnxSupported + `)` + "\n"},
		{[]string{"test", "--model", vecPath, "--data", "synthetic"},
			"nnergy: nn: data set synthetic has samples of shape [1 28 28], model input is [4]\n"},
		{[]string{"latency", "--model", sigPath},
			"nnergy: onnx: " + sigPath + `: node "act" (LRN): op type LRN is not supported (supported: ` + onnxSupported + `)` + "\n"},
	}
	for _, tt := range tests {
		code, stdout, stderr := runNnergy(t, tt.args...)
		if code != 1 || stdout != "" || stderr != tt.want {
			t.Errorf("%v: exit %d, stdout %q, stderr\n%s\nwant\n%s", tt.args, code, stdout, stderr, tt.want)
		}
	}
	// A file that is not ONNX, and --out in a directory that does not exist
	// (refused before training).
	bad := filepath.Join(dir, "bad.onnx")
	os.WriteFile(bad, []byte("not a model"), 0o644)
	if code, _, stderr := runNnergy(t, "latency", "--model", bad); code != 1 || !strings.HasPrefix(stderr, "nnergy: onnx: "+bad+": ") {
		t.Errorf("not ONNX: exit %d, stderr %q", code, stderr)
	}
	missing := filepath.Join(dir, "no", "such", "dir", "m.onnx")
	code, stdout, stderr := runNnergy(t, "train", "--data", "synthetic", "--train-images", "64", "--out", missing)
	if want := "nnergy: train: --out: directory " + filepath.Dir(missing) + ": no such file or directory\n"; code != 1 || stdout != "" || stderr != want {
		t.Errorf("--out in a missing directory: exit %d, stdout %q, stderr %q\nwant %q", code, stdout, stderr, want)
	}
}
