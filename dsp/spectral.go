package dsp

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/tinyimpulse/tinyimpulse/dsp/internal/fft"
)

// SpectralConfig holds the parameters of Edge Impulse's
// "spectral-analysis" (Spectral features) block.
type SpectralConfig struct {
	// ImplementationVersion is 1 to 4; 0 means the latest, 4.
	ImplementationVersion int `json:"-"`

	ScaleAxes            float64 `json:"scale-axes"`             // multiplies the input (default 1)
	InputDecimationRatio int     `json:"input-decimation-ratio"` // 1, 3, 10, 30, 100 or 1000; above 1 only in version 4 (default 1)
	FilterType           string  `json:"filter-type"`            // "low", "high" or "none" (default "none")
	FilterCutoff         float64 `json:"filter-cutoff"`          // Hz (default 3)
	FilterOrder          int     `json:"filter-order"`           // even, 2 to 8; 0 masks FFT bins without filtering (default 6)
	AnalysisType         string  `json:"analysis-type"`          // "FFT" or "Wavelet" (versions 3, 4; default "FFT")
	FFTLength            int     `json:"fft-length"`             // power of two (default 16)
	SpectralPeaksCount   int     `json:"spectral-peaks-count"`   // version 1 (default 3)
	SpectralPeaksThresh  float64 `json:"spectral-peaks-threshold"`
	SpectralPowerEdges   string  `json:"spectral-power-edges"` // version 1, comma-separated Hz (default "0.1, 0.5, 1.0, 2.0, 5.0")
	DoLog                bool    `json:"do-log"`               // versions 2-4 (default true)
	DoFFTOverlap         bool    `json:"do-fft-overlap"`       // versions 2-4 (default true)
	WaveletLevel         int     `json:"wavelet-level"`        // versions 3, 4 (default 1)
	Wavelet              string  `json:"wavelet"`              // versions 3, 4 (default "db4")
	ExtraLowFreq         bool    `json:"extra-low-freq"`       // version 4 (default false)
}

// DefaultSpectralConfig returns Studio's defaults for the spectral
// analysis block.
func DefaultSpectralConfig() SpectralConfig {
	return SpectralConfig{ScaleAxes: 1, InputDecimationRatio: 1, FilterType: "none", FilterCutoff: 3, FilterOrder: 6,
		AnalysisType: "FFT", FFTLength: 16, SpectralPeaksCount: 3, SpectralPeaksThresh: 0.1,
		SpectralPowerEdges: "0.1, 0.5, 1.0, 2.0, 5.0", DoLog: true, DoFFTOverlap: true, WaveletLevel: 1, Wavelet: "db4"}
}

// UnmarshalJSON reads Studio's parameters, starting from the defaults.
func (c *SpectralConfig) UnmarshalJSON(b []byte) error {
	return unmarshalParams("spectral-analysis", b, c.setParams)
}

func (c *SpectralConfig) setParams(p map[string]any) error {
	v := c.ImplementationVersion
	*c = DefaultSpectralConfig()
	c.ImplementationVersion = v
	r := newParamReader("spectral-analysis", p)
	r.float("scale-axes", &c.ScaleAxes)
	r.int("input-decimation-ratio", &c.InputDecimationRatio)
	r.str("filter-type", &c.FilterType)
	r.float("filter-cutoff", &c.FilterCutoff)
	r.int("filter-order", &c.FilterOrder)
	r.str("analysis-type", &c.AnalysisType)
	r.int("fft-length", &c.FFTLength)
	r.int("spectral-peaks-count", &c.SpectralPeaksCount)
	r.float("spectral-peaks-threshold", &c.SpectralPeaksThresh)
	r.list("spectral-power-edges", &c.SpectralPowerEdges)
	r.bool("do-log", &c.DoLog)
	r.bool("do-fft-overlap", &c.DoFFTOverlap)
	r.int("wavelet-level", &c.WaveletLevel)
	r.str("wavelet", &c.Wavelet)
	r.bool("extra-low-freq", &c.ExtraLowFreq)
	return r.done()
}

