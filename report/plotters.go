package report

import (
	"image"
	"image/color"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Colours of the report. Classes take the qualitative palette in order
// (Tableau 10, readable on white and distinct in print); ink is the text
// colour.
var (
	ink       = color.RGBA{0x1f, 0x29, 0x37, 0xff}
	gridColor = color.RGBA{0xe5, 0xe7, 0xeb, 0xff}
	muted     = color.RGBA{0x9c, 0xa3, 0xaf, 0xff}
	good      = color.RGBA{0x16, 0xa3, 0x4a, 0xff}
	bad       = color.RGBA{0xdc, 0x26, 0x26, 0xff}
	budget    = color.RGBA{0xb9, 0x1c, 0x1c, 0xff}
	highlight = color.NRGBA{0xfb, 0xbf, 0x24, 0x40}

	classColors = []color.RGBA{
		{0x1f, 0x77, 0xb4, 0xff}, {0xff, 0x7f, 0x0e, 0xff}, {0x2c, 0xa0, 0x2c, 0xff}, {0xd6, 0x27, 0x28, 0xff},
		{0x94, 0x67, 0xbd, 0xff}, {0x8c, 0x56, 0x4b, 0xff}, {0xe3, 0x77, 0xc2, 0xff}, {0x7f, 0x7f, 0x7f, 0xff},
		{0xbc, 0xbd, 0x22, 0xff}, {0x17, 0xbe, 0xcf, 0xff},
	}
)

// classColor returns the colour of class i; past ten classes the palette
// repeats with lighter shades.
func classColor(i int) color.RGBA {
	c := classColors[i%len(classColors)]
	if k := i / len(classColors); k > 0 {
		f := 1 - math.Pow(0.6, float64(k))
		c = mix(c, color.RGBA{0xff, 0xff, 0xff, 0xff}, f*0.8)
	}
	return c
}

// mix returns a + (b-a)·t, component-wise.
func mix(a, b color.RGBA, t float64) color.RGBA {
	l := func(x, y uint8) uint8 { return uint8(math.Round(float64(x) + (float64(y)-float64(x))*t)) }
	return color.RGBA{l(a.R, b.R), l(a.G, b.G), l(a.B, b.B), l(a.A, b.A)}
}

// viridis holds the viridis colour map at nine evenly spaced points (from
// matplotlib's published table); heatColor interpolates between them.
var viridis = []color.RGBA{
	{0x44, 0x01, 0x54, 0xff}, {0x47, 0x2d, 0x7b, 0xff}, {0x3b, 0x52, 0x8b, 0xff}, {0x2c, 0x72, 0x8e, 0xff},
	{0x21, 0x91, 0x8c, 0xff}, {0x28, 0xae, 0x80, 0xff}, {0x5e, 0xc9, 0x62, 0xff}, {0xad, 0xdc, 0x30, 0xff},
	{0xfd, 0xe7, 0x25, 0xff},
}

// heatColor maps t in [0, 1] to the viridis colour map (clamped; NaN is
// grey).
func heatColor(t float64) color.RGBA {
	if math.IsNaN(t) {
		return color.RGBA{0xd1, 0xd5, 0xdb, 0xff}
	}
	t = math.Max(0, math.Min(1, t)) * float64(len(viridis)-1)
	i := int(t)
	if i >= len(viridis)-1 {
		return viridis[len(viridis)-1]
	}
	return mix(viridis[i], viridis[i+1], t-float64(i))
}

// heatImage returns the nx×ny image of a heat map, row 0 of the image being
// the grid's last row (the top of the chart), and the value range used.
func heatImage(h *HeatMap) (img *image.RGBA, lo, hi float64) {
	lo, hi = finiteRange(h.Values)
	img = image.NewRGBA(image.Rect(0, 0, h.NX, h.NY))
	span := hi - lo
	for i := range h.NX {
		for j := range h.NY {
			v := h.Values[i*h.NY+j]
			t := 0.5
			if span > 0 {
				t = (v - lo) / span
			}
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t = math.NaN()
			}
			img.SetRGBA(i, h.NY-1-j, heatColor(t))
		}
	}
	return img, lo, hi
}

