package workload

import (
	"fmt"

	"github.com/nnergy/nnergy/internal/enum"
	"github.com/nnergy/nnergy/sparse"
)

// Kind says which constructor built a layer; the loop nest itself is fully
// described by the shape and projections.
type Kind uint8

// Layer kinds.
const (
	Conv Kind = iota
	Depthwise
	Pointwise
	FC
	GEMM
	MatMul
)

var kindNames = enum.New[Kind]("workload", "layer kind", "conv", "depthwise", "pointwise", "fc", "gemm", "matmul")

// String returns the kind's name as used in YAML and tables.
func (k Kind) String() string { return kindNames.String(k) }

// ParseKind returns the kind named s.
func ParseKind(s string) (Kind, error) { return kindNames.Parse(s) }

// Layer is one loop nest: the bounds of the eight dimensions, the
// projections of its three tensors, and per-tensor word width and density.
//
// Convolution indexing (einsum form):
//
//	Weights[G,M,C,R,S]  Inputs[N,G,C, P·Sh+R·Dh, Q·Sw+S·Dw]  Outputs[N,G,M,P,Q]
//
// The input extent includes any zero padding: P and Q are the output size,
// and the padded input is (P−1)·Sh + (R−1)·Dh + 1 rows.
type Layer struct {
	Name     string
	Kind     Kind
	Shape    Shape
	Stride   [2]int // vertical, horizontal
	Dilation [2]int // vertical, horizontal
	// Padding is informational (top, bottom, left, right, in input pixels);
	// the loop nest already covers the padded input.
	Padding [4]int
	// Bits is the word width of each tensor in bits (default 16).
	Bits [NumTensors]int
	// Density is the fraction of nonzero values of each tensor (default 1).
	Density [NumTensors]float64
	// Measured holds, when known, the real values of a tensor in the order
	// of its projection's ranks (Weights as G, M, C, R, S): the cost model
	// then measures the nonzeros and compressed size of every tile instead
	// of assuming zeros spread uniformly at Density.
	Measured [NumTensors]*sparse.Measured
	// From names the layers whose outputs feed this layer (graph edges);
	// empty for a layer fed by the network input.
	From []string
	// SharesWeights names the earlier layer whose Weights this layer reads
	// (every step of a recurrent node reads its first step's): they are
	// stored once, so they count once in Params. The cost model still
	// moves them for every layer that reads them.
	SharesWeights string

	proj [NumTensors]Projection
}

// ConvSpec gives the parameters of a convolution in the usual framework
// terms; NewConv turns it into a loop nest.
type ConvSpec struct {
	Name             string
	Batch            int // N (default 1)
	InC, OutC        int // total input and output channels
	InH, InW         int // input height and width, without padding
	KH, KW           int // kernel height and width
	StrideH, StrideW int // default 1
	PadT, PadB       int // zero padding, rows
	PadL, PadR       int // zero padding, columns
	DilationH, DilW  int // default 1
	Groups           int // default 1
}

func or1(v int) int {
	if v == 0 {
		return 1
	}
	return v
}

