package nn

import (
	"fmt"
	"math"
)

// MaxPool takes the maximum over windows of each channel (ONNX MaxPool).
// Zero strides mean 1. Pad is [top, left, bottom, right] and padded
// positions never win. Ceil rounds the output size up (ONNX ceil_mode).
type MaxPool struct {
	Kernel [2]int
	Stride [2]int
	Pad    [4]int
	Ceil   bool
}

// NewMaxPool returns a k×k max pooling with the given stride and no padding.
func NewMaxPool(k, stride int) *MaxPool {
	return &MaxPool{Kernel: [2]int{k, k}, Stride: [2]int{stride, stride}}
}

// AvgPool averages over windows of each channel (ONNX AveragePool). The
// divisor is the number of input positions inside the window, or the full
// window size when CountPad is set (ONNX count_include_pad).
type AvgPool struct {
	Kernel   [2]int
	Stride   [2]int
	Pad      [4]int
	Ceil     bool
	CountPad bool
}

// NewAvgPool returns a k×k average pooling with the given stride and no
// padding.
func NewAvgPool(k, stride int) *AvgPool {
	return &AvgPool{Kernel: [2]int{k, k}, Stride: [2]int{stride, stride}}
}

// GlobalAvgPool averages each channel over its whole plane: [C, H, W] ->
// [C, 1, 1] (ONNX GlobalAveragePool).
type GlobalAvgPool struct{}

// Kind returns KindMaxPool.
func (l *MaxPool) Kind() Kind { return KindMaxPool }

// Kind returns KindAvgPool.
func (l *AvgPool) Kind() Kind { return KindAvgPool }

// Kind returns KindGlobalAvgPool.
func (l *GlobalAvgPool) Kind() Kind { return KindGlobalAvgPool }

// Params returns nil.
func (l *MaxPool) Params() []*Param { return nil }

// Params returns nil.
func (l *AvgPool) Params() []*Param { return nil }

// Params returns nil.
func (l *GlobalAvgPool) Params() []*Param { return nil }

func (l *MaxPool) clone() Layer       { d := *l; return &d }
func (l *AvgPool) clone() Layer       { d := *l; return &d }
func (l *GlobalAvgPool) clone() Layer { return &GlobalAvgPool{} }

// poolGeom is a pooling window's geometry with defaults applied.
type poolGeom struct {
	c, h, w, oh, ow, kh, kw, sh, sw, pt, pl int
}

func poolShape(k Kind, in [][]int, kernel, stride [2]int, pad [4]int, ceil bool) (poolGeom, error) {
	x, err := oneInput(in, k)
	if err != nil {
		return poolGeom{}, err
	}
	c, h, w, err := image(x, k)
	if err != nil {
		return poolGeom{}, err
	}
	g := poolGeom{c: c, h: h, w: w, kh: kernel[0], kw: kernel[1], sh: one(stride[0]), sw: one(stride[1]), pt: pad[0], pl: pad[1]}
	if g.kh < 1 || g.kw < 1 || g.sh < 1 || g.sw < 1 || min(pad[0], pad[1], pad[2], pad[3]) < 0 {
		return g, fmt.Errorf("%v: bad kernel %v, stride %v or pad %v", k, kernel, stride, pad)
	}
	if pad[0] >= g.kh || pad[2] >= g.kh || pad[1] >= g.kw || pad[3] >= g.kw {
		return g, fmt.Errorf("%v: pad %v must be smaller than kernel %v", k, pad, kernel)
	}
	size := func(n, p0, p1, kk, s int) int {
		span := n + p0 + p1 - kk
		if span < 0 {
			return 0
		}
		o := span/s + 1
		if ceil && span%s != 0 {
			o++
			if (o-1)*s >= n+p0 { // the last window must start inside the input
				o--
			}
		}
		return o
	}
	g.oh = size(h, pad[0], pad[2], g.kh, g.sh)
	g.ow = size(w, pad[1], pad[3], g.kw, g.sw)
	if g.oh < 1 || g.ow < 1 {
		return g, fmt.Errorf("%v: %dx%d window does not fit %dx%d input", k, g.kh, g.kw, h, w)
	}
	return g, nil
}

// OutShape returns [C, OH, OW].
func (l *MaxPool) OutShape(in [][]int) ([]int, error) {
	g, err := poolShape(KindMaxPool, in, l.Kernel, l.Stride, l.Pad, l.Ceil)
	if err != nil {
		return nil, err
	}
	return []int{g.c, g.oh, g.ow}, nil
}

