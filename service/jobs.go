package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/tinyimpulse/tinyimpulse/service/engine"
)

// node is what the API server and the workers of a process share: the
// engine, the store, the webhooks and the models loaded for
// classification.
type node struct {
	log    *slog.Logger
	eng    engine.Engine
	st     *store
	hooks  *webhooks
	models *modelCache
	files  *fileCache // sample files

	// ctx ends when the node closes (webhook deliveries, followers).
	ctx    context.Context
	cancel context.CancelFunc
}

func newNode(ctx context.Context, eng engine.Engine, log *slog.Logger) (*node, error) {
	st, err := openStore(ctx, eng)
	if err != nil {
		return nil, fmt.Errorf("service: %w", err)
	}
	if log == nil {
		log = slog.Default()
	}
	n := &node{log: log, eng: eng, st: st, models: newModelCache(8), files: newFileCache(sampleCacheBytes)}
	n.ctx, n.cancel = context.WithCancel(context.Background())
	n.hooks = newWebhooks(n)
	return n, nil
}

// close stops the webhook deliveries in flight and waits for them.
func (n *node) close() {
	n.cancel()
	n.hooks.wait()
}

// sampleCacheBytes is the size of a process's cache of sample files.
const sampleCacheBytes = 256 << 20

// queued is the work-queue message of a job.
type queued struct {
	ProjectID int `json:"projectId"`
	JobID     int `json:"jobId"`
}

// logName is the name of a job's log in the engine.
func logName(pid, jid int) string { return pkey(pid, jid) }

// retryFor is how long the service keeps trying an engine call that fails
// because the cluster is electing leaders or a server went away.
const retryFor = time.Minute

// retry calls fn until it succeeds, fails with an error that is not a
// passing failure of the cluster (engine.Retryable), ctx ends or retryFor
// has passed.
func retry(ctx context.Context, fn func() error) error {
	deadline := time.Now().Add(retryFor)
	wait := 50 * time.Millisecond
	for {
		err := fn()
		if err == nil || !engine.Retryable(err) || ctx.Err() != nil || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		wait = min(2*wait, time.Second)
	}
}

// startJob stores a new job row and puts the job on its project's queue.
// A project that already has its limit of jobs queued or running gets
// 429.
func (s *Server) startJob(ctx context.Context, j *jobRow) error {
	if j.Seed == 0 {
		j.Seed = s.cfg.Seed
	}
	if err := s.enqueue(ctx, j); err != nil {
		if errors.Is(err, engine.ErrQueueFull) {
			return &httpError{Status: http.StatusTooManyRequests,
				Message: fmt.Sprintf("project %d already has %d jobs queued or running, the most a project may have: start this one when one of them has finished", j.ProjectID, s.cfg.MaxQueuedJobs),
				Details: map[string]any{"limit": s.cfg.MaxQueuedJobs}}
		}
		return err
	}
	s.appendLog(j.ProjectID, j.ID, "", fmt.Sprintf("Scheduling job in cluster...\nJob %d queued (%s)\n", j.ID, j.Kind))
	return nil
}

// enqueue gives a new job its id, stores its row and puts it on its
// project's queue; engine.ErrQueueFull (nothing stored) when the project
// already has the queue's limit of jobs queued or running.
func (n *node) enqueue(ctx context.Context, j *jobRow) error {
	id, err := n.st.next(ctx, "job")
	if err != nil {
		return err
	}
	j.ID = id
	j.Created = time.Now().UTC()
	key := pkey(j.ProjectID, j.ID)
	if err := n.st.put(ctx, bucketJobs, key, j); err != nil {
		return err
	}
	msg, _ := json.Marshal(queued{ProjectID: j.ProjectID, JobID: j.ID})
	var seq uint64
	err = retry(ctx, func() (err error) {
		seq, err = n.eng.Queue().Enqueue(ctx, strconv.Itoa(j.ProjectID), "job-"+strconv.Itoa(j.ID), msg)
		return err
	})
	if err != nil {
		n.st.b[bucketJobs].Delete(context.Background(), key)
		return err
	}
	// The queue's sequence lets a cancellation take the job off the queue.
	update(ctx, n.st, bucketJobs, key, func(r *jobRow) error {
		if r.Started != nil || r.finished() {
			return errSkip
		}
		r.QueueSeq = seq
		return nil
	})
	return nil
}

