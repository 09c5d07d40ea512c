package onnx

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/nnergy/nnergy/onnx"
	"github.com/nnergy/nnergy/workload"
)

// ReadFile reads the ONNX model in file path and imports it (see Import).
func ReadFile(path string, batch int) (*workload.Network, error) {
	return ReadFileWith(path, Options{Batch: batch})
}

// Import converts the graph of m into a workload network at the given batch
// size (0 keeps the model's own batch, or 1 when it is symbolic); see
// ImportWith for the other options.
//
// Conv, Gemm, MatMul and the other ops listed under Layers in the package
// documentation become layers, in graph order; every other supported op
// only carries shapes (and constant values, so that shape computations such
// as Shape→Gather→Concat→Reshape fold). A layer's From lists the layers
// whose outputs reach it through non-MAC ops, and its
// Density[workload.Weights] is the fraction of nonzeros of its weight
// initializer.
func Import(m *onnx.Model, batch int) (*workload.Network, error) {
	return ImportWith(m, Options{Batch: batch})
}

// graph imports the initializers and nodes into net.
func (im *importer) graph(net *workload.Network) error {
	for _, t := range im.m.Graph.Initializers {
		im.vals[t.Name] = constant(t)
	}
	for _, n := range im.m.Graph.Nodes {
		if err := im.node(n); err != nil {
			return err
		}
	}
	net.Layers = im.layers
	if len(net.Layers) == 0 {
		return im.fail("the graph has no node that becomes a layer (%s)", strings.Join(macOps(), ", "))
	}
	if err := net.Validate(); err != nil {
		return im.fail("%v", err)
	}
	return nil
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
	// shapesOnly skips the weights' statistics (density, measured tiles):
	// the import checks how the shapes scale with the batch.
	shapesOnly bool
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
