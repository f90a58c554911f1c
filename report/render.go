package report

import (
	"bufio"
	_ "embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Section is one section of the page, in Studio's order.
type Section struct {
	// ID is the section's HTML id (and its key in Data.Notes), Title its
	// heading.
	ID, Title string
}

// Sections lists the page's sections in order. The tuner section appears
// only when Data.Tuner is set.
var Sections = []Section{
	{"impulse", "Impulse design"},
	{"dataset", "Dataset"},
	{"samples", "Processing: one sample per class"},
	{"explorer", "Feature explorer"},
	{"training", "Training"},
	{"validation", "Validation: confusion matrices"},
	{"testing", "Model testing"},
	{"anomaly", "Anomaly detection"},
	{"device", "On-device performance"},
	{"tuner", "Tuner"},
}

//go:embed page.tmpl
var pageSource string

var page = template.Must(template.New("page").Funcs(template.FuncMap{
	"pct":   pct,
	"fixed": fixed,
	"kb":    kb,
	"ms":    ms,
	"dur":   dur,
	"note":  func(d *Data, id string) string { return d.Notes[id] },
	"title": sectionTitle,
}).Parse(pageSource))

func sectionTitle(id string) string {
	for _, s := range Sections {
		if s.ID == id {
			return s.Title
		}
	}
	return id
}

// pct formats a fraction as a percentage with one decimal; NaN is "–".
func pct(v float64) string {
	if !finite(v) {
		return "–"
	}
	return strconv.FormatFloat(v*100, 'f', 1, 64) + "%"
}

// fixed formats v with n decimals; NaN is "–".
func fixed(n int, v float64) string {
	if !finite(v) {
		return "–"
	}
	return strconv.FormatFloat(v, 'f', n, 64)
}

// kb formats a byte count in kilobytes (1 K = 1024 B), as Studio does.
func kb(n int) string {
	return strconv.FormatFloat(float64(n)/1024, 'f', 1, 64) + " KB"
}

// ms formats milliseconds.
func ms(v float64) string {
	if !finite(v) {
		return "–"
	}
	return shortNum(v) + " ms"
}

// dur formats a duration as hours, minutes and seconds.
func dur(d time.Duration) string {
	if d <= 0 {
		return "0s"
	}
	if d < time.Minute {
		return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + "s"
	}
	return d.Round(time.Second).String()
}

// Write writes the report of d as one self-contained HTML page: inline CSS
// and SVG, no script, no reference to anything outside the page. The same
// data gives the same bytes. It returns an error when d is nil, when a
// chart's data is inconsistent (a matrix whose counts do not match its
// labels, a heat map whose values do not fill its grid), or when w fails.
func Write(w io.Writer, d *Data) error {
	if d == nil {
		return errors.New("report: no data")
	}
	v, err := newView(d)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	if err := page.Execute(bw, v); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return bw.Flush()
}

// WriteFile writes the report to file, through a temporary file in the same
// folder renamed into place, so that a failed write leaves no partial page.
func WriteFile(file string, d *Data) (err error) {
	f, err := os.CreateTemp(filepath.Dir(file), "."+filepath.Base(file)+".tmp-")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err = Write(f, d); err != nil {
		return err
	}
	if err = f.Chmod(0o644); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), file)
}

// view is what the template reads: the data and its rendered charts.
type view struct {
	*Data
	Nav     []Section
	Columns []column
	Cards   []Setting
	Dataset datasetView
	Samples []sampleView
	// ImageSamples lays the samples out two by two.
	ImageSamples  bool
	ExplorerChart template.HTML
	Trainings     []trainingView
	Valid         []validationView
	TestingChart  template.HTML
	TestingWide   bool
	AnomalyCharts []template.HTML
	DeviceCharts  []template.HTML
	Parts         []partRow
	TunerChart    template.HTML
	Trials        []Trial
}

// column is one column of the block diagram.
type column struct {
	Head, Kind string
	Blocks     []blockView
}