// Spectral is Edge Impulse's "spectral-analysis" block. Each axis is
// scaled, optionally decimated (version 4) and Butterworth-filtered, and
// its mean removed; then, per version and analysis type:
//
//   - versions 2-4, FFT: RMS, skewness and kurtosis of the signal, (version
//     4) skewness and kurtosis of its spectrum, and the max-hold power
//     spectrum over FFT segments (log10 by default), without DC and limited
//     to the filter's pass band; version 4's extra-low-frequency option
//     repeats this on the signal decimated by 10, after all axes;
//   - versions 3-4, Wavelet: 14 statistics of each coefficient array of a
//     multilevel discrete wavelet transform;
//   - version 1: RMS, the highest spectral peaks (frequency, height) and
//     the mean periodogram power in user-given bands.
//
// Parts of the computation run in float32, where Edge Impulse's Python
// block does (see the package documentation).
type Spectral struct {
	cfg    SpectralConfig
	in     Input
	stages []int   // decimation stages
	fsEff  float64 // sampling frequency after decimation
	nEff   int     // samples per axis after decimation
	filt   sos     // nil when no Butterworth filter is designed
	wave   *wavelet
	plan   *fft.Real
	labels []string
	nAxis  int // features per axis (main part)
	nLF    int // features per axis (extra low frequency part)

	main, lf bandSel // FFT bins emitted
	edges    []float64

	// scratch
	x32  []float32
	x64  []float64
	s32  []float32
	s64  []float64
	seg  []float64
	pow  []float64
	pmax []float64
	lfX  []float64
	lfF  []float64 // LF features of every axis, appended after the main ones
	coef []complex128
	w32  [][]float32 // wavelet coefficient arrays
	w64  [][]float64
	peak []peakCand
	ord  []int
}

// bandSel is a range of FFT bins [start, stop) at sampling frequency fs.
type bandSel struct {
	start, stop int
	fs          float64
}

