//go:build !noasm

#include "textflag.h"

// The AVX-512 kernels compute what their AVX twins in kernels_amd64.s
// compute, sixteen lanes at a time, with the same separate multiplies and
// adds in the same order for every value, so they give the same bits.
// Partial column blocks are masked with opmask registers (K1, K2).

// ZFIRST stores in r the product of the tap block of wt's row o+j (BX,
// rows R11 bytes apart) and g[o+j] (AX); ZNEXT adds that product to r.
// Both step BX to the next row.
#define ZFIRST(j, r) \
	VMOVUPS.Z   (BX), K1, Z8    \
	VMULPS.BCST j*4(AX), Z8, r  \
	ADDQ        R11, BX

#define ZNEXT(j, r) \
	VMOVUPS.Z   (BX), K1, Z8    \
	VMULPS.BCST j*4(AX), Z8, Z9 \
	VADDPS      Z9, r, r        \
	ADDQ        R11, BX

// func dxRowZ(dx *float32, step int, wt *float32, taps int, dz *float32, cout, n int, last uint16)
//
// dxRowAVX with blocks of sixteen taps (the last one masked by last).
TEXT ·dxRowZ(SB), NOSPLIT, $0-58
	MOVQ    dx+0(FP), DI
	MOVQ    step+8(FP), R8
	SHLQ    $2, R8
	MOVQ    wt+16(FP), SI
	MOVQ    taps+24(FP), R11
	SHLQ    $2, R11
	MOVQ    dz+32(FP), DX
	MOVQ    cout+40(FP), R12
	MOVQ    n+48(FP), CX
	MOVWLZX last+56(FP), AX
	KMOVW   AX, K2
	MOVL    $0xffff, AX
	KMOVW   AX, K3
	TESTQ   CX, CX
	JE      zxdone

zxpos:
	MOVQ DI, R9
	MOVQ SI, R10
	MOVQ taps+24(FP), R14
	ADDQ $15, R14
	SHRQ $4, R14

zxblock:
	KMOVW K3, K1
	CMPQ  R14, $1
	JNE   zxfull
	KMOVW K2, K1

zxfull:
	MOVQ R10, BX
	MOVQ DX, AX
	ZFIRST(0, Z0)
	ZFIRST(1, Z1)
	ZFIRST(2, Z2)
	ZFIRST(3, Z3)
	ZFIRST(4, Z4)
	ZFIRST(5, Z5)
	ZFIRST(6, Z6)
	ZFIRST(7, Z7)
	MOVQ R12, R15
	SHRQ $3, R15
	DECQ R15
	JE   zxreduce

zxouts:
	ADDQ $32, AX
	ZNEXT(0, Z0)
	ZNEXT(1, Z1)
	ZNEXT(2, Z2)
	ZNEXT(3, Z3)
	ZNEXT(4, Z4)
	ZNEXT(5, Z5)
	ZNEXT(6, Z6)
	ZNEXT(7, Z7)
	DECQ R15
	JNZ  zxouts

zxreduce:
	VADDPS    Z4, Z0, Z0
	VADDPS    Z5, Z1, Z1
	VADDPS    Z6, Z2, Z2
	VADDPS    Z7, Z3, Z3
	VADDPS    Z2, Z0, Z0
	VADDPS    Z3, Z1, Z1
	VADDPS    Z1, Z0, Z0
	CMPQ      R14, $1
	JE        zxlast
	VMOVUPS   (R9), Z1                 // unmasked, so that the next
	VADDPS    Z0, Z1, Z1               // position's load is forwarded
	VMOVUPS   Z1, (R9)
	JMP       zxnext

zxlast:
	VMOVUPS.Z (R9), K1, Z1
	VADDPS    Z0, Z1, Z1
	VMOVUPS   Z1, K1, (R9)

zxnext:
	ADDQ      $64, R9
	ADDQ      $64, R10
	DECQ      R14
	JNZ       zxblock

	ADDQ R8, DI
	MOVQ R12, AX
	SHLQ $2, AX
	ADDQ AX, DX
	DECQ CX
	JNZ  zxpos

zxdone:
	VZEROUPPER
	RET

// ZR1 adds to c0 the product of a(r, i) at addr and b's row i (Z30); ZR2
// does the same for two column vectors (Z30, Z31 into c0, c1).
#define ZR1(addr, c0) \
	VMULPS.BCST addr, Z30, Z28 \
	VADDPS      Z28, c0, c0

#define ZR2(addr, c0, c1) \
	VMULPS.BCST addr, Z30, Z28 \
	VADDPS      Z28, c0, c0    \
	VMULPS.BCST addr, Z31, Z29 \
	VADDPS      Z29, c1, c1

// ZLOAD1/ZLOAD2 load row BX of c into the accumulators and step BX on;
// ZSTORE1/ZSTORE2 store them.
#define ZLOAD1(c0) \
	VMOVUPS.Z (BX), K1, c0 \
	ADDQ      R8, BX

