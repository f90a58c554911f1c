// Command digits trains an Edge Impulse image classification impulse on
// handwritten digits: images resized to 16×16 pixels (squashed, Lanczos-3),
// the image block's grayscale pixels scaled to 0..1, and Studio's default
// image network, two 2-D convolutions (32 and 16 filters, each followed by
// 2×2 max pooling), dropout and a softmax over the ten digits, trained for
// 20 epochs at a learning rate of 0.0005.
//
// With no arguments it trains on the 8×8 handwritten digits committed in
// testdata/digits (1438 training and 359 testing images of real
// handwriting, from the UCI optical digits set) in a few seconds:
//
//	go run ./examples/digits
//
// It prints a progress line while it trains, then the validation confusion
// matrix with per-class F1, int8 against float32 validation accuracy, model
// testing on the testing images (with the uncertain column: images whose top
// score is below the 0.6 confidence threshold), the on-device estimates for
// a Cortex-M4F at 80 MHz, and where the model and Studio's
// impulses-detailed.json were written.
//
// Any image dataset in Edge Impulse's export layout works (PNG or JPEG
// files, labels from info.labels or from <label>.<id>.png file names),
// for example the shared copy of the digits:
//
//	go run ./examples/digits -data ../shared/datasets/digits-8x8
//
// Flags: -data DIR (the dataset), -impulse FILE (another definition, default
// testdata/impulses/digits.json), -out DIR (where the model goes, default
// tinyimpulse-digits under the system's temporary folder), -seed N and
// -target DEVICE.
package main

import "github.com/tinyimpulse/tinyimpulse/examples/internal/run"

func main() {
	run.Main(Example)
}

// Example is this program's configuration.
var Example = run.Example{
	Name:       "digits",
	Title:      "Handwritten digits",
	Definition: "testdata/impulses/digits.json",
	Data:       "testdata/digits",
}
