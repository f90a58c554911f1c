package impulse

import (
	"cmp"
	"encoding/json"
	"errors"
	"math"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tinyimpulse/tinyimpulse/dataset"
	"github.com/tinyimpulse/tinyimpulse/dsp"
	"github.com/tinyimpulse/tinyimpulse/internal/jsonerr"
	"github.com/tinyimpulse/tinyimpulse/learn"
	"github.com/tinyimpulse/tinyimpulse/studio"
)

// Studio's defaults for settings a definition leaves out ([DECISION] where
// the API does not document them; see the package documentation).
const (
	DefaultWindowSizeMs     = 1000
	DefaultWindowIncreaseMs = 500
	DefaultImageSize        = 96
	defaultCropAnchor       = "middle-center"
)

// Definition is an impulse definition as the command line reads it
// (architecture.md): Studio's CreateImpulseRequest under "impulse", the
// parameters of each DSP block under "dsp" (keyed by block id) and of each
// learn block under "learn".
//
// A Definition is plain data: a definition written as a Go literal and one
// read from JSON are the same thing. ParseDefinition validates everything
// that does not depend on the data and fills in the defaults that do not
// depend on it either. Settings Studio derives from the data (the input
// block's frequencyHz and axes, the DSP blocks' axes) may be left out.
// [Compile] completes a definition against a dataset into an [Impulse]:
// it validates the definition exactly as ParseDefinition does (a Go
// literal gets the same checks and the same Studio defaults as its JSON
// form, zero values meaning "unset"), then fills in the data-derived
// settings and everything that depends on the window shape. Compile never
// modifies the Definition it is given.
type Definition struct {
	Impulse studio.Impulse
	// DSP holds the parameters of each DSP block as given, by parameters.json
	// name, with numbers and booleans as JSON values (json.Number, bool) or
	// strings; omitted parameters take Studio's defaults.
	DSP map[int]DSPParams
	// Learn holds the parameters of each learn block; blocks without an entry
	// get one with Studio's defaults.
	Learn map[int]*LearnParams
	// File is the file the definition was read from (LoadDefinition sets
	// it); errors of Compile name it.
	File string `json:"-"`
}

// DSPParams are the parameters of one DSP block (the config of Studio's
// DSPConfigRequest). MarshalJSON writes every value as a string, as Studio
// sends them.
type DSPParams map[string]any

// MarshalJSON writes the parameters with string values.
func (p DSPParams) MarshalJSON() ([]byte, error) {
	m := make(map[string]string, len(p))
	for k, v := range p {
		m[k] = dsp.ParamString(v)
	}
	return json.Marshal(m)
}

// LearnParams holds the parameters of one learn block: Keras for keras and
// keras-regression blocks, Anomaly for anomaly and anomaly-gmm blocks.
type LearnParams struct {
	Keras   *KerasParams
	Anomaly *AnomalyParams
}

// MarshalJSON writes the block's parameters object.
func (p LearnParams) MarshalJSON() ([]byte, error) {
	switch {
	case p.Keras != nil:
		return json.Marshal(p.Keras)
	case p.Anomaly != nil:
		return json.Marshal(p.Anomaly)
	}
	return []byte("{}"), nil
}

// KerasParams are the settings of a neural network learn block, Studio's
// SetKerasParameterRequest. Zero fields are unset; Resolve (or
// ParseDefinition, when the data's shape is known) sets every field that
// training reads to Studio's default for the block's input (learn.DefaultConfig).
type KerasParams struct {
	Mode                    string              `json:"mode,omitempty"`
	MinimumConfidenceRating *float64            `json:"minimumConfidenceRating,omitempty"`
	SelectedModelType       string              `json:"selectedModelType,omitempty"`
	Script                  string              `json:"script,omitempty"`
	VisualLayers            []learn.VisualLayer `json:"visualLayers,omitempty"`
	TrainingCycles          int                 `json:"trainingCycles,omitempty"`
	LearningRate            float64             `json:"learningRate,omitempty"`
	BatchSize               int                 `json:"batchSize,omitempty"`
	TrainTestSplit          *float64            `json:"trainTestSplit,omitempty"`
	AutoClassWeights        *bool               `json:"autoClassWeights,omitempty"`
	ProfileInt8             *bool               `json:"profileInt8,omitempty"`
	SkipEmbeddingsAndMemory *bool               `json:"skipEmbeddingsAndMemory,omitempty"`
	// AugmentationPolicyImage is "none" or "all": "all" trains an image
	// network on its training images flipped, padded and cropped and
	// brightened afresh every epoch (learn.Config.AugmentImage).
	AugmentationPolicyImage          string `json:"augmentationPolicyImage,omitempty"`
	ShowAdvancedTrainingSettings     *bool  `json:"showAdvancedTrainingSettings,omitempty"`
	ShowAugmentationTrainingSettings *bool  `json:"showAugmentationTrainingSettings,omitempty"`
	LastShownModelVariant            string `json:"lastShownModelVariant,omitempty"`
	TrainingProcessor                string `json:"trainingProcessor,omitempty"`
	// AugmentationPolicyMotion, when set, trains the network on rotated
	// copies of the training windows as well (this library's setting; Studio
	// has none for time series).
	AugmentationPolicyMotion *MotionAugmentation `json:"augmentationPolicyMotion,omitempty"`
	// AugmentationPolicySpectrogram is Studio's spectrogram augmentation,
	// as this library reads its levels (see SpecAugment).
	AugmentationPolicySpectrogram *studio.AugmentationPolicySpectrogram `json:"augmentationPolicySpectrogram,omitempty"`
}

