package tune

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/tinyimpulse/tinyimpulse/dataset"
	"github.com/tinyimpulse/tinyimpulse/impulse"
	"github.com/tinyimpulse/tinyimpulse/learn"
	"github.com/tinyimpulse/tinyimpulse/metrics"
	"github.com/tinyimpulse/tinyimpulse/studio"
)

// Trial is one candidate to train and validate, in a form that can travel
// to another process: the impulse definition in its JSON form (what
// `impulse train --impulse` reads), the training seed, how the training
// samples are split for validation and when to give up on it.
type Trial struct {
	ID         int             `json:"id"`
	Definition json.RawMessage `json:"definition"`
	Seed       uint64          `json:"seed"`
	Validation Validation      `json:"validation"`
	// Stop lists the early-stopping checkpoints: the trial stops when,
	// after a Fraction of its epochs, the best validation accuracy of its
	// training so far is below ValAccuracy.
	Stop []Checkpoint `json:"stop,omitempty"`
	// MaxWindows, when > 0, bounds the windows a network trains on: a
	// trial with more keeps that many, evenly spaced in sample and window
	// order (overlapping windows of long recordings are much alike).
	MaxWindows int `json:"maxWindows,omitempty"`
}

// Validation says which training samples a trial holds out to be scored
// on: samples are split per label (stratified), whole samples at a time;
// Folds > 1 trains one network per fold, each holding out one fold, and
// scores the trial on every sample; otherwise one network holds out
// Fraction of the samples.
//
// The pieces of one recording stay together: samples whose names differ
// only in a trailing number (a recording cut in pieces, "p020s0" …
// "p020s2"; a speaker's clips, "0cb74144_nohash_0" …) form a group, and
// groups, in an order Seed shuffles, go whole to the fold with fewest
// samples of their label so far (for one split, to the held-out part
// until it holds Fraction of them); a label with fewer groups than folds
// is split sample by sample. Held-out groups are then scored as a
// testing category of other recordings or speakers is, where samples
// drawn one by one would be scored on recordings their neighbours trained
// on and every candidate would look better than it is (Roberts et al.,
// "Cross-validation strategies for data with temporal, spatial,
// hierarchical, or phylogenetic structure", Ecography 2017).
//
// Blocked cuts each label's samples, in name order, into contiguous blocks
// instead (keeping groups together where a cut can move past them; for one
// split about 1/Fraction blocks of which Seed chooses the one held out):
// for data recorded in name order whose testing category was recorded
// later. Shuffle draws samples one by one at random, ignoring groups.
//
// Rotation, when positive, scores every held-out window twice: as
// recorded and with its sample turned as a rigid body by a random
// rotation of up to Rotation degrees (one rotation per sample, the same
// for every trial; see dataset.Sample.Rotated), the figures being those
// of both together. A device is seldom held or mounted in the field
// exactly as it was when its training data were recorded, and a network
// that leans on the direction of gravity rather than on the motion can
// classify every recording like its training ones and still fail on one
// made turned a little: held-out recordings of the same sessions do not
// show it, turned ones do.
type Validation struct {
	Fraction float64 `json:"fraction,omitempty"`
	Folds    int     `json:"folds,omitempty"`
	Seed     uint64  `json:"seed"`
	Blocked  bool    `json:"blocked,omitempty"`
	Shuffle  bool    `json:"shuffle,omitempty"`
	Rotation float64 `json:"rotation,omitempty"`
}

// Checkpoint is an early-stopping threshold (see Trial.Stop).
type Checkpoint struct {
	Fraction    float64 `json:"fraction"`
	ValAccuracy float64 `json:"valAccuracy"`
}

