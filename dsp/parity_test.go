package dsp_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/tinyimpulse/tinyimpulse/dsp"
)

// refCase is one reference vector produced by Edge Impulse's own Python
// processing blocks (testdata/dsp/README.md gives the provenance): the
// request, decoded by dsp.Request, and what Edge Impulse returned.
type refCase struct {
	req dsp.Request
	refExpected
}

type refExpected struct {
	ID          string           `json:"id"`
	Features    []float64        `json:"features"`
	OutputShape dsp.OutputConfig `json:"output_shape"`
	Labels      []string         `json:"labels"`
	Error       string           `json:"error"`
	Tolerance   struct {
		RTol    float64 `json:"rtol"`
		ATol    float64 `json:"atol"`
		MaxFlip float64 `json:"max_quantisation_flips"`
	} `json:"tolerance"`
}

func loadCases(t *testing.T) []refCase {
	t.Helper()
	files, err := filepath.Glob("../testdata/dsp/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no reference vectors in ../testdata/dsp: %v", err)
	}
	more, _ := filepath.Glob("../testdata/dsp/oracle/*.json")
	files = append(files, more...)
	var cases []refCase
	for _, f := range files {
		if filepath.Base(f) == "wavelet_filters.json" {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var c refCase
		if err := json.Unmarshal(data, &c.req); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if err := json.Unmarshal(data, &c.refExpected); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		cases = append(cases, c)
	}
	return cases
}

// TestReferenceVectors holds every block to the outputs of Edge Impulse's
// Python implementation within the tolerance recorded in each file, and
// checks that every configuration Edge Impulse refuses is refused.
func TestReferenceVectors(t *testing.T) {
	t.Parallel()
	for _, c := range loadCases(t) {
		t.Run(c.ID, func(t *testing.T) {
			t.Parallel()
			blk, window, err := c.req.Build()
			if c.Error != "" {
				if err == nil {
					_, err = blk.AppendFeatures(nil, window)
				}
				if err == nil {
					t.Fatalf("accepted a configuration Edge Impulse refuses with %q", c.Error)
				}
				// The message should carry Edge Impulse's own text.
				want := c.Error[strings.Index(c.Error, ": ")+2:]
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain Edge Impulse's message %q", err, want)
				}
				return
			}
			if err != nil {
				t.Fatalf("build: %v", err)
			}
			got, err := blk.AppendFeatures(nil, window)
			if err != nil {
				t.Fatalf("features: %v", err)
			}
			if len(got) != len(c.Features) || blk.NumFeatures() != len(c.Features) {
				t.Fatalf("got %d features (NumFeatures %d), want %d", len(got), blk.NumFeatures(), len(c.Features))
			}
			flips, worst, worstAt, used := 0, 0.0, -1, 0.0
			for i, want := range c.Features {
				d := math.Abs(got[i] - want)
				allowed := c.Tolerance.ATol + c.Tolerance.RTol*math.Abs(want)
				if d <= allowed {
					if allowed > 0 {
						used = math.Max(used, d/allowed)
					}
					continue
				}
				if c.Tolerance.MaxFlip > 0 && (math.Abs(d-1.0/256) < 1e-12 || math.Abs(d-255.0/256) < 1e-12) {
					flips++
					continue
				}
				if d/allowed > worst {
					worst, worstAt = d/allowed, i
				}
			}
			t.Logf("largest difference: %.2g%% of the tolerance, %d quantisation flips", 100*used, flips)
			if worstAt >= 0 {
				t.Errorf("feature %d: got %.10g, want %.10g (%.3g× the tolerance)", worstAt, got[worstAt], c.Features[worstAt], worst)
			}
			if max := c.Tolerance.MaxFlip * float64(len(got)); float64(flips) > max {
				t.Errorf("%d quantisation flips, at most %.0f allowed", flips, max)
			}
			if out := blk.Output(); !reflect.DeepEqual(out, c.OutputShape) {
				t.Errorf("output config %+v, want %+v", out, c.OutputShape)
			}
			if labels := blk.Labels(); len(labels) > 0 || len(c.Labels) > 0 {
				if !slices.Equal(labels, c.Labels) {
					t.Errorf("labels\n got %q\nwant %q", labels, c.Labels)
				}
			}
		})
	}
}

// TestReferenceErrorsAreConfigErrors checks that refusals are typed.
func TestReferenceErrorsAreConfigErrors(t *testing.T) {
	t.Parallel()
	for _, c := range loadCases(t) {
		if c.Error == "" {
			continue
		}
		_, _, err := c.req.Build()
		var ce *dsp.ConfigError
		if !errors.As(err, &ce) {
			t.Errorf("%s: error %v is not a *dsp.ConfigError", c.ID, err)
		}
	}
}

// TestEmbeddedWavelets checks that the wavelet table embedded in the
// package (wavelets.json, which go:embed cannot take from testdata) is the
// one recorded with the reference vectors, and that it lists the 50
// wavelets Studio offers.
func TestEmbeddedWavelets(t *testing.T) {
	t.Parallel()
	embedded, err := os.ReadFile("wavelets.json")
	if err != nil {
		t.Fatal(err)
	}
	recorded, err := os.ReadFile("../testdata/dsp/wavelet_filters.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(embedded, recorded) {
		t.Error("dsp/wavelets.json differs from testdata/dsp/wavelet_filters.json")
	}
	if n := len(dsp.WaveletNames()); n != 50 {
		t.Errorf("%d wavelets, want 50", n)
	}
}
