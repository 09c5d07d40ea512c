// Package vec holds the short vector loops of the training engine's
// elementwise and reduction passes (batch normalisation, ReLU, depthwise
// convolution): sums, dot products, an affine map with clamp, gradient
// masks and a multi-tap stencil. On amd64 with AVX2 and FMA they run as
// assembly; elsewhere (or with the purego build tag) as the Go loops in this
// file, which the tests compare the assembly against.
//
// The rows these loops see are short (tens to a few hundred values), so
// both versions keep several independent accumulators: a single running
// sum would be bound by the latency of one addition per value. Results
// therefore differ from a left-to-right sum by rounding only.
package vec

import "math"

// Sum returns the sum of x.
func Sum(x []float32) float32 {
	if hasAVX2 {
		return sum(x)
	}
	return sumGo(x)
}

// Dot returns the dot product of x and y[:len(x)].
func Dot(x, y []float32) float32 {
	y = y[:len(x)]
	if hasAVX2 {
		return dot(x, y)
	}
	return dotGo(x, y)
}

// DevSums returns Σ(x−a) and Σ(x−a)²: with a near the mean of x, the two
// passes of a numerically safe variance, whose partial results combine
// exactly across slices (see nn's batch normalisation).
func DevSums(x []float32, a float32) (s1, s2 float32) {
	if hasAVX2 {
		return devSums(x, a)
	}
	return devSumsGo(x, a)
}

// SumDotDev returns Σdy and Σdy·(x−m) over dy and x[:len(dy)]: batch
// normalisation's backward reductions, with m the batch mean.
func SumDotDev(dy, x []float32, m float32) (s, d float32) {
	x = x[:len(dy)]
	if hasAVX2 {
		return sumDotDev(dy, x, m)
	}
	return sumDotDevGo(dy, x, m)
}

// AffineClamp writes min(max((x−shift)·scale + bias, lo), hi) to dst for
// each x in src[:len(dst)]; dst and src may be the same slice. A NaN stays
// NaN, as with Go's min and max; lo −Inf and hi +Inf disable the clamp.
func AffineClamp(dst, src []float32, shift, scale, bias, lo, hi float32) {
	src = src[:len(dst)]
	if hasAVX2 {
		affineClamp(dst, src, shift, scale, bias, lo, hi)
		return
	}
	affineClampGo(dst, src, shift, scale, bias, lo, hi)
}

// AxpBy writes a·x + b·(y−m) + c to dst, over x[:len(dst)] and
// y[:len(dst)]: batch normalisation's input gradient.
func AxpBy(dst, x, y []float32, a, b, m, c float32) {
	x, y = x[:len(dst)], y[:len(dst)]
	if hasAVX2 {
		axpBy(dst, x, y, a, b, m, c)
		return
	}
	axpByGo(dst, x, y, a, b, m, c)
}

// MaskPositive writes dy where y > 0 and 0 elsewhere to dst, over
// y[:len(dst)] and dy[:len(dst)]: the gradient of max(x, 0) read from its
// output. The test is on y's bits as a signed integer, so −0 and negative
// NaNs mask and +Inf and positive NaNs pass.
func MaskPositive(dst, y, dy []float32) {
	y, dy = y[:len(dst)], dy[:len(dst)]
	if hasAVX2 {
		maskPositive(dst, y, dy)
		return
	}
	maskPositiveGo(dst, y, dy)
}

// MaskRange writes dy where lo < y < hi and 0 elsewhere (NaN included) to
// dst, over y[:len(dst)] and dy[:len(dst)]: the gradient of min(max(x, lo),
// hi) read from its output.
func MaskRange(dst, y, dy []float32, lo, hi float32) {
	y, dy = y[:len(dst)], dy[:len(dst)]
	if hasAVX2 {
		maskRange(dst, y, dy, lo, hi)
		return
	}
	maskRangeGo(dst, y, dy, lo, hi)
}

// Stencil sets dst[j] to Σₜ w[t]·src[off[t]+j] (adds it to dst[j] when acc)
// for every j < len(dst): the taps of a convolution laid out so that each
// reads a contiguous run of src. It panics unless every run
// src[off[t]:off[t]+len(dst)] is in range.
func Stencil(dst, src []float32, off []int32, w []float32, acc bool) {
	w = w[:len(off)]
	if len(dst) == 0 {
		return
	}
	for _, o := range off {
		_ = src[int(o) : int(o)+len(dst)]
	}
	if hasAVX2 {
		stencil(dst, src, off, w, acc)
		return
	}
	stencilGo(dst, src, off, w, acc)
}

