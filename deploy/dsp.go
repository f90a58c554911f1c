package deploy

import (
	"errors"
	"fmt"
	"math"
	"regexp"

	"github.com/tinyimpulse/tinyimpulse/dsp"
)

// Precision is the arithmetic of the C runtime's ti_real, which carries the
// steps Edge Impulse's blocks compute in float64. The steps they compute in
// float32 are float32 in both.
type Precision int

const (
	// Float32 makes ti_real float: the device build, fast on a
	// single-precision FPU such as the Cortex-M4F's.
	Float32 Precision = iota
	// Float64 makes ti_real double (compile with -DTI_DSP_DOUBLE=1):
	// faithful to Edge Impulse's float64 steps, slow without a
	// double-precision FPU.
	Float64
)

// String returns "float32" or "float64".
func (p Precision) String() string {
	if p == Float64 {
		return "float64"
	}
	return "float32"
}

// realSize returns sizeof(ti_real).
func (p Precision) realSize() int {
	if p == Float64 {
		return 8
	}
	return 4
}

// Define returns the preprocessor definition that selects p
// (TI_DSP_DOUBLE=0 or 1).
func (p Precision) Define() string {
	return fmt.Sprintf("TI_DSP_DOUBLE=%d", b2i(p == Float64))
}

// DSPBlock is a processing block prepared for the C runtime: its
// configuration struct and tables, and the working memory it needs.
type DSPBlock struct {
	d dsp.Design
}

// ErrUnsupported is wrapped by the errors of configurations the C runtime
// cannot hold (FFT lengths above 65536 and similar sizes).
var ErrUnsupported = errors.New("deploy: unsupported by the C runtime")

// NewDSPBlock prepares b, a block built by package dsp, for the C runtime.
func NewDSPBlock(b dsp.Block) (*DSPBlock, error) {
	d, err := dsp.DesignOf(b)
	if err != nil {
		return nil, err
	}
	if s := d.Spectral; s != nil {
		cfg := d.Config.(dsp.SpectralConfig)
		if cfg.FFTLength > 1<<16 || s.AxisFeatures > math.MaxUint16 || s.LowFreqFeatures > math.MaxUint16 || len(s.PowerEdges) > math.MaxUint8 {
			return nil, fmt.Errorf("%w: spectral analysis with fft-length %d, %d features per axis, %d power edges", ErrUnsupported, cfg.FFTLength, s.AxisFeatures, len(s.PowerEdges))
		}
	}
	if a := d.Audio; a != nil && a.FFTLength > 1<<16 {
		return nil, fmt.Errorf("%w: %s with fft_length %d (at most 65536)", ErrUnsupported, d.Type, a.FFTLength)
	}
	return &DSPBlock{d: d}, nil
}

// Kind returns the block type as the C runtime names it: raw, flatten,
// image, spectral, spectrogram, mfe or mfcc.
func (b *DSPBlock) Kind() string {
	if b.d.Type == "spectral-analysis" {
		return "spectral"
	}
	return b.d.Type
}

// Func returns the C function that runs the block, e.g. ti_mfcc. Spectral
// analysis has one per analysis: ti_spectral (FFT features, versions 2-4),
// ti_spectral_wavelet and ti_spectral_v1.
func (b *DSPBlock) Func() string {
	if s := b.d.Spectral; s != nil && s.Analysis != "fft" {
		return "ti_spectral_" + s.Analysis
	}
	return "ti_" + b.Kind()
}

// ConfigType returns the C type of the block's configuration, e.g.
// ti_mfcc_config.
func (b *DSPBlock) ConfigType() string { return "ti_" + b.Kind() + "_config" }

// InputLen returns the number of values of one window (the signal's
// total_length).
func (b *DSPBlock) InputLen() int { return b.d.Input.Len() }

// Features returns the number of features the block writes.
func (b *DSPBlock) Features() int { return b.d.Features }

// arena mirrors the C runtime's ti_take: buffers aligned to 8 bytes, in
// order.
type arena struct{ used int }

func (a *arena) take(count, elem int) {
	off := (a.used + 7) &^ 7
	a.used = off + count*elem
}

