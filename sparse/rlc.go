package sparse

import "fmt"

// RLC is run-length coding as Eyeriss compresses feature maps in DRAM
// (JSSC 2017 §IV-B): a fiber becomes (run, level) pairs, run the number of
// zeros before a value (RunBits = 5, at most 31) and level the value itself
// (LevelBits = 16); PairsPerWord = 3 pairs fill a WordBits = 64-bit word
// whose top bit marks the last word of the fiber.
//
// Every element is covered by exactly one pair, which covers run + 1
// elements:
//
//   - A nonzero after z ≤ 2^RunBits - 1 zeros is the pair (z, value).
//   - When 2^RunBits zeros have gone by without a nonzero, the pair
//     (2^RunBits - 1, 0) covers them: the last of them is written as a
//     literal zero level.
//   - A run of t zeros that ends the fiber is coded the same way, and the
//     remaining t mod 2^RunBits zeros, if any, become one final pair
//     (t mod 2^RunBits - 1, 0). So the code stands alone: trailing zeros
//     are stored, not implied by the fiber's length.
//
// Layout of a word, from bit 0: pair 0 (run, then level), pair 1, ...,
// zero padding, and the last-word flag in bit WordBits-1. Slots after the
// last pair of the final word are zero. The decoder takes the fiber length
// (Encoded.Len, from the tile shape) only to tell those empty slots from
// (0, 0) pairs. Eyeriss's word: run0 bits 0–4, level0 5–20, run1 21–25,
// level1 26–41, run2 42–46, level2 47–62, last 63.
type RLC struct {
	RunBits      int // run field, 1..6 (Eyeriss: 5)
	LevelBits    int // level (value) field, 1..32 (Eyeriss: 16)
	PairsPerWord int // pairs per word, ≥ 1 (Eyeriss: 3)
	WordBits     int // word width, ≥ PairsPerWord·(RunBits+LevelBits) + 1 (Eyeriss: 64)
}

// Name returns "rlc".
func (RLC) Name() string { return "rlc" }

// Validate checks that the pairs and the flag fit a word.
func (f RLC) Validate() error {
	if f.RunBits < 1 || f.RunBits > 6 {
		return fmt.Errorf("sparse: rlc: run bits %d outside 1..6", f.RunBits)
	}
	if err := checkValueBits("rlc", "level bits", f.LevelBits); err != nil {
		return err
	}
	if f.PairsPerWord < 1 || f.WordBits > 4096 || f.PairsPerWord*(f.RunBits+f.LevelBits)+1 > f.WordBits {
		return fmt.Errorf("sparse: rlc: %d pairs of %d+%d bits and a flag do not fit a %d-bit word",
			f.PairsPerWord, f.RunBits, f.LevelBits, f.WordBits)
	}
	return nil
}

// pairs counts the pairs and nonzeros of a fiber.
func (f RLC) pairs(values []float32) (pairs, nz int) {
	last := 1<<f.RunBits - 1
	run := 0
	for _, v := range values {
		switch {
		case v != 0:
			pairs++
			nz++
			run = 0
		case run == last:
			pairs++
			run = 0
		default:
			run++
		}
	}
	if run > 0 {
		pairs++
	}
	return pairs, nz
}

// Size returns whole words: the levels of the nonzeros are data; runs,
// literal zeros, padding, empty slots and flags are metadata.
func (f RLC) Size(values []float32) Size {
	p, nz := f.pairs(values)
	words := (p + f.PairsPerWord - 1) / f.PairsPerWord
	b := int64(words) * int64(f.WordBits)
	data := int64(nz) * int64(f.LevelBits)
	return Size{Len: len(values), Nonzeros: nz, Bits: b, DataBits: data, MetaBits: b - data}
}

// rlcWriter packs pairs into words.
type rlcWriter struct {
	f    RLC
	w    bitWriter
	slot int // pairs in the current word
}

func (p *rlcWriter) pair(run int, level uint64) {
	p.w.write(uint64(run), p.f.RunBits)
	p.w.write(level, p.f.LevelBits)
	if p.slot++; p.slot == p.f.PairsPerWord {
		p.end(false)
	}
}

