package report

// This file is the only one that knows package impulse: it fills Data from
// a trained model, its dataset and model-testing results.

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/tinyimpulse/tinyimpulse/anomaly"
	"github.com/tinyimpulse/tinyimpulse/dataset"
	"github.com/tinyimpulse/tinyimpulse/device"
	"github.com/tinyimpulse/tinyimpulse/impulse"
	"github.com/tinyimpulse/tinyimpulse/learn"
	"github.com/tinyimpulse/tinyimpulse/metrics"
	"github.com/tinyimpulse/tinyimpulse/studio"
)

// Options configure Build.
type Options struct {
	// Target is the device of the on-device estimates ("" means
	// device.DefaultTarget).
	Target string
	// Workers is the number of goroutines that compute features; 0 means
	// every core.
	Workers int
	// Tuner is a tuner run to show; nil leaves the section out.
	Tuner *Tuner
}

// Generate is what `impulse report` and `impulse train` run: it tests the
// model on the dataset's testing samples (when there are any) and builds the
// report's data. The report of a dataset without testing samples says so.
func Generate(ctx context.Context, m *impulse.Model, ds *dataset.Dataset, opt Options) (*Data, error) {
	var test *impulse.TestReport
	if samples := ds.Category(dataset.CategoryTesting); len(samples) > 0 {
		var err error
		test, err = m.Test(ctx, samples, impulse.TestOptions{Workers: opt.Workers, Created: m.Created()})
		if err != nil {
			return nil, fmt.Errorf("report: model testing: %w", err)
		}
	}
	return Build(ctx, m, ds, test, opt)
}

// Build fills a report's data from a trained model, the dataset it was
// trained on and its model-testing results (nil when there are none). It
// computes the features of the training samples once, for the feature
// explorer and the window counts, and the DSP output of one window of one
// sample per class. Cancelling ctx stops the feature generation.
func Build(ctx context.Context, m *impulse.Model, ds *dataset.Dataset, test *impulse.TestReport, opt Options) (*Data, error) {
	if m == nil || ds == nil {
		return nil, fmt.Errorf("report: Build needs a model and a dataset")
	}
	def := m.Definition()
	detailed := m.Detailed()
	if len(detailed.Impulses) != 1 {
		return nil, fmt.Errorf("report: the model describes %d impulses, want 1", len(detailed.Impulses))
	}
	det := &detailed.Impulses[0]
	d := &Data{Title: def.Impulse.Name, Created: m.Created(), Notes: map[string]string{}, Tuner: opt.Tuner}
	if d.Title == "" {
		d.Title = "Impulse"
	}
	d.Impulse = diagram(def, det)

	train := ds.Category(dataset.CategoryTraining)
	feats, err := m.Impulse().GenerateFeatures(ctx, train, &impulse.FeatureOptions{Workers: opt.Workers, Created: m.Created()})
	if err != nil {
		return nil, fmt.Errorf("report: training features: %w", err)
	}
	d.Dataset = datasetSummary(def, ds, feats, test)
	if d.Samples, err = samples(m.Impulse(), def, det, train); err != nil {
		return nil, err
	}
	if d.Explorer, err = explorer(def, det, feats, d.Notes); err != nil {
		return nil, err
	}
	for _, k := range det.LearnBlockKerasConfigs {
		lb := learnBlock(def, k.BlockID)
		h, err := m.History(k.BlockID)
		if err != nil {
			return nil, err
		}
		if len(h) > 0 {
			t := Training{Block: lb.Name, Epochs: make([]Epoch, len(h))}
			for i, e := range h {
				t.Epochs[i] = Epoch{Loss: e.Loss, Accuracy: e.Accuracy, ValLoss: e.ValLoss, ValAccuracy: e.ValAccuracy}
			}
			t.BestEpoch, _ = m.BestEpoch(k.BlockID)
			d.Training = append(d.Training, t)
		} else {
			d.Notes["training"] = "This model was saved without its training history; train it again to see the curves."
		}
		if k.Metadata == nil || k.Metadata.Mode == "regression" {
			continue
		}
		first := len(d.Validation)
		for _, mm := range k.Metadata.ModelValidationMetrics {
			d.Validation = append(d.Validation, validation(lb.Name, k.Config.SelectedModelType, k.Metadata.ClassNames, mm))
		}
		// The selected model type first.
		slices.SortStableFunc(d.Validation[first:], func(a, b Validation) int {
			if a.Selected == b.Selected {
				return 0
			}
			if a.Selected {
				return -1
			}
			return 1
		})
	}
	if test != nil {
		d.Testing = modelTesting(test, det)
		d.Anomaly = anomalies(test, det, def)
	} else {
		d.Notes["testing"] = "The dataset has no testing samples."
		d.Notes["anomaly"] = "The dataset has no testing samples to score."
	}
	if d.Device, err = onDevice(m, def, opt.Target); err != nil {
		d.Device = nil
		d.Notes["device"] = err.Error()
	}
	return d, nil
}

