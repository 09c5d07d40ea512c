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
// in the matching .err file.
func TestParseErrors(t *testing.T) {
	files, err := filepath.Glob("testdata/errors/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no test files: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			_, err = Parse(file, data)
			if err == nil {
				t.Fatal("Parse succeeded, want errors")
			}
			var list yamlspec.ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("error %v is not a yamlspec.ErrorList", err)
			}
			var b strings.Builder
			for _, e := range list {
				b.WriteString(e.Error() + "\n")
			}
			golden.Check(t, strings.TrimSuffix(file, ".yaml")+".err", []byte(b.String()))
		})
	}
}
