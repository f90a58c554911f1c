package metrics

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

var update = flag.Bool("update", false, "rewrite the golden files in ../testdata/metrics")

// golden compares got with ../testdata/metrics/name, or rewrites the file
// with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("..", "testdata", "metrics", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run go test -update after checking):\n%s", name, got)
	}
}

// checkWidth fails when a table line is wider than a terminal.
func checkWidth(t *testing.T, b []byte, width int) {
	t.Helper()
	for _, l := range strings.Split(string(b), "\n") {
		if n := len([]rune(l)); n > width {
			t.Errorf("line of %d columns: %q", n, l)
		}
	}
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

// keywordImpulse is a keyword-spotting impulse: MFCC of 1 s at 16 kHz
// (49 frames of 0.02 s, stride 0.02 s... 13 coefficients), the MLPerf
// DS-CNN and a K-means block.
func keywordImpulse(t *testing.T, target string) *DeviceSummary {
	t.Helper()
	nets := mlperfModels(t)
	c := ProfileConfig{Target: target}
	d := &DeviceSummary{}
	dsp, err := ProfileDSP(DSPBlock{Name: "MFCC", Kind: DSPMFCC, Frames: 49, FrameLength: 320, FFTLength: 256, Filters: 32, Coefficients: 10}, c)
	if err != nil {
		t.Fatal(err)
	}
	d.DSP = append(d.DSP, dsp)
	for _, k := range []string{"kws-int8", "kws-float32"} {
		p, err := ProfileNetwork(nets[k], c)
		if err != nil {
			t.Fatal(err)
		}
		d.NN = append(d.NN, p)
		d.Target = p.Target
	}
	a, err := ProfileAnomaly(AnomalyBlock{Name: "K-means", Kind: AnomalyKMeans, Clusters: 32, Features: 13}, c)
	if err != nil {
		t.Fatal(err)
	}
	d.Anomaly = append(d.Anomaly, a)
	return d
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
	b.WriteString("\n")
	if err := keywordImpulse(t, "").WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	b.WriteString("\n")
	vww, err := ProfileNetwork(mlperfModels(t)["vww-int8"], ProfileConfig{Target: "arduino-nano-33-ble"})
	if err != nil {
		t.Fatal(err)
	}
	if err := (&DeviceSummary{Target: vww.Target, NN: []*Profile{vww}}).WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	checkWidth(t, b.Bytes(), 80)
	golden(t, "tables.golden", b.Bytes())
}

// TestCalibrationReport writes every fit's error on its own data and the
// estimates against the held-out MLPerf Tiny latencies.
func TestCalibrationReport(t *testing.T) {
	var b bytes.Buffer
	fits, err := LatencyFits()
	if err != nil {
		t.Fatal(err)
	}
	var rows [][]string
	for _, f := range fits {
		n, mean, mx := "-", "-", "-"
		if f.N > 0 {
			n, mean, mx = itoa(f.N), pct(f.MeanError), pct(f.MaxError)
		}
		rows = append(rows, []string{string(f.DType), f.Class, f.Formula, n, mean, mx})
	}
	if err := writeTable(&b, "Per-op Cortex-M4 instruction models (fitted on device-calibration-qemu-perop.csv; n = 0: not measured, spec estimate)",
		nil, layout{left: 3, header: []string{"dtype", "class", "instructions", "n", "mean err", "max err"}, rows: rows}); err != nil {
		t.Fatal(err)
	}
	nets := mlperfModels(t)
	rows = nil
	for _, m := range measuredModels(t) {
		p, err := ProfileNetwork(nets[m.key], ProfileConfig{})
		if err != nil {
			t.Fatal(err)
		}
		head := "-"
		if m.head > 0 {
			head = itoa(m.head)
		}
		insn := p.Cycles / CortexM4.Factor(m.dtype)
		rows = append(rows, []string{m.key, itoa(p.Head), head, itoa(p.TFLite.Arena), itoa(m.arenaMin),
			fmt.Sprintf("%+.2f%%", 100*rel(float64(p.TFLite.Arena), float64(m.arenaMin))),
			fmt.Sprintf("%.2fM", insn/1e6), fmt.Sprintf("%.2fM", m.insnO2/1e6), fmt.Sprintf("%+.1f%%", 100*rel(insn, m.insnO2)),
			fmt.Sprintf("%+.1f%%", 100*rel(float64(p.FlatbufferBytes), float64(m.tfliteBytes)))})
	}
	b.WriteString("\n")
	if err := writeTable(&b, "MLPerf Tiny models vs TFLM on QEMU Cortex-M4 (device-calibration-qemu-models.csv)", nil,
		layout{left: 1, header: []string{"model", "head", "measured", "arena", "measured min", "err", "insn", "measured", "err", ".tflite err"}, rows: rows}); err != nil {
		t.Fatal(err)
	}
	rows = nil
	errs := map[string][]float64{}
	for _, r := range mlperfRows(t) {
		e := rel(r.estimate, r.published)
		rows = append(rows, []string{r.version, r.board, string(r.core), fmt.Sprint(r.mhz), r.framework, r.model,
			fmt.Sprintf("%.2f", r.published), fmt.Sprintf("%.2f", r.estimate), fmt.Sprintf("%+.1f%%", 100*e)})
		fw := r.framework
		if strings.Contains(r.model, "float32") {
			fw += " (float32)"
		}
		errs[fw] = append(errs[fw], e)
	}
	b.WriteString("\n")
	if err := writeTable(&b, "Held-out MLPerf Tiny latencies, ms (device-calibration-mlperf.csv; the bar applies to microTVM + CMSIS-NN)", nil,
		layout{left: 6, header: []string{"ver", "board", "core", "MHz", "framework", "model", "published", "estimate", "err"}, rows: rows}); err != nil {
		t.Fatal(err)
	}
	rows = nil
	var fws []string
	for fw := range errs {
		fws = append(fws, fw)
	}
	sort.Strings(fws)
	for _, fw := range fws {
		e := append([]float64(nil), errs[fw]...)
		sort.Float64s(e)
		rows = append(rows, []string{fw, itoa(len(e)), fmt.Sprintf("%+.1f%%", 100*e[len(e)/2]), fmt.Sprintf("%+.1f%%", 100*e[0]), fmt.Sprintf("%+.1f%%", 100*e[len(e)-1])})
	}
	b.WriteString("\n")
	if err := writeTable(&b, "Estimate vs published, by framework", nil, layout{left: 1, header: []string{"framework", "rows", "median", "min", "max"}, rows: rows}); err != nil {
		t.Fatal(err)
	}
	golden(t, "calibration_report.golden", b.Bytes())
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
// labels, falling back to narrower layouts, and keep the full layout when
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
		checkWidth(t, []byte(b.String()), TableWidth)
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
		checkWidth(t, []byte(b.String()), TableWidth)
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