// Outcome is what running a trial gives: its status and validation
// figures.
type Outcome struct {
	Status Status `json:"status"`
	// Error says why a trial failed.
	Error string `json:"error,omitempty"`
	// Int8 and Float32 are the figures of the quantised and float networks
	// on the held-out samples' windows.
	Int8    Figures `json:"int8"`
	Float32 Figures `json:"float32"`
	// Folds are the figures of each fold's network on its fold, when the
	// trial trains one network per fold (Validation.Folds > 1).
	Folds []ModelFigures `json:"folds,omitempty"`
	// Metrics are Studio's validation metrics of the held-out windows
	// (int8, then float32; no on-device figures), for completed trials.
	Metrics []metrics.ModelMetrics `json:"metrics,omitempty"`
	// Curve is the validation accuracy of every epoch the (first) network
	// ran, on the split learn.Train holds out for choosing the best epoch;
	// Epochs its length.
	Curve  []float64 `json:"curve,omitempty"`
	Epochs int       `json:"epochs"`
	// Last is the last epoch's figures.
	Last *learn.EpochStats `json:"last,omitempty"`
	// Seconds is the trial's wall-clock time.
	Seconds float64 `json:"seconds"`
	// held are the held-out windows' scores (a LocalRunner that keeps
	// them only).
	held *heldOut
}

// heldOut is what a trial's networks gave on its held-out windows.
type heldOut struct {
	classes int
	sample  []int        // each window's sample ID
	label   []int        // and class
	scores  [2][]float64 // int8 and float32, one row of classes per window
}

// Figures are a network's figures on the held-out windows. Accuracy is
// Studio's: a window counts as correct when its top score is its label
// and at least the classifier's minimum confidence (0.6 by default), so
// uncertain windows count as wrong; Argmax counts every window whose top
// score is its label. Loss is the mean cross-entropy. Windows counts the
// held-out windows scored: with Validation.Rotation each twice, as
// recorded and turned.
type Figures struct {
	Accuracy float64 `json:"accuracy"`
	Argmax   float64 `json:"argmax"`
	Loss     float64 `json:"loss"`
	Windows  int     `json:"windows"`
}

// ModelFigures are the figures of a trial's quantised and float networks.
type ModelFigures struct {
	Int8    Figures `json:"int8"`
	Float32 Figures `json:"float32"`
}

// Of returns the figures of one model type.
func (m ModelFigures) Of(mt impulse.ModelType) Figures {
	if mt == impulse.Float32 {
		return m.Float32
	}
	return m.Int8
}

// Status is the state of a trial.
type Status string

// Trial states.
const (
	StatusPending   Status = "pending"
	StatusRunning   Status = "running"
	StatusCompleted Status = "completed"
	// StatusStopped is a trial stopped early as hopeless.
	StatusStopped Status = "stopped"
	StatusFailed  Status = "failed"
	// StatusCancelled is a trial the search's end or cancellation
	// interrupted; it has no figures.
	StatusCancelled Status = "cancelled"
)

// Runner runs trials. [LocalRunner] runs them in this process; a runner
// may as well send the trial to a worker that holds the same dataset (a
// [Fleet]). Run returns an Outcome whose Status is StatusCompleted,
// StatusStopped or StatusFailed (a definition the runner cannot train), or
// an error when the trial could not be run at all (ctx cancelled: its
// error). progress, when not nil, receives the epochs of the trial's first
// network, from runners that can follow them (LocalRunner does; a fleet
// need not). Run is called from several goroutines at once.
type Runner interface {
	Run(ctx context.Context, t Trial, progress func(learn.EpochStats)) (*Outcome, error)
}

// Fleet is a Runner whose trials run in other processes: the workers of
// a service (`impulse tune --nats URL`; package service implements it).
// The same trial gives the same outcome on any worker as in this
// process, so a search gives the same result on a fleet as with
// LocalRunner for the same seed and Options.Workers.
type Fleet interface {
	Runner
	// Slots returns how many trials the fleet's workers run at once, as
	// many as answer now (0 when none does).
	Slots(ctx context.Context) (int, error)
	// Close cancels the trials still queued or running and releases
	// the fleet's resources.
	Close() error
}

