package learn

import (
	"fmt"
	"math"
)

// Config is the part of Edge Impulse's KerasConfig / SetKerasParameterRequest that
// describes a visual-mode network and how it is trained. The JSON names are Edge
// Impulse's own; a zero value (or an omitted field) means Studio's default, see
// [Config.WithDefaults].
type Config struct {
	// TrainingCycles is the number of epochs.
	TrainingCycles int `json:"trainingCycles,omitempty"`
	// LearningRate is Adam's learning rate.
	LearningRate float64 `json:"learningRate,omitempty"`
	// BatchSize is the mini-batch size; 0 means DefaultBatchSize.
	BatchSize int `json:"batchSize,omitempty"`
	// DefaultBatchSize is Studio's fallback batch size (32).
	DefaultBatchSize int `json:"defaultBatchSize,omitempty"`
	// TrainTestSplit is the fraction of windows held out for validation
	// (nil means 0.2; 0 trains on every window and keeps the last epoch).
	TrainTestSplit *float64 `json:"trainTestSplit,omitempty"`
	// AutoClassWeights weights each class's loss by N/(count·classes).
	AutoClassWeights bool `json:"autoClassWeights,omitempty"`
	// VisualLayers are the hidden layers, input and output layers excluded.
	VisualLayers []VisualLayer `json:"visualLayers"`
	// MinimumConfidenceRating is the classification threshold (not used in training).
	MinimumConfidenceRating float64 `json:"minimumConfidenceRating,omitempty"`
	// SelectedModelType is "int8" or "float32" (not used in training).
	SelectedModelType string `json:"selectedModelType,omitempty"`
	// Mode is "visual" (the only mode this package builds) or "expert".
	Mode string `json:"mode,omitempty"`
	// Augment, when not nil, augments the training windows' spectrogram
	// features afresh every epoch (see SpecAugment).
	Augment *SpecAugment `json:"-"`
	// AugmentImage augments the training images afresh every epoch:
	// flipped left to right, padded and cropped, brightened (see Studio's
	// augmentationPolicyImage "all").
	AugmentImage bool `json:"-"`
}

// VisualLayer is one of Studio's visual layers (API KerasVisualLayer).
type VisualLayer struct {
	// Type is one of "dense", "conv1d", "conv2d", "reshape", "flatten",
	// "dropout", "batchNormalization".
	Type string `json:"type"`
	// Neurons is the number of units (dense) or filters (conv1d, conv2d).
	Neurons int `json:"neurons,omitempty"`
	// KernelSize is the convolution kernel size (default 3).
	KernelSize int `json:"kernelSize,omitempty"`
	// DropoutRate is the fraction of activations dropped while training (default 0.25).
	DropoutRate *float64 `json:"dropoutRate,omitempty"`
	// Columns is the number of columns of a reshape layer.
	Columns int `json:"columns,omitempty"`
	// Stack is the number of convolution layers before the pooling layer (default 1).
	Stack int `json:"stack,omitempty"`
	// Enabled false removes the layer; nil means enabled.
	Enabled *bool `json:"enabled,omitempty"`
}

// Visual layer types.
const (
	LayerDense              = "dense"
	LayerConv1D             = "conv1d"
	LayerConv2D             = "conv2d"
	LayerReshape            = "reshape"
	LayerFlatten            = "flatten"
	LayerDropout            = "dropout"
	LayerBatchNormalization = "batchNormalization"
)

// InputKind says what the features of a window are; it chooses Studio's default
// architecture and, for images, the shape of the network's input.
type InputKind int

// Input kinds.
const (
	// InputFlat is a flat feature vector (spectral analysis, flatten, raw).
	InputFlat InputKind = iota
	// InputMFCC is a flattened MFCC spectrogram, Width frames of Height coefficients.
	InputMFCC
	// InputMFE is a flattened MFE spectrogram, Width frames of Height filters.
	InputMFE
	// InputSpectrogram is a flattened spectrogram, Width frames of Height bins.
	InputSpectrogram
	// InputImage is an image, Height rows of Width pixels of Channels values (row-major HWC).
	InputImage
)

