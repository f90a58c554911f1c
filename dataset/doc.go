// Package dataset reads Edge Impulse's sample formats and datasets in its
// export layout. It imports no other package of the project: everything
// that turns samples into windows and features lives in package impulse.
//
// # Overview
//
// [Load] reads a dataset folder. An info.labels file at its root (or in
// training/ and testing/), JSON or its NDJSON export form, names the files,
// their categories and labels, with every label kind: single labels,
// multi-label samples (structured labels by inclusive value index, which
// must cover every value once), key-value labels and unlabelled samples.
// Without info.labels, training/ and testing/ hold files named
// <label>.<anything>.<ext> ([LabelFromFileName]).
//
// [DecodeSample] and [ReadSample] read one sample file, chosen by its
// extension: data acquisition JSON or CBOR (signed or not, including the
// binary-payload variant), CSV with a timestamp column in milliseconds,
// 16-bit PCM mono WAV, PNG and JPEG.
//
// # Data layout
//
// Samples are numbered 1, 2, … in dataset order (Sample.ID); that number is
// the sample id of feature rows and of Studio's JSON. A time series is
// interleaved by value: Values holds x0, y0, z0, x1, … in the order of
// Sensors. An image sample holds its decoded picture in Image.
//
// [LoadWith] with LoadOptions.CompactAudio keeps WAV samples' 16-bit values
// as they are in the file, a quarter of the memory of float64 Values (the
// 134 files of the synthetic keywords dataset: 3.7 MB instead of 14.8 MB):
// their Values is nil, and [Sample.Series], [Sample.Value] and
// [Sample.NumValues] read the values of every sample, compact or not.
//
// # Turning a device
//
// [Triples] finds the 3-axis sensors of a sample (axes named alike but
// for a final x, y or z), and [Sample.Rotated] returns a copy turned as a
// rigid body by a [Rotation], every such sensor by the same one, as if
// the device had been held differently. [SampleRotation] draws a sample's
// rotations from its name alone, so that the same sample is turned the
// same way in any dataset it is part of; impulse trains on such copies
// and tune scores held-out windows turned.
//
// # Errors
//
// Files that cannot be read or parsed give a *[FileError] naming the file,
// wrapping [ErrFormat] for malformed or truncated contents; Load joins the
// errors of up to ten files. In data acquisition files a field of the wrong
// type is named by its path ("payload.sensors[0].name is not a text
// string"), and a null field counts as absent. Malformed input never makes
// the package panic.
//
// # Concurrency
//
// Load reads files in parallel. Datasets and samples are read-only once
// loaded and may be shared by any number of goroutines.
//
// # Security considerations
//
// info.labels paths must stay inside the dataset folder. Images larger than
// 64 megapixels are refused before they are decoded. CBOR files are read
// with github.com/fxamacker/cbor/v2, which checks that the whole data item is
// well formed before decoding anything, so no length in a file is believed
// beyond the bytes that follow it; nesting is limited to 64 levels, and a
// map with a key given twice is refused.
package dataset
