package arch

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse checks that no document makes Parse panic or run away (the
// YAML limits of internal/yamlspec bound alias expansion), that every
// error is positioned in the file, and that a spec it accepts validates.
// Seeds: the presets and testdata/fuzz/FuzzParse; run longer with
//
//	go test ./arch -run '^$' -fuzz FuzzParse -fuzztime 60s
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("presets/*.yaml")
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("fuzz.yaml", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.yaml") && !strings.HasPrefix(err.Error(), "arch: ") {
				t.Fatalf("error names neither the file nor the package: %v", err)
			}
			return
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("Parse accepted a spec that does not validate: %v", err)
		}
	})
}
