package report

import (
	"cmp"
	"fmt"
	"html/template"
	"image"
	"image/color"
	"math"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Chart sizes in points (= CSS pixels at full width): a full-width chart
// and a half-width one, two of which sit side by side.
const (
	fullW = 900.0
	halfW = 552.0
)

// finite reports whether v is neither NaN nor infinite.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// padRange widens an axis so that data does not touch the frame.
func padRange(a *plot.Axis, frac float64) {
	d := a.Max - a.Min
	if d == 0 {
		d = math.Max(math.Abs(a.Max), 1)
	}
	a.Min -= d * frac
	a.Max += d * frac
}

// datasetChart draws the amount of data per class: training and testing
// bars side by side, in seconds for time series and samples for images.
func (sw *svgWriter) datasetChart(d *Dataset) (template.HTML, error) {
	xl := "Duration (s)"
	if !d.TimeSeries {
		xl = "Samples (count)"
	}
	names := make([]string, len(d.Classes))
	var train, test rects
	n := len(d.Classes)
	for i, c := range d.Classes {
		names[i] = c.Label
		y := float64(n - 1 - i)
		v := func(c Count) float64 {
			if d.TimeSeries {
				return c.Duration.Seconds()
			}
			return float64(c.Samples)
		}
		train = append(train, rect{x0: 0, x1: v(c.Training), y0: y + 0.02, y1: y + 0.38, fill: classColors[0]})
		test = append(test, rect{x0: 0, x1: v(c.Testing), y0: y - 0.38, y1: y - 0.02, fill: classColors[1]})
	}
	p := newPlot("Data per class", xl, "Class")
	p.Add(train, test)
	p.Y.Tick.Marker = nominalTicks(names, true)
	p.Y.Min, p.Y.Max = -0.6, float64(n)-0.4
	p.X.Min = 0
	if _, xmax, _, _ := append(train, test...).DataRange(); xmax > 0 {
		p.X.Max = xmax * 1.05
	} else {
		p.X.Max = 1
	}
	leg := newLegend()
	leg.Add("Training", train)
	leg.Add("Testing", test)
	h := math.Max(220, 70+float64(n)*34)
	return sw.drawWithLegend(p, leg, halfW, h, 100)
}

// axisUnits returns a label for the values of axes that share units.
func axisUnits(units string) string {
	if units == "" {
		return "Value (sensor units)"
	}
	return "Value (" + units + ")"
}

// signalCharts draws a time-series sample, one chart per unit (axes with
// the same unit share a chart), with the window whose DSP output is shown
// shaded. Long signals are drawn as their min/max envelope, one pair of
// points per half point of chart width.
func (sw *svgWriter) signalCharts(s *Sample) ([]template.HTML, error) {
	sig := s.Signal
	var units []string
	for _, a := range sig.Axes {
		if !slices.Contains(units, a.Units) {
			units = append(units, a.Units)
		}
	}
	var out []template.HTML
	for _, u := range units {
		title := fmt.Sprintf("%s: sample %s", s.Label, s.Name)
		if len(units) > 1 {
			title += " (" + u + ")"
		}
		p := newPlot(title, "Time (ms)", axisUnits(u))
		win := xspan{x0: sig.WindowStartMs, x1: sig.WindowEndMs, fill: highlight}
		p.Add(win)
		leg := newLegend()
		leg.Add("window shown", win)
		for k, a := range sig.Axes {
			if a.Units != u {
				continue
			}
			pts := envelope(a.Values, sig.IntervalMs, int(fullW))
			if len(pts) == 0 {
				continue
			}
			l, err := plotter.NewLine(pts)
			if err != nil {
				return nil, err
			}
			l.Color = classColor(k)
			l.Width = 1.2
			p.Add(l)
			leg.Add(a.Name, l)
		}
		n := 0
		for _, a := range sig.Axes {
			n = max(n, len(a.Values))
		}
		p.X.Min = 0
		p.X.Max = math.Max(float64(n-1)*sig.IntervalMs, sig.WindowEndMs)
		if p.X.Max <= 0 {
			p.X.Max = 1
		}
		svg, err := sw.drawWithLegend(p, leg, fullW, 260, 130)
		if err != nil {
			return nil, err
		}
		out = append(out, svg)
	}
	return out, nil
}

// envelope returns the points of a signal sampled every dt ms, reduced to
// the minimum and maximum of each of cols buckets when it is longer than
// 2·cols values. Non-finite values are left out.
func envelope(v []float64, dt float64, cols int) plotter.XYs {
	if len(v) <= 2*cols {
		pts := make(plotter.XYs, 0, len(v))
		for i, y := range v {
			if finite(y) {
				pts = append(pts, plotter.XY{X: float64(i) * dt, Y: y})
			}
		}
		return pts
	}
	pts := make(plotter.XYs, 0, 2*cols)
	for b := range cols {
		lo, hi := b*len(v)/cols, (b+1)*len(v)/cols
		imin, imax := -1, -1
		for i := lo; i < hi; i++ {
			if !finite(v[i]) {
				continue
			}
			if imin < 0 || v[i] < v[imin] {
				imin = i
			}
			if imax < 0 || v[i] > v[imax] {
				imax = i
			}
		}
		if imin < 0 {
			continue
		}
		a, b := min(imin, imax), max(imin, imax)
		pts = append(pts, plotter.XY{X: float64(a) * dt, Y: v[a]}, plotter.XY{X: float64(b) * dt, Y: v[b]})
	}
	return pts
}

// spectrumChart draws the spectral power of every axis: within each
// frequency band one bar per axis, in the axis colours of the signal chart.
func (sw *svgWriter) spectrumChart(s *Sample, o *DSPOutput) (template.HTML, error) {
	unit := o.PowerUnit
	if unit == "" {
		unit = "power"
	}
	p := newPlot(fmt.Sprintf("%s: %s, spectral power", s.Label, o.Block), "Frequency (Hz)", "Spectral power ("+unit+")")
	leg := newLegend()
	n := float64(len(o.Spectra))
	var powers []float64
	for _, sp := range o.Spectra {
		for _, b := range sp.Bands {
			powers = append(powers, b.Power)
		}
	}
	// Bars rise from zero for linear power and from below the lowest band
	// for log power, where zero means nothing in particular.
	lo, hi := finiteRange(powers)
	base := 0.0
	if unit != "linear" {
		base = lo - 0.08*math.Max(hi-lo, 1e-9)
	}
	var all rects
	for k, sp := range o.Spectra {
		var rs rects
		for _, b := range sp.Bands {
			if !finite(b.Power) || !finite(b.LoHz) || !finite(b.HiHz) {
				continue
			}
			w := (b.HiHz - b.LoHz) / n
			x0 := b.LoHz + w*float64(k)
			rs = append(rs, rect{x0: x0 + w*0.08, x1: x0 + w*0.92, y0: base, y1: b.Power, fill: classColor(k)})
		}
		if len(rs) == 0 {
			continue
		}
		p.Add(rs)
		all = append(all, rs...)
		leg.Add(sp.Axis, rs)
	}
	if len(all) == 0 {
		return "", fmt.Errorf("report: %s: no finite spectral power", o.Block)
	}
	xmin, xmax, _, _ := all.DataRange()
	p.X.Min, p.X.Max = xmin, xmax
	p.Y.Min, p.Y.Max = math.Min(base, lo), math.Max(base, hi)
	padRange(&p.Y, 0.03)
	if unit != "linear" {
		p.Y.Min = base
	}
	return sw.drawWithLegend(p, leg, halfW, 320, 80)
}

// featuresChart draws a feature vector as bars, one per feature.
func (sw *svgWriter) featuresChart(s *Sample, o *DSPOutput) (template.HTML, error) {
	p := newPlot(fmt.Sprintf("%s: %s, features", s.Label, o.Block), "Feature (index)", "Value (block output)")
	var rs rects
	for i, v := range o.Features {
		if finite(v) {
			rs = append(rs, rect{x0: float64(i) - 0.4, x1: float64(i) + 0.4, y0: 0, y1: v, fill: classColors[0]})
		}
	}
	if len(rs) == 0 {
		return "", fmt.Errorf("report: %s: no finite feature", o.Block)
	}
	p.Add(rs)
	_, _, ymin, ymax := rs.DataRange()
	p.Y.Min, p.Y.Max = math.Min(0, ymin), math.Max(0, ymax)
	padRange(&p.Y, 0.05)
	p.X.Min, p.X.Max = -0.6, float64(len(o.Features))-0.4
	return sw.drawPlot(p, halfW, 320)
}

// heatChart draws a heat map with its colour bar on the right.
func (sw *svgWriter) heatChart(title string, hm *HeatMap) (template.HTML, error) {
	if hm.NX <= 0 || hm.NY <= 0 || len(hm.Values) != hm.NX*hm.NY {
		return "", fmt.Errorf("report: heat map %q: %d values for %d×%d cells", title, len(hm.Values), hm.NX, hm.NY)
	}
	if !finite(hm.X.Min) || !finite(hm.X.Max) || !finite(hm.Y.Min) || !finite(hm.Y.Max) || hm.X.Max <= hm.X.Min || hm.Y.Max <= hm.Y.Min {
		return "", fmt.Errorf("report: heat map %q: empty or non-finite axis range", title)
	}
	img, lo, hi := heatImage(hm)
	p := newPlot(title, hm.X.Label, hm.Y.Label)
	p.Add(plotter.NewImage(img, hm.X.Min, hm.Y.Min, hm.X.Max, hm.Y.Max))
	p.X.Min, p.X.Max = hm.X.Min, hm.X.Max
	p.Y.Min, p.Y.Max = hm.Y.Min, hm.Y.Max

	bar := image.NewRGBA(image.Rect(0, 0, 1, 256))
	for j := range 256 {
		bar.SetRGBA(0, 255-j, heatColor(float64(j)/255))
	}
	if hi <= lo {
		hi = lo + 1
	}
	cb := newPlot("", "", hm.Z)
	cb.Add(plotter.NewImage(bar, 0, lo, 1, hi))
	cb.HideX()
	cb.X.Min, cb.X.Max = 0, 1
	cb.Y.Min, cb.Y.Max = lo, hi
	const w, h, barW = fullW, 300.0, 96.0
	return sw.render(chart{w: w, h: h, title: title, xLabel: hm.X.Label, yLabel: hm.Y.Label}, func(dc draw.Canvas) error {
		p.Draw(draw.Crop(dc, 0, -barW, 0, 0))
		// The colour bar spans the main plot's data area vertically.
		cbc := draw.Crop(dc, vg.Length(w-barW)+10, -12, 38, -(titleSize + 20))
		cb.Draw(cbc)
		return nil
	})
}

// imageChart draws an image with pixel axes, rows counted from the top as
// in the image, and a data area of the image's aspect ratio.
func (sw *svgWriter) imageChart(title string, img image.Image) (template.HTML, error) {
	b := img.Bounds()
	if b.Dx() <= 0 || b.Dy() <= 0 {
		return "", fmt.Errorf("report: image %q is empty", title)
	}
	wpx, hpx := float64(b.Dx()), float64(b.Dy())
	p := newPlot(title, "Column (px)", "Row (px)")
	p.Add(plotter.NewImage(img, 0, 0, wpx, hpx))
	p.X.Min, p.X.Max = 0, wpx
	p.Y.Min, p.Y.Max = 0, hpx
	p.X.Tick.Marker = niceTicks{n: 5, integer: true}
	p.Y.Tick.Marker = plot.TickerFunc(func(lo, hi float64) []plot.Tick {
		ts := niceTicks{n: 5, integer: true}.Ticks(0, hpx)
		for i := range ts {
			ts[i].Value = hpx - ts[i].Value
		}
		return ts
	})
	// Square pixels: measure the room the title and axes take, then size
	// the chart so that the data area has the image's aspect.
	const side = 260.0
	dw, dh := side*wpx/math.Max(wpx, hpx), side*hpx/math.Max(wpx, hpx)
	trial := draw.New(vgsvg.New(400, 400))
	da := p.DataCanvas(trial)
	mw, mh := 400-float64(da.Max.X-da.Min.X), 400-float64(da.Max.Y-da.Min.Y)
	return sw.drawPlot(p, dw+mw, dh+mh)
}

// explorerChart draws the feature explorer: one colour per class, the
// windows the model gets wrong circled in red.
func (sw *svgWriter) explorerChart(e *Explorer) (template.HTML, error) {
	p := newPlot("Feature explorer: "+e.Method, e.XLabel, e.YLabel)
	leg := newLegend()
	byClass := make([]plotter.XYs, len(e.Classes))
	var wrong plotter.XYs
	for _, pt := range e.Points {
		if !finite(pt.X) || !finite(pt.Y) || pt.Class < 0 || pt.Class >= len(e.Classes) {
			continue
		}
		byClass[pt.Class] = append(byClass[pt.Class], plotter.XY{X: pt.X, Y: pt.Y})
		if pt.Wrong {
			wrong = append(wrong, plotter.XY{X: pt.X, Y: pt.Y})
		}
	}
	for i, xy := range byClass {
		s, err := plotter.NewScatter(xy)
		if err != nil {
			return "", err
		}
		c := color.NRGBA{classColor(i).R, classColor(i).G, classColor(i).B, 0xc0}
		s.GlyphStyle = draw.GlyphStyle{Color: c, Radius: 2.6, Shape: draw.CircleGlyph{}}
		if len(xy) > 0 {
			p.Add(s)
		}
		leg.Add(fmt.Sprintf("%s (%d)", e.Classes[i], len(xy)), s)
	}
	if len(wrong) > 0 {
		s, err := plotter.NewScatter(wrong)
		if err != nil {
			return "", err
		}
		s.GlyphStyle = draw.GlyphStyle{Color: bad, Radius: 4.5, Shape: draw.RingGlyph{}}
		p.Add(s)
		leg.Add(fmt.Sprintf("misclassified (%d)", len(wrong)), s)
	}
	padRange(&p.X, 0.03)
	padRange(&p.Y, 0.03)
	return sw.drawWithLegend(p, leg, fullW, 470, 190)
}

// curve returns the finite points of one figure of a training history.
func curve(epochs []Epoch, f func(Epoch) float64, scale float64) plotter.XYs {
	var pts plotter.XYs
	for i, e := range epochs {
		if v := f(e); finite(v) {
			pts = append(pts, plotter.XY{X: float64(i + 1), Y: v * scale})
		}
	}
	return pts
}

// trainingChart draws two figures of a training history per epoch (loss
// and val_loss, or accuracy and val_accuracy) with the best epoch marked;
// it returns "" when neither figure has a value.
func (sw *svgWriter) trainingChart(t *Training, title, yLabel string, scale float64, train, val func(Epoch) float64) (template.HTML, error) {
	p := newPlot(fmt.Sprintf("%s: %s", t.Block, title), "Epoch", yLabel)
	leg := newLegend()
	any := false
	for i, s := range []struct {
		name string
		f    func(Epoch) float64
	}{{"training", train}, {"validation", val}} {
		pts := curve(t.Epochs, s.f, scale)
		if len(pts) == 0 {
			continue
		}
		any = true
		l, sc, err := plotter.NewLinePoints(pts)
		if err != nil {
			return "", err
		}
		l.Color = classColors[i]
		l.Width = 1.8
		if i == 1 {
			l.Dashes = []vg.Length{6, 3}
		}
		p.Add(l)
		// Dots on every epoch while they stay apart.
		if len(t.Epochs) <= 40 {
			sc.GlyphStyle = draw.GlyphStyle{Color: classColors[i], Radius: 2, Shape: draw.CircleGlyph{}}
			p.Add(sc)
		}
		leg.Add(s.name, l)
	}
	if !any {
		return "", nil
	}
	if t.BestEpoch > 0 {
		// The legend names the epoch: a caption on the chart would cross
		// the curves.
		best := vline{x: float64(t.BestEpoch), style: draw.LineStyle{Color: good, Width: 1.8, Dashes: []vg.Length{2, 2}}}
		p.Add(best)
		leg.Add("best epoch "+strconv.Itoa(t.BestEpoch), best)
	}
	p.X.Min, p.X.Max = 0.5, float64(len(t.Epochs))+0.5
	p.X.Tick.Marker = epochTicks{}
	padRange(&p.Y, 0.04)
	if scale == 100 {
		p.Y.Min = math.Max(p.Y.Min, 0)
		p.Y.Max = math.Min(p.Y.Max, 100.5)
	} else {
		p.Y.Min = math.Max(p.Y.Min, 0)
	}
	return sw.drawWithLegend(p, leg, halfW, 330, 112)
}

// epochTicks puts ticks on whole epochs only.
type epochTicks struct{}

func (epochTicks) Ticks(lo, hi float64) []plot.Tick {
	ts := niceTicks{n: 7}.Ticks(lo, hi)
	out := ts[:0]
	for _, t := range ts {
		if t.Value == math.Trunc(t.Value) && t.Value >= 1 {
			out = append(out, t)
		}
	}
	return out
}

// matrixChart draws a confusion matrix as a heat map: each cell's share of
// its row, green on cells where the row's label is the column's, red
// elsewhere, the share and count written in the cell.
func (sw *svgWriter) matrixChart(title, xLabel, yLabel string, m *Matrix, w float64) (template.HTML, error) {
	nr, nc := len(m.Rows), len(m.Columns)
	if nr == 0 || nc == 0 || len(m.Counts) != nr*nc {
		return "", fmt.Errorf("report: matrix %q: %d counts for %d×%d cells", title, len(m.Counts), nr, nc)
	}
	p := newBarePlot(title, xLabel, yLabel)
	var cells rects
	var texts labels
	fs := math.Max(9, math.Min(tickSize, 220/float64(max(nr, nc))))
	for i, rl := range m.Rows {
		total := 0
		for j := range nc {
			total += m.Counts[i*nc+j]
		}
		for j, cl := range m.Columns {
			n := m.Counts[i*nc+j]
			share := 0.0
			if total > 0 {
				share = float64(n) / float64(total)
			}
			base := bad
			if rl == cl {
				base = good
			}
			fill := mix(color.RGBA{0xff, 0xff, 0xff, 0xff}, base, 0.08+0.82*share)
			if n == 0 {
				fill = color.RGBA{0xf9, 0xfa, 0xfb, 0xff}
			}
			y := float64(nr - 1 - i)
			cells = append(cells, rect{x0: float64(j) - 0.5, x1: float64(j) + 0.5, y0: y - 0.5, y1: y + 0.5, fill: fill, stroke: color.White})
			tc := ink
			if share > 0.55 {
				tc = color.RGBA{0xff, 0xff, 0xff, 0xff}
			}
			// Whole percentages, except that a share that is not whole
			// never rounds to 0% or 100%.
			txt := fmt.Sprintf("%.0f%%", share*100)
			if p := share * 100; p != math.Round(p) && (p < 1 || p > 99) {
				txt = fmt.Sprintf("%.1f%%", p)
			}
			if n == 0 {
				// An empty cell shows only its count, in grey.
				texts = append(texts, label{x: float64(j), y: y, text: "0", style: textStyle(fs-1.5, muted, draw.XCenter, draw.YCenter)})
				continue
			}
			texts = append(texts, label{x: float64(j), y: y, dy: vg.Length(fs) * 0.45, text: txt, style: textStyle(fs, tc, draw.XCenter, draw.YCenter)},
				label{x: float64(j), y: y, dy: -vg.Length(fs) * 0.75, text: strconv.Itoa(n), style: textStyle(fs-1.5, tc, draw.XCenter, draw.YCenter)})
		}
	}
	p.Add(cells, texts)
	p.X.Min, p.X.Max = -0.5, float64(nc)-0.5
	p.Y.Min, p.Y.Max = -0.5, float64(nr)-0.5
	// Axes: class names as ticks; the axis lines themselves are hidden.
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.LineStyle.Width = 0
		a.Tick.LineStyle.Width = 0
		a.Padding = 2
	}
	p.X.Tick.Marker = nominalTicks(m.Columns, false)
	p.Y.Tick.Marker = nominalTicks(m.Rows, true)
	longest := 0
	for _, c := range m.Columns {
		longest = max(longest, len([]rune(c)))
	}
	extra := 0.0
	if float64(longest)*7 > (w-160)/float64(nc) {
		p.X.Tick.Label.Rotation = math.Pi / 4
		p.X.Tick.Label.XAlign = draw.XRight
		p.X.Tick.Label.YAlign = draw.YCenter
		extra = math.Min(float64(longest)*6, 110)
	}
	h := math.Min(w, 120+float64(nr)*math.Max(30, math.Min(56, 420/float64(nr)))) + extra
	return sw.drawPlot(p, w, h)
}

