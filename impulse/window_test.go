package impulse

import (
	"fmt"
	"image"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/tinyimpulse/tinyimpulse/dataset"
)

// rawDef returns a definition with one raw block (whose features are the
// window itself) over the given axes.
func rawDef(t *testing.T, windowMs, increaseMs int, freq float64, axes, dspAxes string, pad bool, extra string) *Impulse {
	t.Helper()
	return mustCompile(t, fmt.Sprintf(`{"impulse": {"inputBlocks": [{"id": 1, "type": "time-series", "windowSizeMs": %d, "windowIncreaseMs": %d,
	  "classificationWindowIncreaseMs": 100, "frequencyHz": %v, "axes": [%s], "padZeros": %v %s}],
	  "dspBlocks": [{"id": 2, "type": "raw", "axes": [%s]}], "learnBlocks": [{"id": 3, "type": "keras", "dsp": [2]}]}}`,
		windowMs, increaseMs, freq, axes, pad, extra, dspAxes))
}

// Window counts of the specs' worked examples: count = ⌊(L − W)/I⌋ + 1.
func TestWindowCounts(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name                string
		windowMs, incMs     int
		freq, intervalMs    float64
		values              int
		mode                WindowMode
		count, lastStartMs  int
		windowValuesPerAxis int
	}{
		// 5 s of 16 kHz audio, 1000 ms windows, 100 ms classification stride: 41 windows (sound-recognition tutorial).
		{"audio classification", 1000, 500, 16000, 0.0625, 80000, ClassificationWindows, 41, 4000, 16000},
		{"audio training", 1000, 500, 16000, 0.0625, 80000, TrainingWindows, 9, 4000, 16000},
		// One-second keyword clips give one window each.
		{"keyword clip", 1000, 500, 16000, 0.0625, 16000, TrainingWindows, 1, 0, 16000},
		// 2000 ms at 62.5 Hz: 125 values per axis; 10 s, stride 240 ms = 15 values: ⌊500/15⌋ + 1 = 34.
		{"62.5 Hz", 2000, 240, 62.5, 16, 625, TrainingWindows, 34, 7920, 125},
		// gestures-continuous: 1040 values at 104 Hz, 2 s windows, 80 ms ≈ 8 values: ⌊832/8⌋ + 1 = 105; window 104 starts at 832 values = 8000 ms.
		{"104 Hz", 2000, 80, 104, 1000.0 / 104, 1040, TrainingWindows, 105, 8000, 208},
	}
	for _, c := range cases {
		d := rawDef(t, c.windowMs, c.incMs, c.freq, `"a"`, `"a"`, false, "")
		if got := d.shapes[2].in.Samples; got != c.windowValuesPerAxis {
			t.Errorf("%s: %d values per window, want %d", c.name, got, c.windowValuesPerAxis)
		}
		p, err := d.NewProcessor()
		if err != nil {
			t.Fatal(err)
		}
		s := series(7, "s", dataset.CategoryTraining, c.values, []string{"a"}, c.intervalMs)
		ws, err := p.Windows(nil, s, c.mode)
		if err != nil {
			t.Fatal(err)
		}
		if len(ws) != c.count {
			t.Errorf("%s: %d windows, want %d", c.name, len(ws), c.count)
			continue
		}
		last := ws[len(ws)-1]
		if last.StartMs != c.lastStartMs || last.EndMs != c.lastStartMs+c.windowMs || last.SampleID != 7 || last.Label != "s" {
			t.Errorf("%s: last window %+v, want start %d ms", c.name, last, c.lastStartMs)
		}
	}
}

func TestWindowStartTimes(t *testing.T) {
	t.Parallel()
	// 104 Hz, stride round(80·104/1000) = 8 values: 232 values give ⌊(232 − 208)/8⌋ + 1 = 4
	// windows; window k starts at round(8k·1000/104) ms.
	d := rawDef(t, 2000, 80, 104, `"a"`, `"a"`, false, "")
	p, _ := d.NewProcessor()
	ws, _ := p.Windows(nil, series(1, "s", "", 232, []string{"a"}, 1000.0/104), TrainingWindows)
	var starts []int
	for _, w := range ws {
		starts = append(starts, w.StartMs)
	}
	if want := []int{0, 77, 154, 231}; !slices.Equal(starts, want) {
		t.Errorf("start times %v, want %v", starts, want)
	}
}

