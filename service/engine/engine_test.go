package engine_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
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
	e.Queue().Enqueue(ctx, "1", "job-1", []byte("job"))
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
	q.Enqueue(ctx, "1", "a", []byte("a"))
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
		e.Queue().Enqueue(ctx, fmt.Sprint(i%4), fmt.Sprint(i), []byte(fmt.Sprint(i)))
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

// Next takes the groups in turn: group a's five items do not hold back
// b's two and c's one, whatever order they were queued in.
func TestQueueFairness(t *testing.T) {
	ctx := context.Background()
	e := open(t, t.TempDir())
	defer e.Close()
	q := e.Queue()
	for i := range 5 {
		q.Enqueue(ctx, "a", fmt.Sprint("a", i), []byte(fmt.Sprint("a", i)))
	}
	q.Enqueue(ctx, "b", "b0", []byte("b0"))
	q.Enqueue(ctx, "b", "b1", []byte("b1"))
	q.Enqueue(ctx, "c", "c0", []byte("c0"))
	qctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	var got []string
	for range 8 {
		d, err := q.Next(qctx)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(d.Data()))
		d.Ack()
	}
	// Round robin over the groups with items; FIFO within a group.
	want := "a0 b0 c0 a1 b1 a2 a3 a4"
	if g := strings.Join(got, " "); g != want {
		t.Errorf("delivery order %s, want %s", g, want)
	}
}

// A group holds at most MaxQueued items, waiting or in progress: one more
// is refused with ErrQueueFull, whoever enqueues it, until one is
// acknowledged or removed. Other groups are not affected, and a retried
// Enqueue of the same id adds nothing.
func TestQueueFull(t *testing.T) {
	ctx := context.Background()
	e, err := engine.Open(ctx, engine.Config{Dir: t.TempDir(), AckWait: time.Second, MaxQueued: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	q := e.Queue()
	seq1, err := q.Enqueue(ctx, "7", "j1", []byte("1"))
	if err != nil {
		t.Fatal(err)
	}
	if again, err := q.Enqueue(ctx, "7", "j1", []byte("1")); err != nil || again != seq1 {
		t.Fatalf("retried Enqueue: seq %d, %v; want %d, nil", again, err, seq1)
	}
	if _, err := q.Enqueue(ctx, "7", "j2", []byte("2")); err != nil {
		t.Fatal(err)
	}
	if _, err := q.Enqueue(ctx, "7", "j3", []byte("3")); !errors.Is(err, engine.ErrQueueFull) {
		t.Fatalf("third item: %v, want ErrQueueFull", err)
	}
	if _, err := q.Enqueue(ctx, "8", "j1", []byte("other")); err != nil {
		t.Fatalf("another group: %v", err)
	}
	// An item in progress still counts.
	qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	d, err := q.Next(qctx)
	if err != nil || string(d.Data()) != "1" {
		t.Fatalf("Next: %v", err)
	}
	if _, err := q.Enqueue(ctx, "7", "j3", []byte("3")); !errors.Is(err, engine.ErrQueueFull) {
		t.Fatalf("item in progress not counted: %v", err)
	}
	d.Ack()
	if _, err := q.Enqueue(ctx, "7", "j3", []byte("3")); err != nil {
		t.Fatalf("after an ack: %v", err)
	}
	// Removing a waiting item frees its place; removing it again is fine.
	seq4, err := q.Enqueue(ctx, "9", "j4", []byte("4"))
	if err != nil {
		t.Fatal(err)
	}
	q.Enqueue(ctx, "9", "j5", []byte("5"))
	if err := q.Remove(ctx, seq4); err != nil {
		t.Fatal(err)
	}
	if err := q.Remove(ctx, seq4); err != nil {
		t.Fatalf("second Remove: %v", err)
	}
	if _, err := q.Enqueue(ctx, "9", "j6", []byte("6")); err != nil {
		t.Fatalf("after Remove: %v", err)
	}
	var got []string
	for range 5 {
		d, err := q.Next(qctx)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(d.Data()))
		d.Ack()
	}
	slices.Sort(got)
	if g := strings.Join(got, " "); g != "2 3 5 6 other" {
		t.Errorf("items %q, want 2 3 5 6 other", g)
	}
}

// Release gives an item back at once, with the next attempt number.
func TestQueueRelease(t *testing.T) {
	ctx := context.Background()
	e, err := engine.Open(ctx, engine.Config{Dir: t.TempDir(), AckWait: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	q := e.Queue()
	q.Enqueue(ctx, "1", "a", []byte("a"))
	qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	d, err := q.Next(qctx)
	if err != nil {
		t.Fatal(err)
	}
	if d.AckWait() != time.Minute {
		t.Errorf("AckWait %v, want 1m", d.AckWait())
	}
	d.Release()
	d2, err := q.Next(qctx) // well before the minute
	if err != nil || d2.Attempt() != 2 {
		t.Fatalf("after Release: %v, attempt %d", err, d2.Attempt())
	}
	d2.Ack()
}

// Watch gives the current value, then the changes, and nil for a delete.
func TestWatch(t *testing.T) {
	ctx := context.Background()
	e := open(t, t.TempDir())
	defer e.Close()
	b, _ := e.Bucket(ctx, "jobs")
	b.Put(ctx, "1.1", []byte("queued"))
	got := make(chan string, 10)
	stop, err := b.Watch(ctx, "1.1", func(v []byte, r uint64) {
		if v == nil {
			got <- "<deleted>"
			return
		}
		got <- string(v)
	})
	if err != nil {
		t.Fatal(err)
	}
	next := func(want string) {
		t.Helper()
		select {
		case g := <-got:
			if g != want {
				t.Errorf("watched %q, want %q", g, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no %q", want)
		}
	}
	next("queued")
	b.Put(ctx, "1.2", []byte("another key"))
	b.Put(ctx, "1.1", []byte("running"))
	next("running")
	b.Delete(ctx, "1.1")
	next("<deleted>")
	// Of quick successive values, the latest arrives.
	for _, v := range []string{"a", "b", "c"} {
		b.Put(ctx, "1.1", []byte(v))
	}
	deadline := time.After(5 * time.Second)
	for last := ""; last != "c"; {
		select {
		case last = <-got:
		case <-deadline:
			t.Fatalf("the latest value never arrived (last %q)", last)
		}
	}
	stop()
	b.Put(ctx, "1.1", []byte("after stop"))
	select {
	case g := <-got:
		t.Errorf("value after stop: %q", g)
	case <-time.After(300 * time.Millisecond):
	}
}

// An Append retried with the same ID is stored once.
func TestAppendID(t *testing.T) {
	ctx := context.Background()
	e := open(t, t.TempDir())
	defer e.Close()
	l := e.Logs()
	for _, en := range []engine.LogEntry{{Data: "a\n", ID: "1"}, {Data: "a\n", ID: "1"}, {Data: "b\n", ID: "2"}, {Data: "c\n"}, {Data: "c\n"}} {
		if err := l.Append(ctx, "5.5", en); err != nil {
			t.Fatal(err)
		}
	}
	l.Append(ctx, "5.6", engine.LogEntry{Data: "other log, same ID\n", ID: "1"})
	es, err := l.Read(ctx, "5.5", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, en := range es {
		b.WriteString(en.Data)
	}
	if b.String() != "a\nb\nc\nc\n" {
		t.Errorf("log %q, want a b c c", b.String())
	}
	if es, _ := l.Read(ctx, "5.6", time.Time{}); len(es) != 1 {
		t.Errorf("the same ID in another log was dropped")
	}
}
