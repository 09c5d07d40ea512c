package sparse

import "fmt"

// Dense stores every element in a ValueBits-wide field, zeros included:
// n·ValueBits bits and no metadata. It is the baseline the compressed
// formats are measured against.
type Dense struct {
	ValueBits int // width of a value field, 1..32
}

// Name returns "dense".
func (Dense) Name() string { return "dense" }

// Validate checks the value width.
func (f Dense) Validate() error { return checkValueBits("dense", "value bits", f.ValueBits) }

// Size returns n·ValueBits data bits and no metadata.
func (f Dense) Size(values []float32) Size {
	b := int64(len(values)) * int64(f.ValueBits)
	return Size{Len: len(values), Nonzeros: nonzeros(values), Bits: b, DataBits: b}
}

// Encode writes the values in order. Unlike the compressed formats it keeps
// a negative zero as it is.
func (f Dense) Encode(values []float32) (Encoded, error) {
	if err := f.Validate(); err != nil {
		return Encoded{}, err
	}
	var w bitWriter
	for i, v := range values {
		c, ok := valueCode(v, f.ValueBits)
		if !ok {
			return Encoded{}, rangeError("dense", i, v, f.ValueBits)
		}
		w.write(c, f.ValueBits)
	}
	return Encoded{Size: f.Size(values), Words: w.words}, nil
}

// Decode reads e.Len values.
func (f Dense) Decode(e Encoded) ([]float32, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	r, err := newReader("dense", e)
	if err != nil {
		return nil, err
	}
	if e.Len < 0 || r.left() != int64(e.Len)*int64(f.ValueBits) {
		return nil, corrupt("dense", "%d bits for %d values of %d bits", e.Bits, e.Len, f.ValueBits)
	}
	out := make([]float32, e.Len)
	for i := range out {
		c, _ := r.read(f.ValueBits)
		out[i] = codeValue(c, f.ValueBits)
	}
	return out, checkCanonical(f, e, out)
}

// ExpectedBits returns n·ValueBits whatever the density.
func (f Dense) ExpectedBits(n int, density float64) float64 {
	mustValid(f, n, density)
	return float64(n) * float64(f.ValueBits)
}

// String describes the format with its widths.
func (f Dense) String() string { return fmt.Sprintf("dense(value=%d)", f.ValueBits) }
