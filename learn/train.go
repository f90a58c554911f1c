package learn

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"gonum.org/v1/gonum/mat"
)

// Dataset is a feature matrix with one window per row and its labels.
type Dataset struct {
	// X holds one window per row; its column count must equal Input.Features().
	X *mat.Dense
	// Y holds the class index (0-based, into Labels) of every row (classification).
	Y []int
	// Labels are the class names in output order (classification), or the single
	// target name (regression; optional).
	Labels []string
	// Targets holds the numeric target of every row; a non-nil Targets makes
	// the network a regression network (linear output, mean squared error).
	Targets []float64
	// CopyOf marks the last len(CopyOf) rows of X as copies of other rows
	// (an augmentation: the same window turned, shifted, noisy): row
	// n−len(CopyOf)+i copies row CopyOf[i], one of the first
	// n−len(CopyOf). The validation split is drawn from those originals as
	// if the copies were not there, and a copy is trained on when its
	// original is, never validated on: the validation windows stay windows
	// as recorded.
	CopyOf []int
}

// Options are the per-job settings of [Train].
type Options struct {
	// Seed drives every random choice: weight initialisation, the validation
	// split, shuffling and dropout. Studio uses 3.
	Seed uint64
	// Progress, when not nil, is called after every epoch.
	Progress func(EpochStats)
}

// EpochStats is the end-of-epoch summary Keras prints with verbose=2.
type EpochStats struct {
	Epoch, Epochs int // 1-based epoch number and number of epochs
	Steps         int // batches per epoch, ceil(train windows / batch size)
	// Loss is the mean training loss over the epoch (class-weighted cross-entropy or
	// MSE plus the activity regularisation), as the weights changed during the epoch.
	Loss float64
	// Accuracy is the fraction of training windows classified correctly during
	// the epoch (dropout active); NaN for regression.
	Accuracy float64
	// ValLoss and ValAccuracy are measured on the validation windows at the end of
	// the epoch; NaN without a validation split (or, for ValAccuracy, for regression).
	ValLoss, ValAccuracy float64
	// Elapsed is the wall-clock time of the epoch.
	Elapsed time.Duration
}

// String formats s as Studio's training log does:
//
//	Epoch 3/30
//	50/50 - 0s - loss: 1.0127 - accuracy: 0.4815 - val_loss: 0.8610 - val_accuracy: 0.5614
func (s EpochStats) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Epoch %d/%d\n%d/%d - %ds - loss: %.4f", s.Epoch, s.Epochs, s.Steps, s.Steps, int(s.Elapsed.Seconds()), s.Loss)
	if !math.IsNaN(s.Accuracy) {
		fmt.Fprintf(&b, " - accuracy: %.4f", s.Accuracy)
	}
	if !math.IsNaN(s.ValLoss) {
		fmt.Fprintf(&b, " - val_loss: %.4f", s.ValLoss)
	}
	if !math.IsNaN(s.ValAccuracy) {
		fmt.Fprintf(&b, " - val_accuracy: %.4f", s.ValAccuracy)
	}
	return b.String()
}

// Result is a trained network and how it was trained.
type Result struct {
	// Network holds the weights of the epoch with the lowest validation loss
	// (the last epoch when there is no validation split).
	Network *Network
	// Train and Validation are the row indices of Dataset.X used for each
	// (Train with the copies of its originals, Dataset.CopyOf).
	Train, Validation []int
	// History has one entry per epoch.
	History []EpochStats
	// BestEpoch is the 1-based epoch whose weights Network holds.
	BestEpoch int
}

// ErrDiverged is returned when training produced non-finite weights.
var ErrDiverged = errors.New("learn: training diverged (loss is not finite)")

