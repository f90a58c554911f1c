package impulse

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/tinyimpulse/tinyimpulse/anomaly"
	"github.com/tinyimpulse/tinyimpulse/dataset"
	"github.com/tinyimpulse/tinyimpulse/dsp"
	"github.com/tinyimpulse/tinyimpulse/learn"
	"github.com/tinyimpulse/tinyimpulse/studio"
)

// maxWindowValues bounds the values of one window (128 MB as float64).
const maxWindowValues = 1 << 24

// dspShape is a DSP block built for the impulse's window shape.
type dspShape struct {
	block studio.DSPBlock
	in    dsp.Input
	proto dsp.Block // for Output, Labels, NumFeatures and Cost
}

// windowSamples returns the samples per axis of a time-series window,
// round(windowSizeMs·frequencyHz/1000).
func windowSamples(in *studio.InputBlock) int {
	return round(float64(in.WindowSizeMs) * in.FrequencyHz / 1000)
}

// strideSamples returns a stride in samples, at least 1.
func strideSamples(ms int, f float64) int { return max(1, round(float64(ms)*f/1000)) }

// dspInput returns the input shape of the DSP block b.
func (im *Impulse) dspInput(b *studio.DSPBlock) dsp.Input {
	in := &im.def.Impulse.InputBlocks[0]
	if in.Type == studio.InputImage {
		return dsp.Input{Width: in.ImageWidth, Height: in.ImageHeight, Samples: in.ImageWidth * in.ImageHeight}
	}
	return dsp.Input{FrequencyHz: in.FrequencyHz, Axes: len(b.Axes), Samples: windowSamples(in)}
}

// build constructs every DSP block for the window shape, reporting the
// configurations the blocks refuse, then checks the learn blocks against the
// feature counts and fills in their defaults.
func (im *Impulse) build(w *walker) {
	in := &im.def.Impulse.InputBlocks[0]
	if in.Type == studio.InputTimeSeries && windowSamples(in) < 1 {
		w.add("impulse.inputBlocks[0].windowSizeMs", "a window of %d ms at %v Hz holds no sample", in.WindowSizeMs, in.FrequencyHz)
		return
	}
	if in.Type == studio.InputTimeSeries {
		for i, b := range im.def.Impulse.DSPBlocks {
			if n := windowSamples(in) * len(b.Axes); n > maxWindowValues {
				w.add(index("impulse.dspBlocks", i), "a window of %d ms at %v Hz holds %d values, more than %d", in.WindowSizeMs, in.FrequencyHz, n, maxWindowValues)
				return
			}
		}
	}
	shapes := make(map[int]*dspShape, len(im.def.Impulse.DSPBlocks))
	for i := range im.def.Impulse.DSPBlocks {
		b := im.def.Impulse.DSPBlocks[i]
		di := im.dspInput(&b)
		blk, err := dsp.New(b.Type, b.ImplementationVersion, im.def.DSP[b.ID], di)
		if err != nil {
			reportDSPError(w, b.ID, index("impulse.dspBlocks", i), err)
			continue
		}
		im.def.Impulse.DSPBlocks[i].ValuesPerAxis = blk.NumFeatures() / max(1, di.Axes)
		if in.Type == studio.InputImage {
			im.def.Impulse.DSPBlocks[i].ValuesPerAxis = blk.NumFeatures()
		}
		shapes[b.ID] = &dspShape{block: im.def.Impulse.DSPBlocks[i], in: di, proto: blk}
	}
	if len(shapes) != len(im.def.Impulse.DSPBlocks) {
		return
	}
	im.shapes = shapes
	for _, lb := range im.def.Impulse.LearnBlocks {
		p := im.def.Learn[lb.ID]
		path := child("learn", strconv.Itoa(lb.ID))
		switch {
		case p.Keras != nil:
			im.fillKeras(lb, p.Keras)
			if p.Keras.AugmentationPolicyImage == "all" && im.learnInput(lb).Kind != learn.InputImage {
				w.add(child(path, "augmentationPolicyImage"), "image augmentation needs the features of one image block")
			}
			if SpecAugment(p.Keras.AugmentationPolicySpectrogram) != nil {
				switch im.learnInput(lb).Kind {
				case learn.InputMFCC, learn.InputMFE, learn.InputSpectrogram:
				default:
					w.add(child(path, "augmentationPolicySpectrogram"), "spectrogram augmentation needs the features of one MFCC, MFE or spectrogram block (frames of bins)")
				}
			}
			if p.Keras.AugmentationPolicyMotion != nil {
				var axes []dataset.Sensor
				for _, a := range in.Axes {
					axes = append(axes, dataset.Sensor{Name: a})
				}
				if in.Type != studio.InputTimeSeries || len(dataset.Triples(axes)) == 0 {
					w.add(child(path, "augmentationPolicyMotion"), "rotation needs a time-series input with a 3-axis sensor (axes named …X, …Y, …Z); the input block's axes are %q", in.Axes)
				}
			}
		case p.Anomaly != nil:
			n := im.NumFeatures(lb.ID)
			for i, a := range p.Anomaly.Axes {
				if a >= n {
					w.add(index(child(path, "axes"), i), "feature %d does not exist: the learn block's DSP blocks produce %d features", a, n)
				}
			}
			if len(p.Anomaly.Axes) == 0 {
				p.Anomaly.Axes = make([]int, n)
				for i := range p.Anomaly.Axes {
					p.Anomaly.Axes[i] = i
				}
			}
			if p.Anomaly.ClusterCount == 0 {
				p.Anomaly.ClusterCount = anomaly.DefaultClusterCount
				if lb.Type == studio.LearnAnomalyGMM {
					p.Anomaly.ClusterCount = anomaly.DefaultComponents
				}
			}
			if p.Anomaly.MinimumConfidenceRating == nil && lb.Type == studio.LearnAnomaly {
				r := anomaly.DefaultKMeansThreshold
				p.Anomaly.MinimumConfidenceRating = &r
			}
		}
	}
	if len(w.problems) > 0 {
		im.shapes = nil
	}
}

