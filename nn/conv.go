package nn

import (
	"fmt"
	"slices"

	"github.com/nnergy/nnergy/nn/internal/gemm"
)

// Conv is a 2-D convolution over NCHW input (ONNX Conv). Weight has shape
// [OutC, InC/Groups, Kernel[0], Kernel[1]]; Bias has shape [OutC] or is nil.
// Zero strides, dilations and groups mean 1. Pad is [top, left, bottom,
// right]. A depthwise convolution has Groups == InC (each output channel
// reads one input channel; OutC may be a multiple of InC).
type Conv struct {
	InC, OutC int
	Kernel    [2]int // height, width
	Stride    [2]int
	Pad       [4]int // top, left, bottom, right
	Dilation  [2]int
	Groups    int
	Weight    *Param
	Bias      *Param
}

// NewConv returns a k×k convolution with the given stride and symmetric
// padding, groups 1, a bias, and zero weights (see [Init]).
func NewConv(inC, outC, k, stride, pad int) *Conv {
	c := &Conv{InC: inC, OutC: outC, Kernel: [2]int{k, k}, Stride: [2]int{stride, stride},
		Pad: [4]int{pad, pad, pad, pad}, Dilation: [2]int{1, 1}, Groups: 1}
	c.Weight = NewParam(nil, outC, inC, k, k)
	c.Bias = NewParam(nil, outC)
	return c
}

// NewDepthwise returns a k×k depthwise convolution over c channels (groups
// = c, one filter per channel) with a bias.
func NewDepthwise(c, k, stride, pad int) *Conv {
	d := NewConv(c, c, k, stride, pad)
	d.Groups = c
	d.Weight = NewParam(nil, c, 1, k, k)
	return d
}

// Kind returns KindConv.
func (c *Conv) Kind() Kind { return KindConv }

// Params returns the weight and, if present, the bias.
func (c *Conv) Params() []*Param {
	if c.Bias == nil {
		return []*Param{c.Weight}
	}
	return []*Param{c.Weight, c.Bias}
}

// Depthwise reports whether every group has one input channel.
func (c *Conv) Depthwise() bool { g := one(c.Groups); return g > 1 && g == c.InC }

func (c *Conv) clone() Layer {
	d := *c
	d.Weight, d.Bias = c.Weight.clone(), c.Bias.clone()
	return &d
}

// convGeom is a convolution's geometry with defaults applied.
type convGeom struct {
	c, h, w       int // input
	m, oh, ow     int // output
	kh, kw        int
	sh, sw        int
	dh, dw        int
	pt, pl        int
	g, cg, mg, kc int // groups, in/out channels per group, cg*kh*kw
}

func (g *convGeom) p() int { return g.oh * g.ow }

// pointwise reports whether im2col is the identity (1×1, stride 1, no pad).
func (g *convGeom) pointwise() bool {
	return g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.pt == 0 && g.pl == 0 && g.oh == g.h && g.ow == g.w
}

