// Package tflite writes trained networks as TensorFlow Lite models (.tflite
// files) that TensorFlow Lite and TensorFlow Lite for Microcontrollers run,
// and reads such files back.
//
// # Overview
//
// [Marshal] and [Write] encode a [learn.Graph], the inference graph of a
// [learn.Network] (float32) or a [learn.Int8Network] (full-integer int8);
// [Export] picks the graph of a [Variant]. [Unmarshal] decodes and verifies
// a file of the kind Marshal writes. The encoding itself lives in a
// module-internal package shared with the on-device estimator, so the
// estimate's flatbuffer size is the exported file's size.
//
// # The file
//
// A model is a TensorFlow Lite flatbuffer (file identifier "TFL3", schema
// version 3) with one subgraph named "main", one input tensor (the window's
// features, shape (1, n) or (1, h, w, c) for images) and one output tensor
// (the class probabilities or the regression value). Its operators are
// FULLY_CONNECTED (dense layers), CONV_2D (1-D and 2-D convolutions, SAME
// padding, fused ReLU), DEPTHWISE_CONV_2D (batch normalisation as a 1×1
// per-channel affine op), MAX_POOL_2D, RESHAPE and SOFTMAX; dropout layers
// are left out. Operator versions are those TensorFlow Lite's converter
// writes (int8: FULLY_CONNECTED 4, CONV_2D and DEPTHWISE_CONV_2D 3,
// MAX_POOL_2D and SOFTMAX 2; float32: 1). Buffer 0 is the empty sentinel and
// each constant tensor has a buffer of its own, its data aligned to 16 bytes
// from the start of the file. The metadata holds "min_runtime_version"
// (1.14.0 for int8 models, 1.5.0 for float32) and "tinyimpulse_labels" (the
// kind of network and its labels, one per line), and the description names
// the variant.
//
// An int8 model is the [learn.Int8Network] the library evaluates, with the
// same quantisation parameters: int8 input and output tensors with the
// network's scales and zero points, symmetric int8 weights (one scale per
// output channel for convolutions and batch normalisation, one per tensor
// for dense layers), int32 biases, and the softmax output at scale 1/256 and
// zero point −128. TensorFlow Lite 2.9's interpreter computes on it exactly
// what Int8Network.ClassifyInt8 computes, bit for bit. TensorFlow Lite for
// Microcontrollers runs the same file with its reference kernels, which may
// differ by one step in the softmax (gemmlowp's fixed-point exponential) and
// on a dense output layer's negative values exactly halfway between two
// integers.
//
// To run an int8 model, quantise each feature x of the window as the
// library does, q = clamp(round(x/scale) + zero point, −128, 127) with the
// input tensor's scale and zero point, and read each output as
// scale·(q − zero point).
//
// # Errors
//
// Marshal refuses a graph TensorFlow Lite could not load (a tensor index out
// of range, data that does not fit its shape, missing or inconsistent
// quantisation, an unknown operator, a label with a line break) with an
// error wrapping [ErrGraph]; graphs from learn's networks always encode.
// Unmarshal refuses malformed, truncated or corrupted data, and files with
// operators, options or fields this package does not write, with an error
// wrapping [ErrFormat]; it never panics.
//
// # Concurrency
//
// The functions keep no state: any number of goroutines may call them at
// once, on distinct or shared graphs, which they do not modify.
package tflite