// OutShape returns [C, OH, OW].
func (l *AvgPool) OutShape(in [][]int) ([]int, error) {
	g, err := poolShape(KindAvgPool, in, l.Kernel, l.Stride, l.Pad, l.Ceil)
	if err != nil {
		return nil, err
	}
	return []int{g.c, g.oh, g.ow}, nil
}

// OutShape returns [C, 1, 1].
func (l *GlobalAvgPool) OutShape(in [][]int) ([]int, error) {
	x, err := oneInput(in, KindGlobalAvgPool)
	if err != nil {
		return nil, err
	}
	c, _, _, err := image(x, KindGlobalAvgPool)
	if err != nil {
		return nil, err
	}
	return []int{c, 1, 1}, nil
}

func (l *MaxPool) newOp(in [][]int, out []int, batch int) op {
	g, _ := poolShape(KindMaxPool, in, l.Kernel, l.Stride, l.Pad, l.Ceil)
	return &maxPoolOp{g: g}
}

func (l *AvgPool) newOp(in [][]int, out []int, batch int) op {
	g, _ := poolShape(KindAvgPool, in, l.Kernel, l.Stride, l.Pad, l.Ceil)
	return &avgPoolOp{g: g, countPad: l.CountPad}
}

func (l *GlobalAvgPool) newOp(in [][]int, out []int, batch int) op { return globalAvgOp{} }

// window returns the input rows [ih0, ih1) and columns [iw0, iw1) of
// output (oh, ow), clipped to the input.
func (g *poolGeom) window(oh, ow int) (ih0, ih1, iw0, iw1 int) {
	ih0 = oh*g.sh - g.pt
	iw0 = ow*g.sw - g.pl
	ih1 = min(ih0+g.kh, g.h)
	iw1 = min(iw0+g.kw, g.w)
	return max(ih0, 0), ih1, max(iw0, 0), iw1
}

type maxPoolOp struct {
	g   poolGeom
	arg []int32 // training: index in its plane of each output's maximum
}

func (o *maxPoolOp) forward(r *run, in []*Tensor, out *Tensor, train bool) {
	g := &o.g
	x, y := in[0].Data, out.Data
	planes := in[0].Shape[0] * g.c
	hw, p := g.h*g.w, g.oh*g.ow
	if len(o.arg) != len(y) {
		o.arg = make([]int32, len(y))
	}
	fast := g.kh == 2 && g.kw == 2 && g.sh == 2 && g.sw == 2 && g.pt == 0 && g.pl == 0 && 2*g.oh <= g.h && 2*g.ow <= g.w
	r.par(planes, 16, func(_, lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			xp, yp, ap := x[pl*hw:(pl+1)*hw], y[pl*p:(pl+1)*p], o.arg[pl*p:(pl+1)*p]
			if fast {
				for oh := 0; oh < g.oh; oh++ {
					r0 := xp[2*oh*g.w : 2*oh*g.w+2*g.ow]
					r1 := xp[(2*oh+1)*g.w : (2*oh+1)*g.w+2*g.ow]
					yr, ar := yp[oh*g.ow:(oh+1)*g.ow], ap[oh*g.ow:(oh+1)*g.ow]
					base := int32(2 * oh * g.w)
					for ow := range yr {
						// Branch-free: compare order-preserving integer keys
						// (max on integers compiles to conditional moves).
						a, b, c, d := key(r0[2*ow]), key(r0[2*ow+1]), key(r1[2*ow]), key(r1[2*ow+1])
						m := max(a, b, c, d)
						na, nb, nc := b2i(a != m), b2i(b != m), b2i(c != m)
						k := na * (1 + nb*(1+nc)) // first maximum: 0..3 for a, b, c, d
						yr[ow] = unkey(m)
						ar[ow] = base + int32(2*ow+(k&1)+(k>>1)*g.w)
					}
				}
				continue
			}
			for oh := 0; oh < g.oh; oh++ {
				for ow := 0; ow < g.ow; ow++ {
					ih0, ih1, iw0, iw1 := g.window(oh, ow)
					m, a := float32(math.Inf(-1)), int32(ih0*g.w+iw0)
					for ih := ih0; ih < ih1; ih++ {
						for iw := iw0; iw < iw1; iw++ {
							if v := xp[ih*g.w+iw]; v > m {
								m, a = v, int32(ih*g.w+iw)
							}
						}
					}
					yp[oh*g.ow+ow], ap[oh*g.ow+ow] = m, a
				}
			}
		}
	})
}

