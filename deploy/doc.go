// Package deploy generates C code that runs an impulse on a microcontroller,
// as Edge Impulse's C++ library and EON compiler do: the processing blocks,
// the network and the anomaly block, with their configurations, tables and
// weights computed here and compiled in as constants, on a C99 runtime
// written for this project.
//
// # The C runtime
//
// [Runtime] holds the runtime's sources (ti_dsp.h is its API). Every
// processing block of package dsp has a C function, ti_raw, ti_flatten,
// ti_image, ti_spectral (versions 1-4: FFT and wavelet features,
// Butterworth filters, input decimation, extra-low-frequency features),
// ti_spectrogram, ti_mfe and ti_mfcc (versions 1-4), which takes a const
// configuration struct, a signal read through a get_data callback, the
// output features and a working arena provided by the caller. Nothing is
// allocated: [DSPBlock.ArenaBytes] is the arena a block needs, equal to what
// the C side's ti_<block>_arena_size reports. Audio blocks read the signal
// one frame at a time, so their arena does not grow with the window.
//
// [NewNetwork] compiles a learn.Graph into operators for the runtime's
// kernels (ti_model.h: fully connected, 2-D and depthwise convolutions and
// max pooling with SAME padding, reshape, softmax), its activations
// alternating between the two ends of one arena. A float32 graph runs on
// float32 kernels (ti_network); an int8 graph (learn.Int8Network.Graph) on
// int8 kernels (ti_qnetwork) that compute what learn's ClassifyInt8
// computes, bit for bit: TensorFlow Lite 2.9's requantisation with each
// operator's rounding and its float32 softmax table. Where
// __ARM_FEATURE_DSP is defined they use the Cortex-M4's SIMD instructions
// (__smlad on int8 pairs sign-extended with __sxtb16, __smlabb and
// __smlatt in the depthwise kernel); the plain C path gives the same bits.
// [NewAnomaly] prepares a K-means or GMM block (ti_kmeans_score,
// ti_gmm_score). An [Impulse] ties them together behind
// ti_run_classifier (ti_impulse.h), in the spirit of Edge Impulse's
// run_classifier: a signal read through get_data, one arena, and a result
// with one score per label, the anomaly score, the decided result
// (uncertain below the confidence threshold, anomaly above the anomaly
// threshold) and the time of each stage. Kernels, processing blocks and
// network stages are reached through pointers the generator sets, so a
// library links only the code its impulse uses.
//
// # Libraries
//
// [FromModel] prepares a trained impulse.Model for the runtime (its first
// neural network and anomaly block, the ones that decide its result) and
// [NewLibrary] generates its C library: the runtime, the impulse's
// parameters and weights as const data, a public header
// <name>_inferencing.h with run_classifier(const ti_signal *,
// ti_classifier_result *) over one static arena, an example program that
// classifies a window compiled in from example/window.c ([WindowSource]
// writes one), a Makefile, a CMakeLists.txt and the Arduino library
// layout (library.properties, src/, an example sketch). [WriteZip] writes
// it as a zip archive that builds unchanged with
// `cc -std=c99 -Wall -Wextra -Werror -Isrc src/*.c example/*.c -lm`.
//
// # Precision
//
// Edge Impulse's blocks compute some steps in float32 and the rest in
// float64. The runtime computes the float32 steps in float32 exactly as
// package dsp does, and the float64 steps in ti_real: float in the
// [Float32] build (the device build, fast on a single-precision FPU) and
// double in the [Float64] build (-DTI_DSP_DOUBLE=1). The float64 build
// matches Edge Impulse's reference vectors within their recorded
// tolerances, as package dsp does; the float32 build matches them within
// the reference's float32 tolerance (rtol 1e-4, atol 1e-5·max(1, max|v|)),
// except where the reference's values are float64 rounding noise (digital
// silence under sliding normalisation, the extra-low-frequency part of a
// signal with nothing below the decimator's cutoff). Networks are float32
// in both builds; anomaly scores are ti_real. int8 networks quantise
// their inputs exactly as learn does in both builds (the float build
// without double arithmetic), and the decisions compare scores with the
// thresholds as package impulse does in double precision. The runtime uses no libm
// function but the square root (logarithms and exponentials are its own),
// so a host build and a Cortex-M build give the same bits.
//
// # Errors
//
// [NewDSPBlock] returns an error for a block that is not from package dsp
// and one wrapping [ErrUnsupported] for sizes the runtime cannot hold;
// [NewNetwork] and [NewAnomaly] wrap ErrUnsupported for unknown operators
// or blocks and int8 weights whose accumulators could leave int32;
// [Impulse.CSource] refuses parts that do not fit together (feature
// ranges, label counts, axes, thresholds); [FromModel] and [NewLibrary]
// wrap ErrUnsupported for impulses with more than one network or anomaly
// block and refuse names that are not C identifiers and example windows
// of the wrong length or with NaN or infinite values.
// The C functions return TI_OK or a negative code: TI_ERR_NULL for a NULL
// configuration, signal, callback, output or arena, TI_ERR_LENGTH for a
// signal of the wrong length, TI_ERR_SIGNAL when get_data fails,
// TI_ERR_INPUT for NaN, infinite or (image) non-integer values,
// TI_ERR_ARENA for an arena that is too small and TI_ERR_CONFIG for a
// spectral analysis configuration given to another analysis's function. They never read outside the
// signal or write outside the output and the arena.
//
// # Concurrency
//
// DSPBlock, Network, Anomaly, Impulse and Library values are immutable once
// built and safe for concurrent use. The C functions keep no state between
// calls; concurrent calls need their own arenas (a library's
// run_classifier uses its one static arena: call ti_run_classifier with
// arenas of your own from several threads).
package deploy
