package impulse_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tinyimpulse/tinyimpulse/dataset"
	"github.com/tinyimpulse/tinyimpulse/impulse"
	"github.com/tinyimpulse/tinyimpulse/internal/eischema"
	"github.com/tinyimpulse/tinyimpulse/internal/testenv"
	"github.com/tinyimpulse/tinyimpulse/learn"
	"github.com/tinyimpulse/tinyimpulse/studio"
)

var trainTime = time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)

func gestures(t *testing.T) (*impulse.Definition, *dataset.Dataset) {
	t.Helper()
	def, err := impulse.LoadDefinition("../testdata/impulses/gestures.json")
	if err != nil {
		t.Fatal(err)
	}
	ds, err := dataset.Load("../testdata/gestures")
	if err != nil {
		t.Fatal(err)
	}
	return def, ds
}

// TestTrainGestures trains the gestures impulse (spectral analysis, a
// classifier and K-means) on the project's synthetic gestures and checks the
// job's log and events, the results, the JSON against Edge Impulse's types,
// and model testing on the held-out recordings.
func TestTrainGestures(t *testing.T) {
	def, ds := gestures(t)
	var events []studio.Event
	m, err := compileTrain(context.Background(), def, ds, impulse.TrainOptions{Seed: 3, JobID: 7, Created: trainTime,
		Events: func(e studio.Event) { events = append(events, e) }})
	if err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	for _, e := range events[:len(events)-1] {
		if e.Type != studio.EventData || e.JobID != 7 {
			t.Fatalf("event %+v", e)
		}
		log.WriteString(e.Data)
	}
	if last := events[len(events)-1]; last.Type != studio.EventFinished || !last.Success {
		t.Errorf("last event %+v, want a successful job-finished", last)
	}
	for _, want := range []string{"Training on 435 inputs, validating on 109 inputs", "Epoch 30/30", " - val_accuracy: ",
		"Saving best performing model", "Converting TensorFlow Lite int8 quantized model", "Job completed"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q", want)
		}
	}
	// The structured progress: phases in the job's order, the fraction
	// never decreasing and reaching 1, one event per epoch with the
	// figures the model's history keeps.
	hist, err := m.History(3)
	if err != nil {
		t.Fatal(err)
	}
	var phases []string
	var epochs []learn.EpochStats
	last := 0.0
	for _, e := range events[:len(events)-1] {
		p := e.Progress
		if p == nil {
			t.Fatalf("event without progress: %+v", e)
		}
		if p.Fraction < last || p.Fraction > 1 {
			t.Errorf("fraction %v after %v", p.Fraction, last)
		}
		last = p.Fraction
		if len(phases) == 0 || phases[len(phases)-1] != p.Phase {
			phases = append(phases, p.Phase)
		}
		if p.Epoch != nil {
			if p.LearnBlockID != 3 || e.Data != p.Epoch.String()+"\n" {
				t.Errorf("epoch event of block %d, text %q for %+v", p.LearnBlockID, e.Data, p.Epoch)
			}
			epochs = append(epochs, *p.Epoch)
		}
	}
	wantPhases := []string{studio.PhaseStarting, studio.PhaseFeatures, studio.PhaseTraining, studio.PhaseQuantizing,
		studio.PhaseProfiling, studio.PhaseAnomaly, studio.PhaseDone}
	if !slices.Equal(phases, wantPhases) || last != 1 {
		t.Errorf("phases %v ending at %v, want %v ending at 1", phases, last, wantPhases)
	}
	if len(hist) != 30 || fmt.Sprint(epochs) != fmt.Sprint(hist) {
		t.Errorf("%d epochs in the history, events carried %d (%v / %v)", len(hist), len(epochs), hist, epochs)
	}

	d := m.Detailed()
	if len(d.Impulses) != 1 || len(d.Impulses[0].LearnBlockKerasConfigs) != 1 || len(d.Impulses[0].LearnBlockAnomalyConfigs) != 1 {
		t.Fatalf("detailed impulse has the wrong blocks: %+v", d)
	}
	k := d.Impulses[0].LearnBlockKerasConfigs[0]
	md := k.Metadata
	if k.Config.Shape != "(39,)" || len(md.ModelValidationMetrics) != 2 || md.RecommendedModelType != "int8" {
		t.Errorf("keras config %q, %d metric sets, recommended %q", k.Config.Shape, len(md.ModelValidationMetrics), md.RecommendedModelType)
	}
	for _, mm := range md.ModelValidationMetrics {
		if mm.Accuracy == nil || *mm.Accuracy < 0.95 {
			t.Errorf("%s validation accuracy %v, want at least 0.95 on these well separated gestures", mm.Type, mm.Accuracy)
		}
		if len(mm.ConfusionMatrix) != 4 || len(mm.OnDevicePerformance) == 0 || !mm.OnDevicePerformance[0].HasPerformance {
			t.Errorf("%s: confusion %v, performance %+v", mm.Type, mm.ConfusionMatrix, mm.OnDevicePerformance)
		}
	}
	eischema.Check(t, d, "GetAllDetailedImpulsesResponse")

	rep, err := m.Test(context.Background(), ds.Category(dataset.CategoryTesting), impulse.TestOptions{Created: trainTime})
	if err != nil {
		t.Fatal(err)
	}
	if acc := rep.Summary.Accuracy(); acc < 0.85 {
		t.Errorf("model testing accuracy %.3f, want at least 0.85", acc)
	}
	if !rep.HasAnomalyAUC || rep.AnomalyAUC < 0.95 {
		t.Errorf("anomaly AUC %v (%v), want at least 0.95: the shake recordings are far from every gesture", rep.AnomalyAUC, rep.HasAnomalyAUC)
	}
	eischema.Check(t, rep.Response(), "ClassifyJobResponse")

	est, err := m.Estimate("")
	if err != nil {
		t.Fatal(err)
	}
	var tab bytes.Buffer
	if err := est.WriteTable(&tab); err != nil || !strings.Contains(tab.String(), "NN int8") {
		t.Errorf("estimate table: %v\n%s", err, tab.String())
	}
}

