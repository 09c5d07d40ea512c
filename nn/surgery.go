package nn

import (
	"fmt"
	"slices"
	"sort"
)

// Change records what [RemoveFilters] removed from one node: output
// channels (filters, or batch-norm channels) and input channels (or input
// features of a linear layer), as indices into the node's old shapes.
type Change struct {
	Node string
	Kind Kind
	Out  []int
	In   []int
}

// RemoveFilters removes the given output filters of a convolution or linear
// node and every channel that depends on them, so that the model stays
// consistent. Channel removal follows the data:
//
//   - forward through batch norm (its scale, bias and statistics lose the
//     channel), ReLU and the other activations ([Act]), pooling, dropout
//     and global pooling;
//   - into a following dense convolution or linear layer, which loses the
//     matching input channel (and stops the propagation);
//   - through a depthwise convolution, whose channels follow its input: it
//     loses the input channel and its filters for it, and the removal goes
//     on from its output;
//   - through Flatten, where channel c becomes the features c·H·W to
//     (c+1)·H·W-1 of the following linear layer;
//   - through Concat, with the channel offset of its input;
//   - through Add. All inputs of an Add must keep the same channels, so a
//     channel removed from one input of an Add is removed from every input:
//     the removal is traced back from each input through the
//     channel-preserving layers above (batch norm, activations, pooling,
//     depthwise convolutions, other Adds) to the layers that produce the
//     channel, whose filters are removed too;
//   - through a [Binary] operation like through Add when its inputs have the
//     same channels, and into a [C 1 1] operand broadcast over the image
//     (the squeeze-and-excitation blocks of MobileNetV3 and EfficientNet:
//     the channel leaves the block's expanding convolution too). A constant
//     operand that varies along the channels loses the channel. Removing a
//     channel of an operand broadcast along the channel axis is refused.
//
// Other layers (softmax, layer norm, matrix products, transposes, reshapes,
// slices, reductions: the layers of transformers) stop the removal with an
// error naming the node: "nn: node "x" (softmax): cannot remove channels
// through softmax".
//
// Removal is refused, with nothing changed, if it would reach the model
// input or output, split a grouped (non-depthwise) convolution, or leave a
// layer with no channels. On success it returns the changes per node, in
// model order. Optimizer state for the changed parameters is reset on the
// next step; masks are cut to match.
func RemoveFilters(m *Model, node string, filters []int) ([]Change, error) {
	shapes, err := m.Shapes()
	if err != nil {
		return nil, err
	}
	n := m.Node(node)
	if n == nil {
		return nil, fmt.Errorf("nn: no node %q", node)
	}
	var outC int
	switch l := n.Layer.(type) {
	case *Conv:
		outC = l.OutC
	case *Linear:
		outC = l.Out
		if len(shapes[node]) != 1 {
			return nil, fmt.Errorf("nn: node %q: removing outputs of a linear layer applied to %v inputs is not supported (only feature vectors)", node, shapes[n.Inputs[0]])
		}
	default:
		return nil, fmt.Errorf("nn: node %q is %v; filters can be removed from conv and linear layers", node, n.Layer.Kind())
	}
	if len(filters) == 0 {
		return nil, nil
	}
	for _, f := range filters {
		if f < 0 || f >= outC {
			return nil, fmt.Errorf("nn: node %q: filter %d outside [0, %d)", node, f, outC)
		}
	}
	s := &surgery{m: m, shapes: shapes, producer: map[string]*Node{}, seen: map[string]map[int]bool{},
		out: map[*Node]map[int]bool{}, in: map[*Node]map[int]bool{}}
	for _, nd := range m.Nodes {
		s.producer[nd.Name] = nd
	}
	for _, f := range filters {
		if err := s.visit(node, f); err != nil {
			return nil, err
		}
	}
	return s.apply()
}

type surgery struct {
	m        *Model
	shapes   map[string][]int
	producer map[string]*Node
	seen     map[string]map[int]bool // tensor -> removed channels
	out, in  map[*Node]map[int]bool  // removed output / input channels per node
}

func mark(m map[*Node]map[int]bool, n *Node, c int) {
	if m[n] == nil {
		m[n] = map[int]bool{}
	}
	m[n][c] = true
}

