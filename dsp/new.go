package dsp

import (
	"sort"
	"strings"
)

// BlockTypes lists the processing block types this package implements, by
// their Edge Impulse type names.
var BlockTypes = []string{"raw", "flatten", "image", "spectral-analysis", "spectrogram", "mfe", "mfcc"}

// LatestVersion returns the latest implementation version of a block type
// (as Studio gives new projects), or 0 for an unknown type.
func LatestVersion(blockType string) int {
	switch normalizeType(blockType) {
	case "raw", "flatten", "image":
		return 1
	case "spectral-analysis", "spectrogram", "mfe", "mfcc":
		return 4
	}
	return 0
}

// normalizeType maps the Python module name spectral_analysis to the
// impulse type spectral-analysis.
func normalizeType(t string) string { return strings.ReplaceAll(t, "_", "-") }

// New builds the block of the given Edge Impulse type from Studio's
// parameters, keyed by their parameters.json names ("scale-axes",
// "frame_length", ...), with numbers and booleans as JSON values or
// strings. Omitted parameters take Studio's defaults; unknown ones are an
// error. version is the implementation version, 0 for the latest.
func New(blockType string, version int, params map[string]any, in Input) (Block, error) {
	t := normalizeType(blockType)
	switch t {
	case "raw":
		c := RawConfig{ImplementationVersion: version}
		if err := c.setParams(params); err != nil {
			return nil, err
		}
		return NewRaw(c, in)
	case "flatten":
		c := FlattenConfig{ImplementationVersion: version}
		if err := c.setParams(params); err != nil {
			return nil, err
		}
		return NewFlatten(c, in)
	case "image":
		c := ImageConfig{ImplementationVersion: version}
		if err := c.setParams(params); err != nil {
			return nil, err
		}
		return NewImage(c, in)
	case "spectral-analysis":
		c := SpectralConfig{ImplementationVersion: version}
		if err := c.setParams(params); err != nil {
			return nil, err
		}
		return NewSpectral(c, in)
	case "spectrogram":
		c := SpectrogramConfig{ImplementationVersion: version}
		if err := c.setParams(params); err != nil {
			return nil, err
		}
		return NewSpectrogram(c, in)
	case "mfe":
		c := MFEConfig{ImplementationVersion: version}
		if err := c.setParams(params); err != nil {
			return nil, err
		}
		return NewMFE(c, in)
	case "mfcc":
		c := MFCCConfig{ImplementationVersion: version}
		if err := c.setParams(params); err != nil {
			return nil, err
		}
		return NewMFCC(c, in)
	}
	known := append([]string(nil), BlockTypes...)
	sort.Strings(known)
	return nil, &ConfigError{Block: blockType, Reason: "unknown processing block type (known: " + strings.Join(known, ", ") + ")"}
}
