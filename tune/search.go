package tune

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/tinyimpulse/tinyimpulse/dataset"
	"github.com/tinyimpulse/tinyimpulse/device"
	"github.com/tinyimpulse/tinyimpulse/impulse"
	"github.com/tinyimpulse/tinyimpulse/learn"
	"github.com/tinyimpulse/tinyimpulse/studio"
)

// Options configure a search. The zero value searches the default space of
// the dataset on device.DefaultTarget for int8 models, 100 trials, one
// worker per core, seed 0.
type Options struct {
	// Start is a starting impulse definition: its settings are one
	// alternative of the search space and its first trial, and its input
	// axes and classifier's minimum confidence are kept. nil for none.
	Start *impulse.Definition
	// Space is the search space; nil means DefaultSpace(ds, Start).
	Space *Space
	// Target is the device id of the estimates (device.Targets); "" means
	// device.DefaultTarget.
	Target string
	// Budget bounds every candidate's estimate; candidates over it are
	// never trained. Zero RAM and ROM bounds mean the target's memory.
	Budget Budget
	// ModelType is the network the budget, the estimates and the selection
	// are for: impulse.Int8 (the zero value) or impulse.Float32.
	ModelType impulse.ModelType
	// Trials is the most trials to run, Time the most time the search
	// (trials and the training of the final picks) may take; Trials 0
	// means 100 when Time is 0, and no limit otherwise.
	Trials int
	Time   time.Duration
	// Seed drives every random choice: the candidates, the validation
	// split and the training. The same seed, data, options and number of
	// workers (up to Lag) give the same trials and results.
	Seed uint64
	// Workers is the number of trials run at once; 0 means one per core.
	Workers int
	// Lag is how many trials the sampler may run ahead of the results it
	// knows: trial k is proposed knowing exactly the trials before k−Lag,
	// whatever order trials finish in. 0 means max(4, Workers).
	Lag int
	// RandomTrials is the number of trials drawn at random before the
	// model-based sampler takes over; 0 means 8.
	RandomTrials int
	// Validation is how trials hold out training samples to be scored on;
	// the zero value holds out 20 % of them, or trains 3 folds when the
	// training category has fewer than 400 samples, and, when the samples
	// are time series with a 3-axis sensor (dataset.Triples) recorded in
	// many orientations (OrientationSpread at least SpreadDegrees), scores
	// the held-out windows turned by up to DefaultRotation degrees as well
	// (Validation.Rotation; a negative Rotation turns that off).
	Validation Validation
	// EarlyStopping stops a trial whose validation accuracy, a quarter and
	// half of the way through its epochs, is below the median of the
	// completed trials' at the same point (the median stopping rule of
	// Golovin et al., "Google Vizier", KDD 2017). The zero value enables
	// it; DisableEarlyStopping turns it off.
	DisableEarlyStopping bool
	// Picks is how many trials of the Pareto front, the chosen one first,
	// are trained again on every training sample and tested on the testing
	// category once the search ends; 0 means 3, −1 none.
	Picks int
	// MaxWindows bounds the windows each network of a trial trains on
	// (see Trial.MaxWindows); 0 means 4000, −1 no bound. MaxWork bounds
	// them further by the training's work: windows × epochs × the
	// network's multiply-accumulates per window at most MaxWork, but never
	// fewer than 200 windows; 0 means 3·10⁹ (about 3 s of one core per
	// network here), −1 no bound. Both keep long recordings cut into many
	// overlapping windows from making trials slow. The picks train on
	// every window.
	MaxWindows int
	MaxWork    float64
	// Confirm is how many of the best trials are run again once the
	// search ends, each Repeats times more with other seeds (the training
	// seed and the validation seed one more per repeat), before the
	// choice: they are ranked by the mean of their runs, so that a trial
	// that was lucky once does not win. 0 means 3 trials, −1 none; a zero
	// Repeats means 1.
	Confirm int
	Repeats int
	// Seeds is how many seeds the chosen trial is trained with when it is
	// picked, the one whose validation accuracy is best being kept (see
	// Pick); 0 means 5.
	Seeds int
	// Runner runs the trials; nil means a LocalRunner on the dataset.
	Runner Runner
	// Progress, when not nil, is called after every trial with the state
	// of the search, from one goroutine at a time.
	Progress func(Progress)
}

// Progress is the state of a search.
type Progress struct {
	Elapsed time.Duration
	// Trials counts the trials started; Completed, Stopped, Failed those
	// finished so; Rejected the candidates the estimates kept out.
	Trials, Completed, Stopped, Failed, Rejected int
	// Last is the trial that just finished, Best the best so far (nil
	// before the first completed trial).
	Last, Best *TrialResult
}

// String formats the progress as one line.
func (p Progress) String() string {
	s := fmt.Sprintf("%6.1fs  trials %d (completed %d, stopped %d, failed %d; %d over budget)",
		p.Elapsed.Seconds(), p.Trials, p.Completed, p.Stopped, p.Failed, p.Rejected)
	if p.Best != nil {
		b := p.Best
		s += fmt.Sprintf("  best #%d: accuracy %.3f int8 / %.3f float32, %.1f ms, %s RAM, %s ROM",
			b.ID, b.Int8.Accuracy, b.Float32.Accuracy, b.Estimate.LatencyMs, kb(b.Estimate.RAM), kb(b.Estimate.ROM))
	}
	return s
}

