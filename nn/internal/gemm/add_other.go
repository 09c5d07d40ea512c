//go:build !amd64 || purego

package gemm

func add2d(dst []float32, ldd int, src []float32, lds int, rows, cols int) {
	add2dGo(dst, ldd, src, lds, rows, cols)
}
