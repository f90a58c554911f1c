package evaltest

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tinyimpulse/tinyimpulse/dataset"
	"github.com/tinyimpulse/tinyimpulse/dsp"
	"github.com/tinyimpulse/tinyimpulse/learn"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

const datasets = "../../../../shared/datasets"

// evalSet is one dataset turned into features with one processing block.
type evalSet struct {
	name   string
	block  string
	in     learn.Input
	labels []string
	X      [][]float64
	y      []int
}

// sample is one file of the training category.
type sample struct {
	path, label string
}

// readCSV returns the records of a CSV file after its header line.
func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows[1:]
}

func trainingSamples(t *testing.T, dir string) ([]sample, []string) {
	t.Helper()
	var out []sample
	var labels []string
	for _, r := range readCSV(t, filepath.Join(dir, "labels.csv")) {
		if r[2] != "training" {
			continue
		}
		out = append(out, sample{filepath.Join(dir, r[0]), r[1]})
		if !slices.Contains(labels, r[1]) {
			labels = append(labels, r[1])
		}
	}
	slices.Sort(labels) // Studio orders classes alphabetically
	return out, labels
}

func learnInput(block string, b dsp.Block) learn.Input {
	o := b.Output()
	switch o.Type {
	case "spectrogram":
		k := map[string]learn.InputKind{"mfcc": learn.InputMFCC, "mfe": learn.InputMFE, "spectrogram": learn.InputSpectrogram}[block]
		return learn.Input{Kind: k, Width: b.NumFeatures() / o.Shape.Height, Height: o.Shape.Height}
	case "image":
		return learn.Input{Kind: learn.InputImage, Width: int(o.Shape.Width), Height: o.Shape.Height, Channels: o.Shape.Channels}
	}
	return learn.Input{Kind: learn.InputFlat, Width: b.NumFeatures()}
}

// timeSeries windows every training sample (windowMs long, every strideMs; 0 =
// the whole sample) and runs block with Studio's default parameters.
func timeSeries(t *testing.T, name, block string, windowMs, strideMs float64) *evalSet {
	dir := filepath.Join(datasets, name)
	samples, labels := trainingSamples(t, dir)
	es := &evalSet{name: name + "/" + block, block: block, labels: labels}
	var blk dsp.Block
	for _, s := range samples {
		smp, err := dataset.ReadSample(s.path)
		if err != nil {
			t.Fatal(err)
		}
		v, axes, interval := smp.Values, len(smp.Sensors), smp.IntervalMs
		rows := len(v) / axes
		win, stride := rows, rows
		if windowMs > 0 {
			win, stride = int(math.Round(windowMs/interval)), int(math.Round(strideMs/interval))
		}
		if blk == nil {
			blk, err = dsp.New(block, 0, nil, dsp.Input{FrequencyHz: 1000 / interval, Axes: axes, Samples: win})
			if err != nil {
				t.Fatal(err)
			}
			es.in = learnInput(block, blk)
		}
		y := slices.Index(labels, s.label)
		for start := 0; start+win <= rows; start += stride {
			f, err := blk.AppendFeatures(make([]float64, 0, blk.NumFeatures()), v[start*axes:(start+win)*axes])
			if err != nil {
				t.Fatalf("%s: %v", s.path, err)
			}
			es.X = append(es.X, f)
			es.y = append(es.y, y)
		}
	}
	return es
}

// digits reads digits-8x8 from its CSV (values 0..16, stored in the PNGs as
// round(v·255/16)) through the grayscale image block.
func digits(t *testing.T) *evalSet {
	rows := readCSV(t, filepath.Join(datasets, "digits-8x8", "digits.csv"))
	blk, err := dsp.New("image", 0, map[string]any{"channels": "Grayscale"}, dsp.Input{Samples: 64, Width: 8, Height: 8})
	if err != nil {
		t.Fatal(err)
	}
	es := &evalSet{name: "digits-8x8/image", block: "image", in: learnInput("image", blk)}
	for d := range 10 {
		es.labels = append(es.labels, strconv.Itoa(d))
	}
	px := make([]float64, 64)
	atoi := func(s string) int {
		v, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("digits.csv: %v", err)
		}
		return v
	}
	for _, r := range rows {
		if r[2] != "training" {
			continue
		}
		for i := range px {
			b := int(math.Round(float64(atoi(r[3+i])) * 255 / 16))
			px[i] = float64(b<<16 | b<<8 | b)
		}
		feats, err := blk.AppendFeatures(make([]float64, 0, blk.NumFeatures()), px)
		if err != nil {
			t.Fatal(err)
		}
		lab := atoi(r[1])
		es.X = append(es.X, feats)
		es.y = append(es.y, lab)
	}
	return es
}

