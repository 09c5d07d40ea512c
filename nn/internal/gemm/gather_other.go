//go:build !amd64 || purego

package gemm

func gather16(dst, src []float32, rows []int32, cols, mask *[16]int32) {
	n := 0
	for n < 16 && mask[n] != 0 {
		n++
	}
	gather16Go(dst, src, rows, cols, n)
}
