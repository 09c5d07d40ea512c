package prune

import (
	"fmt"
	"math"

	"github.com/nnergy/nnergy/nn"
)

// normal holds the normal equations of one layer's output over a
// calibration batch: per group, the Gram matrix of the im2col'd inputs
// augmented with a constant column (for the bias), and per output filter the
// right-hand side and the squared norm of the reference output. The output
// of filter f is y_f = A·w_f + b_f, so for any weights the squared error
// ‖A·w + b − y_ref‖² is wᵀGw − 2wᵀr + yᵀy, without another pass.
type normal struct {
	k      int         // weights per filter (C/groups × KH × KW, or In)
	groups int         // filters per group = outC / groups
	gram   [][]float64 // per group, (k+1)×(k+1), row-major; index k is the bias
	rhs    [][]float64 // per filter, k+1
	yy     []float64   // per filter
	bias   bool
}

// newNormal accumulates the normal equations of the convolution or linear
// layer l for input x ([N, C, H, W] or [N, F]) and reference output ref
// ([N, OutC, OH, OW] or [N, Out]).
func newNormal(l nn.Layer, x, ref *nn.Tensor) (*normal, error) {
	switch l := l.(type) {
	case *nn.Linear:
		n := x.Shape[0]
		if x.Len() != n*l.In || ref.Len() != n*l.Out {
			return nil, fmt.Errorf("prune: linear %d->%d: input %v, output %v", l.In, l.Out, x.Shape, ref.Shape)
		}
		e := &normal{k: l.In, groups: l.Out, bias: l.Bias != nil}
		e.alloc(1, l.Out)
		p := make([]float64, l.In+1)
		y := make([]float64, l.Out)
		for i := range n {
			for j, v := range x.Data[i*l.In : (i+1)*l.In] {
				p[j] = float64(v)
			}
			p[l.In] = 1
			for j, v := range ref.Data[i*l.Out : (i+1)*l.Out] {
				y[j] = float64(v)
			}
			e.add(0, p, y)
		}
		e.fill()
		return e, nil
	case *nn.Conv:
		return convNormal(l, x, ref)
	}
	return nil, fmt.Errorf("prune: %v layer has no weights to restore", l.Kind())
}

func (e *normal) alloc(groups, filters int) {
	e.gram = make([][]float64, groups)
	for g := range e.gram {
		e.gram[g] = make([]float64, (e.k+1)*(e.k+1))
	}
	e.rhs = make([][]float64, filters)
	for f := range e.rhs {
		e.rhs[f] = make([]float64, e.k+1)
	}
	e.yy = make([]float64, filters)
}

// add accumulates one row p (k values and a 1) of group g with the outputs
// y of the group's filters.
func (e *normal) add(g int, p, y []float64) {
	k1 := e.k + 1
	G := e.gram[g]
	for a, pa := range p {
		if pa == 0 {
			continue
		}
		row := G[a*k1:]
		for b := a; b < k1; b++ {
			row[b] += pa * p[b]
		}
	}
	base := g * e.groups
	for j, yj := range y {
		if yj == 0 {
			continue
		}
		r := e.rhs[base+j]
		for a, pa := range p {
			r[a] += pa * yj
		}
		e.yy[base+j] += yj * yj
	}
}

// fill mirrors the upper triangles of the Gram matrices.
func (e *normal) fill() {
	k1 := e.k + 1
	for _, G := range e.gram {
		for a := range k1 {
			for b := a + 1; b < k1; b++ {
				G[b*k1+a] = G[a*k1+b]
			}
		}
	}
}

