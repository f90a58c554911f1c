package service_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tinyimpulse/tinyimpulse/service"
)

// eiError decodes Edge Impulse's error shape.
type eiError struct {
	Success *bool  `json:"success"`
	Error   string `json:"error"`
}

// twinError decodes TwinEdge's error shape.
type twinError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Details any    `json:"details"`
	} `json:"error"`
}

// wav16 is a 16-bit PCM mono WAV of n samples at 16 kHz.
func wav16(n int) []byte {
	var b bytes.Buffer
	le := binary.LittleEndian
	b.WriteString("RIFF")
	binary.Write(&b, le, uint32(36+2*n))
	b.WriteString("WAVEfmt ")
	binary.Write(&b, le, uint32(16))
	binary.Write(&b, le, uint16(1))     // PCM
	binary.Write(&b, le, uint16(1))     // mono
	binary.Write(&b, le, uint32(16000)) // rate
	binary.Write(&b, le, uint32(32000))
	binary.Write(&b, le, uint16(2))
	binary.Write(&b, le, uint16(16))
	b.WriteString("data")
	binary.Write(&b, le, uint32(2*n))
	for i := range n {
		binary.Write(&b, le, int16(i*37%2000-1000))
	}
	return b.Bytes()
}

// TestBadInput sends what a careless or hostile client sends: each request
// gets the right status and a message naming what is wrong, in the shape
// of its route family, and never a 500.
func TestBadInput(t *testing.T) {
	h := newHarness(t, service.Config{MaxUploadBytes: 256 << 10})
	pid, key := h.setupGestures()
	otherPID, otherKey := h.createProject("other")
	p := func(format string, args ...any) string { return fmt.Sprintf(format, args...) }
	big := `{"config":{"x":"` + strings.Repeat("a", 2<<20) + `"}}`

	cases := []struct {
		name, method, path, key string
		body                    any
		status                  int
		want                    string // in the error message
	}{
		{"malformed JSON", "POST", p("/v1/api/%d/impulse", pid), key, `{"inputBlocks": [`, 400, "truncated JSON"},
		{"not JSON", "POST", p("/v1/api/%d/training/keras/3", pid), key, `trainingCycles=3`, 400, "not valid JSON"},
		{"trailing data", "POST", "/v1/api/projects/create", testAdminKey, `{"projectName":"x"} {}`, 400, "unexpected data after"},
		{"wrong type", "POST", "/v1/api/projects/create", testAdminKey, `{"projectName": 5}`, 400, `field "projectName": expected a string`},
		{"unknown field", "POST", "/v1/api/projects/create", testAdminKey, `{"projectName":"x","colour":1}`, 400, `unknown field "colour"`},
		{"empty body", "POST", "/v1/api/projects/create", testAdminKey, ``, 400, "empty"},
		{"missing name", "POST", "/v1/api/projects/create", testAdminKey, `{}`, 400, "projectName: required"},
		{"keras setting of the wrong type", "POST", p("/v1/api/%d/training/keras/3", pid), key, `{"trainingCycles":"many"}`, 400, "trainingCycles"},
		{"DSP value of the wrong type", "POST", p("/v1/api/%d/dsp/2", pid), key, `{"config":{"fft-length":[16]}}`, 400, "config.fft-length"},
		{"DSP value out of range", "POST", p("/v1/api/%d/dsp/2", pid), key, `{"config":{"fft-length":"17"}}`, 400, "fft-length"},
		{"unknown route", "GET", "/v1/api/nothing/here/at/all", key, nil, 404, "no route GET /v1/api/nothing/here/at/all"},
		{"wrong method", "DELETE", p("/v1/api/%d/jobs/1/status", pid), key, nil, 405, "method DELETE not allowed"},
		{"unknown job", "GET", p("/v1/api/%d/jobs/999/status", pid), key, nil, 404, "job 999 not found"},
		{"job id not a number", "GET", p("/v1/api/%d/jobs/abc/status", pid), key, nil, 400, `jobId "abc": must be a positive integer`},
		{"unknown project", "GET", "/v1/api/12345", testAdminKey, nil, 404, "project 12345 not found"},
		{"another project's id", "GET", p("/v1/api/%d", otherPID), key, nil, 404, p("project %d not found", otherPID)},
		{"another project's job", "GET", p("/v1/api/%d/jobs/1/status", pid), otherKey, nil, 404, p("project %d not found", pid)},
		{"unknown DSP block", "POST", p("/v1/api/%d/dsp/7", pid), key, `{"config":{}}`, 404, "no processing block 7"},
		{"anomaly settings for a keras block", "POST", p("/v1/api/%d/training/anomaly/3", pid), key, `{"axes":[0]}`, 404, "no learn block 3"},
		{"no key", "GET", p("/v1/api/%d", pid), "", nil, 401, "missing API key"},
		{"invalid key", "GET", p("/v1/api/%d", pid), "ei_0000", nil, 401, "invalid API key"},
		{"project key on an admin route", "POST", "/v1/api/projects/create", key, `{"projectName":"x"}`, 403, "admin key"},
		{"oversized JSON body", "POST", p("/v1/api/%d/dsp/2", pid), key, big, 413, "larger than 1048576 bytes"},
		{"impulse naming a missing block", "POST", p("/v1/api/%d/impulse", pid), key,
			`{"inputBlocks":[{"id":1,"type":"time-series","name":"Time series","title":"Time series data","windowSizeMs":2000}],
			  "dspBlocks":[{"id":2,"type":"spectral-analysis","name":"Spectral features","title":"Spectral Analysis","input":1,"implementationVersion":4}],
			  "learnBlocks":[{"id":3,"type":"keras","name":"NN Classifier","title":"Neural Network (Keras)","dsp":[9]}]}`, 400, "9"},
		{"impulse with an unknown block type", "POST", p("/v1/api/%d/impulse", pid), key,
			`{"inputBlocks":[{"id":1,"type":"time-series","name":"a","title":"a"}],"dspBlocks":[{"id":2,"type":"fourier-magic","name":"b","title":"b","input":1}],"learnBlocks":[]}`, 400, "fourier-magic"},
		{"impulse without learn blocks field", "POST", p("/v1/api/%d/impulse", pid), key, `{"inputBlocks":[],"dspBlocks":[]}`, 400, "learnBlocks: required"},
		{"TwinEdge unknown route", "GET", "/v1/ml/nothing", key, nil, 404, "no route"},
		{"TwinEdge malformed JSON", "POST", "/v1/ml/predictions", key, `{"values": [[1,2`, 400, "truncated JSON"},
		{"TwinEdge wrong type", "POST", "/v1/ml/predictions", key, `{"values": "1,2,3"}`, 400, `field "values": expected an array`},
		{"TwinEdge admin key", "GET", "/v1/ml/models", testAdminKey, nil, 403, "project key"},
		{"TwinEdge no model", "POST", "/v1/ml/predictions", otherKey, `{"values": [[1,2,3]]}`, 400, "no trained model"},
		{"TwinEdge bad webhook URL", "POST", "/v1/ml/webhooks", key, `{"url":"ftp://x"}`, 400, "url: must be an absolute http or https URL"},
		{"TwinEdge bad limit", "GET", "/v1/ml/models?limit=0", key, nil, 400, "limit"},
		{"socket.io bad token", "GET", "/socket.io/?EIO=4&transport=polling&token=1.2.3", "", nil, 401, "invalid or expired socket token"},
		{"socket.io bad protocol", "GET", "/socket.io/?EIO=9&transport=polling", "", nil, 400, "Engine.IO protocol"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, _, data := h.do(c.method, c.path, c.key, c.body, nil)
			if status != c.status {
				t.Errorf("status %d, want %d: %s", status, c.status, data)
			}
			var msg string
			if strings.HasPrefix(c.path, "/v1/ml/") {
				var e twinError
				if err := json.Unmarshal(data, &e); err != nil || e.Error.Code == "" {
					t.Fatalf("not TwinEdge's error shape: %s", data)
				}
				want := map[int]string{400: "VALIDATION_ERROR", 401: "UNAUTHORIZED", 403: "FORBIDDEN", 404: "NOT_FOUND", 429: "RATE_LIMITED"}[c.status]
				if e.Error.Code != want {
					t.Errorf("code %s, want %s", e.Error.Code, want)
				}
				msg = e.Error.Message
			} else {
				var e eiError
				if err := json.Unmarshal(data, &e); err != nil || e.Success == nil || *e.Success {
					t.Fatalf("not Edge Impulse's error shape: %s", data)
				}
				msg = e.Error
			}
			if !strings.Contains(msg, c.want) {
				t.Errorf("message %q does not say %q", msg, c.want)
			}
		})
	}
}

