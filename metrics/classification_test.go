package metrics

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// sklearnCases is testdata/metrics/sklearn_cases.json, written by
// sklearn_cases.py with scikit-learn 1.2.1.
type sklearnCases struct {
	Classification []struct {
		Name            string
		Labels          []string
		Actual          []int
		Scores          [][]float64
		Predicted       []int
		ConfusionMatrix [][]int `json:"confusion_matrix"`
		Report          json.RawMessage
		Loss            *float64
		ROCAUC          *float64 `json:"roc_auc"`
	}
	Regression []struct {
		Name              string
		Actual, Predicted []float64
		MSE, MAE          float64
		ExplainedVariance float64 `json:"explained_variance"`
	}
	Testing []struct {
		Name              string
		Labels            []string
		Expected, Results []string
		Accuracy          float64
		BalancedAccuracy  float64 `json:"balanced_accuracy"`
	}
	Anomaly []struct {
		Name     string
		Expected []string
		Scores   []float64
		ROCAUC   *float64 `json:"roc_auc"`
	}
}

func loadSklearn(t *testing.T) sklearnCases {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "metrics", "sklearn_cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var c sklearnCases
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func dense(rows [][]float64) *mat.Dense {
	m := mat.NewDense(len(rows), len(rows[0]), nil)
	for i, r := range rows {
		m.SetRow(i, r)
	}
	return m
}

const tol = 1e-12

func close(a, b float64) bool { return math.Abs(a-b) <= tol*math.Max(1, math.Abs(b)) }

func sameScores(t *testing.T, name string, got, want ClassScores) {
	t.Helper()
	if !close(got.Precision, want.Precision) || !close(got.Recall, want.Recall) || !close(got.F1, want.F1) || got.Support != want.Support {
		t.Errorf("%s: got %+v, want %+v", name, got, want)
	}
}

func TestClassificationAgainstSklearn(t *testing.T) {
	for _, c := range loadSklearn(t).Classification {
		t.Run(c.Name, func(t *testing.T) {
			got, err := EvaluateClassification(c.Labels, c.Actual, dense(c.Scores))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.Predicted, c.Predicted) {
				t.Errorf("argmax: got %v, want %v", got.Predicted, c.Predicted)
			}
			for i := range c.Labels {
				for j := range c.Labels {
					if got.Confusion.At(i, j) != c.ConfusionMatrix[i][j] {
						t.Fatalf("confusion[%d][%d] = %d, want %d", i, j, got.Confusion.At(i, j), c.ConfusionMatrix[i][j])
					}
				}
			}
			var want ClassificationReport
			if err := json.Unmarshal(c.Report, &want); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.Report.Classes, want.Classes) {
				t.Fatalf("report classes %v, want %v", got.Report.Classes, want.Classes)
			}
			for i := range want.Classes {
				sameScores(t, c.Labels[want.Classes[i]], got.Report.PerClass[i], want.PerClass[i])
			}
			sameScores(t, "macro avg", got.Report.MacroAvg, want.MacroAvg)
			sameScores(t, "weighted avg", got.Report.WeightedAvg, want.WeightedAvg)
			if !close(got.Report.Accuracy, want.Accuracy) || !close(got.Confusion.Accuracy(), want.Accuracy) {
				t.Errorf("accuracy %v / %v, want %v", got.Report.Accuracy, got.Confusion.Accuracy(), want.Accuracy)
			}
			if c.Loss == nil || !close(got.Loss, *c.Loss) {
				t.Errorf("loss %v, want %v", got.Loss, c.Loss)
			}
			switch {
			case c.ROCAUC == nil && got.HasROCAUC:
				t.Errorf("ROC AUC %v, scikit-learn refuses", got.ROCAUC)
			case c.ROCAUC != nil && (!got.HasROCAUC || !close(got.ROCAUC, *c.ROCAUC)):
				t.Errorf("ROC AUC %v (%v), want %v", got.ROCAUC, got.HasROCAUC, *c.ROCAUC)
			}
			// The report written as JSON has scikit-learn's keys, in order.
			b, err := json.Marshal(got.Report)
			if err != nil {
				t.Fatal(err)
			}
			var back ClassificationReport
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(back.Classes, want.Classes) || !close(back.WeightedAvg.F1, want.WeightedAvg.F1) {
				t.Errorf("report does not round-trip: %s", b)
			}
			if keys := jsonKeys(t, b); !slices.Equal(keys, jsonKeys(t, c.Report)) {
				t.Errorf("report keys %v, want %v", keys, jsonKeys(t, c.Report))
			}
		})
	}
}