func convNormal(c *nn.Conv, x, ref *nn.Tensor) (*normal, error) {
	if len(x.Shape) != 4 || len(ref.Shape) != 4 || x.Shape[1] != c.InC || ref.Shape[1] != c.OutC || x.Shape[0] != ref.Shape[0] {
		return nil, fmt.Errorf("prune: conv %d->%d: input %v, output %v", c.InC, c.OutC, x.Shape, ref.Shape)
	}
	groups := max(c.Groups, 1)
	cg, mg := c.InC/groups, c.OutC/groups
	kh, kw := c.Kernel[0], c.Kernel[1]
	sh, sw := max(c.Stride[0], 1), max(c.Stride[1], 1)
	dh, dw := max(c.Dilation[0], 1), max(c.Dilation[1], 1)
	n, h, w := x.Shape[0], x.Shape[2], x.Shape[3]
	oh, ow := ref.Shape[2], ref.Shape[3]
	e := &normal{k: cg * kh * kw, groups: mg, bias: c.Bias != nil}
	e.alloc(groups, c.OutC)
	p := make([]float64, e.k+1)
	y := make([]float64, mg)
	for g := range groups {
		for i := range n {
			for oy := range oh {
				for ox := range ow {
					j := 0
					for ch := range cg {
						plane := x.Data[((i*c.InC)+g*cg+ch)*h*w:]
						for ky := range kh {
							iy := oy*sh - c.Pad[0] + ky*dh
							for kx := range kw {
								ix := ox*sw - c.Pad[1] + kx*dw
								v := 0.0
								if iy >= 0 && iy < h && ix >= 0 && ix < w {
									v = float64(plane[iy*w+ix])
								}
								p[j] = v
								j++
							}
						}
					}
					p[e.k] = 1
					for f := range mg {
						y[f] = float64(ref.Data[((i*c.OutC+g*mg+f)*oh+oy)*ow+ox])
					}
					e.add(g, p, y)
				}
			}
		}
	}
	e.fill()
	return e, nil
}

// errorOf returns the squared output error of filter f with weights w (k
// values) and bias b.
func (e *normal) errorOf(f int, w []float64, b float64) float64 {
	k1 := e.k + 1
	G := e.gram[f/e.groups]
	r := e.rhs[f]
	v := make([]float64, k1)
	copy(v, w)
	v[e.k] = b
	var q, lin float64
	for a := range k1 {
		if v[a] == 0 {
			continue
		}
		var s float64
		row := G[a*k1 : (a+1)*k1]
		for bb, vb := range v {
			s += row[bb] * vb
		}
		q += v[a] * s
		lin += v[a] * r[a]
	}
	return max(q-2*lin+e.yy[f], 0)
}

// solve returns the least-squares weights of filter f over the kept
// positions (keep[i] true; cur holds the current weights) and, when the layer has one, the bias, with a
// small ridge (ridge × the mean diagonal over the kept positions) so that
// inputs that never vary (dead channels, padding) leave the system
// solvable.
func (e *normal) solve(f int, cur []float64, keep []bool, ridge float64) (w []float64, b float64, err error) {
	k1 := e.k + 1
	G := e.gram[f/e.groups]
	r := e.rhs[f]
	// Kept weights whose input never varies from zero on the calibration
	// batch (dead channels) have no say in the fit: they keep their values.
	w = make([]float64, e.k)
	var idx []int
	for i, kp := range keep {
		switch {
		case kp && G[i*k1+i] > 0:
			idx = append(idx, i)
		case kp:
			w[i] = cur[i]
		}
	}
	nw := len(idx)
	if e.bias {
		idx = append(idx, e.k)
	}
	if len(idx) == 0 {
		return w, 0, nil
	}
	s := len(idx)
	A := make([]float64, s*s)
	rhs := make([]float64, s)
	var diag float64
	for a, ia := range idx {
		for bb, ib := range idx {
			A[a*s+bb] = G[ia*k1+ib]
		}
		rhs[a] = r[ia]
		if a < nw {
			diag += G[ia*k1+ia]
		}
	}
	lambda := ridge * diag / float64(max(nw, 1))
	if lambda == 0 {
		lambda = 1e-12
	}
	for a := range nw {
		A[a*s+a] += lambda
	}
	if e.bias {
		A[(s-1)*s+(s-1)] += 1e-9 * (1 + G[e.k*k1+e.k])
	}
	if err := cholSolve(A, rhs, s); err != nil {
		return nil, 0, err
	}
	for a := range nw {
		w[idx[a]] = rhs[a]
	}
	if e.bias {
		b = rhs[s-1]
	}
	return w, b, nil
}

