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

// func gemm16(c *float32, ldc int, a *float32, ars, ais int, b *float32, ldb, rows, k int, mask *[16]int32, k1, ais1 int)
//
// gemmGo for one block of up to sixteen columns (two vectors, masked by
// mask): for every row r < rows, c(r, ·) += Σ_i a(r, i)·b(i, ·) in order
// of i, each product rounded before it is added; i runs over k1 groups of
// k, a(r, i1·k+i2) is a[r·ars + i1·ais1 + i2·ais], b(i, ·) starts at
// b[i·ldb], c(r, ·) at c[r·ldc]. Rows go four at a time (eight
// accumulators), then one at a time. The frame holds the group counter and
// the step from the end of one group of a to the start of the next.
TEXT ·gemm16(SB), NOSPLIT, $16-96
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
	MOVQ       ais1+88(FP), AX
	SHLQ       $2, AX
	MOVQ       R12, BX
	IMULQ      R10, BX
	SUBQ       BX, AX
	MOVQ       AX, 8(SP)                 // a: next group
	LEAQ       (R9)(R9*2), R13
	TESTQ      R12, R12
	JE         gmdone
	CMPQ       k1+80(FP), $0
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
	MOVQ       k1+80(FP), R14
	MOVQ       R14, 0(SP)

gm4group:
	MOVQ       R12, R14

gm4loop:
	VMASKMOVPS (BX), Y10, Y8
	VMASKMOVPS 32(BX), Y11, Y9
	GEMMROW4
	ADDQ       R10, AX
	ADDQ       R11, BX
	DECQ       R14
	JNZ        gm4loop
	ADDQ       8(SP), AX
	DECQ       0(SP)
	JNZ        gm4group

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
	MOVQ       k1+80(FP), R14
	MOVQ       R14, 0(SP)

gm1group:
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
	ADDQ         8(SP), AX
	DECQ         0(SP)
	JNZ          gm1group

	VMASKMOVPS Y0, Y10, (DI)
	VMASKMOVPS Y1, Y11, 32(DI)
	ADDQ       R8, DI
	ADDQ       R9, SI
	DECQ       CX
	JMP        gmrow1

gmdone:
	VZEROUPPER
	RET

// GEMM8ROW accumulates step i for row r (a at off(AX)) into acc: Y8 holds
// b's row i.
#define GEMM8ROW(off, acc) \
	VBROADCASTSS off, Y12  \
	VMULPS       Y8, Y12, Y13 \
	VADDPS       Y13, acc, acc

// func gemm8(c *float32, ldc int, a *float32, ars, ais int, b *float32, ldb, rows, k int, mask *[16]int32, k1, ais1 int)
//
// gemm16 for a block of at most eight columns (one vector, masked by
// mask[0:8]): rows go eight at a time (eight accumulators), then one at a
// time.
TEXT ·gemm8(SB), NOSPLIT, $16-96
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
	MOVQ       ais1+88(FP), AX
	SHLQ       $2, AX
	MOVQ       R12, BX
	IMULQ      R10, BX
	SUBQ       BX, AX
	MOVQ       AX, 8(SP)
	LEAQ       (R9)(R9*2), R13
	TESTQ      R12, R12
	JE         g8done
	CMPQ       k1+80(FP), $0
	JE         g8done

g8block:
	CMPQ       CX, $8
	JL         g8row1
	MOVQ       DI, BX
	VMASKMOVPS (BX), Y10, Y0
	ADDQ       R8, BX
	VMASKMOVPS (BX), Y10, Y1
	ADDQ       R8, BX
	VMASKMOVPS (BX), Y10, Y2
	ADDQ       R8, BX
	VMASKMOVPS (BX), Y10, Y3
	ADDQ       R8, BX
	VMASKMOVPS (BX), Y10, Y4
	ADDQ       R8, BX
	VMASKMOVPS (BX), Y10, Y5
	ADDQ       R8, BX
	VMASKMOVPS (BX), Y10, Y6
	ADDQ       R8, BX
	VMASKMOVPS (BX), Y10, Y7
	MOVQ       SI, AX
	MOVQ       DX, BX
	MOVQ       k1+80(FP), R14
	MOVQ       R14, 0(SP)

g8group:
	MOVQ       R12, R14

