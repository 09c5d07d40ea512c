package onnx

import (
	"bufio"
	"errors"
	"fmt"
	"io"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/nnergy/nnergy/internal/onnxpb"
)

// A decoder reads a ModelProto from a stream without holding the encoded
// model in memory: the initializers' raw_data goes straight from the
// stream into the tensors' typed slices, a chunk at a time, and only the
// rest of the model (nodes, value infos, metadata: small) is decoded by
// the protobuf library. Peak memory is then about the size of the decoded
// tensors, instead of the file plus protobuf's copy of every raw_data plus
// the decoded tensors.
type decoder struct {
	r   *bufio.Reader
	off int64 // bytes consumed
	ext *externalFiles
}

// Field numbers of onnx.proto that the decoder streams.
const (
	modelGraph       = 7 // ModelProto.graph
	graphInitializer = 5 // GraphProto.initializer
	tensorDims       = 1 // TensorProto.dims
	tensorDataType   = 2 // TensorProto.data_type
	tensorRawData    = 9 // TensorProto.raw_data
)

// maxBuffered is the largest field the decoder reads into memory as bytes
// (everything but raw_data, which streams): no ONNX node or value info
// comes near it.
const maxBuffered = 1 << 30

// errMalformed marks wire-format errors; parse reports them as "not an
// ONNX model, or truncated".
type errMalformed struct{ msg string }

func (e *errMalformed) Error() string { return e.msg }

func malformed(format string, args ...any) error {
	return &errMalformed{fmt.Sprintf(format, args...)}
}

func (d *decoder) byte() (byte, error) {
	b, err := d.r.ReadByte()
	if err != nil {
		return 0, d.readError(err)
	}
	d.off++
	return b, nil
}

func (d *decoder) varint() (uint64, error) {
	var v uint64
	for shift := uint(0); shift < 64; shift += 7 {
		b, err := d.byte()
		if err != nil {
			return 0, err
		}
		v |= uint64(b&0x7f) << shift
		if b < 0x80 {
			return v, nil
		}
	}
	return 0, malformed("varint overflows at byte %d", d.off)
}

// readError reports a failed read: the end of the data is a malformed
// (truncated) model, anything else an I/O error.
func (d *decoder) readError(err error) error {
	if err == nil || err == io.EOF || err == io.ErrUnexpectedEOF {
		return malformed("unexpected end of data at byte %d", d.off)
	}
	return err
}

