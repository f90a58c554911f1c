package device

import (
	"fmt"
	"math"
)

// DSPKind names a processing block by its impulse type.
type DSPKind string

// Processing blocks the DSP cost model knows (device-estimates.md §5.6).
const (
	DSPRaw         DSPKind = "raw"
	DSPFlatten     DSPKind = "flatten"
	DSPSpectral    DSPKind = "spectral-analysis"
	DSPSpectrogram DSPKind = "spectrogram"
	DSPMFE         DSPKind = "mfe"
	DSPMFCC        DSPKind = "mfcc"
	DSPImage       DSPKind = "image"
)

// DSPBlock describes the work one processing block does on one window, in
// figures the dsp package knows from a block's configuration and the
// window's shape. Fields a block kind does not use are ignored.
type DSPBlock struct {
	// Name labels the block in tables; "" means Kind.
	Name string  `json:"name,omitempty"`
	Kind DSPKind `json:"kind"`
	// Axes is the number of input axes (all kinds but image); 0 means 1.
	Axes int `json:"axes,omitempty"`
	// Samples is the number of input samples per axis in a window (raw,
	// flatten, spectral analysis).
	Samples int `json:"samples,omitempty"`
	// FFTLength is the FFT size N (spectral analysis, spectrogram, MFE,
	// MFCC). 0 means no FFT for spectral analysis (wavelet or statistics
	// only) and 256 for the audio blocks.
	FFTLength int `json:"fftLength,omitempty"`
	// Frames is the number of frames per window and FrameLength the samples
	// per frame L (spectrogram, MFE, MFCC).
	Frames      int `json:"frames,omitempty"`
	FrameLength int `json:"frameLength,omitempty"`
	// Filters is the number of mel filters M (MFE, MFCC); 0 means 40 for MFE
	// and 32 for MFCC. Coefficients is the number of cepstral coefficients C
	// (MFCC); 0 means 13.
	Filters      int `json:"filters,omitempty"`
	Coefficients int `json:"coefficients,omitempty"`
	// Features is the block's output length (spectral analysis RAM).
	Features int `json:"features,omitempty"`
	// OutputPixels and Channels are the image block's output size.
	OutputPixels int `json:"outputPixels,omitempty"`
	Channels     int `json:"channels,omitempty"`
}

// BlockProfile is the estimate of a processing or anomaly block on a target.
type BlockProfile struct {
	Name   string
	Target Target
	// Cycles and LatencyMs are the time per window on the target.
	Cycles    float64
	LatencyMs float64
	// RAM is the working memory; ROM the code and constant data.
	RAM, ROM int
}

// DSPPerformance is Studio's DspPerformance of a processing block.
type DSPPerformance struct {
	// Latency is in whole milliseconds, at least 1.
	Latency         int    `json:"latency"`
	RAM             int    `json:"ram"`
	CustomDSPString string `json:"customDspString,omitempty"`
}

// Performance returns the block's estimate as Studio's DspPerformance.
func (p BlockProfile) Performance() DSPPerformance {
	return DSPPerformance{Latency: LatencyMillis(p.LatencyMs), RAM: p.RAM}
}

func log2(n int) float64 { return math.Log2(float64(n)) }

// ProfileDSP estimates the time, RAM and ROM of a processing block on the
// target of c (device-estimates.md §5.6): Cortex-M4 cycle counts from the
// block's operation counts, calibrated on Edge Impulse's published
// latencies, scaled to other cores by their float32 factor. Per window,
// with FFT length N, frames F of L samples, M filters and C coefficients:
//
//	MFCC        F·(96·L + 45·N·log2 N + 30·M·(N/2+1) + 400·M + 40·M·C) + 30·F·C
//	MFE         the same without the DCT (40·M·C) and normalisation terms
//	spectrogram F·(96·L + 45·N·log2 N)
//	spectral    axes·(2800·samples + 20·N·log2 N)
//	raw/flatten 5·samples·axes; image 25·pixels·channels
//
// It returns an error wrapping [ErrValue] for missing or negative sizes and
// the errors of [ProfileNetwork] for the target.
func ProfileDSP(b DSPBlock, c ProfileConfig) (BlockProfile, error) {
	p, core, err := newBlockProfile(c, b.Name, string(b.Kind))
	if err != nil {
		return p, err
	}
	for _, v := range []int{b.Axes, b.Samples, b.FFTLength, b.Frames, b.FrameLength, b.Filters, b.Coefficients, b.Features, b.OutputPixels, b.Channels} {
		if v < 0 {
			return p, fmt.Errorf("device: ProfileDSP %s: negative size %d: %w", b.Kind, v, ErrValue)
		}
	}
	axes := orOne(b.Axes)
	n := b.FFTLength
	need := func(what string, v int) error {
		if v <= 0 {
			return fmt.Errorf("device: ProfileDSP %s: %s must be > 0: %w", b.Kind, what, ErrValue)
		}
		return nil
	}
	var cycles float64
	var ram, rom int
	switch b.Kind {
	case DSPRaw, DSPFlatten:
		if err := need("Samples", b.Samples); err != nil {
			return p, err
		}
		cycles = 5 * float64(b.Samples*axes)
		ram = 4*b.Samples*axes + 1024
		rom = 2048
	case DSPImage:
		if err := need("OutputPixels", b.OutputPixels); err != nil {
			return p, err
		}
		ch := orOne(b.Channels)
		cycles = 25 * float64(b.OutputPixels*ch)
		ram = 4*b.OutputPixels*ch + 1024
		rom = 3072
	case DSPSpectral:
		if err := need("Samples", b.Samples); err != nil {
			return p, err
		}
		per := 2800 * float64(b.Samples)
		if n > 0 {
			per += 20 * float64(n) * log2(n)
		}
		cycles = float64(axes) * per
		ram = 4*(axes*b.Samples+2*n+b.Features) + 1024
		rom = 12 * 1024
	case DSPSpectrogram, DSPMFE, DSPMFCC:
		if err := need("Frames", b.Frames); err != nil {
			return p, err
		}
		if err := need("FrameLength", b.FrameLength); err != nil {
			return p, err
		}
		if n == 0 {
			n = 256
		}
		m, cc := b.Filters, b.Coefficients
		if m == 0 {
			m = 32
			if b.Kind == DSPMFE {
				m = 40
			}
		}
		if cc == 0 {
			cc = 13
		}
		l, f := float64(b.FrameLength), float64(b.Frames)
		per := 96*l + 45*float64(n)*log2(n)
		bins := n/2 + 1
		ram = 4*(b.FrameLength+bins+2*n) + 1024
		rom = 12 * 1024
		switch b.Kind {
		case DSPSpectrogram:
			ram += 4 * b.Frames * bins
		case DSPMFE:
			per += 30*float64(m*bins) + 400*float64(m)
			ram += 4*b.Frames*m + 4*b.Frames + 4*(m+2)
			rom += 4 * 1024
		case DSPMFCC:
			per += 30*float64(m*bins) + 400*float64(m) + 40*float64(m*cc)
			ram += 4*b.Frames*m + 4*b.Frames + 4*b.Frames*cc + 4*(m+2)
			rom += 4 * 1024
		}
		cycles = f * per
		if b.Kind == DSPMFCC {
			cycles += 30 * f * float64(cc)
		}
		cycles *= float64(axes)
	default:
		return p, fmt.Errorf("device: ProfileDSP: unknown block kind %q: %w", b.Kind, ErrValue)
	}
	p.setCycles(cycles)
	p.RAM = ram + c.SDKRAMOverhead
	p.ROM = int(float64(rom)*core.rom + 0.5)
	return p, nil
}