g8loop:
	VMASKMOVPS (BX), Y10, Y8
	LEAQ       (AX)(R9*4), R15
	GEMM8ROW((AX), Y0)
	GEMM8ROW((AX)(R9*1), Y1)
	GEMM8ROW((AX)(R9*2), Y2)
	GEMM8ROW((AX)(R13*1), Y3)
	GEMM8ROW((R15), Y4)
	GEMM8ROW((R15)(R9*1), Y5)
	GEMM8ROW((R15)(R9*2), Y6)
	GEMM8ROW((R15)(R13*1), Y7)
	ADDQ       R10, AX
	ADDQ       R11, BX
	DECQ       R14
	JNZ        g8loop
	ADDQ       8(SP), AX
	DECQ       0(SP)
	JNZ        g8group

	MOVQ       DI, BX
	VMASKMOVPS Y0, Y10, (BX)
	ADDQ       R8, BX
	VMASKMOVPS Y1, Y10, (BX)
	ADDQ       R8, BX
	VMASKMOVPS Y2, Y10, (BX)
	ADDQ       R8, BX
	VMASKMOVPS Y3, Y10, (BX)
	ADDQ       R8, BX
	VMASKMOVPS Y4, Y10, (BX)
	ADDQ       R8, BX
	VMASKMOVPS Y5, Y10, (BX)
	ADDQ       R8, BX
	VMASKMOVPS Y6, Y10, (BX)
	ADDQ       R8, BX
	VMASKMOVPS Y7, Y10, (BX)
	LEAQ       (DI)(R8*8), DI
	LEAQ       (SI)(R9*8), SI
	SUBQ       $8, CX
	JMP        g8block

g8row1:
	TESTQ      CX, CX
	JE         g8done
	VMASKMOVPS (DI), Y10, Y0
	MOVQ       SI, AX
	MOVQ       DX, BX
	MOVQ       k1+80(FP), R14
	MOVQ       R14, 0(SP)

g81group:
	MOVQ       R12, R14

g81loop:
	VMASKMOVPS (BX), Y10, Y8
	GEMM8ROW((AX), Y0)
	ADDQ       R10, AX
	ADDQ       R11, BX
	DECQ       R14
	JNZ        g81loop
	ADDQ       8(SP), AX
	DECQ       0(SP)
	JNZ        g81group

	VMASKMOVPS Y0, Y10, (DI)
	ADDQ       R8, DI
	ADDQ       R9, SI
	DECQ       CX
	JMP        g8row1

g8done:
	VZEROUPPER
	RET

// POOLCAND compares the candidate at off(SI) (its indices: Y4 plus the
// vector inc) with the best so far (Y0, indices Y1): strictly greater
// values replace it, so the first maximum wins and NaN never does.
#define POOLCAND(off, inc) \
	VMOVUPS    off, Y2         \
	VCMPPS     $0x1e, Y0, Y2, Y3 \
	VBLENDVPS  Y3, Y2, Y0, Y0  \
	VPADDD     inc, Y4, Y2     \
	VBLENDVPS  Y3, Y2, Y1, Y1

// func pool2RowAVX(y *float32, idx *int32, x *float32, n, c, w int, base int32)
//
// maxPool for n full 2×2 windows of one output row, c channels (a
// multiple of 8), input rows of w positions: y[o·c+ch] is the first
// maximum of x at 2o·c+ch, (2o+1)·c+ch, w·c+2o·c+ch and w·c+(2o+1)·c+ch,
// idx the index of that input plus base.
TEXT ·pool2RowAVX(SB), NOSPLIT, $0-52
	MOVQ         y+0(FP), DI
	MOVQ         idx+8(FP), R8
	MOVQ         x+16(FP), SI
	MOVQ         n+24(FP), CX
	MOVQ         c+32(FP), R9
	MOVQ         w+40(FP), R10
	IMULQ        R9, R10                 // w·c values
	MOVL         base+48(FP), AX
	MOVL         AX, X4
	VPBROADCASTD X4, Y4
	VPADDD       lanes<>(SB), Y4, Y4     // base + 0..7
	MOVQ         R9, AX
	MOVL         AX, X5
	VPBROADCASTD X5, Y5                  // c
	MOVQ         R10, AX
	MOVL         AX, X6
	VPBROADCASTD X6, Y6                  // w·c
	VPADDD       Y5, Y6, Y7              // w·c + c
	MOVL         $8, AX
	MOVL         AX, X8
	VPBROADCASTD X8, Y8                  // 8
	SHLQ         $2, R9                  // c in bytes
	SHLQ         $2, R10                 // w·c in bytes
	TESTQ        CX, CX
	JE           p2done

p2win:
	MOVQ R9, R11
	SHRQ $5, R11                         // channel groups of 8
	MOVQ SI, BX

