package metrics

import (
	"fmt"
	"math"
	"slices"
)

// Result labels that model testing uses besides the model's classes.
const (
	// Uncertain is the result of a window whose top score is below the
	// minimum confidence rating.
	Uncertain = "uncertain"
	// Anomaly is the result of a window whose anomaly score is above the
	// anomaly threshold, and the expected label of anomalous test samples.
	Anomaly = "anomaly"
)

// TestSummary counts the outcome of model testing (learn-blocks.md §B.4):
// every window's expected label against the final result, which is one of the
// model's labels, [Uncertain] or, when the impulse has an anomaly block,
// [Anomaly]. A window is good when its result equals its expected label;
// uncertain windows are bad.
type TestSummary struct {
	// Labels are the model's classes.
	Labels []string
	// WithAnomaly reports whether the impulse has an anomaly block.
	WithAnomaly bool
	// Rows are the expected labels counted: Labels, then [Anomaly] when
	// WithAnomaly.
	Rows []string
	// Columns are the possible results: Rows, then [Uncertain].
	Columns []string
	// Counts holds len(Rows)×len(Columns) window counts, row-major:
	// Counts[i*len(Columns)+j] windows expected Rows[i] had result Columns[j].
	Counts []int
	// Ignored counts windows whose expected label is not in Rows; Studio
	// leaves them out of every figure.
	Ignored int
}

// NewTestSummary counts results against expected labels, window by window.
// It returns an error wrapping [ErrEmpty] (no labels or no windows),
// [ErrLength] (different lengths) or [ErrValue] (a result that is neither a
// label, [Uncertain] nor, with an anomaly block, [Anomaly]; or a label equal
// to one of those).
func NewTestSummary(labels []string, withAnomaly bool, expected, results []string) (*TestSummary, error) {
	if len(labels) == 0 {
		return nil, fmt.Errorf("metrics: NewTestSummary: labels: %w", ErrEmpty)
	}
	if len(expected) == 0 {
		return nil, fmt.Errorf("metrics: NewTestSummary: expected: %w", ErrEmpty)
	}
	if len(results) != len(expected) {
		return nil, fmt.Errorf("metrics: NewTestSummary: len(expected)=%d, len(results)=%d: %w", len(expected), len(results), ErrLength)
	}
	s := &TestSummary{Labels: slices.Clone(labels), WithAnomaly: withAnomaly}
	s.Rows = slices.Clone(labels)
	if withAnomaly {
		s.Rows = append(s.Rows, Anomaly)
	}
	s.Columns = append(slices.Clone(s.Rows), Uncertain)
	col := map[string]int{}
	for j, l := range s.Columns {
		if _, dup := col[l]; dup {
			return nil, fmt.Errorf("metrics: NewTestSummary: label %q repeated or reserved: %w", l, ErrValue)
		}
		col[l] = j
	}
	s.Counts = make([]int, len(s.Rows)*len(s.Columns))
	for k, e := range expected {
		j, ok := col[results[k]]
		if !ok {
			return nil, fmt.Errorf("metrics: NewTestSummary: results[%d]=%q is not a label, %q or %q: %w", k, results[k], Uncertain, Anomaly, ErrValue)
		}
		i, ok := col[e]
		if !ok || i >= len(s.Rows) {
			s.Ignored++
			continue
		}
		s.Counts[i*len(s.Columns)+j]++
	}
	return s, nil
}

// TestClass is the good/bad window count of one expected label.
type TestClass struct {
	Label     string
	Good, Bad int
}

// PerClass returns the good and bad counts of every row label.
func (s *TestSummary) PerClass() []TestClass {
	t := s.tally()
	out := make([]TestClass, len(s.Rows))
	for i, l := range s.Rows {
		good, total := t.row(i)
		out[i] = TestClass{Label: l, Good: good, Bad: total - good}
	}
	return out
}

func (s *TestSummary) tally() tally { return tally{s.Counts, len(s.Rows), len(s.Columns)} }

// Total returns the good and bad window counts over all rows.
func (s *TestSummary) Total() (good, bad int) {
	for _, c := range s.PerClass() {
		good += c.Good
		bad += c.Bad
	}
	return good, bad
}

