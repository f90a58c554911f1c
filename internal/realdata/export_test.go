package realdata

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/tinyimpulse/tinyimpulse/dataset"
	"github.com/tinyimpulse/tinyimpulse/impulse"
	"github.com/tinyimpulse/tinyimpulse/learn"
	"github.com/tinyimpulse/tinyimpulse/studio"
)

// export is what TestExport writes for one dataset: the features the Go
// pipeline trains on and tests on, for testdata/realdata/reference.py.
type export struct {
	Dataset string `json:"dataset"`
	// Definition is the impulse definition file as written (Studio's
	// settings, defaults left out) and Resolved the definition as Go
	// completed it from the data.
	Definition json.RawMessage     `json:"definition"`
	Resolved   *impulse.Definition `json:"resolved"`
	// Classes are the training labels, sorted (Studio's class order).
	Classes []string `json:"classes"`
	// Train holds the training windows (the input block's training stride),
	// Test the testing category's windows (its classification stride).
	Train exportSet `json:"train"`
	Test  exportSet `json:"test"`
	// Blocks describes every learn block and the features it reads.
	Blocks []exportBlock `json:"blocks"`
}

type exportSet struct {
	// Y is each window's class index in Classes, −1 for a label the
	// training set does not have (Studio leaves such windows out).
	Y      []int    `json:"y"`
	Labels []string `json:"labels"`
	Sample []int    `json:"sample"`
	Start  []int    `json:"startMs"`
	// Features maps a learn block id to its feature rows.
	Features map[string][][]float64 `json:"features"`
}

type exportBlock struct {
	ID   int    `json:"id"`
	Type string `json:"type"`
	// Input and Config are what Go trains a keras block with (Studio's
	// defaults filled in); KMeans/GMM the anomaly block's settings.
	Input  *learn.Input  `json:"input,omitempty"`
	Config *learn.Config `json:"config,omitempty"`
	KMeans any           `json:"kmeans,omitempty"`
	GMM    any           `json:"gmm,omitempty"`
}

// TestExport writes, for every dataset, the features of its training and
// testing windows and the settings of its learn blocks to
// $REALDATA_EXPORT/<dataset>.json (see the package documentation).
func TestExport(t *testing.T) {
	dir := os.Getenv("REALDATA_EXPORT")
	if dir == "" {
		t.Skip("set REALDATA_EXPORT=DIR to export the features for testdata/realdata/reference.py")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range datasetNames(t) {
		t.Run(name, func(t *testing.T) {
			e := exportDataset(t, name)
			data, err := json.Marshal(e)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, name+".json"), data, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: %d training and %d testing windows", name, len(e.Train.Y), len(e.Test.Y))
		})
	}
}

func exportDataset(t *testing.T, name string) *export {
	ctx := context.Background()
	im, ds := load(t, name)
	raw, err := os.ReadFile(filepath.Join(impulsesDir, name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	train, err := im.GenerateFeatures(ctx, ds.Category(dataset.CategoryTraining), &impulse.FeatureOptions{Mode: impulse.TrainingWindows})
	if err != nil {
		t.Fatal(err)
	}
	test, err := im.GenerateFeatures(ctx, ds.Category(dataset.CategoryTesting), &impulse.FeatureOptions{Mode: impulse.ClassificationWindows})
	if err != nil {
		t.Fatal(err)
	}
	e := &export{Dataset: name, Definition: raw, Resolved: im.Definition(), Classes: train.Classes}
	e.Train = exportWindows(train, train.Classes)
	e.Test = exportWindows(test, train.Classes)
	for _, lb := range im.Definition().Impulse.LearnBlocks {
		b := exportBlock{ID: lb.ID, Type: lb.Type}
		switch lb.Type {
		case studio.LearnKeras:
			cfg, in, err := im.KerasConfig(lb.ID)
			if err != nil {
				t.Fatal(err)
			}
			cfg = cfg.WithDefaults()
			b.Config, b.Input = &cfg, &in
		case studio.LearnAnomaly:
			c, err := im.KMeansConfig(lb.ID)
			if err != nil {
				t.Fatal(err)
			}
			b.KMeans = c
		case studio.LearnAnomalyGMM:
			c, err := im.GMMConfig(lb.ID)
			if err != nil {
				t.Fatal(err)
			}
			b.GMM = c
		default:
			t.Fatalf("learn block %d: type %q has no reference", lb.ID, lb.Type)
		}
		key := strconv.Itoa(lb.ID)
		for _, p := range []struct {
			f   *impulse.Features
			set *exportSet
		}{{train, &e.Train}, {test, &e.Test}} {
			X, err := p.f.Learn(lb.ID)
			if err != nil {
				t.Fatal(err)
			}
			p.set.Features[key] = rows(X)
		}
		e.Blocks = append(e.Blocks, b)
	}
	return e
}

func exportWindows(f *impulse.Features, classes []string) exportSet {
	s := exportSet{Features: map[string][][]float64{}}
	for _, w := range f.Windows {
		s.Y = append(s.Y, slices.Index(classes, w.Label))
		s.Labels = append(s.Labels, w.Label)
		s.Sample = append(s.Sample, w.SampleID)
		s.Start = append(s.Start, w.StartMs)
	}
	return s
}

func rows(X *mat.Dense) [][]float64 {
	r, _ := X.Dims()
	out := make([][]float64, r)
	for i := range out {
		out[i] = slices.Clone(X.RawRowView(i))
	}
	return out
}
