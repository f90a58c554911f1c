// Package engine is where the service keeps everything and how its parts
// talk: key-value buckets (projects, keys, samples, job rows), an object
// store (samples, trained models, exports), a work queue of jobs, a
// replayable log per job, and broadcast messages (cancellation). Engine is
// the interface; NATS implements it on NATS JetStream, either with a
// server embedded in the process (file storage in a folder, no network
// listener: the service connects in-process) or on an existing NATS
// server or cluster.
//
// # Data layout
//
// Bucket "x" is the JetStream key-value bucket ti-x. The object store is
// ti-objects. Jobs are messages on subject ti.jobs of the work-queue
// stream TI_JOBS, consumed by the durable pull consumer ti-workers that
// every worker, in this process or another, shares. The log of job "p.j"
// is subject ti.log.p.j of the stream TI_LOGS: one message per chunk of
// text, the last one marked finished. Broadcast subject s is core NATS
// subject ti.bc.s.
//
// A job whose worker stops (the process is killed) is delivered again once
// the queue's acknowledgement wait has passed without progress reports, up
// to Config.MaxAttempts deliveries; Delivery.Attempt tells the worker
// which delivery it holds.
//
// # Errors
//
// Missing keys and objects give ErrNotFound, a Create on a set key
// ErrExists, an Update on a stale revision ErrConflict; other errors are
// the NATS client's, wrapped.
//
// # Concurrency
//
// Every method of Engine and of what it returns may be called from any
// goroutine.
package engine
