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
	workers := fs.Int("workers", 0, "jobs run at once in this process (0: one per two cores, -1: none)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	if *dataDir == "" && *natsURL == "" {
		return usageError{"serve: --data-dir is required unless --nats is given"}
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	return service.Run(ctx, service.Config{DataDir: *dataDir, NATSURL: *natsURL, Addr: *addr, AdminKey: *adminKey, Workers: *workers})
}

// reportCmd implements "impulse report": the HTML report of a saved model,
// tested again on the dataset's testing samples.
func reportCmd(args []string, stdout io.Writer) error {
	fs := newFlags("report")
	modelDir := fs.String("model", "", "trained impulse folder (impulse train --out)")
	dataDir := fs.String("data", "", "the dataset it was trained on (its testing samples are tested again)")
	out := fs.String("out", "", "the HTML file to write")
	target := fs.String("target", "", "device of the on-device section (default: the model's)")
	if err := parseFlags(fs, args, "model", "data", "out"); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
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
