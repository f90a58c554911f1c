package impulse

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/tinyimpulse/tinyimpulse/dataset"
	"github.com/tinyimpulse/tinyimpulse/metrics"
)

// TestOptions configure Model.Test.
type TestOptions struct {
	// Workers is the number of goroutines; 0 means every core.
	Workers int
	// Created is the time the report records for its samples; the zero time
	// means now.
	Created time.Time
	// ModelType is the model type the networks classify with: "int8",
	// "float32", or "" for each learn block's selected type (see
	// Model.WithModelType).
	ModelType string
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
		r.perSmp[i], err = cs[w].Classify(samples[i], ClassificationWindows)
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
		expected[i], results[i] = w.Expected, w.Result
	}
	switch {
	case kb != nil && kb.regression:
		var actual, pred []float64
		for _, w := range r.Windows {
			if y, ok := parseTarget(w.Expected); ok {
				actual, pred = append(actual, y), append(pred, *w.Value)
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
					scores = append(scores, w.Classification[c])
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
			scores[i] = *w.Anomaly
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

// ClassifyJobResponse is Studio's ClassifyJobResponse, the result of model
// testing.
type ClassifyJobResponse struct {
	Success                       bool                        `json:"success"`
	Error                         string                      `json:"error,omitempty"`
	Result                        []ModelResult               `json:"result"`
	Predictions                   []metrics.Prediction        `json:"predictions"`
	Accuracy                      metrics.TestAccuracy        `json:"accuracy"`
	AdditionalMetricsByLearnBlock []metrics.LearnBlockMetrics `json:"additionalMetricsByLearnBlock"`
	AvailableVariants             []string                    `json:"availableVariants"`
}

// ModelResult is Studio's ModelResult: one sample and how every learn block
// classified its windows.
type ModelResult struct {
	SampleID        int                    `json:"sampleId"`
	Sample          StudioSample           `json:"sample"`
	Classifications []SampleClassification `json:"classifications"`
}

// SampleClassification is Studio's ClassifySampleResponseClassification:
// one learn block's results for every window of a sample.
type SampleClassification struct {
	LearnBlock LearnBlock `json:"learnBlock"`
	// Result holds, per window, the score of every label (classifiers),
	// {"value": v} (regression) or {"anomaly": score} (anomaly blocks).
	Result                  []map[string]float64 `json:"result"`
	MinimumConfidenceRating float64              `json:"minimumConfidenceRating"`
	ExpectedLabels          []StructuredLabel    `json:"expectedLabels"`
	Thresholds              []BlockThreshold     `json:"thresholds"`
	IntervalMs              float64              `json:"intervalMs"`
	FrequencyHz             float64              `json:"frequencyHz"`
	ResultCount             int                  `json:"resultCount"`
}

// StructuredLabel is Studio's StructuredLabel: a label over the value
// indices StartIndex..EndIndex (inclusive).
type StructuredLabel struct {
	StartIndex int    `json:"startIndex"`
	EndIndex   int    `json:"endIndex"`
	Label      string `json:"label"`
}

// StudioSample is the part of Studio's Sample this project can fill from a
// dataset file.
type StudioSample struct {
	ID                  int                   `json:"id"`
	Filename            string                `json:"filename"`
	SignatureValidate   bool                  `json:"signatureValidate"`
	Created             time.Time             `json:"created"`
	LastModified        time.Time             `json:"lastModified"`
	Category            string                `json:"category"`
	ColdstorageFilename string                `json:"coldstorageFilename"`
	Label               string                `json:"label"`
	IntervalMs          float64               `json:"intervalMs"`
	Frequency           float64               `json:"frequency"`
	OriginalIntervalMs  float64               `json:"originalIntervalMs"`
	OriginalFrequency   float64               `json:"originalFrequency"`
	DeviceName          string                `json:"deviceName,omitempty"`
	DeviceType          string                `json:"deviceType"`
	Sensors             []StudioSensor        `json:"sensors"`
	ValuesCount         int                   `json:"valuesCount"`
	TotalLengthMs       float64               `json:"totalLengthMs"`
	Added               time.Time             `json:"added"`
	BoundingBoxes       []dataset.BoundingBox `json:"boundingBoxes"`
	BoundingBoxesType   string                `json:"boundingBoxesType"`
	ChartType           string                `json:"chartType"`
	IsDisabled          bool                  `json:"isDisabled"`
	IsProcessing        bool                  `json:"isProcessing"`
	ProcessingError     bool                  `json:"processingError"`
	IsCropped           bool                  `json:"isCropped"`
	Metadata            map[string]string     `json:"metadata,omitempty"`
	ProjectID           int                   `json:"projectId"`
	SHA256Hash          string                `json:"sha256Hash"`
	StructuredLabels    []StructuredLabel     `json:"structuredLabels,omitempty"`
	Datastreams         []any                 `json:"datastreams"`
}

// StudioSensor is Studio's Sensor.
type StudioSensor struct {
	Index int    `json:"index"`
	Name  string `json:"name"`
	Units string `json:"units"`
}

// studioSample describes a dataset sample as Studio's Sample. Its hash is
// the SHA-256 of the sample's values (float64, little-endian) or, for an
// image, of its pixels.
func studioSample(s *dataset.Sample, created time.Time) StudioSample {
	h := sha256.New()
	var b [8]byte
	for _, v := range s.Values {
		binary.LittleEndian.PutUint64(b[:], math.Float64bits(v))
		h.Write(b[:])
	}
	ss := StudioSample{ID: s.ID, Filename: s.Path, Created: created, LastModified: created, Added: created,
		Category: s.Category, ColdstorageFilename: s.Path, Label: s.Label, DeviceName: s.DeviceName, DeviceType: s.DeviceType,
		Sensors: []StudioSensor{}, BoundingBoxes: []dataset.BoundingBox{}, BoundingBoxesType: "object_detection", ChartType: "chart",
		Metadata: s.Metadata, ProjectID: 1, Datastreams: []any{}, StructuredLabels: structuredLabels(s)}
	if ss.DeviceType == "" {
		ss.DeviceType = "unknown"
	}
	if s.Image != nil {
		ss.ChartType = "image"
		bnd := s.Image.Bounds()
		for y := bnd.Min.Y; y < bnd.Max.Y; y++ {
			for x := bnd.Min.X; x < bnd.Max.X; x++ {
				r, g, bl, a := s.Image.At(x, y).RGBA()
				binary.LittleEndian.PutUint64(b[:], uint64(r)|uint64(g)<<16|uint64(bl)<<32|uint64(a)<<48)
				h.Write(b[:])
			}
		}
		ss.ValuesCount = 1
	} else {
		ss.IntervalMs, ss.OriginalIntervalMs = s.IntervalMs, s.IntervalMs
		ss.Frequency, ss.OriginalFrequency = s.FrequencyHz(), s.FrequencyHz()
		ss.ValuesCount = s.Len()
		ss.TotalLengthMs = float64(s.Len()) * s.IntervalMs
		for i, sn := range s.Sensors {
			ss.Sensors = append(ss.Sensors, StudioSensor{Index: i, Name: sn.Name, Units: sn.Units})
		}
	}
	ss.SHA256Hash = hex.EncodeToString(h.Sum(nil))
	return ss
}

// structuredLabels returns a sample's labels as value ranges.
func structuredLabels(s *dataset.Sample) []StructuredLabel {
	if len(s.Labels) > 0 {
		out := make([]StructuredLabel, len(s.Labels))
		for i, l := range s.Labels {
			out[i] = StructuredLabel{StartIndex: l.StartIndex, EndIndex: l.EndIndex, Label: l.Label}
		}
		return out
	}
	n := max(s.Len(), 1)
	return []StructuredLabel{{StartIndex: 0, EndIndex: n - 1, Label: s.Label}}
}

// Response returns Studio's ClassifyJobResponse of the report.
func (r *TestReport) Response() ClassifyJobResponse {
	m := r.m
	resp := ClassifyJobResponse{Success: true, Result: []ModelResult{}, Predictions: []metrics.Prediction{},
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
	freq := m.def.Impulse.InputBlocks[0].FrequencyHz
	for i, s := range r.samples {
		wins := r.perSmp[i]
		mr := ModelResult{SampleID: s.ID, Sample: studioSample(s, r.created)}
		expected := structuredLabels(s)
		mr.Classifications = []SampleClassification{}
		for i, k := range m.keras {
			sc := SampleClassification{LearnBlock: k.block, MinimumConfidenceRating: k.threshold, ExpectedLabels: expected,
				Thresholds: k.metadata.Thresholds, IntervalMs: s.IntervalMs, FrequencyHz: freq, ResultCount: len(wins),
				Result: make([]map[string]float64, len(wins))}
			for j := range wins {
				sc.Result[j] = wins[j].networkResult(i)
			}
			mr.Classifications = append(mr.Classifications, sc)
		}
		for i, a := range m.anomalies {
			var th []BlockThreshold
			if md := a.config.Metadata; md != nil {
				th = md.Thresholds
			}
			sc := SampleClassification{LearnBlock: a.block, MinimumConfidenceRating: a.model.Threshold(), ExpectedLabels: expected,
				Thresholds: th, IntervalMs: s.IntervalMs, FrequencyHz: freq, ResultCount: len(wins),
				Result: make([]map[string]float64, len(wins))}
			for j := range wins {
				sc.Result[j] = map[string]float64{ResultAnomaly: wins[j].anomalyScore(i)}
			}
			mr.Classifications = append(mr.Classifications, sc)
		}
		resp.Result = append(resp.Result, mr)
		for _, w := range wins {
			ok := w.Result == w.Expected
			resp.Predictions = append(resp.Predictions, metrics.Prediction{SampleID: s.ID, StartMs: w.StartMs, EndMs: w.EndMs,
				Label: w.Expected, Prediction: w.Result, PredictionCorrect: &ok})
		}
	}
	return resp
}
