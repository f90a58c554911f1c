// Command keywords trains Edge Impulse's keyword spotting impulse: 1 s
// windows of 16 kHz audio, MFCC features with Studio's defaults (13
// cepstral coefficients, 20 ms frames every 20 ms) and Studio's default MFCC
// network, two 1-D convolutions (8 and 16 filters) with dropout, trained for
// 100 epochs at a learning rate of 0.005.
//
// With no arguments it trains on the project's synthetic keywords
// (testdata/keywords: up, down, stop and background noise, one WAV file per
// utterance, labels from the file names) in a second or two:
//
//	go run ./examples/keywords
//
// It prints a progress line while it trains, then the validation confusion
// matrix with per-class F1, int8 against float32 validation accuracy, model
// testing on the testing files (with the uncertain column: windows whose top
// score is below the 0.6 confidence threshold), the on-device estimates for
// a Cortex-M4F at 80 MHz, and where the model and Studio's
// impulses-detailed.json were written.
//
// Any dataset in Edge Impulse's export layout works, for example the Speech
// Commands clips in ../shared/datasets (yes, no, up, down, noise, unknown):
//
//	go run ./examples/keywords -data ../shared/datasets/kws-speech-commands
//
// Flags: -data DIR (the dataset), -impulse FILE (another definition, default
// testdata/impulses/keywords.json), -out DIR (where the model goes, default
// tinyimpulse-keywords under the system's temporary folder), -seed N and
// -target DEVICE.
package main

import "github.com/tinyimpulse/tinyimpulse/examples/internal/run"

func main() {
	run.Main(Example)
}

// Example is this program's configuration.
var Example = run.Example{
	Name:       "keywords",
	Title:      "Keyword spotting",
	Definition: "testdata/impulses/keywords.json",
	Data:       "testdata/keywords",
}