// more reports whether the message that ends at end (-1: at the end of the
// stream) has more fields.
func (d *decoder) more(end int64) (bool, error) {
	if end >= 0 {
		if d.off > end {
			return false, malformed("field runs past the end of its message at byte %d", end)
		}
		return d.off < end, nil
	}
	_, err := d.r.Peek(1)
	if err == io.EOF {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, nil
}

// tag reads a field's tag.
func (d *decoder) tag() (protowire.Number, protowire.Type, error) {
	v, err := d.varint()
	if err != nil {
		return 0, 0, err
	}
	num, typ := protowire.DecodeTag(v)
	if num <= 0 {
		return 0, 0, malformed("invalid field number at byte %d", d.off)
	}
	return num, typ, nil
}

// length reads the length of a length-delimited field and checks that it
// fits in its message.
func (d *decoder) length(end int64) (int64, error) {
	v, err := d.varint()
	if err != nil {
		return 0, err
	}
	n := int64(v)
	if n < 0 || (end >= 0 && n > end-d.off) {
		return 0, malformed("field of %d bytes at byte %d runs past the end of its message", v, d.off)
	}
	return n, nil
}

// read reads n bytes.
func (d *decoder) read(n int64) ([]byte, error) {
	if n > maxBuffered {
		return nil, malformed("field of %d bytes at byte %d is too large", n, d.off)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(d.r, b); err != nil {
		return nil, d.readError(err)
	}
	d.off += n
	return b, nil
}

// copyField appends the field whose tag was just read to buf, for the
// protobuf library to decode.
func (d *decoder) copyField(buf []byte, num protowire.Number, typ protowire.Type, end int64) ([]byte, error) {
	buf = protowire.AppendTag(buf, num, typ)
	switch typ {
	case protowire.VarintType:
		v, err := d.varint()
		if err != nil {
			return nil, err
		}
		return protowire.AppendVarint(buf, v), nil
	case protowire.Fixed32Type, protowire.Fixed64Type:
		n := int64(4)
		if typ == protowire.Fixed64Type {
			n = 8
		}
		b, err := d.read(n)
		if err != nil {
			return nil, err
		}
		return append(buf, b...), nil
	case protowire.BytesType:
		n, err := d.length(end)
		if err != nil {
			return nil, err
		}
		b, err := d.read(n)
		if err != nil {
			return nil, err
		}
		return protowire.AppendBytes(buf, b), nil
	}
	return nil, malformed("unsupported wire type %d at byte %d", typ, d.off)
}

// model decodes a ModelProto that ends at end (-1: at the end of the stream).
func (d *decoder) model(end int64) (*onnxpb.ModelProto, []*Tensor, error) {
	var rest []byte
	var graph *onnxpb.GraphProto
	var inits []*Tensor
	for {
		ok, err := d.more(end)
		if err != nil || !ok {
			if err != nil {
				return nil, nil, err
			}
			break
		}
		num, typ, err := d.tag()
		if err != nil {
			return nil, nil, err
		}
		if num == modelGraph && typ == protowire.BytesType {
			if graph != nil {
				return nil, nil, errors.New("the model has two graphs")
			}
			n, err := d.length(end)
			if err != nil {
				return nil, nil, err
			}
			if graph, inits, err = d.graph(d.off + n); err != nil {
				return nil, nil, err
			}
			continue
		}
		if rest, err = d.copyField(rest, num, typ, end); err != nil {
			return nil, nil, err
		}
	}
	var p onnxpb.ModelProto
	if err := proto.Unmarshal(rest, &p); err != nil {
		return nil, nil, malformed("%v", err)
	}
	p.Graph = graph
	return &p, inits, nil
}

// graph decodes a GraphProto, streaming its initializers.
func (d *decoder) graph(end int64) (*onnxpb.GraphProto, []*Tensor, error) {
	var rest []byte
	var inits []*Tensor
	for {
		ok, err := d.more(end)
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			break
		}
		num, typ, err := d.tag()
		if err != nil {
			return nil, nil, err
		}
		if num == graphInitializer && typ == protowire.BytesType {
			n, err := d.length(end)
			if err != nil {
				return nil, nil, err
			}
			t, err := d.tensor(d.off + n)
			if err != nil {
				var tn *tensorError
				if errors.As(err, &tn) {
					if tn.name == "" {
						return nil, nil, fmt.Errorf("initializer %d: %w", len(inits), tn.err)
					}
					return nil, nil, fmt.Errorf("initializer %q: %w", tn.name, tn.err)
				}
				return nil, nil, err
			}
			inits = append(inits, t)
			continue
		}
		if rest, err = d.copyField(rest, num, typ, end); err != nil {
			return nil, nil, err
		}
	}
	var p onnxpb.GraphProto
	if err := proto.Unmarshal(rest, &p); err != nil {
		return nil, nil, malformed("%v", err)
	}
	return &p, inits, nil
}

// tensorError is an error about one tensor's content (not its encoding).
type tensorError struct {
	name string
	err  error
}

func (e *tensorError) Error() string { return e.err.Error() }

// tensor decodes a TensorProto. When dims and data_type come before
// raw_data, as every writer following onnx.proto's field order puts them,
// raw_data is converted as it is read; otherwise it is buffered and
// converted at the end.
func (d *decoder) tensor(end int64) (*Tensor, error) {
	var rest, raw []byte
	var streamed *Tensor
	for {
		ok, err := d.more(end)
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		num, typ, err := d.tag()
		if err != nil {
			return nil, err
		}
		if num == tensorRawData && typ == protowire.BytesType {
			if streamed != nil || raw != nil {
				return nil, malformed("raw_data given twice at byte %d", d.off)
			}
			n, err := d.length(end)
			if err != nil {
				return nil, err
			}
			var head onnxpb.TensorProto
			if err := proto.Unmarshal(rest, &head); err != nil {
				return nil, malformed("%v", err)
			}
			t, err := header(&head)
			if err != nil || external(&head) {
				// Let tensorFromProto report the problem with the whole tensor.
				if raw, err = d.read(n); err != nil {
					return nil, err
				}
				if raw == nil {
					raw = []byte{}
				}
				continue
			}
			if want := t.Len() * int64(t.DataType.size()); n != want {
				return nil, &tensorError{head.GetName(), fmt.Errorf("dimensions %v need %d bytes of raw_data, have %d", t.Dims, want, n)}
			}
			start := d.off
			lr := &io.LimitedReader{R: d.r, N: n}
			err = t.readRaw(lr, n, "raw_data")
			d.off = start + n - lr.N
			if err != nil { // the size is right: the data ends early, or reading failed
				return nil, d.readError(errors.Unwrap(err))
			}
			streamed = t
			continue
		}
		if streamed != nil && (num == tensorDims || num == tensorDataType) {
			return nil, malformed("dims or data_type after raw_data at byte %d are not supported", d.off)
		}
		if rest, err = d.copyField(rest, num, typ, end); err != nil {
			return nil, err
		}
	}
	var p onnxpb.TensorProto
	if err := proto.Unmarshal(rest, &p); err != nil {
		return nil, malformed("%v", err)
	}
	if streamed == nil {
		p.RawData = raw
		t, err := tensorFromProto(&p, d.ext)
		if err != nil {
			return nil, &tensorError{p.GetName(), err}
		}
		return t, nil
	}
	streamed.Name = p.GetName()
	if external(&p) {
		return nil, &tensorError{p.GetName(), errors.New("data is both in raw_data and in an external file")}
	}
	if err := streamed.check(); err != nil {
		return nil, &tensorError{p.GetName(), err}
	}
	return streamed, nil
}
