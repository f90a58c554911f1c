package device

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// mlperfModels loads the MLPerf Tiny reference networks written by
// testdata/device/mlperf_models.py.
func mlperfModels(t testing.TB) map[string]*Network {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "device", "mlperf_models.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]*Network
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// measured arena figures of device-calibration-qemu-models.csv.
type measuredModel struct {
	key                 string // mlperf_models.json key
	dtype               DType
	tfliteBytes         int
	arenaUsed, arenaMin int
	head                int // 0 when not measured
	insnO2              float64
}

func measuredModels(t testing.TB) []measuredModel {
	t.Helper()
	recs, err := readCSV("qemu-models", modelsCSV)
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]string{"kws_ref_model": "kws-int8", "vww_96_int8": "vww-int8", "pretrainedResnet_quant": "ic-int8",
		"ad01_int8": "ad-int8", "vww_96_float": "vww-float32", "pretrainedResnet": "ic-float32", "ad01_fp32": "ad-float32"}
	var out []measuredModel
	for _, r := range recs {
		if r["tflm_arena_min_bytes"] == "" { // VWW float32: not bisected; used = minimum for the other float models
			r["tflm_arena_min_bytes"] = r["tflm_arena_used_bytes"]
		}
		out = append(out, measuredModel{
			key: keys[r["model"]], dtype: DType(r["dtype"]),
			tfliteBytes: atoi(r["tflite_bytes"]), arenaUsed: atoi(r["tflm_arena_used_bytes"]),
			arenaMin: atoi(r["tflm_arena_min_bytes"]), head: atoi(r["arena_head_bytes"]),
			insnO2: atof(r["instructions_invoke_O2"]),
		})
	}
	return out
}

var mlperfCores = map[string]Core{"Cortex-M4F": CortexM4, "Cortex-M7": CortexM7, "Cortex-M33": CortexM33,
	"Cortex-M33 + MVP accelerator": CortexM33MVP, "Cortex-M85 (Helium)": CortexM85, "Cortex-M0+": CortexM0Plus}

// mlperfConfig returns a profile configuration for an MLPerf Tiny board:
// a table target of the same core at the board's clock.
func mlperfConfig(core Core, mhz float64, d DType) ProfileConfig {
	targets := map[Core]string{CortexM4: "cortex-m4f-80mhz", CortexM7: "cortex-m7-216mhz", CortexM33: "nordic-nrf5340-dk",
		CortexM33MVP: "silabs-xg24", CortexM85: "renesas-ek-ra8d1", CortexM0Plus: "raspberry-pi-rp2040"}
	c := ProfileConfig{Target: targets[core], ClockMHz: mhz}
	if core == CortexM33MVP { // the table's xG24 entry is CPU-only
		c.CoreFactor = core.Factor(d)
	}
	return c
}

// mlperfRow is one published MLPerf Tiny latency with our estimate.
type mlperfRow struct {
	version, board, framework, model string
	core                             Core
	mhz, published, estimate         float64
}

// cmsisNN reports whether a row's framework runs CMSIS-NN kernels through a
// current TFLM-class runtime, as Edge Impulse deployments do
// (device-estimates.md §7.1: the TFLM 2.3.1 reference submission predates
// today's kernels by two years and is 2× slower).
func (r mlperfRow) cmsisNN() bool { return r.framework == "microTVM + CMSIS-NN" }

func mlperfRows(t testing.TB) []mlperfRow {
	t.Helper()
	nets := mlperfModels(t)
	recs, err := readCSV("mlperf", mlperfCSV)
	if err != nil {
		t.Fatal(err)
	}
	var out []mlperfRow
	for _, r := range recs {
		core, ok := mlperfCores[r["core"]]
		if !ok {
			t.Fatalf("core %q", r["core"])
		}
		key := r["task"] + "-" + r["dtype"]
		d := DType(r["dtype"])
		p, err := ProfileNetwork(nets[key], mlperfConfig(core, atof(r["clock_mhz"]), d))
		if err != nil {
			t.Fatal(err)
		}
		if p.MACs != atof(r["macs"]) {
			t.Errorf("%s: %v MACs, MLPerf says %s", key, p.MACs, r["macs"])
		}
		out = append(out, mlperfRow{r["mlperf_version"], r["board"], r["framework"], key, core,
			atof(r["clock_mhz"]), atof(r["latency_ms"]), p.LatencyMs})
	}
	return out
}

func rel(got, want float64) float64 { return got/want - 1 }

// TestMLPerfArena is the RAM bar: the planned head equals TFLite Micro's
// measured head byte for byte, and the arena is within 1% of the smallest
// arena TFLM accepts (QEMU Cortex-M4, device-calibration-qemu-models.csv).
func TestMLPerfArena(t *testing.T) {
	nets := mlperfModels(t)
	res := tailResiduals(t, nets)
	for _, m := range measuredModels(t) {
		g, err := analyze(nets[m.key])
		if err != nil {
			t.Fatal(err)
		}
		plan := planArena(g, cores[CortexM4])
		if m.head > 0 && plan.head != m.head {
			t.Errorf("%s: head %d, measured %d", m.key, plan.head, m.head)
		}
		if e := rel(float64(plan.arena), float64(m.arenaMin)); math.Abs(e) > 0.01 {
			t.Errorf("%s: arena %d, measured minimum %d (%+.2f%%)", m.key, plan.arena, m.arenaMin, 100*e)
		}
		// Leave-one-out: the tail constant recomputed without this model.
		loo := plan.arena + looShift(res, m.key)
		if e := rel(float64(loo), float64(m.arenaMin)); math.Abs(e) > 0.01 {
			t.Errorf("%s: leave-one-out arena %d, measured minimum %d (%+.2f%%)", m.key, loo, m.arenaMin, 100*e)
		}
	}
}

