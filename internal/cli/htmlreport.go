package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/nnergy/nnergy/internal/outfile"
	"github.com/spf13/pflag"
)

// reportFlagUsage is the help of every command's --report flag.
const reportFlagUsage = "write the run as one self-contained HTML page (inline CSS and SVG, no scripts or external files) to this .html file"

// registerReportFlag adds --report to a command's flags.
func registerReportFlag(fl *pflag.FlagSet, path *string) {
	fl.StringVar(path, "report", "", reportFlagUsage)
}

// Extensions of the output flags.
var (
	reportExts  = []string{".html", ".htm"}
	plotExts    = []string{".svg", ".png"}
	historyExts = []string{".json", ".csv"}
	modelExts   = []string{".onnx", ".nnw"}
)

// checkOut checks, before a command's work starts, that the output flag
// flag can write path (see outfile.Check), so that a long run does not fail
// at its end, and says on stderr when it will replace an existing file. An
// empty path (the flag not given) passes. A wrong extension is a usage
// error.
func (e *env) checkOut(cmd, flag, path string, exts ...string) error {
	if path == "" {
		return nil
	}
	exists, err := outfile.Check(flag, path, exts...)
	if err != nil {
		msg := cmd + ": " + strings.TrimPrefix(err.Error(), "outfile: ")
		if errors.Is(err, outfile.ErrExtension) {
			return usageError{errors.New(msg)}
		}
		return errors.New(msg)
	}
	if exists {
		fmt.Fprintf(e.stderr, "nnergy %s: %s %s exists; it will be overwritten\n", cmd, flag, path)
	}
	return nil
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
	if err := outfile.WriteFile(path, b.Bytes()); err != nil {
		return fmt.Errorf("%s: --report %s: %w", cmd, path, err)
	}
	return nil
}
