package deploy_test

import (
	"bytes"
	"context"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tinyimpulse/tinyimpulse/dataset"
	"github.com/tinyimpulse/tinyimpulse/deploy"
	"github.com/tinyimpulse/tinyimpulse/impulse"
	"github.com/tinyimpulse/tinyimpulse/internal/testenv"
)

var trainTime = time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC)

// trainedModel trains an impulse definition (testdata/impulses/<def>.json)
// on a dataset folder once per test binary.
type trainedModel struct {
	once sync.Once
	m    *impulse.Model
	ds   *dataset.Dataset
	err  error
}

var (
	trainedMu sync.Mutex
	trained   = map[string]*trainedModel{}
)

func trainModel(t *testing.T, defFile, dataDir string) (*impulse.Model, *dataset.Dataset) {
	t.Helper()
	trainedMu.Lock()
	tm := trained[defFile+"|"+dataDir]
	if tm == nil {
		tm = &trainedModel{}
		trained[defFile+"|"+dataDir] = tm
	}
	trainedMu.Unlock()
	tm.once.Do(func() {
		def, err := impulse.LoadDefinition(defFile)
		if err != nil {
			tm.err = err
			return
		}
		if tm.ds, tm.err = dataset.Load(dataDir); tm.err != nil {
			return
		}
		im, err := impulse.Compile(def, tm.ds)
		if err != nil {
			tm.err = err
			return
		}
		tm.m, tm.err = impulse.Train(context.Background(), im, tm.ds, impulse.TrainOptions{Seed: 1, Created: trainTime})
	})
	if tm.err != nil {
		t.Fatalf("training %s on %s: %v", defFile, dataDir, tm.err)
	}
	return tm.m, tm.ds
}

// firstWindow returns the raw values of the first classification window of
// the dataset's first testing sample, and Go's classification of it.
func firstWindow(t *testing.T, m *impulse.Model, ds *dataset.Dataset) ([]float64, impulse.Result) {
	t.Helper()
	p, err := m.Impulse().NewProcessor()
	if err != nil {
		t.Fatal(err)
	}
	s := ds.Category(dataset.CategoryTesting)[0]
	ws, err := p.Windows(nil, s, impulse.ClassificationWindows)
	if err != nil {
		t.Fatal(err)
	}
	win, err := p.AppendWindow(nil, s, ws[0])
	if err != nil {
		t.Fatal(err)
	}
	c, err := m.NewClassifier()
	if err != nil {
		t.Fatal(err)
	}
	var r impulse.Result
	if err := c.Classify(&r, win); err != nil {
		t.Fatal(err)
	}
	return win, r
}

// run runs a command in dir and returns its output, failing the test on
// error.
func run(t *testing.T, dir string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s (in %s): %v\n%s", name, strings.Join(args, " "), dir, err, out)
	}
	return string(out)
}

// classifyOutput is what the library's example program printed.
type classifyOutput struct {
	scores  map[string]float64
	anomaly float64
	value   float64
	result  string
}

func parseClassify(t *testing.T, out string) classifyOutput {
	t.Helper()
	c := classifyOutput{scores: map[string]float64{}}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		k, v, ok := strings.Cut(line, ": ")
		if !ok {
			t.Fatalf("classify printed %q", line)
		}
		if k == "result" {
			c.result = v
			continue
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			t.Fatalf("classify printed %q", line)
		}
		switch k {
		case "anomaly":
			c.anomaly = f
		case "value":
			c.value = f
		default:
			c.scores[k] = f
		}
	}
	return c
}

// checkClassify compares the example's output with Go's result: the same
// decided result, each score and the anomaly score the float32 of Go's when
// exact, else within tol (the anomaly score relative to its magnitude).
func checkClassify(t *testing.T, what string, got classifyOutput, want impulse.Result, exact bool, tol float64) {
	t.Helper()
	if got.result != want.Label {
		t.Errorf("%s: result %q, Go %q", what, got.result, want.Label)
	}
	for i, l := range want.Labels {
		g, ok := got.scores[l]
		w := want.Scores[i]
		switch {
		case !ok:
			t.Errorf("%s: no score for %q", what, l)
		case exact && float32(g) != float32(w):
			t.Errorf("%s: %s %v, Go %v", what, l, g, w)
		case !exact && math.Abs(g-w) > tol:
			t.Errorf("%s: %s %v, Go %v (tolerance %g)", what, l, g, w, tol)
		}
	}
	switch {
	case !want.HasAnomaly:
	case exact && float32(got.anomaly) != float32(want.Anomaly):
		t.Errorf("%s: anomaly %v, Go %v (float32 %v)", what, got.anomaly, want.Anomaly, float32(want.Anomaly))
	case !exact && math.Abs(got.anomaly-want.Anomaly) > tol*math.Max(1, math.Abs(want.Anomaly)):
		t.Errorf("%s: anomaly %v, Go %v", what, got.anomaly, want.Anomaly)
	}
}

