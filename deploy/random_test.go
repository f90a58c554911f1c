package deploy_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/tinyimpulse/tinyimpulse/deploy"
	"github.com/tinyimpulse/tinyimpulse/dsp"
)

// randomCases builds n seeded random configurations of every block type
// that package dsp accepts, each with a random window (sums of sines and
// noise; int16-range audio for the audio blocks), and Go's features as the
// expected output.
func randomCases(t *testing.T, n int, seed uint64) []*refCase {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 7))
	pick := func(v ...any) any { return v[rng.IntN(len(v))] }
	signal := func(samples, axes int, fs, amp float64) []float64 {
		w := make([]float64, samples*axes)
		for a := range axes {
			f1, f2 := rng.Float64()*fs/2, rng.Float64()*fs/8
			p := rng.Float64() * 6
			off := rng.NormFloat64() * amp / 4
			for i := range samples {
				tt := float64(i) / fs
				w[i*axes+a] = off + amp*(0.6*math.Sin(2*math.Pi*f1*tt+p)+0.3*math.Sin(2*math.Pi*f2*tt)+0.1*rng.NormFloat64())
			}
		}
		return w
	}
	waves := dsp.WaveletNames()
	var cases []*refCase
	for len(cases) < n {
		var typ string
		var version int
		params := map[string]any{}
		var in dsp.Input
		var window []float64
		switch k := len(cases) % 7; k {
		case 0, 1, 2: // spectral analysis gets the most variants
			typ, version = "spectral-analysis", 1+rng.IntN(4)
			fs := pick(25.0, 62.5, 100.0, 1000.0, 3000.0).(float64)
			axes := 1 + rng.IntN(3)
			samples := 64 + rng.IntN(900)
			in = dsp.Input{FrequencyHz: fs, Axes: axes, Samples: samples}
			params["scale-axes"] = pick(1.0, 0.5, 3.0).(float64)
			params["fft-length"] = pick(16, 32, 64, 128, 256).(int)
			params["filter-type"] = pick("none", "low", "high").(string)
			params["filter-cutoff"] = fs * (0.02 + 0.4*rng.Float64())
			params["filter-order"] = pick(0, 2, 4, 6, 8).(int)
			params["do-log"] = rng.IntN(4) > 0
			params["do-fft-overlap"] = rng.IntN(2) > 0
			if version >= 3 && rng.IntN(3) == 0 {
				params["analysis-type"] = "Wavelet"
				params["wavelet"] = waves[rng.IntN(len(waves))]
				params["wavelet-level"] = rng.IntN(3)
			}
			if version == 4 {
				params["input-decimation-ratio"] = pick("1", "1", "3", "10").(string)
				params["extra-low-freq"] = rng.IntN(3) == 0
			}
			if version == 1 {
				params["spectral-peaks-count"] = rng.IntN(5)
				params["spectral-peaks-threshold"] = rng.Float64() * 0.3
				params["spectral-power-edges"] = fmt.Sprintf("%g, %g, %g", fs*0.01, fs*0.1, fs*0.3)
			}
			window = signal(samples, axes, fs, pick(1.0, 9.81, 0.01).(float64))
		case 3:
			typ, version = "mfcc", 1+rng.IntN(4)
			fs := pick(8000.0, 11025.0, 16000.0).(float64)
			samples := int(fs * (0.3 + 0.7*rng.Float64()))
			in = dsp.Input{FrequencyHz: fs, Axes: 1, Samples: samples}
			params["num_cepstral"] = 5 + rng.IntN(20)
			params["num_filters"] = pick(16, 32, 40).(int)
			params["fft_length"] = pick(256, 512, 1024).(int)
			params["frame_length"] = pick(0.02, 0.025, 0.032).(float64)
			params["frame_stride"] = pick(0.01, 0.02, 0.025).(float64)
			params["win_size"] = pick(0, 5, 51, 101).(int)
			params["pre_cof"] = pick(0.98, 0.9, 0.0).(float64)
			params["pre_shift"] = pick(1, 2, 7).(int)
			window = signal(samples, 1, fs, 3000)
		case 4:
			typ, version = "mfe", 1+rng.IntN(4)
			fs := pick(8000.0, 11025.0, 16000.0).(float64)
			samples := int(fs * (0.3 + 0.7*rng.Float64()))
			in = dsp.Input{FrequencyHz: fs, Axes: 1, Samples: samples}
			params["num_filters"] = pick(16, 32, 40).(int)
			params["fft_length"] = pick(256, 512, 1024).(int)
			params["frame_length"] = pick(0.02, 0.025, 0.032).(float64)
			params["frame_stride"] = pick(0.01, 0.02).(float64)
			params["win_size"] = pick(5, 51, 101).(int)
			params["noise_floor_db"] = pick(-52, -72, -30).(int)
			params["low_frequency"] = pick(0, 80, 300).(int)
			window = signal(samples, 1, fs, 3000)
		case 5:
			typ, version = "spectrogram", 1+rng.IntN(4)
			fs := pick(100.0, 8000.0, 16000.0).(float64)
			samples := int(fs * (0.3 + 0.7*rng.Float64()))
			in = dsp.Input{FrequencyHz: fs, Axes: 1, Samples: samples}
			params["fft_length"] = pick(64, 128, 256).(int)
			params["frame_length"] = pick(0.02, 0.05, 0.1).(float64)
			params["frame_stride"] = pick(0.01, 0.05).(float64)
			params["noise_floor_db"] = pick(-52, -72).(int)
			window = signal(samples, 1, fs, pick(3000.0, 0.5).(float64))
		case 6:
			switch rng.IntN(3) {
			case 0:
				typ, version = "flatten", 1
				axes, samples := 1+rng.IntN(3), 20+rng.IntN(300)
				in = dsp.Input{FrequencyHz: 100, Axes: axes, Samples: samples}
				params["scale-axes"] = pick(1.0, 2.5).(float64)
				for _, s := range []string{"average", "minimum", "maximum", "rms", "stdev", "skewness", "kurtosis"} {
					params[s] = rng.IntN(4) > 0
				}
				window = signal(samples, axes, 100, 9.81)
			case 1:
				typ, version = "raw", 1
				axes, samples := 1+rng.IntN(3), 20+rng.IntN(300)
				in = dsp.Input{FrequencyHz: 100, Axes: axes, Samples: samples}
				params["scale-axes"] = pick(1.0, 0.25).(float64)
				window = signal(samples, axes, 100, 9.81)
			default:
				typ, version = "image", 1
				w, h := 4+rng.IntN(30), 4+rng.IntN(30)
				in = dsp.Input{Width: w, Height: h, Samples: w * h}
				params["channels"] = pick("RGB", "Grayscale").(string)
				window = make([]float64, w*h)
				for i := range window {
					window[i] = float64(rng.IntN(1 << 24))
				}
			}
		}
		blk, err := dsp.New(typ, version, params, in)
		var ce *dsp.ConfigError
		if errors.As(err, &ce) {
			continue // a configuration Edge Impulse refuses
		}
		if err != nil {
			t.Fatal(err)
		}
		feats, err := blk.AppendFeatures(nil, window)
		if err != nil {
			t.Fatal(err)
		}
		cb, err := deploy.NewDSPBlock(blk)
		if err != nil {
			t.Fatal(err)
		}
		c := &refCase{ID: fmt.Sprintf("random%03d-%s-v%d", len(cases), typ, version), Features: feats, window: window, block: cb, input: in}
		c.req.Block, c.req.ImplementationVersion, c.req.Params = typ, version, params
		// Go's float64 steps against the float64 build: a few ulps of
		// difference in sums, FFTs and logarithms.
		c.Tolerance.RTol, c.Tolerance.ATol = 1e-6, 1e-9
		for _, v := range feats {
			c.Tolerance.ATol = math.Max(c.Tolerance.ATol, 1e-9*math.Abs(v))
		}
		if typ == "mfe" && version >= 3 {
			c.Tolerance.MaxFlip = 0.005
		}
		cases = append(cases, c)
	}
	return cases
}

