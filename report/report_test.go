package report_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tinyimpulse/tinyimpulse/dataset"
	"github.com/tinyimpulse/tinyimpulse/impulse"
	"github.com/tinyimpulse/tinyimpulse/report"
)

var trainTime = time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)

// trained is a model trained on one of the project's datasets, its model
// testing and its report.
type trained struct {
	model *impulse.Model
	ds    *dataset.Dataset
	test  *impulse.TestReport
	data  *report.Data
	html  string
}

var (
	trainedMu sync.Mutex
	trainedBy = map[string]*trained{}
)

// train trains (once per test binary) the impulse testdata/impulses/NAME.json
// on testdata/DATA and writes its report.
func train(t testing.TB, name, data string) *trained {
	t.Helper()
	trainedMu.Lock()
	defer trainedMu.Unlock()
	if tr := trainedBy[name]; tr != nil {
		return tr
	}
	def, err := impulse.LoadDefinition(filepath.Join("..", "testdata", "impulses", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	ds, err := dataset.Load(data)
	if err != nil {
		t.Fatal(err)
	}
	im, err := impulse.Compile(def, ds)
	if err != nil {
		t.Fatal(err)
	}
	m, err := impulse.Train(context.Background(), im, ds, impulse.TrainOptions{Seed: 1, Created: trainTime})
	if err != nil {
		t.Fatal(err)
	}
	test, err := m.Test(context.Background(), ds.Category(dataset.CategoryTesting), impulse.TestOptions{Created: trainTime})
	if err != nil {
		t.Fatal(err)
	}
	d, err := report.Build(context.Background(), m, ds, test, report.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := report.Write(&b, d); err != nil {
		t.Fatal(err)
	}
	tr := &trained{model: m, ds: ds, test: test, data: d, html: b.String()}
	trainedBy[name] = tr
	return tr
}

func gestures(t testing.TB) *trained {
	return train(t, "gestures", filepath.Join("..", "testdata", "gestures"))
}

// chart is one <svg> chart of a page: its attributes and the text it draws.
type chart struct {
	id, title, x, y string
	texts           []string
	images          []string // href of every <image>
}

var svgRE = regexp.MustCompile(`(?s)<svg\b.*?</svg>`)

// charts parses every <svg> element of a page as XML (which checks that it
// is well formed) and collects its title, axis labels and texts.
func charts(t *testing.T, page string) []chart {
	t.Helper()
	var out []chart
	for _, s := range svgRE.FindAllString(page, -1) {
		var c chart
		dec := xml.NewDecoder(strings.NewReader(s))
		var stack []string
		for {
			tok, err := dec.Token()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("chart %d is not well-formed SVG: %v\n%.300s", len(out)+1, err, s)
			}
			switch e := tok.(type) {
			case xml.StartElement:
				stack = append(stack, e.Name.Local)
				for _, a := range e.Attr {
					switch {
					case e.Name.Local == "svg" && a.Name.Local == "id":
						c.id = a.Value
					case e.Name.Local == "svg" && a.Name.Local == "data-x":
						c.x = a.Value
					case e.Name.Local == "svg" && a.Name.Local == "data-y":
						c.y = a.Value
					case e.Name.Local == "image" && a.Name.Local == "href":
						c.images = append(c.images, a.Value)
					}
				}
			case xml.EndElement:
				stack = stack[:len(stack)-1]
			case xml.CharData:
				if len(stack) == 0 {
					break
				}
				switch stack[len(stack)-1] {
				case "title":
					c.title += string(e)
				case "text":
					c.texts = append(c.texts, string(e))
				}
			}
		}
		out = append(out, c)
	}
	return out
}

// TestSections checks that the page has every section, in Studio's order,
// with the tuner's only when a tuner run is given.
func TestSections(t *testing.T) {
	g := gestures(t)
	last := -1
	for _, s := range report.Sections {
		i := strings.Index(g.html, `<section id="`+s.ID+`">`)
		if s.ID == "tuner" {
			if i >= 0 {
				t.Error("tuner section without a tuner run")
			}
			continue
		}
		if i < 0 {
			t.Errorf("section %q missing", s.ID)
			continue
		}
		if i < last {
			t.Errorf("section %q out of order", s.ID)
		}
		last = i
		if !strings.Contains(g.html[i:], "<h2>"+s.Title+"</h2>") {
			t.Errorf("section %q has no heading %q", s.ID, s.Title)
		}
	}
	d := *g.data
	d.Tuner = &report.Tuner{Metric: "Validation accuracy (%)", Trials: []report.Trial{
		{Name: "a", LatencyMs: 3, Score: 80, Pareto: true, Fits: true},
		{Name: "b", LatencyMs: 9, Score: 91, Pareto: true, Fits: true, Selected: true},
		{Name: "c", LatencyMs: 12, Score: 85, Fits: false},
	}}
	var b strings.Builder
	if err := report.Write(&b, &d); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	i := strings.Index(page, `<section id="tuner">`)
	if i < 0 || i < strings.Index(page, `<section id="device">`) {
		t.Fatal("tuner section missing or before the device section")
	}
	cs := charts(t, page[i:])
	if len(cs) != 1 || cs[0].x != "Latency (ms)" || cs[0].y != "Validation accuracy (%)" {
		t.Errorf("tuner charts: %+v", cs)
	}
}

// TestCharts checks every chart of the gestures report: an <svg> with a
// <title>, that title and both axis labels drawn as text, units on the
// axes that have one, and the charts each section should have.
func TestCharts(t *testing.T) {
	g := gestures(t)
	cs := charts(t, g.html)
	ids := map[string]bool{}
	for _, c := range cs {
		if c.id == "" || ids[c.id] {
			t.Errorf("chart id %q missing or repeated", c.id)
		}
		ids[c.id] = true
		if c.title == "" || c.x == "" || c.y == "" {
			t.Errorf("chart %s: title %q, x %q, y %q: all three are needed", c.id, c.title, c.x, c.y)
			continue
		}
		for _, want := range []string{c.title, c.x, c.y} {
			if !slices.Contains(c.texts, want) {
				t.Errorf("chart %s (%q) does not draw %q", c.id, c.title, want)
			}
		}
		// Ticks: at least two numbers or names on each axis.
		if len(c.texts) < 7 {
			t.Errorf("chart %s (%q) draws only %q", c.id, c.title, c.texts)
		}
	}
	// The gestures report: 1 dataset, 4 signals and 4 spectra, the
	// explorer, 2 training curves, 2 validation and 1 testing matrices, 1
	// anomaly histogram and 3 device charts.
	count := func(pred func(chart) bool) int {
		n := 0
		for _, c := range cs {
			if pred(c) {
				n++
			}
		}
		return n
	}
	for _, w := range []struct {
		what string
		n    int
		pred func(chart) bool
	}{
		{"dataset", 1, func(c chart) bool { return c.x == "Duration (s)" && c.y == "Class" }},
		{"raw signals", 4, func(c chart) bool { return c.x == "Time (ms)" && c.y == "Value (m/s2)" }},
		{"spectra", 4, func(c chart) bool { return c.x == "Frequency (Hz)" && c.y == "Spectral power (log10)" }},
		{"explorer", 1, func(c chart) bool {
			return strings.HasPrefix(c.x, "PC 1 (") && strings.HasPrefix(c.title, "Feature explorer: PCA")
		}},
		{"loss", 1, func(c chart) bool { return c.x == "Epoch" && c.y == "Loss (cross-entropy)" }},
		{"accuracy", 1, func(c chart) bool { return c.x == "Epoch" && c.y == "Accuracy (%)" }},
		{"validation", 2, func(c chart) bool { return c.x == "Predicted class" && c.y == "Actual class" }},
		{"testing", 1, func(c chart) bool { return c.x == "Result" && c.y == "Expected label" }},
		{"anomaly", 1, func(c chart) bool { return strings.HasPrefix(c.x, "Anomaly score") }},
		{"latency", 1, func(c chart) bool { return c.x == "Latency (ms)" && c.y == "Engine" }},
		{"RAM", 1, func(c chart) bool { return c.x == "RAM (KB)" }},
		{"ROM", 1, func(c chart) bool { return c.x == "ROM (KB)" }},
	} {
		if n := count(w.pred); n != w.n {
			t.Errorf("%d %s charts, want %d", n, w.what, w.n)
		}
	}
	if len(cs) != 19 {
		t.Errorf("%d charts, want 19", len(cs))
	}
	// The best epoch is marked on both training charts, the threshold on
	// the anomaly chart.
	best := "best epoch " + strconv.Itoa(g.data.Training[0].BestEpoch)
	if count(func(c chart) bool { return slices.Contains(c.texts, best) }) != 2 {
		t.Errorf("%q is not on both training charts", best)
	}
	if count(func(c chart) bool { return slices.Contains(c.texts, "threshold 0.3") }) != 1 {
		t.Error("the anomaly chart does not show the threshold")
	}
}

// TestSelfContained checks that the page refers to nothing outside itself:
// no URL, no script or stylesheet to load, no font; inside charts, images
// are PNG data.
func TestSelfContained(t *testing.T) {
	for _, tr := range []*trained{gestures(t), train(t, "digits", filepath.Join("..", "testdata", "digits"))} {
		page := tr.html
		for _, bad := range []string{"http://", "https://", "ftp://", "file:", "@import", "url(", "<script", "<link", "<iframe",
			"<object", "<embed", "src=", "@font-face", "xmlns"} {
			if i := strings.Index(strings.ToLower(page), bad); i >= 0 {
				t.Errorf("%s: page contains %q: %q", tr.data.Title, bad, page[max(0, i-60):min(len(page), i+60)])
			}
		}
		for _, m := range regexp.MustCompile(`\bhref="([^"]*)"`).FindAllStringSubmatch(page, -1) {
			if h := m[1]; !strings.HasPrefix(h, "#") && !strings.HasPrefix(h, "data:image/png;base64,") {
				t.Errorf("%s: href %.60q", tr.data.Title, h)
			}
		}
		if !strings.Contains(page, "font-family:'Liberation Sans',Arimo,Arial,Helvetica,sans-serif") {
			t.Errorf("%s: charts do not name the font stack", tr.data.Title)
		}
	}
	// The digits report shows images: PNG data inside SVG <image> elements.
	n := 0
	for _, c := range charts(t, train(t, "digits", filepath.Join("..", "testdata", "digits")).html) {
		n += len(c.images)
	}
	if n < 20 {
		t.Errorf("digits report: %d images, want one recorded and one processed image per class (20)", n)
	}
}

// TestDeterministic checks that the same data gives the same bytes.
func TestDeterministic(t *testing.T) {
	g := gestures(t)
	var b bytes.Buffer
	if err := report.Write(&b, g.data); err != nil {
		t.Fatal(err)
	}
	if b.String() != g.html {
		t.Error("two writes of the same data differ")
	}
	d, err := report.Build(context.Background(), g.model, g.ds, g.test, report.Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	b.Reset()
	if err := report.Write(&b, d); err != nil {
		t.Fatal(err)
	}
	if b.String() != g.html {
		t.Error("a report built with one worker differs from one built with every core")
	}
}

// TestBuild checks the figures Build takes from the model, the dataset and
// model testing against sources that do not go through it: the dataset's
// file names, the training log's window counts, the model's own validation
// metrics and test summary, and the estimate.
func TestBuild(t *testing.T) {
	g := gestures(t)
	d := g.data
	// Samples per class and category, from the file names
	// (<label>.<id>.json).
	files := map[string]int{}
	for _, cat := range []string{"training", "testing"} {
		es, err := os.ReadDir(filepath.Join("..", "testdata", "gestures", cat))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range es {
			files[cat+"/"+strings.SplitN(e.Name(), ".", 2)[0]]++
		}
	}
	windows := 0
	for _, c := range d.Dataset.Classes {
		if c.Training.Samples != files["training/"+c.Label] || c.Testing.Samples != files["testing/"+c.Label] {
			t.Errorf("%s: %d/%d samples, files say %d/%d", c.Label, c.Training.Samples, c.Testing.Samples,
				files["training/"+c.Label], files["testing/"+c.Label])
		}
		windows += c.Training.Windows
	}
	// TestTrainGestures (impulse) reads "Training on 435 inputs,
	// validating on 109 inputs" in the log.
	if windows != 544 {
		t.Errorf("%d training windows, the training log says 435 + 109", windows)
	}
	if len(d.Samples) != 4 {
		t.Errorf("%d samples shown, want one per class (4)", len(d.Samples))
	}
	for _, s := range d.Samples {
		if s.Signal == nil || len(s.Signal.Axes) != 3 || len(s.Outputs) != 1 || len(s.Outputs[0].Spectra) != 3 || len(s.Outputs[0].Scalars) != 15 {
			t.Errorf("sample %s: signal or spectral output incomplete: %+v", s.Name, s.Outputs)
		}
	}

	// The explorer shows every training window (fewer than 2000) and marks
	// the predictions Studio's metadata marks wrong.
	if d.Explorer == nil || len(d.Explorer.Points) != 544 {
		t.Fatalf("explorer: %+v", d.Explorer)
	}
	wrong := 0
	for _, p := range d.Explorer.Points {
		if p.Wrong {
			wrong++
		}
	}
	md := g.model.Detailed().Impulses[0].LearnBlockKerasConfigs[0].Metadata
	want := 0
	for _, mm := range md.ModelValidationMetrics {
		if mm.Type == "int8" {
			for _, p := range mm.Predictions {
				if !*p.PredictionCorrect {
					want++
				}
			}
		}
	}
	if wrong != want {
		t.Errorf("%d windows marked wrong, the int8 predictions have %d", wrong, want)
	}

	// Training: the history, best epoch included.
	h, _ := g.model.History(3)
	best, _ := g.model.BestEpoch(3)
	if len(d.Training) != 1 || len(d.Training[0].Epochs) != len(h) || d.Training[0].BestEpoch != best ||
		d.Training[0].Epochs[best-1].ValLoss != h[best-1].ValLoss {
		t.Errorf("training: %+v", d.Training)
	}

	// Validation: int8 (selected) first, figures as the model reports them.
	if len(d.Validation) != 2 || d.Validation[0].ModelType != "int8" || !d.Validation[0].Selected || d.Validation[1].Selected {
		t.Fatalf("validation: %+v", d.Validation)
	}
	for _, v := range d.Validation {
		mt, err := impulse.ParseModelType(v.ModelType)
		if err != nil {
			t.Fatal(err)
		}
		c, err := g.model.Validation(3, mt)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(v.Matrix.Counts, c.Confusion.Counts) || v.Accuracy != c.Report.Accuracy {
			t.Errorf("%s: matrix %v accuracy %v, model says %v %v", v.ModelType, v.Matrix.Counts, v.Accuracy, c.Confusion.Counts, c.Report.Accuracy)
		}
		for i, s := range v.PerClass {
			if s.F1 != c.Report.PerClass[i].F1 || s.Support != c.Report.PerClass[i].Support {
				t.Errorf("%s %s: F1 %v support %d, model says %+v", v.ModelType, s.Label, s.F1, s.Support, c.Report.PerClass[i])
			}
		}
	}

	// Model testing and anomaly scores, from the test report.
	if d.Testing == nil || !slices.Equal(d.Testing.Matrix.Counts, g.test.Summary.Counts) || d.Testing.Accuracy != g.test.Summary.Accuracy() ||
		d.Testing.Windows != len(g.test.Windows) || d.Testing.Samples != 15 {
		t.Errorf("testing: %+v", d.Testing)
	}
	if len(d.Anomaly) != 1 || d.Anomaly[0].Threshold != 0.3 || len(d.Anomaly[0].Anomalous) != 51 ||
		len(d.Anomaly[0].Normal)+len(d.Anomaly[0].Anomalous) != len(g.test.Windows) {
		t.Errorf("anomaly: threshold %v, %d normal, %d anomalous", d.Anomaly[0].Threshold, len(d.Anomaly[0].Normal), len(d.Anomaly[0].Anomalous))
	}

	// Device: every engine's totals from its parts, the EON int8 latency
	// as the estimate's blocks add up.
	est, err := g.model.Estimate("")
	if err != nil {
		t.Fatal(err)
	}
	lat := est.DSP[0].LatencyMs + est.NN[0].LatencyMs + est.Anomaly[0].LatencyMs
	e := d.Device.Engines[0]
	if e.Name != "EON int8" || math.Abs(e.LatencyMs-lat) > 1e-9 || d.Device.RAMBytes != est.Target.RAMBytes {
		t.Errorf("engine %s: %v ms, estimate says %v", e.Name, e.LatencyMs, lat)
	}
	for _, e := range d.Device.Engines {
		var l float64
		var ram, rom int
		for _, p := range e.Parts {
			l, ram, rom = l+p.LatencyMs, max(ram, p.RAM), rom+p.ROM
		}
		if e.LatencyMs != l || e.RAM != ram || e.ROM != rom {
			t.Errorf("%s: totals %v/%d/%d, parts add up to %v/%d/%d", e.Name, e.LatencyMs, e.RAM, e.ROM, l, ram, rom)
		}
	}
}

// TestKeywords checks the audio report: an MFCC heat map per class with
// time in seconds along X.
func TestKeywords(t *testing.T) {
	k := train(t, "keywords", filepath.Join("..", "testdata", "keywords"))
	n := 0
	for _, c := range charts(t, k.html) {
		if c.x == "Time (s)" && c.y == "Cepstral coefficient (index)" {
			n++
			if len(c.images) != 2 { // the heat map and its colour bar
				t.Errorf("MFCC chart %q has %d images", c.title, len(c.images))
			}
		}
	}
	if n != len(k.data.Samples) || n < 2 {
		t.Errorf("%d MFCC charts for %d samples", n, len(k.data.Samples))
	}
	for _, s := range k.data.Samples {
		h := s.Outputs[0].Heat
		if h == nil || h.NY != 13 || h.NX*h.NY != len(h.Values) {
			t.Errorf("%s: heat map %+v", s.Label, h)
		}
	}
}

// TestWriteErrors checks that inconsistent data gives an error naming the
// chart, never a panic.
func TestWriteErrors(t *testing.T) {
	for name, d := range map[string]*report.Data{
		"nil": nil,
		"matrix": {Validation: []report.Validation{{Block: "NN", ModelType: "int8",
			Matrix: report.Matrix{Rows: []string{"a", "b"}, Columns: []string{"a", "b"}, Counts: []int{1, 2, 3}}}}},
		"heat map": {Samples: []report.Sample{{Label: "a", Outputs: []report.DSPOutput{{Block: "MFCC",
			Heat: &report.HeatMap{NX: 3, NY: 2, Values: []float64{1, 2}}}}}}},
		"heat range": {Samples: []report.Sample{{Label: "a", Outputs: []report.DSPOutput{{Block: "MFCC",
			Heat: &report.HeatMap{NX: 1, NY: 1, Values: []float64{1}, X: report.Range{Min: 1, Max: math.NaN()}}}}}}},
		"tuner": {Tuner: &report.Tuner{Trials: []report.Trial{{Name: "x", LatencyMs: math.NaN(), Score: 1}}}},
	} {
		if err := report.Write(io.Discard, d); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
