package nn

import (
	"fmt"
	"slices"
	"strings"
)

// CBC is a partial channel-level bypass connection (NetAdaptV2: Yang, Liao
// and Sze, CVPR 2021): a layer that keeps Keep of the C output channels of
// its input x computes only those, and the other channels carry x through:
//
//	out = concat(f[:Keep], x[Keep:])
//
// Its inputs are f, the output of the layer's segment (the convolution or
// linear layer and the batch norm and activations after it) with at least
// Keep channels, and x, the layer's input, whose shape the output has. As
// Keep runs from C down to 0 the layer loses width and then leaves the
// network: depth and width are one search dimension. [PartialBypass]
// builds it; at Keep = 0 the segment is removed instead (output = input).
//
// Channels are axis 0 of the per-sample shapes ([C H W] images, [F]
// features).
type CBC struct {
	Keep int
}

// Kind returns KindCBC.
func (l *CBC) Kind() Kind { return KindCBC }

// Params returns nil.
func (l *CBC) Params() []*Param { return nil }

func (l *CBC) clone() Layer { d := *l; return &d }

// OutShape returns the shape of x, the second input.
func (l *CBC) OutShape(in [][]int) ([]int, error) {
	if len(in) != 2 {
		return nil, fmt.Errorf("cbc takes 2 inputs (the computed channels and the layer input), got %d", len(in))
	}
	f, x := in[0], in[1]
	if len(f) != len(x) || len(x) == 0 || !slices.Equal(f[1:], x[1:]) {
		return nil, fmt.Errorf("cbc: computed %v and bypassed %v differ beyond the channel axis", f, x)
	}
	if l.Keep < 0 || l.Keep > f[0] || l.Keep > x[0] {
		return nil, fmt.Errorf("cbc: keeps %d channels of computed %v and input %v", l.Keep, f, x)
	}
	return slices.Clone(x), nil
}

func (l *CBC) newOp(in [][]int, out []int, batch int) op {
	inner := numel(out[1:])
	return &cbcOp{l: l, batch: batch, f: in[0][0] * inner, x: out[0] * inner, inner: inner}
}

// cbcOp reads Keep from the layer at every pass, so that a super-network
// changes its width between passes without a new plan (package netadaptv2).
type cbcOp struct {
	l                  *CBC
	batch, f, x, inner int // f, x: one sample's values of each input
}

func (o *cbcOp) forward(r *run, in []*Tensor, out *Tensor, train bool) {
	k := o.l.Keep * o.inner
	for i := range o.batch {
		y := out.Data[i*o.x : (i+1)*o.x]
		copy(y[:k], in[0].Data[i*o.f:i*o.f+k])
		copy(y[k:], in[1].Data[i*o.x+k:(i+1)*o.x])
	}
}

func (o *cbcOp) backward(r *run, in []*Tensor, out, dout *Tensor, din []*Tensor) {
	k := o.l.Keep * o.inner
	if d := din[0]; d != nil {
		clear(d.Data)
		for i := range o.batch {
			copy(d.Data[i*o.f:i*o.f+k], dout.Data[i*o.x:i*o.x+k])
		}
	}
	if d := din[1]; d != nil {
		for i := range o.batch {
			clear(d.Data[i*o.x : i*o.x+k])
			copy(d.Data[i*o.x+k:(i+1)*o.x], dout.Data[i*o.x+k:(i+1)*o.x])
		}
	}
}

// The names of the nodes [PartialBypass] adds for node n: the bypass and,
// before a depthwise convolution, the slice of the channels it computes.
func cbcName(n string) string   { return n + "_cbc" }
func cbcInName(n string) string { return n + "_cbc_in" }

// segment is a convolution or linear node with the pass-through nodes
// after it (batch norm, activations, dropout), each the only reader of the
// one before, and what surrounds it.
type segment struct {
	nodes []*Node // the layer first
	x     string  // the layer's input (before its slice, if bypassed)
	slice *Node   // the slice before a bypassed depthwise layer, or nil
	cbc   *Node   // the bypass after the segment, or nil
}

func (s *segment) end() string { return s.nodes[len(s.nodes)-1].Name }

func findSegment(m *Model, node string) (*segment, error) {
	n := m.Node(node)
	if n == nil {
		return nil, fmt.Errorf("nn: no node %q", node)
	}
	switch l := n.Layer.(type) {
	case *Linear:
	case *Conv:
		if g := one(l.Groups); g > 1 && !l.Depthwise() {
			return nil, fmt.Errorf("nn: node %q: a grouped convolution (%d groups) cannot be bypassed partially", node, g)
		}
	default:
		return nil, fmt.Errorf("nn: node %q is %v; a partial bypass takes a convolution or linear layer", node, n.Layer.Kind())
	}
	only := func(t string) *Node {
		if t == m.OutputName() {
			return nil
		}
		if cs := m.Consumers(t); len(cs) == 1 {
			return cs[0]
		}
		return nil
	}
	s := &segment{nodes: []*Node{n}, x: n.Inputs[0]}
	for {
		q := only(s.end())
		if q == nil || len(q.Inputs) != 1 || !passThrough(q.Layer) {
			break
		}
		s.nodes = append(s.nodes, q)
	}
	if q := only(s.end()); q != nil {
		if _, ok := q.Layer.(*CBC); ok && q.Inputs[0] == s.end() {
			s.cbc, s.x = q, q.Inputs[1]
			if p := m.Node(n.Inputs[0]); p != nil && p.Name == cbcInName(node) {
				if _, ok := p.Layer.(*Slice); ok {
					s.slice = p
				}
			}
		}
	}
	return s, nil
}

