package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tinyimpulse/tinyimpulse/service/engine"
)

// queued is the work-queue message of a job.
type queued struct {
	ProjectID int `json:"projectId"`
	JobID     int `json:"jobId"`
}

// logName is the name of a job's log in the engine.
func logName(pid, jid int) string { return pkey(pid, jid) }

// startJob stores a new job row and puts the job on the work queue.
func (s *Server) startJob(ctx context.Context, j *jobRow) error {
	id, err := s.st.next(ctx, "job")
	if err != nil {
		return err
	}
	j.ID = id
	j.Created = time.Now().UTC()
	if j.Seed == 0 {
		j.Seed = s.cfg.Seed
	}
	if err := s.st.put(ctx, bucketJobs, pkey(j.ProjectID, j.ID), j); err != nil {
		return err
	}
	msg, _ := json.Marshal(queued{ProjectID: j.ProjectID, JobID: j.ID})
	if err := s.eng.Queue().Enqueue(ctx, msg); err != nil {
		return err
	}
	s.appendLog(j.ProjectID, j.ID, fmt.Sprintf("Scheduling job in cluster...\nJob %d queued (%s)\n", j.ID, j.Kind))
	return nil
}

// appendLog adds text to a job's log.
func (s *Server) appendLog(pid, jid int, text string) {
	if err := s.eng.Logs().Append(context.Background(), logName(pid, jid), engine.LogEntry{Data: text}); err != nil {
		s.log.Error("job log", "job", jid, "err", err.Error())
	}
}

// finishJob marks a job finished (once) and appends its final log entry.
func (s *Server) finishJob(pid, jid int, success bool, errText string, edit func(*jobRow)) (*jobRow, error) {
	ctx := context.Background()
	done := false
	j, err := update(ctx, s.st, bucketJobs, pkey(pid, jid), func(j *jobRow) error {
		if j.finished() {
			return errSkip
		}
		now := time.Now().UTC()
		j.Finished = &now
		j.FinishedSuccessful = &success
		j.Error = errText
		if edit != nil {
			edit(j)
		}
		done = true
		return nil
	})
	if err != nil || !done {
		return j, err
	}
	text := "Job completed\n"
	if !success {
		text = "Job failed\n"
		if errText != "" {
			text = errText + "\n" + text
		}
	}
	if err := s.eng.Logs().Append(ctx, logName(pid, jid), engine.LogEntry{Data: text, Finished: true, Success: success}); err != nil {
		s.log.Error("job log", "job", jid, "err", err.Error())
	}
	s.hooks.jobFinished(j)
	return j, nil
}

// cancelJob asks for a job to stop: a queued job is finished at once, a
// running one is cancelled by the worker that runs it.
func (s *Server) cancelJob(ctx context.Context, pid, jid int) error {
	j, err := update(ctx, s.st, bucketJobs, pkey(pid, jid), func(j *jobRow) error {
		if j.finished() {
			return errSkip
		}
		j.CancelRequested = true
		return nil
	})
	if err != nil {
		if errors.Is(err, engine.ErrNotFound) {
			return errorf(http.StatusNotFound, "job %d not found", jid)
		}
		return err
	}
	if j.finished() {
		return nil
	}
	if j.Started == nil {
		_, err := s.finishJob(pid, jid, false, "Terminated by user", nil)
		return err
	}
	return s.eng.Publish("cancel."+strconv.Itoa(jid), []byte(strconv.Itoa(pid)))
}

// onCancel cancels a job this process runs.
func (s *Server) onCancel(subject string, _ []byte) {
	jid, err := strconv.Atoi(strings.TrimPrefix(subject, "cancel."))
	if err != nil {
		return
	}
	s.mu.Lock()
	cancel := s.running[jid]
	s.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}

// worker pulls jobs from the shared queue until the server closes.
func (s *Server) worker(n int) {
	defer s.wg.Done()
	for {
		d, err := s.eng.Queue().Next(s.ctx)
		if err != nil {
			if s.ctx.Err() != nil || errors.Is(err, engine.ErrClosed) {
				return
			}
			s.log.Error("job queue", "worker", n, "err", err.Error())
			time.Sleep(time.Second)
			continue
		}
		s.runDelivery(d)
	}
}