// jsonKeys returns the top-level keys of a JSON object in document order.
func jsonKeys(t *testing.T, b []byte) []string {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(b))
	if _, err := d.Token(); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for d.More() {
		k, err := d.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k.(string))
		var skip json.RawMessage
		if err := d.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

func TestRegressionAgainstSklearn(t *testing.T) {
	for _, c := range loadSklearn(t).Regression {
		got, err := EvaluateRegression(c.Actual, c.Predicted)
		if err != nil {
			t.Fatal(err)
		}
		if !close(got.MSE, c.MSE) || !close(got.MAE, c.MAE) || !close(got.ExplainedVariance, c.ExplainedVariance) {
			t.Errorf("%s: got %+v, want mse %v mae %v ev %v", c.Name, got, c.MSE, c.MAE, c.ExplainedVariance)
		}
	}
}

func TestTestSummaryAgainstSklearn(t *testing.T) {
	for _, c := range loadSklearn(t).Testing {
		withAnomaly := slices.Contains(c.Expected, Anomaly) || slices.Contains(c.Results, Anomaly)
		s, err := NewTestSummary(c.Labels, withAnomaly, c.Expected, c.Results)
		if err != nil {
			t.Fatal(err)
		}
		if !close(s.Accuracy(), c.Accuracy) || !close(s.BalancedAccuracy(), c.BalancedAccuracy) {
			t.Errorf("%s: accuracy %v balanced %v, want %v %v", c.Name, s.Accuracy(), s.BalancedAccuracy(), c.Accuracy, c.BalancedAccuracy)
		}
	}
}

func TestAnomalyAUCAgainstSklearn(t *testing.T) {
	for _, c := range loadSklearn(t).Anomaly {
		got, err := AnomalyAUC(c.Expected, c.Scores)
		switch {
		case c.ROCAUC == nil:
			if !errors.Is(err, ErrUndefined) {
				t.Errorf("%s: got %v, %v; want ErrUndefined", c.Name, got, err)
			}
		case err != nil || !close(got, *c.ROCAUC):
			t.Errorf("%s: got %v, %v; want %v", c.Name, got, err, *c.ROCAUC)
		}
	}
}

// TestTestSummaryHandCounted checks the summary's counts and Studio JSON
// against a hand-counted case.
func TestTestSummaryHandCounted(t *testing.T) {
	s, err := NewTestSummary([]string{"idle", "wave"}, true,
		[]string{"idle", "idle", "idle", "wave", "wave", "anomaly", "anomaly", "other"},
		[]string{"idle", "uncertain", "anomaly", "wave", "idle", "anomaly", "wave", "idle"})
	if err != nil {
		t.Fatal(err)
	}
	j := s.Studio()
	if j.TotalSummary != (GoodBad{Good: 3, Bad: 4}) || s.Ignored != 1 {
		t.Errorf("total %+v ignored %d, want 3/4, 1", j.TotalSummary, s.Ignored)
	}
	if j.SummaryPerClass["idle"] != (GoodBad{1, 2}) || j.SummaryPerClass["anomaly"] != (GoodBad{1, 1}) {
		t.Errorf("per class %+v", j.SummaryPerClass)
	}
	if j.ConfusionMatrixValues["idle"]["uncertain"] != 1 || j.ConfusionMatrixValues["anomaly"]["wave"] != 1 {
		t.Errorf("matrix %+v", j.ConfusionMatrixValues)
	}
	if !slices.Equal(j.AllLabels, []string{"idle", "wave", "anomaly", "uncertain"}) {
		t.Errorf("allLabels %v", j.AllLabels)
	}
	// Anomalies detected: 1 of 2; normal windows not flagged: 4 of 5.
	if *j.AnomalyAccuracyScore != 0.5 || *j.NoAnomalyAccuracyScore != 0.8 {
		t.Errorf("anomaly scores %v %v", *j.AnomalyAccuracyScore, *j.NoAnomalyAccuracyScore)
	}
	// Balanced: (1/3 + 1/2 + 1/2) / 3.
	if want := (1.0/3 + 0.5 + 0.5) / 3; !close(*j.BalancedAccuracyScore, want) {
		t.Errorf("balanced %v, want %v", *j.BalancedAccuracyScore, want)
	}
}

