package deploy_test

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/tinyimpulse/tinyimpulse/deploy"
	"github.com/tinyimpulse/tinyimpulse/impulse"
)

// libMeasure is what the emulator measured for a generated library.
type libMeasure struct {
	name                  string
	lib                   *deploy.Library
	dsp, nn, anomaly, all int64 // instructions
	stack                 int
	stageStack            [3]int // DSP, network, anomaly
	static                int    // .data + .bss of the library's objects (the arena among them)
	rom                   int
	romByObject           map[string]int
	status, result        int32
	anomalyBits           uint32
	scores                []uint32
}

// ram is the library's RAM as Edge Impulse counts it (static RAM and peak
// heap, device-estimates.md §0): its static data, the arena among it. The
// stack (run_classifier's high-water mark) is reported beside it; the
// window, in flash here, is the caller's.
func (m libMeasure) ram() int { return m.static }

// ms converts instructions to milliseconds on a Cortex-M4F at 80 MHz with
// device-estimates.md §5.3's core factor: 1.40 cycles per instruction for
// int8 network kernels, 1.30 for float32 code.
func ms(insn int64, int8 bool) float64 {
	f := 1.30
	if int8 {
		f = 1.40
	}
	return float64(insn) * f / 80e6 * 1e3
}

// armCompile compiles src for the Cortex-M4F with extra arguments.
func (a armTools) armCompile(t *testing.T, src, obj string, extra ...string) string {
	t.Helper()
	args := append(append([]string{}, cflags...), armFlags...)
	args = append(args, "-ffp-contract=off")
	args = append(args, extra...)
	args = append(args, "-c", src, "-o", obj)
	if out, err := exec.Command(a.gcc, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", a.gcc, strings.Join(args, " "), err, out)
	}
	return obj
}

var (
	libBaselineOnce sync.Once
	libBaseline     mapSizes
	armRuntimeOnce  sync.Once
	armRuntime      []string
)

// runtimeObjects compiles the C runtime for the Cortex-M4F once (objects
// named ti_*.o, as in a library).
func (a armTools) runtimeObjects(t *testing.T) []string {
	t.Helper()
	armRuntimeOnce.Do(func() {
		dir, err := os.MkdirTemp(runtimeDir, "arm-runtime-")
		if err != nil {
			t.Fatal(err)
		}
		for _, src := range writeRuntime(t, dir) {
			armRuntime = append(armRuntime, a.armCompile(t, src, strings.TrimSuffix(src, ".c")+".o", "-I", dir))
		}
	})
	if len(armRuntime) == 0 {
		t.Fatal("the runtime did not compile for the Cortex-M4F")
	}
	return armRuntime
}

