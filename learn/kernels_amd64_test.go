//go:build !noasm

package learn

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestPoolAsmMatchesGo checks the max-pooling kernels against the Go loops,
// values and argmax indices, on inputs with ties and NaNs, for even and odd
// sizes in one and two dimensions.
func TestPoolAsmMatchesGo(t *testing.T) {
	if !useAVX2 {
		t.Skip("no AVX2 kernels on this build/CPU")
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, h := range []int{1, 2, 3, 6, 7} {
		for _, w := range []int{1, 2, 5, 8, 9} {
			for _, c := range []int{8, 16, 32} {
				nb := 3
				x := make([]float32, nb*h*w*c)
				for i := range x {
					x[i] = float32(rng.IntN(5)) // many ties
					if rng.IntN(40) == 0 {
						x[i] = float32(math.NaN())
					}
				}
				oh, ow := (h+1)/2, (w+1)/2
				n := nb * oh * ow * c
				ya, yg := make([]float32, n), make([]float32, n)
				ia, ig := make([]int32, n), make([]int32, n)
				maxPool(x, ya, ia, nb, h, w, c)
				useAVX2 = false
				maxPool(x, yg, ig, nb, h, w, c)
				useAVX2 = true
				if !sameBits(ya, yg) || !slices.Equal(ia, ig) {
					t.Fatalf("h=%d w=%d c=%d: asm %v %v, Go %v %v", h, w, c, ya, ia, yg, ig)
				}
			}
		}
	}
}

// TestGemmAsmMatchesGo checks gemm2's AVX blocks (sixteen and eight columns,
// four and eight rows, masked widths, strided operands, groups of steps)
// against gemmGo, bit for bit.
func TestGemmAsmMatchesGo(t *testing.T) {
	if !useAVX {
		t.Skip("no AVX kernels on this build/CPU")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{1, 4, 7, 8, 9, 16, 20, 33} {
		for _, rows := range []int{1, 3, 4, 5, 8, 13} {
			for _, k := range []int{1, 2, 9} {
				for _, k1 := range []int{1, 3} {
					ldc, ars, ais, ldb := n+3, 2*k*k1+1, 2, n+1
					ais1 := 2*k + 5
					a := randSlice(rng, rows*ars+k1*ais1+k*ais)
					b := randSlice(rng, k1*k*ldb)
					c0 := randSlice(rng, rows*ldc)
					ca, cg := slices.Clone(c0), slices.Clone(c0)
					gemm2(ca, ldc, a, ars, ais, ais1, b, ldb, rows, k, k1, n)
					gemmGo(cg, ldc, a, ars, ais, ais1, b, ldb, rows, k, k1, n)
					if !sameBits(ca, cg) {
						t.Fatalf("n=%d rows=%d k=%d k1=%d: asm and Go differ", n, rows, k, k1)
					}
				}
			}
		}
	}
}

// TestBackInputAsmMatchesGo checks dxRowAVX against backInputTGo (and both
// against dotRows' sums, taken one tap at a time), bit for bit.
func TestBackInputAsmMatchesGo(t *testing.T) {
	if !useAVX {
		t.Skip("no AVX kernels on this build/CPU")
	}
	rng := rand.New(rand.NewPCG(7, 8))
	for _, cout := range []int{8, 16, 32} {
		for _, taps := range []int{1, 3, 8, 24, 39, 96} {
			for _, n := range []int{1, 5} {
				step := 3
				wtT := randSlice(rng, cout*taps)
				dz := randSlice(rng, n*cout)
				dx0 := randSlice(rng, (n-1)*step+taps)
				da, dg, dd := slices.Clone(dx0), slices.Clone(dx0), slices.Clone(dx0)
				backInputT(da, step, wtT, dz, cout, n, taps)
				backInputTGo(dg, step, wtT, dz, cout, n, taps)
				w := make([]float32, taps*cout) // the kernel rows again, as dotRows reads them
				for o := range cout {
					for tp := range taps {
						w[tp*cout+o] = wtT[o*taps+tp]
					}
				}
				for p := range n {
					dotRowsGo(dd[p*step:p*step+taps], w, cout, dz[p*cout:], cout/8)
				}
				if !sameBits(da, dg) || !sameBits(dg, dd) {
					t.Fatalf("cout=%d taps=%d n=%d: asm, Go and dotRows differ", cout, taps, n)
				}
			}
		}
	}
}
