package main

import (
	"testing"

	"github.com/tinyimpulse/tinyimpulse/examples/internal/run"
	"github.com/tinyimpulse/tinyimpulse/examples/internal/runtest"
)

// TestGestures trains the example's impulse on the project's synthetic
// gestures: the four gestures are far apart in spectral features and the
// "anomaly" shakes are far from all of them.
func TestGestures(t *testing.T) {
	res, _ := runtest.Train(t, Example, run.Options{Seed: 3})
	for typ, acc := range runtest.ValidationAccuracy(t, res.Model) {
		if acc < 0.95 {
			t.Errorf("%s validation accuracy %.3f, want at least 0.95", typ, acc)
		}
	}
	r := res.Test
	if acc := r.Summary.Accuracy(); acc < 0.85 {
		t.Errorf("model testing accuracy %.3f, want at least 0.85", acc)
	}
	if f1 := r.Classification.Report.WeightedAvg.F1; f1 < 0.95 {
		t.Errorf("model testing weighted F1 %.3f, want at least 0.95", f1)
	}
	if !r.HasAnomalyAUC || r.AnomalyAUC < 0.95 {
		t.Errorf("anomaly AUC %.3f (defined: %v), want at least 0.95", r.AnomalyAUC, r.HasAnomalyAUC)
	}
	if a, ok := r.Summary.AnomalyAccuracy(); !ok || a < 0.9 {
		t.Errorf("%.3f of the anomaly windows flagged, want at least 0.9", a)
	}
}

// TestGesturesContinuous runs the example on real recordings of the same
// four gestures (gestures-continuous, 104 Hz). Its test set holds no
// anomalies; updown windows are often taken for circles there.
func TestGesturesContinuous(t *testing.T) {
	data := runtest.SharedDataset(t, "gestures-continuous")
	res, _ := runtest.Train(t, Example, run.Options{Data: data, Seed: 3})
	for typ, acc := range runtest.ValidationAccuracy(t, res.Model) {
		if acc < 0.95 {
			t.Errorf("%s validation accuracy %.3f, want at least 0.95", typ, acc)
		}
	}
	if acc := res.Test.Summary.Accuracy(); acc < 0.75 {
		t.Errorf("model testing accuracy %.3f, want at least 0.75", acc)
	}
	if a, ok := res.Test.Summary.NoAnomalyAccuracy(); !ok || a < 0.9 {
		t.Errorf("%.3f of the gesture windows not flagged as anomalies, want at least 0.9", a)
	}
}
