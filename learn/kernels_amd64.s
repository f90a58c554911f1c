//go:build !noasm

#include "textflag.h"

// func axpy8(y *float32, x []float32, w *float32, ldw int)
TEXT ·axpy8(SB), NOSPLIT, $0-48
	MOVQ y+0(FP), DI
	MOVQ x_base+8(FP), SI
	MOVQ x_len+16(FP), CX
	MOVQ w+32(FP), DX
	MOVQ ldw+40(FP), BX
	SHLQ $2, BX
	VMOVUPS (DI), Y0
	TESTQ CX, CX
	JE   a8done

a8loop:
	VBROADCASTSS (SI), Y1
	VMULPS       (DX), Y1, Y2
	VADDPS       Y2, Y0, Y0
	ADDQ         $4, SI
	ADDQ         BX, DX
	DECQ         CX
	JNZ          a8loop

a8done:
	VMOVUPS Y0, (DI)
	VZEROUPPER
	RET

// func axpy16(y *float32, x []float32, w *float32, ldw int)
TEXT ·axpy16(SB), NOSPLIT, $0-48
	MOVQ y+0(FP), DI
	MOVQ x_base+8(FP), SI
	MOVQ x_len+16(FP), CX
	MOVQ w+32(FP), DX
	MOVQ ldw+40(FP), BX
	SHLQ $2, BX
	VMOVUPS (DI), Y0
	VMOVUPS 32(DI), Y3
	TESTQ CX, CX
	JE   a16done

a16loop:
	VBROADCASTSS (SI), Y1
	VMULPS       (DX), Y1, Y2
	VMULPS       32(DX), Y1, Y4
	VADDPS       Y2, Y0, Y0
	VADDPS       Y4, Y3, Y3
	ADDQ         $4, SI
	ADDQ         BX, DX
	DECQ         CX
	JNZ          a16loop

a16done:
	VMOVUPS Y0, (DI)
	VMOVUPS Y3, 32(DI)
	VZEROUPPER
	RET

// func ger8(dw *float32, ldw int, x []float32, gv *float32)
TEXT ·ger8(SB), NOSPLIT, $0-48
	MOVQ dw+0(FP), DI
	MOVQ ldw+8(FP), BX
	SHLQ $2, BX
	MOVQ x_base+16(FP), SI
	MOVQ x_len+24(FP), CX
	MOVQ gv+40(FP), DX
	VMOVUPS (DX), Y0
	TESTQ CX, CX
	JE   g8done

g8loop:
	VBROADCASTSS (SI), Y1
	VMULPS       Y0, Y1, Y2
	VADDPS       (DI), Y2, Y2
	VMOVUPS      Y2, (DI)
	ADDQ         $4, SI
	ADDQ         BX, DI
	DECQ         CX
	JNZ          g8loop

g8done:
	VZEROUPPER
	RET

// func dotRows(dx []float32, w *float32, ldw int, gv *float32, blocks int)
TEXT ·dotRows(SB), NOSPLIT, $0-56
	MOVQ dx_base+0(FP), DI
	MOVQ dx_len+8(FP), CX
	MOVQ w+24(FP), SI
	MOVQ ldw+32(FP), BX
	SHLQ $2, BX
	MOVQ gv+40(FP), DX
	MOVQ blocks+48(FP), R8
	TESTQ CX, CX
	JE   drdone

drrow:
	VMOVUPS (SI), Y0
	VMULPS  (DX), Y0, Y0
	MOVQ    SI, R9
	MOVQ    DX, R10
	MOVQ    R8, R11

drblk:
	DECQ   R11
	JE     drsum
	ADDQ   $32, R9
	ADDQ   $32, R10
	VMOVUPS (R9), Y1
	VMULPS (R10), Y1, Y1
	VADDPS Y1, Y0, Y0
	JMP    drblk

drsum:
	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0
	VMOVHLPS     X0, X0, X1
	VADDPS       X1, X0, X0
	VMOVSHDUP    X0, X1
	VADDSS       X1, X0, X0
	VADDSS       (DI), X0, X0
	VMOVSS       X0, (DI)
	ADDQ         $4, DI
	ADDQ         BX, SI
	DECQ         CX
	JNZ          drrow

drdone:
	VZEROUPPER
	RET

// GEMMROW4 accumulates one step i of four rows: Y8, Y9 hold the two column
// vectors of b's row i, AX points at a(0, i), R9 and R13 hold one and three
// row strides of a.
#define GEMMROW4 \
	VBROADCASTSS (AX), Y12       \
	VMULPS       Y8, Y12, Y13    \
	VADDPS       Y13, Y0, Y0     \
	VMULPS       Y9, Y12, Y13    \
	VADDPS       Y13, Y1, Y1     \
	VBROADCASTSS (AX)(R9*1), Y12 \
	VMULPS       Y8, Y12, Y13    \
	VADDPS       Y13, Y2, Y2     \
	VMULPS       Y9, Y12, Y13    \
	VADDPS       Y13, Y3, Y3     \
	VBROADCASTSS (AX)(R9*2), Y12 \
	VMULPS       Y8, Y12, Y13    \
	VADDPS       Y13, Y4, Y4     \
	VMULPS       Y9, Y12, Y13    \
	VADDPS       Y13, Y5, Y5     \
	VBROADCASTSS (AX)(R13*1), Y12 \
	VMULPS       Y8, Y12, Y13    \
	VADDPS       Y13, Y6, Y6     \
	VMULPS       Y9, Y12, Y13    \
	VADDPS       Y13, Y7, Y7