// The raw block shows the window contents: the DSP block's axes in its
// order, interleaved, from consecutive values.
func TestWindowContents(t *testing.T) {
	t.Parallel()
	d := rawDef(t, 40, 20, 100, `"x", "y", "z"`, `"z", "x"`, false, "")
	p, err := d.NewProcessor()
	if err != nil {
		t.Fatal(err)
	}
	// Sensors in another order than the input block's: y, z, x.
	s := series(1, "s", "", 9, []string{"y", "z", "x"}, 10)
	ws, _ := p.Windows(nil, s, TrainingWindows)
	if len(ws) != 3 {
		t.Fatalf("%d windows, want 3", len(ws))
	}
	got, err := p.AppendFeatures(nil, s, ws[1], 2)
	if err != nil {
		t.Fatal(err)
	}
	// Window 1 covers values 2..5; z is sensor 1 (1000 + i), x sensor 2 (2000 + i).
	want := []float64{1002, 2002, 1003, 2003, 1004, 2004, 1005, 2005}
	if !slices.Equal(got, want) {
		t.Errorf("window 1 = %v, want %v", got, want)
	}
	// The same through the learn block.
	got, err = p.AppendLearnFeatures([]float64{-1}, s, ws[2], 3)
	if err != nil || !slices.Equal(got, []float64{-1, 1004, 2004, 1005, 2005, 1006, 2006, 1007, 2007}) {
		t.Errorf("learn features of window 2 = %v, %v", got, err)
	}
	// A sample without one of the block's axes.
	bad := series(2, "bad", "", 9, []string{"x", "y"}, 10)
	if _, err := p.AppendFeatures(nil, bad, ws[0], 2); err == nil {
		t.Error("sample without axis z: no error")
	}
}

func TestZeroPadding(t *testing.T) {
	t.Parallel()
	short := series(1, "s", "", 3, []string{"a", "b"}, 10)
	for _, pad := range []bool{false, true} {
		d := rawDef(t, 50, 50, 100, `"a", "b"`, `"b", "a"`, pad, "")
		p, _ := d.NewProcessor()
		ws, _ := p.Windows(nil, short, TrainingWindows)
		if !pad {
			if len(ws) != 0 {
				t.Errorf("no padding: %d windows, want 0", len(ws))
			}
			continue
		}
		if len(ws) != 1 || ws[0].StartMs != 0 || ws[0].EndMs != 50 {
			t.Fatalf("padding: windows %+v, want one 0–50 ms", ws)
		}
		got, _ := p.AppendFeatures(nil, short, ws[0], 2)
		if want := []float64{1000, 0, 1001, 1, 1002, 2, 0, 0, 0, 0}; !slices.Equal(got, want) {
			t.Errorf("padded window %v, want %v", got, want)
		}
	}
}

// Samples at another frequency are resampled by linear interpolation onto
// the impulse's grid.
func TestResampling(t *testing.T) {
	t.Parallel()
	cases := []struct {
		intervalMs float64
		n          int
		want       []float64
	}{
		// 50 Hz → 100 Hz: 4 values become 8, at positions 0, 0.5, …, 3.5 (past the end: the last value).
		{20, 4, []float64{0, 0.5, 1, 1.5, 2, 2.5, 3, 3}},
		// 200 Hz → 100 Hz: every other value.
		{5, 16, []float64{0, 2, 4, 6, 8, 10, 12, 14}},
		// 40 Hz → 100 Hz: positions 0, 0.4, 0.8, …
		{25, 3, []float64{0, 0.4, 0.8, 1.2, 1.6, 2, 2, 2}},
	}
	for _, c := range cases {
		d := rawDef(t, 80, 80, 100, `"a"`, `"a"`, true, "")
		p, _ := d.NewProcessor()
		s := series(1, "s", "", c.n, []string{"a"}, c.intervalMs)
		ws, _ := p.Windows(nil, s, TrainingWindows)
		if len(ws) != 1 {
			t.Fatalf("interval %v: %d windows", c.intervalMs, len(ws))
		}
		got, _ := p.AppendFeatures(nil, s, ws[0], 2)
		if !approxEqual(got, c.want, 1e-12) || !p.Resampled() {
			t.Errorf("interval %v: %v, want %v (resampled %v)", c.intervalMs, got, c.want, p.Resampled())
		}
	}
	// 9.615384615384615 ms is 104 Hz up to rounding: not resampled.
	d := rawDef(t, 20, 20, 104, `"a"`, `"a"`, true, "")
	p, _ := d.NewProcessor()
	s := series(1, "s", "", 10, []string{"a"}, 9.615384615384615)
	ws, _ := p.Windows(nil, s, TrainingWindows)
	if _, err := p.AppendFeatures(nil, s, ws[0], 2); err != nil || p.Resampled() {
		t.Errorf("104 Hz sample resampled: %v", err)
	}
}

