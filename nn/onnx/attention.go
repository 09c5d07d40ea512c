package onnx

import (
	"slices"

	"github.com/nnergy/nnergy/nn"
	"github.com/nnergy/nnergy/onnx"
	"github.com/nnergy/nnergy/onnx/graph"
)

// The operators of attention blocks and transformer layers: Transpose,
// general Reshape, Slice of activations, MatMul of two activations,
// LayerNormalization and ReduceMean. See view.go for how they keep the
// batch in place.

// transpose imports Transpose as a change of view.
func (im *importer) transpose(n *onnx.Node) error {
	v, err := im.anyAct(n, 0)
	if err != nil {
		return err
	}
	g := v.groups()
	r := len(g)
	var def []int64
	for i := r - 1; i >= 0; i-- {
		def = append(def, int64(i))
	}
	perm, err := n.Ints("perm", r, def)
	if err != nil {
		return im.inFile(err)
	}
	p, err := graph.Axes(perm, r) // a permutation: the front-end has checked it
	if err != nil {
		return im.inFile(n.AttrErrorf("perm", "%v", err))
	}
	ng := make(view, r)
	for i, a := range p {
		ng[i] = g[a]
	}
	im.define(n, &value{act: v.act, shape: v.shape, view: normalize(ng, v.shape)})
	return nil
}

// reshapeView imports a Reshape that the per-sample forms cannot express:
// it regroups v's axes into out, the Reshape's output shape, splitting
// axes with a copy where needed.
func (im *importer) reshapeView(n *onnx.Node, v *value, out graph.Dims) error {
	shape, g, ok := regroup(v, out)
	if !ok {
		return im.errorf(n, "reshaping %s to %s is not supported (the batch must stay whole and keep its place among the other dimensions)", v.dims(), out)
	}
	if !slices.Equal(shape, v.shape) {
		w, err := im.layer(n, "", &nn.Permute{Out: shape}, v.act)
		if err != nil {
			return err
		}
		im.defineView(n, w, g)
		return nil
	}
	im.define(n, &value{act: v.act, shape: v.shape, view: normalize(g, v.shape)})
	return nil
}

// sliceAct imports Slice of an activation along one dimension with step 1.
func (im *importer) sliceAct(n *onnx.Node) error {
	v, err := im.anyAct(n, 0)
	if err != nil {
		return err
	}
	for i := 1; i < len(n.Inputs); i++ {
		if _, err := im.constant(n, i, false); err != nil {
			return err
		}
	}
	starts, ends, axes, steps, err := im.call.SliceArgs()
	if err != nil {
		return err
	}
	d := v.dims()
	if len(starts) != 1 || steps[0] != 1 {
		return im.errorf(n, "starts %v, ends %v, axes %v and steps %v: only slicing one dimension of an activation with step 1 is supported", starts, ends, axes, steps)
	}
	ax := axes[0]
	if d[ax] < 0 {
		return im.errorf(n, "slicing dimension %d of %s, which holds the batch, is not supported", ax, d)
	}
	size := d[ax]
	clamp := func(i int64) int64 {
		if i < 0 {
			i += size
		}
		return min(max(i, 0), size)
	}
	lo, hi := clamp(starts[0]), clamp(ends[0])
	if lo >= hi {
		return im.errorf(n, "slice [%d, %d) of dimension %d of %s is empty", lo, hi, ax, d)
	}
	if ax == len(d)-1 {
		if v, err = im.rows(n, n.Input(0), v); err != nil {
			return err
		}
	} else if v, err = im.canonical(n, n.Input(0), v); err != nil {
		return err
	}
	g := v.groups()
	if len(g[ax]) != 1 {
		return im.errorf(n, "slicing dimension %d of %s is not supported", ax, d)
	}
	w, err := im.layer(n, "", &nn.Slice{Axis: g[ax][0] - 1, Start: int(lo), End: int(hi)}, v.act)
	if err != nil {
		return err
	}
	im.defineView(n, w, g)
	return nil
}

