package sparse

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// testFormats are the published formats and variants with other widths:
// short runs and counts (so bridges are frequent), one pair per word,
// words wider than 64 bits, several columns, fixed addresses and
// coordinates, 32-bit float values.
var testFormats = []Format{
	eyerissRLC,
	RLC{RunBits: 2, LevelBits: 8, PairsPerWord: 3, WordBits: 32},
	RLC{RunBits: 1, LevelBits: 32, PairsPerWord: 1, WordBits: 40},
	RLC{RunBits: 3, LevelBits: 12, PairsPerWord: 4, WordBits: 128},
	v2CSC,
	CSC{CountBits: 2, DataBits: 8, Rows: 7},
	CSC{CountBits: 1, DataBits: 32, AddrBits: 20, Rows: 5},
	Bitmask{ValueBits: 8},
	Bitmask{ValueBits: 32},
	COO{ValueBits: 8},
	COO{CoordBits: 20, ValueBits: 32},
	Dense{ValueBits: 8},
	Dense{ValueBits: 32},
}

// valueBits returns the width of f's value field.
func valueBits(f Format) int {
	switch f := f.(type) {
	case RLC:
		return f.LevelBits
	case CSC:
		return f.DataBits
	case Bitmask:
		return f.ValueBits
	case COO:
		return f.ValueBits
	case Dense:
		return f.ValueBits
	}
	panic("unknown format")
}

// randomValue returns a nonzero value that fits a field of b bits: any
// float32 (NaNs and infinities included) for 32 bits, else an integer.
func randomValue(rng *rand.Rand, b int) float32 {
	if b == 32 {
		v := math.Float32frombits(rng.Uint32())
		if v == 0 {
			return 1
		}
		return v
	}
	lim := int64(1) << (b - 1)
	v := rng.Int64N(2*lim) - lim
	if v == 0 {
		return -1
	}
	return float32(v)
}

// randomFiber returns a fiber of n elements with the given density, or, when
// runs is set, nonzeros separated by zero runs of 0..3·maxRun.
func randomFiber(rng *rand.Rand, n int, density float64, runs bool, b int) []float32 {
	v := make([]float32, n)
	if runs {
		for i := rng.IntN(100); i < n; i += 1 + rng.IntN(100) {
			v[i] = randomValue(rng, b)
		}
		return v
	}
	for i := range v {
		if rng.Float64() < density {
			v[i] = randomValue(rng, b)
		}
	}
	return v
}

// checkRoundTrip encodes and decodes values and checks every invariant.
func checkRoundTrip(t *testing.T, f Format, values []float32) {
	t.Helper()
	e, err := f.Encode(values)
	if err != nil {
		t.Fatalf("%v.Encode(%v): %v", f, values, err)
	}
	if s := f.Size(values); s != e.Size {
		t.Fatalf("%v: Size %+v != Encode's %+v", f, s, e.Size)
	}
	if int64(len(e.Words)) != (e.Bits+63)/64 || e.DataBits+e.MetaBits != e.Bits || e.Len != len(values) {
		t.Fatalf("%v: inconsistent encoding %+v with %d words", f, e.Size, len(e.Words))
	}
	if e.Nonzeros != nonzeros(values) {
		t.Fatalf("%v: %d nonzeros, want %d", f, e.Nonzeros, nonzeros(values))
	}
	if _, dense := f.(Dense); !dense && e.DataBits != int64(e.Nonzeros*valueBits(f)) {
		t.Fatalf("%v: %d data bits for %d nonzeros", f, e.DataBits, e.Nonzeros)
	}
	back, err := f.Decode(e)
	if err != nil {
		t.Fatalf("%v.Decode(Encode(%v)): %v", f, values, err)
	}
	if !sameFiber(values, back) {
		t.Fatalf("%v: round trip of %v gave %v", f, values, back)
	}
}

