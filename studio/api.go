package studio

import (
	"encoding/json"
	"time"

	"github.com/tinyimpulse/tinyimpulse/anomaly"
	"github.com/tinyimpulse/tinyimpulse/device"
	"github.com/tinyimpulse/tinyimpulse/dsp"
	"github.com/tinyimpulse/tinyimpulse/learn"
	"github.com/tinyimpulse/tinyimpulse/metrics"
)

// This file holds Edge Impulse's JSON types (npm package edge-impulse-api,
// generated from Studio's OpenAPI description) as Go structs: field names and
// enum values are Studio's, optional fields are omitted when unset, and
// required arrays are written as [] when nil.

// Input block types (InputBlockType).
const (
	InputTimeSeries = "time-series"
	InputImage      = "image"
	InputFeatures   = "features"
)

// Multi-label window labelling methods (labelingMethodMultiLabel.type).
const (
	LabelEndOfWindow                   = "end-of-window"
	LabelAnywhereInWindow              = "anywhere-in-window"
	LabelAnywhereInWindowMinPercentage = "anywhere-in-window-min-percentage"
	LabelMajorityInWindow              = "majority-in-window"
)

// Image resize modes (ImageInputResizeMode) and methods.
const (
	ResizeSquash   = "squash"
	ResizeFitShort = "fit-short"
	ResizeFitLong  = "fit-long"
	ResizeCrop     = "crop"

	ResizeLanczos3 = "lanczos3"
	ResizeNearest  = "nearest"
)

// Learn block types this package trains (LearnBlockType).
const (
	LearnKeras           = "keras"
	LearnKerasRegression = "keras-regression"
	LearnAnomaly         = anomaly.TypeKMeans
	LearnAnomalyGMM      = anomaly.TypeGMM
)

// Impulse is Studio's Impulse: the blocks of one impulse. In a Definition it
// is a CreateImpulseRequest, whose id may be left out.
type Impulse struct {
	ID                   int                   `json:"id,omitempty"`
	Name                 string                `json:"name"`
	InputBlocks          []InputBlock          `json:"inputBlocks"`
	DSPBlocks            []DSPBlock            `json:"dspBlocks"`
	LearnBlocks          []LearnBlock          `json:"learnBlocks"`
	PostProcessingBlocks []PostProcessingBlock `json:"postProcessingBlocks"`
	// Type is "default", "BYOM" or "VLM"; this package builds "default" impulses.
	Type string `json:"type,omitempty"`
}

// MarshalJSON writes nil block lists as [].
func (im Impulse) MarshalJSON() ([]byte, error) {
	type plain Impulse
	p := plain(im)
	p.InputBlocks = nonNil(p.InputBlocks)
	p.DSPBlocks = nonNil(p.DSPBlocks)
	p.LearnBlocks = nonNil(p.LearnBlocks)
	p.PostProcessingBlocks = nonNil(p.PostProcessingBlocks)
	return json.Marshal(p)
}

// InputBlock is Studio's ImpulseInputBlock.
type InputBlock struct {
	ID    int    `json:"id"`
	Type  string `json:"type"`
	Name  string `json:"name"`
	Title string `json:"title"`
	// Axes are the input axes by name; unset means every axis of the data.
	Axes []string `json:"axes,omitempty"`

	// Time series.
	WindowSizeMs     int     `json:"windowSizeMs,omitempty"`
	WindowIncreaseMs int     `json:"windowIncreaseMs,omitempty"`
	FrequencyHz      float64 `json:"frequencyHz,omitempty"`
	// ClassificationWindowIncreaseMs is the stride in classification mode
	// (live classification, model testing).
	ClassificationWindowIncreaseMs int             `json:"classificationWindowIncreaseMs,omitempty"`
	PadZeros                       *bool           `json:"padZeros,omitempty"`
	LabelingMethodMultiLabel       *LabelingMethod `json:"labelingMethodMultiLabel,omitempty"`

	// Images.
	ImageWidth   int    `json:"imageWidth,omitempty"`
	ImageHeight  int    `json:"imageHeight,omitempty"`
	ResizeMode   string `json:"resizeMode,omitempty"`
	ResizeMethod string `json:"resizeMethod,omitempty"`
	CropAnchor   string `json:"cropAnchor,omitempty"`

	CreatedBy     string         `json:"createdBy,omitempty"`
	CreatedAt     *time.Time     `json:"createdAt,omitempty"`
	DatasetSubset *DatasetSubset `json:"datasetSubset,omitempty"`
}