type torchRef struct {
	Dataset        string    `json:"dataset"`
	Seeds          []int     `json:"seeds"` // absent in older files: seeds 1..N
	ValAccuracy    []float64 `json:"val_accuracy"`
	MedianAccuracy float64   `json:"median_val_accuracy"`
}

// pairs returns the accuracies of the seeds both sides trained, Go's then
// PyTorch's, in Go's seed order.
func (r torchRef) pairs(seeds []uint64, accs []float64) (goAcc, torchAcc []float64) {
	for i, s := range seeds {
		j := int(s) - 1
		if r.Seeds != nil {
			j = slices.Index(r.Seeds, int(s))
		}
		if j >= 0 && j < len(r.ValAccuracy) {
			goAcc, torchAcc = append(goAcc, accs[i]), append(torchAcc, r.ValAccuracy[j])
		}
	}
	return goAcc, torchAcc
}

// loadTorch reads testdata/learn/eval_torch.json, or the file LEARN_EVAL_TORCH
// names (eval_torch.py's output for other seeds).
func loadTorch(t *testing.T) map[string]torchRef {
	path := "../../../testdata/learn/eval_torch.json"
	if p := os.Getenv("LEARN_EVAL_TORCH"); p != "" {
		path = p
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Logf("no PyTorch reference: %v", err)
		return nil
	}
	var f struct{ Results []torchRef }
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	m := map[string]torchRef{}
	for _, r := range f.Results {
		m[r.Dataset] = r
	}
	return m
}

