//go:build !noasm

#include "textflag.h"

// func radix4AVX(re, im []float64, s int, tw []float64)
//
// radix4Go four butterflies at a time. Registers: SI, DI point at re[g+k],
// im[g+k]; DX at the twiddles of k; BX, R8, R9, R10, R11 hold s, 2s, 3s,
// 4s, 5s in bytes; CX counts the blocks of 4s values left, R12 the groups
// of four k left in a block.
TEXT ·radix4AVX(SB), NOSPLIT, $0-80
	MOVQ  re_base+0(FP), SI
	MOVQ  re_len+8(FP), AX
	MOVQ  im_base+24(FP), DI
	MOVQ  s+48(FP), BX
	XORQ  DX, DX
	LEAQ  (BX)(BX*1), R8
	LEAQ  (R8)(R8*1), R8          // 4s values
	TESTQ R8, R8
	JE    r4done
	DIVQ  R8                      // AX = blocks
	MOVQ  AX, CX
	SHLQ  $3, BX                  // s in bytes
	LEAQ  (BX)(BX*1), R8          // 2s
	LEAQ  (R8)(BX*1), R9          // 3s
	LEAQ  (R8)(R8*1), R10         // 4s
	LEAQ  (R10)(BX*1), R11        // 5s

r4block:
	TESTQ CX, CX
	JE    r4done
	MOVQ  tw_base+56(FP), DX
	MOVQ  s+48(FP), R12
	SHRQ  $2, R12

r4k:
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
	VMOVUPD (DX)(R8*1), Y12       // w2r
	VMOVUPD (DX)(R9*1), Y13       // w2i
	VMULPD  Y12, Y4, Y14
	VMULPD  Y13, Y5, Y15
	VSUBPD  Y15, Y14, Y14
	VMOVUPD Y14, (SI)(BX*1)
	VMULPD  Y13, Y4, Y14
	VMULPD  Y12, Y5, Y15
	VADDPD  Y15, Y14, Y14
	VMOVUPD Y14, (DI)(BX*1)

	// c = y1·w1
	VMOVUPD (DX), Y12             // w1r
	VMOVUPD (DX)(BX*1), Y13       // w1i
	VMULPD  Y12, Y8, Y14
	VMULPD  Y13, Y9, Y15
	VSUBPD  Y15, Y14, Y14
	VMOVUPD Y14, (SI)(R8*1)
	VMULPD  Y13, Y8, Y14
	VMULPD  Y12, Y9, Y15
	VADDPD  Y15, Y14, Y14
	VMOVUPD Y14, (DI)(R8*1)

	// d = y3·w3
	VMOVUPD (DX)(R10*1), Y12      // w3r
	VMOVUPD (DX)(R11*1), Y13      // w3i
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
	ADDQ $32, DX
	DECQ R12
	JNZ  r4k

	ADDQ R9, SI                   // to the next block: s done, 3s to skip
	ADDQ R9, DI
	DECQ CX
	JMP  r4block

r4done:
	VZEROUPPER
	RET

// func radix2AVX(re, im []float64, s int, tw []float64)
//
// radix2Go four butterflies at a time.
TEXT ·radix2AVX(SB), NOSPLIT, $0-80
	MOVQ  re_base+0(FP), SI
	MOVQ  re_len+8(FP), AX
	MOVQ  im_base+24(FP), DI
	MOVQ  s+48(FP), BX
	XORQ  DX, DX
	LEAQ  (BX)(BX*1), R8          // 2s values
	TESTQ R8, R8
	JE    r2done
	DIVQ  R8
	MOVQ  AX, CX                  // blocks
	SHLQ  $3, BX                  // s in bytes

r2block:
	TESTQ CX, CX
	JE    r2done
	MOVQ  tw_base+56(FP), DX
	MOVQ  s+48(FP), R12
	SHRQ  $2, R12

r2k:
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
	VMOVUPD (DX), Y6              // wr
	VMOVUPD (DX)(BX*1), Y7        // wi
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
	ADDQ $32, DX
	DECQ R12
	JNZ  r2k

	ADDQ BX, SI
	ADDQ BX, DI
	DECQ CX
	JMP  r2block

r2done:
	VZEROUPPER
	RET

