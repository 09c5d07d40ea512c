//go:build amd64 && !purego

#include "textflag.h"

// func add2dAVX2(dst *float32, ldd int, src *float32, lds int, rows, cols int)
//
// dst[i*ldd+j] += src[i*lds+j] for i < rows, j < cols: eight floats at a
// time, then one at a time (VEX-encoded: legacy SSE instructions after
// 256-bit ones cost a state transition each).
TEXT ·add2dAVX2(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ ldd+8(FP), R8
	SHLQ $2, R8
	MOVQ src+16(FP), SI
	MOVQ lds+24(FP), R9
	SHLQ $2, R9
	MOVQ rows+32(FP), CX
	MOVQ cols+40(FP), R10

row:
	MOVQ DI, AX
	MOVQ SI, BX
	MOVQ R10, DX

vec:
	CMPQ    DX, $8
	JLT     tail
	VMOVUPS (BX), Y0
	VADDPS  (AX), Y0, Y0
	VMOVUPS Y0, (AX)
	ADDQ    $32, AX
	ADDQ    $32, BX
	SUBQ    $8, DX
	JMP     vec

tail:
	TESTQ  DX, DX
	JZ     next
	VMOVSS (BX), X0
	VADDSS (AX), X0, X0
	VMOVSS X0, (AX)
	ADDQ   $4, AX
	ADDQ   $4, BX
	DECQ   DX
	JMP    tail

next:
	ADDQ R8, DI
	ADDQ R9, SI
	DECQ CX
	JNZ  row
	VZEROUPPER
	RET