// maxAttempts is the engine's delivery limit: the last delivery fails the
// job instead of running it a third time.
const maxAttempts = 3

func (s *Server) runDelivery(d engine.Delivery) {
	var q queued
	if err := json.Unmarshal(d.Data(), &q); err != nil {
		s.log.Error("job queue: malformed message", "err", err.Error())
		d.Ack()
		return
	}
	ctx := context.Background()
	// Claim the job: queued → running (or running again after a worker died).
	restart := false
	j, err := update(ctx, s.st, bucketJobs, pkey(q.ProjectID, q.JobID), func(j *jobRow) error {
		if j.finished() || j.CancelRequested {
			return errSkip
		}
		if j.Started != nil {
			restart = true
		}
		now := time.Now().UTC()
		j.Started = &now
		j.Attempts = d.Attempt()
		return nil
	})
	if err != nil {
		s.log.Error("job row", "job", q.JobID, "err", err.Error())
		if errors.Is(err, engine.ErrNotFound) {
			d.Ack()
		}
		return
	}
	if j.finished() {
		d.Ack()
		return
	}
	if j.CancelRequested {
		s.finishJob(q.ProjectID, q.JobID, false, "Terminated by user", nil)
		d.Ack()
		return
	}
	if restart {
		if d.Attempt() >= maxAttempts {
			s.finishJob(q.ProjectID, q.JobID, false, fmt.Sprintf("The job's worker stopped %d times while running it; giving up", d.Attempt()-1), nil)
			d.Ack()
			return
		}
		s.appendLog(q.ProjectID, q.JobID, fmt.Sprintf("The worker running this job stopped; running it again (attempt %d of %d)\n", d.Attempt(), maxAttempts-1))
	}

	jctx, cancel := context.WithCancel(s.ctx)
	s.mu.Lock()
	s.running[j.ID] = cancel
	s.mu.Unlock()
	// A cancellation asked for between the claim and now.
	if cur, err := s.st.job(ctx, j.ProjectID, j.ID); err == nil && cur.CancelRequested {
		cancel()
	}
	stopBeat := make(chan struct{})
	var beat sync.WaitGroup
	beat.Add(1)
	go func() {
		defer beat.Done()
		t := time.NewTicker(s.heartbeat())
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
	err = s.execute(jctx, j)
	close(stopBeat)
	beat.Wait()
	s.mu.Lock()
	delete(s.running, j.ID)
	s.mu.Unlock()
	cancelled := jctx.Err() != nil
	cancel()
	if cancelled && s.ctx.Err() != nil {
		// The server is closing: leave the job unacknowledged, so that it
		// runs again (this process or another) once the wait has passed.
		return
	}
	switch {
	case cancelled:
		s.finishJob(j.ProjectID, j.ID, false, "Terminated by user", nil)
	case err != nil:
		s.finishJob(j.ProjectID, j.ID, false, "Error: "+clientMessage(err), nil)
	}
	d.Ack()
}

// heartbeat is how often a running job reports progress to the queue.
func (s *Server) heartbeat() time.Duration {
	w := s.cfg.AckWait
	if w <= 0 {
		w = 15 * time.Second
	}
	return w / 4
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

// execute runs one job; it finishes successful jobs itself.
func (s *Server) execute(ctx context.Context, j *jobRow) error {
	log := func(text string) { s.appendLog(j.ProjectID, j.ID, text) }
	switch j.Kind {
	case kindTrainKeras, kindTrainAnomaly, kindTrain:
		return s.executeTrain(ctx, j, log)
	case kindClassify:
		return s.executeClassify(ctx, j, log)
	}
	return fmt.Errorf("unknown job kind %q", j.Kind)
}

func (s *Server) executeTrain(ctx context.Context, j *jobRow, log func(string)) error {
	samples, err := s.loadSamples(ctx, j.ProjectID, j.Samples, categoryTraining)
	if err != nil {
		return err
	}
	log(fmt.Sprintf("Training on %d samples\n", len(samples)))
	t, err := train(ctx, j.Definition, samples, j.Seed, j.ID, s.cfg.JobThreads, log)
	if err != nil {
		return err
	}
	m := modelRow{
		ID:        j.ID,
		ProjectID: j.ProjectID,
		Created:   time.Now().UTC(),
		Labels:    t.Labels,
		Archive:   fmt.Sprintf("models/%d/%d.tar", j.ProjectID, j.ID),
		Detailed:  fmt.Sprintf("models/%d/%d-detailed.json", j.ProjectID, j.ID),
		Accuracy:  detailedAccuracy(t.Detailed),
	}
	var imp struct {
		Name string `json:"name"`
	}
	json.Unmarshal(j.Definition.Impulse, &imp)
	m.Name = imp.Name
	if err := s.eng.Objects().Put(ctx, m.Archive, t.Archive); err != nil {
		return err
	}
	if err := s.eng.Objects().Put(ctx, m.Detailed, t.Detailed); err != nil {
		return err
	}
	if err := s.st.put(ctx, bucketModels, pkey(j.ProjectID, j.ID), &m); err != nil {
		return err
	}
	if _, err := update(ctx, s.st, bucketProjects, strconv.Itoa(j.ProjectID), func(p *projectRow) error {
		if p.Model > j.ID {
			return errSkip // a later job's model is newer
		}
		p.Model = j.ID
		return nil
	}); err != nil {
		return err
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	_, err = s.finishJob(j.ProjectID, j.ID, true, "", nil)
	return err
}

func (s *Server) executeClassify(ctx context.Context, j *jobRow, log func(string)) error {
	m, err := s.model(ctx, j.ProjectID, j.Model)
	if err != nil {
		return err
	}
	samples, err := s.loadSamples(ctx, j.ProjectID, j.Samples, categoryTesting)
	if err != nil {
		return err
	}
	if len(samples) == 0 {
		return errors.New("the project has no testing samples to classify")
	}
	log(fmt.Sprintf("Classifying %d testing samples with the model of job %d\n", len(samples), j.Model))
	res, table, err := testModel(ctx, m, samples, s.cfg.JobThreads)
	if err != nil {
		return err
	}
	log(table)
	name := fmt.Sprintf("results/%d/%d-classify.json", j.ProjectID, j.ID)
	if err := s.eng.Objects().Put(ctx, name, res); err != nil {
		return err
	}
	_, err = s.finishJob(j.ProjectID, j.ID, true, "", func(j *jobRow) { j.Result = name })
	return err
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
// of one category, numbered 1, 2, … as the library wants.
func (s *Server) loadSamples(ctx context.Context, pid int, ids []int, category string) ([]*decodedSample, error) {
	var out []*decodedSample
	for _, id := range ids {
		var row sampleRow
		if _, err := s.st.get(ctx, bucketSamples, pkey(pid, id), &row); err != nil {
			if errors.Is(err, engine.ErrNotFound) {
				continue // deleted since the job was created
			}
			return nil, err
		}
		if row.Category != category {
			continue
		}
		data, err := s.eng.Objects().Get(ctx, row.Object)
		if err != nil {
			return nil, fmt.Errorf("sample %d (%s): %w", row.ID, row.FileName, err)
		}
		smp, err := decodeSample(row.FileName, data)
		if err != nil {
			return nil, err
		}
		smp.ID = len(out) + 1
		smp.Name = row.Name
		smp.Category = row.Category
		smp.Label = row.Label
		out = append(out, smp)
	}
	return out, nil
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
func (s *Server) model(ctx context.Context, pid, jid int) (*model, error) {
	if jid == 0 {
		p, err := s.st.project(ctx, pid)
		if err != nil {
			return nil, err
		}
		if p.Model == 0 {
			return nil, errorf(http.StatusBadRequest, "project %d has no trained model yet: train the impulse first", pid)
		}
		jid = p.Model
	}
	var row modelRow
	if _, err := s.st.get(ctx, bucketModels, pkey(pid, jid), &row); err != nil {
		if errors.Is(err, engine.ErrNotFound) {
			return nil, errorf(http.StatusNotFound, "model %d not found", jid)
		}
		return nil, err
	}
	if m := s.models.get(row.Archive); m != nil {
		return m, nil
	}
	data, err := s.eng.Objects().Get(ctx, row.Archive)
	if err != nil {
		return nil, err
	}
	m, err := loadModel(data)
	if err != nil {
		return nil, err
	}
	s.models.add(row.Archive, m)
	return m, nil
}
