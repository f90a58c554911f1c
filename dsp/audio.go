package dsp

import (
	"fmt"
	"math"

	"github.com/tinyimpulse/tinyimpulse/dsp/internal/fft"
)

// maxFrames is Edge Impulse's limit on the frame count of the audio blocks.
const maxFrames = 500

// snap converts a length in samples to an integer the way the audio blocks
// do from version 2 on: down when the fractional part is below 0.001 (so
// that 100·0.07 = 7.000000000000001 gives 7), otherwise up.
func snap(x float64) int {
	f := math.Floor(x)
	if d := x - f; d > 0 && d < 0.001 {
		return int(f)
	}
	return int(math.Ceil(x))
}

// framing is the frame layout of the audio blocks: F frames of L samples,
// S samples apart.
type framing struct {
	length, stride, count int
}

// audioFraming computes the frame layout for n samples at fs Hz (§0.2 of
// the spec). v1 rounds the frame length half to even and drops the last
// frame; later versions snap and keep it.
func audioFraming(block string, version, n int, fs, frameLength, frameStride float64) (framing, error) {
	if !(frameLength > 0) || frameLength*fs > maxSamples {
		return framing{}, &ConfigError{Block: block, Param: "frame_length", Value: frameLength, Reason: "must be a positive number of seconds no longer than the window"}
	}
	if !(frameStride > 0) || frameStride*fs > maxSamples {
		return framing{}, &ConfigError{Block: block, Param: "frame_stride", Value: frameStride, Reason: "must be a positive number of seconds"}
	}
	var f framing
	if version == 1 {
		f.length = int(math.RoundToEven(fs * frameLength))
	} else {
		f.length = snap(fs * frameLength)
	}
	f.stride = snap(fs * frameStride)
	if f.length < 1 {
		return framing{}, &ConfigError{Block: block, Param: "frame_length", Value: frameLength, Reason: "frame is shorter than one sample"}
	}
	if f.stride < 1 {
		return framing{}, &ConfigError{Block: block, Param: "frame_stride", Value: frameStride, Reason: "stride is shorter than one sample"}
	}
	if version == 1 {
		f.count = floorDiv(n-f.length, f.stride)
	} else {
		f.count = floorDiv(n-f.length+f.stride, f.stride)
	}
	if f.count < 1 {
		return framing{}, &ConfigError{Block: block, Param: "frame_length", Value: frameLength, Reason: "Frame length is larger than your window size"}
	}
	if f.count > maxFrames {
		return framing{}, &ConfigError{Block: block, Param: "frame_stride", Value: frameStride,
			Reason: fmt.Sprintf("Number of frames is larger than %d (%d), increase your frame stride or decrease your window size.", maxFrames, f.count)}
	}
	return f, nil
}

// floorDiv is Python's // on integers.
func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// checkFFTLength validates an FFT length parameter.
func checkFFTLength(block, param string, n int) error {
	if n < 1 || n&(n-1) != 0 {
		return &ConfigError{Block: block, Param: param, Value: n, Reason: "FFT length must be a power of 2"}
	}
	if n > fft.MaxLength {
		return &ConfigError{Block: block, Param: param, Value: n, Reason: fmt.Sprintf("FFT length must be at most %d", fft.MaxLength)}
	}
	return nil
}

// dbScale is the decibel scale of the spectrogram and MFE blocks from
// version 3 on: the power e in decibels, 10·log10(max(e, 1e-30)), mapped
// from the noise floor nf (0) to 12 dB (1), unclipped.
func dbScale(e, nf float64) float64 {
	d := 10 * math.Log10(math.Max(e, 1e-30))
	return (d - nf) / (12 - nf)
}

// dbScaler is the decibel scale of the spectrogram from version 3 on, as
// one multiply-add of the natural logarithm: (10·log10(max(e, 1e-30)) -
// nf)/(12 - nf) = ln(max(e, 1e-30))·a + b, with a = 10/(ln 10·(12 - nf))
// and b = -nf/(12 - nf). It differs from dbScale by a few units in the
// last place (Edge Impulse's float64 computation is matched to 1e-9
// relative; the reference vectors check it).
type dbScaler struct{ a, b float64 }

