package service_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tinyimpulse/tinyimpulse/service"
)

// acquisition reads the values and interval of a data acquisition JSON
// sample of testdata/gestures.
func acquisition(t *testing.T, name string) ([][]float64, float64) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "testdata", "gestures", "testing", name))
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Payload struct {
			IntervalMs float64     `json:"interval_ms"`
			Values     [][]float64 `json:"values"`
		} `json:"payload"`
	}
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	return s.Payload.Values, s.Payload.IntervalMs
}

// TestTwinEdge trains with POST /v1/ml/training, lists the model and
// classifies testing recordings with POST /v1/ml/predictions: each
// window's result is the one Studio's model testing (the classify job)
// gives for the same window, and the majority result is the
// recording's label.
func TestTwinEdge(t *testing.T) {
	h := newHarness(t, service.Config{})
	pid, key := h.setupGestures()
	var started struct {
		Data struct {
			ID     int
			Status string
		}
		Meta map[string]any
	}
	_, hdr, _ := h.do("POST", "/v1/ml/training", key, map[string]any{"seed": 7}, &started)
	if started.Data.ID == 0 || started.Data.Status != "queued" || hdr.Get("Location") != fmt.Sprintf("/v1/ml/training/%d", started.Data.ID) {
		t.Fatalf("POST /v1/ml/training: %+v, Location %q", started, hdr.Get("Location"))
	}
	jid := started.Data.ID
	if st := h.wait(pid, key, jid, 2*time.Minute); !*st.Job.FinishedSuccessful {
		t.Fatalf("training failed:\n%s", h.stdout(pid, key, jid))
	}
	var job struct{ Data map[string]any }
	h.must(200, "GET", fmt.Sprintf("/v1/ml/training/%d", jid), key, nil, &job)
	if job.Data["status"] != "completed" || job.Data["modelId"] != float64(jid) {
		t.Errorf("training job: %v", job.Data)
	}
	var models struct {
		Data []map[string]any
		Meta map[string]any
	}
	h.must(200, "GET", "/v1/ml/models", key, nil, &models)
	if len(models.Data) != 1 || models.Data[0]["id"] != float64(jid) || models.Data[0]["current"] != true || models.Meta["total"] != float64(1) {
		t.Fatalf("models: %+v", models)
	}
	if labels := fmt.Sprint(models.Data[0]["labels"]); labels != "[circle flick idle updown]" {
		t.Errorf("model labels %s", labels)
	}

	// Studio's model testing, the reference for every window.
	var cj struct{ ID int }
	h.must(200, "POST", fmt.Sprintf("/v1/api/%d/jobs/classify", pid), key, `{}`, &cj)
	if st := h.wait(pid, key, cj.ID, 2*time.Minute); !*st.Job.FinishedSuccessful {
		t.Fatalf("classify job failed:\n%s", h.stdout(pid, key, cj.ID))
	}
	var modelTesting struct {
		Result []struct {
			SampleID int `json:"sampleId"`
			Sample   struct {
				Filename string `json:"filename"`
			} `json:"sample"`
		} `json:"result"`
		Predictions []struct {
			SampleID   int    `json:"sampleId"`
			StartMs    int    `json:"startMs"`
			Prediction string `json:"prediction"`
		} `json:"predictions"`
	}
	h.must(200, "GET", fmt.Sprintf("/v1/api/%d/classify/all/result", pid), key, nil, &modelTesting)
	if len(modelTesting.Result) != 15 {
		t.Fatalf("model testing classified %d samples, want 15", len(modelTesting.Result))
	}
	checked := 0
	for _, r := range modelTesting.Result {
		want := map[int]string{}
		for _, p := range modelTesting.Predictions {
			if p.SampleID == r.SampleID {
				want[p.StartMs] = p.Prediction
			}
		}
		values, interval := acquisition(t, r.Sample.Filename)
		var pred struct {
			Data struct {
				Result  string
				Results map[string]int
				Windows []struct {
					StartMs int
					Result  string
				}
			}
		}
		h.must(200, "POST", "/v1/ml/predictions", key, map[string]any{"values": values, "intervalMs": interval}, &pred)
		if len(pred.Data.Windows) != len(want) || len(want) < 2 {
			t.Errorf("%s: %d windows, model testing has %d", r.Sample.Filename, len(pred.Data.Windows), len(want))
		}
		for _, w := range pred.Data.Windows {
			if want[w.StartMs] != w.Result {
				t.Errorf("%s window at %d ms: %q, model testing says %q", r.Sample.Filename, w.StartMs, w.Result, want[w.StartMs])
			}
			checked++
		}
		label := strings.SplitN(r.Sample.Filename, ".", 2)[0]
		if label != "idle" && label != "anomaly" && pred.Data.Result != label {
			t.Errorf("%s: majority result %q (%v), want %q", r.Sample.Filename, pred.Data.Result, pred.Data.Results, label)
		}
	}
	t.Logf("%d windows of 15 recordings: every prediction is model testing's", checked)
	var preds struct {
		Data []map[string]any
		Meta map[string]any
	}
	h.must(200, "GET", "/v1/ml/predictions?limit=2", key, nil, &preds)
	if len(preds.Data) != 2 || preds.Meta["total"].(float64) < 2 {
		t.Errorf("prediction list: %+v", preds)
	}
	// A buffer shorter than the window and rows of the wrong width.
	var te twinError
	h.must(400, "POST", "/v1/ml/predictions", key, map[string]any{"values": [][]float64{{1, 2, 3}}, "intervalMs": 16}, &te)
	if !strings.Contains(te.Error.Message, "shorter than the model's 2000 ms window") {
		t.Errorf("short buffer: %q", te.Error.Message)
	}
	h.must(400, "POST", "/v1/ml/predictions", key, map[string]any{"values": [][]float64{{1, 2, 3}, {1, 2}}}, &te)
	if !strings.Contains(te.Error.Message, "values[1]: has 2 values; every row needs 3") {
		t.Errorf("ragged rows: %q", te.Error.Message)
	}
}

