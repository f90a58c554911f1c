package impulse

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/tinyimpulse/tinyimpulse/anomaly"
	"github.com/tinyimpulse/tinyimpulse/internal/eischema"
	"github.com/tinyimpulse/tinyimpulse/learn"
	"github.com/tinyimpulse/tinyimpulse/metrics"
	"github.com/tinyimpulse/tinyimpulse/studio"
)

// detailedFixture builds a GetAllDetailedImpulsesResponse from real
// results: features of synthetic samples, a small network's layers and
// metrics, and fitted K-means and GMM blocks.
func detailedFixture(t *testing.T) (*Impulse, []studio.DSPBlockConfig, studio.DetailedImpulsesResponse) {
	t.Helper()
	d := mustCompile(t, `{"impulse": {"inputBlocks": [{"id": 1, "type": "time-series", "windowSizeMs": 1000, "windowIncreaseMs": 250,
	  "frequencyHz": 100, "axes": ["accX", "accY", "accZ"], "labelingMethodMultiLabel": {"type": "anywhere-in-window", "labels": ["wave"]}}],
	  "dspBlocks": [{"id": 2, "type": "spectral-analysis"}, {"id": 3, "type": "flatten"}],
	  "learnBlocks": [{"id": 4, "type": "keras", "dsp": [2, 3]}, {"id": 5, "type": "anomaly", "dsp": [3]}, {"id": 6, "type": "anomaly-gmm", "dsp": [3]}]},
	  "learn": {"5": {"axes": [0, 3, 7], "clusterCount": 3}, "6": {"axes": [1, 2], "clusterCount": 2}}}`)
	created := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	f, err := d.GenerateFeatures(context.Background(), synthSamples(12, 9), &FeatureOptions{Created: created})
	if err != nil {
		t.Fatal(err)
	}
	cfgs, err := f.DSPBlockConfigs()
	if err != nil {
		t.Fatal(err)
	}
	X, _ := f.Learn(5)
	km, err := anomaly.FitKMeans(context.Background(), anomaly.KMeansConfig{Axes: []int{0, 3, 7}, ClusterCount: 3}, X, 1)
	if err != nil {
		t.Fatal(err)
	}
	gmm, err := anomaly.FitGMM(context.Background(), anomaly.GMMConfig{Axes: []int{1, 2}, ClusterCount: 2}, X, 1)
	if err != nil {
		t.Fatal(err)
	}
	deps := anomaly.Dependencies{Classes: f.Classes, BlockNames: []string{"Flatten"}, FeatureCount: 21, SampleCount: len(f.Windows), OutputClasses: []string{}}
	kmCfg, err := km.BlockConfig("Anomaly detection", d.LearnFeatureLabels(5), deps)
	if err != nil {
		t.Fatal(err)
	}
	gmmCfg, err := gmm.BlockConfig("Anomaly detection", d.LearnFeatureLabels(6), deps)
	if err != nil {
		t.Fatal(err)
	}
	kmMeta, gmmMeta, gmmParams := km.Metadata(created), gmm.Metadata(created), gmm.GMMMetadata()

	kc, in, err := d.KerasConfig(4)
	if err != nil {
		t.Fatal(err)
	}
	net, err := learn.New(kc, in, f.Classes, false, 1)
	if err != nil {
		t.Fatal(err)
	}
	Xk, _ := f.Learn(4)
	probs, err := learn.Predict(context.Background(), net, Xk, nil)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := metrics.EvaluateClassification(f.Classes, f.Y, probs)
	if err != nil {
		t.Fatal(err)
	}
	mm := ev.ModelMetrics("float32")
	score := 0.5
	resp := studio.DetailedImpulsesResponse{
		Success: true,
		Impulses: []studio.DetailedImpulse{{
			Impulse: d.def.Impulse,
			Metrics: []studio.DetailedImpulseMetric{{Name: "accuracy", Type: "core", Category: "learnBlockMetrics", Description: "Validation accuracy",
				Value: "0.50", ValueForSorting: &score}, {Name: "padZeros", Type: "additional", Category: "inputBlockConfig", Description: "Zero-pad data", Value: true,
				FilteringType: &studio.FilteringType{Type: "boolean", Options: []string{}}}},
			DSPBlockConfigs: cfgs,
			LearnBlockKerasConfigs: []studio.KerasBlockConfig{{BlockID: 4,
				Config: studio.KerasConfig{Dependencies: deps, Trained: true, Name: "NN Classifier", Type: studio.LearnKeras, MinimumConfidenceRating: 0.6,
					SelectedModelType: "float32", Mode: "visual", VisualLayers: kc.VisualLayers, TrainingCycles: kc.TrainingCycles,
					LearningRate: kc.LearningRate, DefaultBatchSize: 32, Shape: "(60,)", TrainTestSplit: kc.TrainTestSplit,
					AugmentationPolicyImage: "none", ProfileInt8: true,
					Thresholds: []studio.BlockThreshold{{Key: "min_score", Description: "Minimum confidence rating", Value: 0.6}}},
				Metadata: &studio.KerasModelMetadata{Created: created, Layers: net.KerasLayers(), ClassNames: f.Classes, Labels: f.Classes,
					AvailableModelTypes: []string{"float32"}, RecommendedModelType: "float32", ModelValidationMetrics: []metrics.ModelMetrics{mm},
					HasTrainedModel: true, Mode: "classification", ImageInputScaling: "0..1",
					Thresholds: []studio.BlockThreshold{{Key: "min_score", Description: "Minimum confidence rating", Value: 0.6}}}}},
			LearnBlockAnomalyConfigs: []studio.AnomalyBlockConfig{
				{BlockID: 5, Config: kmCfg, Metadata: &kmMeta},
				{BlockID: 6, Config: gmmCfg, Metadata: &gmmMeta, GMMMetadata: &gmmParams}},
			PostProcessingBlockConfigs: []studio.PostProcessingBlockConfig{{BlockID: 7, Config: studio.PostProcessingConfig{Enabled: false,
				Parameters: []studio.DSPGroupItem{{Name: "Detection threshold", DefaultValue: "0.8", Type: "float", Param: "detection_threshold", Required: true}}}}},
			Configured: true, Complete: true,
		}},
		MetricKeysByCategory: []studio.MetricKeys{{Category: "learnBlockMetrics", MetricKeys: []studio.MetricKey{{Name: "accuracy", Description: "Validation accuracy", Type: "core", ShowInTable: true}}}},
	}
	resp.Impulses[0].Impulse.ID = 1
	return d, cfgs, resp
}

