//go:build !amd64 || noasm

package dsp

const useAVX = false

func preEmphasisAVX(y, x []float64) { panic("dsp: no assembly") }
func filterFramesAVX(dst []float64, stride int, pt []float64, fpad, groups int, w []float64) {
	panic("dsp: no assembly")
}
func nonFiniteAVX(x []float64) float64          { panic("dsp: no assembly") }
func subScaledAVX(y, a, b []float64, c float64) { panic("dsp: no assembly") }
