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
// consistent. The channels of a convolution are axis 0 of its [C H W]
// output; those of a linear layer are the last axis of its output, so that
// a linear layer applied to tokens ([L F] inputs, as in a transformer)
// loses output features of every token. Channel removal follows the data:
//
//   - forward through batch norm (its scale, bias and statistics lose the
//     channel), ReLU and the other activations ([Act]), pooling, dropout
//     and global pooling, and through a [Slice] of another axis;
//   - into a following dense convolution or linear layer, which loses the
//     matching input channel (and stops the propagation): the hidden
//     features of a transformer's feed-forward block leave its first linear
//     layer's outputs and its second's inputs;
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
//     the channel leaves the block's expanding convolution too). Operands
//     are aligned at the last axis, as they broadcast. A constant operand
//     that varies along the channels loses the channel. Removing a channel
//     of an operand broadcast along the channel axis is refused.
//
// Other layers stop the removal with an error naming the node: "nn: node
// "x" (softmax): cannot remove channels through softmax". In a transformer
// these are layer norm and the reductions of a decomposed one (the model
// dimension is tied across the residual stream: the embedding, the
// attention output projections and the second layers of the feed-forward
// blocks cannot lose outputs), and the slices, reshapes, transposes,
// matrix products and softmax of attention (attention heads are not
// removed).
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
	s, changes, err := planRemoval(m, shapes, node, filters)
	if err != nil || len(changes) == 0 {
		return nil, err
	}
	return s.apply(changes)
}

// Refusal is a layer that [Prunable] found cannot lose filters, and why.
type Refusal struct {
	Node string
	Err  error
}

// Prunable returns the convolution and linear nodes of m that can lose a
// filter (they have more than one, and [RemoveFilters] accepts removing
// one), in model order, and the other convolution and linear nodes with
// the reason they cannot. It changes nothing. Pruning and NetAdapt
// consider only the prunable nodes; for a transformer these are the first
// linear layers of its feed-forward blocks.
func Prunable(m *Model) (ok []string, refused []Refusal, err error) {
	shapes, err := m.Shapes()
	if err != nil {
		return nil, nil, err
	}
	for _, n := range m.Nodes {
		var filters int
		switch l := n.Layer.(type) {
		case *Conv:
			filters = l.OutC
		case *Linear:
			filters = l.Out
		default:
			continue
		}
		if filters < 2 {
			refused = append(refused, Refusal{n.Name, fmt.Errorf("nn: node %q has %d filter", n.Name, filters)})
			continue
		}
		if _, _, err := planRemoval(m, shapes, n.Name, []int{0}); err != nil {
			refused = append(refused, Refusal{n.Name, err})
			continue
		}
		ok = append(ok, n.Name)
	}
	return ok, refused, nil
}

// planRemoval follows the removal of filters of node through m, whose shapes are
// given, and returns the changes per node without making them.
func planRemoval(m *Model, shapes map[string][]int, node string, filters []int) (*surgery, []Change, error) {
	n := m.Node(node)
	if n == nil {
		return nil, nil, fmt.Errorf("nn: no node %q", node)
	}
	var outC int
	switch l := n.Layer.(type) {
	case *Conv:
		outC = l.OutC
	case *Linear:
		outC = l.Out
	default:
		return nil, nil, fmt.Errorf("nn: node %q is %v; filters can be removed from conv and linear layers", node, n.Layer.Kind())
	}
	if len(filters) == 0 {
		return nil, nil, nil
	}
	for _, f := range filters {
		if f < 0 || f >= outC {
			return nil, nil, fmt.Errorf("nn: node %q: filter %d outside [0, %d)", node, f, outC)
		}
	}
	s := &surgery{m: m, shapes: shapes, producer: map[string]*Node{}, seen: map[string]map[int]bool{},
		axis: map[string]int{}, constAxis: map[*Node]int{}, out: map[*Node]map[int]bool{}, in: map[*Node]map[int]bool{}}
	for _, nd := range m.Nodes {
		s.producer[nd.Name] = nd
	}
	// A convolution's filters are its output's axis 0; a linear layer's
	// outputs are its output's last axis (the features of each token).
	a := len(shapes[node]) - 1
	if _, ok := n.Layer.(*Conv); ok {
		a = 0
	}
	for _, f := range filters {
		if err := s.visit(node, a, f); err != nil {
			return nil, nil, err
		}
	}
	changes, err := s.changes()
	return s, changes, err
}

