package nn

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"slices"

	"github.com/nnergy/nnergy/internal/outfile"
)

// The native model file (.nnw):
//
//	magic    "NNERGYNN"
//	version  uint32, little endian (FormatVersion)
//	hlen     uint32: length of the header
//	header   JSON: input name and shape, output, and per node its name,
//	         kind, inputs, attributes and parameter shapes
//	blobs    per node in order, per parameter: the values as little-endian
//	         float32, then, if the header says it is masked, one byte per
//	         value (1 keeps); batch norm then stores its running mean and
//	         variance as float32
//	crc      uint32: CRC-32 (IEEE) of everything before it
//
// A reader refuses other magic numbers, newer versions, unknown kinds and
// a bad checksum.
//
// Version 2 adds the cbc kind (a partial channel-level bypass, [CBC]) and
// its attribute computed. Save writes version 1 when the model has no cbc
// node, so that builds reading only version 1 still read it; a version 1
// file with a cbc node is refused.
const (
	fileMagic = "NNERGYNN"
	// FormatVersion is the newest version of the native model format,
	// the one Save writes for a model with a [CBC] node.
	FormatVersion = 2
)

type fileModel struct {
	Input   string     `json:"input"`
	InShape []int      `json:"in_shape"`
	Output  string     `json:"output,omitempty"`
	Nodes   []fileNode `json:"nodes"`
}

type fileParam struct {
	Shape  []int `json:"shape"`
	Masked bool  `json:"masked,omitempty"`
}

type fileNode struct {
	Name     string      `json:"name"`
	Kind     string      `json:"kind"`
	Inputs   []string    `json:"inputs"`
	InC      int         `json:"in_c,omitempty"`
	OutC     int         `json:"out_c,omitempty"`
	Kernel   *[2]int     `json:"kernel,omitempty"`
	Stride   *[2]int     `json:"stride,omitempty"`
	Pad      *[4]int     `json:"pad,omitempty"`
	Dilation *[2]int     `json:"dilation,omitempty"`
	Groups   int         `json:"groups,omitempty"`
	Bias     bool        `json:"bias,omitempty"`
	In       int         `json:"in,omitempty"`
	Out      int         `json:"out,omitempty"`
	Cap      float32     `json:"cap,omitempty"`
	Ceil     bool        `json:"ceil,omitempty"`
	CountPad bool        `json:"count_pad,omitempty"`
	C        int         `json:"c,omitempty"`
	Eps      float32     `json:"eps,omitempty"`
	Momentum float32     `json:"momentum,omitempty"`
	Rate     float32     `json:"rate,omitempty"`
	Func     string      `json:"func,omitempty"`
	Alpha    float32     `json:"alpha,omitempty"`
	Beta     float32     `json:"beta,omitempty"`
	Op       string      `json:"op,omitempty"`
	Const    *[]int      `json:"const,omitempty"` // shape of a Binary's constant`
	Left     bool        `json:"const_left,omitempty"`
	Frozen   bool        `json:"frozen,omitempty"`
	Axis     int         `json:"axis,omitempty"`
	Log      bool        `json:"log,omitempty"`
	InShape  []int       `json:"in_shape,omitempty"`
	Perm     []int       `json:"perm,omitempty"`
	OutShape []int       `json:"out_shape,omitempty"`
	Start    int         `json:"start,omitempty"`
	End      int         `json:"end,omitempty"`
	Axes     []int       `json:"axes,omitempty"`
	Keep     bool        `json:"keep,omitempty"`
	Norm     []int       `json:"norm,omitempty"`
	Pads     []int       `json:"pads,omitempty"`
	Value    float32     `json:"value,omitempty"`
	Computed int         `json:"computed,omitempty"` // a cbc's Keep (version 2)
	Params   []fileParam `json:"params,omitempty"`
}

