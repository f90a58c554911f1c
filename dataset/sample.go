package dataset

import (
	"cmp"
	"errors"
	"fmt"
	"image"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// ErrFormat is wrapped by every error about a malformed or truncated sample
// or label file.
var ErrFormat = errors.New("dataset: malformed file")

// FileError reports a problem with one file of a dataset: a sample that
// cannot be read or parsed, or an inconsistent info.labels entry. Path is the
// file's path as the dataset names it.
type FileError struct {
	Path string
	Err  error
}

func (e *FileError) Error() string { return "dataset: " + e.Path + ": " + e.Err.Error() }

// Unwrap returns the underlying error.
func (e *FileError) Unwrap() error { return e.Err }

// formatError returns an error wrapping ErrFormat with the given reason.
func formatError(format string, args ...any) error {
	return &reasonError{reason: fmt.Sprintf(format, args...)}
}

type reasonError struct{ reason string }

func (e *reasonError) Error() string { return e.reason }
func (e *reasonError) Unwrap() error { return ErrFormat }

// Sensor is one axis of a time-series sample, as the data acquisition format
// names it.
type Sensor struct {
	Name  string `json:"name"`
	Units string `json:"units"`
}

// LabelRange labels the values Start…End (inclusive value indices) of a
// multi-label sample, as info.labels' structured labels do.
type LabelRange struct {
	Label      string `json:"label"`
	StartIndex int    `json:"startIndex"`
	EndIndex   int    `json:"endIndex"`
}

// BoundingBox is an object annotation of an image sample, in pixels.
type BoundingBox struct {
	Label  string `json:"label"`
	X      int    `json:"x"`
	Y      int    `json:"y"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
}

// Categories of samples in a dataset, as info.labels names them. Samples in
// CategorySplit have not been assigned to training or testing.
const (
	CategoryTraining       = "training"
	CategoryTesting        = "testing"
	CategoryValidation     = "validation"
	CategoryPostProcessing = "post-processing"
	CategorySplit          = "split"
)

// Sample is one data item: a time series (IntervalMs, Sensors and Values) or
// an image (Image).
type Sample struct {
	// ID identifies the sample in feature matrices and Studio's JSON
	// (includedSamples, predictions): its 1-based position in the dataset.
	ID int
	// Name is the sample name (the file name without its extension unless
	// info.labels gives one), Path the file's slash-separated path relative to
	// the dataset folder.
	Name, Path string
	// Category is one of the Category constants.
	Category string
	// Label is the sample's label; "" for unlabelled and multi-label samples.
	Label string
	// Labels holds the structured labels of a multi-label sample, in value
	// order, covering every value exactly once.
	Labels []LabelRange
	// KeyValues holds the labels of a keyvalue-labels sample.
	KeyValues map[string]string
	// Metadata holds info.labels' metadata of the sample.
	Metadata map[string]string
	// BoundingBoxes holds the object annotations of an image sample.
	BoundingBoxes []BoundingBox

	// DeviceName and DeviceType come from the data acquisition payload.
	DeviceName, DeviceType string
	// IntervalMs is the time between two values of a time series.
	IntervalMs float64
	// Sensors names the axes of a time series.
	Sensors []Sensor
	// Values holds a time series interleaved by value: axis j of value i is
	// Values[i*len(Sensors)+j]. It is nil for a WAV sample loaded with
	// LoadOptions.CompactAudio, which keeps the 16-bit values as they are in
	// the file: read the values of any sample with Series or Value.
	Values []float64
	// pcm holds the values of a compactly loaded WAV sample instead of Values.
	pcm []int16

	// Image is the picture of an image sample (PNG or JPEG), nil otherwise.
	Image image.Image
}

// Len returns the number of values per axis of a time series (0 for an
// image).
func (s *Sample) Len() int {
	if len(s.Sensors) == 0 {
		return 0
	}
	return s.NumValues() / len(s.Sensors)
}

// NumValues returns the number of values of a time series, all axes
// together: len(Values), or the number of compactly held values.
func (s *Sample) NumValues() int {
	if s.pcm != nil {
		return len(s.pcm)
	}
	return len(s.Values)
}

// Value returns value i of the interleaved series (Values[i] for a sample
// that holds Values).
func (s *Sample) Value(i int) float64 {
	if s.pcm != nil {
		return float64(s.pcm[i])
	}
	return s.Values[i]
}

// Series returns the interleaved values of a time series: Values itself
// when the sample holds them, otherwise its compactly held values widened
// into buf (reallocated if too small), which the caller may reuse for the
// next sample.
func (s *Sample) Series(buf []float64) []float64 {
	if s.pcm == nil {
		return s.Values
	}
	buf = slices.Grow(buf[:0], len(s.pcm))[:len(s.pcm)]
	for i, v := range s.pcm {
		buf[i] = float64(v)
	}
	return buf
}

// FrequencyHz returns the sampling frequency of a time series, 1000 /
// IntervalMs, or 0 for an image.
func (s *Sample) FrequencyHz() float64 {
	if s.IntervalMs <= 0 {
		return 0
	}
	return 1000 / s.IntervalMs
}

// Axis returns the index of the named sensor, or -1.
func (s *Sample) Axis(name string) int {
	for i, x := range s.Sensors {
		if x.Name == name {
			return i
		}
	}
	return -1
}

// LabelAt returns the label of value i: the sample's label, or for a
// multi-label sample the label of the range holding i.
func (s *Sample) LabelAt(i int) string {
	if len(s.Labels) == 0 {
		return s.Label
	}
	lo, hi := 0, len(s.Labels)
	for lo < hi {
		m := (lo + hi) / 2
		if s.Labels[m].EndIndex < i {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(s.Labels) && s.Labels[lo].StartIndex <= i {
		return s.Labels[lo].Label
	}
	return ""
}

// SetLabels sets the structured labels of a multi-label sample (Labels),
// after checking them against the sample's length: every value
// index 0…Len()−1 must be covered exactly once. The ranges are sorted by
// position.
func (s *Sample) SetLabels(r []LabelRange) error {
	n := s.Len()
	if s.Image != nil {
		n = 1
	}
	sorted := slices.Clone(r)
	slices.SortStableFunc(sorted, func(a, b LabelRange) int { return cmp.Compare(a.StartIndex, b.StartIndex) })
	next := 0
	for _, x := range sorted {
		switch {
		case x.Label == "":
			return formatError("structured label [%d, %d] has no label", x.StartIndex, x.EndIndex)
		case x.StartIndex < 0 || x.EndIndex < x.StartIndex:
			return formatError("structured label %q has an invalid range [%d, %d]", x.Label, x.StartIndex, x.EndIndex)
		case x.EndIndex >= n:
			return formatError("structured label %q ends at value index %d, but the sample has %d values", x.Label, x.EndIndex, n)
		case x.StartIndex < next:
			return formatError("structured label %q [%d, %d] overlaps the previous range", x.Label, x.StartIndex, x.EndIndex)
		case x.StartIndex > next:
			return formatError("structured labels leave value indices %d to %d unlabelled", next, x.StartIndex-1)
		}
		next = x.EndIndex + 1
	}
	if next < n {
		return formatError("structured labels leave value indices %d to %d unlabelled", next, n-1)
	}
	s.Labels = sorted
	return nil
}

// LabelFromFileName returns the label Edge Impulse infers from a file name
// without info.labels: the leading run of ASCII letters, digits, white space,
// '-' and '_' of the base name ("idle.01.cbor" → "idle",
// "unknown.bed_4c7c95de_nohash_0.wav" → "unknown"), or "" if there is none.
func LabelFromFileName(name string) string {
	b := path.Base(filepath.ToSlash(name))
	// Studio's ^[a-zA-Z0-9\s_-]+, where \s is [\t\n\f\r ].
	i := strings.IndexFunc(b, func(r rune) bool {
		return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || strings.ContainsRune("_- \t\n\f\r", r))
	})
	if i < 0 {
		return b
	}
	return b[:i]
}

// sampleName returns a file's base name without its extension.
func sampleName(p string) string {
	b := path.Base(filepath.ToSlash(p))
	return strings.TrimSuffix(b, path.Ext(b))
}