#define ZLOAD2(c0, c1) \
	VMOVUPS.Z (BX), K1, c0   \
	VMOVUPS.Z 64(BX), K2, c1 \
	ADDQ      R8, BX

#define ZSTORE1(c0) \
	VMOVUPS c0, K1, (BX) \
	ADDQ    R8, BX

#define ZSTORE2(c0, c1) \
	VMOVUPS c0, K1, (BX)   \
	VMOVUPS c1, K2, 64(BX) \
	ADDQ    R8, BX

// ZRELU sets the negative values of r (and −0) to +0, as relu does.
#define ZRELU(r) \
	VPSRAD  $31, r, Z28 \
	VPANDND r, Z28, r

// func gemmZ(c *float32, ldc int, init *float32, a *float32, ars, ais, ais1 int, b *float32, ldb, rows, k, k1 int, masks uint32, relu int)
//
// gemmGo for one block of up to 32 columns (two vectors, masked by the low
// and high halves of masks; one vector when the high half is 0), each row
// starting from init[0:32] instead of c when init is not nil, and with
// relu applied to the results when relu is not 0. Rows go
// eight at a time, then four, then one. The frame holds the group counter
// and the step from the end of one group of a to the start of the next.
TEXT ·gemmZ(SB), NOSPLIT, $16-112
	MOVQ  c+0(FP), DI
	MOVQ  ldc+8(FP), R8
	SHLQ  $2, R8
	MOVQ  a+24(FP), SI
	MOVQ  ars+32(FP), R9
	SHLQ  $2, R9
	MOVQ  ais+40(FP), R10
	SHLQ  $2, R10
	MOVQ  ldb+64(FP), R11
	SHLQ  $2, R11
	MOVQ  rows+72(FP), CX
	MOVQ  k+80(FP), R12
	MOVL  masks+96(FP), AX
	KMOVW AX, K1
	SHRL  $16, AX
	KMOVW AX, K2
	MOVQ  ais1+48(FP), AX
	SHLQ  $2, AX
	MOVQ  R12, BX
	IMULQ R10, BX
	SUBQ  BX, AX
	MOVQ  AX, 8(SP)                 // a: next group
	LEAQ  (R9)(R9*2), R13           // three rows of a
	TESTQ R12, R12
	JE    zgdone
	CMPQ  k1+88(FP), $0
	JE    zgdone
	MOVL  masks+96(FP), AX
	SHRL  $16, AX
	TESTL AX, AX
	JE    zg1

	// Two vectors of columns.
zg2b8:
	CMPQ      CX, $8
	JL        zg2b4
	MOVQ      init+16(FP), BX
	TESTQ     BX, BX
	JE        zg2b8c
	VMOVUPS.Z (BX), K1, Z0
	VMOVUPS.Z 64(BX), K2, Z1
	VMOVAPS   Z0, Z2
	VMOVAPS   Z1, Z3
	VMOVAPS   Z0, Z4
	VMOVAPS   Z1, Z5
	VMOVAPS   Z0, Z6
	VMOVAPS   Z1, Z7
	VMOVAPS   Z0, Z8
	VMOVAPS   Z1, Z9
	VMOVAPS   Z0, Z10
	VMOVAPS   Z1, Z11
	VMOVAPS   Z0, Z12
	VMOVAPS   Z1, Z13
	VMOVAPS   Z0, Z14
	VMOVAPS   Z1, Z15
	JMP       zg2b8go

zg2b8c:
	MOVQ DI, BX
	ZLOAD2(Z0, Z1)
	ZLOAD2(Z2, Z3)
	ZLOAD2(Z4, Z5)
	ZLOAD2(Z6, Z7)
	ZLOAD2(Z8, Z9)
	ZLOAD2(Z10, Z11)
	ZLOAD2(Z12, Z13)
	ZLOAD2(Z14, Z15)

zg2b8go:
	MOVQ SI, AX
	LEAQ (SI)(R9*4), DX
	MOVQ b+56(FP), BX
	MOVQ k1+88(FP), R15

zg2b8grp:
	MOVQ R12, R14

zg2b8k:
	VMOVUPS.Z (BX), K1, Z30
	VMOVUPS.Z 64(BX), K2, Z31
	ZR2((AX), Z0, Z1)
	ZR2((AX)(R9*1), Z2, Z3)
	ZR2((AX)(R9*2), Z4, Z5)
	ZR2((AX)(R13*1), Z6, Z7)
	ZR2((DX), Z8, Z9)
	ZR2((DX)(R9*1), Z10, Z11)
	ZR2((DX)(R9*2), Z12, Z13)
	ZR2((DX)(R13*1), Z14, Z15)
	ADDQ      R10, AX
	ADDQ      R10, DX
	ADDQ      R11, BX
	DECQ      R14
	JNZ       zg2b8k
	ADDQ      8(SP), AX
	ADDQ      8(SP), DX
	DECQ      R15
	JNZ       zg2b8grp

	MOVQ relu+104(FP), BX
	TESTQ BX, BX
	JE   zg2b8st
	ZRELU(Z0)
	ZRELU(Z1)
	ZRELU(Z2)
	ZRELU(Z3)
	ZRELU(Z4)
	ZRELU(Z5)
	ZRELU(Z6)
	ZRELU(Z7)
	ZRELU(Z8)
	ZRELU(Z9)
	ZRELU(Z10)
	ZRELU(Z11)
	ZRELU(Z12)
	ZRELU(Z13)
	ZRELU(Z14)
	ZRELU(Z15)

