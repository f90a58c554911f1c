package deploy_test

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tinyimpulse/tinyimpulse/deploy"
)

// TestQEMUImpulse measures the whole gestures impulse (spectral analysis →
// float32 dense network + K-means, as newGesturesImpulse trains it) on the
// emulated Cortex-M4F: instructions per stage through ti_run_classifier's
// clock (the CMSDK timer under -icount), ROM from the linker map (runtime
// objects, the generated impulse with its weights, and what they add to
// the harness's baseline), RAM (the arena, the scores and the stack
// high-water mark; the runtime has no static RAM), and checks the result
// and scores bit for bit against the host float32 build. Edge Impulse
// publishes for this impulse on a Cortex-M4F at 80 MHz (int8, EON): RAM
// 6.4 K, ROM 42.5 K, DSP 15 ms, NN 1 ms, anomaly 1 ms.
func TestQEMUImpulse(t *testing.T) {
	arm := needARM(t)
	g := newGesturesImpulse(t)
	window := g.windows[0]
	host := runImpDriver(t, buildImpDriver(t, g.imp, deploy.Float32, false), [][]float64{window}, len(g.labels))[0]

	bench := newArmBench(t, arm)
	base := bench.baselineOf(t, "measure_impulse")
	dir := filepath.Join(bench.dir, "gestures")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	src, err := g.imp.CSource("imp")
	if err != nil {
		t.Fatal(err)
	}
	arena := g.imp.ArenaBytes(deploy.Float32)
	hdr := fmt.Sprintf("#define N_IN %d\n#define N_OUT %d\n#define ARENA %d\n", len(window), len(g.labels), arena)
	for file, text := range map[string]string{"measure_impulse.h": hdr, "imp.c": src, "input.c": inputC(window)} {
		if err := os.WriteFile(filepath.Join(dir, file), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	objs := []string{
		arm.compile(t, []string{dir, bench.dir}, filepath.Join(bench.dir, "measure_impulse.c"), filepath.Join(dir, "measure_impulse.o")),
		arm.compile(t, []string{bench.dir}, filepath.Join(dir, "imp.c"), filepath.Join(dir, "imp.o")),
		arm.compile(t, []string{bench.dir}, filepath.Join(dir, "input.c"), filepath.Join(dir, "input.o")),
	}
	elf, mapFile := arm.link(t, dir, "gestures", nil, append(objs, bench.runtime...)...)
	out := arm.run(t, dir, elf, true)

	fig := map[string]int64{}
	var scores []uint32
	var anomalyBits uint32
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) != 2 {
			continue
		}
		switch f[0] {
		case "a", "s":
			u, err := strconv.ParseUint(f[1], 16, 32)
			if err != nil {
				t.Fatalf("bad line %q", line)
			}
			if f[0] == "a" {
				anomalyBits = uint32(u)
			} else {
				scores = append(scores, uint32(u))
			}
		default:
			v, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				t.Fatalf("bad line %q", line)
			}
			fig[f[0]] = v
		}
	}
	if fig["status"] != 0 {
		t.Fatalf("status %d on the emulator\n%s", fig["status"], out)
	}
	if int32(fig["result"]) != host.result || anomalyBits != math.Float32bits(float32(host.anomaly)) || len(scores) != len(host.scores) {
		t.Errorf("emulator: result %d, anomaly %v, %d scores; host: %d, %v, %d", fig["result"], math.Float32frombits(anomalyBits), len(scores), host.result, host.anomaly, len(host.scores))
	}
	for i, s := range scores {
		if i < len(host.scores) && s != math.Float32bits(float32(host.scores[i])) {
			t.Errorf("score %d: emulator %v, host %v", i, math.Float32frombits(s), host.scores[i])
		}
	}
	sizes := parseMap(t, mapFile)
	rom, byObject := romOf(sizes, base, "imp.o")
	static := 0
	for obj, ram := range sizes.ram {
		if obj == "imp.o" || strings.HasPrefix(obj, "ti_") {
			static += ram
		}
	}
	ram := arena + 4*len(g.labels) + int(fig["stack"]) + static
	ms := func(ticks int64) float64 { return float64(ticks*40) * 1.30 / 80e6 * 1e3 }
	objs = objs[:0]
	for o := range byObject {
		objs = append(objs, o)
	}
	slices.Sort(objs)
	var b strings.Builder
	fmt.Fprintf(&b, "gestures impulse on the Cortex-M4F (QEMU mps2-an386, GCC 12 -O2, float32 build; ms at 80 MHz = instructions × 1.30 / 80e6)\n")
	fmt.Fprintf(&b, "  DSP %d instructions (%.2f ms), NN %d (%.3f ms), anomaly %d (%.3f ms), whole run %d (%.2f ms)\n",
		fig["dsp"]*40, ms(fig["dsp"]), fig["nn"]*40, ms(fig["nn"]), fig["anomaly"]*40, ms(fig["anomaly"]), fig["ticks"]*40, ms(fig["ticks"]))
	fmt.Fprintf(&b, "  RAM %d B (arena %d, scores %d, stack %d, static %d); ROM %d B:", ram, arena, 4*len(g.labels), fig["stack"], static, rom)
	for _, o := range objs {
		fmt.Fprintf(&b, " %s %d;", o, byObject[o])
	}
	b.WriteString("\n  Edge Impulse (EON, int8, Cortex-M4F 80 MHz): RAM 6.4 K, ROM 42.5 K, DSP 15 ms, NN 1 ms, anomaly 1 ms\n")
	t.Log(b.String())
	if ram > 6554 || rom > 43520 || ms(fig["dsp"]) > 15 || ms(fig["nn"]) > 1 || ms(fig["anomaly"]) > 1 {
		t.Errorf("over Edge Impulse's published figures: RAM %d B (6.4 K), ROM %d B (42.5 K), DSP %.2f ms (15), NN %.3f ms (1), anomaly %.3f ms (1)",
			ram, rom, ms(fig["dsp"]), ms(fig["nn"]), ms(fig["anomaly"]))
	}
}
