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

// func filterRowsAVX(out, pt []float64, fpad int, w []float64)
//
// out[i] = Σ_t w[t]·pt[t·fpad + i], four columns at a time, terms added in
// order of t starting from zero.
TEXT ·filterRowsAVX(SB), NOSPLIT, $0-80
	MOVQ out_base+0(FP), DI
	MOVQ pt_base+24(FP), SI
	MOVQ fpad+48(FP), BX
	MOVQ w_base+56(FP), DX
	MOVQ w_len+64(FP), R8
	MOVQ BX, CX
	SHRQ $2, CX                          // column groups
	SHLQ $3, BX                          // row stride in bytes
	JE   frdone

frcol:
	VXORPD Y0, Y0, Y0
	MOVQ   SI, R9                        // &pt[0·fpad + i]
	MOVQ   DX, R10                       // &w[0]
	MOVQ   R8, R11                       // terms left

frterm:
	VBROADCASTSD (R10), Y1
	VMULPD       (R9), Y1, Y2
	VADDPD       Y2, Y0, Y0
	ADDQ         BX, R9
	ADDQ         $8, R10
	DECQ         R11
	JNZ          frterm

	VMOVUPD Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     frcol

frdone:
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