// measureLibrary builds a generated library with testdata/arm/measure_lib.c
// for the Cortex-M4F (GCC 12 -O2, -ffunction-sections -fdata-sections,
// --gc-sections) and runs it on the emulator under -icount.
func measureLibrary(t *testing.T, arm armTools, name string, lib *deploy.Library) libMeasure {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, lib.Name)
	for _, f := range lib.Files {
		p := filepath.Join(dir, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	copyTestdata(t, root, "arm/measure_lib.c")
	libBaselineOnce.Do(func() {
		bdir := filepath.Join(root, "baseline")
		os.Mkdir(bdir, 0o755)
		obj := arm.armCompile(t, filepath.Join(root, "measure_lib.c"), filepath.Join(bdir, "measure_lib.o"), "-DTI_BASELINE")
		_, mapFile := arm.link(t, bdir, "baseline", nil, obj)
		libBaseline = parseMap(t, mapFile)
	})
	src := filepath.Join(dir, "src")
	header := filepath.Join(src, lib.Name+"_inferencing.h")
	objs := []string{arm.armCompile(t, filepath.Join(root, "measure_lib.c"), filepath.Join(root, "measure_lib.o"), "-I", src, "-include", header),
		arm.armCompile(t, filepath.Join(dir, "example", "window.c"), filepath.Join(root, "window.o"), "-I", src)}
	// The library's own sources; its runtime files are deploy.Runtime()'s,
	// compiled once.
	for _, c := range []string{"ti_model_impulse.c", lib.Name + "_inferencing.c"} {
		objs = append(objs, arm.armCompile(t, filepath.Join(src, c), filepath.Join(src, strings.TrimSuffix(c, ".c")+".o"), "-I", src))
	}
	objs = append(objs, arm.runtimeObjects(t)...)
	elf, mapFile := arm.link(t, root, "measure_lib", nil, objs...)
	out := arm.run(t, root, elf, true)
	m := libMeasure{name: name, lib: lib}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) != 2 {
			continue
		}
		if f[0] == "a" || f[0] == "s" {
			u, err := strconv.ParseUint(f[1], 16, 32)
			if err != nil {
				t.Fatalf("bad line %q", line)
			}
			if f[0] == "a" {
				m.anomalyBits = uint32(u)
			} else {
				m.scores = append(m.scores, uint32(u))
			}
			continue
		}
		v, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			t.Fatalf("bad line %q", line)
		}
		switch f[0] {
		case "status":
			m.status = int32(v)
		case "result":
			m.result = int32(v)
		case "ticks":
			m.all = v * 40
		case "dsp":
			m.dsp = v * 40
		case "nn":
			m.nn = v * 40
		case "anomaly":
			m.anomaly = v * 40
		case "stack":
			m.stack = int(v)
		case "stack_dsp":
			m.stageStack[0] = int(v)
		case "stack_nn":
			m.stageStack[1] = int(v)
		case "stack_anomaly":
			m.stageStack[2] = int(v)
		case "status_stages":
			if v != 0 {
				t.Fatalf("%s: status %d in the stage-stack run", name, v)
			}
		}
	}
	if m.status != 0 {
		t.Fatalf("%s: status %d on the emulator\n%s", name, m.status, out)
	}
	sizes := parseMap(t, mapFile)
	gen := []string{"ti_model_impulse.o", lib.Name + "_inferencing.o"}
	m.rom, m.romByObject = romOf(sizes, libBaseline, gen...)
	delete(m.romByObject, "window.o")
	m.rom = 0
	for _, r := range m.romByObject {
		m.rom += r
	}
	for obj, ram := range sizes.ram {
		if slices.Contains(gen, obj) || strings.HasPrefix(obj, "ti_") {
			m.static += ram
		}
	}
	return m
}

// measuredLibraries measures the calibration libraries (gestures and every
// shared dataset's default impulse, int8 and float32 networks) on the
// emulator once per test binary, for TestQEMULibraries and
// TestQEMUCalibration.
var measuredLibs struct {
	once sync.Once
	ok   bool
	libs []calibrationLibrary
	ms   []libMeasure
}

func measuredLibraries(t *testing.T, arm armTools) ([]calibrationLibrary, []libMeasure) {
	t.Helper()
	measuredLibs.once.Do(func() {
		measuredLibs.libs = calibrationLibraries(t)
		for _, l := range measuredLibs.libs {
			measuredLibs.ms = append(measuredLibs.ms, measureLibrary(t, arm, l.name, l.lib))
		}
		measuredLibs.ok = true
	})
	if !measuredLibs.ok {
		t.Fatal("measuring the libraries failed (in the test that first asked)")
	}
	return measuredLibs.libs, measuredLibs.ms
}