func (o *maxPoolOp) backward(r *run, in []*Tensor, out, dout *Tensor, din []*Tensor) {
	if din[0] == nil {
		return
	}
	g := &o.g
	dy, dx := dout.Data, din[0].Data
	planes := in[0].Shape[0] * g.c
	hw, p := g.h*g.w, g.oh*g.ow
	r.par(planes, 16, func(_, lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			dxp := dx[pl*hw : (pl+1)*hw]
			clear(dxp)
			for k, a := range o.arg[pl*p : (pl+1)*p] {
				dxp[a] += dy[pl*p+k]
			}
		}
	})
}

// key maps a float32 to an int32 with the same order (for non-NaN values).
func key(x float32) int32 {
	b := int32(math.Float32bits(x))
	return b ^ (b >> 31 & 0x7fffffff)
}

// unkey inverts key.
func unkey(k int32) float32 {
	return math.Float32frombits(uint32(k ^ (k >> 31 & 0x7fffffff)))
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

type avgPoolOp struct {
	g        poolGeom
	countPad bool
}

func (o *avgPoolOp) div(ih0, ih1, iw0, iw1 int) float32 {
	if o.countPad {
		return float32(o.g.kh * o.g.kw)
	}
	return float32((ih1 - ih0) * (iw1 - iw0))
}

func (o *avgPoolOp) forward(r *run, in []*Tensor, out *Tensor, train bool) {
	g := &o.g
	x, y := in[0].Data, out.Data
	planes := in[0].Shape[0] * g.c
	hw, p := g.h*g.w, g.oh*g.ow
	r.par(planes, 16, func(_, lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			xp, yp := x[pl*hw:(pl+1)*hw], y[pl*p:(pl+1)*p]
			for oh := 0; oh < g.oh; oh++ {
				for ow := 0; ow < g.ow; ow++ {
					ih0, ih1, iw0, iw1 := g.window(oh, ow)
					var s float32
					for ih := ih0; ih < ih1; ih++ {
						for _, v := range xp[ih*g.w+iw0 : ih*g.w+iw1] {
							s += v
						}
					}
					yp[oh*g.ow+ow] = s / o.div(ih0, ih1, iw0, iw1)
				}
			}
		}
	})
}

func (o *avgPoolOp) backward(r *run, in []*Tensor, out, dout *Tensor, din []*Tensor) {
	if din[0] == nil {
		return
	}
	g := &o.g
	dy, dx := dout.Data, din[0].Data
	planes := in[0].Shape[0] * g.c
	hw, p := g.h*g.w, g.oh*g.ow
	r.par(planes, 16, func(_, lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			dxp, dyp := dx[pl*hw:(pl+1)*hw], dy[pl*p:(pl+1)*p]
			clear(dxp)
			for oh := 0; oh < g.oh; oh++ {
				for ow := 0; ow < g.ow; ow++ {
					ih0, ih1, iw0, iw1 := g.window(oh, ow)
					v := dyp[oh*g.ow+ow] / o.div(ih0, ih1, iw0, iw1)
					for ih := ih0; ih < ih1; ih++ {
						row := dxp[ih*g.w+iw0 : ih*g.w+iw1]
						for k := range row {
							row[k] += v
						}
					}
				}
			}
		}
	})
}

type globalAvgOp struct{}

func (globalAvgOp) forward(r *run, in []*Tensor, out *Tensor, train bool) {
	x, y := in[0].Data, out.Data
	hw := len(x) / len(y)
	inv := 1 / float32(hw)
	r.par(len(y), 64, func(_, lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			var s float32
			for _, v := range x[pl*hw : (pl+1)*hw] {
				s += v
			}
			y[pl] = s * inv
		}
	})
}

func (globalAvgOp) backward(r *run, in []*Tensor, out, dout *Tensor, din []*Tensor) {
	if din[0] == nil {
		return
	}
	dy, dx := dout.Data, din[0].Data
	hw := len(dx) / len(dy)
	inv := 1 / float32(hw)
	r.par(len(dy), 64, func(_, lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			v := dy[pl] * inv
			row := dx[pl*hw : (pl+1)*hw]
			for k := range row {
				row[k] = v
			}
		}
	})
}