func newDBScaler(nf float64) dbScaler {
	return dbScaler{a: 10 / math.Ln10 / (12 - nf), b: -nf / (12 - nf)}
}

// scale returns ln(max(e, 1e-30))·a + b, the product rounded before the
// sum.
func (s dbScaler) scale(e float64) float64 {
	return float64(math.Log(max(e, 1e-30))*s.a) + s.b
}

// checkNoiseFloor refuses a noise floor at or above 12 dB, where dbScale
// divides by zero or turns the scale upside down.
func checkNoiseFloor(block string, nf int) error {
	if nf >= 12 {
		return &ConfigError{Block: block, Param: "noise_floor_db", Value: nf, Reason: "noise floor must be below 12 dB"}
	}
	return nil
}

// audioFront is what the spectrogram, MFE and MFCC blocks share: the
// validated input and framing, the FFT plan, the mel filterbank (MFE and
// MFCC) and the buffers of one window. Frames go through the FFT four at a
// time (fft.Batch) and each group of four is used up while its spectra are
// in cache.
type audioFront struct {
	in     Input
	fr     framing
	plan   *fft.Real
	batch  *fft.Batch
	h      int       // power spectrum bins per frame, fft_length/2+1
	bank   *melBank  // nil for the spectrogram
	x      []float64 // the pre-processed signal
	ps     []float64 // the power spectra of one group: frame l of bin k at 4k + l
	energy []float64 // filterbank energies, frames (rounded up to a multiple of 4) × filters
	totals []float64 // when not nil, each frame's total power (MFCC)
}

// audioParams are the settings newAudioFront validates and uses.
type audioParams struct {
	block, label             string // "mfcc" and "MFCC", as the messages name them
	version                  int
	frameLength, frameStride float64
	fftLength                int
	filters                  int // 0: no filterbank
	lowHz, highHz            int
	minFrameSamples          int // frame length and stride must cover this many samples (spectrogram: 4)
}

// newAudioFront validates the parameters the audio blocks share, in Edge
// Impulse's order (filter count, FFT length, one axis, non-empty input,
// framing, filterbank), and allocates the buffers.
func newAudioFront(p audioParams, in Input) (audioFront, error) {
	var a audioFront
	if p.filters != 0 || p.block != "spectrogram" {
		if p.filters < 2 {
			return a, &ConfigError{Block: p.block, Param: "num_filters", Value: p.filters, Reason: "Filter number should be at least 2"}
		}
		if p.filters > maxFilters {
			return a, &ConfigError{Block: p.block, Param: "num_filters", Value: p.filters, Reason: fmt.Sprintf("more than %d filters", maxFilters)}
		}
	}
	if err := checkFFTLength(p.block, "fft_length", p.fftLength); err != nil {
		return a, err
	}
	if in.Axes != 1 {
		one := p.label // "create one MFCC block", but "create one spectrogram block"
		if p.block == "spectrogram" {
			one = p.block
		}
		return a, &ConfigError{Block: p.block, Param: "axes", Value: in.Axes,
			Reason: fmt.Sprintf("%s blocks only support a single axis, create one %s block per axis under **Create impulse**", p.label, one)}
	}
	if err := checkTimeInput(p.block, in); err != nil {
		return a, err
	}
	if least := float64(p.minFrameSamples) / in.FrequencyHz; p.minFrameSamples > 0 {
		if p.frameLength < least {
			return a, &ConfigError{Block: p.block, Param: "frame_length", Value: p.frameLength, Reason: fmt.Sprintf("Frame length should be at least %d samples", p.minFrameSamples)}
		}
		if p.frameStride < least {
			return a, &ConfigError{Block: p.block, Param: "frame_stride", Value: p.frameStride, Reason: fmt.Sprintf("Frame stride should be at least %d samples", p.minFrameSamples)}
		}
	}
	fr, err := audioFraming(p.block, p.version, in.Samples, in.FrequencyHz, p.frameLength, p.frameStride)
	if err != nil {
		return a, err
	}
	if bins := p.fftLength/2 + 1; fr.count*bins > maxSamples {
		return a, &ConfigError{Block: p.block, Param: "fft_length", Value: p.fftLength,
			Reason: fmt.Sprintf("%d frames of %d power bins are more than %d values", fr.count, bins, maxSamples)}
	}
	a = audioFront{in: in, fr: fr, h: p.fftLength/2 + 1, x: make([]float64, in.Samples)}
	if p.filters > 0 {
		if a.bank, err = melFilterbank(p.block, p.filters, p.fftLength, in.FrequencyHz, p.lowHz, p.highHz, p.version <= 3); err != nil {
			return a, err
		}
		a.energy = make([]float64, (fr.count+3)/4*4*p.filters)
	}
	if a.plan, err = fft.NewReal(p.fftLength); err != nil {
		return a, &ConfigError{Block: p.block, Param: "fft_length", Value: p.fftLength, Reason: err.Error()}
	}
	a.batch = a.plan.NewBatch()
	a.ps = make([]float64, 4*a.h)
	return a, nil
}

