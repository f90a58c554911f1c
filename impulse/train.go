package impulse

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/tinyimpulse/tinyimpulse/anomaly"
	"github.com/tinyimpulse/tinyimpulse/dataset"
	"github.com/tinyimpulse/tinyimpulse/device"
	"github.com/tinyimpulse/tinyimpulse/learn"
	"github.com/tinyimpulse/tinyimpulse/metrics"
	"github.com/tinyimpulse/tinyimpulse/studio"
)

// TrainOptions are the per-job settings of Train.
type TrainOptions struct {
	// Seed drives every random choice (network initialisation, validation
	// split, shuffling, dropout, k-means++ seeding); Studio uses 3. The same
	// seed, definition and data give the same models and the same JSON,
	// apart from timestamps.
	Seed uint64
	// JobID identifies the job in its events.
	JobID int
	// Events, when not nil, receives the job's log, line by line, as
	// Studio's job-data events, and finally a job-finished event. It is
	// called from one goroutine at a time.
	Events func(studio.Event)
	// Workers is the number of goroutines generating features; 0 means
	// every core.
	Workers int
	// Targets are the device ids of the on-device estimates (see
	// device.Targets); nil means device.DefaultTarget.
	Targets []string
	// Created is the time the results record; the zero time means now.
	Created time.Time
}

// ErrDataset is wrapped by errors about what the dataset holds (no training
// samples, a single class, non-numeric regression labels).
var ErrDataset = errors.New("impulse: unusable dataset")

// Train runs Studio's training job for every learn block of the impulse on
// the dataset's training samples: features through the DSP blocks, each
// neural network trained, quantised to int8 and evaluated (float32 and int8)
// on its validation windows with on-device estimates, each anomaly block
// fitted. It returns the trained impulse, whose Detailed method gives
// Studio's impulses-detailed response and which Save writes to disk.
//
// Progress goes to opt.Events as Studio's training log. Cancelling ctx
// stops the job at the next batch or iteration; Train then logs
// "Terminated by user" and returns ctx's error and no model. Two Train
// calls share nothing.
func Train(ctx context.Context, im *Impulse, ds *dataset.Dataset, opt TrainOptions) (m *Model, err error) {
	log := &jobLog{jobID: opt.JobID, events: opt.Events, steps: jobSteps(im)}
	defer func() {
		if err != nil && ctx.Err() != nil {
			log.printf("Terminated by user")
		}
		log.finish(err == nil)
	}()
	created := opt.Created
	if created.IsZero() {
		created = time.Now().UTC()
	}
	created = created.Truncate(time.Millisecond)
	train := ds.Category(dataset.CategoryTraining)
	if len(train) == 0 {
		return nil, fmt.Errorf("%w: %s has no training samples", ErrDataset, ds.Dir)
	}
	log.phase(studio.PhaseStarting, 0)
	log.printf("Job started")
	log.phase(studio.PhaseFeatures, 0)
	log.printf("Generating features for %d training samples...", len(train))
	feats, err := im.GenerateFeatures(ctx, train, &FeatureOptions{Workers: opt.Workers, Created: created})
	if err != nil {
		return nil, err
	}
	log.step(1)
	log.printf("Generating features OK (%d windows)", len(feats.Windows))
	if len(feats.Windows) == 0 {
		return nil, fmt.Errorf("%w: the training samples of %s give no windows (are they shorter than the %d ms window?)",
			ErrDataset, ds.Dir, im.def.Impulse.InputBlocks[0].WindowSizeMs)
	}
	dspConfigs, err := feats.DSPBlockConfigs()
	if err != nil {
		return nil, err
	}

	m = &Model{im: im, created: created, seed: opt.Seed, targets: opt.Targets, dspConfigs: dspConfigs}
	for _, lb := range im.def.Impulse.LearnBlocks {
		switch lb.Type {
		case studio.LearnKeras, studio.LearnKerasRegression:
			kb, err := trainKeras(ctx, log, im, lb, train, feats, opt, created)
			if err != nil {
				return nil, fmt.Errorf("learn block %d (%s): %w", lb.ID, lb.Name, err)
			}
			m.keras = append(m.keras, kb)
		case studio.LearnAnomaly, studio.LearnAnomalyGMM:
			ab, err := trainAnomaly(ctx, log, im, lb, feats, opt, created)
			if err != nil {
				return nil, fmt.Errorf("learn block %d (%s): %w", lb.ID, lb.Name, err)
			}
			m.anomalies = append(m.anomalies, ab)
		default:
			return nil, fmt.Errorf("learn block %d: type %q cannot be trained", lb.ID, lb.Type)
		}
	}
	log.phase(studio.PhaseDone, 0)
	log.printf("Job completed")
	return m, nil
}

