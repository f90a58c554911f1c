package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Names of the JetStream assets the engine creates.
const (
	queueStream    = "TI_QUEUE"    // work-queue stream of jobs
	queuePrefix    = "ti.queue."   // the jobs of group g are subject ti.queue.g
	consumerPrefix = "ti-queue-"   // group g's durable pull consumer, shared by every worker
	logStream      = "TI_LOGS"     // job logs, one subject per job
	logPrefix      = "ti.log."     // log "7.42" is subject ti.log.7.42
	objectBucket   = "ti-objects"  // object store
	kvPrefix       = "ti-"         // bucket "jobs" is KV bucket ti-jobs
	metaAckWait    = "ti-ack-wait" // stream metadata: the queue's acknowledgement wait
)

// requestTimeout is how long one JetStream request waits for its answer
// when its context has no deadline.
const requestTimeout = 2 * time.Second

// Config configures Open.
type Config struct {
	// URL of an existing NATS server or cluster with JetStream (several
	// URLs of one cluster separated by commas); empty embeds a server in
	// the process.
	URL string
	// Dir is the embedded server's storage folder (required without URL).
	Dir string
	// AckWait is how long a worker may go without reporting progress
	// before its job returns to the queue; 0 means 15 s.
	AckWait time.Duration
	// MaxQueued is the most items one group of the queue may hold, waiting
	// or in progress; 0 means no limit.
	MaxQueued int
	// Replicas is the number of servers keeping a copy of every stream,
	// bucket and object; 0 means 3 on a cluster (the server names a
	// cluster), 1 otherwise.
	Replicas int
	// KeepSettings opens the engine the way a worker does: it creates
	// what is missing and keeps the settings (AckWait, MaxQueued,
	// Replicas) of what exists, which the API servers own. Without it,
	// Open brings existing streams, buckets and the queue's consumers to
	// this Config.
	KeepSettings bool
	// Name names the connection in the server's monitoring.
	Name string
}

// NATS is the Engine on NATS JetStream.
type NATS struct {
	srv *server.Server // nil with Config.URL
	nc  *nats.Conn
	js  jetstream.JetStream
	cfg Config

	objects *natsObjects
	queue   *natsQueue
	logs    *natsLogs

	mu      sync.Mutex
	buckets map[string]*natsKV
}

