package learn

import (
	"math"
	"math/rand/v2"
	"testing"
)

func randSlice(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(rng.NormFloat64())
		if i%5 == 0 {
			s[i] = 0
		}
	}
	return s
}

func sameBits(a, b []float32) bool {
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return len(a) == len(b)
}

// TestKernelsAsmMatchGo checks that the assembly kernels give bit-identical
// results to their Go references (so training is reproducible on any CPU).
func TestKernelsAsmMatchGo(t *testing.T) {
	if !useAVX {
		t.Skip("no AVX kernels on this build/CPU")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range []int{8, 16, 24, 32, 48} {
		for _, n := range []int{0, 1, 3, 39, 100} {
			x, w := randSlice(rng, n), randSlice(rng, max(n, 1)*c)
			y0 := randSlice(rng, c)
			ya, yg := append([]float32(nil), y0...), append([]float32(nil), y0...)
			axpyRows(ya, x, w)
			if n > 0 {
				axpyRowsGo(yg, x, w)
			}
			if !sameBits(ya, yg) {
				t.Errorf("axpy c=%d n=%d: asm %v, Go %v", c, n, ya, yg)
			}
			dz := randSlice(rng, c)
			dw0, dx0 := randSlice(rng, len(w)), randSlice(rng, n)
			dwa, dxa := append([]float32(nil), dw0...), append([]float32(nil), dx0...)
			dwg, dxg := append([]float32(nil), dw0...), append([]float32(nil), dx0...)
			backRows(dwa, dxa, x, w, dz)
			for o := 0; o < c && n > 0; o += 8 {
				ger8Go(dwg[o:], c, x, dz[o:o+8])
			}
			dotRowsGo(dxg, w, c, dz, c/8)
			if !sameBits(dwa, dwg) || !sameBits(dxa, dxg) {
				t.Errorf("backRows c=%d n=%d: asm and Go differ", c, n)
			}
		}
	}
}
