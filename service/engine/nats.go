package engine

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Names of the JetStream assets the engine creates.
const (
	queueStream   = "TI_JOBS"    // work-queue stream of jobs
	queueSubject  = "ti.jobs"    // its subject
	queueConsumer = "ti-workers" // the durable pull consumer every worker shares
	logStream     = "TI_LOGS"    // job logs, one subject per job
	logPrefix     = "ti.log."    // log "7.42" is subject ti.log.7.42
	objectBucket  = "ti-objects" // object store
	kvPrefix      = "ti-"        // bucket "jobs" is KV bucket ti-jobs
)

// Config configures Open.
type Config struct {
	// URL of an existing NATS server or cluster with JetStream; empty
	// embeds a server in the process.
	URL string
	// Dir is the embedded server's storage folder (required without URL).
	Dir string
	// AckWait is how long a worker may go without reporting progress
	// before its job returns to the queue; 0 means 15 s.
	AckWait time.Duration
	// MaxAttempts is the number of deliveries of one job; 0 means 3.
	MaxAttempts int
	// Replicas is the replication of every stream in a cluster; 0 means 1.
	Replicas int
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
// consumer the engine uses (it keeps those that exist).
func Open(ctx context.Context, cfg Config) (*NATS, error) {
	if cfg.AckWait <= 0 {
		cfg.AckWait = 15 * time.Second
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 3
	}
	if cfg.Replicas <= 0 {
		cfg.Replicas = 1
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
		e.nc, err = nats.Connect("", nats.InProcessServer(e.srv), nats.Name("tinyimpulse"))
	} else {
		e.nc, err = nats.Connect(cfg.URL, nats.Name("tinyimpulse"), nats.MaxReconnects(-1))
	}
	if err != nil {
		e.Close()
		return nil, fmt.Errorf("engine: connect: %w", err)
	}
	if e.js, err = jetstream.New(e.nc); err != nil {
		e.Close()
		return nil, fmt.Errorf("engine: %w", err)
	}
	if err := e.setup(ctx); err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}

func (e *NATS) setup(ctx context.Context) error {
	qs, err := e.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:      queueStream,
		Subjects:  []string{queueSubject},
		Retention: jetstream.WorkQueuePolicy,
		Storage:   jetstream.FileStorage,
		Replicas:  e.cfg.Replicas,
	})
	if err != nil {
		return fmt.Errorf("engine: job queue stream: %w", err)
	}
	cons, err := qs.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable:    queueConsumer,
		AckPolicy:  jetstream.AckExplicitPolicy,
		AckWait:    e.cfg.AckWait,
		MaxDeliver: e.cfg.MaxAttempts,
	})
	if err != nil {
		return fmt.Errorf("engine: job queue consumer: %w", err)
	}
	e.queue = &natsQueue{js: e.js, cons: cons}
	if _, err := e.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:     logStream,
		Subjects: []string{logPrefix + ">"},
		Storage:  jetstream.FileStorage,
		Replicas: e.cfg.Replicas,
	}); err != nil {
		return fmt.Errorf("engine: log stream: %w", err)
	}
	e.logs = &natsLogs{js: e.js}
	obs, err := e.js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{
		Bucket:   objectBucket,
		Storage:  jetstream.FileStorage,
		Replicas: e.cfg.Replicas,
	})
	if err != nil {
		return fmt.Errorf("engine: object store: %w", err)
	}
	e.objects = &natsObjects{obs: obs}
	return nil
}

// Close closes the connection and shuts an embedded server down.
func (e *NATS) Close() error {
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
	kv, err := e.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:   kvPrefix + name,
		Storage:  jetstream.FileStorage,
		Replicas: e.cfg.Replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("engine: bucket %s: %w", name, err)
	}
	b := &natsKV{kv: kv}
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

type natsKV struct{ kv jetstream.KeyValue }

func (b *natsKV) Get(ctx context.Context, key string) ([]byte, uint64, error) {
	ent, err := b.kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
		return nil, 0, ErrNotFound
	}
	if err != nil {
		return nil, 0, err
	}
	return ent.Value(), ent.Revision(), nil
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

func (b *natsKV) Keys(ctx context.Context, filter string) ([]string, error) {
	l, err := b.kv.ListKeysFiltered(ctx, filter)
	if err != nil {
		if errors.Is(err, jetstream.ErrNoKeysFound) {
			return nil, nil
		}
		return nil, err
	}
	var keys []string
	for k := range l.Keys() {
		keys = append(keys, k)
	}
	return keys, nil
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

type natsQueue struct {
	js   jetstream.JetStream
	cons jetstream.Consumer
}

func (q *natsQueue) Enqueue(ctx context.Context, data []byte) error {
	_, err := q.js.Publish(ctx, queueSubject, data)
	return err
}

func (q *natsQueue) Next(ctx context.Context) (Delivery, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		// Short fetches, so that ctx is looked at every second.
		batch, err := q.cons.Fetch(1, jetstream.FetchMaxWait(time.Second))
		if err != nil {
			if errors.Is(err, nats.ErrConnectionClosed) {
				return nil, ErrClosed
			}
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(200 * time.Millisecond):
			}
			continue
		}
		for m := range batch.Messages() {
			md, err := m.Metadata()
			attempt := 1
			if err == nil {
				attempt = int(md.NumDelivered)
			}
			return &natsDelivery{m: m, attempt: attempt}, nil
		}
	}
}

type natsDelivery struct {
	m       jetstream.Msg
	attempt int
}

func (d *natsDelivery) Data() []byte      { return d.m.Data() }
func (d *natsDelivery) Attempt() int      { return d.attempt }
func (d *natsDelivery) InProgress() error { return d.m.InProgress() }
func (d *natsDelivery) Ack() error        { return d.m.DoubleAck(context.Background()) }

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
	_, err := l.js.PublishMsg(ctx, m)
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
	if ci, err := c.Info(ctx); err == nil && ci.NumPending == 0 {
		return nil, nil // nothing at or after since
	}
	var out []LogEntry
	for {
		m, err := c.Next(jetstream.FetchMaxWait(2 * time.Second))
		if err != nil {
			if errors.Is(err, nats.ErrTimeout) || errors.Is(err, jetstream.ErrNoMessages) {
				return out, nil // nothing at or after since
			}
			return out, err
		}
		_, e := entryOf(m)
		out = append(out, e)
		md, err := m.Metadata()
		if err != nil || md.NumPending == 0 {
			return out, nil
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
