package learn

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func kwsLike(n int, seed uint64) (Dataset, Input) {
	in := Input{Kind: InputMFCC, Width: 10, Height: 13}
	d := blobs(n, in.Features(), 3, 2, seed)
	return d, in
}

func TestTrainDeterministic(t *testing.T) {
	t.Parallel()
	d, in := kwsLike(150, 2)
	cfg := DefaultConfig(in)
	cfg.TrainingCycles = 4
	cfg.AutoClassWeights = true
	run := func(seed uint64) *Network {
		res, err := Train(context.Background(), cfg, in, d, Options{Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		return res.Network
	}
	a, b, c := run(7), run(7), run(8)
	if !slices.Equal(a.params, b.params) || !slices.Equal(a.state, b.state) {
		t.Error("same seed gave different weights")
	}
	if slices.Equal(a.params, c.params) {
		t.Error("different seeds gave the same weights")
	}
}

// TestTrainParallelDeterministic: a network big enough to split its batches over
// two goroutines still trains to the same weights, bit for bit, every time.
func TestTrainParallelDeterministic(t *testing.T) {
	t.Parallel()
	in := Input{Kind: InputMFCC, Width: 50, Height: 13}
	d := blobs(96, in.Features(), 3, 2, 5)
	cfg := DefaultConfig(in)
	cfg.TrainingCycles = 2
	n, err := build(cfg, in, 3, false)
	if err != nil || !parallel(n) {
		t.Fatalf("the default MFCC network should train in parallel (%v)", err)
	}
	var first []float32
	for range 3 {
		res, err := Train(context.Background(), cfg, in, d, Options{Seed: 9})
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = res.Network.params
		} else if !slices.Equal(first, res.Network.params) {
			t.Fatal("parallel training is not reproducible")
		}
	}
}

// TestTrainAnyCores: a network that splits its batches over two goroutines
// trains to the same weights, bit for bit, on one core as on all of them.
// (Not parallel: it sets GOMAXPROCS.)
func TestTrainAnyCores(t *testing.T) {
	in := Input{Kind: InputImage, Width: 12, Height: 12, Channels: 1}
	d := blobs(64, in.Features(), 3, 2, 6)
	cfg := DefaultConfig(in)
	cfg.TrainingCycles = 2
	if n, err := build(cfg, in, 3, false); err != nil || !parallel(n) {
		t.Fatalf("the default image network should train in parallel (%v)", err)
	}
	var got [2][]float32
	for i, procs := range []int{1, max(2, runtime.NumCPU())} {
		old := runtime.GOMAXPROCS(procs)
		res, err := Train(context.Background(), cfg, in, d, Options{Seed: 3})
		runtime.GOMAXPROCS(old)
		if err != nil {
			t.Fatal(err)
		}
		got[i] = res.Network.params
	}
	if !slices.Equal(got[0], got[1]) {
		t.Fatal("GOMAXPROCS 1 and all cores trained different weights")
	}
}

// TestParallelStepMatchesSerial: splitting a batch over the peer gives the same
// loss and update as one trainer, up to float32 rounding of the gradient sum.
func TestParallelStepMatchesSerial(t *testing.T) {
	t.Parallel()
	c := gradCases()[3] // conv1d with dropout: masks differ, so drop the dropout
	c.layers = slices.DeleteFunc(slices.Clone(c.layers), func(l VisualLayer) bool { return l.Type == "dropout" || l.Type == "batchNormalization" })
	netA, trA := newCaseNet(t, c, 6, 3)
	netB, trB := newCaseNet(t, c, 6, 3)
	trB.startPeer(3)
	defer trB.stop()
	rows := []int{0, 1, 2, 3, 4, 5}
	la, ca := trA.step(rows, 0.01)
	lb, cb := trB.step(rows, 0.01)
	if !close32(la, lb, 1e-6, 1e-6) || ca != cb {
		t.Errorf("loss %v/%v, correct %d/%d", la, lb, ca, cb)
	}
	for i := range netA.params {
		if !close32(float64(netA.params[i]), float64(netB.params[i]), 1e-6, 1e-5) {
			t.Errorf("param %d: %v serial, %v parallel", i, netA.params[i], netB.params[i])
		}
	}
}

func TestTrainCancel(t *testing.T) {
	t.Parallel()
	d, in := kwsLike(150, 3)
	cfg := DefaultConfig(in)
	ctx, cancel := context.WithCancel(context.Background())
	epochs := 0
	res, err := Train(ctx, cfg, in, d, Options{Seed: 1, Progress: func(s EpochStats) {
		epochs++
		if s.Epoch == 2 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) || res != nil {
		t.Fatalf("got %v, %v; want context.Canceled and no result", res, err)
	}
	if epochs != 2 {
		t.Errorf("%d epochs ran after cancelling in epoch 2", epochs)
	}
}

func TestTrainBestEpochAndSplit(t *testing.T) {
	t.Parallel()
	d := blobs(101, 8, 2, 3, 4) // heavily overlapping: the validation loss rises again
	cfg := Config{TrainingCycles: 40, LearningRate: 0.02, VisualLayers: []VisualLayer{{Type: "dense", Neurons: 32}, {Type: "dense", Neurons: 32}}}
	res, err := Train(context.Background(), cfg, Input{Kind: InputFlat, Width: 8}, d, Options{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Validation) != 21 || len(res.Train) != 80 { // ceil(0.2·101) = 21
		t.Errorf("split %d/%d, want 80/21", len(res.Train), len(res.Validation))
	}
	all := append(slices.Clone(res.Train), res.Validation...)
	slices.Sort(all)
	for i, v := range all {
		if v != i {
			t.Fatal("train and validation rows are not a partition of the rows")
		}
	}
	best := 0
	for i, s := range res.History {
		if s.ValLoss < res.History[best].ValLoss {
			best = i
		}
	}
	if res.BestEpoch != best+1 {
		t.Errorf("best epoch %d, lowest validation loss in epoch %d", res.BestEpoch, best+1)
	}
	// The kept network reproduces the best epoch's validation accuracy.
	p, err := Predict(context.Background(), res.Network, d.X, res.Validation)
	if err != nil {
		t.Fatal(err)
	}
	correct := 0
	for i, r := range res.Validation {
		if argmax(p.RawRowView(i)) == d.Y[r] {
			correct++
		}
	}
	if got, want := float64(correct)/21, res.History[best].ValAccuracy; got != want {
		t.Errorf("kept network has validation accuracy %v, best epoch reported %v", got, want)
	}
}

// TestClassWeights: 6 training windows of class 0, 2 of class 1, none of class 2:
// w = N/count/present = 8/6/2 and 8/2/2.
func TestClassWeights(t *testing.T) {
	t.Parallel()
	y := []int{0, 0, 0, 0, 0, 0, 1, 1, 2}
	w := classWeights(y, []int{0, 1, 2, 3, 4, 5, 6, 7}, 3)
	if want := []float64{8.0 / 6 / 2, 8.0 / 2 / 2, 1}; !slices.Equal(w, want) {
		t.Errorf("class weights %v, want %v", w, want)
	}
}

// TestWeightedLossOverBatchSize: Keras reduces a class-weighted loss as
// Σ w·ℓ / batch size (SUM_OVER_BATCH_SIZE), not Σ w·ℓ / Σ w (PyTorch's
// weighted mean). An output layer with zero weights gives p = (½, ½) for both
// windows of the batch, window 0 of class 0 with weight 3, window 1 of class 1
// with weight 1: summed loss (3 + 1)·ln 2, and the logits' gradient
// w·(p − onehot)/2 = (−0.75, +0.75) and (+0.25, −0.25) (÷ Σw = 4 would halve it).
func TestWeightedLossOverBatchSize(t *testing.T) {
	t.Parallel()
	net, err := build(Config{}, Input{Kind: InputFlat, Width: 2}, 2, false)
	if err != nil {
		t.Fatal(err)
	}
	tr := newTrainer(net, 2, 1)
	tr.trainData = trainData{xs: []float32{1, 2, -1, 0.5}, nf: 2, y: []int{0, 1}, sw: []float64{3, 1}}
	tr.load([]int{0, 1})
	tr.forward(2, true)
	loss, _ := tr.head(2, true)
	if want := 4 * math.Ln2; math.Abs(loss-want) > 1e-6 {
		t.Errorf("summed weighted loss %v, want %v", loss, want)
	}
	dz := tr.grads[len(net.layers)][:4]
	for i, want := range []float32{-0.75, 0.75, 0.25, -0.25} {
		if math.Abs(float64(dz[i]-want)) > 1e-7 {
			t.Errorf("logit gradient %d = %v, want %v", i, dz[i], want)
		}
	}
}

// TestBatchNormMovingStatistics checks the moving statistics after one training
// batch (momentum 0.99, from mean 0 and variance 1) against hand-derived values.
// Keras' non-fused kernel (inputs of rank 2 and 3: after dense and conv1d
// layers) moves the variance towards the biased batch variance; its fused
// kernel (rank 4: after conv2d) towards TensorFlow's Bessel-corrected one,
// which Keras keeps (_bessels_correction_test_only is True). The values 1, 2, 6
// have mean 3, biased variance 14/3 and unbiased variance 7:
//
//	moving mean      0 − (0 − 3)·0.01 = 0.03
//	moving variance  1 − (1 − 14/3)·0.01 = 1.0366667  (three windows of 1 feature)
//	                 1 − (1 − 7)·0.01    = 1.06       (one 1×3×1 image)
func TestBatchNormMovingStatistics(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name     string
		in       Input
		layers   []VisualLayer
		nb       int
		variance float64
	}{
		{"flat", Input{Kind: InputFlat, Width: 1}, []VisualLayer{{Type: "batchNormalization"}}, 3, 1 - (1-14.0/3)*0.01},
		{"image", Input{Kind: InputImage, Width: 3, Height: 1, Channels: 1},
			[]VisualLayer{{Type: "batchNormalization"}, {Type: "flatten"}}, 1, 1 - (1-7.0)*0.01},
	} {
		net, err := build(Config{VisualLayers: c.layers}, c.in, 2, false)
		if err != nil {
			t.Fatal(err)
		}
		tr := newTrainer(net, c.nb, 1)
		copy(tr.acts[0], []float32{1, 2, 6})
		tr.forward(c.nb, true)
		l := &net.layers[0]
		if l.kind != kBatchNorm {
			t.Fatalf("%s: layer 0 is not batch normalisation", c.name)
		}
		mean, variance := net.state[l.s], net.state[l.s+1]
		if math.Abs(float64(mean)-0.03) > 1e-7 || math.Abs(float64(variance)-c.variance) > 1e-6 {
			t.Errorf("%s: moving mean %v, variance %v; want 0.03, %v", c.name, mean, variance, c.variance)
		}
	}
}

func TestBufferShuffle(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 1))
	src := make([]int, 1000)
	for i := range src {
		src[i] = i
	}
	dst := make([]int, len(src))
	bufferShuffle(dst, src, 128, rng)
	s := slices.Clone(dst)
	slices.Sort(s)
	if !slices.Equal(s, src) || slices.Equal(dst, src) {
		t.Fatal("not a shuffled permutation")
	}
	// An element can only come out once it has entered the buffer: position ≥ index − 127.
	for k, v := range dst {
		if v > k+127 {
			t.Fatalf("element %d left the buffer at position %d", v, k)
		}
	}
}

// TestAdamFirstStep: after one step Adam moves every parameter with a non-zero
// gradient by lr·√(1−β2)/(1−β1)·(1−β1)g/(√((1−β2)g²)+ε) = lr·sign(g)·s/(s+ε), s = √(1−β2)|g|.
func TestAdamFirstStep(t *testing.T) {
	t.Parallel()
	c := gradCases()[0]
	net, tr := newCaseNet(t, c, 4, 1)
	before := slices.Clone(net.params)
	tr.forward(4, true)
	tr.head(4, true)
	tr.backward(4)
	g := slices.Clone(tr.g)
	tr.adam(0.01)
	for i := range g {
		if g[i] == 0 {
			continue
		}
		// α1 = lr·√(1−β2)/(1−β1), m1 = (1−β1)g, v1 = (1−β2)g².
		s := math.Sqrt(0.001) * math.Abs(float64(g[i]))
		want := -0.01 * math.Copysign(1, float64(g[i])) * s / (s + 1e-7)
		if d := float64(net.params[i]) - float64(before[i]); math.Abs(d-want) > 2e-6 {
			t.Errorf("param %d moved by %v, want %v", i, d, want)
		}
	}
}

// TestMaxNorm checks Keras' MaxNorm(1) with its default axis 0 on a
// (kh, kw, cin, cout) = (2, 2, 1, 2) kernel, against values derived by hand.
// The kernel is stored row-major, so w[(dy·2+dx)·2+o] holds row dy, column dx,
// filter o, and the norm over kh pairs w[j] with w[j+4]: four norms, one per
// (dx, o).
//
//	(dx, o)  pair (w[j], w[j+4])  ‖·‖    factor clip(‖·‖,0,1)/(1e-7+‖·‖)  result
//	(0, 0)   (3, 4)               5      1/(5+1e-7)                      (0.6, 0.8)·5/(5+1e-7) = (0.59999999, 0.79999998)
//	(0, 1)   (3e-7, 4e-7)         5e-7   5e-7/6e-7 = 5/6                 (2.5e-7, 3.3333333e-7)
//	(1, 0)   (0, -2)              2      1/(2+1e-7)                      (0, -0.99999995)
//	(1, 1)   (0.6, 0.8)           1      1/(1+1e-7)                      (0.59999994, 0.79999992)
//
// The second pair checks where ε goes: with ε added to the norm in the
// denominator, a tiny column shrinks by a sixth. Capping whole filters
// (axis [0, 1, 2]) would give filter 0, (3, 0, 4, −2) of norm √29, the factor
// 1/√29 and w[0] = 0.557, and leave filter 1, of norm √1.25 = 1.118, scaled by
// 1/1.118 instead of keeping its columns.
func TestMaxNorm(t *testing.T) {
	t.Parallel()
	w := []float32{
		3, 3e-7, 0, 0.6, // dy = 0: (dx 0, o 0), (dx 0, o 1), (dx 1, o 0), (dx 1, o 1)
		4, 4e-7, -2, 0.8, // dy = 1
	}
	applyMaxNorm(w, 2)
	want := []float64{
		3 / (5 + 1e-7), 3e-7 * 5.0 / 6, 0, 0.6 / (1 + 1e-7),
		4 / (5 + 1e-7), 4e-7 * 5.0 / 6, -2 / (2 + 1e-7), 0.8 / (1 + 1e-7),
	}
	for i := range w {
		if math.Abs(float64(w[i])-want[i]) > 1e-7*math.Abs(want[i]) {
			t.Errorf("w[%d] = %.9g, want %.9g", i, w[i], want[i])
		}
	}
	// The column norms after the constraint: at most 1, each as derived.
	for j, nrm := range []float64{5 / (5 + 1e-7), 5e-7 * 5.0 / 6, 2 / (2 + 1e-7), 1 / (1 + 1e-7)} {
		got := math.Hypot(float64(w[j]), float64(w[j+4]))
		if math.Abs(got-nrm) > 1e-7*nrm {
			t.Errorf("column %d: norm %.9g, want %.9g", j, got, nrm)
		}
	}
}

func TestTrainRegression(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(2, 2))
	X := mat.NewDense(300, 4, nil)
	y := make([]float64, 300)
	for i := range 300 {
		for j := range 4 {
			X.Set(i, j, rng.NormFloat64())
		}
		y[i] = 2*X.At(i, 0) - X.At(i, 1) + 0.5
	}
	cfg := Config{TrainingCycles: 60, LearningRate: 0.01, VisualLayers: []VisualLayer{{Type: "dense", Neurons: 16}}}
	res, err := Train(context.Background(), cfg, Input{Kind: InputFlat, Width: 4}, Dataset{X: X, Targets: y}, Options{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	last := res.History[len(res.History)-1]
	if !math.IsNaN(last.Accuracy) || last.ValLoss > 0.05 {
		t.Errorf("regression: %v", last)
	}
	if !strings.Contains(last.String(), "val_loss") || strings.Contains(last.String(), "accuracy") {
		t.Errorf("log line %q", last.String())
	}
	if res.Network.Outputs() != 1 || !res.Network.Regression() {
		t.Error("not a regression network")
	}
}

func TestTrainErrors(t *testing.T) {
	t.Parallel()
	good := blobs(20, 4, 2, 1, 1)
	in := Input{Kind: InputFlat, Width: 4}
	nan := mat.DenseCopyOf(good.X)
	nan.Set(3, 2, math.NaN())
	one := good
	one.Y = make([]int, 20)
	for _, c := range []struct {
		name string
		cfg  Config
		in   Input
		d    Dataset
		want string
	}{
		{"nan", Config{}, in, Dataset{X: nan, Y: good.Y, Labels: good.Labels}, "window 3 feature 2"},
		{"single class", Config{}, in, one, "single class"},
		{"columns", Config{}, Input{Kind: InputFlat, Width: 5}, good, "5"},
		{"layer type", Config{VisualLayers: []VisualLayer{{Type: "lstm"}}}, in, good, `"lstm"`},
		{"conv1d needs reshape", Config{VisualLayers: []VisualLayer{{Type: "conv1d", Neurons: 4}}}, in, good, "reshape"},
		{"reshape columns", Config{VisualLayers: []VisualLayer{{Type: "reshape", Columns: 3}}}, in, good, "columns"},
		{"learning rate", Config{LearningRate: 2}, in, good, "learningRate"},
		{"split", Config{TrainTestSplit: ptr(1.0)}, in, good, "trainTestSplit"},
		{"labels", Config{}, in, Dataset{X: good.X, Y: good.Y[:5], Labels: good.Labels}, "5 labels"},
		{"class range", Config{}, in, Dataset{X: good.X, Y: append([]int{7}, good.Y[1:]...), Labels: good.Labels}, "class 7"},
	} {
		_, err := Train(context.Background(), c.cfg, c.in, c.d, Options{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %q", c.name, err, c.want)
		}
	}
}

// TestConfigJSON decodes a SetKerasParameterRequest as Studio sends it.
func TestConfigJSON(t *testing.T) {
	t.Parallel()
	const js = `{"mode":"visual","trainingCycles":50,"learningRate":0.001,"batchSize":16,"trainTestSplit":0.25,
	"autoClassWeights":true,"selectedModelType":"int8","minimumConfidenceRating":0.7,
	"visualLayers":[{"type":"reshape","columns":13},{"type":"conv1d","neurons":8,"kernelSize":3,"stack":1},
	{"type":"dropout","dropoutRate":0.25},{"type":"dense","neurons":99,"enabled":false},{"type":"flatten"}]}`
	var c Config
	if err := json.Unmarshal([]byte(js), &c); err != nil {
		t.Fatal(err)
	}
	c = c.WithDefaults()
	if c.TrainingCycles != 50 || c.BatchSize != 16 || *c.TrainTestSplit != 0.25 || !c.AutoClassWeights || len(c.VisualLayers) != 5 {
		t.Errorf("decoded %+v", c)
	}
	in := Input{Kind: InputMFCC, Width: 10, Height: 13}
	n, err := build(c, in, 3, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(n.KerasLayers()); got != 6 { // reshape conv1d pool dropout flatten y_pred
		t.Errorf("%d layers, want 6 (the disabled dense dropped)", got)
	}
	if err := c.validate(); err != nil {
		t.Error(err)
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	in := Input{Kind: InputFlat, Width: 33}
	a, err := New(DefaultConfig(in), in, []string{"a", "b", "c", "d"}, false, 3)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := New(DefaultConfig(in), in, []string{"a", "b", "c", "d"}, false, 3)
	c, _ := New(DefaultConfig(in), in, []string{"a", "b", "c", "d"}, false, 4)
	if !slices.Equal(a.params, b.params) || slices.Equal(a.params, c.params) {
		t.Error("initialisation does not follow the seed")
	}
	// Glorot-uniform bounds: √(6/(33+20)) for the first kernel, zero biases.
	l := a.layers[0]
	lim := float32(math.Sqrt(6.0 / 53))
	for _, w := range a.params[l.w : l.w+l.wn] {
		if w < -lim || w > lim {
			t.Fatalf("weight %v outside ±%v", w, lim)
		}
	}
	for _, v := range a.params[l.b : l.b+l.bn] {
		if v != 0 {
			t.Fatal("non-zero initial bias")
		}
	}
	if _, err := New(DefaultConfig(in), in, []string{"only"}, false, 1); err == nil {
		t.Error("one class accepted")
	}
	r, err := New(DefaultConfig(in), in, nil, true, 1)
	if err != nil || r.Outputs() != 1 || r.Labels()[0] != "value" {
		t.Errorf("regression network: %v", err)
	}
}

// TestCopyOf: copies appended to the data leave the validation split of
// the originals as it was, are never validated on, and are trained on
// exactly when their original is.
func TestCopyOf(t *testing.T) {
	t.Parallel()
	base := blobs(50, 4, 2, 1, 5)
	cfg := Config{TrainingCycles: 1, VisualLayers: []VisualLayer{{Type: "dense", Neurons: 4}}}
	in := Input{Kind: InputFlat, Width: 4}
	plain, err := Train(context.Background(), cfg, in, base, Options{Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	// Two copies of every other original.
	X := mat.NewDense(50+50, 4, nil)
	X.Copy(base.X)
	d := Dataset{X: X, Y: slices.Clone(base.Y), Labels: base.Labels}
	for i := range 50 {
		o := (i % 25) * 2
		X.SetRow(50+i, base.X.RawRowView(o))
		d.Y = append(d.Y, base.Y[o])
		d.CopyOf = append(d.CopyOf, o)
	}
	res, err := Train(context.Background(), cfg, in, d, Options{Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Validation, plain.Validation) {
		t.Fatalf("validation rows %v with copies, %v without", res.Validation, plain.Validation)
	}
	held := map[int]bool{}
	for _, r := range res.Validation {
		held[r] = true
	}
	want := slices.Clone(plain.Train)
	for i, o := range d.CopyOf {
		if !held[o] {
			want = append(want, 50+i)
		}
	}
	got := slices.Clone(res.Train)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("training rows %v, want %v", got, want)
	}
	for _, bad := range [][]int{{50}, {-1}, make([]int, 100)} {
		d := d
		d.CopyOf = bad
		if len(bad) == 100 {
			d.X, d.Y = mat.NewDense(100, 4, nil), make([]int, 100)
		} else {
			d.X = mat.NewDense(51, 4, nil)
			d.X.Copy(base.X)
			d.Y = append(slices.Clone(base.Y), 0)
		}
		if _, err := Train(context.Background(), cfg, in, d, Options{Seed: 9}); err == nil || !strings.Contains(err.Error(), "cop") {
			t.Errorf("CopyOf %v: error %v", bad[:min(len(bad), 3)], err)
		}
	}
}
