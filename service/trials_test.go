package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tinyimpulse/tinyimpulse/dataset"
	"github.com/tinyimpulse/tinyimpulse/device"
	"github.com/tinyimpulse/tinyimpulse/impulse"
	"github.com/tinyimpulse/tinyimpulse/internal/testenv"
	"github.com/tinyimpulse/tinyimpulse/learn"
	"github.com/tinyimpulse/tinyimpulse/metrics"
	"github.com/tinyimpulse/tinyimpulse/service/engine"
	"github.com/tinyimpulse/tinyimpulse/tune"
)

// trialSpace is a small search space of testdata/gestures whose trials
// train in a fraction of a second.
const trialSpace = `[{
  "inputBlocks": [{"type": "time-series", "window": [{"windowSizeMs": 2000, "windowIncreaseMs": 500}, {"windowSizeMs": 1000, "windowIncreaseMs": 500}]}],
  "dspBlocks": [{"type": "spectral-analysis", "fft-length": [16, 32]}, {"type": "flatten"}],
  "learnBlocks": [[{"architecture": "dense", "denseLayers": [[10], [20]], "learningRate": [0.005, 0.02], "trainingCycles": [10, 20]}]]
}]`

var testGestures struct {
	once sync.Once
	ds   *dataset.Dataset
	err  error
}

func gesturesDataset(t testing.TB) *dataset.Dataset {
	t.Helper()
	testGestures.once.Do(func() { testGestures.ds, testGestures.err = dataset.Load(testenv.Testdata("gestures")) })
	if testGestures.err != nil {
		t.Fatal(testGestures.err)
	}
	return testGestures.ds
}

