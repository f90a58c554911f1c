package tune

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"

	"github.com/tinyimpulse/tinyimpulse/dataset"
	"github.com/tinyimpulse/tinyimpulse/device"
	"github.com/tinyimpulse/tinyimpulse/dsp"
	"github.com/tinyimpulse/tinyimpulse/impulse"
	"github.com/tinyimpulse/tinyimpulse/learn"
	"github.com/tinyimpulse/tinyimpulse/studio"
)

// Block ids of the impulses the tuner builds.
const (
	inputID = 1
	dspID   = 2
	learnID = 3
)

// template holds what every candidate takes from the data and from the
// starting impulse: the input axes, the multi-label labelling, the zero
// padding and the classifier's minimum confidence.
type template struct {
	name          string
	axes          []string // input axes; nil means every axis of the data
	padZeros      *bool
	labeling      *studio.LabelingMethod
	minConfidence *float64
	modelType     string
}

// newTemplate reads the settings candidates keep from the starting
// definition (nil for none).
func newTemplate(start *impulse.Definition) *template {
	t := &template{name: "EON Tuner candidate"}
	if start == nil {
		return t
	}
	if len(start.Impulse.InputBlocks) == 1 {
		in := start.Impulse.InputBlocks[0]
		t.axes = slices.Clone(in.Axes)
		t.padZeros = in.PadZeros
		t.labeling = in.LabelingMethodMultiLabel
	}
	for _, lb := range start.Impulse.LearnBlocks {
		if p := start.Learn[lb.ID]; lb.Type == studio.LearnKeras && p != nil && p.Keras != nil {
			t.minConfidence = p.Keras.MinimumConfidenceRating
			break
		}
	}
	return t
}

// errCombination marks a point whose blocks do not fit together (a
// convolution over features that have no frames, a processing block the
// input kind cannot feed).
var errCombination = errors.New("tune: the blocks of this candidate do not fit together")

// definition builds the impulse definition of a point: one input block, one
// processing block and one neural network classifier.
func (c *compiled) definition(p point, t *template) (*impulse.Definition, error) {
	i := p[0]
	im := c.space.Impulses[i]
	d := c.imp[i]
	inIdx, dspIdx, learnIdx := p[d.input], p[d.dsp], p[d.learn]
	in := im.Input[inIdx]
	b := im.DSP[dspIdx]
	if (in.Type == InputImage) != (b.Type == dsp.TypeImage) {
		return nil, fmt.Errorf("%w: a %s block on %s input", errCombination, b.Type, in.Type)
	}
	ib := studio.InputBlock{ID: inputID, Type: in.Type}
	if in.Type == InputTimeSeries {
		w := c.dims[d.inputs[inIdx].window].values[p[d.inputs[inIdx].window]].(Window)
		ib.WindowSizeMs, ib.WindowIncreaseMs = w.SizeMs, w.IncreaseMs
		ib.Axes = slices.Clone(t.axes)
		ib.PadZeros = t.padZeros
		ib.LabelingMethodMultiLabel = t.labeling
	} else {
		wh := c.dims[d.inputs[inIdx].size].values[p[d.inputs[inIdx].size]].([2]int)
		ib.ImageWidth, ib.ImageHeight = wh[0], wh[1]
		ib.ResizeMode = c.dims[d.inputs[inIdx].resize].values[p[d.inputs[inIdx].resize]].(string)
	}
	params := impulse.DSPParams{}
	for k, prm := range b.Params {
		dd := d.dsps[dspIdx][k]
		params[prm.Name] = c.dims[dd].values[p[dd]]
	}
	def := &impulse.Definition{
		Impulse: studio.Impulse{
			Name:        t.name,
			InputBlocks: []studio.InputBlock{ib},
			DSPBlocks:   []studio.DSPBlock{{ID: dspID, Type: b.Type, Input: inputID, ImplementationVersion: b.Version}},
			LearnBlocks: []studio.LearnBlock{{ID: learnID, Type: studio.LearnKeras, DSP: []int{dspID}}},
		},
		DSP:   map[int]impulse.DSPParams{dspID: params},
		Learn: map[int]*impulse.LearnParams{learnID: {Keras: &impulse.KerasParams{MinimumConfidenceRating: t.minConfidence, SelectedModelType: t.modelType}}},
	}
	l := im.Learn[learnIdx]
	ld := d.learns[learnIdx]
	k := def.Learn[learnID].Keras
	pick := func(dm int) any {
		if dm < 0 {
			return nil
		}
		return c.dims[dm].values[p[dm]]
	}
	if v := pick(ld.lr); v != nil {
		k.LearningRate = v.(float64)
	}
	if v := pick(ld.epochs); v != nil {
		k.TrainingCycles = v.(int)
	}
	if v := pick(ld.batch); v != nil {
		k.BatchSize = v.(int)
	}
	if v := pick(ld.imageAugment); v == "all" {
		k.AugmentationPolicyImage = "all"
	}
	if v := pick(ld.specAugment); v != nil && v.(studio.AugmentationPolicySpectrogram).Enabled {
		a := v.(studio.AugmentationPolicySpectrogram)
		k.AugmentationPolicySpectrogram = &a
	}
	if v := pick(ld.rotation); v != nil && v.(impulse.MotionAugmentation).Copies > 0 {
		r := v.(impulse.MotionAugmentation)
		k.AugmentationPolicyMotion = &r
	}
	shape := netShape{arch: l.Arch}
	if v := pick(ld.dense); v != nil {
		shape.dense = v.([]int)
	}
	if v := pick(ld.convLayers); v != nil {
		shape.convLayers = v.(int)
	}
	shape.convFilters = 8
	if v := pick(ld.convFilters); v != nil {
		shape.convFilters = v.(int)
	}
	shape.kernel = 3
	if v := pick(ld.kernel); v != nil {
		shape.kernel = v.(int)
	}
	if v := pick(ld.dropout); v != nil {
		shape.dropout = v.(float64)
	}
	if v := pick(ld.layers); v != nil {
		shape.layers = v.([]learn.VisualLayer)
	}
	layers, err := shape.visualLayers(b.Type)
	if err != nil {
		return nil, err
	}
	k.VisualLayers = layers
	return def, nil
}

