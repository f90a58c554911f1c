// Command vibration trains an Edge Impulse anomaly detection impulse for
// machine vibration: 3-axis accelerometer recordings cut into 1 s windows
// every 250 ms, spectral analysis features with Studio's defaults and a GMM
// anomaly block (Studio's "anomaly-gmm", 5 Gaussian components) trained on
// recordings of the healthy machine only. A window whose score is above the
// threshold Studio computes from the training windows is an anomaly.
//
// With no arguments it trains on the project's synthetic fan vibration
// (testdata/vibration: "normal" recordings for training; normal, unbalanced
// and bearing-fault recordings, the last two labelled "anomaly", for
// testing) in well under a second:
//
//	go run ./examples/vibration
//
// It prints a progress line while it trains, then what the block learned,
// model testing on the testing recordings (windows flagged or not against
// their labels, and the anomaly ROC AUC with the windows labelled "anomaly"
// as positives), the on-device estimates for a Cortex-M4F at 80 MHz, and
// where the model and Studio's impulses-detailed.json were written.
//
// Datasets whose labels name machine states rather than "normal" and
// "anomaly" take -normal LABEL: only the training samples with that label
// are used, and testing samples with any other label count as anomalies.
// The fan in ../shared/datasets/fan-unbalance is balanced in weight
// configuration wconf3:
//
//	go run ./examples/vibration -data ../shared/datasets/fan-unbalance -normal wconf3
//
// Flags: -data DIR (the dataset), -normal LABEL, -impulse FILE (another
// definition, default testdata/impulses/vibration.json), -out DIR (where the
// model goes, default tinyimpulse-vibration under the system's temporary
// folder), -seed N and -target DEVICE.
package main

import "github.com/tinyimpulse/tinyimpulse/examples/internal/run"

func main() {
	run.Main(Example)
}

// Example is this program's configuration.
var Example = run.Example{
	Name:       "vibration",
	Title:      "Vibration anomaly detection",
	Definition: "testdata/impulses/vibration.json",
	Data:       "testdata/vibration",
	NormalFlag: true,
}