// NewSpectral returns a spectral analysis block for windows described by
// in.
func NewSpectral(cfg SpectralConfig, in Input) (*Spectral, error) {
	const name = "spectral-analysis"
	fail := func(param string, v any, reason string) (*Spectral, error) {
		return nil, &ConfigError{Block: name, Param: param, Value: v, Reason: reason}
	}
	if err := resolveVersion(name, &cfg.ImplementationVersion, "implementation_version should be 1, 2, 3 or 4"); err != nil {
		return nil, err
	}
	v := cfg.ImplementationVersion
	if err := checkFFTLength(name, "fft-length", cfg.FFTLength); err != nil {
		return nil, err
	}
	if err := checkTimeInput(name, in); err != nil {
		return nil, err
	}
	if math.IsNaN(cfg.ScaleAxes) || math.IsInf(cfg.ScaleAxes, 0) {
		return fail("scale-axes", cfg.ScaleAxes, "must be finite")
	}
	filtered := cfg.FilterType == "low" || cfg.FilterType == "high"
	if !filtered && cfg.FilterType != "none" {
		return fail("filter-type", cfg.FilterType, `must be "low", "high" or "none"`)
	}
	if filtered && (cfg.FilterCutoff < 0 || math.IsNaN(cfg.FilterCutoff)) {
		return fail("filter-cutoff", cfg.FilterCutoff, "must not be negative")
	}
	r := cfg.InputDecimationRatio
	if r < 1 {
		return fail("input-decimation-ratio", r, "must be at least 1")
	}
	if r > 1 {
		if v < 4 {
			return fail("input-decimation-ratio", r, "Input decimation is only supported in implementation version 4")
		}
		if nyquist := in.FrequencyHz / 2 / float64(r); filtered && cfg.FilterCutoff > nyquist*0.9 {
			return fail("input-decimation-ratio", r, "decimation ratio is too high, please lower the input decimation ratio")
		}
	}
	stages, err := decimationStages(r)
	if err != nil {
		return fail("input-decimation-ratio", r, err.Error())
	}
	// The filter is designed at fs/R, while the spectrum's frequencies use
	// fs divided stage by stage, as Edge Impulse's block does.
	b := &Spectral{cfg: cfg, in: in, stages: stages, fsEff: in.FrequencyHz}
	b.nEff = in.Samples
	for _, s := range stages {
		b.nEff = (b.nEff + s - 1) / s
		b.fsEff /= float64(s)
	}
	fsDesign := in.FrequencyHz / float64(r)
	if filtered && cfg.FilterOrder > 0 {
		o := cfg.FilterOrder
		switch {
		case o%2 != 0:
			return fail("filter-order", o, "Filter order needs to be even (2, 4, 6, 8)")
		case o > 9:
			return fail("filter-order", o, "Filter order needs to be between 2 and 8")
		}
		wn := 2 * cfg.FilterCutoff / fsDesign
		if wn >= 1 {
			return fail("filter-cutoff", cfg.FilterCutoff, fmt.Sprintf("Cut-off frequency is above Nyquist (1/2 sample rate (%s)) Choose lower cutoff frequency.", pyFloat(fsDesign/2)))
		}
		if wn <= 0 {
			return fail("filter-cutoff", cfg.FilterCutoff, "Digital filter critical frequencies must be 0 < Wn < 1")
		}
		if !butterworthStable(o, cfg.FilterCutoff, fsDesign) {
			return fail("filter-cutoff", cfg.FilterCutoff, "Filter created is not stable. Move cutoff away from 0 or Nyquist")
		}
		b.filt = butterworth(o, wn, cfg.FilterType == "high")
	}
	n := cfg.FFTLength
	if b.plan, err = fft.NewReal(n); err != nil {
		return fail("fft-length", n, err.Error())
	}
	useWavelet := v >= 3 && cfg.AnalysisType == "Wavelet"
	if v >= 3 && !useWavelet && cfg.AnalysisType != "FFT" {
		return fail("analysis-type", cfg.AnalysisType, `must be "FFT" or "Wavelet"`)
	}
	// Scratch shared by the paths.
	b.x32 = make([]float32, in.Samples)
	b.x64 = make([]float64, in.Samples)
	b.s32 = make([]float32, 2*in.Samples)
	b.s64 = make([]float64, 2*max(in.Samples, n))
	switch {
	case useWavelet:
		err = b.initWavelet()
	case v == 1:
		err = b.initLegacy()
	default:
		err = b.initFFT()
	}
	if err != nil {
		return nil, err
	}
	return b, nil
}

// initFFT prepares the FFT features of versions 2 to 4.
func (b *Spectral) initFFT() error {
	cfg := b.cfg
	n := cfg.FFTLength
	stats := cfg.ImplementationVersion >= 4
	var err error
	if b.main, err = b.bins(b.fsEff); err != nil {
		return err
	}
	b.labels = append(b.labels, "RMS", "Skewness", "Kurtosis")
	if stats {
		b.labels = append(b.labels, "Spectral Skewness", "Spectral Kurtosis")
	}
	b.labels = b.main.appendLabels(b.labels, n)
	b.nAxis = len(b.labels)
	if cfg.ExtraLowFreq && cfg.ImplementationVersion >= 4 {
		if (b.nEff+9)/10 < n/2 {
			return &ConfigError{Block: "spectral-analysis", Param: "extra-low-freq", Value: true,
				Reason: fmt.Sprintf("Extra low frequency requires at least %s samples", pyFloat(float64(n/2*10)))}
		}
		if b.lf, err = b.bins(b.fsEff / 10); err != nil {
			return err
		}
		before := len(b.labels)
		b.labels = append(b.labels, "RMS LF", "Skewness LF", "Kurtosis LF", "Spectral Skewness LF", "Spectral Kurtosis LF")
		b.labels = b.lf.appendLabels(b.labels, n)
		b.nLF = len(b.labels) - before
		b.lfX = make([]float64, b.nEff)
		b.lfF = make([]float64, 0, b.nLF*b.in.Axes)
	}
	b.seg = make([]float64, max(b.nEff, n))
	b.pow = make([]float64, n/2+1)
	b.pmax = make([]float64, n/2+1)
	return nil
}

