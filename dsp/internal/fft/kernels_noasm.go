//go:build !amd64 || noasm

package fft

const useAVX = false

func radix4AVX(re, im []float64, s int, tw []float64) { panic("fft: no assembly") }
func radix2AVX(re, im []float64, s int, tw []float64) { panic("fft: no assembly") }
