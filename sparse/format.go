package sparse

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// Format is a storage format for a fiber: a 1-D sequence of values (a tile
// flattened in a known order). Every format encodes to a real bitstream whose
// length is the exact size of the fiber in storage, decodes back to the
// values, and predicts its expected size for a fiber of random zeros.
//
// Implementations are values (Dense, Bitmask, COO, CSC, RLC) whose fields are
// the widths of their fields in bits; ParseFormat builds them by name.
type Format interface {
	// Name is the format's name in YAML: dense, bitmask, coo, csc or rlc.
	Name() string
	// Validate reports whether the field widths describe an encodable format.
	Validate() error
	// Encode encodes values into the format. It fails with ErrRange when a
	// value, address or coordinate does not fit its field.
	Encode(values []float32) (Encoded, error)
	// Decode restores the values of an encoding. It accepts exactly the
	// encodings Encode produces and fails with ErrCorrupt on any other.
	Decode(e Encoded) ([]float32, error)
	// Size is the size Encode would report, computed from the positions of
	// the zeros alone: it never allocates and ignores whether values fit
	// their fields.
	Size(values []float32) Size
	// ExpectedBits is the mean of Size(x).Bits over fibers x of n elements
	// that are independently nonzero with probability density (the
	// Bernoulli model). It panics if the format is invalid, n < 0 or
	// density is outside [0, 1].
	ExpectedBits(n int, density float64) float64
}

// Size is the exact size of one encoded fiber.
type Size struct {
	Len      int   // elements in the fiber; known from the tile shape, not stored
	Nonzeros int   // nonzero elements
	Bits     int64 // total bits: DataBits + MetaBits
	DataBits int64 // bits of the value fields of the nonzeros (all values for Dense)
	MetaBits int64 // everything else: runs, counts, masks, coordinates, addresses, literal zeros, flags, padding
}

// Encoded is a fiber in a format: its size and its bitstream. Bit i of the
// stream is bit i%64 of Words[i/64]; fields are written least significant
// bit first, in the order each format documents; bits past Bits are zero.
type Encoded struct {
	Size
	Words []uint64
}

// Errors returned by Encode and Decode, to test with errors.Is.
var (
	// ErrRange: a value, address or coordinate does not fit its field.
	ErrRange = errors.New("does not fit its field")
	// ErrCorrupt: a bitstream that Encode does not produce.
	ErrCorrupt = errors.New("corrupt encoding")
)

// formatNames lists the formats in the order of their documentation.
var formatNames = []string{"dense", "bitmask", "coo", "csc", "rlc"}

// FormatNames returns the names ParseFormat accepts.
func FormatNames() []string { return append([]string(nil), formatNames...) }

// ParseFormat returns the named format with value fields valueBits wide
// (1 to 32) and every other field at its published or automatic width:
//
//	dense    Dense{ValueBits: v}
//	bitmask  Bitmask{ValueBits: v}
//	coo      COO{ValueBits: v} (one coordinate, as wide as the fiber needs)
//	csc      CSC{CountBits: 4, DataBits: v} (Eyeriss v2; one column, automatic address width)
//	rlc      RLC{RunBits: 5, LevelBits: v, PairsPerWord: 3, WordBits: 64} (Eyeriss v1)
//
// Eyeriss stores 16-bit levels and Eyeriss v2 8-bit data, so rlc with v = 16
// and csc with v = 8 are the chips' formats; rlc fails for v > 16, where
// three pairs no longer fit a 64-bit word.
func ParseFormat(name string, valueBits int) (Format, error) {
	var f Format
	switch name {
	case "dense":
		f = Dense{ValueBits: valueBits}
	case "bitmask":
		f = Bitmask{ValueBits: valueBits}
	case "coo":
		f = COO{ValueBits: valueBits}
	case "csc":
		f = CSC{CountBits: 4, DataBits: valueBits}
	case "rlc":
		f = RLC{RunBits: 5, LevelBits: valueBits, PairsPerWord: 3, WordBits: 64}
	default:
		return nil, fmt.Errorf("sparse: unknown format %q (formats: %s)", name, strings.Join(formatNames, ", "))
	}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	return f, nil
}

// checkValueBits validates the width of a value field.
func checkValueBits(format, field string, bits int) error {
	if bits < 1 || bits > 32 {
		return fmt.Errorf("sparse: %s: %s %d outside 1..32", format, field, bits)
	}
	return nil
}

// mustValid panics if f is invalid; ExpectedBits uses it, since an invalid
// format there is a programmer error.
func mustValid(f Format, n int, density float64) {
	if err := f.Validate(); err != nil {
		panic(err)
	}
	if n < 0 {
		panic(fmt.Sprintf("sparse: %s: negative fiber length %d", f.Name(), n))
	}
	if !(density >= 0 && density <= 1) {
		panic(fmt.Sprintf("sparse: %s: density %v outside [0, 1]", f.Name(), density))
	}
}

// valueCode returns the field code of v in a field of the given width. A
// 32-bit field holds the IEEE-754 bits of v, so every float32 fits. A
// narrower field holds a two's-complement integer: v must be an integer in
// [-2^(bits-1), 2^(bits-1)-1] (a fixed-point code, as the chips store).
func valueCode(v float32, bits int) (uint64, bool) {
	if bits == 32 {
		return uint64(math.Float32bits(v)), true
	}
	f := float64(v)
	lim := float64(int64(1) << (bits - 1))
	if f != math.Trunc(f) || f < -lim || f > lim-1 { // NaN fails f != f
		return 0, false
	}
	return uint64(int64(f)) & (1<<bits - 1), true
}

// codeValue is the inverse of valueCode.
func codeValue(c uint64, bits int) float32 {
	if bits == 32 {
		return math.Float32frombits(uint32(c))
	}
	if c&(1<<(bits-1)) != 0 { // sign-extend
		return float32(int64(c) - int64(1)<<bits)
	}
	return float32(int64(c))
}

// rangeError reports a value that does not fit its field.
func rangeError(format string, i int, v float32, bits int) error {
	return fmt.Errorf("sparse: %s: element %d = %v: %w (%d-bit field; narrower than 32 bits holds integers only)", format, i, v, ErrRange, bits)
}

// corrupt returns an ErrCorrupt error.
func corrupt(format, msg string, args ...any) error {
	return fmt.Errorf("sparse: %s: %w: %s", format, ErrCorrupt, fmt.Sprintf(msg, args...))
}

// nonzeros counts the nonzero elements of values (-0 is zero).
func nonzeros(values []float32) int {
	n := 0
	for _, v := range values {
		if v != 0 {
			n++
		}
	}
	return n
}

// checkCanonical verifies that decoding e gave values whose encoding is e:
// the sizes must agree (the bitstream itself was checked field by field).
func checkCanonical(f Format, e Encoded, values []float32) error {
	if s := f.Size(values); s != e.Size {
		return corrupt(f.Name(), "size %+v does not match the decoded fiber's %+v", e.Size, s)
	}
	return nil
}
