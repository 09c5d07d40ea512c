package onnx

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"

	"github.com/nnergy/nnergy/internal/onnxpb"
)

// DataType is the element type of a tensor, numbered as in onnx.proto
// (TensorProto.DataType).
type DataType int32

// The ONNX element types. Tensor data can be held for every type but
// Undefined, String, Complex64 and Complex128 (see Tensor).
const (
	Undefined  DataType = 0
	Float      DataType = 1
	Uint8      DataType = 2
	Int8       DataType = 3
	Uint16     DataType = 4
	Int16      DataType = 5
	Int32      DataType = 6
	Int64      DataType = 7
	String     DataType = 8
	Bool       DataType = 9
	Float16    DataType = 10
	Double     DataType = 11
	Uint32     DataType = 12
	Uint64     DataType = 13
	Complex64  DataType = 14
	Complex128 DataType = 15
	BFloat16   DataType = 16
)

// String returns the type's name as onnx.proto spells it ("FLOAT").
func (t DataType) String() string {
	if s, ok := onnxpb.TensorProto_DataType_name[int32(t)]; ok {
		return s
	}
	return fmt.Sprintf("DataType(%d)", int32(t))
}

// Bits returns the width of one element of type t as files store it (BOOL
// 8), or 0 for the types a Tensor cannot hold.
func (t DataType) Bits() int { return 8 * t.size() }

// IsFloat reports whether t is a floating-point type (held in Tensor.Floats).
func (t DataType) IsFloat() bool {
	return t == Float || t == Float16 || t == BFloat16 || t == Double
}

// size returns the bytes per element in raw_data, 0 for types a Tensor
// cannot hold.
func (t DataType) size() int {
	switch t {
	case Int8, Uint8, Bool:
		return 1
	case Float16, BFloat16, Int16, Uint16:
		return 2
	case Float, Int32, Uint32:
		return 4
	case Double, Int64, Uint64:
		return 8
	}
	return 0
}

// Tensor is a dense tensor with its data: an initializer, or the value of a
// Constant node or of a tensor attribute. Data of the floating-point types
// (FLOAT, FLOAT16, BFLOAT16, DOUBLE) is held in Floats, converted to
// float32; data of the integer types (INT8 to INT64, UINT8 to UINT64) and
// BOOL (0 or 1) in Ints, converted to int64. DataType keeps the type the
// file stores, so DataType.Bits gives the stored word width.
type Tensor struct {
	Name     string
	DataType DataType
	Dims     []int64
	Floats   []float32
	Ints     []int64
}

// NewFloatTensor returns a Float tensor. It does not copy data.
func NewFloatTensor(name string, dims []int64, data []float32) *Tensor {
	return &Tensor{Name: name, DataType: Float, Dims: dims, Floats: data}
}

// NewInt64Tensor returns an Int64 tensor. It does not copy data.
func NewInt64Tensor(name string, dims []int64, data []int64) *Tensor {
	return &Tensor{Name: name, DataType: Int64, Dims: dims, Ints: data}
}

// Len returns the number of elements the dimensions describe (1 for a
// scalar), or -1 if a dimension is negative or the product overflows.
func (t *Tensor) Len() int64 { return Numel(t.Dims) }

// NonZero returns the number of nonzero elements.
func (t *Tensor) NonZero() int64 {
	var n int64
	for _, v := range t.Floats {
		if v != 0 {
			n++
		}
	}
	for _, v := range t.Ints {
		if v != 0 {
			n++
		}
	}
	return n
}

// Density returns the fraction of nonzero elements, 1 for an empty tensor.
func (t *Tensor) Density() float64 {
	n := len(t.Floats) + len(t.Ints)
	if n == 0 {
		return 1
	}
	return float64(t.NonZero()) / float64(n)
}

// check reports whether the data agrees with the type and dimensions.
func (t *Tensor) check() error {
	n := t.Len()
	if n < 0 {
		return fmt.Errorf("dimensions %v are negative or too large", t.Dims)
	}
	if t.DataType.size() == 0 {
		return unsupportedType(t.DataType)
	}
	have := len(t.Ints)
	if t.DataType.IsFloat() {
		have = len(t.Floats)
		if len(t.Ints) != 0 {
			return fmt.Errorf("%s tensor holds integer data", t.DataType)
		}
	} else if len(t.Floats) != 0 {
		return fmt.Errorf("%s tensor holds float data", t.DataType)
	}
	if int64(have) != n {
		return fmt.Errorf("dimensions %v need %d values, have %d", t.Dims, n, have)
	}
	return nil
}

func unsupportedType(dt DataType) error {
	return fmt.Errorf("data type %s is not supported (supported: FLOAT, FLOAT16, BFLOAT16, DOUBLE, INT8, UINT8, INT16, UINT16, INT32, UINT32, INT64, UINT64, BOOL)", dt)
}