// blockView is a block of the diagram with the names of the blocks it
// reads.
type blockView struct {
	Block
	Reads string
}

// partRow is a row of the on-device table: one block's figures and the
// engines they apply to.
type partRow struct {
	Part
	Engines string
}

type datasetView struct {
	Chart           template.HTML
	Train, Test     Count
	Split           string
	HasTest, Series bool
}

type sampleView struct {
	*Sample
	Signals []template.HTML
	Outputs []outputView
}

type outputView struct {
	Block   string
	Charts  []template.HTML
	Scalars scalarTable
}

// scalarTable is a block's scalar features pivoted: one row per feature
// name, one column per axis.
type scalarTable struct {
	Axes []string
	Rows []scalarRow
}

type scalarRow struct {
	Name   string
	Values []string
}

type trainingView struct {
	*Training
	Loss, Accuracy template.HTML
	Best           *Epoch
}

type validationView struct {
	*Validation
	Chart template.HTML
}

func newView(d *Data) (*view, error) {
	sw := &svgWriter{}
	v := &view{Data: d}
	for _, s := range Sections {
		if s.ID != "tuner" || d.Tuner != nil {
			v.Nav = append(v.Nav, s)
		}
	}
	names := map[int]string{}
	for _, bs := range [][]Block{d.Impulse.Inputs, d.Impulse.Processing, d.Impulse.Learning} {
		for _, b := range bs {
			names[b.ID] = b.Title
		}
	}
	for _, c := range []struct {
		head, kind string
		blocks     []Block
	}{{"Input", "input", d.Impulse.Inputs}, {"Processing", "processing", d.Impulse.Processing}, {"Learning", "learning", d.Impulse.Learning}} {
		col := column{Head: c.head, Kind: c.kind}
		for _, b := range c.blocks {
			var reads []string
			for _, id := range b.Inputs {
				if n, ok := names[id]; ok {
					reads = append(reads, n)
				}
			}
			col.Blocks = append(col.Blocks, blockView{Block: b, Reads: strings.Join(reads, ", ")})
		}
		v.Columns = append(v.Columns, col)
	}
	var err error

	// Dataset.
	v.Dataset.Series = d.Dataset.TimeSeries
	for _, c := range d.Dataset.Classes {
		v.Dataset.Train.Samples += c.Training.Samples
		v.Dataset.Train.Duration += c.Training.Duration
		v.Dataset.Train.Windows += c.Training.Windows
		v.Dataset.Test.Samples += c.Testing.Samples
		v.Dataset.Test.Duration += c.Testing.Duration
		v.Dataset.Test.Windows += c.Testing.Windows
	}
	v.Dataset.HasTest = v.Dataset.Test.Samples > 0
	if len(d.Dataset.Classes) > 0 {
		if v.Dataset.Chart, err = sw.datasetChart(&d.Dataset); err != nil {
			return nil, err
		}
		a, b := float64(v.Dataset.Train.Samples), float64(v.Dataset.Test.Samples)
		by := "samples"
		if d.Dataset.TimeSeries {
			a, b, by = v.Dataset.Train.Duration.Seconds(), v.Dataset.Test.Duration.Seconds(), "duration"
		}
		if a+b > 0 {
			v.Dataset.Split = fmt.Sprintf("%.0f%% / %.0f%% (by %s)", 100*a/(a+b), 100*b/(a+b), by)
		}
	}

	// One sample per class.
	for i := range d.Samples {
		s := &d.Samples[i]
		sv := sampleView{Sample: s}
		if s.Signal != nil {
			if sv.Signals, err = sw.signalCharts(s); err != nil {
				return nil, err
			}
		}
		if s.Image != nil {
			c, err := sw.imageChart(fmt.Sprintf("%s: sample %s as recorded", s.Label, s.Name), s.Image)
			if err != nil {
				return nil, err
			}
			sv.Signals = append(sv.Signals, c)
		}
		for j := range s.Outputs {
			ov, err := sw.output(s, &s.Outputs[j])
			if err != nil {
				return nil, err
			}
			sv.Outputs = append(sv.Outputs, ov)
		}
		v.Samples = append(v.Samples, sv)
		v.ImageSamples = v.ImageSamples || s.Image != nil
	}

	if e := d.Explorer; e != nil && len(e.Points) > 0 {
		if v.ExplorerChart, err = sw.explorerChart(e); err != nil {
			return nil, err
		}
	}

	for i := range d.Training {
		t := &d.Training[i]
		tv := trainingView{Training: t}
		if tv.Loss, err = sw.trainingChart(t, "loss per epoch", "Loss (cross-entropy)", 1,
			func(e Epoch) float64 { return e.Loss }, func(e Epoch) float64 { return e.ValLoss }); err != nil {
			return nil, err
		}
		if tv.Accuracy, err = sw.trainingChart(t, "accuracy per epoch", "Accuracy (%)", 100,
			func(e Epoch) float64 { return e.Accuracy }, func(e Epoch) float64 { return e.ValAccuracy }); err != nil {
			return nil, err
		}
		if t.BestEpoch >= 1 && t.BestEpoch <= len(t.Epochs) {
			tv.Best = &t.Epochs[t.BestEpoch-1]
		}
		v.Trainings = append(v.Trainings, tv)
	}

	for i := range d.Validation {
		vd := &d.Validation[i]
		c, err := sw.matrixChart(fmt.Sprintf("%s, %s: validation", vd.Block, vd.ModelType), "Predicted class", "Actual class", &vd.Matrix, halfW)
		if err != nil {
			return nil, err
		}
		v.Valid = append(v.Valid, validationView{Validation: vd, Chart: c})
	}

	if t := d.Testing; t != nil && len(t.Matrix.Rows) > 0 {
		title := "Model testing"
		if t.ModelType != "" {
			title += " (" + t.ModelType + ")"
		}
		w := halfW
		if len(t.Matrix.Columns) > 6 {
			w, v.TestingWide = fullW, true
		}
		if v.TestingChart, err = sw.matrixChart(title, "Result", "Expected label", &t.Matrix, w); err != nil {
			return nil, err
		}
	}

	for i := range d.Anomaly {
		a := &d.Anomaly[i]
		if len(a.Normal)+len(a.Anomalous) == 0 {
			continue
		}
		c, err := sw.anomalyChart(a)
		if err != nil {
			return nil, err
		}
		v.AnomalyCharts = append(v.AnomalyCharts, c)
	}

	if dv := d.Device; dv != nil && len(dv.Engines) > 0 {
		v.Cards = cards(d)
		lat := dv.LatencyBudget
		if lat == "" {
			lat = "budget"
		}
		for _, c := range []struct {
			title, x string
			f        func(Engine) float64
			limit    float64
			name     string
		}{
			{"Latency per window", "Latency (ms)", func(e Engine) float64 { return e.LatencyMs }, dv.LatencyBudgetMs, lat},
			{"Peak RAM", "RAM (KB)", func(e Engine) float64 { return float64(e.RAM) / 1024 }, float64(dv.RAMBytes) / 1024, "device RAM " + kb(dv.RAMBytes)},
			{"ROM (flash)", "ROM (KB)", func(e Engine) float64 { return float64(e.ROM) / 1024 }, float64(dv.ROMBytes) / 1024, "device ROM " + kb(dv.ROMBytes)},
		} {
			ch, err := sw.deviceChart(dv, c.title+" on "+dv.Target, c.x, c.f, c.limit, c.name)
			if err != nil {
				return nil, err
			}
			v.DeviceCharts = append(v.DeviceCharts, ch)
		}
		v.Parts = parts(dv.Engines)
	} else {
		v.Cards = cards(d)
	}

	if t := d.Tuner; t != nil && len(t.Trials) > 0 {
		if v.TunerChart, err = sw.tunerChart(t); err != nil {
			return nil, err
		}
		v.Trials = slices.Clone(t.Trials)
		slices.SortStableFunc(v.Trials, func(a, b Trial) int {
			if a.Pareto != b.Pareto {
				if a.Pareto {
					return -1
				}
				return 1
			}
			switch {
			case a.LatencyMs < b.LatencyMs:
				return -1
			case a.LatencyMs > b.LatencyMs:
				return 1
			}
			return 0
		})
	}
	return v, nil
}

