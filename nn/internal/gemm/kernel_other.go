//go:build !amd64 || purego

package gemm

const hasAVX2 = false

func kernel(kc int, a, b, c []float32, ldc int, acc bool) { kernelGo(kc, a, b, c, ldc, acc) }
