package sparse

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Eyeriss's RLC and Eyeriss v2's CSC, as ParseFormat builds them.
var (
	eyerissRLC = RLC{RunBits: 5, LevelBits: 16, PairsPerWord: 3, WordBits: 64}
	v2CSC      = CSC{CountBits: 4, DataBits: 8}
)

// zeros returns n zeros followed by tail.
func zerosThen(n int, tail ...float32) []float32 {
	return append(make([]float32, n), tail...)
}

// TestEncodeHand pins bitstreams worked out by hand from each format's
// documented layout. Words are written as their fields shifted into place.
func TestEncodeHand(t *testing.T) {
	const last = 1 << 63 // RLC last-word flag
	tests := []struct {
		name   string
		f      Format
		values []float32
		want   Encoded
	}{
		{
			// Pairs (2,12) (4,53) and the trailing two zeros as (1,0).
			name:   "rlc/10-element fiber",
			f:      eyerissRLC,
			values: []float32{0, 0, 12, 0, 0, 0, 0, 53, 0, 0},
			want: Encoded{Size{Len: 10, Nonzeros: 2, Bits: 64, DataBits: 32, MetaBits: 32},
				[]uint64{0x8000_0400_D480_0182}}, // 2 | 12<<5 | 4<<21 | 53<<26 | 1<<42 | last
		},
		{
			name:   "rlc/33 zeros then 7: a (31,0) bridge",
			f:      eyerissRLC,
			values: zerosThen(33, 7),
			want: Encoded{Size{Len: 34, Nonzeros: 1, Bits: 64, DataBits: 16, MetaBits: 48},
				[]uint64{31 | 1<<21 | 7<<26 | last}},
		},
		{
			name:   "rlc/31 zeros then 9: the longest run",
			f:      eyerissRLC,
			values: zerosThen(31, 9),
			want: Encoded{Size{Len: 32, Nonzeros: 1, Bits: 64, DataBits: 16, MetaBits: 48},
				[]uint64{0x8000_0000_0000_013F}},
		},
		{
			name:   "rlc/four nonzeros take two words",
			f:      eyerissRLC,
			values: []float32{1, 2, 3, -1},
			want: Encoded{Size{Len: 4, Nonzeros: 4, Bits: 128, DataBits: 64, MetaBits: 64},
				[]uint64{1<<5 | 2<<26 | 3<<47, 0xFFFF<<5 | last}},
		},
		{
			name:   "rlc/three nonzeros fill one word",
			f:      eyerissRLC,
			values: []float32{5, 6, 7},
			want: Encoded{Size{Len: 3, Nonzeros: 3, Bits: 64, DataBits: 48, MetaBits: 16},
				[]uint64{0x8003_8000_1800_00A0}},
		},
		{
			name:   "rlc/all zero",
			f:      eyerissRLC,
			values: make([]float32, 5),
			want:   Encoded{Size{Len: 5, Bits: 64, MetaBits: 64}, []uint64{4 | last}},
		},
		{
			name:   "rlc/32 zeros are one pair",
			f:      eyerissRLC,
			values: make([]float32, 32),
			want:   Encoded{Size{Len: 32, Bits: 64, MetaBits: 64}, []uint64{31 | last}},
		},
		{
			name:   "rlc/70 trailing zeros",
			f:      eyerissRLC,
			values: make([]float32, 70),
			want:   Encoded{Size{Len: 70, Bits: 64, MetaBits: 64}, []uint64{0x8000_1400_03E0_001F}},
		},
		{
			name: "rlc/empty",
			f:    eyerissRLC,
			want: Encoded{},
		},
		{
			// One column of 5: address 2 (3 bits), entries (2,3) (1,5).
			name:   "csc/one column",
			f:      v2CSC,
			values: []float32{0, 0, 3, 0, 5},
			want: Encoded{Size{Len: 5, Nonzeros: 2, Bits: 27, DataBits: 16, MetaBits: 11},
				[]uint64{0x28_8192}}, // 2 | 2<<3 | 3<<7 | 1<<15 | 5<<19
		},
		{
			// Columns [0 7] [0 0] [-2 0]: addresses 1 1 2, entries (1,7) (0,-2).
			name:   "csc/2x3 matrix with an empty column",
			f:      CSC{CountBits: 4, DataBits: 8, Rows: 2},
			values: []float32{0, 7, 0, 0, -2, 0},
			want: Encoded{Size{Len: 6, Nonzeros: 2, Bits: 33, DataBits: 16, MetaBits: 17},
				[]uint64{0x1_FC00_E289}},
		},
		{
			// 20 zeros: a (15,0) bridge covers 16, then (4,4).
			name:   "csc/bridge over 20 zeros",
			f:      v2CSC,
			values: zerosThen(20, 4),
			want: Encoded{Size{Len: 21, Nonzeros: 1, Bits: 29, DataBits: 8, MetaBits: 21},
				[]uint64{2 | 15<<5 | 4<<17 | 4<<21}},
		},
		{
			name:   "csc/trailing zeros take no entries",
			f:      v2CSC,
			values: make([]float32, 3),
			want:   Encoded{Size{Len: 3, Bits: 2, MetaBits: 2}, []uint64{0}},
		},
		{
			name:   "csc/4-bit spad addresses",
			f:      CSC{CountBits: 4, DataBits: 8, AddrBits: 4, Rows: 3},
			values: []float32{1, 0, 0, 0, 0, 2},
			want: Encoded{Size{Len: 6, Nonzeros: 2, Bits: 32, DataBits: 16, MetaBits: 16},
				[]uint64{1 | 2<<4 | 0<<8 | 1<<12 | 2<<20 | 2<<24}},
		},
		{
			name:   "bitmask",
			f:      Bitmask{ValueBits: 8},
			values: []float32{0, 3, 0, 0, -1},
			want: Encoded{Size{Len: 5, Nonzeros: 2, Bits: 21, DataBits: 16, MetaBits: 5},
				[]uint64{0b10010 | 3<<5 | 0xFF<<13}},
		},
		{
			name:   "coo/automatic coordinate",
			f:      COO{ValueBits: 8},
			values: []float32{0, 3, 0, 0, -1},
			want: Encoded{Size{Len: 5, Nonzeros: 2, Bits: 22, DataBits: 16, MetaBits: 6},
				[]uint64{1 | 3<<3 | 4<<11 | 0xFF<<14}},
		},
		{
			name:   "coo/16-bit coordinates across a word",
			f:      COO{CoordBits: 16, ValueBits: 32},
			values: []float32{0, 0, 1.5, 0, 0, 0, -2},
			want: Encoded{Size{Len: 7, Nonzeros: 2, Bits: 96, DataBits: 64, MetaBits: 32},
				[]uint64{2 | 0x3FC0_0000<<16 | 6<<48, 0xC000_0000}},
		},
		{
			name:   "dense",
			f:      Dense{ValueBits: 4},
			values: []float32{1, -1, 0},
			want:   Encoded{Size{Len: 3, Nonzeros: 2, Bits: 12, DataBits: 12}, []uint64{0xF1}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.f.Encode(tt.values)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Encode (-want +got):\n%s", diff)
			}
			if s := tt.f.Size(tt.values); s != tt.want.Size {
				t.Errorf("Size = %+v, want %+v", s, tt.want.Size)
			}
			back, err := tt.f.Decode(tt.want)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.values, back, cmp.Comparer(sameBits)); diff != "" && len(tt.values) > 0 {
				t.Errorf("Decode (-want +got):\n%s", diff)
			}
		})
	}
}