// output renders one DSP output: its chart(s) and its scalar features.
func (sw *svgWriter) output(s *Sample, o *DSPOutput) (outputView, error) {
	ov := outputView{Block: o.Block}
	var c template.HTML
	var err error
	switch {
	case len(o.Spectra) > 0:
		c, err = sw.spectrumChart(s, o)
	case o.Heat != nil:
		c, err = sw.heatChart(fmt.Sprintf("%s: %s (%s)", s.Label, o.Block, o.Type), o.Heat)
	case o.Image != nil:
		c, err = sw.imageChart(fmt.Sprintf("%s: %s, as the network sees it", s.Label, o.Block), o.Image)
	case len(o.Features) > 0 && len(o.Scalars) == 0:
		c, err = sw.featuresChart(s, o)
	}
	if err != nil {
		return ov, err
	}
	if c != "" {
		ov.Charts = append(ov.Charts, c)
	}
	// Pivot the scalars.
	t := &ov.Scalars
	idx := map[string]int{}
	for _, sc := range o.Scalars {
		if !slices.Contains(t.Axes, sc.Axis) {
			t.Axes = append(t.Axes, sc.Axis)
		}
	}
	for _, sc := range o.Scalars {
		r, ok := idx[sc.Name]
		if !ok {
			r = len(t.Rows)
			idx[sc.Name] = r
			t.Rows = append(t.Rows, scalarRow{Name: sc.Name, Values: make([]string, len(t.Axes))})
		}
		t.Rows[r].Values[slices.Index(t.Axes, sc.Axis)] = fixed4(sc.Value)
	}
	return ov, nil
}

