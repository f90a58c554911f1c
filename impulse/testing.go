package impulse

import (
	"context"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/tinyimpulse/tinyimpulse/dataset"
	"github.com/tinyimpulse/tinyimpulse/metrics"
	"github.com/tinyimpulse/tinyimpulse/studio"
)

// TestOptions configure Model.Test.
type TestOptions struct {
	// Workers is the number of goroutines; 0 means every core.
	Workers int
	// Created is the time the report records for its samples; the zero time
	// means now.
	Created time.Time
	// ModelType is the model type the networks classify with: Int8,
	// Float32, or the zero value for each learn block's selected type (see
	// Model.WithModelType).
	ModelType ModelType
}

// TestReport is the outcome of model testing: every window of every sample
// classified with the classification stride, and the figures Studio shows.
type TestReport struct {
	// Windows holds the result of every window, in sample order.
	Windows []WindowResult
	// Summary counts results against expected labels (classifiers and
	// anomaly blocks; nil for a regression model).
	Summary *metrics.TestSummary
	// Classification holds the classifier's metrics over the windows whose
	// expected label is one of its classes (nil when there are none).
	Classification *metrics.Classification
	// AnomalyAUC is the ROC AUC of the anomaly scores, with windows labelled
	// "anomaly" as positives and every other window as normal; valid when
	// HasAnomalyAUC.
	AnomalyAUC    float64
	HasAnomalyAUC bool
	// MSE is a regression model's mean squared error (regression only).
	MSE float64

	m       *Model
	samples []*dataset.Sample
	perSmp  [][]WindowResult
	created time.Time
	extra   []metrics.LearnBlockMetrics
}

// Test runs model testing on the samples (usually the dataset's testing
// category): every window, cut with the input block's classification stride,
// classified as Studio's model testing does (uncertain below the
// classifier's min_score, anomaly above the anomaly block's threshold).
// Windows whose expected label the model does not know are kept in Windows
// but left out of every figure, as in Studio.
func (m *Model) Test(ctx context.Context, samples []*dataset.Sample, opt TestOptions) (*TestReport, error) {
	if len(samples) == 0 {
		return nil, fmt.Errorf("%w: no samples to test", ErrDataset)
	}
	m, err := m.WithModelType(opt.ModelType)
	if err != nil {
		return nil, err
	}
	created := opt.Created
	if created.IsZero() {
		created = time.Now().UTC()
	}
	r := &TestReport{m: m, samples: samples, perSmp: make([][]WindowResult, len(samples)), created: created.Truncate(time.Millisecond)}
	cs := make([]*Classifier, workerCount(opt.Workers, len(samples)))
	for w := range cs {
		if cs[w], err = m.NewClassifier(); err != nil {
			return nil, err
		}
	}
	err = forEach(ctx, len(samples), len(cs), func(w, i int) error {
		var err error
		r.perSmp[i], err = cs[w].ClassifySample(samples[i], ClassificationWindows)
		return err
	})
	if err != nil {
		return nil, err
	}
	for _, res := range r.perSmp {
		r.Windows = append(r.Windows, res...)
	}
	if len(r.Windows) == 0 {
		return nil, fmt.Errorf("%w: the test samples give no windows", ErrDataset)
	}
	if err := r.summarise(); err != nil {
		return nil, err
	}
	return r, nil
}

// summarise computes the figures of the report.
func (r *TestReport) summarise() error {
	m := r.m
	var kb *kerasBlock
	if len(m.keras) > 0 {
		kb = m.keras[0]
	}
	var ab *anomalyBlock
	if len(m.anomalies) > 0 {
		ab = m.anomalies[0]
	}
	expected := make([]string, len(r.Windows))
	results := make([]string, len(r.Windows))
	for i, w := range r.Windows {
		expected[i], results[i] = w.Expected, w.Label
	}
	switch {
	case kb != nil && kb.regression:
		var actual, pred []float64
		for _, w := range r.Windows {
			if y, ok := parseTarget(w.Expected); ok {
				actual, pred = append(actual, y), append(pred, w.Value)
			}
		}
		if len(actual) > 0 {
			reg, err := metrics.EvaluateRegression(actual, pred)
			if err != nil {
				return err
			}
			r.MSE = reg.MSE
		}
	case kb != nil:
		s, err := metrics.NewTestSummary(kb.classes, ab != nil, expected, results)
		if err != nil {
			return err
		}
		r.Summary = s
		// The classifier's own metrics on windows of known classes.
		index := map[string]int{}
		for i, c := range kb.classes {
			index[c] = i
		}
		var actual []int
		var scores []float64
		for _, w := range r.Windows {
			if i, ok := index[w.Expected]; ok {
				actual = append(actual, i)
				for _, c := range kb.classes {
					scores = append(scores, w.Score(c))
				}
			}
		}
		if len(actual) > 0 {
			c, err := metrics.EvaluateClassification(kb.classes, actual, mat.NewDense(len(actual), len(kb.classes), scores))
			if err != nil {
				return err
			}
			r.Classification = c
			r.extra = append(r.extra, metrics.LearnBlockMetrics{LearnBlockID: kb.block.ID, LearnBlockName: kb.block.Name, AdditionalMetrics: c.AdditionalMetrics()})
		}
	default:
		// An anomaly block alone: windows are "anomaly" or "no anomaly".
		mapped := make([]string, len(expected))
		for i, e := range expected {
			mapped[i] = ResultNoAnomaly
			if e == ResultAnomaly {
				mapped[i] = ResultAnomaly
			}
		}
		s, err := metrics.NewTestSummary([]string{ResultNoAnomaly}, true, mapped, results)
		if err != nil {
			return err
		}
		r.Summary = s
	}
	if ab != nil {
		scores := make([]float64, len(r.Windows))
		for i, w := range r.Windows {
			scores[i] = w.Anomaly
		}
		// The metrics hold the AUC unless it is undefined (one kind of
		// window only).
		am, err := metrics.AnomalyMetrics(expected, scores, ab.model.Threshold())
		if err != nil {
			return err
		}
		for _, a := range am {
			if a.Name == metrics.MetricROCAUC {
				r.AnomalyAUC, r.HasAnomalyAUC = a.FullPrecisionValue, true
			}
		}
		r.extra = append(r.extra, metrics.LearnBlockMetrics{LearnBlockID: ab.block.ID, LearnBlockName: ab.block.Name, AdditionalMetrics: am})
	}
	return nil
}

