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
