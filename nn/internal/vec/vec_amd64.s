//go:build amd64 && !purego

#include "textflag.h"

// All loops are VEX-encoded (legacy SSE instructions after 256-bit ones
// cost a state transition each) and end with VZEROUPPER. Rows are handled
// in blocks of 32 or 16 values with independent accumulators (an addition
// has a latency of 4 cycles, so one accumulator would leave the adder idle
// most of the time), then blocks of 8, then one value at a time.

// HSUM leaves the sum of the eight lanes of Y (whose low half is X) in X's
// lowest lane, using T as scratch.
#define HSUM(Y, X, T) \
	VEXTRACTF128 $1, Y, T; \
	VADDPS       T, X, X;  \
	VMOVHLPS     X, X, T;  \
	VADDPS       T, X, X;  \
	VMOVSHDUP    X, T;     \
	VADDSS       T, X, X

// func sumAVX2(x *float32, n int) float32
TEXT ·sumAVX2(SB), NOSPLIT, $0-20
	MOVQ   x+0(FP), SI
	MOVQ   n+8(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3

blk32:
	CMPQ   CX, $32
	JLT    blk8
	VADDPS (SI), Y0, Y0
	VADDPS 32(SI), Y1, Y1
	VADDPS 64(SI), Y2, Y2
	VADDPS 96(SI), Y3, Y3
	ADDQ   $128, SI
	SUBQ   $32, CX
	JMP    blk32

blk8:
	CMPQ   CX, $8
	JLT    fold
	VADDPS (SI), Y0, Y0
	ADDQ   $32, SI
	SUBQ   $8, CX
	JMP    blk8

fold:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y0, Y0
	HSUM(Y0, X0, X1)

tail:
	TESTQ  CX, CX
	JZ     done
	VADDSS (SI), X0, X0
	ADDQ   $4, SI
	DECQ   CX
	JMP    tail

done:
	VMOVSS X0, ret+16(FP)
	VZEROUPPER
	RET

// func dotAVX2(x, y *float32, n int) float32
TEXT ·dotAVX2(SB), NOSPLIT, $0-28
	MOVQ   x+0(FP), SI
	MOVQ   y+8(FP), BX
	MOVQ   n+16(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3

blk32:
	CMPQ        CX, $32
	JLT         blk8
	VMOVUPS     (SI), Y4
	VMOVUPS     32(SI), Y5
	VMOVUPS     64(SI), Y6
	VMOVUPS     96(SI), Y7
	VFMADD231PS (BX), Y4, Y0
	VFMADD231PS 32(BX), Y5, Y1
	VFMADD231PS 64(BX), Y6, Y2
	VFMADD231PS 96(BX), Y7, Y3
	ADDQ        $128, SI
	ADDQ        $128, BX
	SUBQ        $32, CX
	JMP         blk32

blk8:
	CMPQ        CX, $8
	JLT         fold
	VMOVUPS     (SI), Y4
	VFMADD231PS (BX), Y4, Y0
	ADDQ        $32, SI
	ADDQ        $32, BX
	SUBQ        $8, CX
	JMP         blk8

fold:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y0, Y0
	HSUM(Y0, X0, X1)

tail:
	TESTQ       CX, CX
	JZ          done
	VMOVSS      (SI), X4
	VFMADD231SS (BX), X4, X0
	ADDQ        $4, SI
	ADDQ        $4, BX
	DECQ        CX
	JMP         tail

done:
	VMOVSS X0, ret+24(FP)
	VZEROUPPER
	RET

// func devSumsAVX2(x *float32, n int, a float32) (s1, s2 float32)
//
// s1 = Σ(x-a) in Y0..Y3, s2 = Σ(x-a)² in Y4..Y7.
TEXT ·devSumsAVX2(SB), NOSPLIT, $0-32
	MOVQ         x+0(FP), SI
	MOVQ         n+8(FP), CX
	VBROADCASTSS a+16(FP), Y8
	VXORPS       Y0, Y0, Y0
	VXORPS       Y1, Y1, Y1
	VXORPS       Y2, Y2, Y2
	VXORPS       Y3, Y3, Y3
	VXORPS       Y4, Y4, Y4
	VXORPS       Y5, Y5, Y5
	VXORPS       Y6, Y6, Y6
	VXORPS       Y7, Y7, Y7

blk32:
	CMPQ        CX, $32
	JLT         blk8
	VMOVUPS     (SI), Y9
	VMOVUPS     32(SI), Y10
	VMOVUPS     64(SI), Y11
	VMOVUPS     96(SI), Y12
	VSUBPS      Y8, Y9, Y9
	VSUBPS      Y8, Y10, Y10
	VSUBPS      Y8, Y11, Y11
	VSUBPS      Y8, Y12, Y12
	VADDPS      Y9, Y0, Y0
	VADDPS      Y10, Y1, Y1
	VADDPS      Y11, Y2, Y2
	VADDPS      Y12, Y3, Y3
	VFMADD231PS Y9, Y9, Y4
	VFMADD231PS Y10, Y10, Y5
	VFMADD231PS Y11, Y11, Y6
	VFMADD231PS Y12, Y12, Y7
	ADDQ        $128, SI
	SUBQ        $32, CX
	JMP         blk32

blk8:
	CMPQ        CX, $8
	JLT         fold
	VMOVUPS     (SI), Y9
	VSUBPS      Y8, Y9, Y9
	VADDPS      Y9, Y0, Y0
	VFMADD231PS Y9, Y9, Y4
	ADDQ        $32, SI
	SUBQ        $8, CX
	JMP         blk8

fold:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y0, Y0
	VADDPS Y5, Y4, Y4
	VADDPS Y7, Y6, Y6
	VADDPS Y6, Y4, Y4
	HSUM(Y0, X0, X9)
	HSUM(Y4, X4, X9)

tail:
	TESTQ       CX, CX
	JZ          done
	VMOVSS      (SI), X9
	VSUBSS      X8, X9, X9
	VADDSS      X9, X0, X0
	VFMADD231SS X9, X9, X4
	ADDQ        $4, SI
	DECQ        CX
	JMP         tail

done:
	VMOVSS X0, s1+24(FP)
	VMOVSS X4, s2+28(FP)
	VZEROUPPER
	RET

// func sumDotDevAVX2(dy, x *float32, n int, m float32) (s, d float32)
//
// s = Σdy in Y0..Y3, d = Σdy·(x-m) in Y4..Y7.
TEXT ·sumDotDevAVX2(SB), NOSPLIT, $0-40
	MOVQ         dy+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS m+24(FP), Y8
	VXORPS       Y0, Y0, Y0
	VXORPS       Y1, Y1, Y1
	VXORPS       Y2, Y2, Y2
	VXORPS       Y3, Y3, Y3
	VXORPS       Y4, Y4, Y4
	VXORPS       Y5, Y5, Y5
	VXORPS       Y6, Y6, Y6
	VXORPS       Y7, Y7, Y7

blk32:
	CMPQ        CX, $32
	JLT         blk8
	VMOVUPS     (SI), Y9
	VMOVUPS     32(SI), Y10
	VMOVUPS     64(SI), Y11
	VMOVUPS     96(SI), Y12
	VSUBPS      Y8, Y9, Y9
	VSUBPS      Y8, Y10, Y10
	VSUBPS      Y8, Y11, Y11
	VSUBPS      Y8, Y12, Y12
	VADDPS      (DI), Y0, Y0
	VADDPS      32(DI), Y1, Y1
	VADDPS      64(DI), Y2, Y2
	VADDPS      96(DI), Y3, Y3
	VFMADD231PS (DI), Y9, Y4
	VFMADD231PS 32(DI), Y10, Y5
	VFMADD231PS 64(DI), Y11, Y6
	VFMADD231PS 96(DI), Y12, Y7
	ADDQ        $128, SI
	ADDQ        $128, DI
	SUBQ        $32, CX
	JMP         blk32

blk8:
	CMPQ        CX, $8
	JLT         fold
	VMOVUPS     (SI), Y9
	VSUBPS      Y8, Y9, Y9
	VADDPS      (DI), Y0, Y0
	VFMADD231PS (DI), Y9, Y4
	ADDQ        $32, SI
	ADDQ        $32, DI
	SUBQ        $8, CX
	JMP         blk8

fold:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y0, Y0
	VADDPS Y5, Y4, Y4
	VADDPS Y7, Y6, Y6
	VADDPS Y6, Y4, Y4
	HSUM(Y0, X0, X9)
	HSUM(Y4, X4, X9)

tail:
	TESTQ       CX, CX
	JZ          done
	VMOVSS      (SI), X9
	VSUBSS      X8, X9, X9
	VADDSS      (DI), X0, X0
	VFMADD231SS (DI), X9, X4
	ADDQ        $4, SI
	ADDQ        $4, DI
	DECQ        CX
	JMP         tail

done:
	VMOVSS X0, s+32(FP)
	VMOVSS X4, d+36(FP)
	VZEROUPPER
	RET

// func affineClampAVX2(dst, src *float32, n int, shift, scale, bias, lo, hi float32)
//
// VMAXPS and VMINPS return their second source (here the value) when
// either is NaN, so NaNs pass through as with Go's min and max.
TEXT ·affineClampAVX2(SB), NOSPLIT, $0-44
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS shift+24(FP), Y8
	VBROADCASTSS scale+28(FP), Y9
	VBROADCASTSS bias+32(FP), Y10
	VBROADCASTSS lo+36(FP), Y11
	VBROADCASTSS hi+40(FP), Y12

blk16:
	CMPQ        CX, $16
	JLT         blk8
	VMOVUPS     (SI), Y0
	VMOVUPS     32(SI), Y1
	VSUBPS      Y8, Y0, Y0
	VSUBPS      Y8, Y1, Y1
	VFMADD213PS Y10, Y9, Y0
	VFMADD213PS Y10, Y9, Y1
	VMAXPS      Y0, Y11, Y0
	VMAXPS      Y1, Y11, Y1
	VMINPS      Y0, Y12, Y0
	VMINPS      Y1, Y12, Y1
	VMOVUPS     Y0, (DI)
	VMOVUPS     Y1, 32(DI)
	ADDQ        $64, SI
	ADDQ        $64, DI
	SUBQ        $16, CX
	JMP         blk16

blk8:
	CMPQ        CX, $8
	JLT         tail
	VMOVUPS     (SI), Y0
	VSUBPS      Y8, Y0, Y0
	VFMADD213PS Y10, Y9, Y0
	VMAXPS      Y0, Y11, Y0
	VMINPS      Y0, Y12, Y0
	VMOVUPS     Y0, (DI)
	ADDQ        $32, SI
	ADDQ        $32, DI
	SUBQ        $8, CX

tail:
	TESTQ       CX, CX
	JZ          done
	VMOVSS      (SI), X0
	VSUBSS      X8, X0, X0
	VFMADD213SS X10, X9, X0
	VMAXSS      X0, X11, X0
	VMINSS      X0, X12, X0
	VMOVSS      X0, (DI)
	ADDQ        $4, SI
	ADDQ        $4, DI
	DECQ        CX
	JMP         tail

done:
	VZEROUPPER
	RET

// func axpByAVX2(dst, x, y *float32, n int, a, b, m, c float32)
//
// dst = a·x + (b·(y-m) + c), two fused multiply-adds per value.
TEXT ·axpByAVX2(SB), NOSPLIT, $0-48
	MOVQ         dst+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         y+16(FP), BX
	MOVQ         n+24(FP), CX
	VBROADCASTSS a+32(FP), Y8
	VBROADCASTSS b+36(FP), Y9
	VBROADCASTSS m+40(FP), Y10
	VBROADCASTSS c+44(FP), Y11

blk16:
	CMPQ        CX, $16
	JLT         blk8
	VMOVUPS     (BX), Y0
	VMOVUPS     32(BX), Y1
	VSUBPS      Y10, Y0, Y0
	VSUBPS      Y10, Y1, Y1
	VFMADD213PS Y11, Y9, Y0
	VFMADD213PS Y11, Y9, Y1
	VFMADD231PS (SI), Y8, Y0
	VFMADD231PS 32(SI), Y8, Y1
	VMOVUPS     Y0, (DI)
	VMOVUPS     Y1, 32(DI)
	ADDQ        $64, SI
	ADDQ        $64, BX
	ADDQ        $64, DI
	SUBQ        $16, CX
	JMP         blk16

blk8:
	CMPQ        CX, $8
	JLT         tail
	VMOVUPS     (BX), Y0
	VSUBPS      Y10, Y0, Y0
	VFMADD213PS Y11, Y9, Y0
	VFMADD231PS (SI), Y8, Y0
	VMOVUPS     Y0, (DI)
	ADDQ        $32, SI
	ADDQ        $32, BX
	ADDQ        $32, DI
	SUBQ        $8, CX

tail:
	TESTQ       CX, CX
	JZ          done
	VMOVSS      (BX), X0
	VSUBSS      X10, X0, X0
	VFMADD213SS X11, X9, X0
	VFMADD231SS (SI), X8, X0
	VMOVSS      X0, (DI)
	ADDQ        $4, SI
	ADDQ        $4, BX
	ADDQ        $4, DI
	DECQ        CX
	JMP         tail

done:
	VZEROUPPER
	RET

// func maskPositiveAVX2(dst, y, dy *float32, n int)
//
// The mask compares y's bits with 0 as signed integers (VPCMPGTD).
TEXT ·maskPositiveAVX2(SB), NOSPLIT, $0-32
	MOVQ  dst+0(FP), DI
	MOVQ  y+8(FP), SI
	MOVQ  dy+16(FP), BX
	MOVQ  n+24(FP), CX
	VPXOR Y15, Y15, Y15

blk16:
	CMPQ     CX, $16
	JLT      blk8
	VMOVDQU  (SI), Y0
	VMOVDQU  32(SI), Y1
	VPCMPGTD Y15, Y0, Y0
	VPCMPGTD Y15, Y1, Y1
	VANDPS   (BX), Y0, Y0
	VANDPS   32(BX), Y1, Y1
	VMOVUPS  Y0, (DI)
	VMOVUPS  Y1, 32(DI)
	ADDQ     $64, SI
	ADDQ     $64, BX
	ADDQ     $64, DI
	SUBQ     $16, CX
	JMP      blk16

blk8:
	CMPQ     CX, $8
	JLT      tail
	VMOVDQU  (SI), Y0
	VPCMPGTD Y15, Y0, Y0
	VANDPS   (BX), Y0, Y0
	VMOVUPS  Y0, (DI)
	ADDQ     $32, SI
	ADDQ     $32, BX
	ADDQ     $32, DI
	SUBQ     $8, CX

tail:
	TESTQ    CX, CX
	JZ       done
	VMOVSS   (SI), X0
	VMOVSS   (BX), X1
	VPCMPGTD X15, X0, X0
	VANDPS   X1, X0, X0
	VMOVSS   X0, (DI)
	ADDQ     $4, SI
	ADDQ     $4, BX
	ADDQ     $4, DI
	DECQ     CX
	JMP      tail

done:
	VZEROUPPER
	RET

// func maskRangeAVX2(dst, y, dy *float32, n int, lo, hi float32)
//
// Predicate 1 (LT_OS) is false for NaN, so NaNs mask.
TEXT ·maskRangeAVX2(SB), NOSPLIT, $0-40
	MOVQ         dst+0(FP), DI
	MOVQ         y+8(FP), SI
	MOVQ         dy+16(FP), BX
	MOVQ         n+24(FP), CX
	VBROADCASTSS lo+32(FP), Y14
	VBROADCASTSS hi+36(FP), Y15

blk16:
	CMPQ    CX, $16
	JLT     blk8
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VCMPPS  $1, Y0, Y14, Y2
	VCMPPS  $1, Y1, Y14, Y3
	VCMPPS  $1, Y15, Y0, Y0
	VCMPPS  $1, Y15, Y1, Y1
	VANDPS  Y2, Y0, Y0
	VANDPS  Y3, Y1, Y1
	VANDPS  (BX), Y0, Y0
	VANDPS  32(BX), Y1, Y1
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	ADDQ    $64, SI
	ADDQ    $64, BX
	ADDQ    $64, DI
	SUBQ    $16, CX
	JMP     blk16

blk8:
	CMPQ    CX, $8
	JLT     tail
	VMOVUPS (SI), Y0
	VCMPPS  $1, Y0, Y14, Y2
	VCMPPS  $1, Y15, Y0, Y0
	VANDPS  Y2, Y0, Y0
	VANDPS  (BX), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, BX
	ADDQ    $32, DI
	SUBQ    $8, CX

tail:
	TESTQ  CX, CX
	JZ     done
	VMOVSS (SI), X0
	VMOVSS (BX), X1
	VCMPSS $1, X0, X14, X2
	VCMPSS $1, X15, X0, X0
	VANDPS X2, X0, X0
	VANDPS X1, X0, X0
	VMOVSS X0, (DI)
	ADDQ   $4, SI
	ADDQ   $4, BX
	ADDQ   $4, DI
	DECQ   CX
	JMP    tail

done:
	VZEROUPPER
	RET

// func stencilAVX2(dst, src *float32, n int, off *int32, w *float32, taps int, acc bool, tail *int32)
//
// dst[j] (+)= Σ_t w[t]·src[off[t]+j] for j < n: 32 outputs at a time in
// Y0..Y3 (the taps' multiply-adds into one accumulator are a dependency
// chain, so several accumulators keep both FMA units busy), then 8 at a
// time, then the last n mod 8 with masked loads and stores (tail points at
// their lane mask), which never touch memory past the runs.
TEXT ·stencilAVX2(SB), NOSPLIT, $0-64
	MOVQ    dst+0(FP), DI
	MOVQ    src+8(FP), SI
	MOVQ    n+16(FP), CX
	MOVQ    off+24(FP), R8
	MOVQ    w+32(FP), R9
	MOVQ    taps+40(FP), R10
	MOVBQZX acc+48(FP), R11
	MOVQ    tail+56(FP), DX

blk32:
	CMPQ    CX, $32
	JLT     blk8
	TESTQ   R11, R11
	JZ      zero32
	VMOVUPS (DI), Y0
	VMOVUPS 32(DI), Y1
	VMOVUPS 64(DI), Y2
	VMOVUPS 96(DI), Y3
	JMP     taps32

zero32:
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3

taps32:
	XORQ  R12, R12
	TESTQ R10, R10
	JZ    store32

tap32:
	MOVLQSX      (R8)(R12*4), R13
	VBROADCASTSS (R9)(R12*4), Y4
	LEAQ         (SI)(R13*4), R13
	VFMADD231PS  (R13), Y4, Y0
	VFMADD231PS  32(R13), Y4, Y1
	VFMADD231PS  64(R13), Y4, Y2
	VFMADD231PS  96(R13), Y4, Y3
	INCQ         R12
	CMPQ         R12, R10
	JLT          tap32

store32:
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ    $128, DI
	ADDQ    $128, SI
	SUBQ    $32, CX
	JMP     blk32

blk8:
	CMPQ    CX, $8
	JLT     blktail
	TESTQ   R11, R11
	JZ      zero8
	VMOVUPS (DI), Y0
	JMP     taps8

zero8:
	VXORPS Y0, Y0, Y0

taps8:
	XORQ  R12, R12
	TESTQ R10, R10
	JZ    store8

tap8:
	MOVLQSX      (R8)(R12*4), R13
	VBROADCASTSS (R9)(R12*4), Y4
	VFMADD231PS  (SI)(R13*4), Y4, Y0
	INCQ         R12
	CMPQ         R12, R10
	JLT          tap8

store8:
	VMOVUPS Y0, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	SUBQ    $8, CX
	JMP     blk8

blktail:
	TESTQ   CX, CX
	JZ      done
	VMOVDQU (DX), Y5
	VXORPS  Y0, Y0, Y0
	TESTQ   R11, R11
	JZ      tapstail
	VMASKMOVPS (DI), Y5, Y0

tapstail:
	XORQ  R12, R12
	TESTQ R10, R10
	JZ    storetail

taptail:
	MOVLQSX      (R8)(R12*4), R13
	VBROADCASTSS (R9)(R12*4), Y4
	VMASKMOVPS   (SI)(R13*4), Y5, Y6
	VFMADD231PS  Y6, Y4, Y0
	INCQ         R12
	CMPQ         R12, R10
	JLT          taptail

storetail:
	VMASKMOVPS Y0, Y5, (DI)

done:
	VZEROUPPER
	RET

// func deinterleave2AVX2(even, odd, src *float32, n int)
//
// Sixteen values at a time: VSHUFPS picks the even (odd) lanes of each
// 128-bit half of two loads, VPERMPD puts the halves in order.
TEXT ·deinterleave2AVX2(SB), NOSPLIT, $0-32
	MOVQ even+0(FP), DI
	MOVQ odd+8(FP), DX
	MOVQ src+16(FP), SI
	MOVQ n+24(FP), CX

blk16:
	CMPQ    CX, $16
	JLT     pairs
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VSHUFPS $0x88, Y1, Y0, Y2
	VSHUFPS $0xDD, Y1, Y0, Y3
	VPERMPD $0xD8, Y2, Y2
	VPERMPD $0xD8, Y3, Y3
	VMOVUPS Y2, (DI)
	VMOVUPS Y3, (DX)
	ADDQ    $64, SI
	ADDQ    $32, DI
	ADDQ    $32, DX
	SUBQ    $16, CX
	JMP     blk16

pairs:
	CMPQ CX, $2
	JLT  last
	MOVL (SI), AX
	MOVL 4(SI), BX
	MOVL AX, (DI)
	MOVL BX, (DX)
	ADDQ $8, SI
	ADDQ $4, DI
	ADDQ $4, DX
	SUBQ $2, CX
	JMP  pairs

last:
	TESTQ CX, CX
	JZ    done
	MOVL  (SI), AX
	MOVL  AX, (DI)

done:
	VZEROUPPER
	RET

// func interleave2AVX2(dst, even, odd *float32, n int)
//
// Sixteen values at a time: VUNPCKLPS and VUNPCKHPS pair the lanes of
// each 128-bit half, VPERM2F128 puts the halves in order.
TEXT ·interleave2AVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ even+8(FP), SI
	MOVQ odd+16(FP), DX
	MOVQ n+24(FP), CX

blk16:
	CMPQ       CX, $16
	JLT        pairs
	VMOVUPS    (SI), Y0
	VMOVUPS    (DX), Y1
	VUNPCKLPS  Y1, Y0, Y2
	VUNPCKHPS  Y1, Y0, Y3
	VPERM2F128 $0x20, Y3, Y2, Y4
	VPERM2F128 $0x31, Y3, Y2, Y5
	VMOVUPS    Y4, (DI)
	VMOVUPS    Y5, 32(DI)
	ADDQ       $32, SI
	ADDQ       $32, DX
	ADDQ       $64, DI
	SUBQ       $16, CX
	JMP        blk16

pairs:
	CMPQ CX, $2
	JLT  last
	MOVL (SI), AX
	MOVL (DX), BX
	MOVL AX, (DI)
	MOVL BX, 4(DI)
	ADDQ $4, SI
	ADDQ $4, DX
	ADDQ $8, DI
	SUBQ $2, CX
	JMP  pairs

last:
	TESTQ CX, CX
	JZ    done
	MOVL  (SI), AX
	MOVL  AX, (DI)

done:
	VZEROUPPER
	RET
