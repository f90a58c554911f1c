package tune

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/tinyimpulse/tinyimpulse/dataset"
	"github.com/tinyimpulse/tinyimpulse/dsp"
	"github.com/tinyimpulse/tinyimpulse/impulse"
	"github.com/tinyimpulse/tinyimpulse/learn"
	"github.com/tinyimpulse/tinyimpulse/studio"
)

// DataKind is the kind of data a dataset holds, which decides the search
// space the tuner proposes (the EON Tuner's project data type).
type DataKind string

// Kinds of data.
const (
	KindMotion DataKind = "motion" // time series other than audio
	KindAudio  DataKind = "audio"  // one or two axes sampled at 2 kHz or more
	KindImage  DataKind = "image"
)

// dataProfile is what the default search space is built from.
type dataProfile struct {
	kind       DataKind
	lengthMs   float64 // median duration of the training samples
	freq       float64 // most common sampling frequency
	axes       int     // axes the impulse reads
	width      int     // median image size
	height     int
	color      bool // some image is not grey
	rms        float64
	continuous bool // samples hold many windows
	turnable   bool // time series with a 3-axis sensor, recorded in many orientations
}

// profileData looks at the training samples.
func profileData(ds *dataset.Dataset, axes []string) (dataProfile, error) {
	train := ds.Category(dataset.CategoryTraining)
	if len(train) == 0 {
		return dataProfile{}, fmt.Errorf("%w: %s has no training samples", impulse.ErrDataset, ds.Dir)
	}
	var p dataProfile
	if train[0].Image != nil {
		p.kind = KindImage
		var ws, hs []int
		for _, s := range train {
			if s.Image == nil {
				return p, fmt.Errorf("%w: %s mixes images and time series", impulse.ErrDataset, ds.Dir)
			}
			b := s.Image.Bounds()
			ws, hs = append(ws, b.Dx()), append(hs, b.Dy())
			if !p.color {
				p.color = colorful(s)
			}
		}
		p.width, p.height = median(ws), median(hs)
		return p, nil
	}
	var lens []int
	freqs := map[float64]int{}
	var sum, n float64
	for _, s := range train {
		if s.Image != nil || len(s.Sensors) == 0 {
			return p, fmt.Errorf("%w: %s mixes images and time series", impulse.ErrDataset, ds.Dir)
		}
		f := s.FrequencyHz()
		freqs[f]++
		lens = append(lens, int(math.Round(float64(s.Len())*1000/f)))
		for _, v := range s.Values {
			sum += v * v
			n++
		}
	}
	best := 0
	for f, c := range freqs {
		if c > best || (c == best && f > p.freq) {
			p.freq, best = f, c
		}
	}
	p.lengthMs = float64(median(lens))
	p.axes = len(train[0].Sensors)
	if len(axes) > 0 {
		p.axes = len(axes)
	}
	p.rms = math.Sqrt(sum / max(n, 1))
	p.kind = KindMotion
	if p.freq >= 2000 && p.axes <= 2 {
		p.kind = KindAudio
	}
	p.continuous = p.lengthMs > 3000
	p.turnable = heldVariously(ds)
	if len(axes) > 0 {
		// The impulse reads these axes only: turning needs a 3-axis sensor
		// among them.
		sensors := make([]dataset.Sensor, len(axes))
		for i, a := range axes {
			sensors[i] = dataset.Sensor{Name: a}
		}
		p.turnable = p.turnable && len(dataset.Triples(sensors)) > 0
	}
	return p, nil
}

// colorful reports whether an image has a pixel whose channels differ.
func colorful(s *dataset.Sample) bool {
	b := s.Image.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := s.Image.At(x, y).RGBA()
			if r != g || g != bl {
				return true
			}
		}
	}
	return false
}

