package gemm

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

func BenchmarkGemm(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, s := range [][3]int{{6, 784, 25}, {16, 100, 150}, {64, 120, 400}, {256, 256, 256}} {
		m, n, k := s[0], s[1], s[2]
		b.Run(fmt.Sprintf("%dx%dx%d", m, n, k), func(b *testing.B) {
			x, y, z := randv(rng, m*k), randv(rng, k*n), make([]float32, m*n)
			var ws Workspace
			for b.Loop() {
				Gemm(false, false, m, n, k, x, k, y, n, z, n, false, &ws)
			}
			b.ReportMetric(2*float64(m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
