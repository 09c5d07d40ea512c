package arch

import (
	"os"
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
	if diff := yamlspec.DocDiff(&fileYAML{}, md); diff != "" {
		t.Errorf("%s and Parse disagree:\n%s", formatDoc, diff)
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
