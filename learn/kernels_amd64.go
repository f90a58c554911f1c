//go:build !noasm

package learn

import "golang.org/x/sys/cpu"

// useAVX selects the AVX versions of the kernels. They use separate multiplies
// and adds (no FMA) in the same order as the Go versions, so both give
// bit-identical results.
var useAVX = cpu.X86.HasAVX

// axpy8 adds Σ_t x[t]·w[t·ldw : t·ldw+8] to y[0:8]; axpyRowsGo is its reference.
//
//go:noescape
func axpy8(y *float32, x []float32, w *float32, ldw int)

// axpy16 is axpy8 for 16 columns; axpyRowsGo is its reference.
//
//go:noescape
func axpy16(y *float32, x []float32, w *float32, ldw int)

// ger8 adds x[t]·g[0:8] to dw[t·ldw : t·ldw+8] for every t; see ger8Go.
//
//go:noescape
func ger8(dw *float32, ldw int, x []float32, gv *float32)

// dotRows adds to every dx[t] the dot product of w[t·ldw : t·ldw+8·blocks] and
// g[0:8·blocks]; see dotRowsGo for the summation order.
//
//go:noescape
func dotRows(dx []float32, w *float32, ldw int, gv *float32, blocks int)

// gemm16 is gemmGo for one block of up to 16 columns, with the columns
// beyond the block's width masked off (mask[j] = -1 for a column inside),
// and the sum over i in k1 groups of k (see gemm2).
//
//go:noescape
func gemm16(c *float32, ldc int, a *float32, ars, ais int, b *float32, ldb, rows, k int, mask *[16]int32, k1, ais1 int)

// gemm8 is gemm16 for a block of up to 8 columns.
//
//go:noescape
func gemm8(c *float32, ldc int, a *float32, ars, ais int, b *float32, ldb, rows, k int, mask *[16]int32, k1, ais1 int)

// useAVX2 selects the kernels that need AVX2 (integer vectors).
var useAVX2 = cpu.X86.HasAVX2

// pool2RowAVX is maxPool (with indices) for n full 2×2 windows of one output
// row, c a multiple of 8.
//
//go:noescape
func pool2RowAVX(y *float32, idx *int32, x *float32, n, c, w int, base int32)

// pool1RowAVX is pool2RowAVX for windows of one input row (1×2).
//
//go:noescape
func pool1RowAVX(y *float32, idx *int32, x *float32, n, c int, base int32)

// dxRowAVX is backInputTGo for cout a multiple of 8, with masks[0:8] all
// set and masks[8:16] set for the taps of the last block of eight.
//
//go:noescape
func dxRowAVX(dx *float32, step int, wt *float32, taps int, dz *float32, cout, n int, masks *[16]int32)

// reluAVX is relu for len(y) a multiple of 8.
//
//go:noescape
func reluAVX(y []float32)

// reluBackAVX is reluBackward for len(dy) a multiple of 8.
//
//go:noescape
func reluBackAVX(dy, y []float32, add float32)

// poolBack2RowAVX is pool2DBackward for n full 2×2 windows of one output
// row, c a multiple of 8.
//
//go:noescape
func poolBack2RowAVX(dx *float32, dy *float32, idx *int32, n, c, w int, base int32)

// poolBack1RowAVX is poolBack2RowAVX for 1×2 windows.
//
//go:noescape
func poolBack1RowAVX(dx *float32, dy *float32, idx *int32, n, c int, base int32)

// useAVX512 selects the AVX-512 kernels (kernels_avx512_amd64.s): the
// same operations as the AVX ones, sixteen lanes at a time.
var useAVX512 = cpu.X86.HasAVX512F

// gemmZ is gemmGo for one block of up to 32 columns, masked by the low
// (first 16) and high (next 16) halves of masks; every row starts from
// init[0:32] instead of c when init is not nil, with relu applied to the
// results when relu is not 0.
//
//go:noescape
func gemmZ(c *float32, ldc int, init *float32, a *float32, ars, ais, ais1 int, b *float32, ldb, rows, k, k1 int, masks uint32, relu int)

// dxRowZ is backInputTGo for cout a multiple of 8, sixteen taps at a time,
// the last block masked by last.
//
//go:noescape
func dxRowZ(dx *float32, step int, wt *float32, taps int, dz *float32, cout, n int, last uint16)

// pool2RowZ is pool2RowAVX (rows = 2) or pool1RowAVX (rows = 1) for c a
// multiple of 16.
//
//go:noescape
func pool2RowZ(y *float32, idx *int32, x *float32, n, c, w int, base int32, rows int)

// poolBack2RowZ is poolBack2RowAVX (rows = 2) or poolBack1RowAVX (rows =
// 1) for c a multiple of 16; with yout (the pooled outputs, laid out as
// dy) not nil, the gradient is +0 where the output has +0's bits (see
// poolBackward).
//
//go:noescape
func poolBack2RowZ(dx *float32, dy *float32, idx *int32, yout *float32, n, c, w int, base int32, rows int)

// gemm9Z is the kernel gradient of a 3×3 convolution of one input channel
// and up to 32 output channels (masked as gemmZ's), over the padded input
// a (rows of wp values) and the output gradient b, with nine rows of
// patches (see convBackwardPadded) held in registers.
//
//go:noescape
func gemm9Z(c *float32, ldc int, a *float32, wp int, b *float32, ldb, w, h int, masks uint32)

// dwSparseZ is convDWSparse for one window (taps a multiple of 16, cout at
// most 16, cmask its lanes).
//
//go:noescape
func dwSparseZ(dwT, x, dz *float32, h, w, xrow, cin, cout, kh, taps int, cmask uint16)

// dxSparseZ is backInputTSparse (taps a multiple of 16, cout 8 or 16).
//
//go:noescape
func dxSparseZ(dx *float32, step int, wt *float32, taps int, dz *float32, cout, n int)

// allFiniteZ is allFinite for blocks·16 values.
//
//go:noescape
func allFiniteZ(x *float32, blocks int) bool
