// Package metrics evaluates models the way Edge Impulse Studio reports them
// and estimates what they cost on a device.
//
// It knows no model types. Classification and regression metrics take class
// indices, scores and values; the on-device estimator takes a [Network], a
// plain list of TensorFlow Lite operators with their shapes, which the
// learn package (or anything else) can describe without importing this one.
//
// # Metrics
//
// [EvaluateClassification] computes Studio's validation metrics of a
// classifier (learn-blocks.md §B.1) with scikit-learn's definitions: the
// confusion matrix ([Confusion], rows actual, columns predicted), the
// classification report ([ClassificationReport], marshalled with
// scikit-learn's dictionary keys), log loss, and ROC AUC — of the hard
// predictions for two classes (a Studio quirk) and the one-vs-rest macro
// average of the scores for more, undefined when a class is absent.
// [EvaluateRegression] gives MSE, MAE and explained variance. Both produce
// Studio's additionalMetrics and KerasModelMetadataMetrics
// ([ModelMetrics]). [NewTestSummary] counts model-testing results including
// the uncertain and anomaly outcomes and writes the accuracy object of a
// ClassifyJobResponse ([TestAccuracy]); [AnomalyAUC] and [AnomalyMetrics]
// score anomaly blocks. Every figure is checked against scikit-learn 1.2 in
// the tests (testdata/metrics/sklearn_cases.py).
//
// # On-device estimates
//
// [ProfileNetwork] estimates RAM, ROM and latency on one of [Targets]
// (device-estimates.md): the TensorFlow Lite Micro arena exactly as its
// greedy planner lays it out, with CMSIS-NN scratch buffers and the
// persistent tail; the EON and EON RAM-optimised variants; ROM from the
// flatbuffer size, runtime, kernels and weights; latency from per-op
// Cortex-M4 instruction models times a core factor at the target's clock.
// The instruction models are fitted with github.com/sajari/regression on
// the embedded calibration data the first time they are needed; see
// [LatencyFits]. [ProfileDSP] and [ProfileAnomaly] cost processing and
// anomaly blocks. [Profile.Performance] and [OnDevicePerformance] give
// Studio's onDevicePerformance entries, [BlockProfile.Performance] a
// processing block's DspPerformance.
//
// # Tables
//
// [Classification.WriteTable], [TestSummary.WriteTable] and
// [DeviceSummary.WriteTable] write aligned ASCII tables for people.
//
// # Data layout
//
// Classes are indices 0…C−1 into a label slice. Scores are an n×C
// [gonum.org/v1/gonum/mat.Matrix], one row per window; rows are
// renormalised to sum to one, as Studio does. [Confusion.Counts] and
// [TestSummary.Counts] are row-major. A [Network]'s activation tensors are
// numbered 0 (the input) and k (the output of Ops[k-1]); shapes leave out
// the batch dimension. Sizes are bytes (1 K = 1024 B), latencies
// milliseconds.
//
// # Errors
//
// Bad input — empty or mismatched slices, NaN or infinite values, class
// indices out of range, malformed networks, unknown targets — returns an
// error wrapping one of [ErrEmpty], [ErrLength], [ErrValue], [ErrNetwork]
// or [ErrUnknownTarget], naming the argument and value. A metric that is
// undefined for the data (ROC AUC with one class present) wraps
// [ErrUndefined]. Only [Confusion.At] panics, on an index out of range.
//
// # Concurrency
//
// All functions are safe for concurrent use; results are plain values the
// caller owns.
package metrics