// parseTarget reads a regression label: a finite number, with white space
// around it allowed.
func parseTarget(s string) (float64, bool) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	return v, err == nil && !math.IsNaN(v) && !math.IsInf(v, 0)
}

// WriteTable writes the model-testing summary for people: the table of
// expected labels against results, accuracy, weighted F1 and the anomaly
// AUC.
func (r *TestReport) WriteTable(w io.Writer) error {
	if r.Summary != nil {
		if err := r.Summary.WriteTable(w); err != nil {
			return err
		}
	}
	var err error
	if r.Classification != nil {
		_, err = fmt.Fprintf(w, "Weighted F1 score (windows of known classes): %.3f\n", r.Classification.Report.WeightedAvg.F1)
	}
	if r.HasAnomalyAUC && err == nil {
		_, err = fmt.Fprintf(w, "Anomaly ROC AUC (windows labelled %q as positives): %.3f\n", ResultAnomaly, r.AnomalyAUC)
	}
	if len(r.m.keras) > 0 && r.m.keras[0].regression && err == nil {
		_, err = fmt.Fprintf(w, "Mean squared error: %.6g over %d windows\n", r.MSE, len(r.Windows))
	}
	return err
}

// Response returns Studio's ClassifyJobResponse of the report.
func (r *TestReport) Response() studio.ClassifyJobResponse {
	m := r.m
	resp := studio.ClassifyJobResponse{Success: true, Result: []studio.ModelResult{}, Predictions: []metrics.Prediction{},
		AdditionalMetricsByLearnBlock: r.extra, AvailableVariants: []string{}}
	if resp.AdditionalMetricsByLearnBlock == nil {
		resp.AdditionalMetricsByLearnBlock = []metrics.LearnBlockMetrics{}
	}
	if len(m.keras) > 0 {
		resp.AvailableVariants = []string{"float32", "int8"}
	}
	if r.Summary != nil {
		resp.Accuracy = r.Summary.Studio()
	} else {
		mse := r.MSE
		resp.Accuracy = metrics.TestAccuracy{SummaryPerClass: map[string]metrics.GoodBad{},
			ConfusionMatrixValues: map[string]map[string]int{}, AllLabels: []string{}, MSEScore: &mse}
	}
	freq := m.im.def.Impulse.InputBlocks[0].FrequencyHz
	for i, s := range r.samples {
		wins := r.perSmp[i]
		mr := studio.ModelResult{SampleID: s.ID, Sample: studio.NewSample(s, r.created)}
		expected := studio.StructuredLabels(s)
		mr.Classifications = []studio.SampleClassification{}
		for i, k := range m.keras {
			sc := studio.SampleClassification{LearnBlock: k.block, MinimumConfidenceRating: k.threshold, ExpectedLabels: expected,
				Thresholds: k.metadata.Thresholds, IntervalMs: s.IntervalMs, FrequencyHz: freq, ResultCount: len(wins),
				Result: make([]map[string]float64, len(wins))}
			for j := range wins {
				sc.Result[j] = wins[j].networkResult(m, i)
			}
			mr.Classifications = append(mr.Classifications, sc)
		}
		for i, a := range m.anomalies {
			var th []studio.BlockThreshold
			if md := a.config.Metadata; md != nil {
				th = md.Thresholds
			}
			sc := studio.SampleClassification{LearnBlock: a.block, MinimumConfidenceRating: a.model.Threshold(), ExpectedLabels: expected,
				Thresholds: th, IntervalMs: s.IntervalMs, FrequencyHz: freq, ResultCount: len(wins),
				Result: make([]map[string]float64, len(wins))}
			for j := range wins {
				sc.Result[j] = map[string]float64{ResultAnomaly: wins[j].anomalyScore(i)}
			}
			mr.Classifications = append(mr.Classifications, sc)
		}
		resp.Result = append(resp.Result, mr)
		for _, w := range wins {
			ok := w.Label == w.Expected
			resp.Predictions = append(resp.Predictions, metrics.Prediction{SampleID: s.ID, StartMs: w.StartMs, EndMs: w.EndMs,
				Label: w.Expected, Prediction: w.Label, PredictionCorrect: &ok})
		}
	}
	return resp
}
