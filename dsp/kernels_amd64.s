//go:build !noasm

#include "textflag.h"

// func preEmphasisAVX(y, x []float64)
//
// For each group of four t: cur = f32(x[t]·2⁻¹⁵), prev = f32(x[t-1]·2⁻¹⁵),
// y = f64(cur - f32(0.98f·prev)).
TEXT ·preEmphasisAVX(SB), NOSPLIT, $0-48
	MOVQ         y_base+0(FP), DI
	MOVQ         y_len+8(FP), CX
	MOVQ         x_base+24(FP), SI
	MOVQ         $0x3f00000000000000, AX   // 2^-15 as float64
	MOVQ         AX, X6
	VBROADCASTSD X6, Y6
	MOVL         $0x3f7ae148, AX           // float32(0.98)
	MOVL         AX, X7
	VBROADCASTSS X7, X7
	SHRQ         $2, CX
	JE           pedone

peloop:
	VMOVUPD   8(SI), Y0                  // x[t..t+3]
	VMOVUPD   (SI), Y1                   // x[t-1..t+2]
	VMULPD    Y6, Y0, Y0
	VMULPD    Y6, Y1, Y1
	VCVTPD2PSY Y0, X0                    // cur
	VCVTPD2PSY Y1, X1                    // prev
	VMULPS    X7, X1, X1                 // 0.98·prev
	VSUBPS    X1, X0, X0                 // cur - 0.98·prev
	VCVTPS2PD X0, Y0
	VMOVUPD   Y0, (DI)
	ADDQ      $32, SI
	ADDQ      $32, DI
	DECQ      CX
	JNZ       peloop

pedone:
	VZEROUPPER
	RET

// func nonFiniteAVX(x []float64) float64
TEXT ·nonFiniteAVX(SB), NOSPLIT, $0-32
	MOVQ   x_base+0(FP), SI
	MOVQ   x_len+8(FP), CX
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	SHRQ   $4, CX
	JE     nfdone

nfloop:
	VMOVUPD (SI), Y4
	VMOVUPD 32(SI), Y5
	VMOVUPD 64(SI), Y6
	VMOVUPD 96(SI), Y7
	VSUBPD  Y4, Y4, Y4
	VSUBPD  Y5, Y5, Y5
	VSUBPD  Y6, Y6, Y6
	VSUBPD  Y7, Y7, Y7
	VADDPD  Y4, Y0, Y0
	VADDPD  Y5, Y1, Y1
	VADDPD  Y6, Y2, Y2
	VADDPD  Y7, Y3, Y3
	ADDQ    $128, SI
	DECQ    CX
	JNZ     nfloop

nfdone:
	VADDPD       Y1, Y0, Y0
	VADDPD       Y3, Y2, Y2
	VADDPD       Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPD       X1, X0, X0
	VHADDPD      X0, X0, X0
	MOVSD        X0, ret+24(FP)
	VZEROUPPER
	RET

// func subScaledAVX(y, a, b []float64, c float64)
TEXT ·subScaledAVX(SB), NOSPLIT, $0-80
	MOVQ         y_base+0(FP), DI
	MOVQ         y_len+8(FP), CX
	MOVQ         a_base+24(FP), SI
	MOVQ         b_base+48(FP), DX
	VBROADCASTSD c+72(FP), Y3
	SHRQ         $2, CX
	JE           ssdone

ssloop:
	VMULPD  (DX), Y3, Y1
	VMOVUPD (SI), Y0
	VSUBPD  Y1, Y0, Y0
	VMOVUPD Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	DECQ    CX
	JNZ     ssloop

ssdone:
	VZEROUPPER
	RET

