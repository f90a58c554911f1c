package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tinyimpulse/tinyimpulse/dataset"
	"github.com/tinyimpulse/tinyimpulse/learn"
	"github.com/tinyimpulse/tinyimpulse/service/engine"
	"github.com/tinyimpulse/tinyimpulse/tune"
)

// TrialRunner runs a tuner search's trials as jobs of the service's
// workers (`impulse tune --nats URL`): it is a tune.Fleet.
//
// The search's training samples are stored once, as one object of the
// object store (a sample pack, exact to the bit), and every trial is a
// job of kind "tune-trial" that names it: the worker that takes a trial
// loads the pack once, keeps it and the features of its latest
// processing-block configurations for the trials that follow, runs the
// trial with the library (tune.LocalRunner) and stores the outcome in the
// job row with the job's decision. A trial's job is queued, claimed,
// redelivered when its worker dies and decided exactly once like any
// other job (see the package documentation); Run waits for the decision
// by watching the job's row, and cancels the job when its context ends,
// on whichever worker runs it.
//
// The trials of a runner are jobs of one project: the project it was
// given (a search the service runs for a project), or a project number of
// their own that has no project row (the API lists no such project).
type TrialRunner struct {
	n       *node
	eng     engine.Engine
	ownsEng bool
	pid     int
	pack    string // the sample pack's object
	pings   atomic.Int64

	mu   sync.Mutex
	jobs map[int]bool // jobs started and not yet decided
}

// NewTrialRunner stores the training samples of ds in the engine's
// object store and returns a runner of trials as jobs of project (0: a
// project number of the search's own). Close deletes the samples.
func NewTrialRunner(ctx context.Context, eng engine.Engine, ds *dataset.Dataset, project int) (*TrialRunner, error) {
	if ds == nil {
		return nil, errors.New("service: NewTrialRunner: no dataset")
	}
	train := ds.Category(categoryTraining)
	if len(train) == 0 {
		return nil, fmt.Errorf("service: %w: %s has no training samples", libraryErrDataset, ds.Dir)
	}
	n, err := newNode(ctx, eng, slog.New(slog.DiscardHandler))
	if err != nil {
		return nil, err
	}
	r := &TrialRunner{n: n, eng: eng, pid: project, jobs: map[int]bool{}}
	if r.pid == 0 {
		if r.pid, err = n.st.next(ctx, "project"); err != nil {
			n.close()
			return nil, fmt.Errorf("service: %w", err)
		}
	}
	pack, err := encodeSamples(train)
	if err != nil {
		n.close()
		return nil, fmt.Errorf("service: the training samples: %w", err)
	}
	id, err := n.st.next(ctx, "pack")
	if err != nil {
		n.close()
		return nil, fmt.Errorf("service: %w", err)
	}
	r.pack = fmt.Sprintf("trials/%d/samples-%d.pack", r.pid, id)
	if err := n.st.putObject(ctx, r.pack, pack); err != nil {
		n.close()
		return nil, fmt.Errorf("service: storing the training samples: %w", err)
	}
	return r, nil
}

// DialTrials connects to the service's NATS cluster at url and returns a
// TrialRunner for ds; its Close closes the connection. It is the
// tune.Dial of `impulse tune --nats URL`.
func DialTrials(ctx context.Context, url string, ds *dataset.Dataset) (tune.Fleet, error) {
	if url == "" {
		return nil, errors.New("service: DialTrials: no NATS URL")
	}
	eng, err := engine.Open(ctx, engine.Config{URL: url, KeepSettings: true, Name: "tinyimpulse-tune"})
	if err != nil {
		return nil, fmt.Errorf("service: %w", err)
	}
	r, err := NewTrialRunner(ctx, eng, ds, 0)
	if err != nil {
		eng.Close()
		return nil, err
	}
	r.ownsEng = true
	return r, nil
}

// Project returns the project number whose jobs the trials are.
func (r *TrialRunner) Project() int { return r.pid }

