package impulse

import (
	"encoding/json"
	"errors"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/tinyimpulse/tinyimpulse/dataset"
	"github.com/tinyimpulse/tinyimpulse/dsp"
	"github.com/tinyimpulse/tinyimpulse/learn"
	"github.com/tinyimpulse/tinyimpulse/studio"
)

// gesturesDef is a definition in the form of architecture.md, close to the
// spec's worked example (§6).
const gesturesDef = `{
  "impulse": {
    "inputBlocks": [{"id": 2, "type": "time-series", "windowSizeMs": 2000, "windowIncreaseMs": 240,
                     "frequencyHz": 62.5, "axes": ["accX", "accY", "accZ"], "padZeros": false}],
    "dspBlocks": [{"id": 3, "type": "spectral-analysis", "axes": ["accX", "accY", "accZ"], "input": 2}],
    "learnBlocks": [{"id": 4, "type": "keras", "dsp": [3]},
                    {"id": 5, "type": "anomaly", "dsp": [3]}],
    "postProcessingBlocks": []
  },
  "dsp": {"3": {"scale-axes": "1", "fft-length": 16, "do-log": "true"}},
  "learn": {"4": {"trainingCycles": 30, "learningRate": 0.0005,
                  "visualLayers": [{"type": "dense", "neurons": 20}, {"type": "dense", "neurons": 10}]},
            "5": {"axes": [0, 11, 22], "clusterCount": 32}}
}`

