package dsp

import (
	"math"

	"github.com/tinyimpulse/tinyimpulse/dsp/internal/fft"
)

// MFEConfig holds the parameters of Edge Impulse's "mfe" (Audio MFE)
// block.
type MFEConfig struct {
	// ImplementationVersion is 1 to 4; 0 means the latest, 4.
	ImplementationVersion int `json:"-"`

	FrameLength   float64 `json:"frame_length"`   // seconds (default 0.02)
	FrameStride   float64 `json:"frame_stride"`   // seconds (default 0.01)
	NumFilters    int     `json:"num_filters"`    // mel filters, at least 2 (default 40)
	FFTLength     int     `json:"fft_length"`     // power of two (default 256)
	LowFrequency  int     `json:"low_frequency"`  // Hz (default 0)
	HighFrequency int     `json:"high_frequency"` // Hz; 0 means half the sampling frequency (default 0)
	WinSize       int     `json:"win_size"`       // odd normalisation window in frames, versions 1 and 2 (default 101)
	NoiseFloorDB  int     `json:"noise_floor_db"` // versions 3 and 4 (default -52)
}

// DefaultMFEConfig returns Studio's defaults for the MFE block.
func DefaultMFEConfig() MFEConfig {
	return MFEConfig{FrameLength: 0.02, FrameStride: 0.01, NumFilters: 40, FFTLength: 256, WinSize: 101, NoiseFloorDB: -52}
}

// UnmarshalJSON reads Studio's parameters, starting from the defaults.
func (c *MFEConfig) UnmarshalJSON(b []byte) error {
	p, err := decodeParams("mfe", b)
	if err != nil {
		return err
	}
	return c.setParams(p)
}

func (c *MFEConfig) setParams(p map[string]any) error {
	v := c.ImplementationVersion
	*c = DefaultMFEConfig()
	c.ImplementationVersion = v
	r := newParamReader("mfe", p)
	r.float("frame_length", &c.FrameLength)
	r.float("frame_stride", &c.FrameStride)
	r.int("num_filters", &c.NumFilters)
	r.int("fft_length", &c.FFTLength)
	r.int("low_frequency", &c.LowFrequency)
	r.int("high_frequency", &c.HighFrequency)
	r.int("win_size", &c.WinSize)
	r.int("noise_floor_db", &c.NoiseFloorDB)
	return r.done()
}

// MFE is Edge Impulse's "mfe" block: mel filterbank energies of each frame
// of a single-axis signal. Versions 3 and 4 scale int16 audio to [-1, 1],
// apply pre-emphasis (0.98, circular), and quantise the energies in
// decibels above the noise floor to k/256 (with Edge Impulse's uint8
// wrap-around, which turns a quantised 256 into 0). Versions 1 and 2 use
// the linear energies with sliding mean normalisation and min-max scaling.
// Features are frame by frame, num_filters each.
type MFE struct {
	cfg    MFEConfig
	in     Input
	fr     framing
	plan   *fft.Real
	bank   []melFilter
	norm   *cmvnw
	x      []float64
	power  []float64
	energy []float64
	levels []float64 // decibel thresholds of the k/256 quantisation steps
}

// NewMFE returns an MFE block for windows described by in.
func NewMFE(cfg MFEConfig, in Input) (*MFE, error) {
	const name = "mfe"
	if cfg.ImplementationVersion == 0 {
		cfg.ImplementationVersion = 4
	}
	v := cfg.ImplementationVersion
	if v < 1 || v > 4 {
		return nil, &ConfigError{Block: name, Param: "implementationVersion", Value: v, Reason: "implementation_version should be less than 5"}
	}
	if cfg.NumFilters < 2 {
		return nil, &ConfigError{Block: name, Param: "num_filters", Value: cfg.NumFilters, Reason: "Filter number should be at least 2"}
	}
	if cfg.NumFilters > maxFilters {
		return nil, &ConfigError{Block: name, Param: "num_filters", Value: cfg.NumFilters, Reason: "too many filters"}
	}
	if err := checkFFTLength(name, "fft_length", cfg.FFTLength); err != nil {
		return nil, err
	}
	if in.Axes != 1 {
		return nil, &ConfigError{Block: name, Param: "axes", Value: in.Axes, Reason: "MFE blocks only support a single axis, create one MFE block per axis under **Create impulse**"}
	}
	if err := checkTimeInput(name, in); err != nil {
		return nil, err
	}
	fr, err := audioFraming(name, v, in.Samples, in.FrequencyHz, cfg.FrameLength, cfg.FrameStride)
	if err != nil {
		return nil, err
	}
	bank, err := melFilterbank(name, cfg.NumFilters, cfg.FFTLength, in.FrequencyHz, cfg.LowFrequency, cfg.HighFrequency, v <= 3)
	if err != nil {
		return nil, err
	}
	b := &MFE{cfg: cfg, in: in, fr: fr, bank: bank,
		x:      make([]float64, in.Samples),
		power:  make([]float64, fr.count*(cfg.FFTLength/2+1)),
		energy: make([]float64, fr.count*cfg.NumFilters)}
	if b.plan, err = fft.NewReal(cfg.FFTLength); err != nil {
		return nil, &ConfigError{Block: name, Param: "fft_length", Value: cfg.FFTLength, Reason: err.Error()}
	}
	if v <= 2 {
		if err := checkWinSize(name, cfg.WinSize); err != nil {
			return nil, err
		}
		b.norm = newCMVNW(fr.count, cfg.NumFilters, cfg.WinSize)
	}
	return b, nil
}