// TrialResult is one trial of a search.
type TrialResult struct {
	ID         int
	Definition *impulse.Definition
	// Description summarises the candidate ("spectral-analysis fft-length=64
	// … → dense 40,20 lr 0.005 …").
	Description string
	Estimate    Estimate
	Outcome
	// Repeats are the figures of the trial run again with other seeds,
	// when it was among the best of the search (see Options.Confirm).
	Repeats []ModelFigures
	// Worker is the worker that ran the trial.
	Worker int
	point  point
}

// Figures returns the validation figures of a model type.
func (t *TrialResult) Figures(mt impulse.ModelType) Figures {
	return ModelFigures{Int8: t.Int8, Float32: t.Float32}.Of(mt)
}

// runs returns the trial's figures and those of its Repeats.
func (t *TrialResult) runs() []ModelFigures {
	return append([]ModelFigures{{Int8: t.Int8, Float32: t.Float32}}, t.Repeats...)
}

// MeanAccuracy returns the validation accuracy of a model type averaged
// over the trial's runs (the trial and its Repeats).
func (t *TrialResult) MeanAccuracy(mt impulse.ModelType) float64 {
	var sum float64
	for _, r := range t.runs() {
		sum += r.Of(mt).Accuracy
	}
	return sum / float64(1+len(t.Repeats))
}

// QuantTolerance is the int8 validation accuracy a trial may lose to
// quantisation (float32 accuracy less int8, on the same networks and
// windows) before its int8 accuracy is marked down by the excess (see
// TrialResult.RankAccuracy).
const QuantTolerance = 0.02

// quantPenalty returns the share of an int8 accuracy the search takes off
// for quantisation: the loss from float32 beyond QuantTolerance.
func quantPenalty(int8, float32 float64) float64 {
	return max(0, float32-int8-QuantTolerance)
}

// RankAccuracy returns the validation accuracy the search ranks trials by,
// averaged over the trial's runs: for float32 MeanAccuracy; for int8 each
// run's int8 accuracy less its loss to quantisation beyond QuantTolerance.
// The loss validation shows is a lower bound of the loss on other
// recordings: a network whose inputs the one int8 input scale leaves few
// steps (features of very different magnitudes, as flatten's minimum and
// maximum beside its skewness) loses more where the inputs move a little,
// while its int8 accuracy on validation may still lead by luck.
func (t *TrialResult) RankAccuracy(mt impulse.ModelType) float64 {
	if mt == impulse.Float32 {
		return t.MeanAccuracy(mt)
	}
	var sum float64
	for _, r := range t.runs() {
		sum += r.Int8.Accuracy - quantPenalty(r.Int8.Accuracy, r.Float32.Accuracy)
	}
	return sum / float64(1+len(t.Repeats))
}

// Result is the outcome of a search.
type Result struct {
	// Trials are the trials, by ID.
	Trials []*TrialResult
	// Rejected counts the distinct candidates over budget (never trained),
	// Smallest is the one with the smallest estimate (by latency, then RAM
	// and ROM, as fractions of the budget).
	Rejected         int
	Smallest         *Estimate
	SmallestCategory string
	// Pareto holds the IDs of the completed trials that no other
	// completed trial beats in validation accuracy (RankAccuracy: the
	// mean of its runs, see Options.Confirm, for int8 marked down by its
	// loss to quantisation), latency and RAM at once, by accuracy (best
	// first).
	Pareto []int
	// Chosen is the ID of the chosen trial (the most accurate on
	// validation, on the mean of its runs, of the front's trials that were
	// run again when there are any; ties go to the lower latency, then
	// RAM), −1 for none.
	Chosen int
	// Picks are the trials trained again on every training sample and
	// tested on the testing category.
	Picks []*Pick
	// Space is the space searched, Kind the kind of data.
	Space *Space
	Kind  DataKind
	// Options are the options of the search, with defaults filled in.
	Options Options
	// Elapsed is the search's wall-clock time, Exhausted reports a search
	// that ran out of new candidates.
	Elapsed   time.Duration
	Exhausted bool
	// customSpace reports a space given in Options.
	customSpace bool
	// CacheHits and CacheMisses count the trials that found their
	// features computed (LocalRunner only).
	CacheHits, CacheMisses int
}

// Trial returns the trial with the given ID, or nil.
func (r *Result) Trial(id int) *TrialResult {
	if id < 0 || id >= len(r.Trials) {
		return nil
	}
	return r.Trials[id]
}

// ErrNoCandidate is wrapped by the error of a search that found no
// candidate within the budget.
var ErrNoCandidate = errors.New("tune: no candidate fits the budget")

