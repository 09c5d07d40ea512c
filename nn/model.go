package nn

import (
	"errors"
	"fmt"
	"slices"
)

// Model is a network: a DAG of named layers over one input tensor.
//
// Nodes are listed in topological order: every input of a node is the model
// input or a node listed before it. A node's output is named after the
// node, and a node's Inputs name the tensors it reads. Output names the
// node whose result the model returns (the last node when empty).
//
// A Model holds definitions and weights only; an [Exec] runs it. Code that
// imports or exports models (ONNX) builds and walks these fields directly.
type Model struct {
	Input   string // name of the input tensor
	InShape []int  // per-sample input shape, e.g. [1 28 28]
	Nodes   []*Node
	Output  string
}

// Node is one layer of a model and the names of the tensors it reads.
type Node struct {
	Name   string
	Layer  Layer
	Inputs []string
}

// New returns an empty model whose input tensor has the given name and
// per-sample shape.
func New(input string, shape ...int) *Model {
	return &Model{Input: input, InShape: slices.Clone(shape)}
}

// Add appends a node reading the named inputs and returns its name, so that
// calls chain: x = m.Add("relu1", nn.NewReLU(), x). Problems are reported
// by [Model.Check], not here.
func (m *Model) Add(name string, l Layer, inputs ...string) string {
	m.Nodes = append(m.Nodes, &Node{Name: name, Layer: l, Inputs: slices.Clone(inputs)})
	return name
}

// Node returns the node with the given name, or nil.
func (m *Model) Node(name string) *Node {
	for _, n := range m.Nodes {
		if n.Name == name {
			return n
		}
	}
	return nil
}

// OutputName returns the name of the tensor the model returns.
func (m *Model) OutputName() string {
	if m.Output != "" || len(m.Nodes) == 0 {
		return m.Output
	}
	return m.Nodes[len(m.Nodes)-1].Name
}

// Consumers returns the nodes that read the named tensor, in model order.
func (m *Model) Consumers(name string) []*Node {
	var out []*Node
	for _, n := range m.Nodes {
		if slices.Contains(n.Inputs, name) {
			out = append(out, n)
		}
	}
	return out
}

// Params returns every trainable parameter in node order.
func (m *Model) Params() []*Param {
	var ps []*Param
	for _, n := range m.Nodes {
		ps = append(ps, n.Layer.Params()...)
	}
	return ps
}

// NumParams returns the number of trainable values.
func (m *Model) NumParams() int {
	s := 0
	for _, p := range m.Params() {
		s += p.Len()
	}
	return s
}

// Clone returns a deep copy of the model, weights and masks included.
func (m *Model) Clone() *Model {
	c := &Model{Input: m.Input, InShape: slices.Clone(m.InShape), Output: m.Output}
	for _, n := range m.Nodes {
		c.Nodes = append(c.Nodes, &Node{Name: n.Name, Layer: n.Layer.clone(), Inputs: slices.Clone(n.Inputs)})
	}
	return c
}

// Check reports every structural problem of the model at once: duplicate or
// empty names, inputs that are not defined before use, layers whose inputs
// or weights have the wrong shape, and a missing output.
func (m *Model) Check() error {
	_, err := m.Shapes()
	return err
}

// Shapes returns the per-sample shape of every tensor, keyed by name (the
// input and every node), or the errors [Model.Check] reports.
func (m *Model) Shapes() (map[string][]int, error) {
	var errs []error
	shapes := map[string][]int{}
	if m.Input == "" {
		errs = append(errs, errors.New("nn: model input has no name"))
	}
	if len(m.InShape) == 0 || slices.ContainsFunc(m.InShape, func(d int) bool { return d < 1 }) {
		errs = append(errs, fmt.Errorf("nn: model input shape %v", m.InShape))
	} else {
		shapes[m.Input] = m.InShape
	}
	for i, n := range m.Nodes {
		if n.Name == "" {
			errs = append(errs, fmt.Errorf("nn: node %d has no name", i))
			continue
		}
		if _, dup := shapes[n.Name]; dup || n.Name == m.Input {
			errs = append(errs, fmt.Errorf("nn: node %q: name already used", n.Name))
			continue
		}
		if n.Layer == nil {
			errs = append(errs, fmt.Errorf("nn: node %q: no layer", n.Name))
			continue
		}
		in := make([][]int, len(n.Inputs))
		ok := true
		for k, name := range n.Inputs {
			s, def := shapes[name]
			if !def {
				errs = append(errs, fmt.Errorf("nn: node %q (%v): input %q is not defined before it", n.Name, n.Layer.Kind(), name))
				ok = false
			}
			in[k] = s
		}
		if !ok {
			continue
		}
		out, err := n.Layer.OutShape(in)
		if err != nil {
			errs = append(errs, fmt.Errorf("nn: node %q (%v): %w", n.Name, n.Layer.Kind(), err))
			continue
		}
		shapes[n.Name] = out
	}
	if out := m.OutputName(); len(errs) == 0 {
		if out == "" {
			errs = append(errs, errors.New("nn: model has no nodes"))
		} else if _, ok := shapes[out]; !ok || out == m.Input {
			errs = append(errs, fmt.Errorf("nn: output %q is not a node", out))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return shapes, nil
}