// group computes the power spectra |DFT_n(frame)|²/n of frames g..g+3 of
// x into a.ps (frames longer than n truncated to their first n samples,
// shorter ones zero-padded); past the last frame, the last frame is
// repeated.
func (a *audioFront) group(x []float64, g int) {
	fr := a.fr
	var frames [4][]float64
	for l := range frames {
		start := min(g+l, fr.count-1) * fr.stride
		frames[l] = x[start : start+fr.length]
	}
	a.batch.PowerTo(a.ps, 4, &frames, 1/float64(a.plan.Len()))
}

// spectrum computes the mel energies of every frame of x into a.energy
// and, when a.totals is not nil, each frame's total power (numpy's
// pairwise sum over the bins) into a.totals.
func (a *audioFront) spectrum(x []float64) {
	m := a.bank.filters()
	for g := 0; g < a.fr.count; g += 4 {
		a.group(x, g)
		filterGroup(a.energy[g*m:], m, a.ps, a.bank)
		if a.totals != nil {
			t := pairwise4(a.ps, a.h)
			copy(a.totals[g:min(g+4, a.fr.count)], t[:])
		}
	}
}

// cost assembles the cost figures of the audio blocks.
func (a *audioFront) cost(block string, cepstra, features int) Cost {
	filters := 0
	if a.bank != nil {
		filters = a.bank.filters()
	}
	fr, n := a.fr, a.plan.Len()
	c := Cost{Block: block, Axes: 1, Samples: a.in.Samples, FFTLength: n,
		Frames: fr.count, FrameLength: fr.length, Filters: filters, Cepstra: cepstra, Features: features}
	m, cc := filters, max(cepstra, 1)
	l, f := float64(fr.length), float64(fr.count)
	per := 96*l + 45*float64(n)*log2(n)
	bins := n/2 + 1
	c.RAM = 4*(fr.length+bins+2*n) + 1024
	c.ROM = 12 * 1024
	switch block {
	case TypeSpectrogram:
		c.RAM += 4 * fr.count * bins
	case TypeMFE:
		per += 30*float64(m*bins) + 400*float64(m)
		c.RAM += 4*fr.count*m + 4*fr.count + 4*(m+2)
		c.ROM += 4 * 1024
	case TypeMFCC:
		per += 30*float64(m*bins) + 400*float64(m) + 40*float64(m*cc)
		c.RAM += 4*fr.count*m + 4*fr.count + 4*fr.count*cc + 4*(m+2)
		c.ROM += 4 * 1024
	}
	c.Cycles = f * per
	if block == TypeMFCC {
		c.Cycles += 30 * f * float64(cc)
	}
	return c
}

// melBank is a triangular mel filterbank stored sparsely: filter i has
// weights w[off[i]:off[i+1]] for FFT bins lo[i], lo[i]+1, ... (only the
// non-zero ones; each bin feeds at most two filters).
type melBank struct {
	lo, off []int
	w       []float64
}

// filters returns the number of filters.
func (b *melBank) filters() int { return len(b.lo) }

