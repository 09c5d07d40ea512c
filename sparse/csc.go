package sparse

import (
	"fmt"
	"math/bits"
)

// CSC is compressed sparse column as Eyeriss v2 keeps iacts and weights all
// the way to the PE: per nonzero a CountBits count of the zeros before it in
// its column and a DataBits value (4 + 8 = 12 bits in Eyeriss v2), plus an
// address vector with one AddrBits entry per column.
//
// The fiber is a column-major matrix with Rows elements per column (the last
// column may be shorter); Rows = 0 makes the whole fiber one column. Entry
// addresses count entries, not bits: the address of column c is the number
// of entries in columns 0..c, so the start of column c is the address of
// column c-1 (0 for the first column) and an empty column repeats the
// previous address.
//
// A count holds at most 2^CountBits - 1 zeros. A longer gap before a nonzero
// is bridged by entries with the maximum count and a literal zero value,
// each covering 2^CountBits elements, before the nonzero's own entry. Zeros
// after the last nonzero of a column take no entries: the address vector
// ends the column.
//
// Layout: the address vector, then the entries in column order, each the
// count then the data.
//
// AddrBits = 0 makes addresses as wide as the fiber needs, bits.Len(n). The
// chip's PE spads hold 4-bit iact addresses (9 entries) and 7-bit weight
// addresses (16 entries); set AddrBits and Rows to those to model the spads
// (Encode fails with ErrRange when an address does not fit).
type CSC struct {
	CountBits int // zeros before a nonzero, 1..8 (Eyeriss v2: 4)
	DataBits  int // width of a value field, 1..32 (Eyeriss v2: 8)
	AddrBits  int // width of an address, 0 (automatic) or 1..63
	Rows      int // elements per column, 0 = one column
}

// Name returns "csc".
func (CSC) Name() string { return "csc" }

// Validate checks the field widths.
func (f CSC) Validate() error {
	if f.CountBits < 1 || f.CountBits > 8 {
		return fmt.Errorf("sparse: csc: count bits %d outside 1..8", f.CountBits)
	}
	if f.AddrBits < 0 || f.AddrBits > 63 {
		return fmt.Errorf("sparse: csc: address bits %d outside 0..63", f.AddrBits)
	}
	if f.Rows < 0 {
		return fmt.Errorf("sparse: csc: negative rows %d", f.Rows)
	}
	return checkValueBits("csc", "data bits", f.DataBits)
}

// shape returns the column height and count for a fiber of n elements.
func (f CSC) shape(n int) (rows, cols int) {
	if n == 0 {
		return 0, 0
	}
	if f.Rows == 0 || f.Rows >= n {
		return n, 1
	}
	return f.Rows, (n + f.Rows - 1) / f.Rows
}

// addrBits is the address width for a fiber of n elements.
func (f CSC) addrBits(n int) int {
	if f.AddrBits > 0 {
		return f.AddrBits
	}
	return bits.Len(uint(n))
}

// column returns the elements of column c.
func column(values []float32, rows, c int) []float32 {
	return values[c*rows : min((c+1)*rows, len(values))]
}

// columnEntries counts the entries of one column: its nonzeros and the
// literal zeros bridging gaps longer than the count field holds.
func columnEntries(col []float32, period int) (nz, fill int) {
	run := 0
	for _, v := range col {
		if v == 0 {
			run++
			continue
		}
		nz++
		fill += run / period
		run = 0
	}
	return nz, fill
}

// Size returns the nonzero values as data; counts, address vector and
// bridging literal zeros as metadata.
func (f CSC) Size(values []float32) Size {
	rows, cols := f.shape(len(values))
	period := 1 << f.CountBits
	nz, fill := 0, 0
	for c := range cols {
		a, b := columnEntries(column(values, rows, c), period)
		nz += a
		fill += b
	}
	data := int64(nz) * int64(f.DataBits)
	meta := int64(cols)*int64(f.addrBits(len(values))) + int64(nz+fill)*int64(f.CountBits) + int64(fill)*int64(f.DataBits)
	return Size{Len: len(values), Nonzeros: nz, Bits: data + meta, DataBits: data, MetaBits: meta}
}

