package metrics

import "errors"

// Sentinel errors. Functions wrap them with the name of the offending
// argument and value; test for them with [errors.Is].
var (
	// ErrEmpty is returned when an input has no elements.
	ErrEmpty = errors.New("metrics: empty input")
	// ErrLength is returned when inputs that must be parallel differ in length.
	ErrLength = errors.New("metrics: length mismatch")
	// ErrValue is returned for NaN, ±Inf, negative scores and out-of-range
	// class indices.
	ErrValue = errors.New("metrics: invalid value")
	// ErrUndefined is returned when a metric is undefined for the data, for
	// example a ROC AUC when only one class is present, as scikit-learn raises
	// "Only one class present in y_true".
	ErrUndefined = errors.New("metrics: metric undefined for this data")
)