func TestRoundTripEdgeCases(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, f := range testFormats {
		b := valueBits(f)
		nz := func() float32 { return randomValue(rng, b) }
		fibers := [][]float32{
			nil,
			{0},
			{nz()},
			make([]float32, 1000), // all zero
			{nz(), nz(), nz(), nz(), nz(), nz(), nz()}, // no zero
			zerosThen(31, nz()), zerosThen(32, nz()), zerosThen(33, nz()),
			zerosThen(64, nz()), zerosThen(95, nz(), nz()), zerosThen(200, nz()),
			append([]float32{nz()}, make([]float32, 31)...),
			append([]float32{nz()}, make([]float32, 32)...),
			append([]float32{nz()}, make([]float32, 33)...),
			append([]float32{nz()}, make([]float32, 97)...),
		}
		// Every length 0..40 with the nonzero in every position, so pairs
		// end at every slot of a word.
		for n := range 41 {
			for p := range n {
				v := make([]float32, n)
				v[p] = nz()
				fibers = append(fibers, v)
			}
		}
		for _, v := range fibers {
			checkRoundTrip(t, f, v)
		}
	}
}

func TestRoundTripRandom(t *testing.T) {
	for seed := range uint64(40) {
		rng := rand.New(rand.NewPCG(seed, 7))
		for _, f := range testFormats {
			for _, d := range []float64{0, 0.02, 0.1, 0.5, 0.9, 1} {
				n := rng.IntN(400)
				checkRoundTrip(t, f, randomFiber(rng, n, d, false, valueBits(f)))
			}
			checkRoundTrip(t, f, randomFiber(rng, rng.IntN(2000), 0, true, valueBits(f)))
		}
	}
}

// sameFiber compares fibers element by element with sameBits.
func sameFiber(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !sameBits(a[i], b[i]) {
			return false
		}
	}
	return true
}

// FuzzRoundTrip encodes fibers made of fuzzed bytes: a byte below 128 is a
// zero, others a small value.
func FuzzRoundTrip(fz *testing.F) {
	fz.Add(uint8(0), []byte{0, 0, 200, 0, 0, 0, 0, 150, 0, 0})
	fz.Add(uint8(4), make([]byte, 70))
	fz.Add(uint8(1), []byte{255, 255, 255, 255})
	fz.Fuzz(func(t *testing.T, which uint8, data []byte) {
		f := testFormats[int(which)%len(testFormats)]
		v := make([]float32, len(data))
		for i, b := range data {
			if b >= 128 {
				v[i] = float32(int(b) - 192) // -64..63, nonzero unless 192
			}
		}
		checkRoundTrip(t, f, v)
	})
}

// FuzzDecode feeds arbitrary streams to Decode: it must not panic, and
// whatever it accepts must be exactly what Encode makes of the result.
func FuzzDecode(fz *testing.F) {
	add := func(which int, v []float32) {
		e, err := testFormats[which].Encode(v)
		if err != nil {
			fz.Fatal(err)
		}
		buf := make([]byte, 8*len(e.Words))
		for i, w := range e.Words {
			binary.LittleEndian.PutUint64(buf[8*i:], w)
		}
		fz.Add(uint8(which), uint16(e.Len), uint16(e.Nonzeros), uint16(e.Bits), uint16(e.DataBits), buf)
	}
	for which := range testFormats {
		add(which, []float32{0, 0, 12, 0, 0, 0, 0, 53, 0, 0})
		add(which, zerosThen(40, 3, 0, 0))
		add(which, []float32{1, 2, 3, 4})
	}
	fz.Fuzz(func(t *testing.T, which uint8, n, nz, bits, data uint16, raw []byte) {
		f := testFormats[int(which)%len(testFormats)]
		words := make([]uint64, (int(bits)+63)/64)
		for i := range words {
			var b [8]byte
			if 8*i < len(raw) {
				copy(b[:], raw[8*i:])
			}
			words[i] = binary.LittleEndian.Uint64(b[:])
		}
		if tail := bits & 63; tail != 0 {
			words[len(words)-1] &= 1<<tail - 1
		}
		e := Encoded{Size{Len: int(n) % 4096, Nonzeros: int(nz), Bits: int64(bits), DataBits: int64(data), MetaBits: int64(bits) - int64(data)}, words}
		v, err := f.Decode(e)
		if err != nil {
			return
		}
		again, err := f.Encode(v)
		if err != nil {
			t.Fatalf("%v: Decode accepted %+v but Encode of %v failed: %v", f, e, v, err)
		}
		if !cmp.Equal(e, again, cmpopts.EquateEmpty()) {
			t.Fatalf("%v: Decode accepted %+v, which Encode writes as %+v", f, e, again)
		}
	})
}