// func deinterleaveAVX(re, im, x []float64)
TEXT ·deinterleaveAVX(SB), NOSPLIT, $0-72
	MOVQ re_base+0(FP), DI
	MOVQ re_len+8(FP), CX
	MOVQ im_base+24(FP), SI
	MOVQ x_base+48(FP), DX
	SHRQ $2, CX
	JE   didone

diloop:
	VMOVUPD   (DX), Y0            // r0 i0 r1 i1
	VMOVUPD   32(DX), Y1          // r2 i2 r3 i3
	VUNPCKLPD Y1, Y0, Y2          // r0 r2 r1 r3
	VUNPCKHPD Y1, Y0, Y3          // i0 i2 i1 i3
	VPERMPD   $0xd8, Y2, Y2       // r0 r1 r2 r3
	VPERMPD   $0xd8, Y3, Y3
	VMOVUPD   Y2, (DI)
	VMOVUPD   Y3, (SI)
	ADDQ      $64, DX
	ADDQ      $32, DI
	ADDQ      $32, SI
	DECQ      CX
	JNZ       diloop

didone:
	VZEROUPPER
	RET

// func untangleAVX(dst, re, im, wr, wi []float64, scale float64)
//
// untangleGo for k = 1..m/2, four k at a time, with Z in natural order:
// Z[k..k+3] is a plain load, Z[m-k-3..m-k] a plain load reversed; the m-k
// results are reversed and stored below dst[m-k].
TEXT ·untangleAVX(SB), NOSPLIT, $0-128
	MOVQ         dst_base+0(FP), AX
	MOVQ         re_base+24(FP), SI
	MOVQ         re_len+32(FP), CX
	MOVQ         im_base+48(FP), DX
	MOVQ         wr_base+72(FP), R10
	MOVQ         wi_base+96(FP), R11
	VBROADCASTSD scale+120(FP), Y14
	MOVQ         $0x3fe0000000000000, BX   // 0.5
	MOVQ         BX, X13
	VBROADCASTSD X13, Y13
	LEAQ         -32(AX)(CX*8), BX         // &dst[m-4]
	LEAQ         -32(SI)(CX*8), R8         // &re[m-4]
	LEAQ         -32(DX)(CX*8), R9         // &im[m-4]
	ADDQ         $8, AX                    // &dst[1]
	ADDQ         $8, SI                    // &re[1]
	ADDQ         $8, DX                    // &im[1]
	ADDQ         $8, R10
	ADDQ         $8, R11
	SHRQ         $3, CX                    // (m/2)/4 iterations

utloop:
	VMOVUPD    (SI), Y3                    // zkr
	VMOVUPD    (DX), Y4                    // zki
	VPERMPD    $0x1b, (R8), Y5             // zmr
	VPERMPD    $0x1b, (R9), Y6             // zmi
	VADDPD     Y5, Y3, Y7
	VMULPD     Y13, Y7, Y7                 // er = (zkr+zmr)·0.5
	VSUBPD     Y6, Y4, Y8
	VMULPD     Y13, Y8, Y8                 // ei = (zki-zmi)·0.5
	VADDPD     Y6, Y4, Y9
	VMULPD     Y13, Y9, Y9                 // or = (zki+zmi)·0.5
	VSUBPD     Y3, Y5, Y10
	VMULPD     Y13, Y10, Y10               // oi = (zmr-zkr)·0.5
	VMOVUPD    (R10), Y11                  // wr
	VMOVUPD    (R11), Y12                  // wi
	VMULPD     Y11, Y9, Y3
	VMULPD     Y12, Y10, Y4
	VSUBPD     Y4, Y3, Y3                  // tr = wr·or - wi·oi
	VMULPD     Y11, Y10, Y4
	VMULPD     Y12, Y9, Y5
	VADDPD     Y5, Y4, Y4                  // ti = wr·oi + wi·or
	VADDPD     Y3, Y7, Y5                  // ar
	VADDPD     Y4, Y8, Y6                  // ai
	VSUBPD     Y3, Y7, Y7                  // br
	VSUBPD     Y4, Y8, Y8                  // bi
	VMULPD     Y5, Y5, Y5
	VMULPD     Y6, Y6, Y6
	VADDPD     Y6, Y5, Y5
	VMULPD     Y14, Y5, Y5
	VMOVUPD    Y5, (AX)
	VMULPD     Y7, Y7, Y7
	VMULPD     Y8, Y8, Y8
	VADDPD     Y8, Y7, Y7
	VMULPD     Y14, Y7, Y7
	VPERMPD    $0x1b, Y7, Y7
	VMOVUPD    Y7, (BX)
	ADDQ       $32, AX
	SUBQ       $32, BX
	ADDQ       $32, SI
	ADDQ       $32, DX
	SUBQ       $32, R8
	SUBQ       $32, R9
	ADDQ       $32, R10
	ADDQ       $32, R11
	DECQ       CX
	JNZ        utloop

	VZEROUPPER
	RET

