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
// beyond the block's width masked off (mask[j] = -1 for a column inside).
//
//go:noescape
func gemm16(c *float32, ldc int, a *float32, ars, ais int, b *float32, ldb, rows, k int, mask *[16]int32)
