package metrics

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"strings"
	"testing"

	"github.com/tinyimpulse/tinyimpulse/internal/table"
	"github.com/tinyimpulse/tinyimpulse/internal/testenv"
	"gonum.org/v1/gonum/mat"
)

var update = flag.Bool("update", false, "rewrite the golden files in ../testdata/metrics")

// golden compares got with ../testdata/metrics/name, or rewrites the file
// with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	testenv.Golden(t, testenv.Testdata("metrics", name), got, *update)
}

func threeClass(t *testing.T) *Classification {
	t.Helper()
	for _, c := range loadSklearn(t).Classification {
		if c.Name == "three-class" {
			got, err := EvaluateClassification(c.Labels, c.Actual, dense(c.Scores))
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
	}
	t.Fatal("no three-class case")
	return nil
}

func testSummary(t *testing.T) *TestSummary {
	t.Helper()
	s, err := NewTestSummary([]string{"idle", "snake", "wave"}, true,
		strings.Fields("idle idle idle idle snake snake snake wave wave wave anomaly anomaly other"),
		strings.Fields("idle idle uncertain snake snake snake anomaly wave wave idle anomaly wave idle"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestTablesGolden(t *testing.T) {
	var b bytes.Buffer
	if err := threeClass(t).WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	b.WriteString("\n")
	if err := testSummary(t).WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	testenv.CheckWidth(t, b.Bytes(), 80)
	golden(t, "tables.golden", b.Bytes())
}

// TestStudioJSONGolden writes the JSON documents checked against Edge
// Impulse's API types by TestStudioSchema.
func TestStudioJSONGolden(t *testing.T) {
	for name, v := range studioDocs(t) {
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		golden(t, name, append(b, '\n'))
	}
}

// TestTablesFitTerminal checks that the confusion-matrix and model-testing
// tables fit an 80-column terminal whatever the number and length of the
// labels, falling back to narrower layouts, and keep the full table.Layout when
// it fits.
func TestTablesFitTerminal(t *testing.T) {
	for _, labels := range [][]string{
		{"idle", "wave"},
		{"circle", "flick", "idle", "updown"},
		strings.Fields("0 1 2 3 4 5 6 7 8 9"),
		strings.Fields("background_noise unknown_word yes no up down left right"),
	} {
		n := len(labels)
		var actual, pred []int
		for i := range 5 * n {
			actual = append(actual, i%n)
			pred = append(pred, (i+i/n)%n)
		}
		scores := mat.NewDense(len(actual), n, nil)
		for i, p := range pred {
			for j := range n {
				scores.Set(i, j, 0.1)
			}
			scores.Set(i, p, 1)
		}
		c, err := EvaluateClassification(labels, actual, scores)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		if err := c.WriteTable(&b); err != nil {
			t.Fatal(err)
		}
		testenv.CheckWidth(t, []byte(b.String()), table.Width)
		if n == 2 && !strings.Contains(b.String(), "precision |") {
			t.Errorf("two classes fit with every column, but the table is:\n%s", b.String())
		}
		exp := make([]string, len(actual))
		res := make([]string, len(actual))
		for i := range actual {
			exp[i], res[i] = labels[actual[i]], labels[pred[i]]
		}
		res[0] = Uncertain
		s, err := NewTestSummary(labels, true, append(exp, Anomaly), append(res, Anomaly))
		if err != nil {
			t.Fatal(err)
		}
		b.Reset()
		if err := s.WriteTable(&b); err != nil {
			t.Fatal(err)
		}
		testenv.CheckWidth(t, []byte(b.String()), table.Width)
	}
}

// TestModelMetricsClassification checks that a classifier's metrics survive
// the trip through Studio's JSON: the rebuilt Classification writes the
// same table.
func TestModelMetricsClassification(t *testing.T) {
	c := threeClass(t)
	data, err := json.Marshal(c.ModelMetrics("int8"))
	if err != nil {
		t.Fatal(err)
	}
	var mm ModelMetrics
	if err := json.Unmarshal(data, &mm); err != nil {
		t.Fatal(err)
	}
	back, err := mm.Classification(c.Confusion.Labels)
	if err != nil {
		t.Fatal(err)
	}
	var a, b strings.Builder
	if err := c.WriteTable(&a); err != nil {
		t.Fatal(err)
	}
	if err := back.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	if a.String() != b.String() {
		t.Errorf("rebuilt table differs:\n%s\nwant\n%s", b.String(), a.String())
	}
	if _, err := mm.Classification([]string{"a", "b"}); !errors.Is(err, ErrLength) {
		t.Errorf("wrong label count: %v", err)
	}
}
