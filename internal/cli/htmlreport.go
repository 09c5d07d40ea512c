package cli

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"
)

// reportFlagUsage is the help of every command's --report flag.
const reportFlagUsage = "write the run as one self-contained HTML page (inline CSS and SVG, no scripts or external files) to this .html file"

// registerReportFlag adds --report to a command's flags.
func registerReportFlag(fl *pflag.FlagSet, path *string) {
	fl.StringVar(path, "report", "", reportFlagUsage)
}

// checkReportPath checks, before a command runs, that --report names an
// .html file in a directory it can write, so a long run does not fail at
// its end.
func checkReportPath(cmd, path string) error {
	if path == "" {
		return nil
	}
	if ext := strings.ToLower(filepath.Ext(path)); ext != ".html" && ext != ".htm" {
		return usagef("%s: --report %q: want a .html file", cmd, path)
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return fmt.Errorf("%s: --report %s: is a directory", cmd, path)
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".nnergy-report-*")
	if err != nil {
		return fmt.Errorf("%s: --report %s: cannot write in %s: %w", cmd, path, filepath.Dir(path), unwrapPath(err))
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

// unwrapPath drops the *os.PathError's own path (the temporary file's)
// from err.
func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// writeReportPage renders a page and replaces path with it in one step.
func writeReportPage(cmd, path string, render func(io.Writer) error) error {
	if path == "" {
		return nil
	}
	var b bytes.Buffer
	if err := render(&b); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".nnergy-report-*")
	if err != nil {
		return fmt.Errorf("%s: --report %s: %w", cmd, path, unwrapPath(err))
	}
	_, err = f.Write(b.Bytes())
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("%s: --report %s: %w", cmd, path, err)
	}
	return nil
}
