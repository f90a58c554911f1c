package metrics

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// mlperfModels loads the MLPerf Tiny reference networks written by
// testdata/metrics/mlperf_models.py.
func mlperfModels(t testing.TB) map[string]*Network {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "metrics", "mlperf_models.json"))
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
	csvName             string
	dtype               DType
	macs                float64
	tfliteBytes         int
	arenaUsed, arenaMin int
	head, tail          int // 0 when not measured
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
		out = append(out, measuredModel{
			key: keys[r["model"]], csvName: r["model"], dtype: DType(r["dtype"]), macs: atof(r["macs"]),
			tfliteBytes: atoi(r["tflite_bytes"]), arenaUsed: atoi(r["tflm_arena_used_bytes"]),
			arenaMin: atoi(r["tflm_arena_min_bytes"]), head: atoi(r["arena_head_bytes"]),
			tail: atoi(r["arena_tail_bytes"]), insnO2: atof(r["instructions_invoke_O2"]),
		})
	}
	return out
}

func TestDebugArena(t *testing.T) {
	nets := mlperfModels(t)
	for _, m := range measuredModels(t) {
		n := nets[m.key]
		g, err := analyze(n)
		if err != nil {
			t.Fatal(err)
		}
		plan := planArena(g, cores[CortexM4])
		p, err := ProfileNetwork(n, ProfileConfig{})
		if err != nil {
			t.Fatal(err)
		}
		sumMACs := 0.0
		insn := 0.0
		for _, o := range p.Ops {
			sumMACs += o.MACs
			insn += o.Instructions
		}
		usedTail := m.arenaUsed - plan.head
		t.Logf("%-12s T=%d head %d (meas %d) tail %d (used-tail %d, diff %d) arena %d (min %d used %d, err %.2f%%) macs %.0f/%.0f flat %d/%d insn %.0f/%.0f (%.1f%%)",
			m.key, plan.tensors, plan.head, m.head, plan.tail, usedTail, plan.tail-usedTail, plan.arena, m.arenaMin, m.arenaUsed,
			100*(float64(plan.arena)/float64(m.arenaMin)-1), sumMACs, m.macs, p.FlatbufferBytes, m.tfliteBytes, insn, m.insnO2, 100*(insn/m.insnO2-1))
	}
	fits, err := LatencyFits()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fits {
		t.Logf("%s %-16s n=%2d %-40s mean %.3f max %.3f", f.DType, f.Class, f.N, f.Formula, f.MeanError, f.MaxError)
	}
}

var mlperfCores = map[string]Core{"Cortex-M4F": CortexM4, "Cortex-M7": CortexM7, "Cortex-M33": CortexM33,
	"Cortex-M33 + MVP accelerator": CortexM33MVP, "Cortex-M85 (Helium)": CortexM85, "Cortex-M0+": CortexM0Plus}

var mlperfTargets = map[Core]string{CortexM4: "cortex-m4f-80mhz", CortexM7: "cortex-m7-216mhz", CortexM33: "nordic-nrf5340-dk",
	CortexM33MVP: "silabs-xg24", CortexM85: "renesas-ek-ra8d1", CortexM0Plus: "raspberry-pi-rp2040"}

func TestDebugMLPerf(t *testing.T) {
	nets := mlperfModels(t)
	recs, err := readCSV("mlperf", mlperfCSV)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		core := mlperfCores[r["core"]]
		key := r["task"] + "-" + r["dtype"]
		p, err := ProfileNetwork(nets[key], ProfileConfig{Target: mlperfTargets[core], ClockMHz: atof(r["clock_mhz"])})
		if err != nil {
			t.Fatal(err)
		}
		meas := atof(r["latency_ms"])
		t.Logf("%-5s %-20s %-5s %4s %-45s %-7s est %8.2f meas %8.2f  %+6.1f%%", r["mlperf_version"], r["board"], core, r["clock_mhz"], r["framework"], key, p.LatencyMs, meas, 100*(p.LatencyMs/meas-1))
	}
}
