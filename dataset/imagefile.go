package dataset

import (
	"bytes"
	"image"
	"image/jpeg"
	"image/png"
)

// maxImagePixels bounds the images a dataset may hold (64 megapixels).
const maxImagePixels = 1 << 26

// decodeImage decodes a PNG or JPEG sample.
func decodeImage(data []byte, isPNG bool) (*Sample, error) {
	var (
		img image.Image
		cfg image.Config
		err error
	)
	if isPNG {
		cfg, err = png.DecodeConfig(bytes.NewReader(data))
	} else {
		cfg, err = jpeg.DecodeConfig(bytes.NewReader(data))
	}
	if err != nil {
		return nil, formatError("cannot decode image: %v", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > maxImagePixels {
		return nil, formatError("image of %d×%d pixels is empty or larger than %d pixels", cfg.Width, cfg.Height, maxImagePixels)
	}
	if isPNG {
		img, err = png.Decode(bytes.NewReader(data))
	} else {
		img, err = jpeg.Decode(bytes.NewReader(data))
	}
	if err != nil {
		return nil, formatError("cannot decode image: %v", err)
	}
	if b := img.Bounds(); b.Dx() <= 0 || b.Dy() <= 0 {
		return nil, formatError("image is empty")
	}
	return &Sample{Image: img}, nil
}