// end pads the current word and writes its flag.
func (p *rlcWriter) end(last bool) {
	p.w.zeros((p.f.PairsPerWord-p.slot)*(p.f.RunBits+p.f.LevelBits) + p.f.WordBits - 1 - p.f.PairsPerWord*(p.f.RunBits+p.f.LevelBits))
	flag := uint64(0)
	if last {
		flag = 1
	}
	p.w.write(flag, 1)
	p.slot = 0
}

// Encode writes the pairs, three to a word, and flags the last word.
func (f RLC) Encode(values []float32) (Encoded, error) {
	if err := f.Validate(); err != nil {
		return Encoded{}, err
	}
	p := rlcWriter{f: f}
	last := 1<<f.RunBits - 1
	run := 0
	for i, v := range values {
		switch {
		case v != 0:
			c, ok := valueCode(v, f.LevelBits)
			if !ok {
				return Encoded{}, rangeError("rlc", i, v, f.LevelBits)
			}
			p.pair(run, c)
			run = 0
		case run == last:
			p.pair(last, 0)
			run = 0
		default:
			run++
		}
	}
	if run > 0 {
		p.pair(run-1, 0)
	}
	if p.slot > 0 {
		p.end(true)
	} else if n := len(p.w.words); n > 0 {
		// The final word was full and closed with a zero flag: set it.
		p.w.words[n-1] |= 1 << ((p.w.n - 1) & 63)
	}
	return Encoded{Size: f.Size(values), Words: p.w.words}, nil
}

// Decode reads words until the flagged one, expanding each pair.
func (f RLC) Decode(e Encoded) ([]float32, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	r, err := newReader("rlc", e)
	if err != nil {
		return nil, err
	}
	n := e.Len
	period := 1 << f.RunBits
	pairBits := f.RunBits + f.LevelBits
	if r.left()%int64(f.WordBits) != 0 {
		return nil, corrupt("rlc", "%d bits are not whole %d-bit words", e.Bits, f.WordBits)
	}
	words := int(r.left() / int64(f.WordBits))
	if n < 0 || int64(n) > int64(words)*int64(f.PairsPerWord)*int64(period) {
		return nil, corrupt("rlc", "%d words cannot hold %d elements", words, n)
	}
	out := make([]float32, n)
	p := 0
	for w := range words {
		lastWord := w == words-1
		if p == n {
			return nil, corrupt("rlc", "word %d holds no pair", w)
		}
		for s := range f.PairsPerWord {
			if p == n { // an empty slot after the final pair
				if !lastWord || !r.zeros(pairBits) {
					return nil, corrupt("rlc", "word %d: slot %d after the last pair is not empty", w, s)
				}
				continue
			}
			run, _ := r.read(f.RunBits)
			code, _ := r.read(f.LevelBits)
			p += int(run)
			if p >= n {
				return nil, corrupt("rlc", "word %d: pair %d runs past the %d elements", w, s, n)
			}
			v := codeValue(code, f.LevelBits)
			if v == 0 && (code != 0 || (int(run) != period-1 && p != n-1)) {
				return nil, corrupt("rlc", "word %d: pair %d holds a zero level with run %d", w, s, run)
			}
			out[p] = v
			p++
		}
		if !r.zeros(f.WordBits - 1 - f.PairsPerWord*pairBits) {
			return nil, corrupt("rlc", "word %d: padding is not zero", w)
		}
		if flag, _ := r.read(1); (flag == 1) != lastWord {
			return nil, corrupt("rlc", "word %d of %d: last-word flag %d", w, words, flag)
		}
	}
	if p != n {
		return nil, corrupt("rlc", "pairs cover %d of %d elements", p, n)
	}
	return out, checkCanonical(f, e, out)
}

// ExpectedBits is WordBits·E[⌈P/PairsPerWord⌉] for the pair count P of a
// Bernoulli fiber; see expectedWords for the derivation.
func (f RLC) ExpectedBits(n int, density float64) float64 {
	mustValid(f, n, density)
	return float64(f.WordBits) * expectedWords(n, 1<<f.RunBits, f.PairsPerWord, density)
}

// String describes the format with its widths.
func (f RLC) String() string {
	return fmt.Sprintf("rlc(run=%d,level=%d,pairs=%d,word=%d)", f.RunBits, f.LevelBits, f.PairsPerWord, f.WordBits)
}