// parts lists every block's figures once, with the engines they apply to
// ("all" when every engine has the same).
func parts(es []Engine) []partRow {
	var rows []partRow
	var users [][]string
	for _, e := range es {
		for _, p := range e.Parts {
			i := slices.IndexFunc(rows, func(r partRow) bool { return r.Part == p })
			if i < 0 {
				i = len(rows)
				rows = append(rows, partRow{Part: p})
				users = append(users, nil)
			}
			users[i] = append(users[i], e.Name)
		}
	}
	for i := range rows {
		if len(users[i]) == len(es) && len(es) > 1 {
			rows[i].Engines = "all"
		} else {
			rows[i].Engines = strings.Join(users[i], ", ")
		}
	}
	return rows
}

// fixed4 formats a feature value with four significant digits.
func fixed4(v float64) string {
	if !finite(v) {
		return "–"
	}
	if a := math.Abs(v); a != 0 && (a < 1e-3 || a >= 1e5) {
		return strconv.FormatFloat(v, 'e', 3, 64)
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// cards are the headline figures at the top of the page.
func cards(d *Data) []Setting {
	var out []Setting
	for _, v := range d.Validation {
		if v.Selected {
			out = append(out, Setting{"Validation accuracy (" + v.ModelType + ")", pct(v.Accuracy)})
			break
		}
	}
	if t := d.Testing; t != nil && len(t.Matrix.Rows) > 0 {
		out = append(out, Setting{"Test accuracy", pct(t.Accuracy)})
	}
	if dv := d.Device; dv != nil && len(dv.Engines) > 0 {
		e := dv.Engines[0]
		out = append(out,
			Setting{"Latency (" + e.Name + ")", ms(e.LatencyMs)},
			Setting{"Peak RAM (" + e.Name + ")", kb(e.RAM)},
			Setting{"ROM (" + e.Name + ")", kb(e.ROM)})
	}
	return out
}
