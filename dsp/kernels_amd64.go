//go:build !noasm

package dsp

import "golang.org/x/sys/cpu"

// useAVX selects the AVX kernels (which need AVX2 for register broadcasts), which compute exactly what their Go
// references compute (the same operations in the same order, no fused
// multiply-add), several values at a time.
var useAVX = cpu.X86.HasAVX2

// preEmphasisAVX is preEmphasisGo shifted by one: it sets y[t-1] for
// 1 <= t < len(x), four at a time; len(y) = len(x)-1 is a multiple of 4.
//
//go:noescape
func preEmphasisAVX(y, x []float64)

// nonFiniteAVX is nonFiniteGo for len(x) a multiple of 16.
//
//go:noescape
func nonFiniteAVX(x []float64) float64

// subScaledAVX is subScaledGo for len(y) a multiple of 4.
//
//go:noescape
func subScaledAVX(y, a, b []float64, c float64)

// logAVX is math.Log of x, four values at a time, bit-identical to amd64's
// math.Log; it stops before the first group of four holding a value that is
// not a positive normal number and returns the number of values done.
//
//go:noescape
func logAVX(dst, x []float64) int

// dbGroupAVX is dbGroupGo for four frames, with top = 1 (version 3) or
// +Inf; it stops before the first bin holding NaN or +Inf and returns the
// number of bins done.
//
//go:noescape
func dbGroupAVX(dst []float64, ld int, p []float64, h int, a, b, top float64) int

// filterGroupAVX is filterGroupGo.
//
//go:noescape
func filterGroupAVX(dst []float64, ld int, p []float64, lo, off []int, w []float64)

// dctAVX is dctGo for kpad a multiple of 16.
//
//go:noescape
func dctAVX(out []float64, ldo int, logE []float64, m int, dctT []float64, kpad, frames int)

// pairwiseLeaf4AVX is the leaf of pairwiseBlock4Go, for 8 <= n <= 128.
//
//go:noescape
func pairwiseLeaf4AVX(dst *[4]float64, p []float64, n int)

// useAVX512 selects the AVX-512 variants, which compute exactly what the
// AVX2 kernels compute, eight values at a time.
var useAVX512 = useAVX && cpu.X86.HasAVX512F && cpu.X86.HasAVX512DQ && cpu.X86.HasAVX512VL

// dbGroup512 is dbGroupAVX with AVX-512.
//
//go:noescape
func dbGroup512(dst []float64, ld int, p []float64, h int, a, b, top float64) int