// Constants of the logarithm kernels, four copies each (one vector).
DATA logc<>+0(SB)/8, $0x000fffffffffffff    // mantissa mask
DATA logc<>+8(SB)/8, $0x000fffffffffffff
DATA logc<>+16(SB)/8, $0x000fffffffffffff
DATA logc<>+24(SB)/8, $0x000fffffffffffff
DATA logc<>+32(SB)/8, $0x3fe0000000000000   // 0.5
DATA logc<>+40(SB)/8, $0x3fe0000000000000
DATA logc<>+48(SB)/8, $0x3fe0000000000000
DATA logc<>+56(SB)/8, $0x3fe0000000000000
DATA logc<>+64(SB)/8, $0x4330000000000000   // 2^52
DATA logc<>+72(SB)/8, $0x4330000000000000
DATA logc<>+80(SB)/8, $0x4330000000000000
DATA logc<>+88(SB)/8, $0x4330000000000000
DATA logc<>+96(SB)/8, $0x43300000000003fe   // 2^52 + 1022
DATA logc<>+104(SB)/8, $0x43300000000003fe
DATA logc<>+112(SB)/8, $0x43300000000003fe
DATA logc<>+120(SB)/8, $0x43300000000003fe
DATA logc<>+128(SB)/8, $0x3fe6a09e667f3bcd  // √2/2
DATA logc<>+136(SB)/8, $0x3fe6a09e667f3bcd
DATA logc<>+144(SB)/8, $0x3fe6a09e667f3bcd
DATA logc<>+152(SB)/8, $0x3fe6a09e667f3bcd
DATA logc<>+160(SB)/8, $0x3ff0000000000000  // 1
DATA logc<>+168(SB)/8, $0x3ff0000000000000
DATA logc<>+176(SB)/8, $0x3ff0000000000000
DATA logc<>+184(SB)/8, $0x3ff0000000000000
DATA logc<>+192(SB)/8, $0x4000000000000000  // 2
DATA logc<>+200(SB)/8, $0x4000000000000000
DATA logc<>+208(SB)/8, $0x4000000000000000
DATA logc<>+216(SB)/8, $0x4000000000000000
DATA logc<>+224(SB)/8, $0x3fe5555555555593  // L1
DATA logc<>+232(SB)/8, $0x3fe5555555555593
DATA logc<>+240(SB)/8, $0x3fe5555555555593
DATA logc<>+248(SB)/8, $0x3fe5555555555593
DATA logc<>+256(SB)/8, $0x3fd999999997fa04  // L2
DATA logc<>+264(SB)/8, $0x3fd999999997fa04
DATA logc<>+272(SB)/8, $0x3fd999999997fa04
DATA logc<>+280(SB)/8, $0x3fd999999997fa04
DATA logc<>+288(SB)/8, $0x3fd2492494229359  // L3
DATA logc<>+296(SB)/8, $0x3fd2492494229359
DATA logc<>+304(SB)/8, $0x3fd2492494229359
DATA logc<>+312(SB)/8, $0x3fd2492494229359
DATA logc<>+320(SB)/8, $0x3fcc71c51d8e78af  // L4
DATA logc<>+328(SB)/8, $0x3fcc71c51d8e78af
DATA logc<>+336(SB)/8, $0x3fcc71c51d8e78af
DATA logc<>+344(SB)/8, $0x3fcc71c51d8e78af
DATA logc<>+352(SB)/8, $0x3fc7466496cb03de  // L5
DATA logc<>+360(SB)/8, $0x3fc7466496cb03de
DATA logc<>+368(SB)/8, $0x3fc7466496cb03de
DATA logc<>+376(SB)/8, $0x3fc7466496cb03de
DATA logc<>+384(SB)/8, $0x3fc39a09d078c69f  // L6
DATA logc<>+392(SB)/8, $0x3fc39a09d078c69f
DATA logc<>+400(SB)/8, $0x3fc39a09d078c69f
DATA logc<>+408(SB)/8, $0x3fc39a09d078c69f
DATA logc<>+416(SB)/8, $0x3fc2f112df3e5244  // L7
DATA logc<>+424(SB)/8, $0x3fc2f112df3e5244
DATA logc<>+432(SB)/8, $0x3fc2f112df3e5244
DATA logc<>+440(SB)/8, $0x3fc2f112df3e5244
DATA logc<>+448(SB)/8, $0x3fe62e42fee00000  // Ln2Hi
DATA logc<>+456(SB)/8, $0x3fe62e42fee00000
DATA logc<>+464(SB)/8, $0x3fe62e42fee00000
DATA logc<>+472(SB)/8, $0x3fe62e42fee00000
DATA logc<>+480(SB)/8, $0x3dea39ef35793c76  // Ln2Lo
DATA logc<>+488(SB)/8, $0x3dea39ef35793c76
DATA logc<>+496(SB)/8, $0x3dea39ef35793c76
DATA logc<>+504(SB)/8, $0x3dea39ef35793c76
DATA logc<>+512(SB)/8, $0x7fefffffffffffff  // largest float64
DATA logc<>+520(SB)/8, $0x7fefffffffffffff
DATA logc<>+528(SB)/8, $0x7fefffffffffffff
DATA logc<>+536(SB)/8, $0x7fefffffffffffff
DATA logc<>+544(SB)/8, $0x39b4484bfeebc2a0  // 1e-30
DATA logc<>+552(SB)/8, $0x39b4484bfeebc2a0
DATA logc<>+560(SB)/8, $0x39b4484bfeebc2a0
DATA logc<>+568(SB)/8, $0x39b4484bfeebc2a0
DATA logc<>+576(SB)/8, $0x4024000000000000  // 10
DATA logc<>+584(SB)/8, $0x4024000000000000
DATA logc<>+592(SB)/8, $0x4024000000000000
DATA logc<>+600(SB)/8, $0x4024000000000000
GLOBL logc<>(SB), RODATA|NOPTR, $608