// melFilterbank builds Edge Impulse's (speechpy's) triangular mel
// filterbank of m filters over the n/2+1 bins of an n-point FFT at fs Hz
// between lowHz and highHz (0 means fs/2). oldMels selects the bin mapping
// of versions 1 to 3, which squeezes the bank into the lower half of the
// spectrum (§0.3 of the spec).
func melFilterbank(block string, m, n int, fs float64, lowHz, highHz int, oldMels bool) (*melBank, error) {
	fLo := float64(lowHz)
	fHi := float64(highHz)
	if highHz == 0 {
		fHi = fs / 2
	}
	if fHi > fs/2 {
		return nil, &ConfigError{Block: block, Param: "high_frequency", Value: highHz, Reason: "High frequency cannot be greater than half of the sampling frequency!"}
	}
	if fLo < 0 {
		return nil, &ConfigError{Block: block, Param: "low_frequency", Value: lowHz, Reason: "low frequency must not be negative"}
	}
	if fLo > fHi {
		return nil, &ConfigError{Block: block, Param: "low_frequency", Value: lowHz, Reason: fmt.Sprintf("low frequency is above the high frequency (%v Hz)", fHi)}
	}
	mel := func(f float64) float64 { return 1127 * math.Log(1+f/700) }
	hz := func(v float64) float64 { return 700 * (math.Exp(v/1127) - 1) }
	mLo, mHi := mel(fLo), mel(fHi)
	step := (mHi - mLo) / float64(m+1)
	pts := float64(n)
	if oldMels {
		pts = float64(n/2 + 1)
	}
	edges := make([]int, m+2)
	for j := range edges {
		v := float64(j)*step + mLo
		if j == m+1 {
			v = mHi
		}
		h := hz(v)
		if j == m+1 {
			h -= 0.001
		}
		edges[j] = int(math.Floor((pts + 1) * h / fs))
	}
	bank := &melBank{lo: make([]int, m), off: make([]int, m+1)}
	for i := range m {
		l, c, r := edges[i], edges[i+1], edges[i+2]
		if l == c && c == r {
			return nil, &ConfigError{Block: block, Param: "num_filters", Value: m,
				Reason: fmt.Sprintf("At least one row of the mel filterbank contains all zeros. Suggest lowering filter number to %s, or increasing the FFT length.", pyFloat(math.Floor(float64(n/2+1)/4)))}
		}
		// Only bins strictly inside the triangle, and its peak, have
		// non-zero weights.
		lo, hi := l+1, r-1
		if c == l {
			lo = c
		}
		if c == r {
			hi = c
		}
		bank.lo[i] = lo
		for k := lo; k <= hi; k++ {
			x := float64(k)
			var w float64
			switch {
			case c <= k && k < r:
				w = (float64(r) - x) / float64(r-c)
			case l < k && k <= c:
				w = (x - float64(l)) / float64(c-l)
			}
			bank.w = append(bank.w, w)
		}
		bank.off[i+1] = len(bank.w)
	}
	return bank, nil
}

// cmvnw is speechpy's sliding-window cepstral mean (and optionally
// variance) normalisation over rows of x (rows × cols), with symmetric
// padding of (win-1)/2 rows at each end, repeated periodically when the
// padding is longer than the data (§0.4 of the spec). The mean-subtracted
// values are rounded to float32, as the reference stores them, and so is
// the result.
//
// Window sums come from prefix sums over one period of the padded sequence
// (the rows, then the rows reversed), so the cost does not grow with win:
// the window [i-p, i+p] of row i covers whole periods plus a remainder.
// That is accurate to a few units in the last place, except where all the
// values in a window are equal: there the reference's sequential sums
// leave an exact residue (often zero) that the normalisation then divides
// by a near-zero spread, so those windows (digital silence, win_size 1, a
// single frame) are computed exactly as the reference does. That costs
// win additions, so its result is kept per column: in a column of equal
// values (digital silence) every row repeats it.
type cmvnw struct {
	rows, cols, win int
	prefix          []float64 // (2·rows+1) × cols prefix sums of one period
	prefix2         []float64 // the same for squares (variance pass)
	ext             []float64 // one period of the symmetric extension
	run             []int32   // per extension row and column: length of the run of equal values from there
	y               []float32
	spans           []span    // per row: the window as periods and prefix rows
	constV, constR  []float64 // per column: the last value of an all-equal window and its statistic
}

// span expresses the window of one row as q·period + P[b] - P[a], starting
// at extension row a.
type span struct {
	q    float64
	a, b int
}