// reportDSPError turns a DSP block's configuration error into a problem at
// dsp.<id>.<param>.
func reportDSPError(w *walker, id int, blockPath string, err error) {
	var ce *dsp.ConfigError
	if !errors.As(err, &ce) {
		w.add(blockPath, "%v", err)
		return
	}
	path := child("dsp", strconv.Itoa(id))
	if ce.Param != "" {
		path = child(path, ce.Param)
	}
	msg := ce.Reason
	if ce.Value != nil {
		msg += fmt.Sprintf(" (value %v)", ce.Value)
	}
	w.add(path, "%s", msg)
}

// fillKeras sets the unset settings of a Keras block to Studio's defaults
// for its input.
func (im *Impulse) fillKeras(lb studio.LearnBlock, k *KerasParams) {
	def := learn.DefaultConfig(im.learnInput(lb))
	k.Mode = cmp.Or(k.Mode, def.Mode)
	k.SelectedModelType = cmp.Or(k.SelectedModelType, def.SelectedModelType)
	if k.MinimumConfidenceRating == nil && lb.Type == studio.LearnKeras {
		r := def.MinimumConfidenceRating
		k.MinimumConfidenceRating = &r
	}
	if k.VisualLayers == nil {
		k.VisualLayers = def.VisualLayers
	}
	k.TrainingCycles = cmp.Or(k.TrainingCycles, def.TrainingCycles)
	k.LearningRate = cmp.Or(k.LearningRate, def.LearningRate)
	k.BatchSize = cmp.Or(k.BatchSize, def.DefaultBatchSize)
	if k.TrainTestSplit == nil {
		s := 0.2
		k.TrainTestSplit = &s
	}
	if k.AutoClassWeights == nil {
		f := false
		k.AutoClassWeights = &f
	}
}

