package service

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/tinyimpulse/tinyimpulse/service/engine"
)

// newTestServer is a service on an embedded engine (or cfg.NATSURL) with
// an HTTP test server, closed with the test.
func newTestServer(t *testing.T, cfg Config) (*Server, string) {
	t.Helper()
	if cfg.DataDir == "" && cfg.NATSURL == "" {
		cfg.DataDir = t.TempDir()
	}
	cfg.AdminKey = clusterAdminKey
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.AckWait == 0 {
		cfg.AckWait = 2 * time.Second
	}
	s, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() { ts.Close(); s.Close() })
	return s, ts.URL
}

// natsServer starts a NATS server with JetStream on loopback.
func natsServer(t testing.TB) string {
	t.Helper()
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	t.Cleanup(ns.Shutdown)
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server did not start")
	}
	return ns.ClientURL()
}

// A project may have MaxQueuedJobs jobs queued or running: one more gets
// 429 in Edge Impulse's error shape (and TwinEdge's RATE_LIMITED on its
// routes), leaves no job behind, and does not affect another project; a
// cancelled queued job frees its place at once.
func TestQueueLimit(t *testing.T) {
	_, base := newTestServer(t, Config{Workers: -1, MaxQueuedJobs: 2})
	pid, a := gesturesProject(t, base)
	pid2, b := gesturesProject(t, base)
	j1 := a.train(pid, 10)
	a.train(pid, 10)
	st, body := a.call("POST", fmt.Sprintf("/v1/api/%d/jobs/train/keras/3", pid), map[string]any{"trainingCycles": 10}, nil)
	var ei struct {
		Success *bool
		Error   string
	}
	json.Unmarshal(body, &ei)
	if st != http.StatusTooManyRequests || ei.Success == nil || *ei.Success || !strings.Contains(ei.Error, "already has 2 jobs queued or running") {
		t.Errorf("third job: %d %s, want 429 {success: false, error}", st, body)
	}
	st, body = a.call("POST", "/v1/ml/training", map[string]any{}, nil)
	var twin struct {
		Error struct{ Code, Message string }
	}
	json.Unmarshal(body, &twin)
	if st != http.StatusTooManyRequests || twin.Error.Code != "RATE_LIMITED" {
		t.Errorf("TwinEdge training past the limit: %d %s, want 429 RATE_LIMITED", st, body)
	}
	var jobs struct {
		Jobs []struct{ ID int }
	}
	a.must("GET", fmt.Sprintf("/v1/api/%d/jobs", pid), nil, &jobs)
	if len(jobs.Jobs) != 2 {
		t.Errorf("%d jobs listed, want the 2 accepted", len(jobs.Jobs))
	}
	b.train(pid2, 10) // another project is not held back
	a.must("POST", fmt.Sprintf("/v1/api/%d/jobs/%d/cancel", pid, j1), nil, nil)
	if done, ok, _ := a.status(pid, j1); !done || ok {
		t.Errorf("cancelled queued job: finished %v, successful %v", done, ok)
	}
	if st, body := a.call("POST", fmt.Sprintf("/v1/api/%d/jobs/train/keras/3", pid), map[string]any{"trainingCycles": 10}, nil); st != 200 {
		t.Errorf("after a cancel: %d %s", st, body)
	}
}

