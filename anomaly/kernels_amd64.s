//go:build !noasm

#include "textflag.h"

// func sqDistAVX(x, y *float64, n int) float64
// Σ_{i<n} (x[i]-y[i])², n a multiple of 4.
TEXT ·sqDistAVX(SB), NOSPLIT, $0-32
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ n+16(FP), CX
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	CMPQ CX, $8
	JL   sd_tail

sd_loop8:
	VMOVUPD     (SI), Y2
	VMOVUPD     32(SI), Y3
	VSUBPD      (DI), Y2, Y2
	VSUBPD      32(DI), Y3, Y3
	VFMADD231PD Y2, Y2, Y0
	VFMADD231PD Y3, Y3, Y1
	ADDQ        $64, SI
	ADDQ        $64, DI
	SUBQ        $8, CX
	CMPQ        CX, $8
	JGE         sd_loop8

sd_tail:
	CMPQ        CX, $4
	JL          sd_done
	VMOVUPD     (SI), Y2
	VSUBPD      (DI), Y2, Y2
	VFMADD231PD Y2, Y2, Y0

sd_done:
	VADDPD       Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPD       X1, X0, X0
	VHADDPD      X0, X0, X0
	VZEROUPPER
	MOVSD        X0, ret+24(FP)
	RET

// func distsAVX(dst, x, ct *float64, m, kp int)
// dst[j] = Σ_{t<m} (x[t] - ct[t*kp+j])² for j < kp; kp a multiple of 4, m >= 1.
TEXT ·distsAVX(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ ct+16(FP), DX
	MOVQ m+24(FP), R8
	MOVQ kp+32(FP), R11
	MOVQ R11, R10
	SHLQ $3, R10        // row stride of ct in bytes

ds_blk32:
	CMPQ   R11, $32
	JL     ds_blk4
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7
	MOVQ   DX, AX
	MOVQ   SI, R12
	MOVQ   R8, CX

ds_t32:
	VBROADCASTSD (R12), Y8
	VSUBPD       (AX), Y8, Y9
	VSUBPD       32(AX), Y8, Y10
	VSUBPD       64(AX), Y8, Y11
	VSUBPD       96(AX), Y8, Y12
	VFMADD231PD  Y9, Y9, Y0
	VFMADD231PD  Y10, Y10, Y1
	VFMADD231PD  Y11, Y11, Y2
	VFMADD231PD  Y12, Y12, Y3
	VSUBPD       128(AX), Y8, Y9
	VSUBPD       160(AX), Y8, Y10
	VSUBPD       192(AX), Y8, Y11
	VSUBPD       224(AX), Y8, Y12
	VFMADD231PD  Y9, Y9, Y4
	VFMADD231PD  Y10, Y10, Y5
	VFMADD231PD  Y11, Y11, Y6
	VFMADD231PD  Y12, Y12, Y7
	ADDQ         $8, R12
	ADDQ         R10, AX
	DECQ         CX
	JNZ          ds_t32

	VMOVUPD Y0, (DI)
	VMOVUPD Y1, 32(DI)
	VMOVUPD Y2, 64(DI)
	VMOVUPD Y3, 96(DI)
	VMOVUPD Y4, 128(DI)
	VMOVUPD Y5, 160(DI)
	VMOVUPD Y6, 192(DI)
	VMOVUPD Y7, 224(DI)
	ADDQ    $256, DI
	ADDQ    $256, DX
	SUBQ    $32, R11
	JMP     ds_blk32

ds_blk4:
	CMPQ   R11, $4
	JL     ds_end
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	MOVQ   DX, AX
	MOVQ   SI, R12
	MOVQ   R8, CX

ds_t4:
	VBROADCASTSD (R12), Y8
	VSUBPD       (AX), Y8, Y9
	VFMADD231PD  Y9, Y9, Y0
	ADDQ         $8, R12
	ADDQ         R10, AX
	DECQ         CX
	JNZ          ds_t4

	VMOVUPD Y0, (DI)
	ADDQ    $32, DI
	ADDQ    $32, DX
	SUBQ    $4, R11
	JMP     ds_blk4

ds_end:
	VZEROUPPER
	RET

// func gemm4x8AVX(depth int, a *float64, ars, ats int, b *float64, ldb int, c *float64, ldc int)
// c[i*ldc+j] += Σ_{t<depth} a[i*ars+t*ats] * b[t*ldb+j] for i < 4, j < 8; depth >= 1.
TEXT ·gemm4x8AVX(SB), NOSPLIT, $0-64
	MOVQ depth+0(FP), CX
	MOVQ a+8(FP), R8
	MOVQ ars+16(FP), AX
	SHLQ $3, AX
	MOVQ ats+24(FP), R12
	SHLQ $3, R12
	LEAQ (R8)(AX*1), R9
	LEAQ (R9)(AX*1), R10
	LEAQ (R10)(AX*1), R11
	MOVQ b+32(FP), SI
	MOVQ ldb+40(FP), BX
	SHLQ $3, BX
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7

g8_loop:
	VMOVUPD      (SI), Y8
	VMOVUPD      32(SI), Y9
	VBROADCASTSD (R8), Y10
	VBROADCASTSD (R9), Y11
	VBROADCASTSD (R10), Y12
	VBROADCASTSD (R11), Y13
	VFMADD231PD  Y8, Y10, Y0
	VFMADD231PD  Y9, Y10, Y1
	VFMADD231PD  Y8, Y11, Y2
	VFMADD231PD  Y9, Y11, Y3
	VFMADD231PD  Y8, Y12, Y4
	VFMADD231PD  Y9, Y12, Y5
	VFMADD231PD  Y8, Y13, Y6
	VFMADD231PD  Y9, Y13, Y7
	ADDQ         R12, R8
	ADDQ         R12, R9
	ADDQ         R12, R10
	ADDQ         R12, R11
	ADDQ         BX, SI
	DECQ         CX
	JNZ          g8_loop

	MOVQ    c+48(FP), DI
	MOVQ    ldc+56(FP), DX
	SHLQ    $3, DX
	VADDPD  (DI), Y0, Y0
	VADDPD  32(DI), Y1, Y1
	VMOVUPD Y0, (DI)
	VMOVUPD Y1, 32(DI)
	ADDQ    DX, DI
	VADDPD  (DI), Y2, Y2
	VADDPD  32(DI), Y3, Y3
	VMOVUPD Y2, (DI)
	VMOVUPD Y3, 32(DI)
	ADDQ    DX, DI
	VADDPD  (DI), Y4, Y4
	VADDPD  32(DI), Y5, Y5
	VMOVUPD Y4, (DI)
	VMOVUPD Y5, 32(DI)
	ADDQ    DX, DI
	VADDPD  (DI), Y6, Y6
	VADDPD  32(DI), Y7, Y7
	VMOVUPD Y6, (DI)
	VMOVUPD Y7, 32(DI)
	VZEROUPPER
	RET

// func gemm4x4AVX(depth int, a *float64, ars, ats int, b *float64, ldb int, c *float64, ldc int)
// As gemm4x8AVX for j < 4.
TEXT ·gemm4x4AVX(SB), NOSPLIT, $0-64
	MOVQ depth+0(FP), CX
	MOVQ a+8(FP), R8
	MOVQ ars+16(FP), AX
	SHLQ $3, AX
	MOVQ ats+24(FP), R12
	SHLQ $3, R12
	LEAQ (R8)(AX*1), R9
	LEAQ (R9)(AX*1), R10
	LEAQ (R10)(AX*1), R11
	MOVQ b+32(FP), SI
	MOVQ ldb+40(FP), BX
	SHLQ $3, BX
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3

g4_loop:
	VMOVUPD      (SI), Y8
	VBROADCASTSD (R8), Y10
	VBROADCASTSD (R9), Y11
	VBROADCASTSD (R10), Y12
	VBROADCASTSD (R11), Y13
	VFMADD231PD  Y8, Y10, Y0
	VFMADD231PD  Y8, Y11, Y1
	VFMADD231PD  Y8, Y12, Y2
	VFMADD231PD  Y8, Y13, Y3
	ADDQ         R12, R8
	ADDQ         R12, R9
	ADDQ         R12, R10
	ADDQ         R12, R11
	ADDQ         BX, SI
	DECQ         CX
	JNZ          g4_loop

	MOVQ    c+48(FP), DI
	MOVQ    ldc+56(FP), DX
	SHLQ    $3, DX
	VADDPD  (DI), Y0, Y0
	VMOVUPD Y0, (DI)
	ADDQ    DX, DI
	VADDPD  (DI), Y1, Y1
	VMOVUPD Y1, (DI)
	ADDQ    DX, DI
	VADDPD  (DI), Y2, Y2
	VMOVUPD Y2, (DI)
	ADDQ    DX, DI
	VADDPD  (DI), Y3, Y3
	VMOVUPD Y3, (DI)
	VZEROUPPER
	RET

// func triQuadAVX(d, u *float64, str int) float64
// Σ_j (Σ_{t<=j} d[t]·u[t*str+j])² for j < str; str a multiple of 4, u upper triangular.
TEXT ·triQuadAVX(SB), NOSPLIT, $0-32
	MOVQ   d+0(FP), SI
	MOVQ   u+8(FP), DX
	MOVQ   str+16(FP), R8
	MOVQ   R8, R10
	SHLQ   $3, R10
	VXORPD Y15, Y15, Y15
	XORQ   BX, BX

tq_blk16:
	MOVQ   R8, AX
	SUBQ   BX, AX
	CMPQ   AX, $16
	JL     tq_blk4
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	LEAQ   16(BX), CX
	MOVQ   SI, R12
	LEAQ   (DX)(BX*8), R13

tq_t16:
	VBROADCASTSD (R12), Y4
	VFMADD231PD  (R13), Y4, Y0
	VFMADD231PD  32(R13), Y4, Y1
	VFMADD231PD  64(R13), Y4, Y2
	VFMADD231PD  96(R13), Y4, Y3
	ADDQ         $8, R12
	ADDQ         R10, R13
	DECQ         CX
	JNZ          tq_t16
	VFMADD231PD  Y0, Y0, Y15
	VFMADD231PD  Y1, Y1, Y15
	VFMADD231PD  Y2, Y2, Y15
	VFMADD231PD  Y3, Y3, Y15
	ADDQ         $16, BX
	JMP          tq_blk16

tq_blk4:
	CMPQ   BX, R8
	JGE    tq_done
	VXORPD Y0, Y0, Y0
	LEAQ   4(BX), CX
	MOVQ   SI, R12
	LEAQ   (DX)(BX*8), R13

tq_t4:
	VBROADCASTSD (R12), Y4
	VFMADD231PD  (R13), Y4, Y0
	ADDQ         $8, R12
	ADDQ         R10, R13
	DECQ         CX
	JNZ          tq_t4
	VFMADD231PD  Y0, Y0, Y15
	ADDQ         $4, BX
	JMP          tq_blk4

tq_done:
	VEXTRACTF128 $1, Y15, X1
	VADDPD       X1, X15, X0
	VHADDPD      X0, X0, X0
	VZEROUPPER
	MOVSD        X0, ret+24(FP)
	RET

// func scaledDiffAVX(dst, x, y *float64, r float64, n int)
// dst[i] = r·(x[i] − y[i]) for i < n, n a multiple of 4.
TEXT ·scaledDiffAVX(SB), NOSPLIT, $0-40
	MOVQ         dst+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         y+16(FP), DX
	VBROADCASTSD r+24(FP), Y2
	MOVQ         n+32(FP), CX
	SHRQ         $2, CX
	JZ           sdf_done

sdf_loop:
	VMOVUPD (SI), Y0
	VSUBPD  (DX), Y0, Y0
	VMULPD  Y2, Y0, Y0
	VMOVUPD Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	DECQ    CX
	JNZ     sdf_loop

sdf_done:
	VZEROUPPER
	RET

// func prefetchRow(p *float64)
// Hints that the 320 bytes at p will be read soon.
TEXT ·prefetchRow(SB), NOSPLIT, $0-8
	MOVQ       p+0(FP), AX
	PREFETCHT0 (AX)
	PREFETCHT0 64(AX)
	PREFETCHT0 128(AX)
	PREFETCHT0 192(AX)
	PREFETCHT0 256(AX)
	RET
