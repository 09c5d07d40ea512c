package sweep

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse checks that no sweep file makes Parse panic or run away (YAML
// limits, MaxCombinations, the workload limits of every network and
// batch), that every error is positioned in the file, and that an accepted
// sweep has no more points than combinations. Seeds: the example sweeps
// (parsed as if beside them, so their relative paths resolve) and
// testdata/fuzz/FuzzParse; run longer with
//
//	go test ./sweep -run '^$' -fuzz FuzzParse -fuzztime 60s
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("../examples/sweeps/*.yaml")
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	const file = "../examples/sweeps/fuzz.yaml"
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(file, data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), file) {
				t.Fatalf("error not positioned in the file: %v", err)
			}
			return
		}
		if len(s.Points) > s.Combinations || s.Combinations > MaxCombinations {
			t.Fatalf("%d points of %d combinations", len(s.Points), s.Combinations)
		}
	})
}
