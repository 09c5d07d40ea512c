package server

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"
)

// BenchmarkAPI is the load test: 8 clients at once against a store of 50
// eval runs of lenet5, reporting the latency of a request at the median and
// the 99th percentile and the requests per second.
func BenchmarkAPI(b *testing.B) {
	for _, c := range []struct{ name, path string }{
		{"get-run", "/api/v1/runs/%d"},
		{"list-20", "/api/v1/runs?limit=20"},
		{"list-sort-energy", "/api/v1/runs?sort=energy&limit=20"},
	} {
		b.Run(c.name, func(b *testing.B) {
			f := newFixture(b, Config{})
			last := f.seed(50)
			const clients = 8
			lat := make([]time.Duration, 0, b.N)
			var mu sync.Mutex
			next := make(chan int)
			var wg sync.WaitGroup
			b.ResetTimer()
			start := time.Now()
			for range clients {
				wg.Go(func() {
					for i := range next {
						path := c.path
						if c.name == "get-run" {
							path = fmt.Sprintf(path, 1+i%int(last))
						}
						t0 := time.Now()
						resp, err := http.Get(f.ts.URL + path)
						if err != nil {
							b.Error(err)
							continue
						}
						io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						d := time.Since(t0)
						if resp.StatusCode != http.StatusOK {
							b.Errorf("%s: %d", path, resp.StatusCode)
						}
						mu.Lock()
						lat = append(lat, d)
						mu.Unlock()
					}
				})
			}
			for i := range b.N {
				next <- i
			}
			close(next)
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1e3, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1e3, "p99-ms")
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
		})
	}
}
