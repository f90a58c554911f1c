package dsp_test

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/tinyimpulse/tinyimpulse/dsp"
)

// sine returns n samples of a sine of freq Hz sampled at fs Hz, scaled by
// amp.
func sine(n int, fs, freq, amp float64) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = amp * math.Sin(2*math.Pi*freq*float64(i)/fs)
	}
	return x
}

// Spectral features of a 5 Hz vibration sampled at 100 Hz: the strongest
// bin of the spectrum is the one around 5 Hz.
func ExampleSpectral_AppendFeatures() {
	cfg := dsp.DefaultSpectralConfig()
	cfg.FFTLength = 64
	blk, err := dsp.NewSpectral(cfg, dsp.Input{FrequencyHz: 100, Axes: 1, Samples: 200})
	if err != nil {
		fmt.Println(err)
		return
	}
	feats, err := blk.AppendFeatures(nil, sine(200, 100, 5, 2))
	if err != nil {
		fmt.Println(err)
		return
	}
	labels := blk.Labels()
	best := 5 // the spectral power bins follow RMS, skewness, kurtosis and the spectral statistics
	for i := 5; i < len(feats); i++ {
		if feats[i] > feats[best] {
			best = i
		}
	}
	fmt.Printf("%d features, RMS %.3f, strongest bin %q\n", len(feats), feats[0], labels[best])
	// Output:
	// 37 features, RMS 1.414, strongest bin "Spectral Power 3.91 - 5.47 Hz"
}

// MFCC features of one second of 16 kHz audio with Studio's defaults: 50
// frames of 13 coefficients, which a convolutional network reads as a
// 50 × 13 image.
func ExampleMFCC() {
	blk, err := dsp.NewMFCC(dsp.DefaultMFCCConfig(), dsp.Input{FrequencyHz: 16000, Axes: 1, Samples: 16000})
	if err != nil {
		fmt.Println(err)
		return
	}
	feats, err := blk.AppendFeatures(nil, sine(16000, 16000, 440, 8000))
	if err != nil {
		fmt.Println(err)
		return
	}
	out := blk.Output()
	fmt.Println(len(feats), out.Type, out.Shape.Width, out.Shape.Height)
	// Output: 650 spectrogram 50 13
}

// Reusing one block and one buffer for a stream of windows allocates
// nothing per window.
func Example_reuse() {
	blk, err := dsp.NewMFE(dsp.DefaultMFEConfig(), dsp.Input{FrequencyHz: 16000, Axes: 1, Samples: 16000})
	if err != nil {
		fmt.Println(err)
		return
	}
	feats := make([]float64, 0, blk.NumFeatures())
	for _, freq := range []float64{300, 1000, 3000} {
		feats, err = blk.AppendFeatures(feats[:0], sine(16000, 16000, freq, 10000))
		if err != nil {
			fmt.Println(err)
			return
		}
		// The filter with the most energy in the middle frame.
		frame := feats[49*40 : 50*40]
		loudest := 0
		for j, v := range frame {
			if v > frame[loudest] {
				loudest = j
			}
		}
		fmt.Printf("%.0f Hz: loudest mel filter %d\n", freq, loudest)
	}
	// Output:
	// 300 Hz: loudest mel filter 5
	// 1000 Hz: loudest mel filter 13
	// 3000 Hz: loudest mel filter 26
}

// New builds a block from Studio's parameters, as they appear in an
// impulse's "dsp" section: strings or JSON values, omitted ones taking
// Studio's defaults.
func ExampleNew() {
	params := map[string]any{"scale-axes": "1", "fft-length": "32", "filter-type": "low", "filter-cutoff": 8}
	blk, err := dsp.New("spectral-analysis", 4, params, dsp.Input{FrequencyHz: 62.5, Axes: 3, Samples: 125})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(blk.NumFeatures(), blk.Labels()[5:7])

	params["fft-length"] = "100"
	_, err = dsp.New("spectral-analysis", 4, params, dsp.Input{FrequencyHz: 62.5, Axes: 3, Samples: 125})
	fmt.Println(err)
	// Output:
	// 27 [Spectral Power 0.98 - 2.93 Hz Spectral Power 2.93 - 4.88 Hz]
	// dsp: spectral-analysis: fft-length = 100: FFT length must be a power of 2
}

// A Request is one call in the format of Edge Impulse's block servers;
// images arrive as width, height and packed 0xRRGGBB pixels.
func ExampleRequest() {
	const body = `{"block": "image", "implementation_version": 1, "params": {"channels": "Grayscale"},
		"axes": 1, "input": [2, 1, 16711680, 65280]}`
	var req dsp.Request
	if err := json.NewDecoder(strings.NewReader(body)).Decode(&req); err != nil {
		fmt.Println(err)
		return
	}
	blk, window, err := req.Build()
	if err != nil {
		fmt.Println(err)
		return
	}
	feats, _ := blk.AppendFeatures(nil, window)
	fmt.Printf("%.4f %+v\n", feats, blk.Output())
	// Output: [0.2990 0.5870] {Type:image Shape:{Width:2 Height:1 Channels:1 Frames:1}}
}
