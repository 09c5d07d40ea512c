package onnx

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/nnergy/nnergy/nn"
	"github.com/nnergy/nnergy/onnx"
	"github.com/nnergy/nnergy/onnx/graph"
)

// ReadFile reads the ONNX file path and imports it (see [Import]).
func ReadFile(path string) (*nn.Model, error) {
	om, err := onnx.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Import(om)
}

// Import builds a trainable model with the weights of om (see the package
// documentation for what it accepts). Errors about one node are
// *onnx.NodeError values naming the node and its op_type.
//
// The ONNX front-end (package onnx/graph) walks the graph in topological
// order, at the file's own batch size (1 when it is symbolic) and, in
// step, at the next one: it infers every value's shape, folds constants
// and shape computations, and tells the dimensions that are multiples of
// the batch (graph.Call.Dims). Import lowers each node from those facts
// (visit).
func Import(om *onnx.Model) (*nn.Model, error) {
	im := &importer{om: om, file: om.Source, vals: map[string]*value{}, shapes: map[string][]int{},
		names: graph.Names{}, uses: map[string]int{}}
	if om.Graph == nil {
		return nil, im.fail("model has no graph")
	}
	for _, n := range om.Graph.Nodes {
		if _, ok := graph.Lookup(n.OpType); !ok && (n.Domain == "" || n.Domain == "ai.onnx") {
			return nil, im.unsupported(n)
		}
		for _, in := range n.Inputs {
			im.uses[in]++
		}
	}
	for _, o := range om.Graph.Outputs {
		im.uses[o.Name]++
	}
	p, err := im.input()
	if err != nil {
		return nil, err
	}
	im.w = graph.NewWalker(om)
	im.w.Ref = graph.NewWalker(om)
	batch := max(p.Own, 1)
	p.Feed(im.w, batch)
	p.Feed(im.w.Ref, batch+1)
	im.opset = im.w.Opset
	im.w.Visit = im.visit
	if err := im.w.Walk(); err != nil {
		return nil, err
	}
	if err := im.output(); err != nil {
		return nil, err
	}
	if err := im.m.Check(); err != nil {
		return nil, im.fail("%v", err)
	}
	return im.m, nil
}

// shapeOps are the ops the engine runs on constants and shapes only, which
// the front-end folds.
var shapeOps = []string{"Constant", "ConstantOfShape", "Gather", "Shape", "Squeeze", "Unsqueeze"}

// unsupported returns the error for a node whose op type Import does not
// convert.
func (im *importer) unsupported(n *onnx.Node) error {
	s := slices.Clone(shapeOps)
	for op := range converters {
		s = append(s, op)
	}
	sort.Strings(s)
	return im.errorf(n, "op type %s is not supported (supported: %s)", n.OpType, strings.Join(s, ", "))
}

// visit lowers node n once the front-end has inferred its outputs. A node
// whose outputs the front-end knows (constants, and shapes of activations)
// is folded: it adds nothing. Any other node reads an activation and is
// converted, or refused.
func (im *importer) visit(c *graph.Call, outs []*graph.Value) error {
	n := c.Node
	im.call = c
	unknown := -1 // an output the front-end does not know
	for i, o := range n.Outputs {
		if o == "" {
			continue // the walker has a value for every named output
		}
		switch v := outs[i]; {
		case !v.Known:
			unknown = i
		case v.Type != onnx.Undefined && (v.Floats != nil) != v.Type.IsFloat():
			return im.errorf(n, "output %q of type %s is computed from inputs of other element types", o, v.Type)
		}
	}
	if unknown < 0 {
		return nil
	}
	act := slices.IndexFunc(n.Inputs, func(s string) bool { return im.vals[s] != nil })
	conv, ok := converters[n.OpType]
	switch {
	case act < 0:
		return im.errorf(n, "output %q of shape %v cannot be folded (the front-end computes %s on small constants only, or not at all)", n.Outputs[unknown], outs[unknown].Shape, n.OpType)
	case slices.Contains(shapeOps, n.OpType):
		return im.errorf(n, "input %q must be a constant (an initializer or computed from constants)", n.Inputs[act])
	case !ok:
		return im.unsupported(n)
	}
	if err := conv(im, n); err != nil {
		return err
	}
	// The engine's layout of each output must have the front-end's shape.
	for _, o := range n.Outputs {
		v := im.vals[o]
		if o == "" || v == nil || v.act == "" || v.pad != nil {
			continue
		}
		want, err := c.Dims(o)
		if err != nil {
			return err
		}
		if got := v.dims(); !slices.Equal(got, want) {
			return im.errorf(n, "output %q has shape %s, which the engine would compute as %s: not supported", o, want, got)
		}
	}
	return nil
}