p2ch:
	VMOVUPS (BX), Y0
	VMOVAPS Y4, Y1
	POOLCAND((BX)(R9*1), Y5)
	LEAQ    (BX)(R10*1), DX
	POOLCAND((DX), Y6)
	POOLCAND((DX)(R9*1), Y7)
	VMOVUPS Y0, (DI)
	VMOVDQU Y1, (R8)
	ADDQ    $32, BX
	ADDQ    $32, DI
	ADDQ    $32, R8
	VPADDD  Y8, Y4, Y4
	DECQ    R11
	JNZ     p2ch

	LEAQ   (SI)(R9*2), SI                // next window: two positions on
	VPADDD Y5, Y4, Y4                    // indices: c already added, c more
	DECQ   CX
	JNZ    p2win

p2done:
	VZEROUPPER
	RET

// func pool1RowAVX(y *float32, idx *int32, x *float32, n, c int, base int32)
//
// pool2RowAVX with one input row: the first maximum of x at 2o·c+ch and
// (2o+1)·c+ch.
TEXT ·pool1RowAVX(SB), NOSPLIT, $0-44
	MOVQ         y+0(FP), DI
	MOVQ         idx+8(FP), R8
	MOVQ         x+16(FP), SI
	MOVQ         n+24(FP), CX
	MOVQ         c+32(FP), R9
	MOVL         base+40(FP), AX
	MOVL         AX, X4
	VPBROADCASTD X4, Y4
	VPADDD       lanes<>(SB), Y4, Y4
	MOVQ         R9, AX
	MOVL         AX, X5
	VPBROADCASTD X5, Y5
	MOVL         $8, AX
	MOVL         AX, X8
	VPBROADCASTD X8, Y8
	SHLQ         $2, R9
	TESTQ        CX, CX
	JE           p1done

p1win:
	MOVQ R9, R11
	SHRQ $5, R11
	MOVQ SI, BX

p1ch:
	VMOVUPS (BX), Y0
	VMOVAPS Y4, Y1
	POOLCAND((BX)(R9*1), Y5)
	VMOVUPS Y0, (DI)
	VMOVDQU Y1, (R8)
	ADDQ    $32, BX
	ADDQ    $32, DI
	ADDQ    $32, R8
	VPADDD  Y8, Y4, Y4
	DECQ    R11
	JNZ     p1ch

	LEAQ   (SI)(R9*2), SI
	VPADDD Y5, Y4, Y4
	DECQ   CX
	JNZ    p1win

p1done:
	VZEROUPPER
	RET

DATA lanes<>+0(SB)/4, $0
DATA lanes<>+4(SB)/4, $1
DATA lanes<>+8(SB)/4, $2
DATA lanes<>+12(SB)/4, $3
DATA lanes<>+16(SB)/4, $4
DATA lanes<>+20(SB)/4, $5
DATA lanes<>+24(SB)/4, $6
DATA lanes<>+28(SB)/4, $7
GLOBL lanes<>(SB), RODATA|NOPTR, $32

// DXNEXT adds the product of the tap block of wt's row o+j (BX, rows R11
// bytes apart) and g[o+j] (AX) to the lane sum r, and steps BX to the next
// row; DXFIRST stores the product instead (the first block of outputs).
#define DXFIRST(j, r) \
	VMASKMOVPS   (BX), Y11, Y8 \
	VBROADCASTSS j*4(AX), Y9   \
	VMULPS       Y9, Y8, r     \
	ADDQ         R11, BX

#define DXNEXT(j, r) \
	VMASKMOVPS   (BX), Y11, Y8 \
	VBROADCASTSS j*4(AX), Y9   \
	VMULPS       Y9, Y8, Y10   \
	VADDPS       Y10, r, r     \
	ADDQ         R11, BX

// func dxRowAVX(dx *float32, step int, wt *float32, taps int, dz *float32, cout, n int, masks *[16]int32)
//
// backInputT for cout a multiple of 8: for each of n positions p (in
// order) and each block of eight taps (the last one masked by masks[8:16],
// the others by masks[0:8]), the lane sums P_j = Σ_b wt[(8b+j)·taps + t]·
// g[8b+j] (the first term a plain product) are combined as
// ((P0+P4)+(P2+P6)) + ((P1+P5)+(P3+P7)) and added to dx[p·step + t].
TEXT ·dxRowAVX(SB), NOSPLIT, $0-64
	MOVQ dx+0(FP), DI
	MOVQ step+8(FP), R8
	SHLQ $2, R8
	MOVQ wt+16(FP), SI
	MOVQ taps+24(FP), R11
	SHLQ $2, R11                       // a row of wt in bytes
	MOVQ dz+32(FP), DX
	MOVQ cout+40(FP), R12
	MOVQ n+48(FP), CX
	MOVQ masks+56(FP), R13
	TESTQ CX, CX
	JE   dxdone

