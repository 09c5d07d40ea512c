package onnx

import (
	"container/heap"
	"fmt"
	"strings"
)

// Default versions written by NewModel: IR version 7 and opset 13 of the
// default domain, which ONNX Runtime, PyTorch and the ONNX checker all accept.
const (
	DefaultIRVersion = 7
	DefaultOpset     = 13
)

// Model is an ONNX model: metadata, operator set versions and one graph.
type Model struct {
	// Source is the file the model was read from (set by ReadFile and Parse);
	// it prefixes error messages. It is not encoded.
	Source          string
	IRVersion       int64
	Opsets          []Opset
	ProducerName    string
	ProducerVersion string
	Domain          string
	ModelVersion    int64
	DocString       string
	Graph           *Graph
}

// Opset is the version of one operator set the model imports. The default
// ONNX domain is "" (also spelled "ai.onnx").
type Opset struct {
	Domain  string
	Version int64
}

// NewModel returns an empty model at DefaultIRVersion and DefaultOpset, with
// a graph named graph and producer "nnergy".
func NewModel(graph string) *Model {
	return &Model{
		IRVersion:    DefaultIRVersion,
		Opsets:       []Opset{{Domain: "", Version: DefaultOpset}},
		ProducerName: "nnergy",
		Graph:        &Graph{Name: graph},
	}
}

// Opset returns the imported version of operator set domain ("" or
// "ai.onnx" for the default domain), or 0 if the model does not import it.
func (m *Model) Opset(domain string) int64 {
	if domain == "ai.onnx" {
		domain = ""
	}
	for _, o := range m.Opsets {
		d := o.Domain
		if d == "ai.onnx" {
			d = ""
		}
		if d == domain {
			return o.Version
		}
	}
	return 0
}

// Graph is a computation graph. Decode returns nodes in topological order;
// Inputs lists the graph inputs that are not initializers.
type Graph struct {
	Name         string
	DocString    string
	Nodes        []*Node
	Initializers []*Tensor
	Inputs       []ValueInfo
	Outputs      []ValueInfo
	// ValueInfo holds shape annotations of intermediate values, if any.
	ValueInfo []ValueInfo
}

// Node is one operator application. Empty strings in Inputs mark omitted
// optional inputs.
type Node struct {
	Name      string
	OpType    string
	Domain    string // "" for the default ONNX domain
	Inputs    []string
	Outputs   []string
	Attrs     []Attribute
	DocString string
}

// String returns `node "name" (OpType)`.
func (n *Node) String() string { return fmt.Sprintf("node %q (%s)", n.label(), n.OpType) }

// Input returns the i-th input name, or "" when the node has fewer inputs.
func (n *Node) Input(i int) string {
	if i < len(n.Inputs) {
		return n.Inputs[i]
	}
	return ""
}

// ValueInfo describes a graph input, output or intermediate value: its
// element type and shape. A dimension that is unknown or symbolic is -1 in
// Shape, and its symbolic name (dim_param), if any, is in Params.
type ValueInfo struct {
	Name     string
	DataType DataType
	Shape    []int64
	// Params has the symbolic names of dimensions ("batch"); nil when every
	// dimension is fixed, otherwise as long as Shape with "" for fixed ones.
	Params []string
	// Unranked is true when not even the rank is known (no shape in the file).
	Unranked bool
}

// Static reports whether every dimension is known.
func (v *ValueInfo) Static() bool {
	if v.Unranked {
		return false
	}
	for _, d := range v.Shape {
		if d < 0 {
			return false
		}
	}
	return true
}

// AddNode appends a node of the default domain and returns it for setting
// its Name or more attributes.
func (g *Graph) AddNode(op string, inputs, outputs []string, attrs ...Attribute) *Node {
	n := &Node{OpType: op, Inputs: inputs, Outputs: outputs, Attrs: attrs}
	g.Nodes = append(g.Nodes, n)
	return n
}

// AddInitializer appends a Float initializer. It does not copy data.
func (g *Graph) AddInitializer(name string, dims []int64, data []float32) *Tensor {
	t := NewFloatTensor(name, dims, data)
	g.Initializers = append(g.Initializers, t)
	return t
}

// AddInt64Initializer appends an Int64 initializer (shapes, axes, indices).
func (g *Graph) AddInt64Initializer(name string, dims []int64, data []int64) *Tensor {
	t := NewInt64Tensor(name, dims, data)
	g.Initializers = append(g.Initializers, t)
	return t
}

// AddInput declares a graph input with a fixed shape.
func (g *Graph) AddInput(name string, dt DataType, shape ...int64) {
	g.Inputs = append(g.Inputs, ValueInfo{Name: name, DataType: dt, Shape: shape})
}

// AddOutput declares a graph output with a fixed shape.
func (g *Graph) AddOutput(name string, dt DataType, shape ...int64) {
	g.Outputs = append(g.Outputs, ValueInfo{Name: name, DataType: dt, Shape: shape})
}

