package deploy_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/tinyimpulse/tinyimpulse/anomaly"
	"github.com/tinyimpulse/tinyimpulse/deploy"
	"github.com/tinyimpulse/tinyimpulse/dsp"
	"github.com/tinyimpulse/tinyimpulse/impulse"
	"github.com/tinyimpulse/tinyimpulse/internal/testenv"
	"github.com/tinyimpulse/tinyimpulse/learn"
)

var updateCalibration = flag.Bool("update-calibration", false,
	"rewrite ../device/calibration/tinyimpulse-qemu-*.csv with this machine's emulator measurements")

// calibrationDir holds the measurements package device fits its
// tinyimpulse C library engine on.
const calibrationDir = "../device/calibration"

// synthFloatGraph builds a one-operator float32 graph of shape o with
// weights and biases drawn from seed.
func synthFloatGraph(o opShape, seed uint32) *learn.Graph {
	q := synthGraph(o, seed)
	r := lcg(seed + 77)
	g := &learn.Graph{DType: learn.Float32}
	for _, t := range q.Tensors {
		f := learn.Tensor{Name: t.Name, Type: learn.Float32, Shape: t.Shape}
		switch {
		case t.Int8 != nil:
			f.Float32 = make([]float32, len(t.Int8))
			for i := range f.Float32 {
				f.Float32[i] = float32(int32(r.next()>>8)-8388608) / (1 << 26)
			}
		case t.Int32 != nil && t.Name == "shape":
			f.Type, f.Int32 = learn.Int32, t.Int32
		case t.Int32 != nil:
			f.Float32 = make([]float32, len(t.Int32))
			for i := range f.Float32 {
				f.Float32[i] = float32(int32(r.next()>>8)-8388608) / (1 << 24)
			}
		}
		g.Tensors = append(g.Tensors, f)
	}
	op := q.Ops[0]
	op.Multiplier, op.Shift, op.SoftmaxTable = nil, nil, nil
	g.Ops = []learn.Operator{op}
	g.Input, g.Output = q.Input, q.Output
	return g
}

// The calibration tables (device/calibration/README.md describes them).
var (
	opHeader      = []string{"dtype", "op", "kh", "kw", "sh", "sw", "cin", "cout", "in_h", "in_w", "out_h", "out_w", "macs", "instructions", "source"}
	dspHeader     = []string{"block", "version", "frequency_hz", "axes", "samples", "width", "height", "params", "instructions", "stack", "source"}
	anomalyHeader = []string{"kind", "clusters", "features", "axes", "instructions", "stack", "source"}
	impulseHeader = []string{"impulse", "dtype", "dsp_blocks", "conv", "anomaly_block", "inputs", "outputs", "ops", "op_instructions", "dsp", "nn", "anomaly",
		"static", "arena", "stack", "stack_dsp", "stack_nn", "stack_anomaly", "rom"}
)

// calibrationNets are the networks whose operators calibrate the engine:
// one-operator graphs of the MLPerf Tiny shapes TFLM was measured on and
// of small shapes of every kernel path (int8; the small ones float32 too),
// and the calibration impulses' networks.
func calibrationNets(t *testing.T) []benchNet {
	t.Helper()
	var nets []benchNet
	for i, o := range append(tflmShapes(t), extraShapes()...) {
		g := synthGraph(o, uint32(i+1))
		c, err := deploy.NewNetwork(g)
		if err != nil {
			t.Fatal(err)
		}
		nets = append(nets, benchNet{o.name, g, c, uint32(3000 + i)})
	}
	for i, o := range extraShapes() {
		if o.lowShift {
			continue
		}
		g := synthFloatGraph(o, uint32(i+500))
		c, err := deploy.NewNetwork(g)
		if err != nil {
			t.Fatal(err)
		}
		nets = append(nets, benchNet{o.name + " float32", g, c, uint32(4000 + i)})
	}
	for i, l := range calibrationLibraries(t) {
		nets = append(nets, benchNet{l.name, l.lib.Impulse.Network.Graph(), l.lib.Impulse.Network, uint32(5000 + i)})
	}
	return nets
}

// measuredNets measures the calibration networks operator by operator on
// the emulator (SIMD build) once per test binary, checking each output
// against the host's, for TestQEMUInt8Ops and TestQEMUCalibration.
var measuredNetsCache struct {
	once sync.Once
	ok   bool
	nets []benchNet
	ms   []netMeasure
}

