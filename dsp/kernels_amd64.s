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

// TRANSPOSE4 transposes the 4×4 matrix of float64 rows r0..r3 in place,
// using t0..t3 as scratch.
#define TRANSPOSE4(r0, r1, r2, r3, t0, t1, t2, t3) \
	VUNPCKLPD r1, r0, t0         \
	VUNPCKHPD r1, r0, t1         \
	VUNPCKLPD r3, r2, t2         \
	VUNPCKHPD r3, r2, t3         \
	VPERM2F128 $0x20, t2, t0, r0 \
	VPERM2F128 $0x20, t3, t1, r1 \
	VPERM2F128 $0x31, t2, t0, r2 \
	VPERM2F128 $0x31, t3, t1, r3

// func filterFramesAVX(dst []float64, stride int, pt []float64, fpad, groups int, w []float64)
//
// For each group of four frames: acc = Σ_t w[t]·pt[t·fpad + i..i+3] in
// order of t from zero, zeros replaced by 1e-10, stored to
// dst[i·stride], dst[(i+1)·stride], ....
TEXT ·filterFramesAVX(SB), NOSPLIT, $0-96
	MOVQ         dst_base+0(FP), DI
	MOVQ         stride+24(FP), BX
	MOVQ         pt_base+32(FP), SI
	MOVQ         fpad+56(FP), DX
	MOVQ         groups+64(FP), CX
	MOVQ         w_base+72(FP), R8
	MOVQ         w_len+80(FP), R9
	SHLQ         $3, BX                  // dst stride in bytes
	SHLQ         $3, DX                  // row stride in bytes
	LEAQ         (BX)(BX*2), R13         // 3 strides
	MOVQ         $0x3ddb7cdfd9d7bdbb, AX // 1e-10
	MOVQ         AX, X6
	VBROADCASTSD X6, Y6
	VXORPD       Y7, Y7, Y7
	TESTQ        CX, CX
	JE           ffdone

ffgroup:
	VXORPD Y0, Y0, Y0
	MOVQ   SI, R10                       // &pt[t·fpad + i]
	MOVQ   R8, R11                       // &w[t]
	MOVQ   R9, R12

ffterm:
	VBROADCASTSD (R11), Y1
	VMULPD       (R10), Y1, Y2
	VADDPD       Y2, Y0, Y0
	ADDQ         DX, R10
	ADDQ         $8, R11
	DECQ         R12
	JNZ          ffterm

	VCMPPD       $0, Y7, Y0, Y1          // acc == 0
	VBLENDVPD    Y1, Y6, Y0, Y0          // 1e-10 where zero
	VEXTRACTF128 $1, Y0, X1
	VMOVSD       X0, (DI)
	VMOVHPD      X0, (DI)(BX*1)
	VMOVSD       X1, (DI)(BX*2)
	VMOVHPD      X1, (DI)(R13*1)
	ADDQ         $32, SI
	LEAQ         (DI)(BX*4), DI
	DECQ         CX
	JNZ          ffgroup

ffdone:
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