func TestBadInputErrors(t *testing.T) {
	nan := math.NaN()
	two := []string{"a", "b"}
	cases := []struct {
		name string
		err  error
		want error
	}{
		{"confusion empty", err2(NewConfusion(two, nil, nil)), ErrEmpty},
		{"confusion length", err2(NewConfusion(two, []int{0, 1}, []int{0})), ErrLength},
		{"confusion range", err2(NewConfusion(two, []int{0, 2}, []int{0, 1})), ErrValue},
		{"report negative", err2(NewClassificationReport([]int{-1}, []int{0})), ErrValue},
		{"eval one label", err2(EvaluateClassification([]string{"a"}, []int{0}, mat.NewDense(1, 1, []float64{1}))), ErrValue},
		{"eval NaN", err2(EvaluateClassification(two, []int{0, 1}, mat.NewDense(2, 2, []float64{nan, 1, 0, 1}))), ErrValue},
		{"eval shape", err2(EvaluateClassification(two, []int{0, 1}, mat.NewDense(1, 2, []float64{1, 0}))), ErrLength},
		{"eval zero row", err2(EvaluateClassification(two, []int{0, 1}, mat.NewDense(2, 2, []float64{0, 0, 0, 1}))), ErrValue},
		{"eval nil", err2(EvaluateClassification(two, []int{0, 1}, nil)), ErrEmpty},
		{"logloss one class", err2(LogLoss([]int{0}, mat.NewDense(1, 1, []float64{1}))), ErrUndefined},
		{"auc NaN", err2(ROCAUC([]bool{true, false}, []float64{nan, 1})), ErrValue},
		{"auc one class", err2(ROCAUC([]bool{true, true}, []float64{0, 1})), ErrUndefined},
		{"auc length", err2(ROCAUC([]bool{true}, []float64{0, 1})), ErrLength},
		{"ovr missing class", err2(OneVsRestAUC([]int{0, 1}, mat.NewDense(2, 3, []float64{1, 0, 0, 0, 1, 0}))), ErrUndefined},
		{"regression Inf", err2(EvaluateRegression([]float64{1, math.Inf(1)}, []float64{1, 2})), ErrValue},
		{"regression empty", err2(EvaluateRegression(nil, nil)), ErrEmpty},
		{"testing result", err2(NewTestSummary(two, false, []string{"a"}, []string{"anomaly"})), ErrValue},
		{"testing reserved label", err2(NewTestSummary([]string{"uncertain"}, false, []string{"a"}, []string{"uncertain"})), ErrValue},
		{"anomaly AUC NaN", err2(AnomalyAUC([]string{"anomaly", "x"}, []float64{1, nan})), ErrValue},
		{"anomaly metrics NaN threshold", err2(AnomalyMetrics([]string{"anomaly", "x"}, []float64{1, 0}, nan)), ErrValue},
		{"saved confusion negative", err2(ModelMetrics{ConfusionMatrix: [][]float64{{1, -1}, {0, 2}}}.Classification(two)), ErrValue},
		{"saved confusion fraction", err2(ModelMetrics{ConfusionMatrix: [][]float64{{1, 0.5}, {0, 2}}}.Classification(two)), ErrValue},
		{"saved confusion NaN", err2(ModelMetrics{ConfusionMatrix: [][]float64{{1, 0}, {nan, 2}}}.Classification(two)), ErrValue},
		{"saved confusion huge", err2(ModelMetrics{ConfusionMatrix: [][]float64{{1e300, 0}, {0, 2}}}.Classification(two)), ErrValue},
		{"report key 01", json.Unmarshal([]byte(`{"1":{"support":1},"01":{"support":2}}`), new(ClassificationReport)), ErrValue},
		{"report key +1", json.Unmarshal([]byte(`{"+1":{"support":1}}`), new(ClassificationReport)), ErrValue},
	}
	for _, c := range cases {
		if !errors.Is(c.err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, c.err, c.want)
		}
	}
}

