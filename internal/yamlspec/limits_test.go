package yamlspec

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDecodeLimits decodes documents past each limit (refused with an error
// naming it, before the document is walked) and within them (decoded).
func TestDecodeLimits(t *testing.T) {
	nest := func(depth, width int) string {
		var b strings.Builder
		b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
		for i := 1; i < depth; i++ {
			fmt.Fprintf(&b, "a%d: &a%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*a%d, ", i-1), width), ", "))
		}
		return b.String()
	}
	for _, tc := range []struct {
		name, doc, want string
	}{
		{"billion laughs", "x:\n" + indent(nest(100, 10)) + "name: x\nlevels:\n  - name: x\n    keeps: *a99\n", "yamlspec.MaxNodes"},
		{"nodes past", "x:\n" + indent(nest(5, 18)) + "name: x\nlevels:\n  - name: x\n    keeps: *a4\n", "yamlspec.MaxNodes"},
		{"nodes within", "x:\n" + indent(nest(4, 18)) + "name: x\nlevels:\n  - name: x\n    keeps: *a3\n", "unknown key"},
		{"text past", "name: &s " + strings.Repeat("x", 1<<20) + "\nlevels:\n  - name: x\n    keeps: [" + strings.TrimSuffix(strings.Repeat("*s, ", 70), ", ") + "]\n", "yamlspec.MaxScalarBytes"},
		{"file past", "name: x\n#" + strings.Repeat("x", MaxFileBytes) + "\n", "yamlspec.MaxFileBytes"},
		{"aliases within", "name: &s x\nlevels:\n  - name: x\n    keeps: [" + strings.TrimSuffix(strings.Repeat("*s, ", 1000), ", ") + "]\n", ""},
	} {
		var f testFile
		_, err := Decode("t.yaml", []byte(tc.doc), &f)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "t.yaml:")):
			t.Errorf("%s: error %v, want one at t.yaml naming %s", tc.name, err, tc.want)
		}
	}
}

func indent(s string) string {
	return "  " + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n  ") + "\n"
}

func TestReadFileLimit(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		size int64
		ok   bool
	}{{0, true}, {MaxFileBytes, true}, {MaxFileBytes + 1, false}, {1 << 40, false}} {
		path := filepath.Join(dir, fmt.Sprint(tc.size))
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		// A sparse file: a terabyte costs nothing unless read in full.
		if err := f.Truncate(tc.size); err != nil {
			t.Fatal(err)
		}
		f.Close()
		data, err := ReadFile(path)
		switch {
		case tc.ok && (err != nil || int64(len(data)) != tc.size):
			t.Errorf("%d bytes: %d read, %v", tc.size, len(data), err)
		case !tc.ok && (err == nil || !strings.Contains(err.Error(), "yamlspec.MaxFileBytes")):
			t.Errorf("%d bytes: error %v, want the MaxFileBytes limit", tc.size, err)
		}
	}
}