// Search searches the space for impulses that classify the dataset's
// training samples best on validation, within the budget on the target
// (see the package documentation).
//
// Cancelling ctx stops the search: trials running are abandoned, and
// Search returns what finished (Result, with Chosen and Pareto from the
// completed trials, no picks) and ctx's error. The time budget ends the
// search the same way, without an error.
func Search(ctx context.Context, ds *dataset.Dataset, opt Options) (*Result, error) {
	begin := time.Now()
	if err := checkDataset(ds); err != nil {
		return nil, err
	}
	opt, err := withDefaults(ds, opt)
	if err != nil {
		return nil, err
	}
	s := opt.Space
	if s == nil {
		if s, err = DefaultSpace(ds, opt.Start); err != nil {
			return nil, err
		}
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	prof, _ := profileData(ds, nil)
	tgt, _ := device.LookupTarget(opt.Target)
	res := &Result{Space: s, Kind: prof.kind, Options: opt, Chosen: -1, customSpace: opt.Space != nil}
	se := &search{
		ds: ds, opt: opt, res: res, c: s.compile(), begin: begin,
		tmpl: newTemplate(opt.Start),
		est: &estimator{ds: ds, labels: dataset.Labels(ds.Category(dataset.CategoryTraining)),
			profile: device.ProfileConfig{Target: tgt.ID}, modelType: opt.ModelType},
		seen:     map[string]bool{},
		feasible: map[string]*candidate{},
	}
	se.budget = opt.Budget
	if se.budget.RAMBytes == 0 {
		se.budget.RAMBytes = tgt.RAMBytes
	}
	if se.budget.ROMBytes == 0 {
		se.budget.ROMBytes = tgt.ROMBytes
	}
	se.tmpl.modelType = opt.ModelType.String()
	se.sampler = newSampler(se.c)
	if opt.Start != nil {
		se.startImpulse = len(s.Impulses) - 1
	} else {
		se.startImpulse = -1
	}
	err = se.run(ctx)
	if err == nil {
		err = se.confirm(ctx)
	}
	res.Elapsed = time.Since(begin)
	if lr, ok := opt.Runner.(*LocalRunner); ok {
		lr.mu.Lock()
		res.CacheHits, res.CacheMisses = lr.hits, lr.misses
		lr.mu.Unlock()
	}
	res.choose(opt)
	if err != nil {
		return res, err
	}
	if len(res.Trials) == 0 || !slices.ContainsFunc(res.Trials, func(t *TrialResult) bool { return t.Status != StatusCancelled }) {
		if res.Rejected > 0 && res.Smallest != nil {
			sm := res.Smallest
			return res, fmt.Errorf("%w: %d candidates were estimated and all are over it (latency %.0f ms, RAM %s, ROM %s on %s); the smallest needs %.1f ms, %s RAM, %s ROM (%s)",
				ErrNoCandidate, res.Rejected, se.budget.LatencyMs, kb(se.budget.RAMBytes), kb(se.budget.ROMBytes), tgt.ID,
				sm.LatencyMs, kb(sm.RAM), kb(sm.ROM), res.SmallestCategory)
		}
		if res.Exhausted {
			return res, fmt.Errorf("%w: no candidate of the search space could be built for this dataset", ErrNoCandidate)
		}
	}
	if opt.Picks > 0 && res.Chosen >= 0 {
		deadline := time.Time{}
		if opt.Time > 0 {
			deadline = begin.Add(opt.Time)
		}
		if err := res.pick(ctx, ds, opt, deadline); err != nil {
			return res, err
		}
	}
	res.Elapsed = time.Since(begin)
	return res, nil
}

// checkDataset refuses datasets the tuner cannot search on.
func checkDataset(ds *dataset.Dataset) error {
	if ds == nil {
		return fmt.Errorf("%w: no dataset", impulse.ErrDataset)
	}
	train := ds.Category(dataset.CategoryTraining)
	if len(train) == 0 {
		return fmt.Errorf("%w: %s has no training samples", impulse.ErrDataset, ds.Dir)
	}
	labels := dataset.Labels(train)
	if len(labels) < 2 {
		l := "no label"
		if len(labels) == 1 {
			l = fmt.Sprintf("the single class %q", labels[0])
		}
		return fmt.Errorf("%w: the training samples of %s have %s; a classifier needs at least two classes", impulse.ErrDataset, ds.Dir, l)
	}
	return nil
}

func withDefaults(ds *dataset.Dataset, opt Options) (Options, error) {
	if opt.ModelType == 0 {
		opt.ModelType = impulse.Int8
	}
	if opt.Trials < 0 || opt.Time < 0 || opt.Workers < 0 || opt.Lag < 0 || opt.RandomTrials < 0 {
		return opt, fmt.Errorf("tune: trials, time, workers, lag and random trials must not be negative")
	}
	if math.IsNaN(opt.Budget.LatencyMs) || opt.Budget.LatencyMs < 0 || opt.Budget.RAMBytes < 0 || opt.Budget.ROMBytes < 0 {
		return opt, fmt.Errorf("tune: budget %+v: bounds must be positive numbers (0 for none)", opt.Budget)
	}
	t, err := device.LookupTarget(opt.Target)
	if err != nil {
		return opt, fmt.Errorf("tune: %w", err)
	}
	if !t.HasPerformance {
		return opt, fmt.Errorf("tune: target %s has no performance model to estimate candidates with", t.ID)
	}
	opt.Target = t.ID
	if opt.Trials == 0 && opt.Time == 0 {
		opt.Trials = 100
	}
	if opt.Workers == 0 {
		opt.Workers = runtime.GOMAXPROCS(0)
	}
	if opt.Lag == 0 {
		opt.Lag = max(4, opt.Workers)
	}
	if opt.RandomTrials == 0 {
		opt.RandomTrials = 8
	}
	v := &opt.Validation
	if v.Folds == 0 && v.Fraction == 0 {
		if len(ds.Category(dataset.CategoryTraining)) < 400 {
			v.Folds = 3
		} else {
			v.Fraction = 0.2
		}
	}
	if v.Folds < 0 || v.Folds > 20 || math.IsNaN(v.Fraction) || v.Fraction < 0 || v.Fraction >= 1 {
		return opt, fmt.Errorf("tune: validation %+v: folds must be 0 to 20 and the fraction in [0, 1)", *v)
	}
	if v.Seed == 0 {
		v.Seed = opt.Seed ^ 0x5eed
	}
	switch {
	case math.IsNaN(v.Rotation) || v.Rotation > 180:
		return opt, fmt.Errorf("tune: validation rotation %v: must be at most 180 degrees", v.Rotation)
	case v.Rotation < 0:
		// Off, and stays off if the options are completed again.
	case v.Rotation == 0 && heldVariously(ds):
		v.Rotation = DefaultRotation
	case v.Rotation > 0 && !turnable(ds):
		return opt, fmt.Errorf("tune: validation rotation %v°: the training samples have no 3-axis sensor (axes named …X, …Y, …Z) to turn", v.Rotation)
	}
	if opt.Picks == 0 {
		opt.Picks = 3
	}
	if opt.Confirm == 0 {
		opt.Confirm = 3
	}
	if opt.Repeats <= 0 {
		opt.Repeats = 1
	}
	if opt.Seeds <= 0 {
		opt.Seeds = 5
	}
	switch {
	case opt.MaxWindows == 0:
		opt.MaxWindows = 4000
	case opt.MaxWindows < 0:
		opt.MaxWindows = 0
	}
	switch {
	case math.IsNaN(opt.MaxWork):
		return opt, fmt.Errorf("tune: MaxWork is NaN")
	case opt.MaxWork == 0:
		opt.MaxWork = 3e9
	case opt.MaxWork < 0:
		opt.MaxWork = 0
	}
	if opt.Runner == nil {
		opt.Runner = NewLocalRunner(ds)
	}
	return opt, nil
}

// DefaultRotation is the angle, in degrees, up to which a search turns
// the held-out windows of data recorded in many orientations
// (Validation.Rotation), and up to which the generated search space turns
// the rotated copies networks may train on: a device held or mounted up to
// 45° from how it was when the data were recorded.
const DefaultRotation = 45

// SpreadDegrees is the orientation spread (OrientationSpread) from which
// the training recordings are taken to come from a device held or
// mounted in many ways, whose model must not depend on how it is turned.
// A machine's bolted sensor stays within a degree or two (fan-unbalance:
// 0.7°); a wand or a wrist moves by tens of degrees (magic-wand 17°,
// continuous gestures 39°).
const SpreadDegrees = 5

// heldVariously reports whether the training samples are time series
// with a 3-axis sensor recorded in many orientations (OrientationSpread
// at least SpreadDegrees).
func heldVariously(ds *dataset.Dataset) bool {
	spread, ok := OrientationSpread(ds.Category(dataset.CategoryTraining))
	return ok && spread >= SpreadDegrees
}

// OrientationSpread returns how differently the device was turned from
// one recording to the next: the median angle, in degrees, between the
// mean acceleration of each sample (gravity, over a recording of some
// length) and the mean of those directions. It reads the 3-axis sensor
// whose name starts with "acc" (any case), or else the first one. ok is
// false when the samples are not time series with a 3-axis sensor or
// when their mean acceleration is too small beside their motion to tell
// a direction (as of data with gravity removed): the median over the
// samples of its magnitude below a fifth of the root mean square of the
// acceleration. On the shared datasets that ratio's median is 0.71 to
// 0.98, and 0.26 for the shakiest recording.
func OrientationSpread(samples []*dataset.Sample) (degrees float64, ok bool) {
	var dirs [][3]float64
	var ratios []float64
	var sum [3]float64
	for _, s := range samples {
		if s.Image != nil {
			return 0, false
		}
		tr := dataset.Triples(s.Sensors)
		if len(tr) == 0 {
			return 0, false
		}
		t := tr[0]
		for _, c := range tr {
			if strings.HasPrefix(strings.ToLower(s.Sensors[c[0]].Name), "acc") {
				t = c
				break
			}
		}
		n, axes := s.Len(), len(s.Sensors)
		if n == 0 {
			continue
		}
		var m [3]float64
		var sq float64
		for i := range n {
			for k, a := range t {
				v := s.Value(i*axes + a)
				m[k] += v
				sq += v * v
			}
		}
		norm := math.Sqrt(m[0]*m[0]+m[1]*m[1]+m[2]*m[2]) / float64(n)
		if !(norm > 0) || math.IsInf(norm, 0) {
			ratios = append(ratios, 0)
			continue
		}
		ratios = append(ratios, norm/math.Sqrt(sq/float64(n)))
		d := [3]float64{m[0] / float64(n) / norm, m[1] / float64(n) / norm, m[2] / float64(n) / norm}
		dirs = append(dirs, d)
		for k := range sum {
			sum[k] += d[k]
		}
	}
	r := math.Sqrt(sum[0]*sum[0] + sum[1]*sum[1] + sum[2]*sum[2])
	if len(dirs) == 0 || r == 0 || medianFloat(ratios) < 0.2 {
		return 0, false
	}
	angles := make([]float64, len(dirs))
	for i, d := range dirs {
		c := (d[0]*sum[0] + d[1]*sum[1] + d[2]*sum[2]) / r
		angles[i] = math.Acos(max(-1, min(1, c))) * 180 / math.Pi
	}
	return medianFloat(angles), true
}

// medianFloat returns the median of v (the mean of the middle two for an
// even count); v must not be empty.
func medianFloat(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if n := len(s); n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return s[len(s)/2]
}

// turnable reports whether the training samples are time series with a
// 3-axis sensor, which Validation.Rotation and rotated copies can turn.
func turnable(ds *dataset.Dataset) bool {
	train := ds.Category(dataset.CategoryTraining)
	if len(train) == 0 {
		return false
	}
	for _, s := range train {
		if s.Image != nil || len(dataset.Triples(s.Sensors)) == 0 {
			return false
		}
	}
	return true
}

// candidate is a point with its definition and estimate.
type candidate struct {
	p    point
	def  *impulse.Definition
	json []byte
	est  Estimate
	fits bool
	why  string
	err  error
}

// search is the state of one Search call.
type search struct {
	ds           *dataset.Dataset
	opt          Options
	res          *Result
	c            *compiled
	sampler      *sampler
	est          *estimator
	tmpl         *template
	budget       Budget
	begin        time.Time
	startImpulse int

	seen     map[string]bool       // points proposed
	feasible map[string]*candidate // points estimated
	smallest float64

	mu       sync.Mutex
	cond     *sync.Cond
	finished []bool
	progress Progress
}

// evaluate builds and estimates a point once.
func (se *search) evaluate(p point) *candidate {
	key := p.key()
	if c, ok := se.feasible[key]; ok {
		return c
	}
	c := &candidate{p: p}
	se.feasible[key] = c
	def, err := se.c.definition(p, se.tmpl)
	if err != nil {
		c.err = err
		return c
	}
	def, est, err := se.est.estimate(def)
	if err != nil {
		c.err = err
		return c
	}
	c.def, c.est = def, est
	c.fits, c.why = se.budget.Fits(est)
	if !c.fits {
		se.res.Rejected++
		// The smallest candidate: the lowest largest share of the budget.
		share := 0.0
		if se.budget.LatencyMs > 0 {
			share = max(share, est.LatencyMs/se.budget.LatencyMs)
		}
		if se.budget.RAMBytes > 0 {
			share = max(share, float64(est.RAM)/float64(se.budget.RAMBytes))
		}
		if se.budget.ROMBytes > 0 {
			share = max(share, float64(est.ROM)/float64(se.budget.ROMBytes))
		}
		if se.res.Smallest == nil || share < se.smallest {
			e := est
			se.res.Smallest, se.smallest, se.res.SmallestCategory = &e, share, describe(def)
		}
	}
	if c.json, err = json.Marshal(def); err != nil {
		c.err = err
	}
	return c
}

// usable reports whether a point can be proposed: new, buildable and
// within the budget.
func (se *search) usable(p point) bool {
	if se.seen[p.key()] {
		return false
	}
	c := se.evaluate(p)
	return c.err == nil && c.fits
}

// maxDraws bounds the random draws of one proposal.
const maxDraws = 2000

// propose returns the candidate of trial k, or nil when the space has no
// new candidate within the budget.
func (se *search) propose(k int, obs []observation) *candidate {
	rng := rand.New(rand.NewPCG(se.opt.Seed, uint64(k)+1))
	var p point
	switch {
	case k == 0 && se.startImpulse >= 0:
		// The starting impulse: its alternative holds one value per setting.
		p = make(point, len(se.c.dims))
		p[0] = se.startImpulse
		for i := 1; i < len(p); i++ {
			p[i] = -1
			if se.c.active(p, i) {
				p[i] = 0
			}
		}
		if !se.usable(p) {
			p = nil
		}
	case k >= se.opt.RandomTrials && len(obs) > 0:
		p, _ = se.sampler.tpe(rng, obs, 20, se.usable)
	}
	if p == nil {
		for range maxDraws {
			q := se.sampler.random(rng)
			if se.usable(q) {
				p = q
				break
			}
		}
	}
	if p == nil {
		return nil
	}
	se.seen[p.key()] = true
	return se.evaluate(p)
}

// score is what the sampler maximises and the choice ranks by:
// validation accuracy of the model type searched (for int8 marked down by
// its loss to quantisation, see RankAccuracy), ties going to higher
// top-score accuracy and lower loss, averaged over the trial's runs;
// stopped trials score below every completed one, failed ones lower.
func (se *search) score(t *TrialResult) float64 {
	switch t.Status {
	case StatusCompleted:
		var sum float64
		for _, r := range t.runs() {
			f := r.Of(se.opt.ModelType)
			sum += 1e-3*f.Argmax - 1e-6*math.Min(f.Loss, 100)
		}
		return t.RankAccuracy(se.opt.ModelType) + sum/float64(1+len(t.Repeats))
	case StatusStopped:
		best := 0.0
		for _, v := range t.Curve {
			if !math.IsNaN(v) {
				best = max(best, v)
			}
		}
		return -2 + best
	}
	return -3
}

// checkpoints returns the early-stopping thresholds of a trial from the
// completed trials it may know: the median of their best validation
// accuracy a quarter and half of the way through their epochs.
func (se *search) checkpoints(known []*TrialResult) []Checkpoint {
	if se.opt.DisableEarlyStopping {
		return nil
	}
	var out []Checkpoint
	for _, frac := range []float64{0.25, 0.5} {
		var v []float64
		for _, t := range known {
			if t.Status != StatusCompleted || len(t.Curve) == 0 {
				continue
			}
			n := max(1, int(math.Ceil(frac*float64(len(t.Curve)))))
			best := math.Inf(-1)
			for _, a := range t.Curve[:n] {
				if !math.IsNaN(a) {
					best = max(best, a)
				}
			}
			if !math.IsInf(best, -1) {
				v = append(v, best)
			}
		}
		if len(v) < 5 {
			return nil
		}
		sort.Float64s(v)
		m := v[len(v)/2]
		if len(v)%2 == 0 {
			m = (v[len(v)/2-1] + v[len(v)/2]) / 2
		}
		out = append(out, Checkpoint{Fraction: frac, ValAccuracy: m})
	}
	return out
}

// run proposes and runs trials until the trial count, the time or the
// space runs out, or ctx is cancelled.
func (se *search) run(ctx context.Context) error {
	opt := se.opt
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if opt.Time > 0 {
		// Leave the confirmations and the final picks a share of the time.
		share, _ := phases(opt)
		var c2 context.CancelFunc
		sctx, c2 = context.WithDeadline(sctx, se.begin.Add(time.Duration(float64(opt.Time)*share)))
		defer c2()
	}
	se.cond = sync.NewCond(&se.mu)
	// Wake the proposer when the search ends while it waits for results.
	go func() {
		<-sctx.Done()
		se.mu.Lock()
		se.cond.Broadcast()
		se.mu.Unlock()
	}()
	slots := make(chan int, opt.Workers)
	for w := range opt.Workers {
		slots <- w
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	for k := 0; opt.Trials == 0 || k < opt.Trials; k++ {
		var worker int
		select {
		case worker = <-slots:
		case <-sctx.Done():
		}
		if sctx.Err() != nil {
			break
		}
		// Wait until every trial before k−Lag has finished.
		se.mu.Lock()
		for k-opt.Lag > 0 && !allTrue(se.finished[:k-opt.Lag]) && sctx.Err() == nil {
			se.cond.Wait()
		}
		var known []*TrialResult
		if k-opt.Lag > 0 {
			known = slices.Clone(se.res.Trials[:k-opt.Lag])
		}
		se.mu.Unlock()
		if sctx.Err() != nil {
			break
		}
		obs := make([]observation, len(known))
		for i, t := range known {
			obs[i] = observation{p: t.point, score: se.score(t)}
		}
		c := se.propose(k, obs)
		if c == nil {
			se.res.Exhausted = true
			slots <- worker
			break
		}
		t := &TrialResult{ID: k, Definition: c.def, Description: describe(c.def), Estimate: c.est, point: c.p, Worker: worker}
		t.Status = StatusRunning
		trial := Trial{ID: k, Definition: c.json, Seed: opt.Seed, Validation: opt.Validation, Stop: se.checkpoints(known),
			MaxWindows: maxWindows(opt, c)}
		se.mu.Lock()
		se.res.Trials = append(se.res.Trials, t)
		se.finished = append(se.finished, false)
		se.progress.Trials++
		se.mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := opt.Runner.Run(sctx, trial, nil)
			se.mu.Lock()
			switch {
			case err != nil && sctx.Err() != nil:
				t.Status = StatusCancelled
			case err != nil:
				t.Status, t.Error = StatusFailed, err.Error()
			case out == nil:
				t.Status, t.Error = StatusFailed, "the runner returned no outcome"
			default:
				t.Outcome = *out
			}
			se.finished[k] = true
			se.report(t)
			se.cond.Broadcast()
			se.mu.Unlock()
			slots <- worker
		}()
	}
	wg.Wait()
	return ctx.Err()
}

// phases returns the shares of Options.Time at which the trials and the
// confirmations end: the confirmations get a tenth of the time, the final
// picks 15 %, when there are any.
func phases(opt Options) (trials, confirm float64) {
	trials, confirm = 1, 1
	if opt.Picks >= 0 {
		trials, confirm = 0.85, 0.85
	}
	if opt.Confirm > 0 {
		trials -= 0.1
	}
	return trials, confirm
}

// confirm runs the best completed trials again, Options.Repeats times
// each with the next seeds, and records their figures as the trials'
// Repeats; when a trial's repeats drop it out of the best, the trial that
// takes its place is run again too (a few rounds at most), so that the
// best trials are all ranked by the mean of their runs (3·Confirm trials
// at most). Runs the time budget cuts off are left out; the search's
// cancellation is an error.
func (se *search) confirm(ctx context.Context) error {
	opt := se.opt
	if opt.Confirm <= 0 {
		return nil
	}
	cctx := ctx
	if opt.Time > 0 {
		_, share := phases(opt)
		var cancel context.CancelFunc
		cctx, cancel = context.WithDeadline(ctx, se.begin.Add(time.Duration(float64(opt.Time)*share)))
		defer cancel()
	}
	for budget := 3 * opt.Confirm; budget > 0; {
		var done []*TrialResult
		for _, t := range se.res.Trials {
			if t.Status == StatusCompleted {
				done = append(done, t)
			}
		}
		if len(done) < 2 {
			return nil // nothing to choose between
		}
		slices.SortStableFunc(done, se.compare)
		var todo []*TrialResult
		for _, t := range done[:min(opt.Confirm, len(done))] {
			if len(t.Repeats) == 0 {
				todo = append(todo, t)
			}
		}
		if len(todo) == 0 || cctx.Err() != nil {
			break
		}
		todo = todo[:min(len(todo), budget)]
		budget -= len(todo)
		if err := se.repeat(cctx, todo); err != nil || ctx.Err() != nil {
			return cmp.Or(ctx.Err(), err)
		}
	}
	return ctx.Err()
}

// repeat runs trials again with the next Options.Repeats seeds.
func (se *search) repeat(ctx context.Context, trials []*TrialResult) error {
	opt := se.opt
	runs := make([][]*ModelFigures, len(trials))
	for i := range runs {
		runs[i] = make([]*ModelFigures, opt.Repeats)
	}
	sem := make(chan struct{}, opt.Workers)
	var wg sync.WaitGroup
	defer wg.Wait()
	for r := 1; r <= opt.Repeats && ctx.Err() == nil; r++ {
		for i, t := range trials {
			data, err := json.Marshal(t.Definition)
			if err != nil {
				return err
			}
			v := opt.Validation
			v.Seed += uint64(r)
			trial := Trial{ID: t.ID, Definition: data, Seed: opt.Seed + uint64(r), Validation: v,
				MaxWindows: maxWindows(opt, &candidate{def: t.Definition, est: t.Estimate})}
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
			}
			if ctx.Err() != nil {
				break
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				out, err := opt.Runner.Run(ctx, trial, nil)
				switch {
				case err != nil && ctx.Err() != nil:
					// Cut off: left out.
				case err != nil || out == nil || out.Status != StatusCompleted:
					runs[i][r-1] = &ModelFigures{} // a failed run scores nothing
				default:
					runs[i][r-1] = &ModelFigures{Int8: out.Int8, Float32: out.Float32}
				}
			}()
		}
	}
	wg.Wait()
	se.mu.Lock()
	defer se.mu.Unlock()
	for i, t := range trials {
		for _, f := range runs[i] {
			if f != nil {
				t.Repeats = append(t.Repeats, *f)
			}
		}
	}
	return nil
}

