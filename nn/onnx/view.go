package onnx

import (
	"slices"

	"github.com/nnergy/nnergy/nn"
	"github.com/nnergy/nnergy/onnx"
	"github.com/nnergy/nnergy/onnx/graph"
)

// Attention blocks as PyTorch exports them move the batch away from the
// first axis: nn.MultiheadAttention transposes [N L E] to [L N E], views
// it as [L N·H E/H], transposes to [N·H L E/H], multiplies, and goes back
// through [L·N E]. The engine keeps every tensor as [N, per-sample...], so
// the importer tracks such values as views of an nn tensor: which of the
// tensor's axes (0 the batch, k the per-sample axis k-1) make up each ONNX
// dimension, merged in row-major order. Transposes and reshapes change only
// the view (a reshape that splits an axis adds a copy that refines the
// tensor's shape). Operations that work along the last dimension (matrix
// products by weights, softmax, layer norm, elementwise operations) run on
// the tensor as it is laid out when that dimension is its last axis; other
// operations get the value rearranged into [N, per-sample...] by a
// [nn.Permute] layer, and the product of two activations gets both
// operands rearranged into [N, B..., M, K] where the batch leads the first
// dimension.

// view maps each ONNX dimension of a value to the nn tensor axes whose
// product it is; nil is the identity, [N, shape...].
type view [][]int

// groups returns v's view, the identity when v has none.
func (v *value) groups() view {
	if v.view != nil {
		return v.view
	}
	g := make(view, len(v.shape)+1)
	for i := range g {
		g[i] = []int{i}
	}
	return g
}

// dims returns the ONNX shape of activation v as its view lays it out,
// multiples of the batch as the front-end writes them (graph.Dims).
func (v *value) dims() graph.Dims {
	g := v.groups()
	out := make(graph.Dims, len(g))
	for i, axes := range g {
		k, batch := int64(1), false
		for _, a := range axes {
			if a == 0 {
				batch = true
			} else {
				k *= int64(v.shape[a-1])
			}
		}
		out[i] = k
		if batch {
			out[i] = -k
		}
	}
	return out
}

// normalize returns nil for the identity view of a tensor of per-sample
// shape shape, else g.
func normalize(g view, shape []int) view {
	if len(g) != len(shape)+1 {
		return g
	}
	for i, axes := range g {
		if len(axes) != 1 || axes[0] != i {
			return g
		}
	}
	return nil
}

func flatten(g view) []int {
	var out []int
	for _, axes := range g {
		out = append(out, axes...)
	}
	return out
}

// arrange appends a Permute that lays v's tensor out in the given order of
// its axes (order[0] is the batch, 0) and views the result as out; the
// result has view g.
func (im *importer) arrange(n *onnx.Node, v *value, order, out []int, g view) (*value, error) {
	perm := make([]int, len(order)-1)
	permuted := make([]int, len(perm))
	for i, a := range order[1:] {
		perm[i] = a - 1
		permuted[i] = v.shape[a-1]
	}
	l := &nn.Permute{Perm: perm, Out: out}
	if isIdentity(perm) {
		l.Perm = nil
	}
	if slices.Equal(out, permuted) {
		l.Out = nil
	}
	if l.Perm == nil && l.Out == nil {
		return &value{act: v.act, shape: v.shape, view: normalize(g, v.shape), node: v.node}, nil
	}
	w, err := im.layer(n, "/layout", l, v.act)
	if err != nil {
		return nil, err
	}
	w.view = normalize(g, w.shape)
	return w, nil
}

func isIdentity(p []int) bool {
	for i, a := range p {
		if a != i {
			return false
		}
	}
	return true
}

// canonical returns the activation v laid out as [N, shape...].
func (im *importer) canonical(n *onnx.Node, name string, v *value) (*value, error) {
	if v.view == nil {
		return v, nil
	}
	if v.canon != nil {
		return v.canon, nil
	}
	g := v.view
	if len(g) < 2 || !slices.Equal(g[0], []int{0}) {
		return nil, im.errorf(n, "input %q has shape %s; here the first dimension must be the batch alone", name, v.dims())
	}
	d := v.dims()
	out := make([]int, len(d)-1)
	for i, x := range d[1:] {
		out[i] = int(x)
	}
	c, err := im.arrange(n, v, flatten(g), out, nil)
	if err != nil {
		return nil, err
	}
	v.canon = c
	return c, nil
}

// batched returns the activation v laid out so that the batch leads its
// first dimension and the tensor's axes follow its dimensions: [N, B,
// rest...] for an ONNX shape [N·B rest...] (or [N rest...]).
func (im *importer) batched(n *onnx.Node, name string, v *value) (*value, error) {
	g := v.groups()
	order := flatten(g)
	if len(g) < 2 || len(g[0]) == 0 || g[0][0] != 0 {
		return nil, im.errorf(n, "input %q has shape %s; here the batch must lead the first dimension", name, v.dims())
	}
	d := v.dims()
	var out []int
	var ng view
	if len(g[0]) > 1 {
		out = append(out, int(-d[0]))
		ng = append(ng, []int{0, 1})
	} else {
		ng = append(ng, []int{0})
	}
	for _, x := range d[1:] {
		out = append(out, int(x))
		ng = append(ng, []int{len(out)})
	}
	return im.arrange(n, v, order, out, ng)
}