// With one worker, a project's jobs queued first do not hold back another
// project's: the worker takes the projects in turn.
func TestFairness(t *testing.T) {
	s, base := newTestServer(t, Config{Workers: 1})
	pa, a := gesturesProject(t, base)
	pb, b := gesturesProject(t, base)
	type started struct {
		name string
		at   time.Time
	}
	var ids []started
	// A1 keeps the worker busy until the rest are queued, however fast the
	// machine: it is cancelled once they are.
	first := a.train(pa, 100000)
	waitLog(t, s.eng, pa, first, "Epoch 1/", time.Minute)
	ids = append(ids, started{name: "A1"})
	var jobs [][2]int
	jobs = append(jobs, [2]int{pa, first})
	for i := 2; i <= 4; i++ {
		jobs = append(jobs, [2]int{pa, a.train(pa, 5)})
		ids = append(ids, started{name: fmt.Sprint("A", i)})
	}
	for i := 1; i <= 2; i++ {
		jobs = append(jobs, [2]int{pb, b.train(pb, 5)})
		ids = append(ids, started{name: fmt.Sprint("B", i)})
	}
	a.must("POST", fmt.Sprintf("/v1/api/%d/jobs/%d/cancel", pa, first), nil, nil)
	for i, j := range jobs {
		c := a
		if j[0] == pb {
			c = b
		}
		if ok := c.wait(j[0], j[1], 2*time.Minute); !ok && i > 0 {
			t.Fatalf("job %s failed", ids[i].name)
		}
		row, err := s.st.job(context.Background(), j[0], j[1])
		if err != nil {
			t.Fatal(err)
		}
		ids[i].at = *row.Started
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i].at.Before(ids[j].at) })
	var order []string
	for _, s := range ids {
		order = append(order, s.name)
	}
	// Queued in the order A2 A3 A4 B1 B2 (first come, first served would
	// run them so), run in turns.
	if got := strings.Join(order, " "); got != "A1 B1 A2 B2 A3 A4" {
		t.Errorf("jobs started in the order %s, want A1 B1 A2 B2 A3 A4", got)
	}
}

// A job's outcome is decided once, by the worker and delivery holding it;
// what follows can run again without doing anything twice.
func TestFinishOnce(t *testing.T) {
	s, base := newTestServer(t, Config{Workers: -1})
	pid, a := gesturesProject(t, base)
	ctx := context.Background()
	jid := a.train(pid, 5)
	key := pkey(pid, jid)
	// Worker w1 claims the job, loses it to w2 (its progress reports
	// stopped), and both finish.
	for _, c := range []claim{{"w1#0", 1}, {"w2#0", 2}} {
		if _, err := update(ctx, s.st, bucketJobs, key, func(j *jobRow) error {
			now := time.Now().UTC()
			j.Started, j.Worker, j.Attempts = &now, c.worker, c.attempt
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	model := func(name string) func(*jobRow) {
		return func(j *jobRow) {
			j.Trained = &modelRow{ID: j.ID, ProjectID: j.ProjectID, Archive: name, Created: j.Outcome.At}
		}
	}
	if _, _, err := s.decide(ctx, pid, jid, &claim{"w1#0", 1}, true, "", model("stale")); err != errNotOurs {
		t.Errorf("decision by the worker that lost the job: %v, want errNotOurs", err)
	}
	j, done, err := s.decide(ctx, pid, jid, &claim{"w2#0", 2}, true, "", model("current"))
	if err != nil || !done || j.Trained.Archive != "current" {
		t.Fatalf("decision by the holder: done %v, %v", done, err)
	}
	if fin, _, _ := a.status(pid, jid); fin {
		t.Errorf("the job shows finished before its model is stored")
	}
	if _, done, err := s.decide(ctx, pid, jid, &claim{"w2#0", 2}, false, "late", nil); err != nil || done {
		t.Errorf("second finish: done %v, %v", done, err)
	}
	if _, done, _ := s.decide(ctx, pid, jid, nil, false, "Terminated by user", nil); done {
		t.Errorf("a cancellation finished a finished job again")
	}
	var mu sync.Mutex
	hooked := 0
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hooked++
		mu.Unlock()
	}))
	defer receiver.Close()
	if st, body := a.call("POST", "/v1/ml/webhooks", map[string]any{"url": receiver.URL, "events": []string{"training.completed"}}, nil); st != http.StatusCreated {
		t.Fatalf("webhook: %d %s", st, body)
	}
	for again := range []bool{false, true, true} {
		if err := s.finished(ctx, j, again > 0); err != nil {
			t.Fatal(err)
		}
	}
	s.hooks.wait()
	mu.Lock()
	defer mu.Unlock()
	es, _ := s.eng.Logs().Read(ctx, logName(pid, jid), time.Time{})
	finals := 0
	for _, e := range es {
		if e.Finished {
			finals++
		}
	}
	var m modelRow
	s.st.get(ctx, bucketModels, key, &m)
	p, _ := s.st.project(ctx, pid)
	if finals != 1 || hooked != 1 || m.Archive != "current" || p.Model != jid {
		t.Errorf("after three runs of what follows the finish: %d final log entries, webhooks called %d times, model %q, project model %d; want 1, 1, current, %d",
			finals, hooked, m.Archive, p.Model, jid)
	}
	if row, _ := s.st.job(ctx, pid, jid); !*row.FinishedSuccessful || row.Trained.Archive != "current" {
		t.Errorf("the row changed after its decision: %+v", row)
	}
}

