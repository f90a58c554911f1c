package metrics

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/tinyimpulse/tinyimpulse/device"
)

// Names of the additionalMetrics entries this package emits
// (learn-blocks.md §B.1, §B.2, §B.4).
const (
	MetricROCAUC            = "Area under ROC Curve"
	MetricWeightedPrecision = "Weighted average Precision"
	MetricWeightedRecall    = "Weighted average Recall"
	MetricWeightedF1        = "Weighted average F1 score"
	MetricMSE               = "Mean squared error"
	MetricMAE               = "Mean absolute error"
	MetricExplainedVariance = "Explained variance"
)

// AdditionalMetric is Studio's AdditionalMetric: a named figure shown with
// two decimals (Value) and kept at full precision.
type AdditionalMetric struct {
	Name               string  `json:"name"`
	Value              string  `json:"value"`
	FullPrecisionValue float64 `json:"fullPrecisionValue"`
	TooltipText        string  `json:"tooltipText,omitempty"`
	Link               string  `json:"link,omitempty"`
}

// NewAdditionalMetric returns the entry for v, formatted with two decimals.
func NewAdditionalMetric(name string, v float64) AdditionalMetric {
	return AdditionalMetric{Name: name, Value: strconv.FormatFloat(v, 'f', 2, 64), FullPrecisionValue: v}
}

// ModelMetrics is Studio's KerasModelMetadataMetrics: the validation
// metrics of one model variant (learn-blocks.md §A.2).
type ModelMetrics struct {
	// Type is the model variant, "float32" or "int8".
	Type string  `json:"type"`
	Loss float64 `json:"loss"`
	// Accuracy is set for classifiers.
	Accuracy *float64 `json:"accuracy,omitempty"`
	// ConfusionMatrix is actual × predicted counts; empty for regression.
	ConfusionMatrix [][]float64 `json:"confusionMatrix"`
	// Report is the classification report; the zero value writes {}.
	Report              ClassificationReport       `json:"report"`
	OnDevicePerformance []device.DevicePerformance `json:"onDevicePerformance"`
	Predictions         []Prediction               `json:"predictions,omitempty"`
	// Visualization is "featureExplorer", "dataExplorer" or "none".
	Visualization     string             `json:"visualization"`
	IsSupportedOnMcu  bool               `json:"isSupportedOnMcu"`
	McuSupportError   string             `json:"mcuSupportError,omitempty"`
	AdditionalMetrics []AdditionalMetric `json:"additionalMetrics"`
}

// Prediction is Studio's ModelPrediction of one window (the feature
// explorer's data).
type Prediction struct {
	SampleID          int    `json:"sampleId"`
	StartMs           int    `json:"startMs"`
	EndMs             int    `json:"endMs"`
	Label             string `json:"label,omitempty"`
	Prediction        string `json:"prediction"`
	PredictionCorrect *bool  `json:"predictionCorrect,omitempty"`
}

// ModelMetrics returns the classifier's metrics as Studio's
// KerasModelMetadataMetrics for the given variant ("float32" or "int8")
// with visualization "featureExplorer". The caller adds on-device
// performance and predictions; isSupportedOnMcu is true until then.
func (c *Classification) ModelMetrics(variant string) ModelMetrics {
	n := len(c.Confusion.Labels)
	cm := make([][]float64, n)
	for i := range cm {
		cm[i] = make([]float64, n)
		for j := range cm[i] {
			cm[i][j] = float64(c.Confusion.At(i, j))
		}
	}
	return ModelMetrics{
		Type:                variant,
		Loss:                c.Loss,
		Accuracy:            ptr(c.Report.Accuracy),
		ConfusionMatrix:     cm,
		Report:              c.Report,
		OnDevicePerformance: []device.DevicePerformance{},
		Visualization:       "featureExplorer",
		IsSupportedOnMcu:    true,
		AdditionalMetrics:   c.AdditionalMetrics(),
	}
}

// Classification rebuilds a classifier's metrics from Studio's
// KerasModelMetadataMetrics (for example of a saved model), so that its
// table can be written: the confusion matrix, report, loss and ROC AUC.
// Predicted, which Studio does not keep, is nil. It returns an error
// wrapping ErrLength when the confusion matrix is not len(labels) square,
// and ErrValue for a regression model's metrics (no confusion matrix) or a
// count that is not a whole number in [0, 2³¹).
func (m ModelMetrics) Classification(labels []string) (*Classification, error) {
	n := len(labels)
	if len(m.ConfusionMatrix) == 0 {
		return nil, fmt.Errorf("metrics: %s metrics have no confusion matrix (regression?): %w", m.Type, ErrValue)
	}
	if len(m.ConfusionMatrix) != n {
		return nil, fmt.Errorf("metrics: %s confusion matrix has %d rows for %d labels: %w", m.Type, len(m.ConfusionMatrix), n, ErrLength)
	}
	conf := &Confusion{Labels: slices.Clone(labels), Counts: make([]int, n*n)}
	for i, row := range m.ConfusionMatrix {
		if len(row) != n {
			return nil, fmt.Errorf("metrics: %s confusion matrix row %d has %d columns for %d labels: %w", m.Type, i, len(row), n, ErrLength)
		}
		for j, v := range row {
			if !(v >= 0 && v <= math.MaxInt32 && v == math.Trunc(v)) {
				return nil, fmt.Errorf("metrics: %s confusion matrix [%d][%d]=%v: %w", m.Type, i, j, v, ErrValue)
			}
			conf.Counts[i*n+j] = int(v)
		}
	}
	c := &Classification{Confusion: conf, Report: m.Report, Loss: m.Loss}
	for _, am := range m.AdditionalMetrics {
		if am.Name == MetricROCAUC {
			c.ROCAUC, c.HasROCAUC = am.FullPrecisionValue, true
		}
	}
	return c, nil
}

