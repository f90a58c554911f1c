package dsp_test

import (
	"encoding/json"
	"errors"
	"image"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/tinyimpulse/tinyimpulse/dsp"
)

// TestBadWindows checks that every block refuses windows of the wrong
// length and windows with NaN or infinite values, with ErrInput and without
// touching what dst already held.
func TestBadWindows(t *testing.T) {
	t.Parallel()
	audioIn := dsp.Input{FrequencyHz: 16000, Axes: 1, Samples: 4000}
	accelIn := dsp.Input{FrequencyHz: 62.5, Axes: 3, Samples: 125}
	blocks := map[string]struct {
		b  dsp.Block
		in dsp.Input
	}{}
	add := func(name string, b dsp.Block, err error, in dsp.Input) {
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		blocks[name] = struct {
			b  dsp.Block
			in dsp.Input
		}{b, in}
	}
	r, err := dsp.NewRaw(dsp.DefaultRawConfig(), accelIn)
	add("raw", r, err, accelIn)
	f, err := dsp.NewFlatten(dsp.DefaultFlattenConfig(), accelIn)
	add("flatten", f, err, accelIn)
	s, err := dsp.NewSpectral(dsp.DefaultSpectralConfig(), accelIn)
	add("spectral", s, err, accelIn)
	sg, err := dsp.NewSpectrogram(dsp.DefaultSpectrogramConfig(), audioIn)
	add("spectrogram", sg, err, audioIn)
	me, err := dsp.NewMFE(dsp.DefaultMFEConfig(), audioIn)
	add("mfe", me, err, audioIn)
	mc, err := dsp.NewMFCC(dsp.DefaultMFCCConfig(), audioIn)
	add("mfcc", mc, err, audioIn)
	imgIn := dsp.Input{Width: 4, Height: 3}
	im, err := dsp.NewImage(dsp.DefaultImageConfig(), imgIn)
	add("image", im, err, dsp.Input{Samples: 12, Axes: 1})

	for name, c := range blocks {
		n := c.in.Len()
		prefix := []float64{1, 2, 3}
		try := func(what string, window []float64) {
			dst := append(make([]float64, 0, 100000), prefix...)
			got, err := c.b.AppendFeatures(dst, window)
			if !errors.Is(err, dsp.ErrInput) {
				t.Errorf("%s, %s: error %v, want ErrInput", name, what, err)
			}
			if len(got) != len(prefix) || got[0] != 1 || got[2] != 3 {
				t.Errorf("%s, %s: dst changed to length %d", name, what, len(got))
			}
		}
		try("empty", nil)
		try("short", make([]float64, n-1))
		try("long", make([]float64, n+1))
		for _, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
			w := make([]float64, n)
			w[n/2] = bad
			try("non-finite", w)
		}
	}
	// Pixels must be integers in [0, 2³²).
	for _, bad := range []float64{-1, 0.5, 1 << 33} {
		w := make([]float64, 12)
		w[5] = bad
		if _, err := im.AppendFeatures(nil, w); !errors.Is(err, dsp.ErrInput) {
			t.Errorf("pixel %v: error %v, want ErrInput", bad, err)
		}
	}
}