// maxWinSize bounds win_size: a window of equal values is summed one row
// at a time, as the reference sums it.
const maxWinSize = 1<<16 - 1

// newCMVNW validates the normalisation window win, which speechpy asserts
// is odd, and prepares the normalisation of rows × cols values.
func newCMVNW(block string, rows, cols, win int) (*cmvnw, error) {
	switch {
	case win%2 == 0:
		return nil, &ConfigError{Block: block, Param: "win_size", Value: win, Reason: "Windows size must be odd!"}
	case win < 1:
		return nil, &ConfigError{Block: block, Param: "win_size", Value: win, Reason: "window size must be positive"}
	case win > maxWinSize:
		return nil, &ConfigError{Block: block, Param: "win_size", Value: win, Reason: fmt.Sprintf("window size must be at most %d frames", maxWinSize)}
	}
	c := &cmvnw{rows: rows, cols: cols, win: win,
		prefix:  make([]float64, (2*rows+1)*cols),
		prefix2: make([]float64, (2*rows+1)*cols),
		ext:     make([]float64, 2*rows*cols),
		run:     make([]int32, 2*rows*cols),
		y:       make([]float32, rows*cols),
		spans:   make([]span, rows),
		constV:  make([]float64, cols),
		constR:  make([]float64, cols)}
	period := 2 * rows
	p := (win - 1) / 2
	for i := range rows {
		lo, hi := i-p, i+p+1 // window [lo, hi) of the extension
		qlo, qhi := floorDiv(lo, period), floorDiv(hi, period)
		c.spans[i] = span{q: float64(qhi - qlo), a: lo - qlo*period, b: hi - qhi*period}
	}
	return c, nil
}

// extend fills c.ext with one period of the symmetric extension of v
// (rows × cols): the rows, then the rows reversed.
func (c *cmvnw) extend(v []float64) {
	t, cols := c.rows, c.cols
	copy(c.ext, v[:t*cols])
	for u := t; u < 2*t; u++ {
		copy(c.ext[u*cols:(u+1)*cols], v[(2*t-1-u)*cols:(2*t-u)*cols])
	}
}

// prefixSums fills dst with the prefix sums (and dst2, if not nil, those of
// the squares) of the extension in c.ext, and c.run with the lengths of the
// runs of equal values (capped at the window length).
func (c *cmvnw) prefixSums(dst, dst2 []float64) {
	t, cols := c.rows, c.cols
	ext := c.ext
	clear(dst[:cols])
	for u := range 2 * t {
		prev, cur := dst[u*cols:(u+1)*cols], dst[(u+1)*cols:(u+2)*cols]
		e := ext[u*cols : (u+1)*cols]
		for j, x := range e {
			cur[j] = prev[j] + x
		}
	}
	if dst2 != nil {
		clear(dst2[:cols])
		for u := range 2 * t {
			prev, cur := dst2[u*cols:(u+1)*cols], dst2[(u+1)*cols:(u+2)*cols]
			e := ext[u*cols : (u+1)*cols]
			for j, x := range e {
				cur[j] = prev[j] + x*x
			}
		}
	}
	// Runs of equal values, backwards over one period, then continued
	// from the end of the period into its start (the extension is
	// periodic); a column constant over the whole period is constant in
	// every window.
	period := 2 * t
	run := c.run[:period*cols]
	last := run[(period-1)*cols : period*cols]
	for j := range last {
		last[j] = 1
	}
	for u := period - 2; u >= 0; u-- {
		cur, next := run[u*cols:(u+1)*cols], run[(u+1)*cols:(u+2)*cols]
		e, en := ext[u*cols:(u+1)*cols], ext[(u+1)*cols:(u+2)*cols]
		for j := range cur {
			if e[j] == en[j] {
				cur[j] = next[j] + 1
			} else {
				cur[j] = 1
			}
		}
	}
	w := int32(c.win)
	for j := range cols {
		if run[j] == int32(period) {
			for u := range period {
				run[u*cols+j] = w
			}
			continue
		}
		if ext[(period-1)*cols+j] == ext[j] {
			head := run[j]
			for u := period - 1; u >= 0 && run[u*cols+j] == int32(period-u); u-- {
				run[u*cols+j] += head
			}
		}
	}
}