// LOG4 is amd64's math.Log (archLog) on the four positive normal values
// of Y0, with the same operations in the same order: result in Y10,
// Y1..Y9 clobbered. With x = f1·2^k, f1 in [0.5, 1) (taken from the bits,
// k converted exactly through 2^52 + exponent), f1 <= √2/2 is doubled
// and k lowered; f = f1 - 1, s = f/(2+f), s2 = s², s4 = s2²,
// t1 = s2·(L1 + s4·(L3 + s4·(L5 + s4·L7))), t2 = s4·(L2 + s4·(L4 + s4·L6)),
// R = t1 + t2, hfsq = 0.5·f·f, and the result is
// k·Ln2Hi - ((hfsq - (s·(hfsq+R) + k·Ln2Lo)) - f).
#define LOG4 \
	VANDPD logc<>+0(SB), Y0, Y1    \
	VORPD  logc<>+32(SB), Y1, Y1   \
	VPSRLQ $52, Y0, Y2             \
	VPOR   logc<>+64(SB), Y2, Y2   \
	VSUBPD logc<>+96(SB), Y2, Y2   \
	VCMPPD $2, logc<>+128(SB), Y1, Y3 \
	VANDPD logc<>+160(SB), Y3, Y3  \
	VSUBPD Y3, Y2, Y2              \
	VADDPD logc<>+160(SB), Y3, Y3  \
	VMULPD Y3, Y1, Y1              \
	VSUBPD logc<>+160(SB), Y1, Y1  \
	VADDPD logc<>+192(SB), Y1, Y4  \
	VDIVPD Y4, Y1, Y5              \
	VMULPD Y5, Y5, Y6              \
	VMULPD Y6, Y6, Y7              \
	VMULPD logc<>+416(SB), Y7, Y8  \
	VADDPD logc<>+352(SB), Y8, Y8  \
	VMULPD Y7, Y8, Y8              \
	VADDPD logc<>+288(SB), Y8, Y8  \
	VMULPD Y7, Y8, Y8              \
	VADDPD logc<>+224(SB), Y8, Y8  \
	VMULPD Y6, Y8, Y8              \
	VMULPD logc<>+384(SB), Y7, Y9  \
	VADDPD logc<>+320(SB), Y9, Y9  \
	VMULPD Y7, Y9, Y9              \
	VADDPD logc<>+256(SB), Y9, Y9  \
	VMULPD Y7, Y9, Y9              \
	VADDPD Y9, Y8, Y8              \
	VMULPD logc<>+32(SB), Y1, Y9   \
	VMULPD Y1, Y9, Y9              \
	VADDPD Y9, Y8, Y8              \
	VMULPD Y5, Y8, Y8              \
	VMULPD logc<>+480(SB), Y2, Y4  \
	VADDPD Y4, Y8, Y8              \
	VSUBPD Y8, Y9, Y9              \
	VSUBPD Y1, Y9, Y9              \
	VMULPD logc<>+448(SB), Y2, Y10 \
	VSUBPD Y9, Y10, Y10

