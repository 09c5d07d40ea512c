// Package outfile writes the files commands produce: checked before the
// work starts, written to a temporary name in the same directory and
// renamed over the destination, so that a crash or a failed write never
// leaves a torn file and never damages the file it would have replaced.
package outfile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// ErrExtension is wrapped by Check's error about a file name whose
// extension is not one the flag writes.
var ErrExtension = errors.New("outfile: unknown extension")

// extensionError is Check's error about an extension.
type extensionError string

func (e extensionError) Error() string { return string(e) }

// Is makes errors.Is(err, ErrExtension) hold.
func (e extensionError) Is(target error) bool { return target == ErrExtension }

// Check checks, before a command's work starts, that path can be written
// as the value of flag (named in every error, as "--out"): its extension is
// one of exts (lower case, with the dot; none means any), it is not a
// directory, and its directory exists and takes a new file. It reports
// whether path already exists, so that the caller can say it will be
// overwritten.
func Check(flag, path string, exts ...string) (exists bool, err error) {
	if path == "" {
		return false, fmt.Errorf("outfile: %s: empty file name", flag)
	}
	if len(exts) > 0 && !slices.Contains(exts, strings.ToLower(filepath.Ext(path))) {
		return false, extensionError(fmt.Sprintf("outfile: %s %q: want a %s file", flag, path, orList(exts)))
	}
	st, err := os.Stat(path)
	switch {
	case err == nil && st.IsDir():
		return false, fmt.Errorf("outfile: %s %s: is a directory", flag, path)
	case err == nil && !st.Mode().IsRegular():
		return false, fmt.Errorf("outfile: %s %s: not a regular file", flag, path)
	case err == nil:
		exists = true
	case !errors.Is(err, os.ErrNotExist):
		return false, fmt.Errorf("outfile: %s %s: %w", flag, path, unwrapPath(err))
	}
	if err := CheckDir(flag, filepath.Dir(path)); err != nil {
		return false, err
	}
	return exists, nil
}

// CheckDir checks that dir is a directory that takes a new file, naming
// flag in its errors.
func CheckDir(flag, dir string) error {
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("outfile: %s: directory %s: %w", flag, dir, unwrapPath(err))
	}
	if !st.IsDir() {
		return fmt.Errorf("outfile: %s: %s is not a directory", flag, dir)
	}
	f, err := os.CreateTemp(dir, ".nnergy-check-*")
	if err != nil {
		return fmt.Errorf("outfile: %s: cannot write in %s: %w", flag, dir, unwrapPath(err))
	}
	name := f.Name()
	f.Close()
	if err := os.Remove(name); err != nil {
		return fmt.Errorf("outfile: %s: %w", flag, err)
	}
	return nil
}

// Write replaces path with what write writes: to a temporary file in
// path's directory, synced, then renamed over path. When write or any step
// fails, the temporary file is removed and path is left as it was.
func Write(path string, write func(io.Writer) error) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("outfile: %s: %w", path, unwrapPath(err))
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	bw := bufio.NewWriter(f)
	if err := write(bw); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("outfile: %s: %w", path, unwrapPath(err))
	}
	if err := f.Chmod(0o644); err != nil {
		return fmt.Errorf("outfile: %s: %w", path, unwrapPath(err))
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("outfile: %s: %w", path, unwrapPath(err))
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("outfile: %s: %w", path, unwrapPath(err))
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("outfile: %s: %w", path, unwrapPath(err))
	}
	return nil
}

// WriteFile replaces path with data as Write does.
func WriteFile(path string, data []byte) error {
	return Write(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// unwrapPath drops an *os.PathError's own path (often a temporary file's)
// from err.
func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// orList joins exts as ".svg or .png".
func orList(exts []string) string {
	if len(exts) == 1 {
		return exts[0]
	}
	return strings.Join(exts[:len(exts)-1], ", ") + " or " + exts[len(exts)-1]
}
