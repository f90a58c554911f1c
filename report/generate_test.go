package report_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tinyimpulse/tinyimpulse/dataset"
	"github.com/tinyimpulse/tinyimpulse/impulse"
	"github.com/tinyimpulse/tinyimpulse/report"
)

// TestSavedModel checks what `impulse report --model DIR --data DIR` does:
// a saved and loaded model, tested again by Generate, gives the same page,
// byte for byte, as the model fresh from training, and WriteFile puts it in
// place.
func TestSavedModel(t *testing.T) {
	g := gestures(t)
	dir := filepath.Join(t.TempDir(), "model")
	if err := g.model.Save(dir); err != nil {
		t.Fatal(err)
	}
	m, err := impulse.LoadModel(dir)
	if err != nil {
		t.Fatal(err)
	}
	d, err := report.Generate(context.Background(), m, g.ds, report.Options{})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "report.html")
	if err := report.WriteFile(file, d); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != g.html {
		t.Error("the report of the saved model differs from the trained model's")
	}
	if err := report.WriteFile(filepath.Join(dir, "no such folder", "r.html"), d); err == nil {
		t.Error("WriteFile into a missing folder: no error")
	}
	es, _ := os.ReadDir(dir)
	for _, e := range es {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("WriteFile left %s behind", e.Name())
		}
	}
}

// TestNoTestingData checks the report of a dataset without testing
// samples: the testing and anomaly sections say why they are empty.
func TestNoTestingData(t *testing.T) {
	g := gestures(t)
	ds := *g.ds
	ds.Samples = nil
	for _, s := range g.ds.Samples {
		if s.Category == dataset.CategoryTraining {
			ds.Samples = append(ds.Samples, s)
		}
	}
	d, err := report.Generate(context.Background(), g.model, &ds, report.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := report.Write(&b, d); err != nil {
		t.Fatal(err)
	}
	if d.Testing != nil || !strings.Contains(b.String(), "The dataset has no testing samples.") {
		t.Error("the report does not say that the dataset has no testing samples")
	}
}
