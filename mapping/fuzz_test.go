package mapping

import (
	"strings"
	"testing"

	"github.com/nnergy/nnergy/workload"
)

// FuzzParse checks that no text makes Parse panic, that a mapping it
// accepts formats to text that parses to the same mapping, and that
// CheckShape answers on it. Seeds are in testdata/fuzz/FuzzParse; run
// longer with
//
//	go test ./mapping -run '^$' -fuzz FuzzParse -fuzztime 60s
func FuzzParse(f *testing.F) {
	f.Add("DRAM keep Weights Inputs Outputs\n  for M in [0:4)\nGLB keep none\n  spatial-x C in [0:3)\n  spatial-y R in [0:3)\nRF keep Weights\n  for S in [0:3)\n")
	f.Add("# comment\n\nA keep Inputs\n\tfor N in [0:1)\n")
	f.Add("DRAM keep\n  for M in [0:4294967296)\n  for M in [0:4294967296)\n")
	f.Add("X keep Outputs\n  spatial-z Q in [0:2)\n")
	l, err := workload.NewLayer("l", workload.Conv, workload.Shape{1, 1, 4, 3, 1, 1, 3, 3}, [2]int{1, 1}, [2]int{1, 1})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, text string) {
		m, err := Parse("fuzz.txt", text)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "mapping: fuzz.txt") {
				t.Fatalf("error without the file name: %v", err)
			}
			return
		}
		out := m.Format()
		m2, err := Parse("again.txt", out)
		if err != nil {
			t.Fatalf("formatted mapping does not parse: %v\n%s", err, out)
		}
		if again := m2.Format(); again != out {
			t.Fatalf("round trip differs:\n%s\nthen\n%s", out, again)
		}
		_ = m.CheckShape(l) // must answer, not panic
	})
}
