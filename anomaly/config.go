package anomaly

import (
	"fmt"
	"math"
)

// Studio's defaults, used where a configuration field is zero.
const (
	// DefaultClusterCount is the number of K-means clusters Studio proposes.
	DefaultClusterCount = 32
	// DefaultComponents is the number of GMM components used when none is configured.
	DefaultComponents = 5
	// DefaultKMeansThreshold is the K-means block's default min_anomaly_score.
	DefaultKMeansThreshold = 0.3
	// ThresholdKey is the key of the anomaly threshold in Studio's thresholds lists and on device.
	ThresholdKey = "min_anomaly_score"
)

// Block types as they appear in an impulse's learnBlocks[].type.
const (
	TypeKMeans = "anomaly"
	TypeGMM    = "anomaly-gmm"
)

// KMeansConfig holds the training settings of a K-means anomaly block. The first four fields
// carry the JSON names of Studio's StartTrainingRequestAnomaly; the rest are tinyimpulse
// extensions that Studio does not expose. A zero field means the documented default, so the
// zero KMeansConfig trains Studio's default block on all features.
type KMeansConfig struct {
	// Axes are the indices of the features the block sees, in the learn block's concatenated
	// feature vector, strictly ascending. Empty means every feature.
	Axes []int `json:"axes"`
	// ClusterCount is k; 0 means DefaultClusterCount (32).
	ClusterCount int `json:"clusterCount,omitempty"`
	// MinimumConfidenceRating is the anomaly threshold (a window is an anomaly when its score
	// is above it); 0 means DefaultKMeansThreshold (0.3). Studio's deprecated mirror of the
	// min_anomaly_score threshold; an entry in Thresholds takes precedence, and is the way to
	// ask for a threshold of exactly 0.
	MinimumConfidenceRating float64 `json:"minimumConfidenceRating"`
	// Thresholds may hold a min_anomaly_score entry; other keys are ignored.
	Thresholds []Threshold `json:"thresholds,omitempty"`

	// Inits is the number of k-means++ initialisations, of which the fit with the lowest
	// inertia is kept; 0 means 10.
	Inits int `json:"inits,omitempty"`
	// MaxIterations bounds the Lloyd iterations of each initialisation; 0 means 300.
	MaxIterations int `json:"maxIterations,omitempty"`
	// Tolerance stops an initialisation once the squared movement of the centres, summed
	// over clusters, is at most Tolerance times the mean per-feature variance of the
	// standardised data; 0 means 1e-4.
	Tolerance float64 `json:"tolerance,omitempty"`
}

// GMMConfig holds the training settings of a GMM anomaly block (a full-covariance Gaussian
// mixture fitted by EM). As for [KMeansConfig], the first four fields are Studio's
// StartTrainingRequestAnomaly and a zero field means the documented default.
type GMMConfig struct {
	// Axes are the indices of the features the block sees, strictly ascending. Empty means
	// every feature.
	Axes []int `json:"axes"`
	// ClusterCount is the number of mixture components; 0 means DefaultComponents (5).
	ClusterCount int `json:"clusterCount,omitempty"`
	// MinimumConfidenceRating is the anomaly threshold; 0 means the default computed from the
	// training data, max(0.1, 99th percentile of the training log-likelihoods), as Studio
	// does. An entry in Thresholds takes precedence.
	MinimumConfidenceRating float64 `json:"minimumConfidenceRating"`
	// Thresholds may hold a min_anomaly_score entry; other keys are ignored.
	Thresholds []Threshold `json:"thresholds,omitempty"`

	// MaxIterations bounds the EM iterations; 0 means 100.
	MaxIterations int `json:"maxIterations,omitempty"`
	// Tolerance stops EM when the mean log-likelihood changes by less than it; 0 means 1e-3.
	Tolerance float64 `json:"tolerance,omitempty"`
	// RegCovar is added to the diagonal of every covariance; 0 means 1e-6.
	RegCovar float64 `json:"regCovar,omitempty"`
}

// ConfigError reports a configuration value that cannot be used.
type ConfigError struct {
	Field  string // JSON name of the field
	Reason string
}

func (e *ConfigError) Error() string { return "anomaly: " + e.Field + ": " + e.Reason }

