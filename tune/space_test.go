package tune

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/tinyimpulse/tinyimpulse/dataset"
	"github.com/tinyimpulse/tinyimpulse/device"
	"github.com/tinyimpulse/tinyimpulse/impulse"
	"github.com/tinyimpulse/tinyimpulse/internal/testenv"
	"github.com/tinyimpulse/tinyimpulse/studio"
)

const spaceDoc = `[
  {
    "inputBlocks": [
      {"type": "time-series", "window": [{"windowSizeMs": 1000, "windowIncreaseMs": 500}],
       "windowSizeMs": [2000], "windowIncreasePct": [0.25]}
    ],
    "dspBlocks": [
      {"type": "spectral-analysis", "implementationVersion": 4, "fft-length": [64, 16], "do-log": [true, false], "filter-type": "none"},
      {"type": "flatten"}
    ],
    "learnBlocks": [
      [{"type": "keras", "architecture": "dense", "denseLayers": [[40, 20], [20]], "learningRate": [0.005, 0.001], "trainingCycles": 30}]
    ]
  }
]`

// TestParseSpace reads a space and counts its candidates by hand: 2
// windows × (2·2·1 spectral settings + 1 flatten) × (2 layer lists × 2
// learning rates × 1 epoch count) = 2 × 5 × 4 = 40.
func TestParseSpace(t *testing.T) {
	s, err := ParseSpace([]byte(spaceDoc))
	if err != nil {
		t.Fatal(err)
	}
	in := s.Impulses[0].Input[0]
	if want := []Window{{1000, 500}, {2000, 500}}; !reflect.DeepEqual(in.Windows, want) {
		t.Errorf("windows %v, want %v (2000 × 0.25 = 500 ms)", in.Windows, want)
	}
	sp := s.Impulses[0].DSP[0]
	if sp.Version != 4 || sp.Params[1].Name != "fft-length" || !reflect.DeepEqual(sp.Params[1].Values, []any{16.0, 64.0}) {
		t.Errorf("spectral block %+v: want version 4 and fft-length sorted [16 64]", sp)
	}
	l := s.Impulses[0].Learn[0]
	if l.Arch != ArchDense || !reflect.DeepEqual(l.DenseLayers, [][]int{{20}, {40, 20}}) || !reflect.DeepEqual(l.Epochs, []int{30}) {
		t.Errorf("learn block %+v", l)
	}
	if n := s.compile().size(); n != 40 {
		t.Errorf("size = %v candidates, want 40", n)
	}
	// The JSON form reads back to the same space.
	data, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	s2, err := ParseSpace(data)
	if err != nil {
		t.Fatalf("the space's own JSON does not parse: %v\n%s", err, data)
	}
	if !reflect.DeepEqual(s, s2) {
		t.Errorf("round trip differs:\n%+v\n%+v", s, s2)
	}
	// The object forms of the EON Tuner's API.
	for _, doc := range []string{`{"impulse": ` + spaceDoc + `}`, `{"space": {"impulse": ` + spaceDoc + `}}`} {
		if _, err := ParseSpace([]byte(doc)); err != nil {
			t.Errorf("%.30s…: %v", doc, err)
		}
	}
}

