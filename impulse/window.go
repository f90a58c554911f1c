package impulse

import (
	"fmt"
	"math"
	"slices"

	"github.com/tinyimpulse/tinyimpulse/dataset"
	"github.com/tinyimpulse/tinyimpulse/dsp"
	"github.com/tinyimpulse/tinyimpulse/studio"
)

// WindowMode selects the stride windows are cut with.
type WindowMode int

const (
	// TrainingWindows uses the input block's windowIncreaseMs, as feature
	// generation for training does.
	TrainingWindows WindowMode = iota
	// ClassificationWindows uses classificationWindowIncreaseMs, as live
	// classification and model testing do.
	ClassificationWindows
)

// Window is one window of a sample: the slice of a time series, or a whole
// image, that one feature vector describes.
type Window struct {
	// SampleID is the ID of the sample the window comes from.
	SampleID int
	// StartMs and EndMs delimit the window in the sample (0 and 0 for an
	// image): StartMs = round(k·stride·1000/frequencyHz) for window k, EndMs =
	// StartMs + windowSizeMs.
	StartMs, EndMs int
	// Label is the window's label (see LabelingMethod), "" when the sample
	// is unlabelled.
	Label string

	start int // first value on the impulse's sampling grid
}

// Processor cuts samples into windows and turns windows into features with
// the impulse's DSP blocks. It holds the blocks and scratch buffers, so it is
// not safe for concurrent use: make one per goroutine with NewProcessor.
type Processor struct {
	im     *Impulse
	in     *studio.InputBlock
	n      int // values per axis of a window (time series)
	blocks map[int]*procBlock
	order  []*procBlock // in impulse order

	// The prepared sample: values on the impulse's grid (time series) or
	// resized pixels (image).
	cur       *dataset.Sample
	grid      []float64 // the sample's values, or rbuf
	rbuf      []float64
	sbuf      []float64 // the values of a compactly held sample (dataset.Sample.Series)
	gridLen   int
	resampled bool
	pixels    []float64
	win       []float64
}

type procBlock struct {
	id     int
	shape  *dspShape
	blk    dsp.Block
	axes   []int // indices of the block's axes in the prepared sample's sensors
	inAxes []int // indices of the block's axes in the input block's axes
}

// NewProcessor returns a Processor for the impulse.
func (im *Impulse) NewProcessor() (*Processor, error) {
	p := &Processor{im: im, in: &im.def.Impulse.InputBlocks[0], blocks: map[int]*procBlock{}}
	if p.in.Type == studio.InputTimeSeries {
		p.n = windowSamples(p.in)
	}
	for _, b := range im.def.Impulse.DSPBlocks {
		s := im.shapes[b.ID]
		blk, err := dsp.New(b.Type, b.ImplementationVersion, im.def.DSP[b.ID], s.in)
		if err != nil {
			return nil, fmt.Errorf("impulse: DSP block %d: %w", b.ID, err)
		}
		pb := &procBlock{id: b.ID, shape: s, blk: blk, axes: make([]int, len(b.Axes)), inAxes: make([]int, len(b.Axes))}
		for i, a := range b.Axes {
			pb.inAxes[i] = slices.Index(p.in.Axes, a)
		}
		p.blocks[b.ID] = pb
		p.order = append(p.order, pb)
	}
	return p, nil
}

// check returns an error for a sample the input block cannot cut: one of
// the other kind, an empty image, or a time series without values, whose
// interval is not a positive number, or which resampling would make longer
// than both its own values and the largest window (maxWindowValues).
// Dataset files never give such samples; samples built by hand may.
func (p *Processor) check(s *dataset.Sample) error {
	if p.in.Type == studio.InputImage {
		if s.Image == nil {
			return fmt.Errorf("impulse: sample %s is not an image", s.Path)
		}
		if s.Image.Bounds().Empty() {
			return fmt.Errorf("impulse: sample %s: the image is empty", s.Path)
		}
		return nil
	}
	if s.Image != nil || s.Len() == 0 {
		return fmt.Errorf("impulse: sample %s is not a time series", s.Path)
	}
	fs := s.FrequencyHz()
	if !(fs > 0) || math.IsInf(fs, 0) {
		return fmt.Errorf("impulse: sample %s: interval of %v ms, want a positive number", s.Path, s.IntervalMs)
	}
	if n := float64(s.Len()) * p.in.FrequencyHz / fs * float64(len(s.Sensors)); n > float64(max(s.NumValues(), maxWindowValues)) {
		return fmt.Errorf("impulse: sample %s: resampled from %v Hz to %v Hz it would hold %.4g values", s.Path, fs, p.in.FrequencyHz, n)
	}
	return nil
}