// Save writes m in the native format.
func Save(w io.Writer, m *Model) error {
	if err := m.Check(); err != nil {
		return err
	}
	fm := fileModel{Input: m.Input, InShape: m.InShape, Output: m.Output}
	version := 1
	var blob bytes.Buffer
	for _, n := range m.Nodes {
		fn := fileNode{Name: n.Name, Kind: n.Layer.Kind().String(), Inputs: n.Inputs}
		switch l := n.Layer.(type) {
		case *Conv:
			fn.InC, fn.OutC, fn.Kernel, fn.Stride, fn.Pad, fn.Dilation, fn.Groups, fn.Bias =
				l.InC, l.OutC, &l.Kernel, &l.Stride, &l.Pad, &l.Dilation, l.Groups, l.Bias != nil
		case *Linear:
			fn.In, fn.Out, fn.Bias = l.In, l.Out, l.Bias != nil
		case *ReLU:
			fn.Cap = l.Cap
		case *MaxPool:
			fn.Kernel, fn.Stride, fn.Pad, fn.Ceil = &l.Kernel, &l.Stride, &l.Pad, l.Ceil
		case *AvgPool:
			fn.Kernel, fn.Stride, fn.Pad, fn.Ceil, fn.CountPad = &l.Kernel, &l.Stride, &l.Pad, l.Ceil, l.CountPad
		case *BatchNorm:
			fn.C, fn.Eps, fn.Momentum = l.C, l.Eps, l.Momentum
		case *Dropout:
			fn.Rate = l.Rate
		case *Act:
			fn.Func, fn.Alpha, fn.Beta = l.Func.String(), l.Alpha, l.Beta
		case *Softmax:
			fn.Axis, fn.Log = l.Axis, l.Log
		case *Permute:
			fn.InShape, fn.Perm, fn.OutShape = l.In, l.Perm, l.Out
		case *Slice:
			fn.Axis, fn.Start, fn.End = l.Axis, l.Start, l.End
		case *ReduceMean:
			fn.Axes, fn.Keep = l.Axes, l.Keep
		case *LayerNorm:
			fn.Eps, fn.Norm, fn.Bias = l.Eps, l.Scale.Shape, l.Bias != nil
		case *Pad:
			fn.Pads, fn.Value = l.Pads, l.Value
		case *CBC:
			fn.Computed = l.Keep
			version = 2
		case *Binary:
			fn.Op, fn.Left, fn.Frozen = l.Op.String(), l.ConstLeft, l.Frozen
			if l.Const != nil {
				shape := slices.Clone(l.Const.Shape)
				if shape == nil {
					shape = []int{}
				}
				fn.Const = &shape
			}
		}
		for _, p := range n.Layer.Params() {
			fn.Params = append(fn.Params, fileParam{Shape: p.Shape, Masked: p.Mask != nil})
			writeFloats(&blob, p.Data)
			if p.Mask != nil {
				for _, k := range p.Mask {
					blob.WriteByte(b2u(k))
				}
			}
		}
		if bn, ok := n.Layer.(*BatchNorm); ok {
			writeFloats(&blob, bn.Mean)
			writeFloats(&blob, bn.Var)
		}
		if b, ok := n.Layer.(*Binary); ok && b.Const != nil && b.Frozen {
			writeFloats(&blob, b.Const.Data)
		}
		fm.Nodes = append(fm.Nodes, fn)
	}
	header, err := json.Marshal(fm)
	if err != nil {
		return fmt.Errorf("nn: save: %w", err)
	}
	var out bytes.Buffer
	out.WriteString(fileMagic)
	binary.Write(&out, binary.LittleEndian, uint32(version))
	binary.Write(&out, binary.LittleEndian, uint32(len(header)))
	out.Write(header)
	out.Write(blob.Bytes())
	binary.Write(&out, binary.LittleEndian, crc32.ChecksumIEEE(out.Bytes()))
	if _, err := w.Write(out.Bytes()); err != nil {
		return fmt.Errorf("nn: save: %w", err)
	}
	return nil
}

func b2u(b bool) byte {
	if b {
		return 1
	}
	return 0
}

func writeFloats(w *bytes.Buffer, v []float32) {
	var b [4]byte
	for _, x := range v {
		binary.LittleEndian.PutUint32(b[:], math.Float32bits(x))
		w.Write(b[:])
	}
}

// SaveFile writes m to a file in the native format, through a temporary
// file renamed over path, so that a failed save leaves path as it was.
func SaveFile(path string, m *Model) error {
	var saveErr error
	err := outfile.Write(path, func(w io.Writer) error { saveErr = Save(w, m); return saveErr })
	if err != nil && err != saveErr {
		return fmt.Errorf("nn: %w", err)
	}
	return err
}

// ErrFormat is wrapped by every error about a malformed model file.
var ErrFormat = errors.New("not an nnergy model file")

