package data

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestFashionMNISTReal reads the files of Debian's dataset-fashion-mnist
// when installed (NNERGY_REQUIRE_FASHION_MNIST makes their absence fail).
func TestFashionMNISTReal(t *testing.T) {
	if _, err := os.Stat(filepath.Join(FashionMNISTDir, "train-images-idx3-ubyte.gz")); err != nil {
		if os.Getenv("NNERGY_REQUIRE_FASHION_MNIST") != "" {
			t.Fatalf("Fashion-MNIST required: %v", err)
		}
		t.Skipf("Fashion-MNIST not installed (%s)", FashionMNISTInstall)
	}
	train, test, err := FashionMNIST("")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		s *Set
		n int
	}{{train, 60000}, {test, 10000}} {
		if c.s.Len() != c.n || !slices.Equal(c.s.Shape, []int{1, 28, 28}) || c.s.Classes != 10 {
			t.Errorf("%s: %d samples of %v in %d classes, want %d of [1 28 28] in 10", c.s.Name, c.s.Len(), c.s.Shape, c.s.Classes, c.n)
		}
		count := make([]int, 10)
		for _, y := range c.s.Y {
			count[y]++
		}
		for k, n := range count {
			if n != c.n/10 { // Fashion-MNIST is balanced
				t.Errorf("%s: class %d has %d samples, want %d", c.s.Name, k, n, c.n/10)
			}
		}
	}
	var sum float64
	for _, v := range train.X {
		sum += float64(v)
	}
	if mean := sum / float64(len(train.X)); mean < -0.01 || mean > 0.01 {
		t.Errorf("normalised training mean %.4f, want about 0", mean)
	}
}

func TestLoadErrors(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nowhere")
	for _, c := range []struct{ name, want string }{
		{"fashion-mnist", "data: fashion-mnist not found in " + dir + " (no train-images-idx3-ubyte); fetch it with: apt-get install dataset-fashion-mnist"},
		{"mnist", "data: mnist not found in " + dir + " (no train-images-idx3-ubyte); fetch it with: scripts/fetch-mnist.sh " + dir},
		{"cifar", `data: unknown data set "cifar" (have mnist, fashion-mnist, synthetic)`},
	} {
		_, _, err := Load(c.name, dir)
		if err == nil || err.Error() != c.want {
			t.Errorf("Load(%q): got %v\nwant %s", c.name, err, c.want)
		}
		if c.name != "cifar" && !IsMissing(err) {
			t.Errorf("Load(%q): %v is not a MissingError", c.name, err)
		}
	}
}

func TestFashionMNISTSmall(t *testing.T) {
	dir := t.TempDir()
	writeMNIST(t, dir, 3)
	train, _, err := Load("fashion-mnist", dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := (float32(5)/255 - FashionMNISTMean) / FashionMNISTStd; train.X[5] != want {
		t.Errorf("x[5] = %v, want %v", train.X[5], want)
	}
	if mean, std, _ := Normalization("fashion-mnist"); mean != FashionMNISTMean || std != FashionMNISTStd {
		t.Errorf("Normalization = %v, %v", mean, std)
	}
}