// rows returns the activation v laid out so that its last dimension is
// the last axis of its tensor, for the operations along it.
func (im *importer) rows(n *onnx.Node, name string, v *value) (*value, error) {
	g := v.groups()
	last := g[len(g)-1]
	if slices.Equal(last, []int{len(v.shape)}) {
		return v, nil
	}
	if slices.Contains(last, 0) {
		return nil, im.errorf(n, "input %q has shape %s; the batch cannot be in the last dimension", name, v.dims())
	}
	order := []int{0}
	for _, a := range flatten(g[:len(g)-1]) {
		if a != 0 {
			order = append(order, a)
		}
	}
	pos := map[int]int{0: 0}
	var out []int
	for i, a := range order[1:] {
		pos[a] = i + 1
		out = append(out, v.shape[a-1])
	}
	size := 1
	for _, a := range last {
		size *= v.shape[a-1]
	}
	out = append(out, size)
	order = append(order, last...)
	ng := make(view, len(g))
	for i, axes := range g[:len(g)-1] {
		ng[i] = []int{}
		for _, a := range axes {
			ng[i] = append(ng[i], pos[a])
		}
	}
	ng[len(g)-1] = []int{len(out)}
	return im.arrange(n, v, order, out, ng)
}

// anyAct returns input i, an activation with or without a view.
func (im *importer) anyAct(n *onnx.Node, i int) (*value, error) {
	v, err := im.get(n, i)
	if err != nil {
		return nil, err
	}
	if v.act == "" || v.pad != nil {
		return im.act(n, i)
	}
	return v, nil
}

// defineView defines n's first output as the output of layer w with view
// g (the view of the input it was computed from).
func (im *importer) defineView(n *onnx.Node, w *value, g view) {
	w.view = normalize(g, w.shape)
	im.define(n, w)
}

// regroup maps the dimensions target onto v's axes, splitting axes where a
// dimension needs part of one. It returns the refined per-sample shape and
// the new view.
func regroup(v *value, target graph.Dims) ([]int, view, bool) {
	type piece struct {
		axis int // original axis; 0 the batch
		size int
	}
	var queue []piece
	for _, a := range flatten(v.groups()) {
		p := piece{axis: a}
		if a > 0 {
			p.size = v.shape[a-1]
		}
		queue = append(queue, p)
	}
	var taken [][]piece
	for _, t := range target {
		k, isSym := t, t < 0
		if isSym {
			k = -t
		}
		if k < 1 {
			return nil, nil, false
		}
		var grp []piece
		rem, needN := int(k), isSym
		for rem > 1 || needN {
			if len(queue) == 0 {
				return nil, nil, false
			}
			p := queue[0]
			queue = queue[1:]
			switch {
			case p.axis == 0:
				if !needN {
					return nil, nil, false
				}
				needN = false
			case rem == 1 && p.size > 1:
				return nil, nil, false // the batch must come first
			case rem%p.size == 0:
				rem /= p.size
			case p.size%rem == 0:
				queue = append([]piece{{axis: p.axis, size: p.size / rem}}, queue...)
				p.size = rem
				rem = 1
			default:
				return nil, nil, false
			}
			grp = append(grp, p)
		}
		taken = append(taken, grp)
	}
	for _, p := range queue {
		if p.axis == 0 || p.size != 1 || len(taken) == 0 {
			return nil, nil, false
		}
		taken[len(taken)-1] = append(taken[len(taken)-1], p)
	}
	// The pieces of each original axis, in order, are the new axes.
	pieces := make([][]int, len(v.shape)+1) // original axis -> sizes
	index := make([][]int, len(taken))      // per group, per piece: k-th piece of its axis
	for i, grp := range taken {
		for _, p := range grp {
			index[i] = append(index[i], len(pieces[p.axis]))
			pieces[p.axis] = append(pieces[p.axis], p.size)
		}
	}
	first := make([]int, len(v.shape)+1) // new index of each axis's first piece
	var shape []int
	for a := 1; a <= len(v.shape); a++ {
		first[a] = len(shape) + 1
		shape = append(shape, pieces[a]...)
	}
	g := make(view, len(taken))
	for i, grp := range taken {
		g[i] = []int{}
		for k, p := range grp {
			if p.axis == 0 {
				g[i] = append(g[i], 0)
			} else {
				g[i] = append(g[i], first[p.axis]+index[i][k])
			}
		}
	}
	return shape, g, true
}