// Dial connects to a fleet of workers at url for a dataset: the
// dataset's training samples reach the workers once, whatever the number
// of trials.
type Dial func(ctx context.Context, url string, ds *dataset.Dataset) (Fleet, error)

// LocalRunner runs trials in this process on a dataset's training
// samples. It keeps the features of the most recent processing-block
// configurations, so trials that differ only in their network share them.
// It is safe for concurrent use.
type LocalRunner struct {
	ds     *dataset.Dataset
	train  []*dataset.Sample
	mu     sync.Mutex
	cache  map[string]*featureEntry
	order  []string
	limit  int
	hits   int
	misses int
	// keepHeld keeps every outcome's held-out scores (Outcome.held), for
	// the selection experiment only.
	keepHeld bool
}

// NewLocalRunner returns a runner on the training samples of ds.
func NewLocalRunner(ds *dataset.Dataset) *LocalRunner {
	return &LocalRunner{ds: ds, train: ds.Category(dataset.CategoryTraining), cache: map[string]*featureEntry{}, limit: 48}
}

// featureEntry is the learn block's features of every training sample in
// both window modes, for one input and processing-block configuration.
type featureEntry struct {
	ready chan struct{}
	err   error
	// per mode: features, the class of every row (−1 unlabelled) and its
	// sample's ID
	x       [2]*mat.Dense
	y       [2][]int
	sample  [2][]int
	classes []string
}

// turn names a rotated copy of the training samples: copy Copy of every
// sample by dataset.SampleRotation with Salt, up to Degrees (the zero
// value for the samples as recorded).
type turn struct {
	Salt    uint64
	Copy    int
	Degrees float64
}

// validationSalt seeds the rotations of the held-out windows scored
// turned (Validation.Rotation): other rotations than the training copies'.
const validationSalt = 0x76616c6964 // "valid"

