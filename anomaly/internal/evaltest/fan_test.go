package evaltest

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/tinyimpulse/tinyimpulse/anomaly"
	"github.com/tinyimpulse/tinyimpulse/dsp"
)

// The fan-unbalance data set (../shared/datasets/fan-unbalance, UCI "Accelerometer"): a
// cooler fan with weights on its blades in three configurations. wconf3 vibrates like a
// balanced fan; wconf1 and wconf2 are unbalanced from about 50 % speed up. Both anomaly
// blocks are trained on the wconf3 training windows only, on Edge Impulse's spectral
// analysis features (dsp, Studio's defaults: 39 features for 3 axes), and the test windows
// of all three configurations are scored; wconf1/wconf2 are the positives of the ROC.

const (
	windowSamples = 200 // 2 s at the files' placeholder interval of 10 ms
	strideSamples = 100
)

func datasetDir(t *testing.T) string {
	dir := filepath.Join("..", "..", "..", "..", "shared", "datasets", "fan-unbalance")
	if _, err := os.Stat(filepath.Join(dir, "labels.csv")); err != nil {
		t.Skipf("fan-unbalance data set not found at %s (../shared is absent)", dir)
	}
	return dir
}

type window struct {
	label string
	speed string
	feat  []float64
}

// features cuts every recording of one category into windows and runs the spectral block.
func features(t *testing.T, dir, category string) []window {
	files, err := filepath.Glob(filepath.Join(dir, category, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no %s files in %s", category, dir)
	}
	sort.Strings(files)
	in := dsp.Input{FrequencyHz: 100, Axes: 3, Samples: windowSamples}
	blk, err := dsp.NewSpectral(dsp.DefaultSpectralConfig(), in)
	if err != nil {
		t.Fatal(err)
	}
	var out []window
	for _, f := range files {
		var doc struct {
			Payload struct {
				Values [][]float64 `json:"values"`
			} `json:"payload"`
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		base := filepath.Base(f)
		parts := strings.Split(base, ".")
		label, speed := parts[0], parts[1][1:4]
		v := doc.Payload.Values
		for s := 0; s+windowSamples <= len(v); s += strideSamples {
			win := make([]float64, 0, 3*windowSamples)
			for _, row := range v[s : s+windowSamples] {
				win = append(win, row...)
			}
			feat, err := blk.AppendFeatures(nil, win)
			if err != nil {
				t.Fatalf("%s window at %d: %v", base, s, err)
			}
			out = append(out, window{label: label, speed: speed, feat: feat})
		}
	}
	return out
}

// rocAUC is the probability that a positive scores above a negative (ties count half),
// the Mann–Whitney form of the area under the ROC curve.
func rocAUC(pos, neg []float64) float64 {
	var sum float64
	for _, p := range pos {
		for _, n := range neg {
			switch {
			case p > n:
				sum++
			case p == n:
				sum += 0.5
			}
		}
	}
	return sum / float64(len(pos)*len(neg))
}

func TestFanUnbalance(t *testing.T) {
	dir := datasetDir(t)
	train := features(t, dir, "training")
	test := features(t, dir, "testing")
	var normal [][]float64
	for _, w := range train {
		if w.label == "wconf3" {
			normal = append(normal, w.feat)
		}
	}
	nf := len(normal[0])
	X := mat.NewDense(len(normal), nf, nil)
	for i, f := range normal {
		X.SetRow(i, f)
	}
	t.Logf("%d normal training windows of %d features; %d test windows", len(normal), nf, len(test))
	ctx := context.Background()
	km, err := anomaly.FitKMeans(ctx, anomaly.KMeansConfig{}, X, 1)
	if err != nil {
		t.Fatal(err)
	}
	g, err := anomaly.FitGMM(ctx, anomaly.GMMConfig{}, X, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		m      anomaly.Model
		minAUC float64
	}{{"K-means (32 clusters)", km, 0.9}, {"GMM (5 components)", g, 0.8}} {
		var pos, neg, posFast []float64
		var flagged, anomalies, falseAlarms int
		for _, w := range test {
			s := c.m.Score(w.feat)
			if w.label == "wconf3" {
				neg = append(neg, s)
				if s > c.m.Threshold() {
					falseAlarms++
				}
				continue
			}
			pos = append(pos, s)
			anomalies++
			if s > c.m.Threshold() {
				flagged++
			}
			if w.speed >= "050" {
				posFast = append(posFast, s)
			}
		}
		auc, aucFast := rocAUC(pos, neg), rocAUC(posFast, neg)
		t.Logf("%s: ROC AUC %.3f (wconf1+wconf2 vs wconf3 test windows), %.3f for speeds >= 50 %%; "+
			"threshold %.3g flags %d/%d anomalous and %d/%d normal windows",
			c.name, auc, aucFast, c.m.Threshold(), flagged, anomalies, falseAlarms, len(neg))
		// Below about 45 % speed the three configurations vibrate alike (see the data set's
		// README), hence the lower bar for all speeds than for 50 % and above.
		if auc < c.minAUC || aucFast < 0.95 {
			t.Errorf("%s: ROC AUC %.3f (want >= %.2f), %.3f at speeds >= 50 %% (want >= 0.95)", c.name, auc, c.minAUC, aucFast)
		}
	}
}
