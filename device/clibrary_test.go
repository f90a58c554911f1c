package device

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/tinyimpulse/tinyimpulse/dsp"
	"github.com/tinyimpulse/tinyimpulse/internal/eischema"
)

// TestCFits fits the C library engine's models on the embedded emulator
// measurements (device/calibration/tinyimpulse-qemu-*.csv) and checks
// their fit: every operator class of the runtime's kernels, every
// processing block class the impulses use and the anomaly blocks within
// a mean relative error of 10% on the measurements they were fitted on.
func TestCFits(t *testing.T) {
	fits, err := CFits()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, f := range fits {
		b.WriteString(f.Class + ": " + f.Formula + "\n")
		if f.N == 0 {
			t.Errorf("%s: no measurements", f.Class)
		}
		limit := 0.10
		switch f.Class {
		case "dsp raw", "dsp flatten", "dsp spectral-analysis v1", "dsp spectrogram":
			limit = 0.20 // blocks of few or scattered measurements; no calibration impulse uses them
		}
		if f.MeanError > limit {
			t.Errorf("%s: mean error %.1f%% on %d measurements, over %.0f%%", f.Class, 100*f.MeanError, f.N, 100*limit)
		}
	}
	for _, want := range []string{"int8 FULLY_CONNECTED", "int8 CONV_2D", "int8 DEPTHWISE_CONV_2D", "int8 MAX_POOL_2D", "int8 SOFTMAX",
		"float32 FULLY_CONNECTED", "float32 CONV_2D", "dsp spectral-analysis fft", "dsp mfcc", "dsp mfe", "dsp image", "anomaly anomaly", "anomaly anomaly-gmm"} {
		if !strings.Contains(b.String(), want+":") {
			t.Errorf("no fitted model of %s", want)
		}
	}
	t.Logf("C library engine models:\n%s", b.String())
}

// gesturesCLibrary is the gestures impulse's C library: spectral analysis
// of 2 s of 3-axis data at 62.5 Hz, 39 features → dense 20 → 10 → 4,
// K-means with 32 clusters.
func gesturesCLibrary(t *testing.T, dt DType) CLibrary {
	t.Helper()
	blk, err := dsp.New(dsp.TypeSpectral, 4, map[string]any{"fft-length": 16}, dsp.Input{FrequencyHz: 62.5, Axes: 3, Samples: 125})
	if err != nil {
		t.Fatal(err)
	}
	w := map[DType]int{Int8: 1, Float32: 4}[dt]
	n := &Network{DType: dt, Input: []int{39}, Ops: []Op{
		{Kind: FullyConnected, Output: []int{20}, WeightBytes: w * 39 * 20, BiasBytes: 80},
		{Kind: FullyConnected, Output: []int{10}, WeightBytes: w * 200, BiasBytes: 40},
		{Kind: FullyConnected, Output: []int{4}, WeightBytes: w * 40, BiasBytes: 16},
		{Kind: Softmax, Output: []int{4}},
	}}
	return CLibrary{DSP: []CDSPBlock{{Name: "Spectral features", Block: blk}}, Network: n, NetworkRanges: 1,
		Anomaly: &AnomalyBlock{Kind: AnomalyKMeans, Clusters: 32, Features: 39}, AnomalyFeatures: 39, AnomalyRanges: 1}
}

// TestProfileCLibrary checks the engine's arithmetic on the gestures
// impulse: the arena as the C runtime lays it out (hand-derived below),
// the static RAM of run_classifier's arena and clock, the stages adding up
// and the core factors and clock applied.
func TestProfileCLibrary(t *testing.T) {
	p, err := ProfileCLibrary(gesturesCLibrary(t, Int8), ProfileConfig{})
	if err != nil {
		t.Fatal(err)
	}
	// Features: 39 floats = 156 B. The DSP stage starts at the next
	// multiple of 8, 160. Spectral analysis, fft-length 16: 125 samples
	// (0-500), the FFT buffer of 16 (504-568), two spectra of 9 bins
	// (568-604, 608-644), each buffer 8-byte aligned: 644 B, so 160 + 644
	// = 804. The int8 network (input 39 B, output 4 B, arena 30 B) and
	// the K-means block (features read in place) need less.
	if p.Arena != 804 {
		t.Errorf("arena %d, want 804", p.Arena)
	}
	if want := 8*((804+7)/8+1) + 4; p.RAM != want || want != 820 {
		t.Errorf("RAM %d, want %d (run_classifier's uint64 arena and its clock pointer)", p.RAM, want)
	}
	sum := p.NN.Instructions + p.Anomaly.Instructions
	for _, s := range p.DSP {
		sum += s.Instructions
	}
	if math.Abs(sum-p.Instructions) > 1e-6 {
		t.Errorf("stages add up to %v, total %v", sum, p.Instructions)
	}
	if want := p.DSP[0].Instructions * 1.30; math.Abs(p.DSP[0].Cycles-want) > 1e-6 {
		t.Errorf("DSP cycles %v, want %v (float32 factor 1.30)", p.DSP[0].Cycles, want)
	}
	if want := p.NN.Instructions * 1.40; math.Abs(p.NN.Cycles-want) > 1e-6 {
		t.Errorf("NN cycles %v, want %v (int8 factor 1.40)", p.NN.Cycles, want)
	}
	if want := p.Cycles / 80e3; math.Abs(p.LatencyMs-want) > 1e-9 {
		t.Errorf("latency %v ms, want %v (80 MHz)", p.LatencyMs, want)
	}
	m7, err := ProfileCLibrary(gesturesCLibrary(t, Int8), ProfileConfig{Target: "cortex-m7-216mhz"})
	if err != nil {
		t.Fatal(err)
	}
	if m7.Instructions != p.Instructions || !(m7.LatencyMs < p.LatencyMs) || m7.RAM != p.RAM {
		t.Errorf("Cortex-M7: %v instructions, %v ms, RAM %d; M4F: %v, %v, %d", m7.Instructions, m7.LatencyMs, m7.RAM, p.Instructions, p.LatencyMs, p.RAM)
	}
}

