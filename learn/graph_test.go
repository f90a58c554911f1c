package learn

import (
	"context"
	"math"
	"slices"
	"testing"
)

// graphNetworks trains small networks of every layer type for the graph tests.
func graphNetworks(t *testing.T) map[string]graphCase {
	t.Helper()
	r := ptr(0.25)
	out := map[string]graphCase{}
	for _, c := range []struct {
		name       string
		layers     []VisualLayer
		in         Input
		regression bool
	}{
		{"dense", []VisualLayer{{Type: "dense", Neurons: 20}, {Type: "dense", Neurons: 10}}, Input{Kind: InputFlat, Width: 12}, false},
		{"dense-bn", []VisualLayer{{Type: "dense", Neurons: 16}, {Type: "batchNormalization"}, {Type: "dropout", DropoutRate: r}, {Type: "dense", Neurons: 8}}, Input{Kind: InputFlat, Width: 12}, false},
		{"conv1d", []VisualLayer{{Type: "reshape", Columns: 4}, {Type: "conv1d", Neurons: 8, KernelSize: 3}, {Type: "dropout", DropoutRate: r},
			{Type: "conv1d", Neurons: 16, KernelSize: 3, Stack: 2}, {Type: "flatten"}}, Input{Kind: InputMFCC, Width: 3, Height: 4}, false},
		{"conv2d", []VisualLayer{{Type: "reshape", Columns: 4}, {Type: "conv2d", Neurons: 8, KernelSize: 3}, {Type: "batchNormalization"},
			{Type: "conv2d", Neurons: 4, KernelSize: 2}, {Type: "flatten"}, {Type: "dense", Neurons: 6}}, Input{Kind: InputMFE, Width: 3, Height: 4}, false},
		{"image", []VisualLayer{{Type: "conv2d", Neurons: 4, KernelSize: 3}, {Type: "flatten"}, {Type: "dropout", DropoutRate: r}},
			Input{Kind: InputImage, Width: 3, Height: 2, Channels: 2}, false},
		{"regression", []VisualLayer{{Type: "dense", Neurons: 8}, {Type: "batchNormalization"}}, Input{Kind: InputFlat, Width: 12}, true},
	} {
		d := blobs(300, 12, 3, 1.5, 7)
		if c.regression {
			d.Targets = make([]float64, len(d.Y))
			for i, y := range d.Y {
				d.Targets[i] = float64(y) + 0.1*d.X.At(i, 0)
			}
			d.Y, d.Labels = nil, []string{"value"}
		}
		cfg := Config{VisualLayers: c.layers, TrainingCycles: 5, LearningRate: 0.005}
		res, err := Train(context.Background(), cfg, c.in, d, Options{Seed: 11})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		out[c.name] = graphCase{res, d}
	}
	return out
}

type graphCase struct {
	res *Result
	d   Dataset
}

// runFloatGraph interprets a float32 graph in float64 from its tensors alone,
// with TensorFlow Lite's semantics (NHWC, SAME padding, OHWI weights).
func runFloatGraph(t *testing.T, g *Graph, x []float64) []float64 {
	vals := map[int][]float64{g.Input: x}
	for _, op := range g.Ops {
		in := vals[op.Inputs[0]]
		ot := &g.Tensors[op.Outputs[0]]
		y := make([]float64, ot.Elements())
		switch op.Kind {
		case OpFullyConnected, OpConv2D, OpDepthwiseConv2D:
			w, b := &g.Tensors[op.Inputs[1]], &g.Tensors[op.Inputs[2]]
			wf := func(i int) float64 { return float64(w.Float32[i]) }
			bf := func(o int) float64 { return float64(b.Float32[o]) }
			convolve(t, op, &g.Tensors[op.Inputs[0]], ot, w, func(o int) float64 { return bf(o) },
				func(o, wi, xi int, acc float64) float64 { return acc + in[xi]*wf(wi) }, func(i int, o int, acc float64) {
					if op.ReLU {
						acc = max(acc, 0)
					}
					y[i] = acc
				})
		case OpMaxPool2D:
			pool(&g.Tensors[op.Inputs[0]], op, func(i int) float64 { return in[i] }, func(i int, v float64) { y[i] = v })
		case OpReshape:
			copy(y, in)
		case OpSoftmax:
			m := slices.Max(in)
			var s float64
			for i, v := range in {
				y[i] = math.Exp(v - m)
				s += y[i]
			}
			for i := range y {
				y[i] /= s
			}
		default:
			t.Fatalf("unknown op %s", op.Kind)
		}
		vals[op.Outputs[0]] = y
	}
	return vals[g.Output]
}

