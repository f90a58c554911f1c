package anomaly

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"gonum.org/v1/gonum/mat"
)

// GMM is a fitted Gaussian-mixture anomaly block (Studio's "anomaly-gmm" learn block).
//
// Its score for a feature vector x is, as in Edge Impulse's implementation,
//
//	ll(x) = ln Σ_k w_k N(x[axes] | μ_k, Σ_k)
//	score = |(ll(x) − mean) / scale|
//
// where mean and scale are the mean and standard deviation of ll over the training windows.
// A GMM is safe for concurrent use by several goroutines once fitted, except for
// SetThreshold and UnmarshalBinary.
type GMM struct {
	features int
	axes     []int
	weights  []float64 // K
	means    []float64 // K × m
	covs     []float64 // K × m × m
	// derived from the above
	up     []float64 // K × str × str: U_k, upper triangular, zero padded to str = m rounded up to 4
	logDet []float64 // Σ ln diag U_k
	logW   []float64 // ln w_k

	llMean, llScale  float64
	threshold        float64
	defaultThreshold float64
	iters            int
	converged        bool
	lowerBound       float64
}

// FitGMM trains a GMM anomaly block on the rows of X (one window per row, the learn block's
// concatenated features as columns), restricted to cfg.Axes, without standardisation. It
// fits a full-covariance Gaussian mixture of cfg.ClusterCount components by EM, initialised
// from the labels of a k-means fit (one k-means++ initialisation seeded by seed), then
// computes the training windows' log-likelihoods, whose mean and standard deviation set the
// score's scale and whose 99th percentile sets the default threshold (max(0.1, p99), as
// Studio computes it, on the raw log-likelihoods).
//
// The same seed, configuration and data give a bit-identical model, whatever the number of
// CPUs. FitGMM returns an error for an unusable configuration ([ConfigError]), a non-finite
// value in the selected columns ([DataError]), no data ([ErrNoData]), fewer windows than
// components ([ErrTooFewWindows]), a component whose covariance is not positive definite
// even after regularisation, or the context's error if ctx is done first. Not converging
// within cfg.MaxIterations is not an error; see [GMM.Converged].
func FitGMM(ctx context.Context, cfg GMMConfig, X *mat.Dense, seed uint64) (*GMM, error) {
	s, d, err := trainingData(X, cfg.settings, "components")
	if err != nil {
		return nil, err
	}
	// Fitting is translation invariant: centre the data for accuracy, shift the means back.
	shift, _ := d.meanVar()
	d.shift(shift, nil)

	km, err := kmeansFit(ctx, newKmeansProblem(d, s.k, 300, 1e-4), 1, seed)
	if err != nil {
		return nil, err
	}
	em := newEMState(d, s.k, s.reg, maxWorkers())
	iters, converged, lb, err := em.em(ctx, km.labels, s.maxIter, s.tol)
	if err != nil {
		return nil, err
	}
	g, err := newGMM(s.features, s.axes, shift, em)
	if err != nil {
		return nil, err
	}
	g.iters, g.converged, g.lowerBound = iters, converged, lb
	if s.thresholdSet {
		g.threshold = s.threshold
	}
	return g, nil
}

// newGMM builds the model from a fitted EM state on data centred by shift: it computes the
// training log-likelihoods, their scaler and the default threshold.
func newGMM(features int, axes []int, shift []float64, em *emState) (*GMM, error) {
	d := em.d
	m, str, K := d.m, d.str, em.K
	ll := make([]float64, d.n)
	em.logLikelihoods(ll)
	g := &GMM{
		features: features,
		axes:     axes,
		weights:  append([]float64(nil), em.weights...),
		means:    make([]float64, K*m),
		covs:     append([]float64(nil), em.covs...),
	}
	for k := 0; k < K; k++ {
		for t := 0; t < m; t++ {
			g.means[k*m+t] = em.means[k*str+t] + shift[t]
		}
	}
	if err := g.derive(); err != nil {
		return nil, err
	}
	g.llMean, g.llScale = meanScale(ll)
	g.defaultThreshold = max(0.1, percentile(ll, 99))
	g.threshold = g.defaultThreshold
	return g, nil
}

