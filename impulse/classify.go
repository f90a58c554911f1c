package impulse

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/tinyimpulse/tinyimpulse/dataset"
	"github.com/tinyimpulse/tinyimpulse/learn"
)

// Results of a window besides the model's labels.
const (
	ResultUncertain = "uncertain"
	ResultAnomaly   = "anomaly"
	// ResultNoAnomaly is the result of a normal window of an impulse with
	// an anomaly block and no classifier.
	ResultNoAnomaly = "no anomaly"
)

// ModelType selects the networks a model classifies with: the int8
// quantised ones (Studio's default) or the float32 ones.
type ModelType uint8

// Model types. The zero value means each learn block's selected type.
const (
	Int8 ModelType = iota + 1
	Float32
)

// String returns "int8", "float32", or "" for the zero value.
func (t ModelType) String() string {
	switch t {
	case Int8:
		return "int8"
	case Float32:
		return "float32"
	}
	return ""
}

// ParseModelType reads Studio's name of a model type, "int8" or "float32";
// "" gives the zero value (each learn block's selected type).
func ParseModelType(s string) (ModelType, error) {
	switch s {
	case "":
		return 0, nil
	case "int8":
		return Int8, nil
	case "float32":
		return Float32, nil
	}
	return 0, fmt.Errorf("impulse: model type %q: must be int8 or float32", s)
}

// Timing is the time spent on one window, as Edge Impulse's runners report
// it.
type Timing struct {
	DSPUs            int64 `json:"dspUs"`
	ClassificationUs int64 `json:"classificationUs"`
	AnomalyUs        int64 `json:"anomalyUs"`
}

// Result is the outcome of classifying one window: the first classifier's
// scores (or the first regression network's value), the first anomaly
// block's score and the decided result, as Edge Impulse's run_classifier
// reports them. A Result is reused by Classifier.Classify, which then
// allocates nothing.
type Result struct {
	// Labels are the first classifier's classes (shared with the model: do
	// not modify), Scores its score for each, in the same order; both are
	// nil without a classifier.
	Labels []string
	Scores []float64
	// Value is the first regression network's output, valid when
	// HasValue.
	Value    float64
	HasValue bool
	// Anomaly is the first anomaly block's score, valid when HasAnomaly.
	Anomaly    float64
	HasAnomaly bool
	// Label is the decided result: the top label, ResultUncertain when its
	// score is below the classifier's min_score threshold, ResultAnomaly
	// when the anomaly score is above the anomaly block's threshold,
	// ResultNoAnomaly for a normal window of an impulse without a
	// classifier, or a regression's value.
	Label  string
	Timing Timing

	// The outputs of the learn blocks after the first of each kind, which
	// do not decide Label but which Studio's model testing lists per block:
	// every further network's outputs and every further anomaly score.
	more        [][]float64
	moreAnomaly []float64
}

// Score returns the score of a label, or 0 when the classifier has no such
// class.
func (r *Result) Score(label string) float64 {
	for i, l := range r.Labels {
		if l == label {
			return r.Scores[i]
		}
	}
	return 0
}

// ScoresByLabel returns the scores as a map from label to score, or nil
// without a classifier. Classification itself builds no map; this is for
// callers that want one.
func (r *Result) ScoresByLabel() map[string]float64 {
	if r.Scores == nil {
		return nil
	}
	m := make(map[string]float64, len(r.Labels))
	for i, l := range r.Labels {
		m[l] = r.Scores[i]
	}
	return m
}

// networkResult returns the outcome of the i-th neural network learn block
// as Studio's per-window result: its scores by label, or {"value": v}.
func (r *Result) networkResult(m *Model, i int) map[string]float64 {
	k := m.keras[i]
	out := r.Scores
	if i > 0 {
		out = r.more[i-1]
	} else if k.regression {
		out = []float64{r.Value}
	}
	if k.regression {
		return map[string]float64{"value": out[0]}
	}
	s := make(map[string]float64, len(k.classes))
	for j, v := range out {
		s[k.classes[j]] = v
	}
	return s
}

