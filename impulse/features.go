package impulse

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/tinyimpulse/tinyimpulse/dataset"
	"github.com/tinyimpulse/tinyimpulse/device"
	"github.com/tinyimpulse/tinyimpulse/studio"
)

// FeatureOptions configures GenerateFeatures. The zero value uses every core
// and the training stride.
type FeatureOptions struct {
	// Workers is the number of goroutines; 0 means runtime.GOMAXPROCS(0).
	Workers int
	// Mode selects the stride: TrainingWindows (windowIncreaseMs) or
	// ClassificationWindows (classificationWindowIncreaseMs).
	Mode WindowMode
	// Created is the time DSPMetadata records; the zero time means now.
	Created time.Time
}

// Features holds the features of a set of samples: one row per window, in
// sample order and then window order, whatever the scheduling.
type Features struct {
	// Windows describes every row.
	Windows []Window
	// Classes are the distinct window labels, sorted, and Y the index of
	// every window's label in Classes (−1 for an unlabelled window).
	Classes []string
	Y       []int
	// Included lists the samples that gave windows, with their window
	// counts, in row order.
	Included []studio.IncludedSample
	// Stats says where the time went.
	Stats FeatureStats

	im        *Impulse
	mode      WindowMode
	created   time.Time
	dsp       map[int]*mat.Dense
	resampled bool
}

// FeatureStats are the figures of one feature generation.
type FeatureStats struct {
	Samples, Windows int
	// Windowing is the time spent cutting windows (resampling, resizing,
	// copying axes) and DSP the time spent in the processing blocks, both
	// summed over the workers; Elapsed is the wall-clock time.
	Windowing, DSP, Elapsed time.Duration
	Workers                 int
}

