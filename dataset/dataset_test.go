package dataset

import (
	"encoding/csv"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tinyimpulse/tinyimpulse/internal/testenv"
)

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
	ds, err := Load(dir)
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
	ds, err := Load(dir)
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
	ds, err = Load(dir)
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
		_, err := Load(dir)
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
	_, err := Load(dir)
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
		dir := testenv.SharedDataset(t, name)
		ds, err := Load(dir)
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

// TestLoadCompactAudio checks that LoadWith(CompactAudio) holds the same
// values as Load for every sample of the synthetic keywords dataset (WAV),
// readable through NumValues, Value and Series but not Values, and loads
// the other formats as Load does.
func TestLoadCompactAudio(t *testing.T) {
	t.Parallel()
	dir := testenv.Testdata("keywords")
	full, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	compact, err := LoadWith(dir, LoadOptions{CompactAudio: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(full.Samples) != len(compact.Samples) || len(full.Samples) == 0 {
		t.Fatalf("%d samples compact, %d in full", len(compact.Samples), len(full.Samples))
	}
	var buf []float64
	for i, f := range full.Samples {
		c := compact.Samples[i]
		if c.Values != nil || c.Path != f.Path || c.Label != f.Label || c.Len() != f.Len() || c.NumValues() != len(f.Values) {
			t.Fatalf("%s: compact sample %q/%q, %d values (Values %v), full %d", f.Path, c.Path, c.Label, c.NumValues(), c.Values != nil, len(f.Values))
		}
		buf = c.Series(buf)
		if !slices.Equal(buf, f.Values) || !slices.Equal(f.Series(nil), f.Values) {
			t.Fatalf("%s: Series differs from Load's Values", f.Path)
		}
		for _, j := range []int{0, len(f.Values) / 2, len(f.Values) - 1} {
			if c.Value(j) != f.Values[j] || f.Value(j) != f.Values[j] {
				t.Fatalf("%s: Value(%d) = %v, %v; want %v", f.Path, j, c.Value(j), f.Value(j), f.Values[j])
			}
		}
	}
	other, err := LoadWith(testenv.Testdata("gestures"), LoadOptions{CompactAudio: true})
	if err != nil || len(other.Samples) == 0 || other.Samples[0].Values == nil {
		t.Fatalf("a JSON dataset loaded with CompactAudio: %v", err)
	}
}