// SpecAugment returns the spectrogram augmentation a policy asks for, nil
// when it is nil or not enabled. This library's reading of Studio's
// levels (Studio documents none, low and high, not what they do): none,
// low and high masking are 0, 1 and 2 masks per window of time (each up
// to a tenth of the frames) or of frequency (up to 15 % of the bins);
// low and high Gaussian noise are 5 % and 10 % of the features' standard
// deviation; warping moves one frame by up to a tenth of the frames. Every
// training window is augmented afresh every epoch (learn.SpecAugment).
func SpecAugment(p *studio.AugmentationPolicySpectrogram) *learn.SpecAugment {
	if p == nil || !p.Enabled {
		return nil
	}
	level := map[string]int{"": 0, "none": 0, "low": 1, "high": 2}
	return &learn.SpecAugment{
		Warp:      p.Warping != nil && *p.Warping,
		TimeMasks: level[p.TimeMasking],
		FreqMasks: level[p.FreqMasking],
		Noise:     0.05 * float64(level[p.GaussianNoise]),
	}
}

// MotionAugmentation trains a network on its training windows and on
// Copies copies of each, the window's sample turned as a rigid body by a
// random rotation of up to MaxDegrees (every 3-axis sensor of the sample,
// see dataset.Triples, by the same rotation): a network that must also
// classify its windows turned a little learns what does not depend on how
// the device was held or mounted, and classifies recordings made in
// another orientation. Copies are trained on, never validated on, and
// only copies of training windows are (see learn.Dataset.CopyOf).
//
// Copy c of a sample is turned by dataset.SampleRotation(name, c,
// RotationSalt, MaxDegrees): the same copies whatever the seed and the
// other samples, so feature generation can be shared between trainings.
type MotionAugmentation struct {
	// Copies is the number of rotated copies of every window, 1 to
	// MaxRotatedCopies.
	Copies int `json:"copies"`
	// MaxDegrees bounds the angle of every rotation, in (0, 180].
	MaxDegrees float64 `json:"maxDegrees"`
}

// MaxRotatedCopies bounds MotionAugmentation.Copies.
const MaxRotatedCopies = 16

// RotationSalt seeds the rotations of MotionAugmentation's copies
// (dataset.SampleRotation).
const RotationSalt = 0x6d6f74696f6e // "motion"

// MarshalJSON writes the parameters, including an explicitly empty
// visualLayers list (a nil list means Studio's default layers, an empty
// one no hidden layer).
func (k KerasParams) MarshalJSON() ([]byte, error) {
	type plain KerasParams
	b, err := json.Marshal(plain(k))
	if err != nil || k.VisualLayers == nil || len(k.VisualLayers) > 0 {
		return b, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	m["visualLayers"] = json.RawMessage("[]")
	return json.Marshal(m)
}

// Config returns the network settings as the learn package reads them.
func (k *KerasParams) Config() learn.Config {
	c := learn.Config{
		TrainingCycles: k.TrainingCycles, LearningRate: k.LearningRate, BatchSize: k.BatchSize,
		DefaultBatchSize: 32, TrainTestSplit: k.TrainTestSplit, VisualLayers: k.VisualLayers,
		SelectedModelType: k.SelectedModelType, Mode: k.Mode,
	}
	if k.AutoClassWeights != nil {
		c.AutoClassWeights = *k.AutoClassWeights
	}
	if k.MinimumConfidenceRating != nil {
		c.MinimumConfidenceRating = *k.MinimumConfidenceRating
	}
	c.Augment = SpecAugment(k.AugmentationPolicySpectrogram)
	c.AugmentImage = k.AugmentationPolicyImage == "all"
	return c
}

// AnomalyParams are the settings of an anomaly block, Studio's
// StartTrainingRequestAnomaly. Axes index the learn block's concatenated
// feature vector.
type AnomalyParams struct {
	Axes                    []int                   `json:"axes"`
	ClusterCount            int                     `json:"clusterCount,omitempty"`
	MinimumConfidenceRating *float64                `json:"minimumConfidenceRating,omitempty"`
	SkipEmbeddingsAndMemory *bool                   `json:"skipEmbeddingsAndMemory,omitempty"`
	Thresholds              []studio.BlockThreshold `json:"thresholds,omitempty"`
}

// ParseDefinition reads an impulse definition and validates it, reporting
// every problem at once in a *DefinitionError.
func ParseDefinition(data []byte) (*Definition, error) {
	d := new(Definition)
	if err := d.UnmarshalJSON(data); err != nil {
		return nil, err
	}
	return d, nil
}

// LoadDefinition reads and parses an impulse definition file.
func LoadDefinition(file string) (*Definition, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, &dataset.FileError{Path: file, Err: err}
	}
	d, err := ParseDefinition(data)
	if err != nil {
		var de *DefinitionError
		if errors.As(err, &de) {
			de.File = file
		}
		return nil, err
	}
	d.File = file
	return d, nil
}

