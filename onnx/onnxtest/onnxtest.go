// Package onnxtest has test helpers for code that writes ONNX models: Check
// runs the reference ONNX checker of Debian's python3-onnx on a model.
// Tests that use it skip, with a message saying what to install, on machines
// without that Python module.
package onnxtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/nnergy/nnergy/onnx"
)

// Python is the interpreter Check runs; Debian's python3-onnx installs the
// onnx module for it (apt-get install -y python3-onnx).
const Python = "/usr/bin/python3"

const script = `import sys, onnx
m = onnx.load(sys.argv[1])
onnx.checker.check_model(m, full_check=True)
`

var available = sync.OnceValue(func() error {
	cmd := exec.Command(Python, "-c", "import onnx.checker")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return &skipError{strings.TrimSpace(string(out)), err}
	}
	return nil
})

type skipError struct {
	out string
	err error
}

func (e *skipError) Error() string {
	msg := e.err.Error()
	if e.out != "" {
		lines := strings.Split(e.out, "\n")
		msg = lines[len(lines)-1]
	}
	return msg
}

// Available reports whether the reference checker can run, and if not, why.
func Available() error { return available() }

// Check encodes m, runs onnx.checker.check_model(full_check=True) on it,
// and fails t with the checker's message if the model is rejected. It skips
// t when /usr/bin/python3 cannot import onnx.
func Check(t testing.TB, m *onnx.Model) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "model.onnx")
	if err := onnx.WriteFile(path, m); err != nil {
		t.Fatalf("onnxtest: %v", err)
	}
	CheckFile(t, path)
}

// CheckFile runs the reference checker on the model in file path (see Check).
func CheckFile(t testing.TB, path string) {
	t.Helper()
	if err := available(); err != nil {
		t.Skipf("onnxtest: skipping the ONNX reference checker: %s cannot import onnx (%v); install it with apt-get install -y python3-onnx", Python, err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("onnxtest: %v", err)
	}
	out, err := exec.Command(Python, "-c", script, path).CombinedOutput()
	if err != nil {
		t.Errorf("onnxtest: the ONNX checker rejects %s: %v\n%s", filepath.Base(path), err, lastLines(string(out), 15))
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
