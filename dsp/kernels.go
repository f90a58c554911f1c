package dsp

// preEmphasis32 computes the scaled, pre-emphasised signal of MFE versions
// 3 and 4 for t >= 1: y[t] = f32(x[t]/32768) - f32(0.98·f32(x[t-1]/32768)),
// every operation rounded to float32 as in Edge Impulse's block, widened to
// float64. (Dividing by 32768 is exact, so multiplying by its inverse gives
// the same values.) y[0], which wraps around to the last sample, is left to
// the caller.
func preEmphasis32(y, x []float64) {
	if useAVX && len(x) > 4 {
		n := (len(x) - 1) / 4 * 4
		preEmphasisAVX(y[1:1+n], x[:1+n])
		preEmphasisGo(y[n:], x[n:])
		return
	}
	preEmphasisGo(y, x)
}

const (
	preCof32 = float32(0.98)
	inv32768 = 1.0 / 32768
)

// preEmphasisGo is the reference for preEmphasisAVX: it sets y[t] for
// 1 <= t < len(x).
func preEmphasisGo(y, x []float64) {
	y = y[:len(x)]
	for t := 1; t < len(x); t++ {
		cur := float32(x[t] * inv32768)
		prev := float32(x[t-1] * inv32768)
		y[t] = float64(cur - float32(preCof32*prev))
	}
}

// filterRows computes, for every column i of the transposed power spectrum
// pt (rows of fpad values, one row per FFT bin), the weighted sum
// out[i] = Σ_t w[t]·pt[(lo+t)·fpad + i], adding the terms in order of t.
// fpad is a multiple of 4.
func filterRows(out, pt []float64, fpad, lo int, w []float64) {
	if useAVX && len(w) > 0 {
		filterRowsAVX(out[:fpad], pt[lo*fpad:(lo+len(w))*fpad], fpad, w)
		return
	}
	filterRowsGo(out[:fpad], pt[lo*fpad:(lo+len(w))*fpad], fpad, w)
}

// filterRowsGo is the reference for filterRowsAVX; pt starts at the
// filter's first bin.
func filterRowsGo(out, pt []float64, fpad int, w []float64) {
	clear(out)
	for t, v := range w {
		row := pt[t*fpad : (t+1)*fpad]
		row = row[:len(out)]
		for i, p := range row {
			out[i] += float64(p * v)
		}
	}
}

// nonFinite returns 0 when every value of x is finite and NaN otherwise:
// it adds up v-v, which is 0 for a finite v and NaN for NaN and ±Inf.
func nonFinite(x []float64) float64 {
	if useAVX && len(x) >= 16 {
		n := len(x) / 16 * 16
		return nonFiniteAVX(x[:n]) + nonFiniteGo(x[n:])
	}
	return nonFiniteGo(x)
}

func nonFiniteGo(x []float64) float64 {
	var a0, a1, a2, a3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		w := x[i : i+4 : i+4]
		a0 += w[0] - w[0]
		a1 += w[1] - w[1]
		a2 += w[2] - w[2]
		a3 += w[3] - w[3]
	}
	for ; i < len(x); i++ {
		a0 += x[i] - x[i]
	}
	return a0 + a1 + a2 + a3
}
