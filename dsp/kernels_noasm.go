//go:build !amd64 || noasm

package dsp

const useAVX = false

func preEmphasisAVX(y, x []float64)             { panic("dsp: no assembly") }
func nonFiniteAVX(x []float64) float64          { panic("dsp: no assembly") }
func subScaledAVX(y, a, b []float64, c float64) { panic("dsp: no assembly") }

func logAVX(dst, x []float64) int { panic("dsp: no assembly") }
func dbGroupAVX(dst []float64, ld int, p []float64, h int, a, b, top float64) int {
	panic("dsp: no assembly")
}
func filterGroupAVX(dst []float64, ld int, p []float64, lo, off []int, w []float64) {
	panic("dsp: no assembly")
}

func dctAVX(out []float64, ldo int, logE []float64, m int, dctT []float64, kpad, frames int) {
	panic("dsp: no assembly")
}
func pairwiseLeaf4AVX(dst *[4]float64, p []float64, n int) { panic("dsp: no assembly") }

const useAVX512 = false

func dbGroup512(dst []float64, ld int, p []float64, h int, a, b, top float64) int {
	panic("dsp: no assembly")
}
