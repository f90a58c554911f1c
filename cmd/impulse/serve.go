package main

import (
	"context"
	"fmt"
	"io"
	"os/signal"
	"syscall"

	"github.com/tinyimpulse/tinyimpulse/dataset"
	"github.com/tinyimpulse/tinyimpulse/impulse"
	"github.com/tinyimpulse/tinyimpulse/report"
	"github.com/tinyimpulse/tinyimpulse/service"
)

// serve implements "impulse serve": the worker service (Edge Impulse's jobs
// API and WebSocket, TwinEdge's ML API) on NATS JetStream.
func serve(args []string) error {
	fs := newFlags("serve")
	dataDir := fs.String("data-dir", "", "folder of the embedded NATS server's files")
	natsURL := fs.String("nats", "", "existing NATS server or cluster (JetStream) instead of the embedded one")
	addr := fs.String("addr", ":4800", "HTTP listen address")
	adminKey := fs.String("admin-key", "", "admin key (default $"+service.EnvAdminKey+")")
	workers := fs.Int("workers", 0, "jobs run at once in this process (0: one per two cores, or none with --nats; -1: none)")
	maxQueued := fs.Int("max-queued", 0, "most jobs one project may have queued (default 100; past it a start gets 429)")
	ackWait := fs.Duration("ack-wait", 0, "how long a job may go without progress before it runs elsewhere (default 15s)")
	replicas := fs.Int("replicas", 0, "NATS servers keeping each stream (default 3 in a cluster, 1 embedded)")
	if err := parseFlagsOnly(fs, args); err != nil {
		return err
	}
	if *dataDir == "" && *natsURL == "" {
		return usageError{"serve: --data-dir is required unless --nats is given"}
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	return service.Run(ctx, service.Config{DataDir: *dataDir, NATSURL: *natsURL, Addr: *addr, AdminKey: *adminKey, Workers: *workers,
		MaxQueuedJobs: *maxQueued, AckWait: *ackWait, Replicas: *replicas})
}

// worker implements "impulse worker": a process that runs the service's
// jobs, pulled from the work queue of the NATS cluster at --nats.
func worker(args []string) error {
	fs := newFlags("worker")
	natsURL := fs.String("nats", "", "the service's NATS cluster (URLs separated by commas)")
	concurrency := fs.Int("concurrency", 0, "jobs run at once (0: one per two cores)")
	threads := fs.Int("threads", 0, "goroutines one job uses for features and model testing (0: 1)")
	name := fs.String("name", "", "the worker's name in job rows and logs (default host:pid)")
	if err := parseFlagsOnly(fs, args, "nats"); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	return service.RunWorker(ctx, service.WorkerConfig{NATSURL: *natsURL, Concurrency: *concurrency, JobThreads: *threads, Name: *name})
}

// reportCmd implements "impulse report": the HTML report of a saved model,
// tested again on the dataset's testing samples.
func reportCmd(args []string, stdout io.Writer) error {
	fs := newFlags("report")
	modelDir := fs.String("model", "", "trained impulse folder (impulse train --out)")
	dataDir := fs.String("data", "", "the dataset it was trained on (its testing samples are tested again)")
	out := fs.String("out", "", "the HTML file to write")
	target := fs.String("target", "", "device of the on-device section (default: the model's)")
	if err := parseFlagsOnly(fs, args, "model", "data", "out"); err != nil {
		return err
	}
	m, err := impulse.LoadModel(*modelDir)
	if err != nil {
		return err
	}
	ds, err := dataset.LoadWith(*dataDir, dataset.LoadOptions{CompactAudio: true})
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	d, err := report.Generate(ctx, m, ds, report.Options{Target: *target})
	if err != nil {
		return err
	}
	if err := report.WriteFile(*out, d); err != nil {
		return fmt.Errorf("--out %s: %v", *out, err)
	}
	fmt.Fprintf(stdout, "wrote %s\n", *out)
	return nil
}
