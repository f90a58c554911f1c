// Command gestures trains Edge Impulse's continuous motion recognition
// impulse: 3-axis accelerometer recordings cut into 2 s windows every 240 ms,
// spectral analysis features, a neural network classifier (dense 20 → dense
// 10, 30 epochs) and a K-means anomaly block that flags motions none of the
// gestures contains.
//
// With no arguments it trains on the project's synthetic gestures
// (testdata/gestures: idle, circle, updown, flick, and "anomaly" shakes in
// the testing set) in about a second:
//
//	go run ./examples/gestures
//
// It prints a progress line while it trains, then the validation confusion
// matrix with per-class F1, int8 against float32 validation accuracy, model
// testing on the testing samples (uncertain and anomaly columns, accuracy,
// weighted F1, anomaly ROC AUC), the on-device estimates for a Cortex-M4F at
// 80 MHz, and where the model and Studio's impulses-detailed.json were
// written.
//
// Any dataset in Edge Impulse's export layout works (an info.labels file,
// or training/ and testing/ folders of <label>.<id>.json files), for
// example the real recordings in ../shared/datasets:
//
//	go run ./examples/gestures -data ../shared/datasets/gestures-continuous
//
// Flags: -data DIR (the dataset), -impulse FILE (another definition, default
// testdata/impulses/gestures.json), -out DIR (where the model goes, default
// tinyimpulse-gestures under the system's temporary folder), -seed N and
// -target DEVICE.
package main

import "github.com/tinyimpulse/tinyimpulse/examples/internal/run"

func main() {
	run.Main(Example)
}

// Example is this program's configuration.
var Example = run.Example{
	Name:       "gestures",
	Title:      "Continuous gestures",
	Definition: "testdata/impulses/gestures.json",
	Data:       "testdata/gestures",
}
