package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tinyimpulse/tinyimpulse/service/engine"
)

// WorkerConfig configures RunWorker. Zero fields take the documented
// defaults.
type WorkerConfig struct {
	// NATSURL is the NATS cluster of the service (several URLs of it
	// separated by commas); required.
	NATSURL string
	// Concurrency is the number of jobs the worker runs at once; 0 means
	// one per two cores (at least one).
	Concurrency int
	// JobThreads is the number of goroutines one job uses for features
	// and model testing; 0 means 1.
	JobThreads int
	// Name names the worker in job rows and logs; default "host:pid".
	Name string
	// Log receives the worker's log; nil means slog.Default().
	Log *slog.Logger
}

func (c WorkerConfig) withDefaults() WorkerConfig {
	if c.Concurrency <= 0 {
		c.Concurrency = max(1, runtime.NumCPU()/2)
	}
	if c.JobThreads <= 0 {
		c.JobThreads = 1
	}
	if c.Name == "" {
		host, _ := os.Hostname()
		if host == "" {
			host = "worker"
		}
		c.Name = host + ":" + strconv.Itoa(os.Getpid())
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	return c
}

// RunWorker runs jobs of the service from the work queue on the NATS
// cluster cfg.NATSURL until ctx ends: it reads samples and models from
// the cluster's object store, streams the jobs' logs and stores their
// results there, so it needs no disk shared with the API servers. When
// ctx ends, the jobs it runs stop and go back to the queue at once, for
// another worker. The queue's settings (acknowledgement wait, limit per
// project, replicas) are the API servers'; a worker started first creates
// the streams with the defaults, which the next API server brings to its
// own.
func RunWorker(ctx context.Context, cfg WorkerConfig) error {
	cfg = cfg.withDefaults()
	if cfg.NATSURL == "" {
		return errors.New("service: a worker needs the NATS URL of the service's cluster")
	}
	eng, err := engine.Open(ctx, engine.Config{URL: cfg.NATSURL, KeepSettings: true, Name: "tinyimpulse-worker " + cfg.Name})
	if err != nil {
		return fmt.Errorf("service: %w", err)
	}
	defer eng.Close()
	n, err := newNode(ctx, eng, cfg.Log)
	if err != nil {
		return err
	}
	w, err := startWorker(n, cfg)
	if err != nil {
		n.close()
		return err
	}
	cfg.Log.Info("worker running", "name", cfg.Name, "concurrency", cfg.Concurrency, "replicas", eng.Replicas())
	<-ctx.Done()
	w.close()
	n.close()
	cfg.Log.Info("worker stopped", "name", cfg.Name)
	return nil
}

// workers are the job slots of one process.
type workers struct {
	n      *node
	cfg    WorkerConfig
	ctx    context.Context // ends at close: the slots stop
	cancel context.CancelFunc
	wg     sync.WaitGroup
	unsub  []func()
	sets   *trialSets // the sample packs of tuner trials

	mu      sync.Mutex
	running map[int]context.CancelCauseFunc // by job id
}

// Causes of a running job's stop.
var (
	errCancelled = errors.New("cancelled by the user")
	errLost      = errors.New("the job is no longer this worker's")
)

func startWorker(n *node, cfg WorkerConfig) (*workers, error) {
	cfg = cfg.withDefaults()
	w := &workers{n: n, cfg: cfg, running: map[int]context.CancelCauseFunc{}, sets: newTrialSets(2)}
	w.ctx, w.cancel = context.WithCancel(context.Background())
	for _, sub := range []struct {
		subject string
		fn      func(string, []byte)
	}{{"cancel.*", w.onCancel}, {pingSubject, w.onPing}} {
		unsub, err := n.eng.Subscribe(sub.subject, sub.fn)
		if err != nil {
			w.close()
			return nil, fmt.Errorf("service: %w", err)
		}
		w.unsub = append(w.unsub, unsub)
	}
	for i := range cfg.Concurrency {
		w.wg.Add(1)
		go w.slot(fmt.Sprintf("%s#%d", cfg.Name, i))
	}
	return w, nil
}

// close stops the slots; the jobs they run go back to the queue.
func (w *workers) close() {
	w.cancel()
	w.wg.Wait()
	for _, unsub := range w.unsub {
		unsub()
	}
}

// onCancel stops a job this process runs (the quick path of a
// cancellation; the job row's watch is the sure one).
func (w *workers) onCancel(subject string, _ []byte) {
	jid, err := strconv.Atoi(strings.TrimPrefix(subject, "cancel."))
	if err != nil {
		return
	}
	w.mu.Lock()
	cancel := w.running[jid]
	w.mu.Unlock()
	if cancel != nil {
		cancel(errCancelled)
	}
}

// slot pulls jobs from the queue until the workers close.
func (w *workers) slot(name string) {
	defer w.wg.Done()
	for {
		d, err := w.n.eng.Queue().Next(w.ctx)
		if err != nil {
			if w.ctx.Err() != nil || errors.Is(err, engine.ErrClosed) {
				return
			}
			w.n.log.Error("job queue", "worker", name, "err", err.Error())
			select {
			case <-w.ctx.Done():
				return
			case <-time.After(time.Second):
			}
			continue
		}
		w.run(name, d)
	}
}

// claim is a worker's hold on a job: the worker slot and the delivery.
type claim struct {
	worker  string
	attempt int
}

// maxRuns is the number of runs of a job whose worker died each time,
// after which the job is failed rather than run again.
const maxRuns = 2

// run runs one delivery of a job. The job row decides everything: the
// worker claims the job by writing its name and delivery into the row (a
// compare-and-set), watches the row while the job runs (a cancellation,
// or another worker's claim after this one stopped reporting progress,
// stops the job), and decides its outcome with a compare-and-set that
// succeeds only while the row still names this worker and delivery. Only
// after what follows the decision is the queue's message acknowledged; a
// worker that dies before leaves the message to be delivered again, and
// the next worker either runs the job or, for a job already decided,
// completes what follows the decision.
func (w *workers) run(slot string, d engine.Delivery) {
	var q queued
	if err := json.Unmarshal(d.Data(), &q); err != nil {
		w.n.log.Error("job queue: malformed message", "err", err.Error())
		d.Ack()
		return
	}
	ctx := context.Background()
	st := w.n.st
	key := pkey(q.ProjectID, q.JobID)
	c := &claim{worker: slot, attempt: d.Attempt()}
	var prev string
	var claimRev uint64
	j, err := retryUpdateRev(ctx, st, key, &claimRev, func(j *jobRow) error {
		prev = ""
		if j.decided() || j.CancelRequested {
			return errSkip
		}
		if j.Worker == c.worker && j.Attempts == c.attempt {
			return errSkip // this very claim, written by a call that timed out
		}
		if j.Started != nil && j.Worker != "" {
			prev = j.Worker // it died holding the job (or lost its connection)
		}
		now := time.Now().UTC()
		j.Started = &now
		j.Worker, j.Attempts = c.worker, c.attempt
		return nil
	})
	if err != nil {
		if errors.Is(err, engine.ErrNotFound) {
			d.Ack() // a job refused by its project's limit, or removed
			return
		}
		w.n.log.Error("job row", "job", q.JobID, "err", err.Error())
		return // delivered again after the acknowledgement wait
	}
	if j.decided() {
		if err := w.n.finished(ctx, j, true); err != nil {
			w.n.log.Error("finished job", "job", j.ID, "err", err.Error())
			return
		}
		d.Ack()
		return
	}
	if j.CancelRequested {
		w.finishAndAck(ctx, d, j, nil, false, "Terminated by user", nil)
		return
	}
	if prev != "" {
		runs := c.attempt - j.Releases
		if runs > maxRuns {
			w.finishAndAck(ctx, d, j, c, false, fmt.Sprintf("The job's worker stopped %d times while running it; giving up", runs-1), nil)
			return
		}
		w.n.appendLog(j.ProjectID, j.ID, fmt.Sprintf("retry-%d", c.attempt),
			fmt.Sprintf("The worker running this job (%s) stopped; running it again (attempt %d of %d) on %s\n", prev, runs, maxRuns, slot))
	}

	jctx, cancel := context.WithCancelCause(w.ctx)
	defer cancel(nil)
	w.mu.Lock()
	w.running[j.ID] = cancel
	w.mu.Unlock()
	stopWatch, err := st.b[bucketJobs].Watch(ctx, key, func(v []byte, rev uint64) {
		var r jobRow
		// The watch may start from a server that has not yet stored the
		// claim: values older than the claim tell nothing.
		if rev < claimRev || v == nil || json.Unmarshal(v, &r) != nil {
			return
		}
		switch {
		case r.CancelRequested:
			cancel(errCancelled)
		case r.decided() || r.Worker != c.worker || r.Attempts != c.attempt:
			cancel(errLost)
		}
	})
	if err != nil {
		// The cancel message and the decision's compare-and-set still hold.
		w.n.log.Error("job row watch", "job", j.ID, "err", err.Error())
		stopWatch = func() {}
	}
	// Progress reports go on until the delivery is acknowledged or left:
	// deciding the job can wait for a leader election.
	stopBeat := make(chan struct{})
	var beat sync.WaitGroup
	beat.Add(1)
	go func() {
		defer beat.Done()
		t := time.NewTicker(max(d.AckWait()/4, 50*time.Millisecond))
		defer t.Stop()
		for {
			select {
			case <-stopBeat:
				return
			case <-t.C:
				d.InProgress()
			}
		}
	}()
	defer func() {
		close(stopBeat)
		beat.Wait()
	}()
	edit, err := w.execute(jctx, j, c)
	stopWatch()
	w.mu.Lock()
	delete(w.running, j.ID)
	w.mu.Unlock()

	cause := context.Cause(jctx)
	switch {
	case errors.Is(cause, errLost):
		w.n.log.Warn("job taken over by another worker", "job", j.ID, "worker", slot)
		w.discard(j, c)
	case errors.Is(cause, errCancelled):
		w.finishAndAck(ctx, d, j, c, false, "Terminated by user", nil)
	case err == nil:
		// Finished, even if this process is stopping meanwhile.
		w.finishAndAck(ctx, d, j, c, true, "", edit)
	case w.ctx.Err() != nil:
		w.release(ctx, d, j, c) // this process is stopping
	default:
		w.finishAndAck(ctx, d, j, c, false, "Error: "+clientMessage(err), nil)
	}
}

// retryUpdate is update of a job row, tried again while the cluster
// fails in passing.
func retryUpdate(ctx context.Context, st *store, key string, fn func(*jobRow) error) (*jobRow, error) {
	var rev uint64
	return retryUpdateRev(ctx, st, key, &rev, fn)
}

// retryUpdateRev is retryUpdate that stores the row's revision in rev.
func retryUpdateRev(ctx context.Context, st *store, key string, rev *uint64, fn func(*jobRow) error) (*jobRow, error) {
	var j *jobRow
	err := retry(ctx, func() (err error) {
		j, *rev, err = updateRev(ctx, st, bucketJobs, key, fn)
		return err
	})
	return j, err
}

// finishAndAck decides a job held by c (or, with c nil, a job nobody
// holds), does what follows and acknowledges the delivery. A job another
// worker holds now is left to it, unacknowledged; a job decided meanwhile
// by someone else is acknowledged.
func (w *workers) finishAndAck(ctx context.Context, d engine.Delivery, j *jobRow, c *claim, success bool, errText string, edit func(*jobRow)) {
	row, done, err := w.n.decide(ctx, j.ProjectID, j.ID, c, success, errText, edit)
	switch {
	case errors.Is(err, errNotOurs):
		w.discard(j, c)
		return
	case err != nil:
		w.n.log.Error("job finish", "job", j.ID, "err", err.Error())
		return // delivered again after the acknowledgement wait
	case !done:
		if c != nil {
			w.discard(j, c)
		}
		d.Ack()
		return
	}
	if c != nil && c.attempt > 1 {
		// Results of earlier runs whose workers died.
		for a := 1; a < c.attempt; a++ {
			w.deleteOutputs(row, a)
		}
	}
	if err := w.n.finished(ctx, row, false); err != nil {
		w.n.log.Error("finished job", "job", j.ID, "err", err.Error())
		return // the next delivery completes it
	}
	d.Ack()
}

// release gives a job back to the queue when this process stops: the row
// shows it queued again, and the run does not count as one whose worker
// died.
func (w *workers) release(ctx context.Context, d engine.Delivery, j *jobRow, c *claim) {
	mine := false
	_, err := retryUpdate(ctx, w.n.st, pkey(j.ProjectID, j.ID), func(r *jobRow) error {
		mine = false
		if r.decided() || r.Worker != c.worker || r.Attempts != c.attempt {
			return errSkip
		}
		r.Started = nil
		r.Releases++
		mine = true
		return nil
	})
	w.discard(j, c)
	if err != nil || !mine {
		return
	}
	w.n.appendLog(j.ProjectID, j.ID, fmt.Sprintf("release-%d", c.attempt), fmt.Sprintf("The worker running this job (%s) was stopped; the job goes back to the queue\n", c.worker))
	d.Release()
}

// discard deletes what a run stored that will not be the job's result.
func (w *workers) discard(j *jobRow, c *claim) {
	w.deleteOutputs(j, c.attempt)
}

func (w *workers) deleteOutputs(j *jobRow, attempt int) {
	ctx := context.Background()
	for _, name := range outputNames(j.ProjectID, j.ID, attempt) {
		w.n.eng.Objects().Delete(ctx, name)
	}
}

// outputNames are the objects a run of a job stores: every run its own,
// so that two runs of one job (a worker that lost its connection, and the
// one that took the job over) never write the same object.
func outputNames(pid, jid, attempt int) []string {
	return []string{
		fmt.Sprintf("models/%d/%d-%d.zip", pid, jid, attempt),
		fmt.Sprintf("models/%d/%d-%d-detailed.json", pid, jid, attempt),
		fmt.Sprintf("results/%d/%d-%d-classify.json", pid, jid, attempt),
		fmt.Sprintf("deploy/%d/%d-%d", pid, jid, attempt),
	}
}

// execute runs one job and returns what its finish stores in the row.
func (w *workers) execute(ctx context.Context, j *jobRow, c *claim) (func(*jobRow), error) {
	lb := &logBatcher{flush: func(id, text string) {
		w.n.appendLog(j.ProjectID, j.ID, fmt.Sprintf("run-%d-%s", c.attempt, id), text)
	}}
	defer lb.close()
	switch j.Kind {
	case kindTrainKeras, kindTrainAnomaly, kindTrain:
		return w.executeTrain(ctx, j, c, lb.write)
	case kindClassify:
		return w.executeClassify(ctx, j, c, lb.write)
	case kindTrial:
		return w.executeTrial(ctx, j, lb.write)
	case kindBuild:
		return w.executeBuild(ctx, j, c, lb.write)
	}
	return nil, fmt.Errorf("unknown job kind %q", j.Kind)
}

// logBatchDelay is how long a job's log text waits to be sent with the
// text that follows: one log entry per quarter second rather than one per
// epoch of a quick training, each a write to three servers.
const logBatchDelay = 250 * time.Millisecond

// logBatcher gathers a job's log text and sends it logBatchDelay after
// the first unsent text, when 16 KiB are waiting, and at close. Entries
// are numbered (the ids of their appends).
type logBatcher struct {
	flush func(id, text string)

	mu     sync.Mutex
	buf    strings.Builder
	timer  *time.Timer
	seq    int
	closed bool
	send   sync.Mutex // one flush at a time, in order
}

func (l *logBatcher) write(text string) {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return
	}
	l.buf.WriteString(text)
	full := l.buf.Len() >= 16<<10
	if !full && l.timer == nil {
		l.timer = time.AfterFunc(logBatchDelay, l.sendBuffered)
	}
	l.mu.Unlock()
	if full {
		l.sendBuffered()
	}
}

