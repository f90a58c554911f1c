package tflite

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/tinyimpulse/tinyimpulse/dataset"
	"github.com/tinyimpulse/tinyimpulse/impulse"
	"github.com/tinyimpulse/tinyimpulse/internal/tflitetest"
	"github.com/tinyimpulse/tinyimpulse/learn"
	"github.com/tinyimpulse/tinyimpulse/studio"
)

// Tolerance of the float32 comparison: TensorFlow Lite's float kernels sum
// in another order than learn's, so outputs agree to float32 rounding,
// relative to the output (floatRel) or, for a probability, within floatAbs
// (a small probability's relative error is its logit's absolute error,
// which grows with the logits: 1.35e-5 on a probability of 0.0075 of the
// magic-wand network, whose spectral features reach 300). A regression
// output near 0 is the difference of larger terms: it is compared relative
// to the largest output over the windows.
const (
	floatRel = 1e-5
	floatAbs = 1e-6
)

// compared counts the windows one network was checked on.
type compared struct {
	int8, float32 int
	worstRel      float64 // largest float32 difference relative to the tolerance's scale
}

// checkNetwork exports both variants of c, loads them in TensorFlow Lite
// 2.9 and runs every window of c through them: the int8 model's outputs
// must equal Int8Network.ClassifyInt8's bit for bit (the inputs quantised
// as Int8Network.Classify quantises them), the float32 model's must be
// within floatRel of Network.Classify's, and the interpreter must see the
// input and output quantisation the library uses.
func checkNetwork(t *testing.T, rt *tflitetest.Runtime, c netCase) compared {
	t.Helper()
	var res compared
	n, q := c.net, c.q

	// int8
	qm, err := Marshal(q.Graph())
	if err != nil {
		t.Fatalf("%s int8: %v", c.name, err)
	}
	ins, xq := quantizeWindows(q, c.windows)
	out, err := rt.Run(qm, ins)
	if err != nil {
		t.Fatalf("%s int8: %v", c.name, err)
	}
	iq, oq := q.InputQuant(), q.OutputQuant()
	if out.Input.Type != "INT8" || out.Output.Type != "INT8" || float32(out.Input.Scale) != float32(iq.Scale) || out.Input.ZeroPoint != int(iq.ZeroPoint) ||
		float32(out.Output.Scale) != float32(oq.Scale) || out.Output.ZeroPoint != int(oq.ZeroPoint) {
		t.Fatalf("%s int8: interpreter sees input %+v and output %+v; the library quantises with %+v and %+v", c.name, out.Input, out.Output, iq, oq)
	}
	want := make([]int8, q.Outputs())
	bad := 0
	for i, o := range out.Outputs {
		if err := q.ClassifyInt8(want, xq[i]); err != nil {
			t.Fatal(err)
		}
		for j, v := range o {
			if int8(v) != want[j] {
				if bad++; bad <= 5 {
					t.Errorf("%s int8 window %d output %d: TensorFlow Lite %d, ClassifyInt8 %d", c.name, i, j, int8(v), want[j])
				}
			}
		}
	}
	if bad > 0 {
		t.Errorf("%s int8: %d of %d outputs differ", c.name, bad, len(out.Outputs)*q.Outputs())
	}
	res.int8 = len(out.Outputs)

	// float32
	fm, err := Marshal(n.Graph())
	if err != nil {
		t.Fatalf("%s float32: %v", c.name, err)
	}
	for i, w := range c.windows {
		ins[i] = ins[i][:0]
		for _, v := range w {
			ins[i] = binary.LittleEndian.AppendUint32(ins[i], math.Float32bits(float32(v)))
		}
	}
	out, err = rt.Run(fm, ins)
	if err != nil {
		t.Fatalf("%s float32: %v", c.name, err)
	}
	if out.Input.Type != "FLOAT32" || out.Output.Type != "FLOAT32" {
		t.Fatalf("%s float32: interpreter sees input %+v and output %+v", c.name, out.Input, out.Output)
	}
	ys := make([][]float64, len(c.windows))
	floor := floatAbs
	for i, w := range c.windows {
		if ys[i], err = n.Classify(nil, w); err != nil {
			t.Fatal(err)
		}
		if n.Regression() {
			for _, v := range ys[i] {
				floor = max(floor, floatRel*math.Abs(v))
			}
		}
	}
	bad = 0
	for i, o := range out.Outputs {
		y := ys[i]
		for j := range y {
			got := float64(math.Float32frombits(binary.LittleEndian.Uint32(o[4*j:])))
			d := math.Abs(got - y[j])
			m := max(math.Abs(got), math.Abs(y[j]), floor/floatRel)
			res.worstRel = max(res.worstRel, d/m)
			if d > floatRel*m {
				if bad++; bad <= 5 {
					t.Errorf("%s float32 window %d output %d: TensorFlow Lite %.9g, Classify %.9g", c.name, i, j, got, y[j])
				}
			}
		}
	}
	res.float32 = len(out.Outputs)
	return res
}

