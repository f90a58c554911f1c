// Package impulse is the impulse model of an Edge Impulse Studio project:
// impulse definitions (Studio's JSON, or Go values), the input blocks
// (time-series windowing with resampling and multi-label labelling, image
// resizing), feature generation through the dsp package's processing
// blocks, and on top of them Studio's training job, model testing,
// classification and on-device estimates.
//
// It is the package that ties the core together: it imports dataset
// (samples), dsp, learn, anomaly, metrics, device and studio (the wire
// types); none of them imports it, and neither do the packages built on it
// (tflite, deploy, service, tune, report) need its internals.
//
// # Overview
//
// A definition is plain data. Compile completes it against a dataset, as
// regexp.Compile does a pattern, into an immutable [Impulse]:
//
//	ds, err := dataset.Load("datasets/gestures")
//	def, err := impulse.LoadDefinition("impulse.json")
//	im, err := impulse.Compile(def, ds) // every default, the data's frequency and axes
//	feats, err := im.GenerateFeatures(ctx, ds.Category(dataset.CategoryTraining), nil)
//	X, err := feats.Learn(learnBlockID) // one row per window, feats.Y its class
//	cfgs, err := feats.DSPBlockConfigs() // Studio's dspBlockConfigs entries
//
// A Processor does the same for one sample at a time (Windows, then
// AppendFeatures or AppendLearnFeatures per window).
//
// # Training, testing and classification
//
// [Train] runs Studio's training job on a compiled impulse: features of the
// training samples, then every learn block in turn (a neural network
// trained, quantised to int8 and evaluated on its validation windows with
// on-device estimates; an anomaly block fitted). Its log arrives as
// Studio's socket events (studio.Event), each with the job's structured
// progress (phase, fraction done, and every epoch's loss and accuracy). It
// returns a [Model]: Detailed gives Studio's impulses-detailed response,
// History each network's per-epoch figures, Estimate the on-device
// estimates of one target; Save and LoadModel keep it in a folder, WriteTo
// and ReadModel (or LoadModelFS) in one zip file. [Model.Test] is Studio's
// model testing: every window of the samples, cut with the classification
// stride, classified into a [TestReport] (figures, a table for people and
// Studio's ClassifyJobResponse). A [Classifier] classifies a raw window as
// a device would (Classify, which allocates nothing), or the windows of a
// sample (ClassifySample). Every learn block runs on every window; the first
// neural network and the first anomaly block decide the window's result (a
// label, ResultUncertain below the network's minimum confidence,
// ResultAnomaly above the anomaly threshold). A [ModelType] picks the int8
// or float32 networks.
//
// # Definitions
//
// A definition is the JSON of architecture.md: Studio's CreateImpulseRequest
// under "impulse", each DSP block's parameters (parameters.json names, values
// as JSON values or strings) under "dsp", and each learn block's
// SetKerasParameterRequest or StartTrainingRequestAnomaly under "learn", both
// keyed by block id. ParseDefinition checks it all at once and reports every
// problem with its JSON path; Compile checks it against a dataset. One
// keras setting is this library's own: "augmentationPolicyMotion" trains
// the network on rotated copies of its windows as well
// ([MotionAugmentation]). Omitted settings take Studio's defaults:
//
//   - a time-series input block: 1000 ms windows, a stride of 500 ms (at
//     most the window), the same stride in classification mode, zero
//     padding on, end-of-window labelling; its frequencyHz is the most
//     common frequency of the training samples and its axes those of the
//     first training sample (Compile);
//   - an image input block: 96×96, squash, Lanczos-3, crop anchor
//     middle-center;
//   - a DSP block: the latest implementation version, the input block's
//     axes, each parameter's default (dsp package);
//   - a keras block: learn.DefaultConfig for its input (dense 20 → 10 for
//     flat features, the convolutional stack for MFCC, MFE, spectrogram and
//     image inputs), batch size 32, validation split 0.2, minimum confidence
//     0.6, int8;
//   - an anomaly block: every feature, 32 clusters (GMM: 5 components), a
//     threshold of 0.3 (GMM: computed from the training data);
//   - names and titles as Studio shows them ("Time series", "Spectral
//     features", "NN Classifier", …).
//
// The window-size, stride, zero-padding and image defaults are this
// project's reading of Studio's impulse form, which the API does not
// document.
//
// # Datasets
//
// Samples and datasets come from package dataset (Edge Impulse's sample
// formats and export layout); this package cuts them into windows.
//
// # Windows
//
// Time series are cut on the impulse's sampling grid (impulse-model.md
// §2.1.1). A sample recorded at another frequency is first resampled by
// linear interpolation to round(N·f/fs) values. A window holds n =
// round(windowSizeMs·f/1000) values per axis; windows start every
// round(stride·f/1000) values (at least one), as long as they fit; a sample
// shorter than one window gives one window padded with zeros, or none
// without padding. Window k starts at round(k·stride·1000/f) ms and ends
// windowSizeMs later. A multi-label sample's window takes the label at its
// last value, or the label the input block's labelingMethodMultiLabel picks
// (most frequent, first seen on ties). Images give one window each, resized
// as the input block says (see the resize modes' constants).
//
// # Data layout
//
// Sample.Values is interleaved by value: x0, y0, z0, x1, … in the order of
// Sample.Sensors. A DSP block receives its own axes, in its order, in the
// same interleaved form (dsp's window layout); images arrive as packed
// 0xRRGGBB pixels. Features are one row per window of a *mat.Dense per DSP
// block, rows in sample order and then window order whatever the number of
// workers; a learn block's features are its DSP blocks' features
// concatenated in the order of its dsp list, as Studio and the SDK
// concatenate them.
//
// # Errors
//
// A definition with problems gives a *DefinitionError listing every problem
// with its JSON path ("learn.4.visualLayers[2].kernelSize: must be >= 1, not
// 0"); its Error is one line, naming the definition's file when it has one.
// Errors of processing blocks keep their dsp type (*dsp.ConfigError,
// dsp.ErrInput) behind the sample and window they concern. Data a job cannot
// use (no training samples, a single class, non-numeric regression labels)
// wraps [ErrDataset], a saved model that cannot be read [ErrModel]; a
// cancelled job returns its context's error. A window of another sample, or
// a raw window of the wrong length, is an error. Malformed input never
// makes the package panic.
//
// # Concurrency
//
// Definitions are plain data; Compile does not modify the one it is given.
// An Impulse and a Model are immutable: any number of goroutines may
// generate features, train and test with one at once, and Train calls share
// nothing. GenerateFeatures runs FeatureOptions.Workers goroutines, each
// with its own processing blocks. A Processor and a Classifier hold blocks
// and buffers and are for one goroutine each (Model.Test makes one per
// worker).
//
// # Security considerations
//
// info.labels paths must stay inside the dataset folder. Images larger than
// 64 megapixels are refused before they are decoded, and CBOR lengths are
// checked against the data before anything is allocated.
package impulse