// kerasBlock is a trained neural network learn block.
type kerasBlock struct {
	block      studio.LearnBlock
	classes    []string // outputs (classification) or the target name (regression)
	regression bool
	variant    ModelType // the model type classification uses
	threshold  float64   // min_score (classification) or max_abs_error (regression)
	bestEpoch  int       // the epoch whose weights the network holds
	history    []learn.EpochStats
	float      *learn.Network
	int8       *learn.Int8Network
	config     studio.KerasConfig
	metadata   studio.KerasModelMetadata
}

// predictor returns the network of the selected model type.
func (k *kerasBlock) predictor() learn.Predictor { return k.predictorOf(k.variant) }

// anomalyBlock is a fitted anomaly learn block.
type anomalyBlock struct {
	block  studio.LearnBlock
	model  anomaly.Model
	config studio.AnomalyBlockConfig
}

// regressionThresholdKey is the BlockThreshold key of a regression block's
// largest acceptable absolute error (learn-blocks.md §B.2, a decision).
const regressionThresholdKey = "max_abs_error"

// maxPredictions bounds the windows whose predictions the metadata lists
// (Studio's feature explorer shows at most 2000).
const maxPredictions = 2000

func trainKeras(ctx context.Context, log *jobLog, im *Impulse, lb studio.LearnBlock, train []*dataset.Sample, feats *Features, opt TrainOptions, created time.Time) (*kerasBlock, error) {
	cfg, in, err := im.KerasConfig(lb.ID)
	if err != nil {
		return nil, err
	}
	all, err := feats.Learn(lb.ID)
	if err != nil {
		return nil, err
	}
	regression := lb.Type == studio.LearnKerasRegression
	// Labelled windows only.
	var rows []int
	for i, y := range feats.Y {
		if y >= 0 {
			rows = append(rows, i)
		}
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%w: no training window has a label", ErrDataset)
	}
	// Room for the rotated copies, if any, after the windows.
	var motion *MotionAugmentation
	if p := im.def.Learn[lb.ID]; p != nil && p.Keras != nil {
		motion = p.Keras.AugmentationPolicyMotion
	}
	copies := 0
	if motion != nil {
		copies = motion.Copies
	}
	n, cols := len(rows), all.RawMatrix().Cols
	X := mat.NewDense(n*(1+copies), cols, nil)
	for i, r := range rows {
		X.SetRow(i, all.RawRowView(r))
	}
	d := learn.Dataset{X: X}
	variant, err := ParseModelType(cfg.SelectedModelType)
	if err != nil {
		return nil, err
	}
	kb := &kerasBlock{block: lb, regression: regression, variant: cmp.Or(variant, Int8)}
	if regression {
		d.Targets = make([]float64, len(rows))
		for i, r := range rows {
			v, ok := parseTarget(feats.Classes[feats.Y[r]])
			if !ok {
				return nil, fmt.Errorf("%w: label %q is not a number: Your dataset contains non-numeric labels. Cannot train regression model.", ErrDataset, feats.Classes[feats.Y[r]])
			}
			d.Targets[i] = v
		}
		d.Labels = []string{"value"}
		kb.classes = d.Labels
		kb.threshold = 1
		if p := im.def.Learn[lb.ID]; p != nil && p.Keras != nil && p.Keras.MinimumConfidenceRating != nil {
			kb.threshold = *p.Keras.MinimumConfidenceRating
		}
	} else {
		d.Y = make([]int, len(rows))
		present := map[int]bool{}
		for i, r := range rows {
			d.Y[i] = feats.Y[r]
			present[feats.Y[r]] = true
		}
		if len(present) < 2 {
			return nil, fmt.Errorf("%w: the training set has a single class (%q); a classifier needs at least two", ErrDataset, feats.Classes[d.Y[0]])
		}
		d.Labels = feats.Classes
		kb.classes = feats.Classes
		kb.threshold = cfg.MinimumConfidenceRating
	}

	if m := motion; m != nil {
		log.printf("Augmenting: %d copies of every window, rotated by up to %g degrees...", m.Copies, m.MaxDegrees)
		dst := X.Slice(n, n*(1+m.Copies), 0, cols).(*mat.Dense)
		if err := rotatedFeatures(ctx, im, lb.ID, train, feats, rows, m, FeatureOptions{Workers: opt.Workers, Created: created}, dst); err != nil {
			return nil, err
		}
		d.CopyOf = learn.Copies(n, m.Copies)
		for range m.Copies {
			if d.Targets != nil {
				d.Targets = append(d.Targets, d.Targets[:n]...)
			} else {
				d.Y = append(d.Y, d.Y[:n]...)
			}
		}
		log.printf("Augmenting OK (%d windows)", len(d.CopyOf))
	}
	cfg = cfg.WithDefaults()
	// The validation windows learn.Train holds out.
	nVal := int(math.Ceil(*cfg.TrainTestSplit * float64(len(rows))))
	log.phase(studio.PhaseTraining, lb.ID)
	log.printf("Splitting data into training and validation sets...")
	log.printf("Splitting data into training and validation sets OK")
	log.printf("")
	log.printf("Training model...")
	log.printf("Training on %d inputs, validating on %d inputs", (len(rows)-nVal)*(1+len(d.CopyOf)/len(rows)), nVal)
	res, err := learn.Train(ctx, cfg, in, d, learn.Options{Seed: opt.Seed, Progress: log.epoch})
	if err != nil {
		return nil, err
	}
	log.printf("Finished training")
	log.printf("")
	log.printf("Saving best performing model... (based on validation loss; epoch %d)", res.BestEpoch)
	kb.float, kb.bestEpoch, kb.history = res.Network, res.BestEpoch, slices.Clone(res.History)
	for i := range kb.history {
		kb.history[i].Elapsed = 0 // wall-clock time would make the saved model differ run to run
	}
	log.step(float64(cfg.TrainingCycles - len(res.History))) // epochs not run
	log.phase(studio.PhaseQuantizing, lb.ID)
	log.printf("Converting TensorFlow Lite float32 model...")
	log.printf("Converting TensorFlow Lite int8 quantized model...")
	calib := res.Validation
	if len(calib) == 0 {
		calib = res.Train
	}
	if kb.int8, err = learn.Quantize(ctx, res.Network, X, calib); err != nil {
		return nil, err
	}

	log.step(1)
	log.phase(studio.PhaseProfiling, lb.ID)
	log.printf("Calculating performance metrics...")
	// Feature-explorer windows: at most 2000 labelled training windows,
	// chosen uniformly at random with Studio's seed 3.
	explore := make([]int, len(rows))
	for i := range explore {
		explore[i] = i
	}
	if len(explore) > maxPredictions {
		rnd := rand.New(rand.NewPCG(3, 3))
		rnd.Shuffle(len(explore), func(i, j int) { explore[i], explore[j] = explore[j], explore[i] })
		explore = explore[:maxPredictions]
		slices.Sort(explore)
	}
	var mms []metrics.ModelMetrics
	for _, v := range []struct {
		name  string
		p     learn.Predictor
		graph *learn.Graph
	}{{"float32", res.Network, res.Network.Graph()}, {"int8", kb.int8, kb.int8.Graph()}} {
		log.printf("Profiling %s model...", v.name)
		mm, err := validationMetrics(ctx, v.name, v.p, X, d, res.Validation, kb.threshold)
		if err != nil {
			return nil, err
		}
		net, err := device.FromGraph(v.graph)
		if err != nil {
			return nil, err
		}
		perf, err := device.OnDevicePerformance(net, device.ProfileConfig{}, opt.Targets...)
		if err != nil {
			return nil, err
		}
		mm.SetPerformance(perf)
		if mm.Predictions, err = predictions(ctx, v.p, X, d, rows, explore, feats, kb); err != nil {
			return nil, err
		}
		mms = append(mms, mm)
	}
	log.step(1)
	log.printf("")
	log.printf("Model training complete")

	thresholds := []studio.BlockThreshold{{Key: "min_score", Description: "Minimum confidence rating",
		HelpText: "Windows whose top score is below this value are classified as uncertain.", Value: kb.threshold}}
	mode := "classification"
	if regression {
		mode = "regression"
		thresholds = []studio.BlockThreshold{{Key: regressionThresholdKey, Description: "Maximum absolute error",
			HelpText: "A prediction within this distance of the label counts as correct.", Value: kb.threshold}}
	}
	kb.metadata = studio.KerasModelMetadata{
		Created:                created,
		Layers:                 res.Network.KerasLayers(),
		ClassNames:             kb.classes,
		Labels:                 feats.Classes,
		AvailableModelTypes:    []string{"float32", "int8"},
		RecommendedModelType:   "int8",
		ModelValidationMetrics: mms,
		HasTrainedModel:        true,
		Mode:                   mode,
		ImageInputScaling:      "0..1",
		Thresholds:             thresholds,
	}
	kb.config = kerasConfig(im, lb, cfg, in, feats, kb, thresholds)
	return kb, nil
}