// Open connects to the NATS server of cfg.URL or starts an embedded one
// storing its files in cfg.Dir, and creates the streams, object store and
// buckets the engine uses (see Config.KeepSettings for those that exist).
// On a cluster that is still electing its leaders it tries again until
// ctx ends or 30 s have passed.
func Open(ctx context.Context, cfg Config) (*NATS, error) {
	if cfg.AckWait <= 0 {
		cfg.AckWait = 15 * time.Second
	}
	if cfg.Name == "" {
		cfg.Name = "tinyimpulse"
	}
	e := &NATS{cfg: cfg, buckets: map[string]*natsKV{}}
	var err error
	if cfg.URL == "" {
		if cfg.Dir == "" {
			return nil, errors.New("engine: an embedded server needs a storage folder")
		}
		opts := &server.Options{
			ServerName: "tinyimpulse",
			DontListen: true,
			JetStream:  true,
			StoreDir:   filepath.Join(cfg.Dir, "jetstream"),
			NoLog:      true,
			NoSigs:     true,
		}
		e.srv, err = server.NewServer(opts)
		if err != nil {
			return nil, fmt.Errorf("engine: embedded server: %w", err)
		}
		e.srv.Start()
		if !e.srv.ReadyForConnections(30 * time.Second) {
			e.srv.Shutdown()
			return nil, errors.New("engine: embedded server did not start within 30 s")
		}
		e.nc, err = nats.Connect("", nats.InProcessServer(e.srv), nats.Name(cfg.Name))
	} else {
		// A process started before its cluster keeps trying, as one whose
		// server went away does.
		e.nc, err = nats.Connect(cfg.URL, nats.Name(cfg.Name), nats.MaxReconnects(-1), nats.ReconnectWait(250*time.Millisecond),
			nats.RetryOnFailedConnect(true))
	}
	if err != nil {
		e.Close()
		return nil, fmt.Errorf("engine: connect: %w", err)
	}
	if e.cfg.Replicas <= 0 {
		e.cfg.Replicas = 1
		if e.srv == nil && e.nc.ConnectedClusterName() != "" {
			e.cfg.Replicas = 3
		}
	}
	// A request to a stream whose leader's server died goes unanswered
	// until the others elect a new leader (4 to 9 s): short tries, which
	// the callers repeat (Retryable), end sooner after the election than
	// one long wait.
	if e.js, err = jetstream.New(e.nc, jetstream.WithDefaultTimeout(requestTimeout)); err != nil {
		e.Close()
		return nil, fmt.Errorf("engine: %w", err)
	}
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		// Each try has its own deadline: a request made while the cluster
		// forms can go unanswered.
		actx, acancel := context.WithTimeout(sctx, 5*time.Second)
		err = e.setup(actx)
		acancel()
		if err == nil || !(Retryable(err) || noPeers(err)) || sctx.Err() != nil {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	if noPeers(err) {
		err = fmt.Errorf("%w (fewer than %d JetStream servers of the cluster are up: start them, or set the number of replicas)", err, e.cfg.Replicas)
	}
	if err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}

// Replicas returns the replication of what the engine creates.
func (e *NATS) Replicas() int { return e.cfg.Replicas }

// Retryable reports whether err is a passing failure of the cluster (no
// answer in time, no server answering, a server stepping down, leaders
// being elected) rather than an answer: the same call may succeed a
// moment later.
func Retryable(err error) bool {
	if err == nil {
		return false
	}
	for _, t := range []error{nats.ErrTimeout, context.DeadlineExceeded, nats.ErrNoResponders, nats.ErrConnectionReconnecting,
		nats.ErrDisconnected, nats.ErrNoServers, jetstream.ErrNoStreamResponse, jetstream.ErrJetStreamNotEnabled,
		jetstream.ErrJetStreamNotEnabledForAccount, jetstream.ErrServerShutdown, jetstream.ErrConsumerLeadershipChanged, jetstream.ErrNoHeartbeat} {
		if errors.Is(err, t) {
			return true
		}
	}
	var ae *jetstream.APIError
	if errors.As(err, &ae) {
		// 503: JetStream or the cluster not available; 10008: the cluster
		// has no leader yet.
		return ae.Code == 503 || ae.ErrorCode == 10008
	}
	return false
}

// noPeers reports the error of a stream that needs more servers than the
// cluster has (or has ready: a cluster that is forming gives it for a
// moment).
func noPeers(err error) bool {
	var ae *jetstream.APIError
	return errors.As(err, &ae) && ae.ErrorCode == 10005
}

// stream creates a stream, or brings it to cfg (or keeps it as it is
// with KeepSettings).
func (e *NATS) stream(ctx context.Context, cfg jetstream.StreamConfig) (jetstream.Stream, error) {
	if !e.cfg.KeepSettings {
		return e.js.CreateOrUpdateStream(ctx, cfg)
	}
	s, err := e.js.CreateStream(ctx, cfg)
	if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
		return e.js.Stream(ctx, cfg.Name)
	}
	return s, err
}

func (e *NATS) setup(ctx context.Context) error {
	qcfg := jetstream.StreamConfig{
		Name:      queueStream,
		Subjects:  []string{queuePrefix + ">"},
		Retention: jetstream.WorkQueuePolicy,
		Storage:   jetstream.FileStorage,
		Replicas:  e.cfg.Replicas,
		Metadata:  map[string]string{metaAckWait: e.cfg.AckWait.String()},
	}
	if e.cfg.MaxQueued > 0 {
		// The server refuses a publish past the limit of its subject: the
		// limit holds however many API servers enqueue at once.
		qcfg.MaxMsgsPerSubject = int64(e.cfg.MaxQueued)
		qcfg.Discard = jetstream.DiscardNew
		qcfg.DiscardNewPerSubject = true
	}
	qs, err := e.stream(ctx, qcfg)
	if err != nil {
		return fmt.Errorf("engine: job queue stream: %w", err)
	}
	ackWait := e.cfg.AckWait
	if d, err := time.ParseDuration(qs.CachedInfo().Config.Metadata[metaAckWait]); err == nil && d > 0 {
		ackWait = d // the deployment's, with KeepSettings
	}
	e.queue = newQueue(e, qs, ackWait)
	if err := e.queue.listen(); err != nil {
		return fmt.Errorf("engine: job queue: %w", err)
	}
	if _, err := e.stream(ctx, jetstream.StreamConfig{
		Name:     logStream,
		Subjects: []string{logPrefix + ">"},
		Storage:  jetstream.FileStorage,
		Replicas: e.cfg.Replicas,
	}); err != nil {
		return fmt.Errorf("engine: log stream: %w", err)
	}
	e.logs = &natsLogs{js: e.js}
	ocfg := jetstream.ObjectStoreConfig{
		Bucket:   objectBucket,
		Storage:  jetstream.FileStorage,
		Replicas: e.cfg.Replicas,
	}
	var obs jetstream.ObjectStore
	if e.cfg.KeepSettings {
		obs, err = e.js.CreateObjectStore(ctx, ocfg)
		if errors.Is(err, jetstream.ErrBucketExists) {
			obs, err = e.js.ObjectStore(ctx, objectBucket)
		}
	} else {
		obs, err = e.js.CreateOrUpdateObjectStore(ctx, ocfg)
	}
	if err != nil {
		return fmt.Errorf("engine: object store: %w", err)
	}
	e.objects = &natsObjects{obs: obs}
	return nil
}