// TestArchitectures exports networks of every layer type learn has in both
// variants and runs them in TensorFlow Lite 2.9 on their validation windows
// and on random windows.
func TestArchitectures(t *testing.T) {
	rt := interpreter(t)
	var sum strings.Builder
	total := 0
	for _, c := range architectures(t) {
		r := checkNetwork(t, rt, c)
		fmt.Fprintf(&sum, "\n  %-18s int8 %5d windows bit-identical, float32 %5d windows (largest relative difference %.2g)", c.name, r.int8, r.float32, r.worstRel)
		total += r.int8 + r.float32
	}
	t.Logf("%d model runs compared:%s", total, sum.String())
}

// TestTestdataNetworks runs the networks of testdata/learn/torch_forward.json
// (every layer type, with PyTorch-checked weights) in TensorFlow Lite 2.9.
func TestTestdataNetworks(t *testing.T) {
	rt := interpreter(t)
	var sum strings.Builder
	for _, c := range torchCases(t) {
		r := checkNetwork(t, rt, c)
		fmt.Fprintf(&sum, "\n  %-28s int8 %4d windows bit-identical, float32 %4d windows (largest relative difference %.2g)", c.name, r.int8, r.float32, r.worstRel)
	}
	t.Logf("testdata networks:%s", sum.String())
}

// TestSharedDatasets trains the impulse Studio proposes for each dataset in
// ../shared/datasets (testdata/impulses/<name>.json) with impulse.Train,
// exports its neural network in both variants and runs every window of the
// training category (which holds every validation window) and of the
// testing category through TensorFlow Lite 2.9.
func TestSharedDatasets(t *testing.T) {
	rt := interpreter(t)
	var sum strings.Builder
	for _, c := range sharedDatasetCases(t) {
		r := checkNetwork(t, rt, c)
		fmt.Fprintf(&sum, "\n  %-22s int8 %5d windows bit-identical, float32 %5d windows (largest relative difference %.2g)", c.name, r.int8, r.float32, r.worstRel)
	}
	t.Logf("shared datasets (seed 1):%s", sum.String())
}

var (
	sharedOnce  sync.Once
	sharedCases []netCase
	sharedErr   error
)

// sharedDatasetCases returns the network of each shared dataset's default
// impulse trained with seed 1, with the features of every window of its
// training and testing categories (trained once per test process). It
// skips when ../shared/datasets is absent.
func sharedDatasetCases(t *testing.T) []netCase {
	t.Helper()
	dir := filepath.Join("..", "..", "shared", "datasets")
	if _, err := os.Stat(dir); os.IsNotExist(err) {
		t.Skipf("../shared/datasets is absent: %v", err)
	}
	sharedOnce.Do(func() { sharedCases, sharedErr = trainSharedDatasets(dir) })
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	return sharedCases
}

func trainSharedDatasets(dir string) ([]netCase, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var cases []netCase
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		name := e.Name()
		def, err := impulse.LoadDefinition(filepath.Join("..", "testdata", "impulses", name+".json"))
		if err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
		ds, err := dataset.Load(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		im, err := impulse.Compile(def, ds)
		if err != nil {
			return nil, err
		}
		ctx := context.Background()
		m, err := impulse.Train(ctx, im, ds, impulse.TrainOptions{Seed: 1})
		if err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
		for _, lb := range m.Definition().Impulse.LearnBlocks {
			if lb.Type != studio.LearnKeras && lb.Type != studio.LearnKerasRegression {
				continue
			}
			n, q, err := m.Networks(lb.ID)
			if err != nil {
				return nil, err
			}
			c := netCase{name: name, net: n, q: q}
			for _, cat := range []string{dataset.CategoryTraining, dataset.CategoryTesting} {
				f, err := im.GenerateFeatures(ctx, ds.Category(cat), nil)
				if err != nil {
					return nil, err
				}
				X, err := f.Learn(lb.ID)
				if err != nil {
					return nil, err
				}
				rows, _ := X.Dims()
				for r := range rows {
					c.windows = append(c.windows, X.RawRowView(r))
				}
			}
			cases = append(cases, c)
		}
	}
	return cases, nil
}

