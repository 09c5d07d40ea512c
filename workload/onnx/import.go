package onnx

import (
	"strings"

	"github.com/nnergy/nnergy/onnx"
	"github.com/nnergy/nnergy/onnx/graph"
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
// documentation become layers, in graph order (topological: the stored
// order when it is one); every other supported op only carries shapes (and
// constant values, so that shape computations such as
// Shape→Gather→Concat→Reshape fold). A layer's From lists the layers whose
// outputs reach it through non-MAC ops, and its Density[workload.Weights]
// is the fraction of nonzeros of its weight initializer.
func Import(m *onnx.Model, batch int) (*workload.Network, error) {
	return ImportWith(m, Options{Batch: batch})
}

// graph imports the initializers and nodes into net.
func (im *importer) graph(net *workload.Network) error {
	if err := im.w.Walk(); err != nil {
		return err
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

// importer holds the state of one Import: the front-end's walk of the
// graph, which calls back for the ops in macs, and the layers made so far.
type importer struct {
	w      *graph.Walker
	layers []*workload.Layer
	names  graph.Names
	// shapesOnly skips the weights' statistics (density, measured tiles):
	// the import checks how the shapes scale with the batch.
	shapesOnly bool
}

// newImporter returns an importer of m's graph that lowers the ops in macs.
func newImporter(m *onnx.Model, shapesOnly bool) *importer {
	im := &importer{w: graph.NewWalker(m), names: graph.Names{}, shapesOnly: shapesOnly}
	im.w.Lower = map[string]graph.Op{}
	for k, o := range macs {
		fn := o.fn
		im.w.Lower[k] = graph.Op{MinIn: o.minIn, Infer: func(c *graph.Call) ([]*value, error) {
			return fn(im, &call{Call: c})
		}}
	}
	return im
}

// value is what the front-end knows about one tensor; a layer's output
// value's From is the layer's index in importer.layers.
type value = graph.Value

// call is one node being lowered.
type call struct {
	*graph.Call
	out onnx.DataType // type of a layer's output when not its input's (quantized ops)
}

func (im *importer) fail(format string, args ...any) error { return im.w.Fail(format, args...) }

// errorf returns an error about node n.
func (im *importer) errorf(n *onnx.Node, format string, args ...any) error {
	return im.w.Errorf(n, format, args...)
}

// wrap adds the file name to a *onnx.NodeError from an attribute accessor.
func (im *importer) wrap(err error) error { return im.w.Wrap(err) }

// addLayer appends l, made from call c, and returns the value of its output
// with the given shape.
func (im *importer) addLayer(c *call, l *workload.Layer, weights *value, shape []int64, batch bool) *value {
	l.Name = im.layerName(c, "")
	in := layerInput(c, weights)
	out := c.out
	if out == onnx.Undefined && in != nil {
		out = in.Type
	}
	i := im.appendLayer(l, in, weights, out, c.From)
	return &value{Shape: shape, Batch: batch, From: []int{i}}
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
