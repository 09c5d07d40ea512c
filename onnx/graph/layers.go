package graph

import (
	"fmt"
	"slices"

	"github.com/nnergy/nnergy/onnx"
)

// The ops that become layers (Conv, Gemm, MatMul) have shape functions
// here too, so that the walk infers every value of a graph an importer
// lowers node by node (Walker.Visit); an importer that lowers them itself
// (Walker.Lower) reads their attributes and shapes with ConvOf and
// MatMulShape.

// ConvOf reads the group and the window of convolution node n for an
// input of shape x [N, C, spatial...] and weights of shape w [M, C/group,
// kernel...], and returns them with the output shape [N, M, out...].
// Errors are *onnx.NodeError values without the file name.
func ConvOf(n *onnx.Node, x, w []int64) (group int64, win Window, out []int64, err error) {
	if len(x) < 3 || len(w) != len(x) {
		return 0, win, nil, n.Errorf("input of shape %v and weights of shape %v: want [N, C, spatial...] and [M, C/group, kernel...] of one rank", x, w)
	}
	if group, err = n.Int("group", 1); err != nil {
		return 0, win, nil, err
	}
	if group <= 0 || x[1]%group != 0 || w[0]%group != 0 || w[1]*group != x[1] {
		return 0, win, nil, n.Errorf("weights of shape %v with group %d do not fit input of shape %v", w, group, x)
	}
	if win, err = ReadWindow(n, x[2:], w[2:]); err != nil {
		return 0, win, nil, err
	}
	out = []int64{x[0], w[0]}
	for i, in := range x[2:] {
		o := win.Out(i, in, false)
		if o <= 0 {
			return 0, win, nil, n.Errorf("kernel %v with dilations %v does not fit input of shape %v", win.Kernel, win.Dilations, x)
		}
		out = append(out, o)
	}
	return group, win, out, nil
}

func conv(c *Call) ([]*Value, error) {
	x := c.In[0]
	_, _, out, err := ConvOf(c.Node, x.Shape, c.In[1].Shape)
	if err != nil {
		return nil, c.Wrap(err)
	}
	if b := c.Arg(2); b != nil && !slices.Equal(b.Shape, out[1:2]) {
		return nil, c.Errorf("bias has shape %v, want [%d]", b.Shape, out[1])
	}
	return []*Value{{Shape: out, Batch: x.Batch}}, nil
}

// MatMulShape returns the shape of the product of matrices of shapes a and
// b with numpy's semantics: a 1-D operand is a row (a) or a column (b)
// vector, dropped from the result, and the dimensions before the last two
// broadcast.
func MatMulShape(a, b []int64) ([]int64, error) {
	if len(a) == 0 || len(b) == 0 {
		return nil, fmt.Errorf("inputs have shapes %v and %v; scalars are not allowed", a, b)
	}
	as, bs := a, b
	if len(a) == 1 {
		as = []int64{1, a[0]}
	}
	if len(b) == 1 {
		bs = []int64{b[0], 1}
	}
	if as[len(as)-1] != bs[len(bs)-2] {
		return nil, fmt.Errorf("inner dimensions of %v and %v differ", a, b)
	}
	out, err := Broadcast(as[:len(as)-2], bs[:len(bs)-2])
	if err != nil {
		return nil, fmt.Errorf("batch dimensions of %v and %v do not broadcast", a, b)
	}
	if len(a) > 1 {
		out = append(out, as[len(as)-2])
	}
	if len(b) > 1 {
		out = append(out, bs[len(bs)-1])
	}
	for _, d := range slices.Concat(as, bs) {
		if d <= 0 {
			return nil, fmt.Errorf("empty operand: shapes %v and %v", a, b)
		}
	}
	return out, nil
}

func matmul(c *Call) ([]*Value, error) {
	a, b := c.In[0], c.In[1]
	out, err := MatMulShape(a.Shape, b.Shape)
	if err != nil {
		return nil, c.Errorf("%v", err)
	}
	// The result's dimension 0 is that of the operand with the most
	// dimensions before its matrices (a vector has none).
	ra, rb := max(len(a.Shape), 2), max(len(b.Shape), 2)
	batch := a.Batch && len(a.Shape) >= 2 && ra >= rb || b.Batch && len(b.Shape) >= 3 && rb >= ra
	return []*Value{{Shape: out, Batch: batch}}, nil
}

// gemm infers Gemm: alpha·A'·B' + beta·C, A' [M, K] being A or Aᵀ (transA)
// and B' [K, N] B or Bᵀ (transB), C broadcast to [M, N].
func gemm(c *Call) ([]*Value, error) {
	a, b := c.In[0], c.In[1]
	if len(a.Shape) != 2 || len(b.Shape) != 2 {
		return nil, c.Errorf("inputs have shapes %v and %v, want 2-D matrices", a.Shape, b.Shape)
	}
	var t [2]int64
	for i, name := range []string{"transA", "transB"} {
		var err error
		if t[i], err = c.Node.Int(name, 0); err != nil {
			return nil, c.Wrap(err)
		}
	}
	as, bs := a.Shape, b.Shape
	if t[0] != 0 {
		as = []int64{as[1], as[0]}
	}
	if t[1] != 0 {
		bs = []int64{bs[1], bs[0]}
	}
	out, err := MatMulShape(as, bs)
	if err != nil {
		return nil, c.Errorf("A of shape %v and B of shape %v do not multiply (transA %d, transB %d)", a.Shape, b.Shape, t[0], t[1])
	}
	if y := c.Arg(2); y != nil {
		if s, err := Broadcast(y.Shape, out); err != nil || !slices.Equal(s, out) {
			return nil, c.Errorf("C of shape %v does not broadcast to the output's %v", y.Shape, out)
		}
	}
	return []*Value{{Shape: out, Batch: a.Batch && t[0] == 0}}, nil
}
