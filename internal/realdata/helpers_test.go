package realdata

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/tinyimpulse/tinyimpulse/dataset"
	"github.com/tinyimpulse/tinyimpulse/impulse"
)

// Paths relative to this package's folder: the repository root is ../..,
// the shared datasets are ../shared/datasets from the root.
var (
	sharedDatasets = filepath.Join("..", "..", "..", "shared", "datasets")
	impulsesDir    = filepath.Join("..", "..", "testdata", "impulses")
	referenceFile  = filepath.Join("..", "..", "testdata", "realdata", "reference.json")
)

// datasetNames lists the datasets of ../shared/datasets: every folder (the
// shared datasets' convention is one dataset per folder, each with
// training/ and testing/). It skips the test only when ../shared/datasets
// is absent; a folder that is there but empty fails it.
func datasetNames(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir(sharedDatasets)
	if errors.Is(err, fs.ErrNotExist) {
		t.Skipf("../shared/datasets is absent (%v): nothing to check", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	if len(names) == 0 {
		t.Fatalf("%s holds no dataset folder", sharedDatasets)
	}
	return names // os.ReadDir sorts by name
}

// load reads a dataset and its impulse definition, compiled against it.
func load(t *testing.T, name string) (*impulse.Impulse, *dataset.Dataset) {
	t.Helper()
	file := filepath.Join(impulsesDir, name+".json")
	def, err := impulse.LoadDefinition(file)
	if err != nil {
		t.Fatalf("dataset %s has no usable impulse definition: %v", name, err)
	}
	ds, err := dataset.Load(filepath.Join(sharedDatasets, name))
	if err != nil {
		t.Fatal(err)
	}
	im, err := impulse.Compile(def, ds)
	if err != nil {
		t.Fatal(err)
	}
	return im, ds
}