// TestLibraryZip writes the C library of the gestures impulse (trained on
// testdata/gestures: spectral analysis, int8 network, K-means) with a
// testing window as its example, unzips it and builds it exactly as its
// README says: make, cc -std=c99 -Wall -Wextra -Werror on its sources, the
// double-precision build, CMake (where installed), the Arduino sketch as
// C++ against a stub Arduino.h, and the Cortex-M4F static library and
// example (run on the emulator where installed). Every build's example
// prints the Go classifier's result; the double build's int8 scores are
// bit for bit Go's. The zip is deterministic.
func TestLibraryZip(t *testing.T) {
	cc := hostCC(t)
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make not found: the library's Makefile check needs it")
	}
	m, ds := trainModel(t, "../testdata/impulses/gestures.json", "../testdata/gestures")
	win, want := firstWindow(t, m, ds)
	opt := deploy.LibraryOptions{Name: "gestures", Window: win}
	var zip1, zip2 bytes.Buffer
	if err := deploy.WriteZip(&zip1, m, opt); err != nil {
		t.Fatal(err)
	}
	if err := deploy.WriteZip(&zip2, m, opt); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(zip1.Bytes(), zip2.Bytes()) {
		t.Fatal("two zips of the same model and options differ")
	}
	root := t.TempDir()
	testenv.Unzip(t, zip1.Bytes(), root)
	dir := filepath.Join(root, "gestures")
	for _, f := range []string{"Makefile", "CMakeLists.txt", "README.md", "library.properties", "src/gestures_inferencing.h",
		"src/gestures_inferencing.c", "src/ti_model_impulse.c", "example/main.c", "example/window.c", "examples/gestures_classify/gestures_classify.ino"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("the zip has no %s", f)
		}
	}

	run(t, dir, "make")
	host := run(t, dir, "./classify")
	checkClassify(t, "make (float build)", parseClassify(t, host), want, false, 1.0/256+1e-6)

	srcs, _ := filepath.Glob(filepath.Join(dir, "src", "*.c"))
	for _, p := range []string{"0", "1"} {
		args := append([]string{"-std=c99", "-Wall", "-Wextra", "-Werror", "-O2", "-DTI_DSP_DOUBLE=" + p, "-Isrc", "-o", "classify" + p}, srcs...)
		args = append(args, "example/main.c", "example/window.c", "-lm")
		run(t, dir, cc, args...)
		out := parseClassify(t, run(t, dir, "./classify"+p))
		if p == "1" {
			checkClassify(t, "cc, double build", out, want, true, 0)
		} else {
			checkClassify(t, "cc, float build", out, want, false, 1.0/256+1e-6)
		}
	}

	if cm, err := exec.LookPath("cmake"); err == nil {
		build := filepath.Join(root, "cmake-build")
		run(t, dir, cm, "-S", ".", "-B", build, "-DCMAKE_BUILD_TYPE=Release")
		run(t, dir, cm, "--build", build)
		if out := run(t, dir, filepath.Join(build, "classify")); out != host {
			t.Errorf("the CMake build printed\n%s\nmake's printed\n%s", out, host)
		}
	} else {
		t.Log("cmake not found: CMakeLists.txt not built")
	}

	if gxx, err := exec.LookPath("g++"); err == nil {
		copyTestdata(t, root, "arduino/Arduino.h")
		run(t, dir, gxx, "-std=c++11", "-Wall", "-Wextra", "-Werror", "-x", "c++", "-I", "src", "-I", root, "-include", "Arduino.h",
			"-c", "examples/gestures_classify/gestures_classify.ino", "-o", filepath.Join(root, "sketch.o"))
	} else {
		t.Log("g++ not found: the Arduino sketch not compiled")
	}

	arm, ok := armToolsIfPresent()
	if !ok {
		t.Log("no Cortex-M4F toolchain and QEMU: the board build not checked")
		return
	}
	cflags := "-mcpu=cortex-m4 -mthumb -mfpu=fpv4-sp-d16 -mfloat-abi=hard -O2 -ffunction-sections -fdata-sections"
	run(t, dir, "make", "clean")
	run(t, dir, "make", "lib", "CC="+arm.gcc, "AR="+strings.TrimSuffix(arm.gcc, "gcc")+"ar", "CFLAGS="+cflags)
	elf, _ := arm.link(t, root, "classify-m4f", nil, filepath.Join(dir, "example", "main.c"), filepath.Join(dir, "example", "window.c"),
		"-I", filepath.Join(dir, "src"), filepath.Join(dir, "libgestures.a"))
	if out := arm.run(t, root, elf, false); out != host {
		t.Errorf("the Cortex-M4F build printed\n%s\nthe host build\n%s", out, host)
	}
}

// armToolsIfPresent returns the Cortex-M4F tools when all are installed.
func armToolsIfPresent() (armTools, bool) {
	var a armTools
	var err error
	for _, p := range []struct {
		dst  *string
		name string
	}{{&a.gcc, "arm-none-eabi-gcc"}, {&a.size, "arm-none-eabi-size"}, {&a.qemu, "qemu-system-arm"}} {
		if *p.dst, err = exec.LookPath(p.name); err != nil {
			return a, false
		}
	}
	return a, true
}

// TestLibraryErrors checks the options NewLibrary refuses.
func TestLibraryErrors(t *testing.T) {
	m, _ := trainModel(t, "../testdata/impulses/gestures.json", "../testdata/gestures")
	for _, c := range []struct {
		opt  deploy.LibraryOptions
		want string
	}{
		{deploy.LibraryOptions{Name: "9 lives"}, "not a C identifier"},
		{deploy.LibraryOptions{Window: []float64{1, 2, 3}}, "has 3 values"},
		{deploy.LibraryOptions{Window: append(make([]float64, 374), math.NaN())}, "NaN"},
	} {
		if err := deploy.WriteZip(io.Discard, m, c.opt); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want one containing %q", c.opt, err, c.want)
		}
	}
	if _, err := deploy.WindowSource("w", []float64{math.Inf(1)}); err == nil {
		t.Error("WindowSource accepted an infinite value")
	}
	l, err := deploy.NewLibrary(m, deploy.LibraryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if l.Name != "gestures" {
		t.Errorf("default name %q, want gestures (from the impulse's name)", l.Name)
	}
	for i := 1; i < len(l.Files); i++ {
		if l.Files[i-1].Path >= l.Files[i].Path {
			t.Errorf("files out of order: %s before %s", l.Files[i-1].Path, l.Files[i].Path)
		}
	}
}