// histogram bins values into n equal bins over [lo, hi] and returns each
// bin's share of the values, in percent.
func histogram(v []float64, lo, hi float64, n int) []float64 {
	out := make([]float64, n)
	if len(v) == 0 || !(hi > lo) {
		return out
	}
	cnt := 0
	for _, x := range v {
		if !finite(x) {
			continue
		}
		b := int((x - lo) / (hi - lo) * float64(n))
		b = max(0, min(n-1, b))
		out[b]++
		cnt++
	}
	if cnt > 0 {
		for i := range out {
			out[i] *= 100 / float64(cnt)
		}
	}
	return out
}

// anomalyChart draws the distributions of the anomaly scores of normal and
// anomalous windows, as shares of each group so that a small group stays
// visible, and the threshold.
func (sw *svgWriter) anomalyChart(a *AnomalyScores) (template.HTML, error) {
	all := append(slices.Clone(a.Normal), a.Anomalous...)
	if finite(a.Threshold) {
		all = append(all, a.Threshold)
	}
	lo, hi := finiteRange(all)
	if hi <= lo {
		hi = lo + 1
	}
	const bins = 40
	w := (hi - lo) / bins
	p := newPlot(a.Block+": anomaly scores of the testing windows", "Anomaly score (block units)", "Windows (% of group)")
	leg := newLegend()
	for _, grp := range []struct {
		name string
		v    []float64
		c    color.RGBA
	}{{"normal", a.Normal, classColors[0]}, {"anomalous", a.Anomalous, bad}} {
		if len(grp.v) == 0 {
			continue
		}
		c := color.NRGBA{grp.c.R, grp.c.G, grp.c.B, 0xa0}
		var rs rects
		for i, s := range histogram(grp.v, lo, hi, bins) {
			if s > 0 {
				x0 := lo + float64(i)*w
				rs = append(rs, rect{x0: x0, x1: x0 + w, y0: 0, y1: s, fill: c})
			}
		}
		p.Add(rs)
		leg.Add(fmt.Sprintf("%s (%d windows)", grp.name, len(grp.v)), rs)
	}
	if finite(a.Threshold) {
		th := vline{x: a.Threshold, style: draw.LineStyle{Color: ink, Width: 1.6, Dashes: []vg.Length{5, 3}},
			caption: "threshold " + strconv.FormatFloat(a.Threshold, 'g', 4, 64), right: true}
		p.Add(th)
		leg.Add("threshold", th)
	}
	p.X.Min, p.X.Max = lo-w, hi+w
	p.Y.Min = 0
	return sw.drawWithLegend(p, leg, fullW, 290, 200)
}