// sameBits compares floats bit for bit, except that -0 equals +0.
func sameBits(a, b float32) bool {
	return math.Float32bits(a) == math.Float32bits(b) || (a == 0 && b == 0)
}

func TestDenseKeepsNegativeZero(t *testing.T) {
	f := Dense{ValueBits: 32}
	neg := float32(math.Copysign(0, -1))
	e, err := f.Encode([]float32{neg, 1})
	if err != nil {
		t.Fatal(err)
	}
	back, err := f.Decode(e)
	if err != nil {
		t.Fatal(err)
	}
	if math.Float32bits(back[0]) != math.Float32bits(neg) {
		t.Errorf("dense decoded %v, want -0", back[0])
	}
	// The compressed formats treat -0 as a zero.
	r, err := eyerissRLC.Encode([]float32{neg, 1})
	if err != nil {
		t.Fatal(err)
	}
	if r.Nonzeros != 1 || r.Words[0] != 1|1<<5|1<<63 {
		t.Errorf("rlc of [-0 1] = %+v", r)
	}
}

func TestParseFormat(t *testing.T) {
	tests := []struct {
		name string
		bits int
		want Format
		err  string
	}{
		{"rlc", 16, eyerissRLC, ""},
		{"rlc", 8, RLC{RunBits: 5, LevelBits: 8, PairsPerWord: 3, WordBits: 64}, ""},
		{"csc", 8, v2CSC, ""},
		{"bitmask", 8, Bitmask{ValueBits: 8}, ""},
		{"coo", 16, COO{ValueBits: 16}, ""},
		{"dense", 32, Dense{ValueBits: 32}, ""},
		{"rlc", 17, nil, "sparse: rlc: 3 pairs of 5+17 bits and a flag do not fit a 64-bit word"},
		{"dense", 0, nil, "sparse: dense: value bits 0 outside 1..32"},
		{"huffman", 8, nil, `sparse: unknown format "huffman" (formats: dense, bitmask, coo, csc, rlc)`},
	}
	for _, tt := range tests {
		got, err := ParseFormat(tt.name, tt.bits)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("ParseFormat(%q, %d) error = %v, want %q", tt.name, tt.bits, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseFormat(%q, %d) = %v, %v; want %v", tt.name, tt.bits, got, err, tt.want)
		}
		if got.Name() != tt.name {
			t.Errorf("%v.Name() = %q", got, got.Name())
		}
	}
	for _, name := range FormatNames() {
		if _, err := ParseFormat(name, 8); err != nil {
			t.Errorf("ParseFormat(%q): %v", name, err)
		}
	}
}