// anomalyScore returns the score of the i-th anomaly learn block.
func (r *Result) anomalyScore(i int) float64 {
	if i > 0 {
		return r.moreAnomaly[i-1]
	}
	return r.Anomaly
}

// WindowResult is the outcome of one window of a sample.
type WindowResult struct {
	// Sample names the sample, SampleID is its ID in the dataset.
	Sample   string
	SampleID int
	// StartMs and EndMs delimit the window in the sample.
	StartMs, EndMs int
	// Expected is the window's label in the dataset ("" when unlabelled).
	Expected string
	Result
}

// MarshalJSON writes the window as the command's classify prints it:
// sample, startMs, endMs, classification (label → score), value, anomaly,
// result and timing.
func (w WindowResult) MarshalJSON() ([]byte, error) {
	class := w.ScoresByLabel()
	var value, anomaly *float64
	if w.HasValue {
		value = &w.Value
	}
	if w.HasAnomaly {
		anomaly = &w.Anomaly
	}
	return json.Marshal(struct {
		Sample         string             `json:"sample"`
		StartMs        int                `json:"startMs"`
		EndMs          int                `json:"endMs"`
		Classification map[string]float64 `json:"classification,omitempty"`
		Value          *float64           `json:"value,omitempty"`
		Anomaly        *float64           `json:"anomaly,omitempty"`
		Result         string             `json:"result"`
		Timing         Timing             `json:"timing"`
	}{w.Sample, w.StartMs, w.EndMs, class, value, anomaly, w.Label, w.Timing})
}

// Classifier classifies windows with a trained model: raw windows from a
// device (Classify), or the windows of samples (ClassifySample,
// ClassifyWindow). It holds the DSP blocks and scratch buffers, so it is not
// safe for concurrent use: make one per goroutine with Model.NewClassifier.
type Classifier struct {
	m      *Model
	proc   *Processor
	dspOff map[int][2]int // DSP block id → [start, end) in dsp
	dsp    []float64
	x      []float64
	out    []float64
	wins   []Window
}

// NewClassifier returns a Classifier for the model.
func (m *Model) NewClassifier() (*Classifier, error) {
	p, err := m.im.NewProcessor()
	if err != nil {
		return nil, err
	}
	return &Classifier{m: m, proc: p, dspOff: map[int][2]int{}}, nil
}

// WindowLen returns the number of values Classify takes: for a time-series
// impulse, round(windowSizeMs·frequencyHz/1000) values of each of the input
// block's axes, interleaved by value (x0, y0, z0, x1, …) in the input
// block's axes order; for an image impulse, the width × height pixels of
// the image as the input block resizes it.
func (c *Classifier) WindowLen() int { return c.proc.bufferLen() }

// Classify classifies one window of raw values (see WindowLen for their
// layout), as Edge Impulse's run_classifier does on a device: every
// processing block, every learn block, and the decided result. Time-series
// values must be on the impulse's sampling grid (frequencyHz); image values
// are packed 0xRRGGBB pixels, row by row. It stores the outcome in dst,
// reusing its slices, and allocates nothing once dst has been used.
func (c *Classifier) Classify(dst *Result, values []float64) error {
	if n := c.proc.bufferLen(); len(values) != n {
		return fmt.Errorf("impulse: a window of %d values, the impulse takes %d", len(values), n)
	}
	return c.classify(dst, func(id int) ([]float64, error) {
		return c.proc.appendBufferFeatures(c.dsp, values, id)
	}, "window")
}

