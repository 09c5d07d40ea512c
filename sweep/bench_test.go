package sweep

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"
)

// cpuTime returns the CPU time the process has used, user and system.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchSweep is 100 design points of Eyeriss (PE arrays from 5 × 3 to
// 14 × 12) running AlexNet at batch 1.
const benchSweep = `version: 1
name: bench
arch: eyeriss
networks: [alexnet]
mapper: {method: %s, dataflow: rs, max_evaluations: 1000, workers: 1}
parameters:
  - {name: x, key: levels.RF.mesh.x, range: {from: 5, to: 14, step: 1}}
  - {name: y, key: levels.RF.mesh.y, range: {from: 3, to: 12, step: 1}}
`

// BenchmarkSweepAlexNet evaluates the 100-point sweep with one and two
// workers, each point's layers mapped by a search of 1000 evaluations per
// unique shape or by the RS builder: design points per second, the
// cost-model evaluations per second of the searches, and the CPU seconds
// per point (which other processes on the machine do not inflate, so
// that on a loaded machine the pool's overhead shows even when its
// speed-up cannot).
func BenchmarkSweepAlexNet(b *testing.B) {
	for _, method := range []string{"search", "builder"} {
		s, err := Parse("bench.yaml", fmt.Appendf(nil, benchSweep, method))
		if err != nil {
			b.Fatal(err)
		}
		if len(s.Points) != 100 {
			b.Fatalf("%d points", len(s.Points))
		}
		for _, w := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/workers=%d", method, w), func(b *testing.B) {
				var points, evals int64
				cpu0 := cpuTime(b)
				for b.Loop() {
					r, err := s.Run(context.Background(), Options{Workers: w})
					if err != nil {
						b.Fatal(err)
					}
					for i := range r.Points {
						if p := &r.Points[i]; !p.Valid() || !p.Workloads[0].OK() {
							b.Fatalf("point %s: %s %s", s.Label(p.Point), p.Reason, p.Workloads[0].Reason)
						}
						evals += r.Points[i].Evaluations
					}
					points += int64(len(r.Points))
				}
				sec := b.Elapsed().Seconds()
				b.ReportMetric(float64(points)/sec, "points/s")
				b.ReportMetric((cpuTime(b)-cpu0).Seconds()/float64(points), "cpu-s/point")
				if evals > 0 {
					b.ReportMetric(float64(evals)/sec, "evals/s")
				}
			})
		}
	}
}