// LabelingMethod is an input block's labelingMethodMultiLabel: how a window
// of a multi-label sample gets its label.
type LabelingMethod struct {
	// Type is one of the Label… constants (LabelEndOfWindow, …).
	Type string `json:"type"`
	// Labels are the labels the anywhere-in-window methods look for.
	Labels []string `json:"labels,omitempty"`
	// MinPercentage is the share of the window (0–100) a label must cover
	// for anywhere-in-window-min-percentage.
	MinPercentage *float64 `json:"minPercentage,omitempty"`
}

// DatasetSubset restricts an input block to part of the dataset: a sample is
// used when (ID + Seed) is a multiple of round(100 / IncludePercentage).
type DatasetSubset struct {
	IncludePercentage float64 `json:"includePercentage"`
	Seed              *int    `json:"seed,omitempty"`
}

// DSPBlock is Studio's ImpulseDspBlock.
type DSPBlock struct {
	ID   int    `json:"id"`
	Type string `json:"type"`
	Name string `json:"name"`
	// Axes are the input axes the block reads, in this order.
	Axes  []string `json:"axes"`
	Title string   `json:"title"`
	// ValuesPerAxis is the number of features per axis (reported, not read).
	ValuesPerAxis int `json:"valuesPerAxis,omitempty"`
	// Input is the id of the input block.
	Input                 int        `json:"input,omitempty"`
	CreatedBy             string     `json:"createdBy,omitempty"`
	CreatedAt             *time.Time `json:"createdAt,omitempty"`
	ImplementationVersion int        `json:"implementationVersion"`
}

// MarshalJSON writes nil axes as [].
func (b DSPBlock) MarshalJSON() ([]byte, error) {
	type plain DSPBlock
	p := plain(b)
	p.Axes = nonNil(p.Axes)
	return json.Marshal(p)
}

// LearnBlock is Studio's ImpulseLearnBlock.
type LearnBlock struct {
	ID   int    `json:"id"`
	Type string `json:"type"`
	Name string `json:"name"`
	// DSP lists the ids of the DSP blocks whose features the block reads,
	// concatenated in this order.
	DSP               []int      `json:"dsp"`
	Title             string     `json:"title"`
	CreatedBy         string     `json:"createdBy,omitempty"`
	CreatedAt         *time.Time `json:"createdAt,omitempty"`
	TrainingProcessor string     `json:"trainingProcessor,omitempty"`
}

// MarshalJSON writes a nil DSP list as [].
func (b LearnBlock) MarshalJSON() ([]byte, error) {
	type plain LearnBlock
	p := plain(b)
	p.DSP = nonNil(p.DSP)
	return json.Marshal(p)
}

// PostProcessingBlock is Studio's ImpulsePostProcessingBlock.
type PostProcessingBlock struct {
	ID                    int        `json:"id"`
	Type                  string     `json:"type"`
	Name                  string     `json:"name"`
	Title                 string     `json:"title"`
	CreatedBy             string     `json:"createdBy,omitempty"`
	CreatedAt             *time.Time `json:"createdAt,omitempty"`
	ImplementationVersion int        `json:"implementationVersion"`
}

