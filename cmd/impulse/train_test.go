package main

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/tinyimpulse/tinyimpulse/impulse"
	"github.com/tinyimpulse/tinyimpulse/internal/eischema"
	"github.com/tinyimpulse/tinyimpulse/learn"
	"github.com/tinyimpulse/tinyimpulse/tflite"
)

// TestMain lets the tests run the command as a separate process (for
// signals and exit codes): with IMPULSE_TEST_MAIN=1 the test binary is the
// impulse command.
func TestMain(m *testing.M) {
	if os.Getenv("IMPULSE_TEST_MAIN") == "1" {
		os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

func command(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "IMPULSE_TEST_MAIN=1")
	return cmd
}

// writeFile writes a fixture, failing the test when it cannot.
func writeFile(t *testing.T, name string, data []byte) {
	t.Helper()
	if err := os.WriteFile(name, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// readFile reads a fixture, failing the test when it cannot.
func readFile(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// replaceOnce returns data with old replaced by new, failing the test when
// old is not there (the fixture changed and the test would check nothing).
func replaceOnce(t *testing.T, data []byte, old, new string) []byte {
	t.Helper()
	if !bytes.Contains(data, []byte(old)) {
		t.Fatalf("fixture lacks %q", old)
	}
	return bytes.Replace(data, []byte(old), []byte(new), 1)
}

const (
	gesturesImpulse = "../../testdata/impulses/gestures.json"
	gesturesData    = "../../testdata/gestures"
)

// TestTrainTestClassifyEstimate runs the commands in turn on the synthetic
// gestures: train writes the model and Studio's JSON, test prints the
// model-testing table and writes a ClassifyJobResponse, classify prints one
// JSON line per window, estimate prints the on-device table.
func TestTrainTestClassifyEstimate(t *testing.T) {
	out := filepath.Join(t.TempDir(), "model")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"train", "--impulse", gesturesImpulse, "--data", gesturesData, "--out", out, "--json-progress"}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("train: exit %d: %s", code, stderr.String())
	}
	// Every progress line is a job event; the last says the job succeeded.
	sc := bufio.NewScanner(&stderr)
	var last map[string]any
	lines := 0
	for sc.Scan() {
		last = nil
		if err := json.Unmarshal(sc.Bytes(), &last); err != nil || (last["event"] != "job-data" && last["event"] != "job-finished") {
			t.Fatalf("progress line %q is not a job event", sc.Text())
		}
		lines++
	}
	if last["event"] != "job-finished" || last["success"] != true || lines < 30 {
		t.Errorf("%d events, last %v", lines, last)
	}
	detailed, err := os.ReadFile(filepath.Join(out, "impulses-detailed.json"))
	if err != nil {
		t.Fatal(err)
	}
	var resp any
	if err := json.Unmarshal(detailed, &resp); err != nil {
		t.Fatal(err)
	}
	eischema.Check(t, resp, "GetAllDetailedImpulsesResponse")

	// train writes the report beside the model; report writes it again for
	// the saved model, the same page (the model is tested again the same way).
	trained := readFile(t, filepath.Join(out, "report.html"))
	page := filepath.Join(t.TempDir(), "r.html")
	stdout.Reset()
	stderr.Reset()
	if code := run([]string{"report", "--model", out, "--data", gesturesData, "--out", page}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("report: exit %d: %s", code, stderr.String())
	}
	if again := readFile(t, page); !bytes.Contains(trained, []byte("<svg")) || !bytes.Equal(again, trained) {
		t.Errorf("report of the saved model (%d bytes) differs from train's report.html (%d bytes)", len(again), len(trained))
	}

	// export writes the int8 network the model evaluates, as tflite reads it back.
	tfl := filepath.Join(t.TempDir(), "m.tflite")
	stdout.Reset()
	stderr.Reset()
	if code := run([]string{"export", "--model", out, "--format", "tflite", "--out", tfl}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("export: exit %d: %s", code, stderr.String())
	}
	fm, err := tflite.Unmarshal(readFile(t, tfl))
	if err != nil {
		t.Fatal(err)
	}
	saved, err := impulse.LoadModel(out)
	if err != nil {
		t.Fatal(err)
	}
	_, q, err := saved.Networks(3)
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := tflite.Marshal(q.Graph()); !bytes.Equal(readFile(t, tfl), want) || fm.Graph.DType != learn.Int8 {
		t.Errorf("exported file (%d bytes, %v) is not the model's int8 network", len(readFile(t, tfl)), fm.Graph.DType)
	}
	// export --format c writes the C library as a zip holding run_classifier
	// and its example program (deploy's tests build and run it).
	zipFile := filepath.Join(t.TempDir(), "lib.zip")
	if code := run([]string{"export", "--model", out, "--format", "c", "--data", gesturesData, "--out", zipFile}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("export --format c: exit %d: %s", code, stderr.String())
	}
	zr, err := zip.OpenReader(zipFile)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
	}
	zr.Close()
	for _, want := range []string{"Makefile", "CMakeLists.txt", "library.properties", "example/main.c", "_inferencing.h"} {
		if !slices.ContainsFunc(names, func(n string) bool { return strings.HasSuffix(n, want) }) {
			t.Errorf("the C library's zip lacks %s: %v", want, names)
		}
	}
	if code := run([]string{"export", "--model", out, "--format", "onnx", "--out", tfl}, nil, &stdout, &stderr); code != 2 {
		t.Errorf("export --format onnx: exit %d, want 2", code)
	}

	stdout.Reset()
	stderr.Reset()
	jsonFile := filepath.Join(t.TempDir(), "test.json")
	if code := run([]string{"test", "--model", out, "--data", gesturesData, "--json", jsonFile}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("test: exit %d: %s", code, stderr.String())
	}
	for _, want := range []string{"uncertain", "anomaly", "Accuracy", "Weighted F1", "Anomaly ROC AUC"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("test output lacks %q:\n%s", want, stdout.String())
		}
	}
	var job any
	if err := json.Unmarshal(readFile(t, jsonFile), &job); err != nil {
		t.Fatal(err)
	}
	eischema.Check(t, job, "ClassifyJobResponse")

	stdout.Reset()
	sample := filepath.Join(gesturesData, "testing", "circle.s08.json")
	if code := run([]string{"classify", "--model", out, sample}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("classify: exit %d: %s", code, stderr.String())
	}
	rows := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	// 6 s at a 240 ms stride with 2 s windows: 17 windows.
	if len(rows) != 17 {
		t.Errorf("classify printed %d lines, want 17", len(rows))
	}
	var r struct {
		Sample         string             `json:"sample"`
		StartMs        *int               `json:"startMs"`
		EndMs          *int               `json:"endMs"`
		Classification map[string]float64 `json:"classification"`
		Anomaly        *float64           `json:"anomaly"`
		Result         string             `json:"result"`
		Timing         map[string]int64   `json:"timing"`
	}
	if err := json.Unmarshal([]byte(rows[0]), &r); err != nil || r.Sample != sample || len(r.Classification) != 4 ||
		r.StartMs == nil || r.EndMs == nil || *r.EndMs-*r.StartMs != 2000 || r.Anomaly == nil || r.Result != "circle" || len(r.Timing) != 3 {
		t.Errorf("classify line %s: %+v (%v)", rows[0], r, err)
	}

	// The float32 networks give scores of their own; an unknown type is refused.
	scores := func(lines []string) string {
		var all []map[string]float64
		for _, l := range lines {
			var r struct{ Classification map[string]float64 }
			if err := json.Unmarshal([]byte(l), &r); err != nil {
				t.Fatal(err)
			}
			all = append(all, r.Classification)
		}
		b, _ := json.Marshal(all)
		return string(b)
	}
	int8Scores := scores(rows)
	stdout.Reset()
	if code := run([]string{"classify", "--model", out, "--model-type", "float32", sample}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("classify --model-type float32: exit %d: %s", code, stderr.String())
	}
	if f32 := strings.Split(strings.TrimSpace(stdout.String()), "\n"); len(f32) != 17 || scores(f32) == int8Scores {
		t.Errorf("classify --model-type float32 printed %d lines; same scores as int8: %v", len(f32), scores(f32) == int8Scores)
	}
	stderr.Reset()
	if code := run([]string{"test", "--model", out, "--data", gesturesData, "--model-type", "int4"}, nil, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), `"int4"`) {
		t.Errorf("test --model-type int4: exit %d: %s", code, stderr.String())
	}

	// A sample shorter than the 2 s window gives no window: an error, not
	// an empty answer.
	var short map[string]any
	if err := json.Unmarshal(readFile(t, sample), &short); err != nil {
		t.Fatal(err)
	}
	payload := short["payload"].(map[string]any)
	payload["values"] = payload["values"].([]any)[:50]
	shortData, err := json.Marshal(short)
	if err != nil {
		t.Fatal(err)
	}
	shortFile := filepath.Join(t.TempDir(), "circle.short.json")
	writeFile(t, shortFile, shortData)
	stdout.Reset()
	stderr.Reset()
	if code := run([]string{"classify", "--model", out, shortFile}, nil, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "no window") {
		t.Errorf("classify of a sample shorter than the window: exit %d, stderr %q", code, stderr.String())
	}

	stdout.Reset()
	if code := run([]string{"estimate", "--model", out}, nil, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "NN int8") {
		t.Errorf("estimate: exit %d:\n%s%s", code, stdout.String(), stderr.String())
	}
	stdout.Reset()
	if code := run([]string{"estimate", "--model", out, "--target", "nope"}, nil, &stdout, &stderr); code != 1 {
		t.Errorf("estimate with an unknown target: exit %d", code)
	}
	stdout.Reset()
	stderr.Reset()
	if code := run([]string{"estimate", "--model", out, "extra"}, nil, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), `unexpected argument "extra"`) {
		t.Errorf("estimate with an extra argument: exit %d, stderr %q", code, stderr.String())
	}
}

