// Package device estimates what an impulse costs on a device: the RAM, ROM
// and latency of its processing blocks, its networks under TensorFlow Lite
// Micro and EON, and its anomaly blocks, on the microcontrollers and
// processors Studio offers ([Targets]).
//
// It is a core package: it reads processing blocks' costs from dsp
// (dsp.Block.Cost) and networks from learn's inference graphs
// ([FromGraph]), so that the estimates describe the very graph the
// exporters write, and imports nothing else of the project.
//
// # Overview
//
// [ProfileNetwork] estimates a network (device-estimates.md): the
// TensorFlow Lite Micro arena exactly as its greedy planner lays it out,
// with CMSIS-NN scratch buffers and the persistent tail; the EON and EON
// RAM-optimised variants; ROM from the flatbuffer size, runtime, kernels
// and weights; latency from per-op Cortex-M4 instruction models times a
// core factor at the target's clock. The instruction models are fitted with
// github.com/sajari/regression on the embedded calibration data the first
// time they are needed; see [LatencyFits]. [ProfileDSP] and
// [ProfileAnomaly] cost processing and anomaly blocks.
//
// A third engine describes tinyimpulse's own generated C library (package
// deploy): [ProfileCLibrary] estimates a whole impulse as that library
// runs it, and [Profile].TinyImpulse a network alone. Its instruction
// models are fitted on the library's measurements on the emulated
// Cortex-M4F (embedded from calibration/tinyimpulse-qemu-*.csv, recorded
// by deploy's tests; see [CFits]); its arena and static RAM are the
// generator's own layout, exact.
// [Profile.Performance] and [OnDevicePerformance] give Studio's
// onDevicePerformance entries (the C library's figures as customMetrics
// when asked for), [BlockProfile.Performance] a processing
// block's DspPerformance, and [DeviceSummary.WriteTable] a table of every
// block of an impulse for people.
//
// # Data layout
//
// A [Network] is a plain list of TensorFlow Lite operators with their
// shapes. Its activation tensors are numbered 0 (the input) and k (the
// output of Ops[k-1]); shapes leave out the batch dimension. Sizes are
// bytes (1 K = 1024 B), latencies milliseconds.
//
// # Errors
//
// Bad input — missing or negative sizes, malformed networks, unknown
// targets — returns an error wrapping one of [ErrValue], [ErrNetwork] or
// [ErrUnknownTarget], naming the argument and value; an estimate a target
// cannot give wraps [ErrUndefined].
//
// # Concurrency
//
// All functions are safe for concurrent use; results are plain values the
// caller owns. The calibration is fitted once, on first use.
package device