// TestParseSpaceErrors checks that bad spaces are refused with an error
// naming the place.
func TestParseSpaceErrors(t *testing.T) {
	cases := []struct{ name, doc, want string }{
		{"not JSON", `[{`, "not valid JSON"},
		{"trailing data", `[] []`, "data after"},
		{"not a list", `{"a": 1}`, "must be a list of impulses"},
		{"empty", `[]`, "the search space is empty"},
		{"no blocks", `[{}]`, "[0].inputBlocks: is missing"},
		{"empty lists", `[{"inputBlocks": [], "dspBlocks": [], "learnBlocks": []}]`, "[0].inputBlocks: holds no input block"},
		{"unknown input", `[{"inputBlocks": [{"type": "features"}], "dspBlocks": [{"type": "raw"}], "learnBlocks": [[{"architecture": "dense"}]]}]`, `"features" is not an input block type`},
		{"pct over 1", `[{"inputBlocks": [{"type": "time-series", "windowSizeMs": [1000], "windowIncreasePct": [50]}], "dspBlocks": [{"type": "raw"}], "learnBlocks": [[{"architecture": "dense"}]]}]`, "windowIncreasePct[0]: 50 is not a fraction"},
		{"unknown dsp", `[{"inputBlocks": [{"type": "time-series", "window": [{"windowSizeMs": 1000, "windowIncreaseMs": 500}]}], "dspBlocks": [{"type": "wavelets"}], "learnBlocks": [[{"architecture": "dense"}]]}]`, `"wavelets" is not a processing block type`},
		{"unknown param", `[{"inputBlocks": [{"type": "time-series", "window": [{"windowSizeMs": 1000, "windowIncreaseMs": 500}]}], "dspBlocks": [{"type": "raw", "fft-length": [16]}], "learnBlocks": [[{"architecture": "dense"}]]}]`, `dspBlocks[0].fft-length: raw has no parameter "fft-length"`},
		{"bad version", `[{"inputBlocks": [{"type": "time-series", "window": [{"windowSizeMs": 1000, "windowIncreaseMs": 500}]}], "dspBlocks": [{"type": "mfcc", "implementationVersion": 9}], "learnBlocks": [[{"architecture": "dense"}]]}]`, "mfcc has versions 1 to 4, not 9"},
		{"two learn blocks", `[{"inputBlocks": [{"type": "image", "dimension": [[8, 8]]}], "dspBlocks": [{"type": "image"}], "learnBlocks": [[{"architecture": "dense"}, {"type": "anomaly"}]]}]`, "holds 2 learn blocks"},
		{"flat dense layers", `[{"inputBlocks": [{"type": "image", "dimension": [[8, 8]]}], "dspBlocks": [{"type": "image"}], "learnBlocks": [[{"architecture": "dense", "denseLayers": [20, 10]}]]}]`, "denseLayers is a list of lists"},
		{"bad arch", `[{"inputBlocks": [{"type": "image", "dimension": [[8, 8]]}], "dspBlocks": [{"type": "image"}], "learnBlocks": [[{"architecture": "lstm"}]]}]`, `"lstm" is not one of dense`},
		{"conv without layers", `[{"inputBlocks": [{"type": "image", "dimension": [[8, 8]]}], "dspBlocks": [{"type": "image"}], "learnBlocks": [[{"architecture": "conv2d"}]]}]`, "convLayers: a conv2d network needs"},
		{"bad rate", `[{"inputBlocks": [{"type": "image", "dimension": [[8, 8]]}], "dspBlocks": [{"type": "image"}], "learnBlocks": [[{"architecture": "dense", "learningRate": [0, 2]}]]}]`, "learningRate[0]: 0 is not in (0, 1]"},
		{"bad dropout", `[{"inputBlocks": [{"type": "image", "dimension": [[8, 8]]}], "dspBlocks": [{"type": "image"}], "learnBlocks": [[{"architecture": "dense", "dropout": [1]}]]}]`, "dropout[0]: 1 is not in [0, 1)"},
		{"bad image size", `[{"inputBlocks": [{"type": "image", "dimension": [[0, 8], [8]]}], "dspBlocks": [{"type": "image"}], "learnBlocks": [[{"architecture": "dense"}]]}]`, "must be [width, height]"},
		{"bad layer", `[{"inputBlocks": [{"type": "image", "dimension": [[8, 8]]}], "dspBlocks": [{"type": "image"}], "learnBlocks": [[{"architecture": "layers", "visualLayers": [[{"type": "lstm"}]]}]]}]`, `type "lstm" is not supported`},
		{"rotation without copies", `[{"inputBlocks": [{"type": "image", "dimension": [[8, 8]]}], "dspBlocks": [{"type": "image"}], "learnBlocks": [[{"architecture": "dense", "augmentationPolicyMotion": [{"maxDegrees": 45}]}]]}]`, "augmentationPolicyMotion[0].copies: is missing or 0"},
		{"rotation too wide", `[{"inputBlocks": [{"type": "image", "dimension": [[8, 8]]}], "dspBlocks": [{"type": "image"}], "learnBlocks": [[{"architecture": "dense", "augmentationPolicyMotion": [{"copies": 2, "maxDegrees": 200}]}]]}]`, "augmentationPolicyMotion[0].maxDegrees: 200 is not in (0, 180]"},
		{"rotation too many", `[{"inputBlocks": [{"type": "image", "dimension": [[8, 8]]}], "dspBlocks": [{"type": "image"}], "learnBlocks": [[{"architecture": "dense", "augmentationPolicyMotion": [{"copies": 20, "maxDegrees": 20}]}]]}]`, "augmentationPolicyMotion[0].copies: 20 is out of range [1, 16]"},
		{"rotation field", `[{"inputBlocks": [{"type": "image", "dimension": [[8, 8]]}], "dspBlocks": [{"type": "image"}], "learnBlocks": [[{"architecture": "dense", "augmentationPolicyMotion": [{"copies": 2, "maxDegrees": 20, "axis": "z"}]}]]}]`, `unknown field "axis"`},
		{"unknown layer field", `[{"inputBlocks": [{"type": "image", "dimension": [[8, 8]]}], "dspBlocks": [{"type": "image"}], "learnBlocks": [[{"architecture": "layers", "visualLayers": [[{"type": "dense", "units": 3}]]}]]}]`, `unknown field "units"`},
		{"unknown field", `[{"inputBlocks": [{"type": "image", "dimension": [[8, 8]], "size": 3}], "dspBlocks": [{"type": "image"}], "learnBlocks": [[{"architecture": "dense"}]]}]`, "inputBlocks[0].size: unknown field"},
		{"NaN-like number", `[{"inputBlocks": [{"type": "image", "dimension": [[1e400, 8]]}], "dspBlocks": [{"type": "image"}], "learnBlocks": [[{"architecture": "dense"}]]}]`, "not a finite number"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseSpace([]byte(c.doc))
			if err == nil {
				t.Fatalf("no error, want one containing %q", c.want)
			}
			if !errors.Is(err, ErrSpace) {
				t.Errorf("error %v does not wrap ErrSpace", err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not contain %q", err, c.want)
			}
		})
	}
}