// TestStudioDefaults trains Studio's default network on every dataset with seeds
// 1..N and compares, seed by seed, with PyTorch trained on the same features,
// split and initial weights (eval_torch.json, its first N seeds). Medians and
// means are logged; the checks use the per-seed (paired) differences, because
// one seed's accuracy is far from the next on these small validation sets and
// a median moves by a window or two with the number of seeds alone. It fails
// when
//   - the float32 accuracy is significantly below PyTorch's: the one-sided
//     99 % upper confidence bound (Student's t) of the mean of Go − PyTorch
//     per seed is below zero;
//   - int8 and the float32 network fed the same int8-rounded input differ by
//     more than 1 point on average (learn's integer arithmetic);
//   - int8 and float32 differ by more than 1 point on average (issue 4), unless
//     rounding the input to int8 alone costs the float32 network significantly
//     (95 %), the previous check holds and the loss is under 3 points: that loss belongs to TFLite's scheme
//     (one int8 scale for the whole input) and is logged as a limitation.
//
// LEARN_EVAL_SEEDS=N trains every dataset with seeds 1..N instead of the
// default counts (the figures in testdata/learn/README.md use 61), and
// LEARN_EVAL_SEEDS=A-B with seeds A..B; Go and PyTorch are paired by seed.
// LEARN_EVAL_TORCH=FILE reads the PyTorch figures from FILE.
// With LEARN_EVAL_EXPORT=DIR it writes the features, splits, initial weights and
// configuration of each dataset to DIR for eval_torch.py.
func TestStudioDefaults(t *testing.T) {
	if _, err := os.Stat(datasets); err != nil {
		t.Skip("../shared/datasets is absent:", err)
	}
	if testing.Short() {
		t.Skip("trains networks on real datasets (about 30 s)")
	}
	ref := loadTorch(t)
	// Seeds per dataset: the validation sets are small (58 to 288 windows) and
	// one seed's accuracy is far from the next (a spread of 20 to 50 points on
	// the smallest sets), so the cheap networks get many seeds.
	sets := []struct {
		seeds int
		mk    func(*testing.T) *evalSet
	}{
		{5, digits},
		{25, func(t *testing.T) *evalSet { return timeSeries(t, "kws-speech-commands", "mfcc", 0, 0) }},
		{15, func(t *testing.T) *evalSet { return timeSeries(t, "kws-speech-commands", "mfe", 0, 0) }},
		{61, func(t *testing.T) *evalSet { return timeSeries(t, "gestures-magic-wand", "spectral-analysis", 0, 0) }},
		{9, func(t *testing.T) *evalSet {
			return timeSeries(t, "gestures-continuous", "spectral-analysis", 2000, 500)
		}},
		{15, func(t *testing.T) *evalSet { return timeSeries(t, "fan-unbalance", "spectral-analysis", 2000, 1000) }},
	}
	var seedsOverride []uint64
	if v := os.Getenv("LEARN_EVAL_SEEDS"); v != "" {
		var err error
		if seedsOverride, err = seedRange(v); err != nil {
			t.Fatalf("LEARN_EVAL_SEEDS=%q: %v", v, err)
		}
	}
	for _, set := range sets {
		seeds := seedsOverride
		if seeds == nil {
			seeds, _ = seedRange(strconv.Itoa(set.seeds))
		}
		es := set.mk(t)
		t.Run(es.name, func(t *testing.T) {
			X := mat.NewDense(len(es.X), len(es.X[0]), nil)
			for i, r := range es.X {
				X.SetRow(i, r)
			}
			cfg := learn.DefaultConfig(es.in)
			d := learn.Dataset{X: X, Y: es.y, Labels: es.labels}
			var accs, accsQ, accsR []float64
			var inScale float64 // the int8 input scale of the first seed (for the log)
			var runs []*learn.Result
			for _, seed := range seeds {
				r, err := learn.Train(context.Background(), cfg, es.in, d, learn.Options{Seed: seed})
				if err != nil {
					t.Fatal(err)
				}
				q, err := learn.Quantize(context.Background(), r.Network, X, r.Validation)
				if err != nil {
					t.Fatal(err)
				}
				accF := accuracy(t, r.Network, X, es.y, r.Validation)
				accQ := accuracy(t, q, X, es.y, r.Validation)
				accR := accuracy(t, r.Network, roundInput(X, q.InputQuant()), es.y, r.Validation)
				if seed == seeds[0] {
					inScale = q.InputQuant().Scale
				}
				t.Logf("seed %d: best epoch %d/%d: float32 %.4f, int8 %.4f, float32 on int8-rounded input %.4f",
					seed, r.BestEpoch, cfg.TrainingCycles, accF, accQ, accR)
				accs, accsQ, accsR = append(accs, accF), append(accsQ, accQ), append(accsR, accR)
				runs = append(runs, r)
			}
			if dir := os.Getenv("LEARN_EVAL_EXPORT"); dir != "" {
				export(t, dir, es, cfg, seeds, runs)
			}
			med, medQ := median(accs), median(accsQ)
			t.Logf("%s: %d windows × %d features (%+v), %d validation windows, %d seeds",
				es.name, len(es.X), len(es.X[0]), es.in, len(runs[0].Validation), len(runs))
			t.Logf("float32: median %.4f, mean %.4f; int8: median %.4f, mean %.4f; float32 on int8-rounded input: mean %.4f",
				med, stat.Mean(accs, nil), medQ, stat.Mean(accsQ, nil), stat.Mean(accsR, nil))
			dq := paired(accsQ, accs)  // int8 − float32: issue 4's "within 1 point"
			dr := paired(accsQ, accsR) // int8 − float32 on the same rounded input: learn's integer arithmetic
			di := paired(accsR, accs)  // what rounding the input to int8 alone costs the float32 network
			t.Logf("int8 − float32 per seed: %v", dq)
			t.Logf("int8 − float32 on int8-rounded input: %v", dr)
			t.Logf("float32 on int8-rounded input − float32: %v", di)
			if math.Abs(dr.mean) > 0.01 {
				t.Errorf("int8 accuracy differs from the float32 network's on the same int8-rounded input by more than 1 point on average: %v", dr)
			}
			if math.Abs(dq.mean) > 0.01 {
				// (A broken input calibration would also show here; the 3-point cap
				// keeps a gross one from passing as the scheme's cost, and
				// int8ref_test checks the calibration itself.)
				if di.hi95 < 0 && math.Abs(dr.mean) <= 0.01 && math.Abs(dq.mean) <= 0.03 {
					// TFLite's int8 model takes its input as int8 with one scale
					// for the whole window, calibrated on the validation windows'
					// extremes; when a few features span hundreds and the rest a
					// few units, the rest keep only a few steps. The float32
					// network fed that rounded input loses the same, so the loss
					// is the scheme's, not learn's arithmetic.
					t.Logf("LIMITATION: int8 is %+.2f points from float32 on average, beyond issue 4's 1 point; the float32 network fed the same int8-rounded input (input scale %.3g for seed %d) loses as much (%+.2f points): the input's single int8 scale, not learn's arithmetic, costs the accuracy",
						100*dq.mean, inScale, seeds[0], 100*di.mean)
				} else {
					t.Errorf("int8 accuracy more than 1 point from float32's on average: %v", dq)
				}
			}
			r, ok := ref[es.name]
			if !ok {
				return
			}
			goAcc, torchAcc := r.pairs(seeds, accs)
			n := len(goAcc)
			if n < len(accs) {
				t.Logf("PyTorch reference has %d of Go's %d seeds; comparing those", n, len(accs))
			}
			if n == 0 {
				t.Errorf("the PyTorch reference has none of seeds %d..%d", seeds[0], seeds[len(seeds)-1])
				return
			}
			dt := paired(goAcc, torchAcc)
			t.Logf("PyTorch: median %.4f, mean %.4f over %d paired seeds; Go float32 median %.4f, mean %.4f", median(torchAcc),
				stat.Mean(torchAcc, nil), n, median(goAcc), stat.Mean(goAcc, nil))
			t.Logf("Go − PyTorch per seed: %v", dt)
			// Medians of so few, so coarse, so scattered accuracies move by a
			// window or two with the seed count alone; the paired comparison is
			// the measurement. Go fails when it is significantly below PyTorch.
			if n < 2 {
				t.Errorf("%d paired seeds: too few to compare with PyTorch", n)
			} else if dt.upper99 < 0 {
				t.Errorf("float32 validation accuracy significantly below PyTorch's: Go − PyTorch per seed %v", dt)
			}
		})
	}
}