// NewConv builds a (possibly grouped) convolution. Output size follows the
// usual floor((in + pads − dilation·(k−1) − 1)/stride) + 1 rule.
func NewConv(c ConvSpec) (*Layer, error) {
	g := or1(c.Groups)
	sh, sw := or1(c.StrideH), or1(c.StrideW)
	dh, dw := or1(c.DilationH), or1(c.DilW)
	if c.InC <= 0 || c.OutC <= 0 || c.InH <= 0 || c.InW <= 0 || c.KH <= 0 || c.KW <= 0 {
		return nil, fmt.Errorf("workload: layer %q: channels, input size and kernel size must be positive", c.Name)
	}
	for _, v := range []struct {
		what string
		v    int
	}{
		{"the batch", c.Batch}, {"the input channels", c.InC}, {"the output channels", c.OutC},
		{"the input height", c.InH}, {"the input width", c.InW}, {"the kernel height", c.KH}, {"the kernel width", c.KW},
		{"the row stride", sh}, {"the column stride", sw}, {"the row dilation", dh}, {"the column dilation", dw}, {"the groups", g},
		{"the top padding", c.PadT}, {"the bottom padding", c.PadB}, {"the left padding", c.PadL}, {"the right padding", c.PadR},
	} {
		if err := checkBound(c.Name, v.what, v.v); err != nil {
			return nil, err
		}
	}
	if c.InC%g != 0 || c.OutC%g != 0 {
		return nil, fmt.Errorf("workload: layer %q: %d input and %d output channels are not divisible by %d groups", c.Name, c.InC, c.OutC, g)
	}
	// Every term is at most MaxBound, so only the dilated kernel spans
	// can overflow; one above MaxMACs does not fit any input.
	winH, okH := mulLimit(int64(dh), int64(c.KH-1))
	winW, okW := mulLimit(int64(dw), int64(c.KW-1))
	p := (c.InH+c.PadT+c.PadB-int(winH)-1)/sh + 1
	q := (c.InW+c.PadL+c.PadR-int(winW)-1)/sw + 1
	if !okH || !okW || p <= 0 || q <= 0 {
		return nil, fmt.Errorf("workload: layer %q: kernel %dx%d does not fit input %dx%d", c.Name, c.KH, c.KW, c.InH, c.InW)
	}
	l := &Layer{
		Name:     c.Name,
		Kind:     Conv,
		Shape:    Shape{N: or1(c.Batch), G: g, M: c.OutC / g, C: c.InC / g, P: p, Q: q, R: c.KH, S: c.KW},
		Stride:   [2]int{sh, sw},
		Dilation: [2]int{dh, dw},
		Padding:  [4]int{c.PadT, c.PadB, c.PadL, c.PadR},
	}
	switch {
	case g > 1 && c.InC == g && c.OutC%g == 0 && l.Shape[M] == 1:
		l.Kind = Depthwise
	case g == 1 && c.KH == 1 && c.KW == 1:
		l.Kind = Pointwise
	}
	l.init()
	if err := l.checkSize(); err != nil {
		return nil, err
	}
	return l, nil
}

// NewLayer builds a layer directly from its loop bounds, strides and
// dilations (all convolution-shaped). It is the form YAML workloads use.
func NewLayer(name string, kind Kind, shape Shape, stride, dilation [2]int) (*Layer, error) {
	for d, v := range shape {
		if v <= 0 {
			return nil, fmt.Errorf("workload: layer %q: bound of %s is %d, want a positive integer", name, Dim(d), v)
		}
	}
	for i := range 2 {
		if stride[i] <= 0 || dilation[i] <= 0 {
			return nil, fmt.Errorf("workload: layer %q: strides and dilations must be positive", name)
		}
	}
	l := &Layer{Name: name, Kind: kind, Shape: shape, Stride: stride, Dilation: dilation}
	l.init()
	if err := l.checkSize(); err != nil {
		return nil, err
	}
	return l, nil
}

// NewFC builds a fully connected layer: in features to out features at the
// given batch size (N = batch, C = in, M = out).
func NewFC(name string, batch, in, out int) (*Layer, error) {
	l, err := NewLayer(name, FC, Shape{N: or1(batch), G: 1, M: out, C: in, P: 1, Q: 1, R: 1, S: 1}, [2]int{1, 1}, [2]int{1, 1})
	return l, err
}

// NewGEMM builds Outputs[rows, cols] = Inputs[rows, inner] × Weights[inner, cols]
// with rows on P, inner on C and cols on M.
func NewGEMM(name string, rows, inner, cols int) (*Layer, error) {
	l, err := NewLayer(name, GEMM, Shape{N: 1, G: 1, M: cols, C: inner, P: rows, Q: 1, R: 1, S: 1}, [2]int{1, 1}, [2]int{1, 1})
	return l, err
}

// NewMatMul builds a batched matrix product over batch×heads independent
// products (N = batch, G = heads), each rows×inner times inner×cols; both
// operands may be activations (attention), the second one is named Weights.
func NewMatMul(name string, batch, heads, rows, inner, cols int) (*Layer, error) {
	l, err := NewLayer(name, MatMul, Shape{N: or1(batch), G: or1(heads), M: cols, C: inner, P: rows, Q: 1, R: 1, S: 1}, [2]int{1, 1}, [2]int{1, 1})
	return l, err
}