// GenerateFeatures cuts every sample into windows and runs every window
// through the impulse's DSP blocks, in parallel over opt.Workers goroutines,
// each with its own blocks. The definition must be Ready (see Resolve).
// Samples outside the input block's dataset subset are skipped, and samples
// too short for a window (without zero padding) give none.
//
// Cancelling ctx stops the work between windows and returns ctx's error.
// Any other error (a sample without one of the DSP blocks' axes, a window
// a block refuses) is the one of the first failing sample in sample order.
func (im *Impulse) GenerateFeatures(ctx context.Context, samples []*dataset.Sample, opt *FeatureOptions) (*Features, error) {
	if opt == nil {
		opt = &FeatureOptions{}
	}
	begin := time.Now()
	p0, err := im.NewProcessor()
	if err != nil {
		return nil, err
	}
	f := &Features{im: im, mode: opt.Mode, created: opt.Created, dsp: map[int]*mat.Dense{}}
	if f.created.IsZero() {
		f.created = begin.UTC()
	}
	// Cut the windows (cheap: no values are touched) to lay out the rows.
	in := &im.def.Impulse.InputBlocks[0]
	var used []*dataset.Sample
	var firstRow []int
	for _, s := range samples {
		if !inSubset(in.DatasetSubset, s.ID) {
			continue
		}
		n0 := len(f.Windows)
		if f.Windows, err = p0.Windows(f.Windows, s, opt.Mode); err != nil {
			return nil, err
		}
		if len(f.Windows) > n0 {
			used = append(used, s)
			firstRow = append(firstRow, n0)
			f.Included = append(f.Included, studio.IncludedSample{ID: s.ID, WindowCount: len(f.Windows) - n0})
		}
	}
	firstRow = append(firstRow, len(f.Windows))
	rows := len(f.Windows)
	seen := map[string]bool{}
	for _, w := range f.Windows {
		if w.Label != "" && !seen[w.Label] {
			seen[w.Label] = true
			f.Classes = append(f.Classes, w.Label)
		}
	}
	slices.Sort(f.Classes)
	f.Y = make([]int, rows)
	for i, w := range f.Windows {
		f.Y[i] = -1
		if w.Label != "" {
			f.Y[i], _ = slices.BinarySearch(f.Classes, w.Label)
		}
	}
	for _, b := range im.def.Impulse.DSPBlocks {
		if rows > 0 {
			f.dsp[b.ID] = mat.NewDense(rows, im.shapes[b.ID].proto.NumFeatures(), nil)
		}
	}
	f.Stats = FeatureStats{Samples: len(used), Windows: rows}
	if rows == 0 {
		f.Stats.Elapsed = time.Since(begin)
		return f, nil
	}

	workers := workerCount(opt.Workers, len(used))
	f.Stats.Workers = workers
	procs := []*Processor{p0}
	for len(procs) < workers {
		p, err := im.NewProcessor()
		if err != nil {
			return nil, err
		}
		procs = append(procs, p)
	}
	tWin := make([]time.Duration, workers)
	tDSP := make([]time.Duration, workers)
	var resampled atomic.Bool
	err = forEach(ctx, len(used), workers, func(wk, i int) error {
		p := procs[wk]
		var win, dsp time.Duration
		err := f.sampleFeatures(ctx, p, used[i], firstRow[i], firstRow[i+1], &win, &dsp)
		tWin[wk] += win
		tDSP[wk] += dsp
		if err != nil {
			return err
		}
		if p.Resampled() {
			resampled.Store(true)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for wk := range workers {
		f.Stats.Windowing += tWin[wk]
		f.Stats.DSP += tDSP[wk]
	}
	f.resampled = resampled.Load()
	f.Stats.Elapsed = time.Since(begin)
	return f, nil
}

// workerCount returns the goroutines to run for n items: workers, or one
// per core when workers ≤ 0, and at most n.
func workerCount(workers, n int) int {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	return min(workers, n)
}

// forEach calls do(w, i) for i = 0 … n−1 on workers goroutines, w being the
// calling goroutine's number (0 … workers−1) for its own state. It stops
// handing out indices once ctx is cancelled or a call fails, and returns
// ctx's error, or else the error of the lowest failing index whatever the
// scheduling: every lower index was handed out before it and has run.
func forEach(ctx context.Context, n, workers int, do func(w, i int) error) error {
	errs := make([]error, n)
	var (
		next atomic.Int64
		stop atomic.Bool
		wg   sync.WaitGroup
	)
	for w := range workers {
		wg.Go(func() {
			for !stop.Load() {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				if errs[i] = do(w, i); errs[i] != nil {
					stop.Store(true)
				}
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// sampleFeatures computes the rows lo…hi−1, the windows of s.
func (f *Features) sampleFeatures(ctx context.Context, p *Processor, s *dataset.Sample, lo, hi int, tWin, tDSP *time.Duration) error {
	t0 := time.Now()
	if err := p.prepare(s); err != nil {
		return err
	}
	t1 := time.Now()
	*tWin += t1.Sub(t0)
	for r := lo; r < hi; r++ {
		if (r-lo)%64 == 63 && ctx.Err() != nil {
			return ctx.Err()
		}
		w := f.Windows[r]
		for _, b := range p.order {
			m := f.dsp[b.id]
			_, cols := m.Dims()
			row := m.RawRowView(r)
			ta := time.Now()
			win := p.window(b, w)
			tb := time.Now()
			out, err := b.blk.AppendFeatures(row[:0], win)
			tc := time.Now()
			*tWin += tb.Sub(ta)
			*tDSP += tc.Sub(tb)
			if err != nil {
				return fmt.Errorf("impulse: sample %s, window %d–%d ms: DSP block %d (%s): %w", s.Path, w.StartMs, w.EndMs, b.id, b.shape.block.Type, err)
			}
			if len(out) != cols || &out[0] != &row[0] {
				return errors.New("impulse: internal error: DSP block wrote outside its row")
			}
		}
	}
	return nil
}

// inSubset applies an input block's datasetSubset.
func inSubset(sub *studio.DatasetSubset, id int) bool {
	if sub == nil {
		return true
	}
	modulo := max(1, round(100/sub.IncludePercentage))
	seed := 0
	if sub.Seed != nil {
		seed = *sub.Seed
	}
	return (id+seed)%modulo == 0
}

// DSP returns the features of one DSP block, one row per window, or nil for
// an unknown block (or no windows). The matrix belongs to f.
func (f *Features) DSP(dspID int) *mat.Dense { return f.dsp[dspID] }

// Learn returns the features a learn block reads: its DSP blocks' features
// concatenated in its order. A learn block with one DSP block shares that
// block's matrix; otherwise a new matrix is built.
func (f *Features) Learn(learnID int) (*mat.Dense, error) {
	lb, err := f.im.learnBlock(learnID)
	if err != nil {
		return nil, err
	}
	if len(f.Windows) == 0 {
		return nil, fmt.Errorf("impulse: no windows")
	}
	if len(lb.DSP) == 1 {
		return f.dsp[lb.DSP[0]], nil
	}
	cols := 0
	for _, id := range lb.DSP {
		_, c := f.dsp[id].Dims()
		cols += c
	}
	out := mat.NewDense(len(f.Windows), cols, nil)
	for r := range len(f.Windows) {
		row := out.RawRowView(r)[:0]
		for _, id := range lb.DSP {
			row = append(row, f.dsp[id].RawRowView(r)...)
		}
	}
	return out, nil
}

// DSPBlockConfigs returns the dspBlockConfigs entries of Studio's
// impulses-detailed response for these features: each DSP block's
// configuration (parameter groups, feature labels, an on-device estimate on
// Studio's default target) and the metadata of the generation (window and
// feature counts, included samples, output shape).
func (f *Features) DSPBlockConfigs() ([]studio.DSPBlockConfig, error) {
	im := f.im
	in := &im.def.Impulse.InputBlocks[0]
	var out []studio.DSPBlockConfig
	for _, b := range im.def.Impulse.DSPBlocks {
		s := im.shapes[b.ID]
		groups, values, err := dspGroups(&b, im.def.DSP[b.ID])
		if err != nil {
			return nil, fmt.Errorf("impulse: DSP block %d: %w", b.ID, err)
		}
		labels := featureLabels(s)
		info := studio.DSPInfo{ID: b.ID, Name: b.Name, WindowLength: in.WindowSizeMs, Type: b.Type,
			Classes:             slices.Clone(f.Classes),
			Features:            studio.DSPFeatures{Generated: len(f.Windows) > 0, Count: len(f.Windows), Labels: labels, Classes: slices.Clone(f.Classes)},
			ExpectedWindowCount: len(f.Windows), InputAxes: slices.Clone(b.Axes),
			CanCalculateFeatureImportance: false, NormalizeData: "none"}
		if prof, err := device.ProfileDSP(b.Name, s.proto.Cost(), device.ProfileConfig{}); err == nil {
			perf := prof.Performance()
			info.Performance = &perf
		}
		md := &studio.DSPMetadata{Created: f.created, Generated: true, DSPConfig: values, Labels: slices.Clone(f.Classes),
			FeatureLabels: labels, WindowCount: len(f.Windows), FeatureCount: s.proto.NumFeatures(),
			IncludedSamples: slices.Clone(f.Included), OutputConfig: s.proto.Output()}
		if in.Type == studio.InputTimeSeries {
			md.WindowSizeMs, md.Frequency = in.WindowSizeMs, in.FrequencyHz
			md.WindowIncreaseMs = in.WindowIncreaseMs
			if f.mode == ClassificationWindows {
				md.WindowIncreaseMs = in.ClassificationWindowIncreaseMs
			}
			md.PadZeros = in.PadZeros == nil || *in.PadZeros
			if f.resampled {
				md.ResamplingAlgorithmVersion = 1
			}
		}
		out = append(out, studio.DSPBlockConfig{BlockID: b.ID, Config: studio.DSPConfig{DSP: info, Config: groups}, Metadata: md})
	}
	return out, nil
}