// Train builds the network of cfg for input in and trains it on d as Studio
// does: Glorot-uniform initialisation, a shuffled validation split of
// ceil(trainTestSplit·N) of the N windows that are no copies (Dataset.CopyOf), Adam (β1 0.9, β2 0.999, ε 1e-7) on categorical
// cross-entropy (MSE for regression) with optional automatic class weights, the
// training windows reshuffled every epoch through a buffer of 4 batches (as
// tf.data's shuffle does), dropout, and the weights of the epoch with the lowest
// validation loss kept.
//
// Train checks ctx after every batch; when it is cancelled, Train returns
// ctx.Err() (wrapped) and no network.
func Train(ctx context.Context, cfg Config, in Input, d Dataset, opt Options) (*Result, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if err := in.validate(); err != nil {
		return nil, err
	}
	if cfg.Augment != nil {
		if err := cfg.Augment.validate(in); err != nil {
			return nil, err
		}
	}
	if cfg.AugmentImage && in.Kind != InputImage {
		return nil, fmt.Errorf("learn: image augmentation needs image features")
	}
	if cfg.AugmentImage && cfg.Augment != nil {
		return nil, fmt.Errorf("learn: image and spectrogram augmentation together")
	}
	regression := d.Targets != nil
	outputs, err := d.check(in.Features(), regression)
	if err != nil {
		return nil, err
	}
	net, err := newNetwork(cfg, in, d.Labels, outputs, regression, opt.Seed)
	if err != nil {
		return nil, err
	}

	nRows, nf := d.X.Dims()
	nOrig := nRows - len(d.CopyOf)
	trainIdx, valIdx, err := split(nOrig, *cfg.TrainTestSplit, newRand(opt.Seed, 2))
	if err != nil {
		return nil, err
	}
	if len(d.CopyOf) > 0 {
		held := make([]bool, nOrig)
		for _, r := range valIdx {
			held[r] = true
		}
		for i, o := range d.CopyOf {
			if !held[o] {
				trainIdx = append(trainIdx, nOrig+i)
			}
		}
	}
	xs := make([]float32, nRows*nf)
	for r := range nRows {
		row := d.X.RawRowView(r)
		for j, v := range row {
			xs[r*nf+j] = float32(v)
		}
	}
	sw := make([]float64, nRows) // per-row sample weight
	for i := range sw {
		sw[i] = 1
	}
	if cfg.AutoClassWeights && !regression {
		cw := classWeights(d.Y, trainIdx, outputs)
		for i, y := range d.Y {
			sw[i] = cw[y]
		}
	}

	// Augmentation rewrites the training rows of xs before every epoch
	// from a pristine copy of them.
	var aug windowAugmenter
	var pristine []float32
	if cfg.AugmentImage || cfg.Augment != nil {
		pristine = make([]float32, len(trainIdx)*nf)
		for i, r := range trainIdx {
			copy(pristine[i*nf:(i+1)*nf], xs[r*nf:(r+1)*nf])
		}
		rng := newRand(opt.Seed, augmentStream)
		if cfg.AugmentImage {
			aug = newImageAugmenter(in, rng)
		} else {
			var sum, sq float64
			for _, v := range pristine {
				sum += float64(v)
				sq += float64(v) * float64(v)
			}
			n := float64(len(pristine))
			aug = newAugmenter(*cfg.Augment, in, math.Sqrt(max(0, sq/n-(sum/n)*(sum/n))), rng)
		}
	}

	t := newTrainer(net, cfg.BatchSize, opt.Seed)
	t.trainData = trainData{xs: xs, nf: nf, y: d.Y, targets: d.Targets, sw: sw}
	if parallel(net) {
		t.startPeer(opt.Seed)
		defer t.stop()
	}
	best := math.Inf(1)
	bestParams := append([]float32(nil), net.params...)
	bestState := append([]float32(nil), net.state...)
	res := &Result{Train: trainIdx, Validation: valIdx}
	shuf := newRand(opt.Seed, 3)
	order := make([]int, len(trainIdx))
	steps := (len(trainIdx) + cfg.BatchSize - 1) / cfg.BatchSize
	done := ctx.Done()
	for epoch := 1; epoch <= cfg.TrainingCycles; epoch++ {
		start := time.Now()
		if aug != nil {
			for i, r := range trainIdx {
				aug.apply(xs[r*nf:(r+1)*nf], pristine[i*nf:(i+1)*nf])
			}
		}
		bufferShuffle(order, trainIdx, 4*cfg.BatchSize, shuf)
		var lossSum float64
		var correct int
		for b := 0; b < len(order); b += cfg.BatchSize {
			rows := order[b:min(b+cfg.BatchSize, len(order))]
			l, c := t.step(rows, cfg.LearningRate)
			lossSum += l
			correct += c
			select {
			case <-done:
				return nil, fmt.Errorf("learn: training cancelled in epoch %d: %w", epoch, ctx.Err())
			default:
			}
		}
		st := EpochStats{Epoch: epoch, Epochs: cfg.TrainingCycles, Steps: steps,
			Loss: lossSum / float64(len(order)), Accuracy: float64(correct) / float64(len(order)),
			ValLoss: math.NaN(), ValAccuracy: math.NaN()}
		if regression {
			st.Accuracy = math.NaN()
		}
		if len(valIdx) > 0 {
			vl, vc := t.evaluate(valIdx)
			st.ValLoss = vl / float64(len(valIdx))
			if !regression {
				st.ValAccuracy = float64(vc) / float64(len(valIdx))
			}
			if st.ValLoss < best {
				best = st.ValLoss
				copy(bestParams, net.params)
				copy(bestState, net.state)
				res.BestEpoch = epoch
			}
		}
		st.Elapsed = time.Since(start)
		res.History = append(res.History, st)
		if opt.Progress != nil {
			opt.Progress(st)
		}
	}
	if res.BestEpoch > 0 {
		copy(net.params, bestParams)
		copy(net.state, bestState)
	} else {
		res.BestEpoch = cfg.TrainingCycles
	}
	for _, v := range net.params {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, ErrDiverged
		}
	}
	res.Network = net
	return res, nil
}

