package service

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/tinyimpulse/tinyimpulse/service/engine"
)

// Config configures a service. Zero fields take the documented defaults.
type Config struct {
	// DataDir is the folder of the embedded NATS server's files; required
	// unless NATSURL is set.
	DataDir string
	// NATSURL is an existing NATS server or cluster with JetStream; empty
	// embeds a server storing its files in DataDir.
	NATSURL string
	// Addr is the HTTP listen address of Run; default ":4800".
	Addr string
	// AdminKey is the key that creates projects (and reaches every
	// project). Required; it is never logged.
	AdminKey string
	// Workers is the number of jobs this process runs at once, pulled from
	// the shared work queue; 0 means one per two cores (at least one) with
	// the embedded engine and none with NATSURL (the jobs are left to
	// worker processes, see RunWorker), a negative number none.
	Workers int
	// JobThreads is the number of goroutines one job uses for features
	// and model testing; 0 means 1.
	JobThreads int
	// Seed is the random seed of training jobs; 0 means 3, Studio's.
	Seed uint64
	// RateLimitPerMinute and RateLimitPerDay limit the requests of each
	// project key; 0 means 1200 a minute and 200000 a day, negative no
	// limit. The admin key has no limit.
	RateLimitPerMinute, RateLimitPerDay int
	// MaxBodyBytes limits JSON request bodies (default 1 MiB) and
	// MaxUploadBytes ingestion uploads (default 100 MiB, Edge Impulse's
	// limit for one file).
	MaxBodyBytes, MaxUploadBytes int64
	// AckWait is how long a job may go without a progress report from its
	// worker before it is handed to another (default 15 s). Workers report
	// every quarter of it. On a cluster the API servers set it for every
	// process, workers included.
	AckWait time.Duration
	// MaxQueuedJobs is the most jobs one project may have queued or
	// running; a job past it gets 429. 0 means 100, negative no limit. On
	// a cluster the API servers set it for every process.
	MaxQueuedJobs int
	// Replicas is the number of NATS servers keeping a copy of everything
	// (streams, buckets, objects); 0 means 3 when NATSURL is a cluster
	// and 1 otherwise.
	Replicas int
	// Log receives the service's log; nil means slog.Default(). Keys and
	// tokens never appear in it.
	Log *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.Addr == "" {
		c.Addr = ":4800"
	}
	if c.Workers == 0 {
		c.Workers = -1
		if c.NATSURL == "" {
			c.Workers = max(1, runtime.NumCPU()/2)
		}
	}
	if c.MaxQueuedJobs == 0 {
		c.MaxQueuedJobs = 100
	}
	if c.JobThreads <= 0 {
		c.JobThreads = 1
	}
	if c.Seed == 0 {
		c.Seed = 3
	}
	if c.RateLimitPerMinute == 0 {
		c.RateLimitPerMinute = 1200
	}
	if c.RateLimitPerDay == 0 {
		c.RateLimitPerDay = 200000
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = 1 << 20
	}
	if c.MaxUploadBytes <= 0 {
		c.MaxUploadBytes = 100 << 20
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	return c
}

// EnvAdminKey is the environment variable Run reads the admin key from
// when Config.AdminKey is empty.
const EnvAdminKey = "TINYIMPULSE_ADMIN_KEY"

// Server is a running service: its HTTP handler, its in-process workers
// and its connection to the engine.
type Server struct {
	*node
	cfg      Config
	ownsEng  bool
	adminSum [32]byte
	secret   []byte
	mux      *http.ServeMux
	limits   *limiter
	workers  *workers // nil when the process runs no jobs
	reports  flights  // reports being generated
}

// New opens the engine (embedded NATS or cfg.NATSURL) and returns a
// server with its workers started.
func New(ctx context.Context, cfg Config) (*Server, error) {
	cfg = cfg.withDefaults()
	if cfg.DataDir == "" && cfg.NATSURL == "" {
		return nil, errors.New("service: a data folder (DataDir) or a NATS URL is required")
	}
	maxQueued := max(cfg.MaxQueuedJobs, 0)
	eng, err := engine.Open(ctx, engine.Config{URL: cfg.NATSURL, Dir: cfg.DataDir, AckWait: cfg.AckWait,
		MaxQueued: maxQueued, Replicas: cfg.Replicas, Name: "tinyimpulse-api"})
	if err != nil {
		return nil, fmt.Errorf("service: %w", err)
	}
	s, err := NewWithEngine(ctx, cfg, eng)
	if err != nil {
		eng.Close()
		return nil, err
	}
	s.ownsEng = true
	return s, nil
}

// NewWithEngine returns a server on an engine the caller opened (and
// closes after Close).
func NewWithEngine(ctx context.Context, cfg Config, eng engine.Engine) (*Server, error) {
	cfg = cfg.withDefaults()
	if cfg.AdminKey == "" {
		cfg.AdminKey = os.Getenv(EnvAdminKey)
	}
	if len(cfg.AdminKey) < 16 {
		return nil, fmt.Errorf("service: an admin key of at least 16 characters is required (flag or %s)", EnvAdminKey)
	}
	n, err := newNode(ctx, eng, cfg.Log)
	if err != nil {
		return nil, err
	}
	secret, err := n.st.secret(ctx)
	if err != nil {
		return nil, fmt.Errorf("service: %w", err)
	}
	s := &Server{
		node:     n,
		cfg:      cfg,
		adminSum: sha256.Sum256([]byte(cfg.AdminKey)),
		secret:   secret,
		limits:   newLimiter(cfg.RateLimitPerMinute, cfg.RateLimitPerDay),
	}
	cfg.AdminKey = "" // keep it only hashed
	s.cfg.AdminKey = ""
	s.mux = http.NewServeMux()
	for i := range routes {
		rt := &routes[i]
		s.mux.Handle(rt.method+" "+rt.path, s.wrap(rt))
	}
	s.mux.HandleFunc("GET /socket.io/", s.serveSocketIO)
	s.mux.HandleFunc("POST /socket.io/", s.serveSocketIO)
	s.mux.HandleFunc("/", s.notFound)
	if cfg.Workers > 0 {
		s.workers, err = startWorker(n, WorkerConfig{Concurrency: cfg.Workers, JobThreads: cfg.JobThreads})
		if err != nil {
			n.close()
			return nil, err
		}
	}
	return s, nil
}

// Handler returns the service's HTTP handler.
func (s *Server) Handler() http.Handler { return s.mux }

// Close stops the workers (a job they run is stopped and goes back to
// the queue at once, for this process or another) and closes the engine
// if New opened it.
func (s *Server) Close() error {
	if s.workers != nil {
		s.workers.close()
	}
	s.node.close()
	if s.ownsEng {
		return s.eng.Close()
	}
	return nil
}

// Run serves cfg.Addr until ctx ends, then shuts down gracefully.
func Run(ctx context.Context, cfg Config) error {
	s, err := New(ctx, cfg)
	if err != nil {
		return err
	}
	defer s.Close()
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("service: %w", err)
	}
	hs := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	s.log.Info("service listening", "addr", ln.Addr().String(), "nats", natsDescription(cfg), "workers", s.cfg.Workers)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return hs.Shutdown(shut)
}

