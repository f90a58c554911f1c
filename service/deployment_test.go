package service_test

import (
	"bytes"
	"fmt"
	"math"
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tinyimpulse/tinyimpulse/deploy"
	"github.com/tinyimpulse/tinyimpulse/impulse"
	"github.com/tinyimpulse/tinyimpulse/internal/eischema"
	"github.com/tinyimpulse/tinyimpulse/internal/testenv"
	"github.com/tinyimpulse/tinyimpulse/report"
	"github.com/tinyimpulse/tinyimpulse/service"
	"github.com/tinyimpulse/tinyimpulse/tflite"
)

// with returns the harness reporting to t (a subtest).
func (h *harness) with(t testing.TB) *harness {
	c := *h
	c.t = t
	return &c
}

// get sends a GET and returns the status, the headers and the body.
func (h *harness) get(path, key string) (int, http.Header, []byte) {
	h.t.Helper()
	return h.do("GET", path, key, nil, nil)
}

// startBuild starts a deployment build job and returns its id.
func (h *harness) startBuild(pid int, key, typ, engine, modelType string) int {
	h.t.Helper()
	body := map[string]any{"engine": engine}
	if modelType != "" {
		body["modelType"] = modelType
	}
	var res struct {
		Success           bool
		ID                int
		DeploymentVersion int
	}
	data := h.must(200, "POST", fmt.Sprintf("/v1/api/%d/jobs/build-ondevice-model?type=%s", pid, typ), key, body, &res)
	if !res.Success || res.ID == 0 || res.DeploymentVersion != res.ID {
		h.t.Fatalf("build-ondevice-model: %s", data)
	}
	return res.ID
}

// checkZip checks a downloaded C library: it is the zip deploy.WriteZip
// makes of the model with that model type, byte for byte, and (where cc
// and make are installed) it builds with make and its example program,
// which classifies a window of zeros, prints the Go classifier's result.
func checkZip(t *testing.T, m *impulse.Model, data []byte, modelType string) {
	t.Helper()
	mt, err := impulse.ParseModelType(modelType)
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := deploy.WriteZip(&want, m, deploy.LibraryOptions{ModelType: mt}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, want.Bytes()) {
		t.Fatalf("the downloaded zip (%d bytes) is not deploy.WriteZip's (%d bytes)", len(data), want.Len())
	}
	for _, tool := range []string{"cc", "make"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Logf("no %s on this machine: the downloaded library is not built", tool)
			return
		}
	}
	root := t.TempDir()
	dir := unzipTo(t, data, root)
	build := exec.Command("make")
	build.Dir = dir
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("make in the downloaded library: %v\n%s", err, out)
	}
	run := exec.Command("./classify")
	run.Dir = dir
	out, err := run.CombinedOutput()
	if err != nil {
		t.Fatalf("the library's example program: %v\n%s", err, out)
	}
	mm := m
	if mt != 0 {
		if mm, err = m.WithModelType(mt); err != nil {
			t.Fatal(err)
		}
	}
	c, err := mm.NewClassifier()
	if err != nil {
		t.Fatal(err)
	}
	var want1 impulse.Result
	if err := c.Classify(&want1, make([]float64, c.WindowLen())); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		k, v, _ := strings.Cut(line, ": ")
		got[k] = v
	}
	if got["result"] != want1.Label {
		t.Errorf("the example program's result %q, Go's %q\n%s", got["result"], want1.Label, out)
	}
	for i, l := range want1.Labels {
		g, err := strconv.ParseFloat(got[l], 64)
		if err != nil || math.Abs(g-want1.Scores[i]) > 1.0/256+1e-6 {
			t.Errorf("the example program's %s score %q, Go's %v", l, got[l], want1.Scores[i])
		}
	}
}

// unzipTo extracts a zip into root and returns its one top folder.
func unzipTo(t *testing.T, data []byte, root string) string {
	t.Helper()
	return filepath.Join(root, testenv.Unzip(t, data, root))
}

