//go:build !noasm

#include "textflag.h"

// The kernels of Batch: every vector holds one value of four interleaved
// sequences, so each kernel is its Go reference's loop body with one
// vector instruction per scalar operation, in the same order.

// TRANSPOSE4B transposes the 4×4 matrix of float64 rows r0..r3 in place
// (scratch t0..t3).
#define TRANSPOSE4B(r0, r1, r2, r3, t0, t1, t2, t3) \
	VUNPCKLPD r1, r0, t0         \
	VUNPCKHPD r1, r0, t1         \
	VUNPCKLPD r3, r2, t2         \
	VUNPCKHPD r3, r2, t3         \
	VPERM2F128 $0x20, t2, t0, r0 \
	VPERM2F128 $0x20, t3, t1, r1 \
	VPERM2F128 $0x31, t2, t0, r2 \
	VPERM2F128 $0x31, t3, t1, r3

// func load4AVX(re, im []float64, x *[4][]float64)
//
// load4Go for len(re)/4 even: four samples of each sequence per iteration,
// transposed into re[k], im[k], re[k+1], im[k+1].
TEXT ·load4AVX(SB), NOSPLIT, $0-56
	MOVQ re_base+0(FP), DI
	MOVQ re_len+8(FP), CX
	MOVQ im_base+24(FP), SI
	MOVQ x+48(FP), DX
	MOVQ 0(DX), R8
	MOVQ 24(DX), R9
	MOVQ 48(DX), R10
	MOVQ 72(DX), R11
	SHRQ $3, CX                   // (m/2) iterations
	JE   l4done

l4loop:
	VMOVUPD (R8), Y0
	VMOVUPD (R9), Y1
	VMOVUPD (R10), Y2
	VMOVUPD (R11), Y3
	TRANSPOSE4B(Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7)
	VMOVUPD Y0, (DI)
	VMOVUPD Y1, (SI)
	VMOVUPD Y2, 32(DI)
	VMOVUPD Y3, 32(SI)
	ADDQ    $32, R8
	ADDQ    $32, R9
	ADDQ    $32, R10
	ADDQ    $32, R11
	ADDQ    $64, DI
	ADDQ    $64, SI
	DECQ    CX
	JNZ     l4loop

l4done:
	VZEROUPPER
	RET

// func radix4x4AVX(re, im []float64, s int, tw []float64)
//
// radix4x4Go. SI, DI point at re[g+4k], im[g+4k]; BX, R8, R9 hold one,
// two and three quarters of a block (32s bytes each); DX points at the
// twiddles of k, R10, R11 and R12 hold 1, 3 and 5 rows of twiddles (8s
// bytes each); CX counts the blocks left, R13 the k left in a block.
TEXT ·radix4x4AVX(SB), NOSPLIT, $0-80
	MOVQ  re_base+0(FP), SI
	MOVQ  re_len+8(FP), AX
	MOVQ  im_base+24(FP), DI
	MOVQ  s+48(FP), BX
	TESTQ BX, BX
	JE    r44done
	SHRQ  $4, AX                  // a block is 16s values
	XORQ  DX, DX
	DIVQ  BX
	MOVQ  AX, CX                  // blocks
	MOVQ  BX, R10
	SHLQ  $3, R10                 // one twiddle row: 8s bytes
	LEAQ  (R10)(R10*2), R11       // 3 rows
	LEAQ  (R11)(R10*2), R12       // 5 rows
	SHLQ  $5, BX                  // a quarter: 32s bytes
	LEAQ  (BX)(BX*1), R8
	LEAQ  (R8)(BX*1), R9

r44block:
	TESTQ CX, CX
	JE    r44done
	MOVQ  tw_base+56(FP), DX
	MOVQ  s+48(FP), R13

