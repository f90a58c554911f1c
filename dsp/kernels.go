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

// filterFrames computes one mel filter's energy for every frame from the
// transposed power spectrum pt (rows of fpad values, the filter's bins
// starting at row lo): e_i = Σ_t w[t]·pt[(lo+t)·fpad + i], terms added in
// order of t, 0 replaced by 1e-10, stored in dst[i·stride].
func filterFrames(dst []float64, stride int, pt []float64, fpad, frames, lo int, w []float64) {
	pt = pt[lo*fpad : (lo+len(w))*fpad]
	done := 0
	if useAVX && len(w) > 0 && frames >= 4 {
		done = frames / 4 * 4
		filterFramesAVX(dst, stride, pt, fpad, done/4, w)
	}
	filterFramesGo(dst, stride, pt, fpad, done, frames, w)
}

// filterFramesGo is the reference for filterFramesAVX, for frames
// from..to-1.
func filterFramesGo(dst []float64, stride int, pt []float64, fpad, from, to int, w []float64) {
	for i := from; i < to; i++ {
		var s float64
		for t, v := range w {
			s += float64(pt[t*fpad+i] * v)
		}
		if s == 0 {
			s = 1e-10
		}
		dst[i*stride] = s
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

// subScaled sets y[i] = a[i] - c·b[i] (the product rounded before the
// subtraction); y, a and b have the same length.
func subScaled(y, a, b []float64, c float64) {
	n := 0
	if useAVX && len(y) >= 4 {
		n = len(y) / 4 * 4
		subScaledAVX(y[:n], a[:n], b[:n], c)
	}
	subScaledGo(y[n:], a[n:], b[n:], c)
}

func subScaledGo(y, a, b []float64, c float64) {
	a, b = a[:len(y)], b[:len(y)]
	for i, v := range a {
		y[i] = v - float64(c*b[i])
	}
}