zg2b8st:
	MOVQ DI, BX
	ZSTORE2(Z0, Z1)
	ZSTORE2(Z2, Z3)
	ZSTORE2(Z4, Z5)
	ZSTORE2(Z6, Z7)
	ZSTORE2(Z8, Z9)
	ZSTORE2(Z10, Z11)
	ZSTORE2(Z12, Z13)
	ZSTORE2(Z14, Z15)
	LEAQ (DI)(R8*8), DI
	LEAQ (SI)(R9*8), SI
	SUBQ $8, CX
	JMP  zg2b8

zg2b4:
	CMPQ      CX, $4
	JL        zg2b1
	MOVQ      init+16(FP), BX
	TESTQ     BX, BX
	JE        zg2b4c
	VMOVUPS.Z (BX), K1, Z0
	VMOVUPS.Z 64(BX), K2, Z1
	VMOVAPS   Z0, Z2
	VMOVAPS   Z1, Z3
	VMOVAPS   Z0, Z4
	VMOVAPS   Z1, Z5
	VMOVAPS   Z0, Z6
	VMOVAPS   Z1, Z7
	JMP       zg2b4go

zg2b4c:
	MOVQ DI, BX
	ZLOAD2(Z0, Z1)
	ZLOAD2(Z2, Z3)
	ZLOAD2(Z4, Z5)
	ZLOAD2(Z6, Z7)

zg2b4go:
	MOVQ SI, AX
	MOVQ b+56(FP), BX
	MOVQ k1+88(FP), R15

zg2b4grp:
	MOVQ R12, R14

zg2b4k:
	VMOVUPS.Z (BX), K1, Z30
	VMOVUPS.Z 64(BX), K2, Z31
	ZR2((AX), Z0, Z1)
	ZR2((AX)(R9*1), Z2, Z3)
	ZR2((AX)(R9*2), Z4, Z5)
	ZR2((AX)(R13*1), Z6, Z7)
	ADDQ      R10, AX
	ADDQ      R11, BX
	DECQ      R14
	JNZ       zg2b4k
	ADDQ      8(SP), AX
	DECQ      R15
	JNZ       zg2b4grp

	MOVQ relu+104(FP), BX
	TESTQ BX, BX
	JE   zg2b4st
	ZRELU(Z0)
	ZRELU(Z1)
	ZRELU(Z2)
	ZRELU(Z3)
	ZRELU(Z4)
	ZRELU(Z5)
	ZRELU(Z6)
	ZRELU(Z7)

zg2b4st:
	MOVQ DI, BX
	ZSTORE2(Z0, Z1)
	ZSTORE2(Z2, Z3)
	ZSTORE2(Z4, Z5)
	ZSTORE2(Z6, Z7)
	LEAQ (DI)(R8*4), DI
	LEAQ (SI)(R9*4), SI
	SUBQ $4, CX
	JMP  zg2b4

zg2b1:
	TESTQ     CX, CX
	JE        zgdone
	MOVQ      init+16(FP), BX
	TESTQ     BX, BX
	JNE       zg2b1i
	MOVQ      DI, BX

zg2b1i:
	VMOVUPS.Z (BX), K1, Z0
	VMOVUPS.Z 64(BX), K2, Z1
	MOVQ      SI, AX
	MOVQ      b+56(FP), BX
	MOVQ      k1+88(FP), R15

zg2b1grp:
	MOVQ R12, R14

zg2b1k:
	VMOVUPS.Z (BX), K1, Z30
	VMOVUPS.Z 64(BX), K2, Z31
	ZR2((AX), Z0, Z1)
	ADDQ      R10, AX
	ADDQ      R11, BX
	DECQ      R14
	JNZ       zg2b1k
	ADDQ      8(SP), AX
	DECQ      R15
	JNZ       zg2b1grp

	MOVQ relu+104(FP), BX
	TESTQ BX, BX
	JE   zg2b1st
	ZRELU(Z0)
	ZRELU(Z1)

zg2b1st:
	MOVQ DI, BX
	ZSTORE2(Z0, Z1)
	ADDQ R8, DI
	ADDQ R9, SI
	DECQ CX
	JMP  zg2b1

	// One vector of columns.