func measuredNets(t *testing.T, arm armTools) ([]benchNet, []netMeasure) {
	t.Helper()
	c := &measuredNetsCache
	c.once.Do(func() {
		c.nets = calibrationNets(t)
		host := hostHashes(t, c.nets)
		c.ms = measureNets(t, arm, c.nets)
		for i, n := range c.nets {
			if c.ms[i].hash != host[i] {
				t.Fatalf("%s: emulator output hash %08x, host %08x", n.name, c.ms[i].hash, host[i])
			}
		}
		c.ok = true
	})
	if !c.ok {
		t.Fatal("measuring the networks failed (in the test that first asked)")
	}
	return c.nets, c.ms
}

// opRows returns one calibration row per measured operator.
func opRows(nets []benchNet, ms []netMeasure) [][]string {
	var rows [][]string
	for i, n := range nets {
		for k, op := range n.g.Ops {
			ih, iw, ic := hwc4(&n.g.Tensors[op.Inputs[0]])
			oh, ow, oc := hwc4(&n.g.Tensors[op.Outputs[0]])
			rows = append(rows, []string{n.g.DType.String(), string(op.Kind), itoa(op.KernelH), itoa(op.KernelW), itoa(op.StrideH), itoa(op.StrideW),
				itoa(ic), itoa(oc), itoa(ih), itoa(iw), itoa(oh), itoa(ow), itoa(op.MACs), strconv.FormatInt(ms[i].ops[k], 10),
				fmt.Sprintf("%s op %d", n.name, k)})
		}
	}
	return rows
}

func itoa(v int) string { return strconv.Itoa(v) }

// hwc4 returns a tensor's (h, w, c), a flat tensor being 1×1×n.
func hwc4(t *learn.Tensor) (h, w, c int) {
	if len(t.Shape) == 4 {
		return t.Shape[1], t.Shape[2], t.Shape[3]
	}
	return 1, 1, t.Elements()
}

// dspCase is a processing block to measure, with what rebuilds it.
type dspCase struct {
	c      *refCase
	params map[string]any
	typ    string
	ver    int
}

