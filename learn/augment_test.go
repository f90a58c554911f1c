package learn

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// ramp is a spectrogram whose frame t holds t + k/100 in bin k.
func ramp(frames, bins int) []float32 {
	x := make([]float32, frames*bins)
	for t := range frames {
		for k := range bins {
			x[t*bins+k] = float32(t) + float32(k)/100
		}
	}
	return x
}

func TestSpecAugmentIdentity(t *testing.T) {
	in := Input{Kind: InputMFCC, Width: 20, Height: 13}
	src := ramp(20, 13)
	dst := make([]float32, len(src))
	newAugmenter(SpecAugment{}, in, 1, rand.New(rand.NewPCG(1, 1))).apply(dst, src)
	if !slices.Equal(dst, src) {
		t.Error("an augmentation of nothing changed the window")
	}
}

// TestSpecAugmentMasks: every changed value is the window's mean; time
// masks cover whole frames, at most a tenth of them each (2 of 20),
// frequency masks whole bins in every frame, at most 15 % each (2 of 13).
func TestSpecAugmentMasks(t *testing.T) {
	const T, F = 20, 13
	in := Input{Kind: InputMFE, Width: T, Height: F}
	src := ramp(T, F)
	var sum float64
	for _, v := range src {
		sum += float64(v)
	}
	mean := float32(sum / float64(len(src)))
	rng := rand.New(rand.NewPCG(2, 2))
	for _, a := range []SpecAugment{{TimeMasks: 1}, {FreqMasks: 1}, {TimeMasks: 2, FreqMasks: 2}} {
		g := newAugmenter(a, in, 1, rng)
		sawMask := false
		for range 200 {
			dst := make([]float32, len(src))
			g.apply(dst, src)
			var frames, bins []int
			for tt := range T {
				all := true
				for k := range F {
					i := tt*F + k
					if dst[i] != src[i] && dst[i] != mean {
						t.Fatalf("%+v: value %d is %v, neither the original %v nor the mean %v", a, i, dst[i], src[i], mean)
					}
					all = all && dst[i] == mean
				}
				if all {
					frames = append(frames, tt)
				}
			}
			for k := range F {
				all := true
				for tt := range T {
					all = all && dst[tt*F+k] == mean
				}
				if all {
					bins = append(bins, k)
				}
			}
			for i := range dst {
				if dst[i] == mean && !slices.Contains(frames, i/F) && !slices.Contains(bins, i%F) {
					t.Fatalf("%+v: value %d masked outside a whole frame or bin", a, i)
				}
			}
			if a.FreqMasks == 0 && len(frames) > a.TimeMasks*2 || a.TimeMasks == 0 && len(bins) > a.FreqMasks*2 {
				t.Fatalf("%+v: %d frames and %d bins masked", a, len(frames), len(bins))
			}
			sawMask = sawMask || len(frames)+len(bins) > 0
		}
		if !sawMask {
			t.Errorf("%+v: 200 windows, no mask", a)
		}
	}
}

// TestSpecAugmentWarp: a ramp in time stays a ramp from 0 to T−1 —
// non-decreasing, with its first and last frames fixed, each frame one
// value across its bins shifted as the original — and moves.
func TestSpecAugmentWarp(t *testing.T) {
	const T, F = 30, 4
	in := Input{Kind: InputSpectrogram, Width: T, Height: F}
	src := ramp(T, F)
	g := newAugmenter(SpecAugment{Warp: true}, in, 1, rand.New(rand.NewPCG(3, 3)))
	moved := false
	for range 100 {
		dst := make([]float32, len(src))
		g.apply(dst, src)
		if dst[0] != 0 || math.Abs(float64(dst[(T-1)*F]-(T-1))) > 1e-4 {
			t.Fatalf("warped ramp runs from %v to %v, want 0 to %d", dst[0], dst[(T-1)*F], T-1)
		}
		for tt := range T {
			for k := range F {
				if d := dst[tt*F+k] - dst[tt*F]; math.Abs(float64(d-float32(k)/100)) > 1e-4 {
					t.Fatalf("frame %d bin %d is %v above bin 0, want %v", tt, k, d, float32(k)/100)
				}
			}
			if tt > 0 && dst[tt*F] < dst[(tt-1)*F] {
				t.Fatalf("warped ramp decreases at frame %d", tt)
			}
			moved = moved || math.Abs(float64(dst[tt*F]-float32(tt))) > 0.5
		}
	}
	if !moved {
		t.Error("100 warps moved no frame by half a frame")
	}
}

// TestSpecAugmentNoise: the added noise has Noise times the given
// standard deviation (0.1 · 2 = 0.2; 20,000 values: within 3 %).
func TestSpecAugmentNoise(t *testing.T) {
	in := Input{Kind: InputMFCC, Width: 100, Height: 20}
	src := ramp(100, 20)
	g := newAugmenter(SpecAugment{Noise: 0.1}, in, 2, rand.New(rand.NewPCG(4, 4)))
	var sq float64
	n := 0
	for range 10 {
		dst := make([]float32, len(src))
		g.apply(dst, src)
		for i := range dst {
			d := float64(dst[i] - src[i])
			sq += d * d
			n++
		}
	}
	if sd := math.Sqrt(sq / float64(n)); math.Abs(sd-0.2) > 0.006 {
		t.Errorf("noise standard deviation %v, want 0.2", sd)
	}
}

