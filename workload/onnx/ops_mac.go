package onnx

import (
	"strings"

	"github.com/nnergy/nnergy/onnx/graph"

	"github.com/nnergy/nnergy/workload"
)

// conv imports Conv over 1-D or 2-D inputs: X [N, C, (H,) W] and weights
// [M, C/group, (KH,) KW].
func (im *importer) conv(c *call) ([]*value, error) {
	return im.convOf(c, c.In[0], c.In[1], 1)
}

// convOf imports a convolution of x by w, input wi of the node (for
// messages).
func (im *importer) convOf(c *call, x, w *value, wi int) ([]*value, error) {
	if len(x.Shape) != 3 && len(x.Shape) != 4 {
		return nil, im.errorf(c.Node, "input %q has shape %v; only 1-D and 2-D convolutions (rank 3 or 4) are supported", c.Node.Inputs[0], x.Shape)
	}
	if len(w.Shape) != len(x.Shape) {
		return nil, im.errorf(c.Node, "weights %q have shape %v, want rank %d", c.Node.Inputs[wi], w.Shape, len(x.Shape))
	}
	group, win, shape, err := graph.ConvOf(c.Node, x.Shape, w.Shape)
	if err != nil {
		return nil, im.wrap(err)
	}
	inC, outC := x.Shape[1], w.Shape[0]
	// A 1-D convolution is a 2-D one of height 1.
	if len(x.Shape) == 3 {
		win = graph.Window{
			Kernel:    []int64{1, win.Kernel[0]},
			Strides:   []int64{1, win.Strides[0]},
			Dilations: []int64{1, win.Dilations[0]},
			Pads:      []int64{0, win.Pads[0], 0, win.Pads[1]},
		}
	}
	h, wd := int64(1), x.Shape[len(x.Shape)-1]
	if len(x.Shape) == 4 {
		h = x.Shape[2]
	}
	spec := workload.ConvSpec{
		Batch: int(x.Shape[0]), InC: int(inC), OutC: int(outC), InH: int(h), InW: int(wd),
		KH: int(win.Kernel[0]), KW: int(win.Kernel[1]),
		StrideH: int(win.Strides[0]), StrideW: int(win.Strides[1]),
		PadT: int(win.Pads[0]), PadL: int(win.Pads[1]), PadB: int(win.Pads[2]), PadR: int(win.Pads[3]),
		DilationH: int(win.Dilations[0]), DilW: int(win.Dilations[1]),
		Groups: int(group),
	}
	l, err := workload.NewConv(spec)
	if err != nil {
		return nil, im.errorf(c.Node, "%s", trimPrefix(err))
	}
	if p, q := int64(l.Shape[workload.P]), int64(l.Shape[workload.Q]); q != shape[len(shape)-1] || len(shape) == 4 && p != shape[2] {
		return nil, im.errorf(c.Node, "output size %dx%d disagrees with the ONNX rule", p, q)
	}
	return []*value{im.addLayer(c, l, w, shape, x.Batch)}, nil
}

// gemm imports Gemm: Y = alpha·A'·B' + beta·C with A' = A or Aᵀ (transA) and
// B' = B or Bᵀ (transB), both 2-D.
func (im *importer) gemm(c *call) ([]*value, error) {
	a, b := c.In[0], c.In[1]
	if len(a.Shape) != 2 || len(b.Shape) != 2 {
		return nil, im.errorf(c.Node, "inputs have shapes %v and %v, want 2-D matrices", a.Shape, b.Shape)
	}
	ta, err := c.Node.Int("transA", 0)
	if err != nil {
		return nil, im.wrap(err)
	}
	tb, err := c.Node.Int("transB", 0)
	if err != nil {
		return nil, im.wrap(err)
	}
	as, bs := a.Shape, b.Shape
	if ta != 0 {
		as = []int64{as[1], as[0]}
	}
	if tb != 0 {
		bs = []int64{bs[1], bs[0]}
	}
	return im.product(c, a, b, as, bs, a.Batch && ta == 0)
}

// matmul imports MatMul with numpy semantics: 1-D operands are promoted to
// matrices and leading (batch) dimensions broadcast.
func (im *importer) matmul(c *call) ([]*value, error) {
	return im.matmulOf(c, c.In[0], c.In[1])
}

// matmulOf imports the MatMul of a and b.
func (im *importer) matmulOf(c *call, a, b *value) ([]*value, error) {
	if len(a.Shape) == 0 || len(b.Shape) == 0 {
		return nil, im.errorf(c.Node, "inputs have shapes %v and %v; scalars are not allowed", a.Shape, b.Shape)
	}
	out := max(len(a.Shape), len(b.Shape))
	batch := (a.Batch && len(a.Shape) == out && out >= 2) || (b.Batch && len(b.Shape) == out && out >= 3)
	return im.product(c, a, b, a.Shape, b.Shape, batch)
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
	out, err := graph.MatMulShape(as, bs)
	if err != nil {
		return nil, nil, nil, im.errorf(c.Node, "%v", err)
	}
	if len(as) == 1 {
		as = []int64{1, as[0]}
	}
	if len(bs) == 1 {
		bs = []int64{bs[0], 1}
	}
	m, k, n := as[len(as)-2], as[len(as)-1], bs[len(bs)-1]
	ab, bb := as[:len(as)-2], bs[:len(bs)-2]
	ob, _ := graph.Broadcast(ab, bb)
	bConst := b.Known && b.Floats != nil && len(bs) == 2
	aConst := a.Known && a.Floats != nil && len(as) == 2 && !bConst
	shape := workload.Ones()
	shape[workload.C] = int(k)
	kind, weights := workload.MatMul, b
	switch {
	case bConst && len(ab) == 0:
		kind = workload.FC
		shape[workload.N], shape[workload.M] = int(m), int(n)
	case bConst:
		kind = workload.GEMM
		shape[workload.N], shape[workload.P], shape[workload.M] = int(ab[0]), int(graph.Prod(ab[1:])*m), int(n)
	case aConst:
		kind, weights = workload.GEMM, a
		if len(bb) > 0 {
			shape[workload.N] = int(bb[0])
		}
		shape[workload.P], shape[workload.M] = int(graph.Prod(bb)/int64(shape[workload.N])*n), int(m)
	default:
		nn, g, mm := int64(1), int64(1), int64(1)
		for i := range ob {
			ad := graph.DimAt(ab, i-len(ob)+len(ab))
			bd := graph.DimAt(bb, i-len(ob)+len(bb))
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
		return nil, nil, nil, im.errorf(c.Node, "%s", trimPrefix(err))
	}
	return l, weights, out, nil
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
