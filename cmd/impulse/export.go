package main

import (
	"bytes"
	"fmt"
	"io"
	"strconv"

	"github.com/tinyimpulse/tinyimpulse/dataset"
	"github.com/tinyimpulse/tinyimpulse/deploy"
	"github.com/tinyimpulse/tinyimpulse/impulse"
	"github.com/tinyimpulse/tinyimpulse/studio"
	"github.com/tinyimpulse/tinyimpulse/tflite"
)

// export implements "impulse export": a trained network as a .tflite file,
// or the whole impulse as a C library (a zip).
func export(args []string, stdout io.Writer) error {
	fs := newFlags("export")
	modelDir := fs.String("model", "", "trained impulse folder (impulse train --out)")
	format := fs.String("format", "", "tflite (a network) or c (the whole impulse as a C library, a zip)")
	variant := fs.String("variant", "", "int8 or float32 (default: int8 for tflite, each block's selected type for c)")
	learnID := fs.Int("learn-block", 0, "the neural network learn block to export as tflite (default: the first)")
	dataDir := fs.String("data", "", "c: the dataset whose first testing window the example program classifies (default: zeros)")
	name := fs.String("name", "", "c: the library's name, a C identifier (default: from the impulse's name)")
	out := fs.String("out", "", "the file to write")
	if err := parseFlagsOnly(fs, args, "model", "format", "out"); err != nil {
		return err
	}
	if *format != "tflite" && *format != "c" {
		return usageError{fmt.Sprintf("export: --format %q: must be tflite or c", *format)}
	}
	m, err := impulse.LoadModel(*modelDir)
	if err != nil {
		return err
	}
	if *format == "c" {
		return exportC(m, *variant, *dataDir, *name, *out, stdout)
	}
	if *variant == "" {
		*variant = "int8"
	}
	id := *learnID
	if id == 0 {
		for _, lb := range m.Definition().Impulse.LearnBlocks {
			if lb.Type == studio.LearnKeras || lb.Type == studio.LearnKerasRegression {
				id = lb.ID
				break
			}
		}
		if id == 0 {
			return fmt.Errorf("%s: the impulse has no neural network learn block to export", *modelDir)
		}
	}
	n, q, err := m.Networks(id)
	if err != nil {
		return fmt.Errorf("--learn-block %s: %w", strconv.Itoa(id), err)
	}
	var buf bytes.Buffer
	if err := tflite.Export(&buf, n, q, tflite.Variant(*variant)); err != nil {
		return fmt.Errorf("--variant %s: %w", *variant, err)
	}
	if err := writeFileAtomic(*out, buf.Bytes()); err != nil {
		return fmt.Errorf("--out %s: %v", *out, err)
	}
	fmt.Fprintf(stdout, "wrote %s (%d bytes, %s network of learn block %d)\n", *out, buf.Len(), *variant, id)
	return nil
}

// exportC writes the impulse as a C library (deploy.WriteZip).
func exportC(m *impulse.Model, variant, dataDir, name, out string, stdout io.Writer) error {
	mt, err := impulse.ParseModelType(variant)
	if err != nil {
		return fmt.Errorf("--variant: %w", err)
	}
	opt := deploy.LibraryOptions{ModelType: mt, Name: name}
	if dataDir != "" {
		ds, err := dataset.Load(dataDir)
		if err != nil {
			return err
		}
		test := ds.Category(dataset.CategoryTesting)
		if len(test) == 0 {
			return fmt.Errorf("--data %s: no testing sample for the example window", dataDir)
		}
		p, err := m.Impulse().NewProcessor()
		if err != nil {
			return err
		}
		ws, err := p.Windows(nil, test[0], impulse.ClassificationWindows)
		if err != nil {
			return err
		}
		if len(ws) == 0 {
			return fmt.Errorf("--data %s: %s gives no window", dataDir, test[0].Path)
		}
		if opt.Window, err = p.AppendWindow(nil, test[0], ws[0]); err != nil {
			return err
		}
	}
	var buf bytes.Buffer
	if err := deploy.WriteZip(&buf, m, opt); err != nil {
		return err
	}
	if err := writeFileAtomic(out, buf.Bytes()); err != nil {
		return fmt.Errorf("--out %s: %v", out, err)
	}
	fmt.Fprintf(stdout, "wrote %s (%d bytes): unzip it and run make, or add it to the Arduino IDE as a .ZIP library\n", out, buf.Len())
	return nil
}
