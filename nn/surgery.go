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
	// Bypassed lists the nodes removed when Node lost every filter and
	// became a channel-level bypass ([Bypass]); Out and In are then empty.
	Bypassed []string
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
// matrix products and softmax of attention, which lose whole heads
// ([RemoveHeads]).
//
// Node may also be a matmul [H L L] of attention, whose filters are then
// its heads: see [RemoveHeads].
//
// Removing every filter of a convolution or linear node makes it a
// channel-level bypass where the shapes allow ([Bypass]): the node (with
// its batch norm and activation, or its whole residual branch) leaves the
// model, and the one change returned lists them in Bypassed.
//
// Removal is refused, with nothing changed, if it would reach the model
// input or output, split a grouped (non-depthwise) convolution, or leave a
// layer with no channels (a node losing every filter that cannot be
// bypassed: the error gives both reasons). On success it returns the changes per node, in
// model order. Optimizer state for the changed parameters is reset on the
// next step; masks are cut to match.
func RemoveFilters(m *Model, node string, filters []int) ([]Change, error) {
	shapes, err := m.Shapes()
	if err != nil {
		return nil, err
	}
	if n := m.Node(node); n != nil && allFilters(n, filters) {
		if _, err := planBypass(m, shapes, node); err != nil {
			return nil, fmt.Errorf("nn: node %q would lose all its channels, and %w", node, err)
		}
		removed, err := Bypass(m, node)
		if err != nil {
			return nil, err
		}
		return []Change{{Node: node, Kind: n.Layer.Kind(), Bypassed: removed}}, nil
	}
	s, changes, err := planRemoval(m, shapes, node, filters)
	if err != nil || len(changes) == 0 {
		return nil, err
	}
	return s.apply(changes)
}

// PlanRemoval returns the changes [RemoveFilters] would make to remove
// filters of node, without making them (no bypass: removing every filter
// is refused).
func PlanRemoval(m *Model, node string, filters []int) ([]Change, error) {
	shapes, err := m.Shapes()
	if err != nil {
		return nil, err
	}
	_, changes, err := planRemoval(m, shapes, node, filters)
	return changes, err
}

// allFilters reports whether filters names every filter of a convolution
// or linear node (each once, all in range).
func allFilters(n *Node, filters []int) bool {
	var k int
	switch l := n.Layer.(type) {
	case *Conv:
		k = l.OutC
	case *Linear:
		k = l.Out
	default:
		return false
	}
	seen := map[int]bool{}
	for _, f := range filters {
		if f < 0 || f >= k {
			return false
		}
		seen[f] = true
	}
	return len(seen) == k
}

// Refusal is a layer that [Prunable] found cannot lose filters, and why.
type Refusal struct {
	Node string
	Err  error
}