// convolve walks a FULLY_CONNECTED, CONV_2D (stride 1, SAME) or 1×1
// DEPTHWISE_CONV_2D op: for every output element it starts from init(o),
// folds mac over the (weight index, input index) pairs and stores the result.
func convolve(t *testing.T, op Operator, it, ot, w *Tensor, init func(o int) float64, mac func(o, wi, xi int, acc float64) float64, store func(i, o int, acc float64)) {
	switch op.Kind {
	case OpFullyConnected:
		cout, cin := w.Shape[0], w.Shape[1]
		for o := range cout {
			acc := init(o)
			for i := range cin {
				acc = mac(o, o*cin+i, i, acc)
			}
			store(o, o, acc)
		}
	case OpDepthwiseConv2D:
		c := w.Shape[3]
		for i := range it.Elements() {
			store(i, i%c, mac(i%c, i%c, i, init(i%c)))
		}
	case OpConv2D:
		h, wd, cin := it.Shape[1], it.Shape[2], it.Shape[3]
		cout, kh, kw := w.Shape[0], w.Shape[1], w.Shape[2]
		if ot.Shape[1] != h || ot.Shape[2] != wd || w.Shape[3] != cin || kh != op.KernelH || kw != op.KernelW {
			t.Fatalf("conv shapes: in %v out %v weights %v kernel %d×%d", it.Shape, ot.Shape, w.Shape, op.KernelH, op.KernelW)
		}
		ph, pw := (kh-1)/2, (kw-1)/2
		for oy := range h {
			for ox := range wd {
				for o := range cout {
					acc := init(o)
					for dy := range kh {
						for dx := range kw {
							iy, ix := oy+dy-ph, ox+dx-pw
							if iy < 0 || iy >= h || ix < 0 || ix >= wd {
								continue
							}
							for c := range cin {
								acc = mac(o, ((o*kh+dy)*kw+dx)*cin+c, (iy*wd+ix)*cin+c, acc)
							}
						}
					}
					store((oy*wd+ox)*cout+o, o, acc)
				}
			}
		}
	}
}

// pool is MAX_POOL_2D with SAME padding.
func pool[T int64 | float64](it *Tensor, op Operator, at func(int) T, set func(int, T)) {
	h, w, c := it.Shape[1], it.Shape[2], it.Shape[3]
	oh, ow := (h+op.StrideH-1)/op.StrideH, (w+op.StrideW-1)/op.StrideW
	for oy := range oh {
		for ox := range ow {
			for ch := range c {
				first := true
				var m T
				for dy := range op.KernelH {
					for dx := range op.KernelW {
						iy, ix := oy*op.StrideH+dy, ox*op.StrideW+dx
						if iy >= h || ix >= w {
							continue
						}
						if v := at((iy*w+ix)*c + ch); first || v > m {
							m, first = v, false
						}
					}
				}
				set((oy*ow+ox)*c+ch, m)
			}
		}
	}
}