// MarshalJSON writes the definition in the form ParseDefinition reads.
func (d Definition) MarshalJSON() ([]byte, error) {
	doc := struct {
		Impulse studio.Impulse       `json:"impulse"`
		DSP     map[int]DSPParams    `json:"dsp"`
		Learn   map[int]*LearnParams `json:"learn"`
	}{d.Impulse, d.DSP, d.Learn}
	if doc.DSP == nil {
		doc.DSP = map[int]DSPParams{}
	}
	if doc.Learn == nil {
		doc.Learn = map[int]*LearnParams{}
	}
	return json.Marshal(doc)
}

// UnmarshalJSON parses and validates a definition, as ParseDefinition.
func (d *Definition) UnmarshalJSON(data []byte) error {
	w := new(walker)
	nd, err := decode(w, data)
	if err != nil {
		return err
	}
	if len(w.problems) == 0 && nd.ready() {
		// The window shape is known: check everything that depends on it
		// on a second copy (building fills in the learn blocks' defaults).
		tmp, _ := decode(new(walker), data)
		(&Impulse{def: *tmp}).build(w)
	} else if len(w.problems) == 0 {
		nd.checkParamNames(w)
	}
	if err := w.err(""); err != nil {
		return err
	}
	*d = *nd
	return nil
}

// decode reads a definition, reporting its problems to w; the error is
// for a document that is not JSON at all.
func decode(w *walker, data []byte) (*Definition, error) {
	tree, err := decodeTree(data)
	if err != nil {
		return nil, &DefinitionError{Problems: []Problem{{Message: "not valid JSON: " + jsonerr.Text(data, err)}}}
	}
	nd := &Definition{DSP: map[int]DSPParams{}, Learn: map[int]*LearnParams{}}
	top := w.obj("", tree)
	if v, ok := top.get("impulse"); ok {
		nd.readImpulse(w, v)
	}
	top.required("impulse")
	if v, ok := top.get("dsp"); ok {
		nd.readDSPParams(w, v)
	}
	if v, ok := top.get("learn"); ok {
		nd.readLearnParams(w, v)
	}
	top.end()
	nd.fillLearnDefaults()
	return nd, nil
}

// fillLearnDefaults gives every learn block without an entry in Learn one
// with Studio's defaults.
func (d *Definition) fillLearnDefaults() {
	if d.Learn == nil {
		d.Learn = map[int]*LearnParams{}
	}
	for _, lb := range d.Impulse.LearnBlocks {
		if d.Learn[lb.ID] != nil || lb.ID <= 0 {
			continue
		}
		switch lb.Type {
		case studio.LearnKeras, studio.LearnKerasRegression:
			d.Learn[lb.ID] = &LearnParams{Keras: &KerasParams{}}
		case studio.LearnAnomaly, studio.LearnAnomalyGMM:
			d.Learn[lb.ID] = &LearnParams{Anomaly: &AnomalyParams{}}
		default:
			d.Learn[lb.ID] = &LearnParams{}
		}
	}
}

// ready reports whether everything feature generation needs is known: for a
// time-series input its frequency and axes, and every DSP block's axes.
func (d *Definition) ready() bool {
	if len(d.Impulse.InputBlocks) != 1 {
		return false
	}
	in := d.Impulse.InputBlocks[0]
	if in.Type != studio.InputTimeSeries {
		return in.Type == studio.InputImage
	}
	if in.FrequencyHz <= 0 || len(in.Axes) == 0 {
		return false
	}
	for _, b := range d.Impulse.DSPBlocks {
		if len(b.Axes) == 0 {
			return false
		}
	}
	return true
}

// inputNames holds the default names and titles of input blocks.
var inputNames = map[string][2]string{
	studio.InputTimeSeries: {"Time series", "Time series data"},
	studio.InputImage:      {"Image data", "Image data"},
}

