package dsp_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/tinyimpulse/tinyimpulse/dsp"
)

// audio returns n samples of a deterministic speech-like int16-scale signal
// at fs Hz: a few harmonics with a slow envelope plus noise.
func audio(n int, fs float64) []float64 {
	rnd := rand.New(rand.NewPCG(7, 7))
	x := make([]float64, n)
	for i := range x {
		t := float64(i) / fs
		env := 0.5 + 0.5*math.Sin(2*math.Pi*3*t)
		v := env * (3000*math.Sin(2*math.Pi*220*t) + 1500*math.Sin(2*math.Pi*440*t+1) + 700*math.Sin(2*math.Pi*1330*t))
		x[i] = math.Round(v + 200*rnd.NormFloat64())
	}
	return x
}

// accel returns n samples of 3-axis accelerometer-like data at fs Hz,
// interleaved.
func accel(n int, fs float64) []float64 {
	rnd := rand.New(rand.NewPCG(3, 3))
	x := make([]float64, 3*n)
	for i := range n {
		t := float64(i) / fs
		x[3*i] = 2*math.Sin(2*math.Pi*1.5*t) + 0.3*rnd.NormFloat64()
		x[3*i+1] = 1.2*math.Sin(2*math.Pi*3.1*t+0.5) + 0.3*rnd.NormFloat64()
		x[3*i+2] = 9.81 + 0.8*math.Sin(2*math.Pi*0.7*t) + 0.3*rnd.NormFloat64()
	}
	return x
}

func benchBlock(b *testing.B, blk dsp.Block, window []float64) {
	b.Helper()
	dst := make([]float64, 0, blk.NumFeatures())
	b.ReportAllocs()
	b.SetBytes(int64(8 * len(window)))
	for b.Loop() {
		var err error
		if dst, err = blk.AppendFeatures(dst[:0], window); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMFCC: version 4 defaults on 1 s of 16 kHz audio (Edge Impulse's
// Python block: 2.81 ms per call on this machine, spec/performance.md).
func BenchmarkMFCC(b *testing.B) {
	blk, err := dsp.NewMFCC(dsp.DefaultMFCCConfig(), dsp.Input{FrequencyHz: 16000, Axes: 1, Samples: 16000})
	if err != nil {
		b.Fatal(err)
	}
	benchBlock(b, blk, audio(16000, 16000))
}

// BenchmarkMFE: version 4 defaults on 1 s of 16 kHz audio (Python: 1.65 ms).
func BenchmarkMFE(b *testing.B) {
	blk, err := dsp.NewMFE(dsp.DefaultMFEConfig(), dsp.Input{FrequencyHz: 16000, Axes: 1, Samples: 16000})
	if err != nil {
		b.Fatal(err)
	}
	benchBlock(b, blk, audio(16000, 16000))
}

// BenchmarkSpectrogram: version 4 defaults on 1 s of 16 kHz audio
// (Python: 0.36 ms).
func BenchmarkSpectrogram(b *testing.B) {
	blk, err := dsp.NewSpectrogram(dsp.DefaultSpectrogramConfig(), dsp.Input{FrequencyHz: 16000, Axes: 1, Samples: 16000})
	if err != nil {
		b.Fatal(err)
	}
	benchBlock(b, blk, audio(16000, 16000))
}

// BenchmarkSpectral: version 4 defaults on 2 s of 3-axis data at 62.5 Hz
// (Python: 3.67 ms), plus the low-pass/FFT 128 case of Edge Impulse's
// published latency table and the wavelet path.
func BenchmarkSpectral(b *testing.B) {
	in := dsp.Input{FrequencyHz: 62.5, Axes: 3, Samples: 125}
	window := accel(125, 62.5)
	b.Run("defaults", func(b *testing.B) {
		blk, err := dsp.NewSpectral(dsp.DefaultSpectralConfig(), in)
		if err != nil {
			b.Fatal(err)
		}
		benchBlock(b, blk, window)
	})
	b.Run("low3-fft128", func(b *testing.B) {
		c := dsp.DefaultSpectralConfig()
		c.FilterType, c.FilterCutoff, c.FFTLength = "low", 3, 128
		blk, err := dsp.NewSpectral(c, in)
		if err != nil {
			b.Fatal(err)
		}
		benchBlock(b, blk, window)
	})
	b.Run("wavelet-db4", func(b *testing.B) {
		c := dsp.DefaultSpectralConfig()
		c.AnalysisType = "Wavelet"
		blk, err := dsp.NewSpectral(c, in)
		if err != nil {
			b.Fatal(err)
		}
		benchBlock(b, blk, window)
	})
}

// BenchmarkImage: a 96×96 RGB frame (Python: 1.78 ms).
func BenchmarkImage(b *testing.B) {
	for _, ch := range []string{"RGB", "Grayscale"} {
		b.Run(ch, func(b *testing.B) {
			blk, err := dsp.NewImage(dsp.ImageConfig{Channels: ch}, dsp.Input{Width: 96, Height: 96})
			if err != nil {
				b.Fatal(err)
			}
			rnd := rand.New(rand.NewPCG(1, 2))
			px := make([]float64, 96*96)
			for i := range px {
				px[i] = float64(rnd.Uint32() & 0xFFFFFF)
			}
			benchBlock(b, blk, px)
		})
	}
}
