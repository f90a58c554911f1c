package fft

// radix4 runs one radix-4 decimation-in-frequency pass over re, im (see
// pass): every block of 4s values a, b, c, d (its quarters, at k, k+s,
// k+2s, k+3s) becomes
//
//	k:    (a+c) + (b+d)
//	k+s:  ((a+c) - (b+d))·w^2k
//	k+2s: ((a-c) - i(b-d))·w^k
//	k+3s: ((a-c) + i(b-d))·w^3k
//
// so that the quarters hold the length-s DFT inputs of the frequencies
// ≡ 0, 2, 1, 3 (mod 4): bit-reversed order.
func radix4(re, im []float64, s int, tw []float64) {
	if useAVX && s%4 == 0 {
		radix4AVX(re, im, s, tw)
		return
	}
	radix4Go(re, im, s, tw)
}

// radix4Go is the reference for radix4AVX: the same operations in the same
// order. Products are converted explicitly so that no multiply-add is
// fused.
func radix4Go(re, im []float64, s int, tw []float64) {
	w1r, w1i := tw[0:s:s], tw[s:2*s:2*s]
	w2r, w2i := tw[2*s:3*s:3*s], tw[3*s:4*s:4*s]
	w3r, w3i := tw[4*s:5*s:5*s], tw[5*s:6*s:6*s]
	for g := 0; g+4*s <= len(re); g += 4 * s {
		ar, ai := re[g:g+s:g+s], im[g:g+s:g+s]
		br, bi := re[g+s:g+2*s:g+2*s], im[g+s:g+2*s:g+2*s]
		cr, ci := re[g+2*s:g+3*s:g+3*s], im[g+2*s:g+3*s:g+3*s]
		dr, di := re[g+3*s:g+4*s:g+4*s], im[g+3*s:g+4*s:g+4*s]
		for k := range ar {
			Ar, Ai, Br, Bi := ar[k], ai[k], br[k], bi[k]
			Cr, Ci, Dr, Di := cr[k], ci[k], dr[k], di[k]
			t0r, t0i := Ar+Cr, Ai+Ci
			t1r, t1i := Ar-Cr, Ai-Ci
			t2r, t2i := Br+Dr, Bi+Di
			t3r, t3i := Bi-Di, Dr-Br // -i·(b-d)
			ar[k], ai[k] = t0r+t2r, t0i+t2i
			y2r, y2i := t0r-t2r, t0i-t2i
			y1r, y1i := t1r+t3r, t1i+t3i
			y3r, y3i := t1r-t3r, t1i-t3i
			br[k] = float64(y2r*w2r[k]) - float64(y2i*w2i[k])
			bi[k] = float64(y2r*w2i[k]) + float64(y2i*w2r[k])
			cr[k] = float64(y1r*w1r[k]) - float64(y1i*w1i[k])
			ci[k] = float64(y1r*w1i[k]) + float64(y1i*w1r[k])
			dr[k] = float64(y3r*w3r[k]) - float64(y3i*w3i[k])
			di[k] = float64(y3r*w3i[k]) + float64(y3i*w3r[k])
		}
	}
}

// radix2 runs one radix-2 decimation-in-frequency pass: every block of 2s
// values a, b becomes a+b, (a-b)·w^k.
func radix2(re, im []float64, s int, tw []float64) {
	if useAVX && s%4 == 0 {
		radix2AVX(re, im, s, tw)
		return
	}
	radix2Go(re, im, s, tw)
}

// radix2Go is the reference for radix2AVX.
func radix2Go(re, im []float64, s int, tw []float64) {
	wr, wi := tw[0:s:s], tw[s:2*s:2*s]
	for g := 0; g+2*s <= len(re); g += 2 * s {
		ar, ai := re[g:g+s:g+s], im[g:g+s:g+s]
		br, bi := re[g+s:g+2*s:g+2*s], im[g+s:g+2*s:g+2*s]
		for k := range ar {
			Ar, Ai, Br, Bi := ar[k], ai[k], br[k], bi[k]
			ar[k], ai[k] = Ar+Br, Ai+Bi
			yr, yi := Ar-Br, Ai-Bi
			br[k] = float64(yr*wr[k]) - float64(yi*wi[k])
			bi[k] = float64(yr*wi[k]) + float64(yi*wr[k])
		}
	}
}

// deinterleave stores x[2k] in re[k] and x[2k+1] in im[k].
func deinterleave(re, im, x []float64) {
	if useAVX2 && len(re)%4 == 0 {
		deinterleaveAVX(re, im, x)
		return
	}
	deinterleaveGo(re, im, x)
}

func deinterleaveGo(re, im, x []float64) {
	x = x[:2*len(re)]
	im = im[:len(re)]
	for k := range re {
		p := x[2*k : 2*k+2 : 2*k+2]
		re[k], im[k] = p[0], p[1]
	}
}

// untangle returns X[k] = (ar, ai) and conj X[m-k] = (br, bi) of the real
// transform from Z[k] = (zkr, zki) and Z[m-k] = (zmr, zmi) of the packed
// complex transform: with E = (Z[k] + conj Z[m-k])/2 and
// O = (Z[k] - conj Z[m-k])/(2i), X[k] = E + w^k·O and X[m-k] =
// conj(E - w^k·O), w^k = (wr, wi) = exp(-2πik/n).
func untangle(zkr, zki, zmr, zmi, wr, wi float64) (ar, ai, br, bi float64) {
	er := (zkr + zmr) * 0.5
	ei := (zki - zmi) * 0.5
	or := (zki + zmi) * 0.5
	oi := (zmr - zkr) * 0.5
	tr := float64(wr*or) - float64(wi*oi)
	ti := float64(wr*oi) + float64(wi*or)
	return er + tr, ei + ti, er - tr, ei - ti
}

// untangleGo computes the power |X[k]|²·scale of the real transform for
// k = 1..m/2 and m-k from the packed transform Z, stored bit-reversed in
// re, im (Z[k] at rev[k], Z[m-k] at revM[k]).
//
// It is the reference for untangleAVX, which computes the same values for
// four k at a time from the spectrum in natural order; at k = m/2 both
// stores hit dst[m/2], the second one last.
func untangleGo(dst, re, im []float64, rev, revM []int32, wr, wi []float64, scale float64) {
	m := len(re)
	for k := 1; k <= m/2; k++ {
		a, b := rev[k], revM[k]
		ar, ai, br, bi := untangle(re[a], im[a], re[b], im[b], wr[k], wi[k])
		dst[k] = (float64(ar*ar) + float64(ai*ai)) * scale
		dst[m-k] = (float64(br*br) + float64(bi*bi)) * scale
	}
}