r44k:
	VMOVUPD (SI), Y0              // ar
	VMOVUPD (DI), Y1              // ai
	VMOVUPD (SI)(R8*1), Y2        // cr
	VMOVUPD (DI)(R8*1), Y3        // ci
	VADDPD  Y2, Y0, Y4            // t0r = ar+cr
	VADDPD  Y3, Y1, Y5            // t0i
	VSUBPD  Y2, Y0, Y6            // t1r = ar-cr
	VSUBPD  Y3, Y1, Y7            // t1i
	VMOVUPD (SI)(BX*1), Y0        // br
	VMOVUPD (DI)(BX*1), Y1        // bi
	VMOVUPD (SI)(R9*1), Y2        // dr
	VMOVUPD (DI)(R9*1), Y3        // di
	VADDPD  Y2, Y0, Y8            // t2r = br+dr
	VADDPD  Y3, Y1, Y9            // t2i
	VSUBPD  Y3, Y1, Y10           // t3r = bi-di
	VSUBPD  Y0, Y2, Y11           // t3i = dr-br

	VADDPD  Y8, Y4, Y0            // y0r = t0r+t2r
	VADDPD  Y9, Y5, Y1            // y0i
	VMOVUPD Y0, (SI)
	VMOVUPD Y1, (DI)
	VSUBPD  Y8, Y4, Y4            // y2r = t0r-t2r
	VSUBPD  Y9, Y5, Y5            // y2i
	VADDPD  Y10, Y6, Y8           // y1r = t1r+t3r
	VADDPD  Y11, Y7, Y9           // y1i
	VSUBPD  Y10, Y6, Y6           // y3r = t1r-t3r
	VSUBPD  Y11, Y7, Y7           // y3i

	// b = y2·w2
	VBROADCASTSD (DX)(R10*2), Y12 // w2r
	VBROADCASTSD (DX)(R11*1), Y13 // w2i
	VMULPD  Y12, Y4, Y14
	VMULPD  Y13, Y5, Y15
	VSUBPD  Y15, Y14, Y14
	VMOVUPD Y14, (SI)(BX*1)
	VMULPD  Y13, Y4, Y14
	VMULPD  Y12, Y5, Y15
	VADDPD  Y15, Y14, Y14
	VMOVUPD Y14, (DI)(BX*1)

	// c = y1·w1
	VBROADCASTSD (DX), Y12        // w1r
	VBROADCASTSD (DX)(R10*1), Y13 // w1i
	VMULPD  Y12, Y8, Y14
	VMULPD  Y13, Y9, Y15
	VSUBPD  Y15, Y14, Y14
	VMOVUPD Y14, (SI)(R8*1)
	VMULPD  Y13, Y8, Y14
	VMULPD  Y12, Y9, Y15
	VADDPD  Y15, Y14, Y14
	VMOVUPD Y14, (DI)(R8*1)

	// d = y3·w3
	VBROADCASTSD (DX)(R10*4), Y12 // w3r
	VBROADCASTSD (DX)(R12*1), Y13 // w3i
	VMULPD  Y12, Y6, Y14
	VMULPD  Y13, Y7, Y15
	VSUBPD  Y15, Y14, Y14
	VMOVUPD Y14, (SI)(R9*1)
	VMULPD  Y13, Y6, Y14
	VMULPD  Y12, Y7, Y15
	VADDPD  Y15, Y14, Y14
	VMOVUPD Y14, (DI)(R9*1)

	ADDQ $32, SI
	ADDQ $32, DI
	ADDQ $8, DX
	DECQ R13
	JNZ  r44k

	ADDQ R9, SI                   // a quarter done, three to skip
	ADDQ R9, DI
	DECQ CX
	JMP  r44block

r44done:
	VZEROUPPER
	RET

// func radix2x4AVX(re, im []float64, s int, tw []float64)
//
// radix2x4Go: BX holds half a block (32s bytes), R10 one twiddle row (8s
// bytes).
TEXT ·radix2x4AVX(SB), NOSPLIT, $0-80
	MOVQ  re_base+0(FP), SI
	MOVQ  re_len+8(FP), AX
	MOVQ  im_base+24(FP), DI
	MOVQ  s+48(FP), BX
	TESTQ BX, BX
	JE    r24done
	SHRQ  $3, AX                  // a block is 8s values
	XORQ  DX, DX
	DIVQ  BX
	MOVQ  AX, CX                  // blocks
	MOVQ  BX, R10
	SHLQ  $3, R10                 // one twiddle row: 8s bytes
	SHLQ  $5, BX                  // half a block: 32s bytes

