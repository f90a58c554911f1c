package deploy_test

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"testing"

	"github.com/tinyimpulse/tinyimpulse/deploy"
	"github.com/tinyimpulse/tinyimpulse/learn"
)

// opShape is one int8 operator shape: a CONV_2D or DEPTHWISE_CONV_2D with
// SAME padding, a FULLY_CONNECTED, a MAX_POOL_2D, a SOFTMAX or a RESHAPE.
type opShape struct {
	name                   string
	kind                   learn.OpKind
	kh, kw, s, cin, cout   int
	ih, iw, oh, ow         int
	relu                   bool
	lowShift               bool    // shifts from -2 to 1 (some left shifts: the runtime's general requantisation)
	tflm                   float64 // TFLM + CMSIS-NN instructions (device-calibration-qemu-perop.csv), 0 if none
	macs                   float64
	csvModel, csvOpIndices string
}

// lcg is the harness's input generator, the same in C (measure_nets.c):
// state = state·1664525 + 1013904223, the value its top byte.
type lcg uint32

func (l *lcg) next() uint32 {
	*l = *l*1664525 + 1013904223
	return uint32(*l)
}

func (l *lcg) int8() int8 { return int8(l.next() >> 24) }

// synthGraph builds a one-operator int8 graph of shape o with weights,
// biases, zero points and requantisation drawn from seed (multipliers
// from 2^30 to 2^31, shifts from -10 to -5, as trained networks have).
func synthGraph(o opShape, seed uint32) *learn.Graph {
	r := lcg(seed)
	g := &learn.Graph{DType: learn.Int8}
	act := func(name string, shape []int, zp int64) int {
		g.Tensors = append(g.Tensors, learn.Tensor{Name: name, Type: learn.Int8, Shape: shape,
			Quant: &learn.Quantization{Scale: []float64{float64(float32(0.05 + float64(r.next()%100)/1000))}, ZeroPoint: []int64{zp}}})
		return len(g.Tensors) - 1
	}
	zp := func() int64 { return int64(r.int8()) }
	op := learn.Operator{Kind: o.kind, KernelH: max(o.kh, 1), KernelW: max(o.kw, 1), StrideH: max(o.s, 1), StrideW: max(o.s, 1), ActMin: -128, ActMax: 127}
	var in, out int
	switch o.kind {
	case learn.OpFullyConnected:
		in, out = act("x", []int{1, o.cin}, zp()), -1
	case learn.OpSoftmax, learn.OpReshape:
		in = act("x", []int{1, o.cin}, zp())
	default:
		in = act("x", []int{1, o.ih, o.iw, o.cin}, zp())
	}
	weighted := o.kind == learn.OpFullyConnected || o.kind == learn.OpConv2D || o.kind == learn.OpDepthwiseConv2D
	if weighted {
		var wshape []int
		per := o.cin
		switch o.kind {
		case learn.OpConv2D:
			wshape, per = []int{o.cout, o.kh, o.kw, o.cin}, o.kh*o.kw*o.cin
		case learn.OpDepthwiseConv2D:
			wshape, per = []int{1, o.kh, o.kw, o.cout}, o.kh*o.kw
		default:
			wshape = []int{o.cout, o.cin}
		}
		w := make([]int8, per*o.cout)
		for i := range w {
			w[i] = max(-127, r.int8())
		}
		b := make([]int32, o.cout)
		for i := range b {
			b[i] = int32(r.next()%4001) - 2000
		}
		g.Tensors = append(g.Tensors, learn.Tensor{Name: "w", Type: learn.Int8, Shape: wshape, Int8: w},
			learn.Tensor{Name: "b", Type: learn.Int32, Shape: []int{o.cout}, Int32: b})
		op.Inputs = []int{in, len(g.Tensors) - 2, len(g.Tensors) - 1}
		op.Multiplier, op.Shift = make([]int32, o.cout), make([]int32, o.cout)
		for i := range op.Multiplier {
			op.Multiplier[i] = int32(1<<30 + r.next()%(1<<30))
			op.Shift[i] = -5 - int32(r.next()%6)
			if o.lowShift {
				op.Shift[i] = 1 - int32(r.next()%4)
			}
		}
		op.Rounding = learn.RoundHalfUp
		if o.kind == learn.OpDepthwiseConv2D {
			op.Rounding = learn.RoundHalfAway
		}
		if o.relu {
			op.ReLU = true
		}
		op.MACs = int(o.macs)
	} else {
		op.Inputs = []int{in}
	}
	switch o.kind {
	case learn.OpFullyConnected:
		out = act("y", []int{1, o.cout}, zp())
	case learn.OpSoftmax:
		out = act("y", []int{1, o.cin}, -128)
		g.Tensors[out].Quant.Scale[0] = 1.0 / 256
		op.SoftmaxTable = learn.SoftmaxTable(g.Tensors[in].Quant.Scale[0])
	case learn.OpReshape:
		out = act("y", []int{1, 1, 1, o.cin}, g.Tensors[in].Quant.ZeroPoint[0])
		g.Tensors = append(g.Tensors, learn.Tensor{Name: "shape", Type: learn.Int32, Shape: []int{4}, Int32: []int32{1, 1, 1, int32(o.cin)}})
		op.Inputs = append(op.Inputs, len(g.Tensors)-1)
	case learn.OpMaxPool2D:
		out = act("y", []int{1, o.oh, o.ow, o.cin}, g.Tensors[in].Quant.ZeroPoint[0])
	default:
		out = act("y", []int{1, o.oh, o.ow, o.cout}, zp())
	}
	if o.relu {
		op.ActMin = max(-128, int32(g.Tensors[out].Quant.ZeroPoint[0]))
	}
	op.Outputs = []int{out}
	g.Ops = []learn.Operator{op}
	g.Input, g.Output = in, out
	return g
}

