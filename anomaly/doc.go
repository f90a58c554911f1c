// Package anomaly implements Edge Impulse's anomaly learn blocks on feature matrices: the
// K-means block ("anomaly") and the Gaussian-mixture block ("anomaly-gmm"), with Studio's
// training defaults, its scores, and the JSON it reports for them (AnomalyConfig,
// AnomalyModelMetadata, AnomalyGmmMetadata). It is a core package and imports no other
// package of the project.
//
// # Overview
//
// [FitKMeans] standardises the selected features, runs k-means++ seeding and Lloyd
// iterations several times and keeps the clustering with the lowest inertia; each cluster
// keeps its centre and its size (maxError). [FitGMM] fits a full-covariance Gaussian mixture
// by EM, initialised from k-means, and scales its log-likelihood by the training windows'
// mean and standard deviation. Both fits follow scikit-learn's KMeans and GaussianMixture
// (convergence tests, empty-cluster relocation, covariance regularisation), which Edge
// Impulse uses, and the tests check them against scikit-learn. Scores follow Edge Impulse's
// SDK:
//
//	K-means: min over clusters of ‖(x − mean)/scale − center‖ − maxError (capped at 1000)
//	GMM:     |(ln p(x) − mean) / scale|
//
// A window whose score is above the block's threshold (key "min_anomaly_score") is an
// anomaly. The K-means default threshold is 0.3; the GMM default is
// max(0.1, 99th percentile of the training log-likelihoods), as Studio computes it.
//
// Configuration structs ([KMeansConfig], [GMMConfig]) carry the JSON names of Studio's
// StartTrainingRequestAnomaly; a zero field means Studio's default. The fitted models
// ([*KMeans], [*GMM], both [Model]) score one window at a time without allocating, describe
// themselves as Studio's JSON ([Metadata], [BlockConfig], [GMMMetadata]) and save to a
// versioned, checksummed binary form ([Load]).
//
// # Data layout
//
// Training data is a *mat.Dense with one window per row and the learn block's concatenated
// feature vector (the features of its DSP blocks, in order) as columns. Axes, in the
// configurations and in the JSON, are indices into that vector; a model reads only those
// columns, and Score takes the whole feature vector of one window, of length NumFeatures.
// Metadata mean, scale and cluster centres are per selected axis, in axis order; cluster
// centres are in standardised units.
//
// # Errors
//
// Fits return an error, never panic, for bad input: [*ConfigError] for an unusable setting,
// [*DataError] for a NaN or infinite feature in a selected column, [ErrNoData] for an empty
// matrix, [ErrTooFewWindows] when there are fewer windows than clusters or components, an
// error for a mixture component whose covariance is not positive definite, and the
// context's error when it is cancelled (checked at every iteration). Loading corrupt,
// truncated or inconsistent data returns an error wrapping [ErrFormat]. Score panics, with
// an "anomaly: " prefix, only when the vector's length is not NumFeatures, a caller
// precondition.
//
// # Determinism and concurrency
//
// Every random choice comes from the seed given to the fit: the same seed, configuration and
// data give a bit-identical model whatever GOMAXPROCS is (sums are formed per fixed block of
// rows and combined in block order). Models computed on CPUs without AVX2 and FMA, or built
// with the noasm tag, use gonum's BLAS instead of this package's assembly kernels and agree
// to rounding only. Fits use up to GOMAXPROCS goroutines. A fitted model is safe for
// concurrent Score calls; SetThreshold and UnmarshalBinary must not run concurrently with
// anything else on the same model.
package anomaly