func (c *Conv) geom(in []int) (convGeom, error) {
	ch, h, w, err := image(in, KindConv)
	if err != nil {
		return convGeom{}, err
	}
	g := convGeom{c: ch, h: h, w: w, m: c.OutC, kh: c.Kernel[0], kw: c.Kernel[1],
		sh: one(c.Stride[0]), sw: one(c.Stride[1]), dh: one(c.Dilation[0]), dw: one(c.Dilation[1]),
		pt: c.Pad[0], pl: c.Pad[1], g: one(c.Groups)}
	switch {
	case ch != c.InC:
		return g, fmt.Errorf("conv: input has %d channels, layer expects %d", ch, c.InC)
	case g.kh < 1 || g.kw < 1:
		return g, fmt.Errorf("conv: kernel %v", c.Kernel)
	case g.sh < 0 || g.sw < 0 || g.dh < 0 || g.dw < 0 || g.g < 0 || c.Pad[0] < 0 || c.Pad[1] < 0 || c.Pad[2] < 0 || c.Pad[3] < 0:
		return g, fmt.Errorf("conv: negative stride, dilation, groups or pad")
	case c.InC%g.g != 0 || c.OutC%g.g != 0 || c.OutC < 1:
		return g, fmt.Errorf("conv: %d groups do not divide %d input and %d output channels", g.g, c.InC, c.OutC)
	}
	g.cg, g.mg = ch/g.g, c.OutC/g.g
	g.kc = g.cg * g.kh * g.kw
	// A dilated kernel wider than the padded input leaves a negative
	// numerator, which integer division would round up to zero.
	nh := h + c.Pad[0] + c.Pad[2] - g.dh*(g.kh-1) - 1
	nw := w + c.Pad[1] + c.Pad[3] - g.dw*(g.kw-1) - 1
	g.oh = nh/g.sh + 1
	g.ow = nw/g.sw + 1
	if nh < 0 || nw < 0 || g.oh < 1 || g.ow < 1 {
		return g, fmt.Errorf("conv: %dx%d kernel does not fit %dx%d input", g.kh, g.kw, h, w)
	}
	if c.Weight == nil || !slices.Equal(c.Weight.Shape, []int{c.OutC, g.cg, g.kh, g.kw}) {
		var s []int
		if c.Weight != nil {
			s = c.Weight.Shape
		}
		return g, fmt.Errorf("conv: weight shape %v, want %v", s, []int{c.OutC, g.cg, g.kh, g.kw})
	}
	if c.Bias != nil && !slices.Equal(c.Bias.Shape, []int{c.OutC}) {
		return g, fmt.Errorf("conv: bias shape %v, want [%d]", c.Bias.Shape, c.OutC)
	}
	return g, nil
}

// OutShape returns [OutC, OH, OW].
func (c *Conv) OutShape(in [][]int) ([]int, error) {
	x, err := oneInput(in, KindConv)
	if err != nil {
		return nil, err
	}
	g, err := c.geom(x)
	if err != nil {
		return nil, err
	}
	return []int{g.m, g.oh, g.ow}, nil
}

func (c *Conv) newOp(in [][]int, out []int, batch int) op {
	g, _ := c.geom(in[0])
	if g.cg == 1 && g.g > 1 {
		return &depthwiseOp{l: c, g: g}
	}
	return &convOp{l: c, g: g}
}

// convOp runs a convolution as a GEMM over implicit im2col columns: the
// image is copied into a zero-padded buffer and the GEMM's B operand is
// gathered from it straight into the packed panel layout (colsPacker), so
// the column matrix is never materialised. Each worker handles whole
// images.
type convOp struct {
	act    fusedReLU
	l      *Conv
	g      convGeom
	hp, wp int     // padded input plane
	off    []int32 // per column-matrix row (c, i, j) of a group: offset in the padded group
	base   []int32 // per output position: offset of its window in a padded plane
	span   int     // largest off+base, plus one
	wk     []convWorker
	part   partials
}

// convWorker is one worker's scratch space.
type convWorker struct {
	xpad, dxpad []float32
	dcols       []float32
	fwd         colsPacker
	bwd         colsTPacker
}

// partials holds per-chunk partial weight and bias gradients, reduced in
// chunk order.
type partials struct {
	dw, db [][]float32
}

// ensure allocates the buffers of the first chunks chunks. It is called
// before the workers start.
func (p *partials) ensure(chunks, wl, bl int) {
	for len(p.dw) < chunks {
		p.dw = append(p.dw, make([]float32, wl))
		p.db = append(p.db, make([]float32, bl))
	}
}

// reduce writes the sum of the first chunks partials, in chunk order, into
// the gradients.
func (p *partials) reduce(chunks int, w, b *Param) {
	w.ensureGrad()
	copy(w.Grad, p.dw[0])
	for c := 1; c < chunks; c++ {
		addTo(w.Grad, p.dw[c])
	}
	if b != nil {
		b.ensureGrad()
		copy(b.Grad, p.db[0])
		for c := 1; c < chunks; c++ {
			addTo(b.Grad, p.db[c])
		}
	}
}

func (o *convOp) padded() bool {
	g := &o.g
	return o.hp != g.h || o.wp != g.w
}