// tailResiduals returns, per measured model, the predicted tail minus the
// tail TFLM used (arena used − head).
func tailResiduals(t testing.TB, nets map[string]*Network) map[string]int {
	out := map[string]int{}
	for _, m := range measuredModels(t) {
		g, err := analyze(nets[m.key])
		if err != nil {
			t.Fatal(err)
		}
		plan := planArena(g, cores[CortexM4])
		out[m.key] = plan.tail - (m.arenaUsed - plan.head)
	}
	return out
}

// looShift returns how much the arena of model key would move if tailFixed
// were fitted on the other six models only (an upper bound: the arena is
// aligned and may be bound by the planning temp), given the tail residuals.
func looShift(res map[string]int, key string) int {
	sum, n := 0, 0
	for k, r := range res {
		if k != key {
			sum += r
			n++
		}
	}
	return -sum / n
}

// TestTailFixedIsMeanResidual checks that tailFixed is the mean residual
// of the tail model over the seven measured models (so it is a fit, not a
// free constant) and that no residual exceeds 64 B.
func TestTailFixedIsMeanResidual(t *testing.T) {
	res := tailResiduals(t, mlperfModels(t))
	sum := 0
	for k, r := range res {
		sum += r
		if r < -64 || r > 64 {
			t.Errorf("%s: tail residual %d B", k, r)
		}
	}
	if mean := float64(sum) / float64(len(res)); math.Abs(mean) > 8 {
		t.Errorf("mean tail residual %.1f B: refit tailFixed", mean)
	}
}

// TestMLPerfInstructions is the first latency bar: the estimated Cortex-M4
// instruction count of every measured model is within 15% of the measured
// -O2 count, so the latency (× the same core factor) is too.
func TestMLPerfInstructions(t *testing.T) {
	nets := mlperfModels(t)
	for _, m := range measuredModels(t) {
		p, err := ProfileNetwork(nets[m.key], ProfileConfig{})
		if err != nil {
			t.Fatal(err)
		}
		insn := p.Cycles / CortexM4.Factor(m.dtype)
		if e := rel(insn, m.insnO2); math.Abs(e) > 0.15 {
			t.Errorf("%s: %.0f instructions, measured %.0f (%+.1f%%)", m.key, insn, m.insnO2, 100*e)
		}
	}
}

// TestMLPerfLatency is the second latency bar: within 25% of the published
// MLPerf Tiny latencies of CMSIS-NN deployments (microTVM + CMSIS-NN on
// NUCLEO-L4R5ZI, Cortex-M4F 120 MHz, and nRF5340-DK, Cortex-M33 128 MHz).
// Every other row is reported in calibration_report.golden.
func TestMLPerfLatency(t *testing.T) {
	n := 0
	for _, r := range mlperfRows(t) {
		if !r.cmsisNN() {
			continue
		}
		n++
		if e := rel(r.estimate, r.published); math.Abs(e) > 0.25 {
			t.Errorf("%s %s %s: %.2f ms, published %.2f ms (%+.1f%%)", r.board, r.framework, r.model, r.estimate, r.published, 100*e)
		}
	}
	if n != 8 {
		t.Errorf("%d CMSIS-NN rows, want 8", n)
	}
}

// TestFlatbufferSize checks §4.1's size model (with the default tensor name
// length) against the real .tflite files: within 10%, mean within 3%.
func TestFlatbufferSize(t *testing.T) {
	nets := mlperfModels(t)
	sum := 0.0
	ms := measuredModels(t)
	for _, m := range ms {
		p, err := ProfileNetwork(nets[m.key], ProfileConfig{})
		if err != nil {
			t.Fatal(err)
		}
		e := rel(float64(p.FlatbufferBytes), float64(m.tfliteBytes))
		sum += e
		if math.Abs(e) > 0.10 {
			t.Errorf("%s: %d bytes, file has %d (%+.1f%%)", m.key, p.FlatbufferBytes, m.tfliteBytes, 100*e)
		}
	}
	if mean := sum / float64(len(ms)); math.Abs(mean) > 0.03 {
		t.Errorf("mean flatbuffer error %+.1f%%", 100*mean)
	}
}

// TestLatencyFits checks the per-op fits against the fit quality
// device-estimates.md §5.2 reports for the same data.
func TestLatencyFits(t *testing.T) {
	fits, err := LatencyFits()
	if err != nil {
		t.Fatal(err)
	}
	limit := map[string]float64{"conv 1x1": 0.08, "conv kxk": 0.06, "depthwise": 0.07, "fully connected": 0.02, "add": 0.02}
	seen := 0
	for _, f := range fits {
		if l, ok := limit[f.Class]; ok && f.N > 0 {
			seen++
			if f.MeanError > l {
				t.Errorf("%s %s: mean error %.3f > %.3f (%s)", f.DType, f.Class, f.MeanError, l, f.Formula)
			}
		}
	}
	if seen != 10 {
		t.Errorf("%d fitted MAC/add classes, want 10", seen)
	}
}