// TRANSPOSE4 transposes the 4×4 matrix of float64 rows r0..r3 in place,
// using t0..t3 as scratch: the unpacks pair elements 0 and 2 (1 and 3) of
// rows 0, 1 and of rows 2, 3; the 128-bit permutes join the halves into
// columns 0..3.
#define TRANSPOSE4(r0, r1, r2, r3, t0, t1, t2, t3) \
	VUNPCKLPD r1, r0, t0         \
	VUNPCKHPD r1, r0, t1         \
	VUNPCKLPD r3, r2, t2         \
	VUNPCKHPD r3, r2, t3         \
	VPERM2F128 $0x20, t2, t0, r0 \
	VPERM2F128 $0x20, t3, t1, r1 \
	VPERM2F128 $0x31, t2, t0, r2 \
	VPERM2F128 $0x31, t3, t1, r3

// func dft4AVX(re, im []float64)
//
// dft4 on four blocks of four values at a time: the blocks are loaded as
// rows, transposed so that a, b, c, d (each block's values) are columns,
// combined as in dft4, transposed back and stored.
TEXT ·dft4AVX(SB), NOSPLIT, $0-48
	MOVQ re_base+0(FP), SI
	MOVQ re_len+8(FP), CX
	MOVQ im_base+24(FP), DI
	SHRQ $4, CX
	JE   d4done

d4loop:
	VMOVUPD (SI), Y0
	VMOVUPD 32(SI), Y1
	VMOVUPD 64(SI), Y2
	VMOVUPD 96(SI), Y3
	TRANSPOSE4(Y0, Y1, Y2, Y3, Y8, Y9, Y10, Y11)   // Y0..Y3 = ar br cr dr
	VMOVUPD (DI), Y4
	VMOVUPD 32(DI), Y5
	VMOVUPD 64(DI), Y6
	VMOVUPD 96(DI), Y7
	TRANSPOSE4(Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11)   // Y4..Y7 = ai bi ci di

	VADDPD Y2, Y0, Y8             // t0r = ar+cr
	VADDPD Y6, Y4, Y9             // t0i
	VSUBPD Y2, Y0, Y10            // t1r = ar-cr
	VSUBPD Y6, Y4, Y11            // t1i
	VADDPD Y3, Y1, Y12            // t2r = br+dr
	VADDPD Y7, Y5, Y13            // t2i
	VSUBPD Y7, Y5, Y14            // t3r = bi-di
	VSUBPD Y1, Y3, Y15            // t3i = dr-br
	VADDPD Y12, Y8, Y0            // out0 r
	VADDPD Y13, Y9, Y4            // out0 i
	VSUBPD Y12, Y8, Y1            // out1 r
	VSUBPD Y13, Y9, Y5            // out1 i
	VADDPD Y14, Y10, Y2           // out2 r
	VADDPD Y15, Y11, Y6           // out2 i
	VSUBPD Y14, Y10, Y3           // out3 r
	VSUBPD Y15, Y11, Y7           // out3 i

	TRANSPOSE4(Y0, Y1, Y2, Y3, Y8, Y9, Y10, Y11)
	VMOVUPD Y0, (SI)
	VMOVUPD Y1, 32(SI)
	VMOVUPD Y2, 64(SI)
	VMOVUPD Y3, 96(SI)
	TRANSPOSE4(Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11)
	VMOVUPD Y4, (DI)
	VMOVUPD Y5, 32(DI)
	VMOVUPD Y6, 64(DI)
	VMOVUPD Y7, 96(DI)

	ADDQ $128, SI
	ADDQ $128, DI
	DECQ CX
	JNZ  d4loop

d4done:
	VZEROUPPER
	RET