// DetailedImpulsesResponse is Studio's GetAllDetailedImpulsesResponse, the
// answer of GET /v1/api/{projectId}/impulses-detailed.
type DetailedImpulsesResponse struct {
	Success              bool              `json:"success"`
	Error                string            `json:"error,omitempty"`
	Impulses             []DetailedImpulse `json:"impulses"`
	MetricKeysByCategory []MetricKeys      `json:"metricKeysByCategory"`
	ExtraTableColumns    []string          `json:"extraTableColumns"`
}

// MarshalJSON writes nil lists as [].
func (r DetailedImpulsesResponse) MarshalJSON() ([]byte, error) {
	type plain DetailedImpulsesResponse
	p := plain(r)
	p.Impulses = nonNil(p.Impulses)
	p.MetricKeysByCategory = nonNil(p.MetricKeysByCategory)
	p.ExtraTableColumns = nonNil(p.ExtraTableColumns)
	return json.Marshal(p)
}

// MetricKeys lists the metrics of one category (metricKeysByCategory).
type MetricKeys struct {
	// Category is impulseMetrics, inputBlockConfig, dspBlockConfig,
	// learnBlockConfig, learnBlockMetrics or postProcessingBlockConfig.
	Category   string      `json:"category"`
	MetricKeys []MetricKey `json:"metricKeys"`
}

// MarshalJSON writes nil keys as [].
func (m MetricKeys) MarshalJSON() ([]byte, error) {
	type plain MetricKeys
	p := plain(m)
	p.MetricKeys = nonNil(p.MetricKeys)
	return json.Marshal(p)
}

// MetricKey describes one metric name of metricKeysByCategory.
type MetricKey struct {
	Name          string         `json:"name"`
	Description   string         `json:"description"`
	Type          string         `json:"type"` // "core" or "additional"
	FilteringType *FilteringType `json:"filteringType,omitempty"`
	ShowInTable   bool           `json:"showInTable"`
}

// FilteringType is Studio's DetailedImpulseMetricFilteringType.
type FilteringType struct {
	// Type is numeric, string, select, boolean or list.
	Type    string   `json:"type"`
	Options []string `json:"options"`
}

// DetailedImpulse is Studio's DetailedImpulse: an impulse with the
// configuration and results of every block.
type DetailedImpulse struct {
	Impulse                    Impulse                     `json:"impulse"`
	Metrics                    []DetailedImpulseMetric     `json:"metrics"`
	DSPBlockConfigs            []DSPBlockConfig            `json:"dspBlockConfigs"`
	LearnBlockKerasConfigs     []KerasBlockConfig          `json:"learnBlockKerasConfigs"`
	LearnBlockAnomalyConfigs   []AnomalyBlockConfig        `json:"learnBlockAnomalyConfigs"`
	PostProcessingBlockConfigs []PostProcessingBlockConfig `json:"postProcessingBlockConfigs"`
	PretrainedModelInfo        *PretrainedModelInfo        `json:"pretrainedModelInfo,omitempty"`
	// IsStale is set when the dataset changed after the features were generated.
	IsStale bool `json:"isStale"`
	// Configured and Complete say whether every block is configured, and
	// trained.
	Configured              bool     `json:"configured"`
	Complete                bool     `json:"complete"`
	Tags                    []string `json:"tags"`
	CreatedFromTunerTrialID *int     `json:"createdFromTunerTrialId,omitempty"`
	CreatedByUser           *User    `json:"createdByUser,omitempty"`
}

// MarshalJSON writes nil lists as [].
func (d DetailedImpulse) MarshalJSON() ([]byte, error) {
	type plain DetailedImpulse
	p := plain(d)
	p.Metrics = nonNil(p.Metrics)
	p.DSPBlockConfigs = nonNil(p.DSPBlockConfigs)
	p.LearnBlockKerasConfigs = nonNil(p.LearnBlockKerasConfigs)
	p.LearnBlockAnomalyConfigs = nonNil(p.LearnBlockAnomalyConfigs)
	p.PostProcessingBlockConfigs = nonNil(p.PostProcessingBlockConfigs)
	p.Tags = nonNil(p.Tags)
	return json.Marshal(p)
}