// roundInput returns X with every value rounded to the int8 grid of p, as the
// int8 network sees it.
func roundInput(X *mat.Dense, p learn.QuantParams) *mat.Dense {
	r, c := X.Dims()
	out := mat.NewDense(r, c, nil)
	out.Apply(func(_, _ int, v float64) float64 { return p.Dequantize(p.QuantizeInput(v)) }, X)
	return out
}

// pairedDiff summarises per-seed differences a − b.
type pairedDiff struct {
	mean, lo95, hi95, upper99 float64 // mean, its two-sided 95 % interval, its one-sided 99 % upper bound
	wins, ties, losses, n     int
}

func (d pairedDiff) String() string {
	return fmt.Sprintf("mean %+.4f (95%% CI [%+.4f, %+.4f]; 99%% upper bound %+.4f), %d higher / %d equal / %d lower of %d",
		d.mean, d.lo95, d.hi95, d.upper99, d.wins, d.ties, d.losses, d.n)
}

// paired compares a and b seed by seed (Student's t interval of the mean difference).
func paired(a, b []float64) pairedDiff {
	d := make([]float64, len(a))
	p := pairedDiff{n: len(a)}
	for i := range a {
		d[i] = a[i] - b[i]
		switch {
		case d[i] > 1e-12:
			p.wins++
		case d[i] < -1e-12:
			p.losses++
		default:
			p.ties++
		}
	}
	p.mean = stat.Mean(d, nil)
	if len(d) < 2 {
		p.lo95, p.hi95, p.upper99 = math.Inf(-1), math.Inf(1), math.Inf(1)
		return p
	}
	se := stat.StdDev(d, nil) / math.Sqrt(float64(len(d)))
	tdist := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(len(d) - 1)}
	h := tdist.Quantile(0.975) * se
	p.lo95, p.hi95 = p.mean-h, p.mean+h
	p.upper99 = p.mean + tdist.Quantile(0.99)*se
	return p
}

func accuracy(t *testing.T, p learn.Predictor, X *mat.Dense, y, rows []int) float64 {
	out, err := learn.Predict(context.Background(), p, X, rows)
	if err != nil {
		t.Fatal(err)
	}
	c := 0
	for i, r := range rows {
		row := out.RawRowView(i)
		best := 0
		for j, v := range row {
			if v > row[best] {
				best = j
			}
		}
		if best == y[r] {
			c++
		}
	}
	return float64(c) / float64(len(rows))
}

// seedRange parses "N" (seeds 1..N, N ≥ 2) or "A-B" (seeds A..B, at least two).
func seedRange(v string) ([]uint64, error) {
	lo, hi := "1", v
	if a, b, ok := strings.Cut(v, "-"); ok {
		lo, hi = a, b
	}
	a, err1 := strconv.ParseUint(lo, 10, 32)
	b, err2 := strconv.ParseUint(hi, 10, 32)
	if err1 != nil || err2 != nil || a < 1 || b < a+1 {
		return nil, fmt.Errorf("want a number of seeds N ≥ 2 (seeds 1..N) or a range A-B of at least two seeds from 1")
	}
	var out []uint64
	for s := a; s <= b; s++ {
		out = append(out, s)
	}
	return out, nil
}

func export(t *testing.T, dir string, es *evalSet, cfg learn.Config, seeds []uint64, runs []*learn.Result) {
	type split struct {
		Seed int    `json:"seed"`
		T    []int  `json:"train"`
		V    []int  `json:"validation"`
		Init []byte `json:"init"` // the untrained network (learn's file format), base64
	}
	var splits []split
	for i, r := range runs {
		n, err := learn.New(cfg, es.in, es.labels, false, seeds[i])
		if err != nil {
			t.Fatal(err)
		}
		b, err := n.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		splits = append(splits, split{Seed: int(seeds[i]), T: r.Train, V: r.Validation, Init: b})
	}
	b, err := json.Marshal(map[string]any{
		"dataset": es.name, "input": es.in, "config": cfg.WithDefaults(), "labels": es.labels,
		"x": es.X, "y": es.y, "splits": splits,
	})
	if err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(dir, strings.ReplaceAll(es.name, "/", "_")+".json")
	if err := os.WriteFile(name, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}
