package tune

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/tinyimpulse/tinyimpulse/dataset"
	"github.com/tinyimpulse/tinyimpulse/impulse"
)

// innerSplit returns a dataset of the training samples of ds only, a
// quarter of each label's samples moved to the testing category (a
// testing category the real one never enters): drawn at random with
// seed in recordings (grouped, as the validation folds), or (blocked) the
// block of the blocked folds that seed chooses.
func innerSplit(ds *dataset.Dataset, seed uint64, frac float64, blocked bool) *dataset.Dataset {
	train := ds.Category(dataset.CategoryTraining)
	assign, _ := folds(train, Validation{Fraction: frac, Seed: seed, Blocked: blocked})
	out := &dataset.Dataset{Dir: ds.Dir + "#inner"}
	for i, s := range train {
		c := *s
		c.ID = i + 1
		if assign[s.ID] == 0 {
			c.Category = dataset.CategoryTesting
		}
		out.Samples = append(out.Samples, &c)
	}
	return out
}

// selRecord is one trial of a selection experiment.
type selRecord struct {
	ID          int            `json:"id"`
	Description string         `json:"description"`
	Estimate    Estimate       `json:"estimate"`
	Status      Status         `json:"status"`
	Int8        Figures        `json:"int8"`
	Float32     Figures        `json:"float32"`
	Curve       []float64      `json:"curve"`
	Folds       []ModelFigures `json:"folds"`
	Classes     int            `json:"classes"`
	Samples     []int          `json:"samples"`
	Labels      []int          `json:"labels"`
	Scores8     []float64      `json:"scores8"`
	Scores32    []float64      `json:"scores32"`
	// The same trial validated the other way (blocked or shuffled).
	Alt        Figures   `json:"alt"`
	AltSamples []int     `json:"altSamples"`
	AltLabels  []int     `json:"altLabels"`
	AltScores8 []float64 `json:"altScores8"`
	// The trial trained on the inner training samples with each seed and
	// tested on the inner testing samples (int8), and its validation
	// accuracy on Studio's split.
	Seeds    []uint64  `json:"seeds"`
	Test8    []float64 `json:"test8"`
	Test32   []float64 `json:"test32"`
	StudioVa []float64 `json:"studioVal"`
	Seconds  float64   `json:"seconds"`
}

