package page_test

import (
	"bytes"
	"testing"

	"github.com/nnergy/nnergy/page"
)

// BenchmarkEval renders the LeNet-5 eval page; layers/s is what a server
// rendering run pages would sustain per core.
func BenchmarkEval(b *testing.B) {
	rep := evalReport(b)
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		if err := page.Eval(&buf, rep); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(rep.Layers))*float64(b.N)/b.Elapsed().Seconds(), "layers/s")
	b.ReportMetric(float64(buf.Len()), "page_bytes")
}

// BenchmarkRunSweepUI renders a stored sweep run's page inside the web UI
// (decoding its report, every dot with its figures); points/s is what the
// server sustains per core for GET /runs/{id} of a sweep.
func BenchmarkRunSweepUI(b *testing.B) {
	rep := sweepReport(b)
	rec := record(b, 2, "sweep", rep)
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		if err := page.Run(&buf, page.RunPage{Run: rec}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(rep.Points))*float64(b.N)/b.Elapsed().Seconds(), "points/s")
	b.ReportMetric(float64(buf.Len()), "page_bytes")
}
