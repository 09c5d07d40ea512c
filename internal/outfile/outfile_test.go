package outfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWriteFailureKeepsOld checks that a write that fails part-way leaves
// the file it would have replaced intact and no temporary file behind, and
// that one that succeeds replaces it.
func TestWriteFailureKeepsOld(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.nnw")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("disk full")
	for _, tc := range []struct {
		name  string
		write func(io.Writer) error
		err   error
		want  string
	}{
		{"fails after writing", func(w io.Writer) error { io.WriteString(w, strings.Repeat("x", 1<<20)); return boom }, boom, "old"},
		{"fails before writing", func(io.Writer) error { return boom }, boom, "old"},
		{"succeeds", func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err }, nil, "new"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := Write(path, tc.write); !errors.Is(err, tc.err) || (tc.err == nil) != (err == nil) {
				t.Fatalf("Write: %v, want %v", err, tc.err)
			}
			got, err := os.ReadFile(path)
			if err != nil || string(got) != tc.want {
				t.Errorf("after Write the file holds %d bytes %.10q (%v), want %q", len(got), got, err, tc.want)
			}
			ents, _ := os.ReadDir(dir)
			if len(ents) != 1 {
				t.Errorf("the directory holds %d files, want only the output", len(ents))
			}
		})
	}
}

func TestWriteIntoMissingDir(t *testing.T) {
	path := filepath.Join(t.TempDir(), "no", "such.svg")
	if err := WriteFile(path, []byte("x")); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("WriteFile into a missing directory: %v", err)
	}
}

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	existing := filepath.Join(dir, "old.svg")
	if err := os.WriteFile(existing, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	readOnly := filepath.Join(dir, "ro")
	if err := os.Mkdir(readOnly, 0o555); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path   string
		exts   []string
		exists bool
		err    string // substring; empty for none
	}{
		{filepath.Join(dir, "new.svg"), []string{".svg", ".png"}, false, ""},
		{filepath.Join(dir, "NEW.PNG"), []string{".svg", ".png"}, false, ""},
		{existing, []string{".svg"}, true, ""},
		{filepath.Join(dir, "any"), nil, false, ""},
		{filepath.Join(dir, "x.pdf"), []string{".svg", ".png"}, false, `--flag "` + filepath.Join(dir, "x.pdf") + `": want a .svg or .png file`},
		{filepath.Join(dir, "x.txt"), []string{".html"}, false, "want a .html file"},
		{filepath.Join(dir, "missing", "x.svg"), []string{".svg"}, false, "--flag: directory " + filepath.Join(dir, "missing") + ": no such file or directory"},
		{filepath.Join(existing, "x.svg"), []string{".svg"}, false, "not a directory"},
		{dir + "/ro.svg", nil, false, ""},
		{readOnly, nil, false, "is a directory"},
		{"", nil, false, "--flag: empty file name"},
	} {
		exists, err := Check("--flag", tc.path, tc.exts...)
		if strings.Contains(tc.err, "want a") && !errors.Is(err, ErrExtension) {
			t.Errorf("Check(%q): %v is not ErrExtension", tc.path, err)
		}
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("Check(%q): %v", tc.path, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("Check(%q): %v, want an error with %q", tc.path, err, tc.err)
		case exists != tc.exists:
			t.Errorf("Check(%q) exists %v, want %v", tc.path, exists, tc.exists)
		}
	}
	if os.Geteuid() != 0 {
		if _, err := Check("--out", filepath.Join(readOnly, "x.nnw")); err == nil || !strings.Contains(err.Error(), "--out: cannot write in "+readOnly) {
			t.Errorf("Check in a read-only directory: %v", err)
		}
	}
}