// TestOpRounding isolates every FULLY_CONNECTED, CONV_2D and
// DEPTHWISE_CONV_2D operator of the test networks in a model of its own
// and feeds it random int8 inputs: TensorFlow Lite must compute what the
// graph says (the operator's multipliers, shifts, rounding and clamp),
// which is what the integer network computes. The test also checks that it
// can tell the roundings apart: the other rounding must disagree with
// TensorFlow Lite somewhere, on a dense output layer (no ReLU) and on a
// batch normalisation.
func TestOpRounding(t *testing.T) {
	rt := interpreter(t)
	rng := rand.New(rand.NewPCG(5, 5))
	otherWrong := map[learn.OpKind]int{}
	outputs := 0
	for _, c := range architectures(t) {
		g0 := c.q.Graph()
		for k, op := range g0.Ops {
			if op.Kind != learn.OpFullyConnected && op.Kind != learn.OpConv2D && op.Kind != learn.OpDepthwiseConv2D {
				continue
			}
			g := c.q.Graph()
			g.Ops, g.Input, g.Output = []learn.Operator{op}, op.Inputs[0], op.Outputs[0]
			b, err := Marshal(g)
			if err != nil {
				t.Fatalf("%s op %d: %v", c.name, k, err)
			}
			nin := g.Tensors[g.Input].Elements()
			ins := make([][]byte, 2000)
			for i := range ins {
				ins[i] = make([]byte, nin)
				for j := range ins[i] {
					ins[i][j] = byte(rng.IntN(256))
				}
			}
			out, err := rt.Run(b, ins)
			if err != nil {
				t.Fatalf("%s op %d: %v", c.name, k, err)
			}
			other := op
			other.Rounding = 1 - op.Rounding
			bad := 0
			for i, o := range out.Outputs {
				x := make([]int8, nin)
				for j, v := range ins[i] {
					x[j] = int8(v)
				}
				want, alt := runOp(g, &op, x), runOp(g, &other, x)
				for j, v := range o {
					if int8(v) != want[j] {
						if bad++; bad <= 3 {
							t.Errorf("%s op %d (%s) window %d output %d: TensorFlow Lite %d, graph %d", c.name, k, op.Kind, i, j, int8(v), want[j])
						}
					}
					if int8(v) != alt[j] {
						otherWrong[op.Kind]++
					}
				}
				outputs += len(o)
			}
		}
	}
	t.Logf("%d outputs agree; the other rounding would have got %v wrong", outputs, otherWrong)
	if otherWrong[learn.OpFullyConnected] == 0 || otherWrong[learn.OpDepthwiseConv2D] == 0 {
		t.Errorf("the inputs never reach a rounding tie the two roundings disagree on (%v): the test cannot tell them apart", otherWrong)
	}
}

// runOp computes one int8 FULLY_CONNECTED, CONV_2D (stride 1, SAME) or
// 1×1 DEPTHWISE_CONV_2D operator from the graph's description alone.
func runOp(g *learn.Graph, op *learn.Operator, x []int8) []int8 {
	in, w, b, out := &g.Tensors[op.Inputs[0]], &g.Tensors[op.Inputs[1]], &g.Tensors[op.Inputs[2]], &g.Tensors[op.Outputs[0]]
	zin, zout := int32(in.Quant.ZeroPoint[0]), int32(out.Quant.ZeroPoint[0])
	y := make([]int8, out.Elements())
	requant := func(i, o int, acc int32) {
		v := multiply(acc, op.Multiplier[o], op.Shift[o], op.Rounding) + zout
		y[i] = int8(max(op.ActMin, min(op.ActMax, v)))
	}
	switch op.Kind {
	case learn.OpFullyConnected:
		cout, cin := w.Shape[0], w.Shape[1]
		for o := range cout {
			acc := b.Int32[o]
			for i := range cin {
				acc += (int32(x[i]) - zin) * int32(w.Int8[o*cin+i])
			}
			requant(o, o, acc)
		}
	case learn.OpDepthwiseConv2D:
		c := w.Shape[3]
		for i := range x {
			requant(i, i%c, b.Int32[i%c]+(int32(x[i])-zin)*int32(w.Int8[i%c]))
		}
	case learn.OpConv2D:
		h, wd, cin := in.Shape[1], in.Shape[2], in.Shape[3]
		cout, kh, kw := w.Shape[0], w.Shape[1], w.Shape[2]
		ph, pw := (kh-1)/2, (kw-1)/2 // SAME: the odd padding goes after
		for oy := range h {
			for ox := range wd {
				for o := range cout {
					acc := b.Int32[o]
					for dy := range kh {
						for dx := range kw {
							iy, ix := oy+dy-ph, ox+dx-pw
							if iy < 0 || iy >= h || ix < 0 || ix >= wd {
								continue
							}
							for c := range cin {
								acc += (int32(x[(iy*wd+ix)*cin+c]) - zin) * int32(w.Int8[((o*kh+dy)*kw+dx)*cin+c])
							}
						}
					}
					requant((oy*wd+ox)*cout+o, o, acc)
				}
			}
		}
	}
	return y
}

