package impulse

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/tinyimpulse/tinyimpulse/dataset"
	"github.com/tinyimpulse/tinyimpulse/studio"
)

// Results of a window besides the model's labels.
const (
	ResultUncertain = "uncertain"
	ResultAnomaly   = "anomaly"
	// ResultNoAnomaly is the result of a normal window of an impulse with
	// an anomaly block and no classifier.
	ResultNoAnomaly = "no anomaly"
)

// Timing is the time spent on one window, as Edge Impulse's runners report
// it.
type Timing struct {
	DSPUs            int64 `json:"dspUs"`
	ClassificationUs int64 `json:"classificationUs"`
	AnomalyUs        int64 `json:"anomalyUs"`
}

// WindowResult is the outcome of one window: the classifier's scores, or a
// regression's value, the anomaly score, and the final result.
type WindowResult struct {
	// Sample names the sample, SampleID is its ID in the dataset.
	Sample   string `json:"sample"`
	SampleID int    `json:"-"`
	// StartMs and EndMs delimit the window in the sample.
	StartMs int `json:"startMs"`
	EndMs   int `json:"endMs"`
	// Expected is the window's label in the dataset ("" when unlabelled).
	Expected string `json:"-"`
	// Classification holds the score of every label (classifier).
	Classification map[string]float64 `json:"classification,omitempty"`
	// Value is a regression model's output.
	Value *float64 `json:"value,omitempty"`
	// Anomaly is the anomaly block's score.
	Anomaly *float64 `json:"anomaly,omitempty"`
	// Result is the top label, ResultUncertain when its score is below the
	// classifier's min_score threshold, or ResultAnomaly when the anomaly
	// score is above the anomaly threshold; a regression's value otherwise.
	Result string `json:"result"`
	Timing Timing `json:"timing"`

	// The outputs of the learn blocks after the first of each kind, which
	// do not decide Result but which Studio's model testing lists per block
	// (TestReport.Response): every further neural network's scores (or
	// {"value": v}) and every further anomaly block's score.
	moreScores  []map[string]float64
	moreAnomaly []float64
}

// networkResult returns the outcome of the i-th neural network learn block
// as Studio's per-window result: its scores, or {"value": v}.
func (r *WindowResult) networkResult(i int) map[string]float64 {
	switch {
	case i > 0:
		return r.moreScores[i-1]
	case r.Value != nil:
		return map[string]float64{"value": *r.Value}
	}
	return r.Classification
}

// anomalyScore returns the score of the i-th anomaly learn block.
func (r *WindowResult) anomalyScore(i int) float64 {
	if i > 0 {
		return r.moreAnomaly[i-1]
	}
	return *r.Anomaly
}

// Classifier classifies the windows of samples with a trained model. It
// holds the DSP blocks and scratch buffers, so it is not safe for
// concurrent use: make one per goroutine with Model.NewClassifier.
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

// Classify classifies every window of the sample, cut with the given stride
// (ClassificationWindows is how Studio's model testing and live
// classification cut long samples: continuous classification).
func (c *Classifier) Classify(s *dataset.Sample, mode WindowMode) ([]WindowResult, error) {
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

// ClassifyWindow classifies one window of a sample.
func (c *Classifier) ClassifyWindow(s *dataset.Sample, w Window) (WindowResult, error) {
	r := WindowResult{Sample: s.Name, SampleID: s.ID, StartMs: w.StartMs, EndMs: w.EndMs, Expected: w.Label}
	t0 := time.Now()
	// Each DSP block runs once per window, whichever learn blocks read it.
	c.dsp = c.dsp[:0]
	for _, b := range c.m.im.def.Impulse.DSPBlocks {
		start := len(c.dsp)
		var err error
		if c.dsp, err = c.proc.AppendFeatures(c.dsp, s, w, b.ID); err != nil {
			return r, fmt.Errorf("%s at %d ms: %w", s.Name, w.StartMs, err)
		}
		c.dspOff[b.ID] = [2]int{start, len(c.dsp)}
	}
	r.Timing.DSPUs = time.Since(t0).Microseconds()
	learnFeatures := func(lb studio.LearnBlock) []float64 {
		c.x = c.x[:0]
		for _, id := range lb.DSP {
			o := c.dspOff[id]
			c.x = append(c.x, c.dsp[o[0]:o[1]]...)
		}
		return c.x
	}
	// Every learn block runs, as on a device (and in the timing); the first
	// network and the first anomaly block decide the result.
	for i, k := range c.m.keras {
		t := time.Now()
		var err error
		c.out, err = k.predictor().Classify(c.out[:0], learnFeatures(k.block))
		if err != nil {
			return r, fmt.Errorf("%s at %d ms: learn block %d: %w", s.Name, w.StartMs, k.block.ID, err)
		}
		r.Timing.ClassificationUs += time.Since(t).Microseconds()
		switch {
		case i > 0 && k.regression:
			r.moreScores = append(r.moreScores, map[string]float64{"value": c.out[0]})
		case i > 0:
			r.moreScores = append(r.moreScores, k.scores(c.out))
		case k.regression:
			v := c.out[0]
			r.Value = &v
			r.Result = strconv.FormatFloat(v, 'g', 6, 64)
		default:
			r.Classification = k.scores(c.out)
			best := 0
			for j, v := range c.out {
				if v > c.out[best] {
					best = j
				}
			}
			r.Result = k.classes[best]
			if c.out[best] < k.threshold {
				r.Result = ResultUncertain
			}
		}
	}
	for i, a := range c.m.anomalies {
		t := time.Now()
		v := a.model.Score(learnFeatures(a.block))
		r.Timing.AnomalyUs += time.Since(t).Microseconds()
		if math.IsNaN(v) {
			return r, fmt.Errorf("%s at %d ms: learn block %d: anomaly score is NaN", s.Name, w.StartMs, a.block.ID)
		}
		if i > 0 {
			r.moreAnomaly = append(r.moreAnomaly, v)
			continue
		}
		r.Anomaly = &v
		if len(c.m.keras) == 0 {
			r.Result = ResultNoAnomaly
		}
		if v > a.model.Threshold() {
			r.Result = ResultAnomaly
		}
	}
	return r, nil
}

// scores maps a classifier's outputs to its classes.
func (k *kerasBlock) scores(out []float64) map[string]float64 {
	m := make(map[string]float64, len(k.classes))
	for j, v := range out {
		m[k.classes[j]] = v
	}
	return m
}
