// Package learn builds, trains and quantises the Keras-style neural networks of
// Edge Impulse Studio's "NN Classifier" and regression learn blocks, on feature
// matrices, in pure Go.
//
// It is a core package and imports no other package of the project. Its
// networks export themselves as inference graphs (Network.Graph,
// Int8Network.Graph), which the device estimator costs and the exporters
// (.tflite, the C library) write out.
//
// # Overview
//
// A [Config] holds the fields of Studio's KerasConfig / SetKerasParameterRequest
// (trainingCycles, learningRate, batchSize, trainTestSplit, autoClassWeights,
// visualLayers, …; the JSON names are Studio's). [DefaultConfig] returns the
// architecture Studio proposes for an [Input] kind. [Train] builds the network
// exactly as Studio's code generator does — dense layers with ReLU and an
// L1(1e-5) activity regulariser, reshape by columns, conv1d/conv2d stacks with
// 'same' padding followed by 2/2 max pooling, dropout, flatten, batch
// normalisation, and a softmax (classification) or linear (regression) output —
// and trains it the Studio way: Glorot-uniform weights and zero biases from the
// job's seed, a seeded shuffled validation split of ceil(trainTestSplit·N)
// windows, Adam (β1 0.9, β2 0.999, ε 1e-7) on categorical cross-entropy or mean
// squared error, optional automatic class weights, per-epoch reshuffling through
// a 4-batch buffer, and the weights of the epoch with the lowest validation loss
// kept. Every epoch is reported through [Options.Progress] as an [EpochStats],
// whose String method prints Studio's log line.
//
// Training data may be augmented two ways. Rows marked as copies
// ([Dataset.CopyOf]: windows turned, shifted, made noisy before their
// features were computed) train with their original and are never
// validated on; the split is drawn from the originals alone. And
// [Config.Augment] ([SpecAugment]) or [Config.AugmentImage] rewrite every
// training window afresh before each epoch from its features (spectrogram
// warping, masks and noise; image flips, crops and brightness), leaving
// the validation windows as they are.
//
// [Quantize] converts a trained network to int8 as TensorFlow Lite's
// post-training quantiser does (symmetric int8 weights, per output channel for
// convolutions and per tensor for dense layers, int32 biases, asymmetric int8
// activations calibrated on representative windows — Studio uses the
// validation windows —, int8 input and output, softmax output scale 1/256 and
// zero point −128, every scale a float32). The resulting [Int8Network] is the
// model a .tflite file holds ([Int8Network.Graph]) and computes what
// TensorFlow Lite 2.9's builtin kernels compute on it, bit for bit: integer
// accumulation, fixed-point requantisation with the multipliers TensorFlow
// Lite derives from the float32 scales (a dense layer's from the float32
// product of its input and weight scales) and its rounding (halves up in the
// final shift of dense layers and convolutions, as its ruy kernels do; away
// from zero for batch normalisation), and its float32 softmax (an expf table
// — glibc's expf, reproduced bit for bit —, a float32 sum and a rounded
// division). (Convolutions whose partial sums stay below 2^24 accumulate on
// the float32 SIMD kernels, where every such sum is exact; the results are
// bit-identical to integer arithmetic.)
//
// [Predict] evaluates a [Network] or [Int8Network] on rows of a matrix and returns
// float64 outputs for the metrics. [Network.Ops] and [Int8Network.Ops] describe the
// operators as TFLite would run them (for on-device estimates), and
// [Network.KerasLayers] gives the layers entries of KerasModelMetadata.
// Both network types save and load with MarshalBinary, [UnmarshalNetwork] and
// [UnmarshalInt8Network] in a versioned, checksummed format.
//
// Decisions where Studio's behaviour is not public or not reproducible:
//   - Random numbers come from math/rand/v2's PCG seeded with [Options.Seed];
//     results are reproducible bit for bit, but do not equal TensorFlow's.
//   - Standalone batch normalisation becomes one per-channel integer affine op in
//     int8, a 1×1 DEPTHWISE_CONV_2D in the graph (TFLite's converter emits MUL
//     and ADD; [Int8Network.Ops] lists those).
//   - The int8 network follows TensorFlow Lite 2.9's optimized kernels. TFLite
//     Micro's reference kernels differ in two places, each by at most one
//     step: its softmax uses gemmlowp's fixed-point exponential, and its
//     FULLY_CONNECTED rounds a negative value exactly halfway between two
//     integers away from zero (only an output layer without ReLU can meet
//     such a value).
//   - Batch normalisation's moving variance takes the biased batch variance, except
//     after 2-D convolutions, where TensorFlow's fused kernel uses the unbiased one.
//
// # Data layout
//
// Features are one window per row of a *mat.Dense. Images are row-major
// height × width × channels; spectrogram inputs are flat (frames × values per
// frame) and a reshape layer restores the frames. Inside the package every tensor
// is float32, channels-last, as Keras has them: dense kernels are (in, out),
// conv1d kernels (k, in, out), conv2d kernels (kh, kw, in, out).
//
// # Errors
//
// Bad data or configuration — NaN or infinite features, labels out of range, a
// single class, a window of the wrong length ([ErrShape]), an unknown layer type,
// a layer that cannot follow the previous one, a malformed, truncated or
// corrupted file ([ErrFormat]) — returns an error naming the field or value;
// nothing in the package panics on input data. Training that produces non-finite
// weights returns [ErrDiverged]. Cancelling the context passed to [Train] stops it
// after the current batch and returns the context's error and no network.
//
// # Concurrency
//
// A trained [Network] or [Int8Network] is immutable: Classify, Predict and Ops may
// be called from many goroutines at once. Classify takes its scratch space from a
// pool and does not allocate when dst has room. Two Train calls share nothing.
// Train splits every batch of a network with at least 8,192 multiply-accumulates
// per window (and no batch normalisation) over two goroutines; the halves'
// gradients are always added in the same order, so the result does not depend on
// scheduling or on GOMAXPROCS. The kernels (AVX, AVX2 and, where the CPU has it,
// AVX-512 assembly on amd64) sum every value in the same order as their Go
// references, with every product rounded before it is added (no fused
// multiply-add), so a seed gives the same weights on any CPU and with -tags
// noasm.
package learn