func median(v []int) int {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// DefaultSpace returns the search space the tuner proposes for a dataset,
// by the kind of its data (see DataKind), as the EON Tuner's templates do:
//
//   - motion: windows from half the samples' length to all of it (short,
//     event-like samples) or from 0.5 s to 4 s (long, continuous ones),
//     with strides of 10 % (continuous only), 25 % and 50 %; spectral
//     analysis (FFT of 16 to 256 points with or without log and overlap,
//     a low-pass filter, or wavelets of 1 to 4 levels) and flatten (every
//     statistic, or without the minimum, the maximum or both) into dense
//     networks of one to three layers; raw data, scaled to about unit
//     size, into conv1d networks of one to three layers;
//   - audio: windows of the samples' length (1 s for longer ones); MFCC,
//     MFE and spectrogram blocks over their frame lengths, strides, filter
//     counts, FFT lengths and noise floors, into conv1d networks of two or
//     three layers starting at 8 or 16 filters;
//   - images: sizes from the images' own up to 96×96 (up to four times the
//     size for tiny images), grayscale (and RGB for colour images), into
//     conv2d networks of one to three layers and, for small images, dense
//     networks;
//
// with augmentation where it fits the data: 2 or 4 rotated copies of
// every window for motion data recorded in many orientations
// (OrientationSpread), light or strong spectrogram augmentation for audio,
// Studio's image augmentation for conv2d networks (each also offered
// without);
//
// each with learning rates, epochs and batch sizes around Studio's
// defaults. A starting definition (start, nil for none) adds one more
// alternative holding exactly its settings, so that the search can
// evaluate it and refine around it; its input axes are kept for every
// candidate.
func DefaultSpace(ds *dataset.Dataset, start *impulse.Definition) (*Space, error) {
	var axes []string
	if start != nil && len(start.Impulse.InputBlocks) == 1 {
		axes = start.Impulse.InputBlocks[0].Axes
	}
	p, err := profileData(ds, axes)
	if err != nil {
		return nil, err
	}
	var s *Space
	switch p.kind {
	case KindImage:
		s = imageSpace(p)
	case KindAudio:
		s = audioSpace(p)
	default:
		s = motionSpace(p)
	}
	if start != nil {
		alt, err := startSpace(ds, start)
		if err != nil {
			return nil, err
		}
		s.Impulses = append(s.Impulses, *alt)
	}
	return s, nil
}

func floats(v ...float64) []any { return anySlice(v) }

func strs(v ...string) []any { return anySlice(v) }

// windows returns time-series windows of the given sizes and strides (as
// fractions of the window), at least one sample apart.
func windows(sizes []int, fractions []float64, freq float64) []Window {
	var out []Window
	step := 1000 / freq
	for _, s := range sizes {
		for _, f := range fractions {
			inc := int(math.Max(math.Round(float64(s)*f/10)*10, math.Ceil(step)))
			out = append(out, Window{SizeMs: s, IncreaseMs: inc})
		}
	}
	return sortWindows(out)
}

// roundMs rounds a duration to 10 ms (at least 10).
func roundMs(ms float64) int { return max(10, int(math.Round(ms/10))*10) }

var (
	learningRates = []float64{0.0005, 0.001, 0.002, 0.005, 0.01}
	denseLayers   = [][]int{{16}, {20, 10}, {32}, {40, 20}, {64}, {40, 20, 10}, {64, 32}, {128}, {128, 64}}
)

func motionSpace(p dataProfile) *Space {
	var sizes []int
	fractions := []float64{0.25, 0.5}
	if p.continuous {
		for _, s := range []int{500, 1000, 1500, 2000, 3000, 4000} {
			if float64(s) <= p.lengthMs {
				sizes = append(sizes, s)
			}
		}
		fractions = []float64{0.1, 0.25, 0.5}
	} else {
		sizes = []int{roundMs(p.lengthMs / 2), roundMs(p.lengthMs * 3 / 4), roundMs(p.lengthMs)}
	}
	sizes = sortedInts(sizes)
	in := InputSpace{Type: InputTimeSeries, Windows: windows(sizes, fractions, p.freq)}
	// FFT lengths up to the samples of the largest window.
	maxSamples := float64(sizes[len(sizes)-1]) * p.freq / 1000
	var ffts []any
	for n := 16; n <= 256; n *= 2 {
		if float64(n) <= max(16, maxSamples) {
			ffts = append(ffts, float64(n))
		}
	}
	nyquist := p.freq / 2
	spectral := DSPSpace{Type: dsp.TypeSpectral, Params: []Param{
		{"analysis-type", strs("FFT")},
		{"fft-length", ffts},
		{"filter-type", strs("none", "low")},
		{"filter-cutoff", floats(roundTo(nyquist/4), roundTo(nyquist/2))},
		{"do-log", []any{true, false}},
		{"do-fft-overlap", []any{true, false}},
	}}
	var wavelets []any
	for _, w := range []string{"haar", "db2", "db4", "sym4", "coif1"} {
		if slices.Contains(dsp.WaveletNames(), w) {
			wavelets = append(wavelets, w)
		}
	}
	wavelet := DSPSpace{Type: dsp.TypeSpectral, Params: []Param{
		{"analysis-type", strs("Wavelet")},
		{"wavelet-level", floats(1, 2, 3, 4)},
		{"wavelet", wavelets},
	}}
	// Flatten with and without its minimum and maximum: of every window's
	// extremes (a sensor's whole range, with its rails) beside the
	// skewness and kurtosis (a few units), the one int8 input scale leaves
	// the small statistics a handful of steps.
	flatten := DSPSpace{Type: dsp.TypeFlatten, Params: []Param{
		{"minimum", []any{true, false}},
		{"maximum", []any{true, false}},
	}}
	dense := LearnSpace{Arch: ArchDense, DenseLayers: denseLayers, Dropout: []float64{0, 0.1, 0.25},
		LearningRates: learningRates, Epochs: []int{30, 50, 100, 200}, BatchSizes: []int{16, 32, 64}}
	// Raw values scaled to about unit size.
	scale := math.Pow(10, -math.Round(math.Log10(max(p.rms, 1e-9))))
	raw := DSPSpace{Type: dsp.TypeRaw, Params: []Param{{"scale-axes", floats(sortedFloats([]float64{scale / 10, scale})...)}}}
	conv := LearnSpace{Arch: ArchConv1D, ConvLayers: []int{1, 2, 3}, ConvFilters: []int{8, 16, 32}, KernelSizes: []int{3, 5},
		Dropout: []float64{0, 0.1, 0.25}, DenseLayers: [][]int{{}, {32}}, LearningRates: learningRates[:4],
		Epochs: []int{30, 60, 100}, BatchSizes: []int{16, 32}}
	if p.turnable {
		// Networks that also train on copies of their windows turned up to
		// DefaultRotation (see Validation.Rotation).
		rot := []impulse.MotionAugmentation{{}, {Copies: 2, MaxDegrees: DefaultRotation}, {Copies: 4, MaxDegrees: DefaultRotation}}
		dense.Rotations, conv.Rotations = rot, rot
	}
	return &Space{Impulses: []ImpulseSpace{
		{Input: []InputSpace{in}, DSP: []DSPSpace{spectral, wavelet, flatten}, Learn: []LearnSpace{dense}},
		{Input: []InputSpace{in}, DSP: []DSPSpace{raw}, Learn: []LearnSpace{conv}},
	}}
}

// roundTo rounds a frequency to two significant digits.
func roundTo(f float64) float64 {
	if f <= 0 {
		return f
	}
	m := math.Pow(10, math.Floor(math.Log10(f))-1)
	return math.Round(f/m) * m
}

var yes = true

func audioSpace(p dataProfile) *Space {
	size := roundMs(p.lengthMs)
	if p.lengthMs > 1500 {
		size = 1000
	}
	in := InputSpace{Type: InputTimeSeries, Windows: windows([]int{size}, []float64{0.25, 0.5}, p.freq)}
	if !p.continuous && size == roundMs(p.lengthMs) {
		// One window per sample: the stride does not matter.
		in.Windows = in.Windows[len(in.Windows)-1:]
	}
	ffts := floats(256, 512)
	mfcc := DSPSpace{Type: dsp.TypeMFCC, Params: []Param{
		{"num_cepstral", floats(13, 20)},
		{"frame_length", floats(0.02, 0.025, 0.032)},
		{"frame_stride", floats(0.01, 0.02, 0.03)},
		{"num_filters", floats(32, 40)},
		{"fft_length", ffts},
		{"low_frequency", floats(0, 80, 300)},
	}}
	mfe := DSPSpace{Type: dsp.TypeMFE, Params: []Param{
		{"frame_length", floats(0.02, 0.025, 0.032)},
		{"frame_stride", floats(0.01, 0.02, 0.03)},
		{"num_filters", floats(32, 40, 64)},
		{"fft_length", ffts},
		{"low_frequency", floats(0, 80, 300)},
		{"noise_floor_db", floats(-72, -62, -52)},
	}}
	spectrogram := DSPSpace{Type: dsp.TypeSpectrogram, Params: []Param{
		{"frame_length", floats(0.02, 0.032)},
		{"frame_stride", floats(0.01, 0.02, 0.03)},
		{"fft_length", floats(128, 256)},
		{"noise_floor_db", floats(-72, -62, -52)},
	}}
	conv := LearnSpace{Arch: ArchConv1D, ConvLayers: []int{2, 3}, ConvFilters: []int{8, 16}, KernelSizes: []int{3, 5},
		Dropout: []float64{0.1, 0.25, 0.5}, DenseLayers: [][]int{{}, {32}}, LearningRates: learningRates[:4],
		Epochs: []int{50, 100, 150}, BatchSizes: []int{16, 32},
		// Spectrogram augmentation: none, light, strong.
		SpecAugment: []studio.AugmentationPolicySpectrogram{{},
			{Enabled: true, TimeMasking: "low", FreqMasking: "low"},
			{Enabled: true, Warping: &yes, TimeMasking: "high", FreqMasking: "high", GaussianNoise: "high"}}}
	return &Space{Impulses: []ImpulseSpace{
		{Input: []InputSpace{in}, DSP: []DSPSpace{mfcc, mfe, spectrogram}, Learn: []LearnSpace{conv}},
	}}
}

func imageSpace(p dataProfile) *Space {
	side := max(p.width, p.height)
	var dims [][2]int
	if side <= 24 {
		for _, f := range []int{1, 2, 3, 4} {
			dims = append(dims, [2]int{p.width * f, p.height * f})
		}
	} else {
		for _, s := range []int{32, 48, 64, 96} {
			if s <= max(side, 32) {
				dims = append(dims, [2]int{s, s})
			}
		}
	}
	in := InputSpace{Type: InputImage, Dimensions: dims, ResizeModes: []string{"squash"}}
	channels := strs("Grayscale")
	if p.color {
		channels = strs("Grayscale", "RGB")
	}
	img := DSPSpace{Type: dsp.TypeImage, Params: []Param{{"channels", channels}}}
	conv := LearnSpace{Arch: ArchConv2D, ConvLayers: []int{1, 2, 3}, ConvFilters: []int{8, 16, 32}, KernelSizes: []int{3},
		Dropout: []float64{0, 0.25}, DenseLayers: [][]int{{}, {32}, {64}}, LearningRates: learningRates[:4],
		Epochs: []int{20, 40, 60}, BatchSizes: []int{16, 32, 64}, ImageAugment: []string{"none", "all"}}
	learns := []LearnSpace{conv}
	if side <= 32 {
		learns = append(learns, LearnSpace{Arch: ArchDense, DenseLayers: [][]int{{32}, {64}, {128}, {64, 32}, {128, 64}},
			Dropout: []float64{0, 0.25}, LearningRates: learningRates[:4], Epochs: []int{30, 60, 100}, BatchSizes: []int{16, 32, 64}})
	}
	return &Space{Impulses: []ImpulseSpace{{Input: []InputSpace{in}, DSP: []DSPSpace{img}, Learn: learns}}}
}

// startSpace returns the alternative that holds exactly the settings of a
// starting definition: its window or image size, its processing block and
// parameters, its network and training settings.
func startSpace(ds *dataset.Dataset, start *impulse.Definition) (*ImpulseSpace, error) {
	im, err := impulse.Compile(start, ds)
	if err != nil {
		return nil, err
	}
	full := im.Definition()
	var keras *studio.LearnBlock
	for i, lb := range full.Impulse.LearnBlocks {
		if lb.Type == studio.LearnKeras {
			keras = &full.Impulse.LearnBlocks[i]
			break
		}
	}
	if keras == nil {
		return nil, fmt.Errorf("tune: the starting impulse has no neural network classifier (keras learn block) to tune")
	}
	if len(keras.DSP) != 1 {
		return nil, fmt.Errorf("tune: the starting impulse's classifier reads %d processing blocks; the tuner searches impulses with one", len(keras.DSP))
	}
	var b studio.DSPBlock
	for _, d := range full.Impulse.DSPBlocks {
		if d.ID == keras.DSP[0] {
			b = d
		}
	}
	ib := full.Impulse.InputBlocks[0]
	in := InputSpace{Type: ib.Type}
	if ib.Type == studio.InputImage {
		in.Dimensions = [][2]int{{ib.ImageWidth, ib.ImageHeight}}
		if ib.ResizeMode != "" {
			in.ResizeModes = []string{ib.ResizeMode}
		}
	} else {
		in.Windows = []Window{{SizeMs: ib.WindowSizeMs, IncreaseMs: ib.WindowIncreaseMs}}
	}
	d := DSPSpace{Type: b.Type, Version: b.ImplementationVersion}
	params := full.DSP[b.ID]
	for _, name := range sortedKeys(params) {
		v := params[name]
		if s, ok := v.(fmt.Stringer); ok { // json.Number
			v = s.String()
		}
		d.Params = append(d.Params, Param{Name: name, Values: []any{v}})
	}
	k := full.Learn[keras.ID].Keras
	l := LearnSpace{Arch: ArchLayers, VisualLayers: [][]learn.VisualLayer{k.VisualLayers},
		LearningRates: []float64{k.LearningRate}, Epochs: []int{k.TrainingCycles}, BatchSizes: []int{cmp.Or(k.BatchSize, 32)}}
	// The start's augmentations, as it has them.
	if m := k.AugmentationPolicyMotion; m != nil {
		l.Rotations = []impulse.MotionAugmentation{*m}
	}
	if a := k.AugmentationPolicySpectrogram; a != nil && a.Enabled {
		l.SpecAugment = []studio.AugmentationPolicySpectrogram{*a}
	}
	if k.AugmentationPolicyImage == "all" {
		l.ImageAugment = []string{"all"}
	}
	return &ImpulseSpace{Input: []InputSpace{in}, DSP: []DSPSpace{d}, Learn: []LearnSpace{l}}, nil
}
