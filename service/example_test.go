package service_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/tinyimpulse/tinyimpulse/dataset"
	"github.com/tinyimpulse/tinyimpulse/service"
	"github.com/tinyimpulse/tinyimpulse/tune"
)

// A platform creates a project with the admin key and talks to it with
// the project's key.
func ExampleNew() {
	dir, _ := os.MkdirTemp("", "service")
	defer os.RemoveAll(dir)
	srv, err := service.New(context.Background(), service.Config{DataDir: dir, AdminKey: "ei_example_admin_key_0123", Workers: -1})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()

	req, _ := http.NewRequest("POST", ts.URL+"/v1/api/projects/create", strings.NewReader(`{"projectName":"gestures"}`))
	req.Header.Set("x-api-key", "ei_example_admin_key_0123")
	resp, _ := http.DefaultClient.Do(req)
	var created struct {
		Success bool
		ID      int
		APIKey  string
	}
	json.NewDecoder(resp.Body).Decode(&created)
	resp.Body.Close()
	fmt.Println(created.Success, created.ID, strings.HasPrefix(created.APIKey, "ei_"))

	req, _ = http.NewRequest("GET", ts.URL+"/v1/ml/models", nil)
	req.Header.Set("Authorization", "Bearer "+created.APIKey)
	resp, _ = http.DefaultClient.Do(req)
	var models struct {
		Data []any
		Meta struct{ Total int }
	}
	json.NewDecoder(resp.Body).Decode(&models)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, len(models.Data), resp.Header.Get("X-RateLimit-Limit"))
	// Output:
	// true 1 true
	// 200 0 1200
}

// The API server and the workers in separate processes share a NATS
// cluster: here one NATS server on loopback, the API server with no
// workers of its own (Config.NATSURL) and one worker (RunWorker), which
// in a deployment runs on another machine. The worker reads the samples
// from the cluster and stores the model there.
func ExampleRunWorker() {
	dir, _ := os.MkdirTemp("", "cluster")
	defer os.RemoveAll(dir)
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: dir, NoLog: true, NoSigs: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	ns.Start()
	defer ns.Shutdown()
	ns.ReadyForConnections(10 * time.Second)
	ctx, stop := context.WithCancel(context.Background())
	defer stop()

	const admin = "ei_example_admin_key_0123"
	api, err := service.New(ctx, service.Config{NATSURL: ns.ClientURL(), AdminKey: admin})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer api.Close()
	ts := httptest.NewServer(api.Handler())
	defer ts.Close()
	worker := make(chan error, 1)
	go func() {
		worker <- service.RunWorker(ctx, service.WorkerConfig{NATSURL: ns.ClientURL(), Concurrency: 1, Log: slog.New(slog.DiscardHandler)})
	}()

	call := func(method, path, key, contentType string, body io.Reader, out any) {
		req, _ := http.NewRequest(method, ts.URL+path, body)
		req.Header.Set("x-api-key", key)
		req.Header.Set("Content-Type", contentType)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		defer resp.Body.Close()
		json.NewDecoder(resp.Body).Decode(out)
	}
	var project struct{ APIKey string }
	call("POST", "/v1/api/projects/create", admin, "application/json", strings.NewReader(`{"projectName":"gestures"}`), &project)
	// Upload the training samples of testdata/gestures.
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	files, _ := filepath.Glob("../testdata/gestures/training/*.json")
	for _, f := range files {
		w, _ := mw.CreateFormFile("data", filepath.Base(f))
		data, _ := os.ReadFile(f)
		w.Write(data)
	}
	mw.Close()
	var uploaded struct{ Files []any }
	call("POST", "/api/training/files", project.APIKey, mw.FormDataContentType(), &form, &uploaded)
	fmt.Println("uploaded", len(uploaded.Files))

	// Train the gestures impulse (TwinEdge's route takes the definition).
	def, _ := os.ReadFile("../testdata/impulses/gestures.json")
	var job struct{ Data struct{ ID int } }
	call("POST", "/v1/ml/training", project.APIKey, "application/json", strings.NewReader(`{"impulse":`+string(def)+`}`), &job)
	for {
		var st struct{ Data struct{ Status string } }
		call("GET", fmt.Sprintf("/v1/ml/training/%d", job.Data.ID), project.APIKey, "", nil, &st)
		if st.Data.Status == "completed" || st.Data.Status == "failed" {
			fmt.Println("job", st.Data.Status)
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	fmt.Println("worker stopped:", <-worker)
	// Output:
	// uploaded 32
	// job completed
	// worker stopped: <nil>
}

// A tuner search runs its trials on the service's workers: DialTrials
// stores the dataset's training samples in the cluster once, and every
// trial is a job that a worker (here one in this process, with two
// slots) runs and answers with its figures.
func ExampleDialTrials() {
	dir, _ := os.MkdirTemp("", "fleet")
	defer os.RemoveAll(dir)
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: dir, NoLog: true, NoSigs: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	ns.Start()
	defer ns.Shutdown()
	ns.ReadyForConnections(10 * time.Second)
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	worker := make(chan error, 1)
	go func() {
		worker <- service.RunWorker(ctx, service.WorkerConfig{NATSURL: ns.ClientURL(), Concurrency: 2, Log: slog.New(slog.DiscardHandler)})
	}()

	ds, err := dataset.Load("../testdata/gestures")
	if err != nil {
		fmt.Println(err)
		return
	}
	fleet, err := service.DialTrials(ctx, ns.ClientURL(), ds)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer fleet.Close()
	for {
		if n, _ := fleet.Slots(ctx); n > 0 {
			fmt.Println("worker slots:", n)
			break
		}
	}
	space, _ := tune.ParseSpace([]byte(`[{
	  "inputBlocks": [{"type": "time-series", "window": [{"windowSizeMs": 2000, "windowIncreaseMs": 500}]}],
	  "dspBlocks": [{"type": "spectral-analysis", "fft-length": [16, 32]}, {"type": "flatten"}],
	  "learnBlocks": [[{"architecture": "dense", "denseLayers": [[10], [20]], "trainingCycles": [10, 20]}]]
	}]`))
	res, err := tune.Search(ctx, ds, tune.Options{Space: space, Trials: 4, Workers: 2, Seed: 1, Picks: -1, Runner: fleet})
	if err != nil {
		fmt.Println(err)
		return
	}
	completed := 0
	for _, t := range res.Trials {
		if t.Status == tune.StatusCompleted {
			completed++
		}
	}
	fmt.Printf("%d trials, %d completed\n", len(res.Trials), completed)
	stop()
	fmt.Println("worker stopped:", <-worker)
	// Output:
	// worker slots: 2
	// 4 trials, 4 completed
	// worker stopped: <nil>
}
