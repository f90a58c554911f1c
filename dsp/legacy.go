package dsp

import (
	"cmp"
	"fmt"
	"math"
	"math/cmplx"
	"slices"
)

// peakCand is a candidate spectral peak of the version 1 features.
type peakCand struct {
	freq, height float64
}

// initLegacy prepares the version 1 features.
func (b *Spectral) initLegacy() error {
	cfg := b.cfg
	if cfg.SpectralPeaksCount < 0 || cfg.SpectralPeaksCount > maxFilters {
		return &ConfigError{Block: "spectral-analysis", Param: "spectral-peaks-count", Value: cfg.SpectralPeaksCount, Reason: "must be between 0 and 4096"}
	}
	edges, err := parseEdges(cfg.SpectralPowerEdges)
	if err != nil {
		return &ConfigError{Block: "spectral-analysis", Param: "spectral-power-edges", Value: cfg.SpectralPowerEdges, Reason: err.Error()}
	}
	b.edges = edges
	b.labels = append(b.labels, "RMS")
	for i := 1; i <= cfg.SpectralPeaksCount; i++ {
		b.labels = append(b.labels, fmt.Sprintf("Peak %d Freq", i), fmt.Sprintf("Peak %d Height", i))
	}
	for j := 0; j+1 < len(edges); j++ {
		b.labels = append(b.labels, "Spectral Power "+pyFloat(edges[j])+" - "+pyFloat(edges[j+1])+" Hz")
	}
	b.nAxis = len(b.labels)
	n := cfg.FFTLength
	b.coef = make([]complex128, n/2+1)
	b.seg = make([]float64, max(b.in.Samples, n))
	b.pow = make([]float64, n/2+1)
	b.pmax = make([]float64, n/2+1)
	b.peak = make([]peakCand, 0, n/2)
	b.ord = make([]int, 0, n/2)
	return nil
}

// legacyFeatures appends version 1's RMS, peaks and band powers of x.
func (b *Spectral) legacyFeatures(dst []float64, x []float32) []float64 {
	cfg := b.cfg
	n := cfg.FFTLength
	fs := b.fsEff
	dst = append(dst, float64(rms(x, b.s32)))

	// Peaks of the single-sided amplitude spectrum (2/n)|X[k]|, k < n/2,
	// on Edge Impulse's frequency axis linspace(0, fs/2, n/2).
	seg := b.seg[:len(x)]
	for i, v := range x {
		seg[i] = float64(v)
	}
	b.plan.Coefficients(b.coef, seg)
	half := n / 2
	amp := b.pow[:half]
	for k := range amp {
		amp[k] = float64(float32(2 / float64(n) * cmplx.Abs(b.coef[k])))
	}
	step := 0.0
	if half > 1 {
		step = (fs / 2) / float64(half-1)
	}
	b.peak = b.peak[:0]
	b.ord = peakIndexes(b.ord[:0], amp, b.pmax[:max(half-1, 0)])
	for _, k := range b.ord {
		if amp[k] >= cfg.SpectralPeaksThresh {
			b.peak = append(b.peak, peakCand{freq: float64(k) * step, height: amp[k]})
		}
	}
	slices.SortStableFunc(b.peak, func(p, q peakCand) int { return cmp.Compare(q.height, p.height) })
	for i := range cfg.SpectralPeaksCount {
		if i < len(b.peak) {
			dst = append(dst, b.peak[i].freq, b.peak[i].height)
		} else {
			dst = append(dst, 0, 0)
		}
	}

	// Periodogram (boxcar window, density scaling, one segment of at most
	// n samples with its mean removed).
	used := x[:min(len(x), n)]
	mu := mean(used)
	seg = b.seg[:len(used)]
	for i, v := range used {
		seg[i] = float64(v - mu)
	}
	scale := 1 / (fs * float64(len(used)))
	pxx := b.plan.PowerTo(b.pow[:n/2+1], seg, scale)
	for k := 1; k < len(pxx); k++ {
		if k != n/2 {
			pxx[k] *= 2
		}
	}
	for k := range pxx {
		pxx[k] = float64(float32(pxx[k]))
	}
	val := 1 / (float64(n) * (1 / fs))
	for j := 0; j+1 < len(b.edges); j++ {
		lo, hi := b.edges[j], b.edges[j+1]
		var sum float32
		cnt := 0
		sel := b.s32[:0]
		for k, p := range pxx {
			if f := float64(k) * val; f >= lo && f < hi {
				sel = append(sel, float32(p))
				cnt++
			}
		}
		if cnt == 0 {
			dst = append(dst, 0)
			continue
		}
		sum = mean(sel)
		dst = append(dst, float64(sum)/10)
	}
	return dst
}

// peakIndexes returns the indices of the peaks of y as PeakUtils'
// indexes(y, thres=0, min_dist=1) finds them: points whose left difference
// is positive and right difference negative, where runs of equal values
// (plateaus) take the slope of their neighbours (the first half of an
// inner plateau the slope before it, the second half the slope after), and
// whose value exceeds the minimum of y. The indices are appended to dst;
// d is scratch of len(y)-1 values.
func peakIndexes(dst []int, y, d []float64) []int {
	if len(y) < 3 {
		return dst
	}
	d = d[:len(y)-1]
	zeros := 0
	for k := range d {
		d[k] = y[k+1] - y[k]
		if d[k] == 0 {
			zeros++
		}
	}
	if zeros == len(d) {
		return dst
	}
	if zeros > 0 {
		for i := 0; i < len(d); {
			if d[i] != 0 {
				i++
				continue
			}
			j := i
			for j+1 < len(d) && d[j+1] == 0 {
				j++
			}
			switch {
			case i == 0:
				for k := i; k <= j; k++ {
					d[k] = d[j+1]
				}
			case j == len(d)-1:
				for k := i; k <= j; k++ {
					d[k] = d[i-1]
				}
			default:
				median := float64(i+j) / 2
				before, after := d[i-1], d[j+1]
				for k := i; k <= j; k++ {
					if float64(k) < median {
						d[k] = before
					} else {
						d[k] = after
					}
				}
			}
			i = j + 1
		}
	}
	lo := y[0]
	for _, v := range y {
		lo = math.Min(lo, v)
	}
	for k := 1; k < len(y)-1; k++ {
		if d[k-1] > 0 && d[k] < 0 && y[k] > lo {
			dst = append(dst, k)
		}
	}
	return dst
}
