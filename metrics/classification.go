package metrics

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strconv"

	"gonum.org/v1/gonum/mat"
)

// ClassificationReport is scikit-learn's classification_report(output_dict=True,
// zero_division=0) of integer class indices. It marshals to JSON with the same
// keys in the same order as the Python dictionary: one key per class that
// occurs in the actual or predicted indices ("0", "1", … ascending), then
// "accuracy", "macro avg" and "weighted avg". The zero value marshals to {}
// (Studio's report of a regression model).
type ClassificationReport struct {
	// Classes lists the class indices that occur, ascending.
	Classes []int
	// PerClass holds the scores of Classes[i] at index i.
	PerClass []ClassScores
	// Accuracy is the fraction of correct predictions.
	Accuracy float64
	// MacroAvg averages PerClass without weights; WeightedAvg weights each
	// class by its support. Both carry the total support.
	MacroAvg, WeightedAvg ClassScores
}

// NewClassificationReport returns the report of predicted against actual
// class indices (any non-negative integers). It returns an error wrapping
// [ErrEmpty], [ErrLength] or [ErrValue].
func NewClassificationReport(actual, predicted []int) (ClassificationReport, error) {
	var r ClassificationReport
	if len(actual) == 0 {
		return r, fmt.Errorf("metrics: NewClassificationReport: actual: %w", ErrEmpty)
	}
	if len(predicted) != len(actual) {
		return r, fmt.Errorf("metrics: NewClassificationReport: len(actual)=%d, len(predicted)=%d: %w", len(actual), len(predicted), ErrLength)
	}
	index := map[int]int{} // class → its position in r.Classes
	for _, y := range [2][]int{actual, predicted} {
		for i, v := range y {
			if v < 0 {
				return r, fmt.Errorf("metrics: NewClassificationReport: class index [%d]=%d: %w", i, v, ErrValue)
			}
			index[v] = 0
		}
	}
	classes := slices.Sorted(maps.Keys(index))
	for i, v := range classes {
		index[v] = i
	}
	c := len(classes)
	t := tally{counts: make([]int, c*c), rows: c, cols: c}
	for k, a := range actual {
		t.counts[index[a]*c+index[predicted[k]]]++
	}
	return t.report(classes), nil
}

// MarshalJSON writes the report as scikit-learn's dictionary.
func (r ClassificationReport) MarshalJSON() ([]byte, error) {
	if len(r.Classes) == 0 {
		return []byte("{}"), nil
	}
	var b bytes.Buffer
	b.WriteByte('{')
	put := func(key string, v any) error {
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Quote(key))
		b.WriteByte(':')
		j, err := json.Marshal(v)
		b.Write(j)
		return err
	}
	for i, c := range r.Classes {
		if err := put(strconv.Itoa(c), r.PerClass[i]); err != nil {
			return nil, err
		}
	}
	for _, kv := range []struct {
		k string
		v any
	}{{"accuracy", r.Accuracy}, {"macro avg", r.MacroAvg}, {"weighted avg", r.WeightedAvg}} {
		if err := put(kv.k, kv.v); err != nil {
			return nil, err
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads a report written by MarshalJSON or by Python's json
// module from scikit-learn's dictionary.
func (r *ClassificationReport) UnmarshalJSON(data []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return err
	}
	*r = ClassificationReport{}
	if len(m) == 0 {
		return nil
	}
	for k, v := range m {
		var err error
		switch k {
		case "accuracy":
			err = json.Unmarshal(v, &r.Accuracy)
		case "macro avg":
			err = json.Unmarshal(v, &r.MacroAvg)
		case "weighted avg":
			err = json.Unmarshal(v, &r.WeightedAvg)
		default:
			c, cerr := strconv.Atoi(k)
			if cerr != nil || c < 0 || strconv.Itoa(c) != k { // "1", not "01" or "+1"
				return fmt.Errorf("metrics: classification report key %q: %w", k, ErrValue)
			}
			r.Classes = append(r.Classes, c)
		}
		if err != nil {
			return fmt.Errorf("metrics: classification report %q: %w", k, err)
		}
	}
	sort.Ints(r.Classes)
	r.PerClass = make([]ClassScores, len(r.Classes))
	for i, c := range r.Classes {
		if err := json.Unmarshal(m[strconv.Itoa(c)], &r.PerClass[i]); err != nil {
			return fmt.Errorf("metrics: classification report %q: %w", strconv.Itoa(c), err)
		}
	}
	return nil
}

// checkScores validates an n×c score matrix and returns it renormalised so
// that every row sums to one, the first step of Studio's metrics.
func checkScores(name string, scores mat.Matrix, n, c int) (*mat.Dense, error) {
	if scores == nil {
		return nil, fmt.Errorf("metrics: %s: nil matrix: %w", name, ErrEmpty)
	}
	r, cc := scores.Dims()
	if r != n || cc != c {
		return nil, fmt.Errorf("metrics: %s is %d×%d, want %d×%d: %w", name, r, cc, n, c, ErrLength)
	}
	out := mat.NewDense(n, c, nil)
	for i := 0; i < n; i++ {
		sum := 0.0
		for j := 0; j < c; j++ {
			v := scores.At(i, j)
			if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
				return nil, fmt.Errorf("metrics: %s[%d][%d]=%v: %w", name, i, j, v, ErrValue)
			}
			sum += v
		}
		if sum == 0 {
			return nil, fmt.Errorf("metrics: %s row %d sums to 0: %w", name, i, ErrValue)
		}
		for j := 0; j < c; j++ {
			out.Set(i, j, scores.At(i, j)/sum)
		}
	}
	return out, nil
}

