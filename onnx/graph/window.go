package graph

import (
	"slices"

	"github.com/nnergy/nnergy/onnx"
)

// Window holds the attributes of a sliding-window op (Conv, ConvTranspose,
// pooling) over its spatial dimensions, with auto_pad resolved.
type Window struct {
	Kernel, Strides, Dilations []int64
	Pads                       []int64 // begin values, then end values, as ONNX orders them
	AutoPad                    string  // NOTSET, VALID, SAME_UPPER or SAME_LOWER
}

// ReadWindow reads the kernel_shape (defaulting to kernel when not nil,
// which it must then equal), strides, dilations, pads and auto_pad of node
// n for an input of spatial size in. auto_pad SAME_UPPER and SAME_LOWER
// pad so that the output is ceil(in / stride), the odd pad at the end or
// the beginning; VALID pads nothing. Errors are *onnx.NodeError values
// without the file name.
func ReadWindow(n *onnx.Node, in, kernel []int64) (Window, error) {
	ns := len(in)
	var w Window
	var err error
	ones := make([]int64, ns)
	for i := range ones {
		ones[i] = 1
	}
	if w.Kernel, err = n.Ints("kernel_shape", ns, kernel); err != nil {
		return w, err
	}
	if w.Kernel == nil {
		return w, n.Errorf("attribute \"kernel_shape\" is missing")
	}
	if kernel != nil && !slices.Equal(w.Kernel, kernel) {
		return w, n.Errorf("attribute \"kernel_shape\" is %v but the weights have kernel %v", w.Kernel, kernel)
	}
	if w.Strides, err = n.Ints("strides", ns, ones); err != nil {
		return w, err
	}
	if w.Dilations, err = n.Ints("dilations", ns, ones); err != nil {
		return w, err
	}
	if w.Pads, err = n.Ints("pads", 2*ns, make([]int64, 2*ns)); err != nil {
		return w, err
	}
	for i := range ns {
		switch {
		case w.Kernel[i] <= 0:
			return w, n.AttrErrorf("kernel_shape", "values must be positive, got %v", w.Kernel)
		case w.Strides[i] <= 0:
			return w, n.AttrErrorf("strides", "values must be positive, got %v", w.Strides)
		case w.Dilations[i] <= 0:
			return w, n.AttrErrorf("dilations", "values must be positive, got %v", w.Dilations)
		case w.Pads[i] < 0 || w.Pads[ns+i] < 0:
			return w, n.AttrErrorf("pads", "values must not be negative, got %v", w.Pads)
		}
	}
	autoPad, err := n.Str("auto_pad", "NOTSET")
	if err != nil {
		return w, err
	}
	w.AutoPad = autoPad
	switch autoPad {
	case "NOTSET":
	case "VALID":
		w.Pads = make([]int64, 2*ns)
	case "SAME_UPPER", "SAME_LOWER":
		w.Pads = make([]int64, 2*ns)
		for i := range ns {
			out := (in[i] + w.Strides[i] - 1) / w.Strides[i]
			total := max(0, (out-1)*w.Strides[i]+(w.Kernel[i]-1)*w.Dilations[i]+1-in[i])
			small := total / 2
			if autoPad == "SAME_UPPER" {
				w.Pads[i], w.Pads[ns+i] = small, total-small
			} else {
				w.Pads[i], w.Pads[ns+i] = total-small, small
			}
		}
	default:
		return w, n.AttrErrorf("auto_pad", "unknown value %q", autoPad)
	}
	return w, nil
}

// Out returns the output size of spatial dimension i for input size in,
// rounding down, or up under ceil (pooling's ceil_mode; a window that
// would start in the end padding is dropped). It is 0 when the kernel
// does not fit.
func (w *Window) Out(i int, in int64, ceil bool) int64 {
	ns := len(w.Kernel)
	span := in + w.Pads[i] + w.Pads[ns+i] - ((w.Kernel[i]-1)*w.Dilations[i] + 1)
	if span < 0 {
		return 0
	}
	if !ceil {
		return span/w.Strides[i] + 1
	}
	o := (span+w.Strides[i]-1)/w.Strides[i] + 1
	if (o-1)*w.Strides[i] >= in+w.Pads[i] { // the last window would start in the padding
		o--
	}
	return o
}
