package nn

import (
	"sync"
	"sync/atomic"

	"github.com/nnergy/nnergy/nn/internal/gemm"
)

// chunks returns how many pieces par and parChunks cut n items into: at
// most 4 per worker (so that a worker the OS preempts holds up little
// work), at least grain items each, and 1 with a single worker. It depends
// only on its arguments, never on timing.
func (r *run) chunks(n, grain int) int {
	if r.workers == 1 || n <= 0 {
		return 1
	}
	return max(1, min((n+max(grain, 1)-1)/max(grain, 1), 4*r.workers))
}

// par calls fn(slot, lo, hi) for contiguous chunks covering [0, n). Up to
// r.workers goroutines (the caller's among them) take chunks in turn; slot
// (< r.workers) identifies the goroutine, for per-goroutine scratch space.
func (r *run) par(n, grain int, fn func(slot, lo, hi int)) {
	r.parChunks(n, grain, func(slot, _, lo, hi int) { fn(slot, lo, hi) })
}

// parChunks is par that also passes the chunk index c, and returns the
// number of chunks. Chunk boundaries depend only on n, grain and the worker
// count, so partial results kept per chunk and reduced in chunk order are
// reproducible bit for bit, whichever goroutine computed them.
func (r *run) parChunks(n, grain int, fn func(slot, c, lo, hi int)) int {
	if n <= 0 {
		return 0
	}
	chunks := r.chunks(n, grain)
	if chunks == 1 {
		fn(0, 0, 0, n)
		return 1
	}
	var next atomic.Int64
	body := func(slot int) {
		for {
			c := int(next.Add(1) - 1)
			if c >= chunks {
				return
			}
			fn(slot, c, c*n/chunks, (c+1)*n/chunks)
		}
	}
	var wg sync.WaitGroup
	for s := 1; s < min(r.workers, chunks); s++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body(s)
		}()
	}
	body(0)
	wg.Wait()
	return chunks
}

// parStatic splits [0, n) into one contiguous chunk per worker (fewer if
// n < workers) and runs fn(worker, lo, hi) for each. Matrix products use it:
// each call packs its operands, so fewer, larger pieces are cheaper.
func (r *run) parStatic(n int, fn func(w, lo, hi int)) {
	chunks := min(r.workers, n)
	if chunks <= 1 {
		fn(0, 0, n)
		return
	}
	var wg sync.WaitGroup
	for w := 1; w < chunks; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(w, w*n/chunks, (w+1)*n/chunks)
		}()
	}
	fn(0, 0, n/chunks)
	wg.Wait()
}

// gemm computes C (+)= op(A)·op(B) like gemm.Gemm, splitting C across the
// workers along its longer side. The result does not depend on the split.
func (r *run) gemm(ta, tb bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool) {
	if r.workers == 1 || 2*m*n*k < 1<<16 {
		gemm.Gemm(ta, tb, m, n, k, a, lda, b, ldb, c, ldc, acc, &r.ws[0])
		return
	}
	if m >= n {
		blocks := (m + gemm.MR - 1) / gemm.MR
		r.parStatic(blocks, func(w, lo, hi int) {
			i0, i1 := lo*gemm.MR, min(hi*gemm.MR, m)
			// Slice only the layout in use: the other offset can lie past
			// the end of a (a short last batch as the inner dimension).
			var aa []float32
			if ta {
				aa = a[i0:]
			} else {
				aa = a[i0*lda:]
			}
			gemm.Gemm(ta, tb, i1-i0, n, k, aa, lda, b, ldb, c[i0*ldc:], ldc, acc, &r.ws[w])
		})
		return
	}
	blocks := (n + gemm.NR - 1) / gemm.NR
	r.parStatic(blocks, func(w, lo, hi int) {
		j0, j1 := lo*gemm.NR, min(hi*gemm.NR, n)
		var bb []float32
		if tb {
			bb = b[j0*ldb:]
		} else {
			bb = b[j0:]
		}
		gemm.Gemm(ta, tb, m, j1-j0, k, a, lda, bb, ldb, c[j0:], ldc, acc, &r.ws[w])
	})
}
