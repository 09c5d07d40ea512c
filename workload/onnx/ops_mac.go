package onnx

import (
	"slices"
	"strings"

	"github.com/nnergy/nnergy/onnx"
	"github.com/nnergy/nnergy/workload"
)

// window holds the attributes of a sliding-window op (Conv, pooling) over
// its spatial dimensions.
type window struct {
	kernel, strides, dilations []int64
	pads                       []int64 // begin values, then end values, as ONNX orders them
}

// readWindow reads kernel_shape (defaulting to kernel when not nil),
// strides, dilations, pads and auto_pad for an input of spatial size in.
func (im *importer) readWindow(n *onnx.Node, in, kernel []int64) (window, error) {
	ns := len(in)
	var w window
	var err error
	ones := make([]int64, ns)
	for i := range ones {
		ones[i] = 1
	}
	if w.kernel, err = n.Ints("kernel_shape", ns, kernel); err != nil {
		return w, im.wrap(err)
	}
	if w.kernel == nil {
		return w, im.errorf(n, "attribute \"kernel_shape\" is missing")
	}
	if kernel != nil && !slices.Equal(w.kernel, kernel) {
		return w, im.errorf(n, "attribute \"kernel_shape\" is %v but the weights have kernel %v", w.kernel, kernel)
	}
	if w.strides, err = n.Ints("strides", ns, ones); err != nil {
		return w, im.wrap(err)
	}
	if w.dilations, err = n.Ints("dilations", ns, ones); err != nil {
		return w, im.wrap(err)
	}
	if w.pads, err = n.Ints("pads", 2*ns, make([]int64, 2*ns)); err != nil {
		return w, im.wrap(err)
	}
	for i := range ns {
		switch {
		case w.kernel[i] <= 0:
			return w, im.wrap(n.AttrErrorf("kernel_shape", "values must be positive, got %v", w.kernel))
		case w.strides[i] <= 0:
			return w, im.wrap(n.AttrErrorf("strides", "values must be positive, got %v", w.strides))
		case w.dilations[i] <= 0:
			return w, im.wrap(n.AttrErrorf("dilations", "values must be positive, got %v", w.dilations))
		case w.pads[i] < 0 || w.pads[ns+i] < 0:
			return w, im.wrap(n.AttrErrorf("pads", "values must not be negative, got %v", w.pads))
		}
	}
	autoPad, err := n.Str("auto_pad", "NOTSET")
	if err != nil {
		return w, im.wrap(err)
	}
	switch autoPad {
	case "NOTSET":
	case "VALID":
		w.pads = make([]int64, 2*ns)
	case "SAME_UPPER", "SAME_LOWER":
		w.pads = make([]int64, 2*ns)
		for i := range ns {
			out := (in[i] + w.strides[i] - 1) / w.strides[i]
			total := max(0, (out-1)*w.strides[i]+(w.kernel[i]-1)*w.dilations[i]+1-in[i])
			small := total / 2
			if autoPad == "SAME_UPPER" {
				w.pads[i], w.pads[ns+i] = small, total-small
			} else {
				w.pads[i], w.pads[ns+i] = total-small, small
			}
		}
	default:
		return w, im.wrap(n.AttrErrorf("auto_pad", "unknown value %q", autoPad))
	}
	return w, nil
}

// out returns the output size of spatial dimension i for input size in.
func (w *window) out(i int, in int64, ceil bool) int64 {
	ns := len(w.kernel)
	span := in + w.pads[i] + w.pads[ns+i] - ((w.kernel[i]-1)*w.dilations[i] + 1)
	if span < 0 {
		return 0
	}
	if !ceil {
		return span/w.strides[i] + 1
	}
	o := (span+w.strides[i]-1)/w.strides[i] + 1
	if (o-1)*w.strides[i] >= in+w.pads[i] { // the last window would start in the padding
		o--
	}
	return o
}

// conv imports Conv over 1-D or 2-D inputs: X [N, C, (H,) W] and weights
// [M, C/group, (KH,) KW].
func (im *importer) conv(c *call) ([]*value, error) {
	return im.convOf(c, c.in[0], c.in[1], 1)
}