// New builds the network of cfg for input in, with one softmax output per label
// (classification) or one linear output (regression; labels then holds at most
// the target's name), and initialises it as [Train] does with the same seed:
// Glorot-uniform kernels, zero biases. The untrained network can describe its
// operators, be saved, or be used as a starting point elsewhere.
func New(cfg Config, in Input, labels []string, regression bool, seed uint64) (*Network, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	outputs, err := outputsFor(labels, regression)
	if err != nil {
		return nil, err
	}
	return newNetwork(cfg, in, labels, outputs, regression, seed)
}

// outputsFor returns the number of network outputs for labels: one per class,
// at least 2 (classification), or 1 with at most one target name (regression).
func outputsFor(labels []string, regression bool) (int, error) {
	switch {
	case regression && len(labels) > 1:
		return 0, fmt.Errorf("learn: regression takes one target name, got %d labels", len(labels))
	case regression:
		return 1, nil
	case len(labels) < 2:
		return 0, fmt.Errorf("learn: classification needs at least 2 classes, got %d labels", len(labels))
	}
	return len(labels), nil
}

func newNetwork(cfg Config, in Input, labels []string, outputs int, regression bool, seed uint64) (*Network, error) {
	net, err := build(cfg, in, outputs, regression)
	if err != nil {
		return nil, err
	}
	net.labels = append([]string(nil), labels...)
	if regression && len(net.labels) == 0 {
		net.labels = []string{"value"}
	}
	net.initParams(newRand(seed, 1))
	return net, nil
}