// features returns the features of the impulse's configuration on the
// training samples turned by tn, computing them once.
func (r *LocalRunner) features(ctx context.Context, im *impulse.Impulse, tn turn) (*featureEntry, error) {
	def := im.Definition()
	key, err := json.Marshal(struct {
		In   []studio.InputBlock
		DSP  []studio.DSPBlock
		P    map[int]impulse.DSPParams
		Turn turn
	}{def.Impulse.InputBlocks, def.Impulse.DSPBlocks, def.DSP, tn})
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	e, ok := r.cache[string(key)]
	if ok {
		r.hits++
		r.mu.Unlock()
		select {
		case <-e.ready:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if e.err != nil && ctx.Err() == nil && errors.Is(e.err, context.Canceled) {
			// The trial that computed it was cancelled; compute again.
			r.mu.Lock()
			delete(r.cache, string(key))
			r.mu.Unlock()
			return r.features(ctx, im, tn)
		}
		return e, e.err
	}
	r.misses++
	e = &featureEntry{ready: make(chan struct{})}
	r.cache[string(key)] = e
	r.order = append(r.order, string(key))
	for len(r.order) > r.limit {
		old := r.order[0]
		r.order = r.order[1:]
		delete(r.cache, old)
	}
	r.mu.Unlock()
	train := r.train
	if tn != (turn{}) {
		train, e.err = dataset.RotatedCopies(r.train, tn.Copy, tn.Salt, tn.Degrees)
	}
	if e.err == nil {
		e.err = e.compute(ctx, im, train)
	}
	close(e.ready)
	return e, e.err
}

// sameRows reports whether two feature entries hold the same windows in
// the same rows (a turned copy of the samples and the samples).
func sameRows(a, b *featureEntry) bool {
	return slices.Equal(a.sample[0], b.sample[0]) && slices.Equal(a.sample[1], b.sample[1]) &&
		slices.Equal(a.y[0], b.y[0]) && slices.Equal(a.y[1], b.y[1])
}

func (e *featureEntry) compute(ctx context.Context, im *impulse.Impulse, train []*dataset.Sample) error {
	in := im.Definition().Impulse.InputBlocks[0]
	for m, mode := range []impulse.WindowMode{impulse.TrainingWindows, impulse.ClassificationWindows} {
		if m == 1 && (in.Type == studio.InputImage || in.ClassificationWindowIncreaseMs == in.WindowIncreaseMs) {
			// The same windows.
			e.x[1], e.y[1], e.sample[1] = e.x[0], e.y[0], e.sample[0]
			break
		}
		f, err := im.GenerateFeatures(ctx, train, &impulse.FeatureOptions{Workers: 1, Mode: mode, Created: time.Unix(0, 0)})
		if err != nil {
			return err
		}
		if len(f.Windows) == 0 {
			return fmt.Errorf("%w: the training samples give no windows", impulse.ErrDataset)
		}
		x, err := f.Learn(learnID)
		if err != nil {
			return err
		}
		if m == 0 {
			e.classes = f.Classes
		}
		// Classes of the rows, in the training windows' class list.
		e.x[m] = x
		e.y[m] = make([]int, len(f.Y))
		e.sample[m] = make([]int, len(f.Y))
		for i, y := range f.Y {
			e.y[m][i] = -1
			if y >= 0 {
				if c, ok := slices.BinarySearch(e.classes, f.Classes[y]); ok {
					e.y[m][i] = c
				}
			}
			e.sample[m][i] = f.Windows[i].SampleID
		}
	}
	return nil
}

// folds assigns every training sample to a validation fold: a map from
// sample ID to fold (0 … k−1), or for a single split to 0 (held out) or
// −1 (trained on). See Validation.
func folds(samples []*dataset.Sample, v Validation) (map[int]int, int) {
	k := v.Folds
	byLabel := map[string][]*dataset.Sample{}
	var labels []string
	for _, s := range samples {
		l := s.Label
		if _, ok := byLabel[l]; !ok {
			labels = append(labels, l)
		}
		byLabel[l] = append(byLabel[l], s)
	}
	slices.Sort(labels)
	rng := rand.New(rand.NewPCG(v.Seed, 0x7e57))
	out := map[int]int{}
	next := 0
	for _, l := range labels {
		members := slices.Clone(byLabel[l])
		slices.SortStableFunc(members, func(a, b *dataset.Sample) int {
			return cmp.Or(strings.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID))
		})
		switch {
		case v.Shuffle:
			rng.Shuffle(len(members), func(i, j int) { members[i], members[j] = members[j], members[i] })
			if k > 1 {
				for _, s := range members {
					out[s.ID] = next % k
					next++
				}
				continue
			}
			n := heldCount(len(members), v.Fraction)
			for i, s := range members {
				out[s.ID] = -1
				if i < n {
					out[s.ID] = 0
				}
			}
		case v.Blocked:
			blocked(members, v, out)
		default:
			groups := group(members)
			if len(groups) < max(k, 2) {
				// Too few recordings to hold some out: sample by sample.
				groups = group(nil)
				for _, s := range members {
					groups = append(groups, []*dataset.Sample{s})
				}
			}
			rng.Shuffle(len(groups), func(i, j int) { groups[i], groups[j] = groups[j], groups[i] })
			if k > 1 {
				// Each group to the fold with fewest samples of the label,
				// ties turning with the labels.
				size := make([]int, k)
				for _, g := range groups {
					f := next % k
					for i := range k {
						if c := (next + i) % k; size[c] < size[f] {
							f = c
						}
					}
					size[f] += len(g)
					for _, s := range g {
						out[s.ID] = f
					}
				}
				next++
				continue
			}
			n, held := heldCount(len(members), v.Fraction), 0
			for i, g := range groups {
				f := -1
				if held < n && (i < len(groups)-1 || held == 0) {
					f = 0
					held += len(g)
				}
				for _, s := range g {
					out[s.ID] = f
				}
			}
		}
	}
	return out, max(k, 1)
}

