package report_test

import (
	"encoding/binary"
	"image"
	"io"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/tinyimpulse/tinyimpulse/report"
)

// fuzzData builds report data from fuzz bytes: every figure, count and size
// comes from the bytes, so NaN, infinities, negative counts, empty and
// mismatched shapes all occur.
func fuzzData(b []byte) *report.Data {
	next := func() uint64 {
		if len(b) < 8 {
			b = append(b, make([]byte, 8)...)
		}
		v := binary.LittleEndian.Uint64(b)
		b = b[8:]
		return v
	}
	f := func() float64 {
		v := next()
		switch v % 7 {
		case 0:
			return math.NaN()
		case 1:
			return math.Inf(int(v%2)*2 - 1)
		case 2:
			return math.Float64frombits(v)
		}
		return float64(int64(v>>8)%2000) / 7
	}
	n := func(limit int) int { return int(next() % uint64(limit)) }
	labels := func() []string {
		out := make([]string, n(5))
		for i := range out {
			out[i] = strings.Repeat("é<a>", n(3)) + string(rune('a'+i))
		}
		return out
	}
	d := &report.Data{Title: "fuzz <b>", Created: time.Unix(int64(n(1e9)), 0), Notes: map[string]string{"device": "<i>"}}
	rows, cols := labels(), labels()
	counts := make([]int, len(rows)*len(cols)+n(2))
	for i := range counts {
		counts[i] = n(50) - 5
	}
	d.Validation = []report.Validation{{Block: "NN", ModelType: "int8", Selected: true, Accuracy: f(), Loss: f(),
		Matrix:   report.Matrix{Rows: rows, Columns: cols, Counts: counts},
		PerClass: []report.ClassScore{{Label: "a", Precision: f(), Recall: f(), F1: f(), Support: n(9) - 3}}}}
	epochs := make([]report.Epoch, n(6))
	for i := range epochs {
		epochs[i] = report.Epoch{Loss: f(), Accuracy: f(), ValLoss: f(), ValAccuracy: f()}
	}
	d.Training = []report.Training{{Block: "NN", Epochs: epochs, BestEpoch: n(8) - 1}}
	d.Dataset = report.Dataset{TimeSeries: n(2) == 0, Classes: []report.ClassCount{{Label: "x",
		Training: report.Count{Samples: n(9) - 2, Duration: time.Duration(next())}, Testing: report.Count{Samples: n(9)}}}}
	sig := &report.Signal{IntervalMs: f(), WindowStartMs: f(), WindowEndMs: f()}
	vals := make([]float64, n(40))
	for i := range vals {
		vals[i] = f()
	}
	sig.Axes = []report.Axis{{Name: "x", Units: "g", Values: vals}, {Name: "y", Values: vals[:len(vals)/2]}}
	nx, ny := n(4), n(4)
	heat := make([]float64, nx*ny+n(2))
	for i := range heat {
		heat[i] = f()
	}
	var img image.Image
	if w, h := n(4), n(4); n(2) == 0 {
		img = image.NewGray(image.Rect(0, 0, w, h))
	}
	d.Samples = []report.Sample{{Label: "x", Name: "s", Signal: sig, Image: img, Outputs: []report.DSPOutput{
		{Block: "spectral", Spectra: []report.Spectrum{{Axis: "x", Bands: []report.Band{{LoHz: f(), HiHz: f(), Power: f()}}}},
			Scalars: []report.Scalar{{Axis: "x", Name: "RMS", Value: f()}}},
		{Block: "mfcc", Heat: &report.HeatMap{NX: nx, NY: ny, Values: heat, X: report.Range{Label: "t", Min: f(), Max: f()}, Y: report.Range{Label: "c", Min: f(), Max: f()}}},
		{Block: "raw", Features: vals},
	}}}
	pts := make([]report.Point, n(30))
	for i := range pts {
		pts[i] = report.Point{X: f(), Y: f(), Class: n(4) - 1, Wrong: n(2) == 0}
	}
	d.Explorer = &report.Explorer{Method: "PCA", XLabel: "a", YLabel: "b", Classes: labels(), Points: pts}
	d.Testing = &report.Testing{Matrix: report.Matrix{Rows: rows, Columns: cols, Counts: counts}, Accuracy: f(), Windows: n(9)}
	d.Anomaly = []report.AnomalyScores{{Block: "K-means", Threshold: f(), Normal: vals, Anomalous: vals[:len(vals)/3]}}
	d.Device = &report.Device{Target: "dev", RAMBytes: n(1 << 20), ROMBytes: n(1 << 20), LatencyBudgetMs: f(),
		Engines: []report.Engine{{Name: "EON", LatencyMs: f(), RAM: n(1 << 20), ROM: n(1 << 20)}}}
	if n(2) == 0 {
		d.Tuner = &report.Tuner{Trials: []report.Trial{{Name: "t", LatencyMs: f(), Score: f(), Pareto: true, Fits: true}}}
	}
	return d
}

// FuzzWrite checks that no data makes Write panic: it either writes a
// whole page or returns an error.
func FuzzWrite(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz"))
	f.Add([]byte{0xff, 0xfe, 7, 0, 0, 0, 0, 0, 3, 3, 3, 3, 3, 3, 3, 3, 9, 9, 9, 9, 9, 9, 9, 9})
	for i := range 8 {
		b := make([]byte, 512)
		for j := range b {
			b[j] = byte(i*131 + j*17)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var w strings.Builder
		if err := report.Write(&w, fuzzData(b)); err != nil {
			return
		}
		if !strings.HasSuffix(strings.TrimSpace(w.String()), "</html>") {
			t.Errorf("no error, but the page is not whole")
		}
		if err := report.Write(io.Discard, fuzzData(b)); err != nil {
			t.Errorf("the same data gave an error the second time: %v", err)
		}
	})
}
