package data

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"slices"
)

// MaxIDXBytes is the largest IDX array ReadIDX reads: 1 GiB (the MNIST
// training images take 47 MB). The header's declared size is checked
// against it before anything is allocated, and the values are read in
// growing chunks, so a short file that claims a large array fails after
// reading what it holds. docs/limits.md lists every limit of nnergy; this
// one is fixed (raise it here).
const MaxIDXBytes = 1 << 30

// idxChunk is the first allocation for an array's values.
const idxChunk = 1 << 20

// IDX is an array in the IDX format of the MNIST files: a magic number
// (two zero bytes, a type code, the number of dimensions), the dimensions as
// big-endian uint32, then the values in row-major order. Only unsigned
// bytes (type 0x08) are supported, which is what MNIST uses.
type IDX struct {
	Dims []int
	Data []byte
}

// ReadIDX decodes an IDX array from r, gunzipping it first if it starts
// with the gzip magic bytes.
func ReadIDX(r io.Reader) (*IDX, error) {
	br := bufio.NewReader(r)
	head, err := br.Peek(2)
	if err != nil {
		return nil, fmt.Errorf("data: idx: %w", err)
	}
	var src io.Reader = br
	if bytes.Equal(head, []byte{0x1f, 0x8b}) {
		z, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("data: idx: %w", err)
		}
		defer z.Close()
		src = z
	}
	var magic [4]byte
	if _, err := io.ReadFull(src, magic[:]); err != nil {
		return nil, fmt.Errorf("data: idx: header: %w", err)
	}
	if magic[0] != 0 || magic[1] != 0 {
		return nil, fmt.Errorf("data: idx: bad magic % x", magic)
	}
	if magic[2] != 0x08 {
		return nil, fmt.Errorf("data: idx: type 0x%02x not supported (only unsigned bytes, 0x08)", magic[2])
	}
	nd := int(magic[3])
	if nd == 0 {
		return nil, fmt.Errorf("data: idx: no dimensions")
	}
	dims := make([]int, nd)
	total := 1
	for i := range dims {
		var d uint32
		if err := binary.Read(src, binary.BigEndian, &d); err != nil {
			return nil, fmt.Errorf("data: idx: dimensions: %w", err)
		}
		dims[i] = int(d)
		total *= int(d) // at most 2^30 · 2^32 before the check
		if total > MaxIDXBytes {
			return nil, fmt.Errorf("data: idx: dimensions %v hold more than %d values (data.MaxIDXBytes, docs/limits.md)", dims[:i+1], MaxIDXBytes)
		}
	}
	buf, err := readUpTo(src, total)
	if err != nil {
		return nil, fmt.Errorf("data: idx: %d values of %v: %w", total, dims, err)
	}
	return &IDX{Dims: dims, Data: buf}, nil
}

// readUpTo reads exactly n bytes from r into a buffer that grows as the
// bytes arrive (doubling, from idxChunk), so that memory follows what r
// holds rather than what a header claims.
func readUpTo(r io.Reader, n int) ([]byte, error) {
	buf := make([]byte, 0, min(n, idxChunk))
	for len(buf) < n {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, min(len(buf), n-len(buf)))
		}
		k, err := r.Read(buf[len(buf):min(cap(buf), n)])
		buf = buf[:len(buf)+k]
		switch {
		case err == io.EOF && len(buf) < n:
			if len(buf) == 0 {
				return nil, io.EOF
			}
			return nil, io.ErrUnexpectedEOF
		case err != nil && err != io.EOF:
			return nil, err
		}
	}
	return buf, nil
}

// ReadIDXFile reads an IDX file, raw or gzipped.
func ReadIDXFile(path string) (*IDX, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	defer f.Close()
	x, err := ReadIDX(f)
	if err != nil {
		return nil, fmt.Errorf("%w (%s)", err, path)
	}
	return x, nil
}

// WriteIDX encodes an unsigned-byte IDX array to w (used to build test
// fixtures).
func WriteIDX(w io.Writer, x *IDX) error {
	hdr := []byte{0, 0, 0x08, byte(len(x.Dims))}
	for _, d := range x.Dims {
		hdr = binary.BigEndian.AppendUint32(hdr, uint32(d))
	}
	if _, err := w.Write(hdr); err != nil {
		return err
	}
	_, err := w.Write(x.Data)
	return err
}