zg1:
zg1b8:
	CMPQ      CX, $8
	JL        zg1b4
	MOVQ      init+16(FP), BX
	TESTQ     BX, BX
	JE        zg1b8c
	VMOVUPS.Z (BX), K1, Z0
	VMOVAPS   Z0, Z1
	VMOVAPS   Z0, Z2
	VMOVAPS   Z0, Z3
	VMOVAPS   Z0, Z4
	VMOVAPS   Z0, Z5
	VMOVAPS   Z0, Z6
	VMOVAPS   Z0, Z7
	JMP       zg1b8go

zg1b8c:
	MOVQ DI, BX
	ZLOAD1(Z0)
	ZLOAD1(Z1)
	ZLOAD1(Z2)
	ZLOAD1(Z3)
	ZLOAD1(Z4)
	ZLOAD1(Z5)
	ZLOAD1(Z6)
	ZLOAD1(Z7)

zg1b8go:
	MOVQ SI, AX
	LEAQ (SI)(R9*4), DX
	MOVQ b+56(FP), BX
	MOVQ k1+88(FP), R15

zg1b8grp:
	MOVQ R12, R14

zg1b8k:
	VMOVUPS.Z (BX), K1, Z30
	ZR1((AX), Z0)
	ZR1((AX)(R9*1), Z1)
	ZR1((AX)(R9*2), Z2)
	ZR1((AX)(R13*1), Z3)
	ZR1((DX), Z4)
	ZR1((DX)(R9*1), Z5)
	ZR1((DX)(R9*2), Z6)
	ZR1((DX)(R13*1), Z7)
	ADDQ      R10, AX
	ADDQ      R10, DX
	ADDQ      R11, BX
	DECQ      R14
	JNZ       zg1b8k
	ADDQ      8(SP), AX
	ADDQ      8(SP), DX
	DECQ      R15
	JNZ       zg1b8grp

	MOVQ relu+104(FP), BX
	TESTQ BX, BX
	JE   zg1b8st
	ZRELU(Z0)
	ZRELU(Z1)
	ZRELU(Z2)
	ZRELU(Z3)
	ZRELU(Z4)
	ZRELU(Z5)
	ZRELU(Z6)
	ZRELU(Z7)

zg1b8st:
	MOVQ DI, BX
	ZSTORE1(Z0)
	ZSTORE1(Z1)
	ZSTORE1(Z2)
	ZSTORE1(Z3)
	ZSTORE1(Z4)
	ZSTORE1(Z5)
	ZSTORE1(Z6)
	ZSTORE1(Z7)
	LEAQ (DI)(R8*8), DI
	LEAQ (SI)(R9*8), SI
	SUBQ $8, CX
	JMP  zg1b8

zg1b4:
	CMPQ      CX, $4
	JL        zg1b1
	MOVQ      init+16(FP), BX
	TESTQ     BX, BX
	JE        zg1b4c
	VMOVUPS.Z (BX), K1, Z0
	VMOVAPS   Z0, Z1
	VMOVAPS   Z0, Z2
	VMOVAPS   Z0, Z3
	JMP       zg1b4go

zg1b4c:
	MOVQ DI, BX
	ZLOAD1(Z0)
	ZLOAD1(Z1)
	ZLOAD1(Z2)
	ZLOAD1(Z3)

zg1b4go:
	MOVQ SI, AX
	MOVQ b+56(FP), BX
	MOVQ k1+88(FP), R15

zg1b4grp:
	MOVQ R12, R14

zg1b4k:
	VMOVUPS.Z (BX), K1, Z30
	ZR1((AX), Z0)
	ZR1((AX)(R9*1), Z1)
	ZR1((AX)(R9*2), Z2)
	ZR1((AX)(R13*1), Z3)
	ADDQ      R10, AX
	ADDQ      R11, BX
	DECQ      R14
	JNZ       zg1b4k
	ADDQ      8(SP), AX
	DECQ      R15
	JNZ       zg1b4grp

	MOVQ relu+104(FP), BX
	TESTQ BX, BX
	JE   zg1b4st
	ZRELU(Z0)
	ZRELU(Z1)
	ZRELU(Z2)
	ZRELU(Z3)

zg1b4st:
	MOVQ DI, BX
	ZSTORE1(Z0)
	ZSTORE1(Z1)
	ZSTORE1(Z2)
	ZSTORE1(Z3)
	LEAQ (DI)(R8*4), DI
	LEAQ (SI)(R9*4), SI
	SUBQ $4, CX
	JMP  zg1b4

zg1b1:
	TESTQ     CX, CX
	JE        zgdone
	MOVQ      init+16(FP), BX
	TESTQ     BX, BX
	JNE       zg1b1i
	MOVQ      DI, BX

zg1b1i:
	VMOVUPS.Z (BX), K1, Z0
	MOVQ      SI, AX
	MOVQ      b+56(FP), BX
	MOVQ      k1+88(FP), R15

zg1b1grp:
	MOVQ R12, R14

