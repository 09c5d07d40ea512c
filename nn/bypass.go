package nn

import (
	"fmt"
	"slices"
)

// A channel-level bypass connection (CBC, NetAdaptV2: Yang, Liao and Sze,
// CVPR 2021) lets a layer whose kept channels reach zero leave the network
// instead of cutting it: depth and width become one search dimension.
// [Bypass] removes such a layer where the shapes allow it, in one of two
// forms:
//
//   - a residual branch: the layer lies on a chain of single-input nodes,
//     each read only by the next, that leaves a tensor x and ends at an Add
//     of two inputs whose other input is x itself. With no channels the
//     branch adds nothing; the branch and the Add are removed and the
//     Add's readers read x.
//   - a layer between equal widths: a convolution or linear layer whose
//     input has the shape of the end of its segment (the layer and the
//     batch norm, activation and dropout nodes after it, each the only
//     reader of the one before). With no channels each output channel
//     carries its input channel through (the identity); the segment is
//     removed and its readers read the layer's input.
//
// Anything else is refused with the reason.

// bypassPlan is what [Bypass] removes and how it rewires.
type bypassPlan struct {
	remove []string // node names, in model order
	from   string   // the tensor whose readers are rewired
	to     string   // the tensor they read instead
}

// CanBypass reports, as an error naming the reason, why node cannot become
// a bypass; nil when [Bypass] would remove it.
func CanBypass(m *Model, node string) error {
	shapes, err := m.Shapes()
	if err != nil {
		return err
	}
	_, err = planBypass(m, shapes, node)
	return err
}

// Bypass removes node from m as a channel-level bypass connection (see the
// forms above) and returns the names of the nodes removed, in model order.
// On error m is unchanged.
func Bypass(m *Model, node string) ([]string, error) {
	shapes, err := m.Shapes()
	if err != nil {
		return nil, err
	}
	p, err := planBypass(m, shapes, node)
	if err != nil {
		return nil, err
	}
	nodes := make([]*Node, 0, len(m.Nodes)-len(p.remove))
	for _, n := range m.Nodes {
		if slices.Contains(p.remove, n.Name) {
			continue
		}
		for k, in := range n.Inputs {
			if in == p.from {
				n.Inputs[k] = p.to
			}
		}
		nodes = append(nodes, n)
	}
	m.Nodes = nodes
	if err := m.Check(); err != nil {
		return nil, fmt.Errorf("nn: model inconsistent after bypass (a bug): %w", err)
	}
	return p.remove, nil
}

// passThrough reports whether a layer keeps its input's channels one to
// one and may follow a bypassed layer in its segment.
func passThrough(l Layer) bool {
	switch l.(type) {
	case *BatchNorm, *ReLU, *Act, *Dropout:
		return true
	}
	return false
}

func planBypass(m *Model, shapes map[string][]int, node string) (*bypassPlan, error) {
	n := m.Node(node)
	if n == nil {
		return nil, fmt.Errorf("nn: no node %q", node)
	}
	refuse := func(format string, a ...any) error {
		return fmt.Errorf("nn: node %q (%v) cannot be bypassed: %s", node, n.Layer.Kind(), fmt.Sprintf(format, a...))
	}
	switch n.Layer.(type) {
	case *Conv, *Linear:
	default:
		return nil, refuse("only convolution and linear layers lose channels")
	}
	only := func(t string) *Node { // the single reader of t, or nil
		if t == m.OutputName() {
			return nil
		}
		if cs := m.Consumers(t); len(cs) == 1 {
			return cs[0]
		}
		return nil
	}
	// The chain of single-input nodes through node, each the only reader
	// of the one before: back to the tensor x where it starts.
	chain := []*Node{n}
	x := n.Inputs[0]
	for x != m.Input {
		p := m.Node(x)
		if len(p.Inputs) != 1 || only(x) == nil {
			break
		}
		chain = append([]*Node{p}, chain...)
		x = p.Inputs[0]
	}
	end := n
	for {
		q := only(end.Name)
		if q == nil || len(q.Inputs) != 1 {
			break
		}
		chain = append(chain, q)
		end = q
	}
	// A residual branch: the chain ends at Add(x, branch) or Add(branch, x).
	if q := only(end.Name); q != nil {
		if _, ok := q.Layer.(*Add); ok && len(q.Inputs) == 2 && slices.Contains(q.Inputs, x) && q.Name != m.OutputName() {
			p := &bypassPlan{from: q.Name, to: x}
			for _, c := range chain {
				p.remove = append(p.remove, c.Name)
			}
			p.remove = append(p.remove, q.Name)
			return p, nil
		}
	}
	// A layer between equal widths: the layer and the pass-through nodes
	// after it.
	seg := []string{node}
	last := node
	for {
		q := only(last)
		if q == nil || len(q.Inputs) != 1 || !passThrough(q.Layer) {
			break
		}
		seg = append(seg, q.Name)
		last = q.Name
	}
	in, out := shapes[n.Inputs[0]], shapes[last]
	if last == m.OutputName() {
		return nil, refuse("its output %q is the model output", last)
	}
	if !slices.Equal(in, out) {
		return nil, refuse("its input %v and output %v differ (a bypass needs equal channels and size, or a residual branch)", in, out)
	}
	return &bypassPlan{remove: seg, from: last, to: n.Inputs[0]}, nil
}