// ArenaBytes returns the working memory the block needs in precision p:
// the size ti_<kind>_arena_size returns for the generated configuration.
// The signal and the output features are not included.
func (b *DSPBlock) ArenaBytes(p Precision) int {
	r := p.realSize()
	var a arena
	switch b.d.Type {
	case "flatten":
		a.take(b.d.Input.Samples, r)
	case "spectral-analysis":
		s := b.d.Spectral
		cfg := b.d.Config.(dsp.SpectralConfig)
		n, h := cfg.FFTLength, cfg.FFTLength/2+1
		a.take(b.d.Input.Samples, 4)
		if len(s.DecimationStages) > 0 || s.LowFreqFeatures > 0 {
			a.take(b.d.Input.Samples, r)
		}
		switch s.Analysis {
		case "fft":
			a.take(n, r)
			a.take(h, r)
			a.take(h, r)
		case "wavelet":
			elem := 4
			if len(s.DecimationStages) > 0 {
				elem = r
			}
			lv := len(s.WaveletLengths) - 1
			for l := 1; l <= lv; l++ {
				a.take(s.WaveletLengths[l], elem)
				a.take(s.WaveletLengths[l], elem)
			}
			a.take(s.WaveletLengths[min(lv, 1)], elem)
		case "v1":
			a.take(n, r)
			a.take(n+2, r)
			a.take(h, r)
			a.take(n/2, r)
			a.take(n/2, 2)
			a.take(h, 4)
		}
	case "spectrogram":
		a.take(b.d.Audio.FFTLength, r)
	case "mfe":
		au := b.d.Audio
		a.take(au.FFTLength, r)
		a.take(au.FFTLength/2+1, r)
		if b.d.Version <= 2 {
			cmvnArena(&a, au.Frames, false)
		}
	case "mfcc":
		au := b.d.Audio
		cfg := b.d.Config.(dsp.MFCCConfig)
		a.take(au.FFTLength, r)
		a.take(au.FFTLength/2+1, r)
		a.take(cfg.NumFilters, r)
		if cfg.WinSize > 0 {
			cmvnArena(&a, au.Frames, true)
		}
	}
	return a.used
}

// cmvnArena mirrors ti_cmvn_layout: double prefix sums in both
// precisions.
func cmvnArena(a *arena, rows int, variance bool) {
	a.take(2*rows+1, 8)
	if variance {
		a.take(2*rows+1, 8)
	}
	a.take(2*rows, 2)
	a.take(rows, 4)
}