func (l *Layer) init() {
	for t := range l.Bits {
		if l.Bits[t] == 0 {
			l.Bits[t] = 16
		}
		if l.Density[t] == 0 {
			l.Density[t] = 1
		}
	}
	one := func(d Dim) Rank { return Rank{Terms: [MaxTerms]Term{{d, 1}}, Len: 1} }
	two := func(a Dim, ca int, b Dim, cb int) Rank {
		return Rank{Terms: [MaxTerms]Term{{a, ca}, {b, cb}}, Len: 2}
	}
	l.proj[Weights] = Projection{Ranks: [MaxRanks]Rank{one(G), one(M), one(C), one(R), one(S)}, Len: 5}
	if l.Kind == MatMul {
		// Both operands of a batched matmul are activations: the second
		// one has its own copy per batch element.
		l.proj[Weights] = Projection{Ranks: [MaxRanks]Rank{one(N), one(G), one(M), one(C)}, Len: 4}
	}
	l.proj[Inputs] = Projection{Ranks: [MaxRanks]Rank{one(N), one(G), one(C),
		two(P, l.Stride[0], R, l.Dilation[0]), two(Q, l.Stride[1], S, l.Dilation[1])}, Len: 5}
	l.proj[Outputs] = Projection{Ranks: [MaxRanks]Rank{one(N), one(G), one(M), one(P), one(Q)}, Len: 5}
	for t := range l.proj {
		l.proj[t].mask()
	}
}

// Projection returns the projection of tensor t. The returned value must not
// be modified.
func (l *Layer) Projection(t Tensor) *Projection {
	if l.proj[Weights].Len == 0 {
		l.init()
	}
	return &l.proj[t]
}

// Relevant reports whether dimension d indexes tensor t.
func (l *Layer) Relevant(t Tensor, d Dim) bool { return l.Projection(t).Relevant(d) }

// MACs returns the number of multiply-accumulates of the layer.
func (l *Layer) MACs() int64 { return l.Shape.Product() }

// Size returns the number of words of tensor t (inputs including padding).
func (l *Layer) Size(t Tensor) int64 { return l.Projection(t).Size(&l.Shape) }

// InputHW returns the padded input height and width.
func (l *Layer) InputHW() (h, w int) {
	h = (l.Shape[P]-1)*l.Stride[0] + (l.Shape[R]-1)*l.Dilation[0] + 1
	w = (l.Shape[Q]-1)*l.Stride[1] + (l.Shape[S]-1)*l.Dilation[1] + 1
	return h, w
}

// ShapeKey identifies layers with identical loop nests (name excluded), so
// that results can be cached per unique shape.
type ShapeKey struct {
	Shape    Shape
	Stride   [2]int
	Dilation [2]int
	Bits     [NumTensors]int
	Density  [NumTensors]float64
	Measured [NumTensors]*sparse.Measured
}

// Key returns the layer's shape key.
func (l *Layer) Key() ShapeKey {
	return ShapeKey{l.Shape, l.Stride, l.Dilation, l.Bits, l.Density, l.Measured}
}

// WithBatch returns a copy of l with batch size n.
func (l *Layer) WithBatch(n int) *Layer {
	c := *l
	c.From = append([]string(nil), l.From...)
	if n != l.Shape[N] {
		// Measured activations belong to the old batch.
		c.Measured[Inputs], c.Measured[Outputs] = nil, nil
	}
	c.Shape[N] = n
	return &c
}

// Validate checks the layer's invariants.
func (l *Layer) Validate() error {
	for d, v := range l.Shape {
		if v <= 0 {
			return fmt.Errorf("workload: layer %q: bound of %s is %d, want a positive integer", l.Name, Dim(d), v)
		}
	}
	for i := range 2 {
		if l.Stride[i] <= 0 || l.Dilation[i] <= 0 {
			return fmt.Errorf("workload: layer %q: strides and dilations must be positive", l.Name)
		}
	}
	if err := l.checkSize(); err != nil {
		return err
	}
	for t := range NumTensors {
		if m := l.Measured[t]; m != nil {
			if got, want := int64(len(m.Tensor().Values)), l.Size(t); got != want && t == Weights {
				return fmt.Errorf("workload: layer %q: measured %s hold %d values, the layer has %d", l.Name, t, got, want)
			}
		}
		if l.Bits[t] <= 0 || l.Bits[t] > 64 {
			return fmt.Errorf("workload: layer %q: %s word width %d bits out of range 1..64", l.Name, t, l.Bits[t])
		}
		if l.Density[t] <= 0 || l.Density[t] > 1 {
			return fmt.Errorf("workload: layer %q: %s density %g out of range (0, 1]", l.Name, t, l.Density[t])
		}
	}
	return nil
}