// PretrainedModelInfo names the uploaded model of a BYOM impulse.
type PretrainedModelInfo struct {
	FileName string `json:"fileName"`
}

// User is Studio's CreatedUpdatedByUser.
type User struct {
	ID       int    `json:"id"`
	Name     string `json:"name"`
	Username string `json:"username"`
	Photo    string `json:"photo,omitempty"`
}

// DetailedImpulseMetric is one entry of DetailedImpulse.Metrics.
type DetailedImpulseMetric struct {
	Name          string         `json:"name"`
	Type          string         `json:"type"` // "core" or "additional"
	FilteringType *FilteringType `json:"filteringType,omitempty"`
	Category      string         `json:"category"`
	Description   string         `json:"description"`
	// Value is a string or a bool, as in Studio's type.
	Value           any      `json:"value"`
	Title           string   `json:"title,omitempty"`
	ValueForSorting *float64 `json:"valueForSorting,omitempty"`
	ValueHint       string   `json:"valueHint,omitempty"`
}

// DSPBlockConfig is one entry of DetailedImpulse.DSPBlockConfigs.
type DSPBlockConfig struct {
	BlockID  int          `json:"blockId"`
	Config   DSPConfig    `json:"config"`
	Metadata *DSPMetadata `json:"metadata,omitempty"`
}

// DSPConfig is Studio's DSPConfig: a processing block and its parameters.
type DSPConfig struct {
	DSP         DSPInfo    `json:"dsp"`
	Config      []DSPGroup `json:"config,omitempty"`
	ConfigError string     `json:"configError,omitempty"`
}

// DSPInfo is Studio's DSPInfo.
type DSPInfo struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
	// WindowLength is the input window in milliseconds.
	WindowLength int    `json:"windowLength"`
	Type         string `json:"type"`
	// Classes are the labels of the data.
	Classes             []string               `json:"classes"`
	Features            DSPFeatures            `json:"features"`
	ExpectedWindowCount int                    `json:"expectedWindowCount"`
	InputAxes           []string               `json:"inputAxes"`
	Performance         *device.DSPPerformance `json:"performance,omitempty"`
	// CanCalculateFeatureImportance and CalculateFeatureImportance concern
	// Studio's feature importance job, which this package does not run.
	CanCalculateFeatureImportance bool `json:"canCalculateFeatureImportance"`
	CalculateFeatureImportance    bool `json:"calculateFeatureImportance"`
	CanNormalizeData              bool `json:"canNormalizeData"`
	// NormalizeData is "none" or "normalize-channel-standard-scaler".
	NormalizeData             string `json:"normalizeData"`
	HasAutoTune               *bool  `json:"hasAutoTune,omitempty"`
	MinimumVersionForAutotune int    `json:"minimumVersionForAutotune,omitempty"`
	HasAutotunerResults       *bool  `json:"hasAutotunerResults,omitempty"`
	UsesState                 *bool  `json:"usesState,omitempty"`
}

// MarshalJSON writes nil lists as [].
func (d DSPInfo) MarshalJSON() ([]byte, error) {
	type plain DSPInfo
	p := plain(d)
	p.Classes = nonNil(p.Classes)
	p.InputAxes = nonNil(p.InputAxes)
	return json.Marshal(p)
}

// DSPFeatures is DSPInfo's features object.
type DSPFeatures struct {
	Generated bool     `json:"generated"`
	Count     int      `json:"count,omitempty"`
	Labels    []string `json:"labels,omitempty"`
	Classes   []string `json:"classes,omitempty"`
}

// DSPGroup is Studio's DSPGroup: a titled group of block parameters.
type DSPGroup struct {
	Group string         `json:"group"`
	Items []DSPGroupItem `json:"items"`
}

