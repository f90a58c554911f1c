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
//   - Warp moves a frame c, drawn from the inner frames, by up to a
//     tenth of the frames either way, stretching the frames before it and
//     squeezing those after it (or the other way) by linear
//     interpolation in time;
//   - each of TimeMasks masks sets up to a tenth of the frames (at least
//     one), a width and place drawn uniformly, to the window's mean;
//   - each of FreqMasks masks does the same to up to 15 % of the bins
//     (at least one), in every frame;
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