// appendLog adds text to a job's log; id, if not empty, makes a retried
// append (after a timeout) store the text once.
func (n *node) appendLog(pid, jid int, id, text string) {
	ctx := context.Background()
	err := retry(ctx, func() error {
		return n.eng.Logs().Append(ctx, logName(pid, jid), engine.LogEntry{Data: text, ID: id})
	})
	if err != nil {
		n.log.Error("job log", "job", jid, "err", err.Error())
	}
}

// errNotOurs is returned by decide when the job row is no longer held by
// the claim given (another worker took the job over).
var errNotOurs = errors.New("the job was taken over by another worker")

// decide records a job's outcome: the compare-and-set on the job row is
// the one point at which a job's result is decided. With a claim, only
// the worker holding the job (the claim's worker and delivery attempt)
// can decide it; without one (a cancellation of a job nobody runs),
// whoever comes first. edit adds the results to the row. It returns the
// row, and whether this call decided it; a job decided before is
// returned unchanged. The job shows as finished once finished has run.
func (n *node) decide(ctx context.Context, pid, jid int, c *claim, success bool, errText string, edit func(*jobRow)) (*jobRow, bool, error) {
	done := false
	j, err := retryUpdate(ctx, n.st, pkey(pid, jid), func(j *jobRow) error {
		done = false
		if j.decided() {
			return errSkip
		}
		if c != nil && (j.Worker != c.worker || j.Attempts != c.attempt) {
			return errNotOurs
		}
		j.Outcome = &outcome{At: time.Now().UTC(), Success: success, Error: errText}
		if edit != nil {
			edit(j)
		}
		done = true
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	return j, done, nil
}

// finished does what follows a job's decision, for a job the caller
// decided, or again by a worker that finds a decided job on the queue
// (its worker may have died before the acknowledgement): every step can
// run twice. It stores the trained model and makes it the project's,
// shows the job finished (so that a client that sees it finished finds
// its model), appends the log's final entry and calls the webhooks.
func (n *node) finished(ctx context.Context, j *jobRow, again bool) error {
	at, success, errText := j.result()
	if m := j.Trained; m != nil && success {
		if err := n.st.put(ctx, bucketModels, pkey(j.ProjectID, j.ID), m); err != nil {
			return err
		}
		_, err := update(ctx, n.st, bucketProjects, strconv.Itoa(j.ProjectID), func(p *projectRow) error {
			if p.Model >= j.ID {
				return errSkip // this model, or a later job's
			}
			p.Model = j.ID
			return nil
		})
		if err != nil {
			return err
		}
	}
	j, err := update(ctx, n.st, bucketJobs, pkey(j.ProjectID, j.ID), func(j *jobRow) error {
		if j.finished() {
			return errSkip
		}
		j.Finished, j.FinishedSuccessful, j.Error = &at, &success, errText
		return nil
	})
	if err != nil {
		return err
	}
	if again {
		// The final entry may be there already.
		entries, err := n.eng.Logs().Read(ctx, logName(j.ProjectID, j.ID), time.Time{})
		if err != nil {
			return err
		}
		for _, e := range entries {
			if e.Finished {
				return n.hookOnce(ctx, j)
			}
		}
	}
	text := "Job completed\n"
	if !success {
		text = "Job failed\n"
		if errText != "" {
			text = errText + "\n" + text
		}
	}
	err = retry(ctx, func() error {
		return n.eng.Logs().Append(ctx, logName(j.ProjectID, j.ID), engine.LogEntry{Data: text, Finished: true, Success: success, ID: "finished"})
	})
	if err != nil {
		return err
	}
	return n.hookOnce(ctx, j)
}

// hookOnce calls the webhooks of a finished job, once: a marker in the
// meta bucket records that they were called.
func (n *node) hookOnce(ctx context.Context, j *jobRow) error {
	if j.Kind == kindTrial {
		return nil // no webhook event is about trials
	}
	err := retry(ctx, func() error {
		_, err := n.st.b[bucketMeta].Create(ctx, "webhooks."+pkey(j.ProjectID, j.ID), []byte("1"))
		return err
	})
	if errors.Is(err, engine.ErrExists) {
		return nil
	}
	if err != nil {
		return err
	}
	n.hooks.jobFinished(j)
	return nil
}

// cancelJob asks for a job to stop: a job nobody runs is decided at once
// (and a queued one taken off the queue); a running one is stopped by its
// worker, which watches the job row (and listens for the cancel message,
// the quicker path).
func (n *node) cancelJob(ctx context.Context, pid, jid int) error {
	stopped := false
	j, err := update(ctx, n.st, bucketJobs, pkey(pid, jid), func(j *jobRow) error {
		stopped = false
		if j.decided() {
			return errSkip
		}
		j.CancelRequested = true
		if j.Started == nil {
			j.Outcome = &outcome{At: time.Now().UTC(), Error: "Terminated by user"}
			stopped = true
		}
		return nil
	})
	if err != nil {
		if errors.Is(err, engine.ErrNotFound) {
			return errorf(http.StatusNotFound, "job %d not found", jid)
		}
		return err
	}
	if stopped {
		if j.QueueSeq != 0 {
			if err := n.eng.Queue().Remove(ctx, j.QueueSeq); err != nil {
				n.log.Error("job queue", "job", jid, "err", err.Error())
			}
		}
		return n.finished(ctx, j, false)
	}
	if j.decided() {
		return nil
	}
	return n.eng.Publish("cancel."+strconv.Itoa(jid), []byte(strconv.Itoa(pid)))
}

// clientMessage is the text of an error a job shows its client: the
// library's messages name the file or setting at fault; other errors are
// summarised.
func clientMessage(err error) string {
	var he *httpError
	if errors.As(err, &he) {
		return he.Message
	}
	return err.Error()
}

// detailedAccuracy reads the validation accuracy of the first neural
// network out of an impulses-detailed document.
func detailedAccuracy(detailed []byte) *float64 {
	var d struct {
		Impulses []struct {
			LearnBlockKerasConfigs []struct {
				Metadata *struct {
					ModelValidationMetrics []struct {
						Accuracy float64 `json:"accuracy"`
						Type     string  `json:"type"`
					} `json:"modelValidationMetrics"`
				} `json:"metadata"`
			} `json:"learnBlockKerasConfigs"`
		} `json:"impulses"`
	}
	if json.Unmarshal(detailed, &d) != nil || len(d.Impulses) == 0 {
		return nil
	}
	for _, k := range d.Impulses[0].LearnBlockKerasConfigs {
		if k.Metadata != nil {
			for _, m := range k.Metadata.ModelValidationMetrics {
				if m.Type == "int8" {
					a := m.Accuracy
					return &a
				}
			}
		}
	}
	return nil
}

// loadSamples reads and decodes the samples of a job (ids), keeping those
// of one category, numbered 1, 2, … as the library wants. The samples are
// read eight at a time (a worker on another machine than the cluster
// waits mostly for round trips), and their files come from the node's
// cache when a job of the project read them before.
func (n *node) loadSamples(ctx context.Context, pid int, ids []int, category string) ([]*decodedSample, error) {
	const parallel = 8
	got := make([]*decodedSample, len(ids))
	errs := make([]error, len(ids))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(parallel, len(ids)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				got[i], errs[i] = n.loadSample(ctx, pid, ids[i], category)
			}
		}()
	}
	for i := range ids {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []*decodedSample
	for i, smp := range got {
		if errs[i] != nil {
			return nil, errs[i]
		}
		if smp != nil {
			smp.ID = len(out) + 1
			out = append(out, smp)
		}
	}
	return out, nil
}

// loadSample reads one sample; nil if it is of another category or was
// deleted since the job was created.
func (n *node) loadSample(ctx context.Context, pid, id int, category string) (*decodedSample, error) {
	var row sampleRow
	if _, err := n.st.get(ctx, bucketSamples, pkey(pid, id), &row); err != nil {
		if errors.Is(err, engine.ErrNotFound) {
			return nil, nil
		}
		return nil, err
	}
	if row.Category != category {
		return nil, nil
	}
	// A sample's object never changes (a new upload is a new sample).
	data := n.files.get(row.Object)
	if data == nil {
		var err error
		if data, err = n.st.object(ctx, row.Object); err != nil {
			return nil, fmt.Errorf("sample %d (%s): %w", row.ID, row.FileName, err)
		}
		n.files.add(row.Object, data)
	}
	smp, err := decodeSample(row.FileName, data)
	if err != nil {
		return nil, err
	}
	smp.Name = row.Name
	smp.Category = row.Category
	smp.Label = row.Label
	return smp, nil
}

// fileCache keeps the most recently used sample files, up to a number of
// bytes.
type fileCache struct {
	mu         sync.Mutex
	max, bytes int
	order      []string // least recently used first
	m          map[string][]byte
}

func newFileCache(maxBytes int) *fileCache {
	return &fileCache{max: maxBytes, m: map[string][]byte{}}
}

func (c *fileCache) get(name string) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	data, ok := c.m[name]
	if ok {
		i := slices.Index(c.order, name)
		c.order = append(slices.Delete(c.order, i, i+1), name)
	}
	return data
}

