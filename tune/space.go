package tune

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/tinyimpulse/tinyimpulse/impulse"
	"github.com/tinyimpulse/tinyimpulse/learn"
	"github.com/tinyimpulse/tinyimpulse/studio"
)

// Space is a search space: alternative impulses, each with alternatives
// for its input block, its processing block and its learn block, and for
// every setting a list of values to choose from. A candidate impulse takes
// one alternative at every level and one value of every setting that
// alternative has. Its JSON form is the EON Tuner's search space (see
// ParseSpace).
type Space struct {
	Impulses []ImpulseSpace
}

// ImpulseSpace is one alternative impulse of a Space: every combination
// of one of its input blocks, one of its DSP blocks and one of its learn
// blocks is a candidate (its "learnBlocks" in JSON).
type ImpulseSpace struct {
	Input []InputSpace
	DSP   []DSPSpace
	Learn []LearnSpace
}

// Kinds of input block.
const (
	InputTimeSeries = "time-series"
	InputImage      = "image"
)

// InputSpace is one alternative input block.
type InputSpace struct {
	// Type is InputTimeSeries or InputImage.
	Type string
	// Windows are the window sizes and strides of a time series.
	Windows []Window
	// Dimensions are the image sizes (width, height) and ResizeModes
	// Studio's resize modes ("squash", "fit-short", "fit-long"); no modes
	// means Studio's default.
	Dimensions  [][2]int
	ResizeModes []string
}

// Window is a time-series window: its size and the stride between
// windows, in milliseconds.
type Window struct {
	SizeMs     int `json:"windowSizeMs"`
	IncreaseMs int `json:"windowIncreaseMs"`
}

// DSPSpace is one alternative processing block: its type
// (dsp.TypeSpectral, …), implementation version (0 for the latest) and
// the values each of its parameters may take, by parameters.json name.
// Parameters not listed take Studio's defaults.
type DSPSpace struct {
	Type    string
	Version int
	Params  []Param
}

// Param is one setting and the values it may take. Values are JSON values
// (float64, bool, string; for the learn block's layer lists []int or
// []learn.VisualLayer). Numbers are searched as ordered values.
type Param struct {
	Name   string
	Values []any
}

// Network families of a LearnSpace.
const (
	// ArchDense is a stack of dense layers (DenseLayers), each optionally
	// followed by dropout.
	ArchDense = "dense"
	// ArchConv1D reshapes the features into frames (the processing block's
	// coefficients, filters or bins per frame; a raw block's axes) and
	// applies ConvLayers 1-D convolutions of ConvFilters·2^i filters, each
	// with 2/2 max pooling and dropout, then flatten and DenseLayers.
	ArchConv1D = "conv1d"
	// ArchConv2D is the same with 2-D convolutions on an image.
	ArchConv2D = "conv2d"
	// ArchLayers takes Studio's visual layers as they are (VisualLayers).
	ArchLayers = "layers"
)

// LearnSpace is one alternative learn block: a neural network classifier
// of one family (Arch…) and the values of its shape and training
// settings. An empty list leaves the setting to Studio's default.
type LearnSpace struct {
	Arch string
	// DenseLayers are the widths of the dense layers (after the
	// convolutions for conv1d and conv2d; an empty list adds none).
	DenseLayers [][]int
	// ConvLayers is the number of convolution layers, ConvFilters the
	// filters of the first (each further layer doubles them, up to 64 or
	// the first layer's when more), KernelSizes
	// the convolution kernel sizes.
	ConvLayers  []int
	ConvFilters []int
	KernelSizes []int
	// Dropout is the dropout rate after every hidden layer (0 adds none).
	Dropout []float64
	// VisualLayers are whole networks in Studio's visual layers (ArchLayers).
	VisualLayers [][]learn.VisualLayer
	// LearningRates, Epochs (trainingCycles) and BatchSizes are the training
	// settings.
	LearningRates []float64
	Epochs        []int
	BatchSizes    []int
	// Rotations are the rotated copies of every training window the
	// network also trains on (impulse.MotionAugmentation; the zero value
	// for none), for time series with a 3-axis sensor.
	Rotations []impulse.MotionAugmentation
	// SpecAugment are the spectrogram augmentations of networks on MFCC,
	// MFE or spectrogram features (impulse.SpecAugment; not enabled for
	// none).
	SpecAugment []studio.AugmentationPolicySpectrogram
	// ImageAugment are Studio's image augmentation policies of networks on
	// images ("none", "all").
	ImageAugment []string
}

