package device

import (
	"bytes"
	"flag"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/tinyimpulse/tinyimpulse/dsp"
	"github.com/tinyimpulse/tinyimpulse/internal/table"
	"github.com/tinyimpulse/tinyimpulse/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite the golden files in ../testdata/device")

// golden compares got with ../testdata/device/name, or rewrites the file
// with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	testenv.Golden(t, testenv.Testdata("device", name), got, *update)
}

// keywordImpulse is a keyword-spotting impulse: MFCC of 1 s at 16 kHz
// (49 frames of 0.02 s, stride 0.02 s... 13 coefficients), the MLPerf
// DS-CNN and a K-means block.
func keywordImpulse(t *testing.T, target string) *DeviceSummary {
	t.Helper()
	nets := mlperfModels(t)
	c := ProfileConfig{Target: target}
	d := &DeviceSummary{}
	mfcc := dspCost(t, dsp.TypeMFCC, map[string]any{"num_cepstral": 10}, dsp.Input{FrequencyHz: 16000, Axes: 1, Samples: 15680})
	dsp, err := ProfileDSP("MFCC", mfcc, c)
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
	testenv.CheckWidth(t, b.Bytes(), 80)
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
			n, mean, mx = strconv.Itoa(f.N), strconv.FormatFloat(100*f.MeanError, 'f', 1, 64)+"%", strconv.FormatFloat(100*f.MaxError, 'f', 1, 64)+"%"
		}
		rows = append(rows, []string{string(f.DType), f.Class, f.Formula, n, mean, mx})
	}
	if err := table.Write(&b, "Per-op Cortex-M4 instruction models (fitted on device-calibration-qemu-perop.csv; n = 0: not measured, spec estimate)",
		nil, table.Layout{Left: 3, Header: []string{"dtype", "class", "instructions", "n", "mean err", "max err"}, Rows: rows}); err != nil {
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
			head = strconv.Itoa(m.head)
		}
		insn := p.Cycles / CortexM4.Factor(m.dtype)
		rows = append(rows, []string{m.key, strconv.Itoa(p.Head), head, strconv.Itoa(p.TFLite.Arena), strconv.Itoa(m.arenaMin),
			fmt.Sprintf("%+.2f%%", 100*rel(float64(p.TFLite.Arena), float64(m.arenaMin))),
			fmt.Sprintf("%.2fM", insn/1e6), fmt.Sprintf("%.2fM", m.insnO2/1e6), fmt.Sprintf("%+.1f%%", 100*rel(insn, m.insnO2)),
			fmt.Sprintf("%+.1f%%", 100*rel(float64(p.FlatbufferBytes), float64(m.tfliteBytes)))})
	}
	b.WriteString("\n")
	if err := table.Write(&b, "MLPerf Tiny models vs TFLM on QEMU Cortex-M4 (device-calibration-qemu-models.csv)", nil,
		table.Layout{Left: 1, Header: []string{"model", "head", "measured", "arena", "measured min", "err", "insn", "measured", "err", ".tflite err"}, Rows: rows}); err != nil {
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
	if err := table.Write(&b, "Held-out MLPerf Tiny latencies, ms (device-calibration-mlperf.csv; the bar applies to microTVM + CMSIS-NN)", nil,
		table.Layout{Left: 6, Header: []string{"ver", "board", "core", "MHz", "framework", "model", "published", "estimate", "err"}, Rows: rows}); err != nil {
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
		rows = append(rows, []string{fw, strconv.Itoa(len(e)), fmt.Sprintf("%+.1f%%", 100*e[len(e)/2]), fmt.Sprintf("%+.1f%%", 100*e[0]), fmt.Sprintf("%+.1f%%", 100*e[len(e)-1])})
	}
	b.WriteString("\n")
	if err := table.Write(&b, "Estimate vs published, by framework", nil, table.Layout{Left: 1, Header: []string{"framework", "rows", "median", "min", "max"}, Rows: rows}); err != nil {
		t.Fatal(err)
	}
	golden(t, "calibration_report.golden", b.Bytes())
}
