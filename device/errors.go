package device

import "errors"

// Sentinel errors. Functions wrap them with the name of the offending
// argument and value; test for them with [errors.Is].
var (
	// ErrEmpty is returned when an input has no elements.
	ErrEmpty = errors.New("device: empty input")
	// ErrValue is returned for negative, missing or non-finite sizes.
	ErrValue = errors.New("device: invalid value")
	// ErrUnknownTarget is returned for a device id that is not in [Targets].
	ErrUnknownTarget = errors.New("device: unknown target")
	// ErrUndefined is returned for an estimate the target cannot give (a
	// target without a performance model).
	ErrUndefined = errors.New("device: estimate undefined for this target")
	// ErrNetwork is returned for a malformed network description.
	ErrNetwork = errors.New("device: invalid network")
)