// gridLength returns the number of values of s on the impulse's sampling
// grid: s.Len() at the impulse's frequency, else round(Len·f/fs).
func (p *Processor) gridLength(s *dataset.Sample) int {
	fs := s.FrequencyHz()
	if sameFrequency(fs, p.in.FrequencyHz) {
		return s.Len()
	}
	return max(1, round(float64(s.Len())*p.in.FrequencyHz/fs))
}

// sourceIndex maps a grid index to the nearest value index of s.
func (p *Processor) sourceIndex(s *dataset.Sample, j int) int {
	fs := s.FrequencyHz()
	if sameFrequency(fs, p.in.FrequencyHz) {
		return j
	}
	return min(s.Len()-1, round(float64(j)*fs/p.in.FrequencyHz))
}

// Windows appends the windows of s to dst and returns the extended slice,
// following impulse-model.md §2.1.1: on the impulse's sampling grid (s is
// resampled when its frequency differs), with n = round(windowSizeMs·f/1000)
// values per window and a stride of round(increase·f/1000) values (at least
// one), windows start at k·stride for k = 0 … ⌊(N−n)/stride⌋ when the N
// values fill at least one window; a shorter sample gives one zero-padded
// window when padZeros is set and none otherwise. An image gives one window.
func (p *Processor) Windows(dst []Window, s *dataset.Sample, mode WindowMode) ([]Window, error) {
	if err := p.check(s); err != nil {
		return dst, err
	}
	if p.in.Type == studio.InputImage {
		return append(dst, Window{SampleID: s.ID, Label: s.Label}), nil
	}
	inc := p.in.WindowIncreaseMs
	if mode == ClassificationWindows {
		inc = p.in.ClassificationWindowIncreaseMs
	}
	f := p.in.FrequencyHz
	stride := strideSamples(inc, f)
	m := p.gridLength(s)
	count := 0
	switch {
	case m >= p.n:
		count = (m-p.n)/stride + 1
	case p.in.PadZeros == nil || *p.in.PadZeros:
		count = 1
	}
	for k := range count {
		start := k * stride
		w := Window{SampleID: s.ID, StartMs: round(float64(start) * 1000 / f), start: start}
		w.EndMs = w.StartMs + p.in.WindowSizeMs
		w.Label = p.windowLabel(s, start, min(start+p.n, m)-1)
		dst = append(dst, w)
	}
	return dst, nil
}

// windowLabel returns the label of the window covering grid values
// first…last of s (impulse-model.md §2.1.1).
func (p *Processor) windowLabel(s *dataset.Sample, first, last int) string {
	if len(s.Labels) == 0 {
		return s.Label
	}
	end := s.LabelAt(p.sourceIndex(s, last))
	method := studio.LabelEndOfWindow
	var targets []string
	minCount := 1
	if lm := p.in.LabelingMethodMultiLabel; lm != nil {
		method, targets = lm.Type, lm.Labels
		if lm.MinPercentage != nil {
			minCount = max(1, int(math.Ceil(*lm.MinPercentage/100*float64(p.n)-1e-9)))
		}
	}
	if method == studio.LabelEndOfWindow {
		return end
	}
	// Count the labels of the window in order of first appearance.
	var labels []string
	var counts []int
	for j := first; j <= last; j++ {
		l := s.LabelAt(p.sourceIndex(s, j))
		i := 0
		for i < len(labels) && labels[i] != l {
			i++
		}
		if i == len(labels) {
			labels, counts = append(labels, l), append(counts, 0)
		}
		counts[i]++
	}
	best := -1
	for i, l := range labels {
		if method != studio.LabelMajorityInWindow {
			if !slices.Contains(targets, l) || (method == studio.LabelAnywhereInWindowMinPercentage && counts[i] < minCount) {
				continue
			}
		}
		if best < 0 || counts[i] > counts[best] {
			best = i
		}
	}
	if best < 0 {
		return end
	}
	return labels[best]
}