func natsDescription(cfg Config) string {
	if cfg.NATSURL != "" {
		return "external"
	}
	return "embedded"
}

// authKind says which key a route takes.
type authKind int

const (
	authNone    authKind = iota
	authAny              // any valid key
	authProject          // a key of the {projectId} in the path, or the admin key
	authAdmin            // the admin key
)

// route is one route of the service; the table drives the mux and the
// OpenAPI document alike.
type route struct {
	method, path string
	api          apiKind
	auth         authKind
	summary      string
	request      string // schema of the body ("" none)
	response     string // schema of the success response
	handle       func(s *Server, w http.ResponseWriter, r *http.Request, c *call) error
}

// call is what the wrapper learnt about a request.
type call struct {
	admin   bool
	project int // the key's project (0 for the admin key)
	pid     int // the {projectId} of the path, checked
	keyHash string
}

// wrap authenticates, rate-limits, limits the body and writes errors.
func (s *Server) wrap(rt *route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				s.log.Error("panic serving request", "route", rt.method+" "+rt.path, "panic", fmt.Sprint(v))
				writeError(w, rt.api, errorf(http.StatusInternalServerError, "internal error"))
			}
		}()
		c := &call{}
		if rt.auth != authNone {
			if err := s.authenticate(r, rt, c); err != nil {
				writeError(w, rt.api, err)
				return
			}
			if !c.admin {
				if err := s.limits.allow(w, c.keyHash, time.Now()); err != nil {
					writeError(w, rt.api, err)
					return
				}
			}
		}
		limit := s.cfg.MaxBodyBytes
		if rt.api == apiIngest {
			limit = s.cfg.MaxUploadBytes
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		if err := rt.handle(s, w, r, c); err != nil {
			var he *httpError
			if !errors.As(err, &he) {
				s.log.Error("request failed", "route", rt.method+" "+rt.path, "err", err.Error())
			}
			writeError(w, rt.api, err)
		}
	})
}

