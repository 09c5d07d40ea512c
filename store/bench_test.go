package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/nnergy/nnergy/store"
)

// BenchmarkPutResults measures how many layer results a store writes per
// second, one per transaction and in batches of 100 (a design point's
// layers), on SQLite and, when it is available, PostgreSQL.
func BenchmarkPutResults(b *testing.B) {
	value := []byte(`{"energy_pj":123456.789,"cycles":987654,"mapping":"DRAM keep Weights Inputs Outputs\n  for C in [0:4)\nGLB keep Inputs Outputs\n  for Q in [0:28)\n"}`)
	for _, be := range backends {
		for _, batch := range []int{1, 100} {
			b.Run(fmt.Sprintf("%s/batch=%d", be.name, batch), func(b *testing.B) {
				ctx := context.Background()
				s := open(b, be.dsn(b))
				rows := 0
				rs := make([]store.Result, batch)
				b.ResetTimer()
				for i := 0; b.Loop(); i++ {
					for j := range rs {
						rs[j] = store.Result{Key: store.Key([]byte(fmt.Sprint(i, j))), Value: value}
					}
					n, err := s.PutResults(ctx, rs...)
					if err != nil || n != batch {
						b.Fatalf("PutResults = %d, %v", n, err)
					}
					rows += n
				}
				b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
			})
		}
	}
}
