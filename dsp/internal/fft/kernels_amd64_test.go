//go:build !noasm

package fft

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestAssemblyMatchesGo checks that the AVX passes give exactly the bits of
// the Go passes, for every length and for inputs shorter than, equal to and
// longer than the transform.
func TestAssemblyMatchesGo(t *testing.T) {
	if !useAVX || !useAVX2 {
		t.Skip("no AVX2 on this machine")
	}
	defer func(a, b bool) { useAVX, useAVX2 = a, b }(useAVX, useAVX2)
	rnd := rand.New(rand.NewPCG(9, 9))
	for n := 1; n <= 1<<14; n *= 2 {
		p, _ := NewReal(n)
		for _, l := range []int{n, n/2 + 1, 2*n + 1} {
			x := make([]float64, l)
			for i := range x {
				x[i] = rnd.NormFloat64() * math.Pow(10, float64(rnd.IntN(8)-4))
			}
			useAVX, useAVX2 = true, true
			asm := p.PowerTo(nil, x, 1/float64(n))
			ca := p.Coefficients(nil, x)
			useAVX, useAVX2 = false, false
			ref := p.PowerTo(nil, x, 1/float64(n))
			cr := p.Coefficients(nil, x)
			for k := range ref {
				if math.Float64bits(asm[k]) != math.Float64bits(ref[k]) || ca[k] != cr[k] {
					t.Fatalf("n=%d len=%d k=%d: assembly %v/%v, Go %v/%v", n, l, k, asm[k], ca[k], ref[k], cr[k])
				}
			}
		}
	}
}

// TestBatchAssemblyMatchesGo checks that the batch's AVX kernels give
// exactly the bits of their Go references.
func TestBatchAssemblyMatchesGo(t *testing.T) {
	if !useAVX || !useAVX2 {
		t.Skip("no AVX2 on this machine")
	}
	defer func(a, b bool) { useAVX, useAVX2 = a, b }(useAVX, useAVX2)
	rnd := rand.New(rand.NewPCG(8, 8))
	for n := 1; n <= 1<<14; n *= 2 {
		p, _ := NewReal(n)
		b := p.NewBatch()
		h := n/2 + 1
		var x [4][]float64
		for l := range x {
			x[l] = make([]float64, n+l)
			for i := range x[l] {
				x[l][i] = rnd.NormFloat64() * math.Pow(10, float64(rnd.IntN(8)-4))
			}
		}
		asm, ref := make([]float64, 5*h), make([]float64, 5*h)
		useAVX, useAVX2 = true, true
		b.PowerTo(asm, 5, &x, 1/float64(n))
		useAVX, useAVX2 = false, false
		b.PowerTo(ref, 5, &x, 1/float64(n))
		for i := range ref {
			if math.Float64bits(asm[i]) != math.Float64bits(ref[i]) {
				t.Fatalf("n=%d value %d: assembly %v, Go %v", n, i, asm[i], ref[i])
			}
		}
	}
}
