//go:build !amd64 || noasm

package fft

const (
	useAVX  = false
	useAVX2 = false
)

func radix4AVX(re, im []float64, s int, tw []float64)          { panic("fft: no assembly") }
func radix2AVX(re, im []float64, s int, tw []float64)          { panic("fft: no assembly") }
func deinterleaveAVX(re, im, x []float64)                      { panic("fft: no assembly") }
func untangleAVX(dst, re, im, wr, wi []float64, scale float64) { panic("fft: no assembly") }
func dft4AVX(re, im []float64)                                 { panic("fft: no assembly") }

func load4AVX(re, im []float64, x *[4][]float64)        { panic("fft: no assembly") }
func radix4x4AVX(re, im []float64, s int, tw []float64) { panic("fft: no assembly") }
func radix2x4AVX(re, im []float64, s int, tw []float64) { panic("fft: no assembly") }
func dft4x4AVX(re, im []float64)                        { panic("fft: no assembly") }
func untangle4AVX(dst []float64, ld int, re, im []float64, rev, revM []int32, wr, wi []float64, scale float64) {
	panic("fft: no assembly")
}