// func logAVX(dst, x []float64) int
//
// math.Log of x, four values at a time; it stops before the first group
// holding a value that is not a positive normal float64 and returns the
// number of values done.
TEXT ·logAVX(SB), NOSPLIT, $0-56
	MOVQ dst_base+0(FP), DI
	MOVQ x_base+24(FP), SI
	MOVQ x_len+32(FP), CX
	XORQ AX, AX
	SHRQ $2, CX
	JE   lgdone

lgloop:
	VMOVUPD   (SI), Y0
	VPCMPGTQ  logc<>+0(SB), Y0, Y11   // above the subnormals (negatives are negative integers)
	VPCMPGTQ  logc<>+512(SB), Y0, Y12 // Inf or NaN
	VPANDN    Y11, Y12, Y11
	VMOVMSKPD Y11, BX
	CMPQ      BX, $15
	JNE       lgdone
	LOG4
	VMOVUPD   Y10, (DI)
	ADDQ      $32, SI
	ADDQ      $32, DI
	ADDQ      $4, AX
	DECQ      CX
	JNZ       lgloop

lgdone:
	MOVQ AX, ret+48(FP)
	VZEROUPPER
	RET

// func dbGroupAVX(dst []float64, ld int, p []float64, h int, a, b, top float64) int
//
// dbGroupGo for four frames, four bins at a time (transposed into the
// frames' rows), then the last h%4 bins one at a time. It stops before the
// first bin holding NaN or +Inf and returns the number of bins done.
TEXT ·dbGroupAVX(SB), NOSPLIT, $96-96
// DBQ computes the decibel values (dbGroupGo) of the four frames of bin
// row off(SI) into r, or leaves for dbbail if a value is NaN or +Inf:
// max(log(max(e, 1e-30))·a + b, 0), at most top. The local frame holds a,
// b and top as vectors.
#define DBQ(off, r) \
	VMOVUPD   off(SI), Y0             \
	VCMPPD    $6, logc<>+512(SB), Y0, Y1 \
	VMOVMSKPD Y1, BX                  \
	TESTQ     BX, BX                  \
	JNZ       dbbail                  \
	VMAXPD    logc<>+544(SB), Y0, Y0  \
	LOG4                              \
	VMULPD    0(SP), Y10, Y10         \
	VADDPD    32(SP), Y10, Y10        \
	VXORPD    Y1, Y1, Y1              \
	VMAXPD    Y1, Y10, Y10            \
	VMINPD    64(SP), Y10, Y10        \
	VMOVAPD   Y10, r

	MOVQ         dst_base+0(FP), DI
	MOVQ         ld+24(FP), DX
	SHLQ         $3, DX
	LEAQ         (DX)(DX*2), R9
	MOVQ         p_base+32(FP), SI
	MOVQ         h+56(FP), CX
	VBROADCASTSD a+64(FP), Y0
	VMOVUPD      Y0, 0(SP)
	VBROADCASTSD b+72(FP), Y0
	VMOVUPD      Y0, 32(SP)
	VBROADCASTSD top+80(FP), Y0
	VMOVUPD      Y0, 64(SP)
	XORQ         AX, AX
	MOVQ         CX, R8
	ANDQ         $3, R8                  // tail bins
	SHRQ         $2, CX                  // blocks of four bins
	JE           dbtail

dbloop:
	DBQ(0, Y11)
	DBQ(32, Y12)
	DBQ(64, Y13)
	DBQ(96, Y14)
	VUNPCKLPD  Y12, Y11, Y0
	VUNPCKHPD  Y12, Y11, Y1
	VUNPCKLPD  Y14, Y13, Y2
	VUNPCKHPD  Y14, Y13, Y3
	VPERM2F128 $0x20, Y2, Y0, Y11
	VPERM2F128 $0x20, Y3, Y1, Y12
	VPERM2F128 $0x31, Y2, Y0, Y13
	VPERM2F128 $0x31, Y3, Y1, Y14
	VMOVUPD    Y11, (DI)
	VMOVUPD    Y12, (DI)(DX*1)
	VMOVUPD    Y13, (DI)(DX*2)
	VMOVUPD    Y14, (DI)(R9*1)
	ADDQ       $128, SI
	ADDQ       $32, DI
	ADDQ       $4, AX
	DECQ       CX
	JNZ        dbloop

