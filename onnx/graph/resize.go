package graph

import (
	"math"
	"slices"
)

// resize imports Resize (opset 10: X, scales; 11 on: X, roi, scales,
// sizes, either of the last two empty or absent; 18 on: the axes and
// keep_aspect_ratio_policy attributes) and Upsample (scales as an
// attribute up to opset 8, as input 1 from opset 9). They are not MACs:
// interpolation is a few multiplies per output element. With scales, each
// resized dimension becomes floor(size × scale), multiplied in float32 as
// ONNX Runtime does; with sizes, the sizes (or, under not_larger and
// not_smaller, the input scaled by the smallest or largest ratio and
// rounded). The scales or sizes must be known constants.
func resize(c *Call) ([]*Value, error) {
	x := c.In[0]
	r := len(x.Shape)
	as, err := c.Node.Ints("axes", -1, nil)
	if err != nil {
		return nil, c.Wrap(err)
	}
	ax := make([]int, r)
	for i := range ax {
		ax[i] = i
	}
	if as != nil {
		if ax, err = Axes(as, r); err != nil {
			return nil, c.Wrap(c.Node.AttrErrorf("axes", "%v", err))
		}
	}
	var scales []float32
	var sizes []int64
	switch {
	case c.Node.OpType == "Upsample" && c.Arg(1) == nil:
		if scales, err = c.Node.Floats("scales", -1, nil); err != nil {
			return nil, c.Wrap(err)
		}
		if scales == nil {
			return nil, c.Errorf("has neither a scales input nor a scales attribute")
		}
	case c.Node.OpType == "Upsample" || len(c.Node.Inputs) == 2 && c.w.Opset < 11:
		if scales, err = c.Floats(1, "scales"); err != nil {
			return nil, err
		}
	default:
		if c.Arg(2) != nil {
			if scales, err = c.Floats(2, "scales"); err != nil {
				return nil, err
			}
		}
		if c.Arg(3) != nil {
			if sizes, err = c.Ints(3, "sizes"); err != nil {
				return nil, err
			}
		}
	}
	if (len(scales) == 0) == (len(sizes) == 0) {
		return nil, c.Errorf("want exactly one of scales and sizes, got %d scales and %d sizes", len(scales), len(sizes))
	}
	out := slices.Clone(x.Shape)
	if len(scales) > 0 {
		if len(scales) != len(ax) {
			return nil, c.Errorf("%d scales for %d axes of input shape %v", len(scales), len(ax), x.Shape)
		}
		for i, a := range ax {
			if !(scales[i] > 0) {
				return nil, c.Errorf("scale %g is not positive", scales[i])
			}
			out[a] = int64(math.Floor(float64(float32(x.Shape[a]) * scales[i])))
		}
	} else {
		if len(sizes) != len(ax) {
			return nil, c.Errorf("%d sizes for %d axes of input shape %v", len(sizes), len(ax), x.Shape)
		}
		policy, err := c.Node.Str("keep_aspect_ratio_policy", "stretch")
		if err != nil {
			return nil, c.Wrap(err)
		}
		switch policy {
		case "stretch":
			for i, a := range ax {
				out[a] = sizes[i]
			}
		case "not_larger", "not_smaller":
			scale := float64(0)
			for i, a := range ax {
				s := float64(sizes[i]) / float64(x.Shape[a])
				if i == 0 || policy == "not_larger" && s < scale || policy == "not_smaller" && s > scale {
					scale = s
				}
			}
			for _, a := range ax {
				out[a] = int64(math.Round(scale * float64(x.Shape[a])))
			}
		default:
			return nil, c.Wrap(c.Node.AttrErrorf("keep_aspect_ratio_policy", "unknown value %q", policy))
		}
	}
	for _, d := range out {
		if d <= 0 {
			return nil, c.Errorf("output shape %v of input shape %v is empty", out, x.Shape)
		}
	}
	return []*Value{{Shape: out, Batch: x.Batch && out[0] == x.Shape[0]}}, nil
}
