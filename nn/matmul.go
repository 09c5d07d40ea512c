package nn

import (
	"fmt"
	"math"
	"slices"

	"github.com/nnergy/nnergy/nn/internal/gemm"
)

// MatMul multiplies two activations as batches of matrices (ONNX MatMul of
// two activations, as in attention): per sample, [B..., M, K] times
// [B..., K, P] is [B..., M, P], with the same leading dimensions B on both
// sides. (A product by a constant matrix is a [Linear] layer.)
type MatMul struct{}

// Kind returns KindMatMul.
func (l *MatMul) Kind() Kind { return KindMatMul }

// Params returns nil.
func (l *MatMul) Params() []*Param { return nil }

func (l *MatMul) clone() Layer { return &MatMul{} }

// OutShape returns [B..., M, P].
func (l *MatMul) OutShape(in [][]int) ([]int, error) {
	if len(in) != 2 {
		return nil, fmt.Errorf("matmul takes 2 inputs, got %d", len(in))
	}
	a, b := in[0], in[1]
	r := len(a)
	if r < 2 || len(b) != r || !slices.Equal(a[:r-2], b[:r-2]) || a[r-1] != b[r-2] {
		return nil, fmt.Errorf("matmul: shapes %v and %v do not multiply (want [B... M K] and [B... K P])", a, b)
	}
	return append(slices.Clone(a[:r-1]), b[r-1]), nil
}

func (l *MatMul) newOp(in [][]int, out []int, batch int) op {
	a, b := in[0], in[1]
	r := len(a)
	return &matmulOp{count: batch * numel(a[:r-2]), m: a[r-2], k: a[r-1], p: b[r-1]}
}

type matmulOp struct{ count, m, k, p int }

func (o *matmulOp) forward(r *run, in []*Tensor, out *Tensor, train bool) {
	a, b, c := in[0].Data, in[1].Data, out.Data
	m, k, p := o.m, o.k, o.p
	r.parStatic(o.count, func(w, lo, hi int) {
		for i := lo; i < hi; i++ {
			gemmOne(&r.ws[w], false, false, m, p, k, a[i*m*k:], k, b[i*k*p:], p, c[i*m*p:], p)
		}
	})
}

func (o *matmulOp) backward(r *run, in []*Tensor, out, dout *Tensor, din []*Tensor) {
	a, b, dc := in[0].Data, in[1].Data, dout.Data
	m, k, p := o.m, o.k, o.p
	r.parStatic(o.count, func(w, lo, hi int) {
		for i := lo; i < hi; i++ {
			if din[0] != nil { // dA = dC · Bᵀ
				gemmOne(&r.ws[w], false, true, m, k, p, dc[i*m*p:], p, b[i*k*p:], p, din[0].Data[i*m*k:], k)
			}
			if din[1] != nil { // dB = Aᵀ · dC
				gemmOne(&r.ws[w], true, false, k, p, m, a[i*m*k:], k, dc[i*m*p:], p, din[1].Data[i*k*p:], p)
			}
		}
	})
}

// LayerNorm normalises each sample over its last Axes axes to zero mean
// and unit variance, then scales and shifts by Scale and Bias, whose shape
// is those axes' (ONNX LayerNormalization, or its decomposition before
// opset 17).
type LayerNorm struct {
	Axes  int
	Eps   float32
	Scale *Param
	Bias  *Param
}

// Kind returns KindLayerNorm.
func (l *LayerNorm) Kind() Kind { return KindLayerNorm }

// Params returns the scale and, if present, the bias.
func (l *LayerNorm) Params() []*Param {
	if l.Bias == nil {
		return []*Param{l.Scale}
	}
	return []*Param{l.Scale, l.Bias}
}

func (l *LayerNorm) clone() Layer {
	d := *l
	d.Scale, d.Bias = l.Scale.clone(), l.Bias.clone()
	return &d
}

