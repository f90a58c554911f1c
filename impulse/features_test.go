package impulse

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tinyimpulse/tinyimpulse/dataset"
	"github.com/tinyimpulse/tinyimpulse/dsp"
	"github.com/tinyimpulse/tinyimpulse/internal/testenv"
	"github.com/tinyimpulse/tinyimpulse/studio"
)

// synthSamples returns n three-axis samples of varying length (some shorter
// than a window, some at another frequency) with noisy sines.
func synthSamples(n int, seed uint64) []*dataset.Sample {
	rng := rand.New(rand.NewPCG(seed, 1))
	labels := []string{"idle", "wave", "snake"}
	var out []*dataset.Sample
	for i := range n {
		s := &dataset.Sample{ID: i + 1, Name: "s" + string(rune('a'+i%26)), Category: dataset.CategoryTraining, Label: labels[i%3], IntervalMs: 10,
			Sensors: []dataset.Sensor{{Name: "accX"}, {Name: "accY"}, {Name: "accZ"}}}
		s.Path = s.Name + ".json"
		if i%7 == 3 {
			s.IntervalMs = 20 // 50 Hz: resampled
		}
		length := 60 + rng.IntN(300)
		if i%11 == 5 {
			length = 40 // shorter than a window
		}
		f := 1 + float64(i%3)*2
		for k := range length {
			t := float64(k) * s.IntervalMs / 1000
			s.Values = append(s.Values, math.Sin(2*math.Pi*f*t)+0.1*rng.NormFloat64(), math.Cos(2*math.Pi*f*t), rng.NormFloat64())
		}
		out = append(out, s)
	}
	return out
}

const synthDef = `{"impulse": {"inputBlocks": [{"id": 1, "type": "time-series", "windowSizeMs": 1000, "windowIncreaseMs": 250,
  "frequencyHz": 100, "axes": ["accX", "accY", "accZ"], "padZeros": %PAD%}],
  "dspBlocks": [{"id": 2, "type": "spectral-analysis"}, {"id": 3, "type": "flatten", "axes": ["accZ", "accX"]}],
  "learnBlocks": [{"id": 4, "type": "keras", "dsp": [2, 3]}, {"id": 5, "type": "anomaly", "dsp": [3, 2]}]},
  "dsp": {"2": {"fft-length": "32"}, "3": {"kurtosis": false}}}`

func synth(t *testing.T, pad bool) *Impulse {
	return mustCompile(t, strings.Replace(synthDef, "%PAD%", map[bool]string{true: "true", false: "false"}[pad], 1))
}

// Results do not depend on the number of workers: bit-identical features in
// the same row order.
func TestGenerateFeaturesDeterministic(t *testing.T) {
	t.Parallel()
	d := synth(t, true)
	samples := synthSamples(40, 1)
	var ref *Features
	for _, workers := range []int{1, 2, 3, 8} {
		f, err := d.GenerateFeatures(context.Background(), samples, &FeatureOptions{Workers: workers})
		if err != nil {
			t.Fatal(err)
		}
		if ref == nil {
			ref = f
			continue
		}
		if !slices.Equal(f.Windows, ref.Windows) || !slices.Equal(f.Y, ref.Y) || !slices.Equal(f.Included, ref.Included) {
			t.Errorf("%d workers: windows differ from 1 worker", workers)
		}
		for _, id := range []int{2, 3} {
			if !slices.Equal(f.DSP(id).RawMatrix().Data, ref.DSP(id).RawMatrix().Data) {
				t.Errorf("%d workers: DSP block %d features differ from 1 worker", workers, id)
			}
		}
	}
}