// finiteRange returns the smallest and largest finite values, or 0, 1 when
// there are none.
func finiteRange(v []float64) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			continue
		}
		lo, hi = math.Min(lo, x), math.Max(hi, x)
	}
	if lo > hi {
		return 0, 1
	}
	return lo, hi
}

// rect is a filled rectangle in data coordinates.
type rect struct {
	x0, x1, y0, y1 float64
	fill           color.Color
	stroke         color.Color // nil: no outline
}

// rects draws rectangles in data coordinates: bars, bands, cells.
type rects []rect

func (rs rects) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	for _, r := range rs {
		x0, x1, y0, y1 := trX(r.x0), trX(r.x1), trY(r.y0), trY(r.y1)
		pts := []vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}}
		c.FillPolygon(r.fill, c.ClipPolygonXY(pts))
		if r.stroke != nil {
			c.StrokeLines(draw.LineStyle{Color: r.stroke, Width: 0.8}, c.ClipLinesXY(append(pts, pts[0]))...)
		}
	}
}

func (rs rects) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, ymin = math.Inf(1), math.Inf(1)
	xmax, ymax = math.Inf(-1), math.Inf(-1)
	for _, r := range rs {
		xmin, xmax = math.Min(xmin, math.Min(r.x0, r.x1)), math.Max(xmax, math.Max(r.x0, r.x1))
		ymin, ymax = math.Min(ymin, math.Min(r.y0, r.y1)), math.Max(ymax, math.Max(r.y0, r.y1))
	}
	return xmin, xmax, ymin, ymax
}

// Thumbnail draws the first rectangle's colour in a legend.
func (rs rects) Thumbnail(c *draw.Canvas) {
	if len(rs) == 0 {
		return
	}
	pts := []vg.Point{{X: c.Min.X, Y: c.Min.Y}, {X: c.Max.X, Y: c.Min.Y}, {X: c.Max.X, Y: c.Max.Y}, {X: c.Min.X, Y: c.Max.Y}}
	c.FillPolygon(rs[0].fill, pts)
}

// label is a text placed at a data point, offset in points.
type label struct {
	x, y   float64
	dx, dy vg.Length
	text   string
	style  draw.TextStyle
}

// labels draws texts at data points. It takes no room in the data range.
type labels []label

func (ls labels) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	for _, l := range ls {
		c.FillText(l.style, vg.Point{X: trX(l.x) + l.dx, Y: trY(l.y) + l.dy}, l.text)
	}
}

// vline is a vertical line across the data area at x, with an optional
// caption at its top.
type vline struct {
	x       float64
	style   draw.LineStyle
	caption string
	// right puts the caption on the right of the line.
	right bool
}

func (v vline) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	x := trX(v.x)
	if x < c.Min.X || x > c.Max.X {
		return
	}
	c.StrokeLine2(v.style, x, c.Min.Y, x, c.Max.Y)
	if v.caption != "" {
		xa, dx := draw.XRight, vg.Length(-4)
		if v.right {
			xa, dx = draw.XLeft, 4
		}
		st := textStyle(tickSize, v.style.Color, xa, draw.YTop)
		c.FillText(st, vg.Point{X: x + dx, Y: c.Max.Y - 3}, v.caption)
	}
}

// Thumbnail draws the line in a legend.
func (v vline) Thumbnail(c *draw.Canvas) {
	y := (c.Min.Y + c.Max.Y) / 2
	c.StrokeLine2(v.style, c.Min.X, y, c.Max.X, y)
}

// xspan shades the x interval [x0, x1] across the data area.
type xspan struct {
	x0, x1 float64
	fill   color.Color
}

