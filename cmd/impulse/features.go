package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"

	"github.com/tinyimpulse/tinyimpulse/dsp"
)

// maxRequestBytes bounds the JSON read from stdin.
const maxRequestBytes = 1 << 30

// features implements "impulse features": one block call from stdin.
func features(args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) > 0 {
		return usageError{"features takes no arguments; it reads JSON on stdin"}
	}
	data, err := io.ReadAll(io.LimitReader(stdin, maxRequestBytes+1))
	if err != nil {
		return fmt.Errorf("stdin: %v", err)
	}
	if len(data) > maxRequestBytes {
		return fmt.Errorf("stdin: request larger than %d bytes", maxRequestBytes)
	}
	var req dsp.Request
	if err := json.Unmarshal(data, &req); err != nil {
		return fmt.Errorf("stdin: %v", err)
	}
	blk, window, err := req.Build()
	if err != nil {
		return err
	}
	feats, err := blk.AppendFeatures(make([]float64, 0, blk.NumFeatures()), window)
	if err != nil {
		return err
	}
	for i, v := range feats {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%s: feature %d is %v (the input or scale overflows)", req.Block, i, v)
		}
	}
	labels := blk.Labels()
	if labels == nil {
		labels = []string{}
	}
	// encoding/json writes float64 values in their shortest form that
	// round trips, so the output carries the features exactly.
	return json.NewEncoder(stdout).Encode(struct {
		Features    []float64        `json:"features"`
		OutputShape dsp.OutputConfig `json:"output_shape"`
		Labels      []string         `json:"labels"`
	}{feats, blk.Output(), labels})
}