dbtail:
	TESTQ        R8, R8
	JE           dbbail
	DBQ(0, Y11)
	VEXTRACTF128 $1, Y11, X12
	VMOVSD       X11, (DI)
	VMOVHPD      X11, (DI)(DX*1)
	VMOVSD       X12, (DI)(DX*2)
	VMOVHPD      X12, (DI)(R9*1)
	ADDQ         $32, SI
	ADDQ         $8, DI
	INCQ         AX
	DECQ         R8
	JMP          dbtail

dbbail:
	MOVQ AX, ret+88(FP)
	VZEROUPPER
	RET

// func filterGroupAVX(dst []float64, ld int, p []float64, lo, off []int, w []float64)
//
// filterGroupGo: for every filter j, acc = Σ_t w[off[j]+t]·p[(lo[j]+t)·4
// .. +3] in order of t from zero, zeros replaced by 1e-10, stored to
// dst[j], dst[ld+j], dst[2ld+j], dst[3ld+j].
TEXT ·filterGroupAVX(SB), NOSPLIT, $0-128
	MOVQ         dst_base+0(FP), DI
	MOVQ         ld+24(FP), DX
	SHLQ         $3, DX
	LEAQ         (DX)(DX*2), R13
	MOVQ         p_base+32(FP), SI
	MOVQ         lo_base+56(FP), R8
	MOVQ         lo_len+64(FP), CX
	MOVQ         off_base+80(FP), R9
	MOVQ         w_base+104(FP), R10
	MOVQ         $0x3ddb7cdfd9d7bdbb, AX // 1e-10
	MOVQ         AX, X6
	VBROADCASTSD X6, Y6
	VXORPD       Y7, Y7, Y7
	TESTQ        CX, CX
	JE           fgdone

fgfilter:
	MOVQ   (R8), AX
	SHLQ   $5, AX
	LEAQ   (SI)(AX*1), R11               // &p[4·lo[j]]
	MOVQ   (R9), BX
	MOVQ   8(R9), R12
	SUBQ   BX, R12                       // taps
	LEAQ   (R10)(BX*8), BX               // &w[off[j]]
	VXORPD Y0, Y0, Y0
	TESTQ  R12, R12
	JE     fgstore

fgterm:
	VBROADCASTSD (BX), Y1
	VMULPD       (R11), Y1, Y2
	VADDPD       Y2, Y0, Y0
	ADDQ         $32, R11
	ADDQ         $8, BX
	DECQ         R12
	JNZ          fgterm

fgstore:
	VCMPPD       $0, Y7, Y0, Y1          // acc == 0
	VBLENDVPD    Y1, Y6, Y0, Y0          // 1e-10 where zero
	VEXTRACTF128 $1, Y0, X1
	VMOVSD       X0, (DI)
	VMOVHPD      X0, (DI)(DX*1)
	VMOVSD       X1, (DI)(DX*2)
	VMOVHPD      X1, (DI)(R13*1)
	ADDQ         $8, DI
	ADDQ         $8, R8
	ADDQ         $8, R9
	DECQ         CX
	JNZ          fgfilter

fgdone:
	VZEROUPPER
	RET

// func dctAVX(out []float64, ldo int, logE []float64, m int, dctT []float64, kpad, frames int)
//
// dctGo, for two frames at a time (the last one alone when frames is odd)
// and sixteen coefficients at a time: acc(frame, k) = Σ_j dctT[j·kpad+k]·
// logE[frame·m+j] in order of j from zero. Y0..Y3 and Y4..Y7 hold the two
// frames' accumulators.
TEXT ·dctAVX(SB), NOSPLIT, $0-104
	MOVQ out_base+0(FP), DI
	MOVQ ldo+24(FP), R8
	SHLQ $3, R8                       // out row in bytes
	MOVQ logE_base+32(FP), SI
	MOVQ m+56(FP), R9
	MOVQ dctT_base+64(FP), R10
	MOVQ kpad+88(FP), R11
	SHLQ $3, R11                      // dctT row in bytes
	MOVQ frames+96(FP), CX

