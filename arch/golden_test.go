package arch

import (
	"testing"

	goldenfile "github.com/nnergy/nnergy/internal/golden"
)

// golden compares got with the file at path, or rewrites the file with -update.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	goldenfile.Check(t, path, got)
}
