package tune

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/tinyimpulse/tinyimpulse/dataset"
	"github.com/tinyimpulse/tinyimpulse/device"
	"github.com/tinyimpulse/tinyimpulse/impulse"
	"github.com/tinyimpulse/tinyimpulse/internal/eischema"
	"github.com/tinyimpulse/tinyimpulse/internal/testenv"
	"github.com/tinyimpulse/tinyimpulse/learn"
)

// tinySpace has 2 windows × 3 processing blocks × 8 networks = 48
// candidates that train in milliseconds.
const tinySpace = `[{
  "inputBlocks": [{"type": "time-series", "window": [{"windowSizeMs": 2000, "windowIncreaseMs": 500}, {"windowSizeMs": 1000, "windowIncreaseMs": 500}]}],
  "dspBlocks": [{"type": "spectral-analysis", "fft-length": [16, 32]}, {"type": "flatten"}],
  "learnBlocks": [[{"architecture": "dense", "denseLayers": [[10], [20]], "learningRate": [0.005, 0.02], "trainingCycles": [10, 20]}]]
}]`

var gestures struct {
	once sync.Once
	ds   *dataset.Dataset
	err  error
}

func loadGestures(t testing.TB) *dataset.Dataset {
	t.Helper()
	gestures.once.Do(func() { gestures.ds, gestures.err = dataset.Load(testenv.Testdata("gestures")) })
	if gestures.err != nil {
		t.Fatal(gestures.err)
	}
	return gestures.ds
}

func tiny(t testing.TB) *Space {
	t.Helper()
	s, err := ParseSpace([]byte(tinySpace))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// summary is what two equal searches must agree on.
type summary struct {
	ID              int
	Desc            string
	Status          Status
	Int8, Float32   Figures
	Epochs          int
	Curve           []float64
	Repeats         []ModelFigures
	Chosen          int
	LatencyMs       float64
	RAM, ROM        int
	Pareto          string
	Rejected, Count int
}

func summarise(r *Result) []summary {
	var out []summary
	pareto, _ := json.Marshal(r.Pareto)
	for _, t := range r.Trials {
		out = append(out, summary{t.ID, t.Description, t.Status, t.Int8, t.Float32, t.Epochs, t.Curve, t.Repeats, r.Chosen,
			t.Estimate.LatencyMs, t.Estimate.RAM, t.Estimate.ROM, string(pareto), r.Rejected, len(r.Trials)})
	}
	return out
}

// TestSearchDeterministic runs the same search three times, with two
// workers twice and with one: the sampler sees exactly the trials before
// k−Lag whatever order they finish in, so all three agree trial by trial.
func TestSearchDeterministic(t *testing.T) {
	ds := loadGestures(t)
	run := func(workers int) []summary {
		res, err := Search(context.Background(), ds, Options{Space: tiny(t), Trials: 14, Workers: workers, Seed: 7, Picks: -1, RandomTrials: 4})
		if err != nil {
			t.Fatal(err)
		}
		return summarise(res)
	}
	a, b, c := run(2), run(2), run(1)
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("two runs with 2 workers differ:\n%v\n%v", a, b)
	}
	if !reflect.DeepEqual(a, c) {
		t.Fatalf("1 and 2 workers differ:\n%v\n%v", a, c)
	}
	// The search finds more than one candidate, and the sampler does not
	// repeat itself.
	seen := map[string]bool{}
	for _, s := range a {
		if seen[s.Desc] {
			t.Errorf("candidate %q proposed twice", s.Desc)
		}
		seen[s.Desc] = true
	}
}