// Prunable returns the convolution and linear nodes of m that can lose a
// filter (they have more than one, and [RemoveFilters] accepts removing
// one) and the attention products that can lose a head ([RemoveHeads];
// one per attention block), in model order, and the other convolution and
// linear nodes with the reason they cannot. It changes nothing. NetAdapt
// considers only the prunable nodes, and filter pruning the convolution
// and linear ones among them; for a transformer these are the first
// linear layers of its feed-forward blocks and the heads of its attention
// blocks.
func Prunable(m *Model) (ok []string, refused []Refusal, err error) {
	shapes, err := m.Shapes()
	if err != nil {
		return nil, nil, err
	}
	heads := map[string]bool{} // the projections of the heads listed
	for _, n := range m.Nodes {
		var filters int
		switch l := n.Layer.(type) {
		case *Conv:
			filters = l.OutC
		case *Linear:
			filters = l.Out
		case *MatMul:
			if sh := shapes[n.Name]; len(sh) == 3 && sh[0] > 1 {
				// An attention block's heads, listed once (at its first
				// product); other matmuls are not reported.
				_, changes, err := planRemoval(m, shapes, n.Name, []int{0})
				if err != nil || len(changes) == 0 {
					continue
				}
				key := fmt.Sprint(changes[0].Node, changes[0].Out)
				if !heads[key] {
					heads[key] = true
					ok = append(ok, n.Name)
				}
			}
			continue
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
	s := newSurgery(m, shapes)
	// A convolution's filters are its output's axis 0; a linear layer's
	// outputs are its output's last axis (the features of each token); an
	// attention product's heads are its output's axis 0.
	var outC, a int
	what := "filter"
	switch l := n.Layer.(type) {
	case *Conv:
		outC = l.OutC
	case *Linear:
		outC, a = l.Out, len(shapes[node])-1
	case *MatMul:
		outC, s.heads, what = shapes[node][0], true, "head"
	default:
		return nil, nil, fmt.Errorf("nn: node %q is %v; filters can be removed from conv and linear layers", node, n.Layer.Kind())
	}
	if sh := shapes[node]; s.heads && len(sh) != 3 {
		return nil, nil, fmt.Errorf("nn: node %q: matmul of shape %v; heads are the first axis of a matmul [H L L] of attention", node, sh)
	}
	if len(filters) == 0 {
		return nil, nil, nil
	}
	for _, f := range filters {
		if f < 0 || f >= outC {
			return nil, nil, fmt.Errorf("nn: node %q: %s %d outside [0, %d)", node, what, f, outC)
		}
	}
	for _, f := range filters {
		if err := s.visit(node, a, f); err != nil {
			return nil, nil, err
		}
	}
	if s.heads && len(s.seen[node]) >= outC {
		return nil, nil, fmt.Errorf("nn: node %q would lose all its %d heads", node, outC)
	}
	changes, err := s.changes()
	return s, changes, err
}

// RemoveHeads removes attention heads. Node is the product of the queries
// and the keys of an attention block ([MatMul], [H L L] per sample) and
// heads index its first axis. The removal follows the head through the
// products, the softmax, the transposes and reshapes that split the model
// dimension into heads and merge them back, and the slices of a fused
// query/key/value projection: the projection loses the head's query, key
// and value outputs (and the slices shift), the output projection its
// inputs. Removal is refused, with nothing changed, if it would remove
// every head or meet anything else than those layers and the ones
// [RemoveFilters] follows; on success it returns the changes per node, in
// model order. It is [RemoveFilters] on a matmul; the product of the
// attention weights and the values names the same heads.
func RemoveHeads(m *Model, node string, heads []int) ([]Change, error) {
	if n := m.Node(node); n != nil {
		if _, ok := n.Layer.(*MatMul); !ok {
			return nil, fmt.Errorf("nn: node %q is %v; heads are the first axis of a matmul [H L L] of attention", node, n.Layer.Kind())
		}
	}
	return RemoveFilters(m, node, heads)
}

func newSurgery(m *Model, shapes map[string][]int) *surgery {
	s := &surgery{m: m, shapes: shapes, producer: map[string]*Node{}, seen: map[string]map[int]bool{},
		axis: map[string]int{}, constAxis: map[*Node]int{}, out: map[*Node]map[int]bool{}, in: map[*Node]map[int]bool{}}
	for _, nd := range m.Nodes {
		s.producer[nd.Name] = nd
	}
	return s
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
	// heads lets the removal through attention: slices, reshapes and
	// transposes, products of activations and softmax ([RemoveHeads]).
	heads   bool
	out, in map[*Node]map[int]bool // removed output / input channels per node
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
		if s.heads {
			return s.visit(p.Inputs[0], a, l.Start+c)
		}
	case *Permute:
		if s.heads {
			ia, idx, err := s.permuteAxis(p, a, c, false)
			if err != nil {
				return err
			}
			for _, i := range idx {
				if err := s.visit(p.Inputs[0], ia, i); err != nil {
					return err
				}
			}
			return nil
		}
	case *MatMul:
		if s.heads {
			r := len(s.shapes[p.Name])
			switch {
			case a < r-2:
				for _, in := range p.Inputs {
					if err := s.visit(in, a, c); err != nil {
						return err
					}
				}
				return nil
			case a == r-2:
				return s.visit(p.Inputs[0], a, c)
			default:
				return s.visit(p.Inputs[1], a, c)
			}
		}
	case *Softmax:
		if s.heads && l.Axis != a {
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
		if s.heads {
			// The slice's window shifts when indices before it go.
			mark(s.in, q, c)
			if c >= l.Start && c < l.End {
				return s.visit(q.Name, a, c-l.Start)
			}
			return nil
		}
	case *Permute:
		if s.heads {
			oa, idx, err := s.permuteAxis(q, a, c, true)
			if err != nil {
				return err
			}
			for _, i := range idx {
				if err := s.visit(q.Name, oa, i); err != nil {
					return err
				}
			}
			return nil
		}
	case *MatMul:
		if s.heads {
			r := len(in)
			switch {
			case a < r-2: // a leading (head) axis of both operands and the product
				if err := s.visit(q.Inputs[1-k], a, c); err != nil {
					return err
				}
				return s.visit(q.Name, a, c)
			case k == 0 && a == r-2: // a row
				return s.visit(q.Name, a, c)
			case k == 1 && a == r-1: // a column
				return s.visit(q.Name, a, c)
			case k == 0: // the inner axis, of both operands
				return s.visit(q.Inputs[1], r-2, c)
			default:
				return s.visit(q.Inputs[0], r-1, c)
			}
		}
	case *Softmax:
		if s.heads && l.Axis != a {
			return s.visit(q.Name, a, c)
		}
	}
	return s.refuse(q, a)
}

// permuteAxis maps index c along axis a of the input of a Permute p to its
// output (forward) or back. A reshape that splits the axis maps the index
// to its block along the outermost of the new axes (removing one feature
// of a head removes the head); one that merges axes maps an index of the
// outermost to its block of the merged axis. Other reshapes, and views of
// the input (In), are refused.
func (s *surgery) permuteAxis(p *Node, a, c int, forward bool) (int, []int, error) {
	l := p.Layer.(*Permute)
	if l.In != nil {
		return 0, nil, s.refuse(p, a)
	}
	in := s.shapes[p.Inputs[0]]
	perm := l.Perm
	if perm == nil {
		perm = make([]int, len(in))
		for i := range perm {
			perm[i] = i
		}
	}
	permuted := make([]int, len(in))
	for i, x := range perm {
		permuted[i] = in[x]
	}
	out := s.shapes[p.Name]
	if forward {
		pa := slices.Index(perm, a)
		if l.Out == nil {
			return pa, []int{c}, nil
		}
		oa, idx, ok := reshapeAxis(permuted, out, pa, c)
		if !ok {
			return 0, nil, s.refuse(p, a)
		}
		return oa, idx, nil
	}
	pa, idx := a, []int{c}
	if l.Out != nil {
		var ok bool
		if pa, idx, ok = reshapeAxis(out, permuted, a, c); !ok {
			return 0, nil, s.refuse(p, a)
		}
	}
	return perm[pa], idx, nil
}

// reshapeAxis maps index c along axis a of shape from to the shape to of
// the same size: the axis and the indices that go with it.
func reshapeAxis(from, to []int, a, c int) (int, []int, bool) {
	// The axes of from and to between two equal prefix products form a
	// group.
	pre := func(s []int) []int {
		p := []int{1}
		for _, d := range s {
			p = append(p, p[len(p)-1]*d)
		}
		return p
	}
	pf, pt := pre(from), pre(to)
	i0, i1 := a, a+1
	for !slices.Contains(pt, pf[i0]) {
		i0--
	}
	for !slices.Contains(pt, pf[i1]) {
		i1++
	}
	o0, o1 := slices.Index(pt, pf[i0]), slices.Index(pt, pf[i1])
	for o := o0; o < o1; o++ {
		if to[o] == 1 {
			return 0, nil, false
		}
	}
	for i := i0; i < i1; i++ {
		if from[i] == 1 {
			return 0, nil, false
		}
	}
	switch {
	case i1-i0 == 1: // the same axis, or split: the block along the outermost
		return o0, []int{c / numel(to[o0+1:o1])}, true
	case o1-o0 == 1 && a == i0: // merged with inner axes: the block
		inner := numel(from[i0+1 : i1])
		idx := make([]int, inner)
		for j := range idx {
			idx[j] = c*inner + j
		}
		return o0, idx, true
	}
	return 0, nil, false
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
	case KindCBC:
		why = " (a partial bypass: shrink the layer it bypasses with PartialBypass)"
	case KindPermute, KindSlice, KindMatMul, KindSoftmax:
		why = " (attention is pruned by whole heads, at the product of queries and keys: see RemoveHeads)"
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
		case *Slice:
			haveIn = s.shapes[n.Inputs[0]][l.Axis] + 1 // may lose all but its window
			kept := l.End - l.Start
			for _, c := range in {
				if c >= l.Start && c < l.End {
					kept--
				}
			}
			if kept == 0 {
				return nil, fmt.Errorf("nn: node %q would lose all its channels", n.Name)
			}
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
		case *Slice:
			start, end := l.Start, l.End
			for _, c := range ch.In {
				if c < start {
					l.Start--
				}
				if c < end {
					l.End--
				}
			}
		}
	}
	// A reshape's output shape loses the removed indices.
	for _, n := range s.m.Nodes {
		if l, ok := n.Layer.(*Permute); ok && l.Out != nil && len(s.seen[n.Name]) > 0 {
			l.Out = slices.Clone(l.Out)
			l.Out[s.axis[n.Name]] -= len(s.seen[n.Name])
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
