package cli

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/nnergy/nnergy/nn"
	nnonnx "github.com/nnergy/nnergy/nn/onnx"
)

func TestLatencyTable(t *testing.T) {
	code, stdout, stderr := runNnergy(t, "latency", "--model", "lenet5", "--batch", "2", "--runs", "3", "--workers", "1")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if lines[0] != "lenet5: batch 2, median of 3 runs, 1 workers" {
		t.Errorf("header %q", lines[0])
	}
	if len(lines) != 1+1+12+2+1 {
		t.Fatalf("%d lines:\n%s", len(lines), stdout)
	}
	row := regexp.MustCompile(`^\s+conv1\s+conv\s+6x28x28\s+[0-9.]+µs\s+[0-9.]+%$`)
	if !row.MatchString(lines[2]) {
		t.Errorf("conv1 row %q", lines[2])
	}
	if !strings.Contains(lines[len(lines)-2], "whole pass") || !strings.HasPrefix(lines[len(lines)-1], "throughput ") {
		t.Errorf("footer %q", lines[len(lines)-3:])
	}
}

func TestLatencyBaseline(t *testing.T) {
	code, stdout, stderr := runNnergy(t, "latency", "--model", "lenet5", "--baseline", "vgg-small", "--runs", "3", "--workers", "1")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !regexp.MustCompile(`(?m)^against vgg-small \(whole passes interleaved, median of 3 each\): [0-9.]+µs vs [0-9.]+µs, [0-9.]+%$`).MatchString(stdout) {
		t.Errorf("no comparison line:\n%s", stdout)
	}
	if code, _, stderr := runNnergy(t, "latency", "--model", "lenet5", "--baseline", "nosuch.onnx"); code == 0 || !strings.Contains(stderr, "nosuch.onnx") {
		t.Errorf("missing baseline: exit %d, %q", code, stderr)
	}
}

// TestLatencyLimits runs latency on a tiny ONNX model whose input claims
// huge sizes, and at a huge batch: each is refused before anything is
// allocated, naming the limit (they used to panic in makeslice or try to
// allocate 17 and 313 GB).
func TestLatencyLimits(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, shape ...int) string {
		m := nn.New("x", shape...)
		m.Add("relu", nn.NewReLU(), "x")
		path := filepath.Join(dir, name)
		if err := nnonnx.WriteFile(path, m); err != nil {
			t.Fatal(err)
		}
		return path
	}
	small := write("small.onnx", 1, 4, 4)
	for _, args := range [][]string{
		{"--model", write("1e9.onnx", 1, 1e9, 1e9)},
		{"--model", write("65536.onnx", 1, 65536, 65536)},
		{"--model", small, "--batch", "100000000"},
		{"--model", small, "--baseline", small, "--batch", "100000000"},
	} {
		code, _, stderr := runNnergy(t, append([]string{"latency", "--runs", "1", "--workers", "1"}, args...)...)
		if code == 0 || !strings.Contains(stderr, "nn.MaxTensorElements") || strings.Contains(stderr, "panic") {
			t.Errorf("%v: exit %d, stderr %q; want an error naming nn.MaxTensorElements", args, code, stderr)
		}
	}
	if code, _, stderr := runNnergy(t, "latency", "--model", small, "--runs", "1", "--workers", "1"); code != 0 {
		t.Errorf("small model: exit %d: %s", code, stderr)
	}
}