// TestWebhooks: a training that completes and one that is cancelled send
// training.completed and training.failed, signed with HMAC-SHA256 over
// timestamp.body; a delivery the receiver refuses is retried with backoff
// and every attempt is in the delivery log.
func TestWebhooks(t *testing.T) {
	type got struct {
		body      []byte
		sig, ts   string
		event     string
		attemptNo int
	}
	var mu sync.Mutex
	var received []got
	calls := 0
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		calls++
		n := calls
		received = append(received, got{body, r.Header.Get("X-TwinEdge-Signature"), r.Header.Get("X-TwinEdge-Timestamp"), r.Header.Get("X-TwinEdge-Event"), n})
		mu.Unlock()
		if n == 1 {
			w.WriteHeader(http.StatusServiceUnavailable) // the first delivery is refused
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer receiver.Close()

	h := newHarness(t, service.Config{})
	pid, key := h.setupGestures()
	var hook struct {
		Data struct {
			ID     int
			Secret string
			Events []string
		}
	}
	h.must(201, "POST", "/v1/ml/webhooks", key, map[string]any{"url": receiver.URL}, &hook)
	if hook.Data.Secret == "" || len(hook.Data.Events) != 2 {
		t.Fatalf("webhook: %+v", hook)
	}
	var list struct{ Data []map[string]any }
	h.must(200, "GET", "/v1/ml/webhooks", key, nil, &list)
	if len(list.Data) != 1 || list.Data[0]["secret"] != nil {
		t.Errorf("webhook list shows %v (the secret only at creation)", list.Data)
	}

	ok := h.startTrain(pid, key, 3)
	h.wait(pid, key, ok, time.Minute)
	long := h.startTrain(pid, key, 100000)
	h.must(200, "POST", fmt.Sprintf("/v1/api/%d/jobs/%d/cancel", pid, long), key, nil, nil)
	h.wait(pid, key, long, time.Minute)

	deadline := time.Now().Add(20 * time.Second)
	for {
		mu.Lock()
		n := len(received)
		mu.Unlock()
		if n >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d webhook calls, want 3 (one refused, retried)", n)
		}
		time.Sleep(50 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	events := map[string]int{}
	for _, r := range received {
		mac := hmac.New(sha256.New, []byte(hook.Data.Secret))
		mac.Write([]byte(r.ts + "." + string(r.body)))
		if want := "sha256=" + hex.EncodeToString(mac.Sum(nil)); r.sig != want {
			t.Errorf("delivery %d: signature %q, want %q", r.attemptNo, r.sig, want)
		}
		var p struct {
			Event string
			Data  struct {
				ID     int
				Status string
			}
		}
		json.Unmarshal(r.body, &p)
		if p.Event != r.event {
			t.Errorf("event header %q, body %q", r.event, p.Event)
		}
		events[p.Event+fmt.Sprint(p.Data.ID)]++
	}
	if events[fmt.Sprint("training.completed", ok)] < 1 || events[fmt.Sprint("training.failed", long)] < 1 {
		t.Errorf("events %v, want training.completed of %d and training.failed of %d", events, ok, long)
	}
	var deliveries struct {
		Data []struct {
			Status   string
			Event    string
			Attempts []struct{ StatusCode int }
		}
	}
	h.must(200, "GET", fmt.Sprintf("/v1/ml/webhooks/%d/deliveries", hook.Data.ID), key, nil, &deliveries)
	retried := false
	for _, d := range deliveries.Data {
		if d.Status != "delivered" {
			t.Errorf("delivery %+v not delivered", d)
		}
		if len(d.Attempts) == 2 && d.Attempts[0].StatusCode == 503 && d.Attempts[1].StatusCode == 204 {
			retried = true
		}
	}
	if len(deliveries.Data) != 2 || !retried {
		t.Errorf("delivery log %+v: want 2 deliveries, one retried after a 503", deliveries.Data)
	}
}

// TestOpenAPI: the JSON and YAML documents describe every route the
// service answers, and every documented operation is routed.
func TestOpenAPI(t *testing.T) {
	h := newHarness(t, service.Config{})
	var doc struct {
		OpenAPI string
		Paths   map[string]map[string]any
	}
	jsonData := h.must(200, "GET", "/openapi.json", "", nil, &doc)
	if doc.OpenAPI != "3.0.3" || len(doc.Paths) < 30 {
		t.Fatalf("openapi %q with %d paths", doc.OpenAPI, len(doc.Paths))
	}
	var ops []string
	for path, methods := range doc.Paths {
		for m := range methods {
			ops = append(ops, strings.ToUpper(m)+" "+path)
		}
	}
	sort.Strings(ops)
	for _, op := range ops {
		method, path, _ := strings.Cut(op, " ")
		concrete := strings.NewReplacer("{projectId}", "1", "{jobId}", "1", "{learnId}", "3", "{dspId}", "2",
			"{category}", "training", "{modelId}", "1", "{webhookId}", "1", "{modelDownloadId}", "tflite-int8").Replace(path)
		status, _, body := h.do(method, concrete, "", nil, nil)
		if strings.Contains(string(body), "no route") || status == 405 {
			t.Errorf("%s is documented but not routed: %d %s", op, status, body)
		}
	}
	// Routes that exist: a sample of each family must be documented.
	for _, op := range []string{"POST /v1/api/projects/create", "GET /v1/api/{projectId}/jobs/{jobId}/status",
		"POST /api/{category}/files", "POST /v1/ml/predictions", "GET /v1/ml/webhooks/{webhookId}/deliveries", "GET /socket.io/", "GET /openapi.yaml",
		"POST /v1/api/{projectId}/jobs/build-ondevice-model", "GET /v1/api/{projectId}/deployment/download", "GET /v1/api/deployment/targets",
		"GET /v1/api/{projectId}/learn-data/{learnId}/model/{modelDownloadId}", "GET /v1/api/{projectId}/report", "GET /v1/ml/models/{modelId}/report"} {
		if i := sort.SearchStrings(ops, op); i == len(ops) || ops[i] != op {
			t.Errorf("%s is not documented", op)
		}
	}
	yamlData := h.must(200, "GET", "/openapi.yaml", "", nil, nil)
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("comparing the YAML document with the JSON one needs python3 with PyYAML")
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.yaml"), yamlData, 0o644)
	out, err := exec.Command("python3", "-c", "import json,sys,yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))", filepath.Join(dir, "a.yaml")).CombinedOutput()
	if err != nil {
		if strings.Contains(string(out), "No module named 'yaml'") {
			t.Skip("comparing the YAML document with the JSON one needs PyYAML")
		}
		t.Fatalf("PyYAML cannot read /openapi.yaml: %v\n%s", err, out)
	}
	var fromYAML, fromJSON any
	json.Unmarshal(out, &fromYAML)
	json.Unmarshal(jsonData, &fromJSON)
	if !reflect.DeepEqual(fromYAML, fromJSON) {
		t.Errorf("/openapi.yaml and /openapi.json differ")
	}
}
