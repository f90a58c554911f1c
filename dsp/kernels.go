package dsp

import "math"

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

// logs stores math.Log(x[i]) in dst[i], bit for bit, four values at a time
// where the AVX kernel can.
func logs(dst, x []float64) {
	dst = dst[:len(x)]
	for len(x) > 0 {
		if useAVX && len(x) >= 4 {
			n := logAVX(dst, x[:len(x)&^3])
			dst, x = dst[n:], x[n:]
		}
		// The group the kernel stopped at, or the tail.
		k := min(len(x), 4)
		for i, v := range x[:k] {
			dst[i] = math.Log(v)
		}
		dst, x = dst[k:], x[k:]
	}
}

// dbGroup stores the spectrogram's decibel values (specDB) of the power
// spectra of four frames p (bins × 4, as fft.Batch writes them) in the
// rows of dst, ld apart, for the first frames frames: negative values are
// raised to 0 and, when clip1, values above 1 lowered to 1. rows is scratch
// for 4·h values.
func dbGroup(dst []float64, ld int, p []float64, h, frames int, s dbScaler, clip1 bool, rows []float64) {
	if !useAVX {
		dbGroupGo(dst, ld, p, 0, h, frames, s, clip1)
		return
	}
	out, ldo := dst, ld
	if frames < 4 {
		out, ldo = rows, h
	}
	top := math.Inf(1)
	if clip1 {
		top = 1
	}
	var done int
	if useAVX512 {
		done = dbGroup512(out, ldo, p, h, s.a, s.b, top)
	} else {
		done = dbGroupAVX(out, ldo, p, h, s.a, s.b, top)
	}
	dbGroupGo(out, ldo, p, done, h, 4, s, clip1)
	if frames < 4 {
		for l := range frames {
			copy(dst[l*ld:l*ld+h], rows[l*h:l*h+h])
		}
	}
}

// dbGroupGo is the reference of dbGroupAVX, for bins from..h-1.
func dbGroupGo(dst []float64, ld int, p []float64, from, h, frames int, s dbScaler, clip1 bool) {
	for l := range frames {
		row := dst[l*ld : l*ld+h]
		for k := from; k < h; k++ {
			d := max(s.scale(p[4*k+l]), 0)
			if clip1 {
				d = min(d, 1)
			}
			row[k] = d
		}
	}
}

// filterGroup stores the filterbank energies of the power spectra of four
// frames p (bins × 4) in dst[l·ld + j] (frame l, filter j); exact zeros
// become 1e-10. Each energy is its filter's weights times the frame's bins,
// added in bin order.
func filterGroup(dst []float64, ld int, p []float64, bank *melBank) {
	if useAVX {
		filterGroupAVX(dst, ld, p, bank.lo, bank.off, bank.w)
		return
	}
	filterGroupGo(dst, ld, p, bank)
}

// filterGroupGo is the reference of filterGroupAVX.
func filterGroupGo(dst []float64, ld int, p []float64, bank *melBank) {
	for j, lo := range bank.lo {
		w := bank.w[bank.off[j]:bank.off[j+1]]
		for l := range 4 {
			var s float64
			for t, v := range w {
				s += float64(p[4*(lo+t)+l] * v)
			}
			if s == 0 {
				s = 1e-10
			}
			dst[l*ld+j] = s
		}
	}
}

// dct stores in out[i·ldo + k], for frames i and k < kpad, the products of
// frame i's log energies logE[i·m : i·m+m] with the kpad rows of the DCT
// matrix, stored transposed in dctT[j·kpad + k]: each sum runs over j in
// ascending order, every product rounded before it is added.
func dct(out []float64, ldo int, logE []float64, m int, dctT []float64, kpad, frames int) {
	if useAVX && kpad%16 == 0 {
		dctAVX(out, ldo, logE, m, dctT, kpad, frames)
		return
	}
	dctGo(out, ldo, logE, m, dctT, kpad, frames)
}

// dctGo is the reference of dctAVX.
func dctGo(out []float64, ldo int, logE []float64, m int, dctT []float64, kpad, frames int) {
	for i := range frames {
		v := logE[i*m : i*m+m]
		o := out[i*ldo : i*ldo+kpad]
		for k := range o {
			var s float64
			for j, e := range v {
				s += float64(dctT[j*kpad+k] * e)
			}
			o[k] = s
		}
	}
}

// pairwise4 is pairwiseSum of each of the four interleaved columns of p
// (n rows of four values), added in the same order.
func pairwise4(p []float64, n int) [4]float64 {
	const buffer = 8192
	if n <= buffer {
		return pairwiseBlock4(p, n)
	}
	var s [4]float64
	for i := 0; i < n; i += buffer {
		b := pairwiseBlock4(p[4*i:], min(n-i, buffer))
		for l := range s {
			s[l] += b[l]
		}
	}
	return s
}

func pairwiseBlock4(p []float64, n int) [4]float64 {
	var s [4]float64
	switch {
	case n < 8:
		for i := range n {
			for l := range s {
				s[l] += p[4*i+l]
			}
		}
	case n <= 128:
		if useAVX {
			pairwiseLeaf4AVX(&s, p[:4*n], n)
			break
		}
		for l := range s {
			s[l] = pairwiseSumStrided(p[l:], 4, n)
		}
	default:
		n2 := n / 2
		n2 -= n2 % 8
		s = pairwiseBlock4(p, n2)
		b := pairwiseBlock4(p[4*n2:], n-n2)
		for l := range s {
			s[l] += b[l]
		}
	}
	return s
}
