// Package evaltest evaluates learn on the real datasets in ../shared/datasets
// with Studio's default processing blocks (from package dsp) and Studio's
// default networks, and compares with PyTorch (testdata/learn/eval_torch.py).
// It holds tests only: learn itself never imports dsp.
package evaltest

import (
	"context"
	"encoding/binary"
	"encoding/csv"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tinyimpulse/tinyimpulse/dsp"
	"github.com/tinyimpulse/tinyimpulse/learn"
	"gonum.org/v1/gonum/mat"
)

const datasets = "../../../../shared/datasets"

// evalSet is one dataset turned into features with one processing block.
type evalSet struct {
	name   string
	block  string
	in     learn.Input
	labels []string
	X      [][]float64
	y      []int
}

// sample is one file of the training category.
type sample struct {
	path, label string
}

func trainingSamples(t *testing.T, dir string) ([]sample, []string) {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "labels.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []sample
	var labels []string
	for _, r := range rows[1:] {
		if r[2] != "training" {
			continue
		}
		out = append(out, sample{filepath.Join(dir, r[0]), r[1]})
		if !slices.Contains(labels, r[1]) {
			labels = append(labels, r[1])
		}
	}
	slices.Sort(labels) // Studio orders classes alphabetically
	return out, labels
}

// readAcquisition returns the interleaved values and the interval of an Edge
// Impulse data-acquisition JSON file.
func readAcquisition(path string) ([]float64, int, float64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, 0, 0, err
	}
	var f struct {
		Payload struct {
			IntervalMs float64     `json:"interval_ms"`
			Values     [][]float64 `json:"values"`
		} `json:"payload"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, 0, 0, err
	}
	var v []float64
	for _, r := range f.Payload.Values {
		v = append(v, r...)
	}
	return v, len(f.Payload.Values[0]), f.Payload.IntervalMs, nil
}

// readWAV returns the 16-bit PCM samples of a mono WAV file as floats (raw int16 values).
func readWAV(path string) ([]float64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, errors.New("not a WAV file")
	}
	for p := 12; p+8 <= len(b); {
		id, n := string(b[p:p+4]), int(binary.LittleEndian.Uint32(b[p+4:]))
		p += 8
		if id == "data" {
			d := b[p:min(p+n, len(b))]
			out := make([]float64, len(d)/2)
			for i := range out {
				out[i] = float64(int16(binary.LittleEndian.Uint16(d[2*i:])))
			}
			return out, nil
		}
		p += n + n%2
	}
	return nil, errors.New("no data chunk")
}

func learnInput(block string, b dsp.Block) learn.Input {
	o := b.Output()
	switch o.Type {
	case "spectrogram":
		k := map[string]learn.InputKind{"mfcc": learn.InputMFCC, "mfe": learn.InputMFE, "spectrogram": learn.InputSpectrogram}[block]
		return learn.Input{Kind: k, Width: b.NumFeatures() / o.Shape.Height, Height: o.Shape.Height}
	case "image":
		return learn.Input{Kind: learn.InputImage, Width: int(o.Shape.Width), Height: o.Shape.Height, Channels: o.Shape.Channels}
	}
	return learn.Input{Kind: learn.InputFlat, Width: b.NumFeatures()}
}

// timeSeries windows every training sample (windowMs long, every strideMs; 0 =
// the whole sample) and runs block with Studio's default parameters.
func timeSeries(t *testing.T, name, block string, windowMs, strideMs float64) *evalSet {
	dir := filepath.Join(datasets, name)
	samples, labels := trainingSamples(t, dir)
	es := &evalSet{name: name + "/" + block, block: block, labels: labels}
	var blk dsp.Block
	for _, s := range samples {
		var v []float64
		axes, interval := 1, 1000.0/16000
		var err error
		if filepath.Ext(s.path) == ".wav" {
			v, err = readWAV(s.path)
		} else {
			v, axes, interval, err = readAcquisition(s.path)
		}
		if err != nil {
			t.Fatalf("%s: %v", s.path, err)
		}
		rows := len(v) / axes
		win, stride := rows, rows
		if windowMs > 0 {
			win, stride = int(math.Round(windowMs/interval)), int(math.Round(strideMs/interval))
		}
		if blk == nil {
			blk, err = dsp.New(block, 0, nil, dsp.Input{FrequencyHz: 1000 / interval, Axes: axes, Samples: win})
			if err != nil {
				t.Fatal(err)
			}
			es.in = learnInput(block, blk)
		}
		y := slices.Index(labels, s.label)
		for start := 0; start+win <= rows; start += stride {
			f, err := blk.AppendFeatures(make([]float64, 0, blk.NumFeatures()), v[start*axes:(start+win)*axes])
			if err != nil {
				t.Fatalf("%s: %v", s.path, err)
			}
			es.X = append(es.X, f)
			es.y = append(es.y, y)
		}
	}
	return es
}

// digits reads digits-8x8 from its CSV (values 0..16, stored in the PNGs as
// round(v·255/16)) through the grayscale image block.
func digits(t *testing.T) *evalSet {
	f, err := os.Open(filepath.Join(datasets, "digits-8x8", "digits.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	blk, err := dsp.New("image", 0, map[string]any{"channels": "Grayscale"}, dsp.Input{Samples: 64, Width: 8, Height: 8})
	if err != nil {
		t.Fatal(err)
	}
	es := &evalSet{name: "digits-8x8/image", block: "image", in: learnInput("image", blk)}
	for d := range 10 {
		es.labels = append(es.labels, strconv.Itoa(d))
	}
	px := make([]float64, 64)
	for _, r := range rows[1:] {
		if r[2] != "training" {
			continue
		}
		for i := range px {
			v, _ := strconv.Atoi(r[3+i])
			b := int(math.Round(float64(v) * 255 / 16))
			px[i] = float64(b<<16 | b<<8 | b)
		}
		feats, err := blk.AppendFeatures(make([]float64, 0, blk.NumFeatures()), px)
		if err != nil {
			t.Fatal(err)
		}
		lab, _ := strconv.Atoi(r[1])
		es.X = append(es.X, feats)
		es.y = append(es.y, lab)
	}
	return es
}

type torchRef struct {
	Dataset        string    `json:"dataset"`
	ValAccuracy    []float64 `json:"val_accuracy"`
	MedianAccuracy float64   `json:"median_val_accuracy"`
}

func loadTorch(t *testing.T) map[string]torchRef {
	b, err := os.ReadFile("../../../testdata/learn/eval_torch.json")
	if err != nil {
		t.Logf("no PyTorch reference: %v", err)
		return nil
	}
	var f struct{ Results []torchRef }
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	m := map[string]torchRef{}
	for _, r := range f.Results {
		m[r.Dataset] = r
	}
	return m
}

// TestStudioDefaults trains Studio's default network on every dataset with seeds
// 1..N and checks that the median float32 validation accuracy is at least
// PyTorch's, less one validation window (median over the same seeds' splits and
// initial weights, same features and architecture)
// and that the median int8 accuracy is within 1 point (or one validation window,
// when that is more) of float32's.
// With LEARN_EVAL_EXPORT=DIR it writes the features, split and configuration of
// each dataset to DIR for eval_torch.py.
func TestStudioDefaults(t *testing.T) {
	if _, err := os.Stat(datasets); err != nil {
		t.Skip("../shared/datasets is absent:", err)
	}
	if testing.Short() {
		t.Skip("trains networks on real datasets (about 20 s)")
	}
	ref := loadTorch(t)
	// Seeds per dataset: the validation sets are small (58 to 288 windows) and
	// the accuracy varies a lot with the seed, so the cheap networks get more.
	sets := []struct {
		seeds int
		mk    func(*testing.T) *evalSet
	}{
		{5, digits},
		{9, func(t *testing.T) *evalSet { return timeSeries(t, "kws-speech-commands", "mfcc", 0, 0) }},
		{5, func(t *testing.T) *evalSet { return timeSeries(t, "kws-speech-commands", "mfe", 0, 0) }},
		{25, func(t *testing.T) *evalSet { return timeSeries(t, "gestures-magic-wand", "spectral-analysis", 0, 0) }},
		{9, func(t *testing.T) *evalSet {
			return timeSeries(t, "gestures-continuous", "spectral-analysis", 2000, 500)
		}},
		{9, func(t *testing.T) *evalSet { return timeSeries(t, "fan-unbalance", "spectral-analysis", 2000, 1000) }},
	}
	for _, set := range sets {
		es := set.mk(t)
		t.Run(es.name, func(t *testing.T) {
			X := mat.NewDense(len(es.X), len(es.X[0]), nil)
			for i, r := range es.X {
				X.SetRow(i, r)
			}
			cfg := learn.DefaultConfig(es.in)
			d := learn.Dataset{X: X, Y: es.y, Labels: es.labels}
			var accs, accsQ []float64
			var runs []*learn.Result
			for seed := uint64(1); seed <= uint64(set.seeds); seed++ {
				r, err := learn.Train(context.Background(), cfg, es.in, d, learn.Options{Seed: seed})
				if err != nil {
					t.Fatal(err)
				}
				q, err := learn.Quantize(context.Background(), r.Network, X, r.Validation)
				if err != nil {
					t.Fatal(err)
				}
				accF := accuracy(t, r.Network, X, es.y, r.Validation)
				accQ := accuracy(t, q, X, es.y, r.Validation)
				t.Logf("seed %d: best epoch %d/%d: float32 %.4f, int8 %.4f", seed, r.BestEpoch, cfg.TrainingCycles, accF, accQ)
				accs, accsQ = append(accs, accF), append(accsQ, accQ)
				runs = append(runs, r)
			}
			med, medQ := median(accs), median(accsQ)
			t.Logf("%s: %d windows × %d features (%+v): median validation accuracy float32 %.4f, int8 %.4f",
				es.name, len(es.X), len(es.X[0]), es.in, med, medQ)
			// One validation window can be worth more than a point (64 windows: 1.56).
			tol := max(0.01, 1/float64(len(runs[0].Validation))) + 1e-9
			if math.Abs(med-medQ) > tol {
				t.Errorf("int8 median accuracy %.4f is more than %.2f points from float32's %.4f", medQ, 100*tol, med)
			}
			if r, ok := ref[es.name]; ok {
				t.Logf("PyTorch: median %.4f over seeds %v", r.MedianAccuracy, r.ValAccuracy)
				// One validation window is the resolution of the comparison: with the
				// same split and initial weights, the batch order alone moves a seed's
				// accuracy by several windows on these small sets.
				if win := 1 / float64(len(runs[0].Validation)); med < r.MedianAccuracy-win-1e-9 {
					t.Errorf("float32 validation accuracy %.4f below PyTorch's %.4f by more than one window", med, r.MedianAccuracy)
				}
			}
			if dir := os.Getenv("LEARN_EVAL_EXPORT"); dir != "" {
				export(t, dir, es, cfg, runs)
			}
		})
	}
}

func accuracy(t *testing.T, p learn.Predictor, X *mat.Dense, y, rows []int) float64 {
	out, err := learn.Predict(context.Background(), p, X, rows)
	if err != nil {
		t.Fatal(err)
	}
	c := 0
	for i, r := range rows {
		row := out.RawRowView(i)
		best := 0
		for j, v := range row {
			if v > row[best] {
				best = j
			}
		}
		if best == y[r] {
			c++
		}
	}
	return float64(c) / float64(len(rows))
}

func export(t *testing.T, dir string, es *evalSet, cfg learn.Config, runs []*learn.Result) {
	type split struct {
		Seed int    `json:"seed"`
		T    []int  `json:"train"`
		V    []int  `json:"validation"`
		Init []byte `json:"init"` // the untrained network (learn's file format), base64
	}
	var splits []split
	for i, r := range runs {
		n, err := learn.New(cfg, es.in, es.labels, false, uint64(i+1))
		if err != nil {
			t.Fatal(err)
		}
		b, err := n.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		splits = append(splits, split{Seed: i + 1, T: r.Train, V: r.Validation, Init: b})
	}
	b, err := json.Marshal(map[string]any{
		"dataset": es.name, "input": es.in, "config": cfg.WithDefaults(), "labels": es.labels,
		"x": es.X, "y": es.y, "splits": splits,
	})
	if err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(dir, strings.ReplaceAll(es.name, "/", "_")+".json")
	if err := os.WriteFile(name, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}
