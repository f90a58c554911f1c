package learn

import (
	"context"
	"errors"
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// Hand-derived from the gemmlowp/TFLite definitions: q = round(frac·2^31),
// m = frac·2^shift; SaturatingRoundingDoublingHighMul(a, b) = (a·b + nudge)/2^31
// truncated, nudge = 2^30 (a·b ≥ 0) or 1−2^30; RoundingDivideByPOT rounds half away from zero.
func TestFixedPoint(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		m     float64
		q     int32
		shift int32
	}{
		{0.5, 1 << 30, 0}, {1, 1 << 30, 1}, {0.25, 1 << 30, -1}, {0.75, 1610612736, 0}, {0, 0, 0},
	} {
		q, s := quantizeMultiplier(c.m)
		if q != c.q || s != c.shift {
			t.Errorf("quantizeMultiplier(%v) = %d, %d; want %d, %d", c.m, q, s, c.q, c.shift)
		}
	}
	for _, c := range []struct{ x, q, shift, want int32 }{
		{3, 1 << 30, 0, 2},   // 1.5 → 2
		{-3, 1 << 30, 0, -1}, // −1.5 → −1 (gemmlowp's nudge)
		{1000, 1610612736, 0, 750},
		{100, 1 << 30, 1, 100}, // ×2 then ×0.5
		{-3, 1 << 30, -1, -1},  // −0.75 → −1
		{5, 1 << 30, -2, 1},    // 0.625 → 1
		{-6, 1 << 30, -2, -1},  // −0.75: SRDHM → −3, then −3/4 → −1
	} {
		if got := multiplyByQuantizedMultiplier(c.x, c.q, c.shift); got != c.want {
			t.Errorf("multiplyByQuantizedMultiplier(%d, %d, %d) = %d, want %d", c.x, c.q, c.shift, got, c.want)
		}
	}
	// Ties: −1.5 and −0.5 after the doubling high multiply; the reference
	// rounding goes away from zero, ruy's rounds half up.
	for _, c := range []struct{ x, q, shift, away, up int32 }{
		{-2, 1 << 30, -1, -1, 0},  // SRDHM −1, then −0.5
		{-6, 1 << 30, -1, -2, -1}, // SRDHM −3, then −1.5
		{5, 1 << 30, -1, 2, 2},    // SRDHM round(2.5) = 3, then 1.5
		{-3, 1 << 30, 0, -1, -1},  // no shift: SRDHM alone, −1.5 → −1
		{-6, 1 << 30, -2, -1, -1}, // −0.75 is no tie
		{100, 1 << 30, 1, 100, 100},
	} {
		if got := multiplyByQuantizedMultiplier(c.x, c.q, c.shift); got != c.away {
			t.Errorf("multiplyByQuantizedMultiplier(%d, %d, %d) = %d, want %d", c.x, c.q, c.shift, got, c.away)
		}
		if got := multiplyByQuantizedMultiplierHalfUp(c.x, c.q, c.shift); got != c.up {
			t.Errorf("multiplyByQuantizedMultiplierHalfUp(%d, %d, %d) = %d, want %d", c.x, c.q, c.shift, got, c.up)
		}
	}
	// (−1, 3): scale 4/255 rounded to float32 (0x3c808081), zero point
	// round(−128 + 1/scale) = round(−64.25) = −64.
	if p := asymmetric(-1, 3); p.Scale != float64(math.Float32frombits(0x3c808081)) || p.ZeroPoint != -64 {
		t.Errorf("asymmetric(-1, 3) = %+v", p)
	}
	// ReLU outputs (0, 6): scale 6/255 as float32 (0x3cc0c0c1), zero point −128.
	if p := asymmetric(0.5, 6); p.ZeroPoint != -128 || p.Scale != float64(math.Float32frombits(0x3cc0c0c1)) {
		t.Errorf("asymmetric(0.5, 6) = %+v", p)
	}
	// A dense layer's multiplier takes the float32 product of its input and
	// weight scales (TensorFlow Lite's GetQuantizedConvolutionMultipler); a
	// convolution's the float64 one. 0.1f·0.3f is 0x3cf5c290 as float32.
	in, w, out := float64(float32(0.1)), float64(float32(0.3)), float64(float32(0.7))
	if got, want := requantScale(in, w, out, true), float64(math.Float32frombits(0x3cf5c290))/out; got != want {
		t.Errorf("dense multiplier %v, want %v", got, want)
	}
	if got, want := requantScale(in, w, out, false), in*w/out; got != want {
		t.Errorf("convolution multiplier %v, want %v", got, want)
	}
}

