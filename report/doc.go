// Package report writes the report of a trained impulse: one self-contained
// HTML page that shows what Studio's pages show, in Studio's order. The
// impulse as a block diagram with its settings; the dataset (classes,
// samples, durations, windows, the train/test split); one sample per class
// with its raw signal per axis (or its image) and its DSP output (spectral
// power bars, MFCC/MFE/spectrogram heat maps, the image as the network
// receives it); the feature explorer (the training windows projected with
// PCA, coloured by class, the misclassified ones circled); the training
// curves (loss, accuracy, val_loss, val_accuracy per epoch, the best epoch
// marked); the int8 and float32 validation confusion matrices with
// precision, recall and F1 per class; model testing; the anomaly scores of
// normal and anomalous windows against the threshold; the on-device
// latency, RAM and ROM of every engine against the target's; and a tuner's
// Pareto plot when one is given.
//
// # Overview
//
// The package has two layers. [Data] is a plain description of everything
// the page shows, and [Write] renders it; neither knows how a model is
// built. [Build] (and [Generate], which runs model testing first) fills a
// Data from an impulse.Model, its dataset and its test report; it is the
// only code here that reads package impulse.
//
//	d, err := report.Generate(ctx, model, dataset, report.Options{})
//	err = report.WriteFile("report.html", d)
//
// # The page
//
// Charts are inline SVG drawn with gonum.org/v1/plot. The page needs
// nothing but itself: no script, no stylesheet or font to load, no URL (SVG
// gets its namespace from HTML; images inside charts are PNG data URLs). Text
// is set in Liberation Sans, whose metrics gonum/plot measures with, named
// by family only and followed by the metric-compatible Arimo and Arial, so
// labels fit wherever the page is opened. Every chart has a title, axis
// labels with their units, and a <title> element; the page reads at 1280
// px and prints (A4, one chart per row).
//
// # Errors
//
// Build returns the errors of feature generation and of the model's
// accessors. Write returns an error for nil data, for inconsistent chart
// data (a matrix whose counts do not fill its labels, a heat map whose
// values do not fill its grid or whose axis range is empty or not finite, a
// tuner without a single finite trial) naming the chart, and the writer's
// errors. Non-finite figures elsewhere are left out of charts and shown as
// "–" in tables. Nothing in the data makes Write panic.
//
// # Concurrency
//
// Write and Build keep no state between calls and may run concurrently;
// Build runs Options.Workers goroutines for feature generation. The same
// data gives the same bytes.
package report