// Every row equals the DSP block run by hand on the window cut straight from
// the sample's values (no resampling in this set).
func TestGenerateFeaturesMatchBlocks(t *testing.T) {
	t.Parallel()
	d := synth(t, false)
	var samples []*dataset.Sample
	for _, s := range synthSamples(30, 2) {
		if s.IntervalMs == 10 {
			samples = append(samples, s)
		}
	}
	f, err := d.GenerateFeatures(context.Background(), samples, nil)
	if err != nil {
		t.Fatal(err)
	}
	spectral, _ := dsp.New("spectral-analysis", 0, map[string]any{"fft-length": "32"}, dsp.Input{FrequencyHz: 100, Axes: 3, Samples: 100})
	flatten, _ := dsp.New("flatten", 0, map[string]any{"kurtosis": false}, dsp.Input{FrequencyHz: 100, Axes: 2, Samples: 100})
	byID := map[int]*dataset.Sample{}
	for _, s := range samples {
		byID[s.ID] = s
	}
	rows := 0
	for _, inc := range f.Included {
		s := byID[inc.ID]
		if want := (s.Len()-100)/25 + 1; inc.WindowCount != want {
			t.Errorf("sample %d: %d windows, want %d", inc.ID, inc.WindowCount, want)
		}
		for k := range inc.WindowCount {
			start := 25 * k
			all := s.Values[3*start : 3*(start+100)]
			zx := make([]float64, 0, 200)
			for i := range 100 {
				zx = append(zx, all[3*i+2], all[3*i])
			}
			want2, _ := spectral.AppendFeatures(nil, all)
			want3, _ := flatten.AppendFeatures(nil, zx)
			if !slices.Equal(f.DSP(2).RawRowView(rows), want2) || !slices.Equal(f.DSP(3).RawRowView(rows), want3) {
				t.Fatalf("row %d (sample %d window %d) differs from the blocks run by hand", rows, inc.ID, k)
			}
			w := f.Windows[rows]
			if w.SampleID != s.ID || w.StartMs != 10*start || w.EndMs != 10*start+1000 || w.Label != s.Label || f.Classes[f.Y[rows]] != s.Label {
				t.Fatalf("row %d: window %+v", rows, w)
			}
			rows++
		}
	}
	if rows != len(f.Windows) || f.Stats.Windows != rows {
		t.Errorf("%d rows checked, %d windows", rows, len(f.Windows))
	}
	if !slices.Equal(f.Classes, []string{"idle", "snake", "wave"}) {
		t.Errorf("classes %v", f.Classes)
	}
	// Learn blocks concatenate their DSP blocks in their own order.
	for _, c := range []struct{ learn, first, second int }{{4, 2, 3}, {5, 3, 2}} {
		m, err := f.Learn(c.learn)
		if err != nil {
			t.Fatal(err)
		}
		a, b := f.DSP(c.first), f.DSP(c.second)
		_, na := a.Dims()
		for r := range rows {
			if !slices.Equal(m.RawRowView(r), append(slices.Clone(a.RawRowView(r)), b.RawRowView(r)...)) {
				t.Fatalf("learn block %d row %d is not DSP %d then DSP %d", c.learn, r, c.first, c.second)
			}
		}
		if _, n := m.Dims(); n != na+d.shapes[c.second].proto.NumFeatures() || n != d.NumFeatures(c.learn) {
			t.Errorf("learn block %d: %d columns", c.learn, n)
		}
	}
}

func TestGenerateFeaturesErrors(t *testing.T) {
	t.Parallel()
	d := synth(t, true)
	samples := synthSamples(30, 3)
	// Two samples without accZ: the error names the first, whatever the workers.
	for _, i := range []int{12, 20} {
		samples[i].Sensors[2].Name = "gyrZ"
	}
	for _, workers := range []int{1, 2, 4} {
		_, err := d.GenerateFeatures(context.Background(), samples, &FeatureOptions{Workers: workers})
		if err == nil || !strings.Contains(err.Error(), samples[12].Path) || !strings.Contains(err.Error(), `no axis "accZ"`) {
			t.Errorf("%d workers: error %v, want one about %s", workers, err, samples[12].Path)
		}
	}
	// A NaN reaches the DSP block, which refuses it.
	samples = synthSamples(5, 4)
	samples[2].Values[7] = math.NaN()
	_, err := d.GenerateFeatures(context.Background(), samples, nil)
	if !errors.Is(err, dsp.ErrInput) || !strings.Contains(err.Error(), samples[2].Path) {
		t.Errorf("NaN: error %v", err)
	}
	// Cancellation.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := d.GenerateFeatures(ctx, synthSamples(20, 5), nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: error %v", err)
	}
	// No windows at all.
	f, err := synth(t, false).GenerateFeatures(context.Background(), []*dataset.Sample{series(1, "short", "", 10, []string{"accX", "accY", "accZ"}, 10)}, nil)
	if err != nil || len(f.Windows) != 0 || f.DSP(2) != nil {
		t.Errorf("no windows: %v, %d windows", err, len(f.Windows))
	}
	if _, err := f.Learn(4); err == nil {
		t.Error("Learn without windows: no error")
	}
}

func TestDatasetSubset(t *testing.T) {
	t.Parallel()
	d := mustCompile(t, strings.Replace(strings.Replace(synthDef, "%PAD%", "true", 1), `"padZeros": true`, `"padZeros": true, "datasetSubset": {"includePercentage": 25, "seed": 1}`, 1))
	f, err := d.GenerateFeatures(context.Background(), synthSamples(20, 6), nil)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int
	for _, inc := range f.Included {
		ids = append(ids, inc.ID)
	}
	// Every 4th sample: (id + 1) % 4 == 0.
	if want := []int{3, 7, 11, 15, 19}; !slices.Equal(ids, want) {
		t.Errorf("subset samples %v, want %v", ids, want)
	}
}

