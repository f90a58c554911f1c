package tune

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/tinyimpulse/tinyimpulse/dataset"
	"github.com/tinyimpulse/tinyimpulse/impulse"
)

// Pick is a trial trained again, as `impulse train` trains its definition,
// on every training sample with the search's seed, and tested on the
// testing category: the only figures of the search that come from the
// testing samples.
type Pick struct {
	// ID is the trial's ID.
	ID int
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

// pick trains and tests the chosen trial and further Pareto trials, up to
// opt.Picks, in parallel on opt.Workers goroutines; picks after the
// chosen one are skipped once the deadline (zero for none) has passed.
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
	test := ds.Category(dataset.CategoryTesting)
	r.Picks = make([]*Pick, len(ids))
	var wg sync.WaitGroup
	sem := make(chan struct{}, opt.Workers)
	for i, id := range ids {
		if i > 0 && !deadline.IsZero() && time.Now().After(deadline) {
			r.Picks = r.Picks[:i]
			break
		}
		p := &Pick{ID: id}
		r.Picks[i] = p
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := p.train(ctx, ds, r.Trials[id].Definition, test, opt); err != nil {
				p.Error = err.Error()
			}
		}()
	}
	wg.Wait()
	return ctx.Err()
}

// train trains the definition on the whole training category and tests it.
func (p *Pick) train(ctx context.Context, ds *dataset.Dataset, def *impulse.Definition, test []*dataset.Sample, opt Options) error {
	begin := time.Now()
	defer func() { p.Seconds = time.Since(begin).Seconds() }()
	im, err := impulse.Compile(def, ds)
	if err != nil {
		return err
	}
	m, err := impulse.Train(ctx, im, ds, impulse.TrainOptions{Seed: opt.Seed, Workers: 1, Targets: []string{opt.Target}})
	if err != nil {
		return err
	}
	p.Model = m
	if len(test) == 0 {
		return fmt.Errorf("tune: %s has no testing samples to test the pick on", ds.Dir)
	}
	for _, mt := range []impulse.ModelType{impulse.Int8, impulse.Float32} {
		rep, err := m.Test(ctx, test, impulse.TestOptions{Workers: 1, ModelType: mt})
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
