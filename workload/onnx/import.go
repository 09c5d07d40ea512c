package onnx

import (
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/nnergy/nnergy/onnx"
	"github.com/nnergy/nnergy/workload"
)

// ReadFile reads the ONNX model in file path and imports it (see Import).
func ReadFile(path string, batch int) (*workload.Network, error) {
	m, err := onnx.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Import(m, batch)
}

// Import converts the graph of m into a workload network at the given batch
// size (0 keeps the model's own batch, or 1 when it is symbolic).
//
// Conv, Gemm, MatMul and the other ops listed under Layers in the package
// documentation become layers, in graph order; every other supported op
// only carries shapes (and constant values, so that shape
// computations such as Shape→Gather→Concat→Reshape fold). Graph inputs must
// have static shapes, except dimension 0, the batch. A layer's From lists
// the layers whose outputs reach it through non-MAC ops, and its
// Density[workload.Weights] is the fraction of nonzeros of its weight
// initializer.
func Import(m *onnx.Model, batch int) (*workload.Network, error) {
	im := &importer{m: m, file: m.Source, vals: map[string]*value{}, names: map[string]bool{}}
	if m.Graph == nil {
		return nil, im.fail("model has no graph")
	}
	if batch < 0 {
		return nil, im.fail("batch size %d is negative", batch)
	}
	im.opset = m.Opset("")
	if im.opset == 0 {
		im.opset = onnx.DefaultOpset
	}
	net := &workload.Network{Name: m.Graph.Name}
	if m.Source != "" {
		net.Name = strings.TrimSuffix(filepath.Base(m.Source), filepath.Ext(m.Source))
	}
	if err := im.inputs(int64(batch), net); err != nil {
		return nil, err
	}
	for _, t := range m.Graph.Initializers {
		im.vals[t.Name] = constant(t)
	}
	for _, n := range m.Graph.Nodes {
		if err := im.node(n); err != nil {
			return nil, err
		}
	}
	net.Layers = im.layers
	if len(net.Layers) == 0 {
		return nil, im.fail("the graph has no node that becomes a layer (%s)", strings.Join(macOps(), ", "))
	}
	if err := net.Validate(); err != nil {
		return nil, im.fail("%v", err)
	}
	return net, nil
}

// importer holds the state of one Import.
type importer struct {
	m         *onnx.Model
	file      string
	opset     int64
	batch     int64 // the batch size imported at
	origBatch int64 // the static batch of the model's inputs, 0 if symbolic
	vals      map[string]*value
	layers    []*workload.Layer
	names     map[string]bool
}

// value is what the importer knows about one tensor: its shape, whether
// dimension 0 is the batch, which layers feed it, and its data when it is a
// constant (ints for integer and bool tensors, floats for float ones).
type value struct {
	shape  []int64
	batch  bool
	srcs   []int // indices into importer.layers, ascending
	known  bool
	ints   []int64
	floats []float32
	dtype  onnx.DataType // element type as stored; Undefined: that of the op's first input
}

func constant(t *onnx.Tensor) *value {
	v := &value{shape: t.Dims, known: true, dtype: t.DataType}
	if t.DataType.IsFloat() {
		v.floats = t.Floats
	} else {
		v.ints = t.Ints
	}
	return v
}

// call is one node being imported.
type call struct {
	n    *onnx.Node
	in   []*value      // nil for omitted optional inputs
	srcs []int         // union of the inputs' srcs
	out  onnx.DataType // type of a layer's output when not its input's (quantized ops)
}

// arg returns input i, or nil when absent.
func (c *call) arg(i int) *value {
	if i < len(c.in) {
		return c.in[i]
	}
	return nil
}

func (im *importer) fail(format string, args ...any) error {
	if im.file != "" {
		return fmt.Errorf("onnx: %s: %s", im.file, fmt.Sprintf(format, args...))
	}
	return fmt.Errorf("onnx: %s", fmt.Sprintf(format, args...))
}

// errorf returns an error about node n.
func (im *importer) errorf(n *onnx.Node, format string, args ...any) error {
	err := n.Errorf(format, args...).(*onnx.NodeError)
	err.File = im.file
	return err
}