// settings is a block configuration with the defaults filled in and checked, for feature
// vectors of a given width.
type settings struct {
	features     int
	axes         []int
	k            int // clusters or components
	threshold    float64
	thresholdSet bool // false when none is configured: K-means then has DefaultKMeansThreshold, GMM computes its own
	maxIter      int
	tol          float64
	inits        int     // K-means only
	reg          float64 // GMM only
}

func (c KMeansConfig) settings(features int) (s settings, err error) {
	s.features = features
	if s.axes, err = checkAxes(c.Axes, features); err != nil {
		return s, err
	}
	if s.k, err = count("clusterCount", c.ClusterCount, DefaultClusterCount); err != nil {
		return s, err
	}
	if s.inits, err = count("inits", c.Inits, 10); err != nil {
		return s, err
	}
	if s.maxIter, err = count("maxIterations", c.MaxIterations, 300); err != nil {
		return s, err
	}
	if s.tol, err = positive("tolerance", c.Tolerance, 1e-4); err != nil {
		return s, err
	}
	if s.threshold, s.thresholdSet, err = threshold(c.MinimumConfidenceRating, c.Thresholds); err != nil {
		return s, err
	}
	if !s.thresholdSet {
		s.threshold = DefaultKMeansThreshold
	}
	return s, nil
}

func (c GMMConfig) settings(features int) (s settings, err error) {
	s.features = features
	if s.axes, err = checkAxes(c.Axes, features); err != nil {
		return s, err
	}
	if s.k, err = count("clusterCount", c.ClusterCount, DefaultComponents); err != nil {
		return s, err
	}
	if s.maxIter, err = count("maxIterations", c.MaxIterations, 100); err != nil {
		return s, err
	}
	if s.tol, err = positive("tolerance", c.Tolerance, 1e-3); err != nil {
		return s, err
	}
	if s.reg, err = positive("regCovar", c.RegCovar, 1e-6); err != nil {
		return s, err
	}
	s.threshold, s.thresholdSet, err = threshold(c.MinimumConfidenceRating, c.Thresholds)
	return s, err
}

// count returns v, or def when v is 0; a negative v is an error for field.
func count(field string, v, def int) (int, error) {
	switch {
	case v == 0:
		return def, nil
	case v < 0:
		return 0, &ConfigError{field, fmt.Sprintf("%d is negative", v)}
	}
	return v, nil
}

// positive returns v, or def when v is 0; v must otherwise be a positive finite number.
func positive(field string, v, def float64) (float64, error) {
	if v == 0 {
		return def, nil
	}
	if !(v > 0) || math.IsInf(v, 0) {
		return 0, &ConfigError{field, fmt.Sprintf("%v is not a positive number", v)}
	}
	return v, nil
}

// threshold resolves the anomaly threshold of a training request: a min_anomaly_score entry
// in list wins, then a non-zero minimumConfidenceRating; set is false when neither is given.
func threshold(rating float64, list []Threshold) (v float64, set bool, err error) {
	for _, t := range list {
		if t.Key != ThresholdKey {
			continue
		}
		if math.IsNaN(t.Value) || math.IsInf(t.Value, 0) {
			return 0, false, &ConfigError{"thresholds", fmt.Sprintf("%s value %v is not finite", ThresholdKey, t.Value)}
		}
		return t.Value, true, nil
	}
	if math.IsNaN(rating) || math.IsInf(rating, 0) {
		return 0, false, &ConfigError{"minimumConfidenceRating", fmt.Sprintf("%v is not finite", rating)}
	}
	return rating, rating != 0, nil
}

// checkAxes validates axes against a feature vector of the given width and returns them,
// or all indices when axes is empty.
func checkAxes(axes []int, features int) ([]int, error) {
	if len(axes) == 0 {
		all := make([]int, features)
		for i := range all {
			all[i] = i
		}
		return all, nil
	}
	for i, a := range axes {
		if a < 0 || a >= features {
			return nil, &ConfigError{"axes", fmt.Sprintf("index %d out of range [0, %d)", a, features)}
		}
		if i > 0 && a <= axes[i-1] {
			return nil, &ConfigError{"axes", fmt.Sprintf("indices not strictly ascending (%d after %d)", a, axes[i-1])}
		}
	}
	return append([]int(nil), axes...), nil
}
