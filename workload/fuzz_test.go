package workload

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse checks that no document makes Parse panic or run away, that
// every error is positioned in the file, and that a network it accepts
// validates, within the limits, with positive MACs. Seeds: the examples,
// testdata/parse and testdata/fuzz/FuzzParse; run longer with
//
//	go test ./workload -run '^$' -fuzz FuzzParse -fuzztime 60s
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("../examples/workloads/*.yaml")
	more, _ := filepath.Glob("testdata/parse/*.yaml")
	for _, file := range append(files, more...) {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := Parse("fuzz.yaml", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.yaml") {
				t.Fatalf("error not positioned in the file: %v", err)
			}
			return
		}
		if err := n.Validate(); err != nil {
			t.Fatalf("Parse accepted a network that does not validate: %v", err)
		}
		if macs := n.MACs(); macs <= 0 || macs > MaxMACs {
			t.Fatalf("network of %d MACs", macs)
		}
	})
}