// check validates d and returns the number of network outputs.
func (d Dataset) check(features int, regression bool) (int, error) {
	if d.X == nil {
		return 0, errors.New("learn: dataset has no feature matrix")
	}
	r, c := d.X.Dims()
	if r == 0 {
		return 0, errors.New("learn: dataset is empty")
	}
	if c != features {
		return 0, fmt.Errorf("%w: dataset has %d features per window, the input shape has %d", ErrShape, c, features)
	}
	if len(d.CopyOf) >= r {
		return 0, fmt.Errorf("learn: %d of %d windows are copies; a copy needs an original", len(d.CopyOf), r)
	}
	for i, o := range d.CopyOf {
		if o < 0 || o >= r-len(d.CopyOf) {
			return 0, fmt.Errorf("learn: copy %d (window %d) copies window %d, not one of the %d originals", i, r-len(d.CopyOf)+i, o, r-len(d.CopyOf))
		}
	}
	for i := range r {
		for j, v := range d.X.RawRowView(i) {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return 0, fmt.Errorf("%w: window %d feature %d is %v", ErrNotFinite, i, j, v)
			}
		}
	}
	if regression {
		if len(d.Targets) != r {
			return 0, fmt.Errorf("learn: %d targets for %d windows", len(d.Targets), r)
		}
		for i, v := range d.Targets {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return 0, fmt.Errorf("%w: target %d is %v", ErrNotFinite, i, v)
			}
		}
		return outputsFor(d.Labels, true)
	}
	if len(d.Y) != r {
		return 0, fmt.Errorf("learn: %d labels for %d windows", len(d.Y), r)
	}
	outputs, err := outputsFor(d.Labels, false)
	if err != nil {
		return 0, err
	}
	seen := make([]bool, len(d.Labels))
	present := 0
	for i, y := range d.Y {
		if y < 0 || y >= len(d.Labels) {
			return 0, fmt.Errorf("learn: window %d has class %d, want 0..%d", i, y, len(d.Labels)-1)
		}
		if !seen[y] {
			seen[y] = true
			present++
		}
	}
	if present < 2 {
		return 0, fmt.Errorf("learn: the data holds a single class (%q); classification needs at least 2", d.Labels[d.Y[0]])
	}
	return outputs, nil
}

// split shuffles 0..n−1 and holds out the first ceil(frac·n) as validation,
// as scikit-learn's train_test_split does.
func split(n int, frac float64, rng *rand.Rand) (train, val []int, err error) {
	perm := rng.Perm(n)
	nv := int(math.Ceil(frac * float64(n)))
	if nv >= n {
		return nil, nil, fmt.Errorf("learn: %d windows leave none for training with trainTestSplit %v", n, frac)
	}
	return perm[nv:], perm[:nv], nil
}

// classWeights returns, for every class, N_train/count_c/n_present for the classes
// present in the training rows (1 for absent classes).
func classWeights(y, rows []int, classes int) []float64 {
	cnt := make([]int, classes)
	for _, r := range rows {
		cnt[y[r]]++
	}
	present := 0
	for _, c := range cnt {
		if c > 0 {
			present++
		}
	}
	w := make([]float64, classes)
	for c, n := range cnt {
		w[c] = 1
		if n > 0 {
			w[c] = float64(len(rows)) / float64(n) / float64(present)
		}
	}
	return w
}

// bufferShuffle writes src into dst in the order tf.data's shuffle(buffer)
// produces: a buffer holds the next `buffer` elements and each output is a
// uniformly chosen element of the buffer, replaced by the next input.
func bufferShuffle(dst, src []int, buffer int, rng *rand.Rand) {
	n := len(src)
	if buffer >= n {
		copy(dst, src)
		rng.Shuffle(n, func(i, j int) { dst[i], dst[j] = dst[j], dst[i] })
		return
	}
	buf := make([]int, buffer)
	copy(buf, src[:buffer])
	next := buffer
	for k := range n {
		i := rng.IntN(len(buf))
		dst[k] = buf[i]
		if next < n {
			buf[i] = src[next]
			next++
		} else {
			buf[i] = buf[len(buf)-1]
			buf = buf[:len(buf)-1]
		}
	}
}

// newRand returns the generator of one random stream (1 = initialisation,
// 2 = split, 3 = shuffling, 4 and 5 = dropout) of a seed. The PCG state is
// derived through SplitMix64 so that neighbouring seeds and streams give
// unrelated sequences (seeding PCG with (seed, stream) directly leaves the low
// half of the state equal across seeds).
// Copies returns the Dataset.CopyOf of k copies of each of n originals
// laid out after them a copy at a time: row n·(1+c)+i copies row i.
func Copies(n, k int) []int {
	out := make([]int, n*k)
	for i := range out {
		out[i] = i % n
	}
	return out
}

// augmentStream is the random stream of the augmentation of training
// windows (1 initialises the weights, 2 splits, 3 shuffles, 4 and 5 drop
// out in the trainer and its peer).
const augmentStream = 6

func newRand(seed, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(splitMix64(seed^stream*0x9e3779b97f4a7c15), splitMix64(seed+stream<<32+0x632be59bd9b4e019)))
}

// splitMix64 is SplitMix64's output function (Steele, Lea, Flood 2014).
func splitMix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}
