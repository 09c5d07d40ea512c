package sweep

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nnergy/nnergy/internal/golden"
	"github.com/nnergy/nnergy/internal/yamlspec"
)

// TestParseErrors pins every error of each invalid file in testdata/errors
// in the matching .err file, one error a line as the command line prints
// them.
func TestParseErrors(t *testing.T) {
	files, err := filepath.Glob("testdata/errors/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no test files: %v", err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		_, err = Parse(file, data)
		if err == nil {
			t.Errorf("%s: Parse succeeded, want errors", file)
			continue
		}
		var b strings.Builder
		yamlspec.PrintError(&b, "", err)
		golden.Check(t, strings.TrimSuffix(file, ".yaml")+".err", []byte(b.String()))
	}
}

// TestParseNoFiles checks that a sweep from the network may name presets
// and zoo networks only, with errors at the keys that name files, and that
// a sweep naming none parses as Parse parses it.
func TestParseNoFiles(t *testing.T) {
	const ok = "version: 1\nname: s\narch: eyeriss\nnetworks: [alexnet]\nmapper: {method: builder, dataflow: rs}\n" +
		"parameters:\n  - {key: levels.GLB.size_words, values: [32768, 65536]}\n"
	for _, tc := range []struct {
		name, text string
		// want lists a text of each error, in order; none for a valid sweep.
		want []string
	}{
		{"presets and zoo", ok, nil},
		{"arch file", strings.Replace(ok, "arch: eyeriss", "arch: ../arch.yaml", 1),
			[]string{`sweep_yaml:3:7: arch: "../arch.yaml" is not a preset`}},
		{"network files", strings.Replace(ok, "[alexnet]", "[alexnet, /etc/passwd, net.onnx, w.yaml]", 1),
			[]string{`sweep_yaml:4:21: networks[1]: "/etc/passwd" names a file`, `networks[2]: "net.onnx" names a file`, `networks[3]: "w.yaml" names a file`}},
		{"unknown zoo name", strings.Replace(ok, "[alexnet]", "[nosuchnet]", 1), []string{"sweep_yaml:4:12: networks[0]: "}},
	} {
		s, err := ParseNoFiles("sweep_yaml", []byte(tc.text))
		if len(tc.want) == 0 {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
				continue
			}
			f, err := Parse("sweep_yaml", []byte(tc.text))
			if err != nil {
				t.Fatalf("%s: Parse: %v", tc.name, err)
			}
			if s.RunKey() != f.RunKey() || len(s.Points) != len(f.Points) {
				t.Errorf("%s: ParseNoFiles and Parse differ: keys %s and %s, %d and %d points", tc.name, s.RunKey(), f.RunKey(), len(s.Points), len(f.Points))
			}
			continue
		}
		var list yamlspec.ErrorList
		if !errors.As(err, &list) {
			t.Errorf("%s: got %v, want an error list", tc.name, err)
			continue
		}
		if len(list) != len(tc.want) {
			t.Errorf("%s: got %d errors (%v), want %d", tc.name, len(list), err, len(tc.want))
			continue
		}
		for i, w := range tc.want {
			if !strings.Contains(list[i].Error(), w) {
				t.Errorf("%s: error %d is %q, want it to hold %q", tc.name, i, list[i].Error(), w)
			}
		}
	}
}
