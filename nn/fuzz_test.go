package nn

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/nnergy/nnergy/nn/data"
)

// fuzzModel returns a small model with every kind of stored value:
// convolution and linear weights and biases, batch-norm statistics, a
// mask and dropout.
func fuzzModel(tb testing.TB) *Model {
	tb.Helper()
	m := New("x", 1, 8, 8)
	x := m.Add("conv", NewConv(1, 2, 3, 1, 1), "x")
	x = m.Add("bn", NewBatchNorm(2), x)
	x = m.Add("relu", NewReLU(), x)
	x = m.Add("pool", NewMaxPool(2, 2), x)
	x = m.Add("flat", &Flatten{}, x)
	x = m.Add("drop", NewDropout(0.25), x)
	m.Add("fc", NewLinear(2*4*4, 3), x)
	Init(m, 1)
	if err := m.Params()[0].MaskSmallest(0.5); err != nil {
		tb.Fatal(err)
	}
	if err := m.Check(); err != nil {
		tb.Fatal(err)
	}
	return m
}

// withCRC returns b with its last four bytes set to the CRC-32 of the rest,
// so that a mutated file gets past the checksum to the parser behind it.
func withCRC(b []byte) []byte {
	if len(b) < 4 {
		return b
	}
	c := bytes.Clone(b)
	binary.LittleEndian.PutUint32(c[len(c)-4:], crc32.ChecksumIEEE(c[:len(c)-4]))
	return c
}

// allocatedBy returns the bytes fn allocates.
func allocatedBy(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// FuzzLoad checks that no input makes Load (the native model file, .nnw)
// panic or allocate much more than the file holds, and that a model it
// accepts saves back to a file that loads to the same bytes. The input is
// also tried with its checksum made right, so that mutations reach the
// header and the values. Run longer with
//
//	go test ./nn -run '^$' -fuzz '^FuzzLoad$' -fuzztime 60s
func FuzzLoad(f *testing.F) {
	var b bytes.Buffer
	if err := Save(&b, fuzzModel(f)); err != nil {
		f.Fatal(err)
	}
	f.Add(b.Bytes())
	f.Add(b.Bytes()[:len(b.Bytes())/2])
	f.Add([]byte(fileMagic))
	bypassed := cbcModel() // version 2: partial bypasses
	for node, keep := range map[string]int{"dw": 2, "pw": 1} {
		if _, err := PartialBypass(bypassed, node, keep); err != nil {
			f.Fatal(err)
		}
	}
	var b2 bytes.Buffer
	if err := Save(&b2, bypassed); err != nil {
		f.Fatal(err)
	}
	f.Add(b2.Bytes())
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, file := range [][]byte{in, withCRC(in)} {
			var m *Model
			var err error
			if got := allocatedBy(func() { m, err = Load(bytes.NewReader(file)) }); got > 1<<20+64*uint64(len(file)) {
				t.Fatalf("%d bytes allocated for a file of %d bytes", got, len(file))
			}
			if err != nil {
				continue
			}
			var out bytes.Buffer
			if err := Save(&out, m); err != nil {
				t.Fatalf("a loaded model does not save: %v", err)
			}
			m2, err := Load(bytes.NewReader(out.Bytes()))
			if err != nil {
				t.Fatalf("a saved model does not load: %v", err)
			}
			var again bytes.Buffer
			if err := Save(&again, m2); err != nil || !bytes.Equal(again.Bytes(), out.Bytes()) {
				t.Fatalf("save, load and save again changed the file (%v)", err)
			}
		}
	})
}

