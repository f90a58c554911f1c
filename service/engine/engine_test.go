package engine_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tinyimpulse/tinyimpulse/service/engine"
)

func open(t *testing.T, dir string) *engine.NATS {
	t.Helper()
	e, err := engine.Open(context.Background(), engine.Config{Dir: dir, AckWait: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestKV(t *testing.T) {
	ctx := context.Background()
	e := open(t, t.TempDir())
	defer e.Close()
	b, err := e.Bucket(ctx, "things")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.Get(ctx, "1.a"); !errors.Is(err, engine.ErrNotFound) {
		t.Fatalf("Get of a missing key: %v, want ErrNotFound", err)
	}
	rev, err := b.Create(ctx, "1.a", []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Create(ctx, "1.a", []byte("y")); !errors.Is(err, engine.ErrExists) {
		t.Fatalf("second Create: %v, want ErrExists", err)
	}
	rev2, err := b.Update(ctx, "1.a", []byte("z"), rev)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Update(ctx, "1.a", []byte("w"), rev); !errors.Is(err, engine.ErrConflict) {
		t.Fatalf("Update on an old revision: %v, want ErrConflict", err)
	}
	v, r, err := b.Get(ctx, "1.a")
	if err != nil || string(v) != "z" || r != rev2 {
		t.Fatalf("Get = %q, %d, %v; want z, %d", v, r, err, rev2)
	}
	b.Put(ctx, "1.b", nil)
	b.Put(ctx, "2.a", nil)
	keys, err := b.Keys(ctx, "1.*")
	if err != nil || len(keys) != 2 {
		t.Fatalf("Keys(1.*) = %v, %v; want 2 keys", keys, err)
	}
	if err := b.Delete(ctx, "1.a"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.Get(ctx, "1.a"); !errors.Is(err, engine.ErrNotFound) {
		t.Fatalf("Get after Delete: %v", err)
	}
	if keys, _ := b.Keys(ctx, "9.*"); len(keys) != 0 {
		t.Fatalf("Keys of an empty prefix = %v", keys)
	}
}

func TestRestartKeepsEverything(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	e := open(t, dir)
	b, _ := e.Bucket(ctx, "things")
	b.Put(ctx, "k", []byte("v"))
	e.Objects().Put(ctx, "big", make([]byte, 3<<20))
	e.Logs().Append(ctx, "1.1", engine.LogEntry{Data: "line 1\n"})
	e.Logs().Append(ctx, "1.1", engine.LogEntry{Finished: true, Success: true})
	e.Queue().Enqueue(ctx, []byte("job"))
	e.Close()

	e = open(t, dir)
	defer e.Close()
	b, _ = e.Bucket(ctx, "things")
	if v, _, err := b.Get(ctx, "k"); err != nil || string(v) != "v" {
		t.Errorf("KV after restart: %q, %v", v, err)
	}
	if o, err := e.Objects().Get(ctx, "big"); err != nil || len(o) != 3<<20 {
		t.Errorf("object after restart: %d bytes, %v", len(o), err)
	}
	if _, err := e.Objects().Get(ctx, "none"); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("missing object: %v", err)
	}
	log, err := e.Logs().Read(ctx, "1.1", time.Time{})
	if err != nil || len(log) != 2 || log[0].Data != "line 1\n" || !log[1].Finished || !log[1].Success {
		t.Errorf("log after restart: %+v, %v", log, err)
	}
	qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	d, err := e.Queue().Next(qctx)
	if err != nil || string(d.Data()) != "job" {
		t.Fatalf("queue after restart: %v", err)
	}
	d.Ack()
}

// A job whose worker neither acknowledges nor reports progress comes back
// with the next attempt number; an acknowledged one never does.
func TestQueueRedelivery(t *testing.T) {
	ctx := context.Background()
	e := open(t, t.TempDir())
	defer e.Close()
	q := e.Queue()
	q.Enqueue(ctx, []byte("a"))
	qctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	d, err := q.Next(qctx)
	if err != nil || d.Attempt() != 1 {
		t.Fatalf("first delivery: %v, attempt %d", err, d.Attempt())
	}
	// Not acknowledged: back after the 1 s AckWait.
	d2, err := q.Next(qctx)
	if err != nil || string(d2.Data()) != "a" || d2.Attempt() != 2 {
		t.Fatalf("redelivery: %v, attempt %d", err, d2.Attempt())
	}
	if err := d2.Ack(); err != nil {
		t.Fatal(err)
	}
	short, cancel2 := context.WithTimeout(ctx, 2500*time.Millisecond)
	defer cancel2()
	if d, err := q.Next(short); err == nil {
		t.Fatalf("acknowledged job delivered again: %q", d.Data())
	}
}

// Every enqueued job reaches exactly one of several workers.
func TestQueueWorkers(t *testing.T) {
	ctx := context.Background()
	e := open(t, t.TempDir())
	defer e.Close()
	const n = 30
	for i := range n {
		e.Queue().Enqueue(ctx, []byte(fmt.Sprint(i)))
	}
	var mu sync.Mutex
	seen := map[string]int{}
	qctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				d, err := e.Queue().Next(qctx)
				if err != nil {
					return
				}
				mu.Lock()
				seen[string(d.Data())]++
				done := len(seen) == n
				mu.Unlock()
				d.Ack()
				if done {
					cancel()
				}
			}
		}()
	}
	time.AfterFunc(20*time.Second, cancel)
	wg.Wait()
	if len(seen) != n {
		t.Fatalf("%d of %d jobs delivered", len(seen), n)
	}
	for k, c := range seen {
		if c != 1 {
			t.Errorf("job %s delivered %d times", k, c)
		}
	}
}

func TestFollow(t *testing.T) {
	ctx := context.Background()
	e := open(t, t.TempDir())
	defer e.Close()
	l := e.Logs()
	l.Append(ctx, "3.9", engine.LogEntry{Data: "old\n"})
	got := make(chan string, 10)
	stop, err := l.Follow(ctx, "3.*", time.Time{}, func(log string, en engine.LogEntry) { got <- log + " " + en.Data })
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	l.Append(ctx, "3.10", engine.LogEntry{Data: "new\n"})
	l.Append(ctx, "4.1", engine.LogEntry{Data: "other project\n"})
	for _, want := range []string{"3.9 old\n", "3.10 new\n"} {
		select {
		case g := <-got:
			if g != want {
				t.Errorf("followed %q, want %q", g, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no entry %q", want)
		}
	}
	select {
	case g := <-got:
		t.Errorf("unexpected entry %q", g)
	case <-time.After(300 * time.Millisecond):
	}
	// Read from a time after the last entry gives nothing, at once.
	if es, err := l.Read(ctx, "3.9", time.Now().Add(time.Second)); err != nil || len(es) != 0 {
		t.Errorf("Read after the end: %v, %v", es, err)
	}
}