// TestProfileCLibraryErrors checks what the engine refuses: operators the
// library has no kernel for, anomaly blocks without clusters, unknown
// targets and targets without performance models.
func TestProfileCLibraryErrors(t *testing.T) {
	add := gesturesCLibrary(t, Int8)
	add.Network = &Network{Input: []int{4, 4, 2}, Ops: []Op{{Kind: Add, Output: []int{4, 4, 2}, WeightBytes: 32}}}
	if _, err := ProfileCLibrary(add, ProfileConfig{}); !errors.Is(err, ErrNetwork) || !strings.Contains(err.Error(), "ADD") {
		t.Errorf("a network with an ADD: %v, want ErrNetwork naming ADD", err)
	}
	an := gesturesCLibrary(t, Int8)
	an.Anomaly.Clusters = 0
	if _, err := ProfileCLibrary(an, ProfileConfig{}); !errors.Is(err, ErrValue) {
		t.Errorf("an anomaly block without clusters: %v, want ErrValue", err)
	}
	if _, err := ProfileCLibrary(gesturesCLibrary(t, Int8), ProfileConfig{Target: "no-such-board"}); !errors.Is(err, ErrUnknownTarget) {
		t.Errorf("an unknown target: %v, want ErrUnknownTarget", err)
	}
	for _, tg := range Targets() {
		if !tg.HasPerformance {
			if _, err := ProfileCLibrary(gesturesCLibrary(t, Int8), ProfileConfig{Target: tg.ID}); !errors.Is(err, ErrUndefined) {
				t.Errorf("target %s without performance: %v, want ErrUndefined", tg.ID, err)
			}
			break
		}
	}
	// A network alone: ProfileNetwork's third engine, absent for an ADD.
	p, err := ProfileNetwork(add.Network, ProfileConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if p.TinyImpulse != nil {
		t.Error("ProfileNetwork gave a C library figure for a network with an ADD")
	}
}

// TestCEngineCustomMetrics checks that the C library's figures appear in
// Studio's onDevicePerformance only as customMetrics, and only when asked
// for, and type-checks the entry inside a KerasModelMetadataMetrics
// document against Edge Impulse's published API types.
func TestCEngineCustomMetrics(t *testing.T) {
	n := gesturesCLibrary(t, Int8).Network
	plain, err := OnDevicePerformance(n, ProfileConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if len(plain[0].CustomMetrics) != 0 {
		t.Errorf("customMetrics without TinyImpulseMetrics: %v", plain[0].CustomMetrics)
	}
	perf, err := OnDevicePerformance(n, ProfileConfig{TinyImpulseMetrics: true})
	if err != nil {
		t.Fatal(err)
	}
	p, err := ProfileNetwork(n, ProfileConfig{})
	if err != nil {
		t.Fatal(err)
	}
	cm := perf[0].CustomMetrics
	if len(cm) != 4 || cm[1].Value != strconv.Itoa(p.TinyImpulse.RAM) || cm[2].Value != strconv.Itoa(p.TinyImpulse.ROM) {
		t.Errorf("customMetrics %v, want latency, RAM %d, ROM %d and arena", cm, p.TinyImpulse.RAM, p.TinyImpulse.ROM)
	}
	doc := map[string]any{"type": "int8", "loss": 0.1, "confusionMatrix": [][]float64{{1}}, "report": map[string]any{},
		"onDevicePerformance": perf, "visualization": "featureExplorer", "isSupportedOnMcu": true, "additionalMetrics": []any{}}
	eischema.Check(t, doc, "KerasModelMetadataMetrics")
}
