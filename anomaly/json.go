package anomaly

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// Threshold is Studio's BlockThreshold: one configurable threshold of a learn block.
// The anomaly blocks have one, with Key [ThresholdKey].
type Threshold struct {
	Key                string   `json:"key"`
	Description        string   `json:"description"`
	HelpText           string   `json:"helpText"`
	SuggestedValue     *float64 `json:"suggestedValue,omitempty"`
	SuggestedValueText string   `json:"suggestedValueText,omitempty"`
	// Value is a JSON number; when decoding, a JSON string holding a number is accepted too,
	// as Studio's type allows (number | string).
	Value float64 `json:"value"`
}

// UnmarshalJSON decodes a BlockThreshold whose value is a number or a numeric string.
func (t *Threshold) UnmarshalJSON(data []byte) error {
	var raw struct {
		Key                string          `json:"key"`
		Description        string          `json:"description"`
		HelpText           string          `json:"helpText"`
		SuggestedValue     *float64        `json:"suggestedValue"`
		SuggestedValueText string          `json:"suggestedValueText"`
		Value              json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	*t = Threshold{Key: raw.Key, Description: raw.Description, HelpText: raw.HelpText,
		SuggestedValue: raw.SuggestedValue, SuggestedValueText: raw.SuggestedValueText}
	v := bytes.TrimSpace(raw.Value)
	if len(v) == 0 || bytes.Equal(v, []byte("null")) {
		return nil
	}
	if v[0] == '"' {
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return err
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return fmt.Errorf("anomaly: threshold %q: value %q is not a number", raw.Key, s)
		}
		t.Value = f
		return nil
	}
	return json.Unmarshal(v, &t.Value)
}

// Cluster is one K-means cluster (Studio's AnomalyModelMetadataClusters): its centre in
// standardised feature space and its size, the largest distance from the centre to a
// training window assigned to it.
type Cluster struct {
	Center   []float64 `json:"center"`
	MaxError float64   `json:"maxError"`
}

// Metadata is Studio's AnomalyModelMetadata, the description of a trained anomaly block in
// the impulses-detailed response. For K-means, Mean and Scale standardise the selected axes
// and Clusters holds the model; for GMM, Mean and Scale have one element each, the mean and
// standard deviation of the training log-likelihoods, and Clusters is empty (the mixture is
// in [GMMMetadata]). Studio's optional modelValidationMetrics is never set by this package
// and has no field here.
type Metadata struct {
	Created                        time.Time   `json:"created"`
	Scale                          []float64   `json:"scale"`
	Mean                           []float64   `json:"mean"`
	Clusters                       []Cluster   `json:"clusters"`
	Axes                           []int       `json:"axes"`
	DefaultMinimumConfidenceRating float64     `json:"defaultMinimumConfidenceRating"`
	AvailableModelTypes            []string    `json:"availableModelTypes,omitempty"`
	RecommendedModelType           string      `json:"recommendedModelType,omitempty"`
	HasTrainedModel                bool        `json:"hasTrainedModel,omitempty"`
	Thresholds                     []Threshold `json:"thresholds"`
}

// GMMMetadata is Studio's AnomalyGmmMetadata: the fitted mixture, as scikit-learn's
// GaussianMixture means_ (components × axes), covariances_ (components × axes × axes) and
// weights_.
type GMMMetadata struct {
	Means       [][]float64   `json:"means"`
	Covariances [][][]float64 `json:"covariances"`
	Weights     []float64     `json:"weights"`
}

// BlockConfig is Studio's AnomalyConfig, the configuration of an anomaly block as the
// impulses-detailed response shows it.
type BlockConfig struct {
	Dependencies            Dependencies `json:"dependencies"`
	Name                    string       `json:"name"`
	Axes                    []Axis       `json:"axes"`
	Trained                 bool         `json:"trained"`
	ClusterCount            int          `json:"clusterCount,omitempty"`
	SelectedAxes            []int        `json:"selectedAxes"`
	MinimumConfidenceRating float64      `json:"minimumConfidenceRating"`
	Thresholds              []Threshold  `json:"thresholds"`
}

// Dependencies is Studio's DependencyData: what feeds a learn block.
type Dependencies struct {
	Classes       []string `json:"classes"`
	BlockNames    []string `json:"blockNames"`
	FeatureCount  int      `json:"featureCount"`
	SampleCount   int      `json:"sampleCount"`
	OutputClasses []string `json:"outputClasses"`
}

// Axis is Studio's AnomalyConfigAxes: one selectable feature of an anomaly block.
type Axis struct {
	Ix        int    `json:"ix"`
	Label     string `json:"label"`
	Selected  bool   `json:"selected"`
	Favourite bool   `json:"favourite"`
}

// thresholdEntry is the min_anomaly_score entry of a thresholds list.
func thresholdEntry(value float64, suggested *float64) Threshold {
	return Threshold{
		Key:            ThresholdKey,
		Description:    "Minimum anomaly score",
		HelpText:       "Windows with an anomaly score above this value are flagged as anomalies.",
		SuggestedValue: suggested,
		Value:          value,
	}
}

// blockConfig builds the AnomalyConfig of a trained block.
func blockConfig(name string, labels []string, features int, axes []int, clusters int, thr float64, deps Dependencies) (BlockConfig, error) {
	if len(labels) != features {
		return BlockConfig{}, fmt.Errorf("anomaly: %d feature labels for %d features", len(labels), features)
	}
	c := BlockConfig{
		Dependencies:            deps.normalised(),
		Name:                    name,
		Axes:                    make([]Axis, features),
		Trained:                 true,
		ClusterCount:            clusters,
		SelectedAxes:            append([]int{}, axes...),
		MinimumConfidenceRating: thr,
		Thresholds:              []Threshold{thresholdEntry(thr, nil)},
	}
	for i := range c.Axes {
		c.Axes[i] = Axis{Ix: i, Label: labels[i]}
	}
	for _, a := range axes {
		c.Axes[a].Selected = true
		c.Axes[a].Favourite = true
	}
	return c, nil
}

// normalised returns d with nil lists replaced by empty ones, so that they encode as [].
func (d Dependencies) normalised() Dependencies {
	if d.Classes == nil {
		d.Classes = []string{}
	}
	if d.BlockNames == nil {
		d.BlockNames = []string{}
	}
	if d.OutputClasses == nil {
		d.OutputClasses = []string{}
	}
	return d
}
