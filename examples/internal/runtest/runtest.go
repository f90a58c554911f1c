// Package runtest holds the checks the example programs' tests share: run an
// example's pipeline through run.Run and check what every run must produce
// (output within 80 columns with all its sections, a saved model that loads,
// Studio's JSON files), and read the figures the tests assert on.
package runtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tinyimpulse/tinyimpulse/examples/internal/run"
	"github.com/tinyimpulse/tinyimpulse/impulse"
	"github.com/tinyimpulse/tinyimpulse/studio"
)

// Train runs the example with the given options (the output folder defaults
// to a temporary one), checks its output and saved files, and returns the
// result and the printed output.
func Train(t *testing.T, ex run.Example, opt run.Options) (*run.Result, string) {
	t.Helper()
	if opt.Out == "" {
		opt.Out = filepath.Join(t.TempDir(), "model")
	}
	var out bytes.Buffer
	res, err := run.Run(context.Background(), ex, opt, &out)
	if err != nil {
		t.Fatalf("%s: %v\n%s", ex.Name, err, out.String())
	}
	text := out.String()
	for i, line := range strings.Split(text, "\n") {
		if n := utf8.RuneCountInString(line); n > 80 {
			t.Errorf("output line %d is %d columns wide:\n%s", i+1, n, line)
		}
	}
	want := []string{ex.Title, "Training...", "Trained in ", "Model testing (", "On-device performance on ",
		"Model saved to ", impulse.DetailedFile}
	if len(res.Model.Detailed().Impulses[0].LearnBlockKerasConfigs) > 0 {
		want = append(want, "Confusion matrix (", "Validation accuracy: int8 ")
	}
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("output lacks %q:\n%s", w, text)
		}
	}
	if res.Out != opt.Out {
		t.Errorf("model saved to %q, want %q", res.Out, opt.Out)
	}
	var detailed studio.DetailedImpulsesResponse
	readJSON(t, filepath.Join(opt.Out, impulse.DetailedFile), &detailed)
	if len(detailed.Impulses) != 1 || !detailed.Impulses[0].Complete {
		t.Errorf("%s: %d impulses, want one complete impulse", impulse.DetailedFile, len(detailed.Impulses))
	}
	if res.Test == nil {
		t.Fatalf("%s: no model testing (the dataset has no testing samples)", ex.Name)
	}
	var mt studio.ClassifyJobResponse
	readJSON(t, filepath.Join(opt.Out, "model-testing.json"), &mt)
	if !mt.Success || len(mt.Result) != len(res.Test.Response().Result) {
		t.Errorf("model-testing.json: success %v, %d samples", mt.Success, len(mt.Result))
	}
	if _, err := impulse.LoadModel(opt.Out); err != nil {
		t.Errorf("the saved model does not load: %v", err)
	}
	return res, text
}

func readJSON(t *testing.T, file string, v any) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
}

// ValidationAccuracy returns the validation accuracy of the first
// classifier's model variants, by type ("int8", "float32").
func ValidationAccuracy(t *testing.T, m *impulse.Model) map[string]float64 {
	t.Helper()
	ks := m.Detailed().Impulses[0].LearnBlockKerasConfigs
	if len(ks) == 0 || ks[0].Metadata == nil {
		t.Fatal("the impulse has no trained classifier")
	}
	acc := map[string]float64{}
	for _, mm := range ks[0].Metadata.ModelValidationMetrics {
		if mm.Accuracy == nil {
			t.Fatalf("%s model has no validation accuracy", mm.Type)
		}
		acc[mm.Type] = *mm.Accuracy
	}
	if len(acc) != 2 {
		t.Fatalf("validation metrics for %v, want int8 and float32", acc)
	}
	return acc
}

// SharedDataset returns the path of a dataset in ../shared/datasets
// (relative to the repository root) from an example's folder. It skips the
// test when ../shared/datasets is absent, and fails it when the folder is
// there without the dataset.
func SharedDataset(t *testing.T, name string) string {
	t.Helper()
	shared := filepath.Join("..", "..", "..", "shared", "datasets")
	if _, err := os.Stat(shared); errors.Is(err, fs.ErrNotExist) {
		t.Skipf("%s is not there (the shared datasets live next to the repository)", shared)
	}
	dir := filepath.Join(shared, name)
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("dataset %s: %v", name, err)
	}
	return dir
}
