package onnx

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/nnergy/nnergy/internal/onnxpb"
)

// externalFiles resolves the external data of tensors (ONNX external_data:
// location, offset, length) against the directory of the model file. Every
// location must stay inside that directory: absolute paths, ".." and
// symbolic links leading out of it are refused.
type externalFiles struct {
	dir  string // the model file's directory; "" when unknown
	root *os.Root
}

// close releases the directory handle.
func (x *externalFiles) close() {
	if x != nil && x.root != nil {
		x.root.Close()
		x.root = nil
	}
}

// read reads t's data from the external file that p names.
func (x *externalFiles) read(t *Tensor, p *onnxpb.TensorProto) error {
	var loc string
	off, length := int64(0), int64(-1)
	for _, kv := range p.GetExternalData() {
		switch k, v := kv.GetKey(), kv.GetValue(); k {
		case "location":
			loc = v
		case "offset", "length":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return fmt.Errorf("external data %s %q is not a non-negative integer", k, v)
			}
			if k == "offset" {
				off = n
			} else {
				length = n
			}
		case "checksum": // not verified
		default:
			return fmt.Errorf("external data has an unknown key %q (known: location, offset, length, checksum)", k)
		}
	}
	if loc == "" {
		return errors.New("data is stored in an external file, but external_data has no location")
	}
	if x == nil || x.dir == "" {
		return fmt.Errorf("data is stored in the external file %q, but the model's directory is unknown (read the model with ReadFile or Parse with its path)", loc)
	}
	rel := filepath.FromSlash(loc)
	path := filepath.Join(x.dir, rel)
	if !filepath.IsLocal(rel) {
		return fmt.Errorf("external data location %q is outside the model's directory %s; refused", loc, x.dir)
	}
	if x.root == nil {
		r, err := os.OpenRoot(x.dir)
		if err != nil {
			return fmt.Errorf("external data file %s: %w", path, err)
		}
		x.root = r
	}
	f, err := x.root.Open(rel)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("external data file %s does not exist", path)
	case err != nil && escapes(err):
		return fmt.Errorf("external data location %q leads outside the model's directory %s; refused", loc, x.dir)
	case err != nil:
		return fmt.Errorf("external data file %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("external data file %s: %w", path, err)
	}
	if st.IsDir() {
		return fmt.Errorf("external data file %s is a directory", path)
	}
	size := st.Size()
	if length < 0 {
		length = size - off
	}
	if off > size || length > size-off {
		return fmt.Errorf("external data file %s: offset %d and length %d go past its end (%d bytes)", path, off, length, size)
	}
	r := bufio.NewReaderSize(io.NewSectionReader(f, off, length), 1<<16)
	return t.readRaw(r, length, "external data in "+path)
}

// escapes reports whether err is os.Root refusing a path that leads out of
// it (through a symbolic link); os does not export that error.
func escapes(err error) bool {
	var pe *fs.PathError
	return errors.As(err, &pe) && pe.Err != nil && strings.Contains(pe.Err.Error(), "escapes")
}
