// Package gemm multiplies float32 matrices for the nn training engine.
//
// Gemm is a single-threaded, cache-blocked matrix product in the style of
// GotoBLAS: B is packed into column panels of width NR, A into row panels of
// height MR, and a register-blocked micro-kernel (AVX2+FMA assembly on amd64
// where the CPU has it, plain Go elsewhere) computes one MR×NR tile of C at a
// time. Callers parallelise by splitting C into column or row ranges and
// calling Gemm once per range with a Workspace of their own.
//
// The summation order of every element of C depends only on k (it runs in
// blocks of KC in increasing k), never on m, n or on how the caller splits C,
// so results are bit-for-bit reproducible.
package gemm

// Tile and block sizes. MR×NR is the micro-kernel tile; KC×NC is the packed
// block of B and MC×KC the packed block of A.
const (
	MR = 6
	NR = 16
	KC = 256
	MC = 96
	NC = 1024
)

// Workspace holds the packing buffers of one goroutine. The zero value is
// ready to use; it grows on first use and is reused afterwards.
type Workspace struct {
	a, b []float32
	tile [MR * NR]float32
	mat  matB
}

func (w *Workspace) grow() {
	if w.a == nil {
		w.a = make([]float32, MC*KC)
		w.b = make([]float32, KC*(NC+NR))
	}
}

// Gemm computes C = op(A)·op(B), or C += op(A)·op(B) when acc is true, where
// op(A) is m×k and op(B) is k×n. All matrices are row-major: A is stored m×k
// with row stride lda (k×m when ta is true), B is stored k×n with row stride
// ldb (n×k when tb is true), and C is m×n with row stride ldc.
func Gemm(ta, tb bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool, ws *Workspace) {
	ws.mat = matB{tb: tb, b: b, ldb: ldb}
	GemmB(ta, m, n, k, a, lda, &ws.mat, c, ldc, acc, ws)
	ws.mat = matB{}
}

// BPacker supplies op(B) to [GemmB] in packed form, so that callers whose B
// is computed (an im2col, say) can write it straight into the packed layout
// instead of materialising it.
type BPacker interface {
	// PackB writes the kc×nc block of op(B) whose top-left element is at
	// (pc, jc) into dst as panels of NR columns: panel p (columns
	// jc+p·NR ...) occupies dst[p·kc·NR:], holding for each row kk the NR
	// values op(B)[pc+kk][jc+p·NR+j], zero beyond column n.
	PackB(dst []float32, pc, jc, kc, nc int)
}

// matB packs a stored matrix.
type matB struct {
	tb  bool
	b   []float32
	ldb int
}

func (m *matB) PackB(dst []float32, pc, jc, kc, nc int) { packB(dst, m.tb, m.b, m.ldb, pc, jc, kc, nc) }

// GemmB is [Gemm] with op(B) supplied by a packer.
func GemmB(ta bool, m, n, k int, a []float32, lda int, b BPacker, c []float32, ldc int, acc bool, ws *Workspace) {
	if m <= 0 || n <= 0 {
		return
	}
	if k <= 0 {
		if !acc {
			for i := 0; i < m; i++ {
				clear(c[i*ldc : i*ldc+n])
			}
		}
		return
	}
	ws.grow()
	for jc := 0; jc < n; jc += NC {
		nc := min(NC, n-jc)
		for pc := 0; pc < k; pc += KC {
			kc := min(KC, k-pc)
			b.PackB(ws.b, pc, jc, kc, nc)
			accum := acc || pc > 0
			for ic := 0; ic < m; ic += MC {
				mc := min(MC, m-ic)
				packA(ws.a, ta, a, lda, ic, pc, mc, kc)
				macro(mc, nc, kc, ws.a, ws.b, c[ic*ldc+jc:], ldc, accum, &ws.tile)
			}
		}
	}
}

// packA packs the mc×kc block of op(A) at (ic, pc) into panels of MR rows:
// panel p holds, for each k, MR consecutive values (zero-padded).
func packA(dst []float32, ta bool, a []float32, lda, ic, pc, mc, kc int) {
	o := 0
	for i0 := 0; i0 < mc; i0 += MR {
		mr := min(MR, mc-i0)
		if ta {
			// A stored k×m: row kk holds op(A)[:, kk] contiguously.
			for kk := 0; kk < kc; kk++ {
				src := a[(pc+kk)*lda+ic+i0:]
				d := dst[o : o+MR]
				copy(d, src[:mr])
				for i := mr; i < MR; i++ {
					d[i] = 0
				}
				o += MR
			}
			continue
		}
		if mr == MR {
			r0 := a[(ic+i0)*lda+pc:]
			r1 := a[(ic+i0+1)*lda+pc:]
			r2 := a[(ic+i0+2)*lda+pc:]
			r3 := a[(ic+i0+3)*lda+pc:]
			r4 := a[(ic+i0+4)*lda+pc:]
			r5 := a[(ic+i0+5)*lda+pc:]
			d := dst[o : o+kc*MR]
			r0, r1, r2, r3, r4, r5 = r0[:kc], r1[:kc], r2[:kc], r3[:kc], r4[:kc], r5[:kc]
			for kk := range kc {
				e := d[kk*MR : kk*MR+MR : kk*MR+MR]
				e[0], e[1], e[2], e[3], e[4], e[5] = r0[kk], r1[kk], r2[kk], r3[kk], r4[kk], r5[kk]
			}
			o += kc * MR
			continue
		}
		for kk := 0; kk < kc; kk++ {
			d := dst[o : o+MR]
			for i := 0; i < mr; i++ {
				d[i] = a[(ic+i0+i)*lda+pc+kk]
			}
			for i := mr; i < MR; i++ {
				d[i] = 0
			}
			o += MR
		}
	}
}

