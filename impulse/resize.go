package impulse

import (
	"image"
	"image/color"
	"math"

	"github.com/tinyimpulse/tinyimpulse/studio"
)

// resizeImage appends the pixels of img fitted into w×h, packed 0xRRGGBB
// row-major, following the input block's resize mode, method and crop
// anchor:
//
//   - squash scales each axis to the target independently;
//   - fit-short scales by s = max(w/iw, h/ih), so the image covers the
//     target, and crops the excess at the anchor;
//   - fit-long scales by s = min(w/iw, h/ih), so the image fits, and pads the
//     rest with black, centred;
//   - crop does not scale: it cuts w×h at the anchor, padding with black
//     where the image is smaller.
//
// Scaled sizes are round(iw·s) × round(ih·s). A centred offset is
// ⌊excess/2⌋ on the left (top). Scaling uses nearest neighbour (source pixel
// ⌊(x+½)·iw/sw⌋) or Lanczos-3 with Pillow's conventions (support scaled by
// the reduction factor, weights normalised, edge pixels clamped, rounding to
// 8 bits after the horizontal and after the vertical pass).
func resizeImage(dst []float64, img image.Image, w, h int, mode, method, anchor string) []float64 {
	src := toRGB(img)
	iw, ih := src.w, src.h
	sw, sh := iw, ih
	switch mode {
	case studio.ResizeSquash:
		sw, sh = w, h
	case studio.ResizeFitShort:
		s := math.Max(float64(w)/float64(iw), float64(h)/float64(ih))
		sw, sh = max(w, round(float64(iw)*s)), max(h, round(float64(ih)*s))
	case studio.ResizeFitLong:
		s := math.Min(float64(w)/float64(iw), float64(h)/float64(ih))
		sw, sh = min(w, max(1, round(float64(iw)*s))), min(h, max(1, round(float64(ih)*s)))
		anchor = defaultCropAnchor
	}
	scaled := src
	if sw != iw || sh != ih {
		if method == studio.ResizeNearest {
			scaled = src.nearest(sw, sh)
		} else {
			scaled = src.lanczos(sw, sh)
		}
	}
	ax, ay := anchorFractions(anchor)
	ox, oy := offset(sw-w, ax), offset(sh-h, ay)
	for y := range h {
		sy := y + oy
		for x := range w {
			sx := x + ox
			if sx < 0 || sy < 0 || sx >= sw || sy >= sh {
				dst = append(dst, 0)
				continue
			}
			i := 3 * (sy*sw + sx)
			dst = append(dst, float64(int(scaled.pix[i])<<16|int(scaled.pix[i+1])<<8|int(scaled.pix[i+2])))
		}
	}
	return dst
}

// anchorFractions returns 0, 1 or 2 (start, centre, end) per axis.
func anchorFractions(anchor string) (x, y int) {
	switch anchor {
	case "top-left":
		return 0, 0
	case "top-center":
		return 1, 0
	case "top-right":
		return 2, 0
	case "middle-left":
		return 0, 1
	case "middle-right":
		return 2, 1
	case "bottom-left":
		return 0, 2
	case "bottom-center":
		return 1, 2
	case "bottom-right":
		return 2, 2
	}
	return 1, 1
}

// offset returns where the target starts in the scaled image along one axis,
// given the excess (scaled − target, negative when the target is larger).
func offset(excess, anchor int) int {
	switch anchor {
	case 0:
		return 0
	case 2:
		return excess
	}
	if excess >= 0 {
		return excess / 2
	}
	return -((-excess) / 2)
}

// rgb is an 8-bit RGB image, 3 bytes per pixel, row-major.
type rgb struct {
	w, h int
	pix  []uint8
}