// Accuracy returns good/(good+bad), or 0 when every window was ignored.
func (s *TestSummary) Accuracy() float64 { return s.tally().accuracy() }

// BalancedAccuracy returns the mean over expected labels that occur of the
// fraction of their windows that are good, as scikit-learn's
// balanced_accuracy_score of the expected labels against the results.
func (s *TestSummary) BalancedAccuracy() float64 { return s.tally().balancedAccuracy() }

// AnomalyAccuracy returns, with an anomaly block, the fraction of windows
// expected [Anomaly] that were flagged as anomalous (ok is false when there
// are none) — Studio's anomalyAccuracyScore.
func (s *TestSummary) AnomalyAccuracy() (acc float64, ok bool) {
	if !s.WithAnomaly {
		return 0, false
	}
	good, total := s.tally().row(len(s.Rows) - 1)
	if total == 0 {
		return 0, false
	}
	return float64(good) / float64(total), true
}

// NoAnomalyAccuracy returns, with an anomaly block, the fraction of windows
// expected to be one of the model's labels that were not flagged as
// anomalous (ok is false when there are none) — Studio's
// noAnomalyAccuracyScore.
func (s *TestSummary) NoAnomalyAccuracy() (acc float64, ok bool) {
	if !s.WithAnomaly {
		return 0, false
	}
	t := s.tally()
	a := len(s.Rows) - 1 // the anomaly column
	n, flagged := 0, 0
	for i := range s.Labels {
		_, total := t.row(i)
		n += total
		flagged += s.Counts[i*t.cols+a]
	}
	if n == 0 {
		return 0, false
	}
	return float64(n-flagged) / float64(n), true
}

// Studio returns the summary as the accuracy object of Studio's
// ClassifyJobResponse. allLabels lists Columns; confusionMatrixValues has
// one entry per row label with a count for every column.
func (s *TestSummary) Studio() TestAccuracy {
	g, b := s.Total()
	out := TestAccuracy{
		TotalSummary:          GoodBad{Good: g, Bad: b},
		SummaryPerClass:       map[string]GoodBad{},
		ConfusionMatrixValues: map[string]map[string]int{},
		AllLabels:             slices.Clone(s.Columns),
	}
	nc := len(s.Columns)
	for i, c := range s.PerClass() {
		out.SummaryPerClass[c.Label] = GoodBad{Good: c.Good, Bad: c.Bad}
		row := map[string]int{}
		for j, l := range s.Columns {
			row[l] = s.Counts[i*nc+j]
		}
		out.ConfusionMatrixValues[c.Label] = row
	}
	if g+b > 0 {
		out.AccuracyScore = ptr(s.Accuracy())
		out.BalancedAccuracyScore = ptr(s.BalancedAccuracy())
	}
	if v, ok := s.AnomalyAccuracy(); ok {
		out.AnomalyAccuracyScore = ptr(v)
	}
	if v, ok := s.NoAnomalyAccuracy(); ok {
		out.NoAnomalyAccuracyScore = ptr(v)
	}
	return out
}

func ptr[T any](v T) *T { return &v }

// AnomalyAUC returns the ROC AUC of anomaly scores against the expected
// outcome, with windows expected [Anomaly] as positives and every other label
// as normal: the "Area under ROC Curve" of an anomaly block in model testing.
// It returns an error wrapping [ErrUndefined] when all windows are of one
// kind, and [ErrEmpty], [ErrLength] or [ErrValue] (NaN/Inf) for bad input.
func AnomalyAUC(expected []string, scores []float64) (float64, error) {
	if len(expected) == 0 {
		return 0, fmt.Errorf("metrics: AnomalyAUC: %w", ErrEmpty)
	}
	if len(scores) != len(expected) {
		return 0, fmt.Errorf("metrics: AnomalyAUC: len(expected)=%d, len(scores)=%d: %w", len(expected), len(scores), ErrLength)
	}
	pos := make([]bool, len(expected))
	for i, e := range expected {
		pos[i] = e == Anomaly
		if math.IsNaN(scores[i]) || math.IsInf(scores[i], 0) {
			return 0, fmt.Errorf("metrics: AnomalyAUC: scores[%d]=%v: %w", i, scores[i], ErrValue)
		}
	}
	return rocAUC(pos, scores)
}
