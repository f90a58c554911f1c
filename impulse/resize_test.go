package impulse

import (
	"encoding/json"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/tinyimpulse/tinyimpulse/studio"
)

// px packs the smallImage pixel (x, y) = (10x + 100y, 20 + x, 200 − y); -1
// stands for black padding.
func px(x, y int) float64 {
	if x < 0 {
		return 0
	}
	return float64((10*x+100*y)<<16 | (20+x)<<8 | (200 - y))
}

// Nearest-neighbour results of every resize mode on the 4×2 test image,
// derived by hand from the rules in resizeImage's documentation.
func TestResizeModesByHand(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name         string
		w, h         int
		mode, anchor string
		want         []float64
	}{
		// Source x = ⌊(x+½)·4/2⌋ = 1, 3; y = ⌊½·2⌋ = 1.
		{"squash down", 2, 1, studio.ResizeSquash, "", []float64{px(1, 1), px(3, 1)}},
		// Source x = ⌊(x+½)/2⌋, y = ⌊(y+½)/2⌋.
		{"squash up", 8, 4, studio.ResizeSquash, "", []float64{
			px(0, 0), px(0, 0), px(1, 0), px(1, 0), px(2, 0), px(2, 0), px(3, 0), px(3, 0),
			px(0, 0), px(0, 0), px(1, 0), px(1, 0), px(2, 0), px(2, 0), px(3, 0), px(3, 0),
			px(0, 1), px(0, 1), px(1, 1), px(1, 1), px(2, 1), px(2, 1), px(3, 1), px(3, 1),
			px(0, 1), px(0, 1), px(1, 1), px(1, 1), px(2, 1), px(2, 1), px(3, 1), px(3, 1)}},
		// s = max(2/4, 2/2) = 1: no scaling, crop 2 of 4 columns at the anchor.
		{"fit-short left", 2, 2, studio.ResizeFitShort, "middle-left", []float64{px(0, 0), px(1, 0), px(0, 1), px(1, 1)}},
		{"fit-short centre", 2, 2, studio.ResizeFitShort, "middle-center", []float64{px(1, 0), px(2, 0), px(1, 1), px(2, 1)}},
		{"fit-short right", 2, 2, studio.ResizeFitShort, "bottom-right", []float64{px(2, 0), px(3, 0), px(2, 1), px(3, 1)}},
		// s = max(1, 2) = 2: scaled to 8×4, centre crop from column 2: source ⌊(2..5 + ½)/2⌋ = 1, 1, 2, 2.
		{"fit-short up centre", 4, 4, studio.ResizeFitShort, "middle-center", []float64{
			px(1, 0), px(1, 0), px(2, 0), px(2, 0), px(1, 0), px(1, 0), px(2, 0), px(2, 0),
			px(1, 1), px(1, 1), px(2, 1), px(2, 1), px(1, 1), px(1, 1), px(2, 1), px(2, 1)}},
		{"fit-short up top-left", 4, 4, studio.ResizeFitShort, "top-left", []float64{
			px(0, 0), px(0, 0), px(1, 0), px(1, 0), px(0, 0), px(0, 0), px(1, 0), px(1, 0),
			px(0, 1), px(0, 1), px(1, 1), px(1, 1), px(0, 1), px(0, 1), px(1, 1), px(1, 1)}},
		// s = min(2/4, 2/2) = ½: scaled to 2×1 (source columns 1, 3, row 1), padded
		// below: ⌊(2 − 1)/2⌋ = 0 rows above, 1 below.
		{"fit-long down", 2, 2, studio.ResizeFitLong, "", []float64{px(1, 1), px(3, 1), px(-1, 0), px(-1, 0)}},
		// s = min(1, 3) = 1: no scaling, 2 black rows above and below.
		{"fit-long pad", 4, 6, studio.ResizeFitLong, "top-left", []float64{
			0, 0, 0, 0, 0, 0, 0, 0,
			px(0, 0), px(1, 0), px(2, 0), px(3, 0), px(0, 1), px(1, 1), px(2, 1), px(3, 1),
			0, 0, 0, 0, 0, 0, 0, 0}},
		// Crop: no scaling.
		{"crop centre", 2, 1, studio.ResizeCrop, "middle-center", []float64{px(1, 0), px(2, 0)}},
		{"crop bottom-right", 2, 1, studio.ResizeCrop, "bottom-right", []float64{px(2, 1), px(3, 1)}},
		{"crop wider top-left", 6, 2, studio.ResizeCrop, "top-left", []float64{
			px(0, 0), px(1, 0), px(2, 0), px(3, 0), 0, 0, px(0, 1), px(1, 1), px(2, 1), px(3, 1), 0, 0}},
		// 6×3 centred: one black column each side, one black row below.
		{"crop larger centre", 6, 3, studio.ResizeCrop, "middle-center", []float64{
			0, px(0, 0), px(1, 0), px(2, 0), px(3, 0), 0,
			0, px(0, 1), px(1, 1), px(2, 1), px(3, 1), 0,
			0, 0, 0, 0, 0, 0}},
	}
	img := smallImage()
	for _, c := range cases {
		got := resizeImage(nil, img, c.w, c.h, c.mode, studio.ResizeNearest, c.anchor)
		if !slices.Equal(got, c.want) {
			t.Errorf("%s:\ngot  %06x\nwant %06x", c.name, ints(got), ints(c.want))
		}
	}
}

