package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"runtime"
	"strings"
	"testing"
)

// header returns an IDX header of unsigned bytes with dims.
func header(dims ...uint32) []byte {
	h := []byte{0, 0, 8, byte(len(dims))}
	for _, d := range dims {
		h = binary.BigEndian.AppendUint32(h, d)
	}
	return h
}

func gzipped(b []byte) []byte {
	var buf bytes.Buffer
	z := gzip.NewWriter(&buf)
	z.Write(b)
	z.Close()
	return buf.Bytes()
}

// TestIDXLimits reads headers that claim more than they hold: past
// MaxIDXBytes they are refused before anything is allocated, and within it
// the reader allocates what the file holds, not what it claims. A 17-byte
// header claiming 2.2 GB used to kill the reader, a gzip one claiming
// 4 GiB to take 4.4 GB before failing.
func TestIDXLimits(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
		want string
	}{
		{"17 bytes claiming 2.2 GB", append(header(47000, 47000, 1), 7), "data.MaxIDXBytes"},
		{"gzip claiming 4 GiB", gzipped(header(65536, 65536)), "data.MaxIDXBytes"},
		{"dimensions wrap", header(1<<32-1, 1<<32-1, 1<<32-1, 1<<32-1), "data.MaxIDXBytes"},
		{"claims 1 GiB, holds 1 KB", append(header(1<<15, 1<<15), make([]byte, 1024)...), "unexpected EOF"},
		{"gzip claims 1 GiB, holds 1 KB", gzipped(append(header(1<<15, 1<<15), make([]byte, 1024)...)), "unexpected EOF"},
		{"claims 1 GiB, holds nothing", header(1<<15, 1<<15), "EOF"},
	} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := ReadIDX(bytes.NewReader(tc.in))
		runtime.ReadMemStats(&after)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
		// TotalAlloc counts every allocation, so it is a bound whatever the GC did.
		if got := after.TotalAlloc - before.TotalAlloc; got > 4*idxChunk {
			t.Errorf("%s: allocated %d bytes", tc.name, got)
		}
	}
}

// TestIDXLarge reads arrays larger than the first chunk, raw and gzipped.
func TestIDXLarge(t *testing.T) {
	for _, n := range []int{idxChunk - 1, idxChunk, idxChunk + 1, 3*idxChunk + 17} {
		x := &IDX{Dims: []int{n}, Data: make([]byte, n)}
		for i := range x.Data {
			x.Data[i] = byte(i * 7)
		}
		var raw bytes.Buffer
		if err := WriteIDX(&raw, x); err != nil {
			t.Fatal(err)
		}
		for name, b := range map[string][]byte{"raw": raw.Bytes(), "gzip": gzipped(raw.Bytes())} {
			got, err := ReadIDX(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("%d %s: %v", n, name, err)
			}
			if !bytes.Equal(got.Data, x.Data) {
				t.Errorf("%d %s: data differs", n, name)
			}
		}
	}
}

// FuzzReadIDX checks that no input makes ReadIDX panic or allocate much
// more than it holds, and that an array it accepts has as many values as
// its dimensions say and writes back to the bytes it came from. Seeds are
// in testdata/fuzz/FuzzReadIDX; run longer with
//
//	go test ./nn/data -run '^$' -fuzz FuzzReadIDX -fuzztime 60s
func FuzzReadIDX(f *testing.F) {
	f.Add(append(header(2, 3), 1, 2, 3, 4, 5, 6))
	f.Add(gzipped(append(header(2, 2), 9, 8, 7, 6)))
	f.Add(header(47000, 47000, 1))
	f.Add([]byte{0, 0, 8, 0})
	f.Fuzz(func(t *testing.T, in []byte) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		x, err := ReadIDX(bytes.NewReader(in))
		runtime.ReadMemStats(&after)
		// gzip may hold far more than it takes: allow what a declared size
		// of the input's worth of chunks costs.
		if got := after.TotalAlloc - before.TotalAlloc; got > 4*idxChunk+64*uint64(len(in)) {
			t.Fatalf("%d bytes allocated for %d bytes of input", got, len(in))
		}
		if err != nil {
			return
		}
		n := 1
		for _, d := range x.Dims {
			n *= d
		}
		if n != len(x.Data) {
			t.Fatalf("dims %v, %d values", x.Dims, len(x.Data))
		}
		var out bytes.Buffer
		if err := WriteIDX(&out, x); err != nil {
			t.Fatal(err)
		}
		if bytes.HasPrefix(in, []byte{0x1f, 0x8b}) {
			return
		}
		if !bytes.HasPrefix(in, out.Bytes()) {
			t.Fatalf("written back differs from the input")
		}
	})
}
