package service

// Benchmarks of the service spread over processes (see cluster_test.go):
// jobs per minute by number of worker processes, the cost of the engine's
// operations on a replicated cluster, and the queue's dispatch rate for a
// large fleet. Each starts its own three-node NATS cluster.
//
//	go test ./service -run '^$' -bench 'Throughput|EngineOps|QueueFleet' -benchtime 1x

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tinyimpulse/tinyimpulse/service/engine"
)

// BenchmarkThroughput queues 40 short training jobs (the gestures impulse,
// 30 epochs) at once and runs them with 1, 2 and 4 worker processes (one
// job at a time each) on a three-node cluster with an API server process;
// it reports jobs per minute, from the first request to the last finish.
func BenchmarkThroughput(b *testing.B) {
	const jobs, epochs = 40, 30
	for _, workers := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			c := newTestCluster(b, 3, 15*time.Second)
			base := c.startAPI()
			for i := range workers {
				c.startWorker(fmt.Sprintf("w%d", i+1))
			}
			pid, a := gesturesProject(b, base)
			// One job first, so that every worker is connected and the
			// first model loads are behind us.
			a.wait(pid, a.train(pid, epochs), time.Minute)
			var total time.Duration
			cpu := func() (byRole map[string]time.Duration, ok bool) {
				byRole = map[string]time.Duration{}
				for _, p := range c.procs {
					if !p.alive() {
						continue
					}
					d, ok := cpuTime(p.cmd.Process.Pid)
					if !ok {
						return nil, false
					}
					byRole[p.spec.Role] += d
				}
				return byRole, true
			}
			cpu0, cpuOK := cpu()
			for b.Loop() {
				start := time.Now()
				ids := make([]int, jobs)
				for i := range ids {
					ids[i] = a.train(pid, epochs)
				}
				for _, id := range ids {
					if !a.wait(pid, id, 10*time.Minute) {
						b.Fatalf("job %d failed", id)
					}
				}
				total += time.Since(start)
			}
			perRun := total / time.Duration(b.N)
			b.ReportMetric(float64(jobs)/perRun.Minutes(), "jobs/min")
			b.ReportMetric(perRun.Seconds()*1000/jobs, "ms/job")
			// The CPU time each kind of process spent per job: what the
			// jobs cost whatever else runs on the machine.
			if cpu1, ok := cpu(); ok && cpuOK {
				n := float64(jobs * b.N)
				for _, role := range []string{"worker", "nats", "api"} {
					b.ReportMetric(float64((cpu1[role]-cpu0[role]).Milliseconds())/n, role+"-cpu-ms/job")
				}
			}
		})
	}
}

// clusterEngine opens an engine on a fresh three-node cluster.
func clusterEngine(b *testing.B, cfg engine.Config) (*testCluster, *engine.NATS) {
	c := newTestCluster(b, 3, 15*time.Second)
	cfg.URL = c.urls
	e, err := engine.Open(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { e.Close() })
	return c, e
}