// sendBuffered sends the text gathered so far.
func (l *logBatcher) sendBuffered() {
	l.send.Lock()
	defer l.send.Unlock()
	l.mu.Lock()
	if l.timer != nil {
		l.timer.Stop()
		l.timer = nil
	}
	text := l.buf.String()
	l.buf.Reset()
	l.seq++
	id := strconv.Itoa(l.seq)
	l.mu.Unlock()
	if text != "" {
		l.flush(id, text)
	}
}

// close sends what is left; later writes are dropped.
func (l *logBatcher) close() {
	l.sendBuffered()
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
}

func (w *workers) executeTrain(ctx context.Context, j *jobRow, c *claim, log func(string)) (func(*jobRow), error) {
	samples, err := w.n.loadSamples(ctx, j.ProjectID, j.Samples, categoryTraining)
	if err != nil {
		return nil, err
	}
	log(fmt.Sprintf("Training on %d samples\n", len(samples)))
	t, err := train(ctx, j.Definition, samples, j.Seed, j.ID, w.cfg.JobThreads, log)
	if err != nil {
		return nil, err
	}
	names := outputNames(j.ProjectID, j.ID, c.attempt)
	m := modelRow{
		ID:        j.ID,
		ProjectID: j.ProjectID,
		Labels:    t.Labels,
		Archive:   names[0],
		Detailed:  names[1],
		Accuracy:  detailedAccuracy(t.Detailed),
	}
	var imp struct {
		Name string `json:"name"`
	}
	json.Unmarshal(j.Definition.Impulse, &imp)
	m.Name = imp.Name
	if err := w.n.st.putObject(ctx, m.Archive, t.Archive); err != nil {
		return nil, err
	}
	if err := w.n.st.putObject(ctx, m.Detailed, t.Detailed); err != nil {
		return nil, err
	}
	return func(j *jobRow) {
		m.Created = j.Outcome.At
		j.Trained = &m
	}, nil
}

