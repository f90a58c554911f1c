package dsp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
)

// Request is one call of a processing block in the form Edge Impulse's
// block servers receive it and its reference vectors record it: the block
// type, implementation version, parameters, sampling frequency, axes and
// the flat raw data (interleaved by sample; for images [width, height,
// 0xRRGGBB pixels...]).
type Request struct {
	// Block is the type, as the impulse names it (spectral-analysis) or as
	// the Python module does (spectral_analysis).
	Block string `json:"block"`
	// ImplementationVersion is the block version; 0 (or absent) means the
	// latest.
	ImplementationVersion int `json:"implementation_version"`
	// Params holds the parameters by their parameters.json names.
	Params map[string]any `json:"params"`
	// SamplingFreq is the sampling frequency in Hz (ignored for images).
	SamplingFreq float64 `json:"sampling_freq"`
	// Axes is the number of axes. In JSON it may be a count or a list of
	// axis names.
	Axes int `json:"-"`
	// Input is the raw data.
	Input []float64 `json:"input"`
}

// UnmarshalJSON decodes a request, accepting "axes" as a count or a list of
// names and keeping parameter numbers exact.
func (r *Request) UnmarshalJSON(b []byte) error {
	var raw struct {
		Block                 string          `json:"block"`
		ImplementationVersion *float64        `json:"implementation_version"`
		Params                json.RawMessage `json:"params"`
		SamplingFreq          float64         `json:"sampling_freq"`
		Axes                  json.RawMessage `json:"axes"`
		Input                 []float64       `json:"input"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*r = Request{Block: raw.Block, SamplingFreq: raw.SamplingFreq, Input: raw.Input}
	if v := raw.ImplementationVersion; v != nil {
		if *v != math.Trunc(*v) || *v < 1 || *v > 1000 {
			return fmt.Errorf("implementation_version %v is not a positive integer", *v)
		}
		r.ImplementationVersion = int(*v)
	}
	if len(raw.Params) > 0 && !bytes.Equal(raw.Params, []byte("null")) {
		p, err := decodeParams(raw.Block, raw.Params)
		if err != nil {
			return err
		}
		r.Params = p
	}
	switch {
	case len(raw.Axes) == 0 || bytes.Equal(raw.Axes, []byte("null")):
		r.Axes = 1
	case raw.Axes[0] == '[':
		var names []json.RawMessage
		if err := json.Unmarshal(raw.Axes, &names); err != nil {
			return fmt.Errorf("axes: %w", err)
		}
		r.Axes = len(names)
	default:
		var n float64
		if err := json.Unmarshal(raw.Axes, &n); err != nil || n != math.Trunc(n) || n < 1 || n > maxSamples {
			return fmt.Errorf("axes: want a positive count or a list of names, got %s", raw.Axes)
		}
		r.Axes = int(n)
	}
	return nil
}

// Build returns the block the request describes and the window to give it.
func (r *Request) Build() (Block, []float64, error) {
	in := Input{FrequencyHz: r.SamplingFreq, Axes: r.Axes}
	window := r.Input
	if normalizeType(r.Block) == "image" {
		if len(window) < 2 {
			return nil, nil, fmt.Errorf("%w: image: input must start with width and height", ErrInput)
		}
		w, h := window[0], window[1]
		if w != math.Trunc(w) || h != math.Trunc(h) || w < 1 || h < 1 || w > maxSamples || h > maxSamples {
			return nil, nil, fmt.Errorf("%w: image: width %v and height %v must be positive integers", ErrInput, w, h)
		}
		in = Input{Width: int(w), Height: int(h), Samples: len(window) - 2, Axes: 1}
		window = window[2:]
	} else {
		if r.Axes < 1 {
			return nil, nil, fmt.Errorf("%w: axes must be at least 1", ErrInput)
		}
		if len(window)%r.Axes != 0 {
			return nil, nil, fmt.Errorf("%w: %d values do not divide into %d axes", ErrInput, len(window), r.Axes)
		}
		in.Samples = len(window) / r.Axes
	}
	b, err := New(r.Block, r.ImplementationVersion, r.Params, in)
	if err != nil {
		return nil, nil, err
	}
	return b, window, nil
}
