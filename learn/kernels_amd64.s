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
