// Package fft computes discrete Fourier transforms of real sequences whose
// length is a power of two, with plans built once and reused window after
// window without allocation.
//
// A plan of length n packs the n real inputs as n/2 complex values, runs an
// iterative decimation-in-frequency complex transform of length n/2 (at
// most one radix-2 pass, then radix-4 passes with twiddle factors
// precomputed per pass, the last one a 4-point DFT without
// multiplications), which leaves the spectrum in bit-reversed order, and
// untangles its even and odd halves into the n/2+1 coefficients of the real
// transform. On amd64 with AVX the radix-4 and radix-2 passes run in
// assembly four butterflies at a time, with the same operations in the same
// order as the Go code, so both give bit-identical results; build with the
// noasm tag to use only Go. The results agree with gonum's dsp/fourier to
// about 1e-15 times the largest coefficient (see the tests).
package fft

import (
	"fmt"
	"math"
	"math/bits"
)

// MaxLength is the largest transform length a plan accepts.
const MaxLength = 1 << 20

// Real is a transform plan for real sequences of one power-of-two length.
// A Real is not safe for concurrent use; give each goroutine its own.
type Real struct {
	n      int
	m      int     // n/2, the length of the packed complex transform
	rev    []int32 // bit-reversal permutation of 0..m-1
	revM   []int32 // revM[k] = rev[(m-k) mod m], for untangling
	passes []pass
	postRe []float64 // exp(-2πi k/n), k <= m/2, for untangling, split
	postIm []float64
	re, im []float64 // scratch, length m
	nre    []float64 // the spectrum in natural order, for the AVX untangling
	nim    []float64
	pad    []float64 // zero-padded input when a sequence is shorter than n
}

// pass is one decimation-in-frequency butterfly pass splitting DFTs of
// length radix·span into radix DFTs of length span. tw holds the twiddle
// factors in split form: for radix 2, w^k (w = exp(-2πi/2span)) as
// re[0:span], im[span:2span]; for radix 4, w^k, w^2k, w^3k
// (w = exp(-2πi/4span)) as six rows of span values: re1, im1, re2, im2,
// re3, im3.
type pass struct {
	radix, span int
	tw          []float64
}

// NewReal returns a plan for real sequences of length n, which must be a
// power of two between 1 and MaxLength.
func NewReal(n int) (*Real, error) {
	if n < 1 || n > MaxLength || n&(n-1) != 0 {
		return nil, fmt.Errorf("fft: length %d is not a power of two in [1, %d]", n, MaxLength)
	}
	r := &Real{n: n, m: n / 2}
	m := r.m
	if m == 0 {
		return r, nil
	}
	r.re = make([]float64, m)
	r.im = make([]float64, m)
	r.nre = make([]float64, m)
	r.nim = make([]float64, m)
	r.pad = make([]float64, n)
	lg := bits.TrailingZeros(uint(m))
	r.rev = make([]int32, m)
	for k := range m {
		if lg > 0 {
			r.rev[k] = int32(bits.Reverse64(uint64(k)) >> (64 - uint(lg)))
		}
	}
	// Passes from the full length down to blocks of four, which the final
	// 4-point pass finishes; an odd number of bits takes one radix-2 pass.
	size := m
	if m >= 2 && lg%2 == 1 {
		s := m / 2
		p := pass{radix: 2, span: s, tw: make([]float64, 2*s)}
		for k := range s {
			sn, c := math.Sincos(-2 * math.Pi * float64(k) / float64(2*s))
			p.tw[k], p.tw[s+k] = c, sn
		}
		r.passes = append(r.passes, p)
		size = s
	}
	for ; size > 4; size /= 4 {
		s := size / 4
		p := pass{radix: 4, span: s, tw: make([]float64, 6*s)}
		for k := range s {
			for t := 1; t <= 3; t++ {
				sn, c := math.Sincos(-2 * math.Pi * float64(t*k) / float64(4*s))
				p.tw[(2*t-2)*s+k], p.tw[(2*t-1)*s+k] = c, sn
			}
		}
		r.passes = append(r.passes, p)
	}
	r.postRe = make([]float64, m/2+1)
	r.postIm = make([]float64, m/2+1)
	for k := range r.postRe {
		r.postIm[k], r.postRe[k] = math.Sincos(-2 * math.Pi * float64(k) / float64(n))
	}
	r.revM = make([]int32, m)
	for k := range m {
		r.revM[k] = r.rev[(m-k)%m]
	}
	return r, nil
}

// Len returns the transform length n.
func (r *Real) Len() int { return r.n }

