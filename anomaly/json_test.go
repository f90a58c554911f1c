package anomaly

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/tinyimpulse/tinyimpulse/internal/eischema"
)

var update = flag.Bool("update", false, "rewrite the golden JSON files in testdata/anomaly")

func equalJSON(t testing.TB, a, b any) bool {
	ja, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	jb, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Equal(ja, jb)
}

// goldenModels fits small, fixed models whose JSON is checked into testdata/anomaly.
func goldenModels(t *testing.T) (*KMeans, *GMM) {
	x := mat.NewDense(12, 3, []float64{
		0.1, 5, 1, 0.2, 5.5, 1, 0.15, 4.8, 1, 0.12, 5.1, 1, 0.18, 5.2, 1, 0.11, 4.9, 1,
		2.1, 9, 1, 2.3, 9.4, 1, 2.2, 8.8, 1, 2.05, 9.1, 1, 2.25, 9.3, 1, 2.15, 8.9, 1,
	})
	km, err := FitKMeans(t.Context(), KMeansConfig{ClusterCount: 2, Axes: []int{0, 1}}, x, 3)
	if err != nil {
		t.Fatal(err)
	}
	g, err := FitGMM(t.Context(), GMMConfig{ClusterCount: 2, Axes: []int{0, 1}}, x, 3)
	if err != nil {
		t.Fatal(err)
	}
	return km, g
}

func TestJSONGolden(t *testing.T) {
	km, g := goldenModels(t)
	created := time.Date(2026, 11, 22, 10, 30, 0, 0, time.UTC)
	labels := []string{"accX RMS", "accY RMS", "accZ RMS"}
	deps := Dependencies{Classes: []string{"idle", "wave"}, BlockNames: []string{"Spectral features"},
		FeatureCount: 3, SampleCount: 12}
	kc, err := km.BlockConfig("Anomaly detection", labels, deps)
	if err != nil {
		t.Fatal(err)
	}
	gc, err := g.BlockConfig("Anomaly detection (GMM)", labels, deps)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := km.BlockConfig("x", labels[:2], deps); err == nil {
		t.Error("BlockConfig accepted 2 labels for 3 features")
	}
	for name, v := range map[string]any{
		"kmeans_metadata.golden.json": km.Metadata(created),
		"kmeans_config.golden.json":   kc,
		"gmm_metadata.golden.json":    g.Metadata(created),
		"gmm_gmmmetadata.golden.json": g.GMMMetadata(),
		"gmm_config.golden.json":      gc,
	} {
		got, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, '\n')
		path := filepath.Join("..", "testdata", "anomaly", name)
		if *update {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		// Same keys, strings and structure; numbers to 1e-12, since builds without the
		// assembly kernels round differently.
		var g, w any
		if err := json.Unmarshal(got, &g); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(want, &w); err != nil {
			t.Fatal(err)
		}
		if !sameJSON(g, w) {
			t.Errorf("%s differs from the golden file (go test -update to rewrite):\n%s", name, got)
		}
	}
}

// TestJSONFieldNames pins the Studio field names and the omission of unset optionals.
func TestJSONFieldNames(t *testing.T) {
	km, g := goldenModels(t)
	keys := func(v any) map[string]bool {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		out := map[string]bool{}
		for k := range m {
			out[k] = true
		}
		return out
	}
	want := func(name string, got map[string]bool, fields ...string) {
		if len(got) != len(fields) {
			t.Errorf("%s: fields %v, want %v", name, got, fields)
		}
		for _, f := range fields {
			if !got[f] {
				t.Errorf("%s: no field %q", name, f)
			}
		}
	}
	want("K-means AnomalyModelMetadata", keys(km.Metadata(time.Time{})), "created", "scale", "mean", "clusters", "axes",
		"defaultMinimumConfidenceRating", "hasTrainedModel", "thresholds")
	want("GMM AnomalyModelMetadata", keys(g.Metadata(time.Time{})), "created", "scale", "mean", "clusters", "axes",
		"defaultMinimumConfidenceRating", "availableModelTypes", "recommendedModelType", "hasTrainedModel", "thresholds")
	want("AnomalyGmmMetadata", keys(g.GMMMetadata()), "means", "covariances", "weights")
	c, err := km.BlockConfig("a", []string{"a", "b", "c"}, Dependencies{})
	if err != nil {
		t.Fatal(err)
	}
	want("AnomalyConfig", keys(c), "dependencies", "name", "axes", "trained", "clusterCount", "selectedAxes",
		"minimumConfidenceRating", "thresholds")
	want("BlockThreshold", keys(c.Thresholds[0]), "key", "description", "helpText", "value")
	want("DependencyData", keys(c.Dependencies), "classes", "blockNames", "featureCount", "sampleCount", "outputClasses")
}

func TestThresholdUnmarshal(t *testing.T) {
	for in, want := range map[string]float64{
		`{"key":"min_anomaly_score","description":"","helpText":"","value":0.25}`:   0.25,
		`{"key":"min_anomaly_score","description":"","helpText":"","value":"1.5"}`:  1.5,
		`{"key":"min_anomaly_score","description":"","helpText":"","value":"-2e1"}`: -20,
	} {
		var th Threshold
		if err := json.Unmarshal([]byte(in), &th); err != nil || th.Value != want || th.Key != ThresholdKey {
			t.Errorf("%s: %+v, %v", in, th, err)
		}
	}
	var th Threshold
	if err := json.Unmarshal([]byte(`{"key":"k","value":"abc"}`), &th); err == nil {
		t.Error("non-numeric string value accepted")
	}
	var cfg KMeansConfig
	if err := json.Unmarshal([]byte(`{"axes":[0,3],"clusterCount":12,"minimumConfidenceRating":0.4}`), &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.ClusterCount != 12 || len(cfg.Axes) != 2 || cfg.MinimumConfidenceRating != 0.4 {
		t.Errorf("StartTrainingRequestAnomaly decoded as %+v", cfg)
	}
}

// TestSchemaCheck type-checks the emitted JSON against Edge Impulse's
// published API types (see internal/eischema; it skips without
// ../shared/tools, node or npm).
func TestSchemaCheck(t *testing.T) {
	km, g := goldenModels(t)
	c, err := km.BlockConfig("Anomaly detection", []string{"a", "b", "c"}, Dependencies{})
	if err != nil {
		t.Fatal(err)
	}
	created := time.Date(2026, 11, 22, 7, 0, 0, 0, time.UTC)
	for _, doc := range []struct {
		typ string
		v   any
	}{
		{"AnomalyConfig", c},
		{"AnomalyGmmMetadata", g.GMMMetadata()},
		{"AnomalyModelMetadataClusters", km.Metadata(created).Clusters[0]},
		{"BlockThreshold", g.Metadata(created).Thresholds[0]},
		{"AnomalyModelMetadata", km.Metadata(created)},
		{"AnomalyModelMetadata", g.Metadata(created)},
	} {
		eischema.Check(t, doc.v, doc.typ)
	}
}

// sameJSON compares decoded JSON values, numbers to a relative 1e-12.
func sameJSON(a, b any) bool {
	switch a := a.(type) {
	case map[string]any:
		b, ok := b.(map[string]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for k, v := range a {
			if w, ok := b[k]; !ok || !sameJSON(v, w) {
				return false
			}
		}
		return true
	case []any:
		b, ok := b.([]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for i := range a {
			if !sameJSON(a[i], b[i]) {
				return false
			}
		}
		return true
	case float64:
		b, ok := b.(float64)
		return ok && near(a, b, 1e-12)
	default:
		return a == b
	}
}