// TestTrainInterrupted sends SIGINT to a training job: it must print
// "Terminated by user", exit 1 and leave no output folder.
func TestTrainInterrupted(t *testing.T) {
	long := filepath.Join(t.TempDir(), "long.json")
	writeFile(t, long, replaceOnce(t, readFile(t, gesturesImpulse), `"trainingCycles": 30`, `"trainingCycles": 1000000`))
	out := filepath.Join(t.TempDir(), "model")
	cmd := command("train", "--impulse", long, "--data", gesturesData, "--out", out)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	sc := bufio.NewScanner(stderr)
	sent := false
	for sc.Scan() {
		log.WriteString(sc.Text() + "\n")
		if !sent && strings.HasPrefix(sc.Text(), "Epoch 20/") {
			if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
				t.Fatal(err)
			}
			sent = true
		}
	}
	err = cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("exit: %v", err)
	}
	if !strings.HasSuffix(log.String(), "Terminated by user\n") {
		t.Errorf("log ends %q", log.String()[max(0, log.Len()-200):])
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("output folder exists after the interrupted job: %v", err)
	}
	entries, err := os.ReadDir(filepath.Dir(out))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.Contains(e.Name(), "model") {
			t.Errorf("left %s behind", e.Name())
		}
	}
}

// TestTrainBadInputs checks that bad inputs give one error line and exit 1.
func TestTrainBadInputs(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing-dsp.json")
	writeFile(t, missing, replaceOnce(t, readFile(t, gesturesImpulse), `"dsp": [2] },`, `"dsp": [9] },`))
	oneClass := filepath.Join(dir, "one-class")
	if err := os.MkdirAll(filepath.Join(oneClass, "training"), 0o755); err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(gesturesData, "training", "idle.*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no idle training samples in %s: %v", gesturesData, err)
	}
	for _, f := range files {
		writeFile(t, filepath.Join(oneClass, "training", filepath.Base(f)), readFile(t, f))
	}
	out := filepath.Join(dir, "out")
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"definition naming a missing DSP block", []string{"--impulse", missing, "--data", gesturesData}, "no DSP block with id 9"},
		{"dataset folder that does not exist", []string{"--impulse", gesturesImpulse, "--data", filepath.Join(dir, "nowhere")}, "nowhere"},
		{"WAV where accelerometer data is expected", []string{"--impulse", gesturesImpulse, "--data", "../../testdata/keywords"}, `axis "accX"`},
		{"single-class training set", []string{"--impulse", gesturesImpulse, "--data", oneClass}, "single class"},
		{"malformed definition", []string{"--impulse", "../../testdata/gestures/info.labels", "--data", gesturesData}, "info.labels"},
		{"unknown target", []string{"--impulse", gesturesImpulse, "--data", gesturesData, "--target", "nope"}, `--target "nope": unknown target`},
	}
	for _, c := range cases {
		var stdout, stderr bytes.Buffer
		code := run(append([]string{"train", "--out", out}, c.args...), nil, &stdout, &stderr)
		lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
		last := lines[len(lines)-1]
		if code != 1 || !strings.HasPrefix(last, "impulse: ") || !strings.Contains(last, c.want) || strings.HasPrefix(last, "impulse: impulse:") {
			t.Errorf("%s: exit %d, stderr %q; want exit 1 and a line mentioning %q", c.name, code, stderr.String(), c.want)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("%s: wrote %s", c.name, out)
		}
	}
}

// TestServeReportUsage: serve and report refuse missing flags with a usage
// error (exit 2), and report refuses a folder holding no model (exit 1).
func TestServeReportUsage(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"serve"}, 2, "--data-dir is required"},
		{[]string{"worker"}, 2, "--nats is required"},
		{[]string{"serve", "--data-dir", t.TempDir(), "extra"}, 2, `unexpected argument "extra"`},
		{[]string{"report", "--model", t.TempDir(), "--data", gesturesData}, 2, "--out is required"},
		{[]string{"report", "--model", t.TempDir(), "--data", gesturesData, "--out", filepath.Join(t.TempDir(), "r.html")}, 1, "invalid saved model"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(c.args, nil, &stdout, &stderr); code != c.code || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d mentioning %q", c.args, code, stderr.String(), c.code, c.want)
		}
	}
}
