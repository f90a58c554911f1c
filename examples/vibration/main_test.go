package main

import (
	"strings"
	"testing"

	"github.com/tinyimpulse/tinyimpulse/examples/internal/run"
	"github.com/tinyimpulse/tinyimpulse/examples/internal/runtest"
)

// TestVibration trains the example's GMM on the healthy synthetic fan: the
// unbalanced and bearing-fault recordings must stand out.
func TestVibration(t *testing.T) {
	res, out := runtest.Train(t, Example, run.Options{Seed: 3})
	r := res.Test
	if !r.HasAnomalyAUC || r.AnomalyAUC < 0.9 {
		t.Errorf("anomaly AUC %.3f (defined: %v), want at least 0.9", r.AnomalyAUC, r.HasAnomalyAUC)
	}
	if a, ok := r.Summary.AnomalyAccuracy(); !ok || a < 0.8 {
		t.Errorf("%.3f of the anomaly windows flagged, want at least 0.8", a)
	}
	if a, ok := r.Summary.NoAnomalyAccuracy(); !ok || a < 0.8 {
		t.Errorf("%.3f of the normal windows not flagged, want at least 0.8", a)
	}
	if strings.Contains(out, "Confusion matrix") {
		t.Error("a validation confusion matrix for an impulse without classifier")
	}
}

// TestFanUnbalance runs the example on the real fan recordings with -normal
// wconf3 (the balanced configuration): the unbalanced configurations stand
// out from medium speed up, so the AUC is high but not perfect.
func TestFanUnbalance(t *testing.T) {
	data := runtest.SharedDataset(t, "fan-unbalance")
	res, _ := runtest.Train(t, Example, run.Options{Data: data, Normal: "wconf3", Seed: 3})
	r := res.Test
	if !r.HasAnomalyAUC || r.AnomalyAUC < 0.8 {
		t.Errorf("anomaly AUC %.3f (defined: %v), want at least 0.8", r.AnomalyAUC, r.HasAnomalyAUC)
	}
	if a, ok := r.Summary.NoAnomalyAccuracy(); !ok || a < 0.9 {
		t.Errorf("%.3f of the wconf3 windows not flagged, want at least 0.9", a)
	}
}