// newBlockProfile returns the estimate of a processing or anomaly block
// named name (kind when "") on the target of c, to be filled in, with the
// target's core.
func newBlockProfile(c ProfileConfig, name, kind string) (BlockProfile, coreParams, error) {
	t, core, err := c.target()
	if err != nil {
		return BlockProfile{}, core, err
	}
	if name == "" {
		name = kind
	}
	return BlockProfile{Name: name, Target: t}, core, nil
}

// setCycles sets the cycles and latency from the block's Cortex-M4 float
// cycle count, converted to the target's core.
func (p *BlockProfile) setCycles(m4 float64) {
	p.Cycles = m4 * p.Target.Core.Factor(Float32) / CortexM4.Factor(Float32)
	p.LatencyMs = p.Target.millis(p.Cycles)
}

// AnomalyKind names an anomaly block.
type AnomalyKind string

// Anomaly blocks the cost model knows (device-estimates.md §5.5).
const (
	AnomalyKMeans AnomalyKind = "anomaly"
	AnomalyGMM    AnomalyKind = "anomaly-gmm"
)

// AnomalyBlock describes an anomaly block: its kind, number of clusters
// (K-means) or mixture components (GMM), and input features.
type AnomalyBlock struct {
	Name     string      `json:"name,omitempty"`
	Kind     AnomalyKind `json:"kind"`
	Clusters int         `json:"clusters"`
	Features int         `json:"features"`
}

// ProfileAnomaly estimates an anomaly block on the target of c
// (device-estimates.md §5.5, §4.5). Cortex-M4 float cycles per window:
// K-means K·(4·F + 20) + 200 (distance to every centroid); GMM with full
// covariances C·(3·F² + 6·F + 60). ROM holds the model: K-means
// 4·K·(F+1) + 1 KB, GMM 4·C·(F + F² + 1) + 2 KB. RAM is the working
// buffers: the feature vector, one value per cluster and, for GMM, a
// centred copy of the features (4·(F + K) + 64, or 4·(2F + C) + 64).
func ProfileAnomaly(a AnomalyBlock, c ProfileConfig) (BlockProfile, error) {
	p, _, err := newBlockProfile(c, a.Name, string(a.Kind))
	if err != nil {
		return p, err
	}
	if a.Clusters <= 0 || a.Features <= 0 {
		return p, fmt.Errorf("device: ProfileAnomaly: clusters=%d features=%d, want > 0: %w", a.Clusters, a.Features, ErrValue)
	}
	k, f := float64(a.Clusters), float64(a.Features)
	var cycles float64
	switch a.Kind {
	case AnomalyKMeans:
		cycles = k*(4*f+20) + 200
		p.ROM = 4*a.Clusters*(a.Features+1) + 1024
		p.RAM = 4*(a.Features+a.Clusters) + 64
	case AnomalyGMM:
		cycles = k * (3*f*f + 6*f + 60)
		p.ROM = 4*a.Clusters*(a.Features+a.Features*a.Features+1) + 2048
		p.RAM = 4*(2*a.Features+a.Clusters) + 64
	default:
		return p, fmt.Errorf("device: ProfileAnomaly: unknown block kind %q: %w", a.Kind, ErrValue)
	}
	p.setCycles(cycles)
	p.RAM += c.SDKRAMOverhead
	return p, nil
}
