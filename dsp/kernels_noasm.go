//go:build !amd64 || noasm

package dsp

const useAVX = false

func preEmphasisAVX(y, x []float64)                          { panic("dsp: no assembly") }
func filterRowsAVX(out, pt []float64, fpad int, w []float64) { panic("dsp: no assembly") }
func nonFiniteAVX(x []float64) float64                       { panic("dsp: no assembly") }
