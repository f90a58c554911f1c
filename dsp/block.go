package dsp

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// Block turns one window of samples into a feature vector. Every processing
// block in this package implements it. A Block is built for one [Input]
// shape; its methods other than AppendFeatures are cheap accessors.
//
// A Block holds scratch buffers and is not safe for concurrent use; build
// one per goroutine (construction is cheap).
type Block interface {
	// AppendFeatures appends the features of one window to dst and returns
	// the extended slice. The window holds Input.Samples values per axis,
	// interleaved by sample (x0, y0, z0, x1, ...), or packed 0xRRGGBB
	// pixels for the image block. When cap(dst) leaves room for
	// NumFeatures more values, AppendFeatures allocates nothing.
	AppendFeatures(dst, window []float64) ([]float64, error)

	// NumFeatures returns the number of features of one window.
	NumFeatures() int

	// Output returns the output configuration Edge Impulse reports for the
	// block (its output_config), which tells a learn block how to read the
	// flat feature vector.
	Output() OutputConfig

	// Labels returns the feature labels Edge Impulse reports, or nil for
	// blocks without labels. Spectral analysis and flatten report the
	// labels of one axis, not repeated per axis.
	Labels() []string

	// Cost returns the figures an on-device estimate needs.
	Cost() Cost
}

// Input describes the windows a block receives.
type Input struct {
	// FrequencyHz is the sampling frequency. Images have none.
	FrequencyHz float64
	// Axes is the number of interleaved axes (1 for audio).
	Axes int
	// Samples is the number of samples per axis in one window. For images
	// it is the number of pixels, Width·Height·Frames.
	Samples int
	// Width and Height are the image dimensions in pixels (image block
	// only); the window then holds Samples/(Width·Height) frames.
	Width, Height int
}

// Len returns the number of values in one window, Samples·Axes.
func (in Input) Len() int { return in.Samples * max(in.Axes, 1) }

// OutputConfig is Edge Impulse's output_config of a processing block.
type OutputConfig struct {
	// Type is "flat", "spectrogram" or "image".
	Type  string      `json:"type"`
	Shape OutputShape `json:"shape"`
}

// OutputShape is the shape part of [OutputConfig]. For "flat" outputs only
// Width (the feature count) is set; for "spectrogram" outputs Width is the
// number of frames and Height the values per frame; images set all four.
//
// Width is a float64 because Edge Impulse's MFCC block reports the feature
// count divided by num_cepstral, which is fractional (and not the frame
// count) when num_cepstral exceeds num_filters.
type OutputShape struct {
	Width    float64 `json:"width"`
	Height   int     `json:"height,omitempty"`
	Channels int     `json:"channels,omitempty"`
	Frames   int     `json:"frames,omitempty"`
}

// ConfigError reports a block configuration that Edge Impulse's block
// refuses, or one that is meaningless (negative, non-finite, too large).
// Reason carries Edge Impulse's own message where there is one.
type ConfigError struct {
	Block  string // block type, e.g. "spectral-analysis"
	Param  string // parameter name as in parameters.json, or "" when the problem spans parameters
	Value  any    // the offending value, or nil
	Reason string
}

func (e *ConfigError) Error() string {
	var b strings.Builder
	b.WriteString("dsp: ")
	b.WriteString(e.Block)
	if e.Param != "" {
		b.WriteString(": ")
		b.WriteString(e.Param)
		if e.Value != nil {
			fmt.Fprintf(&b, " = %v", e.Value)
		}
	}
	b.WriteString(": ")
	b.WriteString(e.Reason)
	return b.String()
}

// ErrInput is wrapped by every error about window data (non-finite values,
// a length that does not match the block's Input).
var ErrInput = errors.New("dsp: bad input")

// checkWindow verifies that the window has the expected length and holds
// only finite values.
func checkWindow(block string, window []float64, want int) error {
	if len(window) != want {
		return fmt.Errorf("%w: %s: window has %d values, want %d", ErrInput, block, len(window), want)
	}
	if nonFinite(window) == 0 {
		return nil
	}
	for i, v := range window {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%w: %s: value %d is %v", ErrInput, block, i, v)
		}
	}
	return nil
}

// checkTimeInput validates the parts of in that every time-series block
// needs.
func checkTimeInput(block string, in Input) error {
	switch {
	case !(in.FrequencyHz > 0) || math.IsInf(in.FrequencyHz, 0):
		return &ConfigError{Block: block, Param: "sampling_freq", Value: in.FrequencyHz, Reason: "sampling frequency must be a positive, finite number of Hz"}
	case in.Axes < 1:
		return &ConfigError{Block: block, Param: "axes", Value: in.Axes, Reason: "need at least one axis"}
	case in.Samples < 1:
		return &ConfigError{Block: block, Reason: "Input data must not be empty"}
	case in.Samples > maxSamples || in.Axes > maxSamples || in.Samples*in.Axes > maxSamples:
		return &ConfigError{Block: block, Reason: fmt.Sprintf("window of %d samples × %d axes is larger than %d values", in.Samples, in.Axes, maxSamples)}
	}
	return nil
}

// maxSamples bounds the values in one window so that absurd inputs fail
// early instead of exhausting memory.
const maxSamples = 1 << 26