type surgery struct {
	m        *Model
	shapes   map[string][]int
	producer map[string]*Node
	seen     map[string]map[int]bool // tensor -> removed channels
	axis     map[string]int          // tensor -> the axis of its removed channels
	// constAxis is the axis of a Binary's constant that loses the
	// node's removed output channels.
	constAxis map[*Node]int
	out, in   map[*Node]map[int]bool // removed output / input channels per node
}

func mark(m map[*Node]map[int]bool, n *Node, c int) {
	if m[n] == nil {
		m[n] = map[int]bool{}
	}
	m[n][c] = true
}

// visit removes channel c, the index c along axis a, of tensor t: from its
// producer (backward) and from its consumers (forward).
func (s *surgery) visit(t string, a, c int) error {
	if s.seen[t] != nil && s.axis[t] != a {
		return fmt.Errorf("nn: tensor %q %v would lose indices along both axis %d and axis %d", t, s.shapes[t], s.axis[t], a)
	}
	if s.seen[t][c] {
		return nil
	}
	if s.seen[t] == nil {
		s.seen[t] = map[int]bool{}
		s.axis[t] = a
	}
	s.seen[t][c] = true
	if t == s.m.Input {
		return fmt.Errorf("nn: removing channel %d would change the model input %q", c, t)
	}
	if t == s.m.OutputName() {
		return fmt.Errorf("nn: removing channel %d would change the model output %q", c, t)
	}
	if err := s.backward(s.producer[t], a, c); err != nil {
		return err
	}
	for _, q := range s.m.Nodes {
		for k, name := range q.Inputs {
			if name == t {
				if err := s.forward(q, k, a, c); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// backward handles the producer p of a tensor losing channel c along axis
// a.
func (s *surgery) backward(p *Node, a, c int) error {
	switch l := p.Layer.(type) {
	case *Conv:
		if a != 0 {
			return s.wrongAxis(p, a)
		}
		g := one(l.Groups)
		if g == 1 {
			mark(s.out, p, c)
			return nil
		}
		if !l.Depthwise() {
			return fmt.Errorf("nn: node %q: cannot remove a filter of a grouped convolution (%d groups)", p.Name, g)
		}
		mark(s.out, p, c)
		return s.visit(p.Inputs[0], 0, c/(l.OutC/g))
	case *Linear:
		if a != len(s.shapes[p.Name])-1 {
			return s.wrongAxis(p, a)
		}
		mark(s.out, p, c)
		return nil
	case *BatchNorm:
		if a != 0 {
			return s.wrongAxis(p, a)
		}
		mark(s.out, p, c)
		return s.visit(p.Inputs[0], 0, c)
	case *ReLU, *Act, *Dropout:
		return s.visit(p.Inputs[0], a, c)
	case *MaxPool, *AvgPool, *GlobalAvgPool:
		if a != 0 {
			return s.wrongAxis(p, a)
		}
		return s.visit(p.Inputs[0], 0, c)
	case *Binary:
		return s.binary(p, a, c)
	case *Add:
		for _, in := range p.Inputs {
			if err := s.visit(in, a, c); err != nil {
				return err
			}
		}
		return nil
	case *Concat:
		if a != 0 {
			return s.wrongAxis(p, a)
		}
		off := 0
		for _, in := range p.Inputs {
			k := s.shapes[in][0]
			if c < off+k {
				return s.visit(in, 0, c-off)
			}
			off += k
		}
		return fmt.Errorf("nn: node %q: channel %d outside the concatenation", p.Name, c)
	case *Flatten:
		if a != 0 {
			return s.wrongAxis(p, a)
		}
		in := s.shapes[p.Inputs[0]]
		return s.visit(p.Inputs[0], 0, c/numel(in[1:]))
	case *Slice:
		if l.Axis != a {
			return s.visit(p.Inputs[0], a, c)
		}
	}
	return s.refuse(p, a)
}

// forward handles input k of consumer q losing channel c along axis a.
func (s *surgery) forward(q *Node, k, a, c int) error {
	in := s.shapes[q.Inputs[k]]
	switch l := q.Layer.(type) {
	case *Conv:
		if a != 0 {
			return s.wrongAxis(q, a)
		}
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
			if err := s.visit(q.Name, 0, c*mg+j); err != nil {
				return err
			}
		}
		return nil
	case *Linear:
		if a != len(in)-1 {
			return fmt.Errorf("nn: node %q (linear): cannot remove index %d along axis %d of its input %v, whose features are the last axis", q.Name, c, a, in)
		}
		mark(s.in, q, c)
		return nil
	case *BatchNorm:
		if a != 0 {
			return s.wrongAxis(q, a)
		}
		mark(s.out, q, c)
		return s.visit(q.Name, 0, c)
	case *ReLU, *Act, *Dropout, *Add:
		return s.visit(q.Name, a, c)
	case *MaxPool, *AvgPool, *GlobalAvgPool:
		if a != 0 {
			return s.wrongAxis(q, a)
		}
		return s.visit(q.Name, 0, c)
	case *Binary:
		out := s.shapes[q.Name]
		ao := a + len(out) - len(in)
		if in[a] != out[ao] {
			return fmt.Errorf("nn: node %q (binary %v): cannot remove channel %d of input %q of shape %v, which is broadcast to %v",
				q.Name, l.Op, c, q.Inputs[k], in, out)
		}
		return s.visit(q.Name, ao, c)
	case *Concat:
		if a != 0 {
			return s.wrongAxis(q, a)
		}
		off := 0
		for _, in := range q.Inputs[:k] {
			off += s.shapes[in][0]
		}
		return s.visit(q.Name, 0, off+c)
	case *Flatten:
		if a != 0 {
			return s.wrongAxis(q, a)
		}
		hw := numel(in[1:])
		for f := c * hw; f < (c+1)*hw; f++ {
			if err := s.visit(q.Name, 0, f); err != nil {
				return err
			}
		}
		return nil
	case *Slice:
		if l.Axis != a {
			return s.visit(q.Name, a, c)
		}
	}
	return s.refuse(q, a)
}

// refuse is the error of a node that channel removal cannot pass.
func (s *surgery) refuse(n *Node, a int) error {
	k := n.Layer.Kind()
	why := ""
	switch k {
	case KindLayerNorm:
		why = " (it normalises over them: the model dimension of a transformer is tied across its residual stream and is not pruned)"
	case KindReduceMean:
		if slices.Contains(n.Layer.(*ReduceMean).Axes, a) {
			why = " (it averages over them, as a decomposed layer norm does: the model dimension of a transformer is tied across its residual stream and is not pruned)"
		}
	case KindPermute, KindSlice, KindMatMul, KindSoftmax:
		why = " (attention heads are not pruned; the hidden width of a transformer's feed-forward blocks is)"
	}
	return fmt.Errorf("nn: node %q (%v): cannot remove channels through %v%s", n.Name, k, k, why)
}

// wrongAxis is the error of a node whose channels are not the axis a along
// which indices are removed.
func (s *surgery) wrongAxis(n *Node, a int) error {
	return fmt.Errorf("nn: node %q (%v): cannot remove indices along axis %d of %v, which is not its channel axis", n.Name, n.Layer.Kind(), a, s.shapes[n.Name])
}

// binary handles a Binary node p losing output channel c along axis a:
// every input that is not broadcast along that axis (shapes aligned at the
// last axis) loses it too, and so does a constant that varies along it.
// (The scale of a squeeze-and-excitation block, [C 1 1], loses the channel
// with the image it multiplies; a transformer's positional embedding
// [L F] loses the feature.)
func (s *surgery) binary(p *Node, a, c int) error {
	l := p.Layer.(*Binary)
	out := s.shapes[p.Name]
	for _, in := range p.Inputs {
		sh := s.shapes[in]
		if ai := a - len(out) + len(sh); ai >= 0 && sh[ai] == out[a] {
			if err := s.visit(in, ai, c); err != nil {
				return err
			}
		}
	}
	if l.Const != nil {
		if ai := a - len(out) + len(l.Const.Shape); ai >= 0 && l.Const.Shape[ai] > 1 {
			mark(s.out, p, c)
			s.constAxis[p] = ai
		}
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

// changes returns the removals per node, in model order, or an error if a
// layer would lose all its channels.
func (s *surgery) changes() ([]Change, error) {
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
			haveOut = l.Const.Shape[s.constAxis[n]]
		}
		if len(out) >= haveOut && len(out) > 0 || len(in) >= haveIn && len(in) > 0 {
			return nil, fmt.Errorf("nn: node %q would lose all its channels", n.Name)
		}
		changes = append(changes, Change{Node: n.Name, Kind: n.Layer.Kind(), Out: out, In: in})
	}
	return changes, nil
}

// apply cuts the parameters.
func (s *surgery) apply(changes []Change) ([]Change, error) {
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
			l.Const = cutParam(l.Const, s.constAxis[n], out)
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

// cutParam returns p without the indices drop along axis; the
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