// Input is the shape of one window's features as the processing blocks report it.
// The fields follow Edge Impulse's output_config shape: for InputFlat only Width
// (the feature count) is used; spectrogram kinds have Width frames of Height
// values each, stored frame after frame (the network sees a flat vector and a
// reshape layer with Height columns restores the frames); images are
// Height×Width×Channels, row-major.
type Input struct {
	Kind                    InputKind
	Width, Height, Channels int
}

// Features returns the number of features per window.
func (in Input) Features() int {
	switch in.Kind {
	case InputFlat:
		return in.Width
	case InputImage:
		return in.Width * in.Height * max(in.Channels, 1)
	default:
		return in.Width * in.Height
	}
}

func (in Input) validate() error {
	if in.Kind < InputFlat || in.Kind > InputImage {
		return fmt.Errorf("learn: input kind %d is unknown", in.Kind)
	}
	if in.Width <= 0 {
		return fmt.Errorf("learn: input width %d must be positive", in.Width)
	}
	if in.Kind != InputFlat && in.Height <= 0 {
		return fmt.Errorf("learn: input height %d must be positive", in.Height)
	}
	if in.Kind == InputImage && in.Channels < 0 {
		return fmt.Errorf("learn: input channels %d must be positive", in.Channels)
	}
	// Bound the product factor by factor: Features would overflow (and turn
	// negative or zero) for large enough dimensions.
	dims := [3]int{in.Width, 1, 1}
	if in.Kind != InputFlat {
		dims[1] = in.Height
	}
	if in.Kind == InputImage {
		dims[2] = max(in.Channels, 1)
	}
	f := 1
	for _, d := range dims {
		if d > maxFeatures/f {
			return fmt.Errorf("learn: input %d×%d×%d has more than %d features", dims[0], dims[1], dims[2], maxFeatures)
		}
		f *= d
	}
	return nil
}

// maxFeatures is the largest number of features per window (and of values in
// any layer's output) a network may have.
const maxFeatures = 1 << 24

// DefaultConfig returns the network and hyper-parameters Studio proposes for an
// input of this kind: dense 20 → dense 10 for flat features (30 epochs, learning
// rate 0.0005); reshape → conv1d 8 → dropout 0.25 → conv1d 16 → dropout 0.25 →
// flatten for MFCC and MFE (100 epochs, 0.005) and spectrograms (30 epochs, 0.005);
// conv2d 32 → conv2d 16 → flatten → dropout 0.25 for images (20 epochs, 0.0005).
// Regression uses the same architecture with a linear output.
func DefaultConfig(in Input) Config {
	r := 0.25
	c := Config{DefaultBatchSize: 32, Mode: "visual", SelectedModelType: "int8", MinimumConfidenceRating: 0.6}
	switch in.Kind {
	case InputMFCC, InputMFE, InputSpectrogram:
		c.TrainingCycles, c.LearningRate = 100, 0.005
		if in.Kind == InputSpectrogram {
			c.TrainingCycles = 30
		}
		c.VisualLayers = []VisualLayer{
			{Type: LayerReshape, Columns: in.Height},
			{Type: LayerConv1D, Neurons: 8, KernelSize: 3, Stack: 1},
			{Type: LayerDropout, DropoutRate: &r},
			{Type: LayerConv1D, Neurons: 16, KernelSize: 3, Stack: 1},
			{Type: LayerDropout, DropoutRate: &r},
			{Type: LayerFlatten},
		}
	case InputImage:
		c.TrainingCycles, c.LearningRate = 20, 0.0005
		c.VisualLayers = []VisualLayer{
			{Type: LayerConv2D, Neurons: 32, KernelSize: 3, Stack: 1},
			{Type: LayerConv2D, Neurons: 16, KernelSize: 3, Stack: 1},
			{Type: LayerFlatten},
			{Type: LayerDropout, DropoutRate: &r},
		}
	default:
		c.TrainingCycles, c.LearningRate = 30, 0.0005
		c.VisualLayers = []VisualLayer{
			{Type: LayerDense, Neurons: 20},
			{Type: LayerDense, Neurons: 10},
		}
	}
	return c
}

