package report_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/tinyimpulse/tinyimpulse/dataset"
	"github.com/tinyimpulse/tinyimpulse/impulse"
	"github.com/tinyimpulse/tinyimpulse/report"
)

// BenchmarkReport measures the report of the continuous-gestures model
// (../shared/datasets/gestures-continuous with
// testdata/impulses/gestures-continuous.json): Build (training features,
// one sample per class, PCA, estimates) and Write (every chart and the
// page), with the model trained and tested before the timer starts. The
// issue asks for under one second.
func BenchmarkReport(b *testing.B) {
	dir := filepath.Join("..", "..", "shared", "datasets", "gestures-continuous")
	if _, err := os.Stat(dir); err != nil {
		b.Skipf("%s is absent: %v", dir, err)
	}
	def, err := impulse.LoadDefinition(filepath.Join("..", "testdata", "impulses", "gestures-continuous.json"))
	if err != nil {
		b.Fatal(err)
	}
	ds, err := dataset.Load(dir)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	im, err := impulse.Compile(def, ds)
	if err != nil {
		b.Fatal(err)
	}
	m, err := impulse.Train(ctx, im, ds, impulse.TrainOptions{Seed: 1, Created: trainTime})
	if err != nil {
		b.Fatal(err)
	}
	test, err := m.Test(ctx, ds.Category(dataset.CategoryTesting), impulse.TestOptions{Created: trainTime})
	if err != nil {
		b.Fatal(err)
	}
	d, err := report.Build(ctx, m, ds, test, report.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("Build+Write", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			d, err := report.Build(ctx, m, ds, test, report.Options{})
			if err != nil {
				b.Fatal(err)
			}
			if err := report.Write(io.Discard, d); err != nil {
				b.Fatal(err)
			}
		}
	})
	// What `impulse report` runs: model testing too.
	b.Run("Generate+Write", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			d, err := report.Generate(ctx, m, ds, report.Options{})
			if err != nil {
				b.Fatal(err)
			}
			if err := report.Write(io.Discard, d); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Build", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := report.Build(ctx, m, ds, test, report.Options{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Write", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := report.Write(io.Discard, d); err != nil {
				b.Fatal(err)
			}
		}
	})
}