func ints(v []float64) []int {
	out := make([]int, len(v))
	for i, x := range v {
		out[i] = int(x)
	}
	return out
}

// Lanczos-3 and nearest-neighbour scaling against Pillow 9.4
// (testdata/impulse/resize_pillow.json, written by make_samples.py): nearest
// exactly, Lanczos within one level (Pillow uses 22-bit fixed-point weights).
func TestResizeAgainstPillow(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join("..", "testdata", "impulse", "resize_pillow.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Input struct {
			Width, Height int
			Pixels        [][3]uint8
		}
		Cases []struct {
			Method        string
			Width, Height int
			Pixels        [][3]uint8
		}
	}
	if err := json.Unmarshal(data, &ref); err != nil {
		t.Fatal(err)
	}
	if len(ref.Cases) != 12 {
		t.Fatalf("%d reference cases, want 12", len(ref.Cases))
	}
	img := image.NewRGBA(image.Rect(0, 0, ref.Input.Width, ref.Input.Height))
	for i, p := range ref.Input.Pixels {
		img.Set(i%ref.Input.Width, i/ref.Input.Width, color.RGBA{p[0], p[1], p[2], 255})
	}
	for _, c := range ref.Cases {
		got := resizeImage(nil, img, c.Width, c.Height, studio.ResizeSquash, c.Method, "")
		tol := 0
		if c.Method == studio.ResizeLanczos3 {
			tol = 1
		}
		worst := 0
		for i, p := range c.Pixels {
			v := int(got[i])
			for ch, want := range []int{int(p[0]), int(p[1]), int(p[2])} {
				worst = max(worst, abs(v>>(16-8*ch)&255-want))
			}
		}
		if worst > tol {
			t.Errorf("%s %d×%d: differs from Pillow by up to %d levels (tolerance %d)", c.Method, c.Width, c.Height, worst, tol)
		}
	}
}

func TestLanczosProperties(t *testing.T) {
	t.Parallel()
	// A constant image stays constant at any size (weights sum to one).
	flat := image.NewRGBA(image.Rect(0, 0, 5, 3))
	for i := 0; i < len(flat.Pix); i += 4 {
		flat.Pix[i], flat.Pix[i+1], flat.Pix[i+2], flat.Pix[i+3] = 17, 130, 250, 255
	}
	for _, size := range [][2]int{{2, 2}, {9, 7}, {5, 1}, {1, 11}} {
		for _, v := range resizeImage(nil, flat, size[0], size[1], studio.ResizeSquash, studio.ResizeLanczos3, "") {
			if v != float64(17<<16|130<<8|250) {
				t.Fatalf("constant image resized to %v: pixel %06x", size, int(v))
			}
		}
	}
	// Same size is the identity.
	img := smallImage()
	if got, want := resizeImage(nil, img, 4, 2, studio.ResizeSquash, studio.ResizeLanczos3, ""), resizeImage(nil, img, 4, 2, studio.ResizeSquash, studio.ResizeNearest, ""); !slices.Equal(got, want) {
		t.Errorf("Lanczos at the same size changed the image")
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
