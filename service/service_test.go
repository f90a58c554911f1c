package service_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/tinyimpulse/tinyimpulse/service"
)

const testAdminKey = "ei_admin_key_for_tests_0123456789"

// harness is a service on an embedded engine with an HTTP test server.
type harness struct {
	t   testing.TB
	srv *service.Server
	ts  *httptest.Server
	dir string
	// base is the URL of a service in another process (ts is nil then).
	base string
}

func (h *harness) url() string {
	if h.base != "" {
		return h.base
	}
	return h.ts.URL
}

func newHarness(t testing.TB, cfg service.Config) *harness {
	t.Helper()
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	cfg.AdminKey = testAdminKey
	if cfg.AckWait == 0 {
		cfg.AckWait = 2 * time.Second
	}
	if cfg.Workers == 0 {
		cfg.Workers = 1
	}
	srv, err := service.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, srv: srv, ts: httptest.NewServer(srv.Handler()), dir: cfg.DataDir}
	t.Cleanup(h.close)
	return h
}

func (h *harness) close() {
	if h.ts != nil {
		h.ts.Close()
		h.srv.Close()
		h.ts = nil
	}
}

// do sends a request and decodes the JSON response into out (if not nil).
func (h *harness) do(method, path, key string, body any, out any) (int, http.Header, []byte) {
	h.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	default:
		data, _ := json.Marshal(b)
		rd = bytes.NewReader(data)
	}
	req, _ := http.NewRequest(method, h.url()+path, rd)
	if key != "" {
		req.Header.Set("x-api-key", key)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			h.t.Fatalf("%s %s: %d, not JSON: %s", method, path, resp.StatusCode, data)
		}
	}
	return resp.StatusCode, resp.Header, data
}

// must is do with a required status.
func (h *harness) must(status int, method, path, key string, body any, out any) []byte {
	h.t.Helper()
	got, _, data := h.do(method, path, key, body, out)
	if got != status {
		h.t.Fatalf("%s %s: status %d, want %d: %s", method, path, got, status, data)
	}
	return data
}

func (h *harness) createProject(name string) (int, string) {
	h.t.Helper()
	var res struct {
		Success bool
		ID      int
		APIKey  string
	}
	h.must(200, "POST", "/v1/api/projects/create", testAdminKey, map[string]any{"projectName": name}, &res)
	return res.ID, res.APIKey
}

// upload sends files to an ingestion route.
func (h *harness) upload(key, category, label string, files map[string][]byte) (int, []byte) {
	h.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fw, _ := mw.CreateFormFile("data", n)
		fw.Write(files[n])
	}
	mw.Close()
	req, _ := http.NewRequest("POST", h.url()+"/api/"+category+"/files", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("x-api-key", key)
	if label != "" {
		req.Header.Set("x-label", label)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, data
}

// gestures reads testdata/gestures' files of one category.
func gestures(t testing.TB, category string) map[string][]byte {
	t.Helper()
	dir := filepath.Join("..", "testdata", "gestures", category)
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, e := range ents {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = data
	}
	return out
}

// gesturesImpulse is testdata/impulses/gestures.json with fewer epochs.
func gesturesImpulse(t testing.TB) map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "testdata", "impulses", "gestures.json"))
	if err != nil {
		t.Fatal(err)
	}
	var def map[string]any
	if err := json.Unmarshal(data, &def); err != nil {
		t.Fatal(err)
	}
	return def
}

// setupGestures creates a project with the gestures data and impulse.
func (h *harness) setupGestures() (int, string) {
	h.t.Helper()
	pid, key := h.createProject("gestures")
	for _, cat := range []string{"training", "testing"} {
		if st, data := h.upload(key, cat, "", gestures(h.t, cat)); st != 200 {
			h.t.Fatalf("upload %s: %d %s", cat, st, data)
		}
	}
	def := gesturesImpulse(h.t)
	h.must(200, "POST", fmt.Sprintf("/v1/api/%d/impulse", pid), key, def["impulse"], nil)
	for id, cfg := range def["dsp"].(map[string]any) {
		conf := map[string]string{}
		for k, v := range cfg.(map[string]any) {
			conf[k] = fmt.Sprint(v)
		}
		h.must(200, "POST", fmt.Sprintf("/v1/api/%d/dsp/%s", pid, id), key, map[string]any{"config": conf}, nil)
	}
	return pid, key
}

type jobStatus struct {
	Success bool
	Job     struct {
		ID                 int
		Finished           string
		FinishedSuccessful *bool
	}
}

// wait polls a job until it finishes.
func (h *harness) wait(pid int, key string, jid int, timeout time.Duration) jobStatus {
	h.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var st jobStatus
		h.must(200, "GET", fmt.Sprintf("/v1/api/%d/jobs/%d/status", pid, jid), key, nil, &st)
		if st.Job.FinishedSuccessful != nil {
			return st
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("job %d did not finish within %v", jid, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// startTrain starts a training job of the keras block 3 with some epochs.
func (h *harness) startTrain(pid int, key string, epochs int) int {
	h.t.Helper()
	var start struct{ ID int }
	h.must(200, "POST", fmt.Sprintf("/v1/api/%d/jobs/train/keras/3", pid), key, map[string]any{"trainingCycles": epochs, "learningRate": 0.0005}, &start)
	return start.ID
}

func (h *harness) stdout(pid int, key string, jid int) string {
	h.t.Helper()
	var res struct {
		Stdout []struct{ Data string }
	}
	h.must(200, "GET", fmt.Sprintf("/v1/api/%d/jobs/%d/stdout", pid, jid), key, nil, &res)
	var b strings.Builder
	for _, l := range res.Stdout {
		b.WriteString(l.Data)
	}
	return b.String()
}

func TestTrainThroughAPI(t *testing.T) {
	h := newHarness(t, service.Config{})
	pid, key := h.setupGestures()
	var start struct {
		Success bool
		ID      int
	}
	h.must(200, "POST", fmt.Sprintf("/v1/api/%d/jobs/train/keras/3", pid), key, map[string]any{"trainingCycles": 10, "learningRate": 0.0005}, &start)
	st := h.wait(pid, key, start.ID, 2*time.Minute)
	log := h.stdout(pid, key, start.ID)
	if !*st.Job.FinishedSuccessful {
		t.Fatalf("training failed:\n%s", log)
	}
	if !strings.Contains(log, "Epoch 10/10") {
		t.Errorf("log lacks the last epoch:\n%s", log)
	}
	var det map[string]any
	h.must(200, "GET", fmt.Sprintf("/v1/api/%d/impulses-detailed", pid), key, nil, &det)
	if imps, _ := det["impulses"].([]any); len(imps) != 1 {
		t.Fatalf("impulses-detailed has %d impulses", len(imps))
	}
	// The deployments and the report of this model.
	checkExports(t, h, h.srv, pid, key)
}
