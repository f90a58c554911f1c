package realdata

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tinyimpulse/tinyimpulse/dataset"
	"github.com/tinyimpulse/tinyimpulse/impulse"
	"github.com/tinyimpulse/tinyimpulse/studio"
)

// reference is testdata/realdata/reference.json, written by reference.py.
type reference struct {
	Seeds    []int             `json:"seeds"`
	Versions map[string]any    `json:"versions"`
	Datasets []referenceResult `json:"datasets"`
}

type referenceResult struct {
	Dataset      string               `json:"dataset"`
	TrainWindows int                  `json:"trainWindows"`
	TestWindows  int                  `json:"testWindows"`
	Median       map[string]float64   `json:"median"`
	Runs         []map[string]float64 `json:"runs"`
}

// accuracies returns the reference's test accuracy of every seed.
func (r referenceResult) accuracies() []float64 {
	var out []float64
	for _, run := range r.Runs {
		if a, ok := run["accuracy"]; ok {
			out = append(out, a)
		}
	}
	return out
}

// problems returns what would keep the comparison from covering every
// dataset in names: a dataset without reference figures, figures for a
// dataset that is not there, and figures without a test accuracy for every
// seed, their median or the number of test windows.
func (r *reference) problems(names []string) []string {
	var out []string
	for _, n := range names {
		if !slices.ContainsFunc(r.Datasets, func(d referenceResult) bool { return d.Dataset == n }) {
			out = append(out, n+": no reference figures; export its features and run testdata/realdata/reference.py (see testdata/realdata/README.md)")
		}
	}
	for _, d := range r.Datasets {
		if !slices.Contains(names, d.Dataset) {
			out = append(out, d.Dataset+": reference figures, but no such folder in "+sharedDatasets)
		}
		if _, ok := d.Median["accuracy"]; !ok || len(d.Runs) != len(r.Seeds) || len(d.accuracies()) != len(d.Runs) || d.TestWindows <= 0 {
			out = append(out, fmt.Sprintf("%s: the reference figures lack the median accuracy, an accuracy for each of the %d seeds or the test window count", d.Dataset, len(r.Seeds)))
		}
	}
	return out
}

// referencePath is reference.json, or the file REALDATA_REFERENCE names
// (reference.py's output for other seeds).
func referencePath() string {
	if f := os.Getenv("REALDATA_REFERENCE"); f != "" {
		return f
	}
	return referenceFile
}

func readReference(t *testing.T) *reference {
	t.Helper()
	file := referencePath()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var r reference
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	if len(r.Seeds) == 0 {
		t.Fatalf("%s lists no seeds", file)
	}
	return &r
}

// run is one training and model testing of an impulse with one seed.
type run struct {
	seed uint64
	// accuracy is Studio's model-testing accuracy (uncertain below
	// min_score, anomaly above the anomaly threshold, both wrong) with the
	// selected model type (int8) and with the float32 network.
	accuracy, accuracyF32 float64
	// noAnomaly leaves the anomaly block's verdict out; argmax also the
	// min_score rule (float32 where noted).
	noAnomaly, argmax, argmaxF32 float64
	weightedF1                   float64
	auc                          float64
	hasAUC                       bool
	flagged                      int // windows the anomaly block calls anomalous
	// train is impulse.Train's wall-clock time (features, network, int8
	// conversion, validation metrics, estimates, anomaly block); fit the
	// part of it spent fitting the network and the anomaly block, which is
	// what the reference's time measures.
	train, fit  time.Duration
	testWindows int
}