// MarshalJSON writes nil items as [].
func (g DSPGroup) MarshalJSON() ([]byte, error) {
	type plain DSPGroup
	p := plain(g)
	p.Items = nonNil(p.Items)
	return json.Marshal(p)
}

// DSPGroupItem is Studio's DSPGroupItem: one block parameter with its value
// and default as strings.
type DSPGroupItem struct {
	Name           string         `json:"name"`
	Value          *string        `json:"value,omitempty"`
	DefaultValue   string         `json:"defaultValue"`
	Type           string         `json:"type"` // int, float, boolean, select, string
	Help           string         `json:"help,omitempty"`
	Param          string         `json:"param"`
	SelectOptions  []SelectOption `json:"selectOptions,omitempty"`
	Readonly       bool           `json:"readonly"`
	ShouldShow     bool           `json:"shouldShow"`
	ShowIf         *dsp.ShowIf    `json:"showIf,omitempty"`
	InvalidText    string         `json:"invalidText,omitempty"`
	Section        string         `json:"section,omitempty"`
	Required       bool           `json:"required"`
	Hint           string         `json:"hint,omitempty"`
	Placeholder    string         `json:"placeholder,omitempty"`
	ShowClickToSet bool           `json:"showClickToSet"`
	MinVal         *float64       `json:"minVal,omitempty"`
	MaxVal         *float64       `json:"maxVal,omitempty"`
}

// SelectOption is one choice of a select parameter.
type SelectOption struct {
	Value       string `json:"value,omitempty"`
	Selected    bool   `json:"selected,omitempty"`
	OptionLabel string `json:"optionLabel,omitempty"`
}

// DSPMetadata is Studio's DSPMetadata: what feature generation produced for
// one processing block.
type DSPMetadata struct {
	Created   time.Time `json:"created"`
	Generated bool      `json:"generated"`
	// DSPConfig holds every parameter's value as a string.
	DSPConfig map[string]string `json:"dspConfig"`
	// Labels are the classes (sorted labels) of the windows.
	Labels []string `json:"labels"`
	// FeatureLabels names every feature, axis name first ("accX RMS").
	FeatureLabels []string `json:"featureLabels,omitempty"`
	WindowCount   int      `json:"windowCount"`
	FeatureCount  int      `json:"featureCount"`
	// IncludedSamples lists the samples with windows, in feature-row order.
	IncludedSamples  []IncludedSample `json:"includedSamples"`
	WindowSizeMs     int              `json:"windowSizeMs"`
	WindowIncreaseMs int              `json:"windowIncreaseMs"`
	PadZeros         bool             `json:"padZeros"`
	Frequency        float64          `json:"frequency"`
	OutputConfig     dsp.OutputConfig `json:"outputConfig"`
	FFTUsed          []int            `json:"fftUsed,omitempty"`
	// ResamplingAlgorithmVersion identifies the resampling of samples
	// recorded at another frequency (this package's linear interpolation: 1).
	ResamplingAlgorithmVersion int `json:"resamplingAlgorithmVersion,omitempty"`
}

// MarshalJSON writes nil lists and maps as empty ones.
func (m DSPMetadata) MarshalJSON() ([]byte, error) {
	type plain DSPMetadata
	p := plain(m)
	p.Labels = nonNil(p.Labels)
	p.IncludedSamples = nonNil(p.IncludedSamples)
	if p.DSPConfig == nil {
		p.DSPConfig = map[string]string{}
	}
	return json.Marshal(p)
}

// IncludedSample is one entry of DSPMetadata.IncludedSamples.
type IncludedSample struct {
	ID          int `json:"id"`
	WindowCount int `json:"windowCount"`
}

// BlockThreshold is Studio's BlockThreshold, one configurable threshold of a
// learn block (min_score, min_anomaly_score, …).
type BlockThreshold = anomaly.Threshold