// heldCount is the number of n samples a single split holds out: a
// fraction of them (0.2 when not given), at least one and not all.
func heldCount(n int, frac float64) int {
	if frac <= 0 {
		frac = 0.2
	}
	h := int(math.Round(frac * float64(n)))
	if n >= 2 {
		h = min(max(h, 1), n-1)
	}
	return h
}

// group splits samples in name order into the runs of one recording()
// (a sample without one is a group of its own).
func group(samples []*dataset.Sample) [][]*dataset.Sample {
	var out [][]*dataset.Sample
	for i, s := range samples {
		if i > 0 && recording(s) != "" && recording(s) == recording(samples[i-1]) {
			out[len(out)-1] = append(out[len(out)-1], s)
			continue
		}
		out = append(out, []*dataset.Sample{s})
	}
	return out
}

// blocked assigns one label's samples, in name order, to blocked folds.
func blocked(members []*dataset.Sample, v Validation, out map[int]int) {
	k := v.Folds
	if k > 1 {
		// Fold numbers turn with the seed.
		cuts := blockCuts(members, k)
		for b := range k {
			for _, s := range members[cuts[b]:cuts[b+1]] {
				out[s.ID] = (b + int(v.Seed%uint64(k))) % k
			}
		}
		return
	}
	frac := v.Fraction
	if frac <= 0 {
		frac = 0.2
	}
	for _, s := range members {
		out[s.ID] = -1
	}
	// One of about 1/frac blocks, chosen by the seed.
	nb := min(max(2, int(math.Round(1/frac))), len(members))
	if nb < 2 {
		return
	}
	cuts := blockCuts(members, nb)
	b := int(v.Seed % uint64(nb))
	if cuts[b] == cuts[b+1] || cuts[b+1]-cuts[b] == len(members) {
		// A recording too long to part: the block is empty or all.
		cuts = evenCuts(len(members), nb)
	}
	for _, s := range members[cuts[b]:cuts[b+1]] {
		out[s.ID] = 0
	}
}

// blockCuts cuts samples (in order) into n blocks of about the same size,
// moving each cut forward past the pieces of one recording (samples of
// the same recording(), side by side in name order) so that they stay in
// one block when they can: block b is samples[cuts[b]:cuts[b+1]].
func blockCuts(samples []*dataset.Sample, n int) []int {
	cuts := evenCuts(len(samples), n)
	for b := 1; b < n; b++ {
		c := max(cuts[b], cuts[b-1])
		for c > 0 && c < len(samples) {
			r := recording(samples[c-1])
			if r == "" || r != recording(samples[c]) {
				break
			}
			c++
		}
		if c >= len(samples) {
			c = max(cuts[b], cuts[b-1]) // one recording to the end: part it
		}
		cuts[b] = c
	}
	return cuts
}

// evenCuts cuts n items into b blocks as even as can be.
func evenCuts(n, b int) []int {
	cuts := make([]int, b+1)
	for i := range cuts {
		cuts[i] = int(math.Round(float64(i) * float64(n) / float64(b)))
	}
	return cuts
}

// recording names what a sample was cut from, as sample names tell it:
// the name without its label's prefix and without trailing digits
// ("wconf1.p020s2" of label wconf1 → "p020s", the third piece of the
// recording at 20 %; "0cb74144_nohash_1" → "0cb74144_nohash_", a
// speaker's clip); "" when nothing is left ("0.0010").
func recording(s *dataset.Sample) string {
	n := strings.TrimPrefix(s.Name, s.Label+".")
	return strings.TrimRight(n, "0123456789")
}

// errStopped marks a trial stopped by its early-stopping checkpoints.
var errStopped = errors.New("tune: stopped early")

