package report

import (
	"image"
	"time"
)

// Data is everything a report shows, as plain values. Build fills it from a
// trained model; any other source (a service, a tuner, a test) may fill it
// too. Sections whose field is nil or empty are shown as "not available"
// with the reason in Notes, never left out silently.
//
// Figures that do not apply are NaN (a regression's accuracy, a loss the
// model does not report); charts leave such points out.
type Data struct {
	// Title is the impulse's name.
	Title string
	// Created is when the model was trained (shown as given, in UTC).
	Created time.Time
	// Impulse is the block diagram.
	Impulse Impulse
	// Dataset counts the data per class and category.
	Dataset Dataset
	// Samples holds one sample per class with the DSP output of one of its
	// windows.
	Samples []Sample
	// Explorer is the feature explorer: a 2-D projection of the training
	// features.
	Explorer *Explorer
	// Training holds the per-epoch history of each neural network.
	Training []Training
	// Validation holds the validation metrics of each neural network, one
	// entry per model type (int8, float32).
	Validation []Validation
	// Testing is model testing on the testing data.
	Testing *Testing
	// Anomaly holds the anomaly scores of the testing windows, per anomaly
	// block.
	Anomaly []AnomalyScores
	// Device holds the on-device estimates on one target.
	Device *Device
	// Tuner is a tuner run's trials; nil when no tuner ran.
	Tuner *Tuner
	// Notes says, per section id (see Sections), why a section has nothing
	// to show or what it leaves out.
	Notes map[string]string
}

// Setting is a named value as people read it ("Window size", "2000 ms").
type Setting struct {
	Name, Value string
}

// Impulse is the impulse as a block diagram: its blocks in Studio's columns
// (input, processing, learning) and the output features.
type Impulse struct {
	Inputs, Processing, Learning []Block
	// Outputs are the output features: the classes, and "anomaly" when an
	// anomaly block is present.
	Outputs []string
}

// Block is one block of the impulse.
type Block struct {
	ID int
	// Type is Edge Impulse's block type ("time-series", "spectral-analysis",
	// "keras", "anomaly"…), Name and Title as Studio shows them.
	Type, Name, Title string
	// Inputs are the ids of the blocks the block reads.
	Inputs []int
	// Settings are the block's parameters.
	Settings []Setting
}

// Dataset describes the data per class.
type Dataset struct {
	// TimeSeries is true for sensor data (durations apply), false for
	// images.
	TimeSeries bool
	// Sensors names the axes with their units ("accX (m/s2)").
	Sensors []string
	// FrequencyHz is the impulse's sampling frequency (time series).
	FrequencyHz float64
	// Classes counts every label, sorted; a label found only in the testing
	// data (such as "anomaly") has no training data.
	Classes []ClassCount
}

// ClassCount is the data of one label in the training and testing
// categories.
type ClassCount struct {
	Label             string
	Training, Testing Count
}

// Count is an amount of data.
type Count struct {
	Samples int
	// Duration is the total length of the samples (time series).
	Duration time.Duration
	// Windows is the number of windows the impulse cuts from them (training:
	// with the training stride; testing: with the classification stride).
	Windows int
}

// Sample is one recorded sample and the DSP output of one of its windows.
type Sample struct {
	// Label is the sample's class, Name its name in the dataset.
	Label, Name string
	// Signal is the recording of a time-series sample (nil for images).
	Signal *Signal
	// Image is an image sample as recorded (nil for time series).
	Image image.Image
	// Outputs holds every processing block's output for the window.
	Outputs []DSPOutput
}

// Signal is a time series and the window whose DSP output the report shows.
type Signal struct {
	// IntervalMs is the time between two values.
	IntervalMs float64
	Axes       []Axis
	// WindowStartMs and WindowEndMs delimit the window.
	WindowStartMs, WindowEndMs float64
}

// Axis is one axis of a time series.
type Axis struct {
	Name, Units string
	Values      []float64
}

// DSPOutput is what one processing block makes of a window. The renderer
// draws the first of Spectra, Heat, Image that is set, and Features (a bar
// per feature) when none is. Scalars are listed beside the chart.
type DSPOutput struct {
	// Block is the block's name, Type its Edge Impulse type.
	Block, Type string
	// Spectra holds the spectral power per axis (spectral analysis).
	Spectra []Spectrum
	// PowerUnit names the unit of the spectral power ("log10 power").
	PowerUnit string
	// Scalars are the block's other named features (RMS, skewness…).
	Scalars []Scalar
	// Heat is a spectrogram, MFE or MFCC output.
	Heat *HeatMap
	// Image is the image as the network receives it (image block).
	Image image.Image
	// Features is the raw feature vector, drawn when nothing else is set.
	Features []float64
}

// Scalar is one named feature of one axis ("accX", "RMS"); Axis is ""
// for features of no particular axis.
type Scalar struct {
	Axis, Name string
	Value      float64
}

