package dsp

import (
	"slices"
	"strings"
)

// resolveVersion replaces a version of 0 by the block type's latest and
// refuses versions the block does not have, with reason (Edge Impulse's
// message).
func resolveVersion(block string, v *int, reason string) error {
	latest := LatestVersion(block)
	if *v == 0 {
		*v = latest
	}
	if *v < 1 || *v > latest {
		return &ConfigError{Block: block, Param: "implementationVersion", Value: *v, Reason: reason}
	}
	return nil
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
	switch normalizeType(blockType) {
	case "raw":
		return build(RawConfig{ImplementationVersion: version}, (*RawConfig).setParams, params, NewRaw, in)
	case "flatten":
		return build(FlattenConfig{ImplementationVersion: version}, (*FlattenConfig).setParams, params, NewFlatten, in)
	case "image":
		return build(ImageConfig{ImplementationVersion: version}, (*ImageConfig).setParams, params, NewImage, in)
	case "spectral-analysis":
		return build(SpectralConfig{ImplementationVersion: version}, (*SpectralConfig).setParams, params, NewSpectral, in)
	case "spectrogram":
		return build(SpectrogramConfig{ImplementationVersion: version}, (*SpectrogramConfig).setParams, params, NewSpectrogram, in)
	case "mfe":
		return build(MFEConfig{ImplementationVersion: version}, (*MFEConfig).setParams, params, NewMFE, in)
	case "mfcc":
		return build(MFCCConfig{ImplementationVersion: version}, (*MFCCConfig).setParams, params, NewMFCC, in)
	}
	known := slices.Sorted(slices.Values(BlockTypes))
	return nil, &ConfigError{Block: blockType, Reason: "unknown processing block type (known: " + strings.Join(known, ", ") + ")"}
}

// build reads params into c and builds the block from it. On error the
// Block is nil, not a nil *B wrapped in a non-nil interface.
func build[C any, B Block](c C, set func(*C, map[string]any) error, params map[string]any, newBlock func(C, Input) (B, error), in Input) (Block, error) {
	if err := set(&c, params); err != nil {
		return nil, err
	}
	b, err := newBlock(c, in)
	if err != nil {
		return nil, err
	}
	return b, nil
}