// validationMetrics evaluates one model variant on the validation windows.
func validationMetrics(ctx context.Context, variant string, p learn.Predictor, X *mat.Dense, d learn.Dataset, val []int, threshold float64) (metrics.ModelMetrics, error) {
	if len(val) == 0 {
		return metrics.ModelMetrics{}, fmt.Errorf("%w: no validation windows (trainTestSplit is 0 or the dataset is too small)", ErrDataset)
	}
	out, err := learn.Predict(ctx, p, X, val)
	if err != nil {
		return metrics.ModelMetrics{}, err
	}
	if d.Targets != nil {
		actual := make([]float64, len(val))
		pred := make([]float64, len(val))
		for i, r := range val {
			actual[i], pred[i] = d.Targets[r], out.At(i, 0)
		}
		reg, err := metrics.EvaluateRegression(actual, pred)
		if err != nil {
			return metrics.ModelMetrics{}, err
		}
		return reg.ModelMetrics(variant), nil
	}
	actual := make([]int, len(val))
	for i, r := range val {
		actual[i] = d.Y[r]
	}
	c, err := metrics.EvaluateClassification(d.Labels, actual, out)
	if err != nil {
		return metrics.ModelMetrics{}, err
	}
	return c.ModelMetrics(variant), nil
}

// predictions returns Studio's feature-explorer predictions of the given
// labelled windows (indices into X, whose row i is feature row rows[i]).
func predictions(ctx context.Context, p learn.Predictor, X *mat.Dense, d learn.Dataset, rows, explore []int, feats *Features, kb *kerasBlock) ([]metrics.Prediction, error) {
	out, err := learn.Predict(ctx, p, X, explore)
	if err != nil {
		return nil, err
	}
	var best []int
	if d.Targets == nil {
		best = metrics.Argmax(nil, out)
	}
	preds := make([]metrics.Prediction, len(explore))
	for i, x := range explore {
		w := feats.Windows[rows[x]]
		pr := metrics.Prediction{SampleID: w.SampleID, StartMs: w.StartMs, EndMs: w.EndMs, Label: feats.Classes[feats.Y[rows[x]]]}
		var ok bool
		if d.Targets != nil {
			v := out.At(i, 0)
			pr.Prediction = strconv.FormatFloat(v, 'g', 6, 64)
			ok = math.Abs(v-d.Targets[x]) <= kb.threshold
		} else {
			pr.Prediction = d.Labels[best[i]]
			ok = pr.Prediction == pr.Label
		}
		pr.PredictionCorrect = &ok
		preds[i] = pr
	}
	return preds, nil
}