// TestBadConfigurations checks refusals of configurations Edge Impulse
// refuses and of meaningless ones, each as a *ConfigError naming the
// parameter.
func TestBadConfigurations(t *testing.T) {
	t.Parallel()
	audio := dsp.Input{FrequencyHz: 16000, Axes: 1, Samples: 16000}
	accel := dsp.Input{FrequencyHz: 62.5, Axes: 3, Samples: 125}
	cases := []struct {
		name, block string
		version     int
		params      map[string]any
		in          dsp.Input
		param       string
	}{
		{"unknown block", "wavelet", 1, nil, accel, ""},
		{"unknown parameter", "raw", 1, map[string]any{"scale": 1}, accel, "scale"},
		{"not a number", "raw", 1, map[string]any{"scale-axes": "two"}, accel, "scale-axes"},
		{"version 2 of raw", "raw", 2, nil, accel, "implementationVersion"},
		{"version 5", "mfcc", 5, nil, audio, "implementationVersion"},
		{"no axes", "raw", 1, nil, dsp.Input{FrequencyHz: 10, Samples: 10}, "axes"},
		{"no samples", "flatten", 1, nil, dsp.Input{FrequencyHz: 10, Axes: 1}, ""},
		{"zero frequency", "spectral-analysis", 4, nil, dsp.Input{Axes: 1, Samples: 100}, "sampling_freq"},
		{"NaN frequency", "mfe", 4, nil, dsp.Input{FrequencyHz: math.NaN(), Axes: 1, Samples: 100}, "sampling_freq"},
		{"FFT not a power of two", "mfe", 4, map[string]any{"fft_length": 300}, audio, "fft_length"},
		{"FFT zero", "spectrogram", 4, map[string]any{"fft_length": 0}, audio, "fft_length"},
		{"FFT negative", "spectral-analysis", 4, map[string]any{"fft-length": -16}, accel, "fft-length"},
		{"FFT huge", "mfcc", 4, map[string]any{"fft_length": 1 << 30}, audio, "fft_length"},
		{"FFT huge for the frame count", "mfe", 4, map[string]any{"fft_length": 1 << 20, "frame_stride": 0.002}, audio, "fft_length"},
		{"fractional int", "mfcc", 4, map[string]any{"num_filters": 32.5}, audio, "num_filters"},
		{"two axes for MFCC", "mfcc", 4, nil, dsp.Input{FrequencyHz: 16000, Axes: 2, Samples: 8000}, "axes"},
		{"high frequency above Nyquist", "mfcc", 4, map[string]any{"high_frequency": 9000}, audio, "high_frequency"},
		{"negative low frequency", "mfe", 4, map[string]any{"low_frequency": -10}, audio, "low_frequency"},
		{"low above high", "mfe", 4, map[string]any{"low_frequency": 5000, "high_frequency": 4000}, audio, "low_frequency"},
		{"window shorter than a frame", "mfcc", 4, map[string]any{"frame_length": 2}, audio, "frame_length"},
		{"zero stride", "mfe", 4, map[string]any{"frame_stride": 0}, audio, "frame_stride"},
		{"negative frame", "spectrogram", 4, map[string]any{"frame_length": -0.02}, audio, "frame_length"},
		{"even win_size", "mfcc", 4, map[string]any{"win_size": 100}, audio, "win_size"},
		{"huge win_size", "mfcc", 4, map[string]any{"win_size": 1<<16 + 1}, audio, "win_size"},
		{"zero pre_shift", "mfcc", 4, map[string]any{"pre_shift": 0}, audio, "pre_shift"},
		{"one filter", "mfe", 4, map[string]any{"num_filters": 1}, audio, "num_filters"},
		{"noise floor 12 dB", "spectrogram", 4, map[string]any{"noise_floor_db": 12}, audio, "noise_floor_db"},
		{"noise floor above 12 dB", "mfe", 3, map[string]any{"noise_floor_db": 20, "fft_length": 512}, audio, "noise_floor_db"},
		{"cutoff above Nyquist", "spectral-analysis", 4, map[string]any{"filter-type": "low", "filter-cutoff": 40}, accel, "filter-cutoff"},
		{"odd order", "spectral-analysis", 4, map[string]any{"filter-type": "high", "filter-order": 3}, accel, "filter-order"},
		{"order 10", "spectral-analysis", 4, map[string]any{"filter-type": "high", "filter-order": 10}, accel, "filter-order"},
		{"negative cutoff", "spectral-analysis", 4, map[string]any{"filter-type": "low", "filter-cutoff": -1}, accel, "filter-cutoff"},
		{"unknown filter", "spectral-analysis", 4, map[string]any{"filter-type": "band"}, accel, "filter-type"},
		{"unknown wavelet", "spectral-analysis", 4, map[string]any{"analysis-type": "Wavelet", "wavelet": "db99"}, accel, "wavelet"},
		{"wavelet level too high", "spectral-analysis", 4, map[string]any{"analysis-type": "Wavelet", "wavelet-level": 3}, accel, "wavelet-level"},
		{"decimation 7", "spectral-analysis", 4, map[string]any{"input-decimation-ratio": 7}, accel, "input-decimation-ratio"},
		{"bad power edges", "spectral-analysis", 1, map[string]any{"spectral-power-edges": "0.1, x"}, accel, "spectral-power-edges"},
		{"image channels", "image", 1, map[string]any{"channels": "CMYK"}, dsp.Input{Width: 2, Height: 2}, "channels"},
		{"image without size", "image", 1, nil, dsp.Input{Samples: 4}, "width/height"},
	}
	for _, c := range cases {
		blk, err := dsp.New(c.block, c.version, c.params, c.in)
		if blk != nil {
			t.Errorf("%s: New returned a non-nil Block (%T) with its error", c.name, blk)
		}
		var ce *dsp.ConfigError
		if !errors.As(err, &ce) {
			t.Errorf("%s: error %v, want a *dsp.ConfigError", c.name, err)
			continue
		}
		if ce.Param != c.param {
			t.Errorf("%s: error names parameter %q, want %q (%v)", c.name, ce.Param, c.param, err)
		}
	}
}

