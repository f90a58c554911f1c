// Package service is the worker service a platform runs: Edge Impulse's
// Studio jobs API and WebSocket events, Edge Impulse's ingestion routes,
// and TwinEdge's ML API, on NATS JetStream (package engine).
//
// # Overview
//
// [Run] serves HTTP until its context ends; [New] returns a [Server] whose
// [Server.Handler] a caller mounts itself. With Config.NATSURL empty the
// service embeds a NATS server storing its files in Config.DataDir (no
// network listener; the service connects in-process), and runs
// Config.Workers in-process workers. With Config.NATSURL it uses an
// existing NATS cluster, runs no jobs itself unless Config.Workers says
// so, and any number of API servers and [RunWorker] processes share the
// projects, the job queue and the logs. Workers need no disk shared with
// the API servers: samples, models and results are in the cluster's
// object store.
//
// Every trained model, uploaded sample and job log is in JetStream:
// key-value buckets hold projects, hashed keys, sample rows, job rows,
// models, webhooks and their deliveries; the object store holds samples,
// models (the library's one-file form, Model.WriteTo) and results; jobs
// are messages of a work-queue stream, one subject per project, that
// workers in this process or another pull; each job's log is a
// replayable subject of a log stream. On a cluster, three servers keep a
// copy of everything.
//
// # Routes
//
// Edge Impulse's (bodies and responses are the types of the npm package
// edge-impulse-api 1.95.13): POST /v1/api/projects/create (admin key),
// GET /v1/api/projects, GET /v1/api/{projectId}, the impulse, DSP, keras
// and anomaly settings, jobs/train/keras/{learnId},
// jobs/train/anomaly/{learnId}, jobs/classify, jobs/{jobId}/status,
// /stdout and /cancel, jobs, jobs/all, jobs/history, impulses-detailed,
// keras and anomaly metadata, classify/all/result, socket-token; the
// deployment (below); ingestion: POST /api/{training|testing|split}/files (multipart, field
// data, x-label) and /api/{category}/data (one data acquisition file,
// x-file-name). Errors are {"success": false, "error": "..."}.
//
// The WebSocket is socket.io at /socket.io/?token=… (Engine.IO 3 and 4,
// websocket and polling transports): hello on connect, start-log-stream
// {jobId, lastReceivedTimestamp} replays and follows a job's log as
// job-data-{jobId} {data} and job-finished-{jobId} {success}, job-cancel
// cancels a job. Without onDemandLogs=true a socket receives the events of
// every job of its project.
//
// Deployment: POST /v1/api/{projectId}/jobs/build-ondevice-model?type=T
// with {engine, modelType} starts a job that builds a deployment of the
// project's current model: type zip (Edge Impulse's C++ library) or
// arduino, engine tflite-eon, the C library of package deploy
// (deploy.WriteZip); type tflite, engine tflite, the first neural
// network as a .tflite file (tflite.Export); modelType int8 or float32
// (default: each learn block's own). GET deployment?type=T tells whether
// one is built (GetDeploymentResponse, version = the job id) and
// deployment/download?type=T (modelType, engine) sends the latest build
// of the current model. GET deployment/targets (and /v1/api/deployment/
// targets) lists the three types as DeploymentTargets; GET downloads
// lists, and learn-data/{learnId}/model/{tflite-int8|tflite-float32}
// sends, each network as a .tflite file made on request. GET
// /v1/api/{projectId}/report and /v1/ml/models/{modelId}/report send the
// model's HTML report (package report: the model tested again on the
// testing samples of its training job, the feature explorer on its
// training samples), made by the API server on the first request for a
// model and kept in the object store.
//
// TwinEdge's, under /v1/ml with Authorization: Bearer KEY: models,
// training, predictions (every window of a buffer, classified with a
// trained model) and webhooks (training.completed and training.failed,
// signed with HMAC-SHA256 over "timestamp.body" in X-TwinEdge-Signature,
// retried with exponential backoff, every attempt in a delivery log).
// Responses are {data, meta}; errors {"error": {code, message, details}}.
// /openapi.json and /openapi.yaml describe every route.
//
// # Jobs
//
// A training job trains the whole impulse (the library trains every learn
// block of an impulse together); the train route of one learn block first
// stores that block's settings. A job row keeps the definition, the seed
// and the samples the job was asked for, so the job gives the same model
// whenever and wherever it runs.
//
// Jobs are queued per project, and workers take the projects in turn, so
// that one project's many jobs do not hold back another's. A project may
// have Config.MaxQueuedJobs jobs queued or running; one more gets 429.
//
// Delivery is at least once, results exactly once. A worker claims a job
// by writing its name and the queue's delivery number into the job row
// (a compare-and-set), reports progress to the queue every quarter of
// Config.AckWait while it runs, and watches the row: a cancellation, or
// another worker's claim, stops the job within moments on whichever
// machine runs it (the cancel message is the quicker path, the watch the
// sure one). A job whose worker dies (the process is killed, or loses the
// cluster for longer than AckWait) is delivered again once AckWait has
// passed without progress reports, and runs again on whichever worker
// takes it; its log says so. Each run stores its outputs under names of
// its own, and the job's outcome is decided by a compare-and-set that
// succeeds only for the worker and delivery the row names, so two runs of
// one job never both count. What follows the decision (the model row, the
// project's model, the row showing the job finished, the final log entry,
// the webhooks, once) can run again, and does when a worker dies between
// the decision and the queue's acknowledgement. A job whose worker dies
// twice is failed, so that a job that kills its worker cannot loop; a
// worker that is stopped (its context ends) gives its job back at once,
// and that does not count.
//
// A deployment build is a job like the others (queued, run by any
// worker, its log on the WebSocket, decided once): its row names the
// model (a training job) and what to build, and the file it stores in the
// object store is the job's result. Builds of the same model and options
// give the same bytes.
//
// # Tuner trials
//
// A tuner search (package tune) can run its trials on the workers:
// [DialTrials] (`impulse tune --nats URL`) or [NewTrialRunner] stores the
// search's training samples once in the object store, as a sample pack
// that gives every value back bit for bit, and each trial is a job of
// kind "tune-trial" holding the trial as plain data. The worker that takes
// it loads the pack once (and keeps the two latest), runs the trial with
// tune.LocalRunner, keeping the features of the processing-block
// configurations it saw, and stores the outcome in the job row with the
// job's decision. Trial jobs are queued, redelivered, cancelled and
// decided exactly once like any other job, so a search gives the same
// trials on any number of worker processes as in one process, and
// cancelling it cancels its trials wherever they run. A worker answers
// a runner's ping (TrialRunner.Slots) with the number of jobs it runs at
// once.
//
// # Errors
//
// Bad requests get 400 (malformed or mistyped JSON, settings the library
// refuses, data that cannot train: a missing axis, one class), 401 (no or
// an unknown key), 403 (a route the key may not use), 404 (unknown routes,
// ids, blocks, and any project the key does not belong to), 405, 413
// (bodies over Config.MaxBodyBytes, uploads over Config.MaxUploadBytes)
// and 429 (rate limits, and a project's limit of queued jobs), each with
// a message naming the field, file or route. While the NATS cluster fails
// in passing (a server died, leaders are being elected), requests wait
// and try again for up to a minute rather than fail. Other errors are 500 "internal error"; their detail goes to the
// log only.
//
// # Security considerations
//
// Keys are stored as SHA-256 hashes and looked up by hash; the admin key
// is kept only hashed and compared in constant time. A project key reaches
// only its project. No key or token is logged or echoed. Uploaded file
// names are reduced to base names with known extensions, and objects are
// named by ids. Socket tokens are HMAC-signed with a random secret kept
// in the engine and expire after an hour. Webhook URLs are called as
// given: a deployment that does not trust its projects' users should
// restrict outgoing traffic.
//
// # Concurrency
//
// A Server's handler serves requests concurrently; its workers, and the
// slots of a RunWorker process, run one job each. Rate limits are counted
// per process; the limit of queued jobs holds for the whole cluster.
package service