// learnInput returns the shape of a learn block's input as the learn package
// reads it: a single MFCC, MFE or spectrogram block gives frames of values,
// a single image block an image, anything else a flat vector.
func (im *Impulse) learnInput(lb studio.LearnBlock) learn.Input {
	n := im.NumFeatures(lb.ID)
	if len(lb.DSP) == 1 {
		s := im.shapes[lb.DSP[0]]
		out := s.proto.Output()
		h := out.Shape.Height
		info, _ := dsp.Lookup(s.block.Type)
		switch info.Features {
		case dsp.FeaturesImage:
			wd := int(out.Shape.Width)
			if max(out.Shape.Frames, 1) == 1 && wd*h*out.Shape.Channels == n {
				return learn.Input{Kind: learn.InputImage, Width: wd, Height: h, Channels: out.Shape.Channels}
			}
		case dsp.FeaturesCepstrum, dsp.FeaturesMel, dsp.FeaturesSpectrogram:
			kind := map[dsp.FeatureKind]learn.InputKind{dsp.FeaturesCepstrum: learn.InputMFCC, dsp.FeaturesMel: learn.InputMFE,
				dsp.FeaturesSpectrogram: learn.InputSpectrogram}[info.Features]
			if h > 0 && n%h == 0 {
				return learn.Input{Kind: kind, Width: n / h, Height: h}
			}
		}
	}
	return learn.Input{Kind: learn.InputFlat, Width: n}
}

func (im *Impulse) learnBlock(id int) (studio.LearnBlock, error) {
	for _, lb := range im.def.Impulse.LearnBlocks {
		if lb.ID == id {
			return lb, nil
		}
	}
	return studio.LearnBlock{}, fmt.Errorf("impulse: no learn block with id %d", id)
}

// NumFeatures returns the length of a learn block's feature vector: the sum
// of its DSP blocks' feature counts, or 0 for an unknown block. It panics if
// the definition is not Ready.
func (im *Impulse) NumFeatures(learnID int) int {
	lb, err := im.learnBlock(learnID)
	if err != nil {
		return 0
	}
	n := 0
	for _, id := range lb.DSP {
		n += im.shapes[id].proto.NumFeatures()
	}
	return n
}

// LearnInput returns the shape of a learn block's features as the learn
// package reads them.
func (im *Impulse) LearnInput(learnID int) (learn.Input, error) {
	lb, err := im.learnBlock(learnID)
	if err != nil {
		return learn.Input{}, err
	}
	return im.learnInput(lb), nil
}

// KerasConfig returns the training settings of a keras or keras-regression
// block, with Studio's defaults for its input, and the shape of its input.
func (im *Impulse) KerasConfig(learnID int) (learn.Config, learn.Input, error) {
	lb, err := im.learnBlock(learnID)
	if err != nil {
		return learn.Config{}, learn.Input{}, err
	}
	p := im.def.Learn[learnID]
	if p == nil || p.Keras == nil {
		return learn.Config{}, learn.Input{}, fmt.Errorf("impulse: learn block %d is a %q block, not a keras block", learnID, lb.Type)
	}
	return p.Keras.Config(), im.learnInput(lb), nil
}

// KMeansConfig returns the settings of an anomaly (K-means) block.
func (im *Impulse) KMeansConfig(learnID int) (anomaly.KMeansConfig, error) {
	p, err := im.anomalyParams(learnID, studio.LearnAnomaly)
	if err != nil {
		return anomaly.KMeansConfig{}, err
	}
	c := anomaly.KMeansConfig{Axes: p.Axes, ClusterCount: p.ClusterCount}
	c.MinimumConfidenceRating, c.Thresholds = p.threshold()
	return c, nil
}

// GMMConfig returns the settings of an anomaly-gmm block.
func (im *Impulse) GMMConfig(learnID int) (anomaly.GMMConfig, error) {
	p, err := im.anomalyParams(learnID, studio.LearnAnomalyGMM)
	if err != nil {
		return anomaly.GMMConfig{}, err
	}
	c := anomaly.GMMConfig{Axes: p.Axes, ClusterCount: p.ClusterCount}
	c.MinimumConfidenceRating, c.Thresholds = p.threshold()
	return c, nil
}

