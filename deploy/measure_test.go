package deploy_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tinyimpulse/tinyimpulse/deploy"
	"github.com/tinyimpulse/tinyimpulse/dsp"
)

// mapSizes are the bytes an ELF's linker map assigns per input object:
// ROM is .text (code and read-only data), .ARM.exidx/.ARM.extab and .data
// (whose initial values a device keeps in flash); RAM is .data and .bss.
type mapSizes struct {
	rom, ram map[string]int
}

// parseMap reads a GNU ld map file.
func parseMap(t *testing.T, path string) mapSizes {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m := mapSizes{rom: map[string]int{}, ram: map[string]int{}}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	inMap, section := false, ""
	var pending string // an input section whose address, size and file follow on the next line
	for sc.Scan() {
		line := sc.Text()
		if !inMap {
			inMap = strings.HasPrefix(line, "Linker script and memory map")
			continue
		}
		if line == "" {
			continue
		}
		if line[0] != ' ' {
			section = strings.Fields(line)[0]
			pending = ""
			continue
		}
		fields := strings.Fields(line)
		if pending != "" {
			fields = append([]string{pending}, fields...)
			pending = ""
		} else if len(line) > 1 && line[1] != ' ' && !strings.HasPrefix(fields[0], "*") {
			if len(fields) == 1 {
				pending = fields[0]
				continue
			}
		} else {
			continue // symbol, fill or linker-script line
		}
		if len(fields) < 4 || !strings.HasPrefix(fields[1], "0x") {
			continue
		}
		size, err := strconv.ParseInt(strings.TrimPrefix(fields[2], "0x"), 16, 64)
		if err != nil {
			continue
		}
		obj := filepath.Base(strings.Join(fields[3:], " "))
		switch section {
		case ".text", ".ARM.exidx", ".ARM.extab":
			m.rom[obj] += int(size)
		case ".data":
			m.rom[obj] += int(size)
			m.ram[obj] += int(size)
		case ".bss":
			m.ram[obj] += int(size)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return m
}

// measurement is what the emulator measured for one block.
type measurement struct {
	name         string
	block        *deploy.DSPBlock
	instructions int64
	stack        int
	arena        int
	rom          int
	romByObject  map[string]int
	staticRAM    int
	features     []uint32
}

// ms converts instructions to milliseconds on a Cortex-M4F at 80 MHz with
// the float32 core factor of ../shared/spec/device-estimates.md §5.3 (1.30
// cycles per instruction).
func (m measurement) ms() float64 { return float64(m.instructions) * 1.30 / 80e6 * 1e3 }

// armBench compiles the runtime for the Cortex-M4F once and measures
// blocks against an empty-main baseline.
type armBench struct {
	arm      armTools
	dir      string
	runtime  []string // objects
	baseline mapSizes
}

// compile compiles src to obj for the Cortex-M4F (float32 build), with
// the headers of the directories incs.
func (a armTools) compile(t *testing.T, incs []string, src, obj string, defs ...string) string {
	t.Helper()
	args := append([]string{}, cflags...)
	args = append(args, armFlags...)
	args = append(args, "-Wdouble-promotion", "-D"+deploy.Float32.Define())
	for _, d := range defs {
		args = append(args, "-D"+d)
	}
	for _, d := range incs {
		args = append(args, "-I", d)
	}
	args = append(args, "-c", src, "-o", obj)
	if out, err := exec.Command(a.gcc, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", a.gcc, strings.Join(args, " "), err, out)
	}
	return obj
}

func newArmBench(t *testing.T, arm armTools) *armBench {
	t.Helper()
	b := &armBench{arm: arm, dir: t.TempDir()}
	for _, src := range writeRuntime(t, b.dir) {
		b.runtime = append(b.runtime, arm.compile(t, []string{b.dir}, src, strings.TrimSuffix(src, ".c")+".o"))
	}
	b.baseline = b.baselineOf(t, "measure")
	return b
}

// baselineOf builds the harness testdata/arm/<harness>.c without the code
// under test (TI_BASELINE) and returns its map sizes.
func (b *armBench) baselineOf(t *testing.T, harness string) mapSizes {
	t.Helper()
	copyTestdata(t, b.dir, "arm/"+harness+".c")
	dir := filepath.Join(b.dir, harness+"-baseline")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	hdr := map[string]string{"measure": "measure_block.h", "measure_impulse": "measure_impulse.h"}[harness]
	if err := os.WriteFile(filepath.Join(dir, hdr), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	obj := b.arm.compile(t, []string{dir, b.dir}, filepath.Join(b.dir, harness+".c"), filepath.Join(dir, harness+".o"), "TI_BASELINE")
	_, mapFile := b.arm.link(t, dir, "baseline", nil, obj)
	return parseMap(t, mapFile)
}

// inputC returns C source of window as the const array ti_input.
func inputC(window []float64) string {
	var in strings.Builder
	fmt.Fprintf(&in, "#include \"ti_dsp.h\"\nconst ti_real ti_input[%d] = {\n", len(window))
	for i, v := range window {
		lit := strconv.FormatFloat(v, 'g', -1, 64)
		if !strings.ContainsAny(lit, ".e") {
			lit += ".0"
		}
		in.WriteString(lit + ",")
		if i%8 == 7 {
			in.WriteString("\n")
		}
	}
	in.WriteString("};\n")
	return in.String()
}

// romOf returns the ROM of the code under test in a map: the runtime's
// objects, the generated objects gen, and what library members add to the
// baseline's.
func romOf(sizes, baseline mapSizes, gen ...string) (total int, byObject map[string]int) {
	byObject = map[string]int{}
	for obj, rom := range sizes.rom {
		switch {
		case slices.Contains(gen, obj) || strings.HasPrefix(obj, "ti_"):
			byObject[obj] = rom
		case strings.HasPrefix(obj, "measure") || obj == "input.o" || obj == "startup.o":
		case rom > baseline.rom[obj]:
			byObject[obj] = rom - baseline.rom[obj]
		}
	}
	for _, rom := range byObject {
		total += rom
	}
	return total, byObject
}

// measure builds and runs one block on window.
func (b *armBench) measure(t *testing.T, name string, blk *deploy.DSPBlock, window []float64) measurement {
	t.Helper()
	dir := filepath.Join(b.dir, name)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	src, err := blk.CSource("blk")
	if err != nil {
		t.Fatal(err)
	}
	arena := blk.ArenaBytes(deploy.Float32)
	hdr := fmt.Sprintf("#define BLOCK_FUNC %s\n#define BLOCK_ARENA_FUNC %s_arena_size\n#define BLOCK_CONFIG_TYPE %s\n#define N_IN %d\n#define N_OUT %d\n#define ARENA %d\n",
		blk.Func(), "ti_"+blk.Kind(), blk.ConfigType(), blk.InputLen(), blk.Features(), arena)
	for file, text := range map[string]string{"measure_block.h": hdr, "block.c": src, "input.c": inputC(window)} {
		if err := os.WriteFile(filepath.Join(dir, file), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	objs := []string{
		b.arm.compile(t, []string{dir, b.dir}, filepath.Join(b.dir, "measure.c"), filepath.Join(dir, "measure.o")),
		b.arm.compile(t, []string{b.dir}, filepath.Join(dir, "block.c"), filepath.Join(dir, "block.o")),
		b.arm.compile(t, []string{b.dir}, filepath.Join(dir, "input.c"), filepath.Join(dir, "input.o")),
	}
	elf, mapFile := b.arm.link(t, dir, name, nil, append(objs, b.runtime...)...)
	out := b.arm.run(t, dir, elf, true)

	m := measurement{name: name, block: blk, arena: arena, romByObject: map[string]int{}}
	var ticks int64
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) != 2 {
			continue
		}
		v, err := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "status":
			if err != nil || v != 0 {
				t.Fatalf("%s: status %s on the emulator", name, f[1])
			}
		case "ticks":
			ticks = v
		case "stack":
			m.stack = int(v)
		case "arena":
			if int(v) != arena {
				t.Errorf("%s: ti_%s_arena_size = %d on the emulator, Go ArenaBytes = %d", name, blk.Kind(), v, arena)
			}
		case "f":
			u, err := strconv.ParseUint(f[1], 16, 32)
			if err != nil {
				t.Fatalf("%s: bad feature line %q", name, line)
			}
			m.features = append(m.features, uint32(u))
		}
	}
	m.instructions = ticks * 40
	if len(m.features) != blk.Features() {
		t.Fatalf("%s: the emulator printed %d features, want %d\n%s", name, len(m.features), blk.Features(), out)
	}
	// ROM: the runtime's and the configuration's objects, and what the
	// library members they pull in add to the empty-main baseline.
	sizes := parseMap(t, mapFile)
	m.rom, m.romByObject = romOf(sizes, b.baseline, "block.o")
	for obj, ram := range sizes.ram {
		if obj == "block.o" || strings.HasPrefix(obj, "ti_") {
			m.staticRAM += ram
		}
	}
	return m
}

// gesturesBlock builds the spectral analysis block of the gestures impulse
// (testdata/impulses/gestures.json; 2 s of 3-axis accelerometer data at
// 62.5 Hz) and returns it with a window of the project's gestures data.
func gesturesBlock(t *testing.T) (dsp.Block, []float64) {
	t.Helper()
	var def struct {
		Impulse struct {
			DSPBlocks []struct {
				ID                    int      `json:"id"`
				Type                  string   `json:"type"`
				Axes                  []string `json:"axes"`
				ImplementationVersion int      `json:"implementationVersion"`
			} `json:"dspBlocks"`
		} `json:"impulse"`
		DSP map[string]map[string]any `json:"dsp"`
	}
	data, err := os.ReadFile("../testdata/impulses/gestures.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &def); err != nil {
		t.Fatal(err)
	}
	d := def.Impulse.DSPBlocks[0]
	var sample struct {
		Payload struct {
			IntervalMs float64     `json:"interval_ms"`
			Values     [][]float64 `json:"values"`
		} `json:"payload"`
	}
	files, _ := filepath.Glob("../testdata/gestures/training/*.json")
	if len(files) == 0 {
		t.Fatal("no gestures samples in ../testdata/gestures/training")
	}
	data, err = os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &sample); err != nil {
		t.Fatal(err)
	}
	hz := 1000 / sample.Payload.IntervalMs
	n := int(math.Round(2000 / sample.Payload.IntervalMs)) // the impulse's 2000 ms window
	if len(sample.Payload.Values) < n {
		t.Fatalf("%s: %d samples, want at least %d", files[0], len(sample.Payload.Values), n)
	}
	var window []float64
	for _, row := range sample.Payload.Values[:n] {
		window = append(window, row...)
	}
	blk, err := dsp.New(d.Type, d.ImplementationVersion, def.DSP[strconv.Itoa(d.ID)], dsp.Input{FrequencyHz: hz, Axes: len(d.Axes), Samples: n})
	if err != nil {
		t.Fatal(err)
	}
	return blk, window
}

// TestQEMUMeasure measures processing blocks built for the Cortex-M4F on
// the emulated board: instructions of one window (exact, from the timer
// under -icount), ROM from the linker map (the runtime's objects, the
// generated configuration and what they add to an empty main's library
// members), static RAM, arena and stack high-water mark. It measures the
// two blocks of the goals (MFCC v4 defaults, 1 s at 16 kHz, at or
// under Edge Impulse's 168 ms on a Cortex-M4F at 80 MHz; the gestures
// spectral block at or under 15 ms) and one reference case per block type
// and version, and checks that every emulated feature is bit for bit the
// host float32 build's.
func TestQEMUMeasure(t *testing.T) {
	arm := needARM(t)
	cases := loadRefCases(t)
	var sel []*refCase
	seen := map[string]bool{}
	for _, c := range cases {
		if k := blockKey(c); !seen[k] || c.ID == "mfcc_v4_default_16khz_1s" {
			seen[k] = true
			sel = append(sel, c)
		}
	}
	gest, gestWindow := gesturesBlock(t)
	gblk, err := deploy.NewDSPBlock(gest)
	if err != nil {
		t.Fatal(err)
	}
	sel = append(sel, &refCase{ID: "gestures_spectral", block: gblk, window: gestWindow})
	host := runDriver(t, buildDriver(t, sel, deploy.Float32, false), sel)

	bench := newArmBench(t, arm)
	var rows []measurement
	for i, c := range sel {
		m := bench.measure(t, c.ID, c.block, c.window)
		for j, f := range host[i].features {
			if math.Float32bits(float32(f)) != m.features[j] {
				t.Errorf("%s: feature %d: emulator %v, host %v", c.ID, j, math.Float32frombits(m.features[j]), f)
				break
			}
		}
		rows = append(rows, m)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Cortex-M4F (QEMU mps2-an386, GCC 12 -O2, float32 build); ms at 80 MHz = instructions × 1.30 / 80e6\n")
	fmt.Fprintf(&b, "%-36s %9s %12s %9s %8s %8s %8s %8s\n", "block", "features", "instructions", "ms@80MHz", "ROM B", "arena B", "out B", "stack B")
	for _, m := range rows {
		fmt.Fprintf(&b, "%-36s %9d %12d %9.3f %8d %8d %8d %8d\n", m.name, m.block.Features(), m.instructions, m.ms(), m.rom, m.arena, 4*m.block.Features(), m.stack)
		if m.staticRAM != 0 {
			t.Errorf("%s: the runtime has %d bytes of static RAM, want none", m.name, m.staticRAM)
		}
	}
	for _, m := range rows {
		if m.name != "mfcc_v4_default_16khz_1s" && m.name != "gestures_spectral" {
			continue
		}
		objs := make([]string, 0, len(m.romByObject))
		for o := range m.romByObject {
			objs = append(objs, o)
		}
		slices.Sort(objs)
		fmt.Fprintf(&b, "ROM of %s by object:", m.name)
		for _, o := range objs {
			fmt.Fprintf(&b, " %s %d;", o, m.romByObject[o])
		}
		b.WriteString("\n")
		goal := map[string]float64{"mfcc_v4_default_16khz_1s": 168, "gestures_spectral": 15}[m.name]
		if m.ms() > goal {
			t.Errorf("%s: %d instructions, %.1f ms at 80 MHz, over Edge Impulse's %.0f ms", m.name, m.instructions, m.ms(), goal)
		}
	}
	t.Log(b.String())
}
