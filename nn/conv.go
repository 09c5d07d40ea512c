package nn

import (
	"fmt"
	"slices"

	"github.com/nnergy/nnergy/nn/internal/gemm"
	"github.com/nnergy/nnergy/nn/internal/vec"
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
	bwd         colsPacker
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
			wk.fwd = colsPacker{x: xp[gi*gsz : gi*gsz+o.span], rows: o.off, cols: o.base}
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
				pk := colsPacker{x: xp[gi*gsz : gi*gsz+o.span], rows: o.off, cols: o.base[j0:j1]}
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
				wk.bwd = colsPacker{x: xp[gi*gsz : gi*gsz+o.span], rows: o.base, cols: o.off} // transposed
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

// colsPacker gathers a block of a matrix whose element (k, j) is
// x[rows[k] + cols[j]] straight into the GEMM's packed B layout. With the
// kernel taps' offsets as rows and the output positions' bases as columns
// it is the im2col matrix of one group (the forward product); swapped, its
// transpose (the B operand of the weight gradient).
type colsPacker struct {
	x          []float32
	rows, cols []int32
}

// PackB gathers a block of the matrix (see gemm.BPacker).
func (c *colsPacker) PackB(dst []float32, pc, jc, kc, nc int) {
	var cols [gemm.NR]int32
	for j0, o := 0, 0; j0 < nc; j0, o = j0+gemm.NR, o+kc*gemm.NR {
		nr := min(gemm.NR, nc-j0)
		copy(cols[:], c.cols[jc+j0:jc+j0+nr])
		// Every offset+base is inside x (checked by convOp.setup).
		gemm.Gather16(dst[o:o+kc*gemm.NR], c.x, c.rows[pc:pc+kc], &cols, nr)
	}
}

// depthwiseOp runs a convolution whose groups have one input channel each
// (OutC may be a multiple of InC). It lays each input plane out so that
// every filter tap reads one contiguous run, then applies all the taps in
// one pass with vec.Stencil:
//
//   - the plane is zero-padded and split into stride phases: padded row u,
//     column v goes to phase (u mod sh, v mod sw) at row u/sh, column v/sw,
//     each phase a plane of rh×q values;
//   - output (r, j) of tap (ki, kj) then reads phase ((ki·dh) mod sh,
//     (kj·dw) mod sw) at row r + ki·dh/sh, column j + kj·dw/sw: with q as
//     the output row pitch, flat index r·q + j plus an offset per tap;
//   - so the outputs, computed with pitch q (the q−ow extra columns of a row
//     are dropped), are one run of (oh−1)·q + ow values for every tap.
//
// A 3×3 filter thus costs nine long multiply-add runs per plane instead of
// nine short (and, at stride 2, strided) ones per output row. Backward uses
// the same layout: dw is a dot product per tap, and the gradient of each
// phase plane is the stencil of the output gradient with that phase's taps
// mirrored. Forward splits the work by output planes, backward by images,
// so that one worker writes each input gradient plane.
type depthwiseOp struct {
	act  fusedReLU
	l    *Conv
	g    convGeom
	part partials

	he, we int       // padded rows and columns the filter reads
	rh, q  int       // rows and columns (the pitch) of a phase plane
	ps     int       // rh·q, the size of a phase plane
	n      int       // (oh−1)·q + ow, the flat run of outputs
	off    []int32   // per tap (ki, kj), the start of its run in the phase buffer
	rowOff []int32   // per input row the filter reads, its offset in the phase buffer
	colOff []int32   // per column phase j, where input column j (then j+sw, ...) goes in a row
	cols   int       // how many leading columns of an input row the filter reads
	margin int       // the largest tap offset within a phase plane
	phases []dwPhase // per phase plane, its taps for the input gradient
	ws     []dwScratch
}

// dwPhase lists the taps that read one phase plane, with their offsets
// mirrored for the input gradient: margin minus the offset within the plane.
type dwPhase struct {
	taps []int
	off  []int32
}

// dwScratch is one worker's buffers. Entries that must stay zero (the pads
// of xp; the margins and dropped columns of dyp) are never written after
// allocation, so no pass clears them.
type dwScratch struct {
	xp  []float32 // the phase-split padded input plane, sh·sw·ps
	yf  []float32 // outputs with pitch q, n
	dyp []float32 // margin zeros, then the output gradient with pitch q; margin+ps
	dxp []float32 // the gradient of xp
	w   []float32 // one phase's tap weights
}

// setup computes the layout on first use and gives each worker its
// buffers. It is called before the workers start.
func (o *depthwiseOp) setup(workers int) {
	g := &o.g
	if o.off == nil {
		o.he = (g.oh-1)*g.sh + (g.kh-1)*g.dh + 1
		o.we = (g.ow-1)*g.sw + (g.kw-1)*g.dw + 1
		o.rh = (o.he + g.sh - 1) / g.sh
		o.q = (o.we + g.sw - 1) / g.sw
		o.ps = o.rh * o.q
		o.n = (g.oh-1)*o.q + g.ow
		o.phases = make([]dwPhase, g.sh*g.sw)
		o.off = make([]int32, 0, g.kh*g.kw)
		for ki := 0; ki < g.kh; ki++ {
			for kj := 0; kj < g.kw; kj++ {
				u, v := ki*g.dh, kj*g.dw
				ph := (u%g.sh)*g.sw + v%g.sw
				rel := (u/g.sh)*o.q + v/g.sw
				o.off = append(o.off, int32(ph*o.ps+rel))
				o.margin = max(o.margin, rel)
				o.phases[ph].taps = append(o.phases[ph].taps, ki*g.kw+kj)
				o.phases[ph].off = append(o.phases[ph].off, int32(rel))
			}
		}
		for _, p := range o.phases {
			for k, rel := range p.off {
				p.off[k] = int32(o.margin) - rel
			}
		}
		// Padded row u = ih+pt and column v = iw+pl; the rows and columns
		// past he and we are never read.
		for ih := 0; ih < g.h && ih+g.pt < o.he; ih++ {
			u := ih + g.pt
			o.rowOff = append(o.rowOff, int32((u%g.sh)*g.sw*o.ps+(u/g.sh)*o.q))
		}
		o.cols = max(0, min(g.w, o.we-g.pl))
		for j := 0; j < g.sw; j++ {
			v := j + g.pl
			o.colOff = append(o.colOff, int32((v%g.sw)*o.ps+v/g.sw))
		}
	}
	for len(o.ws) < workers {
		planes := g.sh * g.sw * o.ps
		o.ws = append(o.ws, dwScratch{xp: make([]float32, planes), yf: make([]float32, o.n),
			dyp: make([]float32, o.margin+o.ps), dxp: make([]float32, planes), w: make([]float32, g.kh*g.kw)})
	}
}

// pack copies input plane xc into the phase-split padded plane xp.
func (o *depthwiseOp) pack(xp, xc []float32) {
	g := &o.g
	for ih, base := range o.rowOff {
		row := xc[ih*g.w : ih*g.w+o.cols]
		d := xp[base:]
		switch g.sw {
		case 1:
			copy(d[o.colOff[0]:], row)
		case 2:
			vec.Deinterleave2(d[o.colOff[0]:], d[o.colOff[1]:], row)
		default:
			for j, off := range o.colOff {
				for k, iw := int(off), j; iw < len(row); k, iw = k+1, iw+g.sw {
					d[k] = row[iw]
				}
			}
		}
	}
}

// unpack writes the input gradient plane dxc from the gradient dxp of the
// phase-split plane; inputs the filter never reads get 0.
func (o *depthwiseOp) unpack(dxc, dxp []float32) {
	g := &o.g
	for ih := 0; ih < g.h; ih++ {
		d := dxc[ih*g.w : (ih+1)*g.w]
		if ih >= len(o.rowOff) {
			clear(d)
			continue
		}
		s := dxp[o.rowOff[ih]:]
		clear(d[o.cols:])
		d = d[:o.cols]
		switch g.sw {
		case 1:
			copy(d, s[o.colOff[0]:])
		case 2:
			vec.Interleave2(d, s[o.colOff[0]:], s[o.colOff[1]:])
		default:
			for j, off := range o.colOff {
				for k, iw := int(off), j; iw < len(d); k, iw = k+1, iw+g.sw {
					d[iw] = s[k]
				}
			}
		}
	}
}

func (o *depthwiseOp) forward(r *run, in []*Tensor, out *Tensor, train bool) {
	g := &o.g
	o.setup(r.workers)
	x, y := in[0].Data, out.Data
	n := in[0].Shape[0]
	hw, p, kk := g.h*g.w, g.p(), g.kh*g.kw
	wts := o.l.Weight.Data
	lo, hi := o.act.bounds()
	r.par(n*g.m, 8, func(slot, t0, t1 int) {
		s := &o.ws[slot]
		packed := -1 // the input plane (image·C + channel) in s.xp
		for t := t0; t < t1; t++ {
			i, m := t/g.m, t%g.m
			if ic := i*g.c + m/g.mg; ic != packed {
				o.pack(s.xp, x[ic*hw:(ic+1)*hw])
				packed = ic
			}
			b := float32(0)
			if o.l.Bias != nil {
				b = o.l.Bias.Data[m]
			}
			yc, wm := y[t*p:(t+1)*p], wts[m*kk:(m+1)*kk]
			if o.q == g.ow {
				// No dropped columns: the run is the output plane.
				vec.Stencil(yc, s.xp, o.off, wm, false)
				o.act.apply(yc, b)
				continue
			}
			vec.Stencil(s.yf, s.xp, o.off, wm, false)
			for r := 0; r < g.oh; r++ {
				vec.AffineClamp(yc[r*g.ow:(r+1)*g.ow], s.yf[r*o.q:], 0, 1, b, lo, hi)
			}
		}
	})
}

func (o *depthwiseOp) backward(r *run, in []*Tensor, out, dout *Tensor, din []*Tensor) {
	g := &o.g
	o.setup(r.workers)
	x, dy := in[0].Data, dout.Data
	n := in[0].Shape[0]
	hw, p, kk := g.h*g.w, g.p(), g.kh*g.kw
	wts := o.l.Weight.Data
	o.part.ensure(r.chunks(n, 1), len(wts), g.m)
	var dx []float32
	if din[0] != nil {
		dx = din[0].Data
	}
	// Work items are images; each worker owns whole images so that dx
	// (shared by the mg outputs of a channel) is written by one worker.
	chunks := r.parChunks(n, 1, func(slot, ch, i0, i1 int) {
		s := &o.ws[slot]
		dw, db := o.part.dw[ch], o.part.db[ch]
		clear(dw)
		clear(db)
		dyf := s.dyp[o.margin : o.margin+o.n]
		for i := i0; i < i1; i++ {
			for c := 0; c < g.c; c++ {
				ic := i*g.c + c
				o.pack(s.xp, x[ic*hw:(ic+1)*hw])
				for k := 0; k < g.mg; k++ {
					m := c*g.mg + k
					dyc := dy[(i*g.m+m)*p : (i*g.m+m+1)*p]
					if o.l.Bias != nil {
						db[m] += vec.Sum(dyc)
					}
					// The output gradient with pitch q: the dropped
					// columns stay zero, so they add nothing below.
					if o.q == g.ow {
						copy(dyf, dyc)
					} else {
						for r := 0; r < g.oh; r++ {
							copy(dyf[r*o.q:r*o.q+g.ow], dyc[r*g.ow:])
						}
					}
					dwm := dw[m*kk : (m+1)*kk]
					for t, off := range o.off {
						dwm[t] += vec.Dot(dyf, s.xp[off:])
					}
					if dx == nil {
						continue
					}
					// The mg outputs of channel c add into one dxp.
					wm := wts[m*kk : (m+1)*kk]
					for ph, pp := range o.phases {
						d := s.dxp[ph*o.ps : (ph+1)*o.ps]
						if len(pp.taps) == 0 {
							if k == 0 {
								clear(d)
							}
							continue
						}
						w := s.w[:len(pp.taps)]
						for j, t := range pp.taps {
							w[j] = wm[t]
						}
						vec.Stencil(d, s.dyp, pp.off, w, k > 0)
					}
				}
				if dx != nil {
					o.unpack(dx[ic*hw:(ic+1)*hw], s.dxp)
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