// TestInt8AgreesWithFloat quantises trained networks of every layer type and
// checks that the integer network reproduces the float network's outputs.
func TestInt8AgreesWithFloat(t *testing.T) {
	t.Parallel()
	r := ptr(0.25)
	for _, c := range []struct {
		name   string
		layers []VisualLayer
		in     Input
	}{
		{"dense", []VisualLayer{{Type: "dense", Neurons: 20}, {Type: "dense", Neurons: 10}}, Input{Kind: InputFlat, Width: 12}},
		{"dense-bn", []VisualLayer{{Type: "dense", Neurons: 16}, {Type: "batchNormalization"}, {Type: "dropout", DropoutRate: r}, {Type: "dense", Neurons: 8}}, Input{Kind: InputFlat, Width: 12}},
		{"conv1d", []VisualLayer{{Type: "reshape", Columns: 4}, {Type: "conv1d", Neurons: 8, KernelSize: 3}, {Type: "dropout", DropoutRate: r},
			{Type: "conv1d", Neurons: 16, KernelSize: 3}, {Type: "flatten"}}, Input{Kind: InputMFCC, Width: 3, Height: 4}},
		{"conv2d", []VisualLayer{{Type: "reshape", Columns: 4}, {Type: "conv2d", Neurons: 8, KernelSize: 3}, {Type: "batchNormalization"},
			{Type: "conv2d", Neurons: 4, KernelSize: 2}, {Type: "flatten"}}, Input{Kind: InputMFE, Width: 3, Height: 4}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			d := blobs(400, 12, 3, 1.5, 5)
			cfg := Config{VisualLayers: c.layers, TrainingCycles: 15, LearningRate: 0.005}
			res, err := Train(context.Background(), cfg, c.in, d, Options{Seed: 3})
			if err != nil {
				t.Fatal(err)
			}
			q, err := Quantize(context.Background(), res.Network, d.X, res.Validation)
			if err != nil {
				t.Fatal(err)
			}
			pf, err := Predict(context.Background(), res.Network, d.X, res.Validation)
			if err != nil {
				t.Fatal(err)
			}
			pq, err := Predict(context.Background(), q, d.X, res.Validation)
			if err != nil {
				t.Fatal(err)
			}
			n, _ := pf.Dims()
			agree, worst := 0, 0.0
			for i := range n {
				f, g := pf.RawRowView(i), pq.RawRowView(i)
				if argmax(f) == argmax(g) {
					agree++
				}
				for j := range f {
					worst = max(worst, math.Abs(f[j]-g[j]))
				}
			}
			t.Logf("%s: argmax agreement %d/%d, largest probability difference %.4f", c.name, agree, n, worst)
			if agree < n*97/100 || worst > 0.1 {
				t.Errorf("int8 disagrees with float32: %d/%d same class, largest difference %.3f", agree, n, worst)
			}
		})
	}
}

func argmax(v []float64) int {
	b := 0
	for i, x := range v {
		if x > v[b] {
			b = i
		}
	}
	return b
}

// TestPredictQuantizeRows: a row index outside X, a matrix of the wrong width
// and an empty row list are errors for Predict and Quantize alike.
func TestPredictQuantizeRows(t *testing.T) {
	t.Parallel()
	d := blobs(20, 4, 2, 1, 1)
	in := Input{Kind: InputFlat, Width: 4}
	net, err := New(DefaultConfig(in), in, d.Labels, false, 1)
	if err != nil {
		t.Fatal(err)
	}
	wide := mat.NewDense(3, 5, nil)
	ctx := context.Background()
	for _, c := range []struct {
		name string
		X    mat.Matrix
		rows []int
		want error
	}{
		{"row -1", d.X, []int{0, -1}, nil},
		{"row 20", d.X, []int{20}, nil},
		{"columns", wide, nil, ErrShape},
		{"no rows", d.X, []int{}, nil},
	} {
		_, errP := Predict(ctx, net, c.X, c.rows)
		_, errQ := Quantize(ctx, net, c.X, c.rows)
		for _, err := range []error{errP, errQ} {
			if err == nil || (c.want != nil && !errors.Is(err, c.want)) {
				t.Errorf("%s: error %v, want one (%v)", c.name, err, c.want)
			}
		}
	}
}
