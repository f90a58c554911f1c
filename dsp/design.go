package dsp

import (
	"fmt"
	"slices"
)

// Design is what a block derives once from its configuration and input
// shape, as plain data: the framing, FFT bin ranges, filter coefficients,
// filterbank and DCT tables. Code generators (package deploy) use it to
// reproduce a block elsewhere without repeating its design. The slices are
// copies: changing them does not affect the block.
type Design struct {
	// Type is the block type (raw, flatten, image, spectral-analysis,
	// spectrogram, mfe or mfcc) and Version its implementation version.
	Type    string
	Version int
	// Input is the window shape the block was built for (for the image
	// block, Samples counts the pixels of every frame).
	Input Input
	// Features is the number of features per window.
	Features int
	// Config is the block's configuration with its version resolved: a
	// RawConfig, FlattenConfig, ImageConfig, SpectralConfig,
	// SpectrogramConfig, MFEConfig or MFCCConfig.
	Config any

	// Spectral is set for spectral analysis, Audio for the spectrogram,
	// MFE and MFCC blocks.
	Spectral *SpectralDesign
	Audio    *AudioDesign
}

// SpectralDesign holds the derived constants of a spectral analysis block.
type SpectralDesign struct {
	// Analysis is "fft" (versions 2-4), "wavelet" (versions 3 and 4) or
	// "v1" (version 1's peaks and band powers).
	Analysis string
	// DecimationStages are the factors (3 or 10) the input is decimated
	// by in turn; EffectiveHz and EffectiveSamples describe each axis
	// after them.
	DecimationStages []int
	EffectiveHz      float64
	EffectiveSamples int
	// Filter holds the Butterworth sections b0 b1 b2 a0 a1 a2, rounded
	// to float32; nil without a filter.
	Filter [][6]float64
	// Hop is the distance between the max-hold spectrum's FFT segments.
	Hop int
	// MainBins are the FFT bins emitted per axis and LowFreqBins those of
	// the extra-low-frequency features (zero when they are off).
	MainBins, LowFreqBins BinRange
	// AxisFeatures and LowFreqFeatures count the features per axis of the
	// main and the extra-low-frequency part.
	AxisFeatures, LowFreqFeatures int
	// WaveletLo and WaveletHi are the wavelet's decomposition filters,
	// WaveletLengths the lengths of the approximations at levels
	// 0..wavelet-level.
	WaveletLo, WaveletHi []float64
	WaveletLengths       []int
	// PowerEdges are version 1's band edges in Hz.
	PowerEdges []float64
}

// BinRange is the range [Start, Stop) of FFT bins.
type BinRange struct {
	Start, Stop int
}

// AudioDesign holds the derived constants of the spectrogram, MFE and
// MFCC blocks.
type AudioDesign struct {
	// FrameLength and FrameStride are in samples; Frames is the frame
	// count.
	FrameLength, FrameStride, Frames int
	// FFTLength is the length of each frame's real FFT.
	FFTLength int
	// MelStart[i] is the first FFT bin of mel filter i and MelWeights[i]
	// its weights for bins MelStart[i], MelStart[i]+1, ... (MFE, MFCC).
	MelStart   []int
	MelWeights [][]float64
	// DCT is the orthonormal DCT-II matrix, coefficients kept × filters
	// (MFCC).
	DCT [][]float64
	// LevelThresholds[q-1] is the filterbank energy from which MFE
	// versions 3 and 4 quantise to level q, for q = 1..256.
	LevelThresholds []float64
}

// DesignOf returns the design of a block built by this package. It
// returns an error for any other implementation of [Block].
func DesignOf(b Block) (Design, error) {
	d := Design{Features: b.NumFeatures()}
	switch b := b.(type) {
	case *Raw:
		d.Type, d.Version, d.Input, d.Config = "raw", b.cfg.ImplementationVersion, b.in, b.cfg
	case *Flatten:
		d.Type, d.Version, d.Input, d.Config = "flatten", b.cfg.ImplementationVersion, b.in, b.cfg
	case *Image:
		d.Type, d.Version, d.Input, d.Config = "image", b.cfg.ImplementationVersion, b.in, b.cfg
	case *Spectral:
		d.Type, d.Version, d.Input, d.Config = "spectral-analysis", b.cfg.ImplementationVersion, b.in, b.cfg
		d.Spectral = b.design()
	case *Spectrogram:
		d.Type, d.Version, d.Input, d.Config = "spectrogram", b.cfg.ImplementationVersion, b.in, b.cfg
		d.Audio = b.audioFront.design()
	case *MFE:
		d.Type, d.Version, d.Input, d.Config = "mfe", b.cfg.ImplementationVersion, b.in, b.cfg
		d.Audio = b.audioFront.design()
		if b.quant != nil {
			d.Audio.LevelThresholds = slices.Clone(b.quant.thr[1:257])
		}
	case *MFCC:
		d.Type, d.Version, d.Input, d.Config = "mfcc", b.cfg.ImplementationVersion, b.in, b.cfg
		d.Audio = b.audioFront.design()
		m := b.cfg.NumFilters
		for k := range b.ncep {
			row := make([]float64, m)
			for j := range row {
				row[j] = b.dctT[j*b.kpad+k]
			}
			d.Audio.DCT = append(d.Audio.DCT, row)
		}
	default:
		return Design{}, fmt.Errorf("dsp: %T is not a block of package dsp", b)
	}
	return d, nil
}

func (b *Spectral) design() *SpectralDesign {
	s := &SpectralDesign{
		DecimationStages: slices.Clone(b.stages),
		EffectiveHz:      b.fsEff,
		EffectiveSamples: b.nEff,
		Filter:           slices.Clone(b.filt),
		Hop:              b.hop(),
		MainBins:         BinRange{b.main.start, b.main.stop},
		AxisFeatures:     b.nAxis,
		LowFreqFeatures:  b.nLF,
		PowerEdges:       slices.Clone(b.edges),
	}
	if b.nLF > 0 {
		s.LowFreqBins = BinRange{b.lf.start, b.lf.stop}
	}
	switch {
	case b.wave != nil:
		s.Analysis = "wavelet"
		s.WaveletLo = slices.Clone(b.wave.lo64)
		s.WaveletHi = slices.Clone(b.wave.hi64)
		s.WaveletLengths = slices.Clone(b.wave.lens)
	case b.cfg.ImplementationVersion == 1:
		s.Analysis = "v1"
	default:
		s.Analysis = "fft"
	}
	return s
}

func (a *audioFront) design() *AudioDesign {
	d := &AudioDesign{FrameLength: a.fr.length, FrameStride: a.fr.stride, Frames: a.fr.count, FFTLength: a.plan.Len()}
	if a.bank != nil {
		for i, lo := range a.bank.lo {
			d.MelStart = append(d.MelStart, lo)
			d.MelWeights = append(d.MelWeights, slices.Clone(a.bank.w[a.bank.off[i]:a.bank.off[i+1]]))
		}
	}
	return d
}