// toRGB reads img's straight (non-premultiplied) 8-bit RGB values; alpha is
// dropped.
func toRGB(img image.Image) *rgb {
	b := img.Bounds()
	out := &rgb{w: b.Dx(), h: b.Dy(), pix: make([]uint8, 3*b.Dx()*b.Dy())}
	i := 0
	switch m := img.(type) {
	case *image.Gray:
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				v := m.GrayAt(x, y).Y
				out.pix[i], out.pix[i+1], out.pix[i+2] = v, v, v
				i += 3
			}
		}
	default:
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
				out.pix[i], out.pix[i+1], out.pix[i+2] = c.R, c.G, c.B
				i += 3
			}
		}
	}
	return out
}

func (m *rgb) nearest(w, h int) *rgb {
	out := &rgb{w: w, h: h, pix: make([]uint8, 3*w*h)}
	for y := range h {
		sy := min(m.h-1, int((float64(y)+0.5)*float64(m.h)/float64(h)))
		for x := range w {
			sx := min(m.w-1, int((float64(x)+0.5)*float64(m.w)/float64(w)))
			copy(out.pix[3*(y*w+x):3*(y*w+x)+3], m.pix[3*(sy*m.w+sx):])
		}
	}
	return out
}

// lanczos3 is the Lanczos kernel with a = 3.
func lanczos3(x float64) float64 {
	x = math.Abs(x)
	if x >= 3 {
		return 0
	}
	if x < 1e-12 {
		return 1
	}
	px := math.Pi * x
	return 3 * math.Sin(px) * math.Sin(px/3) / (px * px)
}

// coefficients returns, for each of out output positions, the first input
// index and the normalised weights of a Lanczos-3 resampling of in values.
func coefficients(in, out int) (starts []int, weights [][]float64) {
	scale := float64(in) / float64(out)
	fscale := math.Max(scale, 1)
	support := 3 * fscale
	starts = make([]int, out)
	weights = make([][]float64, out)
	for o := range out {
		center := (float64(o) + 0.5) * scale
		lo := max(int(center-support+0.5), 0)
		hi := min(int(center+support+0.5), in)
		ws := make([]float64, hi-lo)
		sum := 0.0
		for i := lo; i < hi; i++ {
			ws[i-lo] = lanczos3((float64(i) + 0.5 - center) / fscale)
			sum += ws[i-lo]
		}
		if sum != 0 {
			for i := range ws {
				ws[i] /= sum
			}
		}
		starts[o], weights[o] = lo, ws
	}
	return starts, weights
}

func clamp8(v float64) uint8 {
	v = math.Round(v)
	switch {
	case v <= 0:
		return 0
	case v >= 255:
		return 255
	}
	return uint8(v)
}

// lanczos resizes with Lanczos-3: horizontally, then vertically.
func (m *rgb) lanczos(w, h int) *rgb {
	tmp := m
	if w != m.w {
		starts, weights := coefficients(m.w, w)
		tmp = &rgb{w: w, h: m.h, pix: make([]uint8, 3*w*m.h)}
		for y := range m.h {
			row := m.pix[3*y*m.w:]
			for x := range w {
				var r, g, b float64
				for k, wt := range weights[x] {
					p := row[3*(starts[x]+k):]
					r += wt * float64(p[0])
					g += wt * float64(p[1])
					b += wt * float64(p[2])
				}
				i := 3 * (y*w + x)
				tmp.pix[i], tmp.pix[i+1], tmp.pix[i+2] = clamp8(r), clamp8(g), clamp8(b)
			}
		}
	}
	if h == tmp.h {
		return tmp
	}
	starts, weights := coefficients(tmp.h, h)
	out := &rgb{w: w, h: h, pix: make([]uint8, 3*w*h)}
	for y := range h {
		for x := range w {
			var r, g, b float64
			for k, wt := range weights[y] {
				p := tmp.pix[3*((starts[y]+k)*w+x):]
				r += wt * float64(p[0])
				g += wt * float64(p[1])
				b += wt * float64(p[2])
			}
			i := 3 * (y*w + x)
			out.pix[i], out.pix[i+1], out.pix[i+2] = clamp8(r), clamp8(g), clamp8(b)
		}
	}
	return out
}
