package deploy_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/tinyimpulse/tinyimpulse/dataset"
	"github.com/tinyimpulse/tinyimpulse/deploy"
	"github.com/tinyimpulse/tinyimpulse/impulse"
	"github.com/tinyimpulse/tinyimpulse/internal/testenv"
)

// sharedNames are the datasets of ../shared/datasets with their default
// impulses in testdata/impulses.
var sharedNames = []string{"digits-8x8", "fan-unbalance", "gestures-continuous", "gestures-magic-wand", "kws-speech-commands"}

// trainShared trains a shared dataset's default impulse (seed 1).
func trainShared(t *testing.T, name string) (*impulse.Model, *dataset.Dataset) {
	t.Helper()
	dir := testenv.SharedDataset(t, name)
	return trainModel(t, filepath.Join("..", "testdata", "impulses", name+".json"), dir)
}

// trainingWindows returns the raw values of every window of the dataset's
// training samples (which hold every validation window), cut as training
// cuts them.
func trainingWindows(t *testing.T, m *impulse.Model, ds *dataset.Dataset) [][]float64 {
	t.Helper()
	p, err := m.Impulse().NewProcessor()
	if err != nil {
		t.Fatal(err)
	}
	var out [][]float64
	for _, s := range ds.Category(dataset.CategoryTraining) {
		ws, err := p.Windows(nil, s, impulse.TrainingWindows)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range ws {
			v, err := p.AppendWindow(nil, s, w)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, v)
		}
	}
	return out
}

// goResults classifies the windows with the model in Go.
func goResults(t *testing.T, m *impulse.Model, windows [][]float64) []impulse.Result {
	t.Helper()
	c, err := m.NewClassifier()
	if err != nil {
		t.Fatal(err)
	}
	out := make([]impulse.Result, len(windows))
	for i, w := range windows {
		if err := c.Classify(&out[i], w); err != nil {
			t.Fatal(err)
		}
		out[i].Scores = slices.Clone(out[i].Scores)
	}
	return out
}

// resultIndex is the C library's result code of a Go result's label.
func resultIndex(labels []string, r impulse.Result) int32 {
	switch {
	case r.HasValue:
		return -4
	case r.Label == impulse.ResultUncertain:
		return -1
	case r.Label == impulse.ResultAnomaly:
		return -2
	case r.Label == impulse.ResultNoAnomaly:
		return -3
	}
	return int32(slices.Index(labels, r.Label))
}

// libBuild is a generated library built with libdriver.c.
type libBuild struct {
	lib *deploy.Library
	exe string
}

// runtimeObjects compiles the C runtime once per set of flags (every
// generated library ships the same runtime files: deploy.Runtime()).
var runtimeObjects sync.Map // flags → *runtimeObj

type runtimeObj struct {
	once sync.Once
	objs []string
	err  error
}

// runtimeDir holds the compiled runtimes; TestMain removes it.
var runtimeDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "tinyimpulse-deploy-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	runtimeDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func compiledRuntime(t *testing.T, cc string, flags []string) []string {
	t.Helper()
	key := strings.Join(flags, " ")
	v, _ := runtimeObjects.LoadOrStore(key, &runtimeObj{})
	ro := v.(*runtimeObj)
	ro.once.Do(func() {
		dir, err := os.MkdirTemp(runtimeDir, "runtime-")
		if err != nil {
			ro.err = err
			return
		}
		srcs := writeRuntime(t, dir)
		for _, src := range srcs {
			obj := strings.TrimSuffix(src, ".c") + ".o"
			args := append(append([]string{}, flags...), "-I", dir, "-c", src, "-o", obj)
			if out, err := exec.Command(cc, args...).CombinedOutput(); err != nil {
				ro.err = fmt.Errorf("%s %s: %v\n%s", cc, strings.Join(args, " "), err, out)
				return
			}
			ro.objs = append(ro.objs, obj)
		}
	})
	if ro.err != nil {
		t.Fatal(ro.err)
	}
	return ro.objs
}

