package service_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tinyimpulse/tinyimpulse/service"
)

// TestHelperServe is the service process of TestRestart (it runs only as
// that child process).
func TestHelperServe(t *testing.T) {
	if os.Getenv("TI_SERVE_CHILD") != "1" {
		t.Skip("runs only as TestRestart's child process")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	if v := os.Getenv("TI_EPOCH_PAUSE"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("TI_EPOCH_PAUSE: %v", err)
		}
		service.SetEpochPause(d)
	}
	err := service.Run(ctx, service.Config{
		DataDir:  os.Getenv("TI_DATA_DIR"),
		Addr:     os.Getenv("TI_ADDR"),
		AdminKey: testAdminKey,
		Workers:  1,
		AckWait:  2 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
}

// child is a service process.
type child struct {
	cmd *exec.Cmd
	url string
}

// startChild starts a service process on dir and addr; env adds to its
// environment (TI_EPOCH_PAUSE=30ms holds its trainings after every epoch).
func startChild(t *testing.T, dir, addr string, env ...string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperServe$", "-test.v")
	cmd.Env = append(append(os.Environ(), "TI_SERVE_CHILD=1", "TI_DATA_DIR="+dir, "TI_ADDR="+addr), env...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, url: "http://" + addr}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(c.url + "/openapi.json")
		if err == nil {
			resp.Body.Close()
			return c
		}
		time.Sleep(50 * time.Millisecond)
	}
	cmd.Process.Kill()
	t.Fatal("the service process did not start within 30 s")
	return nil
}

func (c *child) kill() {
	c.cmd.Process.Signal(syscall.SIGKILL)
	c.cmd.Wait()
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// withoutTimes drops every RFC 3339 string (timestamps) from a decoded
// JSON document, so that two trainings compare by their models alone.
func withoutTimes(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			if s, ok := e.(string); ok {
				if _, err := time.Parse(time.RFC3339, s); err == nil {
					continue
				}
			}
			out[k] = withoutTimes(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = withoutTimes(e)
		}
		return out
	}
	return v
}

// TestRestart kills the service with SIGKILL while it trains, starts it
// again on the same data folder, and checks that everything finished
// before is intact and that the interrupted job runs again and gives the
// model an uninterrupted run gives.
//
// The interrupted job is re-run, not failed: its work-queue message was
// never acknowledged, so JetStream hands it to a worker again once the
// acknowledgement wait has passed without progress reports. Training is
// deterministic (the job row keeps its seed, definition and samples), so
// running it again costs time but changes nothing; a job whose worker dies
// a second time is failed instead (third delivery), so that a job that
// kills its worker cannot loop.
func TestRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts service processes; skipped in -short mode")
	}
	dir := t.TempDir()
	addr := freeAddr(t)
	// The first process holds every epoch 30 ms, so that job B (400
	// epochs, 12 s at least) is still training when it is killed after its
	// third epoch, however fast the machine.
	c := startChild(t, dir, addr, "TI_EPOCH_PAUSE=30ms")
	defer func() { c.kill() }()
	h := &harness{t: t, ts: nil}
	h.base = c.url

	pid, key := h.setupGestures()
	jobA := h.startTrain(pid, key, 20)
	if st := h.wait(pid, key, jobA, 2*time.Minute); !*st.Job.FinishedSuccessful {
		t.Fatalf("job %d failed:\n%s", jobA, h.stdout(pid, key, jobA))
	}
	var detailedA map[string]any
	h.must(200, "GET", fmt.Sprintf("/v1/api/%d/impulses-detailed", pid), key, nil, &detailedA)
	logA := h.stdout(pid, key, jobA)

	// Job B runs long enough to be killed in the middle.
	jobB := h.startTrain(pid, key, 400)
	deadline := time.Now().Add(time.Minute)
	seen := h.stdout(pid, key, jobB)
	for !strings.Contains(seen, "Epoch 3/") {
		if time.Now().After(deadline) {
			t.Fatalf("job %d did not start training:\n%s", jobB, seen)
		}
		time.Sleep(20 * time.Millisecond)
		seen = h.stdout(pid, key, jobB)
	}
	c.kill()
	if strings.Contains(seen, "Job completed") {
		t.Fatalf("job %d finished before the kill, despite the 30 ms pause after every epoch", jobB)
	}
	c = startChild(t, dir, addr)

	// Everything finished before is intact.
	var info struct {
		Project     struct{ ID int }
		DataSummary struct{ DataCount int }
	}
	h.must(200, "GET", fmt.Sprintf("/v1/api/%d", pid), key, nil, &info)
	if info.Project.ID != pid || info.DataSummary.DataCount != 47 {
		t.Errorf("project after restart: %+v, want project %d with 47 samples", info, pid)
	}
	if st := h.wait(pid, key, jobA, time.Second); !*st.Job.FinishedSuccessful {
		t.Errorf("job %d is no longer successful after the restart", jobA)
	}
	if got := h.stdout(pid, key, jobA); got != logA {
		t.Errorf("job %d's log changed across the restart", jobA)
	}
	var detailedAfter map[string]any
	h.must(200, "GET", fmt.Sprintf("/v1/api/%d/impulses-detailed", pid), key, nil, &detailedAfter)
	if !reflect.DeepEqual(detailedA, detailedAfter) {
		t.Errorf("impulses-detailed changed across the restart")
	}

	// The interrupted job runs again and finishes.
	st := h.wait(pid, key, jobB, 3*time.Minute)
	logB := h.stdout(pid, key, jobB)
	if !*st.Job.FinishedSuccessful {
		t.Fatalf("job %d failed after the restart:\n%s", jobB, logB)
	}
	if !strings.Contains(logB, "running it again (attempt 2") {
		t.Errorf("job %d's log does not say it was run again:\n%s", jobB, logB)
	}
	var detailedB map[string]any
	h.must(200, "GET", fmt.Sprintf("/v1/api/%d/impulses-detailed", pid), key, nil, &detailedB)

	// An uninterrupted run of the same job gives the same model.
	jobC := h.startTrain(pid, key, 400)
	if st := h.wait(pid, key, jobC, 3*time.Minute); !*st.Job.FinishedSuccessful {
		t.Fatalf("job %d failed", jobC)
	}
	var detailedC map[string]any
	h.must(200, "GET", fmt.Sprintf("/v1/api/%d/impulses-detailed", pid), key, nil, &detailedC)
	b1, _ := json.Marshal(withoutTimes(detailedB))
	b2, _ := json.Marshal(withoutTimes(detailedC))
	if string(b1) != string(b2) {
		t.Errorf("the re-run job's model differs from an uninterrupted run's")
	}
}