// KerasBlockConfig is one entry of DetailedImpulse.LearnBlockKerasConfigs.
type KerasBlockConfig struct {
	BlockID  int                 `json:"blockId"`
	Config   KerasConfig         `json:"config"`
	Metadata *KerasModelMetadata `json:"metadata,omitempty"`
}

// AnomalyBlockConfig is one entry of DetailedImpulse.LearnBlockAnomalyConfigs.
type AnomalyBlockConfig struct {
	BlockID     int                  `json:"blockId"`
	Config      anomaly.BlockConfig  `json:"config"`
	Metadata    *anomaly.Metadata    `json:"metadata,omitempty"`
	GMMMetadata *anomaly.GMMMetadata `json:"gmmMetadata,omitempty"`
}

// PostProcessingBlockConfig is one entry of
// DetailedImpulse.PostProcessingBlockConfigs.
type PostProcessingBlockConfig struct {
	BlockID int                  `json:"blockId"`
	Config  PostProcessingConfig `json:"config"`
}

// PostProcessingConfig is Studio's PostProcessingConfig.
type PostProcessingConfig struct {
	Enabled    bool           `json:"enabled"`
	Parameters []DSPGroupItem `json:"parameters"`
}

// MarshalJSON writes nil parameters as [].
func (c PostProcessingConfig) MarshalJSON() ([]byte, error) {
	type plain PostProcessingConfig
	p := plain(c)
	p.Parameters = nonNil(p.Parameters)
	return json.Marshal(p)
}

// KerasConfig is Studio's KerasConfig: the configuration of a neural network
// learn block as the impulses-detailed response shows it.
type KerasConfig struct {
	Dependencies anomaly.Dependencies `json:"dependencies"`
	Trained      bool                 `json:"trained"`
	Name         string               `json:"name"`
	Type         string               `json:"type,omitempty"`
	// Script is the Keras code of an expert-mode block; "" in visual mode.
	Script                  string              `json:"script"`
	MinimumConfidenceRating float64             `json:"minimumConfidenceRating"`
	SelectedModelType       string              `json:"selectedModelType"`
	Mode                    string              `json:"mode"`
	VisualLayers            []learn.VisualLayer `json:"visualLayers"`
	TrainingCycles          int                 `json:"trainingCycles"`
	LearningRate            float64             `json:"learningRate"`
	BatchSize               int                 `json:"batchSize,omitempty"`
	DefaultBatchSize        int                 `json:"defaultBatchSize"`
	// Shape is the input shape as a Python tuple, e.g. "(33,)".
	Shape                            string                         `json:"shape"`
	TrainTestSplit                   *float64                       `json:"trainTestSplit,omitempty"`
	AutoClassWeights                 *bool                          `json:"autoClassWeights,omitempty"`
	UseLearnedOptimizer              *bool                          `json:"useLearnedOptimizer,omitempty"`
	AugmentationPolicyImage          string                         `json:"augmentationPolicyImage"`
	AugmentationPolicySpectrogram    *AugmentationPolicySpectrogram `json:"augmentationPolicySpectrogram,omitempty"`
	TransferLearningModels           []TransferLearningModel        `json:"transferLearningModels"`
	ProfileInt8                      bool                           `json:"profileInt8"`
	SkipEmbeddingsAndMemory          bool                           `json:"skipEmbeddingsAndMemory"`
	CustomValidationMetadataKey      string                         `json:"customValidationMetadataKey,omitempty"`
	ShowAdvancedTrainingSettings     bool                           `json:"showAdvancedTrainingSettings"`
	ShowAugmentationTrainingSettings bool                           `json:"showAugmentationTrainingSettings"`
	CustomParameters                 map[string]string              `json:"customParameters,omitempty"`
	AnomalyCapacity                  string                         `json:"anomalyCapacity,omitempty"`
	LastShownModelVariant            string                         `json:"lastShownModelVariant,omitempty"`
	Thresholds                       []BlockThreshold               `json:"thresholds"`
}