// The API server with a NATS URL runs no jobs; RunWorker processes do,
// with no disk of their own. A worker that is stopped gives its job back
// at once (it is not counted as a worker that died), and the next worker
// runs it.
func TestRunWorker(t *testing.T) {
	quiet := slog.New(slog.DiscardHandler)
	url := natsServer(t)
	s, base := newTestServer(t, Config{NATSURL: url})
	if s.workers != nil {
		t.Fatal("the API server runs workers with a NATS URL and Workers 0")
	}
	if err := RunWorker(context.Background(), WorkerConfig{}); err == nil {
		t.Error("RunWorker without a NATS URL: no error")
	}
	pid, a := gesturesProject(t, base)
	jid := a.train(pid, 100000)
	time.Sleep(time.Second)
	if row, _ := s.st.job(context.Background(), pid, jid); row.Started != nil {
		t.Fatal("a job started with no worker")
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- RunWorker(ctx, WorkerConfig{NATSURL: url, Name: "first", Concurrency: 1, Log: quiet}) }()
	waitLog(t, s.eng, pid, jid, "Epoch 2/", time.Minute)
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	row, _ := s.st.job(context.Background(), pid, jid)
	if row.Started != nil || row.Releases != 1 || row.finished() {
		t.Fatalf("after the worker stopped: started %v, releases %d, finished %v", row.Started, row.Releases, row.finished())
	}
	// The job goes to the next worker at once; it is cancelled there.
	ctx2, stop2 := context.WithCancel(context.Background())
	defer stop2()
	go RunWorker(ctx2, WorkerConfig{NATSURL: url, Name: "second", Concurrency: 1, Log: quiet})
	deadline := time.Now().Add(time.Minute)
	for {
		row, _ = s.st.job(context.Background(), pid, jid)
		if row.Started != nil && strings.HasPrefix(row.Worker, "second#") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the released job did not reach the second worker")
		}
		time.Sleep(20 * time.Millisecond)
	}
	a.must("POST", fmt.Sprintf("/v1/api/%d/jobs/%d/cancel", pid, jid), nil, nil)
	a.wait(pid, jid, time.Minute)
	log := a.stdout(pid, jid)
	if !strings.Contains(log, "(first#0) was stopped; the job goes back to the queue") || strings.Contains(log, "running it again") {
		t.Errorf("log of the released job:\n%s", log)
	}
	if !strings.HasSuffix(log, "Terminated by user\nJob failed\n") {
		t.Errorf("the cancelled job's log ends %q", log[max(0, len(log)-80):])
	}
	// A short job runs on the worker process.
	j2 := a.train(pid, 10)
	if !a.wait(pid, j2, time.Minute) {
		t.Errorf("job %d failed:\n%s", j2, a.stdout(pid, j2))
	}
	if e, ok := s.eng.(*engine.NATS); !ok || e.Replicas() != 1 {
		t.Errorf("replicas on a single server: want 1")
	}
}

// Messages on the queue that are not jobs (malformed, or naming a job
// that does not exist) are dropped, and the worker goes on.
func TestBadQueueMessages(t *testing.T) {
	s, base := newTestServer(t, Config{Workers: 1})
	pid, a := gesturesProject(t, base)
	ctx := context.Background()
	for i, msg := range []string{"{", `{"projectId":"x"}`, `{"projectId":1,"jobId":999}`, "", `[]`} {
		if _, err := s.eng.Queue().Enqueue(ctx, "1", fmt.Sprint("bad", i), []byte(msg)); err != nil {
			t.Fatal(err)
		}
	}
	jid := a.train(pid, 5)
	if !a.wait(pid, jid, time.Minute) {
		t.Fatalf("job %d failed", jid)
	}
	// Nothing is left on the queue.
	e := s.eng.(*engine.NATS)
	deadline := time.Now().Add(10 * time.Second)
	for {
		d, err := func() (engine.Delivery, error) {
			qctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
			defer cancel()
			return e.Queue().Next(qctx)
		}()
		if err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("message %q still on the queue", d.Data())
		}
	}
}