// Run queues the trial as a job and waits for its outcome (see
// tune.Runner). It waits while the project has the queue's limit of jobs
// queued or running. progress is not called.
func (r *TrialRunner) Run(ctx context.Context, t tune.Trial, _ func(learn.EpochStats)) (*tune.Outcome, error) {
	trial, err := json.Marshal(t)
	if err != nil {
		return nil, fmt.Errorf("service: trial %d: %w", t.ID, err)
	}
	j := &jobRow{ProjectID: r.pid, Kind: kindTrial, Trial: trial, Data: r.pack, Seed: t.Seed}
	// A job queued while ctx ends is still cancelled below, not left to
	// run for nobody.
	bg := context.WithoutCancel(ctx)
	wait := 50 * time.Millisecond
	for {
		err = r.n.enqueue(bg, j)
		if !errors.Is(err, engine.ErrQueueFull) {
			break
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, time.Second)
	}
	if err != nil {
		return nil, fmt.Errorf("service: queueing trial %d: %w", t.ID, err)
	}
	r.mu.Lock()
	r.jobs[j.ID] = true
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		delete(r.jobs, j.ID)
		r.mu.Unlock()
	}()
	decided := make(chan *jobRow, 1)
	stop, err := r.n.st.b[bucketJobs].Watch(bg, pkey(r.pid, j.ID), func(v []byte, _ uint64) {
		var row jobRow
		if v == nil || json.Unmarshal(v, &row) != nil || !row.decided() {
			return
		}
		select {
		case decided <- &row:
		default:
		}
	})
	if err != nil {
		r.cancel(j.ID)
		return nil, fmt.Errorf("service: watching trial %d: %w", t.ID, err)
	}
	defer stop()
	select {
	case row := <-decided:
		return trialOutcome(row)
	case <-ctx.Done():
		r.cancel(j.ID)
		return nil, ctx.Err()
	}
}

// trialOutcome is the outcome of a decided trial job.
func trialOutcome(row *jobRow) (*tune.Outcome, error) {
	_, success, errText := row.result()
	switch {
	case success && (len(row.TrialOutcome) > 0 || len(row.TrialOutcomeGob) > 0):
		return decodeOutcome(row)
	case row.CancelRequested:
		return nil, fmt.Errorf("service: trial job %d of project %d was cancelled", row.ID, row.ProjectID)
	}
	if errText == "" {
		errText = "the trial's job failed"
	}
	return &tune.Outcome{Status: tune.StatusFailed, Error: errText}, nil
}

// cancel cancels a trial's job, on whichever worker runs it.
func (r *TrialRunner) cancel(jid int) {
	ctx, done := context.WithTimeout(context.Background(), 10*time.Second)
	defer done()
	r.n.cancelJob(ctx, r.pid, jid)
}

// pingSubject is where a TrialRunner asks the workers how many jobs they
// run at once; the message is the subject of the answers.
const pingSubject = "tune.ping"

// pingAnswer is a worker process's answer to a ping.
type pingAnswer struct {
	Worker string `json:"worker"`
	Slots  int    `json:"slots"`
}

