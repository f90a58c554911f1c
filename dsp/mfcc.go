package dsp

import (
	"fmt"
	"math"
	"slices"
)

// MFCCConfig holds the parameters of Edge Impulse's "mfcc" (Audio MFCC)
// block.
type MFCCConfig struct {
	// ImplementationVersion is 1 to 4; 0 means the latest, 4.
	ImplementationVersion int `json:"-"`

	NumCepstral   int     `json:"num_cepstral"`   // coefficients per frame (default 13)
	FrameLength   float64 `json:"frame_length"`   // seconds (default 0.02)
	FrameStride   float64 `json:"frame_stride"`   // seconds (default 0.02)
	NumFilters    int     `json:"num_filters"`    // mel filters, at least 2 (default 32)
	FFTLength     int     `json:"fft_length"`     // power of two (default 256)
	WinSize       int     `json:"win_size"`       // odd normalisation window in frames, at most 65535; <= 0 disables it (default 101)
	LowFrequency  int     `json:"low_frequency"`  // Hz (default 0)
	HighFrequency int     `json:"high_frequency"` // Hz; 0 means half the sampling frequency (default 0)
	PreCof        float64 `json:"pre_cof"`        // pre-emphasis coefficient; 0 disables it (default 0.98)
	PreShift      int     `json:"pre_shift"`      // pre-emphasis shift in samples, at least 1 (default 1)
}

// DefaultMFCCConfig returns Studio's defaults for the MFCC block.
func DefaultMFCCConfig() MFCCConfig {
	return MFCCConfig{NumCepstral: 13, FrameLength: 0.02, FrameStride: 0.02, NumFilters: 32, FFTLength: 256,
		WinSize: 101, PreCof: 0.98, PreShift: 1}
}

// UnmarshalJSON reads Studio's parameters, starting from the defaults.
func (c *MFCCConfig) UnmarshalJSON(b []byte) error {
	return unmarshalParams("mfcc", b, c.setParams)
}

func (c *MFCCConfig) setParams(p map[string]any) error {
	v := c.ImplementationVersion
	*c = DefaultMFCCConfig()
	c.ImplementationVersion = v
	r := newParamReader("mfcc", p)
	r.int("num_cepstral", &c.NumCepstral)
	r.float("frame_length", &c.FrameLength)
	r.float("frame_stride", &c.FrameStride)
	r.int("num_filters", &c.NumFilters)
	r.int("fft_length", &c.FFTLength)
	r.int("win_size", &c.WinSize)
	r.int("low_frequency", &c.LowFrequency)
	r.int("high_frequency", &c.HighFrequency)
	r.float("pre_cof", &c.PreCof)
	r.int("pre_shift", &c.PreShift)
	return r.done()
}

// MFCC is Edge Impulse's "mfcc" block: per frame of a single-axis signal,
// the orthonormal DCT-II of the log mel filterbank energies, with the first
// coefficient replaced by the log of the frame's total power, then a
// sliding cepstral mean and variance normalisation over frames. The input
// is not rescaled. Features are frame by frame, min(num_cepstral,
// num_filters) each.
type MFCC struct {
	audioFront
	cfg     MFCCConfig
	ncep    int       // coefficients kept per frame
	kpad    int       // ncep rounded up to a multiple of 16
	dctT    []float64 // the DCT matrix transposed: num_filters × kpad, zero past ncep
	cepPad  []float64 // frames × kpad
	norm    *cmvnw
	logE    []float64
	cepstra []float64
}