// prepare puts s on the impulse's grid (resampling by linear interpolation
// when its frequency differs) or resizes its image, and maps the DSP
// blocks' axes to its sensors.
func (p *Processor) prepare(s *dataset.Sample) error {
	if p.cur == s {
		return nil
	}
	p.cur = nil
	if err := p.check(s); err != nil {
		return err
	}
	if p.in.Type == studio.InputImage {
		p.pixels = resizeImage(p.pixels[:0], s.Image, p.in.ImageWidth, p.in.ImageHeight, p.in.ResizeMode, p.in.ResizeMethod, p.in.CropAnchor)
		p.cur = s
		return nil
	}
	for _, b := range p.order {
		for i, a := range b.shape.block.Axes {
			b.axes[i] = s.Axis(a)
			if b.axes[i] < 0 {
				return fmt.Errorf("impulse: sample %s has no axis %q (DSP block %d)", s.Path, a, b.id)
			}
		}
	}
	k := len(s.Sensors)
	p.gridLen = p.gridLength(s)
	p.resampled = !sameFrequency(s.FrequencyHz(), p.in.FrequencyHz)
	values := s.Series(p.sbuf)
	if s.Values == nil {
		p.sbuf = values // keep the buffer for the next compact sample
	}
	if !p.resampled {
		p.grid = values
	} else {
		p.rbuf = resample(p.rbuf[:0], values, k, s.Len(), p.gridLen, s.FrequencyHz()/p.in.FrequencyHz)
		p.grid = p.rbuf
	}
	p.cur = s
	return nil
}

// resample appends m values per axis of x (n values of k interleaved axes)
// read at positions j·step, j = 0 … m−1, by linear interpolation; positions
// past the last value repeat it.
func resample(dst, x []float64, k, n, m int, step float64) []float64 {
	if cap(dst) < m*k {
		dst = make([]float64, 0, m*k)
	}
	for j := range m {
		t := float64(j) * step
		i := int(t)
		if i >= n-1 {
			dst = append(dst, x[(n-1)*k:n*k]...)
			continue
		}
		frac := t - float64(i)
		a, b := x[i*k:(i+1)*k], x[(i+1)*k:(i+2)*k]
		for c := range k {
			dst = append(dst, a[c]+(b[c]-a[c])*frac)
		}
	}
	return dst
}

// Resampled reports whether the sample last given to AppendFeatures was
// resampled to the impulse's frequency.
func (p *Processor) Resampled() bool { return p.cur != nil && p.resampled }

// window fills the block's input for window w from the prepared sample.
func (p *Processor) window(b *procBlock, w Window) []float64 {
	if p.in.Type == studio.InputImage {
		return p.pixels
	}
	na := len(b.axes)
	need := p.n * na
	if cap(p.win) < need {
		p.win = make([]float64, need)
	}
	win := p.win[:need]
	k := len(p.cur.Sensors)
	valid := max(0, min(p.n, p.gridLen-w.start))
	src := p.grid[w.start*k : (w.start+valid)*k]
	switch {
	case sequence(b.axes, k):
		copy(win, src)
	case na == 1:
		c := b.axes[0]
		for t := range valid {
			win[t] = src[t*k+c]
		}
	default:
		for t := range valid {
			row := src[t*k : t*k+k]
			for a, c := range b.axes {
				win[t*na+a] = row[c]
			}
		}
	}
	clear(win[valid*na:])
	return win
}

// AppendFeatures appends the features of DSP block dspID for window w of s
// (a window Windows returned for s) and returns the extended slice.
func (p *Processor) AppendFeatures(dst []float64, s *dataset.Sample, w Window, dspID int) ([]float64, error) {
	b := p.blocks[dspID]
	if b == nil {
		return dst, fmt.Errorf("impulse: no DSP block with id %d", dspID)
	}
	if w.SampleID != s.ID {
		return dst, fmt.Errorf("impulse: sample %s (id %d): the window is one of sample %d", s.Path, s.ID, w.SampleID)
	}
	if err := p.prepare(s); err != nil {
		return dst, err
	}
	if p.in.Type == studio.InputTimeSeries && (w.start < 0 || w.start >= max(p.gridLen, 1)) {
		return dst, fmt.Errorf("impulse: sample %s: a window at %d ms starts after the sample's %d values", s.Path, w.StartMs, p.gridLen)
	}
	out, err := b.blk.AppendFeatures(dst, p.window(b, w))
	if err != nil {
		return dst, fmt.Errorf("impulse: sample %s, window %d–%d ms: DSP block %d (%s): %w", s.Path, w.StartMs, w.EndMs, dspID, b.shape.block.Type, err)
	}
	return out, nil
}