// TestBadData: data that cannot train gives a 400 naming the problem
// when the job is asked for, not a failed job or a 500.
func TestBadData(t *testing.T) {
	h := newHarness(t, service.Config{MaxUploadBytes: 256 << 10})
	imp := gesturesImpulse(t)["impulse"]

	t.Run("WAV for an accelerometer impulse", func(t *testing.T) {
		pid, key := h.createProject("wav")
		h.upload(key, "training", "", gestures(t, "training"))
		if st, data := h.upload(key, "training", "noise", map[string][]byte{"noise.1.wav": wav16(16000)}); st != 200 {
			t.Fatalf("WAV upload: %d %s", st, data)
		}
		h.must(200, "POST", fmt.Sprintf("/v1/api/%d/impulse", pid), key, imp, nil)
		var e eiError
		h.must(400, "POST", fmt.Sprintf("/v1/api/%d/jobs/train/keras/3", pid), key, `{}`, &e)
		if !strings.Contains(e.Error, "noise.1.wav") || !strings.Contains(e.Error, `axis "accX"`) {
			t.Errorf("message %q does not name the WAV sample and the missing axis", e.Error)
		}
	})
	t.Run("one class", func(t *testing.T) {
		pid, key := h.createProject("one class")
		idle := map[string][]byte{}
		for n, d := range gestures(t, "training") {
			if strings.HasPrefix(n, "idle.") {
				idle[n] = d
			}
		}
		h.upload(key, "training", "", idle)
		h.must(200, "POST", fmt.Sprintf("/v1/api/%d/impulse", pid), key, imp, nil)
		var e eiError
		h.must(400, "POST", fmt.Sprintf("/v1/api/%d/jobs/train/keras/3", pid), key, `{}`, &e)
		if !strings.Contains(e.Error, `one class ("idle")`) {
			t.Errorf("message %q does not say the data has one class", e.Error)
		}
	})
	t.Run("no impulse", func(t *testing.T) {
		pid, key := h.createProject("no impulse")
		var e eiError
		h.must(400, "POST", fmt.Sprintf("/v1/api/%d/jobs/train/keras/3", pid), key, `{}`, &e)
		if !strings.Contains(e.Error, "has no impulse") {
			t.Errorf("message %q", e.Error)
		}
	})
	t.Run("no samples", func(t *testing.T) {
		pid, key := h.createProject("empty")
		h.must(200, "POST", fmt.Sprintf("/v1/api/%d/impulse", pid), key, imp, nil)
		var e eiError
		h.must(400, "POST", fmt.Sprintf("/v1/api/%d/jobs/train/keras/3", pid), key, `{}`, &e)
		if !strings.Contains(e.Error, "no training samples") {
			t.Errorf("message %q", e.Error)
		}
	})
	t.Run("uploads", func(t *testing.T) {
		_, key := h.createProject("uploads")
		cases := []struct {
			name  string
			files map[string][]byte
			want  string
		}{
			{"malformed sample", map[string][]byte{"a.1.json": []byte(`{"payload": {"values": [[1,2]`)}, "a.1.json"},
			{"truncated WAV", map[string][]byte{"b.1.wav": wav16(100)[:30]}, "b.1.wav"},
			{"unsupported extension", map[string][]byte{"c.1.exe": []byte("MZ")}, "unsupported extension"},
			{"hidden file", map[string][]byte{".htaccess.json": []byte("{}")}, "not a usable file name"},
			{"oversized", map[string][]byte{"d.1.wav": wav16(200000)}, "larger than 262144 bytes"},
		}
		for _, c := range cases {
			st, data := h.upload(key, "training", "", c.files)
			if st != 400 && st != 413 {
				t.Errorf("%s: status %d: %s", c.name, st, data)
			}
			if !strings.Contains(string(data), c.want) {
				t.Errorf("%s: %s does not say %q", c.name, data, c.want)
			}
		}
		// A path in the file name is reduced to its base name.
		st, data := h.upload(key, "training", "", map[string][]byte{"../../../etc/idle.x.json": gestures(t, "training")["idle.s00.json"]})
		var res struct {
			Files []struct{ FileName string }
		}
		json.Unmarshal(data, &res)
		if st != 200 || len(res.Files) != 1 || res.Files[0].FileName != "idle.x.json" {
			t.Errorf("path in a file name: %d %s", st, data)
		}
		if st, data := h.upload(key, "validation", "", map[string][]byte{"e.1.json": []byte("{}")}); st != 404 {
			t.Errorf("unknown category: %d %s", st, data)
		}
	})
}