// kerasConfig assembles Studio's KerasConfig of a trained block from its
// configuration with defaults (learn.Config.WithDefaults).
func kerasConfig(im *Impulse, lb studio.LearnBlock, cfg learn.Config, in learn.Input, feats *Features, kb *kerasBlock, thresholds []studio.BlockThreshold) studio.KerasConfig {
	split, weights := *cfg.TrainTestSplit, cfg.AutoClassWeights
	return studio.KerasConfig{
		Dependencies:                  dependencies(im, lb, feats, kb.classes),
		Trained:                       true,
		Name:                          lb.Name,
		Type:                          lb.Type,
		MinimumConfidenceRating:       kb.threshold,
		SelectedModelType:             kb.variant.String(),
		Mode:                          cfg.Mode,
		VisualLayers:                  cfg.VisualLayers,
		TrainingCycles:                cfg.TrainingCycles,
		LearningRate:                  cfg.LearningRate,
		BatchSize:                     cfg.BatchSize,
		DefaultBatchSize:              cfg.DefaultBatchSize,
		Shape:                         shapeString(in),
		TrainTestSplit:                &split,
		AutoClassWeights:              &weights,
		AugmentationPolicyImage:       cmp.Or(imagePolicy(im, lb), "none"),
		AugmentationPolicySpectrogram: spectrogramPolicy(im, lb),
		TransferLearningModels:        []studio.TransferLearningModel{},
		ProfileInt8:                   true,
		Thresholds:                    thresholds,
	}
}