// refRequant is TensorFlow Lite's MultiplyByQuantizedMultiplier, written
// from its definition (gemmlowp's SaturatingRoundingDoublingHighMul, then
// a rounding right shift).
func refRequant(acc, mult, shift int32, halfUp bool) int64 {
	left, right := max(shift, 0), max(-shift, 0)
	x := int64(int32(uint32(acc) << left))
	ab := x * int64(mult)
	nudge := int64(1 << 30)
	if ab < 0 {
		nudge = 1 - 1<<30
	}
	r := (ab + nudge) / (1 << 31)
	if right == 0 {
		return r
	}
	q := r >> right
	rem, half := r-q<<right, int64(1)<<(right-1)
	if rem > half || rem == half && (halfUp || r >= 0) {
		q++
	}
	return q
}

// refRun computes a one-operator graph from its description alone.
func refRun(g *learn.Graph, x []int8) []int8 {
	op := &g.Ops[0]
	in, out := &g.Tensors[op.Inputs[0]], &g.Tensors[op.Outputs[0]]
	zin, zout := in.Quant.ZeroPoint[0], out.Quant.ZeroPoint[0]
	y := make([]int8, out.Elements())
	store := func(i, o int, acc int64) {
		v := refRequant(int32(acc), op.Multiplier[o], op.Shift[o], op.Rounding == learn.RoundHalfUp) + zout
		y[i] = int8(max(int64(op.ActMin), min(int64(op.ActMax), v)))
	}
	shape4 := func(t *learn.Tensor) (h, w, c int) {
		if len(t.Shape) == 4 {
			return t.Shape[1], t.Shape[2], t.Shape[3]
		}
		return 1, 1, t.Elements()
	}
	ih, iw, cin := shape4(in)
	oh, ow, cout := shape4(out)
	pad := func(i, o, k, s int) int { return max(0, (o-1)*s+k-i) / 2 }
	ph, pw := pad(ih, oh, op.KernelH, op.StrideH), pad(iw, ow, op.KernelW, op.StrideW)
	switch op.Kind {
	case learn.OpReshape:
		copy(y, x)
	case learn.OpSoftmax:
		m := x[0]
		for _, v := range x {
			m = max(m, v)
		}
		var sum float32
		for _, v := range x {
			sum += op.SoftmaxTable[255-int(m)+int(v)]
		}
		inv := 1 / (sum * (1.0 / 256))
		for j, v := range x {
			p := op.SoftmaxTable[255-int(m)+int(v)] * inv
			q := int64(p)
			if p-float32(q) >= 0.5 {
				q++
			}
			y[j] = int8(max(-128, min(127, q-128)))
		}
	case learn.OpFullyConnected:
		w, b := &g.Tensors[op.Inputs[1]], &g.Tensors[op.Inputs[2]]
		for o := range cout {
			acc := int64(b.Int32[o])
			for i := range cin {
				acc += (int64(x[i]) - zin) * int64(w.Int8[o*cin+i])
			}
			store(o, o, acc)
		}
	case learn.OpConv2D, learn.OpDepthwiseConv2D, learn.OpMaxPool2D:
		for oy := range oh {
			for ox := range ow {
				for o := range cout {
					var acc int64
					first, best := true, int8(0)
					if op.Kind != learn.OpMaxPool2D {
						acc = int64(g.Tensors[op.Inputs[2]].Int32[o])
					}
					for dy := range op.KernelH {
						iy := oy*op.StrideH + dy - ph
						for dx := range op.KernelW {
							ix := ox*op.StrideW + dx - pw
							if iy < 0 || iy >= ih || ix < 0 || ix >= iw {
								continue
							}
							px := x[(iy*iw+ix)*cin:]
							switch op.Kind {
							case learn.OpConv2D:
								w := g.Tensors[op.Inputs[1]].Int8[((o*op.KernelH+dy)*op.KernelW+dx)*cin:]
								for c := range cin {
									acc += (int64(px[c]) - zin) * int64(w[c])
								}
							case learn.OpDepthwiseConv2D:
								acc += (int64(px[o]) - zin) * int64(g.Tensors[op.Inputs[1]].Int8[(dy*op.KernelW+dx)*cout+o])
							default:
								if first || px[o] > best {
									best, first = px[o], false
								}
							}
						}
					}
					i := (oy*ow+ox)*cout + o
					if op.Kind == learn.OpMaxPool2D {
						y[i] = best
					} else {
						store(i, o, acc)
					}
				}
			}
		}
	}
	return y
}