// netShape is a network of one family, before it is laid out as Studio's
// visual layers.
type netShape struct {
	arch                    string
	dense                   []int
	convLayers, convFilters int
	kernel                  int
	dropout                 float64
	layers                  []learn.VisualLayer
}

// filters returns the filters of convolution layer i: the first layer's,
// doubled at every layer up to 64 (or the first layer's when more).
func (s netShape) filters(i int) int {
	return min(s.convFilters<<i, max(s.convFilters, maxDoubledFilters))
}

// maxDoubledFilters bounds the doubling of convolution filters.
const maxDoubledFilters = 64

// columnsUnknown marks a conv1d network whose frame width comes from the
// compiled impulse (the number of axes of a raw block that reads every
// axis of the data).
const columnsUnknown = -1

// visualLayers lays the network out as Studio's visual layers. A conv1d
// network reads frames: the cepstral coefficients, filters or bins of an
// audio block, or the axes of a raw block; its reshape layer's columns are
// columnsUnknown when they depend on the data (filled in by
// fixColumns).
func (s netShape) visualLayers(dspType string) ([]learn.VisualLayer, error) {
	var out []learn.VisualLayer
	drop := func() {
		if s.dropout > 0 {
			r := s.dropout
			out = append(out, learn.VisualLayer{Type: learn.LayerDropout, DropoutRate: &r})
		}
	}
	switch s.arch {
	case ArchLayers:
		return slices.Clone(s.layers), nil
	case ArchDense:
		if dspType == dsp.TypeImage {
			out = append(out, learn.VisualLayer{Type: learn.LayerFlatten})
		}
	case ArchConv1D:
		switch dspType {
		case dsp.TypeRaw, dsp.TypeMFCC, dsp.TypeMFE, dsp.TypeSpectrogram:
		default:
			return nil, fmt.Errorf("%w: a conv1d network reads frames, which a %s block does not give", errCombination, dspType)
		}
		out = append(out, learn.VisualLayer{Type: learn.LayerReshape, Columns: columnsUnknown})
		for i := range s.convLayers {
			out = append(out, learn.VisualLayer{Type: learn.LayerConv1D, Neurons: s.filters(i), KernelSize: s.kernel})
			drop()
		}
		out = append(out, learn.VisualLayer{Type: learn.LayerFlatten})
	case ArchConv2D:
		if dspType != dsp.TypeImage {
			return nil, fmt.Errorf("%w: a conv2d network reads images, not %s features", errCombination, dspType)
		}
		for i := range s.convLayers {
			out = append(out, learn.VisualLayer{Type: learn.LayerConv2D, Neurons: s.filters(i), KernelSize: s.kernel})
			drop()
		}
		out = append(out, learn.VisualLayer{Type: learn.LayerFlatten})
	}
	for _, w := range s.dense {
		out = append(out, learn.VisualLayer{Type: learn.LayerDense, Neurons: w})
		drop()
	}
	if out == nil {
		out = []learn.VisualLayer{} // no hidden layer: input → softmax
	}
	return out, nil
}