zg1b1k:
	VMOVUPS.Z (BX), K1, Z30
	ZR1((AX), Z0)
	ADDQ      R10, AX
	ADDQ      R11, BX
	DECQ      R14
	JNZ       zg1b1k
	ADDQ      8(SP), AX
	DECQ      R15
	JNZ       zg1b1grp

	MOVQ relu+104(FP), BX
	TESTQ BX, BX
	JE   zg1b1st
	ZRELU(Z0)

zg1b1st:
	MOVQ DI, BX
	ZSTORE1(Z0)
	ADDQ R8, DI
	ADDQ R9, SI
	DECQ CX
	JMP  zg1b1

zgdone:
	VZEROUPPER
	RET

DATA lanes16<>+0(SB)/4, $0
DATA lanes16<>+4(SB)/4, $1
DATA lanes16<>+8(SB)/4, $2
DATA lanes16<>+12(SB)/4, $3
DATA lanes16<>+16(SB)/4, $4
DATA lanes16<>+20(SB)/4, $5
DATA lanes16<>+24(SB)/4, $6
DATA lanes16<>+28(SB)/4, $7
DATA lanes16<>+32(SB)/4, $8
DATA lanes16<>+36(SB)/4, $9
DATA lanes16<>+40(SB)/4, $10
DATA lanes16<>+44(SB)/4, $11
DATA lanes16<>+48(SB)/4, $12
DATA lanes16<>+52(SB)/4, $13
DATA lanes16<>+56(SB)/4, $14
DATA lanes16<>+60(SB)/4, $15
GLOBL lanes16<>(SB), RODATA|NOPTR, $64

// ZPOOLCAND compares the candidate at off with the best so far (Z0,
// indices Z1): strictly greater values replace it (the first maximum
// wins, NaN never does), with indices Z4 plus inc.
#define ZPOOLCAND(off, inc) \
	VMOVUPS off, Z2             \
	VCMPPS  $0x1e, Z0, Z2, K1   \
	VMOVAPS Z2, K1, Z0          \
	VPADDD  inc, Z4, K1, Z1

// func pool2RowZ(y *float32, idx *int32, x *float32, n, c, w int, base int32, rows int)
//
// pool2RowAVX (rows = 2) or pool1RowAVX (rows = 1) for c a multiple of 16.
TEXT ·pool2RowZ(SB), NOSPLIT, $0-64
	MOVQ         y+0(FP), DI
	MOVQ         idx+8(FP), R8
	MOVQ         x+16(FP), SI
	MOVQ         n+24(FP), CX
	MOVQ         c+32(FP), R9
	MOVQ         w+40(FP), R10
	IMULQ        R9, R10                 // w·c values
	MOVL         base+48(FP), AX
	VPBROADCASTD AX, Z4
	VPADDD       lanes16<>(SB), Z4, Z4   // base + 0..15
	VPBROADCASTD R9, Z5                  // c
	VPBROADCASTD R10, Z6                 // w·c
	VPADDD       Z5, Z6, Z7              // w·c + c
	MOVL         $16, AX
	VPBROADCASTD AX, Z8
	SHLQ         $2, R9                  // c in bytes
	SHLQ         $2, R10                 // w·c in bytes
	MOVQ         rows+56(FP), R12
	TESTQ        CX, CX
	JE           zp2done

zp2win:
	MOVQ R9, R11
	SHRQ $6, R11                         // channel groups of 16
	MOVQ SI, BX

zp2ch:
	VMOVUPS   (BX), Z0
	VMOVDQA32 Z4, Z1
	ZPOOLCAND((BX)(R9*1), Z5)
	CMPQ      R12, $1
	JE        zp2store
	LEAQ      (BX)(R10*1), DX
	ZPOOLCAND((DX), Z6)
	ZPOOLCAND((DX)(R9*1), Z7)

zp2store:
	VMOVUPS   Z0, (DI)
	VMOVDQU32 Z1, (R8)
	ADDQ      $64, BX
	ADDQ      $64, DI
	ADDQ      $64, R8
	VPADDD    Z8, Z4, Z4
	DECQ      R11
	JNZ       zp2ch

	LEAQ   (SI)(R9*2), SI                // next window: two positions on
	VPADDD Z5, Z4, Z4                    // indices: c already added, c more
	DECQ   CX
	JNZ    zp2win

zp2done:
	VZEROUPPER
	RET

// ZPOOLBACK stores to off the gradient of one candidate: d (Z0) where the
// recorded argmax (Z1) equals the candidate's indices (Z4 plus inc), +0
// elsewhere.
#define ZPOOLBACK(off, inc) \
	VPADDD     inc, Z4, Z2       \
	VPCMPEQD   Z1, Z2, K1        \
	VMOVAPS.Z  Z0, K1, Z2        \
	VMOVUPS    Z2, off