// BenchmarkSelectionExperiment searches a dataset's training samples with a
// quarter of them held out (innerSplit), then trains the best trials
// again on the rest and tests them on that quarter, and writes every
// trial's validation figures and held-out test accuracy to
// TUNE_SELECT_OUT (JSON lines): the data to compare ways of choosing a
// trial without the testing category. It runs only when
// TUNE_SELECT_DATA names a dataset. It is a measurement, not a test (it
// asserts nothing about the figures), hence a benchmark: run it with
// -run XXX -bench SelectionExperiment -benchtime 1x.
func BenchmarkSelectionExperiment(b *testing.B) {
	t := b
	dir := os.Getenv("TUNE_SELECT_DATA")
	if dir == "" {
		t.Skip("TUNE_SELECT_DATA names no dataset")
	}
	ds, err := dataset.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	env := func(name, def string) string {
		if v := os.Getenv(name); v != "" {
			return v
		}
		return def
	}
	limit, err1 := time.ParseDuration(env("TUNE_SELECT_TIME", "3m"))
	latency, err2 := strconv.ParseFloat(env("TUNE_SELECT_LATENCY", "100"), 64)
	split, err3 := strconv.ParseUint(env("TUNE_SELECT_SPLIT", "1"), 10, 64)
	top, err4 := strconv.Atoi(env("TUNE_SELECT_TOP", "30"))
	nseeds, err5 := strconv.Atoi(env("TUNE_SELECT_SEEDS", "2"))
	if err := errors.Join(err1, err2, err3, err4, err5); err != nil {
		t.Fatalf("TUNE_SELECT_*: %v", err)
	}
	inner := innerSplit(ds, split, 0.25, env("TUNE_SELECT_INNER", "blocked") == "blocked")
	shuffle := env("TUNE_SELECT_VAL", "blocked") == "shuffle"
	ctx := context.Background()
	opt := Options{Time: limit, Target: "cortex-m4f-80mhz", Budget: Budget{LatencyMs: latency, RAMBytes: 64 << 10, ROMBytes: 256 << 10},
		Seed: split, Picks: -1, Progress: func(p Progress) { t.Log(p.String()) }}
	opt.Validation.Shuffle = shuffle
	runner := NewLocalRunner(inner)
	runner.keepHeld = true
	opt.Runner = runner
	res, err := Search(ctx, inner, opt)
	if err != nil {
		t.Fatal(err)
	}
	// Every completed trial validated the other way.
	alt := map[int]*Outcome{}
	if env("TUNE_SELECT_ALT", "1") != "0" {
		lr := NewLocalRunner(inner)
		lr.keepHeld = true
		v := res.Options.Validation
		v.Shuffle = !v.Shuffle
		var mu sync.Mutex
		var wg sync.WaitGroup
		sem := make(chan struct{}, 2)
		for _, tr := range res.Trials {
			if tr.Status != StatusCompleted {
				continue
			}
			data, _ := json.Marshal(tr.Definition)
			trial := Trial{ID: tr.ID, Definition: data, Seed: res.Options.Seed, Validation: v,
				MaxWindows: maxWindows(res.Options, &candidate{def: tr.Definition, est: tr.Estimate})}
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				out, err := lr.Run(ctx, trial, nil)
				if err != nil || out.Status != StatusCompleted {
					return
				}
				mu.Lock()
				alt[tr.ID] = out
				mu.Unlock()
			}()
		}
		wg.Wait()
	}
	se := &search{opt: res.Options}
	var done []*TrialResult
	for _, tr := range res.Trials {
		if tr.Status == StatusCompleted {
			done = append(done, tr)
		}
	}
	slices.SortStableFunc(done, se.compare)
	// The best by either validation.
	keep := map[int]bool{}
	for _, tr := range done[:min(top, len(done))] {
		keep[tr.ID] = true
	}
	byAlt := slices.Clone(done)
	slices.SortStableFunc(byAlt, func(a, b *TrialResult) int {
		fa, fb := -1.0, -1.0
		if o := alt[a.ID]; o != nil {
			fa = o.Int8.Accuracy + 1e-3*o.Int8.Argmax
		}
		if o := alt[b.ID]; o != nil {
			fb = o.Int8.Accuracy + 1e-3*o.Int8.Argmax
		}
		return cmp.Compare(fb, fa)
	})
	for _, tr := range byAlt[:min(top, len(byAlt))] {
		keep[tr.ID] = true
	}
	done = slices.DeleteFunc(done, func(tr *TrialResult) bool { return !keep[tr.ID] })
	test := inner.Category(dataset.CategoryTesting)
	recs := make([]*selRecord, len(done))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	for i, tr := range done {
		h := tr.held
		r := &selRecord{ID: tr.ID, Description: tr.Description, Estimate: tr.Estimate, Status: tr.Status, Int8: tr.Int8, Float32: tr.Float32,
			Curve: tr.Curve, Folds: tr.Folds, Classes: h.classes, Samples: h.sample, Labels: h.label, Scores8: h.scores[0], Scores32: h.scores[1]}
		if o := alt[tr.ID]; o != nil {
			r.Alt, r.AltSamples, r.AltLabels, r.AltScores8 = o.Int8, o.held.sample, o.held.label, o.held.scores[0]
		}
		recs[i] = r
		for s := range nseeds {
			seed := uint64(1 + s)
			r.Seeds = append(r.Seeds, seed)
			r.Test8 = append(r.Test8, -1)
			r.Test32 = append(r.Test32, -1)
			r.StudioVa = append(r.StudioVa, -1)
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				begin := time.Now()
				im, err := impulse.Compile(tr.Definition, inner)
				if err != nil {
					t.Error(err)
					return
				}
				m, err := impulse.Train(ctx, im, inner, impulse.TrainOptions{Seed: seed, Workers: 1})
				if err != nil {
					t.Error(err)
					return
				}
				v, err := m.Validation(learnID, impulse.Int8)
				if err != nil {
					t.Error(err)
					return
				}
				r.StudioVa[s] = v.Report.Accuracy
				for _, mt := range []impulse.ModelType{impulse.Int8, impulse.Float32} {
					rep, err := m.Test(ctx, test, impulse.TestOptions{Workers: 1, ModelType: mt})
					if err != nil {
						t.Error(err)
						return
					}
					if mt == impulse.Int8 {
						r.Test8[s] = rep.Summary.Accuracy()
					} else {
						r.Test32[s] = rep.Summary.Accuracy()
					}
				}
				r.Seconds += time.Since(begin).Seconds()
				t.Logf("trial %d seed %d: val %.3f test %.3f  %s", tr.ID, seed, tr.Int8.Accuracy, r.Test8[s], tr.Description)
			}()
		}
	}
	wg.Wait()
	out, err := os.Create(env("TUNE_SELECT_OUT", "selection.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	enc := json.NewEncoder(out)
	for _, r := range recs {
		if err := enc.Encode(r); err != nil {
			t.Fatal(err)
		}
	}
	fmt.Fprintf(os.Stderr, "%d trials, %d completed, %d written\n", len(res.Trials), len(done), len(recs))
}
