package eischema

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestCheck checks a conforming document, one whose created timestamp is a
// string (accepted), and that the output parser rejects other errors.
func TestCheck(t *testing.T) {
	Check(t, map[string]any{"latency": 12, "ram": 4096}, "DspPerformance")
	Check(t, map[string]any{
		"created": time.Date(2026, 11, 22, 7, 0, 0, 0, time.UTC), "scale": []float64{1}, "mean": []float64{0},
		"clusters": []any{}, "axes": []int{0}, "defaultMinimumConfidenceRating": 0.3, "thresholds": []any{},
	}, "AnomalyModelMetadata")
}

func TestUnexpected(t *testing.T) {
	doc := []byte("{\n  \"created\": \"2026-11-22T07:00:00Z\",\n  \"when\": \"yesterday\"\n}")
	out := []byte("x.json (line-1)(3,3): error TS2322: Type 'string' is not assignable to type 'Date'.\n" +
		"x.json (line-1)(4,3): error TS2322: Type 'string' is not assignable to type 'Date'.\n" +
		"x.json (line-1)(5,1): error TS2353: Object literal may only specify known properties.\n")
	got := unexpected(out, doc)
	if len(got) != 2 {
		t.Fatalf("unexpected = %q, want the non-RFC 3339 date and the unknown property", got)
	}
}

// recorder is a testing.TB that records Errorf instead of failing; Skip,
// Fatal and TempDir go to the real test.
type recorder struct {
	testing.TB
	errors []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

// TestCheckRejects runs the checker on a document with a field the API type
// does not have: Check must report it, or TestCheck could pass with a
// checker that accepts anything.
func TestCheckRejects(t *testing.T) {
	r := &recorder{TB: t}
	Check(r, map[string]any{"latency": 12, "ram": 4096, "flops": 1}, "DspPerformance")
	if len(r.errors) != 1 || !strings.Contains(r.errors[0], "flops") {
		t.Errorf("Check reported %q, want one error mentioning the unknown field flops", r.errors)
	}
}