// Close closes the connection and shuts an embedded server down.
func (e *NATS) Close() error {
	if e.queue != nil {
		e.queue.close()
	}
	if e.nc != nil {
		e.nc.Close()
	}
	if e.srv != nil {
		e.srv.Shutdown()
		e.srv.WaitForShutdown()
	}
	return nil
}

// Bucket returns the key-value bucket name, creating it if needed.
func (e *NATS) Bucket(ctx context.Context, name string) (KV, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if b, ok := e.buckets[name]; ok {
		return b, nil
	}
	cfg := jetstream.KeyValueConfig{
		Bucket:   kvPrefix + name,
		Storage:  jetstream.FileStorage,
		Replicas: e.cfg.Replicas,
	}
	var kv jetstream.KeyValue
	var err error
	for {
		if e.cfg.KeepSettings {
			kv, err = e.js.CreateKeyValue(ctx, cfg)
			if errors.Is(err, jetstream.ErrBucketExists) {
				kv, err = e.js.KeyValue(ctx, cfg.Bucket)
			}
		} else {
			kv, err = e.js.CreateOrUpdateKeyValue(ctx, cfg)
		}
		if err == nil || !Retryable(err) || ctx.Err() != nil {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	if err != nil {
		return nil, fmt.Errorf("engine: bucket %s: %w", name, err)
	}
	b := &natsKV{kv: kv, nc: e.nc, stream: "KV_" + cfg.Bucket, subjects: "$KV." + cfg.Bucket + "."}
	e.buckets[name] = b
	return b, nil
}

// Objects returns the object store.
func (e *NATS) Objects() Objects { return e.objects }

// Queue returns the job queue.
func (e *NATS) Queue() Queue { return e.queue }

// Logs returns the job logs.
func (e *NATS) Logs() Logs { return e.logs }

// Publish publishes data on subject (core NATS, not stored).
func (e *NATS) Publish(subject string, data []byte) error {
	return e.nc.Publish("ti.bc."+subject, data)
}

// Subscribe subscribes fn to subject.
func (e *NATS) Subscribe(subject string, fn func(string, []byte)) (func(), error) {
	sub, err := e.nc.Subscribe("ti.bc."+subject, func(m *nats.Msg) {
		fn(m.Subject[len("ti.bc."):], m.Data)
	})
	if err != nil {
		return nil, err
	}
	return func() { sub.Unsubscribe() }, nil
}

type natsKV struct {
	kv       jetstream.KeyValue
	nc       *nats.Conn
	stream   string // the bucket's stream
	subjects string // the prefix of its keys' subjects
}

// apiRequest sends a JetStream API request and decodes its answer into
// resp (which has an "error" field).
func (b *natsKV) apiRequest(ctx context.Context, subject string, req, resp any) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, requestTimeout)
		defer cancel()
	}
	data, err := json.Marshal(req)
	if err != nil {
		return err
	}
	m, err := b.nc.RequestWithContext(ctx, "$JS.API."+subject, data)
	if err != nil {
		return err
	}
	return json.Unmarshal(m.Data, resp)
}