// func poolBack2RowZ(dx *float32, dy *float32, idx *int32, yout *float32, n, c, w int, base int32, rows int)
//
// poolBack2RowAVX (rows = 2) or poolBack1RowAVX (rows = 1) for c a
// multiple of 16. When yout (the pooled outputs, laid out as dy) is not
// nil, d is +0 where the output has +0's bits: the maximum is the pooled
// input at the argmax, so this is reluBackward's mask (with no
// regulariser) over the pooled input, where the other inputs get +0 anyway.
TEXT ·poolBack2RowZ(SB), NOSPLIT, $0-72
	MOVQ         dx+0(FP), DI
	MOVQ         dy+8(FP), SI
	MOVQ         idx+16(FP), R8
	MOVQ         yout+24(FP), R12
	MOVW         $0, AX
	TESTQ        R12, R12
	JNE          zb2relu
	MOVQ         SI, R12                 // test dy itself; K7 makes it moot
	MOVW         $0xffff, AX

zb2relu:
	KMOVW        AX, K7
	SUBQ         SI, R12                 // yout − dy
	MOVQ         n+32(FP), CX
	MOVQ         c+40(FP), R9
	MOVQ         w+48(FP), R10
	IMULQ        R9, R10
	MOVL         base+56(FP), AX
	VPBROADCASTD AX, Z4
	VPADDD       lanes16<>(SB), Z4, Z4
	VPBROADCASTD R9, Z5                  // c
	VPBROADCASTD R10, Z6                 // w·c
	VPADDD       Z5, Z6, Z7              // w·c + c
	MOVL         $16, AX
	VPBROADCASTD AX, Z8
	VPXORD       Z9, Z9, Z9              // +0
	SHLQ         $2, R9
	SHLQ         $2, R10
	MOVQ         rows+64(FP), R13
	TESTQ        CX, CX
	JE           zb2done

zb2win:
	MOVQ R9, R11
	SHRQ $6, R11
	MOVQ DI, BX

zb2ch:
	VMOVDQU32 (SI)(R12*1), Z3            // the pooled output
	VPTESTMD  Z3, Z3, K2
	KORW      K7, K2, K2
	VADDPS.Z  (SI), Z9, K2, Z0           // dy + 0, or +0
	VMOVDQU32 (R8), Z1
	ZPOOLBACK((BX), Z9)
	ZPOOLBACK((BX)(R9*1), Z5)
	CMPQ      R13, $1
	JE        zb2next
	LEAQ      (BX)(R10*1), DX
	ZPOOLBACK((DX), Z6)
	ZPOOLBACK((DX)(R9*1), Z7)

zb2next:
	ADDQ      $64, BX
	ADDQ      $64, SI
	ADDQ      $64, R8
	VPADDD    Z8, Z4, Z4
	DECQ      R11
	JNZ       zb2ch

	LEAQ   (DI)(R9*2), DI
	VPADDD Z5, Z4, Z4
	DECQ   CX
	JNZ    zb2win

zb2done:
	VZEROUPPER
	RET

// func gemm9Z(c *float32, ldc int, a *float32, wp int, b *float32, ldb, w, h int, masks uint32)
//
// The kernel gradient of a 3×3 convolution of one input channel, as
// convBackwardPadded computes it from patches: for each of the nine taps
// (dy, dx) (row dy·3+dx of c) and up to 32 columns j (masked as gemmZ's),
// c(tap, j) += a[(oy+dy)·wp + ox+dx]·b[(oy·w+ox)·ldb + j] over the output
// positions (oy < h, ox < w) in order, a being the padded input (rows of
// wp values). All nine rows stay in registers, so b is read once.
TEXT ·gemm9Z(SB), NOSPLIT, $0-68
	MOVQ  c+0(FP), DI
	MOVQ  ldc+8(FP), R8
	SHLQ  $2, R8
	MOVQ  a+16(FP), SI
	MOVQ  wp+24(FP), R9
	SHLQ  $2, R9
	MOVQ  b+32(FP), BX
	MOVQ  ldb+40(FP), R11
	SHLQ  $2, R11
	MOVQ  w+48(FP), R12
	MOVQ  h+56(FP), R13
	MOVL  masks+64(FP), AX
	KMOVW AX, K1
	SHRL  $16, AX
	KMOVW AX, K2
	MOVQ  DI, DX
	VMOVUPS.Z (DX), K1, Z0
	VMOVUPS.Z 64(DX), K2, Z1
	ADDQ  R8, DX
	VMOVUPS.Z (DX), K1, Z2
	VMOVUPS.Z 64(DX), K2, Z3
	ADDQ  R8, DX
	VMOVUPS.Z (DX), K1, Z4
	VMOVUPS.Z 64(DX), K2, Z5
	ADDQ  R8, DX
	VMOVUPS.Z (DX), K1, Z6
	VMOVUPS.Z 64(DX), K2, Z7
	ADDQ  R8, DX
	VMOVUPS.Z (DX), K1, Z8
	VMOVUPS.Z 64(DX), K2, Z9
	ADDQ  R8, DX
	VMOVUPS.Z (DX), K1, Z10
	VMOVUPS.Z 64(DX), K2, Z11
	ADDQ  R8, DX
	VMOVUPS.Z (DX), K1, Z12
	VMOVUPS.Z 64(DX), K2, Z13
	ADDQ  R8, DX
	VMOVUPS.Z (DX), K1, Z14
	VMOVUPS.Z 64(DX), K2, Z15
	ADDQ  R8, DX
	VMOVUPS.Z (DX), K1, Z16
	VMOVUPS.Z 64(DX), K2, Z17
	TESTQ R12, R12
	JE    z9store
	TESTQ R13, R13
	JE    z9store

