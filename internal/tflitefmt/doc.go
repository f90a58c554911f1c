// Package tflitefmt encodes a [learn.Graph] as a TensorFlow Lite flatbuffer.
// It is the one encoder of the module: package tflite wraps it for users
// (with a reader and the documentation of the file), and the on-device
// estimator calls [Marshal] or [Size] for the exact size of the file a
// device would hold. It imports only learn and the flatbuffers runtime, so
// that any package of the module may use it.
//
// schema.go holds the slots of the TensorFlow Lite schema's tables, enum
// values and builtin operator codes this package and tflite's reader use,
// written from the schema's field order; the schema itself is not part of
// the module.
//
// # Errors
//
// [Check], [Marshal] and [Size] return an error wrapping [ErrGraph] for a
// graph TensorFlow Lite could not load; they never panic.
//
// # Concurrency
//
// The functions keep no state and do not modify the graph.
package tflitefmt