func TestValidate(t *testing.T) {
	for _, f := range []Format{
		RLC{RunBits: 0, LevelBits: 16, PairsPerWord: 3, WordBits: 64},
		RLC{RunBits: 7, LevelBits: 16, PairsPerWord: 1, WordBits: 64},
		RLC{RunBits: 5, LevelBits: 16, PairsPerWord: 3, WordBits: 63},
		RLC{RunBits: 5, LevelBits: 16, PairsPerWord: 0, WordBits: 64},
		CSC{CountBits: 0, DataBits: 8},
		CSC{CountBits: 4, DataBits: 33},
		CSC{CountBits: 4, DataBits: 8, AddrBits: -1},
		CSC{CountBits: 4, DataBits: 8, Rows: -1},
		COO{CoordBits: 64, ValueBits: 8},
		Bitmask{},
		Dense{ValueBits: 33},
	} {
		if f.Validate() == nil {
			t.Errorf("%v: Validate() = nil", f)
		}
		if _, err := f.Encode([]float32{1}); err == nil {
			t.Errorf("%v: Encode succeeded", f)
		}
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%v: ExpectedBits did not panic", f)
				}
			}()
			f.ExpectedBits(4, 0.5)
		}()
	}
}

func TestEncodeRange(t *testing.T) {
	tests := []struct {
		f      Format
		values []float32
	}{
		{eyerissRLC, []float32{0, 32768}},
		{eyerissRLC, []float32{-32769}},
		{eyerissRLC, []float32{0.5}},
		{v2CSC, []float32{128}},
		{v2CSC, []float32{float32(math.NaN())}},
		{Bitmask{ValueBits: 4}, []float32{8}},
		{Dense{ValueBits: 1}, []float32{1}},
		{COO{CoordBits: 2, ValueBits: 8}, make([]float32, 5)},
		{CSC{CountBits: 4, DataBits: 8, AddrBits: 4}, zerosThen(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16)},
	}
	for _, tt := range tests {
		if _, err := tt.f.Encode(tt.values); !errors.Is(err, ErrRange) {
			t.Errorf("%v.Encode(%v) error = %v, want ErrRange", tt.f, tt.values, err)
		}
	}
	// In range: the extremes of a 16-bit level and of a 1-bit field.
	for _, tt := range []struct {
		f Format
		v []float32
	}{{eyerissRLC, []float32{-32768, 32767}}, {Dense{ValueBits: 1}, []float32{-1, 0}}} {
		e, err := tt.f.Encode(tt.v)
		if err != nil {
			t.Fatalf("%v.Encode(%v): %v", tt.f, tt.v, err)
		}
		if back, err := tt.f.Decode(e); err != nil || !cmp.Equal(back, tt.v) {
			t.Errorf("%v round trip of %v = %v, %v", tt.f, tt.v, back, err)
		}
	}
}

