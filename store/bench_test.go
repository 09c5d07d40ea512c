package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/nnergy/nnergy/store"
	"github.com/nnergy/nnergy/sweep"
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

// sweepBench is 100 design points of Eyeriss (PE arrays from 5 × 3 to
// 14 × 12) running AlexNet at batch 1, each unique layer shape searched
// with 1000 evaluations; %s adds parameters.
const sweepBench = `version: 1
name: bench
arch: eyeriss
networks: [alexnet]
mapper: {method: search, dataflow: rs, max_evaluations: 1000, workers: 1}
parameters:
  - {name: x, key: levels.RF.mesh.x, range: {from: 5, to: 14, step: 1}}
  - {name: y, key: levels.RF.mesh.y, range: {from: 3, to: 12, step: 1}}
%s`

// BenchmarkSweepStore runs the 100-point AlexNet sweep of package sweep's
// benchmark with a SQLite store: cold (an empty store: every layer
// searched, every search and point written), with 1 and 2 workers;
// resumed (the same sweep again: every point taken from the store and
// re-evaluated from its stored searches); and warm (another sweep of the
// same designs, under another run key: every layer search served by the
// store). Design points per second.
func BenchmarkSweepStore(b *testing.B) {
	ctx := context.Background()
	parse := func(extra string) *sweep.Sweep {
		s, err := sweep.Parse("bench.yaml", fmt.Appendf(nil, sweepBench, extra))
		if err != nil {
			b.Fatal(err)
		}
		if len(s.Points) != 100 {
			b.Fatalf("%d points", len(s.Points))
		}
		return s
	}
	s := parse("")
	other := parse("  - {name: again, values: [1]}\n")
	run := func(b *testing.B, s *sweep.Sweep, st *store.Store, workers int) *sweep.Result {
		r, err := s.Run(ctx, sweep.Options{Workers: workers, Store: st.Sweep()})
		if err != nil {
			b.Fatal(err)
		}
		return r
	}
	report := func(b *testing.B, points int) {
		b.ReportMetric(float64(points)/b.Elapsed().Seconds(), "points/s")
	}
	for _, w := range []int{1, 2} {
		b.Run(fmt.Sprintf("cold/workers=%d", w), func(b *testing.B) {
			points := 0
			for b.Loop() {
				b.StopTimer()
				st := open(b, filepath.Join(b.TempDir(), "results.db"))
				b.StartTimer()
				r := run(b, s, st, w)
				if r.Stored != 0 {
					b.Fatalf("cold: %d points from the store", r.Stored)
				}
				points += len(r.Points)
				st.Close()
			}
			report(b, points)
		})
	}
	st := open(b, filepath.Join(b.TempDir(), "results.db"))
	run(b, s, st, 2)
	for _, w := range []int{1, 2} {
		b.Run(fmt.Sprintf("resumed/workers=%d", w), func(b *testing.B) {
			points := 0
			for b.Loop() {
				r := run(b, s, st, w)
				if r.Stored != len(r.Points) {
					b.Fatalf("resumed: %d of %d points from the store", r.Stored, len(r.Points))
				}
				points += len(r.Points)
			}
			report(b, points)
		})
	}
	b.Run("warm/workers=1", func(b *testing.B) {
		points := 0
		var evals int64
		for b.Loop() {
			b.StopTimer()
			warm := open(b, filepath.Join(b.TempDir(), "results.db"))
			run(b, s, warm, 2)
			b.StartTimer()
			r := run(b, other, warm, 1)
			for i := range r.Points {
				evals += r.Points[i].Evaluations
			}
			points += len(r.Points)
			warm.Close()
		}
		if evals != 0 {
			b.Fatalf("warm: %d evaluations", evals)
		}
		report(b, points)
	})
}