// runInt8Graph interprets an int8 graph with integer arithmetic from its
// tensors alone; the requantisation multipliers are derived from the tensors'
// scales as TensorFlow Lite derives them (in float64 from the float32 scales;
// a FULLY_CONNECTED op's from the float32 product s_in·s_w) and checked
// against the operator's, and the softmax is computed in float64 from the
// de-quantised logits.
func runInt8Graph(t *testing.T, g *Graph, x []int8) []int64 {
	vals := map[int][]int64{}
	xin := make([]int64, len(x))
	for i, v := range x {
		xin[i] = int64(v)
	}
	vals[g.Input] = xin
	for _, op := range g.Ops {
		in := vals[op.Inputs[0]]
		it, ot := &g.Tensors[op.Inputs[0]], &g.Tensors[op.Outputs[0]]
		y := make([]int64, ot.Elements())
		switch op.Kind {
		case OpFullyConnected, OpConv2D, OpDepthwiseConv2D:
			w, b := &g.Tensors[op.Inputs[1]], &g.Tensors[op.Inputs[2]]
			zin, zout := it.Quant.ZeroPoint[0], ot.Quant.ZeroPoint[0]
			lo, hi := int64(-128), int64(127)
			if op.ReLU {
				lo = max(lo, zout)
			}
			if int64(op.ActMin) != lo || int64(op.ActMax) != hi {
				t.Fatalf("%s %s: activation range [%d, %d], want [%d, %d]", op.Kind, ot.Name, op.ActMin, op.ActMax, lo, hi)
			}
			fc := op.Kind == OpFullyConnected
			if fc && len(w.Quant.Scale) != 1 || !fc && len(w.Quant.Scale) != len(b.Int32) || len(b.Quant.Scale) != len(w.Quant.Scale) {
				t.Fatalf("%s %s: %d weight and %d bias scales for %d channels", op.Kind, ot.Name, len(w.Quant.Scale), len(b.Quant.Scale), len(b.Int32))
			}
			if want := RoundHalfUp; op.Kind == OpDepthwiseConv2D && op.Rounding != RoundHalfAway || op.Kind != OpDepthwiseConv2D && op.Rounding != want {
				t.Fatalf("%s %s: rounding %d", op.Kind, ot.Name, op.Rounding)
			}
			for o := range len(b.Int32) {
				sw := w.Quant.Scale[min(o, len(w.Quant.Scale)-1)]
				if bs, got := float64(float32(it.Quant.Scale[0]*sw)), b.Quant.Scale[min(o, len(b.Quant.Scale)-1)]; math.Abs(got-bs) > 1e-6*bs {
					t.Fatalf("%s bias scale %g, want s_in·s_w = %g", ot.Name, got, bs)
				}
				real := it.Quant.Scale[0] * sw / ot.Quant.Scale[0]
				if fc {
					real = float64(float32(it.Quant.Scale[0])*float32(sw)) / ot.Quant.Scale[0]
				}
				m, s := quantizeMultiplier(real)
				if m != op.Multiplier[o] || s != op.Shift[o] {
					t.Fatalf("%s channel %d: multiplier %d·2^%d, want %d·2^%d", ot.Name, o, op.Multiplier[o], op.Shift[o], m, s)
				}
			}
			requant := multiplyByQuantizedMultiplier
			if op.Rounding == RoundHalfUp {
				requant = multiplyByQuantizedMultiplierHalfUp
			}
			convolve(t, op, it, ot, w, func(o int) float64 { return float64(b.Int32[o]) },
				func(o, wi, xi int, acc float64) float64 { return acc + float64((in[xi]-zin)*int64(w.Int8[wi])) },
				func(i, o int, acc float64) {
					v := int64(requant(int32(acc), op.Multiplier[o], op.Shift[o])) + zout
					y[i] = max(lo, min(hi, v))
				})
		case OpMaxPool2D:
			pool(it, op, func(i int) int64 { return in[i] }, func(i int, v int64) { y[i] = v })
		case OpReshape:
			copy(y, in)
		case OpSoftmax:
			s := it.Quant.Scale[0]
			m := slices.Max(in)
			var sum float64
			e := make([]float64, len(in))
			for i, v := range in {
				e[i] = math.Exp(s * float64(v-m))
				sum += e[i]
			}
			for i := range y {
				y[i] = min(127, int64(math.Round(e[i]/sum*256))-128)
			}
		default:
			t.Fatalf("unknown op %s", op.Kind)
		}
		vals[op.Outputs[0]] = y
	}
	return vals[g.Output]
}