// Numel returns the product of dims, or -1 for a negative dimension or an
// overflow past 2^53 (far more than any file can hold).
func Numel(dims []int64) int64 {
	n := int64(1)
	for _, d := range dims {
		if d < 0 {
			return -1
		}
		if d != 0 && n > (1<<53)/d {
			return -1
		}
		n *= d
	}
	return n
}

// header returns the tensor that p describes, without its data, and checks
// the type and dimensions.
func header(p *onnxpb.TensorProto) (*Tensor, error) {
	t := &Tensor{Name: p.GetName(), DataType: DataType(p.GetDataType()), Dims: p.GetDims()}
	if t.Dims == nil {
		t.Dims = []int64{}
	}
	if p.GetSegment() != nil {
		return nil, fmt.Errorf("segmented tensors are not supported")
	}
	if t.Len() < 0 {
		return nil, fmt.Errorf("dimensions %v are negative or too large", t.Dims)
	}
	if t.DataType.size() == 0 {
		return nil, unsupportedType(t.DataType)
	}
	return t, nil
}

// external reports whether p keeps its data in an external file.
func external(p *onnxpb.TensorProto) bool {
	return p.GetDataLocation() == onnxpb.TensorProto_EXTERNAL || len(p.GetExternalData()) > 0
}

// tensorFromProto converts a TensorProto, reading raw_data, the typed
// fields, or the external file that ext resolves.
func tensorFromProto(p *onnxpb.TensorProto, ext *externalFiles) (*Tensor, error) {
	t, err := header(p)
	if err != nil {
		return nil, err
	}
	switch {
	case external(p):
		if p.RawData != nil {
			return nil, fmt.Errorf("data is both in raw_data and in an external file")
		}
		if err := ext.read(t, p); err != nil {
			return nil, err
		}
	case p.RawData != nil:
		if err := t.readRaw(bytes.NewReader(p.RawData), int64(len(p.RawData)), "raw_data"); err != nil {
			return nil, err
		}
	default:
		t.fromTyped(p)
	}
	if err := t.check(); err != nil {
		return nil, err
	}
	return t, nil
}

// fromTyped reads the typed data fields, as onnx.proto assigns them to
// element types.
func (t *Tensor) fromTyped(p *onnxpb.TensorProto) {
	switch t.DataType {
	case Float:
		t.Floats = p.GetFloatData()
	case Double:
		t.Floats = make([]float32, len(p.GetDoubleData()))
		for i, v := range p.GetDoubleData() {
			t.Floats[i] = float32(v)
		}
	case Float16, BFloat16:
		t.Floats = make([]float32, len(p.GetInt32Data()))
		for i, v := range p.GetInt32Data() {
			t.Floats[i] = halfToFloat(t.DataType, uint16(v))
		}
	case Int64:
		t.Ints = p.GetInt64Data()
	case Uint32, Uint64:
		t.Ints = make([]int64, len(p.GetUint64Data()))
		for i, v := range p.GetUint64Data() {
			t.Ints[i] = int64(v)
		}
	default: // INT32, INT16, INT8, UINT16, UINT8, BOOL
		t.Ints = make([]int64, len(p.GetInt32Data()))
		for i, v := range p.GetInt32Data() {
			t.Ints[i] = int64(v)
		}
	}
	if t.Floats == nil && t.DataType.IsFloat() {
		t.Floats = []float32{}
	}
	if t.Ints == nil && !t.DataType.IsFloat() {
		t.Ints = []int64{}
	}
}

// readRaw reads t's data from size bytes of little-endian raw data in r
// (what names where they come from, for messages), converting it in chunks
// so that no copy of the raw bytes is held.
func (t *Tensor) readRaw(r io.Reader, size int64, what string) error {
	n, es := t.Len(), int64(t.DataType.size())
	if size != n*es {
		return fmt.Errorf("dimensions %v need %d bytes of %s, have %d", t.Dims, n*es, what, size)
	}
	if t.DataType.IsFloat() {
		t.Floats = make([]float32, n)
	} else {
		t.Ints = make([]int64, n)
	}
	const chunk = 1 << 16 // bytes, a multiple of every element size
	buf := make([]byte, min(chunk, size))
	for i := int64(0); i < n; {
		k := min(int64(len(buf))/es, n-i)
		b := buf[:k*es]
		if _, err := io.ReadFull(r, b); err != nil {
			if err == io.ErrUnexpectedEOF {
				err = io.EOF
			}
			return fmt.Errorf("reading %s: %w", what, err)
		}
		t.decode(i, b)
		i += k
	}
	return nil
}