func TestDSPBlockConfigs(t *testing.T) {
	t.Parallel()
	d := synth(t, true)
	created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	f, err := d.GenerateFeatures(context.Background(), synthSamples(12, 7), &FeatureOptions{Created: created, Mode: ClassificationWindows})
	if err != nil {
		t.Fatal(err)
	}
	cfgs, err := f.DSPBlockConfigs()
	if err != nil {
		t.Fatal(err)
	}
	if len(cfgs) != 2 || cfgs[0].BlockID != 2 || cfgs[1].BlockID != 3 {
		t.Fatalf("configs for blocks %v", cfgs)
	}
	md := cfgs[1].Metadata
	if md.WindowCount != len(f.Windows) || md.FeatureCount != 12 || md.WindowSizeMs != 1000 || md.WindowIncreaseMs != 250 ||
		md.Frequency != 100 || !md.PadZeros || !md.Created.Equal(created) || md.ResamplingAlgorithmVersion != 1 {
		t.Errorf("flatten metadata %+v", md)
	}
	total := 0
	for _, s := range md.IncludedSamples {
		total += s.WindowCount
	}
	if total != md.WindowCount || len(md.IncludedSamples) != 12 {
		t.Errorf("included samples %v sum to %d windows, want %d", md.IncludedSamples, total, md.WindowCount)
	}
	if md.DSPConfig["kurtosis"] != "false" || md.DSPConfig["average"] != "true" || md.DSPConfig["scale-axes"] != "1" {
		t.Errorf("flatten dspConfig %v", md.DSPConfig)
	}
	if want := []string{"accZ Average", "accZ Minimum"}; !slices.Equal(md.FeatureLabels[:2], want) || md.FeatureLabels[6] != "accX Average" {
		t.Errorf("flatten feature labels %v", md.FeatureLabels)
	}
	if md.OutputConfig.Type != "flat" || md.OutputConfig.Shape.Width != 12 {
		t.Errorf("output config %+v", md.OutputConfig)
	}
	// Spectral parameters: value and default per item; version 4 shows the
	// decimation ratio but not the version-1 peak settings.
	items := map[string]studio.DSPGroupItem{}
	for _, g := range cfgs[0].Config.Config {
		for _, it := range g.Items {
			items[it.Param] = it
		}
	}
	if it := items["fft-length"]; *it.Value != "32" || it.DefaultValue != "16" || it.Type != "int" || it.ShowIf == nil {
		t.Errorf("fft-length item %+v", it)
	}
	if !items["input-decimation-ratio"].ShouldShow || items["spectral-peaks-count"].ShouldShow {
		t.Errorf("version visibility wrong: %+v %+v", items["input-decimation-ratio"], items["spectral-peaks-count"])
	}
	if len(items["wavelet"].SelectOptions) != len(dsp.WaveletNames()) {
		t.Errorf("wavelet options %v", items["wavelet"].SelectOptions)
	}
	info := cfgs[0].Config.DSP
	if info.Type != "spectral-analysis" || info.WindowLength != 1000 || !slices.Equal(info.InputAxes, []string{"accX", "accY", "accZ"}) ||
		info.Performance == nil || info.Performance.Latency < 1 {
		t.Errorf("spectral DSP info %+v", info)
	}
}