// learnNames holds the default names and titles per learn block type.
var learnNames = map[string][2]string{
	"raw":                       {"Raw data", "Raw Data"},
	"flatten":                   {"Flatten", "Flatten"},
	"image":                     {"Image", "Image"},
	"spectral-analysis":         {"Spectral features", "Spectral Analysis"},
	"spectrogram":               {"Spectrogram", "Spectrogram"},
	"mfe":                       {"MFE", "Audio (MFE)"},
	"mfcc":                      {"MFCC", "Audio (MFCC)"},
	studio.LearnKeras:           {"NN Classifier", "Neural Network (Keras)"},
	studio.LearnKerasRegression: {"Regression", "Regression (Keras)"},
	studio.LearnAnomaly:         {"Anomaly detection", "Anomaly Detection (K-means)"},
	studio.LearnAnomalyGMM:      {"Anomaly detection", "Anomaly Detection (GMM)"},
}

// otherLearnTypes are Studio's learn block types this package does not
// train.
var otherLearnTypes = []string{"keras-transfer-image", "keras-transfer-kws", "keras-object-detection",
	"keras-akida", "keras-akida-transfer-image", "keras-akida-object-detection", "keras-visual-anomaly",
	"keras-freeform", "keras-anomaly", "vlm"}

var supportedLearnTypes = []string{studio.LearnKeras, studio.LearnKerasRegression, studio.LearnAnomaly, studio.LearnAnomalyGMM}

func (d *Definition) readImpulse(w *walker, v any) {
	o := w.obj("impulse", v)
	im := &d.Impulse
	im.ID, _ = o.integer("id", 1)
	im.Name, _ = o.str("name")
	im.Name = cmp.Or(im.Name, "Impulse #1")
	im.Type = "default"
	if t, ok := o.enum("type", "default", "BYOM", "VLM"); ok && t != "default" {
		w.add("impulse.type", "%q impulses are not supported by this library", t)
	}
	ids := map[int]string{}
	claim := func(path string, id int) {
		if prev, dup := ids[id]; dup {
			w.add(path, "duplicate block id %d (also %s)", id, prev)
		}
		ids[id] = path
	}
	if a, ok := o.list("inputBlocks"); ok {
		if len(a) != 1 {
			w.add("impulse.inputBlocks", "must hold exactly one input block, not %d", len(a))
		}
		for i, x := range a {
			b := readInputBlock(w, index("impulse.inputBlocks", i), x)
			if b.ID > 0 {
				claim(index("impulse.inputBlocks", i)+".id", b.ID)
			}
			im.InputBlocks = append(im.InputBlocks, b)
		}
	}
	o.required("inputBlocks")
	var in *studio.InputBlock
	if len(im.InputBlocks) == 1 {
		in = &im.InputBlocks[0]
	}
	if a, ok := o.list("dspBlocks"); ok {
		for i, x := range a {
			b := readDSPBlock(w, index("impulse.dspBlocks", i), x, in)
			if b.ID > 0 {
				claim(index("impulse.dspBlocks", i)+".id", b.ID)
			}
			im.DSPBlocks = append(im.DSPBlocks, b)
		}
	}
	if len(im.DSPBlocks) == 0 {
		w.add("impulse.dspBlocks", "must hold at least one DSP block")
	}
	if a, ok := o.list("learnBlocks"); ok {
		for i, x := range a {
			b := readLearnBlock(w, index("impulse.learnBlocks", i), x, im.DSPBlocks)
			if b.ID > 0 {
				claim(index("impulse.learnBlocks", i)+".id", b.ID)
			}
			im.LearnBlocks = append(im.LearnBlocks, b)
		}
	}
	if len(im.LearnBlocks) == 0 {
		w.add("impulse.learnBlocks", "must hold at least one learn block")
	}
	if a, ok := o.list("postProcessingBlocks"); ok && len(a) > 0 {
		w.add("impulse.postProcessingBlocks", "post-processing blocks are not supported by this library yet")
	}
	o.end()
}