// fixColumns sets the columns of a conv1d network's reshape layer from an
// impulse compiled from the same blocks: the frame width of an audio
// block's features, or the axes of a raw block.
func fixColumns(def *impulse.Definition, im *impulse.Impulse) error {
	k := def.Learn[learnID].Keras
	idx := slices.IndexFunc(k.VisualLayers, func(l learn.VisualLayer) bool { return l.Type == learn.LayerReshape && l.Columns == columnsUnknown })
	if idx < 0 {
		return nil
	}
	in, err := im.LearnInput(learnID)
	if err != nil {
		return err
	}
	cols := in.Height
	if in.Kind == learn.InputFlat {
		full := im.Definition()
		cols = len(full.Impulse.DSPBlocks[0].Axes)
		if cols < 1 || in.Width%cols != 0 {
			return fmt.Errorf("%w: %d features do not make frames of %d axes", errCombination, in.Width, cols)
		}
	}
	if cols < 1 {
		return fmt.Errorf("%w: the features have no frames", errCombination)
	}
	k.VisualLayers[idx].Columns = cols
	return nil
}

// Estimate is the on-device cost of a candidate impulse on the target, as
// the device package estimates it before anything is trained: the
// processing block and the network of the model type searched (EON
// deployment). Latency and ROM add up over the blocks; RAM is the peak of
// the blocks, which run one after the other.
type Estimate struct {
	LatencyMs float64 `json:"latencyMs"`
	RAM       int     `json:"ram"`
	ROM       int     `json:"rom"`
	// The processing block's and the network's shares.
	DSPLatencyMs float64 `json:"dspLatencyMs"`
	NNLatencyMs  float64 `json:"nnLatencyMs"`
	DSPRAM       int     `json:"dspRam"`
	NNRAM        int     `json:"nnRam"`
	DSPROM       int     `json:"dspRom"`
	NNROM        int     `json:"nnRom"`
	// MACs is the network's multiply-accumulate count per window, Features
	// the length of its input.
	MACs     float64 `json:"macs"`
	Features int     `json:"features"`
	// Performance is the network's estimate as Studio reports it.
	Performance device.DevicePerformance `json:"-"`
}

// Budget bounds a candidate's on-device cost. A zero field is no bound on
// latency, and the target's own memory on RAM and ROM.
type Budget struct {
	LatencyMs float64 `json:"latencyMs,omitempty"`
	RAMBytes  int     `json:"ramBytes,omitempty"`
	ROMBytes  int     `json:"romBytes,omitempty"`
}

// Fits reports whether the estimate is within the budget, and if not why.
func (b Budget) Fits(e Estimate) (bool, string) {
	switch {
	case b.LatencyMs > 0 && e.LatencyMs > b.LatencyMs:
		return false, fmt.Sprintf("latency %.1f ms over %.0f ms", e.LatencyMs, b.LatencyMs)
	case b.RAMBytes > 0 && e.RAM > b.RAMBytes:
		return false, fmt.Sprintf("RAM %s over %s", kb(e.RAM), kb(b.RAMBytes))
	case b.ROMBytes > 0 && e.ROM > b.ROMBytes:
		return false, fmt.Sprintf("ROM %s over %s", kb(e.ROM), kb(b.ROMBytes))
	}
	return true, ""
}