// Run trains the trial's classifier on the training samples it does not
// hold out and scores it on those it holds out (see Runner).
func (r *LocalRunner) Run(ctx context.Context, t Trial, progress func(learn.EpochStats)) (*Outcome, error) {
	begin := time.Now()
	out := &Outcome{}
	fail := func(err error) (*Outcome, error) {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		out.Status, out.Error = StatusFailed, err.Error()
		out.Seconds = time.Since(begin).Seconds()
		return out, nil
	}
	def, err := impulse.ParseDefinition(t.Definition)
	if err != nil {
		return fail(err)
	}
	im, err := impulse.Compile(def, r.ds)
	if err != nil {
		return fail(err)
	}
	cfg, in, err := im.KerasConfig(learnID)
	if err != nil {
		return fail(err)
	}
	fe, err := r.features(ctx, im, turn{})
	if err != nil {
		return fail(err)
	}
	// The rotated copies the network also trains on, and the held-out
	// windows scored turned.
	var copies []*featureEntry
	if k := def.Learn[learnID]; k != nil && k.Keras != nil && k.Keras.AugmentationPolicyMotion != nil {
		a := k.Keras.AugmentationPolicyMotion
		for c := range a.Copies {
			e, err := r.features(ctx, im, turn{Salt: impulse.RotationSalt, Copy: c, Degrees: a.MaxDegrees})
			if err != nil {
				return fail(err)
			}
			if !sameRows(e, fe) {
				return fail(fmt.Errorf("tune: rotated copy %d of the samples gives other windows", c))
			}
			copies = append(copies, e)
		}
	}
	views := []*featureEntry{fe}
	if t.Validation.Rotation > 0 {
		e, err := r.features(ctx, im, turn{Salt: validationSalt, Degrees: t.Validation.Rotation})
		if err != nil {
			return fail(err)
		}
		if !sameRows(e, fe) {
			return fail(fmt.Errorf("tune: the turned samples give other windows"))
		}
		views = append(views, e)
	}
	assign, k := folds(r.train, t.Validation)
	minConf := cfg.MinimumConfidenceRating
	if minConf == 0 {
		minConf = 0.6
	}
	var acc [2]figureSum
	var scores [2][]float64
	var actual, sampleIDs []int
	for fold := range k {
		fitRows := rowsWhere(fe.sample[0], fe.y[0], func(id int) bool { f, ok := assign[id]; return ok && f != fold })
		fitRows = thin(fitRows, t.MaxWindows)
		holdRows := rowsWhere(fe.sample[1], fe.y[1], func(id int) bool { return assign[id] == fold })
		if len(fitRows) == 0 || len(holdRows) == 0 {
			return fail(fmt.Errorf("%w: validation fold %d leaves %d training and %d validation windows", impulse.ErrDataset, fold, len(fitRows), len(holdRows)))
		}
		// The windows, then their rotated copies a copy at a time.
		n := len(fitRows)
		parts := []*mat.Dense{fe.x[0]}
		for _, e := range copies {
			parts = append(parts, e.x[0])
		}
		X := subset(fitRows, parts...)
		var copyOf []int
		if len(copies) > 0 {
			copyOf = learn.Copies(n, len(copies))
		}
		Y := make([]int, n*(1+len(copies)))
		for i := range Y {
			Y[i] = fe.y[0][fitRows[i%n]]
		}
		tctx, cancel := context.WithCancel(ctx)
		best := math.Inf(-1)
		var stopped bool
		opt := learn.Options{Seed: t.Seed}
		if fold == 0 {
			opt.Progress = func(s learn.EpochStats) {
				out.Curve = append(out.Curve, s.ValAccuracy)
				out.Epochs = s.Epoch
				last := s
				last.Elapsed = 0
				out.Last = &last
				if !math.IsNaN(s.ValAccuracy) {
					best = max(best, s.ValAccuracy)
				}
				if progress != nil {
					progress(s)
				}
				for _, c := range t.Stop {
					if s.Epoch == max(1, int(math.Ceil(c.Fraction*float64(s.Epochs)))) && best < c.ValAccuracy {
						stopped = true
						cancel()
					}
				}
			}
		}
		res, err := learn.Train(tctx, cfg, in, learn.Dataset{X: X, Y: Y, Labels: fe.classes, CopyOf: copyOf}, opt)
		cancel()
		if stopped && ctx.Err() == nil {
			out.Status = StatusStopped
			out.Seconds = time.Since(begin).Seconds()
			return out, nil
		}
		if err != nil {
			return fail(err)
		}
		calib := res.Validation
		if len(calib) == 0 {
			calib = res.Train
		}
		q, err := learn.Quantize(ctx, res.Network, X, calib)
		if err != nil {
			return fail(err)
		}
		var fold8, fold32 figureSum
		for _, view := range views {
			HX := subset(holdRows, view.x[1])
			for v, p := range []learn.Predictor{q, res.Network} {
				pred, err := learn.Predict(ctx, p, HX, nil)
				if err != nil {
					return fail(err)
				}
				f := [2]*figureSum{&fold8, &fold32}[v]
				for i, row := range holdRows {
					acc[v].add(pred.RawRowView(i), fe.y[1][row], minConf)
					f.add(pred.RawRowView(i), fe.y[1][row], minConf)
				}
				scores[v] = append(scores[v], pred.RawMatrix().Data...)
			}
			for _, row := range holdRows {
				actual = append(actual, fe.y[1][row])
				sampleIDs = append(sampleIDs, fe.sample[1][row])
			}
		}
		if k > 1 {
			out.Folds = append(out.Folds, ModelFigures{Int8: fold8.figures(), Float32: fold32.figures()})
		}
	}
	out.Status = StatusCompleted
	out.Int8, out.Float32 = acc[0].figures(), acc[1].figures()
	if r.keepHeld {
		out.held = &heldOut{classes: len(fe.classes), sample: sampleIDs, label: actual, scores: scores}
	}
	for v, name := range []string{"int8", "float32"} {
		c, err := metrics.EvaluateClassification(fe.classes, actual, mat.NewDense(len(actual), len(fe.classes), scores[v]))
		if err != nil {
			return fail(err)
		}
		out.Metrics = append(out.Metrics, c.ModelMetrics(name))
	}
	out.Seconds = time.Since(begin).Seconds()
	return out, nil
}