// dim is one dimension of a compiled space: a choice among n values,
// active when its parent dimension has the value parentValue (the root
// dimension has parent −1).
type dim struct {
	name        string
	values      []any
	ordered     bool // numbers: neighbouring values are alike
	parent      int
	parentValue int
}

// point is a candidate: the index of the value chosen in every dimension
// of a compiled space, −1 for the dimensions that are not active.
type point []int

// key returns a string that identifies the point.
func (p point) key() string {
	var b strings.Builder
	for i, v := range p {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(v))
	}
	return b.String()
}

// active reports whether dimension i of the space is active in p, given
// the values of the dimensions before it.
func (c *compiled) active(p point, i int) bool {
	d := &c.dims[i]
	return d.parent < 0 || p[d.parent] == d.parentValue
}

// compiled is a Space laid out as a tree of dimensions, parents before
// their children. Dimension 0 chooses the impulse.
type compiled struct {
	space *Space
	dims  []dim
	// index of the dimensions of each alternative, for building a
	// definition from a point.
	imp []impDims
}

type impDims struct {
	input int // dimension choosing the input alternative
	dsp   int // dimension choosing the DSP alternative
	learn int // dimension choosing the learn alternative
	// per input alternative: window (time series) or dimension and resize
	// mode (images)
	inputs []inputDims
	// per DSP alternative: one dimension per parameter
	dsps [][]int
	// per learn alternative
	learns []learnDims
}

type inputDims struct{ window, size, resize int }

type learnDims struct {
	dense, convLayers, convFilters, kernel, dropout, layers, lr, epochs, batch, rotation, specAugment, imageAugment int
}

// compile lays the space out as dimensions. The space must be valid.
func (s *Space) compile() *compiled {
	c := &compiled{space: s}
	add := func(name string, values []any, parent, pv int) int {
		c.dims = append(c.dims, dim{name: name, values: values, ordered: numeric(values), parent: parent, parentValue: pv})
		return len(c.dims) - 1
	}
	choices := func(n int) []any {
		v := make([]any, n)
		for i := range v {
			v[i] = i
		}
		return v
	}
	root := add("impulse", choices(len(s.Impulses)), -1, 0)
	c.dims[root].ordered = false
	for i, im := range s.Impulses {
		p := fmt.Sprintf("impulse%d.", i)
		var d impDims
		d.input = add(p+"input", choices(len(im.Input)), root, i)
		c.dims[d.input].ordered = false
		for j, in := range im.Input {
			q := fmt.Sprintf("%sinput%d.", p, j)
			id := inputDims{window: -1, size: -1, resize: -1}
			if in.Type == InputTimeSeries {
				id.window = add(q+"window", anySlice(in.Windows), d.input, j)
				// Windows are ordered by size, then stride.
				c.dims[id.window].ordered = true
			} else {
				id.size = add(q+"dimension", anySlice(in.Dimensions), d.input, j)
				c.dims[id.size].ordered = true
				modes := in.ResizeModes
				if len(modes) == 0 {
					modes = []string{""}
				}
				id.resize = add(q+"resizeMode", anySlice(modes), d.input, j)
			}
			d.inputs = append(d.inputs, id)
		}
		d.dsp = add(p+"dsp", choices(len(im.DSP)), root, i)
		c.dims[d.dsp].ordered = false
		for j, b := range im.DSP {
			var ids []int
			for _, prm := range b.Params {
				ids = append(ids, add(fmt.Sprintf("%sdsp%d.%s", p, j, prm.Name), prm.Values, d.dsp, j))
			}
			d.dsps = append(d.dsps, ids)
		}
		d.learn = add(p+"learn", choices(len(im.Learn)), root, i)
		c.dims[d.learn].ordered = false
		for j, l := range im.Learn {
			q := fmt.Sprintf("%slearn%d.", p, j)
			opt := func(name string, values []any) int {
				if len(values) == 0 {
					return -1
				}
				return add(q+name, values, d.learn, j)
			}
			ld := learnDims{
				dense:        opt("denseLayers", anySlice(l.DenseLayers)),
				convLayers:   opt("convLayers", anySlice(l.ConvLayers)),
				convFilters:  opt("convFilters", anySlice(l.ConvFilters)),
				kernel:       opt("kernelSize", anySlice(l.KernelSizes)),
				dropout:      opt("dropout", anySlice(l.Dropout)),
				layers:       opt("visualLayers", anySlice(l.VisualLayers)),
				lr:           opt("learningRate", anySlice(l.LearningRates)),
				epochs:       opt("trainingCycles", anySlice(l.Epochs)),
				batch:        opt("batchSize", anySlice(l.BatchSizes)),
				rotation:     opt("augmentationPolicyMotion", anySlice(l.Rotations)),
				specAugment:  opt("augmentationPolicySpectrogram", anySlice(l.SpecAugment)),
				imageAugment: opt("augmentationPolicyImage", anySlice(l.ImageAugment)),
			}
			if ld.dense >= 0 {
				// Layer lists are ordered by size (total width).
				c.dims[ld.dense].ordered = true
			}
			d.learns = append(d.learns, ld)
		}
		c.imp = append(c.imp, d)
	}
	return c
}