func TestImageFeatures(t *testing.T) {
	t.Parallel()
	d := mustCompile(t, `{"impulse": {"inputBlocks": [{"id": 1, "type": "image", "imageWidth": 2, "imageHeight": 2, "resizeMode": "fit-short", "resizeMethod": "nearest"}],
	  "dspBlocks": [{"id": 2, "type": "image"}], "learnBlocks": [{"id": 3, "type": "keras", "dsp": [2]}]}}`)
	s := &dataset.Sample{ID: 1, Path: "i.png", Label: "cat", Image: smallImage()}
	f, err := d.GenerateFeatures(context.Background(), []*dataset.Sample{s}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// fit-short centre crop of the 4×2 image: columns 1 and 2, then R/255, G/255, B/255.
	var want []float64
	for _, p := range []float64{px(1, 0), px(2, 0), px(1, 1), px(2, 1)} {
		v := int(p)
		want = append(want, float64(v>>16)/255, float64(v>>8&255)/255, float64(v&255)/255)
	}
	if got := f.DSP(2).RawRowView(0); !approxEqual(got, want, 1e-15) || f.Windows[0] != (Window{SampleID: 1, Label: "cat"}) {
		t.Errorf("image features %v, want %v; window %+v", got, want, f.Windows[0])
	}
	if _, err := d.GenerateFeatures(context.Background(), []*dataset.Sample{series(2, "ts", "", 10, []string{"a"}, 10)}, nil); err == nil {
		t.Error("time series through an image impulse: no error")
	}
	cfgs, err := f.DSPBlockConfigs()
	if err != nil || cfgs[0].Metadata.OutputConfig.Shape.Channels != 3 || cfgs[0].Metadata.WindowSizeMs != 0 {
		t.Errorf("image metadata %+v, %v", cfgs[0].Metadata, err)
	}
}

// A typical impulse runs on every shipped dataset: the definition resolves
// against the data and every training window gets finite features.
func TestSharedDatasetsFeatures(t *testing.T) {
	t.Parallel()
	cases := []struct {
		dataset, def string
		perSample    int // windows per sample, 0 to skip the check
		features     int
	}{
		{"digits-8x8", `{"impulse": {"inputBlocks": [{"id": 1, "type": "image", "imageWidth": 8, "imageHeight": 8}],
		  "dspBlocks": [{"id": 2, "type": "image"}], "learnBlocks": [{"id": 3, "type": "keras", "dsp": [2]}]},
		  "dsp": {"2": {"channels": "Grayscale"}}}`, 1, 64},
		// 1000 values at the placeholder 10 ms: ⌊(1000 − 100)/50⌋ + 1 = 19 windows.
		{"fan-unbalance", `{"impulse": {"inputBlocks": [{"id": 1, "type": "time-series", "windowSizeMs": 1000, "windowIncreaseMs": 500}],
		  "dspBlocks": [{"id": 2, "type": "spectral-analysis"}], "learnBlocks": [{"id": 3, "type": "anomaly", "dsp": [2]}]}}`, 19, 3 * 13},
		{"gestures-magic-wand", `{"impulse": {"inputBlocks": [{"id": 1, "type": "time-series", "windowSizeMs": 1000}],
		  "dspBlocks": [{"id": 2, "type": "spectral-analysis", "axes": ["accX", "accY", "accZ"]}, {"id": 3, "type": "flatten", "axes": ["gyrX", "gyrY", "gyrZ"]}],
		  "learnBlocks": [{"id": 4, "type": "keras", "dsp": [2, 3]}]}}`, 1, 3*13 + 3*7},
		// 1040 values at 104 Hz, 208-value windows every 8 values: 105 windows.
		{"gestures-continuous", `{"impulse": {"inputBlocks": [{"id": 1, "type": "time-series", "windowSizeMs": 2000, "windowIncreaseMs": 80}],
		  "dspBlocks": [{"id": 2, "type": "spectral-analysis"}], "learnBlocks": [{"id": 3, "type": "keras", "dsp": [2]}, {"id": 4, "type": "anomaly-gmm", "dsp": [2]}]}}`, 105, 3 * 13},
		// MFE defaults on 1 s at 16 kHz: 99 frames of 40 filters.
		{"kws-speech-commands", `{"impulse": {"inputBlocks": [{"id": 1, "type": "time-series", "windowSizeMs": 1000}],
		  "dspBlocks": [{"id": 2, "type": "mfe"}], "learnBlocks": [{"id": 3, "type": "keras", "dsp": [2]}]}}`, 1, 99 * 40},
	}
	for _, c := range cases {
		ds, err := dataset.Load(testenv.SharedDataset(t, c.dataset))
		if err != nil {
			t.Fatal(err)
		}
		def, err := ParseDefinition([]byte(c.def))
		if err != nil {
			t.Fatal(err)
		}
		im, err := Compile(def, ds)
		if err != nil {
			t.Errorf("%s: %v", c.dataset, err)
			continue
		}
		train := ds.Category(dataset.CategoryTraining)
		f, err := im.GenerateFeatures(context.Background(), train, nil)
		if err != nil {
			t.Errorf("%s: %v", c.dataset, err)
			continue
		}
		lb := im.def.Impulse.LearnBlocks[0]
		X, err := f.Learn(lb.ID)
		if err != nil {
			t.Fatal(err)
		}
		rows, cols := X.Dims()
		if cols != c.features || rows != len(train)*c.perSample || !slices.Equal(f.Classes, dataset.Labels(train)) {
			t.Errorf("%s: %d windows × %d features, classes %v; want %d × %d, %v", c.dataset, rows, cols, f.Classes,
				len(train)*c.perSample, c.features, dataset.Labels(train))
		}
		for _, v := range X.RawMatrix().Data {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Errorf("%s: non-finite feature", c.dataset)
				break
			}
		}
	}
}
