package dsp

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"sync"
)

// wavelets.json holds PyWavelets' decomposition filters (dec_lo, dec_hi)
// for the 50 wavelets the spectral block offers: standard published
// coefficients, as listed in Edge Impulse's reference vectors.
//
//go:embed wavelets.json
var waveletJSON []byte

// waveletFilter is one wavelet's decomposition filter pair.
type waveletFilter struct {
	DecLo []float64 `json:"dec_lo"`
	DecHi []float64 `json:"dec_hi"`
}

// waveletFilters decodes the embedded table on first use.
var waveletFilters = sync.OnceValue(func() map[string]waveletFilter {
	var f struct {
		Wavelets map[string]waveletFilter `json:"wavelets"`
	}
	if err := json.Unmarshal(waveletJSON, &f); err != nil {
		panic("dsp: embedded wavelet table is corrupt: " + err.Error())
	}
	return f.Wavelets
})

// WaveletNames returns the names of the wavelets the spectral block
// accepts, sorted.
func WaveletNames() []string {
	return slices.Sorted(maps.Keys(waveletFilters()))
}

// wavelet is a multilevel discrete wavelet transform plan.
type wavelet struct {
	level      int
	lo64, hi64 []float64
	lo32, hi32 []float32
	lens       []int // lengths of the approximations at levels 0..level
}

// waveletStats is the number of statistics per coefficient array.
const waveletStats = 14

var waveletStatNames = [waveletStats]string{"entropy", "zcross", "mcross", "n5", "n25", "n75", "n95", "median", "mean", "std", "var", "rms", "skew", "kurtosis"}

// initWavelet prepares the wavelet features of versions 3 and 4.
func (b *Spectral) initWavelet() error {
	cfg := b.cfg
	f, ok := waveletFilters()[cfg.Wavelet]
	if !ok {
		return &ConfigError{Block: "spectral-analysis", Param: "wavelet", Value: cfg.Wavelet, Reason: "unknown wavelet"}
	}
	lev := cfg.WaveletLevel
	if lev < 0 {
		return &ConfigError{Block: "spectral-analysis", Param: "wavelet-level", Value: lev, Reason: "must not be negative"}
	}
	if lev > 24 || 32<<lev > b.nEff {
		return &ConfigError{Block: "spectral-analysis", Param: "wavelet-level", Value: lev,
			Reason: fmt.Sprintf("Wavelet decomposition level is too high, please increase window size to at least %d ms, or reduce level",
				int(math.Ceil(float64(int64(32)<<min(lev, 40))/b.fsEff*1000)))}
	}
	w := &wavelet{level: lev, lo64: f.DecLo, hi64: f.DecHi}
	for i := range f.DecLo {
		w.lo32 = append(w.lo32, float32(f.DecLo[i]))
		w.hi32 = append(w.hi32, float32(f.DecHi[i]))
	}
	w.lens = []int{b.nEff}
	for range lev {
		m := w.lens[len(w.lens)-1]
		w.lens = append(w.lens, (m+len(f.DecLo)-1)/2)
	}
	b.wave = w
	// Buffers: an approximation and a detail array per level.
	b.w32 = make([][]float32, 2*lev)
	b.w64 = make([][]float64, 2*lev)
	for l := 1; l <= lev; l++ {
		b.w32[2*(l-1)] = make([]float32, w.lens[l])
		b.w32[2*(l-1)+1] = make([]float32, w.lens[l])
		b.w64[2*(l-1)] = make([]float64, w.lens[l])
		b.w64[2*(l-1)+1] = make([]float64, w.lens[l])
	}
	need := 3 * b.nEff
	if len(b.s32) < need {
		b.s32 = make([]float32, need)
	}
	if len(b.s64) < need {
		b.s64 = make([]float64, need)
	}
	for i := 0; i <= lev; i++ {
		for _, s := range waveletStatNames {
			b.labels = append(b.labels, fmt.Sprintf("L%d-%s", i, s))
		}
	}
	b.nAxis = len(b.labels)
	return nil
}