// rowsWhere returns the labelled rows whose sample passes keep.
func rowsWhere(samples, y []int, keep func(id int) bool) []int {
	var rows []int
	for i, id := range samples {
		if y[i] >= 0 && keep(id) {
			rows = append(rows, i)
		}
	}
	return rows
}

// thin returns at most n of rows, evenly spaced (all of them when n ≤ 0):
// rows[⌊j·len/n⌋] for j = 0 … n−1.
func thin(rows []int, n int) []int {
	if n <= 0 || len(rows) <= n {
		return rows
	}
	out := make([]int, n)
	for j := range out {
		out[j] = rows[j*len(rows)/n]
	}
	return out
}

// subset copies rows of each of xs (matrices of as many columns) into a
// new matrix, those of xs[0] first.
func subset(rows []int, xs ...*mat.Dense) *mat.Dense {
	_, c := xs[0].Dims()
	out := mat.NewDense(len(rows)*len(xs), c, nil)
	for k, x := range xs {
		for i, r := range rows {
			out.SetRow(k*len(rows)+i, x.RawRowView(r))
		}
	}
	return out
}

// figureSum accumulates Figures.
type figureSum struct {
	n, correct, top int
	loss            float64
}

func (f *figureSum) add(scores []float64, label int, minConf float64) {
	f.n++
	best := 0
	for i, s := range scores {
		if s > scores[best] {
			best = i
		}
	}
	if best == label {
		f.top++
		if scores[best] >= minConf {
			f.correct++
		}
	}
	f.loss -= math.Log(max(scores[label], 1e-7))
}

func (f *figureSum) figures() Figures {
	if f.n == 0 {
		return Figures{}
	}
	n := float64(f.n)
	return Figures{Accuracy: float64(f.correct) / n, Argmax: float64(f.top) / n, Loss: f.loss / n, Windows: f.n}
}
