package report

import (
	"errors"
	"math"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// Projection is a 2-D projection of feature vectors.
type Projection struct {
	// Points holds the two coordinates of every row, row-major: row i at
	// Points[2i], Points[2i+1].
	Points []float64
	// Explained is the fraction of the standardised features' total
	// variance that each axis explains.
	Explained [2]float64
}

// PCA2 projects the rows of X onto their first two principal components
// after standardising every column to zero mean and unit variance
// (population variance, as scikit-learn's StandardScaler); constant columns
// carry no information and are left out. Standardising first matters for
// Edge Impulse's features, which mix scales: an RMS in m/s², a kurtosis and
// log10 powers would otherwise let the largest-valued feature alone decide
// the projection.
//
// The components come from the singular value decomposition of the
// standardised matrix Z = U·S·Vᵀ: the coordinates are Z·V[:, :2] and
// component k explains S_k² / Σ S_i² of the variance. Each component's sign
// is chosen so that its largest loading is positive, which makes the
// projection deterministic. With a single informative column the second
// coordinate is 0. PCA2 returns an error for fewer than two rows, non-finite
// values, or no informative column.
func PCA2(X mat.Matrix) (*Projection, error) {
	n, d := X.Dims()
	if n < 2 {
		return nil, errors.New("report: PCA needs at least two windows")
	}
	var keep []int
	means := make([]float64, d)
	stds := make([]float64, d)
	col := make([]float64, n)
	for j := range d {
		for i := range n {
			v := X.At(i, j)
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, errors.New("report: PCA: features are not all finite")
			}
			col[i] = v
		}
		m := floats.Sum(col) / float64(n)
		ss := 0.0
		for _, v := range col {
			ss += (v - m) * (v - m)
		}
		means[j], stds[j] = m, math.Sqrt(ss/float64(n))
		if stds[j] > 1e-12*math.Max(1, math.Abs(m)) {
			keep = append(keep, j)
		}
	}
	if len(keep) == 0 {
		return nil, errors.New("report: PCA: every feature is constant")
	}
	Z := mat.NewDense(n, len(keep), nil)
	for i := range n {
		for k, j := range keep {
			Z.Set(i, k, (X.At(i, j)-means[j])/stds[j])
		}
	}
	var svd mat.SVD
	if !svd.Factorize(Z, mat.SVDThinV) {
		return nil, errors.New("report: PCA: the singular value decomposition did not converge")
	}
	s := svd.Values(nil)
	var V mat.Dense
	svd.VTo(&V)
	total := 0.0
	for _, v := range s {
		total += v * v
	}
	p := &Projection{Points: make([]float64, 2*n)}
	for k := range min(2, len(s)) {
		// The sign: the largest loading positive.
		big, sign := 0.0, 1.0
		for r := range len(keep) {
			if v := V.At(r, k); math.Abs(v) > big+1e-12 {
				big, sign = math.Abs(v), math.Copysign(1, v)
			}
		}
		for i := range n {
			sum := 0.0
			for r := range len(keep) {
				sum += Z.At(i, r) * V.At(r, k)
			}
			p.Points[2*i+k] = sign * sum
		}
		if total > 0 {
			p.Explained[k] = s[k] * s[k] / total
		}
	}
	return p, nil
}
