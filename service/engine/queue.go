package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// The queue on JetStream: one work-queue stream, one subject per group
// (ti.queue.<group>) and one durable pull consumer per group, which every
// worker of every process shares. A worker looks at the groups holding
// messages (the stream's per-subject counts, refreshed four times a
// second per process), and asks their consumers in turn, starting after
// the group it served last, for one message each, without waiting: the
// first message it gets is its next item. A group whose consumer had
// nothing to give (its messages are all in progress) is skipped for a
// second by the process, unless a message is published to it meanwhile:
// a core NATS subscription to the queue's subjects sees every publish,
// and the wake subjects (ti.queue-wake.<group>) every release. With
// nothing to take, a worker waits for such a message or for a second to
// pass (items whose acknowledgement wait ran out come back without a
// publish).

const (
	// groupsMaxAge is how long a process reuses the list of groups with
	// items before asking the stream again (a publish adds its group at
	// once).
	groupsMaxAge = 250 * time.Millisecond
	// wakePrefix is the subject prefix of the releases' wake messages.
	wakePrefix = "ti.queue-wake."
	// idlePoll is how long an idle worker waits before looking again
	// without being woken.
	idlePoll = time.Second
	// consumerIdle is how long a group's consumer lives without any
	// worker asking it for items or reporting progress on them; a worker
	// creates it again when the group has items.
	consumerIdle = time.Hour
)

type natsQueue struct {
	e       *NATS
	stream  jetstream.Stream
	ackWait time.Duration

	mu        sync.Mutex
	consumers map[string]jetstream.Consumer
	last      string   // the group served last by this process
	groups    []string // groups holding messages, sorted
	groupsAt  time.Time
	empty     map[string]time.Time // groups whose consumer had nothing to give, and when
	wake      chan struct{}        // closed and replaced on every publish
	subs      []*nats.Subscription
}

func newQueue(e *NATS, s jetstream.Stream, ackWait time.Duration) *natsQueue {
	return &natsQueue{e: e, stream: s, ackWait: ackWait, consumers: map[string]jetstream.Consumer{}, empty: map[string]time.Time{}, wake: make(chan struct{})}
}

// listen subscribes to the queue's subjects and the wake subjects, to
// wake idle workers and keep the list of groups current.
func (q *natsQueue) listen() error {
	if q.subs != nil {
		return nil
	}
	for _, prefix := range []string{queuePrefix, wakePrefix} {
		sub, err := q.e.nc.Subscribe(prefix+">", func(m *nats.Msg) { q.published(strings.TrimPrefix(m.Subject, prefix)) })
		if err != nil {
			q.close()
			return err
		}
		q.subs = append(q.subs, sub)
	}
	return nil
}

// published notes a message for group: its consumer may have something
// to give, and idle workers wake.
func (q *natsQueue) published(group string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	delete(q.empty, group)
	if i, found := slices.BinarySearch(q.groups, group); !found {
		q.groups = slices.Insert(slices.Clone(q.groups), i, group)
	}
	close(q.wake)
	q.wake = make(chan struct{})
}

func (q *natsQueue) close() {
	for _, s := range q.subs {
		s.Unsubscribe()
	}
}

// validToken reports whether s is a token of letters, digits, '-' and '_'.
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

func (q *natsQueue) consumerConfig(group string) jetstream.ConsumerConfig {
	return jetstream.ConsumerConfig{
		Durable:           consumerPrefix + group,
		FilterSubject:     queuePrefix + group,
		AckPolicy:         jetstream.AckExplicitPolicy,
		AckWait:           q.ackWait,
		MaxDeliver:        -1, // the service decides when a job has failed too often
		InactiveThreshold: consumerIdle,
	}
}

// consumer returns the consumer of group, creating it if needed (and,
// without KeepSettings, bringing it to this engine's AckWait).
func (q *natsQueue) consumer(ctx context.Context, group string) (jetstream.Consumer, error) {
	q.mu.Lock()
	c := q.consumers[group]
	q.mu.Unlock()
	if c != nil {
		return c, nil
	}
	cfg := q.consumerConfig(group)
	var err error
	if q.e.cfg.KeepSettings {
		c, err = q.e.js.Consumer(ctx, queueStream, cfg.Durable)
		if errors.Is(err, jetstream.ErrConsumerNotFound) {
			c, err = q.e.js.CreateConsumer(ctx, queueStream, cfg)
			if errors.Is(err, jetstream.ErrConsumerExists) {
				c, err = q.e.js.Consumer(ctx, queueStream, cfg.Durable)
			}
		}
	} else {
		c, err = q.e.js.CreateOrUpdateConsumer(ctx, queueStream, cfg)
	}
	if err != nil {
		return nil, err
	}
	q.mu.Lock()
	q.consumers[group] = c
	q.mu.Unlock()
	return c, nil
}

func (q *natsQueue) forget(group string) {
	q.mu.Lock()
	delete(q.consumers, group)
	q.mu.Unlock()
}

func (q *natsQueue) Enqueue(ctx context.Context, group, id string, data []byte) (uint64, error) {
	if !validToken(group) || !validToken(id) {
		return 0, fmt.Errorf("engine: queue group %q or id %q is not a token of letters, digits, '-' and '_'", group, id)
	}
	if _, err := q.consumer(ctx, group); err != nil {
		return 0, fmt.Errorf("engine: queue of %s: %w", group, err)
	}
	ack, err := q.e.js.Publish(ctx, queuePrefix+group, data, jetstream.WithMsgID(group+"-"+id), jetstream.WithExpectStream(queueStream))
	if err != nil {
		var ae *jetstream.APIError
		if errors.As(err, &ae) && strings.Contains(ae.Description, "maximum messages per subject") {
			return 0, ErrQueueFull
		}
		return 0, err
	}
	return ack.Sequence, nil
}

