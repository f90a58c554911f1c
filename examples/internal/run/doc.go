// Package run is what the example programs (examples/gestures, keywords,
// vibration, digits) have in common: their flags, the progress line while an
// impulse trains, and the summary a person wants to see at the end of a
// training run.
//
// # Overview
//
// An example program is one call:
//
//	func main() {
//		run.Main(run.Example{Name: "gestures", Title: "Gestures",
//			Definition: "testdata/impulses/gestures.json", Data: "testdata/gestures"})
//	}
//
// Main reads the flags (-data, -impulse, -out, -seed, -target and, for
// anomaly-only impulses, -normal), cancels the job on SIGINT or SIGTERM and
// calls Run, which loads the definition and the dataset, trains the impulse
// with the impulse package, prints the validation confusion matrix with
// per-class F1, int8 against float32 validation accuracy, model testing on the
// testing category, the on-device estimates, and saves the model. Run returns
// the trained model and the model-testing report, which the examples' tests
// check.
//
// # Output
//
// Everything Run prints fits in 80 columns. Tables come from the metrics
// and impulse packages when they fit; wider ones (many classes) are printed
// in a compact form with the same figures. While the job runs, a terminal
// gets one progress line rewritten with a carriage return; any other writer
// gets the job's log as plain lines, with one condensed line per epoch.
//
// # Data layout
//
// Default paths (Example.Definition, Example.Data) are relative to the
// repository root, found from this source file's location so that the
// examples run from any working directory; a binary moved elsewhere falls
// back to the working directory.
//
// # Errors
//
// Run returns the first error of loading, training, testing or saving as
// the impulse package gives it (naming the file, field or value); an
// unknown -target also lists the known ones. A target without on-device
// estimates (Linux-class and NPU targets) is not an error: the run says so
// and goes on. Main prints the error on one line prefixed with the program
// name and exits with status 1, or 2 for a usage error.
package run