// TestLoadRefusesClaimsBeyondFile loads short files whose header claims
// layers of more values than they hold, or sizes whose product overflows:
// each is refused before the layer is allocated (the first used to take 4
// GiB, the second to panic).
func TestLoadRefusesClaimsBeyondFile(t *testing.T) {
	for _, tc := range []struct{ name, node string }{
		{"conv of 2^30 weights", `{"name":"c","kind":"conv","inputs":["x"],"in_c":32768,"out_c":32768,"kernel":[1,1],"params":[{"shape":[32768,32768,1,1]}]}`},
		{"conv overflowing int", `{"name":"c","kind":"conv","inputs":["x"],"in_c":4294967296,"out_c":4294967296,"kernel":[1,1],"params":[{"shape":[1,1,1,1]}]}`},
		{"linear of 2^30 weights", `{"name":"l","kind":"linear","inputs":["x"],"in":32768,"out":32768,"params":[{"shape":[32768,32768]}]}`},
		{"linear overflowing int", `{"name":"l","kind":"linear","inputs":["x"],"in":4294967296,"out":4294967296,"params":[{"shape":[1,1]}]}`},
		{"batch norm of 2^24 channels", `{"name":"b","kind":"batchnorm","inputs":["x"],"c":16777216,"params":[{"shape":[16777216]},{"shape":[16777216]}]}`},
		{"layer norm of 2^24 values", `{"name":"n","kind":"layernorm","inputs":["x"],"norm":[4096,4096],"params":[{"shape":[4096,4096]}]}`},
		{"constant of 2^28 values", `{"name":"k","kind":"binary","inputs":["x"],"op":"add","const":[16384,16384],"frozen":true}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			header := `{"input":"x","in_shape":[1],"nodes":[` + tc.node + `]}`
			b := []byte(fileMagic)
			b = binary.LittleEndian.AppendUint32(b, FormatVersion)
			b = binary.LittleEndian.AppendUint32(b, uint32(len(header)))
			b = append(b, header...)
			b = append(b, make([]byte, 64)...) // 16 values
			b = binary.LittleEndian.AppendUint32(b, crc32.ChecksumIEEE(b))
			var err error
			if got := allocatedBy(func() { _, err = Load(bytes.NewReader(b)) }); got > 1<<20 {
				t.Errorf("%d bytes allocated for a file of %d bytes", got, len(b))
			}
			if !errors.Is(err, ErrFormat) {
				t.Errorf("loaded: %v", err)
			}
		})
	}
}

// checkpointSeed returns the checkpoint file of a run of fuzzModel stopped
// after its first step.
func checkpointSeed(tb testing.TB, opt Optimizer) []byte {
	tb.Helper()
	dir := tb.TempDir()
	set := fuzzSet(40)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := Train(ctx, fuzzModel(tb), set, nil, TrainConfig{Epochs: 2, Batch: 16, Optimizer: opt, Seed: 1, Workers: 1,
		Checkpoint: dir, OnEvent: func(Event) { cancel() }})
	if !errors.Is(err, context.Canceled) {
		tb.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, CheckpointFile))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// fuzzSet returns n random 1×8×8 images of 3 classes.
func fuzzSet(n int) *data.Set {
	s := &data.Set{Name: "fuzz", Shape: []int{1, 8, 8}, Classes: 3, X: make([]float32, n*64), Y: make([]int, n)}
	for i := range s.X {
		s.X[i] = float32(i%7) / 7
	}
	for i := range s.Y {
		s.Y[i] = i % 3
	}
	return s
}

// FuzzDecodeCheckpoint checks that no input makes the training checkpoint
// reader (train --resume) panic or allocate much more than the file holds,
// and that what it accepts, read into its optimizer, encodes to a file
// that decodes and encodes again to the same bytes. The input is also
// tried with its checksum made right. Run longer with
//
//	go test ./nn -run '^$' -fuzz '^FuzzDecodeCheckpoint$' -fuzztime 60s
func FuzzDecodeCheckpoint(f *testing.F) {
	for _, opt := range []Optimizer{&Adam{}, &SGD{Momentum: 0.9}} {
		b := checkpointSeed(f, opt)
		f.Add(b)
		f.Add(b[:len(b)/3])
	}
	f.Add([]byte(checkpointMagic))
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, file := range [][]byte{in, withCRC(in)} {
			var d *decodedCheckpoint
			var err error
			if got := allocatedBy(func() { d, err = decodeCheckpoint(file) }); got > 1<<20+64*uint64(len(file)) {
				t.Fatalf("%d bytes allocated for a file of %d bytes", got, len(file))
			}
			if err != nil {
				continue
			}
			var opt Optimizer = &SGD{}
			if strings.HasPrefix(d.state.Setup.Optimizer, "adam") {
				opt = &Adam{}
			}
			if readOptimizer(d.opt, opt, d.model.Params()) != nil {
				continue
			}
			b, err := encodeCheckpoint(&d.state, d.model, opt)
			if err != nil {
				continue // a NaN loss in the history does not encode
			}
			d2, err := decodeCheckpoint(b)
			if err != nil {
				t.Fatalf("an encoded checkpoint does not decode: %v", err)
			}
			opt2 := reflect.New(reflect.TypeOf(opt).Elem()).Interface().(Optimizer)
			if err := readOptimizer(d2.opt, opt2, d2.model.Params()); err != nil {
				t.Fatalf("an encoded optimizer state does not read: %v", err)
			}
			b2, err := encodeCheckpoint(&d2.state, d2.model, opt2)
			if err != nil || !bytes.Equal(b, b2) {
				t.Fatalf("decode and encode again changed the checkpoint (%v)", err)
			}
		}
	})
}