// load packs x, truncated or zero-padded to n samples, as n/2 complex
// values z[k] = x[2k] + i·x[2k+1] and transforms them in place; the
// spectrum Z is left in bit-reversed order: Z[k] = (re[rev[k]], im[rev[k]]).
func (r *Real) load(x []float64) {
	m := r.m
	if len(x) < r.n {
		copy(r.pad, x)
		clear(r.pad[len(x):])
		x = r.pad
	}
	x = x[:2*m]
	re, im := r.re[:m], r.im[:m]
	deinterleave(re, im, x)
	for _, p := range r.passes {
		if p.radix == 2 {
			radix2(re, im, p.span, p.tw)
		} else {
			radix4(re, im, p.span, p.tw)
		}
	}
	if m >= 4 {
		if useAVX && m >= 16 {
			dft4AVX(re, im)
		} else {
			dft4(re, im)
		}
	}
}

// dft4 is the last radix-4 pass, whose twiddles are all 1: a 4-point DFT
// of every block of four values, outputs in bit-reversed order.
func dft4(re, im []float64) {
	for g := 0; g+4 <= len(re); g += 4 {
		r := re[g : g+4 : g+4]
		i := im[g : g+4 : g+4]
		t0r, t0i := r[0]+r[2], i[0]+i[2]
		t1r, t1i := r[0]-r[2], i[0]-i[2]
		t2r, t2i := r[1]+r[3], i[1]+i[3]
		t3r, t3i := i[1]-i[3], r[3]-r[1] // -i·(b-d)
		r[0], i[0] = t0r+t2r, t0i+t2i
		r[1], i[1] = t0r-t2r, t0i-t2i
		r[2], i[2] = t1r+t3r, t1i+t3i
		r[3], i[3] = t1r-t3r, t1i-t3i
	}
}

// pair returns X[k] and X[m-k] of the real transform (see untangle).
func (r *Real) pair(k int) (xk, xmk complex128) {
	a, b := r.rev[k], r.revM[k]
	ar, ai, br, bi := untangle(r.re[a], r.im[a], r.re[b], r.im[b], r.postRe[k], r.postIm[k])
	return complex(ar, ai), complex(br, -bi)
}

// Coefficients stores the n/2+1 coefficients of the real DFT of x in dst,
// X[k] = Σ_t x[t]·exp(-2πi·k·t/n), and returns dst. x is truncated to its
// first n samples or zero-padded to n. A nil dst is allocated; otherwise
// Coefficients panics if len(dst) != n/2+1.
func (r *Real) Coefficients(dst []complex128, x []float64) []complex128 {
	h := r.n/2 + 1
	if dst == nil {
		dst = make([]complex128, h)
	} else if len(dst) != h {
		panic("fft: destination length mismatch")
	}
	if r.n == 1 {
		dst[0] = complex(at(x, 0), 0)
		return dst
	}
	r.load(x)
	m := r.m
	dst[0] = complex(r.re[0]+r.im[0], 0) // rev[0] = 0
	dst[m] = complex(r.re[0]-r.im[0], 0)
	for k := 1; k <= m/2; k++ {
		xk, xmk := r.pair(k)
		dst[k] = xk
		if m-k != k {
			dst[m-k] = xmk
		}
	}
	return dst
}

// PowerTo stores the scaled power spectrum |X[k]|²·scale of the real DFT of
// x in dst for k = 0..n/2 and returns dst. x is truncated or zero-padded to
// n samples as in [Real.Coefficients]. A nil dst is allocated; otherwise
// PowerTo panics if len(dst) != n/2+1.
func (r *Real) PowerTo(dst []float64, x []float64, scale float64) []float64 {
	h := r.n/2 + 1
	if dst == nil {
		dst = make([]float64, h)
	} else if len(dst) != h {
		panic("fft: destination length mismatch")
	}
	if r.n == 1 {
		v := at(x, 0)
		dst[0] = v * v * scale
		return dst
	}
	r.load(x)
	m := r.m
	d0 := r.re[0] + r.im[0] // rev[0] = 0: Z[0]
	dm := r.re[0] - r.im[0]
	dst[0] = d0 * d0 * scale
	dst[m] = dm * dm * scale
	if useAVX2 && m >= 8 {
		// Put the spectrum in natural order (plain loads and stores are
		// much faster than gathers), then untangle four k at a time.
		nre, nim, re, im := r.nre[:m], r.nim[:m], r.re[:m], r.im[:m]
		for k, j := range r.rev[:m] {
			nre[k], nim[k] = re[j], im[j]
		}
		untangleAVX(dst, nre, nim, r.postRe, r.postIm, scale)
	} else {
		untangleGo(dst, r.re, r.im, r.rev, r.revM, r.postRe, r.postIm, scale)
	}
	return dst
}

func at(x []float64, i int) float64 {
	if i < len(x) {
		return x[i]
	}
	return 0
}