// Spectrum is the spectral power of one axis in frequency bands.
type Spectrum struct {
	Axis  string
	Bands []Band
}

// Band is the power in the frequency band [LoHz, HiHz).
type Band struct {
	LoHz, HiHz, Power float64
}

// HeatMap is a grid of values: NX columns along X (time frames) and NY rows
// along Y (coefficients, filters or frequency bins), Values[i*NY+j] at
// column i, row j, as the audio blocks lay out their features.
type HeatMap struct {
	NX, NY int
	Values []float64
	// X and Y give each axis's label (with its unit) and the data range the
	// grid covers, from the first cell's start to the last cell's end.
	X, Y Range
	// Z labels the values, with their unit.
	Z string
}

// Range is a labelled data interval.
type Range struct {
	Label    string
	Min, Max float64
}

// Explorer is the feature explorer: training windows projected to two
// dimensions, coloured by class, the windows the model gets wrong marked.
type Explorer struct {
	// Method names the projection ("PCA of the standardised features").
	Method string
	// XLabel and YLabel name the two axes, with their share of variance.
	XLabel, YLabel string
	Classes        []string
	Points         []Point
	// Model names the model whose predictions mark Wrong points.
	Model string
}

// Point is one window in the feature explorer.
type Point struct {
	X, Y float64
	// Class indexes Explorer.Classes.
	Class int
	// Wrong is true when the model's prediction of the window is not its
	// label.
	Wrong bool
}

// Training is the per-epoch history of one neural network.
type Training struct {
	Block  string
	Epochs []Epoch
	// BestEpoch is the 1-based epoch whose weights the model kept.
	BestEpoch int
}

// Epoch holds the figures of one epoch; NaN where one does not apply.
type Epoch struct {
	Loss, Accuracy, ValLoss, ValAccuracy float64
}

// Matrix is a table of window counts: Counts[i*len(Columns)+j] windows of
// row label i got column label j.
type Matrix struct {
	Rows, Columns []string
	Counts        []int
}

// ClassScore holds one class's precision, recall and F1 score, and the
// number of windows of the class.
type ClassScore struct {
	Label                 string
	Precision, Recall, F1 float64
	Support               int
}

// Validation is a neural network's validation result for one model type.
type Validation struct {
	Block string
	// ModelType is "int8" or "float32"; Selected marks the type the
	// impulse classifies with.
	ModelType string
	Selected  bool
	// Matrix is actual (rows) against predicted (columns) classes.
	Matrix         Matrix
	Accuracy, Loss float64
	PerClass       []ClassScore
	// Metrics are further figures (ROC AUC, weighted averages).
	Metrics []Setting
}

// Testing is model testing: every window of the testing samples classified
// with the classification stride.
type Testing struct {
	ModelType        string
	Samples, Windows int
	// Matrix is expected labels (rows) against results (columns), with
	// "uncertain" and "anomaly" columns as Studio's model testing shows.
	Matrix   Matrix
	Accuracy float64
	// PerClass scores the windows of known classes.
	PerClass []ClassScore
	Metrics  []Setting
}

// AnomalyScores are the anomaly scores of testing windows.
type AnomalyScores struct {
	Block     string
	Threshold float64
	// Normal and Anomalous hold the scores of windows labelled with a
	// class and windows labelled "anomaly".
	Normal, Anomalous []float64
}

// Device is the on-device estimate of the impulse on one target.
type Device struct {
	// Target names the device; ClockMHz, RAMBytes and ROMBytes are its
	// clock and memory.
	Target   string
	ClockMHz float64
	RAMBytes int
	ROMBytes int
	// LatencyBudgetMs is the time one window may take (the classification
	// stride of continuous classification), 0 for none; LatencyBudget says
	// what it is.
	LatencyBudgetMs float64
	LatencyBudget   string
	// Engines are the deployments: every model type on every engine.
	Engines []Engine
}

// Engine is one deployment of the whole impulse: its totals (latency and
// ROM add up over the blocks, RAM is the largest block's, as the blocks run
// one after the other) and the blocks' figures.
type Engine struct {
	Name      string
	LatencyMs float64
	RAM, ROM  int
	Parts     []Part
}

// Part is one block's share of an engine.
type Part struct {
	Block     string
	LatencyMs float64
	RAM, ROM  int
}

// Tuner is a tuner run: every impulse it tried.
type Tuner struct {
	// Metric names the quality measure of Trial.Score, with its unit
	// ("Validation accuracy (%)").
	Metric string
	Trials []Trial
}

// Trial is one impulse a tuner tried.
type Trial struct {
	Name      string
	LatencyMs float64
	RAM, ROM  int
	Score     float64
	// Pareto is true on the Pareto front (no other trial is at least as
	// good in score and latency and better in one); Fits is false when the
	// trial exceeds the target's memory; Selected marks the chosen one.
	Pareto, Fits, Selected bool
}
