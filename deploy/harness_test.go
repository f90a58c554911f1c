package deploy_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tinyimpulse/tinyimpulse/deploy"
	"github.com/tinyimpulse/tinyimpulse/dsp"
)

// refCase is one of Edge Impulse's DSP reference vectors
// (testdata/dsp/README.md gives their provenance): the request and what
// Edge Impulse's Python blocks returned.
type refCase struct {
	req       dsp.Request
	ID        string    `json:"id"`
	Features  []float64 `json:"features"`
	Error     string    `json:"error"`
	Tolerance struct {
		RTol    float64 `json:"rtol"`
		ATol    float64 `json:"atol"`
		MaxFlip float64 `json:"max_quantisation_flips"`
	} `json:"tolerance"`
	window []float64
	block  *deploy.DSPBlock
	input  dsp.Input // the block's input shape
}

// loadRefCases reads the reference vectors (../testdata/dsp holds the same
// files as ../shared/reference/dsp, plus the oracle cases) and prepares
// every accepted configuration for the C runtime.
func loadRefCases(t *testing.T) []*refCase {
	t.Helper()
	files, err := filepath.Glob("../testdata/dsp/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no reference vectors in ../testdata/dsp: %v", err)
	}
	more, _ := filepath.Glob("../testdata/dsp/oracle/*.json")
	files = append(files, more...)
	var cases []*refCase
	for _, f := range files {
		if filepath.Base(f) == "wavelet_filters.json" {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		c := &refCase{}
		if err := json.Unmarshal(data, &c.req); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if err := json.Unmarshal(data, c); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		blk, window, err := c.req.Build()
		if c.Error != "" {
			if err == nil {
				t.Fatalf("%s: dsp accepted a configuration Edge Impulse refuses", c.ID)
			}
			continue // the generator never sees a refused configuration
		}
		if err != nil {
			t.Fatalf("%s: %v", c.ID, err)
		}
		if c.block, err = deploy.NewDSPBlock(blk); err != nil {
			t.Fatalf("%s: %v", c.ID, err)
		}
		d, err := dsp.DesignOf(blk)
		if err != nil {
			t.Fatal(err)
		}
		c.input = d.Input
		c.window = window
		cases = append(cases, c)
	}
	return cases
}

var driverKinds = map[string]int{"raw": 0, "flatten": 1, "image": 2, "spectral": 3, "spectrogram": 4, "mfe": 5, "mfcc": 6}

// casesC generates the configurations of every case and the table the
// driver reads.
func casesC(t *testing.T, cases []*refCase, p deploy.Precision) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("#include <stdint.h>\n#include \"ti_dsp.h\"\n")
	for i, c := range cases {
		src, err := c.block.CSource(fmt.Sprintf("case%d", i))
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString(src)
	}
	b.WriteString("typedef struct tcase { int kind; const void *cfg; uint32_t n_in, n_out; uint32_t arena; } tcase;\n")
	b.WriteString("const tcase ti_cases[] = {\n")
	for i, c := range cases {
		fmt.Fprintf(&b, "\t{%d, &case%d, %du, %du, %du},\n", driverKinds[c.block.Kind()], i, c.block.InputLen(), c.block.Features(), c.block.ArenaBytes(p))
	}
	fmt.Fprintf(&b, "};\nconst uint32_t ti_n_cases = %du;\n", len(cases))
	return b.String()
}