func readInputBlock(w *walker, path string, v any) studio.InputBlock {
	o := w.obj(path, v)
	var b studio.InputBlock
	b.ID = o.blockID()
	b.Type, _ = o.enum("type", studio.InputTimeSeries, studio.InputImage, studio.InputFeatures)
	o.required("type")
	if b.Type == studio.InputFeatures {
		w.add(child(path, "type"), "%q input blocks are not supported by this library", b.Type)
	}
	b.Name, b.Title = o.names(inputNames[b.Type])
	b.Axes, _ = o.strList("axes")
	b.CreatedBy, b.CreatedAt = o.created()
	if s, ok := o.get("datasetSubset"); ok {
		so := w.obj(child(path, "datasetSubset"), s)
		var sub studio.DatasetSubset
		sub.IncludePercentage, _ = so.rangeNum("includePercentage", 0, 100, true, false)
		so.required("includePercentage")
		if seed, ok := so.integer("seed", 0); ok {
			sub.Seed = &seed
		}
		so.end()
		b.DatasetSubset = &sub
	}
	timeKeys := []string{"windowSizeMs", "windowIncreaseMs", "frequencyHz", "classificationWindowIncreaseMs", "padZeros", "labelingMethodMultiLabel"}
	imageKeys := []string{"imageWidth", "imageHeight", "resizeMode", "resizeMethod", "cropAnchor"}
	misplaced := func(keys []string, kind string) {
		for _, k := range keys {
			if o.has(k) {
				w.add(child(path, k), "applies only to %s input blocks", kind)
			}
		}
	}
	switch b.Type {
	case studio.InputTimeSeries:
		misplaced(imageKeys, "image")
		b.WindowSizeMs, _ = o.integer("windowSizeMs", 1)
		b.WindowIncreaseMs, _ = o.integer("windowIncreaseMs", 1)
		b.ClassificationWindowIncreaseMs, _ = o.integer("classificationWindowIncreaseMs", 1)
		if f, ok := o.rangeNum("frequencyHz", 0.000016, 1e7, false, false); ok {
			b.FrequencyHz = f
		}
		pad := true
		if p, ok := o.boolean("padZeros"); ok {
			pad = p
		}
		b.PadZeros = &pad
		if m, ok := o.get("labelingMethodMultiLabel"); ok {
			b.LabelingMethodMultiLabel = readLabelingMethod(w, child(path, "labelingMethodMultiLabel"), m)
		}
		if b.WindowSizeMs == 0 {
			b.WindowSizeMs = DefaultWindowSizeMs
		}
		if b.WindowIncreaseMs == 0 {
			b.WindowIncreaseMs = min(DefaultWindowIncreaseMs, b.WindowSizeMs)
		}
		if b.ClassificationWindowIncreaseMs == 0 {
			b.ClassificationWindowIncreaseMs = b.WindowIncreaseMs
		}
	case studio.InputImage:
		misplaced(timeKeys, "time-series")
		b.ImageWidth, _ = o.integer("imageWidth", 1)
		b.ImageHeight, _ = o.integer("imageHeight", 1)
		b.ResizeMode, _ = o.enum("resizeMode", studio.ResizeSquash, studio.ResizeFitShort, studio.ResizeFitLong, studio.ResizeCrop)
		b.ResizeMethod, _ = o.enum("resizeMethod", studio.ResizeLanczos3, studio.ResizeNearest)
		b.CropAnchor, _ = o.enum("cropAnchor", "top-left", "top-center", "top-right", "middle-left",
			"middle-center", "middle-right", "bottom-left", "bottom-center", "bottom-right")
		b.ImageWidth = cmp.Or(b.ImageWidth, DefaultImageSize)
		b.ImageHeight = cmp.Or(b.ImageHeight, DefaultImageSize)
		b.ResizeMode = cmp.Or(b.ResizeMode, studio.ResizeSquash)
		b.ResizeMethod = cmp.Or(b.ResizeMethod, studio.ResizeLanczos3)
		b.CropAnchor = cmp.Or(b.CropAnchor, defaultCropAnchor)
		if b.ImageWidth*b.ImageHeight > 4096*4096 {
			w.add(path, "images of %d×%d pixels are larger than 4096×4096", b.ImageWidth, b.ImageHeight)
		}
	default:
		o.ignore(timeKeys...)
		o.ignore(imageKeys...)
	}
	o.end()
	return b
}

func readLabelingMethod(w *walker, path string, v any) *studio.LabelingMethod {
	o := w.obj(path, v)
	var m studio.LabelingMethod
	m.Type, _ = o.enum("type", studio.LabelEndOfWindow, studio.LabelAnywhereInWindow, studio.LabelAnywhereInWindowMinPercentage, studio.LabelMajorityInWindow)
	o.required("type")
	m.Labels, _ = o.strList("labels")
	if p, ok := o.rangeNum("minPercentage", 0, 100, true, false); ok {
		m.MinPercentage = &p
	}
	switch m.Type {
	case studio.LabelAnywhereInWindow, studio.LabelAnywhereInWindowMinPercentage:
		if len(m.Labels) == 0 && !o.has("labels") {
			w.add(child(path, "labels"), "is required for %q", m.Type)
		}
		if m.Type == studio.LabelAnywhereInWindowMinPercentage && m.MinPercentage == nil && !o.has("minPercentage") {
			w.add(child(path, "minPercentage"), "is required for %q", m.Type)
		}
	}
	o.end()
	return &m
}