// Deinterleave2 copies the even-indexed values of src to even and the
// odd-indexed ones to odd: even[k] = src[2k], odd[k] = src[2k+1]. It splits
// an image row into the two column phases of a stride-2 convolution.
func Deinterleave2(even, odd, src []float32) {
	even, odd = even[:(len(src)+1)/2], odd[:len(src)/2]
	if hasAVX2 {
		deinterleave2(even, odd, src)
		return
	}
	deinterleave2Go(even, odd, src)
}

// Interleave2 is the inverse of Deinterleave2: dst[2k] = even[k],
// dst[2k+1] = odd[k].
func Interleave2(dst, even, odd []float32) {
	even, odd = even[:(len(dst)+1)/2], odd[:len(dst)/2]
	if hasAVX2 {
		interleave2(dst, even, odd)
		return
	}
	interleave2Go(dst, even, odd)
}

func sumGo(x []float32) float32 {
	var s0, s1, s2, s3 float32
	for len(x) >= 4 {
		s0 += x[0]
		s1 += x[1]
		s2 += x[2]
		s3 += x[3]
		x = x[4:]
	}
	for _, v := range x {
		s0 += v
	}
	return (s0 + s1) + (s2 + s3)
}

func dotGo(x, y []float32) float32 {
	var s0, s1, s2, s3 float32
	for len(x) >= 4 && len(y) >= 4 {
		s0 += x[0] * y[0]
		s1 += x[1] * y[1]
		s2 += x[2] * y[2]
		s3 += x[3] * y[3]
		x, y = x[4:], y[4:]
	}
	for i, v := range x {
		s0 += v * y[i]
	}
	return (s0 + s1) + (s2 + s3)
}

func devSumsGo(x []float32, a float32) (s1, s2 float32) {
	var p0, p1, q0, q1 float32
	for len(x) >= 2 {
		d0, d1 := x[0]-a, x[1]-a
		p0 += d0
		q0 += d0 * d0
		p1 += d1
		q1 += d1 * d1
		x = x[2:]
	}
	for _, v := range x {
		d := v - a
		p0 += d
		q0 += d * d
	}
	return p0 + p1, q0 + q1
}

func sumDotDevGo(dy, x []float32, m float32) (s, d float32) {
	var s0, s1, d0, d1 float32
	for len(dy) >= 2 && len(x) >= 2 {
		s0 += dy[0]
		d0 += dy[0] * (x[0] - m)
		s1 += dy[1]
		d1 += dy[1] * (x[1] - m)
		dy, x = dy[2:], x[2:]
	}
	for i, v := range dy {
		s0 += v
		d0 += v * (x[i] - m)
	}
	return s0 + s1, d0 + d1
}

func affineClampGo(dst, src []float32, shift, scale, bias, lo, hi float32) {
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] = min(max((v-shift)*scale+bias, lo), hi)
	}
}

func axpByGo(dst, x, y []float32, a, b, m, c float32) {
	x, y = x[:len(dst)], y[:len(dst)]
	for i := range dst {
		dst[i] = a*x[i] + (b*(y[i]-m) + c)
	}
}

func maskPositiveGo(dst, y, dy []float32) {
	y, dy = y[:len(dst)], dy[:len(dst)]
	for i, v := range y {
		// keep is all ones when v's bits, as an int32, are positive:
		// branch-free, as the signs are unpredictable.
		b := int32(math.Float32bits(v))
		keep := uint32((-b)>>31) &^ uint32(b>>31)
		dst[i] = math.Float32frombits(math.Float32bits(dy[i]) & keep)
	}
}

func maskRangeGo(dst, y, dy []float32, lo, hi float32) {
	y, dy = y[:len(dst)], dy[:len(dst)]
	for i, v := range y {
		keep := -(b2u(lo < v) & b2u(v < hi))
		dst[i] = math.Float32frombits(math.Float32bits(dy[i]) & keep)
	}
}

func stencilGo(dst, src []float32, off []int32, w []float32, acc bool) {
	if !acc {
		clear(dst)
	}
	for t, o := range off {
		wt := w[t]
		s := src[int(o) : int(o)+len(dst)]
		for j, v := range s {
			dst[j] += wt * v
		}
	}
}

func b2u(b bool) uint32 {
	if b {
		return 1
	}
	return 0
}

func deinterleave2Go(even, odd, src []float32) {
	for k := range odd {
		even[k], odd[k] = src[2*k], src[2*k+1]
	}
	if len(src)%2 == 1 {
		even[len(even)-1] = src[len(src)-1]
	}
}

func interleave2Go(dst, even, odd []float32) {
	for k := range odd {
		dst[2*k], dst[2*k+1] = even[k], odd[k]
	}
	if len(dst)%2 == 1 {
		dst[len(dst)-1] = even[len(even)-1]
	}
}
