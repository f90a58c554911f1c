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
	for _, fpad := range []int{4, 8, 52, 100} {
		for _, taps := range []int{1, 2, 7} {
			pt := make([]float64, (taps+3)*fpad)
			for i := range pt {
				pt[i] = rnd.ExpFloat64() * 1e6
			}
			w := make([]float64, taps)
			for i := range w {
				w[i] = rnd.Float64()
			}
			a, g := make([]float64, fpad), make([]float64, fpad)
			filterRows(a, pt, fpad, 2, w)
			filterRowsGo(g, pt[2*fpad:(2+taps)*fpad], fpad, w)
			for i := range a {
				if math.Float64bits(a[i]) != math.Float64bits(g[i]) {
					t.Fatalf("filter rows fpad=%d taps=%d i=%d: %v, Go %v", fpad, taps, i, a[i], g[i])
				}
			}
		}
	}
}