// buildLibDriver writes the library into a folder and builds libdriver.c
// with its generated sources and the runtime, compiled with the same
// flags as the zip's Makefile (-std=c99 -Wall -Wextra -Werror
// -ffp-contract=off).
func buildLibDriver(t *testing.T, lib *deploy.Library, p deploy.Precision, asan bool) string {
	t.Helper()
	cc := hostCC(t)
	dir := t.TempDir()
	for _, f := range lib.Files {
		path := filepath.Join(dir, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	flags := append([]string{}, cflags...)
	flags = append(flags, "-ffp-contract=off", "-D"+p.Define())
	if asan {
		flags = append(flags, "-O1", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all")
	} else {
		flags = append(flags, "-O2")
	}
	src := filepath.Join(dir, "src")
	copyTestdata(t, dir, "libdriver.c")
	exe := filepath.Join(dir, "libdriver")
	args := append(append([]string{}, flags...), "-I", src, "-include", lib.Name+"_inferencing.h", "-o", exe,
		filepath.Join(src, "ti_model_impulse.c"), filepath.Join(src, lib.Name+"_inferencing.c"), filepath.Join(dir, "libdriver.c"))
	args = append(args, compiledRuntime(t, cc, flags)...)
	args = append(args, "-lm")
	if out, err := exec.Command(cc, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", cc, strings.Join(args, " "), err, out)
	}
	return exe
}

// libResult is what libdriver reports for one window.
type libResult struct {
	status, result int32
	bad            uint32
	anomaly        float32
	scores         []float32
}

func runLibDriver(t *testing.T, exe string, windows [][]float64, labels int) []libResult {
	t.Helper()
	var in bytes.Buffer
	for _, w := range windows {
		binary.Write(&in, binary.LittleEndian, uint32(0))
		binary.Write(&in, binary.LittleEndian, w)
	}
	binary.Write(&in, binary.LittleEndian, uint32(0xffffffff))
	cmd := exec.Command(exe)
	cmd.Stdin = &in
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", exe, err, stderr.String())
	}
	rd := bytes.NewReader(out)
	res := make([]libResult, len(windows))
	for i := range res {
		var hdr struct {
			Status, Result int32
			Bad            uint32
			Anomaly        float32
		}
		if err := binary.Read(rd, binary.LittleEndian, &hdr); err != nil {
			t.Fatalf("libdriver output for window %d: %v", i, err)
		}
		res[i] = libResult{hdr.Status, hdr.Result, hdr.Bad, hdr.Anomaly, make([]float32, labels)}
		if err := binary.Read(rd, binary.LittleEndian, res[i].scores); err != nil {
			t.Fatalf("libdriver output for window %d: %v", i, err)
		}
	}
	return res
}

// libStats summarises one build's agreement with Go.
type libStats struct {
	windows, sameResult, sameScores int
	worstScore, worstAnomaly        float64 // largest score difference, relative anomaly difference
	firstDiff                       string
}

func compareLib(labels []string, int8 bool, got []libResult, want []impulse.Result) libStats {
	s := libStats{windows: len(got)}
	for i, g := range got {
		w := want[i]
		if g.status != 0 {
			if s.firstDiff == "" {
				s.firstDiff = fmt.Sprintf("window %d: status %d", i, g.status)
			}
			continue
		}
		if g.result == resultIndex(labels, w) {
			s.sameResult++
		} else if s.firstDiff == "" {
			s.firstDiff = fmt.Sprintf("window %d: C result %d, Go %q (scores %v, Go %v; anomaly %v, Go %v)", i, g.result, w.Label, g.scores, w.Scores, g.anomaly, w.Anomaly)
		}
		out := w.Scores
		if w.HasValue {
			out = []float64{w.Value}
		}
		same := true
		for j, v := range out {
			same = same && g.scores[j] == float32(v)
			s.worstScore = math.Max(s.worstScore, math.Abs(float64(g.scores[j])-v))
		}
		if same {
			s.sameScores++
		}
		if w.HasAnomaly {
			s.worstAnomaly = math.Max(s.worstAnomaly, math.Abs(float64(g.anomaly)-w.Anomaly)/math.Max(1, math.Abs(w.Anomaly)))
		}
	}
	return s
}

// TestSharedDatasetsLibrary trains the default impulse of every shared
// dataset (../shared/datasets, testdata/impulses) with impulse.Train,
// generates its C library with the int8 and the float32 network, builds
// each with libdriver.c (the library's public API) and runs every window
// of the training samples — every validation window among them — through
// it, then compares with the Go classifier window by window. In the double
// build (TI_DSP_DOUBLE=1, the processing blocks faithful to the Go ones):
// int8 scores bit for bit Go's, float32 scores within 1e-5, anomaly scores
// within 1e-6 relative (float32 outputs), the same decided result for
// every window. In the float build (the device build, whose processing
// blocks compute in float32): the same decided result for every window,
// int8 scores bit-identical on at least 95% of the windows (a float32
// feature may quantise one level away), anomaly scores within 1e-3
// relative; its float32 network's scores are logged (MFCC features carry
// float32 rounding that a network can amplify). The int8 float build also runs under ASan and UBSan, and
// every build checks bad input (NULL signal or result, NULL get_data, a
// signal one value short or long, get_data failing first or last, NaN and
// infinite values): error codes, no read outside the window.
func TestSharedDatasetsLibrary(t *testing.T) {
	hostCC(t)
	testenv.SharedDataset(t, sharedNames[0])
	var mu sync.Mutex
	var summary []string
	for _, name := range sharedNames {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			m, ds := trainShared(t, name)
			windows := trainingWindows(t, m, ds)
			for _, mt := range []impulse.ModelType{impulse.Int8, impulse.Float32} {
				mm, err := m.WithModelType(mt)
				if err != nil {
					t.Fatal(err)
				}
				want := goResults(t, mm, windows)
				lib, err := deploy.NewLibrary(m, deploy.LibraryOptions{ModelType: mt})
				if err != nil {
					t.Fatal(err)
				}
				labels := lib.Impulse.Labels
				builds := []struct {
					p    deploy.Precision
					asan bool
				}{{deploy.Float64, false}, {deploy.Float32, false}}
				if mt == impulse.Int8 {
					builds = append(builds, struct {
						p    deploy.Precision
						asan bool
					}{deploy.Float32, true})
				}
				for _, b := range builds {
					what := fmt.Sprintf("%s %s network, %s build", name, mt, b.p)
					if b.asan {
						what += " (ASan/UBSan)"
					}
					got := runLibDriver(t, buildLibDriver(t, lib, b.p, b.asan), windows, len(labels))
					if got[0].bad != 0 {
						t.Errorf("%s: bad-input checks failed (bits %b of libdriver.c's bad_inputs)", what, got[0].bad)
					}
					s := compareLib(labels, mt == impulse.Int8, got, want)
					if s.sameResult != s.windows {
						t.Errorf("%s: %d of %d windows decided as Go does; first difference: %s", what, s.sameResult, s.windows, s.firstDiff)
					}
					switch {
					case b.p == deploy.Float64 && mt == impulse.Int8 && s.sameScores != s.windows:
						t.Errorf("%s: int8 scores bit-identical on %d of %d windows; largest difference %g", what, s.sameScores, s.windows, s.worstScore)
					case b.p == deploy.Float64 && mt == impulse.Float32 && s.worstScore > 1e-5:
						t.Errorf("%s: largest score difference %g, over 1e-5", what, s.worstScore)
					case b.p == deploy.Float32 && mt == impulse.Int8 && s.sameScores < s.windows*95/100:
						t.Errorf("%s: int8 scores bit-identical on %d of %d windows, under 95%%", what, s.sameScores, s.windows)
					}
					if lim := map[deploy.Precision]float64{deploy.Float64: 1e-6, deploy.Float32: 1e-3}[b.p]; s.worstAnomaly > lim {
						t.Errorf("%s: largest relative anomaly difference %g, over %g", what, s.worstAnomaly, lim)
					}
					mu.Lock()
					summary = append(summary, fmt.Sprintf("%-62s %5d windows: %5d same result, %5d same scores, largest score diff %.2g, anomaly %.2g",
						what, s.windows, s.sameResult, s.sameScores, s.worstScore, s.worstAnomaly))
					mu.Unlock()
				}
			}
		})
	}
	t.Cleanup(func() {
		slices.Sort(summary)
		t.Logf("the generated C libraries against the Go classifier:\n%s", strings.Join(summary, "\n"))
	})
}