func err2[T any](_ T, err error) error { return err }

func TestAdditionalMetrics(t *testing.T) {
	c, err := EvaluateClassification([]string{"a", "b", "c"}, []int{0, 1, 2, 2},
		mat.NewDense(4, 3, []float64{.8, .1, .1, .2, .7, .1, .1, .2, .7, .6, .2, .2}))
	if err != nil {
		t.Fatal(err)
	}
	m := c.AdditionalMetrics()
	names := []string{MetricROCAUC, MetricWeightedPrecision, MetricWeightedRecall, MetricWeightedF1}
	if len(m) != 4 {
		t.Fatalf("got %d metrics", len(m))
	}
	// Hand-derived: predictions 0,1,2,0 ⇒ recall a 1, b 1, c 1/2; precision
	// a 1/2, b 1, c 1; weighted (by support 1,1,2) precision 0.875, recall
	// 0.75; F1 a 2/3, b 1, c 2/3 ⇒ weighted 0.75. One-vs-rest ROC AUC: in
	// every column each window of the class scores above every other
	// window (a: .8 > .6,.2,.1; b: .7 > .2,.2,.1; c: .7,.2 > .1,.1) ⇒ 1.
	want := []float64{1, 0.875, 0.75, 0.75}
	for i, a := range m {
		if a.Name != names[i] {
			t.Errorf("metric %d named %q, want %q", i, a.Name, names[i])
		}
		if !close(a.FullPrecisionValue, want[i]) {
			t.Errorf("%s = %v, want %v", a.Name, a.FullPrecisionValue, want[i])
		}
	}
	if m[1].Value != "0.88" || m[2].Value != "0.75" {
		t.Errorf("formatted values %q %q", m[1].Value, m[2].Value)
	}
}

// TestClassificationReportSparse checks a report of class indices that are
// not 0…C−1, with a class only predicted. Hand-derived: class 0 (actual 1,
// predicted 0, right 0), class 5 (2, 2, 1), class 7 (0, 1, 0).
func TestClassificationReportSparse(t *testing.T) {
	r, err := NewClassificationReport([]int{5, 0, 5}, []int{5, 5, 7})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(r.Classes, []int{0, 5, 7}) {
		t.Fatalf("classes %v, want [0 5 7]", r.Classes)
	}
	sameScores(t, "0", r.PerClass[0], ClassScores{0, 0, 0, 1})
	sameScores(t, "5", r.PerClass[1], ClassScores{0.5, 0.5, 0.5, 2})
	sameScores(t, "7", r.PerClass[2], ClassScores{0, 0, 0, 0})
	sameScores(t, "macro avg", r.MacroAvg, ClassScores{1.0 / 6, 1.0 / 6, 1.0 / 6, 3})
	sameScores(t, "weighted avg", r.WeightedAvg, ClassScores{1.0 / 3, 1.0 / 3, 1.0 / 3, 3})
	if !close(r.Accuracy, 1.0/3) {
		t.Errorf("accuracy %v, want 1/3", r.Accuracy)
	}
}