func (o *convOp) setup(workers int) {
	g := &o.g
	if o.off == nil {
		o.hp = g.h + o.l.Pad[0] + o.l.Pad[2]
		o.wp = g.w + o.l.Pad[1] + o.l.Pad[3]
		o.off = make([]int32, 0, g.kc)
		for c := 0; c < g.cg; c++ {
			for i := 0; i < g.kh; i++ {
				for j := 0; j < g.kw; j++ {
					o.off = append(o.off, int32(c*o.hp*o.wp+i*g.dh*o.wp+j*g.dw))
				}
			}
		}
		o.base = make([]int32, 0, g.p())
		for oh := 0; oh < g.oh; oh++ {
			for ow := 0; ow < g.ow; ow++ {
				o.base = append(o.base, int32(oh*g.sh*o.wp+ow*g.sw))
			}
		}
		// The gathers index x[off+base] without bounds checks: every
		// index must fall inside one group's padded input.
		o.span = int(o.off[len(o.off)-1]+o.base[len(o.base)-1]) + 1
		if o.span > g.cg*o.hp*o.wp {
			panic(fmt.Sprintf("nn: conv gather span %d exceeds the padded group size %d", o.span, g.cg*o.hp*o.wp))
		}
	}
	for len(o.wk) < workers {
		o.wk = append(o.wk, convWorker{})
	}
}

// pad returns image x (one sample) in the padded layout, using the worker's
// buffer when there is padding.
func (o *convOp) pad(w *convWorker, x []float32) []float32 {
	if !o.padded() {
		return x
	}
	g := &o.g
	if w.xpad == nil {
		w.xpad = make([]float32, g.c*o.hp*o.wp) // borders stay zero
	}
	pt, pl := o.l.Pad[0], o.l.Pad[1]
	for c := 0; c < g.c; c++ {
		for h := 0; h < g.h; h++ {
			copy(w.xpad[(c*o.hp+h+pt)*o.wp+pl:], x[(c*g.h+h)*g.w:(c*g.h+h+1)*g.w])
		}
	}
	return w.xpad
}

func (o *convOp) forward(r *run, in []*Tensor, out *Tensor, train bool) {
	g := &o.g
	o.setup(r.workers)
	x, y := in[0].Data, out.Data
	n := in[0].Shape[0]
	inLen, outLen, p := g.c*g.h*g.w, g.m*g.p(), g.p()
	pw := g.pointwise()
	gsz := g.cg * o.hp * o.wp // one group's padded input
	image := func(w, i int) {
		wk := &o.wk[w]
		xi, yi := x[i*inLen:(i+1)*inLen], y[i*outLen:(i+1)*outLen]
		xp := xi
		if !pw {
			xp = o.pad(wk, xi)
		}
		for gi := 0; gi < g.g; gi++ {
			wg := o.l.Weight.Data[gi*g.mg*g.kc:]
			yg := yi[gi*g.mg*p:]
			if pw {
				gemm.Gemm(false, false, g.mg, p, g.kc, wg, g.kc, xi[gi*g.kc*p:], p, yg, p, false, &r.ws[w])
				continue
			}
			wk.fwd = colsPacker{x: xp[gi*gsz : gi*gsz+o.span], off: o.off, base: o.base}
			gemm.GemmB(false, g.mg, p, g.kc, wg, g.kc, &wk.fwd, yg, p, false, &r.ws[w])
		}
		o.addBias(yi)
	}
	if n >= r.workers {
		r.par(n, 1, func(w, lo, hi int) {
			for i := lo; i < hi; i++ {
				image(w, i)
			}
		})
		return
	}
	// Fewer images than workers: split each product by columns.
	for i := 0; i < n; i++ {
		xi, yi := x[i*inLen:(i+1)*inLen], y[i*outLen:(i+1)*outLen]
		xp := xi
		if !pw {
			xp = o.pad(&o.wk[0], xi)
		}
		for gi := 0; gi < g.g; gi++ {
			wg := o.l.Weight.Data[gi*g.mg*g.kc:]
			yg := yi[gi*g.mg*p:]
			if pw {
				r.gemm(false, false, g.mg, p, g.kc, wg, g.kc, xi[gi*g.kc*p:], p, yg, p, false)
				continue
			}
			blocks := (p + gemm.NR - 1) / gemm.NR
			r.parStatic(blocks, func(w, lo, hi int) {
				j0, j1 := lo*gemm.NR, min(hi*gemm.NR, p)
				pk := colsPacker{x: xp[gi*gsz : gi*gsz+o.span], off: o.off, base: o.base[j0:j1]}
				gemm.GemmB(false, g.mg, j1-j0, g.kc, wg, g.kc, &pk, yg[j0:], p, false, &r.ws[w])
			})
		}
		o.addBias(yi)
	}
}