// Get reads the key's latest value from the bucket stream's leader. (The
// client's own Get asks any server with a copy, which may not have
// stored the latest write yet: a job row just written, read on another
// machine, would be missing.)
func (b *natsKV) Get(ctx context.Context, key string) ([]byte, uint64, error) {
	var resp struct {
		Error   *jetstream.APIError `json:"error"`
		Message *struct {
			Seq  uint64 `json:"seq"`
			Hdrs []byte `json:"hdrs"`
			Data []byte `json:"data"`
		} `json:"message"`
	}
	if err := b.apiRequest(ctx, "STREAM.MSG.GET."+b.stream, map[string]string{"last_by_subj": b.subjects + key}, &resp); err != nil {
		return nil, 0, err
	}
	if resp.Error != nil {
		if resp.Error.ErrorCode == jetstream.JSErrCodeMessageNotFound {
			return nil, 0, ErrNotFound
		}
		return nil, 0, resp.Error
	}
	if resp.Message == nil {
		return nil, 0, jetstream.ErrInvalidJetStreamResponse
	}
	if len(resp.Message.Hdrs) > 0 {
		h, err := nats.DecodeHeadersMsg(resp.Message.Hdrs)
		if err != nil {
			return nil, 0, err
		}
		// A delete or purge marker.
		if op := h.Get("KV-Operation"); op == "DEL" || op == "PURGE" || h.Get(jetstream.MarkerReasonHeader) != "" {
			return nil, 0, ErrNotFound
		}
	}
	return resp.Message.Data, resp.Message.Seq, nil
}

func (b *natsKV) Put(ctx context.Context, key string, value []byte) (uint64, error) {
	return b.kv.Put(ctx, key, value)
}

func (b *natsKV) Create(ctx context.Context, key string, value []byte) (uint64, error) {
	rev, err := b.kv.Create(ctx, key, value)
	if errors.Is(err, jetstream.ErrKeyExists) {
		return 0, ErrExists
	}
	return rev, err
}

func (b *natsKV) Update(ctx context.Context, key string, value []byte, revision uint64) (uint64, error) {
	rev, err := b.kv.Update(ctx, key, value, revision)
	if errors.Is(err, jetstream.ErrKeyRevisionMismatch) || errors.Is(err, jetstream.ErrKeyExists) {
		return 0, ErrConflict
	}
	return rev, err
}

func (b *natsKV) Delete(ctx context.Context, key string) error {
	err := b.kv.Delete(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil
	}
	return err
}

// Keys lists the subjects of the bucket's stream, as its leader knows
// them.
func (b *natsKV) Keys(ctx context.Context, filter string) ([]string, error) {
	var keys []string
	for offset := 0; ; {
		var resp struct {
			Error *jetstream.APIError `json:"error"`
			Total int                 `json:"total"`
			State struct {
				Subjects map[string]uint64 `json:"subjects"`
			} `json:"state"`
		}
		req := map[string]any{"subjects_filter": b.subjects + filter, "offset": offset}
		if err := b.apiRequest(ctx, "STREAM.INFO."+b.stream, req, &resp); err != nil {
			return nil, err
		}
		if resp.Error != nil {
			return nil, resp.Error
		}
		for subj := range resp.State.Subjects {
			keys = append(keys, strings.TrimPrefix(subj, b.subjects))
		}
		offset += len(resp.State.Subjects)
		if len(resp.State.Subjects) == 0 || offset >= resp.Total {
			return keys, nil
		}
	}
}

func (b *natsKV) Watch(ctx context.Context, key string, fn func([]byte, uint64)) (func(), error) {
	wctx, cancel := context.WithCancel(ctx)
	w, err := b.kv.Watch(wctx, key)
	if err != nil {
		cancel()
		return nil, err
	}
	go func() {
		for ent := range w.Updates() {
			if ent == nil {
				continue // the end of the initial values
			}
			if ent.Operation() == jetstream.KeyValuePut {
				fn(ent.Value(), ent.Revision())
			} else {
				fn(nil, ent.Revision())
			}
		}
	}()
	return func() { cancel(); w.Stop() }, nil
}

type natsObjects struct{ obs jetstream.ObjectStore }

func (o *natsObjects) Put(ctx context.Context, name string, data []byte) error {
	_, err := o.obs.PutBytes(ctx, name, data)
	return err
}

