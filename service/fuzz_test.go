package service

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzDecodePayload: any polling body decodes or errs, never panics, and
// the packets of a decoded protocol-3 payload survive encoding and
// decoding again.
func FuzzDecodePayload(f *testing.F) {
	for _, s := range []string{"", "1:2", "2:40", `12:42["hi",1]`, "3:ab", "5:é€😀", "x:1", "-1:a", "1:", "2:😀"} {
		f.Add(3, s)
		f.Add(4, s)
	}
	f.Fuzz(func(t *testing.T, eio int, body string) {
		if eio != 3 {
			eio = 4
		}
		pkts, err := decodePayload(eio, body)
		if err != nil || eio != 3 || !utf8.ValidString(body) {
			return
		}
		again, err := decodePayload(3, encodePayload(3, pkts))
		if err != nil || strings.Join(again, "\x00") != strings.Join(pkts, "\x00") || len(again) != len(pkts) {
			t.Errorf("packets %q of %q came back as %q, %v", pkts, body, again, err)
		}
	})
}

// FuzzSocketPacket: any packet a client sends is handled without a panic.
func FuzzSocketPacket(f *testing.F) {
	for _, s := range []string{"2", "2probe", "3", "40", "41", `42["start-log-stream",{"jobId":1}]`, `421["job-cancel",7]`,
		`42["job-cancel",{"jobId":"x"}]`, `42/admin,["a"]`, "40/x,", `42[`, `42[1,2]`, "4", "6", "1"} {
		f.Add(s)
	}
	s := &Server{node: &node{ctx: context.Background()}}
	f.Fuzz(func(t *testing.T, pkt string) {
		ss := &sioSession{srv: s, eio: 4, notify: make(chan struct{}, 1), done: make(chan struct{}), onDemand: true, connected: true}
		// Events that reach the engine are not fuzzed here (no engine):
		// handleSocketIO parses, onEvent needs a store.
		if strings.Contains(pkt, "start-log-stream") || strings.Contains(pkt, "job-cancel") {
			if _, err := parseEvent(pkt); err != nil {
				return
			}
			return
		}
		ss.handle(pkt)
	})
}

// parseEvent parses an event packet as handleSocketIO does.
func parseEvent(pkt string) ([]json.RawMessage, error) {
	var args []json.RawMessage
	i := strings.IndexByte(pkt, '[')
	if i < 0 {
		return nil, nil
	}
	err := json.Unmarshal([]byte(pkt[i:]), &args)
	if err == nil {
		jobIDArg(args[min(1, len(args)):])
	}
	return args, err
}

// FuzzSafeFileName: an accepted name is a base name that cannot leave a
// folder.
func FuzzSafeFileName(f *testing.F) {
	for _, s := range []string{"a.json", "../a.json", "..\\..\\a.wav", "/etc/passwd", ".env", "a\x00.json", "..", "a/b/c.png", "idle.s00.json"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		got, err := safeFileName(name)
		if err != nil {
			return
		}
		if strings.ContainsAny(got, "/\\") || got == ".." || strings.HasPrefix(got, ".") {
			t.Errorf("safeFileName(%q) = %q", name, got)
		}
	})
}