// CanBypassPartially reports, as an error naming the reason, why node
// cannot take a partial bypass ([PartialBypass]); nil when it can.
func CanBypassPartially(m *Model, node string) error {
	_, _, _, err := planPartial(m, node)
	return err
}

// planPartial returns m's shapes, node's segment and the channels of its
// input; the bypass needs the input and the segment's output of one shape.
func planPartial(m *Model, node string) (map[string][]int, *segment, int, error) {
	shapes, err := m.Shapes()
	if err != nil {
		return nil, nil, 0, err
	}
	s, err := findSegment(m, node)
	if err != nil {
		return nil, nil, 0, err
	}
	if s.cbc != nil {
		return shapes, s, shapes[s.x][0], nil
	}
	refuse := func(format string, a ...any) error {
		return fmt.Errorf("nn: node %q (%v) cannot be bypassed: %s", node, s.nodes[0].Layer.Kind(), fmt.Sprintf(format, a...))
	}
	if s.end() == m.OutputName() {
		return nil, nil, 0, refuse("its output %q is the model output", s.end())
	}
	in, out := shapes[s.x], shapes[s.end()]
	if !slices.Equal(in, out) {
		return nil, nil, 0, refuse("its input %v and output %v differ (a partial bypass needs equal channels and size)", in, out)
	}
	return shapes, s, in[0], nil
}

// PartialBypass makes node (a convolution or linear layer whose input and
// output, after the batch norm and activations that follow it, have one
// shape) compute only its first keep output channels, the others carrying
// its input through: a [CBC] node named node+"_cbc" joins the two, and a
// depthwise convolution reads the first keep channels of its input through
// a [Slice] named node+"_cbc_in". The layer loses its filters from keep on
// (and its batch norms their channels); the model's readers of the segment
// read the bypass, whose output has the segment's shape, so nothing else
// changes. Called again on a bypassed node it shrinks it further (keep at
// most the channels it computes). With keep = 0 the segment (and any
// bypass nodes) leaves the model and its readers read its input; the
// removed nodes are returned in model order. keep = the channels computed
// changes nothing. A node that [AddBypass] bypassed (all channels
// computed, its Keep lowered) is cut to keep at most that Keep. On error m
// is unchanged.
func PartialBypass(m *Model, node string, keep int) (removed []string, err error) {
	shapes, s, c, err := planPartial(m, node)
	if err != nil {
		return nil, err
	}
	limit := c
	if s.cbc != nil {
		limit = s.cbc.Layer.(*CBC).Keep
	}
	if keep < 0 || keep > limit {
		return nil, fmt.Errorf("nn: node %q: keep %d channels outside [0, %d]", node, keep, limit)
	}
	if keep == shapes[node][0] { // computes keep channels, keeps them all
		return nil, nil
	}
	if keep == 0 {
		drop := map[string]bool{}
		for _, n := range s.nodes {
			drop[n.Name] = true
		}
		from := s.end()
		if s.cbc != nil {
			drop[s.cbc.Name], from = true, s.cbc.Name
		}
		if s.slice != nil {
			drop[s.slice.Name] = true
		}
		nodes := make([]*Node, 0, len(m.Nodes))
		for _, n := range m.Nodes {
			if drop[n.Name] {
				removed = append(removed, n.Name)
				continue
			}
			for k, in := range n.Inputs {
				if in == from {
					n.Inputs[k] = s.x
				}
			}
			nodes = append(nodes, n)
		}
		m.Nodes = nodes
		return removed, m.checkAfter("bypass")
	}
	// Cut the filters from keep on, in the layer and its batch norms.
	cut := map[int]bool{}
	for f := keep; f < shapes[s.nodes[0].Name][0]; f++ {
		cut[f] = true
	}
	lead := s.nodes[0]
	depthwise := s.slice != nil
	switch l := lead.Layer.(type) {
	case *Conv:
		depthwise = depthwise || l.Depthwise()
		l.Weight, l.Bias = cutParam(l.Weight, 0, cut), cutParam(l.Bias, 0, cut)
		l.OutC = keep
		if depthwise { // one input channel per filter
			l.InC, l.Groups = keep, keep
			if keep == 1 {
				l.Groups = 1
			}
		}
	case *Linear:
		l.Weight, l.Bias = cutParam(l.Weight, 0, cut), cutParam(l.Bias, 0, cut)
		l.Out = keep
	}
	for _, n := range s.nodes[1:] {
		if b, ok := n.Layer.(*BatchNorm); ok {
			b.Scale, b.Bias = cutParam(b.Scale, 0, cut), cutParam(b.Bias, 0, cut)
			b.Mean, b.Var = cutSlice(b.Mean, cut), cutSlice(b.Var, cut)
			b.C = keep
		}
	}
	if s.cbc != nil {
		s.cbc.Layer.(*CBC).Keep = keep
		if s.slice != nil {
			s.slice.Layer.(*Slice).End = keep
		}
	}
	// Rewire the segment's readers to a new bypass, and slice the input of
	// a depthwise layer that has no slice yet.
	var nodes []*Node
	end := s.end()
	for _, n := range m.Nodes {
		if n == lead && depthwise && s.slice == nil {
			nodes = append(nodes, &Node{Name: cbcInName(node), Layer: &Slice{Axis: 0, Start: 0, End: keep}, Inputs: []string{s.x}})
			n.Inputs[0] = cbcInName(node)
		}
		if s.cbc == nil {
			for k, in := range n.Inputs {
				if in == end {
					n.Inputs[k] = cbcName(node)
				}
			}
		}
		nodes = append(nodes, n)
		if n.Name == end && s.cbc == nil {
			nodes = append(nodes, &Node{Name: cbcName(node), Layer: &CBC{Keep: keep}, Inputs: []string{end, s.x}})
		}
	}
	m.Nodes = nodes
	return nil, m.checkAfter("partial bypass")
}