// value is what an ONNX value is while importing: an activation (a tensor
// of the nn model, with its per-sample shape), a constant (from the
// front-end), or unusable.
type value struct {
	act   string       // nn tensor name; "" for constants
	shape []int        // per-sample shape of the activation
	node  *nn.Node     // the nn node whose direct output this is, if any
	c     *onnx.Tensor // constant value
	bad   string       // why the value cannot be read, if it cannot
	// pad, when set, makes the value act zero-padded by pad ([top, left,
	// bottom, right]): the result of a Pad, which only a following Conv or
	// AveragePool can absorb.
	pad *[4]int
	// view, when set, says how the ONNX value's dimensions map onto the
	// axes of nn tensor act (see view.go); nil is [N, shape...].
	view view
	// canon is the value laid out as [N, shape...], once made.
	canon *value
}

type importer struct {
	om     *onnx.Model
	file   string
	opset  int64
	m      *nn.Model
	vals   map[string]*value // activations (and unusable values) by ONNX name
	shapes map[string][]int  // per-sample shape of every nn tensor
	names  graph.Names       // nn tensor names in use
	uses   map[string]int    // readers of each ONNX value (nodes and graph outputs)
	w      *graph.Walker     // the front-end's walk, with its Ref at another batch
	call   *graph.Call       // the node being lowered
}

// fail returns an error about the model as a whole.
func (im *importer) fail(format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if im.file != "" {
		return fmt.Errorf("onnx: %s: %s", im.file, msg)
	}
	return fmt.Errorf("onnx: %s", msg)
}

// errorf returns an error about node n, naming the file.
func (im *importer) errorf(n *onnx.Node, format string, args ...any) error {
	return im.inFile(n.Errorf(format, args...))
}

// inFile adds the file name to a node error from package onnx (its
// attribute accessors, Node.Errorf and Node.AttrErrorf).
func (im *importer) inFile(err error) error {
	var ne *onnx.NodeError
	if errors.As(err, &ne) && ne.File == "" {
		ne.File = im.file
	}
	return err
}

// input sets up the model from the one graph input, whose batch and feeds
// the front-end's plan gives. The engine needs the input FLOAT, [N C H W]
// or [N F], with every dimension but the batch fixed.
func (im *importer) input() (*graph.Plan, error) {
	g := im.om.Graph
	inits := map[string]bool{}
	for _, t := range g.Initializers {
		inits[t.Name] = true
	}
	var ins []onnx.ValueInfo
	var names []string
	for _, in := range g.Inputs {
		if !inits[in.Name] {
			ins = append(ins, in)
			names = append(names, fmt.Sprintf("%q", in.Name))
		}
	}
	if len(ins) != 1 {
		return nil, im.fail("the graph must have one input besides the initializers, has %d (%s)", len(ins), strings.Join(names, ", "))
	}
	in := ins[0]
	if in.DataType != onnx.Float {
		return nil, im.fail("graph input %q has type %s, want FLOAT", in.Name, in.DataType)
	}
	if in.Unranked || len(in.Shape) != 2 && len(in.Shape) != 4 {
		return nil, im.fail("graph input %q must have shape [N C H W] or [N F], has %s", in.Name, dims(in))
	}
	for i, d := range in.Shape[1:] {
		if d < 1 {
			return nil, im.fail("graph input %q: dimension %d must be fixed, shape is %s", in.Name, i+1, dims(in))
		}
	}
	p, err := graph.NewPlan(im.om, nil, nil)
	if err != nil {
		return nil, err
	}
	if !p.Known || p.Feeds[0].Axis != 0 {
		return nil, im.fail("graph input %q: dimension 0 must be the batch, shape is %s", in.Name, dims(in))
	}
	shape := toInts(in.Shape[1:])
	im.m = nn.New(in.Name, shape...)
	im.names[in.Name] = true
	im.shapes[in.Name] = shape
	im.vals[in.Name] = &value{act: in.Name, shape: shape}
	return p, nil
}

