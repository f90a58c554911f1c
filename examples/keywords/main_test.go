package main

import (
	"testing"

	"github.com/tinyimpulse/tinyimpulse/examples/internal/run"
	"github.com/tinyimpulse/tinyimpulse/examples/internal/runtest"
)

// TestKeywords trains the example's impulse on the project's synthetic
// keywords (four classes, so chance is 0.25).
func TestKeywords(t *testing.T) {
	res, _ := runtest.Train(t, Example, run.Options{Seed: 3})
	for typ, acc := range runtest.ValidationAccuracy(t, res.Model) {
		if acc < 0.8 {
			t.Errorf("%s validation accuracy %.3f, want at least 0.8", typ, acc)
		}
	}
	if acc := res.Test.Summary.Accuracy(); acc < 0.75 {
		t.Errorf("model testing accuracy %.3f, want at least 0.75 (chance: 0.25)", acc)
	}
	if f1 := res.Test.Classification.Report.WeightedAvg.F1; f1 < 0.75 {
		t.Errorf("model testing weighted F1 %.3f, want at least 0.75", f1)
	}
	if res.Test.HasAnomalyAUC {
		t.Error("an anomaly AUC for an impulse without anomaly block")
	}
}

// TestSpeechCommands runs the example on 288 real Speech Commands clips of
// six classes (chance 1/6). So little data gives a weak model, but one
// clearly better than chance.
func TestSpeechCommands(t *testing.T) {
	data := runtest.SharedDataset(t, "kws-speech-commands")
	res, _ := runtest.Train(t, Example, run.Options{Data: data, Seed: 3})
	for typ, acc := range runtest.ValidationAccuracy(t, res.Model) {
		if acc < 0.35 {
			t.Errorf("%s validation accuracy %.3f, want at least 0.35 (chance: 0.17)", typ, acc)
		}
	}
	if f1 := res.Test.Classification.Report.WeightedAvg.F1; f1 < 0.35 {
		t.Errorf("model testing weighted F1 %.3f, want at least 0.35", f1)
	}
}