// inputs sets up the graph inputs at the requested batch size.
func (im *importer) inputs(batch int64, net *workload.Network) error {
	g := im.m.Graph
	for _, in := range g.Inputs {
		if len(in.Shape) > 0 {
			im.origBatch = max(in.Shape[0], 0)
			break
		}
	}
	im.batch = batch
	if im.batch == 0 {
		im.batch = max(im.origBatch, 1)
	}
	for _, in := range g.Inputs {
		if in.Unranked {
			return im.fail("graph input %q has no shape", in.Name)
		}
		v := &value{shape: append([]int64(nil), in.Shape...), dtype: in.DataType}
		for d, n := range v.shape {
			switch {
			case d == 0 && (n < 0 || n == im.origBatch):
				v.shape[0] = im.batch
				v.batch = true
			case n < 0:
				p := ""
				if d < len(in.Params) && in.Params[d] != "" {
					p = fmt.Sprintf(" (%s)", in.Params[d])
				}
				return im.fail("graph input %q: dimension %d%s is not static; only dimension 0, the batch, may be symbolic", in.Name, d, p)
			case n == 0:
				return im.fail("graph input %q: dimension %d is 0", in.Name, d)
			}
		}
		im.vals[in.Name] = v
		if len(v.shape) == 4 && net.Input == [4]int{} {
			net.Input = [4]int{int(v.shape[0]), int(v.shape[1]), int(v.shape[2]), int(v.shape[3])}
		}
	}
	return nil
}

func (im *importer) node(n *onnx.Node) error {
	if n.Domain != "" {
		return im.errorf(n, "op domain %q is not supported", n.Domain)
	}
	op, ok := ops[n.OpType]
	if !ok {
		return im.errorf(n, "unsupported op type (supported: %s)", strings.Join(supportedOps(), ", "))
	}
	if !slices.ContainsFunc(n.Outputs, func(o string) bool { return o != "" }) {
		return im.errorf(n, "has no output")
	}
	c := &call{n: n, in: make([]*value, len(n.Inputs))}
	for i, name := range n.Inputs {
		if name == "" {
			continue
		}
		v := im.vals[name]
		if v == nil {
			return im.errorf(n, "input %q is not defined", name)
		}
		c.in[i] = v
		c.srcs = union(c.srcs, v.srcs)
	}
	if len(n.Inputs) < op.minIn {
		return im.errorf(n, "has %d inputs, want at least %d", len(n.Inputs), op.minIn)
	}
	for i := 0; i < op.minIn; i++ {
		if c.in[i] == nil {
			return im.errorf(n, "required input %d is missing", i)
		}
	}
	outs, err := op.fn(im, c)
	if err != nil {
		return err
	}
	for i, name := range n.Outputs {
		if name == "" {
			continue
		}
		if i >= len(outs) || outs[i] == nil {
			return im.errorf(n, "output %d (%q) is not supported", i, name)
		}
		v := outs[i]
		for _, d := range v.shape {
			if d < 0 {
				return im.errorf(n, "output %q has an invalid shape %v", name, v.shape)
			}
		}
		if !op.mac {
			v.srcs = c.srcs
		}
		inheritType(v, c)
		im.vals[name] = v
	}
	return nil
}

// addLayer appends l, made from call c, and returns the value of its output
// with the given shape.
func (im *importer) addLayer(c *call, l *workload.Layer, weights *value, shape []int64, batch bool) *value {
	l.Name = im.layerName(c, "")
	in := layerInput(c, weights)
	out := c.out
	if out == onnx.Undefined && in != nil {
		out = in.dtype
	}
	i := im.appendLayer(l, in, weights, out, c.srcs)
	return &value{shape: shape, batch: batch, srcs: []int{i}}
}

// density returns the fraction of nonzero values. A tensor of zeros counts
// as having one nonzero, since a layer's density must be positive.
func density(w []float32) float64 {
	nz := 0
	for _, x := range w {
		if x != 0 {
			nz++
		}
	}
	return float64(max(nz, 1)) / float64(len(w))
}

// union merges two ascending index lists.
func union(a, b []int) []int {
	if len(b) == 0 {
		return a
	}
	if len(a) == 0 {
		return b
	}
	out := make([]int, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || (i < len(a) && a[i] < b[j]):
			out = append(out, a[i])
			i++
		case i == len(a) || b[j] < a[i]:
			out = append(out, b[j])
			j++
		default:
			out = append(out, a[i])
			i++
			j++
		}
	}
	return out
}

func supportedOps() []string {
	names := make([]string, 0, len(ops))
	for k := range ops {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}
