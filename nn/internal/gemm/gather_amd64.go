//go:build amd64 && !purego

package gemm

import "unsafe"

//go:noescape
func gather16AVX2(dst, src *float32, rows *int32, n int, cols, mask *[16]int32)

func gather16(dst, src []float32, rows []int32, cols, mask *[16]int32) {
	gather16AVX2(unsafe.SliceData(dst), unsafe.SliceData(src), unsafe.SliceData(rows), len(rows), cols, mask)
}
