package metrics

import (
	"strings"
	"testing"

	"github.com/tinyimpulse/tinyimpulse/device"
	"github.com/tinyimpulse/tinyimpulse/internal/eischema"
)

// studioDocs returns the JSON documents this package produces, each wrapped
// in the smallest Edge Impulse API type that contains it, by golden file
// name.
func studioDocs(t *testing.T) map[string]any {
	t.Helper()
	perf, err := device.OnDevicePerformance(smallNetwork(device.Int8), device.ProfileConfig{}, "cortex-m4f-80mhz", "cortex-m7-216mhz", "ti-launchxl", "raspberry-pi-4")
	if err != nil {
		t.Fatal(err)
	}
	cls := threeClass(t).ModelMetrics("int8")
	cls.SetPerformance(perf)
	vww, err := device.OnDevicePerformance(smallNetwork(device.Float32), device.ProfileConfig{}, "arduino-nano-33-ble", "cortex-m4f-80mhz")
	if err != nil {
		t.Fatal(err)
	}
	reg, err := EvaluateRegression([]float64{1, 2, 3, 4.5}, []float64{1.1, 1.8, 3.3, 4.4})
	if err != nil {
		t.Fatal(err)
	}
	regm := reg.ModelMetrics("float32")
	regm.SetPerformance(vww)

	s := testSummary(t)
	c := threeClass(t)
	anomalyMetrics, err := AnomalyMetrics(strings.Fields("idle anomaly wave anomaly idle"), []float64{0.1, 0.9, 0.2, 0.25, 0.3}, 0.3)
	if err != nil {
		t.Fatal(err)
	}
	job := map[string]any{
		"success":     true,
		"result":      []any{},
		"predictions": []any{},
		"accuracy":    s.Studio(),
		"additionalMetricsByLearnBlock": []LearnBlockMetrics{
			{LearnBlockID: 4, LearnBlockName: "Classifier", AdditionalMetrics: c.AdditionalMetrics()},
			{LearnBlockID: 5, LearnBlockName: "Anomaly detection", AdditionalMetrics: anomalyMetrics},
		},
		"availableVariants": []string{"int8", "float32"},
	}
	return map[string]any{
		"keras_metrics_classification.json": cls,
		"keras_metrics_regression.json":     regm,
		"classify_job_response.json":        job,
	}
}

// smallNetwork is Studio's default dense network for 33 spectral features
// (33 → 20 → 10 → 4), as the estimator describes it.
func smallNetwork(dt device.DType) *device.Network {
	w := 1
	if dt == device.Float32 {
		w = 4
	}
	return &device.Network{DType: dt, Input: []int{33}, Ops: []device.Op{
		{Kind: device.FullyConnected, Output: []int{20}, WeightBytes: w * 33 * 20, BiasBytes: 4 * 20},
		{Kind: device.FullyConnected, Output: []int{10}, WeightBytes: w * 20 * 10, BiasBytes: 4 * 10},
		{Kind: device.FullyConnected, Output: []int{4}, WeightBytes: w * 10 * 4, BiasBytes: 4 * 4},
		{Kind: device.Softmax, Output: []int{4}},
	}}
}

// schemaTypes maps each golden JSON file to its Edge Impulse API type.
var schemaTypes = map[string]string{
	"keras_metrics_classification.json": "KerasModelMetadataMetrics",
	"keras_metrics_regression.json":     "KerasModelMetadataMetrics",
	"classify_job_response.json":        "ClassifyJobResponse",
}

// TestStudioSchema type-checks the golden JSON documents against Edge
// Impulse's published API types (see internal/eischema; it skips without
// ../shared/tools, node or npm, or in -short mode).
func TestStudioSchema(t *testing.T) {
	docs := studioDocs(t)
	if len(schemaTypes) != len(docs) {
		t.Fatal("schemaTypes and studioDocs disagree")
	}
	for name, typ := range schemaTypes {
		eischema.Check(t, docs[name], typ)
	}
}