// TestHostRandomConfigs runs 140 seeded random configurations of every
// block type (all versions, filters, decimation, extra-low-frequency and
// wavelet features, version 1 peaks, audio framings and normalisation
// windows, images) through the C runtime's host builds and holds them to
// package dsp's features: within 1e-6 relative (1e-9 of the largest value
// absolute) in the float64 build, within the float32 tolerance in the
// float32 build, with the memory and bad-input checks of TestHostParity.
func TestHostRandomConfigs(t *testing.T) {
	hostCC(t)
	cases := randomCases(t, 140, 2026)
	for _, v := range []struct {
		p    deploy.Precision
		asan bool
	}{{deploy.Float32, false}, {deploy.Float64, false}, {deploy.Float32, true}, {deploy.Float64, true}} {
		name := v.p.String()
		if v.asan {
			name += "-asan"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			res := runDriver(t, buildDriver(t, cases, v.p, v.asan), cases)
			worst := map[string]float64{}
			for i, c := range cases {
				c.checkMemory(t, v.p, res[i])
				if res[i].status != 0 {
					continue
				}
				u, _ := c.compare(t, v.p, res[i].features)
				k := blockKey(c)
				worst[k] = math.Max(worst[k], u)
			}
			t.Logf("%s: largest difference as a fraction of the tolerance per block: %v", name, worst)
		})
	}
}
