package onnx

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
func (im *importer) resize(c *call) ([]*value, error) {
	x := c.in[0]
	r := len(x.shape)
	as, err := c.n.Ints("axes", -1, nil)
	if err != nil {
		return nil, im.wrap(err)
	}
	ax := make([]int, r)
	for i := range ax {
		ax[i] = i
	}
	if as != nil {
		if ax, err = axes(as, r); err != nil {
			return nil, im.wrap(c.n.AttrErrorf("axes", "%v", err))
		}
	}
	var scales []float32
	var sizes []int64
	switch {
	case c.n.OpType == "Upsample" && c.arg(1) == nil:
		if scales, err = c.n.Floats("scales", -1, nil); err != nil {
			return nil, im.wrap(err)
		}
		if scales == nil {
			return nil, im.errorf(c.n, "has neither a scales input nor a scales attribute")
		}
	case c.n.OpType == "Upsample" || len(c.n.Inputs) == 2 && im.opset < 11:
		if scales, err = im.floats(c, 1, "scales"); err != nil {
			return nil, err
		}
	default:
		if c.arg(2) != nil {
			if scales, err = im.floats(c, 2, "scales"); err != nil {
				return nil, err
			}
		}
		if c.arg(3) != nil {
			if sizes, err = im.ints(c, 3, "sizes"); err != nil {
				return nil, err
			}
		}
	}
	if (len(scales) == 0) == (len(sizes) == 0) {
		return nil, im.errorf(c.n, "want exactly one of scales and sizes, got %d scales and %d sizes", len(scales), len(sizes))
	}
	out := slices.Clone(x.shape)
	if len(scales) > 0 {
		if len(scales) != len(ax) {
			return nil, im.errorf(c.n, "%d scales for %d axes of input shape %v", len(scales), len(ax), x.shape)
		}
		for i, a := range ax {
			if !(scales[i] > 0) {
				return nil, im.errorf(c.n, "scale %g is not positive", scales[i])
			}
			out[a] = int64(math.Floor(float64(float32(x.shape[a]) * scales[i])))
		}
	} else {
		if len(sizes) != len(ax) {
			return nil, im.errorf(c.n, "%d sizes for %d axes of input shape %v", len(sizes), len(ax), x.shape)
		}
		policy, err := c.n.Str("keep_aspect_ratio_policy", "stretch")
		if err != nil {
			return nil, im.wrap(err)
		}
		switch policy {
		case "stretch":
			for i, a := range ax {
				out[a] = sizes[i]
			}
		case "not_larger", "not_smaller":
			scale := float64(0)
			for i, a := range ax {
				s := float64(sizes[i]) / float64(x.shape[a])
				if i == 0 || policy == "not_larger" && s < scale || policy == "not_smaller" && s > scale {
					scale = s
				}
			}
			for _, a := range ax {
				out[a] = int64(math.Round(scale * float64(x.shape[a])))
			}
		default:
			return nil, im.wrap(c.n.AttrErrorf("keep_aspect_ratio_policy", "unknown value %q", policy))
		}
	}
	for _, d := range out {
		if d <= 0 {
			return nil, im.errorf(c.n, "output shape %v of input shape %v is empty", out, x.shape)
		}
	}
	return []*value{{shape: out, batch: x.batch && out[0] == x.shape[0]}}, nil
}

// floats returns the data of input i, which must be a known float tensor
// (an empty one stands for an absent input).
func (im *importer) floats(c *call, i int, what string) ([]float32, error) {
	v := c.arg(i)
	if v == nil {
		return nil, im.errorf(c.n, "%s (input %d) is missing", what, i)
	}
	if !v.known || (v.floats == nil && len(v.ints) > 0) {
		return nil, im.errorf(c.n, "%s (input %d, %q) is not a constant float tensor", what, i, c.n.Inputs[i])
	}
	return v.floats, nil
}
