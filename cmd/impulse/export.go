package main

import (
	"bytes"
	"fmt"
	"io"
	"strconv"

	"github.com/tinyimpulse/tinyimpulse/impulse"
	"github.com/tinyimpulse/tinyimpulse/studio"
	"github.com/tinyimpulse/tinyimpulse/tflite"
)

// export implements "impulse export": a trained network as a .tflite file.
func export(args []string, stdout io.Writer) error {
	fs := newFlags("export")
	modelDir := fs.String("model", "", "trained impulse folder (impulse train --out)")
	format := fs.String("format", "", "tflite")
	variant := fs.String("variant", "int8", "int8 or float32 (tflite)")
	learnID := fs.Int("learn-block", 0, "the neural network learn block to export (default: the first)")
	out := fs.String("out", "", "the file to write")
	if err := parseFlagsOnly(fs, args, "model", "format", "out"); err != nil {
		return err
	}
	if *format != "tflite" {
		return usageError{fmt.Sprintf("export: --format %q: must be tflite", *format)}
	}
	m, err := impulse.LoadModel(*modelDir)
	if err != nil {
		return err
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