func anySlice[T any](s []T) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// numeric reports whether every value is a number (and there are at
// least two): such a dimension is searched as ordered values.
func numeric(values []any) bool {
	if len(values) < 2 {
		return false
	}
	for _, v := range values {
		switch v.(type) {
		case float64, int:
		default:
			return false
		}
	}
	return true
}

// size returns the number of distinct candidates of the space (saturating
// at 1<<62).
func (c *compiled) size() float64 {
	var count func(d int, v int) float64
	children := make([][]int, len(c.dims))
	for i, d := range c.dims {
		if d.parent >= 0 {
			children[d.parent] = append(children[d.parent], i)
		}
	}
	// count(d, v): candidates of the subtree below dimension d having
	// value v.
	count = func(d, v int) float64 {
		n := 1.0
		for _, ch := range children[d] {
			if c.dims[ch].parentValue != v {
				continue
			}
			sum := 0.0
			for w := range c.dims[ch].values {
				sum += count(ch, w)
			}
			n *= sum
		}
		return n
	}
	total := 0.0
	for v := range c.dims[0].values {
		total += count(0, v)
	}
	return total
}

// Validate checks the space: at least one alternative at every level,
// known types, values of the right kind and range. It returns a *SpaceError
// listing every problem.
func (s *Space) Validate() error {
	var e SpaceError
	if len(s.Impulses) == 0 {
		e.add("", "the search space is empty: it holds no impulse")
	}
	for i, im := range s.Impulses {
		p := fmt.Sprintf("[%d]", i)
		if len(im.Input) == 0 {
			e.add(p+".inputBlocks", "holds no input block")
		}
		if len(im.DSP) == 0 {
			e.add(p+".dspBlocks", "holds no DSP block")
		}
		if len(im.Learn) == 0 {
			e.add(p+".learnBlocks", "holds no learn block")
		}
		for j, in := range im.Input {
			q := fmt.Sprintf("%s.inputBlocks[%d]", p, j)
			switch in.Type {
			case InputTimeSeries:
				if len(in.Windows) == 0 {
					e.add(q+".window", "holds no window")
				}
				for k, w := range in.Windows {
					if w.SizeMs <= 0 || w.IncreaseMs <= 0 {
						e.add(fmt.Sprintf("%s.window[%d]", q, k), "windowSizeMs %d and windowIncreaseMs %d must be positive", w.SizeMs, w.IncreaseMs)
					}
				}
			case InputImage:
				if len(in.Dimensions) == 0 {
					e.add(q+".dimension", "holds no image size")
				}
				for k, d := range in.Dimensions {
					if d[0] <= 0 || d[1] <= 0 || d[0] > 4096 || d[1] > 4096 {
						e.add(fmt.Sprintf("%s.dimension[%d]", q, k), "%d×%d is not an image size (1 to 4096 pixels a side)", d[0], d[1])
					}
				}
				for k, m := range in.ResizeModes {
					if !slices.Contains(resizeModes, m) {
						e.add(fmt.Sprintf("%s.resizeMode[%d]", q, k), "%q is not one of %s", m, strings.Join(resizeModes, ", "))
					}
				}
			default:
				e.add(q+".type", "%q is not an input block type this tuner searches (time-series, image)", in.Type)
			}
		}
		for j, b := range im.DSP {
			q := fmt.Sprintf("%s.dspBlocks[%d]", p, j)
			if b.Type == "" {
				e.add(q+".type", "is missing")
			}
			for _, prm := range b.Params {
				if len(prm.Values) == 0 {
					e.add(q+"."+prm.Name, "holds no value")
				}
			}
		}
		for j, l := range im.Learn {
			q := fmt.Sprintf("%s.learnBlocks[%d]", p, j)
			l.validate(&e, q)
		}
	}
	if len(e.Problems) > 0 {
		return &e
	}
	return nil
}

