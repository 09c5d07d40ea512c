package onnx_test

import (
	"testing"

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
