package metrics

import (
	"fmt"
	"math"
)

// Regression holds Studio's validation metrics of a regression model
// (learn-blocks.md §B.2), as scikit-learn's mean_squared_error,
// mean_absolute_error and explained_variance_score.
type Regression struct {
	MSE float64
	MAE float64
	// ExplainedVariance is 1 − Var(y−ŷ)/Var(y) with population variances.
	// When Var(y) is 0 it is 1 if Var(y−ŷ) is 0 too and 0 otherwise, as
	// scikit-learn's force_finite=True.
	ExplainedVariance float64
	// Support is the number of windows.
	Support int
}

// EvaluateRegression compares predicted with actual values. It returns an
// error wrapping [ErrEmpty], [ErrLength] or [ErrValue] (NaN or ±Inf).
func EvaluateRegression(actual, predicted []float64) (Regression, error) {
	var r Regression
	if len(actual) == 0 {
		return r, fmt.Errorf("metrics: EvaluateRegression: actual: %w", ErrEmpty)
	}
	if len(predicted) != len(actual) {
		return r, fmt.Errorf("metrics: EvaluateRegression: len(actual)=%d, len(predicted)=%d: %w", len(actual), len(predicted), ErrLength)
	}
	for _, y := range [2]struct {
		name string
		v    []float64
	}{{"actual", actual}, {"predicted", predicted}} {
		for i, v := range y.v {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return r, fmt.Errorf("metrics: EvaluateRegression: %s[%d]=%v: %w", y.name, i, v, ErrValue)
			}
		}
	}
	n := float64(len(actual))
	var meanY, meanD float64
	for i, y := range actual {
		d := y - predicted[i]
		r.MSE += d * d
		r.MAE += math.Abs(d)
		meanY += y
		meanD += d
	}
	r.MSE /= n
	r.MAE /= n
	meanY /= n
	meanD /= n
	var varY, varD float64
	for i, y := range actual {
		d := y - predicted[i] - meanD
		varD += d * d
		e := y - meanY
		varY += e * e
	}
	switch {
	case varY != 0:
		r.ExplainedVariance = 1 - varD/varY
	case varD == 0:
		r.ExplainedVariance = 1
	}
	r.Support = len(actual)
	return r, nil
}

// AdditionalMetrics returns Studio's additionalMetrics entries for a
// regression model: "Mean squared error", "Mean absolute error" and
// "Explained variance".
func (r Regression) AdditionalMetrics() []AdditionalMetric {
	return []AdditionalMetric{
		NewAdditionalMetric(MetricMSE, r.MSE),
		NewAdditionalMetric(MetricMAE, r.MAE),
		NewAdditionalMetric(MetricExplainedVariance, r.ExplainedVariance),
	}
}