func (w *workers) executeClassify(ctx context.Context, j *jobRow, c *claim, log func(string)) (func(*jobRow), error) {
	m, err := w.n.model(ctx, j.ProjectID, j.Model)
	if err != nil {
		return nil, err
	}
	samples, err := w.n.loadSamples(ctx, j.ProjectID, j.Samples, categoryTesting)
	if err != nil {
		return nil, err
	}
	if len(samples) == 0 {
		return nil, errors.New("the project has no testing samples to classify")
	}
	log(fmt.Sprintf("Classifying %d testing samples with the model of job %d\n", len(samples), j.Model))
	res, table, err := testModel(ctx, m, samples, w.cfg.JobThreads)
	if err != nil {
		return nil, err
	}
	log(table)
	name := outputNames(j.ProjectID, j.ID, c.attempt)[2]
	if err := w.n.st.putObject(ctx, name, res); err != nil {
		return nil, err
	}
	return func(j *jobRow) { j.Result = name }, nil
}

// executeBuild builds a deployment of a model and stores its file.
func (w *workers) executeBuild(ctx context.Context, j *jobRow, c *claim, log func(string)) (func(*jobRow), error) {
	b := j.Build
	if b == nil {
		return nil, errors.New("the job names no deployment to build")
	}
	m, err := w.n.model(ctx, j.ProjectID, j.Model)
	if err != nil {
		return nil, err
	}
	variant := b.ModelType
	if variant == "" {
		variant = "the learn blocks' own model type"
	}
	log(fmt.Sprintf("Building the %s deployment of the model of job %d (engine %s, %s)\n", b.Type, j.Model, b.Engine, variant))
	start := time.Now()
	var data []byte
	var built string
	switch b.Type {
	case "zip", "arduino":
		data, built, err = cLibrary(m, b.ModelType)
	case "tflite":
		data, built, err = tfliteFile(m, 0, b.ModelType)
	default:
		err = fmt.Errorf("unknown deployment type %q", b.Type)
	}
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	kind := built
	if kind == "" {
		kind = "no network"
	}
	log(fmt.Sprintf("Built %d bytes (%s) in %.2f s\n", len(data), kind, time.Since(start).Seconds()))
	name := outputNames(j.ProjectID, j.ID, c.attempt)[3]
	if err := w.n.st.putObject(ctx, name, data); err != nil {
		return nil, err
	}
	return func(j *jobRow) {
		j.Result = name
		j.Build.ModelType, j.Build.Bytes = built, len(data)
	}, nil
}
