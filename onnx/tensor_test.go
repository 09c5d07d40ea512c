package onnx

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/nnergy/nnergy/internal/onnxpb"
)

// TestHalfRoundTrip: every FLOAT16 and BFLOAT16 bit pattern but NaNs
// survives float32 and back, and a float32 halfway between two neighbours
// rounds to the one with an even last bit.
func TestHalfRoundTrip(t *testing.T) {
	for _, dt := range []DataType{Float16, BFloat16} {
		for h := range 1 << 16 {
			f := halfToFloat(dt, uint16(h))
			if f != f {
				continue
			}
			if got := floatToHalf(dt, f); got != uint16(h) {
				t.Fatalf("%s %#04x -> %g -> %#04x", dt, h, f, got)
			}
			next := halfToFloat(dt, uint16(h+1))
			if h&0x7fff >= 0x7bff && dt == Float16 || next != next || math.IsInf(float64(next), 0) || math.IsInf(float64(f), 0) || h == 0x7fff {
				continue
			}
			mid := float32((float64(f) + float64(next)) / 2)
			if float64(mid) != (float64(f)+float64(next))/2 {
				continue // not representable in float32
			}
			want := uint16(h)
			if h&1 == 1 {
				want = uint16(h + 1)
			}
			if got := floatToHalf(dt, mid); got != want {
				t.Fatalf("%s: halfway %g between %#04x and %#04x -> %#04x, want %#04x", dt, mid, h, h+1, got, want)
			}
		}
	}
	if got := floatToHalf(Float16, 1e6); got != 0x7c00 {
		t.Errorf("1e6 -> %#04x, want +Inf 0x7c00", got)
	}
	if got := floatToHalf(Float16, 1e-9); got != 0 {
		t.Errorf("1e-9 -> %#04x, want 0", got)
	}
}

// TestEncodeTypes: a tensor of every type survives encoding and decoding.
func TestEncodeTypes(t *testing.T) {
	var inits []*Tensor
	for _, dt := range []DataType{Float, Float16, BFloat16, Double} {
		inits = append(inits, &Tensor{Name: dt.String(), DataType: dt, Dims: []int64{3}, Floats: []float32{1.5, -2, 0}})
	}
	for _, dt := range []DataType{Int8, Int16, Int32, Int64} {
		inits = append(inits, &Tensor{Name: dt.String(), DataType: dt, Dims: []int64{3}, Ints: []int64{-3, 0, 100}})
	}
	for _, dt := range []DataType{Uint8, Uint16, Uint32, Uint64, Bool} {
		inits = append(inits, &Tensor{Name: dt.String(), DataType: dt, Dims: []int64{3}, Ints: []int64{1, 0, 1}})
	}
	m := NewModel("g")
	m.Graph.Initializers = inits
	b, err := Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse("m.onnx", b)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(inits, got.Graph.Initializers); diff != "" {
		t.Errorf("initializers (-want +got):\n%s", diff)
	}
	for _, tc := range []struct {
		dt   DataType
		bits int
	}{{Float, 32}, {Float16, 16}, {BFloat16, 16}, {Int8, 8}, {Uint8, 8}, {Bool, 8}, {Int64, 64}, {String, 0}} {
		if got := tc.dt.Bits(); got != tc.bits {
			t.Errorf("%s.Bits() = %d, want %d", tc.dt, got, tc.bits)
		}
	}
}

// TestStreamOrder: raw_data before dims and data_type (legal protobuf,
// though no writer does it) is buffered and decoded at the end; a stream
// that ends inside raw_data is truncated.
func TestStreamOrder(t *testing.T) {
	var tb []byte
	tb = protowire.AppendTag(tb, tensorRawData, protowire.BytesType)
	tb = protowire.AppendBytes(tb, []byte{0, 0, 0x80, 0x3f, 0, 0, 0, 0x40})
	tb = protowire.AppendTag(tb, 8, protowire.BytesType)
	tb = protowire.AppendString(tb, "w")
	tb = protowire.AppendTag(tb, tensorDims, protowire.VarintType)
	tb = protowire.AppendVarint(tb, 2)
	tb = protowire.AppendTag(tb, tensorDataType, protowire.VarintType)
	tb = protowire.AppendVarint(tb, uint64(Float))
	var gb []byte
	gb = protowire.AppendTag(gb, graphInitializer, protowire.BytesType)
	gb = protowire.AppendBytes(gb, tb)
	mb, err := proto.Marshal(&onnxpb.ModelProto{IrVersion: proto.Int64(7)})
	if err != nil {
		t.Fatal(err)
	}
	mb = protowire.AppendTag(mb, modelGraph, protowire.BytesType)
	mb = protowire.AppendBytes(mb, gb)
	m, err := Decode(bytes.NewReader(mb))
	if err != nil {
		t.Fatal(err)
	}
	if w := m.Graph.Initializers[0]; w.Name != "w" || !slicesEqual(w.Floats, []float32{1, 2}) {
		t.Errorf("got %+v", w)
	}

	// The canonical order, cut inside raw_data.
	full, err := Marshal(func() *Model {
		m := NewModel("g")
		m.Graph.AddInitializer("w", []int64{4096}, make([]float32, 4096))
		return m
	}())
	if err != nil {
		t.Fatal(err)
	}
	_, err = Decode(bytes.NewReader(full[:len(full)/2]))
	if err == nil || !strings.HasPrefix(err.Error(), "onnx: not an ONNX model, or truncated: ") {
		t.Errorf("truncated raw_data: %v", err)
	}
}

func slicesEqual(a, b []float32) bool {
	return cmp.Equal(a, b)
}