func mustParse(t *testing.T, s string) *Definition {
	t.Helper()
	d, err := ParseDefinition([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// mustCompile parses a definition that names its frequency and axes and
// compiles it without a dataset.
func mustCompile(t *testing.T, s string) *Impulse {
	t.Helper()
	im, err := Compile(mustParse(t, s), nil)
	if err != nil {
		t.Fatal(err)
	}
	return im
}

func TestParseDefinitionDefaults(t *testing.T) {
	t.Parallel()
	d := mustCompile(t, gesturesDef)
	in := d.def.Impulse.InputBlocks[0]
	if in.Name != "Time series" || in.Title != "Time series data" || in.ClassificationWindowIncreaseMs != 240 || *in.PadZeros {
		t.Errorf("input block defaults: %+v", in)
	}
	b := d.Definition().Impulse.DSPBlocks[0]
	// Version 4 gives RMS, skewness, kurtosis, spectral skewness and kurtosis
	// and 8 bins (1..n/2 of a 16-point FFT) per axis (dsp-blocks.md §4.4).
	if b.Name != "Spectral features" || b.ImplementationVersion != 4 || b.ValuesPerAxis != 13 {
		t.Errorf("DSP block defaults: %+v", b)
	}
	if d.def.Impulse.Name != "Impulse #1" || d.def.Impulse.Type != "default" {
		t.Errorf("impulse name %q type %q", d.def.Impulse.Name, d.def.Impulse.Type)
	}
	// 2000 ms at 62.5 Hz is 125 values per axis (the DOCS deployment-metadata example).
	if s := d.shapes[3].in; s.Samples != 125 || s.Axes != 3 || s.FrequencyHz != 62.5 {
		t.Errorf("DSP input %+v, want 125 samples of 3 axes at 62.5 Hz", s)
	}
	if n := d.NumFeatures(4); n != 39 {
		t.Errorf("NumFeatures = %d, want 39", n)
	}
	cfg, li, err := d.KerasConfig(4)
	if err != nil {
		t.Fatal(err)
	}
	if li != (learn.Input{Kind: learn.InputFlat, Width: 39}) {
		t.Errorf("learn input %+v", li)
	}
	if cfg.TrainingCycles != 30 || cfg.BatchSize != 32 || *cfg.TrainTestSplit != 0.2 || cfg.MinimumConfidenceRating != 0.6 ||
		cfg.SelectedModelType != "int8" || cfg.Mode != "visual" || len(cfg.VisualLayers) != 2 {
		t.Errorf("keras config %+v", cfg)
	}
	km, err := d.KMeansConfig(5)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(km.Axes, []int{0, 11, 22}) || km.ClusterCount != 32 || km.MinimumConfidenceRating != 0.3 {
		t.Errorf("k-means config %+v", km)
	}
	labels := d.FeatureLabels(3)
	// Bins k = 1…8 of 62.5/16 Hz, each labelled f_k ± 1.95 Hz.
	if len(labels) != 39 || labels[0] != "accX RMS" || labels[5] != "accX Spectral Power 1.95 - 5.86 Hz" ||
		labels[13] != "accY RMS" || labels[38] != "accZ Spectral Power 29.3 - 33.2 Hz" {
		t.Errorf("feature labels %q", labels)
	}
	// Version 2 (the spec's worked example): 3 statistics and 8 bins per axis.
	v2 := mustCompile(t, strings.Replace(gesturesDef, `"input": 2}`, `"input": 2, "implementationVersion": 2}`, 1))
	if v := v2.Definition().Impulse.DSPBlocks[0].ValuesPerAxis; v != 11 || v2.NumFeatures(4) != 33 {
		t.Errorf("version 2: %d values per axis, %d features; want 11 and 33", v, v2.NumFeatures(4))
	}
}

// Studio's default architectures per input kind (learn-blocks.md §A.4).
func TestDefaultArchitectures(t *testing.T) {
	t.Parallel()
	d := mustCompile(t, `{"impulse": {"inputBlocks": [{"id": 1, "type": "time-series", "windowSizeMs": 1000, "frequencyHz": 16000, "axes": ["audio"]}],
	  "dspBlocks": [{"id": 2, "type": "mfcc"}], "learnBlocks": [{"id": 3, "type": "keras", "dsp": [2]}, {"id": 4, "type": "anomaly-gmm", "dsp": [2]}]}}`)
	cfg, in, err := d.KerasConfig(3)
	if err != nil {
		t.Fatal(err)
	}
	if in != (learn.Input{Kind: learn.InputMFCC, Width: 50, Height: 13}) {
		t.Errorf("MFCC learn input %+v, want 50 frames of 13", in)
	}
	if cfg.TrainingCycles != 100 || cfg.LearningRate != 0.005 || cfg.VisualLayers[0] != (learn.VisualLayer{Type: "reshape", Columns: 13}) {
		t.Errorf("MFCC default config %+v", cfg)
	}
	if d.def.Impulse.InputBlocks[0].WindowIncreaseMs != DefaultWindowIncreaseMs || !*d.def.Impulse.InputBlocks[0].PadZeros {
		t.Errorf("default stride/padding: %+v", d.def.Impulse.InputBlocks[0])
	}
	g, err := d.GMMConfig(4)
	if err != nil || g.ClusterCount != 5 || len(g.Axes) != 650 || g.MinimumConfidenceRating != 0 {
		t.Errorf("GMM config %+v, %v", g, err)
	}
	img := mustCompile(t, `{"impulse": {"inputBlocks": [{"id": 1, "type": "image"}],
	  "dspBlocks": [{"id": 2, "type": "image"}], "learnBlocks": [{"id": 3, "type": "keras", "dsp": [2]}]},
	  "dsp": {"2": {"channels": "Grayscale"}}}`)
	cfg, in, err = img.KerasConfig(3)
	if err != nil {
		t.Fatal(err)
	}
	if in != (learn.Input{Kind: learn.InputImage, Width: 96, Height: 96, Channels: 1}) || cfg.VisualLayers[0].Type != "conv2d" {
		t.Errorf("image learn input %+v, config %+v", in, cfg)
	}
	ib := img.def.Impulse.InputBlocks[0]
	if ib.ResizeMode != studio.ResizeSquash || ib.ResizeMethod != studio.ResizeLanczos3 || ib.CropAnchor != "middle-center" {
		t.Errorf("image input defaults %+v", ib)
	}
}

// A definition with many problems reports all of them, each at its JSON
// path.
func TestDefinitionProblems(t *testing.T) {
	t.Parallel()
	bad := `{
	  "impulse": {
	    "inputBlocks": [{"id": 1, "type": "time-series", "windowSizeMs": 0, "frequencyHz": "fast",
	                     "imageWidth": 10, "labelingMethodMultiLabel": {"type": "anywhere-in-window"}}],
	    "dspBlocks": [{"id": 2, "type": "spectral"}, {"id": 3, "type": "mfcc", "axes": ["audio", "audio"]},
	                  {"id": 1, "type": "image"}],
	    "learnBlocks": [{"id": 4, "type": "keras", "dsp": [3, 9]}, {"id": 5, "type": "keras-transfer-image", "dsp": [3]},
	                    {"id": 6, "type": "anomaly"}],
	    "postProcessingBlocks": [],
	    "color": "red"
	  },
	  "dsp": {"3": {"num_cepstral": 13}, "8": {}, "x": {}},
	  "learn": {"4": {"visualLayers": [{"type": "dense", "neurons": 8}, {"type": "dropout", "dropoutRate": 1.5},
	                                   {"type": "conv1d", "neurons": 8, "kernelSize": 0}, {"type": "lstm"}],
	                  "learningRate": 0, "batchSize": 0, "mode": "expert", "unknownThing": 1},
	            "6": {"axes": [1, 1], "clusterCount": 0}}
	}`
	_, err := ParseDefinition([]byte(bad))
	var de *DefinitionError
	if !errors.As(err, &de) {
		t.Fatalf("error %v is not a *DefinitionError", err)
	}
	want := map[string]string{
		"impulse.inputBlocks[0].windowSizeMs":                    "must be >= 1",
		"impulse.inputBlocks[0].frequencyHz":                     "must be a number",
		"impulse.inputBlocks[0].imageWidth":                      "applies only to image input blocks",
		"impulse.inputBlocks[0].labelingMethodMultiLabel.labels": "is required",
		"impulse.dspBlocks[0].type":                              `unknown processing block type "spectral"`,
		"impulse.dspBlocks[1].axes[1]":                           `duplicate "audio"`,
		"impulse.dspBlocks[2].id":                                "duplicate block id 1",
		"impulse.dspBlocks[2].type":                              "need an image input block",
		"impulse.learnBlocks[0].dsp[1]":                          "no DSP block with id 9",
		"impulse.learnBlocks[1].type":                            "not supported",
		"impulse.learnBlocks[2].dsp":                             "is required",
		"impulse.color":                                          "unknown field",
		"dsp.8":                                                  "no DSP block with id 8",
		"dsp.x":                                                  "not a block id",
		"learn.4.visualLayers[1].dropoutRate":                    "must be in [0, 1)",
		"learn.4.visualLayers[2].kernelSize":                     "must be >= 1",
		"learn.4.visualLayers[3].type":                           `unknown layer type "lstm"`,
		"learn.4.learningRate":                                   "must be in (0, 1]",
		"learn.4.batchSize":                                      "must be >= 1",
		"learn.4.mode":                                           "expert mode is not supported",
		"learn.4.unknownThing":                                   "unknown field",
		"learn.6.axes[1]":                                        "duplicate 1",
		"learn.6.clusterCount":                                   "must be >= 1",
	}
	got := map[string]string{}
	for _, p := range de.Problems {
		got[p.Path] += p.Message + ";"
	}
	for path, msg := range want {
		if !strings.Contains(got[path], msg) {
			t.Errorf("%s: got %q, want a problem containing %q", path, got[path], msg)
		}
	}
	if len(de.Problems) < len(want) {
		t.Errorf("%d problems, want at least %d:\n%v", len(de.Problems), len(want), err)
	}
	if strings.Contains(err.Error(), "\n") || !strings.HasPrefix(err.Error(), "impulse: ") {
		t.Errorf("error is not one line starting with \"impulse: \": %q", err)
	}
}

// The example: a kernel size of 0 in the third visual layer.
func TestDefinitionProblemPathExample(t *testing.T) {
	t.Parallel()
	def := strings.Replace(gesturesDef, `{"type": "dense", "neurons": 10}`, `{"type": "dense", "neurons": 10}, {"type": "conv1d", "neurons": 4, "kernelSize": 0}`, 1)
	def = strings.Replace(def, `{"type": "dense", "neurons": 20}, `, ``, 1)
	_, err := ParseDefinition([]byte(def))
	if err == nil || err.Error() != "impulse: learn.4.visualLayers[1].kernelSize: must be >= 1, not 0" {
		t.Errorf("got %v", err)
	}
}

// DSP configurations the block refuses are reported at dsp.<id>.<param>
// with the block's own message.
func TestDefinitionDSPErrors(t *testing.T) {
	t.Parallel()
	cases := []struct{ params, path, msg string }{
		{`{"fft-length": 12}`, "dsp.3.fft-length", "power of 2"},
		{`{"fft-lenght": 16}`, "dsp.3.fft-lenght", "unknown parameter"},
		{`{"filter-type": "band"}`, "dsp.3.filter-type", ""},
		{`{"do-log": "maybe"}`, "dsp.3.do-log", "true or false"},
	}
	for _, c := range cases {
		def := strings.Replace(gesturesDef, `{"scale-axes": "1", "fft-length": 16, "do-log": "true"}`, c.params, 1)
		_, err := ParseDefinition([]byte(def))
		var de *DefinitionError
		if !errors.As(err, &de) || len(de.Problems) != 1 || de.Problems[0].Path != c.path || !strings.Contains(de.Problems[0].Message, c.msg) {
			t.Errorf("%s: got %v, want one problem at %s containing %q", c.params, err, c.path, c.msg)
		}
	}
	// Anomaly axes beyond the feature vector.
	def := strings.Replace(gesturesDef, `"axes": [0, 11, 22]`, `"axes": [0, 39]`, 1)
	if _, err := ParseDefinition([]byte(def)); err == nil || !strings.Contains(err.Error(), "learn.5.axes[1]: feature 39 does not exist") {
		t.Errorf("anomaly axis 39: %v", err)
	}
	// Without a frequency the parameters are checked by name and type only.
	noFreq := strings.Replace(strings.Replace(gesturesDef, `"frequencyHz": 62.5,`, ``, 1), `"fft-length": 16`, `"fft-length": "x"`, 1)
	if _, err := ParseDefinition([]byte(noFreq)); err == nil || !strings.Contains(err.Error(), "dsp.3.fft-length") {
		t.Errorf("fft-length \"x\" without frequency: %v", err)
	}
}

func TestDefinitionNotJSON(t *testing.T) {
	t.Parallel()
	cases := []struct{ doc, want string }{
		{``, "not valid JSON: empty"},
		{" \n", "not valid JSON: empty"},
		{`{`, "not valid JSON: truncated"},
		{"{\n\"impulse\": x}", "not valid JSON: line 2: invalid character 'x'"},
		// A valid definition followed by anything is refused.
		{gesturesDef + ` {}`, "not valid JSON: trailing data"},
		{gesturesDef + ` x`, "not valid JSON: trailing data"},
		{gesturesDef + `}`, "not valid JSON: trailing data"},
		{`[]`, "must be an object, not an array"},
	}
	for _, c := range cases {
		_, err := ParseDefinition([]byte(c.doc))
		var de *DefinitionError
		if !errors.As(err, &de) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%.40q…: error %v, want a *DefinitionError containing %q", c.doc, err, c.want)
		}
	}
	if _, err := ParseDefinition([]byte(gesturesDef + " \n\t")); err != nil {
		t.Errorf("trailing white space: %v", err)
	}
}

// Marshalling a parsed definition and parsing it again gives the same
// definition.
func TestDefinitionRoundTrip(t *testing.T) {
	t.Parallel()
	for _, src := range []string{gesturesDef, `{"impulse": {"inputBlocks": [{"id": 1, "type": "image", "imageWidth": 32, "imageHeight": 24, "resizeMode": "fit-short", "cropAnchor": "top-left"}],
	  "dspBlocks": [{"id": 2, "type": "image"}], "learnBlocks": [{"id": 3, "type": "keras", "dsp": [2], "name": "my NN"}]},
	  "learn": {"3": {"visualLayers": []}}}`} {
		d := mustParse(t, src)
		b, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		d2, err := ParseDefinition(b)
		if err != nil {
			t.Fatalf("re-parsing %s: %v", b, err)
		}
		b2, _ := json.Marshal(d2)
		if string(b) != string(b2) {
			t.Errorf("round trip changed the definition:\n%s\n%s", b, b2)
		}
		if !reflect.DeepEqual(d.Impulse, d2.Impulse) {
			t.Errorf("impulse differs after a round trip")
		}
	}
	d := mustParse(t, `{"impulse": {"inputBlocks": [{"id": 1, "type": "image"}], "dspBlocks": [{"id": 2, "type": "image"}],
	  "learnBlocks": [{"id": 3, "type": "keras", "dsp": [2]}]}, "learn": {"3": {"visualLayers": []}}}`)
	if n := len(d.Learn[3].Keras.VisualLayers); n != 0 {
		t.Errorf("explicitly empty visualLayers replaced by %d default layers", n)
	}
}

// Without frequency and axes, Compile takes them from the data.
func TestCompileFromData(t *testing.T) {
	t.Parallel()
	d := mustParse(t, `{"impulse": {"inputBlocks": [{"id": 1, "type": "time-series", "windowSizeMs": 100, "windowIncreaseMs": 50}],
	  "dspBlocks": [{"id": 2, "type": "raw"}, {"id": 3, "type": "flatten", "axes": ["y"]}],
	  "learnBlocks": [{"id": 4, "type": "keras", "dsp": [3, 2]}]}}`)
	if _, err := Compile(d, nil); err == nil || !strings.Contains(err.Error(), "no dataset") {
		t.Errorf("Compile without frequency and dataset: %v", err)
	}
	before, _ := json.Marshal(d)
	ds := &dataset.Dataset{Samples: []*dataset.Sample{
		series(1, "a", dataset.CategoryTesting, 20, []string{"x", "y", "z"}, 10),
		series(2, "b", dataset.CategoryTraining, 10, []string{"y", "x"}, 10),
		series(3, "c", dataset.CategoryTraining, 10, []string{"x", "y"}, 10),
		series(4, "d", dataset.CategoryTraining, 20, []string{"x", "y"}, 10),
	}}
	im, err := Compile(d, ds)
	if err != nil {
		t.Fatal(err)
	}
	if after, _ := json.Marshal(d); string(after) != string(before) {
		t.Errorf("Compile modified its definition:\n%s\n%s", before, after)
	}
	rd := im.Definition()
	in := rd.Impulse.InputBlocks[0]
	if in.FrequencyHz != 100 || !slices.Equal(in.Axes, []string{"y", "x"}) || !slices.Equal(rd.Impulse.DSPBlocks[0].Axes, []string{"y", "x"}) {
		t.Errorf("resolved input %+v, raw axes %v", in, rd.Impulse.DSPBlocks[0].Axes)
	}
	if n := im.NumFeatures(4); n != 7+20 {
		t.Errorf("NumFeatures = %d, want 7 flatten + 20 raw", n)
	}
	labels := im.LearnFeatureLabels(4)
	if len(labels) != 27 || labels[0] != "y Average" || labels[7] != "Raw data 0" {
		t.Errorf("learn feature labels %q", labels)
	}
	// The completed definition compiles to the same impulse without data.
	again, err := Compile(rd, nil)
	if err != nil || !reflect.DeepEqual(again.def, im.def) {
		t.Errorf("recompiling the completed definition: %v\n%+v\n%+v", err, again.def, im.def)
	}
	// Axes the data does not have, and samples of the wrong kind.
	d2 := mustParse(t, `{"impulse": {"inputBlocks": [{"id": 1, "type": "time-series", "axes": ["x", "w"]}],
	  "dspBlocks": [{"id": 2, "type": "raw"}], "learnBlocks": [{"id": 4, "type": "keras", "dsp": [2]}]}}`)
	_, err = Compile(d2, ds)
	if err == nil || !strings.Contains(err.Error(), `impulse.inputBlocks[0].axes[1]: the data has no axis "w" in 4 samples (first: a.json`) {
		t.Errorf("missing axis: %v", err)
	}
	img := &dataset.Dataset{Samples: []*dataset.Sample{{ID: 1, Path: "i.png", Image: smallImage()}}}
	if _, err := Compile(d2, img); err == nil || !strings.Contains(err.Error(), "samples are images") {
		t.Errorf("image in a time-series dataset: %v", err)
	}
}

// A definition written as a Go literal gets the same Studio defaults and the
// same checks as its JSON form: zero values are unset.
func TestCompileGoLiteral(t *testing.T) {
	t.Parallel()
	lit := &Definition{Impulse: studio.Impulse{
		InputBlocks: []studio.InputBlock{{ID: 1, Type: studio.InputTimeSeries, FrequencyHz: 62.5, Axes: []string{"accX", "accY", "accZ"}}},
		DSPBlocks:   []studio.DSPBlock{{ID: 2, Type: dsp.TypeSpectral}},
		LearnBlocks: []studio.LearnBlock{{ID: 3, Type: studio.LearnKeras, DSP: []int{2}}},
	}}
	fromJSON := mustParse(t, `{"impulse": {"inputBlocks": [{"id": 1, "type": "time-series", "frequencyHz": 62.5, "axes": ["accX", "accY", "accZ"]}],
	  "dspBlocks": [{"id": 2, "type": "spectral-analysis"}], "learnBlocks": [{"id": 3, "type": "keras", "dsp": [2]}]}}`)
	a, err := Compile(lit, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Compile(fromJSON, nil)
	if err != nil {
		t.Fatal(err)
	}
	ja, _ := json.Marshal(a.Definition())
	jb, _ := json.Marshal(b.Definition())
	if string(ja) != string(jb) {
		t.Errorf("Go literal and JSON compile differently:\n%s\n%s", ja, jb)
	}
	in := a.def.Impulse.InputBlocks[0]
	if in.WindowSizeMs != DefaultWindowSizeMs || in.WindowIncreaseMs != DefaultWindowIncreaseMs || in.ClassificationWindowIncreaseMs != DefaultWindowIncreaseMs {
		t.Errorf("window defaults of a Go literal: %+v", in)
	}
	if lit.Impulse.InputBlocks[0].WindowSizeMs != 0 || lit.Learn != nil {
		t.Errorf("Compile modified the literal: %+v", lit)
	}
	// Values the JSON form refuses are refused in Go too, at the same path.
	bad := *lit
	bad.Impulse.InputBlocks = []studio.InputBlock{{ID: 1, Type: studio.InputTimeSeries, FrequencyHz: 62.5, WindowSizeMs: -5}}
	if _, err := Compile(&bad, nil); err == nil || !strings.Contains(err.Error(), "impulse.inputBlocks[0].windowSizeMs: must be >= 1") {
		t.Errorf("negative window: %v", err)
	}
}

// Compile's problems name the file LoadDefinition read.
func TestCompileNamesFile(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "def.json")
	if err := os.WriteFile(file, []byte(`{"impulse": {"inputBlocks": [{"id": 1, "type": "time-series", "axes": ["x", "w"]}],
	  "dspBlocks": [{"id": 2, "type": "raw"}], "learnBlocks": [{"id": 4, "type": "keras", "dsp": [2]}]}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := LoadDefinition(file)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Compile(d, &dataset.Dataset{Samples: []*dataset.Sample{series(1, "a", dataset.CategoryTraining, 20, []string{"x"}, 10)}})
	var de *DefinitionError
	if !errors.As(err, &de) || de.File != file || !strings.HasPrefix(err.Error(), "impulse: "+file+": impulse.inputBlocks[0].axes[1]: ") {
		t.Errorf("Compile error %v, want a *DefinitionError naming %s", err, file)
	}
}

// Learn is an exported map: Compile gives a learn block that lost its entry
// the defaults again, and refuses an entry without parameters of its kind.
func TestCompileMissingLearnParams(t *testing.T) {
	t.Parallel()
	d := mustParse(t, `{"impulse": {"inputBlocks": [{"id": 1, "type": "time-series", "windowSizeMs": 100}],
	  "dspBlocks": [{"id": 2, "type": "raw"}], "learnBlocks": [{"id": 3, "type": "keras", "dsp": [2]}, {"id": 4, "type": "anomaly", "dsp": [2]}]}}`)
	delete(d.Learn, 3)
	d.Learn[4] = nil
	ds := &dataset.Dataset{Samples: []*dataset.Sample{series(1, "a", dataset.CategoryTraining, 20, []string{"x"}, 10)}}
	im, err := Compile(d, ds)
	if err != nil {
		t.Fatal(err)
	}
	if cfg, _, err := im.KerasConfig(3); err != nil || cfg.TrainingCycles == 0 {
		t.Errorf("KerasConfig: %+v, %v; want Studio's defaults", cfg, err)
	}
	if km, err := im.KMeansConfig(4); err != nil || km.ClusterCount == 0 {
		t.Errorf("KMeansConfig: %+v, %v; want Studio's defaults", km, err)
	}
	if _, err := im.KMeansConfig(3); err == nil {
		t.Error("KMeansConfig of a keras block: no error")
	}
}

// series returns a time series sample whose values are 1000·axis + value index.
func series(id int, name, category string, n int, axes []string, intervalMs float64) *dataset.Sample {
	s := &dataset.Sample{ID: id, Name: name, Path: name + ".json", Category: category, Label: name, IntervalMs: intervalMs}
	for _, a := range axes {
		s.Sensors = append(s.Sensors, dataset.Sensor{Name: a})
	}
	for i := range n {
		for j := range axes {
			s.Values = append(s.Values, float64(1000*j+i))
		}
	}
	return s
}

// smallImage returns a 4×2 RGB image with pixel (x, y) = (10x + 100y, 20 + x, 200 − y).
func smallImage() *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, 4, 2))
	for y := range 2 {
		for x := range 4 {
			img.Set(x, y, color.RGBA{uint8(10*x + 100*y), uint8(20 + x), uint8(200 - y), 255})
		}
	}
	return img
}

// FuzzParseDefinition checks that no definition makes the parser panic and
// that an accepted definition survives a round trip.
func FuzzParseDefinition(f *testing.F) {
	f.Add([]byte(gesturesDef))
	f.Add([]byte(`{"impulse": {"inputBlocks": [{"id": 1, "type": "image"}], "dspBlocks": [{"id": 2, "type": "image"}],
	  "learnBlocks": [{"id": 3, "type": "keras", "dsp": [2]}]}, "learn": {"3": {"visualLayers": []}}}`))
	f.Add([]byte(`{"impulse": {"inputBlocks": [{"id": 1, "type": "time-series", "windowSizeMs": 1000, "frequencyHz": 16000, "axes": ["audio"]}],
	  "dspBlocks": [{"id": 2, "type": "mfcc"}], "learnBlocks": [{"id": 3, "type": "keras", "dsp": [2]}, {"id": 4, "type": "anomaly-gmm", "dsp": [2]}]},
	  "dsp": {"2": {"num_cepstral": "13"}}}`))
	f.Add([]byte(`{"impulse": {"inputBlocks": [{"id": 1, "type": "time-series"}], "dspBlocks": [{"id": 2, "type": "mfe"}],
	  "learnBlocks": [{"id": 3, "type": "keras", "dsp": [2]}]},
	  "learn": {"3": {"augmentationPolicyMotion": {"copies": 2, "maxDegrees": 30},
	    "augmentationPolicySpectrogram": {"enabled": true, "warping": false, "freqMasking": "high", "timeMasking": "low", "gaussianNoise": "none"}}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := ParseDefinition(data)
		if err != nil {
			var de *DefinitionError
			if !errors.As(err, &de) || len(de.Problems) == 0 {
				t.Fatalf("error %v is not a *DefinitionError with problems", err)
			}
			return
		}
		b, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseDefinition(b); err != nil {
			t.Fatalf("re-parsing %s: %v", b, err)
		}
	})
}