// minWindows is the fewest windows MaxWork leaves a trial.
const minWindows = 200

// maxWindows returns the windows a candidate's networks may train on:
// opt.MaxWindows, lowered so that windows × epochs × MACs (the windows
// counted with their rotated copies) stays within opt.MaxWork, but not
// below minWindows (0 for no bound).
func maxWindows(opt Options, c *candidate) int {
	n := opt.MaxWindows
	epochs, copies := 0, 0
	if k := c.def.Learn[learnID]; k != nil && k.Keras != nil {
		epochs = k.Keras.TrainingCycles
		if a := k.Keras.AugmentationPolicyMotion; a != nil {
			copies = a.Copies
		}
	}
	if opt.MaxWork > 0 && epochs > 0 && c.est.MACs > 0 {
		w := int(min(opt.MaxWork/(float64(epochs*(1+copies))*c.est.MACs), 1<<30))
		w = max(w, minWindows)
		if n == 0 || w < n {
			n = w
		}
	}
	return n
}

func allTrue(b []bool) bool {
	for _, v := range b {
		if !v {
			return false
		}
	}
	return true
}

// report updates the progress after a trial; se.mu is held.
func (se *search) report(t *TrialResult) {
	p := &se.progress
	switch t.Status {
	case StatusCompleted:
		p.Completed++
		if p.Best == nil || se.better(t, p.Best) {
			p.Best = t
		}
	case StatusStopped:
		p.Stopped++
	case StatusFailed:
		p.Failed++
	}
	p.Rejected = se.res.Rejected
	p.Last = t
	p.Elapsed = time.Since(se.begin)
	if se.opt.Progress != nil {
		se.opt.Progress(*p)
	}
}