var cIdent = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// CSource returns C source defining the block's configuration as
// `const <ConfigType> <name>`, preceded by its tables (static, named
// <name>_...). The source includes ti_dsp.h and compiles in either
// precision. name must be a C identifier.
func (b *DSPBlock) CSource(name string) (string, error) {
	if !cIdent.MatchString(name) {
		return "", fmt.Errorf("deploy: %q is not a C identifier", name)
	}
	w := &cWriter{}
	w.printf("/* %s version %d: generated by tinyimpulse (package deploy). */\n", b.d.Type, b.d.Version)
	w.printf("#include \"ti_dsp.h\"\n\n")
	switch b.d.Type {
	case "raw":
		cfg := b.d.Config.(dsp.RawConfig)
		w.printf("const ti_raw_config %s = {.values = %du, .scale = %s, .unit_scale = %d};\n",
			name, b.d.Input.Len(), realLit(cfg.ScaleAxes), b2i(cfg.ScaleAxes == 1))
	case "flatten":
		b.flattenC(w, name)
	case "image":
		cfg := b.d.Config.(dsp.ImageConfig)
		const gr, gg, gb = 0.299 / 255, 0.587 / 255, 0.114 / 255
		w.printf("const ti_image_config %s = {.pixels = %du, .grayscale = %d, .gray = {%s, %s, %s}};\n",
			name, b.d.Input.Samples, b2i(cfg.Channels == "Grayscale"), realLit(gr), realLit(gg), realLit(gb))
	case "spectral-analysis":
		b.spectralC(w, name)
	case "spectrogram":
		cfg := b.d.Config.(dsp.SpectrogramConfig)
		audio := b.audioC(w, name)
		w.printf("const ti_spectrogram_config %s = {\n\t.audio = %s,\n\t.version = %d,\n\t.noise_floor_db = %s,\n};\n",
			name, audio, b.d.Version, realLit(float64(cfg.NoiseFloorDB)))
	case "mfe":
		cfg := b.d.Config.(dsp.MFEConfig)
		audio := b.audioC(w, name)
		w.realArray(name+"_level_thr", b.d.Audio.LevelThresholds)
		w.printf("const ti_mfe_config %s = {\n\t.audio = %s,\n\t.version = %d,\n\t.win_size = %du,\n\t.level_thr = %s,\n};\n",
			name, audio, b.d.Version, max(cfg.WinSize, 0), ptr(name+"_level_thr", len(b.d.Audio.LevelThresholds)))
	case "mfcc":
		cfg := b.d.Config.(dsp.MFCCConfig)
		audio := b.audioC(w, name)
		var dct []float64
		for _, row := range b.d.Audio.DCT {
			dct = append(dct, row...)
		}
		w.realArray(name+"_dct", dct)
		w.printf("const ti_mfcc_config %s = {\n\t.audio = %s,\n\t.cepstra = %d,\n\t.dct = %s,\n\t.win_size = %du,\n\t.pre_cof = %s,\n\t.pre_shift = %du,\n};\n",
			name, audio, len(b.d.Audio.DCT), name+"_dct", max(cfg.WinSize, 0), realLit(cfg.PreCof), cfg.PreShift%b.d.Input.Samples)
	default:
		return "", fmt.Errorf("deploy: unknown block type %q", b.d.Type)
	}
	return w.b.String(), w.err
}

func (b *DSPBlock) flattenC(w *cWriter, name string) {
	cfg := b.d.Config.(dsp.FlattenConfig)
	var stats []int
	for i, on := range []bool{cfg.Average, cfg.Minimum, cfg.Maximum, cfg.RMS, cfg.Stdev, cfg.Skewness, cfg.Kurtosis} {
		if on {
			stats = append(stats, i)
		}
	}
	w.printf("const ti_flatten_config %s = {.axes = %du, .samples = %du, .scale = %s, .n_stats = %d, .stats = {",
		name, b.d.Input.Axes, b.d.Input.Samples, realLit(cfg.ScaleAxes), len(stats))
	for i, s := range stats {
		if i > 0 {
			w.printf(", ")
		}
		w.printf("%d", s)
	}
	w.printf("}};\n")
}

// fftC writes the twiddle table of an n-point real FFT and returns the
// ti_fft initializer.
func fftC(w *cWriter, name string, n int) string {
	tw := make([]float64, 0, n)
	for k := range n / 2 {
		s, c := math.Sincos(-2 * math.Pi * float64(k) / float64(n))
		tw = append(tw, c, s)
	}
	w.realArray(name+"_tw", tw)
	return fmt.Sprintf("{%du, %s}", n, ptr(name+"_tw", len(tw)))
}

