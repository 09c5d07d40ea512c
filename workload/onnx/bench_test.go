package onnx_test

import (
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"testing"
	"time"

	"github.com/nnergy/nnergy/onnx"
	wonnx "github.com/nnergy/nnergy/workload/onnx"
)

// BenchmarkImport measures the conversion of a decoded model into a
// workload (decoding excluded).
func BenchmarkImport(b *testing.B) {
	for _, file := range []string{"resnet18_graph", "mobilenetv2_graph"} {
		b.Run(file, func(b *testing.B) {
			m := readGraphFixture(b, "testdata/"+file+".onnx")
			nodes := len(m.Graph.Nodes)
			for b.Loop() {
				if _, err := wonnx.Import(m, 1); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(nodes)*float64(b.N)/b.Elapsed().Seconds(), "nodes/s")
		})
	}
}

// BenchmarkReadFileMemory reads and imports a generated VGG-like model
// (a convolution, then two large fully connected layers: 64 MiB of float
// weights) as `nnergy show` does, and reports the peak of the live heap
// and the bytes allocated, each per byte of the file. The target for the
// peak is under 1.3: one copy of the weights, not the file's bytes plus
// decoded copies. The peak is sampled every 100 µs while the file is read.
func BenchmarkReadFileMemory(b *testing.B) {
	m := onnx.NewModel("big")
	g := m.Graph
	g.AddInput("x", onnx.Float, 1, 64, 16, 16)
	g.AddInitializer("w0", []int64{64, 64, 3, 3}, filled(64*64*9, 3))
	g.AddNode("Conv", []string{"x", "w0"}, []string{"c"}, onnx.IntsAttr("pads", 1, 1, 1, 1)).Name = "conv"
	g.AddNode("Flatten", []string{"c"}, []string{"f"})
	g.AddInitializer("w1", []int64{1024, 16384}, filled(1024*16384, 5))
	g.AddNode("Gemm", []string{"f", "w1"}, []string{"h"}, onnx.IntAttr("transB", 1)).Name = "fc1"
	g.AddInitializer("w2", []int64{10, 1024}, filled(10*1024, 0))
	g.AddNode("Gemm", []string{"h", "w2"}, []string{"y"}, onnx.IntAttr("transB", 1)).Name = "fc2"
	g.AddOutput("y", onnx.Float, 1, 10)
	path := filepath.Join(b.TempDir(), "big.onnx")
	if err := onnx.WriteFile(path, m); err != nil {
		b.Fatal(err)
	}
	m, g = nil, nil
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	size := float64(st.Size())
	samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/heap/allocs:bytes"}}
	var peak, alloc float64
	for b.Loop() {
		runtime.GC()
		metrics.Read(samples)
		base, alloc0 := samples[0].Value.Uint64(), samples[1].Value.Uint64()
		done := make(chan struct{})
		peakc := make(chan uint64)
		go func() {
			s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
			var p uint64
			tick := time.NewTicker(100 * time.Microsecond)
			defer tick.Stop()
			for {
				metrics.Read(s)
				p = max(p, s[0].Value.Uint64())
				select {
				case <-done:
					peakc <- p
					return
				case <-tick.C:
				}
			}
		}()
		net, err := wonnx.ReadFile(path, 1)
		if err != nil {
			b.Fatal(err)
		}
		metrics.Read(samples)
		close(done)
		p := max(<-peakc, samples[0].Value.Uint64())
		runtime.KeepAlive(net)
		peak = max(peak, float64(p-min(p, base)))
		alloc = float64(samples[1].Value.Uint64() - alloc0)
	}
	b.ReportMetric(peak/size, "peak-heap-bytes/file-byte")
	b.ReportMetric(alloc/size, "alloc-bytes/file-byte")
	b.ReportMetric(size, "file-bytes")
}