func parseSpace(t testing.TB, s string) *tune.Space {
	t.Helper()
	sp, err := tune.ParseSpace([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

// trialSummary is what a search on a fleet and the same search in
// process must agree on, trial by trial: everything but the wall-clock
// times and the worker slots.
type trialSummary struct {
	ID          int
	Description string
	Status      tune.Status
	Error       string
	Estimate    tune.Estimate
	Int8        tune.Figures
	Float32     tune.Figures
	Curve       string // %v: NaN equals NaN
	Epochs      int
	Last        string
	Metrics     string
}

type searchSummary struct {
	Trials []trialSummary
	Chosen int
	Pareto []int
}

func summariseSearch(t testing.TB, r *tune.Result) searchSummary {
	t.Helper()
	s := searchSummary{Chosen: r.Chosen, Pareto: r.Pareto}
	for _, tr := range r.Trials {
		m, err := json.Marshal(tr.Metrics)
		if err != nil {
			t.Fatal(err)
		}
		s.Trials = append(s.Trials, trialSummary{tr.ID, tr.Description, tr.Status, tr.Error, tr.Estimate, tr.Int8, tr.Float32,
			fmt.Sprint(tr.Curve), tr.Epochs, fmt.Sprintf("%+v", tr.Last), string(m)})
	}
	return s
}

// embeddedFleet is an embedded engine with a worker process's slots in
// this process.
func embeddedFleet(t *testing.T, slots int) (engine.Engine, *workers) {
	t.Helper()
	ctx := context.Background()
	eng, err := engine.Open(ctx, engine.Config{Dir: t.TempDir(), AckWait: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	n, err := newNode(ctx, eng, log)
	if err != nil {
		eng.Close()
		t.Fatal(err)
	}
	w, err := startWorker(n, WorkerConfig{Concurrency: slots, Name: "w", Log: log})
	if err != nil {
		eng.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { w.close(); n.close(); eng.Close() })
	return eng, w
}

// A search whose trials run as jobs of a worker gives, trial by trial,
// the figures of the same search in process; every trial was one job of
// the runner's project, decided once.
func TestTrialRunner(t *testing.T) {
	ds := gesturesDataset(t)
	ctx := context.Background()
	eng, w := embeddedFleet(t, 2)
	r, err := NewTrialRunner(ctx, eng, ds, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if n, err := r.Slots(ctx); err != nil || n != 2 {
		t.Errorf("Slots: %d, %v; want the worker's 2", n, err)
	}
	opt := tune.Options{Space: parseSpace(t, trialSpace), Trials: 8, Workers: 2, Seed: 3, Picks: -1, RandomTrials: 4}
	local, err := tune.Search(ctx, ds, opt)
	if err != nil {
		t.Fatal(err)
	}
	opt.Runner = r
	remote, err := tune.Search(ctx, ds, opt)
	if err != nil {
		t.Fatal(err)
	}
	a, b := summariseSearch(t, local), summariseSearch(t, remote)
	if len(a.Trials) != 8 || !reflect.DeepEqual(a, b) {
		t.Fatalf("the fleet's search differs from the local one:\nlocal  %+v\nremote %+v", a, b)
	}
	completed := 0
	for _, tr := range local.Trials {
		if tr.Status == tune.StatusCompleted && tr.Int8.Windows > 0 {
			completed++
		}
	}
	if completed < 4 {
		t.Errorf("%d trials completed with figures; the comparison needs more", completed)
	}
	// A trial's job is decided (its outcome committed, which ends the
	// trial) before the worker marks it finished: wait for the marks.
	var jobs []jobRow
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		jobs, err = list[jobRow](ctx, w.n.st, bucketJobs, r.Project())
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(jobs, func(j jobRow) bool { return !j.finished() }) || time.Now().After(deadline) {
			break
		}
	}
	runs := 0
	for _, tr := range remote.Trials {
		runs += 1 + len(tr.Repeats) // the best trials run again (tune.Options.Confirm)
	}
	if len(jobs) != runs || runs <= 8 {
		t.Errorf("%d jobs in project %d, want one per run of a trial (%d)", len(jobs), r.Project(), runs)
	}
	for _, j := range jobs {
		if j.Kind != kindTrial || j.Attempts != 1 || !j.finished() || !*j.FinishedSuccessful || len(j.TrialOutcome) == 0 {
			t.Errorf("job %d: kind %s, attempts %d, finished %v, outcome %d bytes", j.ID, j.Kind, j.Attempts, j.finished(), len(j.TrialOutcome))
		}
	}
}

// slowSpace's trials train for many seconds.
const slowSpace = `[{
  "inputBlocks": [{"type": "time-series", "window": [{"windowSizeMs": 1000, "windowIncreaseMs": 100}]}],
  "dspBlocks": [{"type": "flatten"}, {"type": "spectral-analysis", "fft-length": [16, 32]}],
  "learnBlocks": [[{"architecture": "dense", "denseLayers": [[64, 64], [128, 64]], "learningRate": [0.001], "trainingCycles": [3000]}]]
}]`

// Cancelling a search cancels its trials' jobs on the worker that runs
// them: the search ends at once, every job is decided as cancelled, and
// the worker's slots are free for the next trial.
func TestTrialRunnerCancel(t *testing.T) {
	ds := gesturesDataset(t)
	eng, w := embeddedFleet(t, 2)
	r, err := NewTrialRunner(context.Background(), eng, ds, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		// Cancel once both slots run a trial.
		for ctx.Err() == nil {
			w.mu.Lock()
			n := len(w.running)
			w.mu.Unlock()
			if n == 2 {
				cancel()
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	begin := time.Now()
	res, err := tune.Search(ctx, ds, tune.Options{Space: parseSpace(t, slowSpace), Trials: 4, Workers: 2, Seed: 1, Picks: -1,
		Runner: r, DisableEarlyStopping: true})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("search: %v, want context.Canceled", err)
	}
	if d := time.Since(begin); d > 30*time.Second {
		t.Errorf("the search took %v to end after its cancellation", d)
	}
	for _, tr := range res.Trials {
		if tr.Status != tune.StatusCancelled {
			t.Errorf("trial %d: %s, want cancelled", tr.ID, tr.Status)
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		jobs, err := list[jobRow](context.Background(), w.n.st, bucketJobs, r.Project())
		if err != nil {
			t.Fatal(err)
		}
		w.mu.Lock()
		running := len(w.running)
		w.mu.Unlock()
		done := running == 0 && len(jobs) == 2
		for _, j := range jobs {
			done = done && j.finished() && !*j.FinishedSuccessful && j.CancelRequested
		}
		if done {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("20 s after the cancellation: %d trials running, jobs %+v", running, jobs)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The slots take the next trial.
	quick, err := tune.Search(context.Background(), ds, tune.Options{Space: parseSpace(t, trialSpace), Trials: 2, Workers: 2, Seed: 1,
		Picks: -1, Runner: r})
	if err != nil || len(quick.Trials) != 2 || quick.Trials[0].Status != tune.StatusCompleted {
		t.Fatalf("a search after the cancellation: %v", err)
	}
}

// completedTrial returns the trial of a long-training candidate of
// testdata/gestures.
func longTrial(t testing.TB, ds *dataset.Dataset, epochs int) tune.Trial {
	t.Helper()
	def, err := impulse.LoadDefinition(testenv.Testdata("impulses", "gestures.json"))
	if err != nil {
		t.Fatal(err)
	}
	def.Learn[3].Keras.TrainingCycles = epochs
	delete(def.Learn, 4) // the anomaly block: the tuner tunes classifiers
	def.Impulse.LearnBlocks = def.Impulse.LearnBlocks[:1]
	im, err := impulse.Compile(def, ds)
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(im.Definition())
	if err != nil {
		t.Fatal(err)
	}
	return tune.Trial{ID: 0, Definition: data, Seed: 5, Validation: tune.Validation{Folds: 2, Seed: 9}}
}

// An outcome comes back from the job row as it went in: through JSON,
// or, with a NaN or infinite figure JSON cannot carry, through gob.
func TestTrialOutcomeEncoding(t *testing.T) {
	acc := 0.5
	finite := &tune.Outcome{Status: tune.StatusCompleted, Int8: tune.Figures{Accuracy: 0.25, Argmax: 1.0 / 3, Loss: 0.1, Windows: 12},
		Curve: []float64{0.1, 0.2}, Epochs: 2, Metrics: []metrics.ModelMetrics{{Type: "int8", Accuracy: &acc, OnDevicePerformance: []device.DevicePerformance{}}}}
	nan := &tune.Outcome{Status: tune.StatusCompleted, Int8: tune.Figures{Loss: math.NaN()}, Curve: []float64{math.Inf(1), 0.5},
		Last: &learn.EpochStats{Epoch: 1, Epochs: 1, Loss: math.NaN(), ValLoss: math.Inf(-1)}}
	for _, out := range []*tune.Outcome{finite, nan} {
		var j jobRow
		if err := encodeOutcome(out, &j); err != nil {
			t.Fatal(err)
		}
		if (len(j.TrialOutcome) > 0) != (out == finite) {
			t.Errorf("JSON %d bytes, gob %d bytes: want JSON exactly when every figure is finite", len(j.TrialOutcome), len(j.TrialOutcomeGob))
		}
		// Through the job row's own JSON.
		data, err := json.Marshal(&j)
		if err != nil {
			t.Fatal(err)
		}
		var row jobRow
		if err := json.Unmarshal(data, &row); err != nil {
			t.Fatal(err)
		}
		got, err := decodeOutcome(&row)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got.Status, got.Int8, got.Curve, got.Last) != fmt.Sprint(out.Status, out.Int8, out.Curve, out.Last) {
			t.Errorf("outcome %+v came back as %+v", out, got)
		}
		if out == finite && !reflect.DeepEqual(got, out) {
			t.Errorf("through JSON: %#v, want %#v", got, out)
		}
	}
	if _, err := decodeOutcome(&jobRow{ID: 4, TrialOutcome: json.RawMessage(`{"status": 1}`)}); err == nil || !strings.Contains(err.Error(), "trial job 4") {
		t.Errorf("a malformed outcome: %v", err)
	}
}

// FuzzTrialOutcome: any stored outcome decodes or gives an error.
func FuzzTrialOutcome(f *testing.F) {
	var j jobRow
	encodeOutcome(&tune.Outcome{Status: tune.StatusStopped, Curve: []float64{math.NaN()}}, &j)
	f.Add([]byte(`{"status":"completed","int8":{"accuracy":1}}`), false)
	f.Add(j.TrialOutcomeGob, true)
	f.Fuzz(func(t *testing.T, data []byte, isGob bool) {
		row := &jobRow{TrialOutcome: data}
		if isGob {
			row = &jobRow{TrialOutcomeGob: data}
		}
		decodeOutcome(row)
	})
}

// Two worker processes run a search's trials: the search gives the
// figures of the same search in process. A worker killed (SIGKILL) while
// it runs a trial has the trial redelivered to the other once the queue's
// acknowledgement wait has passed, and the trial's outcome, decided once,
// is the one the trial gives in process.
func TestTrialFleet(t *testing.T) {
	if testing.Short() {
		t.Skip("starts worker processes")
	}
	ds := gesturesDataset(t)
	url := natsServer(t)
	ctx := context.Background()
	// The queue's settings, as an API server sets them.
	api, err := engine.Open(ctx, engine.Config{URL: url, AckWait: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer api.Close()
	c := &testCluster{t: t, dir: t.TempDir()}
	t.Cleanup(func() {
		for _, p := range c.procs {
			p.kill()
		}
		if t.Failed() {
			for _, p := range c.procs {
				data, _ := os.ReadFile(p.log)
				t.Logf("--- %s:\n%s", p.spec.Name, data)
			}
		}
	})
	workers := map[string]*proc{}
	for _, name := range []string{"w1", "w2"} {
		workers[name] = c.start(procSpec{Role: "worker", Name: name, NATS: url, Concurrency: 1})
	}
	fleet, err := DialTrials(ctx, url, ds)
	if err != nil {
		t.Fatal(err)
	}
	defer fleet.Close()
	r := fleet.(*TrialRunner)
	deadline := time.Now().Add(30 * time.Second)
	for {
		n, err := r.Slots(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d worker slots answer 30 s after the workers started, want 2", n)
		}
	}

	opt := tune.Options{Space: parseSpace(t, trialSpace), Trials: 6, Workers: 2, Seed: 11, Picks: -1, RandomTrials: 4}
	local, err := tune.Search(ctx, ds, opt)
	if err != nil {
		t.Fatal(err)
	}
	opt.Runner = fleet
	remote, err := tune.Search(ctx, ds, opt)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := summariseSearch(t, local), summariseSearch(t, remote); !reflect.DeepEqual(a, b) {
		t.Fatalf("the fleet's search differs from the local one:\nlocal  %+v\nremote %+v", a, b)
	}
	ran := map[string]bool{}
	jobs, err := list[jobRow](ctx, r.n.st, bucketJobs, r.Project())
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range jobs {
		ran[strings.Split(j.Worker, "#")[0]] = true
	}
	if !ran["w1"] || !ran["w2"] {
		t.Errorf("the trials ran on %v, want both workers", ran)
	}

	// A long trial; its worker is killed as soon as it claims it.
	trial := longTrial(t, ds, 1500)
	want, err := tune.NewLocalRunner(ds).Run(ctx, trial, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("the long trial takes %.1f s in process", want.Seconds)
	type result struct {
		out *tune.Outcome
		err error
	}
	done := make(chan result, 1)
	go func() {
		out, err := fleet.Run(ctx, trial, nil)
		done <- result{out, err}
	}()
	var victim string
	var jid int
	deadline = time.Now().Add(30 * time.Second)
	for victim == "" {
		jobs, err := list[jobRow](ctx, r.n.st, bucketJobs, r.Project())
		if err != nil {
			t.Fatal(err)
		}
		for _, j := range jobs {
			if j.Started != nil && !j.decided() && j.Worker != "" {
				victim, jid = strings.Split(j.Worker, "#")[0], j.ID
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("no worker took the long trial within 30 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	workers[victim].kill()
	var got result
	select {
	case got = <-done:
	case <-time.After(2 * time.Minute):
		t.Fatal("the trial of the killed worker did not finish within 2 minutes")
	}
	if got.err != nil {
		t.Fatal(got.err)
	}
	if got.out.Status != tune.StatusCompleted || got.out.Int8 != want.Int8 || got.out.Float32 != want.Float32 ||
		fmt.Sprint(got.out.Curve) != fmt.Sprint(want.Curve) {
		t.Errorf("the redelivered trial: %s %+v %+v, want %s %+v %+v", got.out.Status, got.out.Int8, got.out.Float32, want.Status, want.Int8, want.Float32)
	}
	// The job shows finished a moment after its decision.
	var row *jobRow
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if row, err = r.n.st.job(ctx, r.Project(), jid); err != nil {
			t.Fatal(err)
		}
		if row.finished() || time.Now().After(deadline) {
			break
		}
	}
	if !row.finished() {
		t.Fatalf("the trial's job is not finished 10 s after its decision")
	}
	if row.Attempts != 2 || strings.HasPrefix(row.Worker, victim) || !*row.FinishedSuccessful {
		t.Errorf("the trial's job: worker %s, attempt %d, successful %v; want the other worker's second delivery", row.Worker, row.Attempts, *row.FinishedSuccessful)
	}
	entries, err := r.eng.Logs().Read(ctx, logName(r.Project(), jid), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	for _, e := range entries {
		log.WriteString(e.Data)
	}
	if !strings.Contains(log.String(), "stopped; running it again") || strings.Count(log.String(), "Trial 0 completed") != 1 {
		t.Errorf("the trial's log:\n%s", log.String())
	}
}

// `impulse tune --nats URL` (tune.CommandFleet with DialTrials) runs its
// trials on the cluster's workers: as many at once as their slots.
func TestTuneCommandFleet(t *testing.T) {
	url := natsServer(t)
	ctx, stop := context.WithCancel(context.Background())
	worker := make(chan error, 1)
	go func() {
		worker <- RunWorker(ctx, WorkerConfig{NATSURL: url, Concurrency: 2, Name: "w", Log: slog.New(slog.DiscardHandler)})
	}()
	defer func() {
		stop()
		if err := <-worker; err != nil {
			t.Error(err)
		}
	}()
	space := t.TempDir() + "/space.json"
	if err := os.WriteFile(space, []byte(trialSpace), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"--data", testenv.Testdata("gestures"), "--space", space, "--trials", "4", "--seed", "2", "--nats", url}
	var stdout, stderr strings.Builder
	var err error
	for deadline := time.Now().Add(30 * time.Second); ; {
		stdout.Reset()
		stderr.Reset()
		err = tune.CommandFleet(ctx, args, &stdout, &stderr, DialTrials)
		if err == nil || !strings.Contains(err.Error(), "no worker answers") || time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "fleet: 2 worker slots answer on "+url+"; 2 trials at once (--workers 2 repeats this search)") {
		t.Errorf("stderr:\n%s", stderr.String())
	}
	if !strings.Contains(stdout.String(), "chosen: trial") {
		t.Errorf("stdout:\n%s", stdout.String())
	}
	// Without workers the command says so, unless --workers is given.
	stop()
	<-worker
	worker <- nil
	err = tune.CommandFleet(context.Background(), args, io.Discard, io.Discard, DialTrials)
	if err == nil || !strings.Contains(err.Error(), "no worker answers on "+url) {
		t.Errorf("without workers: %v", err)
	}
}

// benchSpace's networks take about 0.1 s to train on testdata/gestures.
const benchSpace = `[{
  "inputBlocks": [{"type": "time-series", "window": [{"windowSizeMs": 2000, "windowIncreaseMs": 250}, {"windowSizeMs": 1000, "windowIncreaseMs": 250}]}],
  "dspBlocks": [{"type": "spectral-analysis", "fft-length": [16, 32]}, {"type": "flatten"}],
  "learnBlocks": [[{"architecture": "dense", "denseLayers": [[64, 32], [128, 64]], "learningRate": [0.001, 0.005], "trainingCycles": [100, 150]}]]
}]`

// BenchmarkTrialFleet measures a search's throughput, in trials per
// minute, on 1, 2 and 4 worker processes (one trial at a time each, the
// search running as many at once) against the same search in process
// with as many goroutines: 16 trials of benchSpace, no early stopping, no
// picks. The gap is what a trial's job costs: queueing, claiming,
// progress reports, the decision and the row's watch.
func BenchmarkTrialFleet(b *testing.B) {
	ds := gesturesDataset(b)
	space := parseSpace(b, benchSpace)
	ctx := context.Background()
	for _, n := range []int{1, 2, 4} {
		opt := tune.Options{Space: space, Trials: 16, Workers: n, Seed: 1, Picks: -1, Confirm: -1, DisableEarlyStopping: true}
		b.Run(fmt.Sprintf("local/workers=%d", n), func(b *testing.B) {
			trials := 0
			begin := time.Now()
			for b.Loop() {
				res, err := tune.Search(ctx, ds, opt)
				if err != nil {
					b.Fatal(err)
				}
				trials += len(res.Trials)
			}
			b.ReportMetric(float64(trials)/time.Since(begin).Minutes(), "trials/min")
		})
		b.Run(fmt.Sprintf("fleet/workers=%d", n), func(b *testing.B) {
			url := natsServer(b)
			api, err := engine.Open(ctx, engine.Config{URL: url})
			if err != nil {
				b.Fatal(err)
			}
			defer api.Close()
			c := &testCluster{t: b, dir: b.TempDir()}
			defer func() {
				for _, p := range c.procs {
					p.stop()
				}
			}()
			for i := range n {
				c.start(procSpec{Role: "worker", Name: fmt.Sprint("w", i+1), NATS: url, Concurrency: 1})
			}
			fleet, err := DialTrials(ctx, url, ds)
			if err != nil {
				b.Fatal(err)
			}
			defer fleet.Close()
			for deadline := time.Now().Add(30 * time.Second); ; {
				if slots, _ := fleet.Slots(ctx); slots == n {
					break
				}
				if time.Now().After(deadline) {
					b.Fatalf("%d worker processes do not answer", n)
				}
			}
			opt := opt
			opt.Runner = fleet
			trials := 0
			b.ResetTimer()
			begin := time.Now()
			for b.Loop() {
				res, err := tune.Search(ctx, ds, opt)
				if err != nil {
					b.Fatal(err)
				}
				trials += len(res.Trials)
			}
			b.ReportMetric(float64(trials)/time.Since(begin).Minutes(), "trials/min")
		})
	}
}