func (b *DSPBlock) spectralC(w *cWriter, name string) {
	s := b.d.Spectral
	cfg := b.d.Config.(dsp.SpectralConfig)
	analysis := map[string]string{"fft": "TI_SPECTRAL_FFT", "wavelet": "TI_SPECTRAL_WAVELET", "v1": "TI_SPECTRAL_V1"}[s.Analysis]
	fft := fmt.Sprintf("{%du, NULL}", cfg.FFTLength)
	if s.Analysis != "wavelet" {
		fft = fftC(w, name, cfg.FFTLength)
	}
	var sos []float64
	for _, sec := range s.Filter {
		sos = append(sos, sec[0], sec[1], sec[2], sec[4], sec[5])
	}
	w.f32Array(name+"_sos", sos)
	w.f32Array(name+"_wlo32", s.WaveletLo)
	w.f32Array(name+"_whi32", s.WaveletHi)
	w.realArray(name+"_wlo", s.WaveletLo)
	w.realArray(name+"_whi", s.WaveletHi)
	w.u32Array(name+"_wlens", s.WaveletLengths)
	w.realArray(name+"_edges", s.PowerEdges)
	stages := "{0}"
	if len(s.DecimationStages) > 0 {
		stages = "{"
		for i, st := range s.DecimationStages {
			if i > 0 {
				stages += ", "
			}
			stages += fmt.Sprint(st)
		}
		stages += "}"
	}
	level := max(len(s.WaveletLengths)-1, 0)
	w.printf("const ti_spectral_config %s = {\n", name)
	w.printf("\t.version = %d,\n\t.analysis = %s,\n\t.axes = %d,\n\t.samples = %du,\n\t.n_eff = %du,\n\t.scale = %s,\n",
		b.d.Version, analysis, b.d.Input.Axes, b.d.Input.Samples, s.EffectiveSamples, f32Lit(cfg.ScaleAxes))
	w.printf("\t.n_stages = %d,\n\t.stages = %s,\n\t.n_sos = %d,\n\t.sos = %s,\n\t.fft = %s,\n\t.hop = %du,\n",
		len(s.DecimationStages), stages, len(s.Filter), ptr(name+"_sos", len(sos)), fft, s.Hop)
	w.printf("\t.do_log = %d,\n\t.spectral_stats = %d,\n\t.low_freq = %d,\n\t.main_start = %d,\n\t.main_stop = %d,\n\t.lf_start = %d,\n\t.lf_stop = %d,\n\t.n_axis = %d,\n\t.n_lf = %d,\n",
		b2i(cfg.DoLog), b2i(b.d.Version >= 4), b2i(s.LowFreqFeatures > 0), s.MainBins.Start, s.MainBins.Stop,
		s.LowFreqBins.Start, s.LowFreqBins.Stop, s.AxisFeatures, s.LowFreqFeatures)
	w.printf("\t.wavelet_level = %d,\n\t.wavelet_len = %d,\n\t.wavelet_lo32 = %s,\n\t.wavelet_hi32 = %s,\n\t.wavelet_lo = %s,\n\t.wavelet_hi = %s,\n\t.wavelet_lens = %s,\n",
		level, len(s.WaveletLo), ptr(name+"_wlo32", len(s.WaveletLo)), ptr(name+"_whi32", len(s.WaveletHi)),
		ptr(name+"_wlo", len(s.WaveletLo)), ptr(name+"_whi", len(s.WaveletHi)), ptr(name+"_wlens", len(s.WaveletLengths)))
	w.printf("\t.peaks = %d,\n\t.peak_threshold = %s,\n\t.fs_eff = %s,\n\t.n_edges = %d,\n\t.edges = %s,\n};\n",
		cfg.SpectralPeaksCount, realLit(cfg.SpectralPeaksThresh), realLit(s.EffectiveHz), len(s.PowerEdges), ptr(name+"_edges", len(s.PowerEdges)))
}

// audioC writes the FFT and mel filterbank tables of an audio block and
// returns the ti_audio_config initializer.
func (b *DSPBlock) audioC(w *cWriter, name string) string {
	a := b.d.Audio
	fft := fftC(w, name, a.FFTLength)
	var off []int
	var weights []float64
	for _, ws := range a.MelWeights {
		off = append(off, len(weights))
		weights = append(weights, ws...)
	}
	if len(a.MelWeights) > 0 {
		off = append(off, len(weights))
	}
	w.u32Array(name+"_mel_lo", a.MelStart)
	w.u32Array(name+"_mel_off", off)
	w.realArray(name+"_mel_w", weights)
	return fmt.Sprintf("{.samples = %du, .frame_length = %du, .frame_stride = %du, .frames = %du, .fft = %s, .filters = %d, .mel_lo = %s, .mel_off = %s, .mel_w = %s}",
		b.d.Input.Samples, a.FrameLength, a.FrameStride, a.Frames, fft, len(a.MelStart),
		ptr(name+"_mel_lo", len(a.MelStart)), ptr(name+"_mel_off", len(off)), ptr(name+"_mel_w", len(weights)))
}
