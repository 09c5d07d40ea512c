package gemm

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestGemmMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	sizes := [][3]int{{1, 1, 1}, {6, 16, 1}, {6, 16, 25}, {7, 17, 3}, {16, 100, 150}, {150, 100, 16},
		{64, 120, 400}, {5, 3, 300}, {97, 1030, 260}, {13, 9, 0}}
	for _, s := range sizes {
		m, n, k := s[0], s[1], s[2]
		for _, ta := range []bool{false, true} {
			for _, tb := range []bool{false, true} {
				for _, acc := range []bool{false, true} {
					lda, ldb, ldc := k+1, n+2, n+3
					if ta {
						lda = m + 1
					}
					if tb {
						ldb = k + 2
					}
					a := randv(rng, (max(m, k)+1)*(lda+1))
					b := randv(rng, (max(n, k)+1)*(ldb+1))
					c := randv(rng, (m+1)*ldc)
					want := append([]float32(nil), c...)
					var ws Workspace
					Gemm(ta, tb, m, n, k, a, lda, b, ldb, c, ldc, acc, &ws)
					Naive(ta, tb, m, n, k, a, lda, b, ldb, want, ldc, acc)
					for i := range c {
						tol := 1e-5 * float64(k+1)
						if d := math.Abs(float64(c[i] - want[i])); d > tol {
							t.Fatalf("m=%d n=%d k=%d ta=%v tb=%v acc=%v: c[%d]=%v want %v", m, n, k, ta, tb, acc, i, c[i], want[i])
						}
					}
				}
			}
		}
	}
}

func TestKernelsAgree(t *testing.T) {
	if !hasAVX2 {
		t.Skip("no AVX2 kernel on this CPU")
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, kc := range []int{0, 1, 7, 256} {
		a := randv(rng, kc*MR+1)
		b := randv(rng, kc*NR+1)
		for _, acc := range []bool{false, true} {
			c1 := randv(rng, MR*20)
			c2 := append([]float32(nil), c1...)
			kernel(kc, a, b, c1, 20, acc)
			kernelGo(kc, a, b, c2, 20, acc)
			for i := range c1 {
				if math.Abs(float64(c1[i]-c2[i])) > 1e-4 {
					t.Fatalf("kc=%d acc=%v: asm %v go %v at %d", kc, acc, c1[i], c2[i], i)
				}
			}
		}
	}
}

func randv(rng *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = rng.Float32()*2 - 1
	}
	return v
}

func TestGather16(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	src := randv(rng, 1000)
	var cols [16]int32
	for j := range cols {
		cols[j] = int32(rng.IntN(500))
	}
	rows := make([]int32, 37)
	for i := range rows {
		rows[i] = int32(rng.IntN(500))
	}
	for _, n := range []int{16, 9, 1} {
		got, want := randv(rng, 16*37), make([]float32, 16*37)
		Gather16(got, src, rows, &cols, n)
		for i := range want {
			if i%16 < n {
				want[i] = src[rows[i/16]+cols[i%16]]
			}
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("n=%d: dst[%d] = %v, want %v", n, i, got[i], want[i])
			}
		}
	}
}

func TestAdd2D(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, c := range [][2]int{{1, 1}, {3, 7}, {10, 10}, {4, 17}, {2, 8}} {
		rows, cols := c[0], c[1]
		src := randv(rng, rows*(cols+3))
		dst := randv(rng, rows*(cols+5))
		want := append([]float32(nil), dst...)
		add2dGo(want, cols+5, src, cols+3, rows, cols)
		Add2D(dst, cols+5, src, cols+3, rows, cols)
		for i := range dst {
			if dst[i] != want[i] {
				t.Fatalf("%dx%d: dst[%d] = %v, want %v", rows, cols, i, dst[i], want[i])
			}
		}
	}
}