// TestTrainSpecAugment: augmented training validates on the same windows,
// is deterministic, trains differently from plain training, and needs
// spectrogram features.
func TestTrainSpecAugment(t *testing.T) {
	t.Parallel()
	d, in := kwsLike(120, 6)
	cfg := DefaultConfig(in)
	cfg.TrainingCycles = 3
	plain, err := Train(context.Background(), cfg, in, d, Options{Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Augment = &SpecAugment{Warp: true, TimeMasks: 2, FreqMasks: 2, Noise: 0.1}
	a, err := Train(context.Background(), cfg, in, d, Options{Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Train(context.Background(), cfg, in, d, Options{Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a.Validation, plain.Validation) {
		t.Error("augmentation changed the validation windows")
	}
	if !slices.Equal(a.Network.params, b.Network.params) {
		t.Error("the same seed trained two networks")
	}
	if slices.Equal(a.Network.params, plain.Network.params) {
		t.Error("augmented and plain training gave the same network")
	}
	flat := Input{Kind: InputFlat, Width: in.Features()}
	fc := DefaultConfig(flat)
	fc.Augment = cfg.Augment
	if _, err := Train(context.Background(), fc, flat, d, Options{Seed: 4}); err == nil || !strings.Contains(err.Error(), "spectrogram") {
		t.Errorf("flat input: error %v", err)
	}
	cfg.Augment = &SpecAugment{Noise: 2}
	if _, err := Train(context.Background(), cfg, in, d, Options{Seed: 4}); err == nil {
		t.Error("noise 2: no error")
	}
}

// TestImageAugment: every output is the input, flipped or not, shifted by
// at most the padding (a tenth of the side either way), with padding
// where the shift uncovers nothing, all brightened by one delta in
// [−0.2, 0.2); flips and shifts both occur.
func TestImageAugment(t *testing.T) {
	const w, h, c = 10, 8, 2
	in := Input{Kind: InputImage, Width: w, Height: h, Channels: c}
	src := make([]float32, w*h*c)
	for i := range src {
		src[i] = 0.3 + float32(i)/1000
	}
	g := newImageAugmenter(in, rand.New(rand.NewPCG(5, 5)))
	var flips, shifts int
	for range 300 {
		dst := make([]float32, len(src))
		g.apply(dst, src)
		found := false
		for _, flip := range []bool{false, true} {
			for dy := -1; dy <= 1 && !found; dy++ {
				for dx := -1; dx <= 1 && !found; dx++ {
					// delta from any pixel that stays inside.
					var delta float32
					ok, set := true, false
					for y := 0; y < h && ok; y++ {
						for x := 0; x < w && ok; x++ {
							sy, sx := y+dy, x+dx
							inside := sy >= 0 && sy < h && sx >= 0 && sx < w
							if flip {
								sx = w - 1 - sx
							}
							for k := range c {
								got := dst[(y*w+x)*c+k]
								if !inside {
									if set && math.Abs(float64(got-delta)) > 1e-6 {
										ok = false
									}
									continue
								}
								d := got - src[(sy*w+sx)*c+k]
								if !set {
									delta, set = d, true
								}
								ok = ok && math.Abs(float64(d-delta)) < 1e-6
							}
						}
					}
					if ok && delta >= -0.2 && delta < 0.2 {
						found = true
						if flip {
							flips++
						}
						if dx != 0 || dy != 0 {
							shifts++
						}
					}
				}
			}
		}
		if !found {
			t.Fatalf("output is no flip and shift of at most one pixel of the input plus one delta: %v", dst)
		}
	}
	if flips < 100 || flips > 200 || shifts == 0 {
		t.Errorf("300 draws: %d flipped, %d shifted; want about half flipped, some shifted", flips, shifts)
	}
}

func TestTrainImageAugment(t *testing.T) {
	t.Parallel()
	in := Input{Kind: InputImage, Width: 6, Height: 6, Channels: 1}
	d := blobs(90, in.Features(), 3, 2, 8)
	cfg := Config{TrainingCycles: 3, VisualLayers: []VisualLayer{{Type: LayerConv2D, Neurons: 4}, {Type: LayerFlatten}}}
	plain, err := Train(context.Background(), cfg, in, d, Options{Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	cfg.AugmentImage = true
	a, err := Train(context.Background(), cfg, in, d, Options{Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Train(context.Background(), cfg, in, d, Options{Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a.Validation, plain.Validation) || !slices.Equal(a.Network.params, b.Network.params) || slices.Equal(a.Network.params, plain.Network.params) {
		t.Error("image augmentation: another validation split, a seed giving two networks, or no effect")
	}
	flat := Input{Kind: InputFlat, Width: in.Features()}
	if _, err := Train(context.Background(), Config{TrainingCycles: 1, AugmentImage: true}, flat, d, Options{}); err == nil {
		t.Error("image augmentation of flat features: no error")
	}
}