// TestTrainDeterministic checks that the same seed gives the same models and
// the same JSON, byte for byte, and that a saved model classifies exactly
// as the trained one.
func TestTrainDeterministic(t *testing.T) {
	var outs [2][]byte
	var dirs [2]string
	for i := range outs {
		def, ds := gestures(t)
		m, err := compileTrain(context.Background(), def, ds, impulse.TrainOptions{Seed: 11, Created: trainTime})
		if err != nil {
			t.Fatal(err)
		}
		if outs[i], err = json.Marshal(m.Detailed()); err != nil {
			t.Fatal(err)
		}
		dirs[i] = filepath.Join(t.TempDir(), "model")
		if err := m.Save(dirs[i]); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(outs[0], outs[1]) {
		t.Fatal("two trainings with the same seed gave different impulses-detailed JSON")
	}
	entries, err := os.ReadDir(dirs[0])
	if err != nil || len(entries) != 5 {
		t.Fatalf("saved model holds %d files (%v), want 5: manifest, impulses-detailed, two networks, anomaly", len(entries), err)
	}
	for _, e := range entries {
		a, err1 := os.ReadFile(filepath.Join(dirs[0], e.Name()))
		b, err2 := os.ReadFile(filepath.Join(dirs[1], e.Name()))
		if err1 != nil || err2 != nil {
			t.Fatal(errors.Join(err1, err2))
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between the two trainings", e.Name())
		}
	}

	// Saved and loaded, the model classifies exactly as before.
	def, ds := gestures(t)
	m, err := compileTrain(context.Background(), def, ds, impulse.TrainOptions{Seed: 11, Created: trainTime})
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := impulse.LoadModel(dirs[0])
	if err != nil {
		t.Fatal(err)
	}
	h1, _ := m.History(3)
	h2, _ := loaded.History(3)
	if len(h1) == 0 || fmt.Sprint(h1) != fmt.Sprint(h2) {
		t.Errorf("history after loading:\n%v\nbefore:\n%v", h2, h1)
	}
	s := ds.Category(dataset.CategoryTesting)[0]
	c1, _ := m.NewClassifier()
	c2, _ := loaded.NewClassifier()
	r1, err1 := c1.ClassifySample(s, impulse.ClassificationWindows)
	r2, err2 := c2.ClassifySample(s, impulse.ClassificationWindows)
	if err1 != nil || err2 != nil || len(r1) == 0 || len(r1) != len(r2) {
		t.Fatalf("classify: %v, %v, %d and %d windows", err1, err2, len(r1), len(r2))
	}
	for i := range r1 {
		if r1[i].Label != r2[i].Label || r1[i].Anomaly != r2[i].Anomaly || r1[i].ScoresByLabel()[r1[i].Label] != r2[i].ScoresByLabel()[r2[i].Label] {
			t.Fatalf("window %d: trained %+v, loaded %+v", i, r1[i], r2[i])
		}
	}
}

// TestTrainCancelled cancels a job during training: it must stop, log
// "Terminated by user", report failure and return no model.
func TestTrainCancelled(t *testing.T) {
	def, ds := gestures(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var log strings.Builder
	var finished *studio.Event
	m, err := compileTrain(ctx, def, ds, impulse.TrainOptions{Seed: 3, Events: func(e studio.Event) {
		if e.Type == studio.EventFinished {
			finished = &e
			return
		}
		log.WriteString(e.Data)
		if strings.HasPrefix(e.Data, "Epoch 2/") {
			cancel()
		}
	}})
	if m != nil || !errors.Is(err, context.Canceled) {
		t.Fatalf("got model %v, error %v; want no model and context.Canceled", m != nil, err)
	}
	if !strings.Contains(log.String(), "Terminated by user") || finished == nil || finished.Success {
		t.Errorf("log %q, finished %+v", log.String(), finished)
	}
}

// TestTrainBadData checks the errors for data a job cannot use.
func TestTrainBadData(t *testing.T) {
	def, ds := gestures(t)
	var single []*dataset.Sample
	for _, s := range ds.Samples {
		if s.Label == "idle" {
			single = append(single, s)
		}
	}
	_, err := compileTrain(context.Background(), def, &dataset.Dataset{Dir: "one-class", Samples: single}, impulse.TrainOptions{})
	if !errors.Is(err, impulse.ErrDataset) || !strings.Contains(err.Error(), "single class") {
		t.Errorf("single class: %v", err)
	}
	def, _ = gestures(t)
	_, err = compileTrain(context.Background(), def, &dataset.Dataset{Dir: "testing-only", Samples: ds.Category(dataset.CategoryTesting)}, impulse.TrainOptions{})
	if !errors.Is(err, impulse.ErrDataset) || !strings.Contains(err.Error(), "no training samples") {
		t.Errorf("no training samples: %v", err)
	}
}

// TestTrainConcurrentJobs runs two jobs at once in one process: they share
// nothing, so each gives exactly what it gives alone.
func TestTrainConcurrentJobs(t *testing.T) {
	alone := func(seed uint64) []byte {
		def, ds := gestures(t)
		m, err := compileTrain(context.Background(), def, ds, impulse.TrainOptions{Seed: seed, Created: trainTime})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(m.Detailed())
		return b
	}
	want := [2][]byte{alone(1), alone(2)}
	var got [2][]byte
	errs := make(chan error, 2)
	for i := range got {
		go func() {
			def, ds := gestures(t)
			m, err := compileTrain(context.Background(), def, ds, impulse.TrainOptions{Seed: uint64(i + 1), JobID: i + 1, Created: trainTime})
			if err == nil {
				got[i], err = json.Marshal(m.Detailed())
			}
			errs <- err
		}()
	}
	for range got {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for i := range got {
		if !bytes.Equal(got[i], want[i]) {
			t.Errorf("job %d run alongside another differs from the same job alone", i+1)
		}
	}
	if bytes.Equal(want[0], want[1]) {
		t.Error("seeds 1 and 2 gave the same impulse")
	}
}

// TestModelValidation checks the accessors a program uses to print the
// validation results of a trained (or loaded) impulse.
func TestModelValidation(t *testing.T) {
	def, ds := gestures(t)
	m, err := compileTrain(context.Background(), def, ds, impulse.TrainOptions{Seed: 3, Created: trainTime})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "m")
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	loaded, err := impulse.LoadModel(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, mm := range []*impulse.Model{m, loaded} {
		c, err := mm.Validation(3, 0)
		if err != nil {
			t.Fatal(err)
		}
		want := *m.Detailed().Impulses[0].LearnBlockKerasConfigs[0].Metadata.ModelValidationMetrics[1].Accuracy
		if c.Report.Accuracy != want || c.Confusion.Total() != 109 {
			t.Errorf("int8 validation accuracy %v over %d windows, want %v over 109", c.Report.Accuracy, c.Confusion.Total(), want)
		}
		if e, err := mm.BestEpoch(3); err != nil || e < 1 || e > 30 {
			t.Errorf("best epoch %d, %v", e, err)
		}
	}
	if _, err := m.Validation(4, 0); err == nil {
		t.Error("the anomaly block has no validation metrics")
	}
}

// TestModelType checks that model testing switches between the int8 and
// float32 networks as asked, and that the switch leaves the model as it was.
func TestModelType(t *testing.T) {
	def, ds := gestures(t)
	m, err := compileTrain(context.Background(), def, ds, impulse.TrainOptions{Seed: 3, Created: trainTime})
	if err != nil {
		t.Fatal(err)
	}
	samples := ds.Category(dataset.CategoryTesting)
	run := func(modelType impulse.ModelType) []impulse.WindowResult {
		t.Helper()
		rep, err := m.Test(context.Background(), samples, impulse.TestOptions{Created: trainTime, ModelType: modelType})
		if err != nil {
			t.Fatal(err)
		}
		return rep.Windows
	}
	selected, int8, float32 := run(0), run(impulse.Int8), run(impulse.Float32)
	if len(int8) != 255 || len(float32) != len(int8) {
		t.Fatalf("%d int8 and %d float32 windows, want 255", len(int8), len(float32))
	}
	changed := 0
	for i := range int8 {
		a, b := int8[i], float32[i]
		if !equalScores(selected[i].ScoresByLabel(), a.ScoresByLabel()) {
			t.Fatalf("window %d: the selected type (int8) gave %v, int8 %v", i, selected[i].ScoresByLabel(), a.ScoresByLabel())
		}
		if a.Anomaly != b.Anomaly {
			t.Errorf("window %d: anomaly score %v with int8, %v with float32; the anomaly block has one model", i, a.Anomaly, b.Anomaly)
		}
		for label, p := range a.ScoresByLabel() {
			// The int8 output is quantised in steps of 1/256; with the
			// quantised input and weights the two stay within a few steps.
			if d := p - b.ScoresByLabel()[label]; d > 0.05 || d < -0.05 {
				t.Errorf("window %d %s: int8 %.4f, float32 %.4f", i, label, p, b.ScoresByLabel()[label])
			}
		}
		if !equalScores(a.ScoresByLabel(), b.ScoresByLabel()) {
			changed++
		}
	}
	if changed == 0 {
		t.Error("float32 gave the int8 scores on every window: the model type was not switched")
	}
	if again := run(0); !equalScores(again[0].ScoresByLabel(), selected[0].ScoresByLabel()) {
		t.Error("switching the model type changed the model")
	}
	if _, err := m.Test(context.Background(), samples, impulse.TestOptions{ModelType: 7}); err == nil || !strings.Contains(err.Error(), "model type 7") {
		t.Errorf("model type 7: error %v, want one naming it", err)
	}
	if _, err := impulse.ParseModelType("float16"); err == nil || !strings.Contains(err.Error(), `"float16"`) {
		t.Errorf("ParseModelType(float16): error %v, want one naming it", err)
	}
}

func equalScores(a, b map[string]float64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestResponseEveryLearnBlock trains an impulse with two classifiers and two
// anomaly blocks: model testing's response lists every block with its own
// results (the first of each kind decides the window's result), which must
// equal what the same blocks give when they come first; a sample too short
// for a window is listed with empty results.
func TestResponseEveryLearnBlock(t *testing.T) {
	t.Parallel()
	blocks := []string{
		`{"id": 3, "type": "keras", "name": "NN 30", "dsp": [2]}`,
		`{"id": 5, "type": "keras", "name": "NN 8", "dsp": [2]}`,
		`{"id": 4, "type": "anomaly", "name": "K-means 32", "dsp": [2]}`,
		`{"id": 6, "type": "anomaly", "name": "K-means 4", "dsp": [2]}`,
	}
	def := func(order ...int) *impulse.Definition {
		var lb []string
		for _, i := range order {
			lb = append(lb, blocks[i])
		}
		d, err := impulse.ParseDefinition([]byte(`{"impulse": {
		  "inputBlocks": [{"id": 1, "type": "time-series", "windowSizeMs": 2000, "windowIncreaseMs": 240, "padZeros": false}],
		  "dspBlocks": [{"id": 2, "type": "spectral-analysis", "axes": ["accX", "accY", "accZ"]}],
		  "learnBlocks": [` + strings.Join(lb, ",") + `]},
		  "dsp": {"2": {"fft-length": 16}},
		  "learn": {"3": {"trainingCycles": 30}, "5": {"trainingCycles": 8}, "4": {"clusterCount": 32}, "6": {"clusterCount": 4}}}`))
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	_, ds := gestures(t)
	test := func(d *impulse.Definition, samples []*dataset.Sample) *impulse.TestReport {
		t.Helper()
		m, err := compileTrain(context.Background(), d, ds, impulse.TrainOptions{Seed: 3, Created: trainTime})
		if err != nil {
			t.Fatal(err)
		}
		rep, err := m.Test(context.Background(), samples, impulse.TestOptions{Created: trainTime})
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	samples := ds.Category(dataset.CategoryTesting)[:3]
	short := *samples[0]
	short.Values = short.Values[:3*len(short.Sensors)]
	both := test(def(0, 1, 2, 3), append(samples, &short))
	swapped := test(def(1, 0, 3, 2), samples)

	resp := both.Response()
	differ := 0
	row := 0
	for i, mr := range resp.Result[:len(samples)] {
		if len(mr.Classifications) != 4 {
			t.Fatalf("sample %d: %d learn blocks in the response, want 4", i, len(mr.Classifications))
		}
		for j, sc := range mr.Classifications {
			if want := []int{3, 5, 4, 6}[j]; sc.LearnBlock.ID != want {
				t.Fatalf("sample %d: block %d is learn block %d, want %d", i, j, sc.LearnBlock.ID, want)
			}
		}
		for j := range mr.Classifications[0].Result {
			w, sw := both.Windows[row+j], swapped.Windows[row+j]
			first, second := mr.Classifications[0].Result[j], mr.Classifications[1].Result[j]
			if !equalScores(first, w.ScoresByLabel()) || !equalScores(second, sw.ScoresByLabel()) {
				t.Fatalf("sample %d window %d: networks gave %v and %v, want %v (block 3) and %v (block 5 alone first)",
					i, j, first, second, w.ScoresByLabel(), sw.ScoresByLabel())
			}
			if !equalScores(first, second) {
				differ++
			}
			a1, a2 := mr.Classifications[2].Result[j][impulse.ResultAnomaly], mr.Classifications[3].Result[j][impulse.ResultAnomaly]
			if a1 != w.Anomaly || a2 != sw.Anomaly || a1 == a2 {
				t.Fatalf("sample %d window %d: anomaly scores %v and %v, want %v (block 4) and %v (block 6 alone first), which differ",
					i, j, a1, a2, w.Anomaly, sw.Anomaly)
			}
		}
		row += len(mr.Classifications[0].Result)
	}
	if row != len(both.Windows) || row == 0 {
		t.Fatalf("%d windows in the response, %d in the report", row, len(both.Windows))
	}
	if differ == 0 {
		t.Error("the two networks gave the same scores on every window: the test cannot tell them apart")
	}
	last := resp.Result[len(samples)]
	for _, sc := range last.Classifications {
		if sc.Result == nil || len(sc.Result) != 0 || sc.ResultCount != 0 {
			t.Errorf("short sample, block %d: result %v (nil %v), want empty", sc.LearnBlock.ID, sc.Result, sc.Result == nil)
		}
	}
}

// TestModelTestErrors checks that model testing reports the first failing
// sample in sample order whatever the number of workers, and cancellation.
func TestModelTestErrors(t *testing.T) {
	t.Parallel()
	def, ds := gestures(t)
	m, err := compileTrain(context.Background(), def, ds, impulse.TrainOptions{Seed: 3, Created: trainTime})
	if err != nil {
		t.Fatal(err)
	}
	var samples []*dataset.Sample
	for i, s := range ds.Category(dataset.CategoryTesting)[:12] {
		c := *s
		if i == 5 || i == 9 {
			// Without accZ: the DSP block cannot read the sample.
			c.Sensors = slices.Clone(s.Sensors)
			c.Sensors[2].Name = "gyrZ"
		}
		samples = append(samples, &c)
	}
	for _, workers := range []int{1, 2, 4, 12} {
		_, err := m.Test(context.Background(), samples, impulse.TestOptions{Workers: workers})
		if err == nil || !strings.Contains(err.Error(), samples[5].Path) || !strings.Contains(err.Error(), `no axis "accZ"`) {
			t.Errorf("%d workers: error %v, want one about %s", workers, err, samples[5].Path)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if rep, err := m.Test(ctx, samples[:4], impulse.TestOptions{}); rep != nil || !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: report %v, error %v; want context.Canceled", rep != nil, err)
	}
}

// TestTrainRegression trains a regression network on the gestures, labelled
// 0…3 (with white space around some labels), and checks model testing's
// mean squared error against the windows' values and the response's
// {"value": v} results.
func TestTrainRegression(t *testing.T) {
	t.Parallel()
	_, ds := gestures(t)
	values := map[string]string{"idle": "0", "updown": " 1", "circle": "2 ", "flick": "3"}
	relabelled := &dataset.Dataset{Dir: ds.Dir}
	for _, s := range ds.Samples {
		c := *s
		c.Label = values[s.Label]
		relabelled.Samples = append(relabelled.Samples, &c)
	}
	def, err := impulse.ParseDefinition([]byte(`{"impulse": {
	  "inputBlocks": [{"id": 1, "type": "time-series", "windowSizeMs": 2000, "windowIncreaseMs": 240, "padZeros": false}],
	  "dspBlocks": [{"id": 2, "type": "spectral-analysis", "axes": ["accX", "accY", "accZ"]}],
	  "learnBlocks": [{"id": 3, "type": "keras-regression", "dsp": [2]}]},
	  "dsp": {"2": {"fft-length": 16}}, "learn": {"3": {"trainingCycles": 10}}}`))
	if err != nil {
		t.Fatal(err)
	}
	m, err := compileTrain(context.Background(), def, relabelled, impulse.TrainOptions{Seed: 3, Created: trainTime})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := m.Test(context.Background(), relabelled.Category(dataset.CategoryTesting), impulse.TestOptions{Created: trainTime})
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	n := 0
	for _, w := range rep.Windows {
		y, err := strconv.ParseFloat(strings.TrimSpace(w.Expected), 64)
		if err != nil {
			continue // the shake recordings have no number
		}
		d := w.Value - y
		sum += d * d
		n++
	}
	if want := sum / float64(n); n == 0 || rep.Summary != nil || math.Abs(rep.MSE-want) > 1e-12 {
		t.Errorf("MSE %v over the numbered windows, want %v over %d; summary %v", rep.MSE, want, n, rep.Summary)
	}
	resp := rep.Response()
	if got := resp.Result[0].Classifications[0].Result[0]["value"]; got != rep.Windows[0].Value {
		t.Errorf("response value %v, want %v", got, rep.Windows[0].Value)
	}
	if resp.Accuracy.MSEScore == nil || *resp.Accuracy.MSEScore != rep.MSE {
		t.Errorf("response mseScore %v, want %v", resp.Accuracy.MSEScore, rep.MSE)
	}
	var tab strings.Builder
	if err := rep.WriteTable(&tab); err != nil || !strings.Contains(tab.String(), "Mean squared error: ") {
		t.Errorf("table %q, %v", tab.String(), err)
	}
	if err := rep.WriteTable(failingWriter{}); err == nil {
		t.Error("WriteTable to a failing writer: no error")
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

// TestLoadModelErrors damages a saved model in turn in each way LoadModel
// must notice: every one gives an error wrapping ErrModel, never a model
// that panics later (classes fewer than the network's outputs, no
// validation metrics, an unknown model type).
func TestLoadModelErrors(t *testing.T) {
	t.Parallel()
	def, ds := gestures(t)
	m, err := compileTrain(context.Background(), def, ds, impulse.TrainOptions{Seed: 3, Created: trainTime})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "model")
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	type manifest = map[string]any
	keras := func(man manifest) manifest { return man["keras"].([]any)[0].(manifest) }
	cases := []struct {
		name   string
		damage func(man manifest, dir string) error
	}{
		{"format", func(man manifest, _ string) error { man["format"] = "other"; return nil }},
		{"version", func(man manifest, _ string) error { man["version"] = 99; return nil }},
		{"file outside", func(man manifest, _ string) error { keras(man)["float32"] = "../impulse.json"; return nil }},
		{"missing file", func(_ manifest, dir string) error { return os.Remove(filepath.Join(dir, "learn-3-int8.bin")) }},
		{"truncated network", func(_ manifest, dir string) error {
			return os.WriteFile(filepath.Join(dir, "learn-3-float32.bin"), []byte("tinyimpulse"), 0o644)
		}},
		{"unknown block", func(man manifest, _ string) error { keras(man)["id"] = 9; return nil }},
		{"fewer classes", func(man manifest, _ string) error {
			k := keras(man)
			k["classes"] = k["classes"].([]any)[1:]
			return nil
		}},
		{"no metrics", func(man manifest, _ string) error {
			keras(man)["metadata"].(manifest)["modelValidationMetrics"] = []any{}
			return nil
		}},
		{"model type", func(man manifest, _ string) error { keras(man)["variant"] = "float16"; return nil }},
		{"regression flag", func(man manifest, _ string) error { keras(man)["regression"] = true; return nil }},
	}
	for _, c := range cases {
		bad := filepath.Join(t.TempDir(), "model")
		if err := os.CopyFS(bad, os.DirFS(dir)); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(filepath.Join(bad, "impulse.json"))
		if err != nil {
			t.Fatal(err)
		}
		var man manifest
		if err := json.Unmarshal(data, &man); err != nil {
			t.Fatal(err)
		}
		if err := c.damage(man, bad); err != nil {
			t.Fatal(err)
		}
		if data, err = json.Marshal(man); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(bad, "impulse.json"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		if got, err := impulse.LoadModel(bad); got != nil || !errors.Is(err, impulse.ErrModel) {
			t.Errorf("%s: model %v, error %v; want an error wrapping ErrModel", c.name, got != nil, err)
		}
	}
	if _, err := impulse.LoadModel(filepath.Join(t.TempDir(), "none")); !errors.Is(err, impulse.ErrModel) {
		t.Errorf("missing folder: error %v", err)
	}
}

// compileTrain compiles def against ds and trains it.
func compileTrain(ctx context.Context, def *impulse.Definition, ds *dataset.Dataset, opt impulse.TrainOptions) (*impulse.Model, error) {
	im, err := impulse.Compile(def, ds)
	if err != nil {
		return nil, err
	}
	return impulse.Train(ctx, im, ds, opt)
}

// TestModelZip checks the one-file form of a model: WriteTo gives the same
// bytes every time, ReadModel and LoadModelFS (on the zip, and on a saved
// folder) give a model that classifies exactly as the trained one, and a
// damaged zip is an error wrapping ErrModel.
func TestModelZip(t *testing.T) {
	def, ds := gestures(t)
	m, err := compileTrain(context.Background(), def, ds, impulse.TrainOptions{Seed: 5, Created: trainTime})
	if err != nil {
		t.Fatal(err)
	}
	var z1, z2 bytes.Buffer
	n, err := m.WriteTo(&z1)
	if err != nil || n != int64(z1.Len()) {
		t.Fatalf("WriteTo: %d bytes, %v (buffer holds %d)", n, err, z1.Len())
	}
	if _, err := m.WriteTo(&z2); err != nil || !bytes.Equal(z1.Bytes(), z2.Bytes()) {
		t.Fatalf("two WriteTo calls differ (%v)", err)
	}
	dir := filepath.Join(t.TempDir(), "m")
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	fromZip, err := impulse.ReadModel(bytes.NewReader(z1.Bytes()), int64(z1.Len()))
	if err != nil {
		t.Fatal(err)
	}
	fromFS, err := impulse.LoadModelFS(os.DirFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	s := ds.Category(dataset.CategoryTesting)[0]
	want := classifyAll(t, m, s)
	for name, mm := range map[string]*impulse.Model{"ReadModel": fromZip, "LoadModelFS": fromFS} {
		if got := classifyAll(t, mm, s); got != want {
			t.Errorf("%s classifies differently:\n%s\nwant\n%s", name, got, want)
		}
		a, _ := json.Marshal(mm.Detailed())
		b, _ := json.Marshal(m.Detailed())
		if !bytes.Equal(a, b) {
			t.Errorf("%s: impulses-detailed differs", name)
		}
	}
	// Every truncation is an error, never a panic.
	data := z1.Bytes()
	for cut := 0; cut < len(data); cut += max(1, len(data)/97) {
		if got, err := impulse.ReadModel(bytes.NewReader(data[:cut]), int64(cut)); got != nil || !errors.Is(err, impulse.ErrModel) {
			t.Fatalf("zip cut at %d of %d bytes: %v", cut, len(data), err)
		}
	}
}

// classifyAll returns the results of every window of s as JSON lines.
func classifyAll(t *testing.T, m *impulse.Model, s *dataset.Sample) string {
	t.Helper()
	c, err := m.NewClassifier()
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.ClassifySample(s, impulse.ClassificationWindows)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, r := range res {
		r.Timing = impulse.Timing{}
		j, _ := json.Marshal(r)
		b.Write(append(j, '\n'))
	}
	return b.String()
}

// TestClassifyBuffer classifies raw windows, as a device's run_classifier
// does: every window of a testing sample, cut from the sample's values by
// hand, gives exactly what ClassifyWindow gives for it, with no allocation
// once the Result has been used; windows of the wrong length are errors.
func TestClassifyBuffer(t *testing.T) {
	def, ds := gestures(t)
	m, err := compileTrain(context.Background(), def, ds, impulse.TrainOptions{Seed: 3, Created: trainTime})
	if err != nil {
		t.Fatal(err)
	}
	c, err := m.NewClassifier()
	if err != nil {
		t.Fatal(err)
	}
	in := m.Definition().Impulse.InputBlocks[0]
	n := int(math.Round(float64(in.WindowSizeMs) * in.FrequencyHz / 1000))
	if c.WindowLen() != n*len(in.Axes) {
		t.Fatalf("WindowLen %d, want %d values of %d axes", c.WindowLen(), n, len(in.Axes))
	}
	s := ds.Category(dataset.CategoryTesting)[0]
	if math.Abs(s.FrequencyHz()-in.FrequencyHz) > 1e-9 || len(s.Sensors) != len(in.Axes) {
		t.Fatalf("sample %s is not on the impulse's grid", s.Path)
	}
	want, err := c.ClassifySample(s, impulse.ClassificationWindows)
	if err != nil {
		t.Fatal(err)
	}
	stride := int(math.Round(float64(in.ClassificationWindowIncreaseMs) * in.FrequencyHz / 1000))
	k := len(in.Axes)
	var r impulse.Result
	for i, w := range want {
		buf := s.Values[i*stride*k : (i*stride+n)*k]
		if err := c.Classify(&r, buf); err != nil {
			t.Fatal(err)
		}
		if r.Label != w.Label || r.Anomaly != w.Anomaly || !slices.Equal(r.Scores, w.Scores) || !slices.Equal(r.Labels, m.Labels()) {
			t.Fatalf("window %d: buffer gave %s %v %v, the sample's window %s %v %v", i, r.Label, r.Scores, r.Anomaly, w.Label, w.Scores, w.Anomaly)
		}
	}
	buf := s.Values[:n*k]
	if a := testing.AllocsPerRun(20, func() { c.Classify(&r, buf) }); a != 0 && !raceEnabled {
		t.Errorf("Classify allocates %v times per window", a)
	}
	if err := c.Classify(&r, buf[:len(buf)-1]); err == nil {
		t.Error("a window one value short: no error")
	}
	// A window of another sample, or one starting after the sample's end,
	// is an error, not a panic.
	long := want[len(want)-1]
	short := &dataset.Sample{ID: s.ID, Path: "short.json", IntervalMs: s.IntervalMs, Sensors: s.Sensors, Values: s.Values[:n*k]}
	wins, err := m.Impulse().NewProcessor()
	if err != nil {
		t.Fatal(err)
	}
	ws, err := wins.Windows(nil, s, impulse.ClassificationWindows)
	if err != nil {
		t.Fatal(err)
	}
	other := *s
	other.ID = s.ID + 1000
	// AppendWindow gives each window's raw values as the device takes them:
	// here, on the impulse's grid, the sample's own values.
	for i, w := range ws {
		got, err := wins.AppendWindow(nil, s, w)
		if err != nil {
			t.Fatal(err)
		}
		var want []float64
		for j := i * stride; j < i*stride+n; j++ {
			if j < s.Len() {
				want = append(want, s.Values[j*k:(j+1)*k]...)
			} else {
				want = append(want, make([]float64, k)...)
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("AppendWindow of window %d differs from the sample's values", i)
		}
	}
	if _, err := wins.AppendWindow(nil, short, ws[len(ws)-1]); err == nil || !strings.Contains(err.Error(), "starts after") {
		t.Errorf("AppendWindow of a window at %d ms of a %d-value sample: %v", long.StartMs, n, err)
	}
	if _, err := wins.AppendWindow(nil, &other, ws[0]); err == nil || !strings.Contains(err.Error(), "is one of sample") {
		t.Errorf("AppendWindow of another sample's window: %v", err)
	}
	if _, err := c.ClassifyWindow(short, ws[len(ws)-1]); err == nil || !strings.Contains(err.Error(), "starts after") {
		t.Errorf("window at %d ms of a %d-value sample: %v", long.StartMs, n, err)
	}
	if _, err := c.ClassifyWindow(&other, ws[0]); err == nil || !strings.Contains(err.Error(), "is one of sample") {
		t.Errorf("window of another sample: %v", err)
	}
}

// TestTrainConcurrently trains and tests one compiled impulse from many
// goroutines at once (run with -race): nothing is shared, and every run
// with the same seed gives the same model.
func TestTrainConcurrently(t *testing.T) {
	def, ds := gestures(t)
	im, err := impulse.Compile(def, ds)
	if err != nil {
		t.Fatal(err)
	}
	const n = 6
	zips := make([][]byte, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m, err := impulse.Train(context.Background(), im, ds, impulse.TrainOptions{Seed: uint64(1 + i%2), Created: trainTime, Workers: 1})
			if err != nil {
				errs[i] = err
				return
			}
			if _, err := m.Test(context.Background(), ds.Category(dataset.CategoryTesting), impulse.TestOptions{Created: trainTime, Workers: 2}); err != nil {
				errs[i] = err
				return
			}
			var b bytes.Buffer
			_, errs[i] = m.WriteTo(&b)
			zips[i] = b.Bytes()
		}()
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("run %d: %v", i, errs[i])
		}
		if !bytes.Equal(zips[i], zips[i%2]) {
			t.Errorf("run %d (seed %d) differs from run %d with the same seed", i, 1+i%2, i%2)
		}
	}
	if bytes.Equal(zips[0], zips[1]) {
		t.Error("seeds 1 and 2 gave the same model")
	}
}

// TestModelAccessors: the trained parts a generator reads are the ones the
// model classifies with.
func TestModelAccessors(t *testing.T) {
	def, ds := gestures(t)
	m, err := compileTrain(context.Background(), def, ds, impulse.TrainOptions{Seed: 3, Created: trainTime})
	if err != nil {
		t.Fatal(err)
	}
	a, err := m.Anomaly(4)
	if err != nil || a == nil {
		t.Fatalf("Anomaly(4): %v", err)
	}
	th, err := m.Threshold(3)
	if err != nil || th != 0.6 {
		t.Errorf("Threshold(3) = %v, %v; want Studio's 0.6", th, err)
	}
	mt, err := m.ModelType(3)
	if err != nil || mt != impulse.Int8 {
		t.Errorf("ModelType(3) = %v, %v", mt, err)
	}
	f32, _ := m.WithModelType(impulse.Float32)
	if mt, _ := f32.ModelType(3); mt != impulse.Float32 {
		t.Errorf("after WithModelType(Float32): %v", mt)
	}
	if _, err := m.Anomaly(3); err == nil {
		t.Error("Anomaly of the keras block: no error")
	}
	if _, err := m.Threshold(4); err == nil {
		t.Error("Threshold of the anomaly block: no error")
	}
	// The anomaly score the classifier reports is the model's.
	c, _ := m.NewClassifier()
	s := ds.Category(dataset.CategoryTesting)[0]
	res, err := c.ClassifySample(s, impulse.ClassificationWindows)
	if err != nil {
		t.Fatal(err)
	}
	f, err := m.Impulse().GenerateFeatures(context.Background(), []*dataset.Sample{s}, &impulse.FeatureOptions{Mode: impulse.ClassificationWindows})
	if err != nil {
		t.Fatal(err)
	}
	X, _ := f.Learn(4)
	if got := a.Score(X.RawRowView(0)); got != res[0].Anomaly {
		t.Errorf("Anomaly(4).Score = %v, the classifier said %v", got, res[0].Anomaly)
	}
}

// TestCompactDataset: a dataset loaded with dataset.LoadOptions.CompactAudio
// (WAV values kept as int16) trains the same model, byte for byte, and tests
// and reports the same as one loaded with dataset.Load.
func TestCompactDataset(t *testing.T) {
	def, err := impulse.LoadDefinition(testenv.Testdata("impulses", "keywords.json"))
	if err != nil {
		t.Fatal(err)
	}
	var zips [2][]byte
	var tests [2][]byte
	for i, opt := range []dataset.LoadOptions{{}, {CompactAudio: true}} {
		ds, err := dataset.LoadWith(testenv.Testdata("keywords"), opt)
		if err != nil {
			t.Fatal(err)
		}
		m, err := compileTrain(context.Background(), def, ds, impulse.TrainOptions{Seed: 2, Created: trainTime})
		if err != nil {
			t.Fatal(err)
		}
		var z bytes.Buffer
		if _, err := m.WriteTo(&z); err != nil {
			t.Fatal(err)
		}
		zips[i] = z.Bytes()
		rep, err := m.Test(context.Background(), ds.Category(dataset.CategoryTesting), impulse.TestOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for w := range rep.Windows {
			rep.Windows[w].Timing = impulse.Timing{} // wall-clock times
		}
		if tests[i], err = json.Marshal(rep); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(zips[0], zips[1]) {
		t.Error("the compactly loaded dataset trained a different model")
	}
	if !bytes.Equal(tests[0], tests[1]) {
		t.Error("model testing differs on the compactly loaded dataset")
	}
}