// bins selects the emitted FFT bins at sampling frequency fs: DC is never
// emitted, and a low-pass or high-pass filter type limits the range to the
// pass band even when the filter order is 0.
func (b *Spectral) bins(fs float64) (bandSel, error) {
	n := b.cfg.FFTLength
	sel := bandSel{start: 1, stop: n/2 + 1, fs: fs}
	fc := math.Min(b.cfg.FilterCutoff, fs/2)
	bv := fc * float64(n) / fs
	switch b.cfg.FilterType {
	case "high":
		sel.start = int(bv-0.5) + 1
		if sel.start == 0 {
			sel.start = 1
		}
	case "low":
		sel.stop = int(bv+0.5) + 1
	}
	if sel.stop <= sel.start {
		return sel, &ConfigError{Block: "spectral-analysis", Param: "filter-cutoff", Value: b.cfg.FilterCutoff, Reason: "Cutoff frequency masked all FFT bins."}
	}
	return sel, nil
}

// appendLabels appends the labels of the selected bins. The frequencies
// are numpy's rfftfreq(n, 1/fs): k·(1/(n·(1/fs))).
func (s bandSel) appendLabels(labels []string, n int) []string {
	delta := 1 / (float64(n) * (1 / s.fs))
	for k := s.start; k < s.stop; k++ {
		f := float64(k) * delta
		labels = append(labels, "Spectral Power "+pyFloat(pyRound2(f-delta/2))+" - "+pyFloat(pyRound2(f+delta/2))+" Hz")
	}
	return labels
}

// AppendFeatures appends the features of every axis of one window to dst.
func (b *Spectral) AppendFeatures(dst, window []float64) ([]float64, error) {
	if err := checkWindow("spectral-analysis", window, b.in.Len()); err != nil {
		return dst, err
	}
	dst = slices.Grow(dst, b.NumFeatures())
	b.lfF = b.lfF[:0]
	for ax := range b.in.Axes {
		x32, x64 := b.prepare(window, ax)
		switch {
		case b.wave != nil:
			if x32 != nil {
				dst = waveletFeatures(dst, b.wave, x32, b.w32, b.s32)
			} else {
				dst = waveletFeatures(dst, b.wave, x64, b.w64, b.s64)
			}
		case b.cfg.ImplementationVersion == 1:
			dst = b.legacyFeatures(dst, x32)
		default:
			if x32 != nil {
				dst = fftFeatures(dst, b, x32, b.s32, b.main)
			} else {
				dst = fftFeatures(dst, b, x64, b.s64, b.main)
			}
			if b.nLF > 0 {
				b.lfF = b.extraLowFreq(b.lfF, x32, x64)
			}
		}
	}
	return append(dst, b.lfF...), nil
}

// prepare de-interleaves, scales, decimates, filters and centres one axis
// (§4.3 of the spec). Without decimation the result is float32 (x32);
// after decimation it is float64 (x64). The other return value is nil.
func (b *Spectral) prepare(window []float64, ax int) ([]float32, []float64) {
	k := b.in.Axes
	scale := float32(b.cfg.ScaleAxes)
	x32 := b.x32
	for i := range x32 {
		x32[i] = float32(window[i*k+ax]) * scale
	}
	if len(b.stages) == 0 {
		if b.filt != nil {
			b.filt.filter32(x32)
		}
		m := mean(x32)
		for i := range x32 {
			x32[i] -= m
		}
		return x32, nil
	}
	x64 := b.x64[:len(x32)]
	for i, v := range x32 {
		x64[i] = float64(v)
	}
	for _, s := range b.stages {
		x64 = decimate(x64, s)
	}
	if b.filt != nil {
		b.filt.filter64(x64, nil)
	}
	m := mean(x64)
	for i := range x64 {
		x64[i] -= m
	}
	return nil, x64
}

