package onnx

import (
	"slices"
)

// pool imports MaxPool, AveragePool and LpPool over X [N, C, spatial...].
func (im *importer) pool(c *call) ([]*value, error) {
	x := c.in[0]
	if len(x.shape) < 3 {
		return nil, im.errorf(c.n, "input %q has shape %v, want [N, C, spatial...]", c.n.Inputs[0], x.shape)
	}
	w, err := im.readWindow(c.n, x.shape[2:], nil)
	if err != nil {
		return nil, err
	}
	ceil, err := c.n.Int("ceil_mode", 0)
	if err != nil {
		return nil, im.wrap(err)
	}
	out := slices.Clone(x.shape)
	for i, in := range x.shape[2:] {
		out[2+i] = w.out(i, in, ceil != 0)
		if out[2+i] <= 0 {
			return nil, im.errorf(c.n, "kernel %v does not fit input of shape %v", w.kernel, x.shape)
		}
	}
	y := &value{shape: out, batch: x.batch}
	return []*value{y, {shape: out, batch: x.batch}}, nil // MaxPool's optional Indices
}

// globalPool imports GlobalAveragePool and friends: [N, C, 1, 1, ...].
func (im *importer) globalPool(c *call) ([]*value, error) {
	x := c.in[0]
	if len(x.shape) < 3 {
		return nil, im.errorf(c.n, "input %q has shape %v, want [N, C, spatial...]", c.n.Inputs[0], x.shape)
	}
	out := slices.Clone(x.shape)
	for i := 2; i < len(out); i++ {
		out[i] = 1
	}
	return []*value{{shape: out, batch: x.batch}}, nil
}

// reduce imports the Reduce* ops and ArgMax/ArgMin.
func (im *importer) reduce(c *call) ([]*value, error) {
	x := c.in[0]
	keep, err := c.n.Int("keepdims", 1)
	if err != nil {
		return nil, im.wrap(err)
	}
	var as []int64
	switch c.n.OpType {
	case "ArgMax", "ArgMin":
		a, err := c.n.Int("axis", 0)
		if err != nil {
			return nil, im.wrap(err)
		}
		as = []int64{a}
	default:
		// Axes are an attribute before opset 18 (13 for ReduceSum), an input after.
		if as, err = im.intsInputOrAttr(c, 1, "axes"); err != nil {
			return nil, err
		}
		noop, err := c.n.Int("noop_with_empty_axes", 0)
		if err != nil {
			return nil, im.wrap(err)
		}
		if len(as) == 0 && noop != 0 {
			return []*value{{shape: x.shape, batch: x.batch}}, nil
		}
		if len(as) == 0 {
			for i := range x.shape {
				as = append(as, int64(i))
			}
		}
	}
	ax, err := axes(as, len(x.shape))
	if err != nil {
		return nil, im.errorf(c.n, "%v", err)
	}
	var out []int64
	for i, d := range x.shape {
		switch {
		case !slices.Contains(ax, i):
			out = append(out, d)
		case keep != 0:
			out = append(out, 1)
		}
	}
	if out == nil {
		out = []int64{}
	}
	return []*value{{shape: out, batch: x.batch && !slices.Contains(ax, 0)}}, nil
}