// ModelMetrics returns the regression metrics as Studio's
// KerasModelMetadataMetrics: loss is the MSE, accuracy 0, the confusion
// matrix empty and the report {} (as Studio's profile_model).
func (r Regression) ModelMetrics(variant string) ModelMetrics {
	return ModelMetrics{
		Type:                variant,
		Loss:                r.MSE,
		Accuracy:            ptr(0.0),
		ConfusionMatrix:     [][]float64{},
		OnDevicePerformance: []device.DevicePerformance{},
		Visualization:       "featureExplorer",
		IsSupportedOnMcu:    true,
		AdditionalMetrics:   r.AdditionalMetrics(),
	}
}

// GoodBad counts good and bad windows.
type GoodBad struct {
	Good int `json:"good"`
	Bad  int `json:"bad"`
}

// TestAccuracy is the accuracy object of Studio's ClassifyJobResponse
// (model testing).
type TestAccuracy struct {
	TotalSummary           GoodBad                   `json:"totalSummary"`
	SummaryPerClass        map[string]GoodBad        `json:"summaryPerClass"`
	ConfusionMatrixValues  map[string]map[string]int `json:"confusionMatrixValues"`
	AllLabels              []string                  `json:"allLabels"`
	AccuracyScore          *float64                  `json:"accuracyScore,omitempty"`
	BalancedAccuracyScore  *float64                  `json:"balancedAccuracyScore,omitempty"`
	AnomalyAccuracyScore   *float64                  `json:"anomalyAccuracyScore,omitempty"`
	NoAnomalyAccuracyScore *float64                  `json:"noAnomalyAccuracyScore,omitempty"`
	// MSEScore is set for regression models.
	MSEScore *float64 `json:"mseScore,omitempty"`
}

// LearnBlockMetrics is one entry of ClassifyJobResponse's
// additionalMetricsByLearnBlock.
type LearnBlockMetrics struct {
	LearnBlockID      int                `json:"learnBlockId"`
	LearnBlockName    string             `json:"learnBlockName"`
	AdditionalMetrics []AdditionalMetric `json:"additionalMetrics"`
}

// AnomalyMetrics returns the additionalMetrics of an anomaly block in model
// testing: "Area under ROC Curve" of the scores (left out when undefined)
// and the weighted precision, recall and F1 of the thresholded decision
// (score > threshold ⇒ anomaly) against expected == [Anomaly].
func AnomalyMetrics(expected []string, scores []float64, threshold float64) ([]AdditionalMetric, error) {
	var out []AdditionalMetric
	auc, err := AnomalyAUC(expected, scores)
	switch {
	case err == nil:
		out = append(out, NewAdditionalMetric(MetricROCAUC, auc))
	case !errors.Is(err, ErrUndefined):
		return nil, err
	}
	if math.IsNaN(threshold) {
		return nil, fmt.Errorf("metrics: AnomalyMetrics: threshold %v: %w", threshold, ErrValue)
	}
	actual := make([]int, len(expected))
	pred := make([]int, len(expected))
	for i, e := range expected {
		if e == Anomaly {
			actual[i] = 1
		}
		if scores[i] > threshold {
			pred[i] = 1
		}
	}
	rep, err := NewClassificationReport(actual, pred)
	if err != nil {
		return nil, err
	}
	w := rep.WeightedAvg
	return append(out,
		NewAdditionalMetric(MetricWeightedPrecision, w.Precision),
		NewAdditionalMetric(MetricWeightedRecall, w.Recall),
		NewAdditionalMetric(MetricWeightedF1, w.F1)), nil
}

// SetPerformance stores onDevicePerformance entries in m and copies the
// default entry's profilingError (the first entry's when none is default)
// to mcuSupportError. isSupportedOnMcu stays true: every op a [Network] can
// describe is in TensorFlow Lite Micro's builtin set (device-estimates.md
// §6); not fitting the target's memory is reported as the error.
func (m *ModelMetrics) SetPerformance(perf []device.DevicePerformance) {
	m.OnDevicePerformance = perf
	m.McuSupportError = ""
	for i, p := range perf {
		if p.IsDefault || i == 0 {
			m.McuSupportError = p.ProfilingError
		}
		if p.IsDefault {
			break
		}
	}
}