// AppendWindow appends the raw values of window w of s (a window Windows
// returned for s), laid out as Classifier.Classify and a device take them:
// for a time-series impulse, the window's values of the input block's axes
// on the impulse's sampling grid, interleaved by value (zeros past the end
// of the sample, as feature generation pads them); for an image impulse,
// the resized image's packed 0xRRGGBB pixels. Classify on these values
// gives what ClassifyWindow gives for w.
func (p *Processor) AppendWindow(dst []float64, s *dataset.Sample, w Window) ([]float64, error) {
	if w.SampleID != s.ID {
		return dst, fmt.Errorf("impulse: sample %s (id %d): the window is one of sample %d", s.Path, s.ID, w.SampleID)
	}
	if err := p.prepare(s); err != nil {
		return dst, err
	}
	if p.in.Type == studio.InputImage {
		return append(dst, p.pixels...), nil
	}
	if w.start < 0 || w.start >= max(p.gridLen, 1) {
		return dst, fmt.Errorf("impulse: sample %s: a window at %d ms starts after the sample's %d values", s.Path, w.StartMs, p.gridLen)
	}
	k := len(s.Sensors)
	idx := make([]int, len(p.in.Axes))
	for i, a := range p.in.Axes {
		if idx[i] = s.Axis(a); idx[i] < 0 {
			return dst, fmt.Errorf("impulse: sample %s has no axis %q (the input block's)", s.Path, a)
		}
	}
	valid := max(0, min(p.n, p.gridLen-w.start))
	for t := range p.n {
		for _, c := range idx {
			v := 0.0
			if t < valid {
				v = p.grid[(w.start+t)*k+c]
			}
			dst = append(dst, v)
		}
	}
	return dst, nil
}

// AppendLearnFeatures appends the features a learn block reads for window w
// of s: the features of its DSP blocks, concatenated in its order.
func (p *Processor) AppendLearnFeatures(dst []float64, s *dataset.Sample, w Window, learnID int) ([]float64, error) {
	lb, err := p.im.learnBlock(learnID)
	if err != nil {
		return dst, err
	}
	n0 := len(dst)
	for _, id := range lb.DSP {
		if dst, err = p.AppendFeatures(dst, s, w, id); err != nil {
			return dst[:n0], err
		}
	}
	return dst, nil
}

// bufferLen returns the values of one raw window: samples per axis times
// the input block's axes, or the pixels of the resized image.
func (p *Processor) bufferLen() int {
	if p.in.Type == studio.InputImage {
		return p.in.ImageWidth * p.in.ImageHeight
	}
	return p.n * len(p.in.Axes)
}

// appendBufferFeatures appends the features of DSP block dspID for one raw
// window (see Classifier.WindowLen), whose length the caller checked.
func (p *Processor) appendBufferFeatures(dst, values []float64, dspID int) ([]float64, error) {
	b := p.blocks[dspID]
	if b == nil {
		return dst, fmt.Errorf("impulse: no DSP block with id %d", dspID)
	}
	win := values
	if p.in.Type == studio.InputTimeSeries && !sequence(b.inAxes, len(p.in.Axes)) {
		na, k := len(b.inAxes), len(p.in.Axes)
		if cap(p.win) < p.n*na {
			p.win = make([]float64, p.n*na)
		}
		win = p.win[:p.n*na]
		for t := range p.n {
			for a, c := range b.inAxes {
				win[t*na+a] = values[t*k+c]
			}
		}
	}
	out, err := b.blk.AppendFeatures(dst, win)
	if err != nil {
		return dst, fmt.Errorf("impulse: DSP block %d (%s): %w", dspID, b.shape.block.Type, err)
	}
	return out, nil
}

// sequence reports whether idx is 0, 1, …, k−1.
func sequence(idx []int, k int) bool {
	if len(idx) != k {
		return false
	}
	for i, c := range idx {
		if c != i {
			return false
		}
	}
	return true
}
