package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"strings"
	"testing"
)

// TestFeatures runs "impulse features" on an Edge Impulse reference vector
// and checks the output against the features Edge Impulse's block returned.
func TestFeatures(t *testing.T) {
	data, err := os.ReadFile("../../testdata/dsp/sa_v4_default_3axis_62.5hz.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Features    []float64       `json:"features"`
		OutputShape json.RawMessage `json:"output_shape"`
		Labels      []string        `json:"labels"`
	}
	if err := json.Unmarshal(data, &ref); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"features"}, bytes.NewReader(data), &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
	var got struct {
		Features    []float64 `json:"features"`
		OutputShape struct {
			Type  string `json:"type"`
			Shape struct {
				Width float64 `json:"width"`
			} `json:"shape"`
		} `json:"output_shape"`
		Labels []string `json:"labels"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, stdout.String())
	}
	if len(got.Features) != len(ref.Features) {
		t.Fatalf("%d features, want %d", len(got.Features), len(ref.Features))
	}
	for i, v := range ref.Features {
		if math.Abs(got.Features[i]-v) > 1e-4*math.Abs(v)+1e-4 {
			t.Errorf("feature %d: %v, want %v", i, got.Features[i], v)
		}
	}
	if got.OutputShape.Type != "flat" || got.OutputShape.Shape.Width != 39 || len(got.Labels) != 13 || got.Labels[0] != "RMS" {
		t.Errorf("output_shape %+v, labels %q", got.OutputShape, got.Labels)
	}
	if stderr.Len() != 0 {
		t.Errorf("stderr %q", stderr.String())
	}
}

// TestFeaturesErrors checks the command's error contract: exit status 1
// and exactly one line "impulse: ..." for bad input or configuration,
// status 2 for usage errors, nothing on stdout.
func TestFeaturesErrors(t *testing.T) {
	refused, err := os.ReadFile("../../testdata/dsp/err_sa_odd_order.json")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		args  []string
		stdin string
		code  int
		want  string
	}{
		{"refused configuration", []string{"features"}, string(refused), 1, "Filter order needs to be even"},
		{"malformed JSON", []string{"features"}, `{"block": "raw", "input": [1, 2`, 1, "stdin"},
		{"empty stdin", []string{"features"}, ``, 1, "stdin"},
		{"unknown block", []string{"features"}, `{"block": "fancy", "sampling_freq": 10, "axes": 1, "input": [1]}`, 1, "unknown processing block type"},
		{"wrong axis count", []string{"features"}, `{"block": "raw", "sampling_freq": 10, "axes": 3, "input": [1, 2]}`, 1, "do not divide into 3 axes"},
		{"window shorter than a frame", []string{"features"}, `{"block": "mfcc", "sampling_freq": 16000, "axes": 1, "input": [1, 2, 3]}`, 1, "Frame length is larger than your window size"},
		{"no command", nil, ``, 2, "no command"},
		{"unknown command", []string{"fly"}, ``, 2, "unknown command"},
		{"extra argument", []string{"features", "x.json"}, ``, 2, "takes no arguments"},
	}
	for _, c := range cases {
		var stdout, stderr bytes.Buffer
		code := run(c.args, strings.NewReader(c.stdin), &stdout, &stderr)
		if code != c.code {
			t.Errorf("%s: exit %d, want %d", c.name, code, c.code)
		}
		first, _, _ := strings.Cut(stderr.String(), "\n")
		if !strings.HasPrefix(first, "impulse: ") || !strings.Contains(first, c.want) {
			t.Errorf("%s: stderr %q, want one line containing %q", c.name, stderr.String(), c.want)
		}
		if c.code == 1 && strings.Count(stderr.String(), "\n") != 1 {
			t.Errorf("%s: stderr has more than one line: %q", c.name, stderr.String())
		}
		if stdout.Len() != 0 {
			t.Errorf("%s: wrote %q to stdout", c.name, stdout.String())
		}
	}
}
