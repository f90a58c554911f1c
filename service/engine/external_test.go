package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/tinyimpulse/tinyimpulse/service/engine"
)

// TestExternalServer: with a URL the engine uses an existing NATS server
// (here one listening on loopback), and two engines on it share the job
// queue and the buckets, as separate service processes would.
func TestExternalServer(t *testing.T) {
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	defer ns.Shutdown()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server did not start")
	}
	ctx := context.Background()
	a, err := engine.Open(ctx, engine.Config{URL: ns.ClientURL()})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := engine.Open(ctx, engine.Config{URL: ns.ClientURL()})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	kvA, _ := a.Bucket(ctx, "projects")
	kvA.Put(ctx, "1", []byte("p"))
	kvB, _ := b.Bucket(ctx, "projects")
	if v, _, err := kvB.Get(ctx, "1"); err != nil || string(v) != "p" {
		t.Errorf("the second engine reads %q, %v", v, err)
	}
	a.Queue().Enqueue(ctx, "1", "job", []byte("job"))
	qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	d, err := b.Queue().Next(qctx)
	if err != nil || string(d.Data()) != "job" {
		t.Fatalf("the second engine's worker: %v", err)
	}
	d.Ack()
}
