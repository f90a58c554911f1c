package fft

// Batch computes the power spectra of four sequences at once, with the
// plan's algorithm run across the sequences: value k of sequence l sits at
// index 4k+l of the batch's buffers, so that every butterfly of every pass
// is one vector operation on four sequences and no pass shuffles data.
// Each sequence goes through exactly the operations of [Real.PowerTo], in
// the same order, so the results are bit-identical to four PowerTo calls.
//
// A Batch is not safe for concurrent use; give each goroutine its own.
type Batch struct {
	r      *Real
	re, im []float64    // 4·m values each, interleaved by sequence
	pad    [4][]float64 // zero-padded copies of sequences shorter than n
}

// NewBatch returns a batch of four transforms of r's length. It allocates
// 16·n values, once.
func (r *Real) NewBatch() *Batch {
	b := &Batch{r: r, re: make([]float64, 4*r.m), im: make([]float64, 4*r.m)}
	for l := range b.pad {
		b.pad[l] = make([]float64, r.n)
	}
	return b
}

// PowerTo stores the scaled power spectra |X_l[k]|²·scale of the four real
// sequences x[0..3] (each truncated or zero-padded to n samples, as in
// [Real.PowerTo]) in dst[k·ld + l], for k = 0..n/2 and l = 0..3: four
// consecutive values per bin, rows ld apart. It panics if ld < 4 or dst is
// shorter than (n/2)·ld + 4.
func (b *Batch) PowerTo(dst []float64, ld int, x *[4][]float64, scale float64) {
	r := b.r
	h := r.n/2 + 1
	if ld < 4 || len(dst) < (h-1)*ld+4 {
		panic("fft: batch destination too short")
	}
	if r.n <= 2 {
		// No butterflies to share: one sequence at a time.
		var p [2]float64
		for l, s := range x {
			r.PowerTo(p[:h], s, scale)
			for k := range h {
				dst[k*ld+l] = p[k]
			}
		}
		return
	}
	var in [4][]float64
	for l, s := range x {
		if len(s) < r.n {
			copy(b.pad[l], s)
			clear(b.pad[l][len(s):])
			s = b.pad[l]
		}
		in[l] = s[:r.n]
	}
	m := r.m
	re, im := b.re[:4*m], b.im[:4*m]
	if useAVX2 && m >= 8 {
		load4AVX(re, im, &in)
		for _, p := range r.passes {
			if p.radix == 2 {
				radix2x4AVX(re, im, p.span, p.tw)
			} else {
				radix4x4AVX(re, im, p.span, p.tw)
			}
		}
		dft4x4AVX(re, im)
		untangle4AVX(dst, ld, re, im, r.rev, r.revM, r.postRe, r.postIm, scale)
		return
	}
	load4Go(re, im, &in)
	for _, p := range r.passes {
		if p.radix == 2 {
			radix2x4Go(re, im, p.span, p.tw)
		} else {
			radix4x4Go(re, im, p.span, p.tw)
		}
	}
	if m >= 4 {
		dft4x4Go(re, im)
	}
	untangle4Go(dst, ld, re, im, r.rev, r.revM, r.postRe, r.postIm, scale)
}

// load4Go packs the four sequences as complex values, interleaved:
// re[4k+l] = x[l][2k], im[4k+l] = x[l][2k+1].
func load4Go(re, im []float64, x *[4][]float64) {
	m := len(re) / 4
	for l, s := range x {
		s = s[:2*m]
		for k := range m {
			re[4*k+l], im[4*k+l] = s[2*k], s[2*k+1]
		}
	}
}

