package codesign_test

import (
	"context"
	"testing"

	"github.com/nnergy/nnergy/codesign"
)

// BenchmarkRun runs a whole small codesign: LeNet-5 measured on three
// designs, NetAdapt on the candidates with two-step fine-tunes.
func BenchmarkRun(b *testing.B) {
	var designs, jobs int
	for b.Loop() {
		o := options(b)
		res, err := codesign.Run(context.Background(), o)
		if err != nil {
			b.Fatal(err)
		}
		designs += len(res.Designs)
		jobs += len(res.Jobs)
	}
	s := b.Elapsed().Seconds()
	b.ReportMetric(float64(designs)/s, "designs/s")
	b.ReportMetric(float64(jobs)/s, "jobs/s")
}