// MarshalJSON writes nil lists as [].
func (c KerasConfig) MarshalJSON() ([]byte, error) {
	type plain KerasConfig
	p := plain(c)
	p.VisualLayers = nonNil(p.VisualLayers)
	p.TransferLearningModels = nonNil(p.TransferLearningModels)
	p.Thresholds = nonNil(p.Thresholds)
	p.Dependencies.Classes = nonNil(p.Dependencies.Classes)
	p.Dependencies.BlockNames = nonNil(p.Dependencies.BlockNames)
	p.Dependencies.OutputClasses = nonNil(p.Dependencies.OutputClasses)
	return json.Marshal(p)
}

// AugmentationPolicySpectrogram is Studio's spectrogram augmentation
// setting; each masking and noise level is none, low or high.
type AugmentationPolicySpectrogram struct {
	Enabled       bool   `json:"enabled"`
	Warping       *bool  `json:"warping,omitempty"`
	FreqMasking   string `json:"freqMasking,omitempty"`
	TimeMasking   string `json:"timeMasking,omitempty"`
	GaussianNoise string `json:"gaussianNoise,omitempty"`
}

// TransferLearningModel is Studio's description of a transfer-learning base
// model (this package offers none, so its lists are empty).
type TransferLearningModel struct {
	Name            string `json:"name"`
	ShortName       string `json:"shortName"`
	AbbreviatedName string `json:"abbreviatedName,omitempty"`
	Description     string `json:"description"`
	HasNeurons      bool   `json:"hasNeurons"`
	HasDropout      bool   `json:"hasDropout"`
	Type            string `json:"type"`
	LearnBlockType  string `json:"learnBlockType"`
	Author          string `json:"author"`
	BlockType       string `json:"blockType"`
	HasExpertMode   bool   `json:"hasExpertMode"`
}

// KerasModelMetadata is Studio's KerasModelMetadata: the trained network of
// a learn block and its validation metrics per model variant.
type KerasModelMetadata struct {
	Created time.Time `json:"created"`
	// Layers describes every Keras layer's input and output.
	Layers []learn.LayerInfo `json:"layers"`
	// ClassNames are the model outputs; Labels the dataset labels.
	ClassNames []string `json:"classNames"`
	Labels     []string `json:"labels"`
	// AvailableModelTypes lists "float32" then "int8"; RecommendedModelType
	// is "int8" whenever an int8 model exists.
	AvailableModelTypes    []string               `json:"availableModelTypes"`
	RecommendedModelType   string                 `json:"recommendedModelType"`
	ModelValidationMetrics []metrics.ModelMetrics `json:"modelValidationMetrics"`
	HasTrainedModel        bool                   `json:"hasTrainedModel"`
	// Mode is "classification" or "regression".
	Mode                     string `json:"mode"`
	ObjectDetectionLastLayer string `json:"objectDetectionLastLayer,omitempty"`
	// ImageInputScaling is the pixel range of image inputs, "0..1" here.
	ImageInputScaling string           `json:"imageInputScaling"`
	Thresholds        []BlockThreshold `json:"thresholds"`
}

// MarshalJSON writes nil lists as [].
func (m KerasModelMetadata) MarshalJSON() ([]byte, error) {
	type plain KerasModelMetadata
	p := plain(m)
	p.Layers = nonNil(p.Layers)
	p.ClassNames = nonNil(p.ClassNames)
	p.Labels = nonNil(p.Labels)
	p.AvailableModelTypes = nonNil(p.AvailableModelTypes)
	p.ModelValidationMetrics = nonNil(p.ModelValidationMetrics)
	p.Thresholds = nonNil(p.Thresholds)
	return json.Marshal(p)
}

// nonNil returns s, or an empty slice for nil, so that it marshals as [].
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
