package dsp

import (
	"cmp"
	"fmt"
	"math"
	"math/cmplx"
	"slices"
)

// sos is a cascade of second-order IIR sections, each b0 b1 b2 a0 a1 a2
// with a0 = 1, applied in direct form II transposed.
type sos [][6]float64

// butterworth designs a digital Butterworth low-pass or high-pass filter of
// even order with normalised cutoff wn (1 = Nyquist) as second-order
// sections, the way scipy.signal.butter(order, wn, btype, output='sos')
// does (§4.6 of the spec): analog prototype poles, pre-warping, bilinear
// transform at fs = 2, one section per conjugate pole pair ordered from the
// pair farthest from the unit circle to the closest, the gain folded into
// the first section. The coefficients are then rounded to float32, as Edge
// Impulse's block stores them.
func butterworth(order int, wn float64, high bool) sos {
	n := order
	// Analog prototype poles -exp(iπm/(2N)), m = -N+1, -N+3, ..., N-1.
	poles := make([]complex128, 0, n)
	for m := -n + 1; m <= n-1; m += 2 {
		poles = append(poles, -cmplx.Exp(complex(0, math.Pi*float64(m)/float64(2*n))))
	}
	w := 4 * math.Tan(math.Pi*wn/2)
	k := complex(1, 0)
	zeroProd := complex(1, 0)
	for i, p := range poles {
		if high {
			poles[i] = complex(w, 0) / p
			zeroProd *= 4
		} else {
			poles[i] = complex(w, 0) * p
			k *= complex(w, 0)
		}
	}
	poleProd := complex(1, 0)
	for _, p := range poles {
		poleProd *= 4 - p
	}
	kd := real(k * zeroProd / poleProd)
	// Digital poles with positive imaginary part, one per section.
	var upper []complex128
	for _, p := range poles {
		pd := (4 + p) / (4 - p)
		if imag(pd) > 0 {
			upper = append(upper, pd)
		}
	}
	slices.SortStableFunc(upper, func(a, b complex128) int {
		return cmp.Compare(math.Abs(1-cmplx.Abs(b)), math.Abs(1-cmplx.Abs(a)))
	})
	b1 := 2.0
	if high {
		b1 = -2
	}
	s := make(sos, len(upper))
	for i, p := range upper {
		s[i] = [6]float64{1, b1, 1, 1, -2 * real(p), real(p)*real(p) + imag(p)*imag(p)}
	}
	for j := range 3 {
		s[0][j] *= kd
	}
	for i := range s {
		for j := range s[i] {
			s[i][j] = float64(float32(s[i][j]))
		}
	}
	return s
}

// butterworthStable is the stability pre-check of Edge Impulse's block,
// which imitates its C++ SDK: for each section of the low-pass prototype
// at the float32 tangent of the cutoff, both roots of z² - d1·z - d2 must
// lie inside the unit circle.
func butterworthStable(order int, cutoff, fs float64) bool {
	a := float64(float32(math.Tan(math.Pi * cutoff / fs)))
	a2 := float64(float32(a * a))
	for i := range order / 2 {
		r := math.Sin(math.Pi * float64(2*i+1) / float64(2*order))
		s := a2 + 2*a*r + 1
		d1 := float64(float32(2 * (1 - a2) / s))
		d2 := float64(float32(-(a2 - 2*a*r + 1) / s))
		// Roots of z² - d1·z - d2.
		disc := d1*d1 + 4*d2
		if disc >= 0 {
			q := math.Sqrt(disc)
			if math.Abs((d1+q)/2) >= 1 || math.Abs((d1-q)/2) >= 1 {
				return false
			}
		} else if -d2 >= 1 { // |z|² = -d2 for a complex pair
			return false
		}
	}
	return true
}