// Load reads a model written by Save.
func Load(r io.Reader) (*Model, error) {
	all, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("nn: load: %w", err)
	}
	bad := func(format string, a ...any) error {
		return fmt.Errorf("nn: load: %w: %s", ErrFormat, fmt.Sprintf(format, a...))
	}
	if len(all) < len(fileMagic)+12 || string(all[:len(fileMagic)]) != fileMagic {
		return nil, bad("bad magic")
	}
	body, sum := all[:len(all)-4], binary.LittleEndian.Uint32(all[len(all)-4:])
	version := binary.LittleEndian.Uint32(all[8:])
	if version == 0 || version > FormatVersion {
		return nil, bad("version %d (this build reads up to %d)", version, FormatVersion)
	}
	if crc32.ChecksumIEEE(body) != sum {
		return nil, bad("checksum mismatch (truncated or corrupt)")
	}
	hlen := int(binary.LittleEndian.Uint32(all[12:]))
	if 16+hlen > len(body) {
		return nil, bad("header length %d", hlen)
	}
	var fm fileModel
	dec := json.NewDecoder(bytes.NewReader(body[16 : 16+hlen]))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&fm); err != nil {
		return nil, bad("header: %v", err)
	}
	blob := body[16+hlen:]
	floats := func(n int) ([]float32, error) {
		if n < 0 || 4*n > len(blob) {
			return nil, bad("data ends early")
		}
		v := make([]float32, n)
		for i := range v {
			v[i] = math.Float32frombits(binary.LittleEndian.Uint32(blob[4*i:]))
		}
		blob = blob[4*n:]
		return v, nil
	}
	m := &Model{Input: fm.Input, InShape: fm.InShape, Output: fm.Output}
	for _, fn := range fm.Nodes {
		if fn.Kind == "cbc" && version < 2 {
			return nil, bad("node %q: kind cbc in a version %d file (cbc needs version 2)", fn.Name, version)
		}
		l, err := layerFromFile(fn, len(blob)/4)
		if err != nil {
			return nil, bad("node %q: %v", fn.Name, err)
		}
		params := l.Params()
		if len(params) != len(fn.Params) {
			return nil, bad("node %q: %d parameters, want %d", fn.Name, len(fn.Params), len(params))
		}
		for i, p := range params {
			if !slices.Equal(p.Shape, fn.Params[i].Shape) {
				return nil, bad("node %q: parameter %d shape %v, want %v", fn.Name, i, fn.Params[i].Shape, p.Shape)
			}
			v, err := floats(p.Len())
			if err != nil {
				return nil, err
			}
			copy(p.Data, v)
			if fn.Params[i].Masked {
				if len(blob) < p.Len() {
					return nil, bad("data ends early")
				}
				p.Mask = make([]bool, p.Len())
				for k := range p.Mask {
					p.Mask[k] = blob[k] != 0
				}
				blob = blob[p.Len():]
			}
		}
		if bn, ok := l.(*BatchNorm); ok {
			if bn.Mean, err = floats(bn.C); err != nil {
				return nil, err
			}
			if bn.Var, err = floats(bn.C); err != nil {
				return nil, err
			}
		}
		if b, ok := l.(*Binary); ok && b.Const != nil && b.Frozen {
			v, err := floats(b.Const.Len())
			if err != nil {
				return nil, err
			}
			copy(b.Const.Data, v)
		}
		m.Nodes = append(m.Nodes, &Node{Name: fn.Name, Layer: l, Inputs: fn.Inputs})
	}
	if len(blob) != 0 {
		return nil, bad("%d bytes after the last node", len(blob))
	}
	if err := m.Check(); err != nil {
		return nil, fmt.Errorf("nn: load: %w", err)
	}
	return m, nil
}

// LoadFile reads a model file written by Save or SaveFile.
func LoadFile(path string) (*Model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("nn: %w", err)
	}
	defer f.Close()
	m, err := Load(bufio.NewReader(f))
	if err != nil {
		return nil, fmt.Errorf("%w (%s)", err, path)
	}
	return m, nil
}

func deref2(p *[2]int) [2]int {
	if p == nil {
		return [2]int{}
	}
	return *p
}

func deref4(p *[4]int) [4]int {
	if p == nil {
		return [4]int{}
	}
	return *p
}

// layerFromFile builds a layer with allocated, zero parameters of the
// shapes its attributes imply.
// fits reports whether dims, all at least 1, multiply to at most limit,
// without overflowing.
func fits(limit int, dims ...int) bool {
	n := 1
	for _, d := range dims {
		if d < 1 || d > limit/n {
			return false
		}
		n *= d
	}
	return true
}

