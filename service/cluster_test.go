package service

// The service spread over processes: a three-node NATS JetStream cluster,
// an API server and two workers, each a child process of the test binary
// (TestHelperClusterProcess), on loopback. The tests kill them with
// SIGKILL while they work.

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/tinyimpulse/tinyimpulse/service/engine"
)

const clusterAdminKey = "ei_cluster_admin_key_0123456789"

// procSpec is what one child process of the cluster tests runs.
type procSpec struct {
	Role string `json:"role"` // nats, api or worker
	Name string `json:"name"`
	// NATS node: client and route ports, routes to the others, storage.
	Port        int    `json:"port,omitempty"`
	ClusterPort int    `json:"clusterPort,omitempty"`
	Routes      string `json:"routes,omitempty"`
	Dir         string `json:"dir,omitempty"`
	// API server and worker.
	NATS        string        `json:"nats,omitempty"`
	Addr        string        `json:"addr,omitempty"`
	AckWait     time.Duration `json:"ackWait,omitempty"`
	MaxQueued   int           `json:"maxQueued,omitempty"`
	Concurrency int           `json:"concurrency,omitempty"`
}

// TestHelperClusterProcess is a child process of the cluster tests (a NATS
// node, the API server or a worker); it runs until SIGTERM or SIGKILL.
func TestHelperClusterProcess(t *testing.T) {
	env := os.Getenv("TI_CLUSTER_PROC")
	if env == "" {
		t.Skip("runs only as a child process of the cluster tests")
	}
	var p procSpec
	if err := json.Unmarshal([]byte(env), &p); err != nil {
		t.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	var err error
	switch p.Role {
	case "nats":
		opts := &server.Options{
			ServerName: p.Name,
			Host:       "127.0.0.1",
			Port:       p.Port,
			JetStream:  true,
			StoreDir:   p.Dir,
			Cluster:    server.ClusterOpts{Name: "ti", Host: "127.0.0.1", Port: p.ClusterPort},
			Routes:     server.RoutesFromStr(p.Routes),
			NoSigs:     true,
		}
		ns, err := server.NewServer(opts)
		if err != nil {
			t.Fatal(err)
		}
		ns.ConfigureLogger()
		ns.Start()
		if !ns.ReadyForConnections(30 * time.Second) {
			t.Fatal("nats-server did not start")
		}
		<-ctx.Done()
		ns.Shutdown()
		ns.WaitForShutdown()
	case "api":
		err = Run(ctx, Config{NATSURL: p.NATS, Addr: p.Addr, AdminKey: clusterAdminKey, AckWait: p.AckWait,
			MaxQueuedJobs: p.MaxQueued, RateLimitPerMinute: -1, RateLimitPerDay: -1, Log: log})
	case "worker":
		err = RunWorker(ctx, WorkerConfig{NATSURL: p.NATS, Concurrency: p.Concurrency, Name: p.Name, Log: log})
	default:
		t.Fatalf("unknown role %q", p.Role)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// proc is a child process.
type proc struct {
	spec procSpec
	cmd  *exec.Cmd
	log  string // its stdout and stderr
}

func (p *proc) alive() bool { return p.cmd != nil && p.cmd.ProcessState == nil }

// kill stops the process with SIGKILL.
func (p *proc) kill() {
	if p.alive() {
		p.cmd.Process.Signal(syscall.SIGKILL)
		p.cmd.Wait()
	}
}

// stop stops the process with SIGTERM (SIGKILL after 20 s).
func (p *proc) stop() {
	if !p.alive() {
		return
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		p.cmd.Process.Signal(syscall.SIGKILL)
		<-done
	}
}

// testCluster is the NATS cluster and the service's processes.
type testCluster struct {
	t     testing.TB
	dir   string
	nodes []*proc
	urls  string // every node's client URL, comma-separated
	api   *proc
	procs []*proc // every process started, for the cleanup

	ackWait time.Duration
}

func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// start starts a child process running spec.
func (c *testCluster) start(spec procSpec) *proc {
	c.t.Helper()
	data, _ := json.Marshal(spec)
	p := &proc{spec: spec, log: filepath.Join(c.dir, "logs", fmt.Sprintf("%s-%d.log", spec.Name, len(c.procs)))}
	os.MkdirAll(filepath.Dir(p.log), 0o755)
	f, err := os.Create(p.log)
	if err != nil {
		c.t.Fatal(err)
	}
	defer f.Close()
	p.cmd = exec.Command(os.Args[0], "-test.run=^TestHelperClusterProcess$")
	p.cmd.Env = append(os.Environ(), "TI_CLUSTER_PROC="+string(data))
	p.cmd.Stdout, p.cmd.Stderr = f, f
	dieWithParent(p.cmd)
	if err := p.cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	c.procs = append(c.procs, p)
	return p
}

// newTestCluster starts a NATS cluster of n nodes.
func newTestCluster(t testing.TB, n int, ackWait time.Duration) *testCluster {
	c := &testCluster{t: t, dir: t.TempDir(), ackWait: ackWait}
	t.Cleanup(func() {
		for _, p := range c.procs {
			p.kill()
		}
		if t.Failed() {
			// Keep every process's whole log for a look afterwards.
			if keep, err := os.MkdirTemp("", "tinyimpulse-cluster-logs-"); err == nil {
				for _, p := range c.procs {
					if data, err := os.ReadFile(p.log); err == nil {
						os.WriteFile(filepath.Join(keep, filepath.Base(p.log)), data, 0o644)
					}
				}
				t.Logf("the processes' logs are in %s", keep)
			}
			for _, p := range c.procs {
				data, _ := os.ReadFile(p.log)
				if len(data) > 6000 {
					data = data[len(data)-6000:]
				}
				t.Logf("--- %s (%s), last lines:\n%s", p.spec.Name, p.spec.Role, data)
			}
		}
	})
	ports := make([]int, n)
	cports := make([]int, n)
	var urls []string
	for i := range n {
		ports[i], cports[i] = freePort(t), freePort(t)
		urls = append(urls, fmt.Sprintf("nats://127.0.0.1:%d", ports[i]))
	}
	c.urls = strings.Join(urls, ",")
	for i := range n {
		defer waitListening(t, ports[i])
		var routes []string
		for j := range n {
			if j != i {
				routes = append(routes, fmt.Sprintf("nats://127.0.0.1:%d", cports[j]))
			}
		}
		c.nodes = append(c.nodes, c.start(procSpec{Role: "nats", Name: fmt.Sprintf("n%d", i+1), Port: ports[i], ClusterPort: cports[i],
			Routes: strings.Join(routes, ","), Dir: filepath.Join(c.dir, fmt.Sprintf("n%d", i+1))}))
	}
	return c
}

// restartNode starts node i again on its ports and storage.
func (c *testCluster) restartNode(i int) {
	c.nodes[i] = c.start(c.nodes[i].spec)
	waitListening(c.t, c.nodes[i].spec.Port)
}

// waitListening waits until a process listens on a loopback port.
func waitListening(t testing.TB, port int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		conn, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			conn.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("nothing listens on port %d after 30 s", port)
}

// startAPI starts an API server and waits until it answers.
func (c *testCluster) startAPI() string {
	c.t.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(c.t))
	c.api = c.start(procSpec{Role: "api", Name: "api", NATS: c.urls, Addr: addr, AckWait: c.ackWait, MaxQueued: 100})
	base := "http://" + addr
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(base + "/openapi.json"); err == nil {
			resp.Body.Close()
			return base
		}
		if !c.api.alive() {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	c.t.Fatal("the API server did not start within 60 s")
	return ""
}

func (c *testCluster) startWorker(name string) *proc {
	return c.start(procSpec{Role: "worker", Name: name, NATS: c.urls, Concurrency: 1})
}

// apiClient calls the service's HTTP API.
type apiClient struct {
	t    testing.TB
	base string
	key  string
	hc   *http.Client
}

// call sends a request; status 0 is a transport error.
func (a *apiClient) call(method, path string, body any, out any) (int, []byte) {
	var rd io.Reader
	ct := "application/json"
	switch b := body.(type) {
	case nil:
	case *multipart.Writer:
		panic("use upload")
	default:
		data, _ := json.Marshal(b)
		rd = bytes.NewReader(data)
	}
	req, _ := http.NewRequest(method, a.base+path, rd)
	req.Header.Set("x-api-key", a.key)
	req.Header.Set("Content-Type", ct)
	resp, err := a.hc.Do(req)
	if err != nil {
		return 0, []byte(err.Error())
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode == 200 {
		json.Unmarshal(data, out)
	}
	return resp.StatusCode, data
}

// with returns the client reporting to t (a subtest).
func (a *apiClient) with(t testing.TB) *apiClient {
	b := *a
	b.t = t
	return &b
}

func (a *apiClient) must(method, path string, body any, out any) {
	a.t.Helper()
	if st, data := a.call(method, path, body, out); st != 200 {
		a.t.Fatalf("%s %s: %d %s", method, path, st, data)
	}
}

func (a *apiClient) upload(category string) {
	a.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	dir := filepath.Join("..", "testdata", "gestures", category)
	ents, err := os.ReadDir(dir)
	if err != nil {
		a.t.Fatal(err)
	}
	for _, e := range ents {
		fw, _ := mw.CreateFormFile("data", e.Name())
		data, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		fw.Write(data)
	}
	mw.Close()
	req, _ := http.NewRequest("POST", a.base+"/api/"+category+"/files", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("x-api-key", a.key)
	resp, err := a.hc.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		a.t.Fatalf("upload %s: %d %s", category, resp.StatusCode, data)
	}
}

// gesturesProject creates a project with testdata/gestures and its
// impulse, and returns its id and a client with its key.
func gesturesProject(t testing.TB, base string) (int, *apiClient) {
	t.Helper()
	admin := &apiClient{t: t, base: base, key: clusterAdminKey, hc: &http.Client{Timeout: time.Minute}}
	var created struct {
		ID     int
		APIKey string
	}
	admin.must("POST", "/v1/api/projects/create", map[string]any{"projectName": "gestures"}, &created)
	a := &apiClient{t: t, base: base, key: created.APIKey, hc: admin.hc}
	a.upload("training")
	a.upload("testing")
	data, err := os.ReadFile(filepath.Join("..", "testdata", "impulses", "gestures.json"))
	if err != nil {
		t.Fatal(err)
	}
	var def struct {
		Impulse json.RawMessage           `json:"impulse"`
		DSP     map[string]map[string]any `json:"dsp"`
	}
	json.Unmarshal(data, &def)
	a.must("POST", fmt.Sprintf("/v1/api/%d/impulse", created.ID), def.Impulse, nil)
	for id, cfg := range def.DSP {
		conf := map[string]string{}
		for k, v := range cfg {
			conf[k] = fmt.Sprint(v)
		}
		a.must("POST", fmt.Sprintf("/v1/api/%d/dsp/%s", created.ID, id), map[string]any{"config": conf}, nil)
	}
	return created.ID, a
}

func (a *apiClient) train(pid, epochs int) int {
	a.t.Helper()
	var res struct{ ID int }
	a.must("POST", fmt.Sprintf("/v1/api/%d/jobs/train/keras/3", pid), map[string]any{"trainingCycles": epochs, "learningRate": 0.0005}, &res)
	return res.ID
}

// status returns whether a job finished and whether it succeeded.
func (a *apiClient) status(pid, jid int) (finished, success bool, code int) {
	var st struct {
		Job struct{ FinishedSuccessful *bool }
	}
	code, _ = a.call("GET", fmt.Sprintf("/v1/api/%d/jobs/%d/status", pid, jid), nil, &st)
	if st.Job.FinishedSuccessful == nil {
		return false, false, code
	}
	return true, *st.Job.FinishedSuccessful, code
}

func (a *apiClient) wait(pid, jid int, timeout time.Duration) bool {
	a.t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if done, ok, _ := a.status(pid, jid); done {
			return ok
		}
		time.Sleep(100 * time.Millisecond)
	}
	a.t.Fatalf("job %d did not finish within %v", jid, timeout)
	return false
}

func (a *apiClient) stdout(pid, jid int) string {
	a.t.Helper()
	var res struct {
		Stdout []struct{ Data string }
	}
	a.must("GET", fmt.Sprintf("/v1/api/%d/jobs/%d/stdout", pid, jid), nil, &res)
	var b strings.Builder
	for _, l := range res.Stdout {
		b.WriteString(l.Data)
	}
	return b.String()
}

// waitLog waits until a job's log (read from the engine) contains s.
func waitLog(t testing.TB, eng engine.Engine, pid, jid int, s string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		es, _ := eng.Logs().Read(context.Background(), logName(pid, jid), time.Time{})
		for _, e := range es {
			if strings.Contains(e.Data, s) {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("job %d's log did not show %q within %v", jid, s, timeout)
}

// epochCounts counts the "Epoch k/n" lines of a log by k.
func epochCounts(log string, n int) map[int]int {
	re := regexp.MustCompile(`Epoch (\d+)/` + strconv.Itoa(n) + `\b`)
	counts := map[int]int{}
	for _, m := range re.FindAllStringSubmatch(log, -1) {
		k, _ := strconv.Atoi(m[1])
		counts[k]++
	}
	return counts
}

// stripTimes drops every RFC 3339 string from a decoded JSON document.
func stripTimes(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			if s, ok := e.(string); ok {
				if _, err := time.Parse(time.RFC3339, s); err == nil {
					continue
				}
			}
			out[k] = stripTimes(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = stripTimes(e)
		}
		return out
	}
	return v
}

// sameModel compares two models in their one-file form (Model.WriteTo):
// the same files, the binary ones (network weights, anomaly models) byte
// for byte, the JSON ones without their timestamps.
func sameModel(a, b []byte) error {
	za, err := zip.NewReader(bytes.NewReader(a), int64(len(a)))
	if err != nil {
		return err
	}
	zb, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return err
	}
	names := func(z *zip.Reader) []string {
		var n []string
		for _, f := range z.File {
			n = append(n, f.Name)
		}
		return n
	}
	if !reflect.DeepEqual(names(za), names(zb)) {
		return fmt.Errorf("files %v and %v", names(za), names(zb))
	}
	for i, fa := range za.File {
		ra, _ := fa.Open()
		da, _ := io.ReadAll(ra)
		rb, _ := zb.File[i].Open()
		db, _ := io.ReadAll(rb)
		if strings.HasSuffix(fa.Name, ".json") {
			var ja, jb any
			if json.Unmarshal(da, &ja) != nil || json.Unmarshal(db, &jb) != nil {
				return fmt.Errorf("%s: not JSON", fa.Name)
			}
			if !reflect.DeepEqual(stripTimes(ja), stripTimes(jb)) {
				return fmt.Errorf("%s differs", fa.Name)
			}
		} else if !bytes.Equal(da, db) {
			return fmt.Errorf("%s differs (%d and %d bytes)", fa.Name, len(da), len(db))
		}
	}
	return nil
}

// socket is a minimal socket.io 4 client on the WebSocket transport.
type socket struct {
	c *websocket.Conn
}

func dialSocket(t *testing.T, a *apiClient, pid int) *socket {
	t.Helper()
	var tok struct {
		Token struct{ SocketToken string }
	}
	a.must("GET", fmt.Sprintf("/v1/api/%d/socket-token", pid), nil, &tok)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	u := "ws" + strings.TrimPrefix(a.base, "http") + "/socket.io/?EIO=4&transport=websocket&token=" + tok.Token.SocketToken
	c, _, err := websocket.Dial(ctx, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := &socket{c: c}
	if pkt := s.read(t, 10*time.Second); !strings.HasPrefix(pkt, "0{") {
		t.Fatalf("Engine.IO open: %q", pkt)
	}
	s.write(t, "40")
	for {
		pkt := s.read(t, 10*time.Second)
		if strings.HasPrefix(pkt, `42["hello"`) {
			return s
		}
	}
}

func (s *socket) write(t *testing.T, pkt string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.c.Write(ctx, websocket.MessageText, []byte(pkt)); err != nil {
		t.Fatal(err)
	}
}

// read returns the next packet, answering pings.
func (s *socket) read(t *testing.T, timeout time.Duration) string {
	t.Helper()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		_, data, err := s.c.Read(ctx)
		cancel()
		if err != nil {
			t.Fatalf("socket: %v", err)
		}
		if string(data) == "2" {
			s.write(t, "3")
			continue
		}
		return string(data)
	}
}

// streamsCurrent reports whether every stream has all its replicas on
// line and current, and the name of one that has not.
func streamsCurrent(ctx context.Context, js jetstream.JetStream, node string) (bool, string) {
	names := js.StreamNames(ctx)
	var all []string
	for n := range names.Name() {
		all = append(all, n)
	}
	if names.Err() != nil {
		return false, names.Err().Error()
	}
	for _, n := range all {
		s, err := js.Stream(ctx, n)
		if err != nil {
			return false, n + ": " + err.Error()
		}
		ci := s.CachedInfo().Cluster
		if ci == nil || ci.Leader == "" {
			return false, n + ": no leader"
		}
		if ci.Leader == node {
			continue
		}
		found := false
		for _, r := range ci.Replicas {
			if r.Name == node {
				found = true
				if !r.Current || r.Offline || r.Lag > 0 {
					return false, fmt.Sprintf("%s: %s current=%v offline=%v lag=%d", n, node, r.Current, r.Offline, r.Lag)
				}
			}
		}
		if !found {
			return false, n + ": no replica on " + node
		}
	}
	return true, ""
}

// faultRow is a line of the fault table the test logs.
type faultRow struct{ fault, measured string }

// TestCluster runs the service as it is deployed: a three-node NATS
// JetStream cluster, an API server and two workers, each its own process,
// and kills each kind of process with SIGKILL in the middle of a job.
func TestCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a NATS cluster and service processes; skipped in -short mode")
	}
	// Workers report progress every 2.5 s. The wait is longer than the
	// time a stream takes to elect a new leader when its leader's server
	// dies (raft election timeouts of 4 to 9 s), so that a job whose
	// worker lives is not handed to another during a NATS node's failure.
	const ackWait = 10 * time.Second
	const epochs = 1200
	c := newTestCluster(t, 3, ackWait)
	base := c.startAPI()
	workers := map[string]*proc{"w1": c.startWorker("w1"), "w2": c.startWorker("w2")}
	ctx := context.Background()

	eng, err := engine.Open(ctx, engine.Config{URL: c.urls, KeepSettings: true, Name: "test"})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	n, err := newNode(ctx, eng, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer n.close()
	nc, err := nats.Connect(c.urls)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	var table []faultRow

	// Every stream, bucket and the object store are kept by 3 servers.
	var streams []string
	for name := range js.StreamNames(ctx).Name() {
		streams = append(streams, name)
	}
	sort.Strings(streams)
	for _, name := range streams {
		s, err := js.Stream(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if info := s.CachedInfo(); info.Config.Replicas != 3 || info.Cluster == nil || len(info.Cluster.Replicas) != 2 {
			t.Errorf("stream %s: %d replicas (%+v), want 3", name, info.Config.Replicas, info.Cluster)
		}
	}
	t.Logf("streams (replicas 3): %s", strings.Join(streams, " "))
	for _, want := range []string{"TI_QUEUE", "TI_LOGS", "OBJ_ti-objects", "KV_ti-jobs"} {
		if sort.SearchStrings(streams, want) == len(streams) || streams[sort.SearchStrings(streams, want)] != want {
			t.Errorf("no stream %s", want)
		}
	}

	t.Run("ReadAfterWrite", func(t *testing.T) {
		// A value written through one server is read through another at
		// once: the job row a worker reads is the one the API server
		// wrote a moment before.
		var engs []*engine.NATS
		for _, node := range c.nodes[:2] {
			e, err := engine.Open(ctx, engine.Config{URL: fmt.Sprintf("nats://127.0.0.1:%d", node.spec.Port), KeepSettings: true})
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			engs = append(engs, e)
		}
		w, _ := engs[0].Bucket(ctx, "jobs")
		r, _ := engs[1].Bucket(ctx, "jobs")
		// Under load, a server that keeps a copy can lag behind the
		// stream's leader.
		loadCtx, stopLoad := context.WithCancel(ctx)
		var load sync.WaitGroup
		for g := range 4 {
			load.Add(1)
			go func() {
				defer load.Done()
				blob := make([]byte, 1<<20)
				for i := 0; loadCtx.Err() == nil; i++ {
					eng.Objects().Put(loadCtx, fmt.Sprintf("load/%d-%d", g, i%4), blob)
				}
			}()
		}
		defer func() {
			stopLoad()
			load.Wait()
		}()
		stale, missing := 0, 0
		for i := range 300 {
			key := fmt.Sprintf("0.%d", i)
			rev, err := w.Put(ctx, key, []byte("v1"))
			if err != nil {
				t.Fatal(err)
			}
			if v, rrev, err := r.Get(ctx, key); err != nil || string(v) != "v1" || rrev != rev {
				missing++
			}
			rev, _ = w.Put(ctx, key, []byte("v2"))
			if v, rrev, err := r.Get(ctx, key); err != nil || string(v) != "v2" || rrev != rev {
				stale++
			}
			keys, err := r.Keys(ctx, "0.*")
			if err != nil || len(keys) != i+1 {
				t.Fatalf("after %d writes, Keys lists %d keys (%v)", i+1, len(keys), err)
			}
		}
		if stale+missing > 0 {
			t.Errorf("of 300 keys written through one server and read through another: %d missing, %d stale", missing, stale)
		}
		for i := range 300 {
			w.Delete(ctx, fmt.Sprintf("0.%d", i))
		}
	})

	pid, a := gesturesProject(t, base)
	holder := func(jid int) string {
		j, err := n.st.job(ctx, pid, jid)
		if err != nil {
			t.Fatal(err)
		}
		return strings.SplitN(j.Worker, "#", 2)[0]
	}

	t.Run("KillWorker", func(t *testing.T) {
		a := a.with(t)
		jid := a.train(pid, epochs)
		waitLog(t, eng, pid, jid, "Epoch 3/", time.Minute)
		victim := holder(jid)
		killed := time.Now()
		workers[victim].kill()
		if !a.wait(pid, jid, 3*time.Minute) {
			t.Fatalf("job %d failed:\n%s", jid, a.stdout(pid, jid))
		}
		took := time.Since(killed)
		j, _ := n.st.job(ctx, pid, jid)
		log := a.stdout(pid, jid)
		if !strings.Contains(log, "stopped; running it again (attempt 2 of 2)") || strings.HasPrefix(j.Worker, victim) {
			t.Errorf("the log does not show the job run again on the other worker (row worker %s):\n%s", j.Worker, log)
		}
		restart := j.Started.Sub(killed)
		// The model equals a single-process run's: the library's training
		// on the same samples, definition and seed, in this process.
		got, err := eng.Objects().Get(ctx, j.Trained.Archive)
		if err != nil {
			t.Fatal(err)
		}
		samples, err := n.loadSamples(ctx, pid, j.Samples, categoryTraining)
		if err != nil {
			t.Fatal(err)
		}
		ref, err := train(ctx, j.Definition, samples, j.Seed, j.ID, 1, func(string) {})
		if err != nil {
			t.Fatal(err)
		}
		if err := sameModel(got, ref.Archive); err != nil {
			t.Errorf("the model of the job run again differs from a single-process run: %v", err)
		}
		// The comparison tells models apart: another seed's differs.
		other, err := train(ctx, j.Definition, samples, j.Seed+1, j.ID, 1, func(string) {})
		if err != nil {
			t.Fatal(err)
		}
		if sameModel(got, other.Archive) == nil {
			t.Errorf("a model trained with another seed compares equal")
		}
		// The first run's outputs were not kept; only one model row.
		if _, err := eng.Objects().Get(ctx, outputNames(pid, jid, 1)[0]); err == nil {
			t.Errorf("the killed run's model object is still stored")
		}
		table = append(table, faultRow{"kill -9 the worker running a job (at epoch 3 of " + strconv.Itoa(epochs) + ")",
			fmt.Sprintf("taken over by the other worker %.1f s after the kill (AckWait %v); finished %.1f s after the kill; model equal to a single-process run's; log shows the retry", restart.Seconds(), ackWait, took.Seconds())})
		workers[victim] = c.startWorker(victim)
	})

	t.Run("KillNATSNode", func(t *testing.T) {
		a := a.with(t)
		jid := a.train(pid, epochs)
		waitLog(t, eng, pid, jid, "Epoch 3/", time.Minute)
		// The node that leads the job rows' stream.
		s, err := js.Stream(ctx, "KV_ti-jobs")
		if err != nil {
			t.Fatal(err)
		}
		leader := s.CachedInfo().Cluster.Leader
		idx := -1
		for i, p := range c.nodes {
			if p.spec.Name == leader {
				idx = i
			}
		}
		if idx < 0 {
			t.Fatalf("no node named %q", leader)
		}
		// Poll the API while the node is down.
		var mu sync.Mutex
		var requests, failures int
		var slowest time.Duration
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				case <-time.After(100 * time.Millisecond):
				}
				start := time.Now()
				_, _, code := a.status(pid, jid)
				d := time.Since(start)
				mu.Lock()
				requests++
				if code != 200 {
					failures++
				}
				slowest = max(slowest, d)
				mu.Unlock()
			}
		}()
		killed := time.Now()
		c.nodes[idx].kill()
		// A new job is accepted while the node is down, and runs.
		start := time.Now()
		jid2 := a.train(pid, 20)
		startTook := time.Since(start)
		ok1 := a.wait(pid, jid, 3*time.Minute)
		ok2 := a.wait(pid, jid2, 3*time.Minute)
		close(stop)
		wg.Wait()
		log := a.stdout(pid, jid)
		if !ok1 || !ok2 {
			t.Fatalf("jobs %d and %d: success %v, %v:\n%s", jid, jid2, ok1, ok2, log)
		}
		counts := epochCounts(log, epochs)
		var bad []string
		for k := 1; k <= epochs; k++ {
			if counts[k] != 1 {
				bad = append(bad, fmt.Sprintf("epoch %d ×%d", k, counts[k]))
			}
		}
		if strings.Contains(log, "running it again") {
			t.Errorf("the job was handed to another worker while its worker lived")
		}
		if len(bad) > 0 {
			t.Errorf("the log lost or repeated lines: %v", bad[:min(len(bad), 10)])
		}
		if failures > 0 {
			t.Errorf("%d of %d status requests failed while node %s was down", failures, requests, leader)
		}
		downFor := time.Since(killed)
		s2, _ := js.Stream(ctx, "KV_ti-jobs")
		newLeader := s2.CachedInfo().Cluster.Leader
		// Bring it back: it catches up with every stream.
		c.restartNode(idx)
		back := time.Now()
		deadline := time.Now().Add(2 * time.Minute)
		for {
			ok, why := streamsCurrent(ctx, js, leader)
			if ok {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("node %s has not caught up within 2 min: %s", leader, why)
			}
			time.Sleep(200 * time.Millisecond)
		}
		caughtUp := time.Since(back)
		t.Logf("node %s down for %.1f s; %d status requests, %d failed, slowest %v; new job accepted in %v", leader, downFor.Seconds(), requests, failures, slowest, startTook)
		table = append(table, faultRow{"kill -9 the NATS node leading the job rows' stream, mid-job; restart it",
			fmt.Sprintf("new leader %s; the job went on on its worker and finished (each of its %d epoch lines logged once); %d of %d status requests answered 200, slowest %.2f s; a job started during the outage accepted in %.2f s and finished; restarted node current on all %d streams %.1f s after its start",
				newLeader, epochs, requests-failures, requests, slowest.Seconds(), startTook.Seconds(), len(streams), caughtUp.Seconds())})
	})

	t.Run("KillAPI", func(t *testing.T) {
		a0 := a
		a := a.with(t)
		jid := a.train(pid, epochs)
		waitLog(t, eng, pid, jid, "Epoch 3/", time.Minute)
		c.api.kill()
		killed := time.Now()
		// The workers keep training: the job's log grows and the job
		// finishes with no API server.
		deadline := time.Now().Add(3 * time.Minute)
		var j *jobRow
		for {
			j, err = n.st.job(ctx, pid, jid)
			if err != nil {
				t.Fatal(err)
			}
			if j.finished() {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("job %d did not finish without the API server", jid)
			}
			time.Sleep(100 * time.Millisecond)
		}
		finishedAfter := time.Since(killed)
		if !*j.FinishedSuccessful {
			t.Fatalf("job %d failed: %s", jid, j.Error)
		}
		base2 := c.startAPI()
		a2 := &apiClient{t: t, base: base2, key: a.key, hc: a.hc}
		if done, ok, _ := a2.status(pid, jid); !done || !ok {
			t.Fatalf("the new API server sees job %d finished=%v successful=%v", jid, done, ok)
		}
		if log := a2.stdout(pid, jid); !strings.Contains(log, fmt.Sprintf("Epoch %d/%d", epochs, epochs)) || !strings.HasSuffix(log, "Job completed\n") {
			t.Errorf("the new API server's log of job %d is incomplete", jid)
		}
		var det struct {
			Impulses []any
		}
		a2.must("GET", fmt.Sprintf("/v1/api/%d/impulses-detailed", pid), nil, &det)
		if len(det.Impulses) != 1 {
			t.Errorf("impulses-detailed has %d impulses", len(det.Impulses))
		}
		a0.base = base2
		table = append(table, faultRow{"kill -9 the API server mid-job; start a new one",
			fmt.Sprintf("the worker finished the job %.1f s after the kill with no API server; the new API server reports it finished, its whole log and the trained impulse", finishedAfter.Seconds())})
	})

	t.Run("CancelFromSocket", func(t *testing.T) {
		a := a.with(t)
		jid := a.train(pid, 100000)
		waitLog(t, eng, pid, jid, "Epoch 3/", time.Minute)
		where := holder(jid)
		s := dialSocket(t, a, pid)
		defer s.c.CloseNow()
		sent := time.Now()
		s.write(t, fmt.Sprintf(`421["job-cancel",%d]`, jid))
		want := fmt.Sprintf(`42["job-finished-%d"`, jid)
		var pkt string
		for !strings.HasPrefix(pkt, want) {
			pkt = s.read(t, 30*time.Second)
		}
		took := time.Since(sent)
		if !strings.Contains(pkt, `"success":false`) {
			t.Errorf("job-finished: %s", pkt)
		}
		j, _ := n.st.job(ctx, pid, jid)
		if !j.finished() || *j.FinishedSuccessful || j.Error != "Terminated by user" {
			t.Fatalf("job %d after the cancel: %+v", jid, j)
		}
		// The worker is free again: a short job runs.
		jid2 := a.train(pid, 10)
		if !a.wait(pid, jid2, 2*time.Minute) {
			t.Errorf("job %d after the cancelled one failed", jid2)
		}
		t.Logf("cancel → job-finished on the WebSocket: %v (job on worker %s, another process)", took, where)
		table = append(table, faultRow{"cancel from the WebSocket a job running on a worker process",
			fmt.Sprintf("job-finished (Terminated by user) on the socket %.0f ms after job-cancel was sent", float64(took.Microseconds())/1000)})
	})

	t.Run("BuildOnWorker", func(t *testing.T) {
		// A deployment build runs on a worker process: the model comes
		// from the object store and the file goes back there, and the API
		// server serves it; the API server makes the report.
		a := a.with(t)
		var res struct{ ID int }
		a.must("POST", fmt.Sprintf("/v1/api/%d/jobs/build-ondevice-model?type=tflite", pid), map[string]any{"engine": "tflite", "modelType": "int8"}, &res)
		if !a.wait(pid, res.ID, time.Minute) {
			t.Fatalf("build job %d failed:\n%s", res.ID, a.stdout(pid, res.ID))
		}
		if w := holder(res.ID); w != "w1" && w != "w2" {
			t.Errorf("build job %d ran on %q, want a worker process", res.ID, w)
		}
		st, got := a.call("GET", fmt.Sprintf("/v1/api/%d/deployment/download?type=tflite&modelType=int8", pid), nil, nil)
		m, err := n.model(ctx, pid, 0)
		if err != nil {
			t.Fatal(err)
		}
		want, _, err := tfliteFile(m, 0, "int8")
		if err != nil {
			t.Fatal(err)
		}
		if st != 200 || !bytes.Equal(got, want) {
			t.Errorf("download: %d, %d bytes; the model's int8 .tflite has %d", st, len(got), len(want))
		}
		if st, page := a.call("GET", fmt.Sprintf("/v1/api/%d/report", pid), nil, nil); st != 200 || !bytes.Contains(page, []byte(`<section id="training">`)) {
			t.Errorf("report: %d %.200s", st, page)
		}
	})

	var b strings.Builder
	b.WriteString("fault table:\n| fault | measured |\n|---|---|\n")
	for _, r := range table {
		fmt.Fprintf(&b, "| %s | %s |\n", r.fault, r.measured)
	}
	t.Log(b.String())
}
