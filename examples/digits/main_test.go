package main

import (
	"math"
	"testing"

	"github.com/tinyimpulse/tinyimpulse/examples/internal/run"
	"github.com/tinyimpulse/tinyimpulse/examples/internal/runtest"
)

// TestDigits trains the example's CNN on the committed 8×8 digits (ten
// classes; for scale, scikit-learn 1.2's LogisticRegression on the raw pixels
// reaches 0.964 test accuracy on this split).
func TestDigits(t *testing.T) {
	res, _ := runtest.Train(t, Example, run.Options{Seed: 3})
	acc := runtest.ValidationAccuracy(t, res.Model)
	for typ, a := range acc {
		if a < 0.9 {
			t.Errorf("%s validation accuracy %.3f, want at least 0.9", typ, a)
		}
	}
	if d := math.Abs(acc["int8"] - acc["float32"]); d > 0.02 {
		t.Errorf("int8 and float32 validation accuracies differ by %.3f, want at most 0.02", d)
	}
	if a := res.Test.Summary.Accuracy(); a < 0.9 {
		t.Errorf("model testing accuracy %.3f, want at least 0.9", a)
	}
	if f1 := res.Test.Classification.Report.WeightedAvg.F1; f1 < 0.93 {
		t.Errorf("model testing weighted F1 %.3f, want at least 0.93", f1)
	}
}
