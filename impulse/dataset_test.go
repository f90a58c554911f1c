package impulse

import (
	"context"
	"encoding/csv"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// sharedDatasets is ../shared/datasets relative to the repository root.
var sharedDatasets = filepath.Join("..", "..", "shared", "datasets")

func sharedDataset(t testing.TB, name string) string {
	t.Helper()
	dir := filepath.Join(sharedDatasets, name)
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("dataset %s not available (%v); it lives in ../shared/datasets", name, err)
	}
	return dir
}

// writeFiles creates files under dir; values are contents, or "@name" to copy
// a hand-made sample.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		data := []byte(content)
		if strings.HasPrefix(content, "@") {
			data = readSample(t, content[1:])
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

const infoLabels = `{"version": 1, "files": [
  {"path": "training/walk.1.json", "name": "first", "category": "training",
   "label": {"type": "multi-label", "labels": [{"label": "b", "startIndex": 2, "endIndex": 3}, {"label": "a", "startIndex": 0, "endIndex": 1}]},
   "metadata": {"site": "lab"}},
  {"path": "training/x.cbor", "category": "training", "label": {"type": "label", "label": "jump"}},
  {"path": "testing/t.csv", "category": "testing", "label": {"type": "unlabeled"}},
  {"path": "testing/kv.wav", "category": "testing", "label": {"type": "keyvalue-labels", "labels": {"speaker": "x"}}},
  {"path": "testing/pic.png", "category": "testing", "label": {"type": "label", "label": "cat"},
   "boundingBoxes": [{"label": "cat", "x": 1, "y": 0, "width": 2, "height": 2}]}
]}`

func TestLoadDatasetInfoLabels(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"info.labels": infoLabels, "training/walk.1.json": "@acc.json", "training/x.cbor": "@acc.cbor",
		"testing/t.csv": "@acc.csv", "testing/kv.wav": "@tone.wav", "testing/pic.png": "@rgb.png",
	})
	ds, err := LoadDataset(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds.Samples) != 5 {
		t.Fatalf("%d samples", len(ds.Samples))
	}
	s := ds.Samples
	if s[0].ID != 1 || s[0].Name != "first" || s[0].Path != "training/walk.1.json" || s[0].Label != "" || s[0].Metadata["site"] != "lab" ||
		!slices.Equal(s[0].Labels, []LabelRange{{"a", 0, 1}, {"b", 2, 3}}) {
		t.Errorf("multi-label sample %+v", s[0])
	}
	if s[1].Name != "x" || s[1].Label != "jump" || s[1].Category != CategoryTraining || s[1].ID != 2 {
		t.Errorf("label sample %+v", s[1])
	}
	if s[2].Label != "" || s[2].Category != CategoryTesting || s[3].KeyValues["speaker"] != "x" {
		t.Errorf("unlabelled / key-value samples %+v %+v", s[2], s[3])
	}
	if s[4].Image == nil || s[4].BoundingBoxes[0] != (BoundingBox{"cat", 1, 0, 2, 2}) {
		t.Errorf("image sample %+v", s[4])
	}
	if got := Labels(ds.Samples); !slices.Equal(got, []string{"a", "b", "cat", "jump"}) {
		t.Errorf("Labels = %v", got)
	}
	if got := ds.Category(CategoryTesting); len(got) != 3 || got[0] != s[2] {
		t.Errorf("Category(testing) = %v", got)
	}
}

func TestLoadDatasetLayouts(t *testing.T) {
	t.Parallel()
	// NDJSON export form.
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"info.labels": `{"__ndjson":true,"version":1}` + "\n" +
			`{"__key":"files","__item":{"path":"training/a.json","category":"training","label":{"type":"label","label":"up"}}}` + "\n" +
			`{"__key":"other","__item":{}}` + "\n" +
			`{"__key":"files","__item":{"path":"testing/b.json","category":"testing","label":{"type":"label","label":"down"}}}` + "\n",
		"training/a.json": "@acc.json", "testing/b.json": "@acc.json",
	})
	ds, err := LoadDataset(dir)
	if err != nil || len(ds.Samples) != 2 || ds.Samples[1].Label != "down" || ds.Samples[1].Category != CategoryTesting {
		t.Errorf("NDJSON info.labels: %v, %v", ds, err)
	}
	// info.labels inside training/ (paths relative to it), file names in testing/.
	dir = t.TempDir()
	writeFiles(t, dir, map[string]string{
		"training/info.labels": `{"version":1,"files":[{"path":"z.json","category":"training","label":{"type":"label","label":"left"}}]}`,
		"training/z.json":      "@acc.json",
		"testing/right.2.json": "@acc.json", "testing/idle.1.json": "@acc.json", "testing/.DS_Store": "x",
	})
	ds, err = LoadDataset(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range ds.Samples {
		got = append(got, s.Path+"="+s.Label+"/"+s.Category)
	}
	if want := []string{"training/z.json=left/training", "testing/idle.1.json=idle/testing", "testing/right.2.json=right/testing"}; !slices.Equal(got, want) {
		t.Errorf("samples %v, want %v", got, want)
	}
}

func TestLoadDatasetErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{"missing file", map[string]string{"info.labels": `{"version":1,"files":[{"path":"training/nope.json","category":"training"}]}`},
			[]string{"training/nope.json"}},
		{"two broken files", map[string]string{"training/a.1.json": "{", "training/b.1.wav": "RIFF", "training/c.1.json": "@acc.json"},
			[]string{"training/a.1.json", "truncated", "training/b.1.wav"}},
		{"escaping path", map[string]string{"info.labels": `{"version":1,"files":[{"path":"../x.json","category":"training"}]}`},
			[]string{"info.labels", "leaves the dataset folder"}},
		{"duplicate", map[string]string{"info.labels": `{"version":1,"files":[{"path":"training/a.json","category":"training"},{"path":"training/a.json","category":"testing"}]}`, "training/a.json": "@acc.json"},
			[]string{"listed twice"}},
		{"label type", map[string]string{"info.labels": `{"version":1,"files":[{"path":"training/a.json","category":"training","label":{"type":"boxes"}}]}`, "training/a.json": "@acc.json"},
			[]string{"info.labels", `unknown label type "boxes"`}},
		{"bad ranges", map[string]string{"info.labels": `{"version":1,"files":[{"path":"training/a.json","category":"training","label":{"type":"multi-label","labels":[{"label":"a","startIndex":0,"endIndex":2}]}}]}`, "training/a.json": "@acc.json"},
			[]string{"training/a.json", "value indices 3 to 3 unlabelled"}},
		{"category", map[string]string{"info.labels": `{"version":1,"files":[{"path":"training/a.json","category":"train"}]}`}, []string{`unknown category "train"`}},
		{"not json", map[string]string{"info.labels": `{"version":1,"files":[`}, []string{"info.labels", "truncated"}},
		{"empty", map[string]string{"README": "x"}, []string{"no info.labels and no training/ or testing/ folder"}},
		{"unsupported extension", map[string]string{"training/a.1.mp4": "x"}, []string{"training/a.1.mp4", "unsupported file type"}},
	}
	for _, c := range cases {
		dir := t.TempDir()
		writeFiles(t, dir, c.files)
		_, err := LoadDataset(dir)
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not contain %q", c.name, err, w)
			}
		}
	}
	// Joined errors keep their types.
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"training/a.1.json": "{"})
	_, err := LoadDataset(dir)
	var fe *FileError
	if !errors.As(err, &fe) || fe.Path != "training/a.1.json" || !errors.Is(err, ErrFormat) {
		t.Errorf("error %v: not a *FileError wrapping ErrFormat", err)
	}
}

func TestLabelFromFileName(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]string{
		"idle.01.cbor": "idle", "unknown.bed_4c7c95de_nohash_0.wav": "unknown", "0.0010.png": "0",
		"training/up-down.3.json": "up-down", "my label.x.csv": "my label", ".hidden": "", "a_b.c": "a_b",
		// \s is [\t\n\f\r ]: no vertical tab, no Unicode space or letter.
		"a\tb.wav": "a\tb", "a\r\n\fb.c": "a\r\n\fb", "x\vy.wav": "x", "a\u00a0b.wav": "a", "é.wav": "", "": "", "noext": "noext",
	} {
		if got := LabelFromFileName(name); got != want {
			t.Errorf("LabelFromFileName(%q) = %q, want %q", name, got, want)
		}
	}
}

// Every shipped dataset loads, and its samples, labels and categories are
// those its labels.csv lists.
func TestSharedDatasets(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"digits-8x8", "fan-unbalance", "gestures-continuous", "gestures-magic-wand", "kws-speech-commands"} {
		dir := sharedDataset(t, name)
		ds, err := LoadDataset(dir)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		f, err := os.Open(filepath.Join(dir, "labels.csv"))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(f).ReadAll()
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{}
		for _, r := range rows[1:] {
			want[r[0]] = r[1] + "/" + r[2]
		}
		if len(ds.Samples) != len(want) {
			t.Errorf("%s: %d samples, labels.csv lists %d", name, len(ds.Samples), len(want))
		}
		for _, s := range ds.Samples {
			if got := s.Label + "/" + s.Category; want[s.Path] != got {
				t.Errorf("%s: %s is %s, labels.csv says %s", name, s.Path, got, want[s.Path])
				break
			}
			if s.Image == nil && (s.Len() == 0 || s.IntervalMs <= 0) {
				t.Errorf("%s: %s has no values", name, s.Path)
				break
			}
		}
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
		ds, err := LoadDataset(sharedDataset(t, c.dataset))
		if err != nil {
			t.Fatal(err)
		}
		def, err := ParseDefinition([]byte(c.def))
		if err != nil {
			t.Fatal(err)
		}
		if err := def.Resolve(ds); err != nil {
			t.Errorf("%s: %v", c.dataset, err)
			continue
		}
		train := ds.Category(CategoryTraining)
		f, err := def.GenerateFeatures(context.Background(), train, nil)
		if err != nil {
			t.Errorf("%s: %v", c.dataset, err)
			continue
		}
		lb := def.Impulse.LearnBlocks[0]
		X, err := f.Learn(lb.ID)
		if err != nil {
			t.Fatal(err)
		}
		rows, cols := X.Dims()
		if cols != c.features || rows != len(train)*c.perSample || !slices.Equal(f.Classes, Labels(train)) {
			t.Errorf("%s: %d windows × %d features, classes %v; want %d × %d, %v", c.dataset, rows, cols, f.Classes,
				len(train)*c.perSample, c.features, Labels(train))
		}
		for _, v := range X.RawMatrix().Data {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Errorf("%s: non-finite feature", c.dataset)
				break
			}
		}
	}
}