// dims formats a value's shape, symbolic dimensions by name.
func dims(v onnx.ValueInfo) string {
	if v.Unranked {
		return "unknown"
	}
	p := make([]string, len(v.Shape))
	for i, d := range v.Shape {
		switch {
		case d >= 0:
			p[i] = fmt.Sprint(d)
		case i < len(v.Params) && v.Params[i] != "":
			p[i] = v.Params[i]
		default:
			p[i] = "?"
		}
	}
	return "[" + strings.Join(p, " ") + "]"
}

// output sets the model output from the one graph output.
func (im *importer) output() error {
	g := im.om.Graph
	if len(g.Outputs) != 1 {
		return im.fail("the graph must have one output, has %d", len(g.Outputs))
	}
	name := g.Outputs[0].Name
	v := im.vals[name]
	if v != nil && v.view != nil {
		if g := v.view; len(g) < 2 || !slices.Equal(g[0], []int{0}) {
			return im.fail("graph output %q has shape %s; its first dimension must be the batch alone", name, v.dims())
		}
		c, err := im.canonical(&onnx.Node{Name: name, OpType: "output", Outputs: []string{name}}, name, v)
		if err != nil {
			return err
		}
		v = c
	}
	switch {
	case v == nil && im.w.Values[name] != nil:
		return im.fail("graph output %q is a constant", name)
	case v == nil:
		return im.fail("graph output %q is not defined", name)
	case v.bad != "":
		return im.fail("graph output %q: %s", name, v.bad)
	case v.act == im.m.Input:
		return im.fail("graph output %q is the graph input", name)
	}
	if len(im.m.Nodes) > 0 && im.m.Nodes[len(im.m.Nodes)-1].Name != v.act {
		im.m.Output = v.act
	}
	return nil
}

// get returns the value node n reads as input i.
func (im *importer) get(n *onnx.Node, i int) (*value, error) {
	name := n.Input(i)
	if name == "" {
		return nil, im.errorf(n, "input %d is missing", i)
	}
	if v := im.vals[name]; v != nil {
		if v.bad != "" {
			return nil, im.errorf(n, "input %q: %s", name, v.bad)
		}
		return v, nil
	}
	// A constant: the front-end has folded it.
	c := im.w.Values[name]
	switch {
	case c == nil:
		return nil, im.errorf(n, "input %q is not defined", name)
	case !c.Known:
		return nil, im.errorf(n, "input %q cannot be computed at import", name)
	case !im.w.Fixed(name):
		return nil, im.errorf(n, "input %q is computed from the batch size", name)
	}
	t := &onnx.Tensor{Name: name, DataType: c.Type, Dims: c.Shape, Ints: c.Ints, Floats: c.Floats}
	if c.Floats != nil {
		t.DataType = onnx.Float // the engine computes in float32, as the front-end holds it
	}
	return &value{c: t}, nil
}

// act returns input i, which must be an activation.
func (im *importer) act(n *onnx.Node, i int) (*value, error) {
	v, err := im.get(n, i)
	if err != nil {
		return nil, err
	}
	if v.act == "" {
		return nil, im.errorf(n, "input %q is a constant; only activations are supported here", n.Input(i))
	}
	if v.pad != nil {
		if v.canon == nil {
			p := v.pad
			w, err := im.layer(n, "/pad", &nn.Pad{Pads: []int{0, p[0], p[1], 0, p[2], p[3]}}, v.act)
			if err != nil {
				return nil, err
			}
			v.canon = w
		}
		return v.canon, nil
	}
	if v.view != nil {
		return im.canonical(n, n.Input(i), v)
	}
	return v, nil
}

// padded returns input i, an activation [C H W], and the zero padding a
// Pad before n added to it (zeros when none did).
func (im *importer) padded(n *onnx.Node, i int) (*value, [4]int, error) {
	v, err := im.get(n, i)
	if err != nil || v.pad == nil {
		v, err = im.image(n, i)
		return v, [4]int{}, err
	}
	return &value{act: v.act, shape: v.shape}, *v.pad, nil
}

// readers returns the number of nodes and graph outputs that read the ONNX
// value that v is.
func (im *importer) readers(v *value) int {
	r := 0
	for name, w := range im.vals {
		if w == v {
			r += im.uses[name]
		}
	}
	return r
}