// measureDSP runs processing and anomaly blocks through
// testdata/arm/measure_dsp.c on the emulator.
func measureDSP(t *testing.T, arm armTools, cases []*refCase, anomalies []*deploy.Anomaly) (dspRes, anRes [][3]int64) {
	t.Helper()
	dir := t.TempDir()
	srcs := writeRuntime(t, dir)
	var b strings.Builder
	b.WriteString(casesC(t, cases, deploy.Float32))
	b.WriteString("#include \"ti_model.h\"\ntypedef struct tanomaly { int gmm; const void *cfg; uint32_t features; } tanomaly;\n")
	var rows []string
	for i, a := range anomalies {
		src, err := a.CSource(fmt.Sprintf("an%d", i))
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString(strings.ReplaceAll(src, "#include \"ti_model.h\"\n", ""))
		rows = append(rows, fmt.Sprintf("{%d, &an%d, %du}", b2i(a.Func() == "ti_gmm_score"), i, a.Features()))
	}
	fmt.Fprintf(&b, "const tanomaly ti_anomalies[] = {%s};\nconst uint32_t ti_n_anomalies = %du;\n", strings.Join(append(rows, "{0, 0, 0}"), ", "), len(anomalies))
	if err := os.WriteFile(filepath.Join(dir, "cases.c"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	copyTestdata(t, dir, "arm/measure_dsp.c")
	srcs = append(srcs, filepath.Join(dir, "cases.c"), filepath.Join(dir, "measure_dsp.c"))
	elf, _ := arm.link(t, dir, "measure_dsp", []string{deploy.Float32.Define()}, srcs...)
	if err := os.WriteFile(filepath.Join(dir, "in.bin"), driverInput(cases), 0o644); err != nil {
		t.Fatal(err)
	}
	arm.run(t, dir, elf, true)
	out, err := os.ReadFile(filepath.Join(dir, "out.bin"))
	if err != nil {
		t.Fatal(err)
	}
	rd := bytes.NewReader(out)
	read := func(what string) [3]int64 {
		var v struct {
			Status      int32
			Ticks, Used uint32
		}
		if err := binary.Read(rd, binary.LittleEndian, &v); err != nil {
			t.Fatalf("measure_dsp output for %s: %v", what, err)
		}
		if v.Status != 0 {
			t.Fatalf("%s: status %d on the emulator", what, v.Status)
		}
		return [3]int64{int64(v.Ticks) * 40, int64(v.Used), 0}
	}
	for _, c := range cases {
		dspRes = append(dspRes, read(c.ID))
	}
	for i := range anomalies {
		anRes = append(anRes, read(fmt.Sprintf("anomaly block %d", i)))
	}
	return dspRes, anRes
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// paramsJSON encodes a block's parameters for the calibration table.
func paramsJSON(t *testing.T, p map[string]any) string {
	t.Helper()
	if p == nil {
		p = map[string]any{}
	}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// calibrationLibraries are the impulses the engine is held to: the
// gestures impulse (testdata) and every shared dataset's default impulse,
// with the int8 network (and the float32 one for gestures).
type calibrationLibrary struct {
	name string
	m    *impulse.Model
	mt   impulse.ModelType
	lib  *deploy.Library
	win  []float64
}

func calibrationLibraries(t *testing.T) []calibrationLibrary {
	t.Helper()
	var out []calibrationLibrary
	add := func(name string, m *impulse.Model, win []float64, mt impulse.ModelType) {
		lib, err := deploy.NewLibrary(m, deploy.LibraryOptions{ModelType: mt, Window: win})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, calibrationLibrary{name + " " + mt.String(), m, mt, lib, win})
	}
	gm, gds := trainModel(t, "../testdata/impulses/gestures.json", "../testdata/gestures")
	gwin, _ := firstWindow(t, gm, gds)
	add("gestures", gm, gwin, impulse.Int8)
	add("gestures", gm, gwin, impulse.Float32)
	if _, err := os.Stat(filepath.Join("..", "..", "shared", "datasets")); err == nil {
		for _, name := range sharedNames {
			m, ds := trainShared(t, name)
			win, _ := firstWindow(t, m, ds)
			add(name, m, win, impulse.Int8)
			add(name, m, win, impulse.Float32)
		}
	}
	return out
}

// TestQEMUCalibration measures, on the emulated Cortex-M4F, what package
// device fits its estimates of the generated C library on (the engine
// beside TensorFlow Lite Micro and EON): the instructions of every int8
// and float32 operator of the MLPerf Tiny shapes (int8), of small shapes of
// every kernel path and of the calibration impulses' networks; of every
// processing block configuration of the reference vectors, of seeded
// random configurations and of the calibration impulses; of K-means and
// GMM blocks of several sizes; and, per calibration impulse, the
// instructions, static RAM, arena, stack and ROM of its whole library.
// Outputs are checked against the host's. It compares the measurements
// with device/calibration/tinyimpulse-qemu-*.csv (the emulator counts
// instructions exactly, so the same compiler gives the same counts) and
// rewrites them with -update-calibration.
func TestQEMUCalibration(t *testing.T) {
	arm := needARM(t)
	testenv.SharedDataset(t, sharedNames[0]) // the calibration impulses include the shared datasets'
	versions := toolVersions(t, arm)

	// Operators.
	nets, ms := measuredNets(t, arm)
	ops := opRows(nets, ms)
	libs, libMs := measuredLibraries(t, arm)

	// Processing and anomaly blocks.
	// The reference configurations on typical signals (their own windows
	// include silence and other edge cases, on which the blocks run a few
	// branches faster or slower).
	var cases []*refCase
	for i, c := range loadRefCases(t) {
		c.window = typicalWindow(c, uint64(i))
		cases = append(cases, c)
	}
	cases = append(cases, randomCases(t, 42, 77)...)
	for _, l := range libs {
		if l.mt != impulse.Int8 {
			continue
		}
		def := l.m.Definition()
		for i, d := range l.lib.Impulse.DSP {
			b := def.Impulse.DSPBlocks[i]
			in := def.Impulse.InputBlocks[0]
			params := map[string]any{}
			for k, v := range def.DSP[b.ID] {
				params[k] = v
			}
			win := l.win
			if d.Axes != nil {
				win = nil
				for s := 0; s < len(l.win)/len(in.Axes); s++ {
					for _, a := range d.Axes {
						win = append(win, l.win[s*len(in.Axes)+a])
					}
				}
			}
			blk, err := dsp.New(b.Type, b.ImplementationVersion, params, libInput(def, b.Axes))
			if err != nil {
				t.Fatal(err)
			}
			des, err := dsp.DesignOf(blk)
			if err != nil {
				t.Fatal(err)
			}
			c := &refCase{ID: l.name + " DSP " + b.Type, window: win, block: d.Block, input: des.Input}
			c.req.Block, c.req.ImplementationVersion, c.req.Params = b.Type, b.ImplementationVersion, params
			cases = append(cases, c)
		}
	}
	anomalies := calibrationAnomalies(t)
	host := runDriver(t, buildDriver(t, cases, deploy.Float32, false), cases)
	for i, c := range cases {
		if host[i].status != 0 {
			t.Fatalf("%s: host status %d", c.ID, host[i].status)
		}
	}
	dspRes, anRes := measureDSP(t, arm, cases, anomalies)
	var dspRows, anRows [][]string
	for i, c := range cases {
		in := c.input
		dspRows = append(dspRows, []string{strings.ReplaceAll(c.req.Block, "_", "-"), itoa(max(c.req.ImplementationVersion, 1)), strconv.FormatFloat(in.FrequencyHz, 'g', -1, 64),
			itoa(in.Axes), itoa(in.Samples), itoa(in.Width), itoa(in.Height), paramsJSON(t, c.req.Params),
			strconv.FormatInt(dspRes[i][0], 10), strconv.FormatInt(dspRes[i][1], 10), c.ID})
	}
	for i, a := range anomalies {
		kind := "kmeans"
		if a.Func() == "ti_gmm_score" {
			kind = "gmm"
		}
		anRows = append(anRows, []string{kind, itoa(anomalyClusters[i][0]), itoa(a.Features()), itoa(anomalyClusters[i][1]),
			strconv.FormatInt(anRes[i][0], 10), strconv.FormatInt(anRes[i][1], 10), fmt.Sprintf("%s %d", kind, i)})
	}

	// Whole libraries.
	var impRows [][]string
	opSum := map[string]int64{}
	for _, r := range ops {
		if n, _, ok := strings.Cut(r[14], " op "); ok {
			v, _ := strconv.ParseInt(r[13], 10, 64)
			opSum[n] += v
		}
	}
	for li, l := range libs {
		m := libMs[li]
		n := l.lib.Impulse.Network
		var blocks []string
		for _, b := range l.m.Definition().Impulse.DSPBlocks {
			blocks = append(blocks, b.Type)
		}
		conv := 0
		for _, op := range n.Graph().Ops {
			if op.Kind == learn.OpConv2D {
				conv = 1
			}
		}
		an := ""
		if a := l.lib.Impulse.Anomaly; a != nil {
			an = strings.TrimSuffix(strings.TrimPrefix(a.Func(), "ti_"), "_score")
		}
		impRows = append(impRows, []string{l.name, l.mt.String(), strings.Join(blocks, "+"), itoa(conv), an, itoa(n.Inputs()), itoa(n.Outputs()), itoa(len(n.Graph().Ops)),
			strconv.FormatInt(opSum[l.name], 10), strconv.FormatInt(m.dsp, 10), strconv.FormatInt(m.nn, 10), strconv.FormatInt(m.anomaly, 10),
			itoa(m.static), itoa(l.lib.Impulse.ArenaBytes(deploy.Float32)), itoa(m.stack), itoa(m.stageStack[0]), itoa(m.stageStack[1]),
			itoa(m.stageStack[2]), itoa(m.rom)})
	}

	tables := map[string][][]string{
		"tinyimpulse-qemu-ops.csv":      append([][]string{opHeader}, ops...),
		"tinyimpulse-qemu-dsp.csv":      append([][]string{dspHeader}, dspRows...),
		"tinyimpulse-qemu-anomaly.csv":  append([][]string{anomalyHeader}, anRows...),
		"tinyimpulse-qemu-impulses.csv": append([][]string{impulseHeader}, impRows...),
	}
	versionFile := filepath.Join(calibrationDir, "tinyimpulse-qemu-versions.txt")
	if *updateCalibration {
		for name, rows := range tables {
			var b bytes.Buffer
			w := csv.NewWriter(&b)
			w.WriteAll(rows)
			if err := os.WriteFile(filepath.Join(calibrationDir, name), b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(versionFile, []byte(versions), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("rewrote %d calibration tables in %s", len(tables), calibrationDir)
		return
	}
	recorded, err := os.ReadFile(versionFile)
	if err != nil {
		t.Fatalf("%v (run go test -run TestQEMUCalibration -update-calibration)", err)
	}
	if string(recorded) != versions {
		t.Skipf("the calibration was measured with\n%s\nthis machine has\n%s\nthe counts are not compared", recorded, versions)
	}
	for name, rows := range tables {
		data, err := os.ReadFile(filepath.Join(calibrationDir, name))
		if err != nil {
			t.Fatal(err)
		}
		old, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(old) != len(rows) {
			t.Errorf("%s: %d rows recorded, %d measured (run with -update-calibration after checking)", name, len(old), len(rows))
			continue
		}
		for i := range rows {
			if strings.Join(old[i], ",") != strings.Join(rows[i], ",") {
				t.Errorf("%s row %d: recorded %v, measured %v (run with -update-calibration after checking)", name, i, old[i], rows[i])
			}
		}
	}
}

// libInput is the input shape of a DSP block of a definition.
func libInput(def *impulse.Definition, axes []string) dsp.Input {
	in := def.Impulse.InputBlocks[0]
	if in.Type == "image" {
		return dsp.Input{Width: in.ImageWidth, Height: in.ImageHeight, Samples: in.ImageWidth * in.ImageHeight}
	}
	return dsp.Input{FrequencyHz: in.FrequencyHz, Axes: len(axes), Samples: int(math.Round(float64(in.WindowSizeMs) * in.FrequencyHz / 1000))}
}

// anomalyClusters are the calibration anomaly blocks' clusters (or
// components) and axes.
var anomalyClusters = [][2]int{{2, 3}, {8, 3}, {32, 3}, {8, 16}, {32, 33}, {16, 64}, {2, 3}, {5, 3}, {3, 8}, {5, 16}}

var (
	calAnomalyOnce sync.Once
	calAnomalies   []*deploy.Anomaly
)

// calibrationAnomalies fits K-means blocks (the first six of
// anomalyClusters) and GMM blocks (the rest) on seeded random data.
func calibrationAnomalies(t *testing.T) []*deploy.Anomaly {
	t.Helper()
	calAnomalyOnce.Do(func() {
		for i, kc := range anomalyClusters {
			d := blobs(200, 64, 4, 1, uint64(i))
			axes := make([]int, kc[1])
			for j := range axes {
				axes[j] = j * (64 / kc[1])
			}
			var m anomaly.Model
			var err error
			if i < 6 {
				m, err = anomaly.FitKMeans(context.Background(), anomaly.KMeansConfig{ClusterCount: kc[0], Axes: axes}, d.X, 1)
			} else {
				m, err = anomaly.FitGMM(context.Background(), anomaly.GMMConfig{ClusterCount: kc[0], Axes: axes}, d.X, 1)
			}
			if err != nil {
				t.Fatal(err)
			}
			a, err := deploy.NewAnomaly(m)
			if err != nil {
				t.Fatal(err)
			}
			calAnomalies = append(calAnomalies, a)
		}
	})
	if len(calAnomalies) != len(anomalyClusters) {
		t.Fatal("calibration anomaly blocks not fitted")
	}
	return calAnomalies
}

// toolVersions returns the versions of the compiler and emulator the
// counts depend on.
func toolVersions(t *testing.T, arm armTools) string {
	t.Helper()
	var b strings.Builder
	for _, c := range [][]string{{arm.gcc, "--version"}, {arm.qemu, "--version"}} {
		out, err := exec.Command(c[0], c[1:]...).Output()
		if err != nil {
			t.Fatal(err)
		}
		line, _, _ := strings.Cut(string(out), "\n")
		b.WriteString(strings.TrimSpace(line) + "\n")
	}
	return b.String()
}

// typicalWindow returns a signal for a block's input: sums of sines and
// noise (accelerometer-like values for spectral analysis and the other
// time-series blocks, int16-range audio for the audio blocks) or random
// pixels for images.
func typicalWindow(c *refCase, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 11))
	in := c.input
	if c.block.Kind() == "image" {
		w := make([]float64, in.Samples)
		for i := range w {
			w[i] = float64(rng.IntN(1 << 24))
		}
		return w
	}
	amp := 9.81
	switch c.block.Kind() {
	case "mfcc", "mfe", "spectrogram":
		amp = 3000
	}
	fs := math.Max(in.FrequencyHz, 1)
	w := make([]float64, in.Samples*in.Axes)
	for a := range in.Axes {
		f1, f2, p := rng.Float64()*fs/2, rng.Float64()*fs/8, rng.Float64()*6
		for i := range in.Samples {
			tt := float64(i) / fs
			w[i*in.Axes+a] = amp * (0.6*math.Sin(2*math.Pi*f1*tt+p) + 0.3*math.Sin(2*math.Pi*f2*tt) + 0.1*rng.NormFloat64())
		}
	}
	return w
}