// TestGraph runs the float32 and int8 graphs of networks of every layer type
// in an interpreter that reads only the graph, and checks that they compute
// what Classify and ClassifyInt8 compute: float32 within 1e-5 relative, int8
// exactly (the softmax within one step of 1/256, the interpreter using the
// exact exponential).
func TestGraph(t *testing.T) {
	t.Parallel()
	for name, c := range graphNetworks(t) {
		t.Run(name, func(t *testing.T) {
			res, X := c.res, c.d.X
			n := res.Network
			q, err := Quantize(context.Background(), n, X, res.Validation)
			if err != nil {
				t.Fatal(err)
			}
			checkGraphShape(t, n.Graph(), Float32, n)
			checkGraphShape(t, q.Graph(), Int8, n)
			fg, qg := n.Graph(), q.Graph()
			row := make([]float64, n.Features())
			qx := make([]int8, n.Features())
			qy := make([]int8, q.Outputs())
			var worst float64
			maxStep := int64(0)
			for _, r := range res.Validation {
				copy(row, X.RawRowView(r))
				want, err := n.Classify(nil, row)
				if err != nil {
					t.Fatal(err)
				}
				got := runFloatGraph(t, fg, row)
				for j := range want {
					if !close32(got[j], want[j], 1e-6, 1e-5) {
						t.Fatalf("window %d output %d: float graph %.8g, Classify %.8g", r, j, got[j], want[j])
					}
					worst = max(worst, math.Abs(got[j]-want[j]))
				}
				for j, v := range row {
					qx[j] = q.input.QuantizeInput(v)
				}
				if err := q.ClassifyInt8(qy, qx); err != nil {
					t.Fatal(err)
				}
				gi := runInt8Graph(t, qg, qx)
				soft := !n.regression
				for j := range qy {
					d := gi[j] - int64(qy[j])
					if d < 0 {
						d = -d
					}
					maxStep = max(maxStep, d)
					if d > 1 || (!soft && d != 0) {
						t.Fatalf("window %d output %d: int8 graph %d, ClassifyInt8 %d", r, j, gi[j], qy[j])
					}
				}
			}
			t.Logf("%d windows: float32 largest difference %.2g, int8 largest step %d", len(res.Validation), worst, maxStep)
		})
	}
}

// checkGraphShape checks the structural promises of a graph: tensor indices
// in range, constants of the right size and type, activations of the graph's
// type, quantisation where it belongs, and the input and output shapes.
func checkGraphShape(t *testing.T, g *Graph, dt DType, n *Network) {
	t.Helper()
	if g.DType != dt {
		t.Fatalf("graph type %v, want %v", g.DType, dt)
	}
	if got := g.Tensors[g.Input].Elements(); got != n.Features() {
		t.Errorf("input has %d elements, network takes %d", got, n.Features())
	}
	if got := g.Tensors[g.Output].Elements(); got != n.Outputs() {
		t.Errorf("output has %d elements, network gives %d", got, n.Outputs())
	}
	for i, tn := range g.Tensors {
		if tn.Constant() {
			var l int
			switch tn.Type {
			case Float32:
				l = len(tn.Float32)
			case Int8:
				l = len(tn.Int8)
			case Int32:
				l = len(tn.Int32)
			}
			if l != tn.Elements() {
				t.Errorf("tensor %d (%s): %d values for shape %v", i, tn.Name, l, tn.Shape)
			}
		} else if tn.Type != dt {
			t.Errorf("activation %d (%s) is %v in a %v graph", i, tn.Name, tn.Type, dt)
		}
		if (tn.Type == Float32) != (tn.Quant == nil) && !(tn.Type == Int32 && tn.Quant == nil) {
			t.Errorf("tensor %d (%s, %v): quantisation %v", i, tn.Name, tn.Type, tn.Quant)
		}
	}
	for _, op := range g.Ops {
		for _, x := range append(slices.Clone(op.Inputs), op.Outputs...) {
			if x < 0 || x >= len(g.Tensors) {
				t.Fatalf("%s: tensor index %d out of range", op.Kind, x)
			}
		}
		if in, out := &g.Tensors[op.Inputs[0]], &g.Tensors[op.Outputs[0]]; op.Kind == OpReshape && in.Elements() != out.Elements() {
			t.Errorf("RESHAPE %v → %v changes the element count", in.Shape, out.Shape)
		}
	}
	if !n.regression && g.Ops[len(g.Ops)-1].Kind != OpSoftmax {
		t.Errorf("a classifier's graph ends in %s, not SOFTMAX", g.Ops[len(g.Ops)-1].Kind)
	}
}