// packB packs the kc×nc block of op(B) at (pc, jc) into panels of NR
// columns: panel p holds, for each k, NR consecutive values (zero-padded).
func packB(dst []float32, tb bool, b []float32, ldb, pc, jc, kc, nc int) {
	o := 0
	for j0 := 0; j0 < nc; j0 += NR {
		nr := min(NR, nc-j0)
		if !tb {
			if nr == NR {
				for kk := 0; kk < kc; kk++ {
					copy(dst[o:o+NR], b[(pc+kk)*ldb+jc+j0:])
					o += NR
				}
				continue
			}
			for kk := 0; kk < kc; kk++ {
				d := dst[o : o+NR]
				copy(d, b[(pc+kk)*ldb+jc+j0:(pc+kk)*ldb+jc+j0+nr])
				clear(d[nr:])
				o += NR
			}
			continue
		}
		// B stored n×k: column j of op(B) is row j of b.
		d := dst[o : o+kc*NR]
		for j := 0; j < nr; j++ {
			src := b[(jc+j0+j)*ldb+pc:]
			src = src[:kc]
			for kk, v := range src {
				d[kk*NR+j] = v
			}
		}
		if nr < NR {
			for kk := 0; kk < kc; kk++ {
				clear(d[kk*NR+nr : kk*NR+NR])
			}
		}
		o += kc * NR
	}
}

// macro multiplies a packed mc×kc block of A by a packed kc×nc block of B
// into C.
func macro(mc, nc, kc int, pa, pb, c []float32, ldc int, acc bool, tile *[MR * NR]float32) {
	for j0 := 0; j0 < nc; j0 += NR {
		nr := min(NR, nc-j0)
		bp := pb[j0*kc:]
		for i0 := 0; i0 < mc; i0 += MR {
			mr := min(MR, mc-i0)
			ap := pa[i0*kc:]
			if mr == MR && nr == NR {
				kernel(kc, ap, bp, c[i0*ldc+j0:], ldc, acc)
				continue
			}
			kernel(kc, ap, bp, tile[:], NR, false)
			for i := 0; i < mr; i++ {
				row := c[(i0+i)*ldc+j0 : (i0+i)*ldc+j0+nr]
				t := tile[i*NR : i*NR+nr]
				if acc {
					for j, v := range t {
						row[j] += v
					}
				} else {
					copy(row, t)
				}
			}
		}
	}
}

// kernelGo is the portable micro-kernel: C[0:MR, 0:NR] (+)= A panel · B panel.
func kernelGo(kc int, a, b, c []float32, ldc int, acc bool) {
	var t [MR][NR]float32
	a = a[:kc*MR]
	b = b[:kc*NR]
	for kk := 0; kk < kc; kk++ {
		av := a[kk*MR : kk*MR+MR : kk*MR+MR]
		bv := b[kk*NR : kk*NR+NR : kk*NR+NR]
		for i := 0; i < MR; i++ {
			x := av[i]
			r := &t[i]
			for j := 0; j < NR; j++ {
				r[j] += x * bv[j]
			}
		}
	}
	for i := 0; i < MR; i++ {
		row := c[i*ldc : i*ldc+NR]
		if acc {
			for j := range row {
				row[j] += t[i][j]
			}
		} else {
			copy(row, t[i][:])
		}
	}
}

// Naive is the reference product used by tests: the same contract as Gemm,
// computed with float64 accumulation in the obvious triple loop.
func Naive(ta, tb bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for kk := 0; kk < k; kk++ {
				var x, y float32
				if ta {
					x = a[kk*lda+i]
				} else {
					x = a[i*lda+kk]
				}
				if tb {
					y = b[j*ldb+kk]
				} else {
					y = b[kk*ldb+j]
				}
				s += float64(x) * float64(y)
			}
			if acc {
				c[i*ldc+j] += float32(s)
			} else {
				c[i*ldc+j] = float32(s)
			}
		}
	}
}