// compare orders trials best first (see better).
func (se *search) compare(a, b *TrialResult) int {
	switch {
	case se.better(a, b):
		return -1
	case se.better(b, a):
		return 1
	}
	return 0
}

// better reports whether a beats b: higher score, then lower latency, RAM
// and ID.
func (se *search) better(a, b *TrialResult) bool {
	sa, sb := se.score(a), se.score(b)
	if sa != sb {
		return sa > sb
	}
	if a.Estimate.LatencyMs != b.Estimate.LatencyMs {
		return a.Estimate.LatencyMs < b.Estimate.LatencyMs
	}
	if a.Estimate.RAM != b.Estimate.RAM {
		return a.Estimate.RAM < b.Estimate.RAM
	}
	return a.ID < b.ID
}

// choose computes the Pareto front and the chosen trial.
func (r *Result) choose(opt Options) {
	se := &search{opt: opt}
	var done []*TrialResult
	for _, t := range r.Trials {
		if t.Status == StatusCompleted {
			done = append(done, t)
		}
	}
	objs := make([][]float64, len(done))
	for i, t := range done {
		objs[i] = []float64{-t.RankAccuracy(opt.ModelType), t.Estimate.LatencyMs, float64(t.Estimate.RAM)}
	}
	r.Pareto = r.Pareto[:0]
	for _, i := range paretoFront(objs) {
		r.Pareto = append(r.Pareto, done[i].ID)
	}
	slices.SortStableFunc(r.Pareto, func(a, b int) int { return se.compare(r.Trials[a], r.Trials[b]) })
	r.Chosen = -1
	if len(r.Pareto) > 0 {
		r.Chosen = r.Pareto[0]
	}
	// Once trials have been run again, the choice is the best of them on
	// the front: a trial run once and ranked above them may owe it to luck
	// the confirmation had no time to find out. When trials run once
	// dominate every confirmed one (many validate at 1.000 once, and a
	// mean over runs rarely stays there), the best confirmed trial is
	// chosen off the front for the same reason.
	for _, id := range r.Pareto {
		if len(r.Trials[id].Repeats) > 0 {
			r.Chosen = id
			return
		}
	}
	var best *TrialResult
	for _, t := range done {
		if len(t.Repeats) > 0 && (best == nil || se.better(t, best)) {
			best = t
		}
	}
	if best != nil {
		r.Chosen = best.ID
	}
}