// Slots asks every worker process of the cluster how many jobs it runs at
// once and returns the sum of the answers that arrive until none has
// for 300 ms (2 s at most).
func (r *TrialRunner) Slots(ctx context.Context) (int, error) {
	reply := fmt.Sprintf("tune.slots.%d-%d", r.pid, r.pings.Add(1))
	answers := make(chan pingAnswer, 256)
	unsub, err := r.eng.Subscribe(reply, func(_ string, data []byte) {
		var a pingAnswer
		if json.Unmarshal(data, &a) == nil && a.Slots > 0 {
			select {
			case answers <- a:
			default:
			}
		}
	})
	if err != nil {
		return 0, fmt.Errorf("service: %w", err)
	}
	defer unsub()
	if err := r.eng.Publish(pingSubject, []byte(reply)); err != nil {
		return 0, fmt.Errorf("service: %w", err)
	}
	seen := map[string]int{}
	deadline := time.After(2 * time.Second)
	quiet := time.NewTimer(300 * time.Millisecond)
	defer quiet.Stop()
collect:
	for {
		select {
		case a := <-answers:
			seen[a.Worker] = a.Slots
			quiet.Reset(300 * time.Millisecond)
		case <-quiet.C:
			break collect
		case <-deadline:
			break collect
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
	total := 0
	for _, n := range seen {
		total += n
	}
	return total, nil
}

// Close cancels the runner's trials still queued or running, deletes the
// stored samples and, for a runner of DialTrials, closes the connection.
func (r *TrialRunner) Close() error {
	r.mu.Lock()
	jobs := make([]int, 0, len(r.jobs))
	for id := range r.jobs {
		jobs = append(jobs, id)
	}
	r.mu.Unlock()
	for _, id := range jobs {
		r.cancel(id)
	}
	ctx, done := context.WithTimeout(context.Background(), 10*time.Second)
	defer done()
	err := r.eng.Objects().Delete(ctx, r.pack)
	r.n.close()
	if r.ownsEng {
		if cerr := r.eng.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

// onPing answers a TrialRunner's ping with the process's slots.
func (w *workers) onPing(_ string, data []byte) {
	reply := string(data)
	if !strings.HasPrefix(reply, "tune.slots.") || strings.ContainsAny(reply, " *>\t\r\n") {
		return
	}
	a, _ := json.Marshal(pingAnswer{Worker: w.cfg.Name, Slots: w.cfg.Concurrency})
	w.n.eng.Publish(reply, a)
}

// executeTrial runs a tuner trial's job.
func (w *workers) executeTrial(ctx context.Context, j *jobRow, log func(string)) (func(*jobRow), error) {
	if j.Data == "" || len(j.Trial) == 0 {
		return nil, errors.New("a tuner trial's job without its trial or samples")
	}
	r, err := w.sets.get(ctx, j.Data, func(ctx context.Context) (*localTrials, error) {
		data, err := w.n.st.object(ctx, j.Data)
		if err != nil {
			return nil, fmt.Errorf("the trial's samples (%s): %w", j.Data, err)
		}
		samples, err := decodeSamples(data)
		if err != nil {
			return nil, fmt.Errorf("the trial's samples (%s): %w", j.Data, err)
		}
		return newLocalTrials(samples), nil
	})
	if err != nil {
		return nil, err
	}
	out, line, err := runTrial(ctx, r, j.Trial)
	if err != nil {
		return nil, err
	}
	var enc jobRow
	if err := encodeOutcome(out, &enc); err != nil {
		return nil, err
	}
	log(line)
	return func(row *jobRow) { row.TrialOutcome, row.TrialOutcomeGob = enc.TrialOutcome, enc.TrialOutcomeGob }, nil
}

// trialSets are the sample packs a worker process has loaded, each with
// the runner that keeps the features of its trials, the latest used
// first to go when there are more than limit.
type trialSets struct {
	mu    sync.Mutex
	limit int
	order []string // least recently used first
	m     map[string]*trialSet
}

type trialSet struct {
	ready chan struct{}
	r     *localTrials
	err   error
}

func newTrialSets(limit int) *trialSets {
	return &trialSets{limit: limit, m: map[string]*trialSet{}}
}

// get returns the runner of a pack, loading it once; a load that fails is
// not kept.
func (c *trialSets) get(ctx context.Context, name string, load func(context.Context) (*localTrials, error)) (*localTrials, error) {
	for {
		c.mu.Lock()
		e, ok := c.m[name]
		if ok {
			if i := slices.Index(c.order, name); i >= 0 {
				c.order = append(slices.Delete(c.order, i, i+1), name)
			}
			c.mu.Unlock()
			select {
			case <-e.ready:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			if e.err != nil {
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				continue // load it again
			}
			return e.r, nil
		}
		e = &trialSet{ready: make(chan struct{})}
		c.m[name] = e
		c.order = append(c.order, name)
		for len(c.order) > c.limit {
			delete(c.m, c.order[0])
			c.order = c.order[1:]
		}
		c.mu.Unlock()
		e.r, e.err = load(ctx)
		if e.err != nil {
			c.mu.Lock()
			if c.m[name] == e {
				delete(c.m, name)
				c.order = slices.DeleteFunc(c.order, func(s string) bool { return s == name })
			}
			c.mu.Unlock()
		}
		close(e.ready)
		return e.r, e.err
	}
}
