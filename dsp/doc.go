// Package dsp implements Edge Impulse's processing blocks: raw, flatten,
// image, spectral-analysis, spectrogram, mfe (mel filterbank energies) and
// mfcc, in every implementation version Studio offers, numerically matching
// Edge Impulse's own Python implementation (github.com/edgeimpulse/
// processing-blocks).
//
// It is a core package and imports no other package of the project;
// device reads its blocks' costs and impulse builds them for a window
// shape. Each block type's metadata lives here too (Lookup: Studio's names,
// its parameters.json table, its feature kind), so a new block touches this
// package only.
//
// # Overview
//
// A block is built once for one input shape from its configuration, then
// computes features window after window:
//
//	blk, err := dsp.NewMFCC(dsp.DefaultMFCCConfig(), dsp.Input{FrequencyHz: 16000, Axes: 1, Samples: 16000})
//	...
//	feats, err = blk.AppendFeatures(feats[:0], window)
//
// Each block type has a Config struct whose fields carry Edge Impulse's
// parameter names as JSON tags ("scale-axes", "frame_length", ...), a
// Default…Config function with Studio's defaults, and an UnmarshalJSON that
// starts from those defaults and accepts numbers and booleans either as
// JSON values or as strings, as Studio sends them. [New] builds any block
// from its type name and a parameter map, and [Request] reads one call in
// the format of Edge Impulse's block servers and reference vectors.
//
// Every block reports its output configuration ([Block.Output], which a
// learn block uses to reshape the flat vector), its feature labels and the
// figures an on-device estimate needs ([Block.Cost]).
//
// # Data layout
//
// A window is a flat []float64. Time series are interleaved by sample:
// x0, y0, z0, x1, y1, z1, ... for Input.Axes = 3, Input.Samples values per
// axis. Audio is one axis of int16 sample values (for example -1856.0), not
// scaled to [-1, 1]. Images are packed pixels 0xRRGGBB, row-major from the
// top-left, Input.Width × Input.Height per frame.
//
// Features are flat too: spectrogram, MFE and MFCC features are frame by
// frame (Output().Shape.Width frames of Height values); spectral analysis
// and flatten features are axis by axis, and the labels they report are
// those of one axis (spectral analysis's extra-low-frequency features come
// after all axes' main features).
//
// # Precision
//
// Edge Impulse's blocks compute some steps in float32: spectral analysis
// without input decimation (scaling, Butterworth filtering, mean removal,
// statistics, wavelets), MFE versions 3 and 4 (scaling and pre-emphasis),
// and the sliding normalisation of MFCC and of MFE versions 1 and 2. This
// package rounds to float32 at the same points, reproduces numpy's
// pairwise float32 summation, and keeps the rest in float64, so its
// features agree with Edge Impulse's within the tolerances recorded with
// the reference vectors in testdata/dsp (at most a few hundredths of them).
// Where the reference amplifies rounding noise (a near-silent frame
// stretched by min-max scaling, wavelet coefficients that are pure
// rounding), both results are noise and need not agree.
//
// The quirks of the reference are kept, because models trained in Studio
// expect them: MFE versions 3 and 4 turn a quantised level of 256 into 0,
// versions 1 to 3 of MFE and MFCC squeeze the mel filterbank into the lower
// part of the spectrum, spectral analysis version 1 spaces its peak
// frequencies by (fs/2)/(n/2 - 1), and the MFCC output width is the
// feature count divided by num_cepstral.
//
// # Errors
//
// Constructors validate the whole configuration against the input shape
// and return a *[ConfigError] for anything Edge Impulse's block refuses,
// with its message (for example "FFT length must be a power of 2"), and for
// values that are meaningless (negative, non-finite, absurdly large,
// unknown options). AppendFeatures returns an error wrapping [ErrInput] for
// a window of the wrong length or with NaN or infinite values, and leaves
// dst's contents before len(dst) untouched. No input makes a block panic.
//
// # Concurrency
//
// A block holds its FFT plan and scratch buffers and is not safe for
// concurrent use; construction is cheap, so give each goroutine its own.
// AppendFeatures allocates nothing when dst has room for NumFeatures more
// values.
package dsp
