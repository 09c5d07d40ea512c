package graph

import (
	"slices"
)

// pool imports MaxPool, AveragePool and LpPool over X [N, C, spatial...].
func pool(c *Call) ([]*Value, error) {
	x := c.In[0]
	if len(x.Shape) < 3 {
		return nil, c.Errorf("input %q has shape %v, want [N, C, spatial...]", c.Node.Inputs[0], x.Shape)
	}
	w, err := ReadWindow(c.Node, x.Shape[2:], nil)
	if err != nil {
		return nil, c.Wrap(err)
	}
	ceil, err := c.Node.Int("ceil_mode", 0)
	if err != nil {
		return nil, c.Wrap(err)
	}
	out := slices.Clone(x.Shape)
	for i, in := range x.Shape[2:] {
		out[2+i] = w.Out(i, in, ceil != 0)
		if out[2+i] <= 0 {
			return nil, c.Errorf("kernel %v does not fit input of shape %v", w.Kernel, x.Shape)
		}
	}
	y := &Value{Shape: out, Batch: x.Batch}
	return []*Value{y, {Shape: out, Batch: x.Batch}}, nil // MaxPool's optional Indices
}

// globalPool imports GlobalAveragePool and friends: [N, C, 1, 1, ...].
func globalPool(c *Call) ([]*Value, error) {
	x := c.In[0]
	if len(x.Shape) < 3 {
		return nil, c.Errorf("input %q has shape %v, want [N, C, spatial...]", c.Node.Inputs[0], x.Shape)
	}
	out := slices.Clone(x.Shape)
	for i := 2; i < len(out); i++ {
		out[i] = 1
	}
	return []*Value{{Shape: out, Batch: x.Batch}}, nil
}

// reduceOp infers the Reduce* ops and ArgMax/ArgMin.
func reduceOp(c *Call) ([]*Value, error) {
	x := c.In[0]
	keep, err := c.Node.Int("keepdims", 1)
	if err != nil {
		return nil, c.Wrap(err)
	}
	var as []int64
	switch c.Node.OpType {
	case "ArgMax", "ArgMin":
		a, err := c.Node.Int("axis", 0)
		if err != nil {
			return nil, c.Wrap(err)
		}
		as = []int64{a}
	default:
		// Axes are an attribute before opset 18 (13 for ReduceSum), an input after.
		if as, err = c.IntsInputOrAttr(1, "axes"); err != nil {
			return nil, err
		}
		noop, err := c.Node.Int("noop_with_empty_axes", 0)
		if err != nil {
			return nil, c.Wrap(err)
		}
		if len(as) == 0 && noop != 0 {
			return []*Value{{Shape: x.Shape, Batch: x.Batch}}, nil
		}
		if len(as) == 0 {
			for i := range x.Shape {
				as = append(as, int64(i))
			}
		}
	}
	ax, err := Axes(as, len(x.Shape))
	if err != nil {
		return nil, c.Errorf("%v", err)
	}
	var out []int64
	for i, d := range x.Shape {
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
	return []*Value{{Shape: out, Batch: x.Batch && !slices.Contains(ax, 0)}}, nil
}