// Encode writes the address vector, then the (count, data) entries.
func (f CSC) Encode(values []float32) (Encoded, error) {
	if err := f.Validate(); err != nil {
		return Encoded{}, err
	}
	rows, cols := f.shape(len(values))
	period := 1 << f.CountBits
	ab := f.addrBits(len(values))
	var w bitWriter
	addr := 0
	for c := range cols {
		nz, fill := columnEntries(column(values, rows, c), period)
		addr += nz + fill
		if bits.Len(uint(addr)) > ab {
			return Encoded{}, fmt.Errorf("sparse: csc: address %d of column %d: %w (%d-bit address)", addr, c, ErrRange, ab)
		}
		w.write(uint64(addr), ab)
	}
	for c := range cols {
		run := 0
		for i, v := range column(values, rows, c) {
			if v == 0 {
				run++
				continue
			}
			code, ok := valueCode(v, f.DataBits)
			if !ok {
				return Encoded{}, rangeError("csc", c*rows+i, v, f.DataBits)
			}
			for ; run >= period; run -= period {
				w.write(uint64(period-1), f.CountBits)
				w.write(0, f.DataBits)
			}
			w.write(uint64(run), f.CountBits)
			w.write(code, f.DataBits)
			run = 0
		}
	}
	return Encoded{Size: f.Size(values), Words: w.words}, nil
}

// Decode reads the address vector, then each column's entries.
func (f CSC) Decode(e Encoded) ([]float32, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	r, err := newReader("csc", e)
	if err != nil {
		return nil, err
	}
	if e.Len < 0 {
		return nil, corrupt("csc", "negative length %d", e.Len)
	}
	rows, cols := f.shape(e.Len)
	ab := f.addrBits(e.Len)
	entry := int64(f.CountBits + f.DataBits)
	if r.left() < int64(cols)*int64(ab) || (r.left()-int64(cols)*int64(ab))%entry != 0 {
		return nil, corrupt("csc", "%d bits are not %d addresses and whole entries", e.Bits, cols)
	}
	total := (r.left() - int64(cols)*int64(ab)) / entry
	ends := make([]int64, cols)
	prev := int64(0)
	for c := range ends {
		a, _ := r.read(ab)
		if int64(a) < prev || int64(a) > total {
			return nil, corrupt("csc", "address %d of column %d after %d (%d entries)", a, c, prev, total)
		}
		ends[c], prev = int64(a), int64(a)
	}
	if prev != total {
		return nil, corrupt("csc", "last address %d but %d entries", prev, total)
	}
	out := make([]float32, e.Len)
	maxCount := uint64(1)<<f.CountBits - 1
	start := int64(0)
	for c, end := range ends {
		col := column(out, rows, c)
		p := 0
		for k := start; k < end; k++ {
			cnt, _ := r.read(f.CountBits)
			code, _ := r.read(f.DataBits)
			p += int(cnt)
			if p >= len(col) {
				return nil, corrupt("csc", "column %d: entry past its %d rows", c, len(col))
			}
			v := codeValue(code, f.DataBits)
			if v == 0 && (code != 0 || cnt != maxCount || k == end-1) {
				return nil, corrupt("csc", "column %d: zero entry at row %d", c, p)
			}
			col[p] = v
			p++
		}
		start = end
	}
	return out, checkCanonical(f, e, out)
}

// ExpectedBits is cols·AddrBits + (CountBits + DataBits)·E[entries], where
// a column of h elements has E[entries] = h·d + d·Σ_{j=1}^{⌊(h-1)/R⌋}
// (1-d)^{Rj}·(h - Rj) with R = 2^CountBits: the nonzeros, plus one bridging
// entry for every j ≥ 1 such that the Rj elements before a nonzero are zero.
func (f CSC) ExpectedBits(n int, density float64) float64 {
	mustValid(f, n, density)
	rows, cols := f.shape(n)
	if cols == 0 {
		return 0
	}
	period := 1 << f.CountBits
	entries := func(h int) float64 {
		return float64(h)*density + density*overflowSum(h, period, 1-density)
	}
	last := n - (cols-1)*rows
	e := float64(cols-1)*entries(rows) + entries(last)
	return float64(cols)*float64(f.addrBits(n)) + float64(f.CountBits+f.DataBits)*e
}

// String describes the format with its widths.
func (f CSC) String() string {
	return fmt.Sprintf("csc(count=%d,data=%d,addr=%d,rows=%d)", f.CountBits, f.DataBits, f.AddrBits, f.Rows)
}