// writeRuntime copies the embedded C runtime into dir.
func writeRuntime(t *testing.T, dir string) []string {
	t.Helper()
	var srcs []string
	err := fs.WalkDir(deploy.Runtime(), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(deploy.Runtime(), path)
		if err != nil {
			return err
		}
		if strings.HasSuffix(path, ".c") {
			srcs = append(srcs, filepath.Join(dir, path))
		}
		return os.WriteFile(filepath.Join(dir, path), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return srcs
}

// hostCC returns the host C compiler, or skips the test when there is none.
func hostCC(t *testing.T) string {
	t.Helper()
	cc, err := exec.LookPath("cc")
	if err != nil {
		t.Skip("no C compiler (cc) on this machine: the C runtime's host checks need one")
	}
	return cc
}

// cflags are the warnings the generated library must compile cleanly with.
var cflags = []string{"-std=c99", "-Wall", "-Wextra", "-Werror"}

// buildDriver compiles the runtime, the cases and the driver for the host.
func buildDriver(t *testing.T, cases []*refCase, p deploy.Precision, asan bool) string {
	t.Helper()
	cc := hostCC(t)
	dir := t.TempDir()
	srcs := writeRuntime(t, dir)
	if err := os.WriteFile(filepath.Join(dir, "cases.c"), []byte(casesC(t, cases, p)), 0o644); err != nil {
		t.Fatal(err)
	}
	driver, err := os.ReadFile("testdata/dspdriver.c")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "dspdriver.c"), driver, 0o644); err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(dir, "dspdriver")
	args := append([]string{}, cflags...)
	args = append(args, "-D"+p.Define(), "-I", dir, "-o", exe)
	if p == deploy.Float32 {
		args = append(args, "-Wdouble-promotion")
	}
	if asan {
		args = append(args, "-O1", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer", "-DTI_CANARY=0")
	} else {
		args = append(args, "-O2")
	}
	args = append(args, srcs...)
	args = append(args, filepath.Join(dir, "cases.c"), filepath.Join(dir, "dspdriver.c"), "-lm")
	cmd := exec.Command(cc, args...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", cc, strings.Join(args, " "), err, out)
	}
	return exe
}

// driverResult is what the driver reports for one case.
type driverResult struct {
	status       int32
	cArena, used uint32
	flags        uint32
	bad          uint32
	features     []float64
}

// driverInput encodes every case's window for the driver.
func driverInput(cases []*refCase) []byte {
	var in bytes.Buffer
	for i, c := range cases {
		binary.Write(&in, binary.LittleEndian, uint32(i))
		binary.Write(&in, binary.LittleEndian, c.window)
	}
	binary.Write(&in, binary.LittleEndian, uint32(0xffffffff))
	return in.Bytes()
}

// parseDriverOutput decodes the driver's answers.
func parseDriverOutput(t *testing.T, out []byte, cases []*refCase) []driverResult {
	t.Helper()
	r := bytes.NewReader(out)
	res := make([]driverResult, len(cases))
	for i, c := range cases {
		d := &res[i]
		var hdr [5]uint32
		if err := binary.Read(r, binary.LittleEndian, &hdr); err != nil {
			t.Fatalf("driver output for %s: %v", c.ID, err)
		}
		d.status, d.cArena, d.used, d.flags, d.bad = int32(hdr[0]), hdr[1], hdr[2], hdr[3], hdr[4]
		d.features = make([]float64, c.block.Features())
		if err := binary.Read(r, binary.LittleEndian, d.features); err != nil {
			t.Fatalf("driver output for %s: %v", c.ID, err)
		}
	}
	if r.Len() != 0 {
		t.Fatalf("driver wrote %d bytes more than expected", r.Len())
	}
	return res
}

// runDriver runs every case through a driver executable.
func runDriver(t *testing.T, exe string, cases []*refCase) []driverResult {
	t.Helper()
	cmd := exec.Command(exe)
	cmd.Stdin = bytes.NewReader(driverInput(cases))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", exe, err, stderr.String())
	}
	return parseDriverOutput(t, out, cases)
}

// f32Tolerance is the tolerance the reference vectors give blocks Edge
// Impulse computes partly in float32: rtol 1e-4, atol 1e-5·max(1, max|exp|).
func f32Tolerance(want []float64) (rtol, atol float64) {
	m := 1.0
	for _, v := range want {
		m = math.Max(m, math.Abs(v))
	}
	return 1e-4, 1e-5 * m
}

// tolerance returns the tolerance a precision is held to on a case: the
// case's own, widened to the float32 tolerance for the float32 build where
// the reference computes in float64 (and its tolerance is tighter).
func (c *refCase) tolerance(p deploy.Precision) (rtol, atol float64) {
	rtol, atol = c.Tolerance.RTol, c.Tolerance.ATol
	if p == deploy.Float32 {
		r32, a32 := f32Tolerance(c.Features)
		rtol, atol = math.Max(rtol, r32), math.Max(atol, a32)
	}
	return rtol, atol
}

