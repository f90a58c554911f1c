package dsp

import "math"

// Cost holds what an on-device estimate of a block needs: the shape of its
// work and Edge Impulse's cost model of it on a Cortex-M4F
// (device-estimates.md §5.6), calibrated on Edge Impulse's published
// latencies. Fields that do not apply to a block are zero. Package device
// scales the cycles to other cores and clocks.
//
// Per window, with FFT length N, frames F of L samples, M filters and C
// coefficients, the cycles are:
//
//	MFCC        F·(96·L + 45·N·log2 N + 30·M·(N/2+1) + 400·M + 40·M·C) + 30·F·C
//	MFE         F·(96·L + 45·N·log2 N + 30·M·(N/2+1) + 400·M)
//	spectrogram F·(96·L + 45·N·log2 N)
//	spectral    axes·(2800·samples + 20·N·log2 N)
//	raw/flatten 5·samples·axes; image 25·pixels·channels
type Cost struct {
	// Block is the Edge Impulse block type, e.g. TypeMFCC.
	Block string
	// Axes and Samples describe the input window (Samples per axis).
	Axes, Samples int
	// FFTLength is the length of each real FFT.
	FFTLength int
	// Frames, FrameLength (samples), Filters and Cepstra describe the audio
	// blocks' framing, mel filterbank and DCT.
	Frames, FrameLength, Filters, Cepstra int
	// Pixels and Channels describe the image block's output.
	Pixels, Channels int
	// Features is the number of output features per window.
	Features int

	// Cycles is the time of one window on a Cortex-M4F computing in
	// float32, in clock cycles.
	Cycles float64
	// RAM is the working memory of one window, and ROM the code and
	// constant data, in bytes, on a Cortex-M4F.
	RAM, ROM int
}

func log2(n int) float64 { return math.Log2(float64(n)) }

// statsCost fills in the estimate of the raw and flatten blocks: a few
// operations per value.
func (c Cost) statsCost() Cost {
	n := c.Samples * max(c.Axes, 1)
	c.Cycles = 5 * float64(n)
	c.RAM = 4*n + 1024
	c.ROM = 2048
	return c
}