// TestRateLimit: the per-minute limit of a key answers 429 with the
// X-RateLimit headers, in each route family's error shape; the admin key
// is not limited.
func TestRateLimit(t *testing.T) {
	h := newHarness(t, service.Config{RateLimitPerMinute: 3, RateLimitPerDay: 100})
	pid, key := h.createProject("limited")
	for i := range 3 {
		st, hdr, data := h.do("GET", fmt.Sprintf("/v1/api/%d", pid), key, nil, nil)
		if st != 200 {
			t.Fatalf("request %d: %d %s", i+1, st, data)
		}
		if hdr.Get("X-RateLimit-Limit") != "3" || hdr.Get("X-RateLimit-Remaining") != fmt.Sprint(2-i) || hdr.Get("X-RateLimit-Reset") == "" {
			t.Errorf("request %d headers: limit %q remaining %q reset %q", i+1, hdr.Get("X-RateLimit-Limit"), hdr.Get("X-RateLimit-Remaining"), hdr.Get("X-RateLimit-Reset"))
		}
	}
	var e eiError
	st, hdr, _ := h.do("GET", fmt.Sprintf("/v1/api/%d", pid), key, nil, &e)
	if st != 429 || hdr.Get("Retry-After") == "" || hdr.Get("X-RateLimit-Remaining") != "0" || !strings.Contains(e.Error, "rate limit") {
		t.Errorf("4th request: %d, Retry-After %q, %q", st, hdr.Get("Retry-After"), e.Error)
	}
	var te twinError
	if st, _, _ := h.do("GET", "/v1/ml/models", key, nil, &te); st != 429 || te.Error.Code != "RATE_LIMITED" {
		t.Errorf("TwinEdge over the limit: %d %+v", st, te)
	}
	for range 5 {
		h.must(200, "GET", fmt.Sprintf("/v1/api/%d", pid), testAdminKey, nil, nil)
	}
}