// Argmax returns the index of the largest value of every row of scores, the
// first one on ties (as numpy.argmax). It appends to dst and returns it.
func Argmax(dst []int, scores mat.Matrix) []int {
	r, c := scores.Dims()
	for i := 0; i < r; i++ {
		best := 0
		for j := 1; j < c; j++ {
			if scores.At(i, j) > scores.At(i, best) {
				best = j
			}
		}
		dst = append(dst, best)
	}
	return dst
}

// LogLoss returns scikit-learn 1.2's log_loss(actual, probs, labels=[0..C-1])
// for an n×C matrix of class probabilities: every probability is clipped to
// [ε, 1−ε] with ε the float64 machine epsilon, rows are renormalised, and the
// loss is the mean over rows of −ln p[actual]. C must be at least 2.
func LogLoss(actual []int, probs mat.Matrix) (float64, error) {
	if probs == nil {
		return 0, fmt.Errorf("metrics: LogLoss: probs: %w", ErrEmpty)
	}
	_, c := probs.Dims()
	if c < 2 {
		return 0, fmt.Errorf("metrics: LogLoss: %d class(es), need at least 2: %w", c, ErrUndefined)
	}
	if err := checkClasses("actual", actual, c); err != nil {
		return 0, err
	}
	p, err := checkScores("probs", probs, len(actual), c)
	if err != nil {
		return 0, err
	}
	return logLoss(actual, p), nil
}

func logLoss(actual []int, p *mat.Dense) float64 {
	const eps = 0x1p-52
	_, c := p.Dims()
	row := make([]float64, c)
	loss := 0.0
	for i, a := range actual {
		sum := 0.0
		for j := range row {
			row[j] = math.Min(math.Max(p.At(i, j), eps), 1-eps)
			sum += row[j]
		}
		loss += -math.Log(row[a] / sum)
	}
	return loss / float64(len(actual))
}

// ROCAUC returns the area under the ROC curve of scores for the binary
// outcome positive, as scikit-learn's roc_auc_score: the probability that a
// random positive scores higher than a random negative, ties counting one
// half. It returns an error wrapping [ErrUndefined] when only one outcome
// occurs, and [ErrEmpty], [ErrLength] or [ErrValue] (NaN/Inf scores) for bad
// input.
func ROCAUC(positive []bool, scores []float64) (float64, error) {
	if len(positive) == 0 {
		return 0, fmt.Errorf("metrics: ROCAUC: %w", ErrEmpty)
	}
	if len(scores) != len(positive) {
		return 0, fmt.Errorf("metrics: ROCAUC: len(positive)=%d, len(scores)=%d: %w", len(positive), len(scores), ErrLength)
	}
	for i, s := range scores {
		if math.IsNaN(s) || math.IsInf(s, 0) {
			return 0, fmt.Errorf("metrics: ROCAUC: scores[%d]=%v: %w", i, s, ErrValue)
		}
	}
	return rocAUC(positive, scores)
}

func rocAUC(positive []bool, scores []float64) (float64, error) {
	type obs struct {
		score float64
		pos   bool
	}
	o := make([]obs, len(scores))
	for i, s := range scores {
		o[i] = obs{s, positive[i]}
	}
	slices.SortFunc(o, func(a, b obs) int { return cmp.Compare(a.score, b.score) })
	// Mann–Whitney U with mid-ranks for tied scores.
	var np, nn, rankSum float64
	for i := 0; i < len(o); {
		j := i
		for j < len(o) && o[j].score == o[i].score {
			j++
		}
		mid := float64(i+j+1) / 2 // mean of ranks i+1 … j
		for k := i; k < j; k++ {
			if o[k].pos {
				rankSum += mid
				np++
			}
		}
		i = j
	}
	nn = float64(len(o)) - np
	if np == 0 || nn == 0 {
		return 0, fmt.Errorf("metrics: ROC AUC with only one class present: %w", ErrUndefined)
	}
	return (rankSum - np*(np+1)/2) / (np * nn), nil
}

