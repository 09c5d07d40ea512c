package sweep

import (
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
