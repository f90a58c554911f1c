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

// filterFramesAVX is filterFramesGo for frames 0..4·groups-1, four frames
// at a time.
//
//go:noescape
func filterFramesAVX(dst []float64, stride int, pt []float64, fpad, groups int, w []float64)

// nonFiniteAVX is nonFiniteGo for len(x) a multiple of 16.
//
//go:noescape
func nonFiniteAVX(x []float64) float64

// subScaledAVX is subScaledGo for len(y) a multiple of 4.
//
//go:noescape
func subScaledAVX(y, a, b []float64, c float64)
