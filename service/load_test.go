package service

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
	"reflect"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkLoad is the load scenario: 20 training jobs queued at once on
// the in-process workers while 200 clients poll job status as fast as
// they can. It reports the status requests per second and their p50 and
// p99 latency while the jobs train, and fails if any job's model differs
// from the model of a single run on an idle service.
//
//	go test ./service -run '^$' -bench Load -benchtime 1x
func BenchmarkLoad(b *testing.B) {
	const jobs, clients, epochs = 20, 200, 30
	for b.Loop() {
		srv, err := New(context.Background(), Config{DataDir: b.TempDir(), AdminKey: "ei_load_admin_key_0123456789",
			Workers: 2, RateLimitPerMinute: -1, RateLimitPerDay: -1})
		if err != nil {
			b.Fatal(err)
		}
		ts := httptest.NewServer(srv.Handler())
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients + 10, MaxConnsPerHost: clients + 10}}
		call := func(method, path, key string, body []byte, ct string) (int, []byte) {
			req, _ := http.NewRequest(method, ts.URL+path, bytes.NewReader(body))
			req.Header.Set("x-api-key", key)
			if ct != "" {
				req.Header.Set("Content-Type", ct)
			}
			resp, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			defer resp.Body.Close()
			data, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, data
		}
		var created struct {
			ID     int
			APIKey string
		}
		_, data := call("POST", "/v1/api/projects/create", "ei_load_admin_key_0123456789", []byte(`{"projectName":"load"}`), "")
		json.Unmarshal(data, &created)
		pid, key := created.ID, created.APIKey
		// Upload testdata/gestures and set its impulse.
		for _, cat := range []string{"training", "testing"} {
			var buf bytes.Buffer
			mw := multipart.NewWriter(&buf)
			dir := filepath.Join("..", "testdata", "gestures", cat)
			ents, _ := os.ReadDir(dir)
			for _, e := range ents {
				fw, _ := mw.CreateFormFile("data", e.Name())
				d, _ := os.ReadFile(filepath.Join(dir, e.Name()))
				fw.Write(d)
			}
			mw.Close()
			if st, d := call("POST", "/api/"+cat+"/files", key, buf.Bytes(), mw.FormDataContentType()); st != 200 {
				b.Fatalf("upload: %d %s", st, d)
			}
		}
		defData, _ := os.ReadFile(filepath.Join("..", "testdata", "impulses", "gestures.json"))
		var def struct {
			Impulse json.RawMessage
			DSP     map[string]map[string]any `json:"dsp"`
		}
		json.Unmarshal(defData, &def)
		call("POST", fmt.Sprintf("/v1/api/%d/impulse", pid), key, def.Impulse, "")
		for id, cfg := range def.DSP {
			conf := map[string]string{}
			for k, v := range cfg {
				conf[k] = fmt.Sprint(v)
			}
			body, _ := json.Marshal(map[string]any{"config": conf})
			call("POST", fmt.Sprintf("/v1/api/%d/dsp/%s", pid, id), key, body, "")
		}
		trainBody := []byte(fmt.Sprintf(`{"trainingCycles":%d,"learningRate":0.0005}`, epochs))
		start := func() int {
			st, d := call("POST", fmt.Sprintf("/v1/api/%d/jobs/train/keras/3", pid), key, trainBody, "")
			var r struct{ ID int }
			json.Unmarshal(d, &r)
			if st != 200 {
				b.Fatalf("start: %d %s", st, d)
			}
			return r.ID
		}
		finished := func(jid int) bool {
			j, err := srv.st.job(context.Background(), pid, jid)
			return err == nil && j.finished()
		}
		model := func(jid int) any {
			d, err := srv.eng.Objects().Get(context.Background(), fmt.Sprintf("models/%d/%d-detailed.json", pid, jid))
			if err != nil {
				b.Fatalf("model of job %d: %v", jid, err)
			}
			var v any
			json.Unmarshal(d, &v)
			return withoutTimestamps(v)
		}

		// The reference: one job on an idle service.
		ref := start()
		singleStart := time.Now()
		for !finished(ref) {
			time.Sleep(5 * time.Millisecond)
		}
		single := time.Since(singleStart)
		refModel := model(ref)

		// The load: 20 jobs queued at once, 200 clients polling.
		var ids []int
		loadStart := time.Now()
		for range jobs {
			ids = append(ids, start())
		}
		var done atomic.Bool
		var mu sync.Mutex
		var lat []time.Duration
		var errs atomic.Int64
		var wg sync.WaitGroup
		for c := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var mine []time.Duration
				for i := 0; !done.Load(); i++ {
					jid := ids[(c+i)%len(ids)]
					t0 := time.Now()
					req, _ := http.NewRequest("GET", fmt.Sprintf("%s/v1/api/%d/jobs/%d/status", ts.URL, pid, jid), nil)
					req.Header.Set("x-api-key", key)
					resp, err := client.Do(req)
					if err != nil {
						errs.Add(1)
						continue
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						errs.Add(1)
					}
					mine = append(mine, time.Since(t0))
				}
				mu.Lock()
				lat = append(lat, mine...)
				mu.Unlock()
			}()
		}
		deadline := time.Now().Add(10 * time.Minute)
		for {
			all := true
			for _, id := range ids {
				all = all && finished(id)
			}
			if all {
				break
			}
			if time.Now().After(deadline) {
				b.Fatal("the jobs did not finish within 10 minutes")
			}
			time.Sleep(20 * time.Millisecond)
		}
		elapsed := time.Since(loadStart)
		done.Store(true)
		wg.Wait()

		same := 0
		for _, id := range ids {
			j, _ := srv.st.job(context.Background(), pid, id)
			if j.FinishedSuccessful == nil || !*j.FinishedSuccessful {
				b.Errorf("job %d failed: %s", id, j.Error)
				continue
			}
			if reflect.DeepEqual(model(id), refModel) {
				same++
			} else {
				b.Errorf("job %d's model differs from the single run's", id)
			}
		}
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))]) / 1e6 }
		b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "req/s")
		b.ReportMetric(pct(0.5), "p50-ms")
		b.ReportMetric(pct(0.99), "p99-ms")
		b.ReportMetric(elapsed.Seconds(), "jobs-s")
		b.ReportMetric(single.Seconds(), "single-job-s")
		b.ReportMetric(float64(errs.Load()), "errors")
		b.Logf("%d status requests in %.1f s while %d jobs trained (a single job: %.2f s); %d of %d models equal the single run's; %d errors",
			len(lat), elapsed.Seconds(), jobs, single.Seconds(), same, jobs, errs.Load())
		ts.Close()
		srv.Close()
	}
}

// withoutTimestamps drops every RFC 3339 string from a decoded JSON
// document.
func withoutTimestamps(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			if s, ok := e.(string); ok {
				if _, err := time.Parse(time.RFC3339, s); err == nil {
					continue
				}
			}
			out[k] = withoutTimestamps(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = withoutTimestamps(e)
		}
		return out
	}
	return v
}