// multiply is TensorFlow Lite's MultiplyByQuantizedMultiplier, written from
// gemmlowp's definitions: x·2^left, then SaturatingRoundingDoublingHighMul
// by q (round(x·q/2^31), halves up), then a right shift by −shift rounding
// halves away from zero (RoundingDivideByPOT) or up (ruy).
func multiply(x, q, shift int32, r learn.Rounding) int32 {
	left, right := max(shift, 0), max(-shift, 0)
	p := int64(x<<left) * int64(q)
	hi := int32((p + 1<<30) >> 31) // floor(p/2^31 + 1/2)
	if x<<left == math.MinInt32 && q == math.MinInt32 {
		hi = math.MaxInt32
	}
	if right == 0 {
		return hi
	}
	if r == learn.RoundHalfUp {
		return int32((int64(hi) + 1<<(right-1)) >> right)
	}
	mask := int32(1)<<right - 1
	rem, th := hi&mask, mask>>1
	if hi < 0 {
		th++
	}
	v := hi >> right
	if rem > th {
		v++
	}
	return v
}

// TestSoftmaxTable compares learn.SoftmaxTable with the C library's expf,
// which TensorFlow Lite 2.9 fills its int8 softmax table with, on the
// tables of 4,000 random input scales and on arguments where expf is not
// the float32 nearest to the exponential.
func TestSoftmaxTable(t *testing.T) {
	rt := interpreter(t)
	// Arguments where glibc's expf and float32(math.Exp(x)) differ, found by
	// an exhaustive comparison over [−104, 0].
	hard := []uint32{0xb8ca127e, 0xb8e09314, 0xb8ea3359, 0xb8f1338d, 0xb8fad3d7, 0xb921cb32, 0xb928ab79, 0xb92c9ba3, 0xb93c0c51, 0xb94eed3a}
	var scales []float64
	for _, h := range hard {
		scales = append(scales, -float64(math.Float32frombits(h))) // table[254] = expf(−scale)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 4000 {
		scales = append(scales, float64(float32(math.Exp(rng.Float64()*12-10)))) // 4.5e-5 … 7.4
	}
	var args []float32
	for _, s := range scales {
		for d := range 256 {
			args = append(args, float32(-float32(s)*float32(d)))
		}
	}
	want, err := rt.Expf(args)
	if err != nil {
		t.Fatal(err)
	}
	bad, nearest := 0, 0
	for i, s := range scales {
		tab := learn.SoftmaxTable(s)
		for d := range 256 {
			x, e := args[256*i+d], want[256*i+d]
			if tab[255-d] != e {
				if bad++; bad <= 5 {
					t.Errorf("scale %v d %d: table %v (%#x), expf(%v) = %v (%#x)", s, d, tab[255-d], math.Float32bits(tab[255-d]), x, e, math.Float32bits(e))
				}
			}
			if float32(math.Exp(float64(x))) != e {
				nearest++
			}
		}
	}
	t.Logf("%d table entries equal expf; float32(math.Exp(x)) differs on %d of them", len(args), nearest)
	if nearest == 0 {
		t.Error("no argument where expf differs from the nearest float32: the hard cases no longer test anything")
	}
}

// quantizeWindows quantises every window with the network's input
// quantisation, as int8 values and as the bytes an interpreter reads.
func quantizeWindows(q *learn.Int8Network, windows [][]float64) (ins [][]byte, xq [][]int8) {
	ins = make([][]byte, len(windows))
	xq = make([][]int8, len(windows))
	for i, w := range windows {
		xq[i] = make([]int8, len(w))
		ins[i] = make([]byte, len(w))
		for j, v := range w {
			xq[i][j] = q.InputQuant().QuantizeInput(v)
			ins[i][j] = byte(xq[i][j])
		}
	}
	return ins, xq
}