// convOf imports a convolution of x by w, input wi of the node (for
// messages).
func (im *importer) convOf(c *call, x, w *value, wi int) ([]*value, error) {
	if len(x.shape) != 3 && len(x.shape) != 4 {
		return nil, im.errorf(c.n, "input %q has shape %v; only 1-D and 2-D convolutions (rank 3 or 4) are supported", c.n.Inputs[0], x.shape)
	}
	if len(w.shape) != len(x.shape) {
		return nil, im.errorf(c.n, "weights %q have shape %v, want rank %d", c.n.Inputs[wi], w.shape, len(x.shape))
	}
	group, err := c.n.Int("group", 1)
	if err != nil {
		return nil, im.wrap(err)
	}
	inC, outC := x.shape[1], w.shape[0]
	if group <= 0 || inC%group != 0 || outC%group != 0 || w.shape[1]*group != inC {
		return nil, im.errorf(c.n, "weights of shape %v with group %d do not fit input of shape %v", w.shape, group, x.shape)
	}
	win, err := im.readWindow(c.n, x.shape[2:], w.shape[2:])
	if err != nil {
		return nil, err
	}
	// A 1-D convolution is a 2-D one of height 1.
	if len(x.shape) == 3 {
		win = window{
			kernel:    []int64{1, win.kernel[0]},
			strides:   []int64{1, win.strides[0]},
			dilations: []int64{1, win.dilations[0]},
			pads:      []int64{0, win.pads[0], 0, win.pads[1]},
		}
	}
	h, wd := int64(1), x.shape[len(x.shape)-1]
	if len(x.shape) == 4 {
		h = x.shape[2]
	}
	spec := workload.ConvSpec{
		Batch: int(x.shape[0]), InC: int(inC), OutC: int(outC), InH: int(h), InW: int(wd),
		KH: int(win.kernel[0]), KW: int(win.kernel[1]),
		StrideH: int(win.strides[0]), StrideW: int(win.strides[1]),
		PadT: int(win.pads[0]), PadL: int(win.pads[1]), PadB: int(win.pads[2]), PadR: int(win.pads[3]),
		DilationH: int(win.dilations[0]), DilW: int(win.dilations[1]),
		Groups: int(group),
	}
	l, err := workload.NewConv(spec)
	if err != nil {
		return nil, im.errorf(c.n, "%s", trimPrefix(err))
	}
	p, q := int64(l.Shape[workload.P]), int64(l.Shape[workload.Q])
	if p != win.out(0, h, false) || q != win.out(1, wd, false) {
		return nil, im.errorf(c.n, "output size %dx%d disagrees with the ONNX rule", p, q)
	}
	shape := []int64{x.shape[0], outC, p, q}
	if len(x.shape) == 3 {
		shape = []int64{x.shape[0], outC, q}
	}
	return []*value{im.addLayer(c, l, w, shape, x.batch)}, nil
}

// gemm imports Gemm: Y = alpha·A'·B' + beta·C with A' = A or Aᵀ (transA) and
// B' = B or Bᵀ (transB), both 2-D.
func (im *importer) gemm(c *call) ([]*value, error) {
	a, b := c.in[0], c.in[1]
	if len(a.shape) != 2 || len(b.shape) != 2 {
		return nil, im.errorf(c.n, "inputs have shapes %v and %v, want 2-D matrices", a.shape, b.shape)
	}
	ta, err := c.n.Int("transA", 0)
	if err != nil {
		return nil, im.wrap(err)
	}
	tb, err := c.n.Int("transB", 0)
	if err != nil {
		return nil, im.wrap(err)
	}
	as, bs := a.shape, b.shape
	if ta != 0 {
		as = []int64{as[1], as[0]}
	}
	if tb != 0 {
		bs = []int64{bs[1], bs[0]}
	}
	return im.product(c, a, b, as, bs, a.batch && ta == 0)
}

// matmul imports MatMul with numpy semantics: 1-D operands are promoted to
// matrices and leading (batch) dimensions broadcast.
func (im *importer) matmul(c *call) ([]*value, error) {
	return im.matmulOf(c, c.in[0], c.in[1])
}

// matmulOf imports the MatMul of a and b.
func (im *importer) matmulOf(c *call, a, b *value) ([]*value, error) {
	if len(a.shape) == 0 || len(b.shape) == 0 {
		return nil, im.errorf(c.n, "inputs have shapes %v and %v; scalars are not allowed", a.shape, b.shape)
	}
	out := max(len(a.shape), len(b.shape))
	batch := (a.batch && len(a.shape) == out && out >= 2) || (b.batch && len(b.shape) == out && out >= 3)
	return im.product(c, a, b, a.shape, b.shape, batch)
}

