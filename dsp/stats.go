package dsp

import "math"

// float is the element type of the statistics helpers. Edge Impulse's
// spectral block computes some statistics in float32 and others in
// float64; the helpers run in the precision of their argument.
type float interface{ ~float32 | ~float64 }

// pairwiseSum adds a the way numpy's add.reduce does for a contiguous
// array: the array is reduced in buffers of 8192 values whose sums are
// added in order; within a buffer, blocks of up to 128 values are summed in
// eight interleaved partial sums, and larger spans are split in two (at a
// multiple of eight) and summed recursively. In float32 this reproduces
// numpy's result bit for bit.
func pairwiseSum[T float](a []T) T {
	const buffer = 8192
	if len(a) <= buffer {
		return pairwiseBlock(a)
	}
	var s T
	for len(a) > 0 {
		n := min(len(a), buffer)
		s += pairwiseBlock(a[:n])
		a = a[n:]
	}
	return s
}

func pairwiseBlock[T float](a []T) T {
	n := len(a)
	switch {
	case n < 8:
		var s T
		for _, v := range a {
			s += v
		}
		return s
	case n <= 128:
		var r [8]T
		copy(r[:], a[:8])
		i := 8
		for ; i < n-n%8; i += 8 {
			b := a[i : i+8 : i+8]
			r[0] += b[0]
			r[1] += b[1]
			r[2] += b[2]
			r[3] += b[3]
			r[4] += b[4]
			r[5] += b[5]
			r[6] += b[6]
			r[7] += b[7]
		}
		s := ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
		for ; i < n; i++ {
			s += a[i]
		}
		return s
	default:
		n2 := n / 2
		n2 -= n2 % 8
		return pairwiseBlock(a[:n2]) + pairwiseBlock(a[n2:])
	}
}

// pairwiseSumStrided is pairwiseSum of the n values a[0], a[stride], …,
// a[(n-1)·stride], added in the same order.
func pairwiseSumStrided(a []float64, stride, n int) float64 {
	const buffer = 8192
	if n <= buffer {
		return pairwiseBlockStrided(a, stride, n)
	}
	var s float64
	for i := 0; i < n; i += buffer {
		s += pairwiseBlockStrided(a[i*stride:], stride, min(n-i, buffer))
	}
	return s
}

func pairwiseBlockStrided(a []float64, stride, n int) float64 {
	switch {
	case n < 8:
		var s float64
		for i := range n {
			s += a[i*stride]
		}
		return s
	case n <= 128:
		var r [8]float64
		for j := range r {
			r[j] = a[j*stride]
		}
		i := 8
		for ; i < n-n%8; i += 8 {
			for j := range r {
				r[j] += a[(i+j)*stride]
			}
		}
		s := ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
		for ; i < n; i++ {
			s += a[i*stride]
		}
		return s
	default:
		n2 := n / 2
		n2 -= n2 % 8
		return pairwiseBlockStrided(a, stride, n2) + pairwiseBlockStrided(a[n2*stride:], stride, n-n2)
	}
}

// mean is numpy's mean: the pairwise sum divided by the count in float64
// and rounded to the element type.
func mean[T float](a []T) T {
	return T(float64(pairwiseSum(a)) / float64(len(a)))
}

// resolution is numpy's finfo(T).resolution, used by scipy's zero-variance
// guard in skew and kurtosis.
func resolution[T float]() T {
	var z T
	if _, ok := any(z).(float32); ok {
		return T(1e-6)
	}
	return T(1e-15)
}

// centralMoments returns scipy's (< 1.9) skew and Fisher kurtosis of a,
// with bias, computed in the precision of T: m_k = mean((a - mean(a))^k),
// skew = m3/m2^1.5, kurtosis = m4/m2² - 3, each moment a separate pass
// rounded as numpy rounds it. When the variance is negligible
// (m2 <= (resolution·mean)²) skew is 0 and kurtosis is -3, as in the scipy
// version Edge Impulse pins. The final divisions are in float64 whatever
// T is, because numpy 1.x raises a float32 scalar to a power in float64
// (so tiny float32 signals do not underflow to 0/0). scratch must hold
// 2·len(a) values.
func centralMoments[T float](a, scratch []T) (skew, kurtosis float64) {
	n := len(a)
	mu := mean(a)
	d, p := scratch[:n], scratch[n:2*n]
	for i, v := range a {
		d[i] = v - mu
	}
	for i, v := range d {
		p[i] = v * v
	}
	m2 := mean(p)
	for i, v := range d {
		p[i] = (v * v) * v
	}
	m3 := mean(p)
	for i, v := range d {
		s := v * v
		p[i] = s * s
	}
	m4 := mean(p)
	thr := resolution[T]() * mu
	if m2 <= thr*thr {
		return 0, -3
	}
	v := float64(m2)
	return float64(m3) / math.Pow(v, 1.5), float64(m4)/(v*v) - 3
}

// rms is sqrt(mean(a²)) in the precision of T. scratch must hold len(a)
// values.
func rms[T float](a, scratch []T) T {
	p := scratch[:len(a)]
	for i, v := range a {
		p[i] = v * v
	}
	return T(math.Sqrt(float64(mean(p))))
}