// FuzzParseSpace checks that no document makes ParseSpace panic, and that
// a space it accepts writes JSON it reads back to the same space.
func FuzzParseSpace(f *testing.F) {
	f.Add([]byte(spaceDoc))
	f.Add([]byte(`[{"inputBlocks": [{"type": "image", "dimension": [[8, 8]], "resizeMode": "squash"}], "dspBlocks": [{"type": "image", "channels": ["Grayscale", "RGB"]}], "learnBlocks": [[{"architecture": "conv2d", "convLayers": [1, 2], "convFilters": 8, "dropout": [0, 0.25]}]]}]`))
	f.Add([]byte(`{"impulse": [{"inputBlocks": [{"type": "time-series", "windowSizeMs": [1000], "windowIncreaseMs": [250, 500]}], "dspBlocks": [{"type": "mfcc", "num_cepstral": [13, 20]}], "learnBlocks": [{"architecture": "layers", "visualLayers": [[{"type": "reshape", "columns": 13}, {"type": "conv1d", "neurons": 8}, {"type": "flatten"}]]}]}]}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`null`))
	f.Add([]byte(`[{"inputBlocks": [{"type": "time-series", "window": [{"windowSizeMs": 1000, "windowIncreaseMs": 500}]}], "dspBlocks": [{"type": "mfcc"}], "learnBlocks": [[{"architecture": "conv1d", "convLayers": [2], "augmentationPolicyMotion": [null, {"copies": 2, "maxDegrees": 45}], "augmentationPolicySpectrogram": [null, {"enabled": true, "warping": true, "timeMasking": "high"}]}]]}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseSpace(data)
		if err != nil {
			if !errors.Is(err, ErrSpace) {
				t.Fatalf("error %v does not wrap ErrSpace", err)
			}
			return
		}
		out, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		s2, err := ParseSpace(out)
		if err != nil {
			t.Fatalf("own JSON refused: %v\n%s", err, out)
		}
		if !reflect.DeepEqual(s, s2) {
			t.Fatalf("round trip differs\n%s", out)
		}
		_ = s.compile().size()
	})
}

// TestDefaultSpace generates the space of each kind of data of the
// project's testdata and checks that every combination of blocks it
// offers builds (compiles and is estimated) for some of its settings.
func TestDefaultSpace(t *testing.T) {
	for _, c := range []struct {
		name string
		kind DataKind
	}{{"gestures", KindMotion}, {"keywords", KindAudio}, {"digits", KindImage}} {
		t.Run(c.name, func(t *testing.T) {
			ds, s := testdataSpace(t, c.name)
			if err := s.Validate(); err != nil {
				t.Fatal(err)
			}
			if p, _ := profileData(ds, nil); p.kind != c.kind {
				t.Errorf("kind %s, want %s", p.kind, c.kind)
			}
			cs := s.compile()
			est := &estimator{ds: ds, labels: dataset.Labels(ds.Category(dataset.CategoryTraining)), modelType: impulse.Int8,
				profile: device.ProfileConfig{Target: device.DefaultTarget}}
			built := map[[3]int]bool{}
			want := map[[3]int]bool{}
			for i, im := range s.Impulses {
				for j := range im.DSP {
					for k := range im.Learn {
						want[[3]int{i, j, k}] = true
					}
				}
			}
			rng := rand.New(rand.NewPCG(1, 1))
			sm := newSampler(cs)
			for range 300 {
				p := sm.random(rng)
				d := cs.imp[p[0]]
				key := [3]int{p[0], p[d.dsp], p[d.learn]}
				if built[key] {
					continue
				}
				def, err := cs.definition(p, newTemplate(nil))
				if err != nil {
					continue
				}
				if _, _, err := est.estimate(def); err == nil {
					built[key] = true
				}
			}
			for k := range want {
				if !built[k] {
					t.Errorf("impulse %d, DSP block %d (%s), learn block %d (%s): no candidate builds", k[0], k[1],
						s.Impulses[k[0]].DSP[k[1]].Type, k[2], s.Impulses[k[0]].Learn[k[2]].Arch)
				}
			}
		})
	}
}

// The motion space's flatten may leave out its minimum and maximum (the
// statistics that span the sensor's range and so set the int8 input
// scale): the candidates without them build, with 5 statistics per axis.
func TestDefaultSpaceFlatten(t *testing.T) {
	ds, err := dataset.Load(testenv.Testdata("gestures"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := DefaultSpace(ds, nil)
	if err != nil {
		t.Fatal(err)
	}
	cs := s.compile()
	rng := rand.New(rand.NewPCG(1, 1))
	sm := newSampler(cs)
	seen := map[string]bool{}
	for range 2000 {
		p := sm.random(rng)
		def, err := cs.definition(p, newTemplate(nil))
		if err != nil || def.Impulse.DSPBlocks[0].Type != "flatten" {
			continue
		}
		params := def.DSP[def.Impulse.DSPBlocks[0].ID]
		key := fmt.Sprint(params["minimum"], params["maximum"])
		if seen[key] {
			continue
		}
		seen[key] = true
		im, err := impulse.Compile(def, ds)
		if err != nil {
			t.Fatalf("%v: %v", params, err)
		}
		_, in, err := im.KerasConfig(learnID)
		if err != nil {
			t.Fatal(err)
		}
		want := 3 * 7
		for _, k := range []string{"minimum", "maximum"} {
			if params[k] == false {
				want -= 3
			}
		}
		if in.Features() != want {
			t.Errorf("flatten %v: %d features, want %d", params, in.Features(), want)
		}
	}
	if len(seen) != 4 {
		t.Errorf("flatten settings %v, want the 4 of minimum and maximum on and off", seen)
	}
}

// TestRotationSpace reads the rotated copies of a space (null for none),
// writes them back, and builds candidates with and without them.
func TestRotationSpace(t *testing.T) {
	doc := `[{"inputBlocks": [{"type": "time-series", "window": [{"windowSizeMs": 1000, "windowIncreaseMs": 500}]}],
	  "dspBlocks": [{"type": "flatten"}],
	  "learnBlocks": [[{"architecture": "dense", "denseLayers": [[8]], "augmentationPolicyMotion": [null, {"copies": 4, "maxDegrees": 45}, null]}]]}]`
	s, err := ParseSpace([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	want := []impulse.MotionAugmentation{{}, {Copies: 4, MaxDegrees: 45}}
	if got := s.Impulses[0].Learn[0].Rotations; !reflect.DeepEqual(got, want) {
		t.Fatalf("rotations %v, want %v", got, want)
	}
	data, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseSpace(data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, s) {
		t.Fatalf("%s reads back as %+v", data, back)
	}
	c := s.compile()
	if n := c.size(); n != 2 {
		t.Errorf("%v candidates, want 2", n)
	}
	var got []*impulse.MotionAugmentation
	for v := range 2 {
		p := make(point, len(c.dims))
		for i := range p {
			p[i] = 0
		}
		p[c.imp[0].learns[0].rotation] = v
		def, err := c.definition(p, newTemplate(nil))
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, def.Learn[learnID].Keras.AugmentationPolicyMotion)
	}
	if got[0] != nil || got[1] == nil || *got[1] != want[1] {
		t.Errorf("definitions' policies %v, %v; want none, then %v", got[0], got[1], want[1])
	}
}

// The generated space offers rotated copies for data recorded in many
// orientations only: the synthetic gestures (7.6°), not the synthetic
// fan (bolted: 0.008°), the audio or the images.
func TestDefaultSpaceRotations(t *testing.T) {
	for _, c := range []struct {
		name string
		want bool
	}{{"gestures", true}, {"vibration", false}, {"keywords", false}, {"digits", false}} {
		_, s := testdataSpace(t, c.name)
		for _, im := range s.Impulses {
			for _, l := range im.Learn {
				if got := len(l.Rotations) > 0; got != c.want {
					t.Errorf("%s, %s network: rotations %v, want some: %v", c.name, l.Arch, l.Rotations, c.want)
				}
			}
		}
	}
}

// TestOrientationSpread checks the spread on recordings worked out by
// hand and on the shared datasets against numpy: for every training
// sample the direction of the mean of accX, accY, accZ, the angle of each
// to the normalised sum of those directions, the median (figures from
// numpy 1.24.2 on the same files: 39.0633, 17.0100, 0.7060).
func TestOrientationSpread(t *testing.T) {
	constant := func(x, y, z float64, extra ...dataset.Sensor) *dataset.Sample {
		s := &dataset.Sample{Sensors: append([]dataset.Sensor{{Name: "accX"}, {Name: "accY"}, {Name: "accZ"}}, extra...), IntervalMs: 10}
		for range 10 {
			s.Values = append(s.Values, x, y, z)
			for range extra {
				s.Values = append(s.Values, 100)
			}
		}
		return s
	}
	g := 9.80665
	s10, c10 := g*math.Sin(10*math.Pi/180), g*math.Cos(10*math.Pi/180)
	// z, and 10° either side of it in x: the mean direction is z, the
	// angles 0°, 10°, 10°.
	got, ok := OrientationSpread([]*dataset.Sample{constant(0, 0, g), constant(s10, 0, c10), constant(-s10, 0, c10)})
	if !ok || math.Abs(got-10) > 1e-9 {
		t.Errorf("0°, ±10°: spread %v (%v), want 10", got, ok)
	}
	// A gyroscope beside the accelerometer is not read.
	gyro := []dataset.Sensor{{Name: "gyrX"}, {Name: "gyrY"}, {Name: "gyrZ"}}
	if got, ok := OrientationSpread([]*dataset.Sample{constant(0, 0, g, gyro...), constant(0, 0, g, gyro...)}); !ok || got != 0 {
		t.Errorf("one orientation with a gyroscope: spread %v (%v), want 0", got, ok)
	}
	// Gravity removed: no direction to tell.
	shake := &dataset.Sample{Sensors: []dataset.Sensor{{Name: "accX"}, {Name: "accY"}, {Name: "accZ"}}, IntervalMs: 10,
		Values: []float64{1, 0, 0, -1, 0, 0, 1.01, 0, 0, -1, 0, 0}}
	if _, ok := OrientationSpread([]*dataset.Sample{shake}); ok {
		t.Error("an accelerometer without gravity: a spread")
	}
	if _, ok := OrientationSpread([]*dataset.Sample{{Sensors: []dataset.Sensor{{Name: "audio"}}, Values: []float64{1}}}); ok {
		t.Error("audio: a spread")
	}
	for _, c := range []struct {
		name string
		want float64
	}{{"gestures-continuous", 39.06}, {"gestures-magic-wand", 17.01}, {"fan-unbalance", 0.71}} {
		ds, err := dataset.Load(testenv.SharedDataset(t, c.name))
		if err != nil {
			t.Fatal(err)
		}
		got, ok := OrientationSpread(ds.Category(dataset.CategoryTraining))
		if !ok || math.Abs(got-c.want) > 0.01 {
			t.Errorf("%s: spread %.3f (%v), numpy %.2f", c.name, got, ok, c.want)
		}
	}
}

// testdataSpace loads a dataset of testdata and its default space.
func testdataSpace(t *testing.T, name string) (*dataset.Dataset, *Space) {
	t.Helper()
	ds, err := dataset.Load(testenv.Testdata(name))
	if err != nil {
		t.Fatal(err)
	}
	s, err := DefaultSpace(ds, nil)
	if err != nil {
		t.Fatal(err)
	}
	return ds, s
}

// TestSpecAugmentSpace reads Studio's spectrogram augmentation settings
// as a searched list, writes them back, builds the definitions with them,
// and the generated audio space offers none, light and strong.
func TestSpecAugmentSpace(t *testing.T) {
	doc := `[{"inputBlocks": [{"type": "time-series", "window": [{"windowSizeMs": 1000, "windowIncreaseMs": 500}]}],
	  "dspBlocks": [{"type": "mfcc"}],
	  "learnBlocks": [[{"architecture": "conv1d", "convLayers": [2], "augmentationPolicySpectrogram": [null, {"enabled": true, "freqMasking": "high"}, {"enabled": false, "timeMasking": "low"}]}]]}]`
	s, err := ParseSpace([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	want := []studio.AugmentationPolicySpectrogram{{}, {Enabled: true, FreqMasking: "high"}}
	if got := s.Impulses[0].Learn[0].SpecAugment; !reflect.DeepEqual(got, want) {
		t.Fatalf("policies %+v, want %+v", got, want)
	}
	data, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if back, err := ParseSpace(data); err != nil || !reflect.DeepEqual(back, s) {
		t.Fatalf("%s reads back as %+v (%v)", data, back, err)
	}
	c := s.compile()
	p := make(point, len(c.dims))
	p[c.imp[0].learns[0].specAugment] = 1
	def, err := c.definition(p, newTemplate(nil))
	if err != nil {
		t.Fatal(err)
	}
	if got := def.Learn[learnID].Keras.AugmentationPolicySpectrogram; got == nil || !reflect.DeepEqual(*got, want[1]) {
		t.Errorf("definition's policy %+v, want %+v", got, want[1])
	}
	if _, err := ParseSpace([]byte(strings.Replace(doc, `"high"`, `"loud"`, 1))); err == nil || !strings.Contains(err.Error(), "freqMasking") {
		t.Errorf("level loud: error %v", err)
	}
	_, audio := testdataSpace(t, "keywords")
	if n := len(audio.Impulses[0].Learn[0].SpecAugment); n != 3 {
		t.Errorf("the audio space offers %d spectrogram augmentations, want 3", n)
	}
}

// Studio's image augmentation is searched as a list of policies, the
// generated image space offers both, and a definition takes the policy.
func TestImageAugmentSpace(t *testing.T) {
	doc := `[{"inputBlocks": [{"type": "image", "dimension": [[8, 8]]}], "dspBlocks": [{"type": "image"}],
	  "learnBlocks": [[{"architecture": "conv2d", "convLayers": [1], "augmentationPolicyImage": ["none", "all"]}]]}]`
	s, err := ParseSpace([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Impulses[0].Learn[0].ImageAugment; !reflect.DeepEqual(got, []string{"none", "all"}) {
		t.Fatalf("policies %q", got)
	}
	data, _ := json.Marshal(s)
	if back, err := ParseSpace(data); err != nil || !reflect.DeepEqual(back, s) {
		t.Fatalf("%s reads back as %+v (%v)", data, back, err)
	}
	c := s.compile()
	p := make(point, len(c.dims))
	p[c.imp[0].learns[0].imageAugment] = 1
	def, err := c.definition(p, newTemplate(nil))
	if err != nil || def.Learn[learnID].Keras.AugmentationPolicyImage != "all" {
		t.Errorf("definition's image policy %q (%v), want all", def.Learn[learnID].Keras.AugmentationPolicyImage, err)
	}
	if _, err := ParseSpace([]byte(strings.Replace(doc, `"all"`, `"some"`, 1))); err == nil || !strings.Contains(err.Error(), "augmentationPolicyImage[1]") {
		t.Errorf("policy some: error %v", err)
	}
	_, img := testdataSpace(t, "digits")
	if got := img.Impulses[0].Learn[0].ImageAugment; !reflect.DeepEqual(got, []string{"none", "all"}) {
		t.Errorf("the image space offers %q", got)
	}
}

// A starting definition's augmentations are part of its alternative, and
// a start that reads no 3-axis sensor gets no rotated copies.
func TestStartSpaceAugmentation(t *testing.T) {
	ds := loadGestures(t)
	start, err := impulse.LoadDefinition(testenv.Testdata("impulses", "gestures.json"))
	if err != nil {
		t.Fatal(err)
	}
	start.Learn[3].Keras.AugmentationPolicyMotion = &impulse.MotionAugmentation{Copies: 3, MaxDegrees: 30}
	s, err := DefaultSpace(ds, start)
	if err != nil {
		t.Fatal(err)
	}
	alt := s.Impulses[len(s.Impulses)-1].Learn[0]
	if want := []impulse.MotionAugmentation{{Copies: 3, MaxDegrees: 30}}; !reflect.DeepEqual(alt.Rotations, want) {
		t.Errorf("the start's alternative rotates %v, want %v", alt.Rotations, want)
	}
	start.Learn[3].Keras.AugmentationPolicyMotion = nil
	start.Impulse.InputBlocks[0].Axes = []string{"accX", "accY"}
	start.Impulse.DSPBlocks[0].Axes = nil
	s, err = DefaultSpace(ds, start)
	if err != nil {
		t.Fatal(err)
	}
	for _, im := range s.Impulses {
		for _, l := range im.Learn {
			if len(l.Rotations) > 0 {
				t.Errorf("a start reading accX and accY: %s networks may rotate (%v)", l.Arch, l.Rotations)
			}
		}
	}
}
