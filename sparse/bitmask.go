package sparse

import "fmt"

// Bitmask stores one bit per element (1 = nonzero) followed by the nonzero
// values in order: n + nnz·ValueBits bits.
//
// Layout: mask bit i is stream bit i; the values follow the mask.
type Bitmask struct {
	ValueBits int // width of a value field, 1..32
}

// Name returns "bitmask".
func (Bitmask) Name() string { return "bitmask" }

// Validate checks the value width.
func (f Bitmask) Validate() error { return checkValueBits("bitmask", "value bits", f.ValueBits) }

// Size returns the mask (metadata) and the nonzero values (data).
func (f Bitmask) Size(values []float32) Size {
	nz := nonzeros(values)
	data := int64(nz) * int64(f.ValueBits)
	return Size{Len: len(values), Nonzeros: nz, Bits: int64(len(values)) + data, DataBits: data, MetaBits: int64(len(values))}
}

// Encode writes the mask, then the nonzero values.
func (f Bitmask) Encode(values []float32) (Encoded, error) {
	if err := f.Validate(); err != nil {
		return Encoded{}, err
	}
	var w bitWriter
	for _, v := range values {
		if v != 0 {
			w.write(1, 1)
		} else {
			w.write(0, 1)
		}
	}
	for i, v := range values {
		if v == 0 {
			continue
		}
		c, ok := valueCode(v, f.ValueBits)
		if !ok {
			return Encoded{}, rangeError("bitmask", i, v, f.ValueBits)
		}
		w.write(c, f.ValueBits)
	}
	return Encoded{Size: f.Size(values), Words: w.words}, nil
}

// Decode reads the mask of e.Len bits, then one value per set bit.
func (f Bitmask) Decode(e Encoded) ([]float32, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	r, err := newReader("bitmask", e)
	if err != nil {
		return nil, err
	}
	if e.Len < 0 || r.left() < int64(e.Len) {
		return nil, corrupt("bitmask", "%d bits cannot hold a mask of %d", e.Bits, e.Len)
	}
	out := make([]float32, e.Len)
	set := make([]bool, e.Len)
	nz := 0
	for i := range set {
		b, _ := r.read(1)
		set[i] = b == 1
		nz += int(b)
	}
	if r.left() != int64(nz)*int64(f.ValueBits) {
		return nil, corrupt("bitmask", "%d value bits for %d nonzeros of %d bits", r.left(), nz, f.ValueBits)
	}
	for i := range out {
		if !set[i] {
			continue
		}
		c, _ := r.read(f.ValueBits)
		if out[i] = codeValue(c, f.ValueBits); out[i] == 0 {
			return nil, corrupt("bitmask", "element %d is marked nonzero but holds zero", i)
		}
	}
	return out, checkCanonical(f, e, out)
}

// ExpectedBits returns n + n·density·ValueBits.
func (f Bitmask) ExpectedBits(n int, density float64) float64 {
	mustValid(f, n, density)
	return float64(n) + float64(n)*density*float64(f.ValueBits)
}

// String describes the format with its widths.
func (f Bitmask) String() string { return fmt.Sprintf("bitmask(value=%d)", f.ValueBits) }