// product builds the layer of A·B, where A has shape as and B has shape bs
// (after any transposition), as a loop nest with C = the inner dimension:
//
//   - B is a constant matrix (a linear layer): FC with N = rows of a 2-D A;
//     for A of rank ≥ 3, GEMM with N = A's first dimension and P = the
//     remaining rows.
//   - A is a constant matrix and B an activation (W·x): GEMM with the
//     constant as weights, M = rows of A and P = columns of B.
//   - Otherwise (attention): MatMul with P = rows of A, M = columns of B, and
//     each broadcast batch dimension on G when both operands vary along it,
//     on N when only A does (B is reused), and on M when only B does.
//
// Density[Weights] comes from the constant operand.
func (im *importer) product(c *call, a, b *value, as, bs []int64, batch bool) ([]*value, error) {
	l, weights, out, err := im.productLayer(c, a, b, as, bs)
	if err != nil {
		return nil, err
	}
	return []*value{im.addLayer(c, l, weights, out, batch)}, nil
}

// productLayer builds the layer of product, and returns it with its
// constant operand and the shape of its output.
func (im *importer) productLayer(c *call, a, b *value, as, bs []int64) (*workload.Layer, *value, []int64, error) {
	dropM, dropN := len(as) == 1, len(bs) == 1
	if dropM {
		as = []int64{1, as[0]}
	}
	if dropN {
		bs = []int64{bs[0], 1}
	}
	m, k, n := as[len(as)-2], as[len(as)-1], bs[len(bs)-1]
	if bs[len(bs)-2] != k {
		return nil, nil, nil, im.errorf(c.n, "inner dimensions of %v and %v differ", a.shape, b.shape)
	}
	ab, bb := as[:len(as)-2], bs[:len(bs)-2]
	ob, err := broadcast(ab, bb)
	if err != nil {
		return nil, nil, nil, im.errorf(c.n, "batch dimensions of %v and %v do not broadcast", a.shape, b.shape)
	}
	out := slices.Clone(ob)
	if !dropM {
		out = append(out, m)
	}
	if !dropN {
		out = append(out, n)
	}
	for _, d := range slices.Concat(as, bs) {
		if d <= 0 {
			return nil, nil, nil, im.errorf(c.n, "empty operand: shapes %v and %v", a.shape, b.shape)
		}
	}
	bConst := b.known && b.floats != nil && len(bs) == 2
	aConst := a.known && a.floats != nil && len(as) == 2 && !bConst
	shape := workload.Ones()
	shape[workload.C] = int(k)
	kind, weights := workload.MatMul, b
	switch {
	case bConst && len(ab) == 0:
		kind = workload.FC
		shape[workload.N], shape[workload.M] = int(m), int(n)
	case bConst:
		kind = workload.GEMM
		shape[workload.N], shape[workload.P], shape[workload.M] = int(ab[0]), int(prod(ab[1:])*m), int(n)
	case aConst:
		kind, weights = workload.GEMM, a
		if len(bb) > 0 {
			shape[workload.N] = int(bb[0])
		}
		shape[workload.P], shape[workload.M] = int(prod(bb)/int64(shape[workload.N])*n), int(m)
	default:
		nn, g, mm := int64(1), int64(1), int64(1)
		for i := range ob {
			ad := dimAt(ab, i-len(ob)+len(ab))
			bd := dimAt(bb, i-len(ob)+len(bb))
			switch {
			case ad > 1 && bd > 1:
				g *= ob[i]
			case ad > 1:
				nn *= ad // B is reused along this dimension, as weights are along N
			case bd > 1:
				mm *= bd // A is reused, as inputs are along M
			}
		}
		shape[workload.N], shape[workload.G] = int(nn), int(g)
		shape[workload.P], shape[workload.M] = int(m), int(n*mm)
	}
	l, err := workload.NewLayer("", kind, shape, [2]int{1, 1}, [2]int{1, 1})
	if err != nil {
		return nil, nil, nil, im.errorf(c.n, "%s", trimPrefix(err))
	}
	return l, weights, out, nil
}

// dimAt returns s[i], or 1 when i is out of range (a missing broadcast dim).
func dimAt(s []int64, i int) int64 {
	if i < 0 || i >= len(s) {
		return 1
	}
	return s[i]
}

// trimPrefix drops the "workload: layer "": " prefix of a workload error,
// since the node error names the node.
func trimPrefix(err error) string {
	s := err.Error()
	for _, p := range []string{`workload: layer "": `, "workload: "} {
		if rest, ok := strings.CutPrefix(s, p); ok {
			return rest
		}
	}
	return s
}