// dependencies describes what feeds a learn block (Studio's DependencyData).
func dependencies(im *Impulse, lb studio.LearnBlock, feats *Features, outputs []string) anomaly.Dependencies {
	var names []string
	for _, id := range lb.DSP {
		for _, b := range im.def.Impulse.DSPBlocks {
			if b.ID == id {
				names = append(names, b.Name)
			}
		}
	}
	return anomaly.Dependencies{Classes: feats.Classes, BlockNames: names, FeatureCount: im.NumFeatures(lb.ID),
		SampleCount: len(feats.Windows), OutputClasses: outputs}
}

// shapeString writes a network's input shape as the Python tuple Studio
// shows: "(33,)" for flat features (spectrograms are flat too; the network
// reshapes them), "(96, 96, 3)" for images.
func shapeString(in learn.Input) string {
	if in.Kind == learn.InputImage {
		return fmt.Sprintf("(%d, %d, %d)", in.Height, in.Width, in.Channels)
	}
	return fmt.Sprintf("(%d,)", in.Features())
}

func trainAnomaly(ctx context.Context, log *jobLog, im *Impulse, lb studio.LearnBlock, feats *Features, opt TrainOptions, created time.Time) (*anomalyBlock, error) {
	X, err := feats.Learn(lb.ID)
	if err != nil {
		return nil, err
	}
	ab := &anomalyBlock{block: lb}
	log.phase(studio.PhaseAnomaly, lb.ID)
	switch lb.Type {
	case studio.LearnAnomaly:
		cfg, err := im.KMeansConfig(lb.ID)
		if err != nil {
			return nil, err
		}
		k := cfg.ClusterCount
		if k == 0 {
			k = anomaly.DefaultClusterCount
		}
		log.printf("Training anomaly detection model (K-means, %d clusters) on %d windows...", k, X.RawMatrix().Rows)
		km, err := anomaly.FitKMeans(ctx, cfg, X, opt.Seed)
		if err != nil {
			return nil, err
		}
		ab.model = km
	case studio.LearnAnomalyGMM:
		cfg, err := im.GMMConfig(lb.ID)
		if err != nil {
			return nil, err
		}
		log.printf("Training anomaly detection model (Gaussian mixture) on %d windows...", X.RawMatrix().Rows)
		g, err := anomaly.FitGMM(ctx, cfg, X, opt.Seed)
		if err != nil {
			return nil, err
		}
		ab.model = g
	}
	log.step(1)
	log.printf("Training anomaly detection model OK (threshold %.4g)", ab.model.Threshold())
	cfg, err := ab.model.BlockConfig(lb.Name, im.LearnFeatureLabels(lb.ID), dependencies(im, lb, feats, []string{"anomaly"}))
	if err != nil {
		return nil, err
	}
	md := ab.model.Metadata(created)
	ab.config = studio.AnomalyBlockConfig{BlockID: lb.ID, Config: cfg, Metadata: &md}
	if g, ok := ab.model.(*anomaly.GMM); ok {
		gm := g.GMMMetadata()
		ab.config.GMMMetadata = &gm
	}
	return ab, nil
}

// spectrogramPolicy returns the block's spectrogram augmentation setting
// as Studio reports it (nil when there is none).
func spectrogramPolicy(im *Impulse, lb studio.LearnBlock) *studio.AugmentationPolicySpectrogram {
	if p := im.def.Learn[lb.ID]; p != nil && p.Keras != nil {
		return p.Keras.AugmentationPolicySpectrogram
	}
	return nil
}

// imagePolicy returns the block's image augmentation setting ("" when
// none is set).
func imagePolicy(im *Impulse, lb studio.LearnBlock) string {
	if p := im.def.Learn[lb.ID]; p != nil && p.Keras != nil {
		return p.Keras.AugmentationPolicyImage
	}
	return ""
}