// BenchmarkEngineOps measures the engine's operations on a three-node
// cluster with replicas 3, 16 callers at once (GOMAXPROCS × 8): the
// inverse of ns/op is the cluster's rate for that operation on this
// machine.
func BenchmarkEngineOps(b *testing.B) {
	_, e := clusterEngine(b, engine.Config{})
	ctx := context.Background()
	kv, err := e.Bucket(ctx, "bench")
	if err != nil {
		b.Fatal(err)
	}
	row := make([]byte, 1200) // about a job row
	var n atomic.Int64
	parallel := func(b *testing.B, fn func(i int64) error) {
		b.SetParallelism(8)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := fn(n.Add(1)); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
	}
	b.Run("KVPut", func(b *testing.B) {
		parallel(b, func(i int64) error {
			_, err := kv.Put(ctx, "k."+strconv.FormatInt(i%1000, 10), row)
			return err
		})
	})
	b.Run("KVGet", func(b *testing.B) {
		parallel(b, func(i int64) error {
			_, _, err := kv.Get(ctx, "k."+strconv.FormatInt(i%1000, 10))
			return err
		})
	})
	b.Run("KVUpdate", func(b *testing.B) {
		// Compare-and-set on keys of one caller each. On a replicated
		// stream the leader refuses a compare-and-set while the key's
		// previous write is still in flight (a conflict without a
		// concurrent writer): read again and retry, as the service does.
		var conflicts atomic.Int64
		parallel(b, func(i int64) error {
			key := "u." + strconv.FormatInt(i, 10)
			rev, err := kv.Create(ctx, key, row)
			if err != nil {
				return err
			}
			for {
				_, err = kv.Update(ctx, key, row, rev)
				if !errors.Is(err, engine.ErrConflict) {
					return err
				}
				conflicts.Add(1)
				if _, rev, err = kv.Get(ctx, key); err != nil {
					return err
				}
			}
		})
		b.ReportMetric(float64(conflicts.Load())/float64(b.N), "conflicts/op")
	})
	b.Run("LogAppend", func(b *testing.B) {
		parallel(b, func(i int64) error {
			return e.Logs().Append(ctx, "1."+strconv.FormatInt(i%100, 10), engine.LogEntry{Data: "Epoch 12/30 - loss: 0.1234 - accuracy: 0.9876\n"})
		})
	})
	model := make([]byte, 75<<10) // a gestures model
	b.Run("ObjectPut75KB", func(b *testing.B) {
		parallel(b, func(i int64) error {
			return e.Objects().Put(ctx, "bench/"+strconv.FormatInt(i%200, 10), model)
		})
		b.ReportMetric(float64(b.N)*float64(len(model))/b.Elapsed().Seconds()/(1<<20), "MB/s")
	})
	b.Run("ObjectGet75KB", func(b *testing.B) {
		parallel(b, func(i int64) error {
			_, err := e.Objects().Get(ctx, "bench/"+strconv.FormatInt(i%200, 10))
			return err
		})
		b.ReportMetric(float64(b.N)*float64(len(model))/b.Elapsed().Seconds()/(1<<20), "MB/s")
	})
	for _, watchers := range []int{0, 100} {
		b.Run(fmt.Sprintf("KVPutWatched/watchers=%d", watchers), func(b *testing.B) {
			// Every running job watches its own row: writes to the bucket
			// with that many watchers on other keys.
			var stops []func()
			for w := range watchers {
				stop, err := kv.Watch(ctx, "w."+strconv.Itoa(w), func([]byte, uint64) {})
				if err != nil {
					b.Fatal(err)
				}
				stops = append(stops, stop)
			}
			defer func() {
				for _, s := range stops {
					s()
				}
			}()
			parallel(b, func(i int64) error {
				_, err := kv.Put(ctx, "w."+strconv.FormatInt(i%1000, 10), row)
				return err
			})
		})
	}
}

// BenchmarkQueueFleet is the queue at fleet scale, on a three-node cluster
// with replicas 3: 10,000 items over 100 projects, taken by 100 workers
// spread over 10 connections (processes), each acknowledging at once. It
// reports the enqueue rate and the dispatch rate (items taken and
// acknowledged per second): the most jobs per second the queue can hand
// out, whatever the jobs cost.
func BenchmarkQueueFleet(b *testing.B) {
	const items, groups, conns, perConn = 10000, 100, 10, 10
	c, e := clusterEngine(b, engine.Config{})
	ctx := context.Background()
	engines := []*engine.NATS{e}
	for range conns - 1 {
		o, err := engine.Open(ctx, engine.Config{URL: c.urls, KeepSettings: true})
		if err != nil {
			b.Fatal(err)
		}
		defer o.Close()
		engines = append(engines, o)
	}
	for b.Loop() {
		start := time.Now()
		var wg sync.WaitGroup
		var failed atomic.Int64
		for p := range 16 { // 16 publishers
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := p; i < items; i += 16 {
					if _, err := e.Queue().Enqueue(ctx, strconv.Itoa(i%groups), "f"+strconv.Itoa(i)+"-"+strconv.FormatInt(start.UnixNano(), 36), []byte("{}")); err != nil {
						failed.Add(1)
					}
				}
			}()
		}
		wg.Wait()
		if failed.Load() > 0 {
			b.Fatalf("%d enqueues failed", failed.Load())
		}
		enqueued := time.Since(start)
		start = time.Now()
		var taken atomic.Int64
		qctx, cancel := context.WithCancel(ctx)
		for _, en := range engines {
			for range perConn {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						d, err := en.Queue().Next(qctx)
						if err != nil {
							return
						}
						d.Ack()
						if taken.Add(1) == items {
							cancel()
						}
					}
				}()
			}
		}
		wg.Wait()
		cancel()
		drained := time.Since(start)
		b.ReportMetric(items/enqueued.Seconds(), "enqueued/s")
		b.ReportMetric(items/drained.Seconds(), "dispatched/s")
	}
}