// tflmShapes reads the int8 operators of the MLPerf Tiny models measured
// with TensorFlow Lite Micro and CMSIS-NN (../shared/spec/
// device-calibration-qemu-perop.csv, the copy in device/calibration) that
// the runtime has, one per distinct shape, with their instruction counts
// (the mean over the models' ops of that shape).
func tflmShapes(t *testing.T) []opShape {
	t.Helper()
	f, err := os.Open("../device/calibration/device-calibration-qemu-perop.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(bufio.NewReader(f)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	reConv := regexp.MustCompile(`^k(\d+)x(\d+) s(\d+) cin(\d+) cout(\d+) out(\d+)x(\d+)$`)
	reFC := regexp.MustCompile(`^(\d+)->(\d+)$`)
	var out []opShape
	index := map[string]int{}
	count := map[string]int{}
	for _, r := range recs[1:] {
		if r[8] != "int8" {
			continue
		}
		o := opShape{kind: learn.OpKind(r[2]), csvModel: r[0]}
		o.macs, _ = strconv.ParseFloat(r[4], 64)
		insn, _ := strconv.ParseFloat(r[6], 64)
		elems, _ := strconv.Atoi(r[5])
		at := func(s string) int { v, _ := strconv.Atoi(s); return v }
		switch {
		case o.kind == learn.OpConv2D || o.kind == learn.OpDepthwiseConv2D:
			m := reConv.FindStringSubmatch(r[3])
			if m == nil {
				t.Fatalf("bad config %q", r[3])
			}
			o.kh, o.kw, o.s, o.cin, o.cout, o.oh, o.ow = at(m[1]), at(m[2]), at(m[3]), at(m[4]), at(m[5]), at(m[6]), at(m[7])
			o.ih, o.iw, o.relu = o.oh*o.s, o.ow*o.s, true
			o.name = fmt.Sprintf("%s %s", o.kind, r[3])
		case o.kind == learn.OpFullyConnected:
			m := reFC.FindStringSubmatch(r[3])
			o.cin, o.cout = at(m[1]), at(m[2])
			o.name = fmt.Sprintf("%s %s", o.kind, r[3])
		case o.kind == learn.OpSoftmax || o.kind == learn.OpReshape:
			o.cin, o.cout = elems, elems
			o.name = fmt.Sprintf("%s %d", o.kind, elems)
		default:
			continue // AVERAGE_POOL_2D and ADD: no such ops in learn's graphs
		}
		key := o.name
		if i, ok := index[key]; ok {
			out[i].tflm += insn
			out[i].csvOpIndices += "," + r[0] + ":" + r[1]
			count[key]++
			continue
		}
		o.tflm = insn
		o.csvOpIndices = r[0] + ":" + r[1]
		index[key] = len(out)
		count[key] = 1
		out = append(out, o)
	}
	for i := range out {
		out[i].tflm /= float64(count[out[i].name])
	}
	return out
}

// extraShapes are small shapes of every path of the general kernels: odd
// channel counts, strides 1-3, kernels wider and taller than the input's
// padding, 1-row kernels, kernels as wide as the input.
func extraShapes() []opShape {
	var out []opShape
	conv := func(kind learn.OpKind, kh, kw, s, cin, cout, ih, iw int, relu bool) {
		oh, ow := (ih+s-1)/s, (iw+s-1)/s
		if kind == learn.OpDepthwiseConv2D || kind == learn.OpMaxPool2D {
			cout = cin
		}
		out = append(out, opShape{name: fmt.Sprintf("%s k%dx%d s%d cin%d cout%d in%dx%d", kind, kh, kw, s, cin, cout, ih, iw),
			kind: kind, kh: kh, kw: kw, s: s, cin: cin, cout: cout, ih: ih, iw: iw, oh: oh, ow: ow, relu: relu})
	}
	for _, c := range [][7]int{{3, 3, 1, 3, 5, 7, 6}, {3, 3, 2, 4, 8, 9, 9}, {5, 2, 3, 2, 3, 8, 7}, {1, 1, 1, 6, 3, 4, 5}, {1, 1, 2, 5, 4, 6, 6},
		{1, 3, 1, 7, 5, 1, 9}, {1, 5, 1, 8, 8, 1, 4}, {3, 4, 1, 2, 3, 3, 4}, {2, 2, 1, 1, 1, 3, 3}, {4, 4, 1, 3, 2, 5, 5}} {
		conv(learn.OpConv2D, c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[2] == 1)
		conv(learn.OpDepthwiseConv2D, c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[2] != 1)
		conv(learn.OpMaxPool2D, c[0], c[1], c[2], c[3], c[4], c[5], c[6], false)
	}
	for _, c := range [][2]int{{1, 1}, {3, 2}, {5, 7}, {16, 9}, {33, 20}, {130, 4}} {
		out = append(out, opShape{name: fmt.Sprintf("FULLY_CONNECTED %d->%d", c[0], c[1]), kind: learn.OpFullyConnected, cin: c[0], cout: c[1], relu: c[1]%2 == 0})
	}
	for _, o := range out[:6] {
		o.lowShift = true
		o.name += " low shifts"
		out = append(out, o)
	}
	out = append(out, opShape{name: "FULLY_CONNECTED 9->6 low shifts", kind: learn.OpFullyConnected, cin: 9, cout: 6, lowShift: true})
	for _, n := range []int{1, 2, 7, 100} {
		out = append(out, opShape{name: fmt.Sprintf("SOFTMAX %d", n), kind: learn.OpSoftmax, cin: n, cout: n})
	}
	return out
}

// TestHostInt8Ops runs one-operator int8 graphs of every shape of the
// MLPerf Tiny models measured with TFLM (CONV_2D with strides and 10×4
// kernels, 3×3 DEPTHWISE_CONV_2D, FULLY_CONNECTED, SOFTMAX, RESHAPE) and
// small shapes of every path of the general kernels through the C runtime
// (host build and ASan/UBSan build) on inputs from the harness's
// generator, and checks every output against refRun, which computes the
// operator from the graph's description.
func TestHostInt8Ops(t *testing.T) {
	hostCC(t)
	shapes := append(tflmShapes(t), extraShapes()...)
	var nets []*deploy.Network
	var reqs []qReq
	var want [][]int8
	for i, o := range shapes {
		g := synthGraph(o, uint32(i+1))
		n, err := deploy.NewNetwork(g)
		if err != nil {
			t.Fatalf("%s: %v", o.name, err)
		}
		nets = append(nets, n)
		in := lcg(1000 + i)
		for range 2 {
			x := make([]int8, g.Tensors[g.Input].Elements())
			for j := range x {
				x[j] = in.int8()
			}
			reqs = append(reqs, qReq{net: i, in: x, outputs: g.Tensors[g.Output].Elements()})
			want = append(want, refRun(g, x))
		}
	}
	got := runQDriver(t, buildQDriver(t, nets, deploy.Float32, false), reqs)
	for i, r := range reqs {
		if !bytes.Equal(int8Bytes(got[i]), int8Bytes(want[i])) {
			t.Errorf("%s: C and the reference differ", shapes[r.net].name)
		}
	}
	// ASan and UBSan on the small shapes (every path; the MLPerf shapes'
	// weights would make the instrumented build slow).
	first := len(tflmShapes(t))
	var sreqs []qReq
	var swant [][]int8
	for i, r := range reqs {
		if r.net >= first {
			r.net -= first
			sreqs = append(sreqs, r)
			swant = append(swant, want[i])
		}
	}
	got = runQDriver(t, buildQDriver(t, nets[first:], deploy.Float32, true), sreqs)
	for i, r := range sreqs {
		if !bytes.Equal(int8Bytes(got[i]), int8Bytes(swant[i])) {
			t.Errorf("%s (ASan/UBSan): C and the reference differ", shapes[first+r.net].name)
		}
	}
	t.Logf("%d operator shapes, %d runs (%d under ASan/UBSan): outputs equal the reference", len(shapes), len(reqs), len(sreqs))
}