func (s xspan) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	x0, x1 := trX(s.x0), trX(s.x1)
	pts := []vg.Point{{X: x0, Y: c.Min.Y}, {X: x1, Y: c.Min.Y}, {X: x1, Y: c.Max.Y}, {X: x0, Y: c.Max.Y}}
	c.FillPolygon(s.fill, c.ClipPolygonX(pts))
}

// Thumbnail draws the shade in a legend.
func (s xspan) Thumbnail(c *draw.Canvas) {
	pts := []vg.Point{{X: c.Min.X, Y: c.Min.Y}, {X: c.Max.X, Y: c.Min.Y}, {X: c.Max.X, Y: c.Max.Y}, {X: c.Min.X, Y: c.Max.Y}}
	c.FillPolygon(s.fill, pts)
}

// niceTicks puts about n labelled ticks at multiples of 1, 2, 2.5 or 5
// times a power of ten, labelled with just the decimals the step needs,
// and an unlabelled tick half-way between them.
// With integer set, steps are whole numbers.
type niceTicks struct {
	n       int
	integer bool
}

func (t niceTicks) Ticks(lo, hi float64) []plot.Tick {
	ends := []plot.Tick{{Value: lo, Label: strconv.FormatFloat(lo, 'g', 4, 64)}, {Value: hi, Label: strconv.FormatFloat(hi, 'g', 4, 64)}}
	if !(hi > lo) || math.IsInf(hi-lo, 0) || math.IsNaN(hi-lo) {
		return ends[:1]
	}
	n := max(t.n, 2)
	raw := (hi - lo) / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step, mult := 10*mag, 10.0
	for _, m := range []float64{1, 2, 2.5, 5} {
		if m*mag >= raw*0.999 {
			step, mult = m*mag, m
			break
		}
	}
	if t.integer && step < 1 {
		step, mult = 1, 1
	}
	if t.integer && mult == 2.5 {
		step, mult = 2*mag, 2
	}
	first := math.Ceil(lo / step)
	// A range too narrow for its magnitude (the ticks would not differ in
	// float64) or one of subnormal numbers gets its ends only.
	if !(step > 0) || math.IsInf(first, 0) || first*step+step == first*step || math.Abs(first) > 1<<50 || (hi-lo)/step > 100 {
		return ends
	}
	// The decimals the step needs: 25 none, 2.5 one, 0.25 two.
	dec := 0
	for ; dec < 15; dec++ {
		x := step * math.Pow(10, float64(dec))
		if math.Abs(x-math.Round(x)) <= 1e-9*x {
			break
		}
	}
	var out []plot.Tick
	for k := -1.0; k <= (hi-lo)/step+1; k++ {
		v := (first + k) * step
		if v > hi+step*1e-9 {
			break
		}
		if v >= lo-step*1e-9 {
			out = append(out, plot.Tick{Value: v, Label: tickLabel(v, min(dec, 15))})
		}
		if m := v + step/2; m >= lo && m <= hi && (!t.integer || m == math.Trunc(m)) {
			out = append(out, plot.Tick{Value: m})
		}
	}
	return out
}

// tickLabel formats a tick value with dec decimals, never as "-0".
func tickLabel(v float64, dec int) string {
	s := strconv.FormatFloat(v, 'f', dec, 64)
	if strings.Trim(s, "-0.") == "" {
		return strings.TrimPrefix(s, "-")
	}
	return s
}

// nominalTicks labels the integer positions 0…len(names)-1 (reversed: the
// first name at the top of a vertical axis).
func nominalTicks(names []string, reversed bool) plot.ConstantTicks {
	ticks := make(plot.ConstantTicks, len(names))
	for i, n := range names {
		v := float64(i)
		if reversed {
			v = float64(len(names) - 1 - i)
		}
		ticks[i] = plot.Tick{Value: v, Label: n}
	}
	return ticks
}