// describe summarises a definition in one line.
func describe(def *impulse.Definition) string {
	if def == nil || len(def.Impulse.InputBlocks) == 0 || len(def.Impulse.DSPBlocks) == 0 {
		return ""
	}
	in := def.Impulse.InputBlocks[0]
	var s string
	if in.Type == studio.InputImage {
		s = fmt.Sprintf("%dx%d", in.ImageWidth, in.ImageHeight)
	} else {
		s = fmt.Sprintf("%d/%dms", in.WindowSizeMs, in.WindowIncreaseMs)
	}
	b := def.Impulse.DSPBlocks[0]
	s += " " + b.Type
	params := def.DSP[b.ID]
	for _, k := range sortedKeys(params) {
		s += fmt.Sprintf(" %s=%v", k, params[k])
	}
	if k := def.Learn[learnID]; k != nil && k.Keras != nil {
		s += " →"
		for _, l := range k.Keras.VisualLayers {
			switch l.Type {
			case learn.LayerDense, learn.LayerConv1D, learn.LayerConv2D:
				s += fmt.Sprintf(" %s%d", shortLayer[l.Type], l.Neurons)
				if l.Type != learn.LayerDense && l.KernelSize != 0 && l.KernelSize != 3 {
					s += fmt.Sprintf("k%d", l.KernelSize)
				}
			case learn.LayerDropout:
				if l.DropoutRate != nil {
					s += fmt.Sprintf(" drop%g", *l.DropoutRate)
				}
			}
		}
		s += fmt.Sprintf(" lr=%g ep=%d bs=%d", k.Keras.LearningRate, k.Keras.TrainingCycles, k.Keras.BatchSize)
		if r := k.Keras.AugmentationPolicyMotion; r != nil {
			s += fmt.Sprintf(" rot=%d×%g°", r.Copies, r.MaxDegrees)
		}
		if k.Keras.AugmentationPolicyImage == "all" {
			s += " imgaug"
		}
		if a := impulse.SpecAugment(k.Keras.AugmentationPolicySpectrogram); a != nil {
			s += fmt.Sprintf(" specaug=t%df%d", a.TimeMasks, a.FreqMasks)
			if a.Warp {
				s += "w"
			}
			if a.Noise > 0 {
				s += fmt.Sprintf("n%g", a.Noise)
			}
		}
	}
	return s
}

var shortLayer = map[string]string{learn.LayerDense: "d", learn.LayerConv1D: "c1d", learn.LayerConv2D: "c2d"}
