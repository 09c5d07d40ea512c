//go:build amd64 && !purego

#include "textflag.h"

// func gather16AVX2(dst, src *float32, rows *int32, n int, cols, mask *[16]int32)
//
// dst[16i+j] = src[rows[i]+cols[j]] for i < n and the lanes j set in mask,
// 0 for the others, with two 8-lane VGATHERDPS per row.
TEXT ·gather16AVX2(SB), NOSPLIT, $0-48
	MOVQ    dst+0(FP), DI
	MOVQ    src+8(FP), SI
	MOVQ    rows+16(FP), BX
	MOVQ    n+24(FP), CX
	MOVQ    cols+32(FP), DX
	VMOVDQU (DX), Y4
	VMOVDQU 32(DX), Y5
	MOVQ    mask+40(FP), AX
	VMOVDQU (AX), Y9
	VMOVDQU 32(AX), Y10
	TESTQ   CX, CX
	JZ      done

loop:
	VPBROADCASTD (BX), Y6
	VPADDD       Y4, Y6, Y7
	VPADDD       Y5, Y6, Y8
	VMOVDQA      Y9, Y0
	VMOVDQA      Y10, Y1
	VXORPS       Y2, Y2, Y2
	VXORPS       Y3, Y3, Y3
	VGATHERDPS   Y0, (SI)(Y7*4), Y2
	VGATHERDPS   Y1, (SI)(Y8*4), Y3
	VMOVUPS      Y2, (DI)
	VMOVUPS      Y3, 32(DI)
	ADDQ         $4, BX
	ADDQ         $64, DI
	DECQ         CX
	JNZ          loop

done:
	VZEROUPPER
	RET