// float32Noise lists the reference features that are float64 rounding
// noise, which a float32 build cannot reproduce, with what the float32
// build is held to there instead.
var float32Noise = map[string]struct {
	from, to int // features [from, to)
	why      string
	check    func(got, want []float64) error
}{
	"mfcc_v4_digital_silence": {0, 650,
		"every normalisation window holds equal rows: the reference's values (|v| <= 2.2e-4) are its float64 rounding residue divided by a zero spread",
		func(got, want []float64) error {
			for i := range got {
				if math.Abs(got[i]) > 1e-3 {
					return fmt.Errorf("feature %d is %g, not within 1e-3 of 0 as the reference's residues are", i, got[i])
				}
			}
			return nil
		}},
	"sa_v4_f32_mean_over_8192_ax0": {13, 19,
		"the extra-low-frequency part of a signal high-passed at 0.9×Nyquist: what survives the decimation filter (RMS 2.7e-10, 2e-8 of the signal's) is rounding noise",
		func(got, want []float64) error {
			if got[13] > 1e-7*got[0] {
				return fmt.Errorf("RMS LF %g is above 1e-7 of the RMS %g", got[13], got[0])
			}
			return nil
		}},
}

// compare checks got against the case as dsp's parity test does: each
// value within atol + rtol·|want|, and for the quantised MFE versions at
// most MaxFlip of the values one level (or the wrap) off. It returns the
// largest difference as a fraction of the tolerance and the flip count.
func (c *refCase) compare(t *testing.T, p deploy.Precision, got []float64) (used float64, flips int) {
	t.Helper()
	rtol, atol := c.tolerance(p)
	worst, worstAt := 0.0, -1
	noise, isNoise := float32Noise[c.ID]
	if p != deploy.Float32 {
		isNoise = false
	}
	if isNoise {
		if err := noise.check(got, c.Features); err != nil {
			t.Errorf("%s (%s): %v", c.ID, p, err)
		}
	}
	for i, want := range c.Features {
		if isNoise && i >= noise.from && i < noise.to {
			continue
		}
		d := math.Abs(got[i] - want)
		allowed := atol + rtol*math.Abs(want)
		if d <= allowed {
			if allowed > 0 {
				used = math.Max(used, d/allowed)
			}
			continue
		}
		if c.Tolerance.MaxFlip > 0 && (math.Abs(d-1.0/256) < 1e-12 || math.Abs(d-255.0/256) < 1e-12) {
			flips++
			continue
		}
		if r := d / allowed; !(r <= worst) {
			worst, worstAt = r, i
		}
	}
	if worstAt >= 0 {
		t.Errorf("%s (%s): feature %d: got %.10g, want %.10g (%.3g× the tolerance)", c.ID, p, worstAt, got[worstAt], c.Features[worstAt], worst)
	}
	if lim := c.Tolerance.MaxFlip * float64(len(got)); float64(flips) > lim {
		t.Errorf("%s (%s): %d quantisation flips, at most %.0f allowed", c.ID, p, flips, lim)
	}
	return used, flips
}

// checkMemory checks one case's status, memory use and bad-input checks:
// NULL pointers, a signal of the wrong length, get_data failing, NaN and
// infinite values, pixels that are not 0xRRGGBB integers and a short arena
// must each return their error code, and no run may write outside the
// arena or the output or read outside the window.
func (c *refCase) checkMemory(t *testing.T, p deploy.Precision, r driverResult) {
	t.Helper()
	want := c.block.ArenaBytes(p)
	switch {
	case r.status != 0:
		t.Errorf("%s (%s): status %d", c.ID, p, r.status)
	case int(r.cArena) != want:
		t.Errorf("%s (%s): ti_%s_arena_size = %d, Go ArenaBytes = %d", c.ID, p, c.block.Kind(), r.cArena, want)
	case r.flags&1 != 0:
		t.Errorf("%s (%s): the block wrote past its %d-byte arena", c.ID, p, want)
	case r.flags&2 != 0:
		t.Errorf("%s (%s): the block wrote past its %d features", c.ID, p, c.block.Features())
	case r.flags&4 != 0:
		t.Errorf("%s (%s): the block read outside the window", c.ID, p)
	case r.flags&8 != 0:
		t.Errorf("%s (%s): a second run on the same window gave other features", c.ID, p)
	case r.bad != 0:
		t.Errorf("%s (%s): bad-input checks failed (bits %b of dspdriver.c's bad_inputs: 0-3 NULL config, signal, output, get_data; 4-5 wrong length; 6-7 NULL or short arena; 8-10 get_data failing; 11-13 NaN, ±Inf; 14-16 bad pixels; 20 read outside the window)", c.ID, p, r.bad)
	}
}