z9row:
	MOVQ SI, AX
	MOVQ R12, R14

z9col:
	VMOVUPS.Z (BX), K1, Z30
	VMOVUPS.Z 64(BX), K2, Z31
	ZR2((AX), Z0, Z1)
	ZR2(4(AX), Z2, Z3)
	ZR2(8(AX), Z4, Z5)
	ZR2((AX)(R9*1), Z6, Z7)
	ZR2(4(AX)(R9*1), Z8, Z9)
	ZR2(8(AX)(R9*1), Z10, Z11)
	ZR2((AX)(R9*2), Z12, Z13)
	ZR2(4(AX)(R9*2), Z14, Z15)
	ZR2(8(AX)(R9*2), Z16, Z17)
	ADDQ      $4, AX
	ADDQ      R11, BX
	DECQ      R14
	JNZ       z9col
	ADDQ      R9, SI
	DECQ      R13
	JNZ       z9row

z9store:
	MOVQ DI, BX
	ZSTORE2(Z0, Z1)
	ZSTORE2(Z2, Z3)
	ZSTORE2(Z4, Z5)
	ZSTORE2(Z6, Z7)
	ZSTORE2(Z8, Z9)
	ZSTORE2(Z10, Z11)
	ZSTORE2(Z12, Z13)
	ZSTORE2(Z14, Z15)
	ZSTORE2(Z16, Z17)
	VZEROUPPER
	RET

// func dwSparseZ(dwT, x, dz *float32, h, w, xrow, cin, cout, kh, taps int, cmask uint16)
//
// convDWSparse for one window on AVX-512 (taps a multiple of 16, cout at
// most 16 with cmask its lanes): for each output position in order and
// each output channel o whose gradient g is not ±0 (NaN included), and each
// kernel row dy, dwT[o][dy][t] += g·x[(oy+dy)·xrow + ox·cin + t] for t <
// taps, sixteen taps at a time. The frame holds the row and column counters.
TEXT ·dwSparseZ(SB), NOSPLIT, $16-82
	MOVQ    dwT+0(FP), DI
	MOVQ    x+8(FP), SI
	MOVQ    dz+16(FP), DX
	MOVQ    xrow+40(FP), R8
	SHLQ    $2, R8
	MOVQ    cin+48(FP), R9
	SHLQ    $2, R9
	MOVQ    taps+72(FP), R10
	SHRQ    $4, R10                    // blocks of sixteen taps
	MOVQ    kh+64(FP), R15
	IMULQ   taps+72(FP), R15
	SHLQ    $2, R15                    // one output channel of dwT in bytes
	MOVWLZX cmask+80(FP), AX
	KMOVW   AX, K3
	VPXORD  Z9, Z9, Z9
	MOVQ    h+24(FP), AX
	TESTQ   AX, AX
	JE      zsdone
	MOVQ    AX, 0(SP)

zsrow:
	MOVQ  SI, R13
	MOVQ  w+32(FP), AX
	TESTQ AX, AX
	JE    zsrownext
	MOVQ  AX, 8(SP)

zspos:
	VMOVUPS.Z (DX), K3, Z0
	VCMPPS    $4, Z9, Z0, K3, K1       // g ≠ 0 or NaN
	KMOVW     K1, AX
	TESTL     AX, AX
	JE        zsposnext

zsbit:
	BSFL         AX, BX                // o
	VBROADCASTSS (DX)(BX*4), Z1
	IMULQ        R15, BX
	LEAQ         (DI)(BX*1), CX        // dwT[o][0][0]
	MOVQ         R13, BX               // x at (oy, ox)
	MOVQ         kh+64(FP), R14

zsdy:
	MOVQ R10, R11
	MOVQ BX, R12

zsblk:
	VMULPS  (R12), Z1, Z2
	VMOVUPS (CX), Z3
	VADDPS  Z2, Z3, Z3
	VMOVUPS Z3, (CX)
	ADDQ    $64, R12
	ADDQ    $64, CX
	DECQ    R11
	JNZ     zsblk
	ADDQ    R8, BX
	DECQ    R14
	JNZ     zsdy
	LEAL    -1(AX), BX
	ANDL    BX, AX
	JNZ     zsbit

zsposnext:
	ADDQ R9, R13
	MOVQ cout+56(FP), BX
	LEAQ (DX)(BX*4), DX
	DECQ 8(SP)
	JNZ  zspos