func (c *fileCache) add(name string, data []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[name]; ok || len(data) > c.max {
		return
	}
	for c.bytes+len(data) > c.max && len(c.order) > 0 {
		old := c.order[0]
		c.order = c.order[1:]
		c.bytes -= len(c.m[old])
		delete(c.m, old)
	}
	c.m[name] = data
	c.order = append(c.order, name)
	c.bytes += len(data)
}

// modelCache keeps recently used models loaded.
type modelCache struct {
	mu    sync.Mutex
	size  int
	order []string
	m     map[string]*model
}

func newModelCache(size int) *modelCache {
	return &modelCache{size: size, m: map[string]*model{}}
}

func (c *modelCache) get(key string) *model {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[key]
}

func (c *modelCache) add(key string, m *model) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[key]; ok {
		return
	}
	if len(c.order) >= c.size {
		delete(c.m, c.order[0])
		c.order = c.order[1:]
	}
	c.m[key] = m
	c.order = append(c.order, key)
}

// model loads a project's model (the model of job jid, or the project's
// current model when jid is 0).
func (n *node) model(ctx context.Context, pid, jid int) (*model, error) {
	if jid == 0 {
		p, err := n.st.project(ctx, pid)
		if err != nil {
			return nil, err
		}
		if p.Model == 0 {
			return nil, errorf(http.StatusBadRequest, "project %d has no trained model yet: train the impulse first", pid)
		}
		jid = p.Model
	}
	var row modelRow
	if _, err := n.st.get(ctx, bucketModels, pkey(pid, jid), &row); err != nil {
		if errors.Is(err, engine.ErrNotFound) {
			return nil, errorf(http.StatusNotFound, "model %d not found", jid)
		}
		return nil, err
	}
	if m := n.models.get(row.Archive); m != nil {
		return m, nil
	}
	data, err := n.st.object(ctx, row.Archive)
	if err != nil {
		return nil, err
	}
	m, err := loadModel(data)
	if err != nil {
		return nil, err
	}
	n.models.add(row.Archive, m)
	return m, nil
}