func (o *natsObjects) Get(ctx context.Context, name string) ([]byte, error) {
	b, err := o.obs.GetBytes(ctx, name)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return nil, ErrNotFound
	}
	return b, err
}

func (o *natsObjects) Delete(ctx context.Context, name string) error {
	err := o.obs.Delete(ctx, name)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return nil
	}
	return err
}

type natsLogs struct{ js jetstream.JetStream }

// Headers of a log message.
const (
	hdrFinished = "Ti-Finished"
	hdrSuccess  = "Ti-Success"
)

func (l *natsLogs) Append(ctx context.Context, log string, e LogEntry) error {
	m := nats.NewMsg(logPrefix + log)
	m.Data = []byte(e.Data)
	if e.Finished {
		m.Header.Set(hdrFinished, "1")
		m.Header.Set(hdrSuccess, strconv.FormatBool(e.Success))
	}
	var opts []jetstream.PublishOpt
	if e.ID != "" {
		opts = append(opts, jetstream.WithMsgID(log+"/"+e.ID))
	}
	_, err := l.js.PublishMsg(ctx, m, opts...)
	return err
}

func entryOf(m jetstream.Msg) (string, LogEntry) {
	e := LogEntry{Data: string(m.Data())}
	if md, err := m.Metadata(); err == nil {
		e.Time = md.Timestamp
	}
	if h := m.Headers(); h != nil && h.Get(hdrFinished) == "1" {
		e.Finished = true
		e.Success = h.Get(hdrSuccess) == "true"
	}
	return m.Subject()[len(logPrefix):], e
}

func (l *natsLogs) consumer(ctx context.Context, log string, since time.Time) (jetstream.Consumer, error) {
	cfg := jetstream.OrderedConsumerConfig{FilterSubjects: []string{logPrefix + log}}
	if !since.IsZero() {
		cfg.DeliverPolicy = jetstream.DeliverByStartTimePolicy
		cfg.OptStartTime = &since
	}
	return l.js.OrderedConsumer(ctx, logStream, cfg)
}

func (l *natsLogs) Read(ctx context.Context, log string, since time.Time) ([]LogEntry, error) {
	// A consumer made for the read can be unknown for a moment to the
	// server the client is connected to ("no responders"): read again.
	for try := 1; ; try++ {
		out, err := l.read(ctx, log, since)
		if err == nil || !Retryable(err) || try == 5 || ctx.Err() != nil {
			return out, err
		}
		time.Sleep(time.Duration(try) * 100 * time.Millisecond)
	}
}

func (l *natsLogs) read(ctx context.Context, log string, since time.Time) ([]LogEntry, error) {
	s, err := l.js.Stream(ctx, logStream)
	if err != nil {
		return nil, err
	}
	info, err := s.Info(ctx, jetstream.WithSubjectFilter(logPrefix+log))
	if err != nil {
		return nil, err
	}
	if info.State.Subjects[logPrefix+log] == 0 {
		return nil, nil
	}
	c, err := l.consumer(ctx, log, since)
	if err != nil {
		return nil, err
	}
	var out []LogEntry
	for {
		batch, err := c.FetchNoWait(256)
		if err != nil {
			return nil, err
		}
		n, done := 0, false
		for m := range batch.Messages() {
			_, e := entryOf(m)
			out = append(out, e)
			n++
			if md, err := m.Metadata(); err != nil || md.NumPending == 0 {
				done = true
			}
		}
		if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) && !errors.Is(err, nats.ErrTimeout) {
			return nil, err
		}
		if done {
			return out, nil
		}
		if n == 0 {
			if len(out) == 0 && !since.IsZero() {
				return nil, nil // nothing at or after since
			}
			// The stream has entries the consumer did not give.
			return nil, fmt.Errorf("engine: log %s: the read stopped short: %w", log, nats.ErrTimeout)
		}
	}
}

func (l *natsLogs) Follow(ctx context.Context, log string, since time.Time, fn func(string, LogEntry)) (func(), error) {
	c, err := l.consumer(ctx, log, since)
	if err != nil {
		return nil, err
	}
	cc, err := c.Consume(func(m jetstream.Msg) { fn(entryOf(m)) })
	if err != nil {
		return nil, err
	}
	stopCtx, cancel := context.WithCancel(ctx)
	go func() { <-stopCtx.Done(); cc.Stop() }()
	return cancel, nil
}