func learnBlock(def *impulse.Definition, id int) studio.LearnBlock {
	for _, lb := range def.Impulse.LearnBlocks {
		if lb.ID == id {
			return lb
		}
	}
	return studio.LearnBlock{ID: id, Name: "learn block " + strconv.Itoa(id)}
}

// diagram describes the impulse's blocks with the settings Studio shows.
func diagram(def *impulse.Definition, det *studio.DetailedImpulse) Impulse {
	var im Impulse
	for _, in := range def.Impulse.InputBlocks {
		b := Block{ID: in.ID, Type: in.Type, Name: in.Name, Title: in.Title}
		if in.Type == studio.InputImage {
			b.Settings = []Setting{{"Image size", fmt.Sprintf("%d×%d px", in.ImageWidth, in.ImageHeight)},
				{"Resize mode", in.ResizeMode}}
		} else {
			pad := in.PadZeros == nil || *in.PadZeros
			b.Settings = []Setting{{"Window size", fmt.Sprintf("%d ms", in.WindowSizeMs)},
				{"Window increase", fmt.Sprintf("%d ms", in.WindowIncreaseMs)},
				{"Frequency", strconv.FormatFloat(in.FrequencyHz, 'g', 6, 64) + " Hz"},
				{"Zero-pad data", strconv.FormatBool(pad)}}
			if len(in.Axes) > 0 {
				b.Settings = append(b.Settings, Setting{"Axes", strings.Join(in.Axes, ", ")})
			}
		}
		im.Inputs = append(im.Inputs, b)
	}
	for _, blk := range def.Impulse.DSPBlocks {
		b := Block{ID: blk.ID, Type: blk.Type, Name: blk.Name, Title: blk.Title, Inputs: []int{blk.Input}}
		b.Settings = append(b.Settings, Setting{"Axes", strings.Join(blk.Axes, ", ")},
			Setting{"Version", strconv.Itoa(blk.ImplementationVersion)})
		for _, c := range det.DSPBlockConfigs {
			if c.BlockID != blk.ID {
				continue
			}
			count := map[string]int{}
			for _, g := range c.Config.Config {
				for _, it := range g.Items {
					count[it.Name]++
				}
			}
			for _, g := range c.Config.Config {
				for _, it := range g.Items {
					if !it.ShouldShow || it.Value == nil || it.Readonly {
						continue
					}
					name := it.Name
					if count[name] > 1 {
						name = g.Group + ": " + strings.ToLower(name)
					}
					b.Settings = append(b.Settings, Setting{name, *it.Value})
				}
			}
			if md := c.Metadata; md != nil {
				b.Settings = append(b.Settings, Setting{"Features", strconv.Itoa(md.FeatureCount)})
			}
		}
		im.Processing = append(im.Processing, b)
	}
	for _, lb := range def.Impulse.LearnBlocks {
		b := Block{ID: lb.ID, Type: lb.Type, Name: lb.Name, Title: lb.Title, Inputs: lb.DSP}
		for _, k := range det.LearnBlockKerasConfigs {
			if k.BlockID != lb.ID {
				continue
			}
			c := k.Config
			b.Settings = []Setting{{"Training cycles", strconv.Itoa(c.TrainingCycles)},
				{"Learning rate", strconv.FormatFloat(c.LearningRate, 'g', 4, 64)},
				{"Batch size", strconv.Itoa(c.BatchSize)}}
			if c.TrainTestSplit != nil {
				b.Settings = append(b.Settings, Setting{"Validation split", pct(*c.TrainTestSplit)})
			}
			b.Settings = append(b.Settings, Setting{"Input shape", c.Shape}, Setting{"Layers", layers(c.VisualLayers)},
				Setting{"Min. confidence", strconv.FormatFloat(c.MinimumConfidenceRating, 'g', 4, 64)},
				Setting{"Model type", c.SelectedModelType})
		}
		for _, a := range det.LearnBlockAnomalyConfigs {
			if a.BlockID != lb.ID {
				continue
			}
			if a.Config.ClusterCount > 0 {
				b.Settings = append(b.Settings, Setting{"Clusters", strconv.Itoa(a.Config.ClusterCount)})
			}
			b.Settings = append(b.Settings, Setting{"Features", fmt.Sprintf("%d of %d", len(a.Config.SelectedAxes), len(a.Config.Axes))})
			if th, ok := threshold(a.Config.Thresholds); ok {
				b.Settings = append(b.Settings, Setting{"Threshold", strconv.FormatFloat(th, 'g', 4, 64)})
			}
		}
		im.Learning = append(im.Learning, b)
	}
	for _, k := range det.LearnBlockKerasConfigs {
		if k.Metadata != nil {
			for _, c := range k.Metadata.ClassNames {
				if !slices.Contains(im.Outputs, c) {
					im.Outputs = append(im.Outputs, c)
				}
			}
		}
	}
	if len(det.LearnBlockAnomalyConfigs) > 0 {
		im.Outputs = append(im.Outputs, impulse.ResultAnomaly)
	}
	return im
}