// AddBypass puts a [CBC] node named node+"_cbc" after node's segment (see
// [PartialBypass] for the layers that take one) with Keep at every channel:
// the layer still computes them all, and lowering the returned layer's
// Keep switches the model between widths without surgery, the bypassed
// channels carrying the layer's input (a super-network trained with
// ordered dropout, package netadaptv2). The model's outputs do not change
// while Keep is every channel. [RemoveBypasses] takes such nodes out again.
func AddBypass(m *Model, node string) (*CBC, error) {
	_, s, c, err := planPartial(m, node)
	if err != nil {
		return nil, err
	}
	if s.cbc != nil {
		return nil, fmt.Errorf("nn: node %q is bypassed already (%s)", node, s.cbc.Name)
	}
	l := &CBC{Keep: c}
	end := s.end()
	var nodes []*Node
	for _, n := range m.Nodes {
		for k, in := range n.Inputs {
			if in == end {
				n.Inputs[k] = cbcName(node)
			}
		}
		nodes = append(nodes, n)
		if n.Name == end {
			nodes = append(nodes, &Node{Name: cbcName(node), Layer: l, Inputs: []string{end, s.x}})
		}
	}
	m.Nodes = nodes
	return l, m.checkAfter("adding a bypass")
}

// RemoveBypasses takes out every [CBC] node whose layer computes all the
// channels it outputs (as [AddBypass] puts them, whatever their Keep): its
// readers read the layer's segment again. It returns the nodes removed and
// refuses, with m unchanged, a bypass that replaces channels the layer no
// longer computes (one [PartialBypass] made).
func RemoveBypasses(m *Model) ([]string, error) {
	shapes, err := m.Shapes()
	if err != nil {
		return nil, err
	}
	to := map[string]string{}
	var removed []string
	for _, n := range m.Nodes {
		if _, ok := n.Layer.(*CBC); !ok {
			continue
		}
		if f := n.Inputs[0]; !slices.Equal(shapes[f], shapes[n.Name]) {
			return nil, fmt.Errorf("nn: node %q: the bypass replaces channels its layer no longer computes (%v of %v)", n.Name, shapes[f], shapes[n.Name])
		}
		to[n.Name] = n.Inputs[0]
		removed = append(removed, n.Name)
	}
	if len(removed) == 0 {
		return nil, nil
	}
	nodes := m.Nodes[:0]
	for _, n := range m.Nodes {
		if _, ok := to[n.Name]; ok {
			continue
		}
		for k, in := range n.Inputs {
			for {
				t, ok := to[in]
				if !ok {
					break
				}
				in = t
			}
			n.Inputs[k] = in
		}
		nodes = append(nodes, n)
	}
	m.Nodes = nodes
	if m.Output != "" {
		if t, ok := to[m.Output]; ok {
			m.Output = t
		}
	}
	return removed, m.checkAfter("removing bypasses")
}

func (m *Model) checkAfter(what string) error {
	if err := m.Check(); err != nil {
		return fmt.Errorf("nn: model inconsistent after %s (a bug): %w", what, err)
	}
	return nil
}

// Bypasses returns, per [CBC] node of m, the node whose channels it
// bypasses partially and the channels it computes, in model order.
func Bypasses(m *Model) []BypassInfo {
	var out []BypassInfo
	for _, n := range m.Nodes {
		l, ok := n.Layer.(*CBC)
		if !ok {
			continue
		}
		layer := n.Name
		if name, ok := strings.CutSuffix(n.Name, "_cbc"); ok && m.Node(name) != nil {
			layer = name
		}
		out = append(out, BypassInfo{Node: n.Name, Layer: layer, Keep: l.Keep})
	}
	return out
}

// BypassInfo describes one partial bypass: its node, the layer it
// bypasses, and the channels that layer computes.
type BypassInfo struct {
	Node, Layer string
	Keep        int
}