// checkTFLite checks a downloaded .tflite file: tflite.Unmarshal reads
// it, and it is the file tflite.Export writes of the model's first
// network in that variant, byte for byte.
func checkTFLite(t *testing.T, m *impulse.Model, data []byte, variant string) {
	t.Helper()
	if _, err := tflite.Unmarshal(data); err != nil {
		t.Fatalf("the downloaded %s .tflite: %v", variant, err)
	}
	n, q, err := m.Networks(3)
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := tflite.Export(&want, n, q, tflite.Variant(variant)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, want.Bytes()) {
		t.Fatalf("the downloaded %s .tflite (%d bytes) is not tflite.Export's (%d bytes)", variant, len(data), want.Len())
	}
}

// checkExports builds and downloads every deployment type of a project
// whose gestures model is trained, reads the .tflite downloads and the
// HTML report, and checks what a bad request gets.
func checkExports(t *testing.T, h *harness, srv *service.Server, pid int, key string) {
	m, err := srv.CurrentModel(pid)
	if err != nil {
		t.Fatal(err)
	}
	base := fmt.Sprintf("/v1/api/%d", pid)
	// schema type-checks a response in a subtest of its own (the check
	// skips where its tools are missing).
	schema := func(t *testing.T, path, typ string) {
		t.Helper()
		var doc any
		h.with(t).must(200, "GET", path, key, nil, &doc)
		t.Run(typ, func(t *testing.T) { eischema.Check(t, doc, typ) })
	}

	t.Run("targets", func(t *testing.T) {
		h := h.with(t)
		var res struct {
			Targets []struct {
				Format           string
				SupportedEngines []string
				PreferredEngine  string
			}
		}
		h.must(200, "GET", base+"/deployment/targets", key, nil, &res)
		var got []string
		for _, tg := range res.Targets {
			got = append(got, tg.Format+":"+tg.PreferredEngine)
		}
		if strings.Join(got, " ") != "zip:tflite-eon arduino:tflite-eon tflite:tflite" {
			t.Errorf("targets %v", got)
		}
		// The real-client test type-checks these responses.
		var dl struct {
			Downloads []struct{ ID, Link string }
		}
		h.must(200, "GET", base+"/downloads", key, nil, &dl)
		if len(dl.Downloads) != 2 || dl.Downloads[1].Link != base+"/learn-data/3/model/tflite-int8" {
			t.Errorf("downloads %+v", dl)
		}
	})

	t.Run("zip", func(t *testing.T) {
		h := h.with(t)
		var dep struct {
			HasDeployment bool
			Version       int
		}
		h.must(200, "GET", base+"/deployment?type=zip", key, nil, &dep)
		if dep.HasDeployment {
			t.Fatal("a deployment before any build")
		}
		schema(t, base+"/deployment?type=zip", "GetDeploymentResponse")
		if st, _, body := h.get(base+"/deployment/download?type=zip", key); st != 404 || !strings.Contains(string(body), "build one with POST") {
			t.Errorf("download before a build: %d %s", st, body)
		}
		start := time.Now()
		jid := h.startBuild(pid, key, "zip", "tflite-eon", "float32")
		if st := h.wait(pid, key, jid, time.Minute); !*st.Job.FinishedSuccessful {
			t.Fatalf("build failed:\n%s", h.stdout(pid, key, jid))
		}
		t.Logf("zip build job: %.2f s from the request to the finished status", time.Since(start).Seconds())
		log := h.stdout(pid, key, jid)
		if !strings.Contains(log, "Building the zip deployment") || !strings.Contains(log, "Job completed") {
			t.Errorf("build log:\n%s", log)
		}
		for _, line := range strings.Split(log, "\n") {
			if strings.HasPrefix(line, "Built ") {
				t.Log("job log: " + line)
			}
		}
		h.must(200, "GET", base+"/deployment?type=zip", key, nil, &dep)
		if !dep.HasDeployment || dep.Version != jid {
			t.Errorf("after the build: %+v, want version %d", dep, jid)
		}
		schema(t, base+"/deployment?type=zip", "GetDeploymentResponse")
		st, hdr, data := h.get(base+"/deployment/download?type=zip&modelType=float32&engine=tflite-eon", key)
		if st != 200 || hdr.Get("Content-Type") != "application/zip" || !strings.Contains(hdr.Get("Content-Disposition"), ".zip") {
			t.Fatalf("download: %d %v", st, hdr)
		}
		checkZip(t, m, data, "float32")
		// A build of another model type is not this one.
		if st, _, _ := h.get(base+"/deployment/download?type=zip&modelType=int8", key); st != 404 {
			t.Errorf("int8 zip before its build: %d", st)
		}
	})

	t.Run("tflite", func(t *testing.T) {
		h := h.with(t)
		for _, v := range []string{"float32", "int8"} {
			jid := h.startBuild(pid, key, "tflite", "tflite", v)
			if st := h.wait(pid, key, jid, time.Minute); !*st.Job.FinishedSuccessful {
				t.Fatalf("build failed:\n%s", h.stdout(pid, key, jid))
			}
		}
		for _, v := range []string{"float32", "int8"} {
			st, hdr, data := h.get(base+"/deployment/download?type=tflite&modelType="+v, key)
			if st != 200 || hdr.Get("Content-Type") != "application/octet-stream" {
				t.Fatalf("download %s: %d %v %s", v, st, hdr, data)
			}
			checkTFLite(t, m, data, v)
			st, _, learn := h.get(base+"/learn-data/3/model/tflite-"+v, key)
			if st != 200 || !bytes.Equal(learn, data) {
				t.Errorf("learn-data/3/model/tflite-%s: %d, %d bytes, the build has %d", v, st, len(learn), len(data))
			}
		}
		// Without modelType: the latest build (int8).
		_, _, data := h.get(base+"/deployment/download?type=tflite", key)
		checkTFLite(t, m, data, "int8")
	})

	t.Run("report", func(t *testing.T) {
		h := h.with(t)
		start := time.Now()
		st, hdr, page := h.get(base+"/report", key)
		if st != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/html") {
			t.Fatalf("report: %d %v %.200s", st, hdr, page)
		}
		t.Logf("report: %d bytes, generated in %.2f s", len(page), time.Since(start).Seconds())
		checkReportPage(t, m, page)
		_, _, again := h.get(base+"/report", key)
		if !bytes.Equal(again, page) {
			t.Error("the report changed between two requests")
		}
		var models struct{ Data []struct{ ID int } }
		h.must(200, "GET", "/v1/ml/models", key, nil, &models)
		st, _, twin := h.get(fmt.Sprintf("/v1/ml/models/%d/report", models.Data[0].ID), key)
		if st != 200 || !bytes.Equal(twin, page) {
			t.Errorf("TwinEdge report: %d, %d bytes, want the same page", st, len(twin))
		}
	})

	t.Run("bad", func(t *testing.T) {
		h := h.with(t)
		other, otherKey := h.createProject("untrained")
		build := base + "/jobs/build-ondevice-model"
		for _, c := range []struct {
			path, key string
			body      any
			status    int
			msg       string
		}{
			{build, key, map[string]any{"engine": "tflite-eon"}, 400, "query parameter type: required"},
			{build + "?type=wasm", key, map[string]any{"engine": "tflite-eon"}, 400, `type="wasm": unknown deployment type`},
			{build + "?type=zip", key, map[string]any{}, 400, "engine: required"},
			{build + "?type=zip", key, map[string]any{"engine": "tflite"}, 400, `the zip deployment is built with engine "tflite-eon" only`},
			{build + "?type=tflite", key, map[string]any{"engine": "tflite-eon"}, 400, `built with engine "tflite" only`},
			{build + "?type=zip", key, map[string]any{"engine": "warp-drive"}, 400, `engine "warp-drive": unknown engine`},
			{build + "?type=zip", key, map[string]any{"engine": "tflite-eon", "modelType": "int4"}, 400, `modelType "int4": must be int8 or float32`},
			{build + "?type=zip", key, map[string]any{"engine": "tflite-eon", "modelType": "akida"}, 400, "int8 and float32 models only"},
			{build + "?type=zip", key, map[string]any{"engine": "tflite-eon", "modelType": 8}, 400, `field "modelType"`},
			{build + "?type=zip", key, map[string]any{"engine": "tflite-eon", "speed": "max"}, 400, `unknown field "speed"`},
			{build + "?type=zip", key, `{"engine": "tflite-eon"`, 400, "truncated"},
			{build + "?type=zip&impulseId=7", key, map[string]any{"engine": "tflite-eon"}, 404, "impulse 7 not found"},
			{build + "?type=zip", otherKey, map[string]any{"engine": "tflite-eon"}, 404, fmt.Sprintf("project %d not found", pid)},
			{fmt.Sprintf("/v1/api/%d/jobs/build-ondevice-model?type=zip", other), otherKey, map[string]any{"engine": "tflite-eon"}, 400, "has no trained model yet"},
		} {
			var res struct {
				Success bool
				Error   string
			}
			st, _, body := h.do("POST", c.path, c.key, c.body, &res)
			if st != c.status || res.Success || !strings.Contains(res.Error, c.msg) {
				t.Errorf("POST %s %v: %d %s, want %d %q", c.path, c.body, st, body, c.status, c.msg)
			}
		}
		for _, c := range []struct {
			path, key string
			status    int
			msg       string
		}{
			{base + "/deployment/download?type=elf", key, 400, "unknown deployment type"},
			{base + "/deployment/download?type=zip&modelType=int16", key, 400, "must be int8 or float32"},
			{base + "/deployment/download?type=zip&engine=tensorrt", key, 400, `built with engine "tflite-eon" only`},
			{base + "/deployment?type=zip&impulseId=x", key, 400, "impulseId"},
			{base + "/deployment/download?type=zip", otherKey, 404, "not found"},
			{fmt.Sprintf("/v1/api/%d/deployment/download?type=zip", other), otherKey, 404, "has no trained model yet"},
			{base + "/learn-data/3/model/keras", key, 404, `model download "keras" not found`},
			{base + "/learn-data/4/model/tflite-int8", key, 404, "no neural network learn block 4"},
			{base + "/learn-data/3/model/tflite-int8", otherKey, 404, "not found"},
			{fmt.Sprintf("/v1/api/%d/learn-data/3/model/tflite-int8", other), otherKey, 404, "has no trained model yet"},
			{base + "/report", otherKey, 404, "not found"},
			{fmt.Sprintf("/v1/api/%d/report", other), otherKey, 404, "has no trained model yet"},
		} {
			var res struct {
				Success bool
				Error   string
			}
			st, _, body := h.do("GET", c.path, c.key, nil, &res)
			if st != c.status || !strings.Contains(res.Error, c.msg) {
				t.Errorf("GET %s: %d %s, want %d %q", c.path, st, body, c.status, c.msg)
			}
		}
		var te twinError
		if st, _, body := h.do("GET", "/v1/ml/models/999/report", key, nil, &te); st != 404 || te.Error.Code != "NOT_FOUND" {
			t.Errorf("TwinEdge report of an unknown model: %d %s", st, body)
		}
	})
}

// checkReportPage checks a served report: every section of report's page
// (but the tuner's), in order, with its heading, and every class named.
func checkReportPage(t *testing.T, m *impulse.Model, page []byte) {
	t.Helper()
	last := -1
	for _, s := range report.Sections {
		i := bytes.Index(page, []byte(`<section id="`+s.ID+`">`))
		if s.ID == "tuner" {
			if i >= 0 {
				t.Error("a tuner section without a tuner run")
			}
			continue
		}
		if i < 0 || i < last || !bytes.Contains(page[i:], []byte("<h2>"+s.Title+"</h2>")) {
			t.Errorf("section %q missing or out of order", s.ID)
		}
		last = i
	}
	for _, label := range m.Labels() {
		if !bytes.Contains(page, []byte(label)) {
			t.Errorf("the report does not name class %q", label)
		}
	}
}
