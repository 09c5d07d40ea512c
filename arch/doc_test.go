package arch

import (
	"os"
	"regexp"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
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
	want := yamlspec.Keys(&fileYAML{})
	got := yamlspec.DocumentedKeys(md)
	slices.Sort(want)
	slices.Sort(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("keys accepted by Parse (-) and documented in %s (+):\n%s", formatDoc, diff)
	}
}

var yamlBlock = regexp.MustCompile("(?s)```yaml\n(.*?)```")

// TestFormatDocExamples parses every YAML example of the format description.
func TestFormatDocExamples(t *testing.T) {
	md, err := os.ReadFile(formatDoc)
	if err != nil {
		t.Fatal(err)
	}
	blocks := yamlBlock.FindAllSubmatch(md, -1)
	if len(blocks) == 0 {
		t.Fatal("no YAML examples")
	}
	for _, b := range blocks {
		if _, err := Parse(formatDoc, b[1]); err != nil {
			t.Errorf("example does not parse: %v", err)
		}
	}
}