// Everything Edge Impulse-shaped this package emits conforms to Studio's
// published API types.
func TestSchemas(t *testing.T) {
	d, cfgs, resp := detailedFixture(t)
	create := d.def.Impulse
	create.ID = 0
	// The response holds the other DSP block's config and metadata, the
	// Impulse, KerasConfig, KerasModelMetadata, AnomalyConfig,
	// AnomalyModelMetadata, AnomalyGmmMetadata and PostProcessingConfig.
	cases := []struct {
		typ string
		v   any
	}{
		{"DSPConfig", cfgs[0].Config},
		{"DSPMetadata", cfgs[0].Metadata},
		{"CreateImpulseRequest", create},
		{"SetKerasParameterRequest", d.def.Learn[4].Keras},
		{"StartTrainingRequestAnomaly", d.def.Learn[5].Anomaly},
		{"DSPConfigRequest", map[string]any{"config": DSPParams{"fft-length": json.Number("32"), "do-log": true}}},
		{"GetAllDetailedImpulsesResponse", resp},
	}
	// Studio's spectrogram augmentation, which this library trains with,
	// in the request and in the trained block's KerasConfig.
	yes := true
	policy := &studio.AugmentationPolicySpectrogram{Enabled: true, Warping: &yes, FreqMasking: "low", TimeMasking: "high", GaussianNoise: "none"}
	kp := *d.def.Learn[4].Keras
	kp.AugmentationPolicySpectrogram = policy
	kc := resp.Impulses[0].LearnBlockKerasConfigs[0].Config
	cases = append(cases, struct {
		typ string
		v   any
	}{"SetKerasParameterRequest", &kp})
	kc.AugmentationPolicySpectrogram = policy
	cases = append(cases, struct {
		typ string
		v   any
	}{"KerasConfig", kc})
	for _, c := range cases {
		t.Run(c.typ, func(t *testing.T) { eischema.Check(t, c.v, c.typ) })
	}
}