// image returns input i, which must be an activation [C H W].
func (im *importer) image(n *onnx.Node, i int) (*value, error) {
	v, err := im.act(n, i)
	if err == nil && len(v.shape) != 3 {
		err = im.errorf(n, "input %q has shape [N %s], want [N C H W]", n.Input(i), shapeString(v.shape))
	}
	return v, err
}

// constant returns input i, which must be a constant; nil when the input
// is optional (want false) and omitted.
func (im *importer) constant(n *onnx.Node, i int, want bool) (*onnx.Tensor, error) {
	if n.Input(i) == "" && !want {
		return nil, nil
	}
	v, err := im.get(n, i)
	if err != nil {
		return nil, err
	}
	if v.c == nil {
		return nil, im.errorf(n, "input %q must be a constant (an initializer or computed from constants)", n.Input(i))
	}
	return v.c, nil
}

// weight returns input i as float data with the given rank (any when
// rank < 0); nil when the input is optional and omitted.
func (im *importer) weight(n *onnx.Node, i, rank int, want bool) (*onnx.Tensor, error) {
	t, err := im.constant(n, i, want)
	if t == nil || err != nil {
		return t, err
	}
	if t.DataType != onnx.Float {
		return nil, im.errorf(n, "input %q has type %s, want FLOAT", n.Input(i), t.DataType)
	}
	if rank >= 0 && len(t.Dims) != rank {
		return nil, im.errorf(n, "input %q has shape %v, want %d dimensions", n.Input(i), t.Dims, rank)
	}
	if size := t.Len(); size < 0 || int64(len(t.Floats)) != size {
		return nil, im.errorf(n, "input %q has %d values for shape %v", n.Input(i), len(t.Floats), t.Dims)
	}
	return t, nil
}

// scalar returns optional input i as one float, or def when omitted.
func (im *importer) scalar(n *onnx.Node, i int, def float32) (float32, error) {
	t, err := im.weight(n, i, -1, false)
	if t == nil || err != nil {
		return def, err
	}
	if len(t.Floats) != 1 {
		return 0, im.errorf(n, "input %q has shape %v, want a scalar", n.Input(i), t.Dims)
	}
	return t.Floats[0], nil
}

// add appends an nn node for ONNX node n reading the given nn tensors,
// checks its shapes, and defines n's first output as its result. Other
// outputs of n are marked unusable.
func (im *importer) add(n *onnx.Node, l nn.Layer, inputs ...string) error {
	v, err := im.layer(n, "", l, inputs...)
	if err != nil {
		return err
	}
	im.define(n, v)
	return nil
}

// layer appends an nn node for ONNX node n, named after it with the given
// suffix, and returns its output.
func (im *importer) layer(n *onnx.Node, suffix string, l nn.Layer, inputs ...string) (*value, error) {
	in := make([][]int, len(inputs))
	for i, t := range inputs {
		in[i] = im.shapes[t]
	}
	out, err := l.OutShape(in)
	if err != nil {
		return nil, im.errorf(n, "%v", err)
	}
	name := im.names.Unique(graph.NodeName(n) + suffix)
	node := &nn.Node{Name: name, Layer: l, Inputs: inputs}
	im.m.Nodes = append(im.m.Nodes, node)
	im.shapes[name] = out
	return &value{act: name, shape: out, node: node}, nil
}

// define sets n's first output to v and marks the others unusable.
func (im *importer) define(n *onnx.Node, v *value) {
	for i, o := range n.Outputs {
		if o == "" {
			continue
		}
		if i == 0 {
			im.vals[o] = v
			continue
		}
		im.vals[o] = &value{bad: fmt.Sprintf("output %d of %s is not supported", i, n)}
	}
}

// alias defines n's first output as the activation or constant v (an
// operation that changes nothing).
func (im *importer) alias(n *onnx.Node, v *value) error {
	im.define(n, &value{act: v.act, shape: v.shape, c: v.c, pad: v.pad, view: v.view, canon: v.canon})
	return nil
}

func shapeString(s []int) string {
	p := make([]string, len(s))
	for i, d := range s {
		p[i] = fmt.Sprint(d)
	}
	return strings.Join(p, " ")
}

func clone32(v []float32) []float32 { return slices.Clone(v) }

func toInts(v []int64) []int {
	out := make([]int, len(v))
	for i, x := range v {
		out[i] = int(x)
	}
	return out
}
