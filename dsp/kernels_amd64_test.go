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
}

// TestLogMatchesMathLog checks that logs gives math.Log's bits on random
// positive numbers of every magnitude, on the values where the reduction
// changes (√2/2·2^k and its neighbours, powers of two, 1), and on values
// the kernel leaves to math.Log (zero, subnormals, negatives, Inf, NaN)
// wherever they sit in a group of four.
func TestLogMatchesMathLog(t *testing.T) {
	if !useAVX {
		t.Skip("no AVX2 on this machine")
	}
	rnd := rand.New(rand.NewPCG(6, 6))
	var x []float64
	for range 200000 {
		x = append(x, math.Float64frombits(rnd.Uint64()>>1)) // every positive float64, NaN and Inf included
		x = append(x, rnd.ExpFloat64()*math.Pow(10, float64(rnd.IntN(40)-20)))
	}
	h := math.Sqrt2 / 2
	for k := -1070; k <= 1023; k += 7 {
		for _, v := range []float64{h, math.Nextafter(h, 0), math.Nextafter(h, 1), 1, 0.5, math.Nextafter(1, 0)} {
			x = append(x, math.Ldexp(v, k))
		}
	}
	for _, v := range []float64{0, math.Copysign(0, -1), 5e-324, 2.2250738585072014e-308, -1, math.Inf(1), math.Inf(-1), math.NaN(), math.MaxFloat64} {
		for range 5 {
			x = append(x, 1.5)
			x = append(x, v)
		}
	}
	got := make([]float64, len(x))
	logs(got, x)
	for i, v := range x {
		want := math.Log(v)
		if math.Float64bits(got[i]) != math.Float64bits(want) && !(math.IsNaN(got[i]) && math.IsNaN(want)) {
			t.Fatalf("log(%v) (bits %#x) = %v, math.Log %v", v, math.Float64bits(v), got[i], want)
		}
	}
}

// TestGroupKernelsMatchGo checks the decibel and filterbank kernels of a
// group of four frames (AVX2 and, where the CPU has it, AVX-512) against
// their Go references, bit for bit. Not parallel: it switches kernels.
func TestGroupKernelsMatchGo(t *testing.T) {
	if !useAVX {
		t.Skip("no AVX2 on this machine")
	}
	has512 := useAVX512
	rnd := rand.New(rand.NewPCG(5, 5))
	for _, h := range []int{3, 4, 9, 65, 129} {
		p := make([]float64, 4*h)
		for i := range p {
			p[i] = rnd.ExpFloat64() * math.Pow(10, float64(rnd.IntN(16)-8))
			if rnd.IntN(10) == 0 {
				p[i] = 0
			}
		}
		if h == 65 {
			p[4*33+2] = math.Inf(1) // the kernel stops there and Go finishes
		}
		for _, nf := range []float64{-52, -100, 0, 11} {
			s := newDBScaler(nf)
			for _, clip1 := range []bool{false, true} {
				for frames := 1; frames <= 4; frames++ {
					for _, avx512 := range []bool{false, true} {
						if avx512 && !has512 {
							continue
						}
						useAVX512 = avx512
						a, g := make([]float64, 4*h+3), make([]float64, 4*h+3)
						dbGroup(a, h+1, p, h, frames, s, clip1, make([]float64, 4*h))
						dbGroupGo(g, h+1, p, 0, h, frames, s, clip1)
						useAVX512 = has512
						for i := range a {
							if math.Float64bits(a[i]) != math.Float64bits(g[i]) {
								t.Fatalf("dB h=%d nf=%v clip=%v frames=%d AVX-512 %v value %d: %v, Go %v", h, nf, clip1, frames, avx512, i, a[i], g[i])
							}
						}
					}
				}
			}
		}
		for _, filters := range []int{2, 8, 40} {
			if filters > h/2 {
				continue
			}
			bank, err := melFilterbank("mfe", filters, 2*(h-1), 16000, 0, 0, false)
			if err != nil {
				t.Fatal(err)
			}
			a, g := make([]float64, 4*filters+9), make([]float64, 4*filters+9)
			filterGroup(a, filters+3, p, bank)
			filterGroupGo(g, filters+3, p, bank)
			for i := range a {
				if math.Float64bits(a[i]) != math.Float64bits(g[i]) {
					t.Fatalf("filterbank h=%d filters=%d value %d: %v, Go %v", h, filters, i, a[i], g[i])
				}
			}
		}
	}
}

// TestMFCCKernelsMatchGo checks the DCT and the four-column pairwise sum
// against their Go references (and the latter against pairwiseSum), bit
// for bit.
func TestMFCCKernelsMatchGo(t *testing.T) {
	if !useAVX {
		t.Skip("no AVX2 on this machine")
	}
	rnd := rand.New(rand.NewPCG(3, 3))
	for _, frames := range []int{1, 2, 5, 50} {
		for _, m := range []int{2, 13, 32} {
			for _, kpad := range []int{16, 32} {
				logE := make([]float64, frames*m)
				for i := range logE {
					logE[i] = rnd.NormFloat64() * 10
				}
				dctT := make([]float64, m*kpad)
				for i := range dctT {
					dctT[i] = rnd.NormFloat64()
				}
				a, g := make([]float64, frames*(kpad+3)), make([]float64, frames*(kpad+3))
				dct(a, kpad+3, logE, m, dctT, kpad, frames)
				dctGo(g, kpad+3, logE, m, dctT, kpad, frames)
				for i := range a {
					if math.Float64bits(a[i]) != math.Float64bits(g[i]) {
						t.Fatalf("dct frames=%d m=%d kpad=%d value %d: %v, Go %v", frames, m, kpad, i, a[i], g[i])
					}
				}
			}
		}
	}
	for _, n := range []int{1, 7, 8, 9, 65, 128, 129, 257, 1025, 8193, 20000} {
		p := make([]float64, 4*n)
		for i := range p {
			p[i] = rnd.ExpFloat64() * math.Pow(10, float64(rnd.IntN(10)-5))
		}
		got := pairwise4(p, n)
		col := make([]float64, n)
		for l := range 4 {
			for i := range col {
				col[i] = p[4*i+l]
			}
			if want := pairwiseSum(col); math.Float64bits(got[l]) != math.Float64bits(want) {
				t.Fatalf("pairwise n=%d column %d: %v, pairwiseSum %v", n, l, got[l], want)
			}
		}
	}
}
