package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestTrainTestSynthetic(t *testing.T) {
	out := filepath.Join(t.TempDir(), "lenet.nnw")
	code, stdout, stderr := runNnergy(t, "train", "--model", "lenet5", "--data", "synthetic", "--epochs", "1",
		"--train-images", "3000", "--train-batch", "32", "--schedule", "constant", "--seed", "3", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if stderr != "" {
		t.Errorf("stderr is not a terminal, yet got %q", stderr)
	}
	for _, want := range []string{
		"training lenet5 (61706 parameters) on synthetic: 3000 images, 1 epochs, batch 32, adam lr 0.003 constant\n",
		"epoch 1/1: loss ", "images/s", "saved " + out + "\n",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	code, stdout, stderr = runNnergy(t, "test", "--model", out, "--data", "synthetic")
	if code != 0 {
		t.Fatalf("test: exit %d: %s", code, stderr)
	}
	m := regexp.MustCompile(`^` + regexp.QuoteMeta(out) + ` on synthetic: accuracy ([0-9.]+)% \(\d+/1000\), loss [0-9.]+\n$`).FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("test output %q", stdout)
	}
	if acc, _ := strconv.ParseFloat(m[1], 64); acc < 80 {
		t.Errorf("accuracy %v%% after one short epoch on the synthetic set", acc)
	}
}

func TestTrainProgressBar(t *testing.T) {
	code, _, stderr := runNnergy(t, "train", "--data", "synthetic", "--epochs", "1", "--train-images", "200", "--progress", "always")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "\r\x1b[Kepoch 1/1 [==============================] 100% loss ") || !strings.Contains(stderr, "img/s") {
		t.Errorf("no progress bar: %q", stderr)
	}
}

// TestTrainMissingMNIST pins the message that tells how to get MNIST.
func TestTrainMissingMNIST(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "mnist")
	for _, args := range [][]string{
		{"train", "--data", "mnist", "--data-dir", dir},
		{"test", "--model", "lenet5", "--data-dir", dir},
	} {
		code, stdout, stderr := runNnergy(t, args...)
		want := "nnergy: data: mnist not found in " + dir + " (no train-images-idx3-ubyte); fetch it with: scripts/fetch-mnist.sh " + dir + "\n"
		if code != 1 || stdout != "" || stderr != want {
			t.Errorf("%v: exit %d, stderr %q\nwant %q", args, code, stderr, want)
		}
	}
	// Without --data-dir the default directory follows NNERGY_DATA.
	root := t.TempDir()
	t.Setenv("NNERGY_DATA", root)
	_, _, stderr := runNnergy(t, "train")
	if want := "fetch it with: scripts/fetch-mnist.sh " + filepath.Join(root, "mnist") + "\n"; !strings.HasSuffix(stderr, want) {
		t.Errorf("stderr %q, want suffix %q", stderr, want)
	}
}

// TestMissingFashionMNIST checks that every command taking --data names the
// Debian package that installs Fashion-MNIST when it is not there.
func TestMissingFashionMNIST(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "fashion")
	want := "nnergy: data: fashion-mnist not found in " + dir + " (no train-images-idx3-ubyte); fetch it with: apt-get install dataset-fashion-mnist\n"
	for _, cmd := range []string{"train", "test", "prune", "adapt"} {
		args := []string{cmd, "--data", "fashion-mnist", "--data-dir", dir}
		if cmd == "test" {
			args = append(args, "--model", "lenet5")
		}
		code, stdout, stderr := runNnergy(t, args...)
		if code != 1 || stdout != "" || stderr != want {
			t.Errorf("%v: exit %d, stderr %q\nwant %q", args, code, stderr, want)
		}
	}
}

func TestTrainTestLatencyFlagErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"train", "--epochs", "0"}, "nnergy: train: --epochs must be at least 1, got 0\n"},
		{[]string{"train", "--data", "cifar"}, "nnergy: --data: unknown data set \"cifar\" (have mnist, fashion-mnist, synthetic)\n"},
		{[]string{"train", "--data", "synthetic", "--optimizer", "lbfgs"}, "nnergy: train: --optimizer: unknown optimizer \"lbfgs\" (have adam, sgd)\n"},
		{[]string{"train", "--schedule", "exp"}, "nnergy: train: --schedule: unknown schedule \"exp\" (have cosine, step, constant)\n"},
		{[]string{"train", "--lr", "-1"}, "nnergy: train: invalid argument \"-1\" for \"--lr\" flag: want a positive number\n"},
		{[]string{"train", "--progress", "sometimes"}, "nnergy: train: invalid argument \"sometimes\" for \"--progress\" flag: unknown mode \"sometimes\" (have auto, always, never)\n"},
		{[]string{"train", "--data", "synthetic", "--model", "resnet"}, "nnergy: --model: \"resnet\" is neither a zoo network (lenet5, mobilenet-small, vgg-small) nor a model file\n"},
		{[]string{"train", "--epochs", "x"}, "nnergy: train: invalid argument \"x\" for \"--epochs\" flag: strconv.ParseInt: parsing \"x\": invalid syntax\n"},
		{[]string{"test"}, "nnergy: test: --model is required\n"},
		{[]string{"test", "--model", "lenet5", "--batch", "0"}, "nnergy: test: --batch must be at least 1, got 0\n"},
		{[]string{"latency"}, "nnergy: latency: --model is required\n"},
		{[]string{"latency", "--model", "lenet5", "--runs", "0"}, "nnergy: latency: --runs must be at least 1, got 0\n"},
	}
	for _, tt := range tests {
		code, stdout, stderr := runNnergy(t, tt.args...)
		if code != 2 || stdout != "" || stderr != tt.want {
			t.Errorf("%v: exit %d, stdout %q, stderr %q\nwant %q", tt.args, code, stdout, stderr, tt.want)
		}
	}
}

func TestTrainBadModelFile(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.nnw")
	os.WriteFile(bad, []byte("not a model"), 0o644)
	code, _, stderr := runNnergy(t, "latency", "--model", bad)
	if code != 1 || stderr != "nnergy: nn: load: not an nnergy model file: bad magic ("+bad+")\n" {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

// TestTrainMNISTAccuracy runs the README command on real MNIST and requires
// at least 98.5% test accuracy after 2 epochs with the default flags. It
// needs the data (scripts/fetch-mnist.sh) and about a minute, so it runs
// only with NNERGY_MNIST=1.
func TestTrainMNISTAccuracy(t *testing.T) {
	if os.Getenv("NNERGY_MNIST") == "" {
		t.Skip("set NNERGY_MNIST=1 to train LeNet-5 on MNIST")
	}
	code, stdout, stderr := runNnergy(t, "train", "--model", "lenet5", "--data", "mnist", "--epochs", "2")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	t.Log(stdout)
	m := regexp.MustCompile(`epoch 2/2: .* test accuracy ([0-9.]+)%`).FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("no accuracy in %q", stdout)
	}
	if acc, _ := strconv.ParseFloat(m[1], 64); acc < 98.5 {
		t.Errorf("LeNet-5 test accuracy %.2f%% after 2 epochs, want >= 98.5%%", acc)
	}
}
