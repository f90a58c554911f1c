package metrics

import (
	"encoding/json"
	"fmt"
	"math"
)

// Confusion is a dense confusion matrix over an ordered set of classes.
// Rows are the actual class and columns the predicted class, as
// scikit-learn's confusion_matrix and Studio's confusionMatrix.
type Confusion struct {
	// Labels names the classes; class i is Labels[i].
	Labels []string
	// Counts holds the len(Labels)² counts row-major:
	// Counts[i*len(Labels)+j] windows of actual class i were predicted as j.
	Counts []int
}

// NewConfusion counts actual against predicted class indices, which must lie
// in [0, len(labels)). It returns an error wrapping [ErrEmpty], [ErrLength] or
// [ErrValue] for empty inputs, mismatched lengths or out-of-range indices.
func NewConfusion(labels []string, actual, predicted []int) (*Confusion, error) {
	c := len(labels)
	if c == 0 {
		return nil, fmt.Errorf("metrics: NewConfusion: no labels: %w", ErrEmpty)
	}
	if err := checkClasses("actual", actual, c); err != nil {
		return nil, err
	}
	if len(predicted) != len(actual) {
		return nil, fmt.Errorf("metrics: NewConfusion: len(actual)=%d, len(predicted)=%d: %w", len(actual), len(predicted), ErrLength)
	}
	if err := checkClasses("predicted", predicted, c); err != nil {
		return nil, err
	}
	m := &Confusion{Labels: append([]string(nil), labels...), Counts: make([]int, c*c)}
	for k, a := range actual {
		m.Counts[a*c+predicted[k]]++
	}
	return m, nil
}

func checkClasses(name string, y []int, c int) error {
	if len(y) == 0 {
		return fmt.Errorf("metrics: %s: %w", name, ErrEmpty)
	}
	for i, v := range y {
		if v < 0 || v >= c {
			return fmt.Errorf("metrics: %s[%d]=%d outside [0,%d): %w", name, i, v, c, ErrValue)
		}
	}
	return nil
}

// At returns the number of windows of actual class i predicted as class j.
// It panics if i or j is out of range.
func (m *Confusion) At(i, j int) int {
	c := len(m.Labels)
	if i < 0 || i >= c || j < 0 || j >= c {
		panic("metrics: confusion index out of range")
	}
	return m.Counts[i*c+j]
}

// Total returns the number of windows counted.
func (m *Confusion) Total() int {
	n := 0
	for _, v := range m.Counts {
		n += v
	}
	return n
}

// Accuracy returns the fraction of windows on the diagonal, or 0 for an
// empty matrix.
func (m *Confusion) Accuracy() float64 { return m.tally().accuracy() }

// BalancedAccuracy returns the mean recall over the classes that occur as
// actual classes, as scikit-learn's balanced_accuracy_score.
func (m *Confusion) BalancedAccuracy() float64 { return m.tally().balancedAccuracy() }

func (m *Confusion) tally() tally { return tally{m.Counts, len(m.Labels), len(m.Labels)} }

// tally is a row-major matrix of window counts, rows × cols, with the
// expected class in rows and the result in columns, where row i's own
// class is column i: square for a [Confusion], with extra result columns
// for a [TestSummary]. A window in its row's own column is good.
type tally struct {
	counts     []int
	rows, cols int
}

// row returns the good and the total windows of row i.
func (t tally) row(i int) (good, total int) {
	for _, v := range t.counts[i*t.cols : (i+1)*t.cols] {
		total += v
	}
	return t.counts[i*t.cols+i], total
}

// col returns the windows with result j.
func (t tally) col(j int) int {
	n := 0
	for i := range t.rows {
		n += t.counts[i*t.cols+j]
	}
	return n
}

// accuracy returns the fraction of good windows, or 0 when there are none.
func (t tally) accuracy() float64 {
	good, total := 0, 0
	for i := range t.rows {
		g, n := t.row(i)
		good += g
		total += n
	}
	return ratio(float64(good), float64(total))
}

// balancedAccuracy returns the mean over the rows with windows of their
// fraction of good windows (the recall of their class).
func (t tally) balancedAccuracy() float64 {
	sum, rows := 0.0, 0
	for i := range t.rows {
		if g, n := t.row(i); n > 0 {
			sum += float64(g) / float64(n)
			rows++
		}
	}
	return ratio(sum, float64(rows))
}

// report returns the classification report of a square tally, over the
// classes that occur as an actual or a predicted class; class k is
// numbered ids[k] in the report, or k when ids is nil.
func (t tally) report(ids []int) ClassificationReport {
	r := ClassificationReport{Classes: make([]int, 0, t.rows), PerClass: make([]ClassScores, 0, t.rows)}
	good, n := 0, 0
	var macro, weighted [3]float64
	for k := range t.rows {
		tp, actual := t.row(k)
		predicted := t.col(k)
		good += tp
		n += actual
		if actual == 0 && predicted == 0 {
			continue
		}
		s := scores(tp, actual, predicted)
		id := k
		if ids != nil {
			id = ids[k]
		}
		r.Classes = append(r.Classes, id)
		r.PerClass = append(r.PerClass, s)
		w := float64(s.Support)
		macro[0] += s.Precision
		macro[1] += s.Recall
		macro[2] += s.F1
		weighted[0] += w * s.Precision
		weighted[1] += w * s.Recall
		weighted[2] += w * s.F1
	}
	c, fn := float64(len(r.Classes)), float64(n)
	r.Accuracy = ratio(float64(good), fn)
	r.MacroAvg = ClassScores{ratio(macro[0], c), ratio(macro[1], c), ratio(macro[2], c), n}
	r.WeightedAvg = ClassScores{ratio(weighted[0], fn), ratio(weighted[1], fn), ratio(weighted[2], fn), n}
	return r
}

// ClassScores holds the precision, recall, F1 score and support of one class
// or of an average, as one entry of scikit-learn's classification_report.
type ClassScores struct {
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1-score"`
	// Support is the number of windows whose actual class this is (for an
	// average: all windows).
	Support int `json:"support"`
}

// PerClass returns the scores of every class in label order. Undefined
// ratios (0/0) are 0, as scikit-learn's zero_division=0.
func (m *Confusion) PerClass() []ClassScores {
	t := m.tally()
	out := make([]ClassScores, t.rows)
	for k := range out {
		tp, actual := t.row(k)
		out[k] = scores(tp, actual, t.col(k))
	}
	return out
}

// scores follows scikit-learn 1.2's precision_recall_fscore_support with
// beta 1 and zero_division 0.
func scores(tp, actual, predicted int) ClassScores {
	p := ratio(float64(tp), float64(predicted))
	r := ratio(float64(tp), float64(actual))
	den := p + r
	if den == 0 {
		den = 1
	}
	return ClassScores{Precision: p, Recall: r, F1: 2 * p * r / den, Support: actual}
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// UnmarshalJSON reads scores whose support may be written as a float
// (scikit-learn writes 21.0 for averages in some cases).
func (s *ClassScores) UnmarshalJSON(b []byte) error {
	var v struct {
		Precision float64 `json:"precision"`
		Recall    float64 `json:"recall"`
		F1        float64 `json:"f1-score"`
		Support   float64 `json:"support"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	if v.Support < 0 || v.Support != math.Trunc(v.Support) || v.Support > math.MaxInt32 {
		return fmt.Errorf("metrics: support %v: %w", v.Support, ErrValue)
	}
	*s = ClassScores{v.Precision, v.Recall, v.F1, int(v.Support)}
	return nil
}
