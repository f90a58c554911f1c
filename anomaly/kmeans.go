package anomaly

import (
	"context"
	"fmt"
	"math"
	"time"

	"gonum.org/v1/gonum/mat"
)

// noCluster is the score of a window when no cluster is closer: Edge Impulse's SDK starts
// its minimum at 1000, which also caps the K-means score.
const noCluster = 1000.0

// KMeans is a fitted K-means anomaly block (Studio's "anomaly" learn block).
//
// Its score for a feature vector x is, as in Edge Impulse's SDK,
//
//	z_i   = (x[axes[i]] − mean_i) / scale_i
//	score = min(1000, min_k (‖z − center_k‖ − maxError_k))
//
// so a window inside a cluster (closer to its centre than the farthest training window of
// that cluster) scores below 0. A KMeans is safe for concurrent use by several goroutines
// once fitted, except for SetThreshold and UnmarshalBinary.
type KMeans struct {
	features  int
	axes      []int
	mean      []float64
	scale     []float64
	centers   []float64 // k × len(axes)
	maxError  []float64 // k
	centersP  []float64 // k × str, the centres zero padded to str = len(axes) rounded up to 4
	threshold float64
	inertia   float64
	iters     int
}

// FitKMeans trains a K-means anomaly block on the rows of X (one window per row, the learn
// block's concatenated features as columns), restricted to cfg.Axes. The features are
// standardised (mean and population standard deviation per axis; a constant axis gets scale
// 1), then cfg.Inits k-means++ initialisations with Lloyd iterations run, each from its own
// random stream derived from seed, and the one with the lowest inertia is kept. Each
// cluster's maxError is the largest distance from its centre to a window assigned to it
// (0 for a cluster that ends up empty, which can happen only when there are fewer distinct
// windows than clusters).
//
// The same seed, configuration and data give a bit-identical model, whatever the number of
// CPUs. FitKMeans returns an error for an unusable configuration ([ConfigError]), a
// non-finite value in the selected columns ([DataError]), no data ([ErrNoData]), fewer
// windows than clusters ([ErrTooFewWindows]), or the context's error if ctx is done first.
func FitKMeans(ctx context.Context, cfg KMeansConfig, X *mat.Dense, seed uint64) (*KMeans, error) {
	s, d, err := trainingData(X, cfg.settings, "clusters")
	if err != nil {
		return nil, err
	}
	mean, scale := standardise(d)
	res, err := kmeansFit(ctx, newKmeansProblem(d, s.k, s.maxIter, s.tol), s.inits, seed)
	if err != nil {
		return nil, err
	}
	return newKMeans(s.features, s.axes, s.threshold, d, mean, scale, res), nil
}

// standardise scales the columns of d to zero mean and unit variance in place and returns
// the StandardScaler mean and scale.
func standardise(d *dataset) (mean, scale []float64) {
	mean, variance := d.meanVar()
	scale = make([]float64, d.m)
	for j := range scale {
		scale[j] = standardScale(mean[j], variance[j], d.n)
	}
	d.shift(mean, scale)
	return mean, scale
}

// newKMeans builds the model from a k-means result on the standardised data d.
func newKMeans(features int, axes []int, threshold float64, d *dataset, mean, scale []float64, res *kmeansResult) *KMeans {
	m := d.m
	k := len(res.centers) / d.str
	km := &KMeans{
		features:  features,
		axes:      axes,
		mean:      mean,
		scale:     scale,
		centers:   make([]float64, k*m),
		maxError:  make([]float64, k),
		threshold: threshold,
		inertia:   res.inertia,
		iters:     res.iters,
	}
	for j := 0; j < k; j++ {
		copy(km.centers[j*m:(j+1)*m], res.centers[j*d.str:])
	}
	for i := 0; i < d.n; i++ {
		a := int(res.labels[i])
		if e := math.Sqrt(sqDist(d.row(i), km.centers[a*m:(a+1)*m])); e > km.maxError[a] {
			km.maxError[a] = e
		}
	}
	km.pad()
	return km
}

