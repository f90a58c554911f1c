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

// powerFrames computes the power spectrum |DFT_n(frame)|²/n of every frame
// of x into dst (frames × (n/2+1), row-major). Frames longer than n are
// truncated to their first n samples, shorter ones zero-padded.
func powerFrames(dst []float64, plan *fft.Real, x []float64, fr framing) {
	n := plan.Len()
	h := n/2 + 1
	inv := 1 / float64(n)
	for i := range fr.count {
		start := i * fr.stride
		frame := x[start : start+fr.length]
		plan.PowerTo(dst[i*h:(i+1)*h], frame, inv)
	}
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

// applyFilterbank stores the filterbank energies of each power spectrum row
// (frames × h) in dst (frames × filters); exact zeros become 1e-10. The
// loop runs over frames inside each filter, so that the short dot products
// of neighbouring frames, which are independent, overlap in the processor.
func applyFilterbank(dst, power []float64, h, frames int, bank *melBank) {
	m := bank.filters()
	for j := range m {
		w := bank.w[bank.off[j]:bank.off[j+1]]
		lo := bank.lo[j]
		for i := range frames {
			seg := power[i*h+lo : i*h+lo+len(w)]
			var s float64
			for t, v := range w {
				s += seg[t] * v
			}
			if s == 0 {
				s = 1e-10
			}
			dst[i*m+j] = s
		}
	}
}

// cmvnw is speechpy's sliding-window cepstral mean (and optionally
// variance) normalisation over rows of x (rows × cols), with symmetric
// padding of (win-1)/2 rows at each end, repeated periodically when the
// padding is longer than the data (§0.4 of the spec). The mean-subtracted
// values are rounded to float32, as the reference stores them, and so is
// the result. Window sums come from prefix sums over one period of the
// padded sequence, so the cost does not grow with win.
type cmvnw struct {
	rows, cols, win int
	prefix          []float64 // (2·rows+1) × cols prefix sums of one period
	prefix2         []float64 // the same for squares (variance pass)
	y               []float32
}

func newCMVNW(rows, cols, win int) *cmvnw {
	return &cmvnw{rows: rows, cols: cols, win: win,
		prefix:  make([]float64, (2*rows+1)*cols),
		prefix2: make([]float64, (2*rows+1)*cols),
		y:       make([]float32, rows*cols)}
}

// buildPrefix fills the prefix sums of v and v² over the period
// v[0..T-1], v[T-1..0] of the symmetric extension.
func (c *cmvnw) buildPrefix(at func(r, j int) float64, squares bool) {
	t, cols := c.rows, c.cols
	p, p2 := c.prefix, c.prefix2
	for j := range cols {
		p[j] = 0
		p2[j] = 0
	}
	for u := range 2 * t {
		r := u
		if u >= t {
			r = 2*t - 1 - u
		}
		cur := p[(u+1)*cols : (u+2)*cols]
		prev := p[u*cols : (u+1)*cols]
		for j := range cols {
			cur[j] = prev[j] + at(r, j)
		}
		if squares {
			cur2 := p2[(u+1)*cols : (u+2)*cols]
			prev2 := p2[u*cols : (u+1)*cols]
			for j := range cols {
				v := at(r, j)
				cur2[j] = prev2[j] + v*v
			}
		}
	}
}

// windowSum returns Σ ext[a..b) for column j from prefix sums p of one
// period of length 2T.
func (c *cmvnw) windowSum(p []float64, a, b, j int) float64 {
	period := 2 * c.rows
	f := func(x int) float64 {
		q := floorDiv(x, period)
		r := x - q*period
		return float64(q)*p[period*c.cols+j] + p[r*c.cols+j]
	}
	return f(b) - f(a)
}

// apply normalises x in place semantics: it writes the float32 result,
// widened to float64, to dst (rows × cols).
func (c *cmvnw) apply(dst, x []float64, variance bool) {
	t, cols, w := c.rows, c.cols, c.win
	p := (w - 1) / 2
	c.buildPrefix(func(r, j int) float64 { return x[r*cols+j] }, false)
	for i := range t {
		for j := range cols {
			mu := c.windowSum(c.prefix, i-p, i+p+1, j) / float64(w)
			c.y[i*cols+j] = float32(x[i*cols+j] - mu)
		}
	}
	if !variance {
		for i, v := range c.y {
			dst[i] = float64(v)
		}
		return
	}
	c.buildPrefix(func(r, j int) float64 { return float64(c.y[r*cols+j]) }, true)
	for i := range t {
		for j := range cols {
			s := c.windowSum(c.prefix, i-p, i+p+1, j) / float64(w)
			s2 := c.windowSum(c.prefix2, i-p, i+p+1, j) / float64(w)
			sd := float32(math.Sqrt(math.Max(s2-s*s, 0)))
			dst[i*cols+j] = float64(c.y[i*cols+j] / (sd + 1e-10))
		}
	}
}
