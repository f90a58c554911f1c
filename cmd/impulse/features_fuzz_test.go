package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzFeatures feeds "impulse features" requests derived from the DSP
// reference vectors: whatever the JSON says, the command exits 0 with one
// JSON object on stdout, or 1 with one "impulse: ..." line on stderr,
// never a panic.
func FuzzFeatures(f *testing.F) {
	files, err := filepath.Glob("../../testdata/dsp/*.json")
	if err != nil || len(files) == 0 {
		f.Fatalf("no reference vectors: %v", err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		var req struct {
			Input []float64 `json:"input"`
		}
		// Small requests only: the fuzzer mutates their numbers and names.
		if json.Unmarshal(data, &req) == nil && len(req.Input) > 0 && len(req.Input) <= 1000 {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, req []byte) {
		var stdout, stderr bytes.Buffer
		switch code := run([]string{"features"}, bytes.NewReader(req), &stdout, &stderr); code {
		case 0:
			if !json.Valid(stdout.Bytes()) || stderr.Len() != 0 {
				t.Fatalf("exit 0: stdout %.200q, stderr %q", stdout.String(), stderr.String())
			}
		case 1:
			if stdout.Len() != 0 || !strings.HasPrefix(stderr.String(), "impulse: ") || strings.Count(stderr.String(), "\n") != 1 {
				t.Fatalf("exit 1: stdout %.200q, stderr %q", stdout.String(), stderr.String())
			}
		default:
			t.Fatalf("exit %d: %s", code, stderr.String())
		}
	})
}
