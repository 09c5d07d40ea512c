//go:build !amd64 || purego

package vec

const hasAVX2 = false

func sum(x []float32) float32                           { return sumGo(x) }
func dot(x, y []float32) float32                        { return dotGo(x, y) }
func devSums(x []float32, a float32) (float32, float32) { return devSumsGo(x, a) }
func sumDotDev(dy, x []float32, m float32) (float32, float32) {
	return sumDotDevGo(dy, x, m)
}
func affineClamp(dst, src []float32, shift, scale, bias, lo, hi float32) {
	affineClampGo(dst, src, shift, scale, bias, lo, hi)
}
func axpBy(dst, x, y []float32, a, b, m, c float32)  { axpByGo(dst, x, y, a, b, m, c) }
func maskPositive(dst, y, dy []float32)              { maskPositiveGo(dst, y, dy) }
func maskRange(dst, y, dy []float32, lo, hi float32) { maskRangeGo(dst, y, dy, lo, hi) }
func stencil(dst, src []float32, off []int32, w []float32, acc bool) {
	stencilGo(dst, src, off, w, acc)
}

func deinterleave2(even, odd, src []float32) { deinterleave2Go(even, odd, src) }
func interleave2(dst, even, odd []float32)   { interleave2Go(dst, even, odd) }
