package dsp

import (
	"fmt"
	"image"
	"math"
	"slices"
)

// ImageConfig holds the parameters of Edge Impulse's "image" block.
type ImageConfig struct {
	// ImplementationVersion is the block version; 0 means the latest, 1.
	ImplementationVersion int `json:"-"`
	// Channels is "RGB" (default) or "Grayscale".
	Channels string `json:"channels"`
}

// DefaultImageConfig returns Studio's defaults: RGB.
func DefaultImageConfig() ImageConfig { return ImageConfig{Channels: "RGB"} }

// UnmarshalJSON reads Studio's parameters, starting from the defaults.
func (c *ImageConfig) UnmarshalJSON(b []byte) error {
	return unmarshalParams("image", b, c.setParams)
}

func (c *ImageConfig) setParams(p map[string]any) error {
	v := c.ImplementationVersion
	*c = DefaultImageConfig()
	c.ImplementationVersion = v
	r := newParamReader("image", p)
	r.str("channels", &c.Channels)
	return r.done()
}

// Image is Edge Impulse's "image" block. Each pixel arrives packed as
// 0xRRGGBB; RGB output is R/255, G/255, B/255 per pixel (height × width ×
// channels, row-major from the top-left), grayscale output is
// (0.299/255)·R + (0.587/255)·G + (0.114/255)·B. Several frames of
// Width·Height pixels may follow one another; their features are
// concatenated.
type Image struct {
	cfg    ImageConfig
	in     Input
	frames int
	gray   bool
}

// Lookup tables: the exact float64 results of the Python block's
// per-channel arithmetic for each byte value.
var (
	byteOver255 [256]float64
	grayR       [256]float64
	grayG       [256]float64
	grayB       [256]float64
)

func init() {
	for i := range 256 {
		v := float64(i)
		byteOver255[i] = v / 255.0
		grayR[i] = (0.299 / 255) * v
		grayG[i] = (0.587 / 255) * v
		grayB[i] = (0.114 / 255) * v
	}
}

// NewImage returns an image block for windows of in.Samples pixels, each
// frame in.Width × in.Height. in.Samples must be a positive multiple of
// Width·Height.
func NewImage(cfg ImageConfig, in Input) (*Image, error) {
	if err := resolveVersion("image", &cfg.ImplementationVersion, "implementation_version should be 1"); err != nil {
		return nil, err
	}
	b := &Image{cfg: cfg, in: in}
	switch cfg.Channels {
	case "RGB":
	case "Grayscale":
		b.gray = true
	default:
		return nil, &ConfigError{Block: "image", Param: "channels", Value: cfg.Channels, Reason: `must be "RGB" or "Grayscale"`}
	}
	switch {
	case in.Width < 1 || in.Height < 1:
		return nil, &ConfigError{Block: "image", Param: "width/height", Value: fmt.Sprintf("%dx%d", in.Width, in.Height), Reason: "image dimensions must be positive"}
	case in.Width > maxSamples || in.Height > maxSamples || in.Width*in.Height > maxSamples:
		return nil, &ConfigError{Block: "image", Param: "width/height", Value: fmt.Sprintf("%dx%d", in.Width, in.Height), Reason: "image is too large"}
	case in.Samples == 0:
		b.in.Samples = in.Width * in.Height
	case in.Samples < 0 || in.Samples%(in.Width*in.Height) != 0 || in.Samples > maxSamples:
		return nil, &ConfigError{Block: "image", Reason: fmt.Sprintf("%d pixels is not a whole number of %dx%d frames", in.Samples, in.Width, in.Height)}
	}
	b.in.Axes = 1
	b.frames = b.in.Samples / (in.Width * in.Height)
	return b, nil
}

// AppendFeatures appends the normalised channels of every pixel in window,
// which holds packed 0xRRGGBB values (integers in [0, 2³²); bits above the
// lowest 24 are ignored, as the Python block's uint32 cast does).
func (b *Image) AppendFeatures(dst, window []float64) ([]float64, error) {
	if len(window) != b.in.Samples {
		return dst, fmt.Errorf("%w: image: window has %d pixels, want %d (%d frames of %dx%d)", ErrInput, len(window), b.in.Samples, b.frames, b.in.Width, b.in.Height)
	}
	n0 := len(dst)
	dst = slices.Grow(dst, b.NumFeatures())
	for i, v := range window {
		// The range test also rejects NaN.
		if !(v >= 0 && v < 1<<32) || v != math.Trunc(v) {
			return dst[:n0], fmt.Errorf("%w: image: pixel %d is %v, want an integer 0xRRGGBB", ErrInput, i, v)
		}
		p := uint32(v)
		r, g, bl := p>>16&255, p>>8&255, p&255
		if b.gray {
			dst = append(dst, grayR[r]+grayG[g]+grayB[bl])
		} else {
			dst = append(dst, byteOver255[r], byteOver255[g], byteOver255[bl])
		}
	}
	return dst, nil
}

// AppendImage appends the features of img, which must be in.Width ×
// in.Height pixels (one frame), read through its color model's 8-bit RGB
// values. Alpha is ignored.
func (b *Image) AppendImage(dst []float64, img image.Image) ([]float64, error) {
	r := img.Bounds()
	if r.Dx() != b.in.Width || r.Dy() != b.in.Height || b.frames != 1 {
		return dst, fmt.Errorf("%w: image: got a %dx%d image, want one %dx%d frame", ErrInput, r.Dx(), r.Dy(), b.in.Width, b.in.Height)
	}
	dst = slices.Grow(dst, b.NumFeatures())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			r8, g8, b8 := cr>>8, cg>>8, cb>>8
			if b.gray {
				dst = append(dst, grayR[r8]+grayG[g8]+grayB[b8])
			} else {
				dst = append(dst, byteOver255[r8], byteOver255[g8], byteOver255[b8])
			}
		}
	}
	return dst, nil
}

func (b *Image) channels() int {
	if b.gray {
		return 1
	}
	return 3
}

// NumFeatures returns frames·width·height·channels.
func (b *Image) NumFeatures() int { return b.in.Samples * b.channels() }

// Output returns an image output with the frame dimensions, channel count
// and number of frames.
func (b *Image) Output() OutputConfig {
	return OutputConfig{Type: "image", Shape: OutputShape{Width: float64(b.in.Width), Height: b.in.Height, Channels: b.channels(), Frames: b.frames}}
}

// Labels returns nil: the image block has no feature labels.
func (b *Image) Labels() []string { return nil }

// Cost returns one normalisation per output value.
func (b *Image) Cost() Cost {
	c := Cost{Block: TypeImage, Samples: b.in.Samples, Pixels: b.in.Samples, Channels: b.channels(), Features: b.NumFeatures()}
	n := c.Pixels * max(c.Channels, 1)
	c.Cycles = 25 * float64(n)
	c.RAM = 4*n + 1024
	c.ROM = 3072
	return c
}
