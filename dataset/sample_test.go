package dataset

import "testing"

func TestStructuredLabelChecks(t *testing.T) {
	t.Parallel()
	cases := [][]LabelRange{
		{{"a", 0, 4}, {"b", 6, 9}}, // gap
		{{"a", 0, 5}, {"b", 5, 9}}, // overlap
		{{"a", 0, 10}},             // beyond the end
		{{"a", 0, 3}},              // not covering the end
		{{"a", 3, 2}, {"b", 0, 9}}, // reversed
		{{"", 0, 9}},               // no label
	}
	for _, r := range cases {
		s := &Sample{Name: "m", IntervalMs: 10, Sensors: []Sensor{{Name: "a"}}, Values: make([]float64, 10)}
		if err := s.SetLabels(r); err == nil {
			t.Errorf("%v: no error", r)
		}
	}
	s := &Sample{Name: "m", IntervalMs: 10, Sensors: []Sensor{{Name: "a"}}, Values: make([]float64, 10)}
	if err := s.SetLabels([]LabelRange{{"b", 5, 9}, {"a", 0, 4}}); err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"a", "a", "a", "a", "a", "b", "b", "b", "b", "b"} {
		if got := s.LabelAt(i); got != want {
			t.Errorf("LabelAt(%d) = %q, want %q", i, got, want)
		}
	}
	if s.LabelAt(10) != "" {
		t.Error("LabelAt past the end is not empty")
	}
}