// Score returns the anomaly score of one window's feature vector x (the learn block's
// concatenated features, of which the model reads its axes). It does not allocate. It panics
// if len(x) differs from [KMeans.NumFeatures]. A NaN in a selected feature gives NaN.
func (km *KMeans) Score(x []float64) float64 {
	if len(x) != km.features {
		panic(fmt.Sprintf("anomaly: KMeans.Score: len(x) = %d, want %d", len(x), km.features))
	}
	m := len(km.axes)
	str := padded(m)
	var buf [64]float64
	if str > len(buf) {
		return km.scoreWide(x)
	}
	z := buf[:str]
	for i, a := range km.axes {
		z[i] = (x[a] - km.mean[i]) / km.scale[i]
	}
	best := noCluster
	for k, e := range km.maxError {
		if d := math.Sqrt(dist2(z, km.centersP[k*str:(k+1)*str])) - e; d < best || math.IsNaN(d) {
			best = d
		}
	}
	return best
}

// pad sets centersP from centers.
func (km *KMeans) pad() {
	m := len(km.axes)
	str := padded(m)
	k := len(km.maxError)
	km.centersP = make([]float64, k*str)
	for j := 0; j < k; j++ {
		copy(km.centersP[j*str:], km.centers[j*m:(j+1)*m])
	}
}

// scoreWide is Score for models with more than 64 axes: it standardises on the fly.
func (km *KMeans) scoreWide(x []float64) float64 {
	m := len(km.axes)
	best := noCluster
	for k, e := range km.maxError {
		c := km.centers[k*m : (k+1)*m]
		var s float64
		for i, a := range km.axes {
			v := (x[a]-km.mean[i])/km.scale[i] - c[i]
			s += v * v
		}
		if d := math.Sqrt(s) - e; d < best || math.IsNaN(d) {
			best = d
		}
	}
	return best
}

// NumFeatures returns the length of the feature vectors the model scores.
func (km *KMeans) NumFeatures() int { return km.features }

// Axes returns the indices of the features the model reads.
func (km *KMeans) Axes() []int { return append([]int(nil), km.axes...) }

// Threshold returns the anomaly threshold: a window whose score is above it is an anomaly.
func (km *KMeans) Threshold() float64 { return km.threshold }

// SetThreshold sets the anomaly threshold, as Studio's set-thresholds call does.
func (km *KMeans) SetThreshold(v float64) { km.threshold = v }

// Inertia returns the sum of squared distances from the training windows to their cluster
// centres, in standardised space.
func (km *KMeans) Inertia() float64 { return km.inertia }

// Iterations returns the number of Lloyd iterations of the kept initialisation.
func (km *KMeans) Iterations() int { return km.iters }

// BlockType returns "anomaly", the learn block type of a K-means block.
func (km *KMeans) BlockType() string { return TypeKMeans }

// Metadata returns the model as Studio's AnomalyModelMetadata, trained at the given time.
func (km *KMeans) Metadata(created time.Time) Metadata {
	m := len(km.axes)
	md := Metadata{
		Created:                        created,
		Scale:                          append([]float64{}, km.scale...),
		Mean:                           append([]float64{}, km.mean...),
		Clusters:                       make([]Cluster, len(km.maxError)),
		Axes:                           append([]int{}, km.axes...),
		DefaultMinimumConfidenceRating: DefaultKMeansThreshold,
		HasTrainedModel:                true,
		Thresholds:                     []Threshold{thresholdEntry(km.threshold, nil)},
	}
	for k := range md.Clusters {
		md.Clusters[k] = Cluster{Center: append([]float64{}, km.centers[k*m:(k+1)*m]...), MaxError: km.maxError[k]}
	}
	return md
}

// BlockConfig returns the block's configuration as Studio's AnomalyConfig, with the given
// block name, one label per feature (len(labels) must be NumFeatures) and dependencies.
func (km *KMeans) BlockConfig(name string, labels []string, deps Dependencies) (BlockConfig, error) {
	return blockConfig(name, labels, km.features, km.axes, len(km.maxError), km.threshold, deps)
}