r24block:
	TESTQ CX, CX
	JE    r24done
	MOVQ  tw_base+56(FP), DX
	MOVQ  s+48(FP), R13

r24k:
	VMOVUPD (SI), Y0              // ar
	VMOVUPD (DI), Y1              // ai
	VMOVUPD (SI)(BX*1), Y2        // br
	VMOVUPD (DI)(BX*1), Y3        // bi
	VADDPD  Y2, Y0, Y4
	VADDPD  Y3, Y1, Y5
	VMOVUPD Y4, (SI)
	VMOVUPD Y5, (DI)
	VSUBPD  Y2, Y0, Y0            // yr
	VSUBPD  Y3, Y1, Y1            // yi
	VBROADCASTSD (DX), Y6         // wr
	VBROADCASTSD (DX)(R10*1), Y7  // wi
	VMULPD  Y6, Y0, Y8
	VMULPD  Y7, Y1, Y9
	VSUBPD  Y9, Y8, Y8
	VMOVUPD Y8, (SI)(BX*1)
	VMULPD  Y7, Y0, Y8
	VMULPD  Y6, Y1, Y9
	VADDPD  Y9, Y8, Y8
	VMOVUPD Y8, (DI)(BX*1)

	ADDQ $32, SI
	ADDQ $32, DI
	ADDQ $8, DX
	DECQ R13
	JNZ  r24k

	ADDQ BX, SI
	ADDQ BX, DI
	DECQ CX
	JMP  r24block

r24done:
	VZEROUPPER
	RET

// func dft4x4AVX(re, im []float64)
//
// dft4x4Go: a, b, c, d are four consecutive vectors.
TEXT ·dft4x4AVX(SB), NOSPLIT, $0-48
	MOVQ re_base+0(FP), SI
	MOVQ re_len+8(FP), CX
	MOVQ im_base+24(FP), DI
	SHRQ $4, CX
	JE   d44done

d44loop:
	VMOVUPD (SI), Y0              // ar
	VMOVUPD 32(SI), Y1            // br
	VMOVUPD 64(SI), Y2            // cr
	VMOVUPD 96(SI), Y3            // dr
	VMOVUPD (DI), Y4              // ai
	VMOVUPD 32(DI), Y5            // bi
	VMOVUPD 64(DI), Y6            // ci
	VMOVUPD 96(DI), Y7            // di

	VADDPD Y2, Y0, Y8             // t0r = ar+cr
	VADDPD Y6, Y4, Y9             // t0i
	VSUBPD Y2, Y0, Y10            // t1r = ar-cr
	VSUBPD Y6, Y4, Y11            // t1i
	VADDPD Y3, Y1, Y12            // t2r = br+dr
	VADDPD Y7, Y5, Y13            // t2i
	VSUBPD Y7, Y5, Y14            // t3r = bi-di
	VSUBPD Y1, Y3, Y15            // t3i = dr-br
	VADDPD Y12, Y8, Y0
	VADDPD Y13, Y9, Y4
	VSUBPD Y12, Y8, Y1
	VSUBPD Y13, Y9, Y5
	VADDPD Y14, Y10, Y2
	VADDPD Y15, Y11, Y6
	VSUBPD Y14, Y10, Y3
	VSUBPD Y15, Y11, Y7

	VMOVUPD Y0, (SI)
	VMOVUPD Y1, 32(SI)
	VMOVUPD Y2, 64(SI)
	VMOVUPD Y3, 96(SI)
	VMOVUPD Y4, (DI)
	VMOVUPD Y5, 32(DI)
	VMOVUPD Y6, 64(DI)
	VMOVUPD Y7, 96(DI)

	ADDQ $128, SI
	ADDQ $128, DI
	DECQ CX
	JNZ  d44loop

d44done:
	VZEROUPPER
	RET