// TestSearchEndToEnd searches testdata/gestures, then checks the chosen
// impulse as `impulse train` would take it, its test accuracy, the files
// Save writes and Studio's JSON.
func TestSearchEndToEnd(t *testing.T) {
	ds := loadGestures(t)
	var lines []string
	res, err := Search(context.Background(), ds, Options{Space: tiny(t), Trials: 10, Seed: 1, Picks: 2,
		Progress: func(p Progress) { lines = append(lines, p.String()) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 10 || !strings.Contains(lines[len(lines)-1], "best #") {
		t.Errorf("progress lines: %d, last %q", len(lines), lines[len(lines)-1])
	}
	if res.Chosen < 0 {
		t.Fatal("nothing chosen")
	}
	chosen := res.Trials[res.Chosen]
	// The chosen trial is the most accurate of those run again on
	// validation, averaged over their runs.
	if len(chosen.Repeats) != 1 {
		t.Errorf("the chosen trial has %d repeats, want 1", len(chosen.Repeats))
	}
	for _, tr := range res.Trials {
		if tr.Status == StatusCompleted && len(tr.Repeats) > 0 && tr.RankAccuracy(impulse.Int8) > chosen.RankAccuracy(impulse.Int8) {
			t.Errorf("trial %d (%.3f) beats the chosen trial %d (%.3f)", tr.ID, tr.RankAccuracy(impulse.Int8), chosen.ID, chosen.RankAccuracy(impulse.Int8))
		}
	}
	confirmedOnFront := slices.ContainsFunc(res.Pareto, func(id int) bool { return len(res.Trials[id].Repeats) > 0 })
	if confirmedOnFront && !slicesContains(res.Pareto, res.Chosen) {
		t.Errorf("chosen %d is not on the Pareto front %v", res.Chosen, res.Pareto)
	}
	if len(res.Picks) != 2 || res.Picks[0].ID != res.Chosen || res.Picks[0].Error != "" {
		t.Fatalf("picks %+v", res.Picks)
	}
	if acc := res.Picks[0].Int8; acc < 0.9 {
		t.Errorf("the chosen impulse's int8 test accuracy is %.3f, want ≥ 0.9 on the synthetic gestures", acc)
	}
	dir := t.TempDir()
	if err := res.Save(dir); err != nil {
		t.Fatal(err)
	}
	def, err := impulse.LoadDefinition(filepath.Join(dir, "impulse.json"))
	if err != nil {
		t.Fatalf("impulse.json: %v", err)
	}
	im, err := impulse.Compile(def, ds)
	if err != nil {
		t.Fatalf("impulse.json does not compile: %v", err)
	}
	// Trained as `impulse train --seed` does with the pick's seed, it gives
	// the pick.
	p := res.Picks[0]
	if p.Seeds != 5 || p.Seed < 1 || p.Seed > 5 {
		t.Errorf("the pick tried %d seeds and kept %d, want 5 seeds from 1", p.Seeds, p.Seed)
	}
	m, err := impulse.Train(context.Background(), im, ds, impulse.TrainOptions{Seed: p.Seed})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := m.Test(context.Background(), ds.Category(dataset.CategoryTesting), impulse.TestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if acc := rep.Summary.Accuracy(); acc != res.Picks[0].Int8 {
		t.Errorf("impulse.json trained again tests at %v, the pick at %v", acc, res.Picks[0].Int8)
	}
	if _, err := impulse.LoadModel(filepath.Join(dir, "model")); err != nil {
		t.Errorf("model/: %v", err)
	}
	for _, f := range []string{"trials.json", "trials.txt", "space.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	if _, err := LoadSpace(filepath.Join(dir, "space.json")); err != nil {
		t.Errorf("space.json: %v", err)
	}
	var tb bytes.Buffer
	if err := res.WriteTable(&tb); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(tb.String(), "Pareto front") || !strings.Contains(tb.String(), "completed *") {
		t.Errorf("table:\n%s", tb.String())
	}
	eischema.Check(t, res.OptimizeState(), "OptimizeStateResponse")
}

func slicesContains(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// TestBudget checks the constraints against the estimator: the estimate
// of a candidate is the device package's estimate of the impulse trained
// from its definition (Model.Estimate's EON totals of the int8 network),
// and with a latency budget between the candidates' estimates, the search
// trains none over it and counts the others as rejected.
func TestBudget(t *testing.T) {
	ds := loadGestures(t)
	s := tiny(t)
	c := s.compile()
	est := &estimator{ds: ds, labels: dataset.Labels(ds.Category(dataset.CategoryTraining)), modelType: impulse.Int8,
		profile: device.ProfileConfig{Target: device.DefaultTarget}}
	// Every candidate's estimate, by latency.
	rng := rand.New(rand.NewPCG(1, 1))
	sm := newSampler(c)
	lat := map[string]float64{}
	var def0 *impulse.Definition
	var est0 Estimate
	for range 400 {
		p := sm.random(rng)
		def, err := c.definition(p, newTemplate(nil))
		if err != nil {
			t.Fatal(err)
		}
		_, e, err := est.estimate(def)
		if err != nil {
			t.Fatal(err)
		}
		lat[p.key()] = e.LatencyMs
		if def0 == nil {
			def0, est0 = def, e
		}
	}
	if len(lat) != 48 {
		t.Fatalf("400 draws found %d of the 48 candidates", len(lat))
	}
	// The estimate against the trained impulse's.
	im, err := impulse.Compile(def0, ds)
	if err != nil {
		t.Fatal(err)
	}
	m, err := impulse.Train(context.Background(), im, ds, impulse.TrainOptions{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := m.Estimate(device.DefaultTarget)
	if err != nil {
		t.Fatal(err)
	}
	nn := sum.NN[0] // the selected (int8) network first
	wantLat := sum.DSP[0].LatencyMs + nn.LatencyMs
	wantRAM := max(sum.DSP[0].RAM, nn.EON.RAM)
	wantROM := sum.DSP[0].ROM + nn.EON.ROM
	if nn.DType != device.Int8 || math.Abs(est0.LatencyMs-wantLat) > 1e-9 || est0.RAM != wantRAM || est0.ROM != wantROM {
		t.Errorf("estimate %.4f ms, %d B RAM, %d B ROM; the trained impulse's (%s) %.4f ms, %d B, %d B",
			est0.LatencyMs, est0.RAM, est0.ROM, nn.DType, wantLat, wantRAM, wantROM)
	}

	// A budget between the smallest and largest latency.
	var ls []float64
	for _, v := range lat {
		ls = append(ls, v)
	}
	lo, hi := ls[0], ls[0]
	for _, v := range ls {
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	if lo == hi {
		t.Fatalf("every candidate has latency %v: the test needs a spread", lo)
	}
	budget := (lo + hi) / 2
	over := 0
	for _, v := range lat {
		if v > budget {
			over++
		}
	}
	res, err := Search(context.Background(), ds, Options{Space: s, Trials: 48, Seed: 2, Picks: -1, Budget: Budget{LatencyMs: budget}, DisableEarlyStopping: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range res.Trials {
		if tr.Estimate.LatencyMs > budget {
			t.Errorf("trial %d was trained at %.3f ms, over the %.3f ms budget", tr.ID, tr.Estimate.LatencyMs, budget)
		}
	}
	// 48 trials ask for every candidate: the search trains all those
	// under the budget, then finds the space exhausted.
	if !res.Exhausted || len(res.Trials) != 48-over || res.Rejected != over {
		t.Errorf("%d trials, %d rejected, exhausted %v; want %d and %d of 48, exhausted", len(res.Trials), res.Rejected, res.Exhausted, 48-over, over)
	}
}

// TestNoCandidateFits checks the error of a budget nothing fits.
func TestNoCandidateFits(t *testing.T) {
	ds := loadGestures(t)
	res, err := Search(context.Background(), ds, Options{Space: tiny(t), Trials: 5, Budget: Budget{LatencyMs: 0.001}})
	if !errors.Is(err, ErrNoCandidate) {
		t.Fatalf("error %v, want ErrNoCandidate", err)
	}
	if res == nil || res.Rejected != 48 || res.Smallest == nil {
		t.Fatalf("result %+v", res)
	}
	for _, want := range []string{"48 candidates", "the smallest needs", "ms", "RAM"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

// TestBadInput checks the errors of datasets and options the tuner cannot
// search with.
func TestBadInput(t *testing.T) {
	ds := loadGestures(t)
	var one []*dataset.Sample
	for _, s := range ds.Samples {
		if s.Label == ds.Samples[0].Label {
			one = append(one, s)
		}
	}
	oneClass := &dataset.Dataset{Dir: "one", Samples: one}
	_, err := Search(context.Background(), oneClass, Options{Space: tiny(t)})
	if !errors.Is(err, impulse.ErrDataset) || !strings.Contains(err.Error(), "single class") {
		t.Errorf("one class: %v", err)
	}
	_, err = Search(context.Background(), &dataset.Dataset{Dir: "empty"}, Options{})
	if !errors.Is(err, impulse.ErrDataset) || !strings.Contains(err.Error(), "no training samples") {
		t.Errorf("no samples: %v", err)
	}
	_, err = Search(context.Background(), ds, Options{Space: &Space{}})
	if !errors.Is(err, ErrSpace) || !strings.Contains(err.Error(), "empty") {
		t.Errorf("empty space: %v", err)
	}
	for name, opt := range map[string]Options{
		"unknown target": {Target: "cortex-z9"},
		"linux target":   {Target: "raspberry-pi-4"},
		"negative trial": {Trials: -1},
		"NaN budget":     {Budget: Budget{LatencyMs: math.NaN()}},
		"bad folds":      {Validation: Validation{Folds: 99}},
	} {
		opt.Space = tiny(t)
		if _, err := Search(context.Background(), ds, opt); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	// A space whose only network cannot read its features.
	bad, err := ParseSpace([]byte(`[{"inputBlocks": [{"type": "time-series", "window": [{"windowSizeMs": 1000, "windowIncreaseMs": 500}]}],
	  "dspBlocks": [{"type": "flatten"}], "learnBlocks": [[{"architecture": "conv2d", "convLayers": [1]}]]}]`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Search(context.Background(), ds, Options{Space: bad, Trials: 3}); !errors.Is(err, ErrNoCandidate) {
		t.Errorf("unbuildable space: %v", err)
	}
}

// jsonRunner runs trials as a remote worker would: the trial and its
// outcome cross a JSON boundary.
type jsonRunner struct{ local *LocalRunner }

func (r jsonRunner) Run(ctx context.Context, t Trial, progress func(learn.EpochStats)) (*Outcome, error) {
	data, err := json.Marshal(t)
	if err != nil {
		return nil, err
	}
	var remote Trial
	if err := json.Unmarshal(data, &remote); err != nil {
		return nil, err
	}
	out, err := r.local.Run(ctx, remote, progress)
	if err != nil {
		return nil, err
	}
	if data, err = json.Marshal(out); err != nil {
		return nil, err
	}
	var back Outcome
	return &back, json.Unmarshal(data, &back)
}

// TestRunnerSeam checks that trials survive serialisation: a search whose
// runner sends every trial and outcome through JSON gives the same trials
// as one with the local runner.
func TestRunnerSeam(t *testing.T) {
	ds := loadGestures(t)
	opt := Options{Space: tiny(t), Trials: 6, Workers: 2, Seed: 5, Picks: -1}
	a, err := Search(context.Background(), ds, opt)
	if err != nil {
		t.Fatal(err)
	}
	opt.Runner = jsonRunner{NewLocalRunner(ds)}
	b, err := Search(context.Background(), ds, opt)
	if err != nil {
		t.Fatal(err)
	}
	if sa, sb := summarise(a), summarise(b); !reflect.DeepEqual(sa, sb) {
		t.Fatalf("local and JSON runners differ:\n%v\n%v", sa, sb)
	}
}

// TestCancel cancels a search after its second trial: the search returns
// the context's error and keeps the trials that finished.
func TestCancel(t *testing.T) {
	ds := loadGestures(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	res, err := Search(ctx, ds, Options{Space: tiny(t), Trials: 40, Workers: 1, Seed: 3,
		Progress: func(p Progress) {
			if p.Completed+p.Stopped+p.Failed == 2 {
				cancel()
			}
		}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	if res == nil || len(res.Trials) < 2 || len(res.Trials) > 3 {
		t.Fatalf("result %+v", res)
	}
	for _, tr := range res.Trials[:2] {
		if tr.Status != StatusCompleted && tr.Status != StatusStopped {
			t.Errorf("trial %d: %s, want it kept", tr.ID, tr.Status)
		}
	}
	if len(res.Picks) != 0 {
		t.Errorf("a cancelled search trained %d picks", len(res.Picks))
	}
	if res.Chosen < 0 {
		t.Error("no trial chosen among those that finished")
	}
}

// luckyRunner scores trial i 0.5 + 0.05·i with the search's seed (7) and
// the same with any other seed, except the last trial, which was lucky
// once: 0.2 with other seeds.
type luckyRunner struct {
	mu     sync.Mutex
	trials int
	runs   []Trial
}

func (r *luckyRunner) Run(ctx context.Context, t Trial, _ func(learn.EpochStats)) (*Outcome, error) {
	r.mu.Lock()
	r.runs = append(r.runs, t)
	r.mu.Unlock()
	acc := 0.5 + 0.05*float64(t.ID)
	if t.Seed != 7 && t.ID == r.trials-1 {
		acc = 0.2
	}
	f := Figures{Accuracy: acc, Argmax: acc, Loss: 1, Windows: 100}
	return &Outcome{Status: StatusCompleted, Int8: f, Float32: f}, nil
}

// The best trials are run again with the next seed and ranked by the mean
// of their runs: the trial that was lucky once drops out, the trial that
// takes its place among the best two is run again too, and the choice is
// the best on average.
func TestConfirm(t *testing.T) {
	ds := loadGestures(t)
	r := &luckyRunner{trials: 6}
	res, err := Search(context.Background(), ds, Options{Space: tiny(t), Trials: 6, Workers: 2, Seed: 7, Picks: -1, Confirm: 2, Runner: r})
	if err != nil {
		t.Fatal(err)
	}
	if res.Chosen != 4 {
		t.Errorf("chose trial %d, want 4 (5 was lucky once)", res.Chosen)
	}
	want := map[int]float64{5: (0.75 + 0.2) / 2, 4: 0.7, 3: 0.65}
	for _, tr := range res.Trials {
		m, ok := want[tr.ID]
		if ok != (len(tr.Repeats) == 1) || len(tr.Repeats) > 1 {
			t.Errorf("trial %d: %d repeats", tr.ID, len(tr.Repeats))
		}
		if ok && math.Abs(tr.MeanAccuracy(impulse.Int8)-m) > 1e-12 {
			t.Errorf("trial %d: mean accuracy %v, want %v", tr.ID, tr.MeanAccuracy(impulse.Int8), m)
		}
	}
	if len(r.runs) != 9 {
		t.Fatalf("%d runs, want 6 trials and 3 repeats", len(r.runs))
	}
	first := r.runs[0]
	for _, run := range r.runs[6:] {
		if run.Seed != 8 || run.Validation.Seed != first.Validation.Seed+1 || run.Stop != nil {
			t.Errorf("repeat of trial %d: seed %d, validation seed %d (trial's %d), stop %v", run.ID, run.Seed, run.Validation.Seed, first.Validation.Seed, run.Stop)
		}
	}
}

// Once trials have been run again, the choice is the best of them on the
// Pareto front, not a trial run once that ranks above them.
func TestChooseConfirmed(t *testing.T) {
	f := func(a float64) Figures { return Figures{Accuracy: a, Argmax: a, Windows: 10} }
	once := &TrialResult{ID: 0, Estimate: Estimate{LatencyMs: 10, RAM: 1000}, Outcome: Outcome{Status: StatusCompleted, Int8: f(0.9)}}
	again := &TrialResult{ID: 1, Estimate: Estimate{LatencyMs: 5, RAM: 1000}, Outcome: Outcome{Status: StatusCompleted, Int8: f(0.85)},
		Repeats: []ModelFigures{{Int8: f(0.75)}}}
	r := &Result{Trials: []*TrialResult{once, again}}
	opt := Options{ModelType: impulse.Int8}
	r.choose(opt)
	if r.Chosen != 1 || fmt.Sprint(r.Pareto) != "[0 1]" {
		t.Errorf("chose %d of the front %v; want 1 of [0 1]", r.Chosen, r.Pareto)
	}
	// A trial run once that dominates every confirmed one: the best
	// confirmed trial is still chosen, off the front.
	lucky := &TrialResult{ID: 2, Estimate: Estimate{LatencyMs: 4, RAM: 900}, Outcome: Outcome{Status: StatusCompleted, Int8: f(1)}}
	worse := &TrialResult{ID: 3, Estimate: Estimate{LatencyMs: 6, RAM: 1000}, Outcome: Outcome{Status: StatusCompleted, Int8: f(0.9)},
		Repeats: []ModelFigures{{Int8: f(0.6)}}}
	r = &Result{Trials: []*TrialResult{once, again, lucky, worse}}
	r.choose(opt)
	if r.Chosen != 1 || fmt.Sprint(r.Pareto) != "[2]" {
		t.Errorf("chose %d of the front %v; want 1 (mean 0.8, above trial 3's 0.75) off the front [2]", r.Chosen, r.Pareto)
	}
	// Without repeats, the most accurate.
	again.Repeats, worse.Repeats = nil, nil
	r.choose(opt)
	if r.Chosen != 2 {
		t.Errorf("chose %d without repeats; want 2", r.Chosen)
	}
}

// An int8 search ranks trials by int8 validation accuracy less the loss
// to quantisation beyond QuantTolerance: a trial whose int8 network
// validates a little above another's but loses ten points to float32 is
// not chosen; a float32 search ranks by float32 accuracy alone. Figures
// hand-derived.
func TestQuantLoss(t *testing.T) {
	f := func(a float64) Figures { return Figures{Accuracy: a, Argmax: a, Windows: 10} }
	lossy := &TrialResult{ID: 0, Estimate: Estimate{LatencyMs: 5, RAM: 1000},
		Outcome: Outcome{Status: StatusCompleted, Int8: f(0.80), Float32: f(0.90)},
		Repeats: []ModelFigures{{Int8: f(0.84), Float32: f(0.85)}}}
	benign := &TrialResult{ID: 1, Estimate: Estimate{LatencyMs: 5, RAM: 1000},
		Outcome: Outcome{Status: StatusCompleted, Int8: f(0.78), Float32: f(0.79)},
		Repeats: []ModelFigures{{Int8: f(0.79), Float32: f(0.78)}}}
	// (0.80 − (0.10 − 0.02) + 0.84) / 2 and (0.78 + 0.79) / 2.
	for _, c := range []struct {
		tr   *TrialResult
		mt   impulse.ModelType
		want float64
	}{{lossy, impulse.Int8, 0.78}, {benign, impulse.Int8, 0.785}, {lossy, impulse.Float32, 0.875}, {benign, impulse.Float32, 0.785}} {
		if got := c.tr.RankAccuracy(c.mt); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("trial %d %s: rank accuracy %v, want %v", c.tr.ID, c.mt, got, c.want)
		}
	}
	if m := lossy.MeanAccuracy(impulse.Int8); math.Abs(m-0.82) > 1e-12 {
		t.Errorf("mean int8 accuracy %v, want 0.82", m)
	}
	r := &Result{Trials: []*TrialResult{lossy, benign}}
	r.choose(Options{ModelType: impulse.Int8})
	if r.Chosen != 1 || fmt.Sprint(r.Pareto) != "[1]" {
		t.Errorf("int8: chose %d of the front %v; want 1 of [1]", r.Chosen, r.Pareto)
	}
	r.choose(Options{ModelType: impulse.Float32})
	if r.Chosen != 0 || fmt.Sprint(r.Pareto) != "[0]" {
		t.Errorf("float32: chose %d of the front %v; want 0 of [0]", r.Chosen, r.Pareto)
	}
	// The pick's seeds: the same rule on Studio's validation figures.
	trs := []*training{
		{seed: 0, val: 0.97, val32: 1.00, loss: 0.1},  // rank 0.96
		{seed: 1, val: 0.965, val32: 0.97, loss: 0.2}, // rank 0.965
		{seed: 2, err: errStopped},
		{seed: 3, val: 0.965, val32: 0.96, loss: 0.1}, // rank 0.965, lower loss
	}
	if b := bestTraining(trs, impulse.Int8); b == nil || b.seed != 3 {
		t.Errorf("int8: best training %+v, want seed 3", b)
	}
	if b := bestTraining(trs, impulse.Float32); b == nil || b.seed != 0 {
		t.Errorf("float32: best training %+v, want seed 0", b)
	}
	if b := bestTraining(trs[2:3], impulse.Int8); b != nil {
		t.Errorf("only a failed training: got %+v, want nil", b)
	}
}

// TestRotationValidation: with Validation.Rotation every held-out window
// is scored twice, as recorded and turned; a trial with rotated copies
// trains on them and validates on the same windows as one without; the
// search turns the held-out windows of data with a 3-axis sensor by
// default, and refuses to for data without one.
func TestRotationValidation(t *testing.T) {
	ds := loadGestures(t)
	s := tiny(t)
	c := s.compile()
	p := make(point, len(c.dims))
	def, err := c.definition(p, newTemplate(nil))
	if err != nil {
		t.Fatal(err)
	}
	run := func(def *impulse.Definition, rotation float64) *Outcome {
		t.Helper()
		data, err := json.Marshal(def)
		if err != nil {
			t.Fatal(err)
		}
		out, err := NewLocalRunner(ds).Run(context.Background(),
			Trial{ID: 1, Definition: data, Seed: 1, Validation: Validation{Folds: 2, Seed: 3, Rotation: rotation}}, nil)
		if err != nil || out.Status != StatusCompleted {
			t.Fatalf("trial: %v %+v", err, out)
		}
		return out
	}
	plain, turned := run(def, 0), run(def, 45)
	if plain.Int8.Windows == 0 || turned.Int8.Windows != 2*plain.Int8.Windows {
		t.Errorf("%d held-out windows scored with rotation, %d without; want twice as many", turned.Int8.Windows, plain.Int8.Windows)
	}
	def.Learn[learnID].Keras.AugmentationPolicyMotion = &impulse.MotionAugmentation{Copies: 2, MaxDegrees: 45}
	aug := run(def, 45)
	if aug.Int8.Windows != turned.Int8.Windows {
		t.Errorf("rotated copies: %d held-out windows, want %d", aug.Int8.Windows, turned.Int8.Windows)
	}
	if reflect.DeepEqual(aug.Metrics, turned.Metrics) && reflect.DeepEqual(aug.Curve, turned.Curve) {
		t.Error("the trial with rotated copies scores exactly as the one without: were they trained on?")
	}

	opt, err := withDefaults(ds, Options{})
	if err != nil || opt.Validation.Rotation != DefaultRotation {
		t.Errorf("gestures: rotation %v (%v), want %v", opt.Validation.Rotation, err, DefaultRotation)
	}
	if opt, err := withDefaults(ds, Options{Validation: Validation{Rotation: -1}}); err != nil || opt.Validation.Rotation != -1 {
		t.Errorf("gestures, rotation −1: %v (%v), want −1 (off)", opt.Validation.Rotation, err)
	} else if again, err := withDefaults(ds, opt); err != nil || again.Validation.Rotation != -1 {
		t.Errorf("gestures, rotation −1 completed twice: %v (%v), want −1 (off)", again.Validation.Rotation, err)
	}
	kws, err := dataset.Load(testenv.Testdata("keywords"))
	if err != nil {
		t.Fatal(err)
	}
	if opt, err := withDefaults(kws, Options{}); err != nil || opt.Validation.Rotation != 0 {
		t.Errorf("keywords: rotation %v (%v), want 0", opt.Validation.Rotation, err)
	}
	if _, err := withDefaults(kws, Options{Validation: Validation{Rotation: 30}}); err == nil || !strings.Contains(err.Error(), "3-axis") {
		t.Errorf("keywords, rotation 30: error %v, want one saying there is no 3-axis sensor", err)
	}
	if _, err := withDefaults(ds, Options{Validation: Validation{Rotation: 270}}); err == nil {
		t.Error("rotation 270: no error")
	}
}
