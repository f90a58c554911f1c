// Package tune searches impulses for a dataset under a device budget, as
// Studio's EON Tuner does, in seconds to minutes on one machine (or, through
// a [Runner], on several).
//
// # Overview
//
// [Search] takes a dataset, an optional starting impulse definition, a
// target device (device.Targets) with a budget of latency, RAM and ROM for
// int8 or float32 models, a number of trials and/or a time, and a seed. It
// returns the trials it ran, the Pareto front of validation accuracy
// against latency and RAM, the chosen impulse as a definition that
// `impulse train --impulse` takes as it is, and the chosen impulse (and a
// few more of the front) trained on every training sample and tested on
// the testing category. [Result.WriteTable] prints it all and
// [Result.OptimizeState] gives Studio's OptimizeStateResponse; [Command] is
// the `impulse tune` command line.
//
// # Search space
//
// A [Space] holds alternative impulses, each with alternative input, DSP
// and learn blocks and a list of values for every setting; its JSON form
// is the EON Tuner's search space ([ParseSpace]). [DefaultSpace] generates
// one from the dataset by the kind of its data: time series (window size
// and stride; spectral analysis with FFT lengths, log, overlap, low-pass
// filters or wavelets, flatten, raw data), audio (MFCC, MFE and
// spectrogram frame lengths, strides, filters, coefficients, FFT lengths,
// noise floors) or images (size and colour depth), with dense, conv1d or
// conv2d networks of several depths, widths, kernel sizes and dropout
// rates, and learning rates, epochs and batch sizes. A starting impulse
// adds itself as one more alternative and is the first trial.
//
// # Constraints first
//
// Every candidate is compiled against the dataset (impulse.Compile) and
// estimated before it is trained: its processing block's cost
// (dsp.Block.Cost, device.ProfileDSP) and its network, built untrained
// (learn.New) and, for int8, quantised on a window of zeros — the int8
// graph's shapes and sizes do not depend on calibration — then described
// (device.FromGraph) and profiled (device.ProfileNetwork) on the target.
// Latency and ROM add up over the blocks, RAM is their peak, as in
// device.DeviceSummary's EON totals. A candidate over the budget is never
// trained; zero RAM and ROM bounds mean the target's own memory.
//
// # Search
//
// The first trials (Options.RandomTrials) are drawn at random; then a
// tree-structured Parzen estimator (TPE; Bergstra et al. 2011) proposes
// the candidate with the best ratio of its likelihood under the best fifth
// of the trials to that under the rest, among candidates drawn from the
// former and within budget. A trial whose validation accuracy a quarter or
// half of the way through its epochs is below the median of the completed
// trials' at the same point is stopped early (the median stopping rule).
// The sampler maximises validation accuracy of the model type searched;
// among equally accurate candidates the search prefers lower latency and
// RAM. For int8 each run's accuracy is marked down by what its network
// loses to quantisation beyond QuantTolerance (float32 accuracy less
// int8, same networks and windows; TrialResult.RankAccuracy): int8
// quantises the whole input with one scale, so features of very
// different magnitudes (a flatten block's minimum and maximum, which span
// the sensor's range, beside its skewness; FFT bins without log) keep few
// steps for the small ones, and such a network loses more on other
// recordings than validation shows. The confirmations, the Pareto front
// and the choice of the pick's seed rank the same way. The Pareto front of accuracy, latency and RAM is reported for
// choosing a smaller impulse.
//
// # Validation and testing
//
// Trials are scored on training samples they hold out, whole samples at a
// time and stratified by label (Options.Validation): 20 % of them, or for
// fewer than 400 training samples three folds, each network trained on two
// and scored on the third. The pieces of one recording (samples whose
// names differ only in a trailing number: a recording cut in pieces, a
// speaker's clips) stay in one fold, so a held-out fold is scored as
// other recordings or speakers are, where samples drawn one by one would
// be scored on recordings their neighbours trained on and every candidate
// would look better than it is (Validation.Blocked and Shuffle are the
// other ways). The score is Studio's accuracy — a window counts as right
// when its top score is its label and at least the classifier's minimum
// confidence — on windows cut with the classification stride, as model
// testing cuts them.
//
// Data whose samples have a 3-axis sensor (accX, accY, accZ…) recorded in
// many orientations (OrientationSpread at least SpreadDegrees: a device
// held in the hand or worn, not one bolted to a machine) are scored on
// their held-out windows twice, as recorded and turned as a rigid body
// by a random rotation of up to DefaultRotation degrees
// (Validation.Rotation), and the generated space lets networks train on
// rotated copies of their windows (impulse.MotionAugmentation): recordings
// made with the device held a little differently are common in the field
// and absent from held-out recordings of the same sessions, and a network
// that reads the direction of gravity instead of the motion fails on
// them.
//
// Among many trials the best once is partly the luckiest. When the trials
// end, the best few (Options.Confirm) run again with the next training and
// validation seeds (Options.Repeats times) and are ranked by the mean of
// their runs; a trial that drops out of the best makes way for the next,
// which runs again too. The choice and the Pareto front use these means.
// The testing category is never seen by the search; it is used only to
// test the picks.
//
// # Parallel trials and determinism
//
// Options.Workers trials run at once (one per core by default). Trial k is
// proposed knowing exactly the trials before k − Options.Lag, waiting for
// them if need be, and from a random stream of its own, so the order in
// which trials finish never changes a decision: the same seed, data and
// options give the same trials and results, with any number of workers up
// to Lag. A time budget ends the search after a number of trials that
// depends on the machine; the trials it ran are then the first of the
// same sequence.
//
// # Remote trials
//
// A [Trial] is plain data (the definition's JSON, the seed, the
// validation split and the early-stopping thresholds) and an [Outcome] is
// too, so a [Runner] can hand trials to other processes that hold the same
// dataset; [LocalRunner], the default, trains them in this process and
// keeps the features of recent processing-block configurations. A
// [Fleet] runs them on other processes: package service's DialTrials
// sends them to the workers of a service's NATS cluster (`impulse tune
// --nats URL`, through [CommandFleet]), where each gives the outcome it
// gives in this process, so a search on a fleet gives the same result as
// in process for the same seed and Options.Workers. The final picks are
// trained in this process.
//
// # Errors
//
// A dataset the tuner cannot use (no training samples, a single class)
// gives an error wrapping impulse.ErrDataset; a malformed or empty search
// space a *SpaceError wrapping [ErrSpace], listing every problem with its
// JSON path; a budget no candidate fits an error wrapping [ErrNoCandidate]
// that gives the smallest candidate's estimate; bad options (negative
// counts, an unknown target or one without estimates) an error naming the
// option. A candidate that fails to train is a failed trial, not an error
// of the search. Cancelling the context ends the search with the
// context's error and the trials that finished.
//
// # Concurrency
//
// Search calls share nothing (each has its own LocalRunner unless
// Options.Runner is shared, which is safe). Options.Progress is called
// from one goroutine at a time.
package tune