// cholSolve solves A·x = b in place (x in b) for a symmetric positive
// definite n×n matrix A (overwritten by its Cholesky factor).
func cholSolve(A, b []float64, n int) error {
	for j := range n {
		d := A[j*n+j]
		for k := range j {
			d -= A[j*n+k] * A[j*n+k]
		}
		if !(d > 0) {
			return fmt.Errorf("prune: least-squares system is not positive definite")
		}
		d = math.Sqrt(d)
		A[j*n+j] = d
		for i := j + 1; i < n; i++ {
			s := A[i*n+j]
			ri, rj := A[i*n:i*n+j], A[j*n:j*n+j]
			for k := range j {
				s -= ri[k] * rj[k]
			}
			A[i*n+j] = s / d
		}
	}
	for i := range n {
		s := b[i]
		for k := range i {
			s -= A[i*n+k] * b[k]
		}
		b[i] = s / A[i*n+i]
	}
	for i := n - 1; i >= 0; i-- {
		s := b[i]
		for k := i + 1; k < n; k++ {
			s -= A[k*n+i] * b[k]
		}
		b[i] = s / A[i*n+i]
	}
	return nil
}

// weightsOf returns the weight and bias of a convolution or linear layer.
func weightsOf(l nn.Layer) (w, b *nn.Param) {
	switch l := l.(type) {
	case *nn.Conv:
		return l.Weight, l.Bias
	case *nn.Linear:
		return l.Weight, l.Bias
	}
	return nil, nil
}

// Restore sets the kept weights (those not masked) and the bias of the
// convolution or linear node of m to the least-squares solution that best
// reproduces ref, the node's output before pruning, from in, its input now,
// over a calibration batch: per output filter, the normal equations of the
// im2col'd inputs restricted to the kept weights, solved by Cholesky with a
// small ridge. Masked weights stay zero. It returns the relative output
// error ‖y − ref‖²/‖ref‖² with the weights as they were (before) and as
// restored (after).
func Restore(m *nn.Model, node string, in, ref *nn.Tensor, ridge float64) (before, after float64, err error) {
	n := m.Node(node)
	if n == nil {
		return 0, 0, fmt.Errorf("prune: no node %q", node)
	}
	e, err := newNormal(n.Layer, in, ref)
	if err != nil {
		return 0, 0, err
	}
	w, bias := weightsOf(n.Layer)
	filters := w.Shape[0]
	var yy, eb, ea float64
	cur := make([]float64, e.k)
	keep := make([]bool, e.k)
	for f := range filters {
		row := w.Data[f*e.k : (f+1)*e.k]
		for i, v := range row {
			cur[i] = float64(v)
			keep[i] = w.Mask == nil || w.Mask[f*e.k+i]
		}
		b := 0.0
		if bias != nil {
			b = float64(bias.Data[f])
		}
		nw, nb, err := e.solve(f, cur, keep, ridge)
		if err != nil {
			return 0, 0, fmt.Errorf("prune: node %q filter %d: %w", node, f, err)
		}
		eo := e.errorOf(f, cur, b)
		eb += eo
		en := e.errorOf(f, nw, nb)
		if en >= eo { // the ridge can cost more than it restores: keep the filter
			ea += eo
			yy += e.yy[f]
			continue
		}
		ea += en
		for i, v := range nw {
			row[i] = float32(v)
		}
		if bias != nil {
			bias.Data[f] = float32(nb)
		}
		yy += e.yy[f]
	}
	if yy == 0 {
		return 0, 0, nil
	}
	return eb / yy, ea / yy, nil
}