// layers summarises a network's visual layers ("dense 20, dense 10").
func layers(ls []learn.VisualLayer) string {
	var out []string
	for _, l := range ls {
		if l.Enabled != nil && !*l.Enabled {
			continue
		}
		s := l.Type
		if l.Neurons > 0 {
			s += " " + strconv.Itoa(l.Neurons)
		}
		if l.Type == learn.LayerConv1D || l.Type == learn.LayerConv2D {
			s += fmt.Sprintf(" (kernel %d)", max(l.KernelSize, 1))
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return "–"
	}
	return strings.Join(out, ", ")
}

// threshold returns an anomaly block's threshold.
func threshold(ts []anomaly.Threshold) (float64, bool) {
	for _, t := range ts {
		if t.Key == anomaly.ThresholdKey {
			return t.Value, true
		}
	}
	if len(ts) > 0 {
		return ts[0].Value, true
	}
	return 0, false
}

// duration returns the length of a time-series sample.
func duration(s *dataset.Sample) time.Duration {
	return time.Duration(float64(s.Len()) * s.IntervalMs * float64(time.Millisecond))
}

// datasetSummary counts samples, durations and windows per label.
func datasetSummary(def *impulse.Definition, ds *dataset.Dataset, feats *impulse.Features, test *impulse.TestReport) Dataset {
	in := def.Impulse.InputBlocks[0]
	out := Dataset{TimeSeries: in.Type != studio.InputImage, FrequencyHz: in.FrequencyHz}
	idx := map[string]int{}
	get := func(label string) *ClassCount {
		i, ok := idx[label]
		if !ok {
			i = len(out.Classes)
			idx[label] = i
			out.Classes = append(out.Classes, ClassCount{Label: label})
		}
		return &out.Classes[i]
	}
	for _, s := range ds.Samples {
		var side func(*ClassCount) *Count
		switch s.Category {
		case dataset.CategoryTraining:
			side = func(c *ClassCount) *Count { return &c.Training }
		case dataset.CategoryTesting:
			side = func(c *ClassCount) *Count { return &c.Testing }
		default:
			continue
		}
		if len(s.Labels) > 0 {
			seen := map[string]bool{}
			for _, r := range s.Labels {
				c := side(get(r.Label))
				c.Duration += time.Duration(float64(r.EndIndex-r.StartIndex+1) * s.IntervalMs * float64(time.Millisecond))
				if !seen[r.Label] {
					c.Samples++
					seen[r.Label] = true
				}
			}
			continue
		}
		label := s.Label
		if label == "" {
			label = "(unlabelled)"
		}
		c := side(get(label))
		c.Samples++
		c.Duration += duration(s)
		if out.Sensors == nil && len(s.Sensors) > 0 {
			for _, sn := range s.Sensors {
				if sn.Units != "" {
					out.Sensors = append(out.Sensors, sn.Name+" ("+sn.Units+")")
				} else {
					out.Sensors = append(out.Sensors, sn.Name)
				}
			}
		}
	}
	for i, y := range feats.Y {
		label := "(unlabelled)"
		if y >= 0 {
			label = feats.Classes[y]
		}
		_ = i
		get(label).Training.Windows++
	}
	if test != nil {
		for _, w := range test.Windows {
			label := w.Expected
			if label == "" {
				label = "(unlabelled)"
			}
			get(label).Testing.Windows++
		}
	}
	sort.SliceStable(out.Classes, func(i, j int) bool { return out.Classes[i].Label < out.Classes[j].Label })
	return out
}

// samples picks the first training sample of every class and computes the
// DSP output of its middle window of that class.
func samples(im *impulse.Impulse, def *impulse.Definition, det *studio.DetailedImpulse, train []*dataset.Sample) ([]Sample, error) {
	proc, err := im.NewProcessor()
	if err != nil {
		return nil, err
	}
	done := map[string]bool{}
	var out []Sample
	var wins []impulse.Window
	for _, s := range train {
		wins, err = proc.Windows(wins[:0], s, impulse.TrainingWindows)
		if err != nil {
			return nil, fmt.Errorf("report: %s: %w", s.Name, err)
		}
		byLabel := map[string][]impulse.Window{}
		var order []string
		for _, w := range wins {
			if w.Label == "" || done[w.Label] {
				continue
			}
			if _, ok := byLabel[w.Label]; !ok {
				order = append(order, w.Label)
			}
			byLabel[w.Label] = append(byLabel[w.Label], w)
		}
		for _, label := range order {
			ws := byLabel[label]
			w := ws[len(ws)/2]
			smp, err := sample(def, det, proc, s, label, w)
			if err != nil {
				return nil, err
			}
			out = append(out, smp)
			done[label] = true
		}
	}
	slices.SortStableFunc(out, func(a, b Sample) int { return strings.Compare(a.Label, b.Label) })
	return out, nil
}

func sample(def *impulse.Definition, det *studio.DetailedImpulse, proc *impulse.Processor, s *dataset.Sample, label string, w impulse.Window) (Sample, error) {
	out := Sample{Label: label, Name: s.Name, Image: s.Image}
	if s.Image == nil {
		sig := &Signal{IntervalMs: s.IntervalMs, WindowStartMs: float64(w.StartMs), WindowEndMs: float64(w.EndMs)}
		n, k := s.Len(), len(s.Sensors)
		values := s.Series(nil)
		for j, sn := range s.Sensors {
			a := Axis{Name: sn.Name, Units: sn.Units, Values: make([]float64, n)}
			if a.Units == "wav" {
				// Edge Impulse's unit for audio: 16-bit PCM values.
				a.Units = "16-bit PCM"
			}
			for i := range n {
				a.Values[i] = values[i*k+j]
			}
			sig.Axes = append(sig.Axes, a)
		}
		out.Signal = sig
	}
	for _, b := range def.Impulse.DSPBlocks {
		f, err := proc.AppendFeatures(nil, s, w, b.ID)
		if err != nil {
			return out, fmt.Errorf("report: %s at %d ms: %w", s.Name, w.StartMs, err)
		}
		var md *studio.DSPMetadata
		for _, c := range det.DSPBlockConfigs {
			if c.BlockID == b.ID {
				md = c.Metadata
			}
		}
		out.Outputs = append(out.Outputs, dspOutput(def, b, md, f))
	}
	return out, nil
}

// spectralBand matches the spectral analysis block's band labels
// ("accX Spectral Power 1.95 - 5.86 Hz").
var spectralBand = regexp.MustCompile(`^Spectral Power ([0-9.]+) - ([0-9.]+) Hz$`)

// dspOutput turns a block's features into what the report draws: spectral
// bands per axis, a heat map for the audio blocks, an image for the image
// block, named scalars, or the bare feature vector.
func dspOutput(def *impulse.Definition, b studio.DSPBlock, md *studio.DSPMetadata, f []float64) DSPOutput {
	o := DSPOutput{Block: b.Name, Type: b.Type}
	var labels []string
	var shape struct {
		typ            string
		width          float64
		height, frames int
		channels       int
	}
	params := map[string]string{}
	if md != nil {
		labels = md.FeatureLabels
		shape.typ, shape.width, shape.height = md.OutputConfig.Type, md.OutputConfig.Shape.Width, md.OutputConfig.Shape.Height
		shape.channels, shape.frames = md.OutputConfig.Shape.Channels, md.OutputConfig.Shape.Frames
		params = md.DSPConfig
	}
	in := def.Impulse.InputBlocks[0]
	switch {
	case shape.typ == "image" && shape.width > 0 && shape.height > 0:
		w, h, ch := int(shape.width), shape.height, max(shape.channels, 1)
		if len(f) >= w*h*ch {
			img := image.NewRGBA(image.Rect(0, 0, w, h))
			px := func(v float64) uint8 { return uint8(math.Round(math.Max(0, math.Min(1, v)) * 255)) }
			for i := range w * h {
				var c color.RGBA
				if ch >= 3 {
					c = color.RGBA{px(f[i*ch]), px(f[i*ch+1]), px(f[i*ch+2]), 0xff}
				} else {
					g := px(f[i*ch])
					c = color.RGBA{g, g, g, 0xff}
				}
				img.SetRGBA(i%w, i/w, c)
			}
			o.Image = img
			return o
		}
	case shape.typ == "spectrogram" && shape.height > 0 && len(f)%shape.height == 0:
		ny := shape.height
		nx := len(f) / ny
		hm := &HeatMap{NX: nx, NY: ny, Values: f}
		stride := float64(in.WindowSizeMs) / 1000 / float64(nx)
		if v, err := strconv.ParseFloat(params["frame_stride"], 64); err == nil && v > 0 {
			stride = v
		}
		hm.X = Range{Label: "Time (s)", Min: 0, Max: float64(nx) * stride}
		hm.Y = Range{Min: -0.5, Max: float64(ny) - 0.5}
		switch b.Type {
		case "mfcc":
			hm.Y.Label, hm.Z = "Cepstral coefficient (index)", "MFCC (coefficient value)"
		case "mfe":
			hm.Y.Label, hm.Z = "Mel filter (index, low to high)", "Filter bank energy (normalised)"
		default:
			df := in.FrequencyHz / 2 / float64(max(ny-1, 1))
			hm.Y = Range{Label: "Frequency (Hz)", Min: -df / 2, Max: (float64(ny) - 0.5) * df}
			hm.Z = "Power (normalised)"
		}
		o.Heat = hm
		return o
	}
	if len(labels) == len(f) && len(labels) > 0 {
		bands := map[string]*Spectrum{}
		var axes []string
		for i, l := range labels {
			axis, name := splitAxis(l, b.Axes)
			if m := spectralBand.FindStringSubmatch(name); m != nil {
				lo, _ := strconv.ParseFloat(m[1], 64)
				hi, _ := strconv.ParseFloat(m[2], 64)
				sp := bands[axis]
				if sp == nil {
					sp = &Spectrum{Axis: axis}
					bands[axis] = sp
					axes = append(axes, axis)
				}
				sp.Bands = append(sp.Bands, Band{LoHz: lo, HiHz: hi, Power: f[i]})
				continue
			}
			o.Scalars = append(o.Scalars, Scalar{Axis: axis, Name: name, Value: f[i]})
		}
		for _, a := range axes {
			o.Spectra = append(o.Spectra, *bands[a])
		}
		if len(o.Spectra) > 0 {
			o.PowerUnit = "log10"
			if params["do-log"] == "false" {
				o.PowerUnit = "linear"
			}
		} else {
			o.Features = f
		}
		return o
	}
	o.Features = f
	return o
}

// splitAxis splits a feature label into its axis and feature name.
func splitAxis(label string, axes []string) (axis, name string) {
	for _, a := range axes {
		if rest, ok := strings.CutPrefix(label, a+" "); ok {
			return a, rest
		}
	}
	return "", label
}

// maxExplorer bounds the windows of the feature explorer (Studio shows at
// most 2000).
const maxExplorer = 2000

// explorer projects the training features of the first learn block with
// PCA; with a classifier, the windows are those of its predictions (Studio's
// feature-explorer data), and the ones it gets wrong are marked.
func explorer(def *impulse.Definition, det *studio.DetailedImpulse, feats *impulse.Features, notes map[string]string) (*Explorer, error) {
	if len(def.Impulse.LearnBlocks) == 0 || len(feats.Windows) == 0 {
		return nil, nil
	}
	lb := def.Impulse.LearnBlocks[0]
	var preds []metrics.Prediction
	model := ""
	for _, k := range det.LearnBlockKerasConfigs {
		if k.Metadata == nil || k.Metadata.Mode == "regression" {
			continue
		}
		for _, mm := range k.Metadata.ModelValidationMetrics {
			if mm.Type == k.Config.SelectedModelType {
				preds, model = mm.Predictions, k.Config.Name+" ("+mm.Type+")"
			}
		}
		lb = learnBlock(def, k.BlockID)
		break
	}
	X, err := feats.Learn(lb.ID)
	if err != nil {
		return nil, err
	}
	type key struct{ sample, start int }
	row := make(map[key]int, len(feats.Windows))
	for i, w := range feats.Windows {
		row[key{w.SampleID, w.StartMs}] = i
	}
	var rows []int
	var wrong []bool
	if len(preds) > 0 {
		for _, p := range preds {
			if r, ok := row[key{p.SampleID, p.StartMs}]; ok && feats.Y[r] >= 0 {
				rows = append(rows, r)
				wrong = append(wrong, p.PredictionCorrect != nil && !*p.PredictionCorrect)
			}
		}
	} else {
		for i, y := range feats.Y {
			if y >= 0 {
				rows = append(rows, i)
			}
		}
		if len(rows) > maxExplorer {
			// Every k-th window, for an even spread over the dataset.
			sub := make([]int, 0, maxExplorer)
			for i := range maxExplorer {
				sub = append(sub, rows[i*len(rows)/maxExplorer])
			}
			rows = sub
		}
		wrong = make([]bool, len(rows))
	}
	if len(rows) < 2 {
		notes["explorer"] = "Fewer than two labelled training windows."
		return nil, nil
	}
	cols := X.RawMatrix().Cols
	sub := mat.NewDense(len(rows), cols, nil)
	for i, r := range rows {
		sub.SetRow(i, X.RawRowView(r))
	}
	p, err := PCA2(sub)
	if err != nil {
		notes["explorer"] = err.Error()
		return nil, nil
	}
	e := &Explorer{Method: "PCA of the standardised features", Classes: feats.Classes, Model: model,
		XLabel: fmt.Sprintf("PC 1 (%.0f%% of variance, standardised units)", p.Explained[0]*100),
		YLabel: fmt.Sprintf("PC 2 (%.0f%% of variance, standardised units)", p.Explained[1]*100),
		Points: make([]Point, len(rows))}
	for i, r := range rows {
		e.Points[i] = Point{X: p.Points[2*i], Y: p.Points[2*i+1], Class: feats.Y[r], Wrong: wrong[i]}
	}
	if n := len(feats.Windows); n > len(rows) {
		notes["explorer"] = fmt.Sprintf("%d of the %d training windows are shown (Studio shows at most %d).", len(rows), n, maxExplorer)
	}
	return e, nil
}

// scores converts a classification report to per-class scores.
func scores(labels []string, r metrics.ClassificationReport) []ClassScore {
	out := make([]ClassScore, 0, len(r.PerClass))
	for i, c := range r.Classes {
		l := strconv.Itoa(c)
		if c >= 0 && c < len(labels) {
			l = labels[c]
		}
		s := r.PerClass[i]
		out = append(out, ClassScore{Label: l, Precision: s.Precision, Recall: s.Recall, F1: s.F1, Support: s.Support})
	}
	return out
}

func validation(block, selected string, labels []string, mm metrics.ModelMetrics) Validation {
	v := Validation{Block: block, ModelType: mm.Type, Selected: mm.Type == selected, Loss: mm.Loss, Accuracy: math.NaN()}
	if mm.Accuracy != nil {
		v.Accuracy = *mm.Accuracy
	}
	n := len(labels)
	v.Matrix = Matrix{Rows: labels, Columns: labels, Counts: make([]int, n*n)}
	for i, row := range mm.ConfusionMatrix {
		for j, c := range row {
			if i < n && j < n {
				v.Matrix.Counts[i*n+j] = int(c)
			}
		}
	}
	v.PerClass = scores(labels, mm.Report)
	for _, am := range mm.AdditionalMetrics {
		v.Metrics = append(v.Metrics, Setting{am.Name, am.Value})
	}
	return v
}

func modelTesting(r *impulse.TestReport, det *studio.DetailedImpulse) *Testing {
	t := &Testing{Windows: len(r.Windows), Accuracy: math.NaN()}
	seen := map[int]bool{}
	for _, w := range r.Windows {
		seen[w.SampleID] = true
	}
	t.Samples = len(seen)
	for _, k := range det.LearnBlockKerasConfigs {
		t.ModelType = k.Config.SelectedModelType
		break
	}
	if s := r.Summary; s != nil {
		t.Matrix = Matrix{Rows: s.Rows, Columns: s.Columns, Counts: s.Counts}
		t.Accuracy = s.Accuracy()
		t.Metrics = append(t.Metrics, Setting{"balanced accuracy", pct(s.BalancedAccuracy())})
	}
	if c := r.Classification; c != nil {
		t.PerClass = scores(c.Confusion.Labels, c.Report)
		t.Metrics = append(t.Metrics, Setting{"weighted F1 score", fixed(3, c.Report.WeightedAvg.F1)})
		if c.HasROCAUC {
			t.Metrics = append(t.Metrics, Setting{"ROC AUC", fixed(3, c.ROCAUC)})
		}
	}
	if r.HasAnomalyAUC {
		t.Metrics = append(t.Metrics, Setting{"anomaly ROC AUC", fixed(3, r.AnomalyAUC)})
	}
	return t
}

// anomalies collects the anomaly scores of the testing windows: the
// results carry the first anomaly block's score.
func anomalies(r *impulse.TestReport, det *studio.DetailedImpulse, def *impulse.Definition) []AnomalyScores {
	if len(det.LearnBlockAnomalyConfigs) == 0 {
		return nil
	}
	a := det.LearnBlockAnomalyConfigs[0]
	th, _ := threshold(a.Config.Thresholds)
	out := AnomalyScores{Block: learnBlock(def, a.BlockID).Name, Threshold: th}
	for _, w := range r.Windows {
		if !w.HasAnomaly || w.Expected == "" {
			continue
		}
		if w.Expected == impulse.ResultAnomaly {
			out.Anomalous = append(out.Anomalous, w.Anomaly)
		} else {
			out.Normal = append(out.Normal, w.Anomaly)
		}
	}
	return []AnomalyScores{out}
}

// device gathers the on-device estimates of every engine on the target.
func onDevice(m *impulse.Model, def *impulse.Definition, target string) (*Device, error) {
	sum, err := m.Estimate(target)
	if err != nil {
		return nil, err
	}
	t := sum.Target
	d := &Device{Target: t.Name, ClockMHz: t.ClockMHz, RAMBytes: t.RAMBytes, ROMBytes: t.ROMBytes}
	if in := def.Impulse.InputBlocks[0]; in.Type != studio.InputImage && in.ClassificationWindowIncreaseMs > 0 {
		d.LatencyBudgetMs = float64(in.ClassificationWindowIncreaseMs)
		d.LatencyBudget = fmt.Sprintf("classification stride %d ms", in.ClassificationWindowIncreaseMs)
	}
	var common []Part
	for _, b := range sum.DSP {
		common = append(common, Part{Block: b.Name, LatencyMs: b.LatencyMs, RAM: b.RAM, ROM: b.ROM})
	}
	var tail []Part
	for _, b := range sum.Anomaly {
		tail = append(tail, Part{Block: b.Name, LatencyMs: b.LatencyMs, RAM: b.RAM, ROM: b.ROM})
	}
	if len(sum.NN) == 0 {
		d.Engines = append(d.Engines, engine("DSP and anomaly", append(common, tail...)))
		return d, nil
	}
	// One neural network per engine: the estimate lists the selected model
	// type of each block first.
	for _, p := range sum.NN {
		name := "NN " + string(p.DType)
		for _, dep := range []struct {
			engine  string
			latency float64
			mem     device.Memory
			ok      bool
		}{
			{"EON", p.LatencyMs, p.EON, true},
			{"EON RAM-optimised", p.RAMOptimizedLatencyMs, p.EONRAMOptimized, p.RAMOptimized},
			{"TFLite Micro", p.LatencyMs, p.TFLite, true},
		} {
			if !dep.ok {
				continue
			}
			parts := append(slices.Clone(common), Part{Block: name, LatencyMs: dep.latency, RAM: dep.mem.RAM, ROM: dep.mem.ROM})
			d.Engines = append(d.Engines, engine(dep.engine+" "+string(p.DType), append(parts, tail...)))
		}
	}
	return d, nil
}

// engine totals a deployment: latency and ROM add up, RAM is the largest
// block's.
func engine(name string, parts []Part) Engine {
	e := Engine{Name: name, Parts: parts}
	for _, p := range parts {
		e.LatencyMs += p.LatencyMs
		e.RAM = max(e.RAM, p.RAM)
		e.ROM += p.ROM
	}
	return e
}