func readDSPBlock(w *walker, path string, v any, in *studio.InputBlock) studio.DSPBlock {
	o := w.obj(path, v)
	var b studio.DSPBlock
	b.ID = o.blockID()
	if typ, ok := o.str("type"); ok {
		if dsp.LatestVersion(typ) == 0 {
			known := slices.Sorted(slices.Values(dsp.BlockTypes))
			w.add(child(path, "type"), "unknown processing block type %q (known: %s)", typ, strings.Join(known, ", "))
		} else {
			b.Type = typ
		}
	}
	o.required("type")
	info, _ := dsp.Lookup(b.Type)
	b.Name, b.Title = o.names([2]string{info.Name, info.Title})
	b.Axes, _ = o.strList("axes")
	b.CreatedBy, b.CreatedAt = o.created()
	b.ValuesPerAxis, _ = o.integer("valuesPerAxis", 0) // reported, not read: building the block sets it
	o.unsupported("organization", "customUrl", "namedAxes")
	if ver, ok := o.integer("implementationVersion", 0); ok && ver > 0 {
		b.ImplementationVersion = ver
	}
	if b.Type != "" && b.ImplementationVersion == 0 {
		b.ImplementationVersion = dsp.LatestVersion(b.Type)
	}
	if id, ok := o.integer("input", 1); ok {
		b.Input = id
		if in != nil && in.ID > 0 && id != in.ID {
			w.add(child(path, "input"), "no input block with id %d", id)
		}
	} else if in != nil {
		b.Input = in.ID
	}
	if in != nil && b.Type != "" {
		switch {
		case in.Type == studio.InputImage && b.Type != "image":
			w.add(child(path, "type"), "%q blocks need a time-series input block, not an image one", b.Type)
		case in.Type == studio.InputTimeSeries && b.Type == "image":
			w.add(child(path, "type"), "\"image\" blocks need an image input block")
		}
		if in.Type == studio.InputImage && len(b.Axes) == 0 {
			b.Axes = []string{"image"}
		}
		if in.Type == studio.InputTimeSeries && len(in.Axes) > 0 {
			inheritAxes(&b, w, path, in.Axes)
		}
	}
	o.end()
	return b
}

func readLearnBlock(w *walker, path string, v any, dspBlocks []studio.DSPBlock) studio.LearnBlock {
	o := w.obj(path, v)
	var b studio.LearnBlock
	b.ID = o.blockID()
	if typ, ok := o.str("type"); ok {
		switch {
		case slices.Contains(supportedLearnTypes, typ):
			b.Type = typ
		case slices.Contains(otherLearnTypes, typ):
			w.add(child(path, "type"), "learn block type %q is not supported by this library (supported: %s)", typ, strings.Join(supportedLearnTypes, ", "))
		default:
			w.add(child(path, "type"), "unknown learn block type %q (supported: %s)", typ, strings.Join(supportedLearnTypes, ", "))
		}
	}
	o.required("type")
	b.Name, b.Title = o.names(learnNames[b.Type])
	b.CreatedBy, b.CreatedAt = o.created()
	b.TrainingProcessor, _ = o.enum("trainingProcessor", "cpu", "gpu")
	if ids, ok := o.intList("dsp", 1); ok {
		if len(ids) == 0 {
			w.add(child(path, "dsp"), "must name at least one DSP block")
		}
		for i, id := range ids {
			if !slices.ContainsFunc(dspBlocks, func(d studio.DSPBlock) bool { return d.ID == id }) {
				w.add(index(child(path, "dsp"), i), "no DSP block with id %d", id)
			}
		}
		b.DSP = ids
	}
	o.required("dsp")
	o.end()
	return b
}

// blockKey reads a "dsp"/"learn" key: a block id.
func blockKey(w *walker, path, key string) (int, bool) {
	id, err := strconv.Atoi(key)
	if err != nil || id <= 0 {
		w.add(path, "key %q is not a block id", key)
		return 0, false
	}
	return id, true
}

func (d *Definition) readDSPParams(w *walker, v any) {
	o := w.obj("dsp", v)
	for _, key := range sortedKeys(o.m) {
		o.seen[key] = true
		path := child("dsp", key)
		id, ok := blockKey(w, path, key)
		if !ok {
			continue
		}
		if !slices.ContainsFunc(d.Impulse.DSPBlocks, func(b studio.DSPBlock) bool { return b.ID == id }) {
			w.add(path, "no DSP block with id %d", id)
			continue
		}
		m, isObj := o.m[key].(map[string]any)
		if !isObj {
			w.add(path, "must be an object of parameters, not %s", describe(o.m[key]))
			continue
		}
		p := DSPParams{}
		for k, x := range m {
			if x != nil {
				p[k] = x
			}
		}
		d.DSP[id] = p
	}
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, ea := strconv.Atoi(keys[i])
		b, eb := strconv.Atoi(keys[j])
		if ea == nil && eb == nil {
			return a < b
		}
		return keys[i] < keys[j]
	})
	return keys
}