// TestDecodeCorrupt flips streams Encode never makes.
func TestDecodeCorrupt(t *testing.T) {
	const last = 1 << 63
	tests := []struct {
		name string
		f    Format
		e    Encoded
		msg  string
	}{
		{"rlc/no last flag", eyerissRLC, Encoded{Size{Len: 1, Nonzeros: 1, Bits: 64, DataBits: 16, MetaBits: 48}, []uint64{1 << 5}}, "last-word flag"},
		{"rlc/flag on a middle word", eyerissRLC, Encoded{Size{Len: 4, Bits: 128}, []uint64{1<<5 | 1<<26 | 1<<47 | last, 1<<5 | last}}, "last-word flag"},
		{"rlc/run past the end", eyerissRLC, Encoded{Size{Len: 2, Bits: 64}, []uint64{2 | 1<<5 | last}}, "runs past"},
		{"rlc/zero level inside", eyerissRLC, Encoded{Size{Len: 3, Bits: 64}, []uint64{0 | 0<<5 | 0<<21 | 1<<26 | last}}, "zero level"},
		{"rlc/slot after the end", eyerissRLC, Encoded{Size{Len: 1, Bits: 64}, []uint64{1<<5 | 1<<21 | last}}, "not empty"},
		{"rlc/padding", eyerissRLC, Encoded{Size{Len: 1, Bits: 64}, []uint64{1<<5 | 1<<62 | last}}, "not empty"},
		{"rlc/too short", eyerissRLC, Encoded{Size{Len: 5, Bits: 64}, []uint64{1<<5 | 2<<26 | 3<<47 | last}}, "cover 3 of 5"},
		{"rlc/partial word", eyerissRLC, Encoded{Size{Len: 1, Bits: 63}, []uint64{1 << 5}}, "whole 64-bit words"},
		{"rlc/wrong size", eyerissRLC, Encoded{Size{Len: 1, Nonzeros: 1, Bits: 64}, []uint64{1<<5 | last}}, "does not match"},
		{"stream/words", eyerissRLC, Encoded{Size{Len: 1, Bits: 64}, nil}, "0 words for 64 bits"},
		{"stream/tail", Dense{ValueBits: 4}, Encoded{Size{Len: 1, Bits: 4}, []uint64{0x10}}, "past the end"},
		{"csc/decreasing address", CSC{CountBits: 4, DataBits: 8, Rows: 1}, Encoded{Size{Len: 2, Bits: 2*2 + 12}, []uint64{1 | 0<<2 | 5<<8}}, "address 0 of column 1"},
		{"csc/zero entry", v2CSC, Encoded{Size{Len: 5, Bits: 3 + 12}, []uint64{1}}, "zero entry"},
		{"csc/trailing bridge", v2CSC, Encoded{Size{Len: 20, Bits: 5 + 12}, []uint64{1 | 15<<5}}, "zero entry"},
		{"csc/entry past the column", v2CSC, Encoded{Size{Len: 5, Bits: 3 + 12}, []uint64{1 | 5<<3 | 1<<7}}, "past its 5 rows"},
		{"csc/partial entry", v2CSC, Encoded{Size{Len: 5, Bits: 3 + 11}, []uint64{1 | 1<<7}}, "whole entries"},
		{"bitmask/marked zero", Bitmask{ValueBits: 8}, Encoded{Size{Len: 2, Bits: 2 + 8}, []uint64{0b01}}, "holds zero"},
		{"bitmask/values missing", Bitmask{ValueBits: 8}, Encoded{Size{Len: 2, Bits: 2}, []uint64{0b11}}, "value bits"},
		{"coo/order", COO{ValueBits: 8}, Encoded{Size{Len: 4, Bits: 20}, []uint64{2 | 1<<2 | 1<<10 | 1<<12}}, "coordinate 1 after 2"},
		{"coo/out of range", COO{ValueBits: 8}, Encoded{Size{Len: 3, Bits: 10}, []uint64{3 | 1<<2}}, "coordinate 3"},
		{"dense/length", Dense{ValueBits: 8}, Encoded{Size{Len: 2, Bits: 8}, []uint64{1}}, "8 bits for 2 values"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.f.Decode(tt.e)
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("Decode error = %v, want ErrCorrupt containing %q", err, tt.msg)
			}
		})
	}
}

func TestTupleBits(t *testing.T) {
	if got := TupleBits(3, 3, 64, 1); got != 2+2+6+0 {
		t.Errorf("TupleBits(3, 3, 64, 1) = %d, want 10", got)
	}
	// A tile of 3×3×64 in COO with tuple coordinates.
	f := COO{CoordBits: TupleBits(3, 3, 64), ValueBits: 8}
	v := make([]float32, 3*3*64)
	v[len(v)-1] = 1
	e, err := f.Encode(v)
	if err != nil {
		t.Fatal(err)
	}
	if e.Bits != 18 {
		t.Errorf("bits = %d, want 18", e.Bits)
	}
}

func TestFormatStrings(t *testing.T) {
	for f, want := range map[Format]string{
		eyerissRLC:                       "rlc(run=5,level=16,pairs=3,word=64)",
		CSC{4, 8, 7, 16}:                 "csc(count=4,data=8,addr=7,rows=16)",
		Bitmask{ValueBits: 8}:            "bitmask(value=8)",
		COO{CoordBits: 10, ValueBits: 8}: "coo(coord=10,value=8)",
		Dense{ValueBits: 16}:             "dense(value=16)",
	} {
		if got := f.(fmt.Stringer).String(); got != want {
			t.Errorf("String() = %q, want %q", got, want)
		}
	}
}