// trainAndTest trains the impulse with one seed and tests it on the
// testing category, with the selected model type and with float32.
func trainAndTest(t *testing.T, im *impulse.Impulse, ds *dataset.Dataset, seed uint64) run {
	t.Helper()
	ctx := context.Background()
	var fit time.Duration
	var fitStart time.Time
	events := func(e studio.Event) {
		switch {
		case strings.HasPrefix(e.Data, "Training model..."), strings.HasPrefix(e.Data, "Training anomaly detection model ("):
			fitStart = time.Now()
		case strings.HasPrefix(e.Data, "Finished training"), strings.HasPrefix(e.Data, "Training anomaly detection model OK"):
			fit += time.Since(fitStart)
		}
	}
	start := time.Now()
	m, err := impulse.Train(ctx, im, ds, impulse.TrainOptions{Seed: seed, Events: events})
	if err != nil {
		t.Fatal(err)
	}
	r := run{seed: seed, train: time.Since(start), fit: fit}
	test := ds.Category(dataset.CategoryTesting)
	rep, err := m.Test(ctx, test, impulse.TestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Summary == nil || rep.Classification == nil {
		t.Fatal("the impulse has no classifier: only classification impulses have a reference (reference.py)")
	}
	good, bad := rep.Summary.Total()
	r.testWindows = good + bad
	r.accuracy = rep.Summary.Accuracy()
	r.weightedF1 = rep.Classification.Report.WeightedAvg.F1
	r.auc, r.hasAUC = rep.AnomalyAUC, rep.HasAnomalyAUC
	minScore := minimumConfidence(t, im)
	r.noAnomaly, r.argmax, r.flagged = classifierAccuracy(rep, m.Labels(), minScore)

	rep32, err := m.Test(ctx, test, impulse.TestOptions{ModelType: impulse.Float32})
	if err != nil {
		t.Fatal(err)
	}
	r.accuracyF32 = rep32.Summary.Accuracy()
	_, r.argmaxF32, _ = classifierAccuracy(rep32, m.Labels(), minScore)
	return r
}

// minimumConfidence is the first classifier's min_score.
func minimumConfidence(t *testing.T, im *impulse.Impulse) float64 {
	for _, lb := range im.Definition().Impulse.LearnBlocks {
		if lb.Type == studio.LearnKeras {
			cfg, _, err := im.KerasConfig(lb.ID)
			if err != nil {
				t.Fatal(err)
			}
			return cfg.MinimumConfidenceRating
		}
	}
	t.Fatal("the impulse has no classifier")
	return 0
}

// classifierAccuracy recomputes the accuracy of the classifier alone from
// the windows' scores: with the min_score rule and without (argmax), over
// the windows whose label the model knows; flagged counts the windows the
// anomaly block turned into "anomaly".
func classifierAccuracy(rep *impulse.TestReport, labels []string, minScore float64) (withMinScore, argmax float64, flagged int) {
	var n, good, goodArgmax int
	for _, w := range rep.Windows {
		if w.Label == impulse.ResultAnomaly {
			flagged++
		}
		if !slices.Contains(labels, w.Expected) {
			continue
		}
		n++
		best := labels[0]
		for _, l := range labels {
			if w.ScoresByLabel()[l] > w.ScoresByLabel()[best] {
				best = l
			}
		}
		if best == w.Expected {
			goodArgmax++
			if w.ScoresByLabel()[best] >= minScore {
				good++
			}
		}
	}
	return float64(good) / float64(n), float64(goodArgmax) / float64(n), flagged
}

// seeds are the reference's seeds, or 1..N with REALDATA_SEEDS=N, or A..B
// with REALDATA_SEEDS=A-B.
func seeds(t *testing.T, ref *reference) []uint64 {
	var out []uint64
	if s := os.Getenv("REALDATA_SEEDS"); s != "" {
		lo, hi := "1", s
		if a, b, ok := strings.Cut(s, "-"); ok {
			lo, hi = a, b
		}
		a, err1 := strconv.Atoi(lo)
		b, err2 := strconv.Atoi(hi)
		if err1 != nil || err2 != nil || a < 1 || b < a {
			t.Fatalf("REALDATA_SEEDS=%q: want a positive number of seeds N (seeds 1..N) or a range A-B", s)
		}
		for i := a; i <= b; i++ {
			out = append(out, uint64(i))
		}
		return out
	}
	for _, s := range ref.Seeds {
		out = append(out, uint64(s))
	}
	return out
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func values(runs []run, f func(run) float64) []float64 {
	v := make([]float64, len(runs))
	for i, r := range runs {
		v[i] = f(r)
	}
	return v
}

func medianOf(runs []run, f func(run) float64) float64 { return median(values(runs, f)) }

// medianSE is the standard error of the median of v, √(π/2)·s/√n for
// normally distributed values with sample standard deviation s.
func medianSE(v []float64) float64 {
	n := float64(len(v))
	if n < 2 {
		return 0
	}
	var m, ss float64
	for _, x := range v {
		m += x
	}
	m /= n
	for _, x := range v {
		ss += (x - m) * (x - m)
	}
	return math.Sqrt(math.Pi/2) * math.Sqrt(ss/(n-1)) / math.Sqrt(n)
}

// tolerance is how far Go's median may lie below the reference's: one
// test window (the resolution of the measurement), or, where the seed-to-seed
// spread of the two pipelines is larger, 1.645 standard errors of the
// difference of the two medians (a one-sided test at 5 %: a deficit within it
// is not evidence that Go is worse, only that the seeds fell differently).
func tolerance(goAcc, refAcc []float64, windows int) float64 {
	return max(1/float64(windows), 1.645*math.Hypot(medianSE(goAcc), medianSE(refAcc)))
}

// TestAgainstReference trains every dataset's impulse with the reference's
// seeds and requires Go's median test accuracy (Studio's model testing, with
// the selected int8 model and with the float32 one) to be at least the
// PyTorch + scikit-learn pipeline's median (reference.json) less a tolerance:
// one test window (a test set of N windows measures accuracy in steps of
// 1/N), or, where larger, what the seed-to-seed spread of both pipelines
// makes indistinguishable (see tolerance). Both margins are printed.
func TestAgainstReference(t *testing.T) {
	names := datasetNames(t)
	ref := readReference(t)
	if p := ref.problems(names); len(p) > 0 {
		t.Fatalf("%s does not cover the datasets:\n%s", referencePath(), strings.Join(p, "\n"))
	}
	byName := map[string]referenceResult{}
	for _, r := range ref.Datasets {
		byName[r.Dataset] = r
	}
	var table bytes.Buffer
	fmt.Fprintf(&table, "%-20s %5s %5s | %-53s | %-22s | %s\n", "", "", "", "Go (median over seeds)", "PyTorch+sklearn", "Go - ref, in test windows")
	fmt.Fprintf(&table, "%-20s %5s %5s | %7s %7s %7s %7s %6s %6s %7s | %7s %7s %6s | %6s %6s %6s\n",
		"dataset", "train", "test", "acc", "acc f32", "argmax", "wF1", "fit", "job", "flagged", "acc", "argmax", "time", "int8", "f32", "tol")
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			rr := byName[name]
			im, ds := load(t, name)
			var runs []run
			for _, s := range seeds(t, ref) {
				runs = append(runs, trainAndTest(t, im, ds, s))
			}
			n := runs[0].testWindows
			if n != rr.TestWindows {
				t.Errorf("%d test windows, the reference tested %d: reference.json is out of date", n, rr.TestWindows)
			}
			accs := values(runs, func(r run) float64 { return r.accuracy })
			accs32 := values(runs, func(r run) float64 { return r.accuracyF32 })
			acc, acc32, refAcc := median(accs), median(accs32), rr.Median["accuracy"]
			tol := tolerance(accs, rr.accuracies(), n)
			tol32 := tolerance(accs32, rr.accuracies(), n)
			for _, c := range []struct {
				variant string
				acc     float64
				tol     float64
			}{{"int8", acc, tol}, {"float32", acc32, tol32}} {
				if !(c.acc >= refAcc-c.tol-1e-9) { // a NaN accuracy fails too
					t.Errorf("median test accuracy (%s) %.4f is below the reference's %.4f by %.1f of %d test windows, more than the tolerance of %.1f",
						c.variant, c.acc, refAcc, (refAcc-c.acc)*float64(n), n, c.tol*float64(n))
				}
			}
			fmt.Fprintf(&table, "%-20s %5d %5d | %7.4f %7.4f %7.4f %7.4f %5.2fs %5.2fs %7.0f | %7.4f %7.4f %5.2fs | %+6.1f %+6.1f %6.1f\n", name,
				rr.TrainWindows, n, acc, acc32,
				medianOf(runs, func(r run) float64 { return r.argmax }),
				medianOf(runs, func(r run) float64 { return r.weightedF1 }),
				medianOf(runs, func(r run) float64 { return r.fit.Seconds() }),
				medianOf(runs, func(r run) float64 { return r.train.Seconds() }),
				medianOf(runs, func(r run) float64 { return float64(r.flagged) }),
				refAcc, rr.Median["accuracyArgmax"], rr.Median["trainSeconds"],
				(acc-refAcc)*float64(n), (acc32-refAcc)*float64(n), max(tol, tol32)*float64(n))
			var per []string
			for _, r := range runs {
				per = append(per, fmt.Sprintf("%d:%.3f/%.3f", r.seed, r.accuracy, r.argmax))
			}
			t.Logf("per seed (accuracy/argmax): %s", strings.Join(per, " "))
			if runs[0].hasAUC {
				t.Logf("anomaly AUC: Go %.4f, reference %.4f", medianOf(runs, func(r run) float64 { return r.auc }), rr.Median["anomalyAUC"])
			}
		})
	}
	t.Logf("seeds %v; acc: Studio's model-testing accuracy (uncertain below min_score 0.6 and anomaly above the K-means threshold count as wrong), int8 unless noted; argmax: the classifier's top class; fit: network and anomaly training; job: all of impulse.Train; flagged: test windows the anomaly block calls anomalous\n%s", seeds(t, ref), table.String())
}