// Samples built by hand that no dataset file gives (an empty image, a
// time series with a zero, NaN or infinite interval, or one that resampling
// would blow up) get an error from Windows and AppendFeatures, not a panic
// or a huge allocation.
func TestUnusableSamples(t *testing.T) {
	t.Parallel()
	ts := rawDef(t, 1000, 500, 100, `"a"`, `"a"`, true, "")
	img := mustCompile(t, `{"impulse": {"inputBlocks": [{"id": 1, "type": "image", "imageWidth": 2, "imageHeight": 2, "resizeMethod": "nearest"}],
	  "dspBlocks": [{"id": 2, "type": "image"}], "learnBlocks": [{"id": 3, "type": "keras", "dsp": [2]}]}}`)
	cases := []struct {
		name string
		def  *Impulse
		s    *dataset.Sample
	}{
		{"empty image", img, &dataset.Sample{ID: 1, Path: "e.png", Image: image.NewRGBA(image.Rect(0, 0, 3, 0))}},
		{"zero interval", ts, series(1, "zero", "", 50, []string{"a"}, 0)},
		{"negative interval", ts, series(1, "neg", "", 50, []string{"a"}, -10)},
		{"NaN interval", ts, series(1, "nan", "", 50, []string{"a"}, math.NaN())},
		{"infinite interval", ts, series(1, "inf", "", 50, []string{"a"}, math.Inf(1))},
		// 100 values 1000 s apart: 10⁷ values per axis at 100 Hz.
		{"huge upsampling", ts, series(1, "slow", "", 100, []string{"a", "b"}, 1e6)},
	}
	for _, c := range cases {
		p, err := c.def.NewProcessor()
		if err != nil {
			t.Fatal(err)
		}
		if ws, err := p.Windows(nil, c.s, ClassificationWindows); err == nil || len(ws) != 0 || !strings.Contains(err.Error(), c.s.Path) {
			t.Errorf("%s: Windows gave %d windows, error %v; want an error naming %s", c.name, len(ws), err, c.s.Path)
		}
		if _, err := p.AppendFeatures(nil, c.s, Window{SampleID: 1}, 2); err == nil {
			t.Errorf("%s: AppendFeatures gave no error", c.name)
		}
	}
	// The bound leaves ordinary resampling alone: 50 Hz to 100 Hz.
	p, _ := ts.NewProcessor()
	if ws, err := p.Windows(nil, series(1, "ok", "", 100, []string{"a"}, 20), TrainingWindows); err != nil || len(ws) != 3 {
		t.Errorf("50 Hz sample: %d windows, %v; want 3", len(ws), err)
	}
}

func approxEqual(a, b []float64, tol float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if d := a[i] - b[i]; d > tol || d < -tol {
			return false
		}
	}
	return true
}

// Labels of multi-label windows under each labelling method, derived by
// hand from the structured labels.
func TestMultiLabelWindows(t *testing.T) {
	t.Parallel()
	mk := func(ranges ...dataset.LabelRange) *dataset.Sample {
		s := series(1, "m", "", 10, []string{"a"}, 10)
		s.Label = ""
		if err := s.SetLabels(ranges); err != nil {
			t.Fatal(err)
		}
		return s
	}
	// Values 0-3 a, 4-5 b, 6-9 c; windows of 5 values: [0, 4] and [5, 9].
	abc := mk(dataset.LabelRange{Label: "c", StartIndex: 6, EndIndex: 9}, dataset.LabelRange{Label: "a", StartIndex: 0, EndIndex: 3}, dataset.LabelRange{Label: "b", StartIndex: 4, EndIndex: 5})
	// Values 0-1 b, 2-9 a.
	ba := mk(dataset.LabelRange{Label: "b", StartIndex: 0, EndIndex: 1}, dataset.LabelRange{Label: "a", StartIndex: 2, EndIndex: 9})
	// Values 0-1 x, 2-3 y, 4-9 z; windows [0, 4], [5, 9]: the first has x 2, y 2, z 1.
	tie := mk(dataset.LabelRange{Label: "x", StartIndex: 0, EndIndex: 1}, dataset.LabelRange{Label: "y", StartIndex: 2, EndIndex: 3}, dataset.LabelRange{Label: "z", StartIndex: 4, EndIndex: 9})
	cases := []struct {
		method string
		sample *dataset.Sample
		want   []string
	}{
		{``, abc, []string{"b", "c"}},
		{`{"type": "end-of-window"}`, abc, []string{"b", "c"}},
		{`{"type": "majority-in-window"}`, abc, []string{"a", "c"}},
		{`{"type": "anywhere-in-window", "labels": ["b"]}`, abc, []string{"b", "b"}},
		{`{"type": "anywhere-in-window", "labels": ["b", "c"]}`, abc, []string{"b", "c"}},
		{`{"type": "anywhere-in-window", "labels": ["a"]}`, abc, []string{"a", "c"}},
		{`{"type": "anywhere-in-window-min-percentage", "labels": ["b"], "minPercentage": 40}`, ba, []string{"b", "a"}},
		{`{"type": "anywhere-in-window-min-percentage", "labels": ["b"], "minPercentage": 50}`, ba, []string{"a", "a"}},
		{`{"type": "majority-in-window"}`, tie, []string{"x", "z"}},
		{`{"type": "anywhere-in-window", "labels": ["y", "x"]}`, tie, []string{"x", "z"}},
	}
	for _, c := range cases {
		extra := ""
		if c.method != "" {
			extra = `, "labelingMethodMultiLabel": ` + c.method
		}
		d := rawDef(t, 50, 50, 100, `"a"`, `"a"`, false, extra)
		p, _ := d.NewProcessor()
		ws, _ := p.Windows(nil, c.sample, TrainingWindows)
		var got []string
		for _, w := range ws {
			got = append(got, w.Label)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s on %v: labels %v, want %v", c.method, c.sample.Labels, got, c.want)
		}
	}
}
