package service

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tinyimpulse/tinyimpulse/service/engine"
)

// Buckets of the engine.
const (
	bucketMeta     = "meta"     // counters, server secret
	bucketProjects = "projects" // "<pid>" → projectRow
	bucketKeys     = "keys"     // "<sha256 of key>" → keyRow
	bucketSamples  = "samples"  // "<pid>.<sid>" → sampleRow
	bucketJobs     = "jobs"     // "<pid>.<jid>" → jobRow
	bucketModels   = "models"   // "<pid>.<jid>" → modelRow
	bucketHooks    = "webhooks" // "<pid>.<hid>" → webhookRow
	bucketDeliv    = "deliveries"
	bucketPreds    = "predictions"
)

type projectRow struct {
	ID          int       `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Created     time.Time `json:"created"`
	// The impulse as the client set it (a CreateImpulseRequest), the DSP
	// configs and the learn parameters by block id.
	Impulse   json.RawMessage            `json:"impulse,omitempty"`
	ImpulseID int                        `json:"impulseId,omitempty"`
	DSP       map[string]json.RawMessage `json:"dsp,omitempty"`
	Learn     map[string]json.RawMessage `json:"learn,omitempty"`
	// Model is the job id of the project's current trained model (0: none).
	Model int `json:"model,omitempty"`
}

type keyRow struct {
	ProjectID int       `json:"projectId"`
	Created   time.Time `json:"created"`
}

type sampleRow struct {
	ID          int       `json:"id"`
	Name        string    `json:"name"`
	FileName    string    `json:"fileName"`
	Category    string    `json:"category"`
	Label       string    `json:"label"`
	Object      string    `json:"object"`
	Size        int       `json:"size"`
	LengthMs    float64   `json:"lengthMs"`
	FrequencyHz float64   `json:"frequencyHz"`
	Axes        []string  `json:"axes,omitempty"`
	Image       bool      `json:"image,omitempty"`
	Created     time.Time `json:"created"`
}

// Job kinds.
const (
	kindTrainKeras   = "train-keras"
	kindTrainAnomaly = "train-anomaly"
	kindTrain        = "train" // TwinEdge: the whole impulse
	kindClassify     = "classify"
	kindTrial        = "tune-trial"           // a tuner search's trial (see TrialRunner)
	kindBuild        = "build-ondevice-model" // a deployment (see deployment.go)
)

// isTraining reports whether a job kind trains a model.
func isTraining(kind string) bool {
	return kind == kindTrainKeras || kind == kindTrainAnomaly || kind == kindTrain
}

type jobRow struct {
	ID                 int        `json:"id"`
	ProjectID          int        `json:"projectId"`
	Kind               string     `json:"kind"`
	LearnID            int        `json:"learnId,omitempty"`
	Created            time.Time  `json:"created"`
	Started            *time.Time `json:"started,omitempty"`
	Finished           *time.Time `json:"finished,omitempty"`
	FinishedSuccessful *bool      `json:"finishedSuccessful,omitempty"`
	CancelRequested    bool       `json:"cancelRequested,omitempty"`
	// Worker is the worker (process and slot) that holds the job, or held
	// it last, and Attempts the queue's delivery number it holds it by;
	// only that worker and delivery can finish the job. Releases counts
	// the times a worker that was stopped gave the job back (Started is
	// then cleared), so that Attempts - Releases is the number of runs.
	Worker   string `json:"worker,omitempty"`
	Attempts int    `json:"attempts,omitempty"`
	Releases int    `json:"releases,omitempty"`
	// QueueSeq is the job's message in the queue (removed when the job is
	// cancelled before it starts).
	QueueSeq uint64 `json:"queueSeq,omitempty"`
	Error    string `json:"error,omitempty"`
	Seed     uint64 `json:"seed"`
	// Definition and Samples are what the job was asked to train on.
	Definition definitionDoc `json:"definition"`
	Samples    []int         `json:"samples"`
	// Model is the model job a classify job tests.
	Model int `json:"model,omitempty"`
	// Result is the object holding the job's result (model testing, a
	// deployment's file).
	Result string `json:"result,omitempty"`
	// Build is what a deployment job builds (its Model is the model).
	Build *buildSpec `json:"build,omitempty"`
	// Trained is the model a successful training job made, stored with
	// the job's outcome and copied to the models bucket after it.
	Trained *modelRow `json:"trained,omitempty"`
	// Trial and Data are a tuner trial's: the trial (a tune.Trial, JSON)
	// and the object of the sample pack it trains on. TrialOutcome is the
	// trial's outcome (a tune.Outcome), stored with the job's outcome:
	// JSON, or in TrialOutcomeGob encoding/gob when it holds a number JSON
	// cannot (a diverged training's NaN loss).
	Trial           json.RawMessage `json:"trial,omitempty"`
	Data            string          `json:"data,omitempty"`
	TrialOutcome    json.RawMessage `json:"trialOutcome,omitempty"`
	TrialOutcomeGob []byte          `json:"trialOutcomeGob,omitempty"`
	// Outcome is the job's result as its worker (or a cancellation)
	// decided it; Finished, FinishedSuccessful and Error show it once
	// the model is stored.
	Outcome *outcome `json:"outcome,omitempty"`
}

// outcome is how a job ended.
type outcome struct {
	At      time.Time `json:"at"`
	Success bool      `json:"success"`
	Error   string    `json:"error,omitempty"`
}

// finished reports whether the job shows as finished.
func (j *jobRow) finished() bool { return j.Finished != nil }

// decided reports whether the job's outcome is decided (it may not show
// as finished yet).
func (j *jobRow) decided() bool { return j.Outcome != nil || j.Finished != nil }

// result is the job's outcome: its decision, or what the row shows.
func (j *jobRow) result() (at time.Time, success bool, errText string) {
	if o := j.Outcome; o != nil {
		return o.At, o.Success, o.Error
	}
	if j.Finished != nil {
		at = *j.Finished
	}
	return at, j.FinishedSuccessful != nil && *j.FinishedSuccessful, j.Error
}

// status is TwinEdge's job status.
func (j *jobRow) status() string {
	switch {
	case j.Finished != nil && j.FinishedSuccessful != nil && *j.FinishedSuccessful:
		return "completed"
	case j.Finished != nil && j.CancelRequested:
		return "cancelled"
	case j.Finished != nil:
		return "failed"
	case j.Started != nil:
		return "running"
	}
	return "queued"
}

type modelRow struct {
	ID        int       `json:"id"` // the training job's id
	ProjectID int       `json:"projectId"`
	Created   time.Time `json:"created"`
	Labels    []string  `json:"labels"`
	Archive   string    `json:"archive"`
	Detailed  string    `json:"detailed"`
	Name      string    `json:"name"`
	Accuracy  *float64  `json:"accuracy,omitempty"`
}

// store is the service's typed view of the engine.
type store struct {
	e engine.Engine
	b map[string]engine.KV
}

func openStore(ctx context.Context, e engine.Engine) (*store, error) {
	s := &store{e: e, b: map[string]engine.KV{}}
	for _, name := range []string{bucketMeta, bucketProjects, bucketKeys, bucketSamples, bucketJobs, bucketModels, bucketHooks, bucketDeliv, bucketPreds} {
		kv, err := e.Bucket(ctx, name)
		if err != nil {
			return nil, err
		}
		s.b[name] = kv
	}
	return s, nil
}

// The store's calls are tried again, for up to retryFor, while the
// cluster fails in passing (a server went away, leaders are being
// elected): a request waits through a NATS server's failure instead of
// failing.

// get reads key of bucket into v.
func (s *store) get(ctx context.Context, bucket, key string, v any) (uint64, error) {
	var data []byte
	var rev uint64
	err := retry(ctx, func() (err error) {
		data, rev, err = s.b[bucket].Get(ctx, key)
		return err
	})
	if err != nil {
		return 0, err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return 0, fmt.Errorf("%s/%s: %w", bucket, key, err)
	}
	return rev, nil
}

func (s *store) put(ctx context.Context, bucket, key string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return retry(ctx, func() error {
		_, err := s.b[bucket].Put(ctx, key, data)
		return err
	})
}

// update applies fn to the value under key until it is stored without a
// conflicting write in between. fn may return errSkip to write nothing.
func update[T any](ctx context.Context, s *store, bucket, key string, fn func(*T) error) (*T, error) {
	v, _, err := updateRev(ctx, s, bucket, key, fn)
	return v, err
}

// updateRev is update that also returns the value's revision (the one
// read, when fn skips).
func updateRev[T any](ctx context.Context, s *store, bucket, key string, fn func(*T) error) (*T, uint64, error) {
	for range 100 {
		var v T
		rev, err := s.get(ctx, bucket, key, &v)
		if err != nil {
			return nil, 0, err
		}
		if err := fn(&v); err != nil {
			if errors.Is(err, errSkip) {
				return &v, rev, nil
			}
			return nil, 0, err
		}
		data, err := json.Marshal(&v)
		if err != nil {
			return nil, 0, err
		}
		// A retried Update whose first try was stored conflicts with
		// itself: fn is then applied again to the value it wrote.
		var newRev uint64
		err = retry(ctx, func() (err error) {
			newRev, err = s.b[bucket].Update(ctx, key, data, rev)
			return err
		})
		if errors.Is(err, engine.ErrConflict) {
			continue
		}
		if err != nil {
			return nil, 0, err
		}
		return &v, newRev, nil
	}
	return nil, 0, fmt.Errorf("%s/%s: too many conflicting writes", bucket, key)
}

var errSkip = errors.New("skip")

// next returns the next value of a counter (1, 2, …).
func (s *store) next(ctx context.Context, counter string) (int, error) {
	kv := s.b[bucketMeta]
	key := "counter." + counter
	for range 1000 {
		var data []byte
		var rev uint64
		err := retry(ctx, func() (err error) {
			data, rev, err = kv.Get(ctx, key)
			return err
		})
		if errors.Is(err, engine.ErrNotFound) {
			if err := retry(ctx, func() error { _, err := kv.Create(ctx, key, []byte("1")); return err }); err == nil {
				return 1, nil
			} else if !errors.Is(err, engine.ErrExists) {
				return 0, err
			}
			continue
		}
		if err != nil {
			return 0, err
		}
		n, err := strconv.Atoi(string(data))
		if err != nil {
			return 0, fmt.Errorf("counter %s: %w", counter, err)
		}
		if err := retry(ctx, func() error { _, err := kv.Update(ctx, key, []byte(strconv.Itoa(n+1)), rev); return err }); err == nil {
			return n + 1, nil
		} else if !errors.Is(err, engine.ErrConflict) {
			return 0, err
		}
	}
	return 0, fmt.Errorf("counter %s: too many conflicting writes", counter)
}

// secret returns the server's random secret (socket tokens), creating it
// once for every process sharing the engine.
func (s *store) secret(ctx context.Context) ([]byte, error) {
	kv := s.b[bucketMeta]
	data, _, err := kv.Get(ctx, "secret")
	if errors.Is(err, engine.ErrNotFound) {
		b := make([]byte, 32)
		rand.Read(b)
		if _, err := kv.Create(ctx, "secret", []byte(hex.EncodeToString(b))); err != nil && !errors.Is(err, engine.ErrExists) {
			return nil, err
		}
		data, _, err = kv.Get(ctx, "secret")
	}
	if err != nil {
		return nil, err
	}
	return hex.DecodeString(string(data))
}

// list reads every value of bucket under prefix "<pid>." into rows,
// sorted by id (the last key token).
func list[T any](ctx context.Context, s *store, bucket string, pid int) ([]T, error) {
	var keys []string
	err := retry(ctx, func() (err error) {
		keys, err = s.b[bucket].Keys(ctx, strconv.Itoa(pid)+".*")
		return err
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(keys, func(i, j int) bool { return lastID(keys[i]) < lastID(keys[j]) })
	out := make([]T, 0, len(keys))
	for _, k := range keys {
		var v T
		if _, err := s.get(ctx, bucket, k, &v); err != nil {
			if errors.Is(err, engine.ErrNotFound) {
				continue // deleted meanwhile
			}
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func lastID(key string) int {
	n, _ := strconv.Atoi(key[strings.LastIndexByte(key, '.')+1:])
	return n
}

func pkey(pid, id int) string { return strconv.Itoa(pid) + "." + strconv.Itoa(id) }

// hashKey is the stored form of an API key.
func hashKey(key string) string {
	h := sha256.Sum256([]byte(key))
	return hex.EncodeToString(h[:])
}

// newAPIKey returns a new random project key, with Edge Impulse's "ei_"
// prefix (its client refuses keys without it).
func newAPIKey() string {
	b := make([]byte, 32)
	rand.Read(b)
	return "ei_" + hex.EncodeToString(b)
}

// project reads a project or gives the 404 every route answers for a
// project the caller may not see.
func (s *store) project(ctx context.Context, pid int) (*projectRow, error) {
	var p projectRow
	if _, err := s.get(ctx, bucketProjects, strconv.Itoa(pid), &p); err != nil {
		if errors.Is(err, engine.ErrNotFound) {
			return nil, projectNotFound(pid)
		}
		return nil, err
	}
	return &p, nil
}

func projectNotFound(pid int) error {
	return errorf(http.StatusNotFound, "project %d not found", pid)
}

// job reads a job of a project.
func (s *store) job(ctx context.Context, pid, jid int) (*jobRow, error) {
	var j jobRow
	if _, err := s.get(ctx, bucketJobs, pkey(pid, jid), &j); err != nil {
		if errors.Is(err, engine.ErrNotFound) {
			return nil, errorf(http.StatusNotFound, "job %d not found", jid)
		}
		return nil, err
	}
	return &j, nil
}

// object reads an object of the engine's object store.
func (s *store) object(ctx context.Context, name string) ([]byte, error) {
	var data []byte
	err := retry(ctx, func() (err error) {
		data, err = s.e.Objects().Get(ctx, name)
		return err
	})
	return data, err
}

// putObject stores an object (a retried Put writes the same bytes again).
func (s *store) putObject(ctx context.Context, name string, data []byte) error {
	return retry(ctx, func() error { return s.e.Objects().Put(ctx, name, data) })
}
