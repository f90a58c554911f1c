package tune

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/tinyimpulse/tinyimpulse/dataset"
	"github.com/tinyimpulse/tinyimpulse/impulse"
)

// Pick is a trial trained again, as `impulse train` trains its definition,
// on every training sample, and tested on the testing category: the only
// figures of the search that come from the testing samples.
//
// The chosen trial is trained with up to Options.Seeds seeds (the search's
// seed, then the next ones) and the model with the best validation
// accuracy of those trainings — Studio's validation split of the training
// windows, never the testing samples; for int8 marked down by its loss to
// quantisation as the trials are (see TrialResult.RankAccuracy) — is the
// pick; only that model is
// tested. `impulse train --impulse impulse.json --seed Seed` trains it
// again. A network's accuracy on few data varies widely with its seed, and
// the validation accuracy of a training tells much of its test accuracy.
type Pick struct {
	// ID is the trial's ID.
	ID int
	// Seed is the training seed of the model, Seeds the seeds tried, and
	// Validation the model's accuracy on its validation windows (the model
	// type searched; the top score, without the minimum confidence).
	Seed       uint64
	Seeds      int
	Validation float64
	// Model is the trained impulse.
	Model *impulse.Model
	// Int8 and Float32 are Studio's model-testing accuracy of each model
	// type (uncertain windows count as wrong); Windows the test windows.
	Int8, Float32 float64
	Windows       int
	// Report is the test report of the model type searched.
	Report *impulse.TestReport
	// Seconds is the time training and testing took.
	Seconds float64
	// Error says why the pick could not be trained or tested.
	Error string
}

// training is one training of a pick's definition.
type training struct {
	seed uint64
	m    *impulse.Model
	// val and loss are the validation figures of the model type searched,
	// val32 the float32 accuracy (for int8, see quantPenalty).
	val, val32 float64
	loss       float64
	err        error
}

// rank is the validation accuracy a training is chosen by: for int8 its
// accuracy less its loss to quantisation beyond QuantTolerance, as the
// trials are ranked.
func (tr *training) rank(mt impulse.ModelType) float64 {
	if mt == impulse.Float32 {
		return tr.val
	}
	return tr.val - quantPenalty(tr.val, tr.val32)
}

// bestTraining returns the training of trs (those without an error) with
// the highest rank, ties going to the lower loss, then to the first; nil
// when every training failed.
func bestTraining(trs []*training, mt impulse.ModelType) *training {
	var best *training
	for _, tr := range trs {
		if tr.err != nil {
			continue
		}
		if best == nil || tr.rank(mt) > best.rank(mt) || tr.rank(mt) == best.rank(mt) && tr.loss < best.loss {
			best = tr
		}
	}
	return best
}

// pick trains the chosen trial with several seeds and further Pareto
// trials with the search's seed, up to opt.Picks trials, on opt.Workers
// goroutines, and tests each pick's model. A training after the first is
// not started when it would end after the deadline (zero for none), its
// time taken to be its trial's.
func (r *Result) pick(ctx context.Context, ds *dataset.Dataset, opt Options, deadline time.Time) error {
	ids := []int{r.Chosen}
	for _, id := range r.Pareto {
		if len(ids) >= opt.Picks {
			break
		}
		if id != r.Chosen {
			ids = append(ids, id)
		}
	}
	// The trainings: the chosen trial's seeds first.
	type job struct {
		pick int
		seed uint64
	}
	var jobs []job
	for s := range opt.Seeds {
		jobs = append(jobs, job{0, opt.Seed + uint64(s)})
	}
	for i := 1; i < len(ids); i++ {
		jobs = append(jobs, job{i, opt.Seed})
	}
	runs := make([][]*training, len(ids))
	var mu sync.Mutex
	var wg sync.WaitGroup
	// The picks train in this process, whatever runs the trials.
	sem := make(chan struct{}, max(1, min(opt.Workers, runtime.GOMAXPROCS(0))))
	begin := time.Now()
	for k, j := range jobs {
		sem <- struct{}{}
		// A trial of k folds trained k networks on (k−1)/k of the data: a
		// training on all of it takes about 1/(k−1) of the trial's time,
		// twice that to allow for the windows MaxWindows and MaxWork kept
		// from the trial's networks and for the test.
		need := time.Duration(2 * r.Trials[ids[j.pick]].Seconds / float64(max(1, opt.Validation.Folds-1)) * float64(time.Second))
		if k > 0 && !deadline.IsZero() && time.Now().Add(need).After(deadline) || ctx.Err() != nil {
			<-sem
			break
		}
		tr := &training{seed: j.seed}
		mu.Lock()
		runs[j.pick] = append(runs[j.pick], tr)
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			tr.err = tr.train(ctx, ds, r.Trials[ids[j.pick]].Definition, opt)
		}()
	}
	wg.Wait()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	test := ds.Category(dataset.CategoryTesting)
	for i, trs := range runs {
		if len(trs) == 0 {
			break
		}
		p := &Pick{ID: ids[i], Seeds: len(trs)}
		for _, tr := range trs {
			if tr.err != nil {
				p.Error = tr.err.Error()
			}
		}
		if best := bestTraining(trs, opt.ModelType); best != nil {
			p.Error = ""
			p.Seed, p.Model, p.Validation = best.seed, best.m, best.val
			if err := p.test(ctx, test, opt); err != nil {
				p.Error = err.Error()
			}
		}
		p.Seconds = time.Since(begin).Seconds()
		r.Picks = append(r.Picks, p)
	}
	return ctx.Err()
}

// train trains the definition on the whole training category with one
// seed and reads its validation figures.
func (tr *training) train(ctx context.Context, ds *dataset.Dataset, def *impulse.Definition, opt Options) error {
	im, err := impulse.Compile(def, ds)
	if err != nil {
		return err
	}
	m, err := impulse.Train(ctx, im, ds, impulse.TrainOptions{Seed: tr.seed, Workers: 1, Targets: []string{opt.Target}})
	if err != nil {
		return err
	}
	v, err := m.Validation(learnID, opt.ModelType)
	if err != nil {
		return err
	}
	tr.m, tr.val, tr.loss = m, v.Report.Accuracy, v.Loss
	tr.val32 = tr.val
	if opt.ModelType != impulse.Float32 {
		v32, err := m.Validation(learnID, impulse.Float32)
		if err != nil {
			return err
		}
		tr.val32 = v32.Report.Accuracy
	}
	return nil
}

// test tests the pick's model in both model types.
func (p *Pick) test(ctx context.Context, test []*dataset.Sample, opt Options) error {
	if len(test) == 0 {
		return fmt.Errorf("tune: the dataset has no testing samples to test the pick on")
	}
	for _, mt := range []impulse.ModelType{impulse.Int8, impulse.Float32} {
		rep, err := p.Model.Test(ctx, test, impulse.TestOptions{Workers: 1, ModelType: mt})
		if err != nil {
			return err
		}
		acc := rep.Summary.Accuracy()
		if mt == impulse.Int8 {
			p.Int8 = acc
		} else {
			p.Float32 = acc
		}
		if mt == opt.ModelType {
			p.Report = rep
			p.Windows = len(rep.Windows)
		}
	}
	return nil
}
