package anomaly

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// ErrNoData is returned when there is nothing to train on: no windows or no features.
var ErrNoData = errors.New("anomaly: no training data")

// ErrTooFewWindows is returned when there are fewer training windows than clusters or
// components.
var ErrTooFewWindows = errors.New("anomaly: fewer training windows than clusters")

// DataError reports a training value that cannot be used.
type DataError struct {
	Row, Col int // position in the feature matrix given to Fit
	Value    float64
}

func (e *DataError) Error() string {
	return fmt.Sprintf("anomaly: feature matrix row %d column %d: %v is not finite", e.Row, e.Col, e.Value)
}

// dataset is a contiguous row-major copy of the selected columns of a feature matrix. Rows
// are padded with zeros to a stride that is a multiple of 4, and zero rows follow the last
// one up to a multiple of 4 rows, which the kernels rely on.
type dataset struct {
	x         []float64
	n, m, str int
}

func padded(m int) int { return (m + 3) &^ 3 }

// trainingData is the start of both fits: it checks that X holds data, resolves the
// configuration for X's width with settingsFor, checks that X has at least k windows (unit
// names k in the error) and copies the selected columns.
func trainingData(X *mat.Dense, settingsFor func(features int) (settings, error), unit string) (settings, *dataset, error) {
	if X == nil || X.IsEmpty() {
		return settings{}, nil, fmt.Errorf("%w: empty feature matrix", ErrNoData)
	}
	n, features := X.Dims()
	s, err := settingsFor(features)
	if err != nil {
		return s, nil, err
	}
	if n < s.k {
		return s, nil, fmt.Errorf("%w: %d windows for %d %s", ErrTooFewWindows, n, s.k, unit)
	}
	d, err := selectAxes(X, s.axes)
	return s, d, err
}

// selectAxes copies the columns axes of X into a dataset, checking that every value is finite.
func selectAxes(X *mat.Dense, axes []int) (*dataset, error) {
	n, _ := X.Dims()
	m := len(axes)
	d := &dataset{n: n, m: m, str: padded(m)}
	d.x = make([]float64, padded(n)*d.str)
	raw := X.RawMatrix()
	for i := 0; i < n; i++ {
		src := raw.Data[i*raw.Stride : i*raw.Stride+raw.Cols]
		dst := d.x[i*d.str : i*d.str+m]
		for j, a := range axes {
			v := src[a]
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, &DataError{Row: i, Col: a, Value: v}
			}
			dst[j] = v
		}
	}
	return d, nil
}

// row returns row i without padding.
func (d *dataset) row(i int) []float64 { return d.x[i*d.str : i*d.str+d.m] }

// prow returns row i with its zero padding.
func (d *dataset) prow(i int) []float64 { return d.x[i*d.str : (i+1)*d.str] }

// meanVar returns the per-column mean and population variance of d (two passes with the
// usual correction term for the rounding error of the mean).
func (d *dataset) meanVar() (mean, variance []float64) {
	mean = make([]float64, d.m)
	variance = make([]float64, d.m)
	for i := 0; i < d.n; i++ {
		for j, v := range d.row(i) {
			mean[j] += v
		}
	}
	fn := float64(d.n)
	for j := range mean {
		mean[j] /= fn
	}
	corr := make([]float64, d.m)
	for i := 0; i < d.n; i++ {
		for j, v := range d.row(i) {
			dv := v - mean[j]
			variance[j] += dv * dv
			corr[j] += dv
		}
	}
	for j := range variance {
		variance[j] = (variance[j] - corr[j]*corr[j]/fn) / fn
		if variance[j] < 0 {
			variance[j] = 0
		}
	}
	return mean, variance
}

// standardScale returns the StandardScaler scale for a column with the given mean and
// population variance over n rows: the standard deviation, or 1 for a column that is
// constant up to rounding (scikit-learn's rule).
func standardScale(mean, variance float64, n int) float64 {
	eps := 0x1p-52
	fn := float64(n)
	bound := fn*eps*variance + (fn*mean*eps)*(fn*mean*eps)
	if variance <= bound {
		return 1
	}
	return math.Sqrt(variance)
}

// shift subtracts mean from every row and divides by scale (nil scale: no division).
func (d *dataset) shift(mean, scale []float64) {
	for i := 0; i < d.n; i++ {
		r := d.row(i)
		for j := range r {
			r[j] -= mean[j]
			if scale != nil {
				r[j] /= scale[j]
			}
		}
	}
}