// TestNoAllocations checks that every block computes a window without
// allocating when dst has room.
func TestNoAllocations(t *testing.T) {
	audio := dsp.Input{FrequencyHz: 16000, Axes: 1, Samples: 16000}
	accelIn := dsp.Input{FrequencyHz: 62.5, Axes: 3, Samples: 125}
	wav := audio16k()
	acc := accel(125, 62.5)
	check := func(name string, b dsp.Block, err error, w []float64) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		dst := make([]float64, 0, b.NumFeatures())
		if n := testing.AllocsPerRun(5, func() { dst, _ = b.AppendFeatures(dst[:0], w) }); n != 0 {
			t.Errorf("%s: %v allocations per window", name, n)
		}
	}
	for v := 1; v <= 4; v++ {
		c := dsp.DefaultSpectralConfig()
		c.ImplementationVersion = v
		c.FilterType = "low"
		s, err := dsp.NewSpectral(c, accelIn)
		check("spectral", s, err, acc)
		if v >= 3 {
			c.AnalysisType = "Wavelet"
			s, err := dsp.NewSpectral(c, accelIn)
			check("wavelet", s, err, acc)
		}
		m := dsp.DefaultMFCCConfig()
		m.ImplementationVersion = v
		m.FFTLength = 512
		mc, err := dsp.NewMFCC(m, audio)
		check("mfcc", mc, err, wav)
		e := dsp.DefaultMFEConfig()
		e.ImplementationVersion = v
		e.FFTLength = 512
		me, err := dsp.NewMFE(e, audio)
		check("mfe", me, err, wav)
		g := dsp.DefaultSpectrogramConfig()
		g.ImplementationVersion = v
		sg, err := dsp.NewSpectrogram(g, audio)
		check("spectrogram", sg, err, wav)
	}
	c := dsp.DefaultSpectralConfig()
	c.ExtraLowFreq = true
	lf, err := dsp.NewSpectral(c, dsp.Input{FrequencyHz: 62.5, Axes: 3, Samples: 250})
	check("extra low freq", lf, err, accel(250, 62.5))
	c = dsp.DefaultSpectralConfig()
	c.InputDecimationRatio = 10
	dc, err := dsp.NewSpectral(c, dsp.Input{FrequencyHz: 1000, Axes: 3, Samples: 2000})
	check("decimation", dc, err, accel(2000, 1000))
	r, err := dsp.NewRaw(dsp.DefaultRawConfig(), accelIn)
	check("raw", r, err, acc)
	f, err := dsp.NewFlatten(dsp.DefaultFlattenConfig(), accelIn)
	check("flatten", f, err, acc)
	im, err := dsp.NewImage(dsp.DefaultImageConfig(), dsp.Input{Width: 8, Height: 8})
	check("image", im, err, make([]float64, 64))
}

func audio16k() []float64 { return audio(16000, 16000) }

