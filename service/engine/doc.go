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
// ti-objects. The job queue is the work-queue stream TI_QUEUE: the items
// of group g (the service's project g) are messages on subject
// ti.queue.g, consumed by the durable pull consumer ti-queue-g that every
// worker, in this process or another, shares. The log of job "p.j" is
// subject ti.log.p.j of the stream TI_LOGS: one message per chunk of
// text, the last one marked finished. Broadcast subject s is core NATS
// subject ti.bc.s. On a cluster every stream, bucket and the object store
// is kept by Config.Replicas servers (3 by default), so that one server's
// failure loses nothing and stops nothing for longer than the election
// of new leaders (4 to 9 s for the streams it led).
//
// # Queue
//
// Next takes the groups in turn: it asks the consumer of each group with
// items, starting after the group it served last, for one item without
// waiting. An item whose worker neither acknowledges it nor reports
// progress within the acknowledgement wait (the worker died) is delivered
// again, as often as it comes to that; Delivery.Attempt tells the worker
// which delivery it holds, and the service decides when to give up.
// Config.MaxQueued is enforced by the server (the stream's limit of
// messages per subject, refusing new ones), so it holds however many
// processes enqueue at once.
//
// The API servers own the queue's settings: an engine opened with
// KeepSettings (a worker) creates what is missing with its Config but
// changes nothing that exists, and takes the acknowledgement wait from
// the stream.
//
// # Errors
//
// Missing keys and objects give ErrNotFound, a Create on a set key
// ErrExists, an Update on a stale revision ErrConflict, an Enqueue past
// the limit ErrQueueFull; other errors are the NATS client's, wrapped.
// Retryable tells the passing failures of a cluster (a request that timed
// out because a server died or a leader is being elected) from answers:
// the callers try those again. Requests time out after 2 s when their
// context has no deadline.
//
// # Concurrency
//
// Every method of Engine and of what it returns may be called from any
// goroutine.
package engine
