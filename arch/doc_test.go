package arch

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/nnergy/nnergy/internal/yamlspec"
)

const formatDoc = "../docs/format/arch.md"

// TestFormatDoc checks that docs/format/arch.md documents exactly the keys
// that Parse accepts.
func TestFormatDoc(t *testing.T) {
	md, err := os.ReadFile(formatDoc)
	if err != nil {
		t.Fatal(err)
	}
	// The keys of a `conventions:` mapping are decoded apart (the key may
	// be a set's name): compare them with conventionsYAML.
	var rest, conv []string
	for _, line := range strings.Split(string(md), "\n") {
		if k, ok := strings.CutPrefix(line, "| `conventions."); ok {
			k, _, _ = strings.Cut(k, "`")
			conv = append(conv, k)
			continue
		}
		rest = append(rest, line)
	}
	if diff := yamlspec.DocDiff(&fileYAML{}, []byte(strings.Join(rest, "\n"))); diff != "" {
		t.Errorf("%s and Parse disagree:\n%s", formatDoc, diff)
	}
	slices.Sort(conv)
	keys := yamlspec.Keys(&conventionsYAML{})
	slices.Sort(keys)
	if !slices.Equal(conv, keys) {
		t.Errorf("%s documents the conventions keys %v, Parse accepts %v", formatDoc, conv, keys)
	}
}

// TestFormatDocExamples parses every YAML example of the format description.
func TestFormatDocExamples(t *testing.T) {
	md, err := os.ReadFile(formatDoc)
	if err != nil {
		t.Fatal(err)
	}
	blocks := yamlspec.Examples(md)
	if len(blocks) == 0 {
		t.Fatal("no YAML examples")
	}
	for _, b := range blocks {
		if _, err := Parse(formatDoc, b); err != nil {
			t.Errorf("example does not parse: %v", err)
		}
	}
}