// ClassifySample classifies every window of the sample, cut with the given
// stride (ClassificationWindows is how Studio's model testing and live
// classification cut long samples: continuous classification).
func (c *Classifier) ClassifySample(s *dataset.Sample, mode WindowMode) ([]WindowResult, error) {
	wins, err := c.proc.Windows(c.wins[:0], s, mode)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.Name, err)
	}
	c.wins = wins
	out := make([]WindowResult, 0, len(wins))
	for _, w := range wins {
		r, err := c.ClassifyWindow(s, w)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// ClassifyWindow classifies one window of a sample, a window Windows
// returned for it.
func (c *Classifier) ClassifyWindow(s *dataset.Sample, w Window) (WindowResult, error) {
	r := WindowResult{Sample: s.Name, SampleID: s.ID, StartMs: w.StartMs, EndMs: w.EndMs, Expected: w.Label}
	err := c.classify(&r.Result, func(id int) ([]float64, error) {
		return c.proc.AppendFeatures(c.dsp, s, w, id)
	}, fmt.Sprintf("%s at %d ms", s.Name, w.StartMs))
	return r, err
}

// classify runs every DSP block through features(id) (which appends block
// id's features to c.dsp), then every learn block, and decides the result.
func (c *Classifier) classify(r *Result, features func(id int) ([]float64, error), where string) error {
	m := c.m
	r.Scores, r.Labels = r.Scores[:0], nil
	r.more, r.moreAnomaly = r.more[:0], r.moreAnomaly[:0]
	r.HasValue, r.HasAnomaly, r.Label, r.Timing = false, false, "", Timing{}
	t0 := time.Now()
	// Each DSP block runs once per window, whichever learn blocks read it.
	c.dsp = c.dsp[:0]
	for _, b := range m.im.def.Impulse.DSPBlocks {
		start := len(c.dsp)
		var err error
		if c.dsp, err = features(b.ID); err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		c.dspOff[b.ID] = [2]int{start, len(c.dsp)}
	}
	r.Timing.DSPUs = time.Since(t0).Microseconds()
	learnFeatures := func(dspIDs []int) []float64 {
		c.x = c.x[:0]
		for _, id := range dspIDs {
			o := c.dspOff[id]
			c.x = append(c.x, c.dsp[o[0]:o[1]]...)
		}
		return c.x
	}
	// Every learn block runs, as on a device (and in the timing); the first
	// network and the first anomaly block decide the result.
	for i, k := range m.keras {
		t := time.Now()
		var err error
		c.out, err = k.predictor().Classify(c.out[:0], learnFeatures(k.block.DSP))
		if err != nil {
			return fmt.Errorf("%s: learn block %d: %w", where, k.block.ID, err)
		}
		r.Timing.ClassificationUs += time.Since(t).Microseconds()
		switch {
		case i > 0:
			r.more = appendReused(r.more, c.out)
		case k.regression:
			r.Value, r.HasValue = c.out[0], true
			r.Label = strconv.FormatFloat(c.out[0], 'g', 6, 64)
		default:
			r.Labels = k.classes
			r.Scores = append(r.Scores, c.out...)
			best := 0
			for j, v := range c.out {
				if v > c.out[best] {
					best = j
				}
			}
			r.Label = k.classes[best]
			if c.out[best] < k.threshold {
				r.Label = ResultUncertain
			}
		}
	}
	for i, a := range m.anomalies {
		t := time.Now()
		v := a.model.Score(learnFeatures(a.block.DSP))
		r.Timing.AnomalyUs += time.Since(t).Microseconds()
		if math.IsNaN(v) {
			return fmt.Errorf("%s: learn block %d: anomaly score is NaN", where, a.block.ID)
		}
		if i > 0 {
			r.moreAnomaly = append(r.moreAnomaly, v)
			continue
		}
		r.Anomaly, r.HasAnomaly = v, true
		if len(m.keras) == 0 {
			r.Label = ResultNoAnomaly
		}
		if v > a.model.Threshold() {
			r.Label = ResultAnomaly
		}
	}
	return nil
}

// appendReused appends a copy of v to s, reusing the slice s already holds
// at that position.
func appendReused(s [][]float64, v []float64) [][]float64 {
	if len(s) < cap(s) {
		s = s[:len(s)+1]
		s[len(s)-1] = append(s[len(s)-1][:0], v...)
		return s
	}
	return append(s, append([]float64(nil), v...))
}

// predictorOf returns the network of model type t (the block's selected
// type for the zero value).
func (k *kerasBlock) predictorOf(t ModelType) learn.Predictor {
	if t == 0 {
		t = k.variant
	}
	if t == Float32 || k.int8 == nil {
		return k.float
	}
	return k.int8
}
