package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOutputPathsCheckedFirst gives every output flag a file in a missing
// directory, a file where its directory should be, and a wrong extension:
// each command fails before its work starts (nothing on stdout), naming
// the flag, with exit 1 (2 for the extension).
func TestOutputPathsCheckedFirst(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing")
	sw := "testdata/sweep/shards.yaml"
	for _, tc := range []struct {
		cmd  []string // the command line before the flag
		flag string
		ext  string // an extension the flag takes
		// named, when set, is the file the error names for the flag's
		// value (adapt with several methods writes one file each).
		named func(string) string
	}{
		{[]string{"train", "--model", "lenet5", "--data", "synthetic"}, "--out", ".nnw", nil},
		{[]string{"prune", "--model", "lenet5", "--data", "synthetic", "--target", "sparsity=0.5"}, "--out", ".onnx", nil},
		{[]string{"prune", "--model", "lenet5", "--data", "synthetic", "--target", "sparsity=0.5"}, "--history", ".json", nil},
		{[]string{"prune", "--model", "lenet5", "--data", "synthetic", "--target", "sparsity=0.5"}, "--plot", ".svg", nil},
		{[]string{"prune", "--model", "lenet5", "--data", "synthetic", "--target", "sparsity=0.5"}, "--report", ".html", nil},
		{[]string{"adapt", "--model", "lenet5", "--data", "synthetic", "--budget", "energy=0.5"}, "--out", ".nnw", nil},
		{[]string{"adapt", "--model", "lenet5", "--data", "synthetic", "--budget", "energy=0.5"}, "--history", ".csv", nil},
		{[]string{"adapt", "--model", "lenet5", "--data", "synthetic", "--budget", "energy=0.5"}, "--plot", ".png", nil},
		{[]string{"adapt", "--model", "lenet5", "--data", "synthetic", "--budget", "energy=0.5"}, "--report", ".html", nil},
		{[]string{"adapt", "--model", "lenet5", "--data", "synthetic", "--budget", "energy=0.5", "--method", "netadapt,netadaptv2"}, "--out", ".nnw",
			func(p string) string { ext := filepath.Ext(p); return strings.TrimSuffix(p, ext) + "-netadapt" + ext }},
		{[]string{"compare", "--model", "alexnet"}, "--plot", ".svg", nil},
		{[]string{"sweep", sw}, "--plot", ".svg", nil},
		{[]string{"sweep", sw}, "--report", ".html", nil},
		{[]string{"eval", "--model", "alexnet"}, "--report", ".html", nil},
		{[]string{"plot", "no-such-history.json"}, "--out", ".svg", nil},
	} {
		name := tc.cmd[0] + " " + tc.flag
		named := tc.named
		if named == nil {
			named = func(p string) string { return p }
		}
		for _, bad := range []struct {
			what, path string
			code       int
			err        string
		}{
			{"missing directory", filepath.Join(missing, "x"+tc.ext), 1, tc.flag + ": directory " + missing + ": no such file or directory"},
			{"file as directory", filepath.Join(file, "x"+tc.ext), 1, tc.flag + " " + named(filepath.Join(file, "x"+tc.ext)) + ": not a directory"},
			{"is a directory", filepath.Join(dir, "d"+tc.ext), 1, tc.flag + " " + named(filepath.Join(dir, "d"+tc.ext)) + ": is a directory"},
			{"unknown extension", filepath.Join(dir, "x.unknown"), 2, tc.flag + ` "` + named(filepath.Join(dir, "x.unknown")) + `": want a `},
		} {
			t.Run(name+"/"+bad.what, func(t *testing.T) {
				if bad.what == "is a directory" {
					if err := os.MkdirAll(named(bad.path), 0o755); err != nil {
						t.Fatal(err)
					}
				}
				args := append(append([]string(nil), tc.cmd...), tc.flag, bad.path, "--store", "none")
				code, out, errOut := runNnergy(t, args...)
				if code != bad.code || !strings.Contains(errOut, "nnergy: "+tc.cmd[0]+": "+bad.err) || out != "" {
					t.Errorf("nnergy %s: exit %d, stdout %q, stderr:\n%s\nwant exit %d and an error with %q", strings.Join(args, " "), code, out, errOut, bad.code, bad.err)
				}
			})
		}
	}
}

// TestCheckpointDirChecked gives adapt --checkpoint a file, and a
// directory under a missing one: both fail before the work.
func TestCheckpointDirChecked(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, err string }{
		{file, "nnergy: adapt: --checkpoint " + file + ": not a directory"},
		{filepath.Join(dir, "missing", "ckpt"), "nnergy: adapt: --checkpoint: directory " + filepath.Join(dir, "missing") + ": no such file or directory"},
	} {
		code, out, errOut := runNnergy(t, "adapt", "--model", "lenet5", "--data", "synthetic", "--budget", "energy=0.5", "--checkpoint", tc.path, "--store", "none")
		if code != 1 || out != "" || !strings.Contains(errOut, tc.err) {
			t.Errorf("adapt --checkpoint %s: exit %d, stdout %q, stderr:\n%s\nwant exit 1 and %q", tc.path, code, out, errOut, tc.err)
		}
	}
}

// TestOutputOverwriteSaid checks that replacing an existing output is said
// on stderr, and that the file is replaced.
func TestOutputOverwriteSaid(t *testing.T) {
	out := filepath.Join(t.TempDir(), "m.nnw")
	if err := os.WriteFile(out, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runNnergy(t, "train", "--model", "lenet5", "--data", "synthetic", "--epochs", "1", "--out", out, "--store", "none")
	if code != 0 || !strings.Contains(errOut, "nnergy train: --out "+out+" exists; it will be overwritten\n") {
		t.Errorf("train over an existing --out: exit %d, stderr:\n%s", code, errOut)
	}
	if b, err := os.ReadFile(out); err != nil || string(b) == "old" {
		t.Errorf("the existing --out was not replaced (%v)", err)
	}
	ents, _ := os.ReadDir(filepath.Dir(out))
	if len(ents) != 1 {
		t.Errorf("train left %d files beside its --out, want none", len(ents)-1)
	}
}
