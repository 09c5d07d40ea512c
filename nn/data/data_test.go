package data

import (
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestIDXRoundTrip(t *testing.T) {
	x := &IDX{Dims: []int{2, 3, 2}, Data: []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 255}}
	var raw bytes.Buffer
	if err := WriteIDX(&raw, x); err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	z := gzip.NewWriter(&gz)
	z.Write(raw.Bytes())
	z.Close()
	for name, b := range map[string][]byte{"raw": raw.Bytes(), "gzip": gz.Bytes()} {
		got, err := ReadIDX(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !slices.Equal(got.Dims, x.Dims) || !bytes.Equal(got.Data, x.Data) {
			t.Errorf("%s: got %v %v", name, got.Dims, got.Data)
		}
	}
}

func TestIDXErrors(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, "data: idx: EOF"},
		{"magic", []byte{1, 0, 8, 1, 0, 0, 0, 1, 0}, "bad magic"},
		{"type", []byte{0, 0, 0x0d, 1, 0, 0, 0, 1, 0, 0, 0, 0}, "type 0x0d not supported"},
		{"short", []byte{0, 0, 8, 1, 0, 0, 0, 5, 1, 2}, "5 values of [5]: unexpected EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadIDX(bytes.NewReader(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want %q", err, tt.want)
			}
		})
	}
}

// writeMNIST writes a tiny MNIST-like cache (gzipped) into dir.
func writeMNIST(t *testing.T, dir string, n int) {
	t.Helper()
	for _, f := range mnistFiles {
		var x *IDX
		if strings.Contains(f, "images") {
			x = &IDX{Dims: []int{n, 28, 28}, Data: make([]byte, n*784)}
			for i := range x.Data {
				x.Data[i] = byte(i)
			}
		} else {
			x = &IDX{Dims: []int{n}, Data: make([]byte, n)}
			for i := range x.Data {
				x.Data[i] = byte(i % 10)
			}
		}
		fh, err := os.Create(filepath.Join(dir, f+".gz"))
		if err != nil {
			t.Fatal(err)
		}
		z := gzip.NewWriter(fh)
		if err := WriteIDX(z, x); err != nil {
			t.Fatal(err)
		}
		z.Close()
		fh.Close()
	}
}

func TestMNISTLoad(t *testing.T) {
	dir := t.TempDir()
	writeMNIST(t, dir, 3)
	train, test, err := MNIST(dir)
	if err != nil {
		t.Fatal(err)
	}
	if train.Len() != 3 || test.Len() != 3 || !slices.Equal(train.Shape, []int{1, 28, 28}) {
		t.Fatalf("train %d test %d shape %v", train.Len(), test.Len(), train.Shape)
	}
	if want := (float32(5)/255 - MNISTMean) / MNISTStd; train.X[5] != want {
		t.Errorf("x[5] = %v, want %v", train.X[5], want)
	}
	if !slices.Equal(test.Y, []int{0, 1, 2}) {
		t.Errorf("labels %v", test.Y)
	}
}

func TestMNISTMissing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nowhere")
	_, _, err := MNIST(dir)
	var m *MissingError
	if !errors.As(err, &m) || !IsMissing(err) {
		t.Fatalf("got %v, want a MissingError", err)
	}
	want := "data: mnist not found in " + dir + " (no train-images-idx3-ubyte); fetch it with: scripts/fetch-mnist.sh " + dir
	if err.Error() != want {
		t.Errorf("got  %q\nwant %q", err, want)
	}
}

func TestMNISTDirEnv(t *testing.T) {
	t.Setenv("NNERGY_DATA", "/data/x")
	if got := MNISTDir(); got != "/data/x/mnist" {
		t.Errorf("MNISTDir() = %q", got)
	}
}

func TestSyntheticDeterministic(t *testing.T) {
	a, b := Synthetic(50, 3), Synthetic(80, 3)
	if err := a.Check(); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a.X, b.X[:len(a.X)]) || !slices.Equal(a.Y, b.Y[:50]) {
		t.Error("a longer synthetic set does not extend a shorter one")
	}
	c := Synthetic(50, 4)
	if slices.Equal(a.X, c.X) {
		t.Error("different seeds give the same set")
	}
	seen := map[int]bool{}
	for _, y := range b.Y {
		seen[y] = true
	}
	if len(seen) != 10 {
		t.Errorf("classes seen: %d", len(seen))
	}
}
