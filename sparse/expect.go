package sparse

import (
	"math"
	"math/cmplx"
)

// This file derives the expected sizes of the run-length formats under the
// Bernoulli model: each element of a fiber of n is nonzero with probability
// d, independently; q = 1 - d.

// overflowSum returns Σ_{j=1}^{⌊(n-1)/R⌋} q^{Rj}·(n - Rj), R = period.
//
// A gap of g zeros before a nonzero needs ⌊g/R⌋ bridging entries (CSC) or
// pairs (RLC): one for each j ≥ 1 with Rj ≤ g. For the nonzero at position
// i, g ≥ Rj has probability q^{Rj} when Rj ≤ i, so the expected number of
// bridges is Σ_i d·Σ_{1 ≤ j, Rj ≤ i} q^{Rj} = d·overflowSum.
func overflowSum(n, period int, q float64) float64 {
	if n <= 1 {
		return 0
	}
	J := (n - 1) / period
	if q == 1 {
		return float64(J)*float64(n) - float64(period)*float64(J)*float64(J+1)/2
	}
	r := math.Pow(q, float64(period))
	sum, rj := 0.0, 1.0
	for j := 1; j <= J; j++ {
		rj *= r
		if rj == 0 {
			break
		}
		sum += rj * float64(n-period*j)
		// The rest is below n·Σ_{i>j} r^i = n·r^{j+1}/(1-r).
		if float64(n)*rj*r/(1-r) <= 1e-17*sum {
			break
		}
	}
	return sum
}

// expectedPairs returns E[P], the mean number of RLC pairs of a fiber of n
// elements with runs of at most R-1 zeros (R = period):
//
//	E[P] = n·d + d·Σ_{j=1}^{J} q^{Rj}(n - Rj) + q·Σ_{j=0}^{J} q^{Rj},  J = ⌊(n-1)/R⌋.
//
// The first term counts nonzeros, the second the bridging pairs inside gaps
// (overflowSum), the third the pairs of the trailing run t: ⌈t/R⌉ =
// Σ_{j≥0} [t > Rj], and P(t > Rj) = P(the last Rj+1 elements are zero) =
// q^{Rj+1} for Rj+1 ≤ n.
func expectedPairs(n, period int, d float64) float64 {
	if n == 0 {
		return 0
	}
	q := 1 - d
	J := (n - 1) / period
	var geo float64 // Σ_{j=0}^{J} r^j, r = q^R
	if d == 0 {
		geo = float64(J + 1)
	} else {
		lr := float64(period) * math.Log1p(-d) // log r
		geo = math.Expm1(float64(J+1)*lr) / math.Expm1(lr)
	}
	return float64(n)*d + d*overflowSum(n, period, q) + q*geo
}

// expectedWords returns E[⌈P/k⌉] for k pairs per word. Since
// ⌈P/k⌉ = (P + ((-P) mod k))/k,
//
//	E[⌈P/k⌉] = (E[P] + Σ_{r=0}^{k-1} ((k-r) mod k)·Pr(P ≡ r mod k)) / k.
//
// The residues come from the discrete Fourier transform of the probability
// generating function: Pr(P ≡ r) = (1/k)·Σ_{t=0}^{k-1} ω^{-rt}·F(ω^t), with
// ω = e^{2πi/k} and F(z) = E[z^P] (pgf).
func expectedWords(n, period, k int, d float64) float64 {
	if n == 0 {
		return 0
	}
	if d == 0 || d == 1 { // P is certain
		p := n
		if d == 0 {
			p = (n + period - 1) / period
		}
		return float64((p + k - 1) / k)
	}
	if k == 1 {
		return expectedPairs(n, period, d)
	}
	F := make([]complex128, k)
	F[0] = 1
	for t := 1; t <= k/2; t++ {
		F[t] = pgf(n, period, d, cmplx.Rect(1, 2*math.Pi*float64(t)/float64(k)))
		F[k-t] = cmplx.Conj(F[t]) // the probabilities are real
	}
	pad := 0.0
	for r := 1; r < k; r++ {
		var pr complex128
		for t := range k {
			pr += cmplx.Rect(1, -2*math.Pi*float64(r*t%k)/float64(k)) * F[t]
		}
		pad += float64(k-r) * real(pr) / float64(k)
	}
	return (expectedPairs(n, period, d) + pad) / float64(k)
}