// decode converts the little-endian elements in b into t's data from
// element i on.
func (t *Tensor) decode(i int64, b []byte) {
	le := binary.LittleEndian
	switch t.DataType {
	case Float:
		for j := range t.Floats[i : i+int64(len(b)/4)] {
			t.Floats[i+int64(j)] = math.Float32frombits(le.Uint32(b[4*j:]))
		}
	case Float16, BFloat16:
		for j := range len(b) / 2 {
			t.Floats[i+int64(j)] = halfToFloat(t.DataType, le.Uint16(b[2*j:]))
		}
	case Double:
		for j := range len(b) / 8 {
			t.Floats[i+int64(j)] = float32(math.Float64frombits(le.Uint64(b[8*j:])))
		}
	case Int8:
		for j, v := range b {
			t.Ints[i+int64(j)] = int64(int8(v))
		}
	case Uint8, Bool:
		for j, v := range b {
			t.Ints[i+int64(j)] = int64(v)
		}
	case Int16:
		for j := range len(b) / 2 {
			t.Ints[i+int64(j)] = int64(int16(le.Uint16(b[2*j:])))
		}
	case Uint16:
		for j := range len(b) / 2 {
			t.Ints[i+int64(j)] = int64(le.Uint16(b[2*j:]))
		}
	case Int32:
		for j := range len(b) / 4 {
			t.Ints[i+int64(j)] = int64(int32(le.Uint32(b[4*j:])))
		}
	case Uint32:
		for j := range len(b) / 4 {
			t.Ints[i+int64(j)] = int64(le.Uint32(b[4*j:]))
		}
	case Int64, Uint64:
		for j := range len(b) / 8 {
			t.Ints[i+int64(j)] = int64(le.Uint64(b[8*j:]))
		}
	}
}

// raw returns t's data as little-endian raw_data of its type.
func (t *Tensor) raw() []byte {
	es := t.DataType.size()
	n := max(len(t.Floats), len(t.Ints))
	raw := make([]byte, n*es)
	le := binary.LittleEndian
	for j := range n {
		b := raw[j*es:]
		switch t.DataType {
		case Float:
			le.PutUint32(b, math.Float32bits(t.Floats[j]))
		case Float16, BFloat16:
			le.PutUint16(b, floatToHalf(t.DataType, t.Floats[j]))
		case Double:
			le.PutUint64(b, math.Float64bits(float64(t.Floats[j])))
		case Bool:
			if t.Ints[j] != 0 {
				b[0] = 1
			}
		case Int8, Uint8:
			b[0] = byte(t.Ints[j])
		case Int16, Uint16:
			le.PutUint16(b, uint16(t.Ints[j]))
		case Int32, Uint32:
			le.PutUint32(b, uint32(t.Ints[j]))
		case Int64, Uint64:
			le.PutUint64(b, uint64(t.Ints[j]))
		}
	}
	return raw
}

// proto converts t, storing data as little-endian raw_data.
func (t *Tensor) proto() (*onnxpb.TensorProto, error) {
	if err := t.check(); err != nil {
		return nil, err
	}
	p := &onnxpb.TensorProto{Dims: t.Dims, DataType: ptr(int32(t.DataType))}
	if t.Name != "" {
		p.Name = ptr(t.Name)
	}
	p.RawData = t.raw()
	return p, nil
}

// halfToFloat converts a FLOAT16 (IEEE binary16) or BFLOAT16 bit pattern.
func halfToFloat(dt DataType, h uint16) float32 {
	if dt == BFloat16 {
		return math.Float32frombits(uint32(h) << 16)
	}
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h & 0x3ff)
	switch exp {
	case 0: // zero or subnormal: mant · 2^-24
		f := float32(mant) / (1 << 24)
		return math.Float32frombits(sign | math.Float32bits(f))
	case 0x1f: // infinity or NaN
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
}

// floatToHalf converts to the FLOAT16 or BFLOAT16 bit pattern nearest f,
// ties to even.
func floatToHalf(dt DataType, f float32) uint16 {
	b := math.Float32bits(f)
	if dt == BFloat16 {
		if f != f { // NaN: keep it a NaN
			return uint16(b>>16) | 0x40
		}
		return uint16((b + 0x7fff + (b>>16)&1) >> 16)
	}
	sign := uint16(b>>16) & 0x8000
	exp := int(b>>23) & 0xff
	mant := b & 0x7fffff
	if exp == 0xff {
		if mant != 0 {
			return sign | 0x7e00
		}
		return sign | 0x7c00
	}
	e := exp - 127 + 15
	if e >= 0x1f {
		return sign | 0x7c00
	}
	shift := uint(13)
	if e <= 0 { // subnormal in binary16
		if e < -10 {
			return sign
		}
		mant |= 0x800000
		shift = uint(14 - e)
		e = 0
	}
	h := uint32(e)<<10 | mant>>shift
	rem, half := mant&(1<<shift-1), uint32(1)<<(shift-1)
	if rem > half || (rem == half && h&1 == 1) {
		h++ // may carry into the exponent, as rounding should
	}
	return sign | uint16(h)
}

func ptr[T any](v T) *T { return &v }