zsrownext:
	ADDQ R8, SI
	DECQ 0(SP)
	JNZ  zsrow

zsdone:
	VZEROUPPER
	RET

// func dxSparseZ(dx *float32, step int, wt *float32, taps int, dz *float32, cout, n int)
//
// backInputTSparse on AVX-512 (taps a multiple of 16, cout 8 or 16): for
// each position p in order with some output gradient g[o] not ±0 (NaN
// included), and each block of sixteen taps, the lane sums P_j (+0, then
// the products wt[o·taps + t]·g[o] of those o with o mod 8 = j in order)
// are combined as dxRowZ combines them and added to dx[p·step + t]. The
// lane sums live in the frame.
TEXT ·dxSparseZ(SB), NOSPLIT, $512-56
	MOVQ   dx+0(FP), DI
	MOVQ   wt+16(FP), SI
	MOVQ   taps+24(FP), R11
	SHLQ   $2, R11                     // a row of wt in bytes
	MOVQ   dz+32(FP), DX
	MOVQ   cout+40(FP), AX
	MOVL   $1, BX
	MOVL   AX, CX
	SHLL   CX, BX
	DECL   BX
	KMOVW  BX, K3                      // the cout lanes
	VPXORD Z9, Z9, Z9
	MOVQ   n+48(FP), R13
	TESTQ  R13, R13
	JE     zddone

zdpos:
	VMOVUPS.Z (DX), K3, Z0
	VCMPPS    $4, Z9, Z0, K3, K1       // g ≠ 0 or NaN
	KMOVW     K1, R8
	TESTL     R8, R8
	JE        zdnext
	MOVQ      DI, R9                   // &dx[p·step + t]
	MOVQ      SI, R10                  // &wt[t]
	MOVQ      taps+24(FP), R14
	SHRQ      $4, R14

zdblock:
	VMOVUPS Z9, 0(SP)
	VMOVUPS Z9, 64(SP)
	VMOVUPS Z9, 128(SP)
	VMOVUPS Z9, 192(SP)
	VMOVUPS Z9, 256(SP)
	VMOVUPS Z9, 320(SP)
	VMOVUPS Z9, 384(SP)
	VMOVUPS Z9, 448(SP)
	MOVL    R8, AX

zdbit:
	BSFL         AX, BX                // o
	VBROADCASTSS (DX)(BX*4), Z1
	MOVQ         BX, CX
	IMULQ        R11, CX
	VMOVUPS      (R10)(CX*1), Z2
	VMULPS       Z1, Z2, Z2            // wt·g
	ANDL         $7, BX
	SHLL         $6, BX
	VMOVUPS      (SP)(BX*1), Z3
	VADDPS       Z2, Z3, Z3
	VMOVUPS      Z3, (SP)(BX*1)
	LEAL         -1(AX), BX
	ANDL         BX, AX
	JNZ          zdbit

	VMOVUPS 0(SP), Z0
	VMOVUPS 64(SP), Z1
	VMOVUPS 128(SP), Z2
	VMOVUPS 192(SP), Z3
	VMOVUPS 256(SP), Z4
	VMOVUPS 320(SP), Z5
	VMOVUPS 384(SP), Z6
	VMOVUPS 448(SP), Z7
	VADDPS  Z4, Z0, Z0
	VADDPS  Z5, Z1, Z1
	VADDPS  Z6, Z2, Z2
	VADDPS  Z7, Z3, Z3
	VADDPS  Z2, Z0, Z0
	VADDPS  Z3, Z1, Z1
	VADDPS  Z1, Z0, Z0
	VMOVUPS (R9), Z1
	VADDPS  Z0, Z1, Z1
	VMOVUPS Z1, (R9)
	ADDQ    $64, R9
	ADDQ    $64, R10
	DECQ    R14
	JNZ     zdblock

zdnext:
	MOVQ step+8(FP), AX
	LEAQ (DI)(AX*4), DI
	MOVQ cout+40(FP), AX
	LEAQ (DX)(AX*4), DX
	DECQ R13
	JNZ  zdpos

zddone:
	VZEROUPPER
	RET

// func allFiniteZ(x *float32, blocks int) bool
//
// allFinite for blocks·16 values: no value has all exponent bits set.
TEXT ·allFiniteZ(SB), NOSPLIT, $0-17
	MOVQ         x+0(FP), SI
	MOVQ         blocks+8(FP), CX
	MOVL         $0x7f800000, AX
	VPBROADCASTD AX, Z1
	KXORW        K2, K2, K2
	TESTQ        CX, CX
	JE           zafdone

zafloop:
	VPANDD   (SI), Z1, Z0
	VPCMPEQD Z1, Z0, K1
	KORW     K1, K2, K2
	ADDQ     $64, SI
	DECQ     CX
	JNZ      zafloop

zafdone:
	KORTESTW K2, K2
	SETEQ    ret+16(FP)
	VZEROUPPER
	RET
