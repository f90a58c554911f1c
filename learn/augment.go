package learn

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// SpecAugment augments the spectrogram features of the training windows
// afresh before every epoch (Park et al., "SpecAugment", Interspeech
// 2019): every training window is replaced, for that epoch, by its
// features warped in time, with bands of frames and of frequency bins
// masked and with noise added. Validation windows are never changed.
//
// The feature map is the input's Width frames of Height bins (an MFCC,
// MFE or spectrogram input). In order:
//
//   - Warp moves a frame c, drawn from the inner frames, by up to
//     max(1, round(T/10)) of the T frames either way, stretching the
//     frames before it and squeezing those after it (or the other way) by
//     linear interpolation in time;
//   - each of TimeMasks masks sets a band of frames to the window's mean,
//     its width drawn uniformly from 0 to max(1, round(T/10)) and its
//     place uniformly;
//   - each of FreqMasks masks does the same to a band of bins, of width 0
//     to max(1, round(0.15·F)) of the F bins, in every frame;
//   - Noise adds Gaussian noise of Noise times the standard deviation of
//     the training features.
type SpecAugment struct {
	Warp                 bool
	TimeMasks, FreqMasks int
	Noise                float64
}

// validate checks the augmentation against the input.
func (a *SpecAugment) validate(in Input) error {
	switch in.Kind {
	case InputMFCC, InputMFE, InputSpectrogram:
	default:
		return fmt.Errorf("learn: spectrogram augmentation needs MFCC, MFE or spectrogram features (frames of bins), not a flat vector or an image")
	}
	if a.TimeMasks < 0 || a.FreqMasks < 0 || a.TimeMasks > 8 || a.FreqMasks > 8 {
		return fmt.Errorf("learn: spectrogram augmentation: %d time and %d frequency masks; each must be 0 to 8", a.TimeMasks, a.FreqMasks)
	}
	if !(a.Noise >= 0 && a.Noise <= 1) {
		return fmt.Errorf("learn: spectrogram augmentation: noise %v must be in [0, 1] (a fraction of the features' standard deviation)", a.Noise)
	}
	return nil
}

// windowAugmenter writes an augmented copy of a window.
type windowAugmenter interface {
	apply(dst, src []float32)
}

// augmenter applies a SpecAugment to windows of one input shape.
type augmenter struct {
	a              SpecAugment
	frames, bins   int
	noise          float32 // absolute standard deviation
	rng            *rand.Rand
	maxT, maxF, mw int
}

func newAugmenter(a SpecAugment, in Input, std float64, rng *rand.Rand) *augmenter {
	g := &augmenter{a: a, frames: in.Width, bins: in.Height, noise: float32(a.Noise * std), rng: rng}
	g.maxT = max(1, int(math.Round(0.1*float64(g.frames))))
	g.maxF = max(1, int(math.Round(0.15*float64(g.bins))))
	g.mw = max(1, int(math.Round(0.1*float64(g.frames))))
	return g
}

// apply writes the augmented src to dst (both frames·bins long).
func (g *augmenter) apply(dst, src []float32) {
	T, F := g.frames, g.bins
	if g.a.Warp && T >= 3 {
		c := 1 + g.rng.IntN(T-2) // 1 … T−2
		to := min(max(c+g.rng.IntN(2*g.mw+1)-g.mw, 1), T-2)
		for t := range T {
			// Source position of output frame t.
			var p float64
			if t < to {
				p = float64(t) * float64(c) / float64(to)
			} else {
				p = float64(c) + float64(t-to)*float64(T-1-c)/float64(T-1-to)
			}
			i := min(int(p), T-2)
			f := float32(p - float64(i))
			a, b := src[i*F:(i+1)*F], src[(i+1)*F:(i+2)*F]
			d := dst[t*F : (t+1)*F]
			for k := range d {
				d[k] = a[k] + f*(b[k]-a[k])
			}
		}
	} else {
		copy(dst, src)
	}
	if g.a.TimeMasks > 0 || g.a.FreqMasks > 0 {
		var sum float64
		for _, v := range src {
			sum += float64(v)
		}
		mean := float32(sum / float64(len(src)))
		for range g.a.TimeMasks {
			w := g.rng.IntN(min(g.maxT, T) + 1)
			s := g.rng.IntN(T - w + 1)
			for i := s * F; i < (s+w)*F; i++ {
				dst[i] = mean
			}
		}
		for range g.a.FreqMasks {
			w := g.rng.IntN(min(g.maxF, F) + 1)
			s := g.rng.IntN(F - w + 1)
			for t := range T {
				for k := s; k < s+w; k++ {
					dst[t*F+k] = mean
				}
			}
		}
	}
	if g.noise > 0 {
		for i := range dst {
			dst[i] += g.noise * float32(g.rng.NormFloat64())
		}
	}
}

// imageAugmenter augments image windows (Config.AugmentImage): the
// operations Edge Impulse's image-classification training describes for
// its "all" policy, as this package implements them.
type imageAugmenter struct {
	w, h, c int
	rng     *rand.Rand
	pad     []float32
}

func newImageAugmenter(in Input, rng *rand.Rand) *imageAugmenter {
	return &imageAugmenter{w: in.Width, h: in.Height, c: max(in.Channels, 1), rng: rng}
}

// apply writes src (h×w×c, row-major) to dst flipped left to right with
// probability ½, then zero-padded around its centre to a size drawn
// uniformly in [1, 1.2) times its own (rounded down) and cropped back to
// its size at a place drawn uniformly, then brightened by a delta drawn
// uniformly in [−0.2, 0.2) (every value; features are 0…1 pixels).
func (g *imageAugmenter) apply(dst, src []float32) {
	w, h, c := g.w, g.h, g.c
	flip := g.rng.IntN(2) == 1
	f := 1 + 0.2*g.rng.Float64()
	pw, ph := int(math.Floor(f*float64(w))), int(math.Floor(f*float64(h)))
	// Offsets of the image in the padded one, and of the crop.
	ox, oy := (pw-w)/2, (ph-h)/2
	cx, cy := g.rng.IntN(pw-w+1), g.rng.IntN(ph-h+1)
	delta := float32(0.4*g.rng.Float64() - 0.2)
	for y := range h {
		sy := y + cy - oy // row of src under output row y
		for x := range w {
			sx := x + cx - ox
			d := dst[(y*w+x)*c : (y*w+x+1)*c]
			if sy < 0 || sy >= h || sx < 0 || sx >= w {
				for k := range d {
					d[k] = delta
				}
				continue
			}
			if flip {
				sx = w - 1 - sx
			}
			s := src[(sy*w+sx)*c : (sy*w+sx+1)*c]
			for k := range d {
				d[k] = s[k] + delta
			}
		}
	}
}