// fftFeatures appends RMS, skewness, kurtosis, (version 4) spectral
// skewness and kurtosis, and the selected bins of the max-hold power
// spectrum of x, in the precision of T for the time-domain statistics.
func fftFeatures[T float](dst []float64, b *Spectral, x, scratch []T, sel bandSel) []float64 {
	dst = append(dst, float64(rms(x, scratch)))
	skew, kurt := centralMoments(x, scratch)
	dst = append(dst, float64(skew), float64(kurt))
	seg := b.seg[:len(x)]
	for i, v := range x {
		seg[i] = float64(v)
	}
	return b.spectrum(dst, seg, sel, b.cfg.ImplementationVersion >= 4)
}

// spectrum appends the spectral statistics (when stats is set) and the
// selected bins of the max-hold power spectrum of x.
func (b *Spectral) spectrum(dst, x []float64, sel bandSel, stats bool) []float64 {
	n, hop := b.cfg.FFTLength, b.hop()
	pmax := b.pmax
	for start := 0; start <= len(x); start += hop {
		seg := x[start:min(start+n, len(x))]
		p := b.plan.PowerTo(b.pow, seg, 1/float64(n))
		if start == 0 {
			copy(pmax, p)
			continue
		}
		for k, v := range p {
			pmax[k] = math.Max(pmax[k], v)
		}
	}
	if stats {
		skew, kurt := centralMoments(pmax, b.s64)
		dst = append(dst, skew, kurt)
	}
	for k := sel.start; k < sel.stop; k++ {
		v := pmax[k]
		if b.cfg.DoLog {
			if v == 0 {
				v = 1e-10
			}
			v = math.Log10(v)
		}
		dst = append(dst, v)
	}
	return dst
}

// hop is the distance between the max-hold spectrum's FFT segments: half
// a segment with do-fft-overlap, a whole one without.
func (b *Spectral) hop() int {
	n := b.cfg.FFTLength
	if b.cfg.DoFFTOverlap {
		return n - n/2
	}
	return n
}

// extraLowFreq appends the features of the signal decimated by 10
// (version 4's extra-low-freq option).
func (b *Spectral) extraLowFreq(dst []float64, x32 []float32, x64 []float64) []float64 {
	y := b.lfX[:0]
	if x32 != nil {
		for _, v := range x32 {
			y = append(y, float64(v))
		}
	} else {
		y = append(y, x64...)
	}
	y = decimate(y, 10)
	m := mean(y)
	for i := range y {
		y[i] -= m
	}
	dst = append(dst, rms(y, b.s64))
	skew, kurt := centralMoments(y, b.s64)
	dst = append(dst, skew, kurt)
	return b.spectrum(dst, y, b.lf, true)
}

// NumFeatures returns the number of features of one window.
func (b *Spectral) NumFeatures() int { return b.in.Axes * (b.nAxis + b.nLF) }

// Output returns a flat output.
func (b *Spectral) Output() OutputConfig {
	return OutputConfig{Type: "flat", Shape: OutputShape{Width: float64(b.NumFeatures())}}
}

// Labels returns the feature labels of one axis (main part, then the
// extra-low-frequency part), not repeated per axis.
func (b *Spectral) Labels() []string { return b.labels }

// Cost returns the filtering and FFT figures of one window.
func (b *Spectral) Cost() Cost {
	n := b.cfg.FFTLength
	c := Cost{Block: TypeSpectral, Axes: b.in.Axes, Samples: b.in.Samples, FFTLength: n, Features: b.NumFeatures()}
	per := 2800 * float64(c.Samples)
	if n > 0 {
		per += 20 * float64(n) * log2(n)
	}
	axes := max(c.Axes, 1)
	c.Cycles = float64(axes) * per
	c.RAM = 4*(axes*c.Samples+2*n+c.Features) + 1024
	c.ROM = 12 * 1024
	return c
}

// parseEdges parses version 1's comma-separated band edges.
func parseEdges(s string) ([]float64, error) {
	var edges []float64
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		v, err := strconv.ParseFloat(f, 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("%q is not a number", f)
		}
		edges = append(edges, v)
	}
	return edges, nil
}
