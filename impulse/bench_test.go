package impulse

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/tinyimpulse/tinyimpulse/dataset"
	"github.com/tinyimpulse/tinyimpulse/internal/testenv"
)

// benchCases are the feature generations of the benchmark: Studio's
// continuous-motion setup (2 s windows every 80 ms, spectral analysis with
// its defaults) on gestures-continuous, and keyword spotting (1 s windows,
// MFCC with its defaults) on kws-speech-commands. Every sample of the
// dataset (training and testing) is used.
var benchCases = []struct{ name, dataset, def string }{
	{"gestures", "gestures-continuous", `{"impulse": {"inputBlocks": [{"id": 1, "type": "time-series", "windowSizeMs": 2000, "windowIncreaseMs": 80}],
	  "dspBlocks": [{"id": 2, "type": "spectral-analysis"}], "learnBlocks": [{"id": 3, "type": "keras", "dsp": [2]}]}}`},
	{"kws", "kws-speech-commands", `{"impulse": {"inputBlocks": [{"id": 1, "type": "time-series", "windowSizeMs": 1000, "windowIncreaseMs": 500}],
	  "dspBlocks": [{"id": 2, "type": "mfcc"}], "learnBlocks": [{"id": 3, "type": "keras", "dsp": [2]}]}}`},
}

func datasetBytes(b *testing.B, ds *dataset.Dataset) int64 {
	var n int64
	for _, s := range ds.Samples {
		st, err := os.Stat(filepath.Join(ds.Dir, filepath.FromSlash(s.Path)))
		if err != nil {
			b.Fatal(err)
		}
		n += st.Size()
	}
	return n
}

// BenchmarkFeatures measures, per dataset: parsing the dataset (parse),
// feature generation on 1 and on all cores (features), and both together
// (e2e), which reports the share of the wall time spent parsing, cutting
// windows and in the DSP blocks. windows/s counts feature rows.
func BenchmarkFeatures(b *testing.B) {
	ctx := context.Background()
	for _, c := range benchCases {
		dir := testenv.SharedDataset(b, c.dataset)
		ds, err := dataset.Load(dir)
		if err != nil {
			b.Fatal(err)
		}
		def, err := ParseDefinition([]byte(c.def))
		if err != nil {
			b.Fatal(err)
		}
		im, err := Compile(def, ds)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.name+"/parse", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(datasetBytes(b, ds))
			for b.Loop() {
				if _, err := dataset.Load(dir); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(ds.Samples))*float64(b.N)/b.Elapsed().Seconds(), "samples/s")
		})
		for _, workers := range []int{1, runtime.GOMAXPROCS(0)} {
			b.Run(fmt.Sprintf("%s/features/workers=%d", c.name, workers), func(b *testing.B) {
				b.ReportAllocs()
				var st FeatureStats
				for b.Loop() {
					f, err := im.GenerateFeatures(ctx, ds.Samples, &FeatureOptions{Workers: workers})
					if err != nil {
						b.Fatal(err)
					}
					st.Windows += f.Stats.Windows
					st.Windowing += f.Stats.Windowing
					st.DSP += f.Stats.DSP
				}
				b.ReportMetric(float64(st.Windows)/b.Elapsed().Seconds(), "windows/s")
				b.ReportMetric(100*float64(st.Windowing)/float64(st.Windowing+st.DSP), "%windowing")
			})
		}
		b.Run(c.name+"/e2e", func(b *testing.B) {
			var parse, feats, win, dspT time.Duration
			windows := 0
			for b.Loop() {
				t0 := time.Now()
				d2, err := dataset.Load(dir)
				if err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				f, err := im.GenerateFeatures(ctx, d2.Samples, nil)
				if err != nil {
					b.Fatal(err)
				}
				parse += t1.Sub(t0)
				feats += time.Since(t1)
				win += f.Stats.Windowing
				dspT += f.Stats.DSP
				windows += f.Stats.Windows
			}
			total := float64(parse + feats)
			// Split the feature generation's wall time in proportion to the
			// workers' summed windowing and DSP times.
			wShare := float64(win) / float64(win+dspT)
			b.ReportMetric(float64(windows)/b.Elapsed().Seconds(), "windows/s")
			b.ReportMetric(100*float64(parse)/total, "%parse")
			b.ReportMetric(100*float64(feats)*wShare/total, "%windowing")
			b.ReportMetric(100*float64(feats)*(1-wShare)/total, "%dsp")
		})
	}
}

// BenchmarkClassifyWindow measures classification of one window of the
// gestures impulse (spectral analysis, the int8 classifier and K-means),
// with the Classifier reused as a live classifier would.
func BenchmarkClassifyWindow(b *testing.B) {
	def, err := LoadDefinition("../testdata/impulses/gestures.json")
	if err != nil {
		b.Fatal(err)
	}
	ds, err := dataset.Load("../testdata/gestures")
	if err != nil {
		b.Fatal(err)
	}
	im, err := Compile(def, ds)
	if err != nil {
		b.Fatal(err)
	}
	m, err := Train(context.Background(), im, ds, TrainOptions{Seed: 3})
	if err != nil {
		b.Fatal(err)
	}
	c, err := m.NewClassifier()
	if err != nil {
		b.Fatal(err)
	}
	s := ds.Category(dataset.CategoryTesting)[0]
	wins, err := c.proc.Windows(nil, s, ClassificationWindows)
	if err != nil || len(wins) == 0 {
		b.Fatalf("%d windows, %v", len(wins), err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.ClassifyWindow(s, wins[0]); err != nil {
			b.Fatal(err)
		}
	}
}