// dwtStep computes one level of the discrete wavelet transform of a with
// half-sample symmetric extension (PyWavelets' "symmetric" mode):
// cA[o] = Σ_j lo[j]·ext(2o+1-j), cD likewise with hi.
func dwtStep[T float](cA, cD, a, lo, hi []T) {
	m := len(a)
	period := 2 * m
	f := len(lo)
	for o := range cA {
		var sa, sd T
		for j := range f {
			t := 2*o + 1 - j
			u := t % period
			if u < 0 {
				u += period
			}
			if u >= m {
				u = period - 1 - u
			}
			v := a[u]
			sa += lo[j] * v
			sd += hi[j] * v
		}
		cA[o] = sa
		cD[o] = sd
	}
}

// waveletFeatures appends the 14 statistics of each coefficient array
// [cA_L, cD_L, ..., cD_1] of x. bufs holds the per-level arrays and
// scratch at least 2·len(x) values.
func waveletFeatures[T float](dst []float64, w *wavelet, x []T, bufs [][]T, scratch []T) []float64 {
	var lo, hi []T
	switch any(x).(type) {
	case []float32:
		lo, hi = any(w.lo32).([]T), any(w.hi32).([]T)
	default:
		lo, hi = any(w.lo64).([]T), any(w.hi64).([]T)
	}
	a := x
	for l := 1; l <= w.level; l++ {
		cA, cD := bufs[2*(l-1)], bufs[2*(l-1)+1]
		dwtStep(cA, cD, a, lo, hi)
		a = cA
	}
	dst = coefStats(dst, a, scratch)
	for l := w.level; l >= 1; l-- {
		dst = coefStats(dst, bufs[2*(l-1)+1], scratch)
	}
	return dst
}

// coefStats appends entropy, zero and mean crossing rates, the 5th, 25th,
// 75th and 95th percentiles, median, mean, standard deviation, sample
// variance, RMS, skewness and kurtosis of c, in the precision of T. As in
// Edge Impulse's block, the entropy and crossings use c in order, and the
// other statistics its sorted copy (so float32 sums run in sorted order).
// scratch must hold at least 3·len(c) values.
func coefStats[T float](dst []float64, c, scratch []T) []float64 {
	m := len(c)
	dst = append(dst, histEntropy(c))
	mu := mean(c)
	var zc, mc int
	for t := 0; t+1 < m; t++ {
		if (c[t] > 0) != (c[t+1] > 0) {
			zc++
		}
		if (c[t] > mu) != (c[t+1] > mu) {
			mc++
		}
	}
	dst = append(dst, float64(zc)/float64(m), float64(mc)/float64(m))
	s, work := scratch[:m], scratch[m:3*m]
	copy(s, c)
	slices.Sort(s)
	for _, q := range [...]float64{5, 25, 75, 95, 50} {
		dst = append(dst, float64(s[int(float64(m-1)*q/100+0.5)]))
	}
	mu = mean(s)
	d := work[:m]
	for i, v := range s {
		e := v - mu
		d[i] = e * e
	}
	ss := pairwiseSum(d)
	std := T(math.Sqrt(float64(T(float64(ss) / float64(m)))))
	variance := T(float64(ss) / float64(m-1))
	r := rms(s, work)
	dst = append(dst, float64(mu), float64(std), float64(variance), float64(r))
	if r == 0 {
		return append(dst, 0, 0)
	}
	skew, kurt := centralMoments(s, work)
	return append(dst, skew, kurt)
}

// histEntropy is the Shannon entropy (natural log) of the histogram of c
// in 100 equal bins over [min, max], binned as numpy.histogram does in the
// precision of T (the last bin closed).
func histEntropy[T float](c []T) float64 {
	const bins = 100
	first, last := c[0], c[0]
	for _, v := range c {
		first = min(first, v)
		last = max(last, v)
	}
	if first == last {
		return 0 // every value in one bin
	}
	var edges [bins + 1]T
	step := (float64(last) - float64(first)) / bins
	for k := range edges {
		edges[k] = T(float64(k)*step + float64(first))
	}
	edges[bins] = last
	denom := last - first
	var counts [bins]int
	for _, v := range c {
		i := int(((v - first) / denom) * bins)
		if i >= bins {
			i = bins - 1
		}
		if v < edges[i] {
			i--
		}
		if i != bins-1 && v >= edges[i+1] {
			i++
		}
		counts[i]++
	}
	var h float64
	n := float64(len(c))
	for _, k := range counts {
		if k > 0 {
			p := float64(k) / n
			h -= p * math.Log(p)
		}
	}
	return h
}