// derive computes the precision Cholesky factors and logarithms from weights and covs.
func (g *GMM) derive() error {
	K, m := len(g.weights), len(g.axes)
	str := padded(m)
	g.up = make([]float64, K*str*str)
	g.logDet = make([]float64, K)
	g.logW = make([]float64, K)
	l := make([]float64, m*m)
	for k := 0; k < K; k++ {
		var ok bool
		g.logDet[k], ok = precisionCholesky(g.up[k*str*str:], str, g.covs[k*m*m:(k+1)*m*m], m, l)
		if !ok {
			return fmt.Errorf("anomaly: GMM component %d: covariance is not positive definite", k)
		}
		g.logW[k] = math.Log(g.weights[k])
	}
	return nil
}

// meanScale returns the mean and the StandardScaler scale of v.
func meanScale(v []float64) (mean, scale float64) {
	n := float64(len(v))
	for _, x := range v {
		mean += x
	}
	mean /= n
	var ss, corr float64
	for _, x := range v {
		d := x - mean
		ss += d * d
		corr += d
	}
	variance := max(0, (ss-corr*corr/n)/n)
	return mean, standardScale(mean, variance, len(v))
}

// percentile returns the p-th percentile of v with linear interpolation between closest
// ranks, numpy's default method.
func percentile(v []float64, p float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	pos := p / 100 * float64(len(s)-1)
	lo := math.Floor(pos)
	i := int(lo)
	if i >= len(s)-1 {
		return s[len(s)-1]
	}
	t := pos - lo
	a, b := s[i], s[i+1]
	diff := b - a
	if t >= 0.5 {
		return b - diff*(1-t)
	}
	return a + diff*t
}

// LogLikelihood returns ln p(x[axes]) under the mixture. It does not allocate and panics if
// len(x) differs from [GMM.NumFeatures].
func (g *GMM) LogLikelihood(x []float64) float64 {
	if len(x) != g.features {
		panic(fmt.Sprintf("anomaly: GMM: len(x) = %d, want %d", len(x), g.features))
	}
	m := len(g.axes)
	str := padded(m)
	c := float64(m) * ln2pi
	var buf [64]float64
	mx, sum := math.Inf(-1), 0.0
	for k, lw := range g.logW {
		mu := g.means[k*m : (k+1)*m]
		u := g.up[k*str*str : (k+1)*str*str]
		var q float64
		if str <= len(buf) {
			diff := buf[:str]
			for i, a := range g.axes {
				diff[i] = x[a] - mu[i]
			}
			q = triQuad(diff, u)
		} else {
			for j := 0; j < m; j++ {
				var y float64
				for t := 0; t <= j; t++ {
					y += (x[g.axes[t]] - mu[t]) * u[t*str+j]
				}
				q += y * y
			}
		}
		lp := lw + g.logDet[k] - 0.5*(c+q)
		// streaming log-sum-exp
		switch {
		case math.IsNaN(lp):
			return math.NaN()
		case lp > mx:
			sum = sum*math.Exp(mx-lp) + 1
			mx = lp
		default:
			sum += math.Exp(lp - mx)
		}
	}
	if math.IsInf(mx, -1) {
		return mx
	}
	return mx + math.Log(sum)
}

// Score returns the anomaly score of one window's feature vector x (the learn block's
// concatenated features). It does not allocate and panics if len(x) differs from
// [GMM.NumFeatures]. A NaN in a selected feature gives NaN.
func (g *GMM) Score(x []float64) float64 {
	return math.Abs((g.LogLikelihood(x) - g.llMean) / g.llScale)
}

// NumFeatures returns the length of the feature vectors the model scores.
func (g *GMM) NumFeatures() int { return g.features }