// func untangle4AVX(dst []float64, ld int, re, im []float64, rev, revM []int32, wr, wi []float64, scale float64)
//
// untangle4Go: AX and BX point at dst[k·ld] and dst[(m-k)·ld] (DX is ld
// in bytes), SI and DI at re and im, R8 and R9 at rev[k] and revM[k],
// R10 and R11 at the twiddles of k.
TEXT ·untangle4AVX(SB), NOSPLIT, $0-184
	MOVQ         dst_base+0(FP), AX
	MOVQ         ld+24(FP), DX
	SHLQ         $3, DX
	MOVQ         re_base+32(FP), SI
	MOVQ         re_len+40(FP), CX
	MOVQ         im_base+56(FP), DI
	MOVQ         rev_base+80(FP), R8
	MOVQ         revM_base+104(FP), R9
	MOVQ         wr_base+128(FP), R10
	MOVQ         wi_base+152(FP), R11
	VBROADCASTSD scale+176(FP), Y14
	MOVQ         $0x3fe0000000000000, BX  // 0.5
	MOVQ         BX, X13
	VBROADCASTSD X13, Y13
	SHRQ         $2, CX                   // m
	MOVQ         CX, BX
	IMULQ        DX, BX
	ADDQ         AX, BX                   // &dst[m·ld]

	// k = 0 and k = m.
	VMOVUPD (SI), Y0
	VMOVUPD (DI), Y1
	VADDPD  Y1, Y0, Y2                    // d0
	VSUBPD  Y1, Y0, Y3                    // dm
	VMULPD  Y2, Y2, Y2
	VMULPD  Y14, Y2, Y2
	VMOVUPD Y2, (AX)
	VMULPD  Y3, Y3, Y3
	VMULPD  Y14, Y3, Y3
	VMOVUPD Y3, (BX)

	ADDQ DX, AX
	SUBQ DX, BX
	ADDQ $4, R8
	ADDQ $4, R9
	ADDQ $8, R10
	ADDQ $8, R11
	SHRQ $1, CX                           // m/2 iterations
	JE   u4done

u4loop:
	MOVLQSX (R8), R12
	SHLQ    $5, R12
	MOVLQSX (R9), R13
	SHLQ    $5, R13
	VMOVUPD (SI)(R12*1), Y3               // zkr
	VMOVUPD (DI)(R12*1), Y4               // zki
	VMOVUPD (SI)(R13*1), Y5               // zmr
	VMOVUPD (DI)(R13*1), Y6               // zmi
	VADDPD  Y5, Y3, Y7
	VMULPD  Y13, Y7, Y7                   // er = (zkr+zmr)·0.5
	VSUBPD  Y6, Y4, Y8
	VMULPD  Y13, Y8, Y8                   // ei = (zki-zmi)·0.5
	VADDPD  Y6, Y4, Y9
	VMULPD  Y13, Y9, Y9                   // or = (zki+zmi)·0.5
	VSUBPD  Y3, Y5, Y10
	VMULPD  Y13, Y10, Y10                 // oi = (zmr-zkr)·0.5
	VBROADCASTSD (R10), Y11               // wr
	VBROADCASTSD (R11), Y12               // wi
	VMULPD  Y11, Y9, Y3
	VMULPD  Y12, Y10, Y4
	VSUBPD  Y4, Y3, Y3                    // tr = wr·or - wi·oi
	VMULPD  Y11, Y10, Y4
	VMULPD  Y12, Y9, Y5
	VADDPD  Y5, Y4, Y4                    // ti = wr·oi + wi·or
	VADDPD  Y3, Y7, Y5                    // ar
	VADDPD  Y4, Y8, Y6                    // ai
	VSUBPD  Y3, Y7, Y7                    // br
	VSUBPD  Y4, Y8, Y8                    // bi
	VMULPD  Y5, Y5, Y5
	VMULPD  Y6, Y6, Y6
	VADDPD  Y6, Y5, Y5
	VMULPD  Y14, Y5, Y5
	VMOVUPD Y5, (AX)
	VMULPD  Y7, Y7, Y7
	VMULPD  Y8, Y8, Y8
	VADDPD  Y8, Y7, Y7
	VMULPD  Y14, Y7, Y7
	VMOVUPD Y7, (BX)
	ADDQ    DX, AX
	SUBQ    DX, BX
	ADDQ    $4, R8
	ADDQ    $4, R9
	ADDQ    $8, R10
	ADDQ    $8, R11
	DECQ    CX
	JNZ     u4loop

u4done:
	VZEROUPPER
	RET