// matmulActs imports MatMul of two activations [N·B... M K] and [N·B... K
// P] as a batched nn.MatMul.
func (im *importer) matmulActs(n *onnx.Node) error {
	var ops [2]*value
	for i := range ops {
		v, err := im.anyAct(n, i)
		if err != nil {
			return err
		}
		if len(v.groups()) < 3 {
			return im.errorf(n, "input %q has shape %s; only products of batches of matrices [N... M K] are supported", n.Input(i), v.dims())
		}
		if ops[i], err = im.batched(n, n.Input(i), v); err != nil {
			return err
		}
	}
	a, b := ops[0].dims(), ops[1].dims()
	if len(a) != len(b) || !slices.Equal(a[:len(a)-2], b[:len(b)-2]) || a[len(a)-1] != b[len(b)-2] {
		return im.errorf(n, "inputs of shapes %s and %s do not multiply (no broadcasting)", a, b)
	}
	w, err := im.layer(n, "", &nn.MatMul{}, ops[0].act, ops[1].act)
	if err != nil {
		return err
	}
	im.defineView(n, w, ops[0].groups())
	return nil
}

// layerNorm imports LayerNormalization (opset 17).
func (im *importer) layerNorm(n *onnx.Node) error {
	v, err := im.anyAct(n, 0)
	if err != nil {
		return err
	}
	r := len(v.groups())
	ax, err := n.Int("axis", -1)
	if err != nil {
		return im.inFile(err)
	}
	a, axErr := graph.Axis(ax, r)
	if axErr != nil || a == 0 {
		return im.inFile(n.AttrErrorf("axis", "axis %d of rank %d is not supported", ax, r))
	}
	eps, err := n.Float("epsilon", 1e-5)
	if err != nil {
		return im.inFile(err)
	}
	if a == r-1 {
		v, err = im.rows(n, n.Input(0), v)
	} else {
		v, err = im.canonical(n, n.Input(0), v)
	}
	if err != nil {
		return err
	}
	axes := r - a
	norm := v.shape[len(v.shape)-axes:]
	if a == r-1 {
		norm = v.shape[len(v.shape)-1:]
	}
	var p [2]*nn.Param
	for i := range p {
		t, err := im.weight(n, i+1, -1, i == 0)
		if err != nil {
			return err
		}
		if t == nil {
			continue
		}
		dims := t.Dims
		for len(dims) > len(norm) && dims[0] == 1 {
			dims = dims[1:]
		}
		if !slices.Equal(toInts(dims), norm) {
			return im.errorf(n, "input %q has shape %v for normalised dimensions %v", n.Input(i+1), t.Dims, norm)
		}
		p[i] = nn.NewParam(clone32(t.Floats), norm...)
	}
	w, err := im.layer(n, "", &nn.LayerNorm{Axes: len(norm), Eps: eps, Scale: p[0], Bias: p[1]}, v.act)
	if err != nil {
		return err
	}
	im.defineView(n, w, v.groups())
	return nil
}

// reduceMean imports ReduceMean over dimensions other than the batch.
func (im *importer) reduceMean(n *onnx.Node) error {
	x, err := im.act(n, 0)
	if err != nil {
		return err
	}
	axes, err := im.ints(n, 1, "axes")
	if err != nil {
		return err
	}
	keep, err := n.Int("keepdims", 1)
	if err != nil {
		return im.inFile(err)
	}
	r := len(x.shape) + 1
	if len(axes) == 0 {
		return im.errorf(n, "reducing over every dimension, the batch included, is not supported")
	}
	var per []int
	for _, a := range axes {
		k, axErr := graph.Axis(a, r)
		if axErr != nil || k == 0 {
			return im.errorf(n, "axes %v: reducing over the batch (or out of range for rank %d) is not supported", axes, r)
		}
		per = append(per, k-1)
	}
	slices.Sort(per)
	return im.add(n, &nn.ReduceMean{Axes: per, Keep: keep != 0}, x.act)
}