// deviceChart draws one figure of every engine as horizontal bars against
// the target's budget (a dashed line), bars over the budget in red.
func (sw *svgWriter) deviceChart(d *Device, title, xLabel string, value func(Engine) float64, limit float64, limitName string) (template.HTML, error) {
	n := len(d.Engines)
	names := make([]string, n)
	var rs rects
	var texts labels
	xmax := 0.0
	for i, e := range d.Engines {
		names[i] = e.Name
		v := value(e)
		if !finite(v) {
			continue
		}
		y := float64(n - 1 - i)
		c := classColors[0]
		if limit > 0 && v > limit {
			c = bad
		}
		rs = append(rs, rect{x0: 0, x1: v, y0: y - 0.34, y1: y + 0.34, fill: c})
		texts = append(texts, label{x: v, y: y, dx: 4, text: shortNum(v), style: textStyle(tickSize-1, ink, draw.XLeft, draw.YCenter)})
		xmax = math.Max(xmax, v)
	}
	p := newPlot(title, xLabel, "Engine")
	p.Add(rs, texts)
	if limit > 0 {
		p.Add(vline{x: limit, style: draw.LineStyle{Color: budget, Width: 1.6, Dashes: []vg.Length{5, 3}}, caption: limitName})
		xmax = math.Max(xmax, limit)
	}
	p.X.Min, p.X.Max = 0, math.Max(xmax*1.18, 1e-9)
	p.Y.Min, p.Y.Max = -0.6, float64(n)-0.4
	p.Y.Tick.Marker = nominalTicks(names, true)
	return sw.drawPlot(p, halfW, math.Max(200, 80+float64(n)*30))
}

