package report

import (
	"bytes"
	"fmt"
	"html"
	"html/template"
	"image/color"
	"strconv"
	"strings"

	xfont "golang.org/x/image/font"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Text sizes of the charts, in points. A chart's SVG is sized so that one
// point is one CSS pixel at the page's full width (1280 px screens), so
// these are the sizes people read.
const (
	titleSize = 15
	labelSize = 13
	tickSize  = 12
)

// sans is the font gonum/plot measures text with. The SVG names it by
// family only (never embedded); fontStack replaces that name with a list
// whose first entries have the same metrics (Arimo and Arial are metric
// compatible with Liberation Sans), so the layout holds wherever the page
// is opened.
var sans = font.Font{Typeface: "Liberation", Variant: "Sans"}

const fontStack = `font-family:'Liberation Sans',Arimo,Arial,Helvetica,sans-serif;`

// chart is one SVG chart being drawn: its size in points, title and axis
// labels (kept for the <svg> element's attributes, which the page's tests
// and screen readers read).
type chart struct {
	w, h           float64
	title          string
	xLabel, yLabel string
}

// svgWriter numbers the charts of one page so that their ids are unique
// and the same data gives the same bytes.
type svgWriter struct {
	n int
}

// newPlot returns a plot with the report's fonts, a light grid and the
// given title and axis labels.
func newPlot(title, xLabel, yLabel string) *plot.Plot {
	p := newBarePlot(title, xLabel, yLabel)
	g := plotter.NewGrid()
	g.Vertical.Color = gridColor
	g.Horizontal.Color = gridColor
	g.Vertical.Width = 0.6
	g.Horizontal.Width = 0.6
	p.Add(g)
	return p
}

// newBarePlot is newPlot without the grid.
func newBarePlot(title, xLabel, yLabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font = font.From(sans, titleSize)
	p.Title.TextStyle.Font.Weight = xfont.WeightBold
	p.Title.Padding = 8
	p.Legend.TextStyle.Font = font.From(sans, tickSize)
	p.Legend.Padding = 3
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = font.From(sans, labelSize)
		a.Tick.Label.Font = font.From(sans, tickSize)
		a.Color = ink
		a.Tick.Color = ink
		a.Tick.Label.Color = ink
		a.Label.TextStyle.Color = ink
	}
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	p.X.Tick.Marker = niceTicks{n: 7}
	p.Y.Tick.Marker = niceTicks{n: 5}
	p.X.Label.Padding = 4
	p.Y.Label.Padding = 4
	p.Title.TextStyle.Color = ink
	return p
}

// textStyle returns a text style of the report's font.
func textStyle(size float64, c color.Color, xa text.XAlignment, ya text.YAlignment) text.Style {
	return text.Style{Color: c, Font: font.From(sans, font.Length(size)), XAlign: xa, YAlign: ya, Handler: plot.DefaultTextHandler}
}

// render draws a chart of w×h points with fn and returns it as an inline
// <svg> element: no XML prolog, no namespace URLs (HTML gives inline SVG
// its namespace), the fonts named by family, a <title>, and a viewBox so
// that it scales to its container. gonum/plot panics on some degenerate
// data (an empty range, a zero-width canvas); render turns such a panic
// into an error naming the chart, so that bad data never crashes the
// program writing a report.
func (sw *svgWriter) render(ch chart, fn func(dc draw.Canvas) error) (out template.HTML, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = "", fmt.Errorf("report: chart %q: %v", ch.title, r)
		}
	}()
	c := vgsvg.New(vg.Length(ch.w), vg.Length(ch.h))
	dc := draw.New(c)
	if err := fn(dc); err != nil {
		return "", fmt.Errorf("report: chart %q: %w", ch.title, err)
	}
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return "", fmt.Errorf("report: chart %q: %w", ch.title, err)
	}
	s := buf.String()
	i := strings.Index(s, "<svg")
	if i < 0 {
		return "", fmt.Errorf("report: chart %q: the SVG backend wrote no <svg> element", ch.title)
	}
	j := strings.IndexByte(s[i:], '>')
	if j < 0 {
		return "", fmt.Errorf("report: chart %q: unterminated <svg> element", ch.title)
	}
	body := s[i+j+1:]
	body = strings.ReplaceAll(body, "font-family:Liberation Sans;", fontStack)
	// vgsvg labels its PNG data as JPEG; say what it is.
	body = strings.ReplaceAll(body, "data:image/jpg;base64,", "data:image/png;base64,")
	body = strings.ReplaceAll(body, "xlink:href=", "href=")
	// An image fills the rectangle gonum/plot gives it (SVG would keep
	// its aspect ratio and leave the rest of the rectangle empty).
	body = strings.ReplaceAll(body, "<image ", `<image preserveAspectRatio="none" `)
	sw.n++
	id := "chart-" + strconv.Itoa(sw.n)
	var b strings.Builder
	b.Grow(len(body) + 256)
	fmt.Fprintf(&b, `<svg class="chart" id="%s" viewBox="0 0 %s %s" role="img" aria-labelledby="%s-title" data-x="%s" data-y="%s"><title id="%s-title">%s</title>`,
		id, num(ch.w), num(ch.h), id, html.EscapeString(ch.xLabel), html.EscapeString(ch.yLabel), id, html.EscapeString(ch.title))
	b.WriteString(body)
	return template.HTML(b.String()), nil
}

// drawPlot is the common case of render: one plot filling the chart.
func (sw *svgWriter) drawPlot(p *plot.Plot, w, h float64) (template.HTML, error) {
	return sw.render(chart{w: w, h: h, title: p.Title.Text, xLabel: p.X.Label.Text, yLabel: p.Y.Label.Text},
		func(dc draw.Canvas) error { p.Draw(dc); return nil })
}

// drawWithLegend draws the plot on the left and its legend in a column of
// legendW points on the right, so that the legend never hides data.
func (sw *svgWriter) drawWithLegend(p *plot.Plot, leg plot.Legend, w, h, legendW float64) (template.HTML, error) {
	return sw.render(chart{w: w, h: h, title: p.Title.Text, xLabel: p.X.Label.Text, yLabel: p.Y.Label.Text},
		func(dc draw.Canvas) error {
			p.Draw(draw.Crop(dc, 0, -vg.Length(legendW), 0, 0))
			lc := draw.Crop(dc, vg.Length(w-legendW), 0, 0, -vg.Length(titleSize+16))
			leg.Top = true
			leg.Left = true
			leg.XOffs = 8
			leg.Draw(lc)
			return nil
		})
}

// newLegend returns a legend in the report's font.
func newLegend() plot.Legend {
	l := plot.NewLegend()
	l.TextStyle.Font = font.From(sans, tickSize)
	l.TextStyle.Color = ink
	l.Padding = 4
	l.ThumbnailWidth = 14
	return l
}

// num formats a number for SVG attributes and labels: no exponent for
// everyday magnitudes, and no trailing zeros.
func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