func (o *convOp) addBias(yi []float32) {
	p := o.g.p()
	for m := 0; m < o.g.m; m++ {
		var b float32
		if o.l.Bias != nil {
			b = o.l.Bias.Data[m]
		}
		o.act.apply(yi[m*p:(m+1)*p], b)
	}
}

func (o *convOp) backward(r *run, in []*Tensor, out, dout *Tensor, din []*Tensor) {
	g := &o.g
	o.setup(r.workers)
	x, dy := in[0].Data, dout.Data
	var dx []float32
	if din[0] != nil {
		dx = din[0].Data
	}
	n := in[0].Shape[0]
	inLen, outLen, p := g.c*g.h*g.w, g.m*g.p(), g.p()
	pw := g.pointwise()
	gsz := g.cg * o.hp * o.wp
	o.part.ensure(r.chunks(n, 1), len(o.l.Weight.Data), g.m)
	for w := range r.workers {
		wk := &o.wk[w]
		if dx != nil && !pw && wk.dcols == nil {
			wk.dcols = make([]float32, g.kc*p)
			if o.padded() {
				wk.dxpad = make([]float32, g.c*o.hp*o.wp)
			}
		}
	}
	chunks := r.parChunks(n, 1, func(w, c, lo, hi int) {
		wk := &o.wk[w]
		dw, db := o.part.dw[c], o.part.db[c]
		for i := lo; i < hi; i++ {
			first := i == lo
			dyi := dy[i*outLen : (i+1)*outLen]
			xi := x[i*inLen : (i+1)*inLen]
			var xp []float32
			if !pw {
				xp = o.pad(wk, xi)
			}
			for gi := 0; gi < g.g; gi++ {
				dyg, dwg := dyi[gi*g.mg*p:], dw[gi*g.mg*g.kc:]
				if pw {
					gemm.Gemm(false, true, g.mg, g.kc, p, dyg, p, xi[gi*g.kc*p:], p, dwg, g.kc, !first, &r.ws[w])
					continue
				}
				wk.bwd = colsTPacker{x: xp[gi*gsz : gi*gsz+o.span], off: o.off, base: o.base}
				gemm.GemmB(false, g.mg, g.kc, p, dyg, p, &wk.bwd, dwg, g.kc, !first, &r.ws[w])
			}
			if o.l.Bias != nil {
				for m := 0; m < g.m; m++ {
					var s float32
					for _, v := range dyi[m*p : (m+1)*p] {
						s += v
					}
					if first {
						db[m] = s
					} else {
						db[m] += s
					}
				}
			}
			if dx == nil {
				continue
			}
			dxi := dx[i*inLen : (i+1)*inLen]
			if pw {
				for gi := 0; gi < g.g; gi++ {
					gemm.Gemm(true, false, g.kc, p, g.mg, o.l.Weight.Data[gi*g.mg*g.kc:], g.kc, dyi[gi*g.mg*p:], p,
						dxi[gi*g.kc*p:], p, false, &r.ws[w])
				}
				continue
			}
			dxp := dxi
			if o.padded() {
				dxp = wk.dxpad
			}
			clear(dxp)
			for gi := 0; gi < g.g; gi++ {
				gemm.Gemm(true, false, g.kc, p, g.mg, o.l.Weight.Data[gi*g.mg*g.kc:], g.kc, dyi[gi*g.mg*p:], p,
					wk.dcols, p, false, &r.ws[w])
				o.scatter(wk.dcols, dxp[gi*gsz:])
			}
			if o.padded() {
				pt, pl := o.l.Pad[0], o.l.Pad[1]
				for c := 0; c < g.c; c++ {
					for h := 0; h < g.h; h++ {
						copy(dxi[(c*g.h+h)*g.w:(c*g.h+h+1)*g.w], dxp[(c*o.hp+h+pt)*o.wp+pl:])
					}
				}
			}
		}
	})
	o.part.reduce(chunks, o.l.Weight, o.l.Bias)
}

