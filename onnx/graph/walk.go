package graph

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/nnergy/nnergy/onnx"
)

// Op is one operator type: Infer returns the values of a node's outputs
// (nil for outputs it does not produce) from its inputs' values; MinIn
// inputs are required.
type Op struct {
	Infer func(c *Call) ([]*Value, error)
	MinIn int
}

// Lookup returns the front-end's op for an op type of the default domain.
func Lookup(opType string) (Op, bool) {
	op, ok := ops[opType]
	return op, ok
}

// OpTypes returns the op types the front-end infers, sorted.
func OpTypes() []string {
	names := make([]string, 0, len(ops))
	for k := range ops {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// Walker walks the nodes of a graph in topological order, giving every
// value its facts. Values holds the graph inputs' values on entry (set by
// the importer, which decides their shapes and batch); Walk adds the
// initializers' and every node output's.
type Walker struct {
	Model *onnx.Model
	File  string // for messages; "" when unknown
	Opset int64  // of the default domain
	// OwnBatch is the file's static batch size (0 when symbolic): a
	// Reshape whose target starts with it keeps the batch of its input.
	OwnBatch int64
	// Batch is the batch size the graph inputs are fed at (Plan.Feed).
	Batch  int64
	Values map[string]*Value
	// Ref, when set, walks the same graph with its inputs fed at another
	// batch size: Walk takes it through every node just before this
	// walker, so that Dims and Fixed can tell the dimensions and constants
	// that depend on the batch from those that do not.
	Ref *Walker
	// Lower holds the ops the importer lowers itself, by op type. They
	// take precedence over the front-end's; the values they return set
	// their own From (the front-end's ops pass on the union of their
	// inputs').
	Lower map[string]Op
	// Visit, when set, is called after every node, lowered or not, with
	// the values of its outputs (nil for those it leaves out): an importer
	// that lowers every node (the training engine's) builds from the
	// front-end's facts there, constants already folded.
	Visit func(c *Call, outs []*Value) error

	refErr error // Ref's error on the node being walked
}

// NewWalker returns a walker of m's graph whose opset is m's (or
// onnx.DefaultOpset when m names none).
func NewWalker(m *onnx.Model) *Walker {
	w := &Walker{Model: m, File: m.Source, Opset: m.Opset(""), Values: map[string]*Value{}}
	if w.Opset == 0 {
		w.Opset = onnx.DefaultOpset
	}
	return w
}

// Walk gives the initializers and then every node's outputs their values,
// visiting the nodes in topological order (the stored order when it is
// one, as ONNX requires; see order). With a Ref, a node that Ref cannot
// walk is an error (see Dims) once this walker has walked it.
func (w *Walker) Walk() error {
	for _, t := range w.Model.Graph.Initializers {
		w.Values[t.Name] = Const(t)
		if w.Ref != nil {
			w.Ref.Values[t.Name] = Const(t)
		}
	}
	defined := func(name string) bool { return w.Values[name] != nil }
	for _, n := range order(w.Model.Graph, defined) {
		if w.Ref != nil {
			if err := w.Ref.Node(n); err != nil {
				w.refErr = w.atRef(err)
			}
		}
		if err := w.Node(n); err != nil {
			return err
		}
		if w.refErr != nil {
			return w.refErr
		}
	}
	return nil
}

// Supported returns every op type the walker accepts, sorted.
func (w *Walker) Supported() []string {
	names := OpTypes()
	for k := range w.Lower {
		if _, ok := ops[k]; !ok {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	return names
}

// Errorf returns an error about node n.
func (w *Walker) Errorf(n *onnx.Node, format string, args ...any) error {
	err := n.Errorf(format, args...).(*onnx.NodeError)
	err.File = w.File
	return err
}

// Wrap adds the file name to a *onnx.NodeError (from an attribute
// accessor or ReadWindow).
func (w *Walker) Wrap(err error) error {
	if ne, ok := err.(*onnx.NodeError); ok && ne.File == "" {
		ne.File = w.File
	}
	return err
}

// Fail returns an error about the model as a whole.
func (w *Walker) Fail(format string, args ...any) error {
	if w.File != "" {
		return fmt.Errorf("onnx: %s: %s", w.File, fmt.Sprintf(format, args...))
	}
	return fmt.Errorf("onnx: %s", fmt.Sprintf(format, args...))
}

// Node infers the outputs of n from the values of its inputs.
func (w *Walker) Node(n *onnx.Node) error {
	if n.Domain != "" && n.Domain != "ai.onnx" {
		return w.Errorf(n, "op domain %q is not supported", n.Domain)
	}
	op, lowered := w.Lower[n.OpType]
	if !lowered {
		var ok bool
		if op, ok = ops[n.OpType]; !ok {
			return w.Errorf(n, "op type %s is not supported (supported: %s)", n.OpType, strings.Join(w.Supported(), ", "))
		}
	}
	if !slices.ContainsFunc(n.Outputs, func(o string) bool { return o != "" }) {
		return w.Errorf(n, "has no output")
	}
	c := &Call{Node: n, In: make([]*Value, len(n.Inputs)), w: w}
	for i, name := range n.Inputs {
		if name == "" {
			continue
		}
		v := w.Values[name]
		if v == nil {
			return w.Errorf(n, "input %q is not defined", name)
		}
		c.In[i] = v
		c.From = Union(c.From, v.From)
	}
	if len(n.Inputs) < op.MinIn {
		return w.Errorf(n, "has %d inputs, want at least %d", len(n.Inputs), op.MinIn)
	}
	for i := 0; i < op.MinIn; i++ {
		if c.In[i] == nil {
			return w.Errorf(n, "required input %d is missing", i)
		}
	}
	outs, err := op.Infer(c)
	if err != nil {
		return err
	}
	for i, name := range n.Outputs {
		if name == "" {
			continue
		}
		if i >= len(outs) || outs[i] == nil {
			return w.Errorf(n, "output %d (%q) is not supported", i, name)
		}
		v := outs[i]
		for _, d := range v.Shape {
			if d < 0 {
				return w.Errorf(n, "output %q has an invalid shape %v", name, v.Shape)
			}
		}
		if !lowered {
			v.From = c.From
		}
		if v.Type == onnx.Undefined {
			// Activations, shape ops and arithmetic keep the type of
			// their first input.
			if x := c.Arg(0); x != nil {
				v.Type = x.Type
			}
		}
		w.Values[name] = v
	}
	if w.Visit != nil {
		return w.Visit(c, outs)
	}
	return nil
}

// Call is one node being walked.
type Call struct {
	Node *onnx.Node
	In   []*Value // nil for omitted optional inputs
	From []int    // union of the inputs' From
	w    *Walker
}

// Arg returns input i, or nil when absent.
func (c *Call) Arg(i int) *Value {
	if i < len(c.In) {
		return c.In[i]
	}
	return nil
}

// Walker returns the walker of the call.
func (c *Call) Walker() *Walker { return c.w }

// Errorf returns an error about the node.
func (c *Call) Errorf(format string, args ...any) error {
	return c.w.Errorf(c.Node, format, args...)
}

// Wrap adds the file name to a *onnx.NodeError.
func (c *Call) Wrap(err error) error { return c.w.Wrap(err) }

// Ints returns the data of input i, which must be a known integer tensor.
func (c *Call) Ints(i int, what string) ([]int64, error) {
	v := c.Arg(i)
	if v == nil {
		return nil, c.Errorf("%s (input %d) is missing", what, i)
	}
	if !v.Known || v.Ints == nil {
		return nil, c.Errorf("%s (input %d, %q) is not a constant integer tensor", what, i, c.Node.Inputs[i])
	}
	return v.Ints, nil
}

// Floats returns the data of input i, which must be a known float tensor
// (an empty one stands for an absent input).
func (c *Call) Floats(i int, what string) ([]float32, error) {
	v := c.Arg(i)
	if v == nil {
		return nil, c.Errorf("%s (input %d) is missing", what, i)
	}
	if !v.Known || (v.Floats == nil && len(v.Ints) > 0) {
		return nil, c.Errorf("%s (input %d, %q) is not a constant float tensor", what, i, c.Node.Inputs[i])
	}
	return v.Floats, nil
}

// IntsInputOrAttr returns integer input i if present, else the INTS
// attribute attr (the form before the opset that made it an input); nil
// when neither is given.
func (c *Call) IntsInputOrAttr(i int, attr string) ([]int64, error) {
	if c.Arg(i) != nil {
		return c.Ints(i, attr)
	}
	v, err := c.Node.Ints(attr, -1, nil)
	return v, c.Wrap(err)
}

// AxisAttr returns the INT attribute name (def when absent) as an axis of
// a tensor of rank r, negative values counting from the end.
func (c *Call) AxisAttr(name string, def int64, r int) (int, error) {
	a, err := c.Node.Int(name, def)
	if err != nil {
		return 0, c.Wrap(err)
	}
	ax, err := Axis(a, r)
	if err != nil {
		return 0, c.Wrap(c.Node.AttrErrorf(name, "%v", err))
	}
	return ax, nil
}
