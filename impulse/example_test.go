package impulse_test

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"slices"

	"github.com/tinyimpulse/tinyimpulse/dataset"
	"github.com/tinyimpulse/tinyimpulse/impulse"
)

var exampleDataset = filepath.Join("..", "testdata", "impulse", "samples", "dataset")

// The whole pipeline on a small dataset: load it, compile the definition
// against the data (which gives the frequency and axes), cut windows and
// compute features. Sample
// 3 is idle for its first 15 values and waves (accX 0, 1, 2, 3, …) after:
// each 10-value window takes the label of its last value.
func Example() {
	ds, err := dataset.Load(exampleDataset)
	if err != nil {
		fmt.Println(err)
		return
	}
	def, err := impulse.ParseDefinition([]byte(`{
	  "impulse": {
	    "inputBlocks": [{"id": 1, "type": "time-series", "windowSizeMs": 100, "windowIncreaseMs": 50}],
	    "dspBlocks": [{"id": 2, "type": "flatten"}],
	    "learnBlocks": [{"id": 3, "type": "keras", "dsp": [2]}]
	  },
	  "dsp": {"2": {"average": true, "minimum": false, "maximum": false, "rms": "true",
	                "stdev": false, "skewness": false, "kurtosis": false}}
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	im, err := impulse.Compile(def, ds)
	if err != nil {
		fmt.Println(err)
		return
	}
	in := im.Definition().Impulse.InputBlocks[0]
	fmt.Printf("input: %v Hz, axes %v\n", in.FrequencyHz, in.Axes)
	feats, err := im.GenerateFeatures(context.Background(), ds.Category(dataset.CategoryTraining), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	X, _ := feats.Learn(3)
	rows, cols := X.Dims()
	fmt.Printf("%d windows × %d features %v, classes %v\n", rows, cols, im.FeatureLabels(2), feats.Classes)
	for i, w := range feats.Windows {
		if w.SampleID == 3 {
			fmt.Printf("sample 3, %3d–%3d ms: %-4s accX average %.2f\n", w.StartMs, w.EndMs, w.Label, X.At(i, 0))
		}
	}
	// Output:
	// input: 100 Hz, axes [accX accY]
	// 15 windows × 4 features [accX Average accX RMS accY Average accY RMS], classes [idle wave]
	// sample 3,   0–100 ms: idle accX average 0.00
	// sample 3,  50–150 ms: idle accX average 0.00
	// sample 3, 100–200 ms: wave accX average 0.60
	// sample 3, 150–250 ms: wave accX average 1.30
	// sample 3, 200–300 ms: wave accX average 1.50
}

// Every problem of a definition is reported at once, with its JSON path.
func ExampleParseDefinition_problems() {
	_, err := impulse.ParseDefinition([]byte(`{
	  "impulse": {
	    "inputBlocks": [{"id": 1, "type": "time-series", "windowSizeMs": 2000, "frequencyHz": 62.5, "axes": ["accX", "accY", "accZ"]}],
	    "dspBlocks": [{"id": 3, "type": "spectral-analysis", "axes": ["accX", "gyrX"]}],
	    "learnBlocks": [{"id": 4, "type": "keras", "dsp": [3, 5]}]
	  },
	  "dsp": {"3": {"fft-length": 12}},
	  "learn": {"4": {"visualLayers": [{"type": "dense", "neurons": 20}, {"type": "conv1d", "neurons": 8, "kernelSize": 0}]}}
	}`))
	if de, ok := err.(*impulse.DefinitionError); ok {
		for _, p := range de.Problems {
			fmt.Println(p)
		}
	}
	// Output:
	// impulse.dspBlocks[0].axes[1]: axis "gyrX" is not one of the input block's axes (accX, accY, accZ)
	// impulse.learnBlocks[0].dsp[1]: no DSP block with id 5
	// learn.4.visualLayers[1].kernelSize: must be >= 1, not 0
}

// A Processor cuts one sample into windows with the classification stride
// and computes each window's features, as live classification does. The
// testing sample (accX = 0, 1, 2, 0, 1, 2, … at 50 Hz, 1.2 s) is resampled
// to the impulse's 100 Hz by linear interpolation: 120 values, so 500 ms
// windows every 250 ms give ⌊(120 − 50)/25⌋ + 1 = 3 windows.
func ExampleProcessor() {
	ds, err := dataset.Load(exampleDataset)
	if err != nil {
		fmt.Println(err)
		return
	}
	def, err := impulse.ParseDefinition([]byte(`{"impulse": {
	    "inputBlocks": [{"id": 1, "type": "time-series", "windowSizeMs": 500, "windowIncreaseMs": 500,
	                     "classificationWindowIncreaseMs": 250, "frequencyHz": 100, "axes": ["accX", "accY"]}],
	    "dspBlocks": [{"id": 2, "type": "raw", "axes": ["accX"]}],
	    "learnBlocks": [{"id": 3, "type": "keras", "dsp": [2]}]}}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	im, err := impulse.Compile(def, nil) // frequency and axes are given
	if err != nil {
		fmt.Println(err)
		return
	}
	p, err := im.NewProcessor()
	if err != nil {
		fmt.Println(err)
		return
	}
	s := ds.Category(dataset.CategoryTesting)[0]
	windows, err := p.Windows(nil, s, impulse.ClassificationWindows)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s: %d values at %v Hz, %d windows\n", s.Path, s.Len(), s.FrequencyHz(), len(windows))
	var feats []float64
	for _, w := range windows {
		feats, err = p.AppendLearnFeatures(feats[:0], s, w, 3)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%4d–%4d ms: %d values, first %v, resampled %v\n", w.StartMs, w.EndMs, len(feats), round2(feats[:4]), p.Resampled())
	}
	// Output:
	// testing/wave.2.json: 60 values at 50 Hz, 3 windows
	//    0– 500 ms: 50 values, first [0 0.5 1 1.5], resampled true
	//  250– 750 ms: 50 values, first [0.5 1 1.5 2], resampled true
	//  500–1000 ms: 50 values, first [1 1.5 2 1], resampled true
}

func round2(v []float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = math.Round(100*x) / 100
	}
	return out
}

// Training and model testing: Train runs Studio's training job on the
// training samples (the network, its int8 quantisation, K-means), Test
// classifies every window of the testing samples, and a Classifier does the
// same one sample at a time. The shake recordings, labelled "anomaly", are
// far from every gesture.
func ExampleTrain() {
	def, err := impulse.LoadDefinition("../testdata/impulses/gestures.json")
	if err != nil {
		fmt.Println(err)
		return
	}
	ds, err := dataset.Load("../testdata/gestures")
	if err != nil {
		fmt.Println(err)
		return
	}
	im, err := impulse.Compile(def, ds)
	if err != nil {
		fmt.Println(err)
		return
	}
	m, err := impulse.Train(context.Background(), im, ds, impulse.TrainOptions{Seed: 3})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("classes:", m.Labels())
	rep, err := m.Test(context.Background(), ds.Category(dataset.CategoryTesting), impulse.TestOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d windows tested, accuracy at least 0.85: %v, anomaly AUC at least 0.95: %v\n",
		len(rep.Windows), rep.Summary.Accuracy() >= 0.85, rep.AnomalyAUC >= 0.95)

	c, err := m.NewClassifier()
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, name := range []string{"testing/idle.s08.json", "testing/anomaly.s00.json"} {
		s := ds.Samples[slices.IndexFunc(ds.Samples, func(s *dataset.Sample) bool { return s.Path == name })]
		res, err := c.ClassifySample(s, impulse.ClassificationWindows)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%s: %d windows, the first (%d–%d ms) %s\n", s.Path, len(res), res[0].StartMs, res[0].EndMs, res[0].Label)
	}
	// Output:
	// classes: [circle flick idle updown]
	// 255 windows tested, accuracy at least 0.85: true, anomaly AUC at least 0.95: true
	// testing/idle.s08.json: 17 windows, the first (0–2000 ms) idle
	// testing/anomaly.s00.json: 17 windows, the first (0–2000 ms) anomaly
}