dcframe:
	CMPQ CX, $2
	JL   dcsingle
	XORQ R12, R12                     // byte offset of the coefficient block

dcpair:
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7
	LEAQ   (R10)(R12*1), BX           // &dctT[0·kpad + block]
	MOVQ   SI, DX                     // &logE[frame·m + j]
	MOVQ   R9, R13

dcpterm:
	VBROADCASTSD (DX), Y8
	VBROADCASTSD (DX)(R9*8), Y9
	VMOVUPD      (BX), Y10
	VMULPD       Y8, Y10, Y11
	VADDPD       Y11, Y0, Y0
	VMULPD       Y9, Y10, Y11
	VADDPD       Y11, Y4, Y4
	VMOVUPD      32(BX), Y10
	VMULPD       Y8, Y10, Y11
	VADDPD       Y11, Y1, Y1
	VMULPD       Y9, Y10, Y11
	VADDPD       Y11, Y5, Y5
	VMOVUPD      64(BX), Y10
	VMULPD       Y8, Y10, Y11
	VADDPD       Y11, Y2, Y2
	VMULPD       Y9, Y10, Y11
	VADDPD       Y11, Y6, Y6
	VMOVUPD      96(BX), Y10
	VMULPD       Y8, Y10, Y11
	VADDPD       Y11, Y3, Y3
	VMULPD       Y9, Y10, Y11
	VADDPD       Y11, Y7, Y7
	ADDQ         R11, BX
	ADDQ         $8, DX
	DECQ         R13
	JNZ          dcpterm

	LEAQ    (DI)(R12*1), BX
	VMOVUPD Y0, (BX)
	VMOVUPD Y1, 32(BX)
	VMOVUPD Y2, 64(BX)
	VMOVUPD Y3, 96(BX)
	ADDQ    R8, BX
	VMOVUPD Y4, (BX)
	VMOVUPD Y5, 32(BX)
	VMOVUPD Y6, 64(BX)
	VMOVUPD Y7, 96(BX)
	ADDQ    $128, R12
	CMPQ    R12, R11
	JL      dcpair

	LEAQ (DI)(R8*2), DI
	LEAQ (SI)(R9*8), SI
	LEAQ (SI)(R9*8), SI
	SUBQ $2, CX
	JMP  dcframe

dcsingle:
	TESTQ CX, CX
	JE    dcdone
	XORQ  R12, R12

dcsblock:
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	LEAQ   (R10)(R12*1), BX
	MOVQ   SI, DX
	MOVQ   R9, R13

dcsterm:
	VBROADCASTSD (DX), Y8
	VMULPD       (BX), Y8, Y11
	VADDPD       Y11, Y0, Y0
	VMULPD       32(BX), Y8, Y11
	VADDPD       Y11, Y1, Y1
	VMULPD       64(BX), Y8, Y11
	VADDPD       Y11, Y2, Y2
	VMULPD       96(BX), Y8, Y11
	VADDPD       Y11, Y3, Y3
	ADDQ         R11, BX
	ADDQ         $8, DX
	DECQ         R13
	JNZ          dcsterm

	LEAQ    (DI)(R12*1), BX
	VMOVUPD Y0, (BX)
	VMOVUPD Y1, 32(BX)
	VMOVUPD Y2, 64(BX)
	VMOVUPD Y3, 96(BX)
	ADDQ    $128, R12
	CMPQ    R12, R11
	JL      dcsblock

dcdone:
	VZEROUPPER
	RET