// visit removes channel c of tensor t: from its producer (backward) and
// from its consumers (forward).
func (s *surgery) visit(t string, c int) error {
	if s.seen[t][c] {
		return nil
	}
	if s.seen[t] == nil {
		s.seen[t] = map[int]bool{}
	}
	s.seen[t][c] = true
	if t == s.m.Input {
		return fmt.Errorf("nn: removing channel %d would change the model input %q", c, t)
	}
	if t == s.m.OutputName() {
		return fmt.Errorf("nn: removing channel %d would change the model output %q", c, t)
	}
	if err := s.backward(s.producer[t], c); err != nil {
		return err
	}
	for _, q := range s.m.Nodes {
		for k, name := range q.Inputs {
			if name == t {
				if err := s.forward(q, k, c); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// backward handles the producer p of a tensor losing channel c.
func (s *surgery) backward(p *Node, c int) error {
	switch l := p.Layer.(type) {
	case *Conv:
		g := one(l.Groups)
		if g == 1 {
			mark(s.out, p, c)
			return nil
		}
		if !l.Depthwise() {
			return fmt.Errorf("nn: node %q: cannot remove a filter of a grouped convolution (%d groups)", p.Name, g)
		}
		mark(s.out, p, c)
		return s.visit(p.Inputs[0], c/(l.OutC/g))
	case *Linear:
		mark(s.out, p, c)
		return nil
	case *BatchNorm:
		mark(s.out, p, c)
		return s.visit(p.Inputs[0], c)
	case *ReLU, *Act, *MaxPool, *AvgPool, *GlobalAvgPool, *Dropout:
		return s.visit(p.Inputs[0], c)
	case *Binary:
		return s.binary(p, c)
	case *Add:
		for _, in := range p.Inputs {
			if err := s.visit(in, c); err != nil {
				return err
			}
		}
		return nil
	case *Concat:
		off := 0
		for _, in := range p.Inputs {
			k := s.shapes[in][0]
			if c < off+k {
				return s.visit(in, c-off)
			}
			off += k
		}
		return fmt.Errorf("nn: node %q: channel %d outside the concatenation", p.Name, c)
	case *Flatten:
		in := s.shapes[p.Inputs[0]]
		return s.visit(p.Inputs[0], c/numel(in[1:]))
	}
	return fmt.Errorf("nn: node %q (%v): cannot remove channels through %v", p.Name, p.Layer.Kind(), p.Layer.Kind())
}

// forward handles input k of consumer q losing channel c.
func (s *surgery) forward(q *Node, k, c int) error {
	switch l := q.Layer.(type) {
	case *Conv:
		g := one(l.Groups)
		if g == 1 {
			mark(s.in, q, c)
			return nil
		}
		if !l.Depthwise() {
			return fmt.Errorf("nn: node %q: cannot remove an input channel of a grouped convolution (%d groups)", q.Name, g)
		}
		mg := l.OutC / g
		for j := 0; j < mg; j++ {
			mark(s.out, q, c*mg+j)
			if err := s.visit(q.Name, c*mg+j); err != nil {
				return err
			}
		}
		return nil
	case *Linear:
		if len(s.shapes[q.Inputs[0]]) != 1 {
			return fmt.Errorf("nn: node %q (linear): cannot remove channel %d of its input %v, whose features are the last axis", q.Name, c, s.shapes[q.Inputs[0]])
		}
		mark(s.in, q, c)
		return nil
	case *BatchNorm:
		mark(s.out, q, c)
		return s.visit(q.Name, c)
	case *ReLU, *Act, *MaxPool, *AvgPool, *GlobalAvgPool, *Dropout, *Add:
		return s.visit(q.Name, c)
	case *Binary:
		if in, out := s.shapes[q.Inputs[k]], s.shapes[q.Name]; len(in) != len(out) || in[0] != out[0] {
			return fmt.Errorf("nn: node %q (binary %v): cannot remove channel %d of input %q of shape %v, which is broadcast to %v",
				q.Name, l.Op, c, q.Inputs[k], in, out)
		}
		return s.visit(q.Name, c)
	case *Concat:
		off := 0
		for _, in := range q.Inputs[:k] {
			off += s.shapes[in][0]
		}
		return s.visit(q.Name, off+c)
	case *Flatten:
		hw := numel(s.shapes[q.Inputs[0]][1:])
		for f := c * hw; f < (c+1)*hw; f++ {
			if err := s.visit(q.Name, f); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("nn: node %q (%v): cannot remove channels through %v", q.Name, q.Layer.Kind(), q.Layer.Kind())
}

// binary handles a Binary node p losing output channel c: every input
// that is not broadcast along the channel axis loses it too, and so does a
// constant that varies along it. (The scale of a squeeze-and-excitation
// block, [C 1 1], loses the channel with the image it multiplies.)
func (s *surgery) binary(p *Node, c int) error {
	l := p.Layer.(*Binary)
	out := s.shapes[p.Name]
	for _, in := range p.Inputs {
		if sh := s.shapes[in]; len(sh) == len(out) && sh[0] == out[0] {
			if err := s.visit(in, c); err != nil {
				return err
			}
		}
	}
	if l.Const != nil && len(l.Const.Shape) == len(out) && l.Const.Shape[0] > 1 {
		mark(s.out, p, c)
	}
	return nil
}

func sortedKeys(m map[int]bool) []int {
	k := make([]int, 0, len(m))
	for c := range m {
		k = append(k, c)
	}
	sort.Ints(k)
	return k
}

// apply checks that no layer loses all its channels, then cuts the
// parameters.
func (s *surgery) apply() ([]Change, error) {
	var changes []Change
	for _, n := range s.m.Nodes {
		out, in := sortedKeys(s.out[n]), sortedKeys(s.in[n])
		if len(out) == 0 && len(in) == 0 {
			continue
		}
		var haveOut, haveIn int
		switch l := n.Layer.(type) {
		case *Conv:
			haveOut, haveIn = l.OutC, l.InC
		case *Linear:
			haveOut, haveIn = l.Out, l.In
		case *BatchNorm:
			haveOut = l.C
		case *Binary:
			haveOut = l.Const.Shape[0]
		}
		if len(out) >= haveOut && len(out) > 0 || len(in) >= haveIn && len(in) > 0 {
			return nil, fmt.Errorf("nn: node %q would lose all its channels", n.Name)
		}
		changes = append(changes, Change{Node: n.Name, Kind: n.Layer.Kind(), Out: out, In: in})
	}
	for _, ch := range changes {
		n := s.m.Node(ch.Node)
		out, in := toSet(ch.Out), toSet(ch.In)
		switch l := n.Layer.(type) {
		case *Conv:
			if l.Depthwise() {
				// Input channels follow the filters: channel c goes with
				// its mg filters.
				mg := l.OutC / l.Groups
				l.Weight = cutParam(l.Weight, 0, out)
				l.Bias = cutParam(l.Bias, 0, out)
				l.OutC -= len(out)
				l.InC -= len(out) / mg
				l.Groups = l.InC
				continue
			}
			l.Weight = cutParam(cutParam(l.Weight, 0, out), 1, in)
			l.Bias = cutParam(l.Bias, 0, out)
			l.OutC -= len(out)
			l.InC -= len(in)
		case *Linear:
			l.Weight = cutParam(cutParam(l.Weight, 0, out), 1, in)
			l.Bias = cutParam(l.Bias, 0, out)
			l.Out -= len(out)
			l.In -= len(in)
		case *BatchNorm:
			l.Scale = cutParam(l.Scale, 0, out)
			l.Bias = cutParam(l.Bias, 0, out)
			l.Mean = cutSlice(l.Mean, out)
			l.Var = cutSlice(l.Var, out)
			l.C -= len(out)
		case *Binary:
			l.Const = cutParam(l.Const, 0, out)
		}
	}
	if err := s.m.Check(); err != nil {
		return changes, fmt.Errorf("nn: model inconsistent after surgery (a bug): %w", err)
	}
	return changes, nil
}

func toSet(s []int) map[int]bool {
	m := make(map[int]bool, len(s))
	for _, v := range s {
		m[v] = true
	}
	return m
}

func cutSlice(v []float32, drop map[int]bool) []float32 {
	out := make([]float32, 0, len(v)-len(drop))
	for i, x := range v {
		if !drop[i] {
			out = append(out, x)
		}
	}
	return out
}

// cutParam returns p without the indices drop along axis (0 or 1); the
// gradient is dropped, the mask is cut the same way.
func cutParam(p *Param, axis int, drop map[int]bool) *Param {
	if p == nil || len(drop) == 0 {
		return p
	}
	outer := numel(p.Shape[:axis])
	dim := p.Shape[axis]
	inner := numel(p.Shape[axis+1:])
	shape := slices.Clone(p.Shape)
	shape[axis] = dim - len(drop)
	q := &Param{Shape: shape, Data: make([]float32, 0, numel(shape))}
	if p.Mask != nil {
		q.Mask = make([]bool, 0, numel(shape))
	}
	for o := 0; o < outer; o++ {
		for d := 0; d < dim; d++ {
			if drop[d] {
				continue
			}
			lo := (o*dim + d) * inner
			q.Data = append(q.Data, p.Data[lo:lo+inner]...)
			if p.Mask != nil {
				q.Mask = append(q.Mask, p.Mask[lo:lo+inner]...)
			}
		}
	}
	return q
}
