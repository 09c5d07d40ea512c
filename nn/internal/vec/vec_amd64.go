//go:build amd64 && !purego

package vec

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

// hasAVX2 reports whether the assembly in vec_amd64.s can run on this CPU.
var hasAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// The assembly takes pointers and lengths; the wrappers below pass slices
// whose lengths the exported functions have already made consistent, so
// the assembly reads and writes only inside them.

//go:noescape
func sumAVX2(x *float32, n int) float32

//go:noescape
func dotAVX2(x, y *float32, n int) float32

//go:noescape
func devSumsAVX2(x *float32, n int, a float32) (s1, s2 float32)

//go:noescape
func sumDotDevAVX2(dy, x *float32, n int, m float32) (s, d float32)

//go:noescape
func affineClampAVX2(dst, src *float32, n int, shift, scale, bias, lo, hi float32)

//go:noescape
func axpByAVX2(dst, x, y *float32, n int, a, b, m, c float32)

//go:noescape
func maskPositiveAVX2(dst, y, dy *float32, n int)

//go:noescape
func maskRangeAVX2(dst, y, dy *float32, n int, lo, hi float32)

//go:noescape
func stencilAVX2(dst, src *float32, n int, off *int32, w *float32, taps int, acc bool, tail *int32)

//go:noescape
func deinterleave2AVX2(even, odd, src *float32, n int)

//go:noescape
func interleave2AVX2(dst, even, odd *float32, n int)

func sum(x []float32) float32 { return sumAVX2(unsafe.SliceData(x), len(x)) }

func dot(x, y []float32) float32 { return dotAVX2(unsafe.SliceData(x), unsafe.SliceData(y), len(x)) }

func devSums(x []float32, a float32) (float32, float32) {
	return devSumsAVX2(unsafe.SliceData(x), len(x), a)
}

func sumDotDev(dy, x []float32, m float32) (float32, float32) {
	return sumDotDevAVX2(unsafe.SliceData(dy), unsafe.SliceData(x), len(dy), m)
}

func affineClamp(dst, src []float32, shift, scale, bias, lo, hi float32) {
	affineClampAVX2(unsafe.SliceData(dst), unsafe.SliceData(src), len(dst), shift, scale, bias, lo, hi)
}

func axpBy(dst, x, y []float32, a, b, m, c float32) {
	axpByAVX2(unsafe.SliceData(dst), unsafe.SliceData(x), unsafe.SliceData(y), len(dst), a, b, m, c)
}

func maskPositive(dst, y, dy []float32) {
	maskPositiveAVX2(unsafe.SliceData(dst), unsafe.SliceData(y), unsafe.SliceData(dy), len(dst))
}

func maskRange(dst, y, dy []float32, lo, hi float32) {
	maskRangeAVX2(unsafe.SliceData(dst), unsafe.SliceData(y), unsafe.SliceData(dy), len(dst), lo, hi)
}

func stencil(dst, src []float32, off []int32, w []float32, acc bool) {
	stencilAVX2(unsafe.SliceData(dst), unsafe.SliceData(src), len(dst), unsafe.SliceData(off),
		unsafe.SliceData(w), len(off), acc, &tailMasks[8-len(dst)%8])
}

func deinterleave2(even, odd, src []float32) {
	deinterleave2AVX2(unsafe.SliceData(even), unsafe.SliceData(odd), unsafe.SliceData(src), len(src))
}

func interleave2(dst, even, odd []float32) {
	interleave2AVX2(unsafe.SliceData(dst), unsafe.SliceData(even), unsafe.SliceData(odd), len(dst))
}

// tailMasks[8-r:] starts with r all-ones lanes followed by zeros: the
// VMASKMOVPS mask for the last r < 8 values of a row.
var tailMasks = [16]int32{-1, -1, -1, -1, -1, -1, -1, -1}