// maxFilters bounds num_filters (and num_cepstral) against absurd
// configurations.
const maxFilters = 4096

// checkWinSize validates a sliding-normalisation window, which speechpy
// asserts is odd.
func checkWinSize(block string, w int) error {
	switch {
	case w%2 == 0:
		return &ConfigError{Block: block, Param: "win_size", Value: w, Reason: "Windows size must be odd!"}
	case w < 1:
		return &ConfigError{Block: block, Param: "win_size", Value: w, Reason: "window size must be positive"}
	case w > maxSamples:
		return &ConfigError{Block: block, Param: "win_size", Value: w, Reason: "window size is too large"}
	}
	return nil
}

// AppendFeatures appends the mel energies of one window to dst.
func (b *MFE) AppendFeatures(dst, window []float64) ([]float64, error) {
	if err := checkWindow("mfe", window, b.in.Samples); err != nil {
		return dst, err
	}
	v := b.cfg.ImplementationVersion
	x := window
	if v >= 3 {
		// Scale to [-1, 1] and pre-emphasise, all in float32 as the
		// reference does; the first sample uses the last (circular).
		const cof = float32(0.98)
		last := float32(window[len(window)-1] / 32768)
		prev := last
		for i, s := range window {
			cur := float32(s / 32768)
			b.x[i] = float64(cur - cof*prev)
			prev = cur
		}
		x = b.x
	}
	h := b.cfg.FFTLength/2 + 1
	powerFrames(b.power, b.plan, x, b.fr)
	applyFilterbank(b.energy, b.power, h, b.fr.count, b.bank)
	if v <= 2 {
		n0 := len(dst)
		dst = growFloat(dst, len(b.energy))[:n0+len(b.energy)]
		out := dst[n0:]
		b.norm.apply(out, b.energy, false)
		lo, hi := float32(out[0]), float32(out[0])
		for _, e := range out {
			lo = min(lo, float32(e))
			hi = max(hi, float32(e))
		}
		if lo != 0 && hi != 0 {
			span := hi - lo
			for i, e := range out {
				q := (float32(e) - lo) / span
				if q != q {
					q = 0
				}
				out[i] = float64(q)
			}
		}
		return dst, nil
	}
	nf := float64(b.cfg.NoiseFloorDB)
	for _, e := range b.energy {
		d := 10 * math.Log10(math.Max(e, 1e-30))
		d = (d - nf) / (12 - nf)
		d = min(max(d, 0), 1)
		q := uint8(int(math.RoundToEven(256*d)) & 255)
		dst = append(dst, float64(q)/256)
	}
	return dst, nil
}

// NumFeatures returns frames·num_filters.
func (b *MFE) NumFeatures() int { return len(b.energy) }

// Output returns a spectrogram output: width frames, height num_filters.
func (b *MFE) Output() OutputConfig {
	return OutputConfig{Type: "spectrogram", Shape: OutputShape{Width: float64(b.fr.count), Height: b.cfg.NumFilters}}
}

// Labels returns nil: the MFE block has no feature labels.
func (b *MFE) Labels() []string { return nil }

// Cost returns the framing, FFT and filterbank figures of one window.
func (b *MFE) Cost() Cost {
	return audioCost("mfe", b.in, b.fr, b.cfg.FFTLength, b.cfg.NumFilters, 0, b.NumFeatures())
}