// shortNum formats a figure with three significant digits.
func shortNum(v float64) string {
	switch a := math.Abs(v); {
	case a >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case a >= 1:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

// tunerChart draws every trial's score against its latency, the Pareto
// front joined by a line, trials that do not fit the target hollow and
// grey, the selected trial starred.
func (sw *svgWriter) tunerChart(t *Tuner) (template.HTML, error) {
	metric := t.Metric
	if metric == "" {
		metric = "Score"
	}
	p := newPlot("Tuner: "+metric+" against latency", "Latency (ms)", metric)
	leg := newLegend()
	var fits, over, front, sel plotter.XYs
	for _, tr := range t.Trials {
		if !finite(tr.LatencyMs) || !finite(tr.Score) {
			continue
		}
		xy := plotter.XY{X: tr.LatencyMs, Y: tr.Score}
		if tr.Fits {
			fits = append(fits, xy)
		} else {
			over = append(over, xy)
		}
		if tr.Pareto {
			front = append(front, xy)
		}
		if tr.Selected {
			sel = append(sel, xy)
		}
	}
	if len(fits)+len(over) == 0 {
		return "", fmt.Errorf("report: tuner: no trial with a finite latency and score")
	}
	slices.SortFunc(front, func(a, b plotter.XY) int { return cmp.Compare(a.X, b.X) })
	if len(front) > 0 {
		l, err := plotter.NewLine(front)
		if err != nil {
			return "", err
		}
		l.Color = classColors[1]
		l.Width = 1.8
		l.StepStyle = plotter.PostStep
		p.Add(l)
		leg.Add("Pareto front", l)
	}
	for _, g := range []struct {
		name string
		xy   plotter.XYs
		st   draw.GlyphStyle
	}{
		{"fits the target", fits, draw.GlyphStyle{Color: classColors[0], Radius: 3.5, Shape: draw.CircleGlyph{}}},
		{"exceeds the target", over, draw.GlyphStyle{Color: muted, Radius: 3.5, Shape: draw.RingGlyph{}}},
		{"selected", sel, draw.GlyphStyle{Color: good, Radius: 7, Shape: draw.PyramidGlyph{}}},
	} {
		if len(g.xy) == 0 {
			continue
		}
		s, err := plotter.NewScatter(g.xy)
		if err != nil {
			return "", err
		}
		s.GlyphStyle = g.st
		p.Add(s)
		leg.Add(g.name, s)
	}
	padRange(&p.X, 0.04)
	padRange(&p.Y, 0.06)
	p.X.Min = math.Max(p.X.Min, 0)
	return sw.drawWithLegend(p, leg, fullW, 360, 160)
}
