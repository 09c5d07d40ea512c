package sparse

import "math"

// logEmptyFixed returns log Pr(a tile of k elements holds none of the K
// nonzeros of a tensor of N elements), with the K positions drawn uniformly
// without replacement (the hypergeometric case x = 0):
//
//	Pr = C(N-K, k) / C(N, k) = Π_{i=0}^{k-1} (1 - K/(N-i)),
//	log Pr = Σ_{x=N-k+1}^{N} g(x),  g(x) = log(1 - K/x) = log((x-K)/x).
//
// Terms with x - K < 1024, where g changes fastest, and short sums are
// added one by one. A longer stretch [a, b] with a - K ≥ 1024 uses the
// Euler–Maclaurin formula
//
//	Σ_{x=a}^{b} g(x) = G(b) - G(a) + (g(a)+g(b))/2 + (g'(b)-g'(a))/12 + ρ,
//
// with G(x) = x·g(x) - K·log(x-K), an antiderivative of g, and
// g'(x) = K/(x(x-K)). The fourth derivative of g has one sign, so
// |ρ| ≤ 2ζ(4)/(2π)^4·|g”'(b) - g”'(a)| ≤ |g”'(a)|/720, and
// |g”'(x)| = 2|(x-K)^-3 - x^-3| ≤ 6·|g(x)|/(x-K)^3: the remainder is below
// 1e-11 of the single term g(a). See integralG for how G(b) - G(a) avoids
// cancellation. N must be below 2^53 so that x - K is exact in float64;
// the result agrees with an exact big.Float product to 1e-12 relative (see
// the tests).
func logEmptyFixed(N, K, k int64) float64 {
	switch {
	case k == 0 || K == 0:
		return 0
	case k > N-K:
		return math.Inf(-1)
	}
	Kf := float64(K)
	a, b := N-k+1, N
	sum := 0.0
	direct := func(lo, hi int64) {
		for x := lo; x <= hi; x++ {
			sum += logRatio(float64(x), Kf)
		}
	}
	c := max(a, K+1024)
	if b-c < 256 {
		direct(a, b)
		return sum
	}
	direct(a, c-1)
	sum += emSum(float64(c), float64(b), Kf)
	return sum
}

// logRatio returns g(x) = log(1 - K/x) for integers 0 ≤ K < x < 2^53, to
// within a few ulps: x - K is exact, so near K/x = 1 it is log((x-K)/x).
func logRatio(x, K float64) float64 {
	if 2*K > x {
		return math.Log((x - K) / x)
	}
	return math.Log1p(-K / x)
}

// emSum is the Euler–Maclaurin sum of g over the integers in [a, b].
func emSum(a, b, K float64) float64 {
	d1 := func(x float64) float64 { return K / (x * (x - K)) }
	return integralG(a, b, K) + (logRatio(a, K)+logRatio(b, K))/2 + (d1(b)-d1(a))/12
}

// integralG returns G(b) - G(a) = ∫_a^b g without the cancellation of
// subtracting two large values of G. With Δ = b - a and
// hm(t) = log(1 + t) - t (small, and accurate, for small t):
//
//	K ≤ Δ:  b·hm(-K/b) - a·hm(-K/a) - K·log1p(Δ/(a-K))
//	K > Δ:  Δ·g(b) + (a-K)·hm(Δ/(a-K)) - a·hm(Δ/a)
//
// Both follow from G(x) = x·g(x) - K·log(x-K): the first writes x·g(x) as
// x·hm(-K/x) - K, the second G(b) - G(a) as Δ·g(b) + (a-K)·log1p(Δ/(a-K))
// - a·log1p(Δ/a). The first loses about ε·K/Δ of the result, the second
// about ε·Δ/K, so each is used where its loss is below ε.
func integralG(a, b, K float64) float64 {
	d := b - a
	if K <= d {
		return b*hmRatio(b, K) - a*hmRatio(a, K) - K*math.Log1p(d/(a-K))
	}
	return d*logRatio(b, K) + (a-K)*hm(d/(a-K)) - a*hm(d/a)
}

// hmRatio returns hm(-K/x) = log(1 - K/x) + K/x.
func hmRatio(x, K float64) float64 {
	if K < 0.1*x {
		return hm(-K / x)
	}
	return logRatio(x, K) + K/x
}

// hm returns log(1 + t) - t for t > -1, by its series -Σ_{m≥2} (-t)^m/m
// when |t| < 0.1.
func hm(t float64) float64 {
	if math.Abs(t) >= 0.1 {
		return math.Log1p(t) - t
	}
	sum, tm := 0.0, -t // tm = (-t)^m
	for m := 2; m < 40; m++ {
		tm *= -t
		term := tm / float64(m)
		sum -= term
		if math.Abs(term) <= 1e-18*math.Abs(sum) {
			break
		}
	}
	return sum
}
