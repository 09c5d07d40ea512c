package sparse

// bitWriter appends fields to a bitstream, least significant bit first.
type bitWriter struct {
	words []uint64
	n     int64 // bits written
}

// write appends the low width bits of v (v must fit; width ≤ 64).
func (w *bitWriter) write(v uint64, width int) {
	if width == 0 {
		return
	}
	off := uint(w.n & 63)
	if off == 0 {
		w.words = append(w.words, 0)
	}
	w.words[len(w.words)-1] |= v << off
	if int(off)+width > 64 {
		w.words = append(w.words, v>>(64-off))
	}
	w.n += int64(width)
}

// zeros appends width zero bits (any width).
func (w *bitWriter) zeros(width int) {
	for width > 64 {
		w.write(0, 64)
		width -= 64
	}
	w.write(0, width)
}

// bitReader reads fields back from a bitstream.
type bitReader struct {
	words  []uint64
	pos, n int64
}

// newReader checks the stream's framing: as many words as its bits need and
// no bit set past the end.
func newReader(format string, e Encoded) (*bitReader, error) {
	if e.Bits < 0 || int64(len(e.Words)) != (e.Bits+63)/64 {
		return nil, corrupt(format, "%d words for %d bits", len(e.Words), e.Bits)
	}
	if tail := e.Bits & 63; tail != 0 && e.Words[len(e.Words)-1]>>tail != 0 {
		return nil, corrupt(format, "bits set past the end of the stream")
	}
	return &bitReader{words: e.Words, n: e.Bits}, nil
}

// read returns the next width bits (width ≤ 64), or false past the end.
func (r *bitReader) read(width int) (uint64, bool) {
	if width == 0 {
		return 0, true
	}
	if r.pos+int64(width) > r.n {
		return 0, false
	}
	i, off := r.pos>>6, uint(r.pos&63)
	v := r.words[i] >> off
	if int(off)+width > 64 {
		v |= r.words[i+1] << (64 - off)
	}
	if width < 64 {
		v &= 1<<width - 1
	}
	r.pos += int64(width)
	return v, true
}

// zeros reads width bits and reports whether they were all zero.
func (r *bitReader) zeros(width int) bool {
	for width > 0 {
		w := min(width, 64)
		v, ok := r.read(w)
		if !ok || v != 0 {
			return false
		}
		width -= w
	}
	return true
}

// left is the number of unread bits.
func (r *bitReader) left() int64 { return r.n - r.pos }