// TestQEMULibraries measures the generated C libraries of the gestures
// impulse (testdata/gestures: spectral analysis, 39 features → dense 20 →
// 10 → 4, K-means) and of every shared dataset's default impulse, with
// their int8 and float32 networks, on the emulated Cortex-M4F:
// instructions per stage (DSP, network, anomaly) through run_classifier's
// clock, ROM from the linker map (the library's objects and what they add
// to an empty main's library members), static RAM (the arena among it)
// and the stack high-water mark of the whole run and of each stage. The
// emulator's result and scores must be the host float build's bit for
// bit, and its result Go's. The gestures impulse is held to Edge Impulse's
// published EON figures on a Cortex-M4F at 80 MHz (RAM 6.4 K — our static
// RAM and stack together —, ROM 42.5 K, DSP 15 ms, NN 1 ms, anomaly 1 ms),
// instructions converted to cycles with device-estimates.md's core factors
// (1.40 int8, 1.30 float32), and the MFCC impulse to 168 ms.
func TestQEMULibraries(t *testing.T) {
	arm := needARM(t)
	libs, rows := measuredLibraries(t, arm)
	for i, l := range libs {
		m := rows[i]
		mm, err := l.m.WithModelType(l.mt)
		if err != nil {
			t.Fatal(err)
		}
		c, err := mm.NewClassifier()
		if err != nil {
			t.Fatal(err)
		}
		var want impulse.Result
		if err := c.Classify(&want, l.win); err != nil {
			t.Fatal(err)
		}
		host := runLibDriver(t, buildLibDriver(t, l.lib, deploy.Float32, false), [][]float64{l.win}, len(l.lib.Impulse.Labels))[0]
		if m.result != host.result || m.anomalyBits != math.Float32bits(host.anomaly) || len(m.scores) != len(host.scores) {
			t.Errorf("%s: emulator result %d, anomaly %08x, %d scores; host %d, %08x, %d", m.name, m.result, m.anomalyBits, len(m.scores), host.result, math.Float32bits(host.anomaly), len(host.scores))
		}
		for i, s := range m.scores {
			if i < len(host.scores) && s != math.Float32bits(host.scores[i]) {
				t.Errorf("%s: score %d: emulator %v, host %v", m.name, i, math.Float32frombits(s), host.scores[i])
			}
		}
		if m.result != resultIndex(l.lib.Impulse.Labels, want) {
			t.Errorf("%s: emulator result %d, Go %q", m.name, m.result, want.Label)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "generated C libraries on the Cortex-M4F (QEMU mps2-an386, GCC 12 -O2, float build); ms at 80 MHz = instructions × 1.40 (int8 network) or 1.30 (float code) / 80e6\n")
	fmt.Fprintf(&b, "%-30s %10s %8s %10s %8s %9s %8s %8s %7s %15s %7s\n", "impulse", "DSP insn", "DSP ms", "NN insn", "NN ms", "anom insn", "anom ms", "static B", "arena", "stack (stages)", "ROM B")
	for _, m := range rows {
		int8 := m.lib.Impulse.Network != nil && m.lib.Impulse.Network.Int8()
		fmt.Fprintf(&b, "%-30s %10d %8.2f %10d %8.3f %9d %8.3f %8d %7d %15s %7d\n", m.name, m.dsp, ms(m.dsp, false), m.nn, ms(m.nn, int8),
			m.anomaly, ms(m.anomaly, false), m.ram(), m.lib.Impulse.ArenaBytes(deploy.Float32),
			fmt.Sprintf("%d (%d %d %d)", m.stack, m.stageStack[0], m.stageStack[1], m.stageStack[2]), m.rom)
	}
	for _, m := range rows {
		objs := make([]string, 0, len(m.romByObject))
		for o := range m.romByObject {
			objs = append(objs, o)
		}
		slices.Sort(objs)
		fmt.Fprintf(&b, "ROM of %s:", m.name)
		for _, o := range objs {
			fmt.Fprintf(&b, " %s %d;", o, m.romByObject[o])
		}
		b.WriteString("\n")
	}
	b.WriteString("Edge Impulse (EON, int8, Cortex-M4F 80 MHz), gestures: RAM 6.4 K, ROM 42.5 K, DSP 15 ms, NN 1 ms, anomaly 1 ms; keyword spotting MFCC: 168 ms\n")
	t.Log(b.String())
	g := rows[0] // gestures, int8
	if g.ram()+g.stack > 6554 || g.rom > 43520 || ms(g.dsp, false) > 15 || ms(g.nn, true) > 1 || ms(g.anomaly, false) > 1 {
		t.Errorf("gestures over Edge Impulse's published figures: RAM %d B with the stack (6.4 K), ROM %d B (42.5 K), DSP %.2f ms (15), NN %.3f ms (1), anomaly %.3f ms (1)",
			g.ram()+g.stack, g.rom, ms(g.dsp, false), ms(g.nn, true), ms(g.anomaly, false))
	}
	for _, m := range rows {
		if strings.HasPrefix(m.name, "kws-speech-commands") && ms(m.dsp, false) > 168 {
			t.Errorf("%s: MFCC %d instructions, %.1f ms at 80 MHz, over Edge Impulse's 168 ms", m.name, m.dsp, ms(m.dsp, false))
		}
	}
}