func (d *Definition) readLearnParams(w *walker, v any) {
	o := w.obj("learn", v)
	for _, key := range sortedKeys(o.m) {
		o.seen[key] = true
		path := child("learn", key)
		id, ok := blockKey(w, path, key)
		if !ok {
			continue
		}
		i := slices.IndexFunc(d.Impulse.LearnBlocks, func(b studio.LearnBlock) bool { return b.ID == id })
		if i < 0 {
			w.add(path, "no learn block with id %d", id)
			continue
		}
		if o.m[key] == nil {
			continue // null: Studio's defaults, as when the entry is left out
		}
		switch typ := d.Impulse.LearnBlocks[i].Type; typ {
		case studio.LearnKeras, studio.LearnKerasRegression:
			d.Learn[id] = &LearnParams{Keras: readKerasParams(w, path, o.m[key])}
		case studio.LearnAnomaly, studio.LearnAnomalyGMM:
			d.Learn[id] = &LearnParams{Anomaly: readAnomalyParams(w, path, o.m[key])}
		}
	}
}

func readKerasParams(w *walker, path string, v any) *KerasParams {
	o := w.obj(path, v)
	k := new(KerasParams)
	if m, ok := o.enum("mode", "visual", "expert"); ok {
		if m == "expert" {
			w.add(child(path, "mode"), "expert mode is not supported by this library (only \"visual\")")
		}
		k.Mode = m
	}
	if r, ok := o.rangeNum("minimumConfidenceRating", 0, 1, false, false); ok {
		k.MinimumConfidenceRating = &r
	}
	if t, ok := o.enum("selectedModelType", "int8", "float32", "akida", "requiresRetrain"); ok {
		if t != "int8" && t != "float32" {
			w.add(child(path, "selectedModelType"), "%q is not supported by this library (int8 or float32)", t)
		}
		k.SelectedModelType = t
	}
	k.Script, _ = o.str("script")
	if a, ok := o.list("visualLayers"); ok {
		k.VisualLayers = make([]learn.VisualLayer, 0, len(a))
		for i, x := range a {
			k.VisualLayers = append(k.VisualLayers, readVisualLayer(w, index(child(path, "visualLayers"), i), x))
		}
	}
	k.TrainingCycles, _ = o.integer("trainingCycles", 1)
	if r, ok := o.rangeNum("learningRate", 0, 1, true, false); ok {
		k.LearningRate = r
	}
	k.BatchSize, _ = o.integer("batchSize", 1)
	if s, ok := o.rangeNum("trainTestSplit", 0, 1, false, true); ok {
		k.TrainTestSplit = &s
	}
	k.AutoClassWeights = optBool(o, "autoClassWeights")
	k.ProfileInt8 = optBool(o, "profileInt8")
	k.SkipEmbeddingsAndMemory = optBool(o, "skipEmbeddingsAndMemory")
	k.ShowAdvancedTrainingSettings = optBool(o, "showAdvancedTrainingSettings")
	k.ShowAugmentationTrainingSettings = optBool(o, "showAugmentationTrainingSettings")
	k.LastShownModelVariant, _ = o.enum("lastShownModelVariant", "int8", "float32", "akida")
	k.TrainingProcessor, _ = o.enum("trainingProcessor", "cpu", "gpu")
	if p, ok := o.enum("augmentationPolicyImage", "none", "all"); ok {
		k.AugmentationPolicyImage = p
	}
	if a, ok := o.get("augmentationPolicyMotion"); ok && a != nil {
		ao := w.obj(child(path, "augmentationPolicyMotion"), a)
		m := new(MotionAugmentation)
		if n, ok := ao.integer("copies", 1); ok {
			if n > MaxRotatedCopies {
				w.add(child(ao.path, "copies"), "%d copies: at most %d", n, MaxRotatedCopies)
			}
			m.Copies = n
		}
		if d, ok := ao.rangeNum("maxDegrees", 0, 180, true, false); ok {
			m.MaxDegrees = d
		}
		ao.required("copies")
		ao.required("maxDegrees")
		ao.end()
		k.AugmentationPolicyMotion = m
	}
	if b, ok := o.boolean("useLearnedOptimizer"); ok && b {
		w.add(child(path, "useLearnedOptimizer"), "the learned optimizer (VeLO) is not supported by this library")
	}
	if a, ok := o.get("augmentationPolicySpectrogram"); ok && a != nil {
		ao := w.obj(child(path, "augmentationPolicySpectrogram"), a)
		p := new(studio.AugmentationPolicySpectrogram)
		p.Enabled, _ = ao.boolean("enabled")
		ao.required("enabled")
		p.Warping = optBool(ao, "warping")
		p.FreqMasking, _ = ao.enum("freqMasking", "none", "low", "high")
		p.TimeMasking, _ = ao.enum("timeMasking", "none", "low", "high")
		p.GaussianNoise, _ = ao.enum("gaussianNoise", "none", "low", "high")
		ao.end()
		k.AugmentationPolicySpectrogram = p
	}
	if s, ok := o.str("customValidationMetadataKey"); ok && s != "" {
		w.add(child(path, "customValidationMetadataKey"), "splitting by a metadata key is not supported by this library")
	}
	if c, ok := o.get("customParameters"); ok {
		if m, isObj := c.(map[string]any); !isObj || len(m) > 0 {
			w.add(child(path, "customParameters"), "custom parameters are not supported by this library")
		}
	}
	o.unsupported("akidaEdgeLearningConfig", "anomalyCapacity", "blockParameters", "assertGpuUsagePercentage")
	o.end()
	return k
}