// layerFromFile returns the layer a node of the file describes, with
// parameters of at most limit values each: the values left in the file, so
// that a short file claiming huge layers is refused before they are
// allocated.
func layerFromFile(fn fileNode, limit int) (Layer, error) {
	if fn.C < 0 || fn.InC < 0 || fn.OutC < 0 || fn.In < 0 || fn.Out < 0 || fn.Groups < 0 {
		return nil, errors.New("negative size")
	}
	switch fn.Kind {
	case "conv":
		c := &Conv{InC: fn.InC, OutC: fn.OutC, Kernel: deref2(fn.Kernel), Stride: deref2(fn.Stride),
			Pad: deref4(fn.Pad), Dilation: deref2(fn.Dilation), Groups: fn.Groups}
		g := one(c.Groups)
		if c.InC%g != 0 || !fits(limit, c.OutC, c.InC/g, c.Kernel[0], c.Kernel[1]) {
			return nil, fmt.Errorf("bad conv geometry, or more weights than the file holds")
		}
		c.Weight = NewParam(nil, c.OutC, c.InC/g, c.Kernel[0], c.Kernel[1])
		if fn.Bias {
			c.Bias = NewParam(nil, c.OutC)
		}
		return c, nil
	case "linear":
		if !fits(limit, fn.In, fn.Out) {
			return nil, fmt.Errorf("bad linear size, or more weights than the file holds")
		}
		l := &Linear{In: fn.In, Out: fn.Out, Weight: NewParam(nil, fn.Out, fn.In)}
		if fn.Bias {
			l.Bias = NewParam(nil, fn.Out)
		}
		return l, nil
	case "relu":
		return &ReLU{Cap: fn.Cap}, nil
	case "maxpool":
		return &MaxPool{Kernel: deref2(fn.Kernel), Stride: deref2(fn.Stride), Pad: deref4(fn.Pad), Ceil: fn.Ceil}, nil
	case "avgpool":
		return &AvgPool{Kernel: deref2(fn.Kernel), Stride: deref2(fn.Stride), Pad: deref4(fn.Pad), Ceil: fn.Ceil, CountPad: fn.CountPad}, nil
	case "globalavgpool":
		return &GlobalAvgPool{}, nil
	case "batchnorm":
		if fn.C > limit/4 {
			return nil, fmt.Errorf("bad batchnorm size, or more values than the file holds")
		}
		b := NewBatchNorm(fn.C)
		b.Eps, b.Momentum = fn.Eps, fn.Momentum
		return b, nil
	case "add":
		return &Add{}, nil
	case "concat":
		return &Concat{}, nil
	case "flatten":
		return &Flatten{}, nil
	case "dropout":
		return &Dropout{Rate: fn.Rate}, nil
	case "act":
		f, err := ParseFunc(fn.Func)
		if err != nil {
			return nil, err
		}
		return &Act{Func: f, Alpha: fn.Alpha, Beta: fn.Beta}, nil
	case "softmax":
		return &Softmax{Axis: fn.Axis, Log: fn.Log}, nil
	case "permute":
		return &Permute{In: fn.InShape, Perm: fn.Perm, Out: fn.OutShape}, nil
	case "slice":
		return &Slice{Axis: fn.Axis, Start: fn.Start, End: fn.End}, nil
	case "reducemean":
		return &ReduceMean{Axes: fn.Axes, Keep: fn.Keep}, nil
	case "matmul":
		return &MatMul{}, nil
	case "pad":
		return &Pad{Pads: fn.Pads, Value: fn.Value}, nil
	case "cbc":
		return &CBC{Keep: fn.Computed}, nil
	case "layernorm":
		size := 1
		for _, d := range fn.Norm {
			if d < 1 || d > limit/size {
				return nil, fmt.Errorf("bad layernorm shape %v, or more values than the file holds", fn.Norm)
			}
			size *= d
		}
		l := &LayerNorm{Axes: len(fn.Norm), Eps: fn.Eps, Scale: NewParam(nil, fn.Norm...)}
		if fn.Bias {
			l.Bias = NewParam(nil, fn.Norm...)
		}
		return l, nil
	case "binary":
		op, err := ParseOp(fn.Op)
		if err != nil {
			return nil, err
		}
		b := &Binary{Op: op, ConstLeft: fn.Left, Frozen: fn.Frozen}
		if fn.Const != nil {
			shape := *fn.Const
			size := 1
			for _, d := range shape {
				if d < 1 || d > limit/size {
					return nil, fmt.Errorf("bad constant shape %v, or more values than the file holds", shape)
				}
				size *= d
			}
			b.Const = NewParam(nil, shape...)
		}
		return b, nil
	}
	return nil, fmt.Errorf("unknown kind %q", fn.Kind)
}

// Digest returns the hex SHA-256 of m as Save writes it: its graph and
// weights. Runs record it to tell models apart.
func Digest(m *Model) (string, error) {
	h := sha256.New()
	if err := Save(h, m); err != nil {
		return "", fmt.Errorf("nn: digest of the model: %v", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