// scatter adds the column matrix of one group back into its padded input
// gradient (the adjoint of the im2col gather).
func (o *convOp) scatter(cols, dx []float32) {
	g := &o.g
	p := g.p()
	for k, off := range o.off {
		row := cols[k*p : (k+1)*p]
		if g.sw == 1 {
			gemm.Add2D(dx[off:], g.sh*o.wp, row, g.ow, g.oh, g.ow)
			continue
		}
		for oh := 0; oh < g.oh; oh++ {
			src := row[oh*g.ow : (oh+1)*g.ow]
			start := int(off) + oh*g.sh*o.wp
			d := dx[start : start+(g.ow-1)*g.sw+1]
			for j, v := range src {
				d[j*g.sw] += v
			}
		}
	}
}

// colsPacker gathers the im2col matrix of one group (rows: kernel taps
// off, columns: output positions base) from a padded image x, straight into
// the GEMM's packed B layout.
type colsPacker struct {
	x         []float32
	off, base []int32
}

// PackB gathers a block of the column matrix (see gemm.BPacker).
func (c *colsPacker) PackB(dst []float32, pc, jc, kc, nc int) {
	var cols [gemm.NR]int32
	for j0, o := 0, 0; j0 < nc; j0, o = j0+gemm.NR, o+kc*gemm.NR {
		nr := min(gemm.NR, nc-j0)
		copy(cols[:], c.base[jc+j0:jc+j0+nr])
		// Every off+base is inside x (checked by convOp.setup).
		gemm.Gather16(dst[o:o+kc*gemm.NR], c.x, c.off[pc:pc+kc], &cols, nr)
	}
}

// colsTPacker gathers the transposed im2col matrix (rows: output
// positions, columns: kernel taps), the B operand of the weight gradient.
type colsTPacker struct {
	x         []float32
	off, base []int32
}

// PackB gathers a block of the transposed column matrix.
func (c *colsTPacker) PackB(dst []float32, pc, jc, kc, nc int) {
	var cols [gemm.NR]int32
	for j0, o := 0, 0; j0 < nc; j0, o = j0+gemm.NR, o+kc*gemm.NR {
		nr := min(gemm.NR, nc-j0)
		copy(cols[:], c.off[jc+j0:jc+j0+nr])
		gemm.Gather16(dst[o:o+kc*gemm.NR], c.x, c.base[pc:pc+kc], &cols, nr)
	}
}

// validRange returns the output positions o in [0, out) whose input
// coordinate o*stride + off lies in [0, size).
func validRange(out, size, stride, off int) (lo, hi int) {
	if off < 0 {
		lo = (-off + stride - 1) / stride
	}
	if size-1-off < 0 {
		return lo, lo
	}
	hi = min(out, (size-1-off)/stride+1)
	return lo, max(hi, lo)
}

// depthwiseOp runs a convolution whose groups have one input channel each
// with direct loops.
type depthwiseOp struct {
	act  fusedReLU
	l    *Conv
	g    convGeom
	part partials
}

