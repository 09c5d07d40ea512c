package sparse

import (
	"fmt"
	"math/bits"
)

// COO (coordinate list) stores each nonzero as its coordinate followed by
// its value: nnz·(coordinate bits + ValueBits) bits.
//
// The coordinate is the element's index in the fiber, CoordBits wide; zero
// CoordBits means as wide as the fiber needs, bits.Len(n-1). A tuple of
// per-rank coordinates costs the sum of the ranks' widths (TupleBits): set
// CoordBits to it, and the index of an element within the tile, which is
// smaller than the product of the extents, fits that field exactly as the
// tuple does.
//
// Layout: per nonzero, in order, the coordinate then the value.
type COO struct {
	CoordBits int // width of a coordinate, 0 (automatic) or 1..63
	ValueBits int // width of a value field, 1..32
}

// TupleBits is the width of a coordinate tuple with one field per rank,
// each as wide as its extent needs: Σ bits.Len(extent-1).
func TupleBits(extents ...int) int {
	b := 0
	for _, e := range extents {
		if e > 1 {
			b += bits.Len(uint(e - 1))
		}
	}
	return b
}

// Name returns "coo".
func (COO) Name() string { return "coo" }

// Validate checks the field widths.
func (f COO) Validate() error {
	if f.CoordBits < 0 || f.CoordBits > 63 {
		return fmt.Errorf("sparse: coo: coordinate bits %d outside 0..63", f.CoordBits)
	}
	return checkValueBits("coo", "value bits", f.ValueBits)
}

// coordBits is the coordinate width for a fiber of n elements.
func (f COO) coordBits(n int) int {
	if f.CoordBits > 0 || n <= 1 {
		return f.CoordBits
	}
	return bits.Len(uint(n - 1))
}

// Size returns the coordinates (metadata) and the values (data).
func (f COO) Size(values []float32) Size {
	nz := nonzeros(values)
	data := int64(nz) * int64(f.ValueBits)
	meta := int64(nz) * int64(f.coordBits(len(values)))
	return Size{Len: len(values), Nonzeros: nz, Bits: data + meta, DataBits: data, MetaBits: meta}
}

// Encode writes (coordinate, value) per nonzero.
func (f COO) Encode(values []float32) (Encoded, error) {
	if err := f.Validate(); err != nil {
		return Encoded{}, err
	}
	cb := f.coordBits(len(values))
	if len(values) > 0 && bits.Len(uint(len(values)-1)) > cb {
		return Encoded{}, fmt.Errorf("sparse: coo: index %d of a %d-element fiber: %w (%d-bit coordinate)", len(values)-1, len(values), ErrRange, cb)
	}
	var w bitWriter
	for i, v := range values {
		if v == 0 {
			continue
		}
		c, ok := valueCode(v, f.ValueBits)
		if !ok {
			return Encoded{}, rangeError("coo", i, v, f.ValueBits)
		}
		w.write(uint64(i), cb)
		w.write(c, f.ValueBits)
	}
	return Encoded{Size: f.Size(values), Words: w.words}, nil
}

// Decode reads entries until the stream ends; coordinates must increase.
func (f COO) Decode(e Encoded) ([]float32, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	r, err := newReader("coo", e)
	if err != nil {
		return nil, err
	}
	if e.Len < 0 {
		return nil, corrupt("coo", "negative length %d", e.Len)
	}
	cb := f.coordBits(e.Len)
	entry := int64(cb + f.ValueBits)
	if r.left()%entry != 0 {
		return nil, corrupt("coo", "%d bits are not whole entries of %d", e.Bits, entry)
	}
	out := make([]float32, e.Len)
	last := -1
	for r.left() > 0 {
		c, _ := r.read(cb)
		v, _ := r.read(f.ValueBits)
		i := int(c)
		if c >= uint64(e.Len) || i <= last {
			return nil, corrupt("coo", "coordinate %d after %d in a fiber of %d", c, last, e.Len)
		}
		if out[i] = codeValue(v, f.ValueBits); out[i] == 0 {
			return nil, corrupt("coo", "entry at %d holds zero", i)
		}
		last = i
	}
	return out, checkCanonical(f, e, out)
}

// ExpectedBits returns n·density·(coordinate bits + ValueBits).
func (f COO) ExpectedBits(n int, density float64) float64 {
	mustValid(f, n, density)
	return float64(n) * density * float64(f.coordBits(n)+f.ValueBits)
}

// String describes the format with its widths.
func (f COO) String() string { return fmt.Sprintf("coo(coord=%d,value=%d)", f.CoordBits, f.ValueBits) }