dxpos:
	MOVQ DI, R9                        // &dx[p·step + t]
	MOVQ SI, R10                       // &wt[t]
	MOVQ taps+24(FP), R14
	ADDQ $7, R14
	SHRQ $3, R14                       // tap blocks

dxblock:
	VMOVDQU (R13), Y11
	CMPQ    R14, $1
	JNE     dxfull
	VMOVDQU 32(R13), Y11

dxfull:
	MOVQ R10, BX
	MOVQ DX, AX
	DXFIRST(0, Y0)
	DXFIRST(1, Y1)
	DXFIRST(2, Y2)
	DXFIRST(3, Y3)
	DXFIRST(4, Y4)
	DXFIRST(5, Y5)
	DXFIRST(6, Y6)
	DXFIRST(7, Y7)
	MOVQ R12, R15
	SHRQ $3, R15
	DECQ R15
	JE   dxreduce

dxouts:
	ADDQ $32, AX
	DXNEXT(0, Y0)
	DXNEXT(1, Y1)
	DXNEXT(2, Y2)
	DXNEXT(3, Y3)
	DXNEXT(4, Y4)
	DXNEXT(5, Y5)
	DXNEXT(6, Y6)
	DXNEXT(7, Y7)
	DECQ R15
	JNZ  dxouts

dxreduce:
	VADDPS     Y4, Y0, Y0              // q0 = p0+p4
	VADDPS     Y5, Y1, Y1              // q1
	VADDPS     Y6, Y2, Y2              // q2
	VADDPS     Y7, Y3, Y3              // q3
	VADDPS     Y2, Y0, Y0              // q0+q2
	VADDPS     Y3, Y1, Y1              // q1+q3
	VADDPS     Y1, Y0, Y0
	VMASKMOVPS (R9), Y11, Y1
	VADDPS     Y0, Y1, Y1
	VMASKMOVPS Y1, Y11, (R9)
	ADDQ       $32, R9
	ADDQ       $32, R10
	DECQ       R14
	JNZ        dxblock

	ADDQ R8, DI
	MOVQ R12, AX
	SHLQ $2, AX
	ADDQ AX, DX                        // next position's g
	DECQ CX
	JNZ  dxpos

dxdone:
	VZEROUPPER
	RET

// func reluAVX(y []float32)
//
// relu for len(y) a multiple of 8: each value's bits AND NOT its sign
// spread over all bits (negative values and −0 become +0).
TEXT ·reluAVX(SB), NOSPLIT, $0-24
	MOVQ y_base+0(FP), DI
	MOVQ y_len+8(FP), CX
	SHRQ $3, CX
	JE   rldone

rlloop:
	VMOVDQU (DI), Y0
	VPSRAD  $31, Y0, Y1
	VPANDN  Y0, Y1, Y0
	VMOVDQU Y0, (DI)
	ADDQ    $32, DI
	DECQ    CX
	JNZ     rlloop

rldone:
	VZEROUPPER
	RET

// func reluBackAVX(dy, y []float32, add float32)
//
// reluBackward for len(dy) a multiple of 8: dy+g where y's bits are not
// zero, +0 elsewhere.
TEXT ·reluBackAVX(SB), NOSPLIT, $0-52
	MOVQ         dy_base+0(FP), DI
	MOVQ         dy_len+8(FP), CX
	MOVQ         y_base+24(FP), SI
	VBROADCASTSS add+48(FP), Y2
	VPXOR        Y3, Y3, Y3
	SHRQ         $3, CX
	JE           rbdone

rbloop:
	VMOVDQU  (SI), Y0
	VPCMPEQD Y3, Y0, Y0               // y == 0 (bits)
	VADDPS   (DI), Y2, Y1
	VPANDN   Y1, Y0, Y1
	VMOVDQU  Y1, (DI)
	ADDQ     $32, SI
	ADDQ     $32, DI
	DECQ     CX
	JNZ      rbloop

rbdone:
	VZEROUPPER
	RET