var resizeModes = []string{"squash", "fit-short", "fit-long"}

func (l *LearnSpace) validate(e *SpaceError, q string) {
	switch l.Arch {
	case ArchDense, ArchConv1D, ArchConv2D:
		if l.Arch != ArchDense && len(l.ConvLayers) == 0 {
			e.add(q+".convLayers", "a %s network needs at least one value", l.Arch)
		}
	case ArchLayers:
		if len(l.VisualLayers) == 0 {
			e.add(q+".visualLayers", "holds no network")
		}
	default:
		e.add(q+".architecture", "%q is not one of dense, conv1d, conv2d, layers", l.Arch)
	}
	positive := func(name string, vs []int, hi int) {
		for k, v := range vs {
			if v < 1 || v > hi {
				e.add(fmt.Sprintf("%s.%s[%d]", q, name, k), "%d is out of range [1, %d]", v, hi)
			}
		}
	}
	for k, ws := range l.DenseLayers {
		positive(fmt.Sprintf("denseLayers[%d]", k), ws, 1<<14)
	}
	positive("convLayers", l.ConvLayers, 8)
	positive("convFilters", l.ConvFilters, 1<<12)
	positive("kernelSize", l.KernelSizes, 64)
	positive("trainingCycles", l.Epochs, 100000)
	positive("batchSize", l.BatchSizes, 1<<16)
	for k, r := range l.Dropout {
		if !(r >= 0 && r < 1) {
			e.add(fmt.Sprintf("%s.dropout[%d]", q, k), "%v is not in [0, 1)", r)
		}
	}
	for k, r := range l.LearningRates {
		if !(r > 0 && r <= 1) {
			e.add(fmt.Sprintf("%s.learningRate[%d]", q, k), "%v is not in (0, 1]", r)
		}
	}
	for k, a := range l.ImageAugment {
		if a != "none" && a != "all" {
			e.add(fmt.Sprintf("%s.augmentationPolicyImage[%d]", q, k), "%q is not none or all", a)
		}
	}
	for k, a := range l.SpecAugment {
		for _, lv := range []struct{ name, v string }{{"freqMasking", a.FreqMasking}, {"timeMasking", a.TimeMasking}, {"gaussianNoise", a.GaussianNoise}} {
			if !slices.Contains([]string{"", "none", "low", "high"}, lv.v) {
				e.add(fmt.Sprintf("%s.augmentationPolicySpectrogram[%d].%s", q, k, lv.name), "%q is not none, low or high", lv.v)
			}
		}
	}
	for k, r := range l.Rotations {
		if r == (impulse.MotionAugmentation{}) {
			continue
		}
		if r.Copies < 1 || r.Copies > impulse.MaxRotatedCopies {
			e.add(fmt.Sprintf("%s.augmentationPolicyMotion[%d].copies", q, k), "%d is out of range [1, %d]", r.Copies, impulse.MaxRotatedCopies)
		}
		if !(r.MaxDegrees > 0 && r.MaxDegrees <= 180) {
			e.add(fmt.Sprintf("%s.augmentationPolicyMotion[%d].maxDegrees", q, k), "%v is not in (0, 180]", r.MaxDegrees)
		}
	}
	for k, net := range l.VisualLayers {
		c := learn.Config{VisualLayers: net}
		if _, err := learn.New(c, learn.Input{Kind: learn.InputFlat, Width: 1}, []string{"a", "b"}, false, 0); err != nil {
			if msg, ok := strings.CutPrefix(err.Error(), "learn: "); ok && strings.HasPrefix(msg, "visualLayers") {
				e.add(fmt.Sprintf("%s.visualLayers[%d]%s", q, k, strings.TrimPrefix(msg, "visualLayers")), "")
			}
		}
	}
}

// SpaceError lists the problems of a search space, each with its JSON
// path ("[0].dspBlocks[1].fft-length").
type SpaceError struct {
	// File is the file the space was read from, if any.
	File     string
	Problems []string
}

func (e *SpaceError) add(path, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	switch {
	case path == "":
		e.Problems = append(e.Problems, msg)
	case msg == "":
		e.Problems = append(e.Problems, path)
	default:
		e.Problems = append(e.Problems, path+": "+msg)
	}
}

func (e *SpaceError) Error() string {
	where := "search space"
	if e.File != "" {
		where += " " + e.File
	}
	return "tune: " + where + ": " + strings.Join(e.Problems, "; ")
}

// Unwrap lets errors.Is find ErrSpace.
func (e *SpaceError) Unwrap() error { return ErrSpace }