// OneVsRestAUC returns scikit-learn's roc_auc_score(actual, probs,
// multi_class="ovr"): the unweighted mean over classes of the ROC AUC of
// column k against "actual is k". Rows of probs are renormalised first. Like
// scikit-learn it returns an error wrapping [ErrUndefined] unless every
// class of the C columns occurs in actual.
func OneVsRestAUC(actual []int, probs mat.Matrix) (float64, error) {
	if probs == nil {
		return 0, fmt.Errorf("metrics: OneVsRestAUC: probs: %w", ErrEmpty)
	}
	_, c := probs.Dims()
	if err := checkClasses("actual", actual, c); err != nil {
		return 0, err
	}
	p, err := checkScores("probs", probs, len(actual), c)
	if err != nil {
		return 0, err
	}
	return ovrAUC(actual, p)
}

func ovrAUC(actual []int, p *mat.Dense) (float64, error) {
	_, c := p.Dims()
	pos := make([]bool, len(actual))
	col := make([]float64, len(actual))
	sum := 0.0
	for k := 0; k < c; k++ {
		for i, a := range actual {
			pos[i] = a == k
		}
		mat.Col(col, k, p)
		auc, err := rocAUC(pos, col)
		if err != nil {
			return 0, fmt.Errorf("metrics: one-vs-rest AUC: class %d absent or alone: %w", k, ErrUndefined)
		}
		sum += auc
	}
	return sum / float64(c), nil
}

// Classification holds the validation metrics Studio computes for a
// classifier (learn-blocks.md §B.1).
type Classification struct {
	// Confusion counts actual against argmax-predicted classes over all
	// classes, with no "uncertain" column.
	Confusion *Confusion
	// Predicted is the argmax class of every window.
	Predicted []int
	// Report is scikit-learn's classification report.
	Report ClassificationReport
	// Loss is scikit-learn's log loss with labels 0…C−1 (not Keras' val_loss).
	Loss float64
	// ROCAUC is roc_auc_score of the hard predictions for two classes and
	// the one-vs-rest macro average of the probabilities for more; it is
	// valid only when HasROCAUC is true (Studio reports null otherwise).
	ROCAUC    float64
	HasROCAUC bool
}

// EvaluateClassification computes Studio's validation metrics of a
// classifier from the actual class index of every window and the n×C matrix
// of its output scores (one row per window, one column per label; rows are
// renormalised to sum to one). It needs at least two labels.
// It returns an error wrapping [ErrEmpty], [ErrLength] or [ErrValue] for bad
// input (NaN or negative scores, a zero row, an index outside [0, C)).
func EvaluateClassification(labels []string, actual []int, scores mat.Matrix) (*Classification, error) {
	c := len(labels)
	if c < 2 {
		return nil, fmt.Errorf("metrics: EvaluateClassification: %d label(s), need at least 2: %w", c, ErrValue)
	}
	if err := checkClasses("actual", actual, c); err != nil {
		return nil, err
	}
	p, err := checkScores("scores", scores, len(actual), c)
	if err != nil {
		return nil, err
	}
	out := &Classification{Predicted: Argmax(nil, p)}
	if out.Confusion, err = NewConfusion(labels, actual, out.Predicted); err != nil {
		return nil, err
	}
	out.Report = out.Confusion.tally().report(nil)
	out.Loss = logLoss(actual, p)
	if c == 2 {
		pos := make([]bool, len(actual))
		hard := make([]float64, len(actual))
		for i, a := range actual {
			pos[i] = a == 1
			hard[i] = float64(out.Predicted[i])
		}
		out.ROCAUC, err = rocAUC(pos, hard)
	} else {
		out.ROCAUC, err = ovrAUC(actual, p)
	}
	out.HasROCAUC = err == nil
	return out, nil
}

// AdditionalMetrics returns Studio's additionalMetrics entries for the
// classifier: "Area under ROC Curve" (left out when undefined),
// "Weighted average Precision", "Weighted average Recall" and
// "Weighted average F1 score".
func (c *Classification) AdditionalMetrics() []AdditionalMetric {
	var out []AdditionalMetric
	if c.HasROCAUC {
		out = append(out, NewAdditionalMetric(MetricROCAUC, c.ROCAUC))
	}
	w := c.Report.WeightedAvg
	return append(out,
		NewAdditionalMetric(MetricWeightedPrecision, w.Precision),
		NewAdditionalMetric(MetricWeightedRecall, w.Recall),
		NewAdditionalMetric(MetricWeightedF1, w.F1))
}