// Initializer returns the initializer named name, or nil.
func (g *Graph) Initializer(name string) *Tensor {
	for _, t := range g.Initializers {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// Producer returns the node that outputs value name, or nil for graph
// inputs, initializers and unknown names.
func (g *Graph) Producer(name string) *Node {
	for _, n := range g.Nodes {
		for _, o := range n.Outputs {
			if o == name {
				return n
			}
		}
	}
	return nil
}

// Consumers returns the nodes that read value name, in graph order.
func (g *Graph) Consumers(name string) []*Node {
	var c []*Node
	for _, n := range g.Nodes {
		for _, in := range n.Inputs {
			if in == name {
				c = append(c, n)
				break
			}
		}
	}
	return c
}

// Sort puts the nodes in topological order, keeping the given order among
// nodes that do not depend on each other. It fails when a node reads a value
// nothing defines, when two nodes or a node and a graph input define the
// same value, or when the nodes form a cycle.
func (g *Graph) Sort() error {
	order, err := g.topoOrder()
	if err != nil {
		return err
	}
	if order != nil {
		nodes := make([]*Node, len(order))
		for i, j := range order {
			nodes[i] = g.Nodes[j]
		}
		g.Nodes = nodes
	}
	return nil
}

// topoOrder checks the graph's value definitions and returns a topological
// order of node indices, or nil if the nodes are already in one.
func (g *Graph) topoOrder() ([]int, error) {
	const (
		fromGraph = -1 // graph input or initializer
	)
	def := make(map[string]int, len(g.Initializers)+len(g.Inputs)+len(g.Nodes))
	for _, t := range g.Initializers {
		if t.Name == "" {
			return nil, fmt.Errorf("an initializer has no name")
		}
		if _, dup := def[t.Name]; dup {
			return nil, fmt.Errorf("initializer %q is defined twice", t.Name)
		}
		def[t.Name] = fromGraph
	}
	for _, in := range g.Inputs {
		if in.Name == "" {
			return nil, fmt.Errorf("a graph input has no name")
		}
		if _, dup := def[in.Name]; dup {
			return nil, fmt.Errorf("graph input %q is also an initializer or another input", in.Name)
		}
		def[in.Name] = fromGraph
	}
	for i, n := range g.Nodes {
		if n.OpType == "" {
			return nil, n.Errorf("node has no op_type")
		}
		for _, o := range n.Outputs {
			if o == "" {
				continue
			}
			if j, dup := def[o]; dup {
				if j == fromGraph {
					return nil, n.Errorf("output %q is also a graph input or initializer", o)
				}
				return nil, n.Errorf("output %q is also an output of %s", o, g.Nodes[j])
			}
			def[o] = i
		}
	}
	for _, out := range g.Outputs {
		if _, ok := def[out.Name]; !ok {
			return nil, fmt.Errorf("graph output %q is not defined by any node, input or initializer", out.Name)
		}
	}
	// Dependencies, and whether the given order already respects them.
	sorted := true
	deps := make([][]int, len(g.Nodes)) // deps[i]: producers of node i's inputs
	for i, n := range g.Nodes {
		for _, in := range n.Inputs {
			if in == "" {
				continue
			}
			j, ok := def[in]
			if !ok {
				return nil, n.Errorf("input %q is not defined by any node, graph input or initializer", in)
			}
			if j == fromGraph {
				continue
			}
			if j == i {
				return nil, n.Errorf("input %q is its own output", in)
			}
			if j > i {
				sorted = false
			}
			deps[i] = append(deps[i], j)
		}
	}
	if sorted {
		return nil, nil
	}
	// Kahn's algorithm, always taking the earliest ready node.
	indeg := make([]int, len(g.Nodes))
	users := make([][]int, len(g.Nodes))
	for i, ds := range deps {
		for _, j := range ds {
			indeg[i]++
			users[j] = append(users[j], i)
		}
	}
	ready := &intHeap{}
	for i, d := range indeg {
		if d == 0 {
			heap.Push(ready, i)
		}
	}
	order := make([]int, 0, len(g.Nodes))
	for ready.Len() > 0 {
		i := heap.Pop(ready).(int)
		order = append(order, i)
		for _, u := range users[i] {
			if indeg[u]--; indeg[u] == 0 {
				heap.Push(ready, u)
			}
		}
	}
	if len(order) < len(g.Nodes) {
		var cyc []string
		for i, d := range indeg {
			if d > 0 {
				cyc = append(cyc, g.Nodes[i].String())
				if len(cyc) == 5 {
					cyc = append(cyc, "...")
					break
				}
			}
		}
		return nil, fmt.Errorf("the graph has a cycle through %s", strings.Join(cyc, ", "))
	}
	return order, nil
}

type intHeap []int

func (h intHeap) Len() int           { return len(h) }
func (h intHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h intHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *intHeap) Push(x any)        { *h = append(*h, x.(int)) }
func (h *intHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
