package cli

import (
	"regexp"
	"strings"
	"testing"
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