// radix4x4Go is radix4Go on four interleaved sequences.
func radix4x4Go(re, im []float64, s int, tw []float64) {
	w1r, w1i := tw[0:s:s], tw[s:2*s:2*s]
	w2r, w2i := tw[2*s:3*s:3*s], tw[3*s:4*s:4*s]
	w3r, w3i := tw[4*s:5*s:5*s], tw[5*s:6*s:6*s]
	q := 4 * s // one quarter of a block, in values
	for g := 0; g+4*q <= len(re); g += 4 * q {
		for k := range s {
			for l := range 4 {
				i := g + 4*k + l
				Ar, Ai, Br, Bi := re[i], im[i], re[i+q], im[i+q]
				Cr, Ci, Dr, Di := re[i+2*q], im[i+2*q], re[i+3*q], im[i+3*q]
				t0r, t0i := Ar+Cr, Ai+Ci
				t1r, t1i := Ar-Cr, Ai-Ci
				t2r, t2i := Br+Dr, Bi+Di
				t3r, t3i := Bi-Di, Dr-Br
				re[i], im[i] = t0r+t2r, t0i+t2i
				y2r, y2i := t0r-t2r, t0i-t2i
				y1r, y1i := t1r+t3r, t1i+t3i
				y3r, y3i := t1r-t3r, t1i-t3i
				re[i+q] = float64(y2r*w2r[k]) - float64(y2i*w2i[k])
				im[i+q] = float64(y2r*w2i[k]) + float64(y2i*w2r[k])
				re[i+2*q] = float64(y1r*w1r[k]) - float64(y1i*w1i[k])
				im[i+2*q] = float64(y1r*w1i[k]) + float64(y1i*w1r[k])
				re[i+3*q] = float64(y3r*w3r[k]) - float64(y3i*w3i[k])
				im[i+3*q] = float64(y3r*w3i[k]) + float64(y3i*w3r[k])
			}
		}
	}
}

// radix2x4Go is radix2Go on four interleaved sequences.
func radix2x4Go(re, im []float64, s int, tw []float64) {
	wr, wi := tw[0:s:s], tw[s:2*s:2*s]
	q := 4 * s
	for g := 0; g+2*q <= len(re); g += 2 * q {
		for k := range s {
			for l := range 4 {
				i := g + 4*k + l
				Ar, Ai, Br, Bi := re[i], im[i], re[i+q], im[i+q]
				re[i], im[i] = Ar+Br, Ai+Bi
				yr, yi := Ar-Br, Ai-Bi
				re[i+q] = float64(yr*wr[k]) - float64(yi*wi[k])
				im[i+q] = float64(yr*wi[k]) + float64(yi*wr[k])
			}
		}
	}
}

// dft4x4Go is dft4 on four interleaved sequences.
func dft4x4Go(re, im []float64) {
	for g := 0; g+16 <= len(re); g += 16 {
		for l := range 4 {
			a, b, c, d := g+l, g+4+l, g+8+l, g+12+l
			t0r, t0i := re[a]+re[c], im[a]+im[c]
			t1r, t1i := re[a]-re[c], im[a]-im[c]
			t2r, t2i := re[b]+re[d], im[b]+im[d]
			t3r, t3i := im[b]-im[d], re[d]-re[b]
			re[a], im[a] = t0r+t2r, t0i+t2i
			re[b], im[b] = t0r-t2r, t0i-t2i
			re[c], im[c] = t1r+t3r, t1i+t3i
			re[d], im[d] = t1r-t3r, t1i-t3i
		}
	}
}

// untangle4Go is the power spectrum of PowerTo (k = 0 and m as there,
// then untangleGo) on four interleaved sequences, stored in dst[k·ld + l].
func untangle4Go(dst []float64, ld int, re, im []float64, rev, revM []int32, wr, wi []float64, scale float64) {
	m := len(re) / 4
	for l := range 4 {
		d0 := re[l] + im[l]
		dm := re[l] - im[l]
		dst[l] = d0 * d0 * scale
		dst[m*ld+l] = dm * dm * scale
		for k := 1; k <= m/2; k++ {
			a, b := 4*int(rev[k])+l, 4*int(revM[k])+l
			ar, ai, br, bi := untangle(re[a], im[a], re[b], im[b], wr[k], wi[k])
			dst[k*ld+l] = (float64(ar*ar) + float64(ai*ai)) * scale
			dst[(m-k)*ld+l] = (float64(br*br) + float64(bi*bi)) * scale
		}
	}
}
