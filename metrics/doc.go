// Package metrics evaluates models the way Edge Impulse Studio reports them.
//
// It knows no model types: classification and regression metrics take
// class indices, scores and values. On-device estimates (RAM, ROM, latency)
// live in package device; [ModelMetrics] carries them in Studio's form.
// Besides device, for that type, it imports no other package of the
// project.
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
// # Tables
//
// [Classification.WriteTable] and [TestSummary.WriteTable] write aligned
// ASCII tables for people that fit an 80-column terminal.
//
// # Data layout
//
// Classes are indices 0…C−1 into a label slice. Scores are an n×C
// [gonum.org/v1/gonum/mat.Matrix], one row per window; rows are
// renormalised to sum to one, as Studio does. [Confusion.Counts] and
// [TestSummary.Counts] are row-major.
//
// # Errors
//
// Bad input — empty or mismatched slices, NaN or infinite values, class
// indices out of range — returns an error wrapping one of [ErrEmpty],
// [ErrLength] or [ErrValue], naming the argument and value. A metric that is
// undefined for the data (ROC AUC with one class present) wraps
// [ErrUndefined]. Only [Confusion.At] panics, on an index out of range.
//
// # Concurrency
//
// All functions are safe for concurrent use; results are plain values the
// caller owns.
package metrics