// WithDefaults returns c with Studio's defaults filled in for unset fields:
// batch size 32, validation split 0.2, learning rate 0.0005, 30 epochs.
// Visual layers are not touched (an empty list is a valid network: input → output).
func (c Config) WithDefaults() Config {
	if c.DefaultBatchSize <= 0 {
		c.DefaultBatchSize = 32
	}
	if c.BatchSize <= 0 {
		c.BatchSize = c.DefaultBatchSize
	}
	if c.TrainTestSplit == nil {
		s := 0.2
		c.TrainTestSplit = &s
	}
	if c.LearningRate == 0 {
		c.LearningRate = 0.0005
	}
	if c.TrainingCycles == 0 {
		c.TrainingCycles = 30
	}
	return c
}

func (c Config) validate() error {
	if c.Mode != "" && c.Mode != "visual" {
		return fmt.Errorf("learn: mode %q is not supported (only \"visual\")", c.Mode)
	}
	if c.TrainingCycles < 0 || c.TrainingCycles > 1_000_000 {
		return fmt.Errorf("learn: trainingCycles %d out of range", c.TrainingCycles)
	}
	if !(c.LearningRate > 0 && c.LearningRate <= 1) {
		return fmt.Errorf("learn: learningRate %v must be in (0, 1]", c.LearningRate)
	}
	if c.BatchSize <= 0 || c.BatchSize > 1<<16 {
		return fmt.Errorf("learn: batchSize %d out of range", c.BatchSize)
	}
	if s := *c.TrainTestSplit; !(s >= 0 && s < 1) {
		return fmt.Errorf("learn: trainTestSplit %v must be in [0, 1)", s)
	}
	for i, l := range c.VisualLayers {
		if err := l.validate(); err != nil {
			return fmt.Errorf("learn: visualLayers[%d]: %w", i, err)
		}
	}
	return nil
}

func (l VisualLayer) enabled() bool { return l.Enabled == nil || *l.Enabled }

func (l VisualLayer) kernel() int {
	if l.KernelSize == 0 {
		return 3
	}
	return l.KernelSize
}

func (l VisualLayer) stack() int {
	if l.Stack == 0 {
		return 1
	}
	return l.Stack
}

func (l VisualLayer) rate() float64 {
	if l.DropoutRate == nil {
		return 0.25
	}
	return *l.DropoutRate
}

func (l VisualLayer) validate() error {
	switch l.Type {
	case LayerDense, LayerConv1D, LayerConv2D:
		if l.Neurons <= 0 || l.Neurons > 1<<14 {
			return fmt.Errorf("%s: neurons %d out of range [1, %d]", l.Type, l.Neurons, 1<<14)
		}
		if l.Type != LayerDense {
			if k := l.kernel(); k <= 0 || k > 64 {
				return fmt.Errorf("%s: kernelSize %d out of range [1, 64]", l.Type, l.KernelSize)
			}
			if s := l.stack(); s <= 0 || s > 64 {
				return fmt.Errorf("%s: stack %d out of range [1, 64]", l.Type, l.Stack)
			}
		}
	case LayerReshape:
		if l.Columns <= 0 {
			return fmt.Errorf("reshape: columns %d must be positive", l.Columns)
		}
	case LayerDropout:
		if r := l.rate(); !(r >= 0 && r < 1) || math.IsNaN(r) {
			return fmt.Errorf("dropout: dropoutRate %v must be in [0, 1)", r)
		}
	case LayerFlatten, LayerBatchNormalization:
	default:
		return fmt.Errorf("type %q is not supported", l.Type)
	}
	return nil
}
