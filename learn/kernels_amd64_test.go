//go:build !noasm

package learn

import (
	"context"
	"iter"
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
				yg, ig := make([]float32, n), make([]int32, n)
				useAVX2 = false
				maxPool(x, yg, ig, nb, h, w, c)
				useAVX2 = true
				dy := randSlice(rng, n)
				for i := range dy {
					if rng.IntN(7) == 0 {
						dy[i] = float32(math.Copysign(0, -1))
					}
				}
				dg := make([]float32, len(x))
				pool2DBackward(dy, dg, ig, nb, h*w*c, n/nb)
				// The fused ReLU gradient, against reluBackward after pooling's.
				yin := slices.Clone(x)
				for i := range yin {
					switch rng.IntN(4) {
					case 0:
						yin[i] = 0
					case 1:
						yin[i] = float32(math.Copysign(0, -1)) // not zero bits: the gradient passes
					}
				}
				yo, io := make([]float32, n), make([]int32, n) // pooling the ReLU outputs
				useAVX2 = false
				maxPool(yin, yo, io, nb, h, w, c)
				useAVX2 = true
				dr := make([]float32, len(x))
				pool2DBackward(dy, dr, io, nb, h*w*c, n/nb)
				reluBackward(dr, yin, 0)
				for kern := range asmKernels() {
					ya, ia := make([]float32, n), make([]int32, n)
					maxPool(x, ya, ia, nb, h, w, c)
					if !sameBits(ya, yg) || !slices.Equal(ia, ig) {
						t.Fatalf("%s h=%d w=%d c=%d: asm %v %v, Go %v %v", kern, h, w, c, ya, ia, yg, ig)
					}
					da := randSlice(rng, len(x))
					poolBackward(dy, da, ia, nil, nil, nb, h, w, c)
					if !sameBits(da, dg) {
						t.Fatalf("%s backward h=%d w=%d c=%d: asm and Go differ", kern, h, w, c)
					}
					poolBackward(dy, da, io, yin, yo, nb, h, w, c)
					if !sameBits(da, dr) {
						t.Fatalf("%s backward with ReLU h=%d w=%d c=%d: asm and Go differ", kern, h, w, c)
					}
				}
				z := useAVX512
				useAVX2 = false
				useAVX512 = false
				dn := randSlice(rng, len(x))
				poolBackward(dy, dn, io, yin, yo, nb, h, w, c)
				useAVX2, useAVX512 = true, z
				if !sameBits(dn, dr) {
					t.Fatalf("Go backward with ReLU h=%d w=%d c=%d differs from reluBackward after pooling", h, w, c)
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
	for _, n := range []int{1, 4, 7, 8, 9, 16, 17, 20, 32, 33, 70} {
		for _, rows := range []int{1, 3, 4, 5, 8, 9, 13, 21} {
			for _, k := range []int{1, 2, 9} {
				for _, k1 := range []int{1, 3} {
					ldc, ars, ais, ldb := n+3, 2*k*k1+1, 2, n+1
					ais1 := 2*k + 5
					a := randSlice(rng, rows*ars+k1*ais1+k*ais)
					b := randSlice(rng, k1*k*ldb)
					c0 := randSlice(rng, rows*ldc)
					cg := slices.Clone(c0)
					gemmGo(cg, ldc, a, ars, ais, ais1, b, ldb, rows, k, k1, n)
					init := randSlice(rng, n)
					ci := slices.Clone(c0)
					for r := range rows {
						copy(ci[r*ldc:r*ldc+n], init)
					}
					gemmGo(ci, ldc, a, ars, ais, ais1, b, ldb, rows, k, k1, n)
					cr := slices.Clone(ci)
					for r := range rows {
						reluGo(cr[r*ldc : r*ldc+n])
					}
					for kern := range asmKernels() {
						ca := slices.Clone(c0)
						gemm2(ca, ldc, a, ars, ais, ais1, b, ldb, rows, k, k1, n)
						if !sameBits(ca, cg) {
							t.Fatalf("%s n=%d rows=%d k=%d k1=%d: asm and Go differ", kern, n, rows, k, k1)
						}
						ca = slices.Clone(c0)
						gemm2Init(ca, ldc, init, a, ars, ais, ais1, b, ldb, rows, k, k1, n, false)
						if !sameBits(ca, ci) {
							t.Fatalf("%s n=%d rows=%d k=%d k1=%d: asm and Go differ from init", kern, n, rows, k, k1)
						}
						ca = slices.Clone(c0)
						gemm2Init(ca, ldc, init, a, ars, ais, ais1, b, ldb, rows, k, k1, n, true)
						if !sameBits(ca, cr) {
							t.Fatalf("%s n=%d rows=%d k=%d k1=%d: asm and Go differ from init with ReLU", kern, n, rows, k, k1)
						}
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
		for _, taps := range []int{1, 3, 8, 15, 16, 17, 24, 39, 96} {
			for _, n := range []int{1, 5} {
				step := 3
				wtT := randSlice(rng, cout*taps)
				dz := randSlice(rng, n*cout)
				dx0 := randSlice(rng, (n-1)*step+taps)
				dg, dd := slices.Clone(dx0), slices.Clone(dx0)
				backInputTGo(dg, step, wtT, dz, cout, n, taps)
				for kern := range asmKernels() {
					da := slices.Clone(dx0)
					backInputT(da, step, wtT, dz, cout, n, taps)
					if !sameBits(da, dg) {
						t.Fatalf("%s cout=%d taps=%d n=%d: asm and Go differ", kern, cout, taps, n)
					}
				}
				w := make([]float32, taps*cout) // the kernel rows again, as dotRows reads them
				for o := range cout {
					for tp := range taps {
						w[tp*cout+o] = wtT[o*taps+tp]
					}
				}
				for p := range n {
					dotRowsGo(dd[p*step:p*step+taps], w, cout, dz[p*cout:], cout/8)
				}
				if !sameBits(dg, dd) {
					t.Fatalf("cout=%d taps=%d n=%d: Go and dotRows differ", cout, taps, n)
				}
			}
		}
	}
}

// trainParams trains a few epochs of cfg on blobs and returns the weights and
// batch normalisation state.
func trainParams(t *testing.T, in Input, cfg Config, n int) []float32 {
	t.Helper()
	d := blobs(n, in.Features(), 3, 2, 5)
	cfg.TrainingCycles = 2
	res, err := Train(context.Background(), cfg, in, d, Options{Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	return append(slices.Clone(res.Network.params), res.Network.state...)
}

// TestTrainAsmMatchesGo: whole trainings (dense, conv1d and conv2d networks
// with dropout, batch normalisation, odd sizes and widths that are not
// multiples of 8) give the same weights, bit for bit, with the assembly
// kernels and with their Go references, which is what -tags noasm builds.
func TestTrainAsmMatchesGo(t *testing.T) {
	if !useAVX || !useAVX2 {
		t.Skip("no AVX2 kernels on this build/CPU")
	}
	r := 0.25
	img := func(w, h, c int) Input { return Input{Kind: InputImage, Width: w, Height: h, Channels: c} }
	cases := []struct {
		in  Input
		cfg Config
		n   int
	}{
		{Input{Kind: InputFlat, Width: 33}, DefaultConfig(Input{Kind: InputFlat, Width: 33}), 200},
		{Input{Kind: InputFlat, Width: 20}, Config{VisualLayers: []VisualLayer{{Type: LayerDense, Neurons: 16}, {Type: LayerBatchNormalization}, {Type: LayerDropout, DropoutRate: &r}, {Type: LayerDense, Neurons: 5}}}, 100},
		{kwsInput, DefaultConfig(kwsInput), 80},
		{Input{Kind: InputMFCC, Width: 21, Height: 7}, Config{VisualLayers: []VisualLayer{{Type: LayerReshape, Columns: 7}, {Type: LayerConv1D, Neurons: 6, KernelSize: 5, Stack: 2}, {Type: LayerConv1D, Neurons: 24, KernelSize: 2}, {Type: LayerFlatten}}}, 60},
		{img(16, 16, 1), DefaultConfig(img(16, 16, 1)), 40},
		{img(11, 9, 3), Config{VisualLayers: []VisualLayer{{Type: LayerConv2D, Neurons: 8}, {Type: LayerConv2D, Neurons: 5, KernelSize: 2, Stack: 2}, {Type: LayerFlatten}, {Type: LayerDropout, DropoutRate: &r}}}, 40},
	}
	z := useAVX512
	defer func() { useAVX, useAVX2, useAVX512 = true, true, z }()
	for i, c := range cases {
		useAVX, useAVX2, useAVX512 = true, true, false
		asm := trainParams(t, c.in, c.cfg, c.n)
		useAVX, useAVX2 = false, false
		ref := trainParams(t, c.in, c.cfg, c.n)
		if !sameBits(asm, ref) {
			t.Errorf("case %d (%+v): the assembly kernels and the Go references trained different weights", i, c.in)
		}
		if z {
			useAVX, useAVX2, useAVX512 = true, true, true
			if !sameBits(trainParams(t, c.in, c.cfg, c.n), ref) {
				t.Errorf("case %d (%+v): the AVX-512 kernels and the Go references trained different weights", i, c.in)
			}
		}
	}
}

// TestReluAsmMatchesGo checks the ReLU kernels against the Go loops on
// values of both signs, ±0 and NaNs, bit for bit.
func TestReluAsmMatchesGo(t *testing.T) {
	if !useAVX2 {
		t.Skip("no AVX2 kernels on this build/CPU")
	}
	rng := rand.New(rand.NewPCG(9, 9))
	for _, n := range []int{1, 8, 13, 100} {
		y := randSlice(rng, n)
		for i := range y {
			switch rng.IntN(6) {
			case 0:
				y[i] = float32(math.Copysign(0, -1))
			case 1:
				y[i] = float32(math.NaN())
			}
		}
		ya, yg := slices.Clone(y), slices.Clone(y)
		relu(ya)
		useAVX2 = false
		relu(yg)
		useAVX2 = true
		dy := randSlice(rng, n)
		for _, g := range []float32{0, 1e-5} {
			da, dg := slices.Clone(dy), slices.Clone(dy)
			reluBackward(da, ya, g)
			useAVX2 = false
			reluBackward(dg, ya, g)
			useAVX2 = true
			if !sameBits(ya, yg) || !sameBits(da, dg) {
				t.Fatalf("n=%d g=%v: asm and Go differ", n, g)
			}
		}
	}
}

// asmKernels switches between the kernel sets this CPU has, AVX-512 (when
// present) and AVX, and returns their names; it leaves AVX-512 as it was.
func asmKernels() iter.Seq[string] {
	return func(yield func(string) bool) {
		z := useAVX512
		defer func() { useAVX512 = z }()
		if z && !yield("AVX-512") {
			return
		}
		useAVX512 = false
		yield("AVX")
	}
}

// TestConvBackwardAsmMatchesGo checks convBackwardPadded (kernel, bias and
// input gradients) with each kernel set against the Go references, bit for
// bit, on one- and three-channel inputs (the 3×3 single-channel kernel
// gradient has its own AVX-512 kernel) of odd and even sizes.
func TestConvBackwardAsmMatchesGo(t *testing.T) {
	if !useAVX || !useAVX2 {
		t.Skip("no AVX2 kernels on this build/CPU")
	}
	rng := rand.New(rand.NewPCG(11, 12))
	for _, k := range []int{2, 3} {
		for _, cin := range []int{1, 3, 16} {
			for _, cout := range []int{8, 13, 16, 20, 32, 40} {
				for _, hw := range [][2]int{{1, 1}, {1, 5}, {4, 3}, {8, 8}} {
					h, w, nb := hw[0], hw[1], 2
					hp, wp := h+k-1, w+k-1
					x := randSlice(rng, nb*h*w*cin)
					xp := make([]float32, nb*hp*wp*cin)
					padInput(xp, x, nb, h, w, cin, k, k)
					wt := randSlice(rng, k*k*cin*cout)
					dz := randSlice(rng, nb*h*w*cout)
					for i := range dz {
						switch rng.IntN(4) {
						case 0:
							dz[i] = 0
						case 1:
							dz[i] = float32(math.Copysign(0, -1))
						}
					}
					for p := 0; p < len(dz); p += 3 * cout { // positions with no gradient
						clear(dz[p : p+cout])
					}
					run := func(sparse bool) (dw, db, dx []float32) {
						dw, db = randSlice(rand.New(rand.NewPCG(1, 1)), len(wt)), make([]float32, cout)
						dx = make([]float32, len(xp))
						wtT := make([]float32, len(wt))
						patch := make([]float32, h*w*k*k*cin)
						var dwT []float32
						if sparse {
							dwT = make([]float32, len(wt))
						}
						convBackwardPadded(wt, dw, db, xp, dz, dx, wtT, patch, dwT, nb, h, w, cin, cout, k, k)
						return dw, db, dx
					}
					useAVX, useAVX2 = false, false
					z := useAVX512
					useAVX512 = false
					gw, gb, gx := run(false)
					sparse := cout <= 16 && k*cin%16 == 0 // sparseGrad's shapes
					if sparse {
						sw, sb, sx := run(true)
						if !sameBits(sw, gw) || !sameBits(sb, gb) || !sameBits(sx, gx) {
							t.Fatalf("k=%d cin=%d cout=%d h=%d w=%d: convDWSparse and the gemm differ", k, cin, cout, h, w)
						}
					}
					useAVX, useAVX2, useAVX512 = true, true, z
					for kern := range asmKernels() {
						for _, sp := range []bool{false, sparse} {
							aw, ab, ax := run(sp)
							if !sameBits(aw, gw) || !sameBits(ab, gb) || !sameBits(ax, gx) {
								t.Fatalf("%s (sparse %v) k=%d cin=%d cout=%d h=%d w=%d: asm and Go differ", kern, sp, k, cin, cout, h, w)
							}
						}
						if sparse {
							// With an infinite input and weight, x·0 is NaN: every
							// term must be computed, as the dense form does.
							j := len(xp) - wp*cin - cin - 1 // inside the last window's input
							x0, w0 := xp[j], wt[0]
							xp[j], wt[0] = float32(math.Inf(1)), float32(math.Inf(-1))
							dw, db, dx := run(false)
							sw, sb, sx := run(true)
							xp[j], wt[0] = x0, w0
							if !sameBits(sw, dw) || !sameBits(sb, db) || !sameBits(sx, dx) {
								t.Fatalf("%s k=%d cin=%d cout=%d h=%d w=%d: with an Inf, the sparse and dense forms differ", kern, k, cin, cout, h, w)
							}
						}
					}
				}
			}
		}
	}
}

// reluGo is relu's Go loop.
func reluGo(y []float32) {
	for j, v := range y {
		u := math.Float32bits(v)
		y[j] = math.Float32frombits(u &^ uint32(int32(u)>>31))
	}
}