// TestReferenceProblems checks that reference figures which do not cover
// the shared datasets are caught before anything is trained.
func TestReferenceProblems(t *testing.T) {
	full := referenceResult{Dataset: "a", TestWindows: 10, Median: map[string]float64{"accuracy": 0.5},
		Runs: []map[string]float64{{"accuracy": 0.4}, {"accuracy": 0.6}}}
	ref := &reference{Seeds: []int{1, 2}, Datasets: []referenceResult{full}}
	if p := ref.problems([]string{"a"}); len(p) != 0 {
		t.Errorf("complete figures: %q", p)
	}
	noMedian := full
	noMedian.Median = map[string]float64{"accuracyArgmax": 0.5}
	oneRun := full
	oneRun.Runs = full.Runs[:1]
	noAccuracy := full
	noAccuracy.Runs = []map[string]float64{{"accuracy": 0.4}, {"weightedF1": 0.6}}
	noWindows := full
	noWindows.TestWindows = 0
	for _, c := range []struct {
		name  string
		ref   []referenceResult
		names []string
		want  string
	}{
		{"dataset without figures", []referenceResult{full}, []string{"a", "b"}, "b: no reference figures"},
		{"figures without dataset", []referenceResult{full}, nil, "a: reference figures, but no such folder"},
		{"no median accuracy", []referenceResult{noMedian}, []string{"a"}, "lack the median accuracy"},
		{"fewer runs than seeds", []referenceResult{oneRun}, []string{"a"}, "lack the median accuracy"},
		{"a run without accuracy", []referenceResult{noAccuracy}, []string{"a"}, "lack the median accuracy"},
		{"no test windows", []referenceResult{noWindows}, []string{"a"}, "lack the median accuracy"},
	} {
		r := &reference{Seeds: ref.Seeds, Datasets: c.ref}
		if p := r.problems(c.names); len(p) != 1 || !strings.Contains(p[0], c.want) {
			t.Errorf("%s: problems %q, want one mentioning %q", c.name, p, c.want)
		}
	}
}