// threshold returns the block's minimum confidence rating and thresholds as
// the anomaly package reads them, where a rating of 0 means the default: an
// explicit rating of 0 becomes a min_anomaly_score threshold of 0 unless the
// thresholds already hold one.
func (p *AnomalyParams) threshold() (float64, []studio.BlockThreshold) {
	if p.MinimumConfidenceRating == nil {
		return 0, p.Thresholds
	}
	r := *p.MinimumConfidenceRating
	if r == 0 && !slices.ContainsFunc(p.Thresholds, func(x studio.BlockThreshold) bool { return x.Key == anomaly.ThresholdKey }) {
		return r, append(slices.Clone(p.Thresholds), studio.BlockThreshold{Key: anomaly.ThresholdKey, Value: 0})
	}
	return r, p.Thresholds
}

func (im *Impulse) anomalyParams(learnID int, typ string) (*AnomalyParams, error) {
	lb, err := im.learnBlock(learnID)
	if err != nil {
		return nil, err
	}
	if lb.Type != typ {
		return nil, fmt.Errorf("impulse: learn block %d is a %q block, not %q", learnID, lb.Type, typ)
	}
	p := im.def.Learn[learnID]
	if p == nil || p.Anomaly == nil {
		return nil, fmt.Errorf("impulse: learn block %d has no anomaly parameters in Definition.Learn", learnID)
	}
	return p.Anomaly, nil
}

// FeatureLabels returns the labels of a DSP block's features with their axis
// names ("accX RMS", "accY Spectral Power 0.49 - 1.46 Hz"), or nil for blocks
// without labels (raw, image, spectrogram, MFE, MFCC). It panics if the
// definition is not Ready.
func (im *Impulse) FeatureLabels(dspID int) []string {
	s := im.shapes[dspID]
	if s == nil {
		return nil
	}
	return featureLabels(s)
}

func featureLabels(s *dspShape) []string {
	labels := s.proto.Labels()
	if len(labels) == 0 {
		return nil
	}
	axes := s.block.Axes
	n := s.proto.NumFeatures()
	var main, lf []string
	for _, l := range labels {
		if s.block.Type == "spectral-analysis" && strings.HasSuffix(l, " LF") {
			lf = append(lf, l)
		} else {
			main = append(main, l)
		}
	}
	if (len(main)+len(lf))*len(axes) != n {
		return nil
	}
	out := make([]string, 0, n)
	for _, part := range [][]string{main, lf} {
		for _, a := range axes {
			for _, l := range part {
				out = append(out, a+" "+l)
			}
		}
	}
	return out
}

// LearnFeatureLabels returns a label for every feature of a learn block, in
// the concatenated order: the DSP blocks' feature labels, or "<block name>
// <index>" for blocks without labels. It panics if the definition is not
// Ready.
func (im *Impulse) LearnFeatureLabels(learnID int) []string {
	lb, err := im.learnBlock(learnID)
	if err != nil {
		return nil
	}
	var out []string
	for _, id := range lb.DSP {
		s := im.shapes[id]
		if l := featureLabels(s); l != nil {
			out = append(out, l...)
			continue
		}
		for i := range s.proto.NumFeatures() {
			out = append(out, s.block.Name+" "+strconv.Itoa(i))
		}
	}
	return out
}

// checkParamNames validates DSP parameters by name and type when the window
// shape is not known yet (the full check runs in Resolve).
func (d *Definition) checkParamNames(w *walker) {
	for i, b := range d.Impulse.DSPBlocks {
		p := d.DSP[b.ID]
		if len(p) == 0 || b.Type == "" {
			continue
		}
		cfg := dsp.NewConfig(b.Type)
		data, err := json.Marshal(map[string]any(p))
		if err == nil {
			err = json.Unmarshal(data, cfg)
		}
		if err != nil {
			reportDSPError(w, b.ID, index("impulse.dspBlocks", i), err)
		}
	}
}