// pgf returns F(z) = E[z^P] for |z| = 1.
//
// Pairs are a renewal process: each pair covers L elements, independently,
// with Pr(L = l) = p_l = d·q^{l-1} for l < R and p_R = q^{R-1} (R-1 zeros
// and then anything: a nonzero, or a zero as a literal level). The last pair
// is cut short by the end of the fiber, so with f(m) = E[z^{P(m)}] for a
// fiber of m elements:
//
//	f(0) = 1,  f(m) = z·(Σ_{l=1}^{min(m-1,R)} p_l·f(m-l) + Pr(L ≥ m)).
//
// The weights d·q^{l-1} are geometric, so A(m) = Σ_{l=1}^{min(m-1,R-1)}
// q^{l-1}·f(m-l) is kept as a running sum, A(m+1) = f(m) + q·A(m) -
// q^{R-1}·f(m-R+1), and each step costs O(1):
//
//	f(m) = z·(d·A(m) + q^{m-1})        for m ≤ R,
//	f(m) = z·(d·A(m) + q^{R-1}·f(m-R))  for m > R.
//
// For m > R the recurrence is homogeneous with weights summing to 1, so
// |f(m)| ≤ max of the previous R values: once those are all below 1e-17
// every later value is too, and the loop stops with F = 0 (an error below
// 1e-16 in the mean padding). A remainder of more than 2^20 steps that has
// not converged (d near 0 or 1) is finished by raising the R×R companion
// matrix to the power of the steps left.
func pgf(n, period int, d float64, z complex128) complex128 {
	return pgfLimit(n, period, d, z, 1<<20)
}

// pgfLimit is pgf with at most limit direct steps after the first R.
func pgfLimit(n, period int, d float64, z complex128, limit int) complex128 {
	q := 1 - d
	R := period
	qR1 := math.Pow(q, float64(R-1))
	// ring[m % R] = f(m) for the last R values of m.
	ring := make([]complex128, R)
	ring[0] = 1
	var A complex128 // A(m) before computing f(m)
	tail := 1.0      // q^{m-1}
	zd := z * complex(d, 0)
	for m := 1; m <= min(n, R); m++ {
		f := zd*A + z*complex(tail, 0)
		// A(m+1) = f(m) + q·A(m); no term leaves the window while m < R.
		A = f + complex(q, 0)*A
		if m == R {
			A -= complex(qR1, 0) * ring[1] // f(1) leaves the window of R-1 terms
		}
		ring[m%R] = f
		tail *= q
	}
	if n <= R {
		return ring[n%R]
	}
	m := R
	zq := z * complex(qR1, 0)
	direct := func(end int) bool { // advance to m = end; true when converged
		for m < end {
			m++
			f := zd*A + zq*ring[m%R]                                // ring[m%R] still holds f(m-R)
			A = f + complex(q, 0)*A - complex(qR1, 0)*ring[(m+1)%R] // drop f(m-R+1)
			ring[m%R] = f
			if m%R == 0 {
				big := 0.0
				for _, v := range ring {
					big = max(big, math.Abs(real(v))+math.Abs(imag(v)))
				}
				if big < 1e-17 {
					return true
				}
			}
		}
		return false
	}
	if direct(min(n, R+limit)) {
		return 0
	}
	if m == n {
		return ring[n%R]
	}
	// State v = (f(m), f(m-1), ..., f(m-R+1)); v(m+1) = M·v(m) with
	// M[0][l-1] = z·p_l and ones below the diagonal.
	v := make([]complex128, R)
	for i := range v {
		v[i] = ring[(m-i)%R]
	}
	M := make([]complex128, R*R)
	ql := 1.0
	for l := 1; l < R; l++ {
		M[l-1] = zd * complex(ql, 0)
		ql *= q
	}
	M[R-1] = zq
	for i := 1; i < R; i++ {
		M[i*R+i-1] = 1
	}
	v = matPowVec(M, v, R, n-m)
	return v[0]
}

// matPowVec returns M^e·v for an R×R row-major matrix M.
func matPowVec(M, v []complex128, R, e int) []complex128 {
	tmp := make([]complex128, R*R)
	out := make([]complex128, R)
	for ; e > 0; e >>= 1 {
		if e&1 == 1 {
			for i := range R {
				var s complex128
				for j := range R {
					s += M[i*R+j] * v[j]
				}
				out[i] = s
			}
			v, out = out, v
		}
		if e > 1 {
			clear(tmp)
			for i := range R {
				for k := range R {
					a := M[i*R+k]
					if a == 0 {
						continue
					}
					for j := range R {
						tmp[i*R+j] += a * M[k*R+j]
					}
				}
			}
			M, tmp = tmp, M
		}
	}
	return v
}
