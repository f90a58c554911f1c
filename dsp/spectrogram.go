package dsp

import (
	"math"
	"slices"
)

// SpectrogramConfig holds the parameters of Edge Impulse's "spectrogram"
// block.
type SpectrogramConfig struct {
	// ImplementationVersion is 1 to 4; 0 means the latest, 4.
	ImplementationVersion int `json:"-"`

	FrameLength  float64 `json:"frame_length"`   // seconds (default 0.02)
	FrameStride  float64 `json:"frame_stride"`   // seconds (default 0.01)
	FFTLength    int     `json:"fft_length"`     // power of two (default 128)
	NoiseFloorDB int     `json:"noise_floor_db"` // dB, below 12, versions 3 and 4 (default -52)
	ShowAxes     bool    `json:"show_axes"`      // display only; ignored (default true)
}

// DefaultSpectrogramConfig returns Studio's defaults for the spectrogram
// block.
func DefaultSpectrogramConfig() SpectrogramConfig {
	return SpectrogramConfig{FrameLength: 0.02, FrameStride: 0.01, FFTLength: 128, NoiseFloorDB: -52, ShowAxes: true}
}

// UnmarshalJSON reads Studio's parameters, starting from the defaults.
func (c *SpectrogramConfig) UnmarshalJSON(b []byte) error {
	return unmarshalParams("spectrogram", b, c.setParams)
}

func (c *SpectrogramConfig) setParams(p map[string]any) error {
	v := c.ImplementationVersion
	*c = DefaultSpectrogramConfig()
	c.ImplementationVersion = v
	r := newParamReader("spectrogram", p)
	r.float("frame_length", &c.FrameLength)
	r.float("frame_stride", &c.FrameStride)
	r.int("fft_length", &c.FFTLength)
	r.int("noise_floor_db", &c.NoiseFloorDB)
	r.bool("show_axes", &c.ShowAxes)
	return r.done()
}

// Spectrogram is Edge Impulse's "spectrogram" block: the power spectrum
// |DFT|²/n of each frame of a single-axis signal, min-max normalised over
// the whole window (versions 1, 2) or in decibels above a noise floor
// (versions 3, 4). Features are frame by frame, n/2+1 bins each.
type Spectrogram struct {
	audioFront
	cfg  SpectrogramConfig
	db   dbScaler
	rows []float64 // the last group's decibels when it has fewer than four frames
}

// NewSpectrogram returns a spectrogram block for windows described by in.
func NewSpectrogram(cfg SpectrogramConfig, in Input) (*Spectrogram, error) {
	const name = "spectrogram"
	if err := resolveVersion(name, &cfg.ImplementationVersion, "implementation_version should be <= 4"); err != nil {
		return nil, err
	}
	v := cfg.ImplementationVersion
	front, err := newAudioFront(audioParams{block: name, label: "Spectrogram", version: v,
		frameLength: cfg.FrameLength, frameStride: cfg.FrameStride, fftLength: cfg.FFTLength,
		minFrameSamples: 4}, in)
	if err != nil {
		return nil, err
	}
	if v >= 3 {
		if err := checkNoiseFloor(name, cfg.NoiseFloorDB); err != nil {
			return nil, err
		}
	}
	return &Spectrogram{audioFront: front, cfg: cfg, db: newDBScaler(float64(cfg.NoiseFloorDB)), rows: make([]float64, 4*front.h)}, nil
}

// AppendFeatures appends the spectrogram of one window to dst.
func (b *Spectrogram) AppendFeatures(dst, window []float64) ([]float64, error) {
	if err := checkWindow("spectrogram", window, b.in.Samples); err != nil {
		return dst, err
	}
	v := b.cfg.ImplementationVersion
	x := window
	if v == 3 {
		// Version 3 rescales int16 audio: any sample outside [-1, 1] means
		// the whole window is divided by 32768 (and rounded to float32).
		for _, s := range window {
			if s < -1 || s > 1 {
				for i, s := range window {
					b.x[i] = float64(float32(s / 32768))
				}
				x = b.x
				break
			}
		}
	}
	frames, h := b.fr.count, b.h
	n0 := len(dst)
	dst = slices.Grow(dst, frames*h)[:n0+frames*h]
	out := dst[n0:]
	if v <= 2 {
		// Min-max over the whole window: keep every frame's spectrum.
		for g := 0; g < frames; g += 4 {
			b.group(x, g)
			for l := range min(4, frames-g) {
				row := out[(g+l)*h : (g+l+1)*h]
				for k := range row {
					row[k] = b.ps[4*k+l]
				}
			}
		}
		lo, hi := out[0], out[0]
		for _, e := range out {
			lo = math.Min(lo, e)
			hi = math.Max(hi, e)
		}
		span := hi - lo
		for i, e := range out {
			q := (e - lo) / span
			if math.IsNaN(q) {
				q = 0
			}
			out[i] = q
		}
		return dst, nil
	}
	for g := 0; g < frames; g += 4 {
		b.group(x, g)
		dbGroup(out[g*h:], h, b.ps, h, min(4, frames-g), b.db, v == 3, b.rows)
	}
	return dst, nil
}

// NumFeatures returns frames·(fft_length/2+1).
func (b *Spectrogram) NumFeatures() int { return b.fr.count * b.h }

// Output returns a spectrogram output: width frames, height
// fft_length/2+1 bins.
func (b *Spectrogram) Output() OutputConfig {
	return OutputConfig{Type: "spectrogram", Shape: OutputShape{Width: float64(b.fr.count), Height: b.cfg.FFTLength/2 + 1}}
}

// Labels returns nil: the spectrogram block has no feature labels.
func (b *Spectrogram) Labels() []string { return nil }

// Cost returns the framing and FFT figures of one window.
func (b *Spectrogram) Cost() Cost {
	return b.cost("spectrogram", 0, b.NumFeatures())
}