// FuzzRequest feeds arbitrary JSON to the request decoder and the block it
// builds: nothing may panic, and a block that accepts a window returns
// exactly NumFeatures features.
func FuzzRequest(f *testing.F) {
	files, _ := filepath.Glob("../testdata/dsp/*.json")
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil || len(data) > 20000 {
			continue
		}
		f.Add(data)
	}
	f.Add([]byte(`{"block":"mfe","params":{"frame_length":"0.001"},"sampling_freq":8000,"axes":["a"],"input":[1,2,3,4,5,6,7,8,9,10,11,12]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var req dsp.Request
		if json.Unmarshal(data, &req) != nil {
			return
		}
		if len(req.Input) > 1<<16 {
			return
		}
		blk, window, err := req.Build()
		if err != nil {
			return
		}
		feats, err := blk.AppendFeatures(nil, window)
		if err == nil && len(feats) != blk.NumFeatures() {
			t.Fatalf("%d features, NumFeatures %d", len(feats), blk.NumFeatures())
		}
	})
}

// FuzzBlocks builds blocks from random combinations of plausible and
// absurd parameter values and computes a random window: nothing may panic,
// and a block that accepts a window returns NumFeatures finite features
// for finite, moderate input.
func FuzzBlocks(f *testing.F) {
	f.Add(uint8(0), uint8(4), uint64(1), uint16(125), uint8(3))
	f.Add(uint8(4), uint8(3), uint64(7), uint16(800), uint8(1))
	f.Add(uint8(5), uint8(1), uint64(9), uint16(4000), uint8(1))
	f.Add(uint8(6), uint8(2), uint64(3), uint16(2000), uint8(1))
	f.Fuzz(func(t *testing.T, kind, version uint8, seed uint64, samples uint16, axes uint8) {
		rnd := rand.New(rand.NewPCG(seed, uint64(kind)))
		pick := func(vs ...any) any { return vs[rnd.IntN(len(vs))] }
		fs := pick(1.0, 25.0, 62.5, 100.0, 1000.0, 8000.0, 11025.0, 16000.0).(float64)
		typ := dsp.BlockTypes[int(kind)%len(dsp.BlockTypes)]
		p := map[string]any{}
		set := func(name string, vs ...any) {
			if rnd.IntN(2) == 0 {
				p[name] = pick(vs...)
			}
		}
		switch typ {
		case "raw", "flatten":
			set("scale-axes", 0.0, 1.0, -2.5, 1e-3, "3")
			set("rms", true, false)
			set("kurtosis", "false", true)
		case "spectral-analysis":
			set("scale-axes", 1.0, 0.001, 1e6)
			set("input-decimation-ratio", 1, 3, 10, 30, 100, 1000, 0, 7)
			set("filter-type", "low", "high", "none")
			set("filter-cutoff", 0.0, 0.5, 3.0, 12.0, 40.0, 499.0, -1.0)
			set("filter-order", 0, 2, 4, 6, 8, 3, 10, -2)
			set("analysis-type", "FFT", "Wavelet")
			set("fft-length", 1, 2, 8, 16, 64, 256, 1024, 3, 0)
			set("spectral-peaks-count", 0, 1, 3, 10, -1)
			set("spectral-peaks-threshold", 0.0, 0.1, 10.0)
			set("spectral-power-edges", "0.1, 0.5, 1.0, 2.0, 5.0", "5, 1", "", "1")
			set("do-log", true, false)
			set("do-fft-overlap", true, false)
			set("wavelet-level", 0, 1, 2, 5, -1)
			set("wavelet", "db4", "haar", "sym10", "bior6.8", "coif3", "nope")
			set("extra-low-freq", true, false)
		case "spectrogram", "mfe", "mfcc":
			set("frame_length", 0.02, 0.025, 0.001, 0.5, 0.0)
			set("frame_stride", 0.01, 0.02, 0.0005, 1.0)
			set("fft_length", 64, 128, 256, 512, 2048, 100)
			set("num_filters", 2, 8, 32, 40, 128, 1)
			set("num_cepstral", 1, 13, 40, 0)
			set("low_frequency", 0, 20, 300, 5000)
			set("high_frequency", 0, 4000, 7600, 20000)
			set("win_size", 0, 1, 3, 101, 4, -1)
			set("noise_floor_db", -52, -100, 0, 11, 12)
			set("pre_cof", 0.0, 0.98, 1.5)
			set("pre_shift", 1, 2, 0, 100000)
			if typ == "spectrogram" {
				for _, k := range []string{"num_filters", "num_cepstral", "low_frequency", "high_frequency", "win_size", "pre_cof", "pre_shift"} {
					delete(p, k)
				}
			}
			if typ == "mfe" {
				delete(p, "num_cepstral")
				delete(p, "pre_cof")
				delete(p, "pre_shift")
			}
			if typ == "mfcc" {
				delete(p, "noise_floor_db")
			}
		case "image":
			set("channels", "RGB", "Grayscale", "BGR")
		}
		in := dsp.Input{FrequencyHz: fs, Axes: int(axes%4) + 1, Samples: int(samples % 5000)}
		if typ == "image" {
			w := int(samples%17) + 1
			in = dsp.Input{Width: w, Height: int(axes%9) + 1}
		}
		blk, err := dsp.New(typ, int(version%6), p, in)
		if err != nil {
			return
		}
		n := in.Len()
		if typ == "image" {
			n = in.Width * in.Height
		}
		w := make([]float64, n)
		for i := range w {
			if typ == "image" {
				w[i] = float64(rnd.Uint32() & 0xFFFFFF)
			} else {
				w[i] = math.Round(rnd.NormFloat64() * 3000)
			}
		}
		feats, err := blk.AppendFeatures(nil, w)
		if err != nil {
			t.Fatalf("%s %v %+v: accepted the block, refused the window: %v", typ, p, in, err)
		}
		if len(feats) != blk.NumFeatures() {
			t.Fatalf("%s %v: %d features, NumFeatures %d", typ, p, len(feats), blk.NumFeatures())
		}
		for i, v := range feats {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				if s, ok := p["scale-axes"].(float64); ok && s >= 1e6 {
					continue // large scales may overflow float32, as in Edge Impulse's block
				}
				t.Fatalf("%s v%d %v %+v: feature %d is %v", typ, version%6, p, in, i, v)
			}
		}
	})
}

// TestAppendImage checks that AppendImage gives the features of the same
// pixels packed as 0xRRGGBB, for an image whose bounds do not start at the
// origin, and refuses an image of the wrong size.
func TestAppendImage(t *testing.T) {
	t.Parallel()
	rnd := rand.New(rand.NewPCG(8, 8))
	full := image.NewRGBA(image.Rect(0, 0, 7, 6))
	for i := range full.Pix {
		full.Pix[i] = uint8(rnd.UintN(256))
		if i%4 == 3 {
			full.Pix[i] = 255
		}
	}
	img := full.SubImage(image.Rect(2, 1, 7, 5)).(*image.RGBA) // 5×4, origin (2, 1)
	var packed []float64
	for y := 1; y < 5; y++ {
		for x := 2; x < 7; x++ {
			c := full.RGBAAt(x, y)
			packed = append(packed, float64(uint32(c.R)<<16|uint32(c.G)<<8|uint32(c.B)))
		}
	}
	for _, ch := range []string{"RGB", "Grayscale"} {
		b, err := dsp.NewImage(dsp.ImageConfig{Channels: ch}, dsp.Input{Width: 5, Height: 4})
		if err != nil {
			t.Fatal(err)
		}
		want, err := b.AppendFeatures(nil, packed)
		if err != nil {
			t.Fatal(err)
		}
		got, err := b.AppendImage([]float64{-1}, img)
		if err != nil {
			t.Fatal(err)
		}
		if got[0] != -1 || !slices.Equal(got[1:], want) {
			t.Errorf("%s: AppendImage gives %v, AppendFeatures %v", ch, got, want)
		}
		if got, err := b.AppendImage([]float64{-1}, full); !errors.Is(err, dsp.ErrInput) || len(got) != 1 {
			t.Errorf("%s: a 7×6 image for a 5×4 block: %d values, error %v", ch, len(got), err)
		}
	}
}