// func pairwiseLeaf4AVX(dst *[4]float64, p []float64, n int)
//
// pairwiseBlock4Go's leaf (8 <= n <= 128) on four interleaved columns:
// eight row accumulators, combined as ((r0+r1)+(r2+r3))+((r4+r5)+(r6+r7)),
// then the last n%8 rows added one by one.
TEXT ·pairwiseLeaf4AVX(SB), NOSPLIT, $0-40
	MOVQ    dst+0(FP), DI
	MOVQ    p_base+8(FP), SI
	MOVQ    n+32(FP), CX
	VMOVUPD (SI), Y0
	VMOVUPD 32(SI), Y1
	VMOVUPD 64(SI), Y2
	VMOVUPD 96(SI), Y3
	VMOVUPD 128(SI), Y4
	VMOVUPD 160(SI), Y5
	VMOVUPD 192(SI), Y6
	VMOVUPD 224(SI), Y7
	ADDQ    $256, SI
	MOVQ    CX, DX
	ANDQ    $7, DX                    // tail rows
	SHRQ    $3, CX
	DECQ    CX                        // full blocks after the first
	JE      pwcombine

pwloop:
	VADDPD (SI), Y0, Y0
	VADDPD 32(SI), Y1, Y1
	VADDPD 64(SI), Y2, Y2
	VADDPD 96(SI), Y3, Y3
	VADDPD 128(SI), Y4, Y4
	VADDPD 160(SI), Y5, Y5
	VADDPD 192(SI), Y6, Y6
	VADDPD 224(SI), Y7, Y7
	ADDQ   $256, SI
	DECQ   CX
	JNZ    pwloop

pwcombine:
	VADDPD Y1, Y0, Y0
	VADDPD Y3, Y2, Y2
	VADDPD Y2, Y0, Y0
	VADDPD Y5, Y4, Y4
	VADDPD Y7, Y6, Y6
	VADDPD Y6, Y4, Y4
	VADDPD Y4, Y0, Y0
	TESTQ  DX, DX
	JE     pwdone

pwtail:
	VADDPD (SI), Y0, Y0
	ADDQ   $32, SI
	DECQ   DX
	JNZ    pwtail

pwdone:
	VMOVUPD Y0, (DI)
	VZEROUPPER
	RET

// LOG8 is LOG4 on the eight values of Z0 (AVX-512): result in Z10, Z1..Z9
// and K1 clobbered, Z20 holding 1.0. The comparison gives a mask register,
// which selects 1 or 0 as the AVX2 kernel's AND with 1.0 does.
#define LOG8 \
	VANDPD.BCST  logc<>+0(SB), Z0, Z1        \
	VORPD.BCST   logc<>+32(SB), Z1, Z1       \
	VPSRLQ       $52, Z0, Z2                 \
	VPORQ.BCST   logc<>+64(SB), Z2, Z2       \
	VSUBPD.BCST  logc<>+96(SB), Z2, Z2       \
	VCMPPD.BCST  $2, logc<>+128(SB), Z1, K1  \
	VMOVAPD.Z    Z20, K1, Z3                 \
	VSUBPD       Z3, Z2, Z2                  \
	VADDPD       Z20, Z3, Z3                 \
	VMULPD       Z3, Z1, Z1                  \
	VSUBPD       Z20, Z1, Z1                 \
	VADDPD.BCST  logc<>+192(SB), Z1, Z4      \
	VDIVPD       Z4, Z1, Z5                  \
	VMULPD       Z5, Z5, Z6                  \
	VMULPD       Z6, Z6, Z7                  \
	VMULPD.BCST  logc<>+416(SB), Z7, Z8      \
	VADDPD.BCST  logc<>+352(SB), Z8, Z8      \
	VMULPD       Z7, Z8, Z8                  \
	VADDPD.BCST  logc<>+288(SB), Z8, Z8      \
	VMULPD       Z7, Z8, Z8                  \
	VADDPD.BCST  logc<>+224(SB), Z8, Z8      \
	VMULPD       Z6, Z8, Z8                  \
	VMULPD.BCST  logc<>+384(SB), Z7, Z9      \
	VADDPD.BCST  logc<>+320(SB), Z9, Z9      \
	VMULPD       Z7, Z9, Z9                  \
	VADDPD.BCST  logc<>+256(SB), Z9, Z9      \
	VMULPD       Z7, Z9, Z9                  \
	VADDPD       Z9, Z8, Z8                  \
	VMULPD.BCST  logc<>+32(SB), Z1, Z9       \
	VMULPD       Z1, Z9, Z9                  \
	VADDPD       Z9, Z8, Z8                  \
	VMULPD       Z5, Z8, Z8                  \
	VMULPD.BCST  logc<>+480(SB), Z2, Z4      \
	VADDPD       Z4, Z8, Z8                  \
	VSUBPD       Z8, Z9, Z9                  \
	VSUBPD       Z1, Z9, Z9                  \
	VMULPD.BCST  logc<>+448(SB), Z2, Z10     \
	VSUBPD       Z9, Z10, Z10