// filter32 filters x in place with the sections in float32 arithmetic,
// every product and sum rounded to float32, from zero initial state.
func (s sos) filter32(x []float32) {
	type sec struct{ b0, b1, b2, a1, a2, z0, z1 float32 }
	var secs [8]sec
	ss := secs[:0]
	for _, c := range s {
		ss = append(ss, sec{b0: float32(c[0]), b1: float32(c[1]), b2: float32(c[2]), a1: float32(c[4]), a2: float32(c[5])})
	}
	for i, v := range x {
		for j := range ss {
			c := &ss[j]
			y := float32(c.b0*v) + c.z0
			c.z0 = float32(c.b1*v) - float32(c.a1*y) + c.z1
			c.z1 = float32(c.b2*v) - float32(c.a2*y)
			v = y
		}
		x[i] = v
	}
}

// filter64 filters x in place with the sections in float64 arithmetic.
// zi holds each section's initial state (z0, z1), or is nil for zeros.
func (s sos) filter64(x []float64, zi [][2]float64) {
	var st [8][2]float64
	copy(st[:], zi)
	for i, v := range x {
		for j, c := range s {
			z := &st[j]
			y := c[0]*v + z[0]
			z[0] = c[1]*v - c[4]*y + z[1]
			z[1] = c[2]*v - c[5]*y
			v = y
		}
		x[i] = v
	}
}

// Chebyshev type I decimation filters (order 8, 0.05 dB ripple, cutoff
// 0.8/r) for r = 3 and 10, and their steady-state initial conditions per
// unit step, as scipy.signal.cheby1(8, 0.05, 0.8/r, output='sos') and
// sosfilt_zi compute them (§4.7 of the spec).
var (
	decim3 = sos{
		{3.4799547399085014e-05, 6.959909479817003e-05, 3.4799547399085014e-05, 1, -1.416907422639627, 0.5204552955670066},
		{1, 2, 1, 1, -1.3342748248687593, 0.594631953081447},
		{1, 2, 1, 1, -1.237675162600336, 0.7259326611233619},
		{1, 2, 1, 1, -1.2180861262950022, 0.8987833581253264},
	}
	decim3zi = [][2]float64{
		{0.0013094887094341847, -0.0006648423946383305}, {0.019308701212847924, -0.010936639208493816},
		{0.1485445305451166, -0.10217301649013424}, {0.8250625539381591, -0.7244268881025763},
	}
	decim10 = sos{
		{3.5863243209995207e-09, 7.172648641999041e-09, 3.5863243209995207e-09, 1, -1.8204968644767618, 0.8308597403796137},
		{1, 2, 1, 1, -1.8289505620176847, 0.8553173710387741},
		{1, 2, 1, 1, -1.8517334482627625, 0.9015161055713813},
		{1, 2, 1, 1, -1.8965395961864169, 0.9644245584642932},
	}
	decim10zi = [][2]float64{
		{1.3807106042999696e-06, -1.1465702624013156e-06}, {0.0002086216886290153, -0.00017823747054094327},
		{0.01666382091811615, -0.01500202073072795}, {0.9773862470492866, -0.9420150059170855},
	}
)

// decimationStages returns the single-stage factors of an input decimation
// ratio.
func decimationStages(r int) ([]int, error) {
	switch r {
	case 1:
		return nil, nil
	case 3:
		return []int{3}, nil
	case 10:
		return []int{10}, nil
	case 30:
		return []int{3, 10}, nil
	case 100:
		return []int{10, 10}, nil
	case 1000:
		return []int{10, 10, 10}, nil
	}
	return nil, fmt.Errorf("Invalid decimation ratio: %d", r)
}

// decimate filters x (float64, in place) with the Chebyshev filter for r,
// starting from the steady state of a step of height x[0], and returns the
// samples at 0, r, 2r, ... moved to the front of x: ⌈len(x)/r⌉ values.
func decimate(x []float64, r int) []float64 {
	if len(x) == 0 {
		return x
	}
	f, zi := decim10, decim10zi
	if r == 3 {
		f, zi = decim3, decim3zi
	}
	var st [4][2]float64
	for i := range st {
		st[i] = [2]float64{zi[i][0] * x[0], zi[i][1] * x[0]}
	}
	f.filter64(x, st[:])
	n := 0
	for i := 0; i < len(x); i += r {
		x[n] = x[i]
		n++
	}
	return x[:n]
}