func (o *depthwiseOp) forward(r *run, in []*Tensor, out *Tensor, train bool) {
	g := &o.g
	x, y := in[0].Data, out.Data
	n := in[0].Shape[0]
	hw, p := g.h*g.w, g.p()
	wts := o.l.Weight.Data
	r.par(n*g.m, 8, func(_, lo, hi int) {
		for t := lo; t < hi; t++ {
			i, m := t/g.m, t%g.m
			xc := x[(i*g.c+m/g.mg)*hw : (i*g.c+m/g.mg+1)*hw]
			yc := y[t*p : (t+1)*p]
			b := float32(0)
			if o.l.Bias != nil {
				b = o.l.Bias.Data[m]
			}
			for k := range yc {
				yc[k] = b
			}
			wm := wts[m*g.kh*g.kw : (m+1)*g.kh*g.kw]
			for ki := 0; ki < g.kh; ki++ {
				offH := ki*g.dh - g.pt
				ohLo, ohHi := validRange(g.oh, g.h, g.sh, offH)
				for kj := 0; kj < g.kw; kj++ {
					offW := kj*g.dw - g.pl
					owLo, owHi := validRange(g.ow, g.w, g.sw, offW)
					wv := wm[ki*g.kw+kj]
					for oh := ohLo; oh < ohHi; oh++ {
						src := xc[(oh*g.sh+offH)*g.w:]
						d := yc[oh*g.ow : (oh+1)*g.ow]
						if g.sw == 1 {
							s := src[owLo+offW : owHi+offW]
							d = d[owLo:owHi]
							for k, v := range s {
								d[k] += wv * v
							}
							continue
						}
						for ow := owLo; ow < owHi; ow++ {
							d[ow] += wv * src[ow*g.sw+offW]
						}
					}
				}
			}
			o.act.apply(yc, 0)
		}
	})
}

func (o *depthwiseOp) backward(r *run, in []*Tensor, out, dout *Tensor, din []*Tensor) {
	g := &o.g
	x, dy := in[0].Data, dout.Data
	n := in[0].Shape[0]
	hw, p := g.h*g.w, g.p()
	wts := o.l.Weight.Data
	o.part.ensure(r.chunks(n, 1), len(wts), g.m)
	var dx []float32
	if din[0] != nil {
		dx = din[0].Data
		clear(dx)
	}
	kk := g.kh * g.kw
	// Work items are images; each worker owns whole images so that dx
	// (shared by the mg outputs of a channel) is written by one worker.
	chunks := r.parChunks(n, 1, func(_, c, lo, hi int) {
		dw, db := o.part.dw[c], o.part.db[c]
		clear(dw)
		clear(db)
		for i := lo; i < hi; i++ {
			for m := 0; m < g.m; m++ {
				c := m / g.mg
				xc := x[(i*g.c+c)*hw : (i*g.c+c+1)*hw]
				dyc := dy[(i*g.m+m)*p : (i*g.m+m+1)*p]
				var dxc []float32
				if dx != nil {
					dxc = dx[(i*g.c+c)*hw : (i*g.c+c+1)*hw]
				}
				var s float32
				for _, v := range dyc {
					s += v
				}
				db[m] += s
				wm, dwm := wts[m*kk:(m+1)*kk], dw[m*kk:(m+1)*kk]
				for ki := 0; ki < g.kh; ki++ {
					offH := ki*g.dh - g.pt
					ohLo, ohHi := validRange(g.oh, g.h, g.sh, offH)
					for kj := 0; kj < g.kw; kj++ {
						offW := kj*g.dw - g.pl
						owLo, owHi := validRange(g.ow, g.w, g.sw, offW)
						wv := wm[ki*g.kw+kj]
						var acc float32
						if owHi <= owLo {
							continue
						}
						nw := owHi - owLo
						for oh := ohLo; oh < ohHi; oh++ {
							start := (oh*g.sh+offH)*g.w + owLo*g.sw + offW
							ds := dyc[oh*g.ow+owLo : oh*g.ow+owHi]
							if g.sw == 1 {
								xs := xc[start : start+nw]
								for j, v := range ds {
									acc += v * xs[j]
								}
								if dxc != nil {
									dxs := dxc[start : start+nw]
									for j, v := range ds {
										dxs[j] += wv * v
									}
								}
								continue
							}
							xs := xc[start : start+(nw-1)*g.sw+1]
							for j, v := range ds {
								acc += v * xs[j*g.sw]
							}
							if dxc != nil {
								dxs := dxc[start : start+(nw-1)*g.sw+1]
								for j, v := range ds {
									dxs[j*g.sw] += wv * v
								}
							}
						}
						dwm[ki*g.kw+kj] += acc
					}
				}
			}
		}
	})
	o.part.reduce(chunks, o.l.Weight, o.l.Bias)
}

func addTo(dst, src []float32) {
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] += v
	}
}