// func dbGroup512(dst []float64, ld int, p []float64, h int, a, b, top float64) int
//
// dbGroupAVX with AVX-512: each block of four bins is two registers of two
// bins × four frames, whose halves are transposed into the frames' rows as
// dbGroupAVX does; the last h%4 bins go through dbGroupAVX's code.
TEXT ·dbGroup512(SB), NOSPLIT, $96-96
#define DBZ(off, r) \
	VMOVUPD      off(SI), Z0                 \
	VCMPPD.BCST  $6, logc<>+512(SB), Z0, K2  \
	KORTESTB     K2, K2                      \
	JNZ          dzbail                      \
	VMAXPD.BCST  logc<>+544(SB), Z0, Z0      \
	LOG8                                     \
	VMULPD       Z21, Z10, Z10               \
	VADDPD       Z22, Z10, Z10               \
	VMAXPD       Z24, Z10, Z10               \
	VMINPD       Z23, Z10, Z10               \
	VMOVAPD      Z10, r

	MOVQ         dst_base+0(FP), DI
	MOVQ         ld+24(FP), DX
	SHLQ         $3, DX
	LEAQ         (DX)(DX*2), R9
	MOVQ         p_base+32(FP), SI
	MOVQ         h+56(FP), CX
	VBROADCASTSD a+64(FP), Y0
	VMOVUPD      Y0, 0(SP)
	VBROADCASTSD a+64(FP), Z21
	VBROADCASTSD b+72(FP), Y0
	VMOVUPD      Y0, 32(SP)
	VBROADCASTSD b+72(FP), Z22
	VBROADCASTSD top+80(FP), Y0
	VMOVUPD      Y0, 64(SP)
	VBROADCASTSD top+80(FP), Z23
	VBROADCASTSD logc<>+160(SB), Z20         // 1
	VPXORQ       Z24, Z24, Z24               // 0
	XORQ         AX, AX
	MOVQ         CX, R8
	ANDQ         $3, R8
	SHRQ         $2, CX
	JE           dztail

dzloop:
	DBZ(0, Z11)
	DBZ(64, Z12)
	VEXTRACTF64X4 $1, Z11, Y13
	VEXTRACTF64X4 $1, Z12, Y14
	VUNPCKLPD  Y13, Y11, Y0
	VUNPCKHPD  Y13, Y11, Y1
	VUNPCKLPD  Y14, Y12, Y2
	VUNPCKHPD  Y14, Y12, Y3
	VPERM2F128 $0x20, Y2, Y0, Y11
	VPERM2F128 $0x20, Y3, Y1, Y12
	VPERM2F128 $0x31, Y2, Y0, Y13
	VPERM2F128 $0x31, Y3, Y1, Y14
	VMOVUPD    Y11, (DI)
	VMOVUPD    Y12, (DI)(DX*1)
	VMOVUPD    Y13, (DI)(DX*2)
	VMOVUPD    Y14, (DI)(R9*1)
	ADDQ       $128, SI
	ADDQ       $32, DI
	ADDQ       $4, AX
	DECQ       CX
	JNZ        dzloop

dztail:
	TESTQ        R8, R8
	JE           dzbail
	DBQ(0, Y11)
	VEXTRACTF128 $1, Y11, X12
	VMOVSD       X11, (DI)
	VMOVHPD      X11, (DI)(DX*1)
	VMOVSD       X12, (DI)(DX*2)
	VMOVHPD      X12, (DI)(R9*1)
	ADDQ         $32, SI
	ADDQ         $8, DI
	INCQ         AX
	DECQ         R8
	JMP          dztail

dbbail:
dzbail:
	MOVQ AX, ret+88(FP)
	VZEROUPPER
	RET
