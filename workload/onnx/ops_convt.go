package onnx

import (
	"slices"

	"github.com/nnergy/nnergy/onnx/graph"
	"github.com/nnergy/nnergy/workload"
)

// convTranspose imports ConvTranspose over 1-D or 2-D inputs: X [N, C_in,
// (H,) W] and weights [C_in, C_out/group, (kH,) kW].
//
// A transposed convolution scatters every input pixel through the kernel
// into the output: C_in × C_out/group × kH × kW MACs per input pixel. Its
// loop nest is that of the convolution whose input gradient it computes,
// which has exactly these MACs: P×Q = the input's H×W, M = C_in/group,
// C = C_out/group, R×S = the kernel, with the op's strides and
// dilations. In that nest the tensor named Outputs is the op's input X
// and the tensor named Inputs is the op's output before pads crop it (the
// padded extent (P−1)·stride + (R−1)·dilation + 1): sizes and reuse are
// exact, but the cost model reads the op's output where the op accumulates
// it, and accumulates into its input where the op reads it. Weights
// [C_in, C_out/group, kH, kW] are [G·M, C, R, S], already in the order of
// the layer's Weights ranks.
func (im *importer) convTranspose(c *call) ([]*value, error) {
	x, w := c.In[0], c.In[1]
	if len(x.Shape) != 3 && len(x.Shape) != 4 {
		return nil, im.errorf(c.Node, "input %q has shape %v; only 1-D and 2-D transposed convolutions (rank 3 or 4) are supported", c.Node.Inputs[0], x.Shape)
	}
	if len(w.Shape) != len(x.Shape) {
		return nil, im.errorf(c.Node, "weights %q have shape %v, want rank %d", c.Node.Inputs[1], w.Shape, len(x.Shape))
	}
	group, err := c.Node.Int("group", 1)
	if err != nil {
		return nil, im.wrap(err)
	}
	inC := x.Shape[1]
	if group <= 0 || w.Shape[0] != inC || inC%group != 0 {
		return nil, im.errorf(c.Node, "weights of shape %v with group %d do not fit input of shape %v", w.Shape, group, x.Shape)
	}
	outC := w.Shape[1] * group
	ns := len(x.Shape) - 2
	in := x.Shape[2:]
	win, err := graph.ReadWindow(c.Node, in, w.Shape[2:])
	if err != nil {
		return nil, im.wrap(err)
	}
	// Pads under auto_pad are a convolution's: ConvTranspose's own rules
	// for SAME and VALID follow.
	kernel, strides, dil, pads := win.Kernel, win.Strides, win.Dilations, win.Pads
	outPad, err := c.Node.Ints("output_padding", ns, make([]int64, ns))
	if err != nil {
		return nil, im.wrap(err)
	}
	for i := range ns {
		if outPad[i] < 0 || outPad[i] >= max(strides[i], dil[i]) {
			return nil, im.wrap(c.Node.AttrErrorf("output_padding", "%v: each value must be at least 0 and less than its stride or dilation", outPad))
		}
	}
	// full[i]: the output before pads crop it.
	full := make([]int64, ns)
	for i := range ns {
		full[i] = strides[i]*(in[i]-1) + outPad[i] + (kernel[i]-1)*dil[i] + 1
	}
	out := make([]int64, ns)
	given, err := c.Node.Ints("output_shape", -1, nil)
	if err != nil {
		return nil, im.wrap(err)
	}
	switch {
	case given != nil:
		if len(given) == ns+2 {
			given = given[2:]
		}
		if len(given) != ns {
			return nil, im.wrap(c.Node.AttrErrorf("output_shape", "%v: want %d spatial sizes", given, ns))
		}
		for i := range ns {
			if given[i] <= 0 || given[i] > full[i] {
				return nil, im.wrap(c.Node.AttrErrorf("output_shape", "%v: each size must be positive and at most %v, the output before padding", given, full))
			}
		}
		copy(out, given)
	case win.AutoPad == "SAME_UPPER" || win.AutoPad == "SAME_LOWER":
		for i := range ns {
			out[i] = in[i] * strides[i]
		}
	default: // NOTSET, or VALID, whose pads are 0
		for i := range ns {
			out[i] = full[i] - pads[i] - pads[ns+i]
		}
	}
	for i := range ns {
		if out[i] <= 0 || out[i] > full[i] {
			return nil, im.errorf(c.Node, "output size %v is empty or larger than the %v the kernel reaches", out, full)
		}
	}
	if ns == 1 { // a 1-D transposed convolution is a 2-D one of height 1
		in, kernel, strides, dil = []int64{1, in[0]}, []int64{1, kernel[0]}, []int64{1, strides[0]}, []int64{1, dil[0]}
	}
	shape := workload.Shape{
		workload.N: int(x.Shape[0]), workload.G: int(group), workload.M: int(inC / group), workload.C: int(w.Shape[1]),
		workload.P: int(in[0]), workload.Q: int(in[1]), workload.R: int(kernel[0]), workload.S: int(kernel[1]),
	}
	l, err := workload.NewLayer("", workload.Conv, shape, [2]int{int(strides[0]), int(strides[1])}, [2]int{int(dil[0]), int(dil[1])})
	if err != nil {
		return nil, im.errorf(c.Node, "%s", trimPrefix(err))
	}
	return []*value{im.addLayer(c, l, w, slices.Concat([]int64{x.Shape[0], outC}, out), x.Batch)}, nil
}
