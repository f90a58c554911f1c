//go:build !noasm

package fft

import "golang.org/x/sys/cpu"

// useAVX selects the AVX passes, which compute exactly what radix4Go and
// radix2Go compute (separate multiplies and adds, same order), four
// butterflies at a time.
var useAVX = cpu.X86.HasAVX

// useAVX2 selects the kernels that need AVX2 (gathers, lane permutes).
var useAVX2 = cpu.X86.HasAVX2

// radix4AVX is radix4Go for s a multiple of 4.
//
//go:noescape
func radix4AVX(re, im []float64, s int, tw []float64)

// radix2AVX is radix2Go for s a multiple of 4.
//
//go:noescape
func radix2AVX(re, im []float64, s int, tw []float64)

// deinterleaveAVX is deinterleaveGo for len(re) a multiple of 4.
//
//go:noescape
func deinterleaveAVX(re, im, x []float64)

// untangleAVX is untangleGo for len(re) >= 8 (a power of two), with the
// spectrum in natural order in re, im.
//
//go:noescape
func untangleAVX(dst, re, im, wr, wi []float64, scale float64)

// dft4AVX is dft4 for len(re) a multiple of 16: four blocks at a time,
// transposed so that the butterflies run across the blocks.
//
//go:noescape
func dft4AVX(re, im []float64)

// load4AVX is load4Go for len(re)/4 even.
//
//go:noescape
func load4AVX(re, im []float64, x *[4][]float64)

// radix4x4AVX is radix4x4Go.
//
//go:noescape
func radix4x4AVX(re, im []float64, s int, tw []float64)

// radix2x4AVX is radix2x4Go.
//
//go:noescape
func radix2x4AVX(re, im []float64, s int, tw []float64)

// dft4x4AVX is dft4x4Go.
//
//go:noescape
func dft4x4AVX(re, im []float64)

// untangle4AVX is untangle4Go for len(re)/4 >= 2.
//
//go:noescape
func untangle4AVX(dst []float64, ld int, re, im []float64, rev, revM []int32, wr, wi []float64, scale float64)