// Axes returns the indices of the features the model reads.
func (g *GMM) Axes() []int { return append([]int(nil), g.axes...) }

// Threshold returns the anomaly threshold: a window whose score is above it is an anomaly.
func (g *GMM) Threshold() float64 { return g.threshold }

// SetThreshold sets the anomaly threshold, as Studio's set-thresholds call does.
func (g *GMM) SetThreshold(v float64) { g.threshold = v }

// DefaultThreshold returns max(0.1, 99th percentile of the training log-likelihoods).
func (g *GMM) DefaultThreshold() float64 { return g.defaultThreshold }

// Iterations returns the number of EM iterations run.
func (g *GMM) Iterations() int { return g.iters }

// Converged reports whether EM met its tolerance within the iteration limit.
func (g *GMM) Converged() bool { return g.converged }

// LowerBound returns the mean training log-likelihood of the last EM iteration
// (scikit-learn's lower_bound_).
func (g *GMM) LowerBound() float64 { return g.lowerBound }

// BlockType returns "anomaly-gmm", the learn block type of a GMM block.
func (g *GMM) BlockType() string { return TypeGMM }

// Metadata returns the model as Studio's AnomalyModelMetadata, trained at the given time:
// Mean and Scale are the 1-element statistics of the training log-likelihoods, Clusters is
// empty, and the threshold entry suggests the default threshold.
func (g *GMM) Metadata(created time.Time) Metadata {
	def := g.defaultThreshold
	return Metadata{
		Created:                        created,
		Scale:                          []float64{g.llScale},
		Mean:                           []float64{g.llMean},
		Clusters:                       []Cluster{},
		Axes:                           append([]int{}, g.axes...),
		DefaultMinimumConfidenceRating: g.defaultThreshold,
		AvailableModelTypes:            []string{"float32"},
		RecommendedModelType:           "float32",
		HasTrainedModel:                true,
		Thresholds:                     []Threshold{thresholdEntry(g.threshold, &def)},
	}
}

// GMMMetadata returns the mixture as Studio's AnomalyGmmMetadata.
func (g *GMM) GMMMetadata() GMMMetadata {
	K, m := len(g.weights), len(g.axes)
	md := GMMMetadata{
		Means:       make([][]float64, K),
		Covariances: make([][][]float64, K),
		Weights:     append([]float64{}, g.weights...),
	}
	for k := 0; k < K; k++ {
		md.Means[k] = append([]float64{}, g.means[k*m:(k+1)*m]...)
		md.Covariances[k] = make([][]float64, m)
		for i := 0; i < m; i++ {
			md.Covariances[k][i] = append([]float64{}, g.covs[(k*m+i)*m:(k*m+i+1)*m]...)
		}
	}
	return md
}

// BlockConfig returns the block's configuration as Studio's AnomalyConfig, with the given
// block name, one label per feature (len(labels) must be NumFeatures) and dependencies.
func (g *GMM) BlockConfig(name string, labels []string, deps Dependencies) (BlockConfig, error) {
	return blockConfig(name, labels, g.features, g.axes, len(g.weights), g.threshold, deps)
}

// PrecisionCholesky returns component k's precision factor as the scoring
// uses it: U = (L⁻¹)ᵀ for the covariance's Cholesky factor L, upper
// triangular, m×m row-major (m the selected axes), so that cov⁻¹ = U·Uᵀ
// (scikit-learn's precisions_cholesky_), and Σ ln U_jj = −½ ln det cov.
// The slice is a copy. It panics if k is out of range.
func (g *GMM) PrecisionCholesky(k int) (u []float64, logDet float64) {
	if k < 0 || k >= len(g.weights) {
		panic("anomaly: GMM component index out of range")
	}
	m := len(g.axes)
	str := padded(m)
	u = make([]float64, m*m)
	for i := range m {
		copy(u[i*m:(i+1)*m], g.up[k*str*str+i*str:k*str*str+i*str+m])
	}
	return u, g.logDet[k]
}