// POOLBACK stores to off the gradient of one candidate: d (Y0) where the
// recorded argmax (Y1) equals the candidate's indices (Y4 plus inc), +0
// elsewhere.
#define POOLBACK(off, inc) \
	VPADDD   inc, Y4, Y2  \
	VPCMPEQD Y1, Y2, Y2   \
	VPAND    Y0, Y2, Y2   \
	VMOVDQU  Y2, off

// func poolBack2RowAVX(dx *float32, dy *float32, idx *int32, n, c, w int, base int32)
//
// pool2DBackward for n full 2×2 windows of one output row (c a multiple of
// 8): every input of a window gets dy+0 (as 0 + dy makes it) if it is the
// window's recorded argmax and +0 otherwise; each input belongs to one
// window only, so this is the whole gradient there.
TEXT ·poolBack2RowAVX(SB), NOSPLIT, $0-52
	MOVQ         dx+0(FP), DI
	MOVQ         dy+8(FP), SI
	MOVQ         idx+16(FP), R8
	MOVQ         n+24(FP), CX
	MOVQ         c+32(FP), R9
	MOVQ         w+40(FP), R10
	IMULQ        R9, R10
	MOVL         base+48(FP), AX
	MOVL         AX, X4
	VPBROADCASTD X4, Y4
	VPADDD       lanes<>(SB), Y4, Y4
	MOVQ         R9, AX
	MOVL         AX, X5
	VPBROADCASTD X5, Y5                  // c
	MOVQ         R10, AX
	MOVL         AX, X6
	VPBROADCASTD X6, Y6                  // w·c
	VPADDD       Y5, Y6, Y7              // w·c + c
	MOVL         $8, AX
	MOVL         AX, X8
	VPBROADCASTD X8, Y8
	VPXOR        Y9, Y9, Y9              // +0
	SHLQ         $2, R9
	SHLQ         $2, R10
	TESTQ        CX, CX
	JE           pb2done

pb2win:
	MOVQ R9, R11
	SHRQ $5, R11
	MOVQ DI, BX

pb2ch:
	VADDPS  (SI), Y9, Y0                 // dy + 0
	VMOVDQU (R8), Y1
	VPCMPEQD Y1, Y4, Y2
	VPAND    Y0, Y2, Y2
	VMOVDQU  Y2, (BX)
	POOLBACK((BX)(R9*1), Y5)
	LEAQ     (BX)(R10*1), DX
	POOLBACK((DX), Y6)
	POOLBACK((DX)(R9*1), Y7)
	ADDQ     $32, BX
	ADDQ     $32, SI
	ADDQ     $32, R8
	VPADDD   Y8, Y4, Y4
	DECQ     R11
	JNZ      pb2ch

	LEAQ   (DI)(R9*2), DI
	VPADDD Y5, Y4, Y4
	DECQ   CX
	JNZ    pb2win

pb2done:
	VZEROUPPER
	RET

// func poolBack1RowAVX(dx *float32, dy *float32, idx *int32, n, c int, base int32)
//
// poolBack2RowAVX for windows of one input row (1×2).
TEXT ·poolBack1RowAVX(SB), NOSPLIT, $0-44
	MOVQ         dx+0(FP), DI
	MOVQ         dy+8(FP), SI
	MOVQ         idx+16(FP), R8
	MOVQ         n+24(FP), CX
	MOVQ         c+32(FP), R9
	MOVL         base+40(FP), AX
	MOVL         AX, X4
	VPBROADCASTD X4, Y4
	VPADDD       lanes<>(SB), Y4, Y4
	MOVQ         R9, AX
	MOVL         AX, X5
	VPBROADCASTD X5, Y5
	MOVL         $8, AX
	MOVL         AX, X8
	VPBROADCASTD X8, Y8
	VPXOR        Y9, Y9, Y9
	SHLQ         $2, R9
	TESTQ        CX, CX
	JE           pb1done

pb1win:
	MOVQ R9, R11
	SHRQ $5, R11
	MOVQ DI, BX

pb1ch:
	VADDPS   (SI), Y9, Y0
	VMOVDQU  (R8), Y1
	VPCMPEQD Y1, Y4, Y2
	VPAND    Y0, Y2, Y2
	VMOVDQU  Y2, (BX)
	POOLBACK((BX)(R9*1), Y5)
	ADDQ     $32, BX
	ADDQ     $32, SI
	ADDQ     $32, R8
	VPADDD   Y8, Y4, Y4
	DECQ     R11
	JNZ      pb1ch

	LEAQ   (DI)(R9*2), DI
	VPADDD Y5, Y4, Y4
	DECQ   CX
	JNZ    pb1win

pb1done:
	VZEROUPPER
	RET