func (q *natsQueue) Remove(ctx context.Context, seq uint64) error {
	err := q.stream.DeleteMsg(ctx, seq)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil
	}
	// The client reports the server's "sequence not found" (10043) only
	// in the text of ErrMsgDeleteUnsuccessful.
	if errors.Is(err, jetstream.ErrMsgDeleteUnsuccessful) && strings.Contains(err.Error(), "not found") {
		return nil
	}
	return err
}

// groupsWithItems returns the groups whose subjects hold messages
// (waiting or in progress), sorted, and the channel the next publish
// closes.
func (q *natsQueue) groupsWithItems(ctx context.Context) ([]string, <-chan struct{}, error) {
	q.mu.Lock()
	wake := q.wake
	if time.Since(q.groupsAt) < groupsMaxAge {
		g := q.groups
		q.mu.Unlock()
		return g, wake, nil
	}
	q.mu.Unlock()
	info, err := q.stream.Info(ctx, jetstream.WithSubjectFilter(queuePrefix+">"))
	if err != nil {
		return nil, wake, err
	}
	groups := make([]string, 0, len(info.State.Subjects))
	for subj, n := range info.State.Subjects {
		if n > 0 {
			groups = append(groups, strings.TrimPrefix(subj, queuePrefix))
		}
	}
	slices.Sort(groups)
	q.mu.Lock()
	if q.wake != wake {
		// Published meanwhile: keep the groups the publishes added.
		for _, g := range q.groups {
			if i, found := slices.BinarySearch(groups, g); !found {
				groups = slices.Insert(groups, i, g)
			}
		}
	}
	q.groups, q.groupsAt = groups, time.Now()
	wake = q.wake
	q.mu.Unlock()
	return groups, wake, nil
}

// skip reports whether group's consumer had nothing to give in the last
// idlePoll, with no publish since.
func (q *natsQueue) skip(group string, now time.Time) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	at, ok := q.empty[group]
	return ok && now.Sub(at) < idlePoll
}

// after returns groups rotated to start after last.
func after(groups []string, last string) []string {
	i, _ := slices.BinarySearch(groups, last)
	if i < len(groups) && groups[i] == last {
		i++
	}
	return append(slices.Clone(groups[i:]), groups[:i]...)
}

func (q *natsQueue) Next(ctx context.Context) (Delivery, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if q.e.nc.IsClosed() {
			return nil, ErrClosed
		}
		groups, wake, err := q.groupsWithItems(ctx)
		if err == nil {
			q.mu.Lock()
			last := q.last
			q.mu.Unlock()
			now := time.Now()
			for _, g := range after(groups, last) {
				if q.skip(g, now) {
					continue
				}
				d, err := q.take(ctx, g)
				if err != nil {
					if q.e.nc.IsClosed() {
						return nil, ErrClosed
					}
					continue
				}
				if d != nil {
					q.mu.Lock()
					q.last = g
					q.mu.Unlock()
					return d, nil
				}
			}
		} else if errors.Is(err, nats.ErrConnectionClosed) || errors.Is(err, jetstream.ErrConnectionClosed) {
			return nil, ErrClosed
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-wake:
		case <-time.After(idlePoll):
		}
	}
}

// take asks group's consumer for one message without waiting; nil when it
// has none to give.
func (q *natsQueue) take(ctx context.Context, group string) (Delivery, error) {
	c, err := q.consumer(ctx, group)
	if err != nil {
		return nil, err
	}
	batch, err := c.FetchNoWait(1)
	if err != nil {
		q.forget(group)
		return nil, err
	}
	for m := range batch.Messages() {
		attempt := 1
		if md, err := m.Metadata(); err == nil {
			attempt = int(md.NumDelivered)
		}
		ackWait := q.ackWait
		if ci := c.CachedInfo(); ci != nil && ci.Config.AckWait > 0 {
			ackWait = ci.Config.AckWait
		}
		return &natsDelivery{q: q, group: group, m: m, attempt: attempt, ackWait: ackWait}, nil
	}
	if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) && !errors.Is(err, nats.ErrTimeout) {
		// A consumer deleted for idleness, or a leader that moved: look
		// it up again next time.
		q.forget(group)
		return nil, err
	}
	q.mu.Lock()
	q.empty[group] = time.Now()
	q.mu.Unlock()
	return nil, nil
}

type natsDelivery struct {
	q       *natsQueue
	group   string
	m       jetstream.Msg
	attempt int
	ackWait time.Duration
}

func (d *natsDelivery) Data() []byte           { return d.m.Data() }
func (d *natsDelivery) Attempt() int           { return d.attempt }
func (d *natsDelivery) AckWait() time.Duration { return d.ackWait }
func (d *natsDelivery) InProgress() error      { return d.m.InProgress() }

// Release naks the message, and tells every process that the group has
// a message to give again.
func (d *natsDelivery) Release() error {
	if err := d.m.Nak(); err != nil {
		return err
	}
	return d.q.e.nc.Publish(wakePrefix+d.group, nil)
}

func (d *natsDelivery) Ack() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return d.m.DoubleAck(ctx)
}