// OutShape returns the input shape.
func (l *LayerNorm) OutShape(in [][]int) ([]int, error) {
	x, err := oneInput(in, KindLayerNorm)
	if err != nil {
		return nil, err
	}
	if l.Axes < 1 || l.Axes > len(x) {
		return nil, fmt.Errorf("layernorm: %d axes of %v", l.Axes, x)
	}
	norm := x[len(x)-l.Axes:]
	if l.Scale == nil || !slices.Equal(l.Scale.Shape, norm) {
		return nil, fmt.Errorf("layernorm: scale shape must be %v", norm)
	}
	if l.Bias != nil && !slices.Equal(l.Bias.Shape, norm) {
		return nil, fmt.Errorf("layernorm: bias shape %v, want %v", l.Bias.Shape, norm)
	}
	if !(l.Eps > 0) {
		return nil, fmt.Errorf("layernorm: epsilon %v must be positive", l.Eps)
	}
	return x, nil
}

func (l *LayerNorm) newOp(in [][]int, out []int, batch int) op {
	x := in[0]
	d := numel(x[len(x)-l.Axes:])
	return &layerNormOp{l: l, d: d, rows: batch * numel(x) / d}
}

type layerNormOp struct {
	l       *LayerNorm
	d, rows int
	// mean and inverse standard deviation per row, kept for backward.
	mean, inv []float32
	xhat      []float32
}

func (o *layerNormOp) forward(r *run, in []*Tensor, out *Tensor, train bool) {
	if len(o.mean) != o.rows {
		o.mean, o.inv = make([]float32, o.rows), make([]float32, o.rows)
		o.xhat = make([]float32, o.rows*o.d)
	}
	x, y, d := in[0].Data, out.Data, o.d
	g := o.l.Scale.Data
	r.par(o.rows, max(1, grainElems/d), func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			row := x[i*d : (i+1)*d]
			var s float64
			for _, v := range row {
				s += float64(v)
			}
			mu := float32(s / float64(d))
			var q float64
			for _, v := range row {
				q += float64((v - mu) * (v - mu))
			}
			inv := float32(1 / math.Sqrt(q/float64(d)+float64(o.l.Eps)))
			o.mean[i], o.inv[i] = mu, inv
			xh, yr := o.xhat[i*d:(i+1)*d], y[i*d:(i+1)*d]
			for j, v := range row {
				xh[j] = (v - mu) * inv
				yr[j] = xh[j] * g[j]
				if o.l.Bias != nil {
					yr[j] += o.l.Bias.Data[j]
				}
			}
		}
	})
}

func (o *layerNormOp) backward(r *run, in []*Tensor, out, dout *Tensor, din []*Tensor) {
	d, dy := o.d, dout.Data
	l := o.l
	l.Scale.ensureGrad()
	clear(l.Scale.Grad)
	if l.Bias != nil {
		l.Bias.ensureGrad()
		clear(l.Bias.Grad)
	}
	for i := 0; i < o.rows; i++ {
		xh, g := o.xhat[i*d:(i+1)*d], dy[i*d:(i+1)*d]
		for j := range g {
			l.Scale.Grad[j] += g[j] * xh[j]
			if l.Bias != nil {
				l.Bias.Grad[j] += g[j]
			}
		}
	}
	if din[0] == nil {
		return
	}
	dx, gamma := din[0].Data, l.Scale.Data
	r.par(o.rows, max(1, grainElems/d), func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			xh, g, dxr := o.xhat[i*d:(i+1)*d], dy[i*d:(i+1)*d], dx[i*d:(i+1)*d]
			// dx = inv/d · (d·ĝ - Σĝ - x̂·Σ(ĝ·x̂)), ĝ = g·γ
			var s1, s2 float32
			for j := range g {
				gh := g[j] * gamma[j]
				s1 += gh
				s2 += gh * xh[j]
			}
			k := o.inv[i] / float32(d)
			for j := range g {
				dxr[j] = k * (float32(d)*g[j]*gamma[j] - s1 - xh[j]*s2)
			}
		}
	})
}

// gemmOne computes one matrix product C = op(A)·op(B) on one worker.
func gemmOne(ws *gemm.Workspace, ta, tb bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	gemm.Gemm(ta, tb, m, n, k, a, lda, b, ldb, c, ldc, false, ws)
}