// func gemm16(c *float32, ldc int, a *float32, ars, ais int, b *float32, ldb, rows, k int, mask *[16]int32)
//
// gemmGo for one block of up to sixteen columns (two vectors, masked by
// mask): for every row r < rows, c(r, ·) += Σ_i a(r, i)·b(i, ·) in order
// of i, each product rounded before it is added; a(r, i) is
// a[r·ars + i·ais], b(i, ·) starts at b[i·ldb], c(r, ·) at c[r·ldc]. Rows
// go four at a time (eight accumulators), then one at a time.
TEXT ·gemm16(SB), NOSPLIT, $0-80
	MOVQ       c+0(FP), DI
	MOVQ       ldc+8(FP), R8
	SHLQ       $2, R8
	MOVQ       a+16(FP), SI
	MOVQ       ars+24(FP), R9
	SHLQ       $2, R9
	MOVQ       ais+32(FP), R10
	SHLQ       $2, R10
	MOVQ       b+40(FP), DX
	MOVQ       ldb+48(FP), R11
	SHLQ       $2, R11
	MOVQ       rows+56(FP), CX
	MOVQ       k+64(FP), R12
	MOVQ       mask+72(FP), AX
	VMOVDQU    (AX), Y10
	VMOVDQU    32(AX), Y11
	LEAQ       (R9)(R9*2), R13
	TESTQ      R12, R12
	JE         gmdone

gmblock4:
	CMPQ       CX, $4
	JL         gmrow1
	MOVQ       DI, BX
	VMASKMOVPS (BX), Y10, Y0
	VMASKMOVPS 32(BX), Y11, Y1
	ADDQ       R8, BX
	VMASKMOVPS (BX), Y10, Y2
	VMASKMOVPS 32(BX), Y11, Y3
	ADDQ       R8, BX
	VMASKMOVPS (BX), Y10, Y4
	VMASKMOVPS 32(BX), Y11, Y5
	ADDQ       R8, BX
	VMASKMOVPS (BX), Y10, Y6
	VMASKMOVPS 32(BX), Y11, Y7
	MOVQ       SI, AX
	MOVQ       DX, BX
	MOVQ       R12, R14

gm4loop:
	VMASKMOVPS (BX), Y10, Y8
	VMASKMOVPS 32(BX), Y11, Y9
	GEMMROW4
	ADDQ       R10, AX
	ADDQ       R11, BX
	DECQ       R14
	JNZ        gm4loop

	MOVQ       DI, BX
	VMASKMOVPS Y0, Y10, (BX)
	VMASKMOVPS Y1, Y11, 32(BX)
	ADDQ       R8, BX
	VMASKMOVPS Y2, Y10, (BX)
	VMASKMOVPS Y3, Y11, 32(BX)
	ADDQ       R8, BX
	VMASKMOVPS Y4, Y10, (BX)
	VMASKMOVPS Y5, Y11, 32(BX)
	ADDQ       R8, BX
	VMASKMOVPS Y6, Y10, (BX)
	VMASKMOVPS Y7, Y11, 32(BX)
	LEAQ       (DI)(R8*4), DI
	LEAQ       (SI)(R9*4), SI
	SUBQ       $4, CX
	JMP        gmblock4

gmrow1:
	TESTQ      CX, CX
	JE         gmdone
	VMASKMOVPS (DI), Y10, Y0
	VMASKMOVPS 32(DI), Y11, Y1
	MOVQ       SI, AX
	MOVQ       DX, BX
	MOVQ       R12, R14

gm1loop:
	VMASKMOVPS   (BX), Y10, Y8
	VMASKMOVPS   32(BX), Y11, Y9
	VBROADCASTSS (AX), Y12
	VMULPS       Y8, Y12, Y13
	VADDPS       Y13, Y0, Y0
	VMULPS       Y9, Y12, Y13
	VADDPS       Y13, Y1, Y1
	ADDQ         R10, AX
	ADDQ         R11, BX
	DECQ         R14
	JNZ          gm1loop

	VMASKMOVPS Y0, Y10, (DI)
	VMASKMOVPS Y1, Y11, 32(DI)
	ADDQ       R8, DI
	ADDQ       R9, SI
	DECQ       CX
	JMP        gmrow1

gmdone:
	VZEROUPPER
	RET
