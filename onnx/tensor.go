package onnx

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/nnergy/nnergy/internal/onnxpb"
)

// DataType is the element type of a tensor, numbered as in onnx.proto
// (TensorProto.DataType).
type DataType int32

// The ONNX element types. Tensor data can be held for Float, Int64, Int32
// and Bool; the other types may appear in value infos only.
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

// Tensor is a dense tensor with its data: an initializer, or the value of a
// Constant node or of a tensor attribute. Data is held in Floats for type
// Float and in Ints for Int64, Int32 and Bool (0 or 1).
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
	var have int
	switch t.DataType {
	case Float:
		have = len(t.Floats)
		if len(t.Ints) != 0 {
			return fmt.Errorf("FLOAT tensor holds integer data")
		}
	case Int64, Int32, Bool:
		have = len(t.Ints)
		if len(t.Floats) != 0 {
			return fmt.Errorf("%s tensor holds float data", t.DataType)
		}
	default:
		return unsupportedType(t.DataType)
	}
	if int64(have) != n {
		return fmt.Errorf("dimensions %v need %d values, have %d", t.Dims, n, have)
	}
	return nil
}

func unsupportedType(dt DataType) error {
	return fmt.Errorf("data type %s is not supported (supported: FLOAT, INT64, INT32, BOOL)", dt)
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

// tensorFromProto converts a TensorProto, reading raw_data or the typed
// fields.
func tensorFromProto(p *onnxpb.TensorProto) (*Tensor, error) {
	t := &Tensor{Name: p.GetName(), DataType: DataType(p.GetDataType()), Dims: p.GetDims()}
	if t.Dims == nil {
		t.Dims = []int64{}
	}
	if p.GetDataLocation() == onnxpb.TensorProto_EXTERNAL || len(p.GetExternalData()) > 0 {
		return nil, fmt.Errorf("data is stored in an external file, which is not supported")
	}
	if p.GetSegment() != nil {
		return nil, fmt.Errorf("segmented tensors are not supported")
	}
	n := t.Len()
	if n < 0 {
		return nil, fmt.Errorf("dimensions %v are negative or too large", t.Dims)
	}
	raw := p.GetRawData()
	hasRaw := p.RawData != nil
	rawLen := func(size int) error {
		if int64(len(raw)) != n*int64(size) {
			return fmt.Errorf("dimensions %v need %d bytes of raw_data, have %d", t.Dims, n*int64(size), len(raw))
		}
		return nil
	}
	switch t.DataType {
	case Float:
		if hasRaw {
			if err := rawLen(4); err != nil {
				return nil, err
			}
			t.Floats = make([]float32, n)
			for i := range t.Floats {
				t.Floats[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
			}
		} else {
			t.Floats = p.GetFloatData()
		}
	case Int64:
		if hasRaw {
			if err := rawLen(8); err != nil {
				return nil, err
			}
			t.Ints = make([]int64, n)
			for i := range t.Ints {
				t.Ints[i] = int64(binary.LittleEndian.Uint64(raw[8*i:]))
			}
		} else {
			t.Ints = p.GetInt64Data()
		}
	case Int32, Bool:
		size := 4
		if t.DataType == Bool {
			size = 1
		}
		if hasRaw {
			if err := rawLen(size); err != nil {
				return nil, err
			}
			t.Ints = make([]int64, n)
			for i := range t.Ints {
				if size == 1 {
					t.Ints[i] = int64(raw[i])
				} else {
					t.Ints[i] = int64(int32(binary.LittleEndian.Uint32(raw[4*i:])))
				}
			}
		} else {
			d := p.GetInt32Data()
			t.Ints = make([]int64, len(d))
			for i, v := range d {
				t.Ints[i] = int64(v)
			}
		}
	default:
		return nil, unsupportedType(t.DataType)
	}
	if t.Floats == nil && t.DataType == Float {
		t.Floats = []float32{}
	}
	if t.Ints == nil && t.DataType != Float {
		t.Ints = []int64{}
	}
	if err := t.check(); err != nil {
		return nil, err
	}
	return t, nil
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
	var raw []byte
	switch t.DataType {
	case Float:
		raw = make([]byte, 4*len(t.Floats))
		for i, v := range t.Floats {
			binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
		}
	case Int64:
		raw = make([]byte, 8*len(t.Ints))
		for i, v := range t.Ints {
			binary.LittleEndian.PutUint64(raw[8*i:], uint64(v))
		}
	case Int32:
		raw = make([]byte, 4*len(t.Ints))
		for i, v := range t.Ints {
			binary.LittleEndian.PutUint32(raw[4*i:], uint32(int32(v)))
		}
	case Bool:
		raw = make([]byte, len(t.Ints))
		for i, v := range t.Ints {
			if v != 0 {
				raw[i] = 1
			}
		}
	}
	p.RawData = raw
	return p, nil
}

func ptr[T any](v T) *T { return &v }