// NewMFCC returns an MFCC block for windows described by in.
func NewMFCC(cfg MFCCConfig, in Input) (*MFCC, error) {
	const name = "mfcc"
	if err := resolveVersion(name, &cfg.ImplementationVersion, "implementation_version should be between 1 and 4"); err != nil {
		return nil, err
	}
	v := cfg.ImplementationVersion
	if cfg.NumCepstral < 1 || cfg.NumCepstral > maxFilters {
		return nil, &ConfigError{Block: name, Param: "num_cepstral", Value: cfg.NumCepstral, Reason: fmt.Sprintf("must be between 1 and %d", maxFilters)}
	}
	front, err := newAudioFront(audioParams{block: name, label: "MFCC", version: v,
		frameLength: cfg.FrameLength, frameStride: cfg.FrameStride, fftLength: cfg.FFTLength,
		filters: cfg.NumFilters, lowHz: cfg.LowFrequency, highHz: cfg.HighFrequency}, in)
	if err != nil {
		return nil, err
	}
	if cfg.PreShift <= 0 {
		return nil, &ConfigError{Block: name, Param: "pre_shift", Value: cfg.PreShift, Reason: "Shift cannot be zero, or less than 0.  To disable pre emphasis, set coefficient to 0"}
	}
	m := cfg.NumFilters
	fr := front.fr
	b := &MFCC{audioFront: front, cfg: cfg, ncep: min(cfg.NumCepstral, m), logE: make([]float64, fr.count*m)}
	b.totals = make([]float64, fr.count)
	b.cepstra = make([]float64, fr.count*b.ncep)
	// Orthonormal DCT-II: C[k] = s_k Σ_j v[j] cos(πk(2j+1)/(2M)).
	b.kpad = (b.ncep + 15) / 16 * 16
	b.dctT = make([]float64, m*b.kpad)
	b.cepPad = make([]float64, fr.count*b.kpad)
	for k := range b.ncep {
		s := math.Sqrt(2 / float64(m))
		if k == 0 {
			s = math.Sqrt(1 / float64(m))
		}
		for j := range m {
			b.dctT[j*b.kpad+k] = s * math.Cos(math.Pi*float64(k)*float64(2*j+1)/float64(2*m))
		}
	}
	if cfg.WinSize > 0 {
		if b.norm, err = newCMVNW(name, fr.count, b.ncep, cfg.WinSize); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// AppendFeatures appends the cepstral coefficients of one window to dst.
func (b *MFCC) AppendFeatures(dst, window []float64) ([]float64, error) {
	if err := checkWindow("mfcc", window, b.in.Samples); err != nil {
		return dst, err
	}
	// Circular pre-emphasis: y[t] = x[t] - cof·x[(t-shift) mod N], as
	// two straight loops: t >= shift, then the wrapped head.
	n := len(window)
	cof := b.cfg.PreCof
	shift := b.cfg.PreShift % n
	y := b.x[:n]
	subScaled(y[shift:], window[shift:], window[:n-shift], cof)
	subScaled(y[:shift], window[:shift], window[n-shift:], cof)
	m := b.cfg.NumFilters
	b.spectrum(b.x)
	// The log energies of all frames, then the frames' log total powers
	// (zero replaced by 1e-10), which replace the first coefficients.
	logs(b.logE, b.energy[:len(b.logE)])
	for i, v := range b.totals {
		if v == 0 {
			b.totals[i] = 1e-10
		}
	}
	logs(b.totals, b.totals)
	dct(b.cepPad, b.kpad, b.logE, m, b.dctT, b.kpad, b.fr.count)
	for i := range b.fr.count {
		out := b.cepstra[i*b.ncep : (i+1)*b.ncep]
		copy(out, b.cepPad[i*b.kpad:])
		out[0] = b.totals[i]
	}
	if b.norm == nil {
		return append(dst, b.cepstra...), nil
	}
	n0 := len(dst)
	dst = slices.Grow(dst, len(b.cepstra))[:n0+len(b.cepstra)]
	b.norm.apply(dst[n0:], b.cepstra, true)
	return dst, nil
}

// NumFeatures returns frames·min(num_cepstral, num_filters).
func (b *MFCC) NumFeatures() int { return len(b.cepstra) }

// Output returns Edge Impulse's spectrogram output for MFCC: height
// num_cepstral and width the feature count divided by num_cepstral, which
// is the frame count unless num_cepstral exceeds num_filters.
func (b *MFCC) Output() OutputConfig {
	return OutputConfig{Type: "spectrogram", Shape: OutputShape{
		Width:  float64(b.NumFeatures()) / float64(b.cfg.NumCepstral),
		Height: b.cfg.NumCepstral}}
}

// Labels returns nil: the MFCC block has no feature labels.
func (b *MFCC) Labels() []string { return nil }

// Cost returns the framing, FFT, filterbank and DCT figures of one window.
func (b *MFCC) Cost() Cost {
	return b.cost("mfcc", b.ncep, b.NumFeatures())
}