// logBuffer collects the service's log.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// TestNoSecretsInLogs: neither the admin key nor project keys appear in
// the log or in any response but the one that creates the key.
func TestNoSecretsInLogs(t *testing.T) {
	var logs logBuffer
	h := newHarness(t, service.Config{Log: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	pid, key := h.setupGestures()
	jid := h.startTrain(pid, key, 3)
	h.wait(pid, key, jid, time.Minute)
	var bodies []string
	for _, r := range []struct{ method, path, k string }{
		{"GET", fmt.Sprintf("/v1/api/%d", pid), key},
		{"GET", "/v1/api/projects", testAdminKey},
		{"GET", fmt.Sprintf("/v1/api/%d", pid), "ei_wrong"},
		{"GET", "/v1/ml/models", key},
		{"GET", fmt.Sprintf("/v1/api/%d/jobs/%d/stdout", pid, jid), key},
	} {
		_, _, data := h.do(r.method, r.path, r.k, nil, nil)
		bodies = append(bodies, string(data))
	}
	all := logs.String() + strings.Join(bodies, "\n")
	for _, secret := range []string{testAdminKey, key} {
		if strings.Contains(all, secret) {
			t.Errorf("a key appears in the log or a response")
		}
	}
	if !strings.Contains(logs.String(), "service") && logs.String() == "" {
		t.Log("the service logged nothing")
	}
}