func optBool(o *object, key string) *bool {
	if b, ok := o.boolean(key); ok {
		return &b
	}
	return nil
}

var layerTypes = []string{learn.LayerDense, learn.LayerConv1D, learn.LayerConv2D, learn.LayerReshape,
	learn.LayerFlatten, learn.LayerDropout, learn.LayerBatchNormalization}

func readVisualLayer(w *walker, path string, v any) learn.VisualLayer {
	o := w.obj(path, v)
	var l learn.VisualLayer
	if t, ok := o.str("type"); ok {
		if slices.Contains(layerTypes, t) {
			l.Type = t
		} else if strings.HasPrefix(t, "transfer_") || strings.HasPrefix(t, "fomo_") || strings.HasPrefix(t, "object_") {
			w.add(child(path, "type"), "layer type %q (transfer learning) is not supported by this library", t)
		} else {
			w.add(child(path, "type"), "unknown layer type %q (known: %s)", t, strings.Join(layerTypes, ", "))
		}
	}
	o.required("type")
	l.Neurons, _ = o.integer("neurons", 1)
	l.KernelSize, _ = o.integer("kernelSize", 1)
	if r, ok := o.rangeNum("dropoutRate", 0, 1, false, true); ok {
		l.DropoutRate = &r
	}
	l.Columns, _ = o.integer("columns", 1)
	l.Stack, _ = o.integer("stack", 1)
	if b, ok := o.boolean("enabled"); ok {
		l.Enabled = &b
	}
	o.unsupported("organizationModelId")
	switch l.Type {
	case learn.LayerDense, learn.LayerConv1D, learn.LayerConv2D:
		if l.Neurons == 0 && !o.has("neurons") {
			w.add(child(path, "neurons"), "is required for %s layers", l.Type)
		}
	case learn.LayerReshape:
		if l.Columns == 0 && !o.has("columns") {
			w.add(child(path, "columns"), "is required for reshape layers")
		}
	}
	o.end()
	return l
}

func readAnomalyParams(w *walker, path string, v any) *AnomalyParams {
	o := w.obj(path, v)
	a := new(AnomalyParams)
	if axes, ok := o.intList("axes", 0); ok {
		slices.Sort(axes)
		a.Axes = axes
	}
	a.ClusterCount, _ = o.integer("clusterCount", 1)
	if r, ok := o.num("minimumConfidenceRating"); ok {
		if r < 0 {
			w.add(child(path, "minimumConfidenceRating"), "must be >= 0, not %v", r)
		}
		a.MinimumConfidenceRating = &r
	}
	a.SkipEmbeddingsAndMemory = optBool(o, "skipEmbeddingsAndMemory")
	if t, ok := o.list("thresholds"); ok {
		for i, x := range t {
			p := index(child(path, "thresholds"), i)
			b, err := json.Marshal(x)
			var th studio.BlockThreshold
			if _, isObj := x.(map[string]any); !isObj || err != nil {
				w.add(p, "must be an object {key, description, helpText, value}")
				continue
			}
			if err := json.Unmarshal(b, &th); err != nil {
				w.add(p, "%v", err)
				continue
			}
			a.Thresholds = append(a.Thresholds, th)
		}
	}
	o.end()
	return a
}

// blockID reads a block's id, which is required.
func (o *object) blockID() int {
	id, _ := o.integer("id", 1)
	o.required("id")
	return id
}

// names reads a block's name and title, which default to Studio's for the
// block type (def; none for an unknown type).
func (o *object) names(def [2]string) (name, title string) {
	name, _ = o.str("name")
	title, _ = o.str("title")
	return cmp.Or(name, def[0]), cmp.Or(title, def[1])
}

// created reads a block's read-only createdBy and createdAt.
func (o *object) created() (string, *time.Time) {
	by, _ := o.str("createdBy")
	return by, o.timestamp("createdAt")
}

// round returns the nearest integer, halves away from zero.
func round(x float64) int { return int(math.Round(x)) }
