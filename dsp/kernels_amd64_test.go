//go:build !noasm

package dsp

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestAssemblyMatchesGo checks that each AVX kernel gives exactly the bits
// of its Go reference.
func TestAssemblyMatchesGo(t *testing.T) {
	if !useAVX {
		t.Skip("no AVX2 on this machine")
	}
	rnd := rand.New(rand.NewPCG(4, 4))
	for _, n := range []int{2, 5, 17, 100, 16001} {
		x := make([]float64, n)
		for i := range x {
			x[i] = math.Round(rnd.NormFloat64() * 8000)
		}
		a, g := make([]float64, n), make([]float64, n)
		preEmphasis32(a, x)
		preEmphasisGo(g, x)
		for i := 1; i < n; i++ {
			if math.Float64bits(a[i]) != math.Float64bits(g[i]) {
				t.Fatalf("pre-emphasis n=%d t=%d: %v, Go %v", n, i, a[i], g[i])
			}
		}
		c := rnd.Float64()
		sa, sg := make([]float64, n-1), make([]float64, n-1)
		subScaled(sa, x[1:], x[:n-1], c)
		subScaledGo(sg, x[1:], x[:n-1], c)
		for i := range sa {
			if math.Float64bits(sa[i]) != math.Float64bits(sg[i]) {
				t.Fatalf("subScaled n=%d i=%d: %v, Go %v", n, i, sa[i], sg[i])
			}
		}
		if nonFinite(x) != 0 {
			t.Fatalf("finite values reported as non-finite")
		}
		for _, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
			y := append([]float64(nil), x...)
			y[rnd.IntN(n)] = bad
			if v := nonFinite(y); !math.IsNaN(v) {
				t.Fatalf("n=%d: %v not detected (%v)", n, bad, v)
			}
		}
	}
	for _, frames := range []int{1, 4, 7, 99} {
		for _, h := range []int{3, 9, 129} {
			fpad := (frames + 3) / 4 * 4
			pt := make([]float64, h*fpad)
			for i := range pt {
				pt[i] = rnd.ExpFloat64() * 1e6
				if rnd.IntN(10) == 0 {
					pt[i] = 0
				}
			}
			for _, taps := range []int{1, 2, min(7, h-1)} {
				w := make([]float64, taps)
				for i := range w {
					w[i] = rnd.Float64()
				}
				a, g := make([]float64, 3*frames), make([]float64, 3*frames)
				filterFrames(a, 3, pt, fpad, frames, 1, w)
				filterFramesGo(g, 3, pt[fpad:(1+taps)*fpad], fpad, 0, frames, w)
				for i := range a {
					if math.Float64bits(a[i]) != math.Float64bits(g[i]) {
						t.Fatalf("filter frames=%d taps=%d i=%d: %v, Go %v", frames, taps, i, a[i], g[i])
					}
				}
			}
		}
	}
}
