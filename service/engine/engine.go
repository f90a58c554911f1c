package engine

import (
	"context"
	"errors"
	"time"
)

// Errors the implementations return, to be tested with errors.Is.
var (
	// ErrNotFound: no value under the key, no object of that name.
	ErrNotFound = errors.New("engine: not found")
	// ErrExists: Create found the key already set.
	ErrExists = errors.New("engine: key exists")
	// ErrConflict: Update's revision is no longer the key's latest.
	ErrConflict = errors.New("engine: revision conflict")
	// ErrClosed: the engine was closed.
	ErrClosed = errors.New("engine: closed")
	// ErrQueueFull: the group already holds its limit of items (waiting
	// or in progress).
	ErrQueueFull = errors.New("engine: queue full")
)

// Engine is everything the service keeps and every way its parts talk: key-value buckets,
// an object store, a work queue of jobs, a replayable log per job and plain
// broadcast messages. Every method is safe for concurrent use.
type Engine interface {
	// Bucket returns the key-value bucket of that name, creating it on
	// first use. Keys are dot-separated tokens of letters, digits, '-', '_'
	// and '='.
	Bucket(ctx context.Context, name string) (KV, error)
	// Objects is the object store (samples, trained models, exports).
	Objects() Objects
	// Queue is the work queue of jobs.
	Queue() Queue
	// Logs holds the log of every job.
	Logs() Logs
	// Publish sends data to every current subscriber of subject; nothing is
	// kept for later subscribers.
	Publish(subject string, data []byte) error
	// Subscribe calls fn for every message published on subject ('*'
	// matches one token) until the returned function is called.
	Subscribe(subject string, fn func(subject string, data []byte)) (unsubscribe func(), err error)
	// Close releases the engine (and stops an embedded server).
	Close() error
}

// KV is a key-value bucket with optimistic concurrency: every write gets
// a revision, and Update only succeeds on the revision it was given.
type KV interface {
	// Get returns the latest value under key and its revision, or
	// ErrNotFound.
	Get(ctx context.Context, key string) (value []byte, revision uint64, err error)
	// Put sets key, whatever its revision.
	Put(ctx context.Context, key string, value []byte) (revision uint64, err error)
	// Create sets key only if it is unset (ErrExists otherwise).
	Create(ctx context.Context, key string, value []byte) (revision uint64, err error)
	// Update sets key only if its revision is still revision (ErrConflict
	// otherwise).
	Update(ctx context.Context, key string, value []byte, revision uint64) (uint64, error)
	// Delete removes key; a missing key is not an error.
	Delete(ctx context.Context, key string) error
	// Keys lists the keys matching filter ('*' one token, '>' the rest), in
	// no particular order; it may list a key deleted a moment ago (Get
	// then returns ErrNotFound).
	Keys(ctx context.Context, filter string) ([]string, error)
	// Watch calls fn with the value under key (if any), then with each
	// new value, until stop is called or ctx ends; a deleted key gives a
	// nil value. A value replaced before the watcher reads it may be
	// skipped (a bucket keeps one value per key); the latest always
	// arrives. fn runs on one goroutine at a time.
	Watch(ctx context.Context, key string, fn func(value []byte, revision uint64)) (stop func(), err error)
}

// Objects is a store of named blobs of any size.
type Objects interface {
	Put(ctx context.Context, name string, data []byte) error
	// Get returns the object or ErrNotFound.
	Get(ctx context.Context, name string) ([]byte, error)
	Delete(ctx context.Context, name string) error
}

// Queue is a work queue of items in groups (the service's projects):
// every enqueued item goes to exactly one worker, and comes back to the
// queue when that worker neither acknowledges it nor reports progress
// within the queue's acknowledgement wait (a worker that died). Workers
// take the groups in turn, so that one group's many items do not hold
// back another's.
type Queue interface {
	// Enqueue adds data to the queue of group under id and returns the
	// item's sequence number. Another Enqueue of the same id within two
	// minutes (a retry after an error) adds nothing. It returns
	// ErrQueueFull when the group already holds the queue's limit of items.
	// Groups and ids are tokens of letters, digits, '-' and '_'.
	Enqueue(ctx context.Context, group, id string, data []byte) (seq uint64, err error)
	// Remove takes the item of sequence seq out of the queue (a job
	// cancelled before it started); an item already gone is not an error.
	Remove(ctx context.Context, seq uint64) error
	// Next waits for the next item until ctx ends: the oldest item of the
	// group after the one it served last, among the groups with items.
	Next(ctx context.Context) (Delivery, error)
}

// Delivery is one item handed to a worker.
type Delivery interface {
	Data() []byte
	// Attempt is 1 on the first delivery, 2 on the next (after a worker
	// died with the item or released it), ….
	Attempt() int
	// AckWait is the queue's acknowledgement wait: InProgress must be
	// called more often than that.
	AckWait() time.Duration
	// InProgress tells the queue the worker is alive.
	InProgress() error
	// Ack removes the item for good.
	Ack() error
	// Release gives the item back to the queue at once (a worker that
	// stops before finishing it).
	Release() error
}

// LogEntry is one entry of a job's log.
type LogEntry struct {
	// Time is when the entry was stored (set by Append).
	Time time.Time
	// Data is a chunk of log text, normally ending in a newline.
	Data string
	// ID, when set, makes Append idempotent: an entry with the ID of one
	// appended to the same log in the last two minutes is dropped (a
	// retried Append).
	ID string
	// Finished marks the job's final entry; Success says how it ended.
	Finished, Success bool
}

// Logs keeps an append-only, replayable log per job. Logs are named by
// dot-separated tokens (for example "7.42": project 7, job 42), and a
// live follower may name several with '*'.
type Logs interface {
	Append(ctx context.Context, log string, e LogEntry) error
	// Read returns the log's entries stored at or after since, in order.
	Read(ctx context.Context, log string, since time.Time) ([]LogEntry, error)
	// Follow calls fn with the entries stored at or after since, then with
	// every new one, until stop is called or ctx ends. fn runs on one
	// goroutine at a time and receives the name of the entry's log.
	Follow(ctx context.Context, log string, since time.Time, fn func(log string, e LogEntry)) (stop func(), err error)
}