// FuzzRequests posts arbitrary bodies to the routes that decode JSON: the
// answer is never a 500 and always JSON in the route family's shape.
func FuzzRequests(f *testing.F) {
	ctx := context.Background()
	srv, err := New(ctx, Config{DataDir: f.TempDir(), AdminKey: "ei_fuzz_admin_key_0123456789", Workers: -1})
	if err != nil {
		f.Fatal(err)
	}
	defer srv.Close()
	h := srv.Handler()
	call := func(method, path, key, body string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, path, strings.NewReader(body))
		r.Header.Set("x-api-key", key)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	w := call("POST", "/v1/api/projects/create", "ei_fuzz_admin_key_0123456789", `{"projectName":"fuzz"}`)
	var res struct {
		ID     int
		APIKey string
	}
	json.Unmarshal(w.Body.Bytes(), &res)
	imp := `{"inputBlocks":[{"id":1,"type":"time-series","name":"Time series","title":"Time series data","windowSizeMs":1000}],"dspBlocks":[{"id":2,"type":"spectral-analysis","name":"s","title":"s","input":1,"implementationVersion":4,"axes":["x"]}],"learnBlocks":[{"id":3,"type":"keras","name":"k","title":"k","dsp":[2]}]}`
	call("POST", "/v1/api/1/impulse", res.APIKey, imp)
	routes := []string{"/v1/api/projects/create", "/v1/api/1/impulse", "/v1/api/1/dsp/2", "/v1/api/1/training/keras/3",
		"/v1/api/1/jobs/train/keras/3", "/v1/api/1/jobs/classify", "/v1/ml/training", "/v1/ml/predictions", "/v1/ml/webhooks", "/api/training/data",
		"/v1/api/1/jobs/build-ondevice-model?type=zip", "/v1/api/1/jobs/build-ondevice-model?type=tflite&impulseId=1"}
	for i := range routes {
		for _, b := range []string{"", "{}", "[]", "null", `{"config":{"fft-length":"16"}}`, imp, `{"values":[[1]]}`, `{"trainingCycles":-1}`, `{"projectName":"x"}`, `{"url":"http://127.0.0.1:1/"}`,
			`{"engine":"tflite-eon","modelType":"int8"}`, `{"engine":"tflite","modelType":"akida","parameters":{"a":"b"}}`} {
			f.Add(i, b)
		}
	}
	f.Fuzz(func(t *testing.T, route int, body string) {
		if route < 0 {
			route = -route
		}
		path := routes[route%len(routes)]
		key := res.APIKey
		if path == "/v1/api/projects/create" {
			key = "ei_fuzz_admin_key_0123456789"
		}
		r := httptest.NewRequest("POST", path, strings.NewReader(body))
		r.Header.Set("x-api-key", key)
		r.Header.Set("x-file-name", "f.json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code >= 500 {
			t.Fatalf("POST %s %q: %d %s", path, body, w.Code, w.Body)
		}
		if w.Code != http.StatusOK && !json.Valid(w.Body.Bytes()) {
			t.Fatalf("POST %s %q: %d, not JSON: %s", path, body, w.Code, w.Body)
		}
	})
}

// FuzzExportQueries sends arbitrary query strings and download ids to the
// deployment, download and report routes of a project without a model:
// the answer is never a 500 and always JSON.
func FuzzExportQueries(f *testing.F) {
	srv, err := New(context.Background(), Config{DataDir: f.TempDir(), AdminKey: "ei_fuzz_admin_key_0123456789", Workers: -1})
	if err != nil {
		f.Fatal(err)
	}
	defer srv.Close()
	h := srv.Handler()
	r := httptest.NewRequest("POST", "/v1/api/projects/create", strings.NewReader(`{"projectName":"fuzz"}`))
	r.Header.Set("x-api-key", "ei_fuzz_admin_key_0123456789")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	var res struct{ APIKey string }
	json.Unmarshal(w.Body.Bytes(), &res)
	paths := []string{"/v1/api/1/deployment?", "/v1/api/1/deployment/download?", "/v1/api/1/deployment/targets?",
		"/v1/api/1/downloads?", "/v1/api/1/learn-data/3/model/", "/v1/api/1/report?", "/v1/ml/models/1/report?"}
	for i := range paths {
		for _, q := range []string{"", "type=zip", "type=tflite&modelType=int8&engine=tflite", "type=zip&impulseId=-1", "tflite-int8", "%zz", "type=zip&modelType=akida"} {
			f.Add(i, q)
		}
	}
	f.Fuzz(func(t *testing.T, i int, q string) {
		if i < 0 {
			i = -i
		}
		u := paths[i%len(paths)] + url.PathEscape(q)
		if strings.HasSuffix(paths[i%len(paths)], "?") {
			u = paths[i%len(paths)] + q
		}
		r, err := http.NewRequest("GET", u, nil)
		if err != nil {
			return // not a URL a client can send
		}
		r.Header.Set("x-api-key", res.APIKey)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code/100 == 3 {
			return // the mux's redirect to the clean path ("." and ".." segments)
		}
		if w.Code >= 500 || (w.Code != http.StatusOK && !json.Valid(w.Body.Bytes())) {
			t.Fatalf("GET %s: %d %s", u, w.Code, w.Body)
		}
	})
}
