//go:build amd64 && !purego

package gemm

import "unsafe"

//go:noescape
func add2dAVX2(dst *float32, ldd int, src *float32, lds int, rows, cols int)

func add2d(dst []float32, ldd int, src []float32, lds int, rows, cols int) {
	add2dAVX2(unsafe.SliceData(dst), ldd, unsafe.SliceData(src), lds, rows, cols)
}