// resolve completes the definition from a dataset, as Studio does when an
// impulse is created: a time-series input block without frequencyHz gets the
// most common sampling frequency of the training samples (all samples when
// there are none), one without axes the axes of the first such sample, and
// DSP blocks without axes the input block's axes. It checks the definition
// against the data — every sample must be of the input block's kind and
// have its axes — and reports the problems to w.
func (d *Definition) resolve(w *walker, ds *dataset.Dataset) {
	in := &d.Impulse.InputBlocks[0]
	const path = "impulse.inputBlocks[0]"
	if len(ds.Samples) == 0 {
		w.add("", "the dataset has no samples")
		return
	}
	ref := ds.Category(dataset.CategoryTraining)
	if len(ref) == 0 {
		ref = ds.Samples
	}
	switch in.Type {
	case studio.InputTimeSeries:
		var images []*dataset.Sample
		for _, s := range ds.Samples {
			if s.Image != nil {
				images = append(images, s)
			}
		}
		if len(images) > 0 {
			w.add(child(path, "type"), "the input block is time-series but %d samples are images (first: %s)", len(images), images[0].Path)
			return
		}
		if len(in.Axes) == 0 {
			in.Axes = sensorNames(ref[0])
		}
		for i, a := range in.Axes {
			var missing []*dataset.Sample
			for _, s := range ds.Samples {
				if s.Axis(a) < 0 {
					missing = append(missing, s)
				}
			}
			if len(missing) > 0 {
				w.add(index(child(path, "axes"), i), "the data has no axis %q in %d samples (first: %s, whose axes are %s)",
					a, len(missing), missing[0].Path, strings.Join(sensorNames(missing[0]), ", "))
			}
		}
		if in.FrequencyHz == 0 {
			in.FrequencyHz = commonFrequency(ref)
		}
		for i := range d.Impulse.DSPBlocks {
			inheritAxes(&d.Impulse.DSPBlocks[i], w, index("impulse.dspBlocks", i), in.Axes)
		}
	case studio.InputImage:
		var series []*dataset.Sample
		for _, s := range ds.Samples {
			if s.Image == nil {
				series = append(series, s)
			}
		}
		if len(series) > 0 {
			w.add(child(path, "type"), "the input block is image but %d samples are time series (first: %s)", len(series), series[0].Path)
		}
	default:
		w.add(child(path, "type"), "input block type %q is not supported", in.Type)
	}
}

// inheritAxes gives a DSP block of a time-series impulse the input block's
// axes when it names none, and reports the axes it names that the input block
// does not have; path is the block's.
func inheritAxes(b *studio.DSPBlock, w *walker, path string, inAxes []string) {
	if len(b.Axes) == 0 {
		b.Axes = slices.Clone(inAxes)
	}
	for i, a := range b.Axes {
		if !slices.Contains(inAxes, a) {
			w.add(index(child(path, "axes"), i), "axis %q is not one of the input block's axes (%s)", a, strings.Join(inAxes, ", "))
		}
	}
}

func sensorNames(s *dataset.Sample) []string {
	out := make([]string, len(s.Sensors))
	for i, x := range s.Sensors {
		out[i] = x.Name
	}
	return out
}

// commonFrequency returns the most common sampling frequency of the samples
// (the first one on ties), rounded to 9 significant digits.
func commonFrequency(samples []*dataset.Sample) float64 {
	count := map[float64]int{}
	best, bestN := 0.0, 0
	for _, s := range samples {
		f := s.FrequencyHz()
		if f <= 0 {
			continue
		}
		f, _ = strconv.ParseFloat(strconv.FormatFloat(f, 'g', 9, 64), 64)
		count[f]++
		if count[f] > bestN {
			best, bestN = f, count[f]
		}
	}
	return best
}

// sameFrequency reports whether a sample's frequency equals the impulse's
// within a relative 1e-6 (interval_ms values such as 9.615384615384615 are
// rounded decimals).
func sameFrequency(a, b float64) bool { return math.Abs(a-b) <= 1e-6*math.Max(a, b) }
