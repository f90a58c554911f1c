package eischema

import (
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