func kb(n int) string { return fmt.Sprintf("%.1fK", float64(n)/1024) }

// estimator estimates candidates on one target for one model type.
type estimator struct {
	ds        *dataset.Dataset
	labels    []string
	profile   device.ProfileConfig
	modelType impulse.ModelType
}

// estimate compiles a definition against the data and estimates it. It
// returns the completed definition (every default and the data's
// frequency and axes filled in, impulse.Impulse.Definition). It also
// completes a conv1d network's reshape layer (fixColumns), so def may
// change.
func (e *estimator) estimate(def *impulse.Definition) (*impulse.Definition, Estimate, error) {
	var est Estimate
	k := def.Learn[learnID].Keras
	if slices.ContainsFunc(k.VisualLayers, func(l learn.VisualLayer) bool { return l.Columns == columnsUnknown }) {
		// Compile the impulse without hidden layers to learn the shape of
		// its features.
		probe := *def
		kp := *k
		kp.VisualLayers = []learn.VisualLayer{}
		probe.Learn = map[int]*impulse.LearnParams{learnID: {Keras: &kp}}
		pim, err := impulse.Compile(&probe, e.ds)
		if err != nil {
			return nil, est, err
		}
		if err := fixColumns(def, pim); err != nil {
			return nil, est, err
		}
	}
	im, err := impulse.Compile(def, e.ds)
	if err != nil {
		return nil, est, err
	}
	full := im.Definition()
	ib := full.Impulse.InputBlocks[0]
	for _, b := range full.Impulse.DSPBlocks {
		blk, err := dsp.New(b.Type, b.ImplementationVersion, full.DSP[b.ID], dspInput(ib, b))
		if err != nil {
			return nil, est, err
		}
		p, err := device.ProfileDSP(b.Name, blk.Cost(), e.profile)
		if err != nil {
			return nil, est, err
		}
		est.DSPLatencyMs += p.LatencyMs
		est.DSPRAM = max(est.DSPRAM, p.RAM)
		est.DSPROM += p.ROM
	}
	cfg, in, err := im.KerasConfig(learnID)
	if err != nil {
		return nil, est, err
	}
	net, err := learn.New(cfg, in, e.labels, false, 1)
	if err != nil {
		return nil, est, err
	}
	g := net.Graph()
	if e.modelType != impulse.Float32 {
		// The int8 graph's shapes and byte counts do not depend on the
		// calibration data: one window of zeros will do.
		q, err := learn.Quantize(context.Background(), net, mat.NewDense(1, in.Features(), nil), nil)
		if err != nil {
			return nil, est, err
		}
		g = q.Graph()
	}
	dn, err := device.FromGraph(g)
	if err != nil {
		return nil, est, err
	}
	prof, err := device.ProfileNetwork(dn, e.profile)
	if err != nil {
		return nil, est, err
	}
	est.NNLatencyMs, est.NNRAM, est.NNROM = prof.LatencyMs, prof.EON.RAM, prof.EON.ROM
	est.MACs, est.Features = prof.MACs, in.Features()
	est.LatencyMs = est.DSPLatencyMs + est.NNLatencyMs
	est.RAM = max(est.DSPRAM, est.NNRAM)
	est.ROM = est.DSPROM + est.NNROM
	est.Performance = prof.Performance(true)
	if math.IsNaN(est.LatencyMs) {
		return nil, est, fmt.Errorf("tune: the estimate of the candidate is not a number")
	}
	return full, est, nil
}

// dspInput returns the window shape a processing block receives, as
// package impulse cuts windows (impulse-model.md §2.1.1).
func dspInput(in studio.InputBlock, b studio.DSPBlock) dsp.Input {
	if in.Type == studio.InputImage {
		return dsp.Input{Width: in.ImageWidth, Height: in.ImageHeight, Samples: in.ImageWidth * in.ImageHeight}
	}
	return dsp.Input{FrequencyHz: in.FrequencyHz, Axes: len(b.Axes), Samples: int(math.Round(float64(in.WindowSizeMs) * in.FrequencyHz / 1000))}
}