// apiKey returns the key of a request: x-api-key, or Authorization:
// Bearer.
func apiKey(r *http.Request) string {
	if k := r.Header.Get("x-api-key"); k != "" {
		return k
	}
	if a := r.Header.Get("Authorization"); len(a) > 7 && strings.EqualFold(a[:7], "bearer ") {
		return strings.TrimSpace(a[7:])
	}
	return ""
}

// authenticate resolves the key of a request and checks the route's
// project. A project the key may not see is "not found", as a project
// that does not exist.
func (s *Server) authenticate(r *http.Request, rt *route, c *call) error {
	key := apiKey(r)
	if key == "" {
		return errorf(http.StatusUnauthorized, "missing API key: send it in the x-api-key header or as Authorization: Bearer KEY")
	}
	sum := sha256.Sum256([]byte(key))
	c.keyHash = fmt.Sprintf("%x", sum)
	if subtle.ConstantTimeCompare(sum[:], s.adminSum[:]) == 1 {
		c.admin = true
	} else {
		var k keyRow
		// The lookup is by the key's hash; the comparison of the stored hash
		// is constant-time.
		if _, err := s.st.get(r.Context(), bucketKeys, c.keyHash, &k); err != nil {
			if errors.Is(err, engine.ErrNotFound) {
				return errorf(http.StatusUnauthorized, "invalid API key")
			}
			return err
		}
		c.project = k.ProjectID
	}
	if rt.auth == authAdmin && !c.admin {
		return errorf(http.StatusForbidden, "this route needs the admin key")
	}
	if rt.auth == authProject {
		v := r.PathValue("projectId")
		pid, err := strconv.Atoi(v)
		if err != nil || pid <= 0 {
			return errorf(http.StatusNotFound, "project %q not found", v)
		}
		if !c.admin && pid != c.project {
			return projectNotFound(pid)
		}
		c.pid = pid
	} else if !c.admin {
		c.pid = c.project
	}
	return nil
}

// notFound answers requests no route takes: 405 when the path exists with
// another method.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	kind := apiEI
	if strings.HasPrefix(r.URL.Path, "/v1/ml/") {
		kind = apiTwin
	}
	var allowed []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete} {
		if m == r.Method {
			continue
		}
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); pattern != "/" && pattern != "" {
			allowed = append(allowed, m)
		}
	}
	if len(allowed) > 0 {
		writeError(w, kind, &httpError{Status: http.StatusMethodNotAllowed, Message: fmt.Sprintf("method %s not allowed on %s (allowed: %s)", r.Method, r.URL.Path, strings.Join(allowed, ", ")), Details: strings.Join(allowed, ", ")})
		return
	}
	writeError(w, kind, errorf(http.StatusNotFound, "no route %s %s", r.Method, r.URL.Path))
}
