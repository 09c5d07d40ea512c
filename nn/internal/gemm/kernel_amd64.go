//go:build amd64 && !purego

package gemm

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

// hasAVX2 reports whether the assembly micro-kernel can run on this CPU.
var hasAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// kernel6x16 is the AVX2+FMA micro-kernel in kernel_amd64.s.
//
//go:noescape
func kernel6x16(kc int, a, b, c *float32, ldc int, acc bool)

func kernel(kc int, a, b, c []float32, ldc int, acc bool) {
	if !hasAVX2 {
		kernelGo(kc, a, b, c, ldc, acc)
		return
	}
	// Bounds the assembly relies on, checked once per tile.
	if kc > 0 {
		_ = a[kc*MR-1]
		_ = b[kc*NR-1]
	}
	_ = c[(MR-1)*ldc+NR-1]
	kernel6x16(kc, unsafe.SliceData(a), unsafe.SliceData(b), unsafe.SliceData(c), ldc, acc)
}
