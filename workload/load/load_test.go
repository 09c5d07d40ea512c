package load

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nnergy/nnergy/nn"
	"github.com/nnergy/nnergy/nn/zoo"
)

func TestKindOf(t *testing.T) {
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain")
	if err := os.WriteFile(plain, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		ref  string
		want Kind
	}{
		{"alexnet", Zoo},
		{"m.onnx", ONNX},
		{"m.nnw", NNW},
		{"w.yaml", YAML},
		{"w.yml", YAML},
		{"dir/w", YAML},
		{plain, YAML},
		{dir, YAML}, // a path with a separator is a file, even a missing one
	} {
		if got := KindOf(tc.ref); got != tc.want {
			t.Errorf("KindOf(%q) = %d, want %d", tc.ref, got, tc.want)
		}
	}
}

func TestNetwork(t *testing.T) {
	dir := t.TempDir()
	lenet, err := zoo.New("lenet5", 1)
	if err != nil {
		t.Fatal(err)
	}
	nnw := filepath.Join(dir, "lenet.nnw")
	if err := nn.SaveFile(nnw, lenet); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		ref         string
		o           Options
		layers      int
		batch       int   // N of the first layer
		macsPerPass int64 // total MACs / batch
	}{
		{"alexnet", Options{}, 8, 1, 724406816},
		{"alexnet", Options{Batch: 4}, 8, 4, 724406816},
		{"../../examples/workloads/tiny.yaml", Options{Batch: 2}, 5, 2, 0},
		{nnw, Options{Batch: 3}, 5, 3, 416520},
		{"../onnx/testdata/pruned_cnn.onnx", Options{}, 0, 0, 0},
		{"../onnx/testdata/batch/cnn_b2.onnx", Options{}, 0, 2, 0},
		{"../onnx/testdata/batch/cnn_b2.onnx", Options{Batch: 5}, 0, 5, 0},
	} {
		n, err := Network(tc.ref, tc.o)
		if err != nil {
			t.Errorf("Network(%q, %+v): %v", tc.ref, tc.o, err)
			continue
		}
		if tc.layers > 0 && len(n.Layers) != tc.layers {
			t.Errorf("Network(%q): %d layers, want %d", tc.ref, len(n.Layers), tc.layers)
		}
		if tc.batch > 0 && (n.Layers[0].Shape[0] != tc.batch || n.Batch != tc.batch) {
			t.Errorf("Network(%q, %+v): batch %d, first layer N %d; want %d", tc.ref, tc.o, n.Batch, n.Layers[0].Shape[0], tc.batch)
		}
		if tc.macsPerPass > 0 && n.MACs() != tc.macsPerPass*int64(max(tc.o.Batch, 1)) {
			t.Errorf("Network(%q, %+v): %d MACs, want %d per inference", tc.ref, tc.o, n.MACs(), tc.macsPerPass)
		}
	}
}

func TestNetworkErrors(t *testing.T) {
	for _, tc := range []struct {
		ref  string
		o    Options
		want string
	}{
		{"alexnet3", Options{}, `zoo: unknown model "alexnet3"`},
		{"alexnet", Options{Batch: -1}, "load: batch -1 is negative"},
		{"alexnet", Options{Dims: map[string]int{"seq": 8}}, "load: symbolic dimensions and input shapes apply to ONNX files, not to alexnet"},
		{"missing.yaml", Options{}, "load: open missing.yaml: no such file or directory"},
		{"missing.onnx", Options{}, "missing.onnx"},
		{"../onnx/testdata/batch/enc_sf_b1.onnx", Options{Batch: 2}, "cannot be told apart"},
	} {
		_, err := Network(tc.ref, tc.o)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Network(%q, %+v) error = %v, want it to contain %q", tc.ref, tc.o, err, tc.want)
		}
	}
}