// windowSums stores in dst the sums over the window of row i of every
// column, from prefix sums p.
func (c *cmvnw) windowSums(dst, p []float64, i int) {
	cols := c.cols
	s := c.spans[i]
	total := p[2*c.rows*cols : (2*c.rows+1)*cols]
	pa := p[s.a*cols : (s.a+1)*cols]
	pb := p[s.b*cols : (s.b+1)*cols]
	dst = dst[:cols]
	total, pa, pb = total[:cols], pa[:cols], pb[:cols]
	for j := range dst {
		dst[j] = s.q*total[j] + pb[j] - pa[j]
	}
}

// constMean64 is numpy's mean over axis 0 of w rows all equal to v: the
// rows added one after another in float64, divided by w.
func constMean64(v float64, w int) float64 {
	var s float64
	for range w {
		s += v
	}
	return s / float64(w)
}

// constStd32 is numpy's float32 standard deviation over axis 0 of w rows
// all equal to v: mean and squared deviations summed row by row in
// float32.
func constStd32(v float32, w int) float32 {
	var s float32
	for range w {
		s += v
	}
	m := s / float32(w)
	d := v - m
	var s2 float32
	for range w {
		s2 += d * d
	}
	return float32(math.Sqrt(float64(s2 / float32(w))))
}

// forgetConst clears the per-column results of all-equal windows.
func (c *cmvnw) forgetConst() {
	for j := range c.constV {
		c.constV[j] = math.NaN()
	}
}

// apply normalises x and writes the float32 result, widened to float64, to
// dst (rows × cols).
func (c *cmvnw) apply(dst, x []float64, variance bool) {
	t, cols, w := c.rows, c.cols, c.win
	sums := c.prefix2[:cols] // free until the variance pass
	c.forgetConst()
	c.extend(x)
	c.prefixSums(c.prefix, nil)
	for i := range t {
		c.windowSums(sums, c.prefix, i)
		a := c.spans[i].a
		row := x[i*cols : (i+1)*cols]
		y := c.y[i*cols : (i+1)*cols]
		run := c.run[a*cols : (a+1)*cols]
		for j, v := range row {
			if int(run[j]) >= w {
				// Every value in the window equals the first one.
				if e := c.ext[a*cols+j]; e != c.constV[j] {
					c.constV[j], c.constR[j] = e, constMean64(e, w)
				}
				y[j] = float32(v - c.constR[j])
				continue
			}
			y[j] = float32(v - sums[j]/float64(w))
		}
	}
	if !variance {
		for i, v := range c.y {
			dst[i] = float64(v)
		}
		return
	}
	// Second pass over the float32 mean-subtracted values.
	c.forgetConst()
	yw := dst[:t*cols]
	for i, v := range c.y {
		yw[i] = float64(v)
	}
	c.extend(yw)
	c.prefixSums(c.prefix, c.prefix2)
	for i := range t {
		sp := c.spans[i]
		y := c.y[i*cols : (i+1)*cols]
		out := dst[i*cols : (i+1)*cols]
		run := c.run[sp.a*cols : (sp.a+1)*cols]
		total := c.prefix[2*t*cols : (2*t+1)*cols]
		total2 := c.prefix2[2*t*cols : (2*t+1)*cols]
		pa, pb := c.prefix[sp.a*cols:(sp.a+1)*cols], c.prefix[sp.b*cols:(sp.b+1)*cols]
		pa2, pb2 := c.prefix2[sp.a*cols:(sp.a+1)*cols], c.prefix2[sp.b*cols:(sp.b+1)*cols]
		for j, v := range y {
			var sd float32
			if int(run[j]) >= w {
				if e := c.ext[sp.a*cols+j]; e != c.constV[j] {
					c.constV[j], c.constR[j] = e, float64(constStd32(float32(e), w))
				}
				sd = float32(c.constR[j])
			} else {
				m := (sp.q*total[j] + pb[j] - pa[j]) / float64(w)
				m2 := (sp.q*total2[j] + pb2[j] - pa2[j]) / float64(w)
				sd = float32(math.Sqrt(math.Max(m2-m*m, 0)))
			}
			out[j] = float64(v / (sd + 1e-10))
		}
	}
}
