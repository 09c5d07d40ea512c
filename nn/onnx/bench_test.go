package onnx_test

import (
	"context"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/nnergy/nnergy/nn"
	"github.com/nnergy/nnergy/nn/data"
	nnonnx "github.com/nnergy/nnergy/nn/onnx"
)

// BenchmarkTrainFixture trains the imported MobileNetV3-Small,
// EfficientNet-B0 (both width 0.25, 28×28) and transformer fixtures for one
// epoch of 2,000 synthetic images (batch 32, Adam) with one worker per CPU
// and reports the throughput.
func BenchmarkTrainFixture(b *testing.B) {
	set := data.Synthetic(2000, 1)
	for _, name := range []string{"mnv3s", "effb0", "tf_ln", "tf"} {
		b.Run(name, func(b *testing.B) {
			m, err := nnonnx.ReadFile(filepath.Join("testdata", name+".onnx"))
			if err != nil {
				b.Fatal(err)
			}
			nn.Init(m, 1)
			cfg := nn.TrainConfig{Epochs: 1, Batch: 32, Optimizer: &nn.Adam{}, Schedule: nn.ConstantLR{Base: 0.003},
				Seed: 1, Workers: runtime.GOMAXPROCS(0)}
			for b.Loop() {
				if _, err := nn.Train(context.Background(), m, set, nil, cfg); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(set.Len())*float64(b.N)/b.Elapsed().Seconds(), "images/s")
		})
	}
}
