package learn

import (
	"fmt"
	"math"
	"slices"
)

// DType is the element type of a graph tensor.
type DType uint8

// Tensor element types.
const (
	Float32 DType = iota + 1
	Int8
	Int32
)

// String returns the type's name as TensorFlow Lite spells it in lower case:
// "float32", "int8", "int32".
func (t DType) String() string {
	switch t {
	case Float32:
		return "float32"
	case Int8:
		return "int8"
	case Int32:
		return "int32"
	}
	return fmt.Sprintf("DType(%d)", uint8(t))
}

// Size returns the bytes of one element.
func (t DType) Size() int {
	if t == Int8 {
		return 1
	}
	return 4
}

// OpKind names a graph operator as TensorFlow Lite's builtin operators are
// named.
type OpKind string

// Graph operators.
const (
	OpFullyConnected  OpKind = "FULLY_CONNECTED"
	OpConv2D          OpKind = "CONV_2D"
	OpDepthwiseConv2D OpKind = "DEPTHWISE_CONV_2D"
	OpMaxPool2D       OpKind = "MAX_POOL_2D"
	OpReshape         OpKind = "RESHAPE"
	OpSoftmax         OpKind = "SOFTMAX"
)

// Graph is a network as an inference graph: its tensors, and its operators
// in execution order, laid out as TensorFlow Lite lays out a converted Keras
// model. The tflite writer serialises it, the C generator compiles it and the
// device estimator costs it, so all three describe the very network that
// Classify runs.
//
// Layout. Activation tensors carry the batch dimension (1); a dense layer's
// tensors are 2-D (1, n), convolutions, pooling and depthwise ops work on 4-D
// NHWC tensors, a 1-D convolution being a 1×k CONV_2D on a 1-row map between
// RESHAPE ops. Constant tensors hold their data in TensorFlow Lite's order:
// fully connected weights (out, in), convolution weights (out, kh, kw, in),
// depthwise weights (1, 1, 1, c), biases (out); a RESHAPE's second input is
// its int32 target shape.
//
// Operators. Dropout layers disappear. A batch normalisation layer (which in
// Studio's networks follows a ReLU, so it cannot be folded into the layer
// before it) becomes one 1×1 DEPTHWISE_CONV_2D per-channel affine op,
// x·γ/√(σ²+ε) + (β − μ·γ/√(σ²+ε)), between RESHAPE ops when its input is
// flat. A classifier ends in SOFTMAX (β = 1).
//
// Quantisation. In an int8 graph every activation tensor is int8 with one
// scale and zero point, convolution and depthwise weights are symmetric int8
// per output channel (zero points 0, quantised dimension 0 for convolutions
// and 3 for depthwise weights), fully connected weights symmetric int8 with
// one scale (TensorFlow Lite 2.9's FULLY_CONNECTED reads only a per-tensor
// scale), biases int32 with scale s_in·s_w per channel (per tensor for
// fully connected ops), and the softmax output has scale 1/256 and zero
// point −128. Every scale is a float32 value. Every quantised op also gives
// the fixed-point requantisation the integer kernels use, and the int8
// softmax its exponential table (see [Operator]).
type Graph struct {
	// DType is the type of the activations: Float32 or Int8.
	DType   DType
	Tensors []Tensor
	Ops     []Operator
	// Input and Output index the tensors of the window's features and the
	// network's outputs.
	Input, Output int
	// Labels are the class names in output order (classification) or the
	// target's name (regression).
	Labels     []string
	Regression bool
}

// Tensor is one tensor of a Graph: an activation (no data) or a constant.
type Tensor struct {
	Name  string
	Type  DType
	Shape []int
	// Exactly one of these holds a constant tensor's data, by Type; all are
	// nil for activations.
	Float32 []float32
	Int8    []int8
	Int32   []int32
	// Quant is the affine quantisation of an int8 or int32 tensor, nil for
	// float32 tensors.
	Quant *Quantization
}

// Constant reports whether t holds data.
func (t *Tensor) Constant() bool { return t.Float32 != nil || t.Int8 != nil || t.Int32 != nil }

// Elements returns the number of elements of t's shape.
func (t *Tensor) Elements() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// Bytes returns the size of t's data (of its shape, for activations).
func (t *Tensor) Bytes() int { return t.Elements() * t.Type.Size() }

// Quantization holds the affine parameters of a quantised tensor,
// real = Scale·(q − ZeroPoint): one pair for the whole tensor, or one per
// index of dimension Axis. Scales are float32 values (TensorFlow Lite stores
// them so), held in float64.
type Quantization struct {
	Scale     []float64
	ZeroPoint []int64
	Axis      int
}

// Operator is one operator of a Graph.
type Operator struct {
	Kind OpKind
	// Inputs and Outputs index Graph.Tensors. FULLY_CONNECTED, CONV_2D and
	// DEPTHWISE_CONV_2D take (input, weights, bias), RESHAPE (input, shape).
	Inputs, Outputs []int
	// KernelH, KernelW, StrideH and StrideW describe convolutions and
	// pooling (1 otherwise); every padding is TensorFlow's "SAME".
	KernelH, KernelW, StrideH, StrideW int
	// ReLU reports a fused ReLU activation.
	ReLU bool
	// MACs is the number of multiply-accumulates of one inference.
	MACs int
	// Multiplier and Shift (int8 FULLY_CONNECTED, CONV_2D and
	// DEPTHWISE_CONV_2D) requantise output channel o's int32 accumulator:
	// y = clamp(MultiplyByQuantizedMultiplier(acc, Multiplier[o], Shift[o])
	// + zero point, ActMin, ActMax), with TensorFlow Lite's rounding (a
	// saturating rounding doubling high multiply by the Q31 Multiplier, then
	// a rounding right shift by −Shift, or a left shift by Shift first when
	// it is positive). Rounding says how the right shift rounds halves.
	Multiplier, Shift []int32
	Rounding          Rounding
	ActMin, ActMax    int32
	// SoftmaxTable (int8 SOFTMAX) is TensorFlow Lite's exponential table for
	// the op's input scale s: SoftmaxTable[255−d] = exp(−s·d) in float32
	// (see [SoftmaxTable]). For logits x with maximum m, e_j =
	// SoftmaxTable[255−m+x_j], sum = Σe_j in float32 in order, and
	// y_j = clamp(round(e_j / (sum/256)) − 128), rounding half away from zero,
	// all in float32 arithmetic.
	SoftmaxTable []float32
}

// Rounding is the rounding of the final right shift of a requantisation.
// It matters only for negative values exactly halfway between two integers,
// so never after a fused ReLU.
type Rounding uint8

const (
	// RoundHalfAway rounds halves away from zero, as gemmlowp's
	// RoundingDivideByPOT in TensorFlow Lite's reference kernels (which TFLite
	// Micro runs) and in TensorFlow Lite 2.9's optimized DEPTHWISE_CONV_2D.
	RoundHalfAway Rounding = iota
	// RoundHalfUp rounds halves toward +∞, as the ruy matrix kernels behind
	// TensorFlow Lite 2.9's optimized FULLY_CONNECTED and CONV_2D.
	RoundHalfUp
)

// Graph returns the float32 network as an inference graph.
func (n *Network) Graph() *Graph {
	return buildGraph(n.layers, n.params, n.state, nil, n.labels, n.regression)
}

// Graph returns the int8 network as an inference graph.
func (q *Int8Network) Graph() *Graph {
	return buildGraph(q.float, nil, nil, q, q.labels, q.regression)
}

// graphBuilder appends tensors and operators.
type graphBuilder struct {
	g   *Graph
	q   *Int8Network
	cur int // the current activation tensor
}

func (b *graphBuilder) tensor(t Tensor) int {
	b.g.Tensors = append(b.g.Tensors, t)
	return len(b.g.Tensors) - 1
}

// activation adds an activation tensor of the given shape with quantisation
// qp (ignored in a float graph).
func (b *graphBuilder) activation(name string, shape []int, qp QuantParams) int {
	t := Tensor{Name: name, Type: b.g.DType, Shape: shape}
	if b.g.DType == Int8 {
		t.Quant = &Quantization{Scale: []float64{qp.Scale}, ZeroPoint: []int64{int64(qp.ZeroPoint)}}
	}
	return b.tensor(t)
}

// reshape adds a RESHAPE of the current tensor to shape. As TensorFlow
// Lite's converter does, it folds consecutive reshapes into one (when the
// current tensor is itself the output of a RESHAPE, that op reshapes
// straight to shape) and leaves out reshapes that change nothing.
func (b *graphBuilder) reshape(name string, shape []int, qp QuantParams) {
	dims := make([]int32, len(shape))
	for i, d := range shape {
		dims[i] = int32(d)
	}
	if n := len(b.g.Ops); n > 0 && b.g.Ops[n-1].Kind == OpReshape && b.g.Ops[n-1].Outputs[0] == b.cur {
		op := &b.g.Ops[n-1]
		if src := op.Inputs[0]; slices.Equal(b.g.Tensors[src].Shape, shape) {
			// Back to the shape before the reshape: drop it (its tensors
			// stay, unused).
			b.g.Ops = b.g.Ops[:n-1]
			b.cur = src
			return
		}
		b.g.Tensors[op.Inputs[1]] = Tensor{Name: name + "/shape", Type: Int32, Shape: []int{len(shape)}, Int32: dims}
		out := &b.g.Tensors[b.cur]
		out.Name, out.Shape = name, shape
		return
	}
	if slices.Equal(b.g.Tensors[b.cur].Shape, shape) {
		return
	}
	s := b.tensor(Tensor{Name: name + "/shape", Type: Int32, Shape: []int{len(shape)}, Int32: dims})
	out := b.activation(name, shape, qp)
	b.g.Ops = append(b.g.Ops, Operator{Kind: OpReshape, Inputs: []int{b.cur, s}, Outputs: []int{out},
		KernelH: 1, KernelW: 1, StrideH: 1, StrideW: 1})
	b.cur = out
}

func buildGraph(layers []layer, params, state []float32, q *Int8Network, labels []string, regression bool) *Graph {
	g := &Graph{DType: Float32, Labels: append([]string(nil), labels...), Regression: regression}
	if q != nil {
		g.DType = Int8
	}
	b := &graphBuilder{g: g, q: q}
	// qOf maps a float layer to its integer op.
	qOf := map[int]*qlayer{}
	inQ := QuantParams{}
	if q != nil {
		inQ = q.input
		for i := range q.layers {
			if q.layers[i].kind != qSoftmax {
				qOf[q.layers[i].src] = &q.layers[i]
			}
		}
	}
	cur := inQ // quantisation of the current tensor
	in := layers[0].in
	g.Input = b.activation("x_input", batched(in, false), cur)
	b.cur = g.Input
	expanded := false // the current tensor is a (steps, channels) map held 4-D
	for i := range layers {
		l := &layers[i]
		// A batch normalisation of a (steps, channels) map works on it held
		// 4-D, as 1-D convolutions and pooling do (DEPTHWISE_CONV_2D needs
		// 4-D tensors).
		oneD := l.kind == kConv1D || l.kind == kPool1D || (l.kind == kBatchNorm && l.in.rank == 2)
		switch {
		case oneD && !expanded:
			b.reshape(l.name+"/expand", batched(l.in, true), cur)
			expanded = true
		case !oneD && expanded && l.kind != kDropout && l.kind != kReshape:
			b.reshape(l.name+"/squeeze", batched(l.in, false), cur)
			expanded = false
		}
		switch l.kind {
		case kDropout:
			continue
		case kReshape:
			b.reshape(l.name, batched(l.out, false), cur)
			expanded = false
		case kPool1D, kPool2D:
			out := b.activation(l.name, batched(l.out, true), cur)
			op := Operator{Kind: OpMaxPool2D, Inputs: []int{b.cur}, Outputs: []int{out}, KernelH: 2, KernelW: 2, StrideH: 2, StrideW: 2}
			if oneD {
				op.KernelH, op.StrideH = 1, 1
			}
			g.Ops = append(g.Ops, op)
			b.cur = out
		case kDense, kConv1D, kConv2D, kBatchNorm:
			ql := qOf[i]
			outQ := QuantParams{}
			if ql != nil {
				outQ = ql.outQ
			}
			if l.kind == kBatchNorm && l.in.rank == 1 {
				b.reshape(l.name+"/expand", []int{1, 1, 1, l.in.c}, cur)
			}
			b.weighted(l, params, state, ql, cur)
			cur = outQ
			if l.kind == kBatchNorm && l.in.rank == 1 {
				b.reshape(l.name+"/squeeze", batched(l.out, false), cur)
			}
			if l.act == actSoftmax {
				sq := softmaxQuant
				out := b.activation(l.name+"/softmax", batched(l.out, false), sq)
				op := Operator{Kind: OpSoftmax, Inputs: []int{b.cur}, Outputs: []int{out}, KernelH: 1, KernelW: 1, StrideH: 1, StrideW: 1}
				if q != nil {
					op.SoftmaxTable = SoftmaxTable(cur.Scale)
				}
				g.Ops = append(g.Ops, op)
				b.cur, cur = out, sq
			}
		}
	}
	g.Output = b.cur
	g.compact()
	return g
}

// compact drops the tensors no operator uses (left by folded reshapes) and
// renumbers the others in order of first use.
func (g *Graph) compact() {
	newID := make([]int, len(g.Tensors))
	for i := range newID {
		newID[i] = -1
	}
	var kept []Tensor
	use := func(id int) int {
		if newID[id] < 0 {
			newID[id] = len(kept)
			kept = append(kept, g.Tensors[id])
		}
		return newID[id]
	}
	g.Input = use(g.Input)
	for i := range g.Ops {
		op := &g.Ops[i]
		for j, id := range op.Inputs {
			op.Inputs[j] = use(id)
		}
		for j, id := range op.Outputs {
			op.Outputs[j] = use(id)
		}
	}
	g.Output = use(g.Output)
	g.Tensors = kept
}

// weighted adds a dense, convolution or batch normalisation layer: its
// weights, bias, output tensor and operator.
func (b *graphBuilder) weighted(l *layer, params, state []float32, ql *qlayer, inQ QuantParams) {
	g := b.g
	cout := l.out.c
	op := Operator{StrideH: 1, StrideW: 1, KernelH: 1, KernelW: 1, ReLU: l.act == actReLU}
	var wshape []int
	cin := l.in.c
	switch l.kind {
	case kDense:
		op.Kind = OpFullyConnected
		wshape = []int{cout, cin}
		op.MACs = l.wn
	case kConv1D:
		op.Kind, op.KernelW = OpConv2D, l.k
		wshape = []int{cout, 1, l.k, cin}
		op.MACs = l.out.size() * l.wn / cout
	case kConv2D:
		op.Kind, op.KernelH, op.KernelW = OpConv2D, l.k, l.k
		wshape = []int{cout, l.k, l.k, cin}
		op.MACs = l.out.size() * l.wn / cout
	case kBatchNorm:
		op.Kind = OpDepthwiseConv2D
		wshape = []int{1, 1, 1, cout}
		op.MACs = l.out.size()
	}
	outShape := batched(l.out, l.kind != kDense)
	if l.kind == kBatchNorm && l.in.rank == 1 {
		outShape = []int{1, 1, 1, cout}
	}
	wt := Tensor{Name: l.name + "/kernel", Shape: wshape}
	bt := Tensor{Name: l.name + "/bias", Shape: []int{cout}}
	// The package keeps kernels as (…, cout): TFLite's element (o, r), r
	// over kh·kw·cin, is stored at r·cout + o.
	k := 1
	for _, d := range wshape[1:] {
		k *= d
	}
	if l.kind == kBatchNorm {
		k = 1
	}
	if ql == nil {
		wt.Type, bt.Type = Float32, Float32
		w := make([]float32, cout*k)
		bias := make([]float32, cout)
		if l.kind == kBatchNorm {
			for j := range cout {
				a := float64(params[l.w+j]) / math.Sqrt(float64(state[l.s+cout+j])+bnEpsilon)
				w[j] = float32(a)
				bias[j] = float32(float64(params[l.b+j]) - float64(state[l.s+j])*a)
			}
		} else {
			src := params[l.w : l.w+l.wn]
			for o := range cout {
				for r := range k {
					w[o*k+r] = src[r*cout+o]
				}
			}
			copy(bias, params[l.b:l.b+l.bn])
		}
		wt.Float32, bt.Float32 = w, bias
	} else {
		wt.Type, bt.Type = Int8, Int32
		w := make([]int8, cout*k)
		if l.kind == kBatchNorm {
			copy(w, ql.w)
		} else {
			for o := range cout {
				for r := range k {
					w[o*k+r] = ql.w[r*cout+o]
				}
			}
		}
		wt.Int8, bt.Int32 = w, append([]int32(nil), ql.bias...)
		axis := 0
		if l.kind == kBatchNorm {
			axis = 3
		}
		ns := len(ql.wScale)
		wq := &Quantization{Scale: append([]float64(nil), ql.wScale...), ZeroPoint: make([]int64, ns), Axis: axis}
		bq := &Quantization{Scale: make([]float64, ns), ZeroPoint: make([]int64, ns)}
		for o := range ns {
			bq.Scale[o] = biasScale(inQ.Scale, ql.wScale[o])
		}
		wt.Quant, bt.Quant = wq, bq
		op.Multiplier = append([]int32(nil), ql.mult...)
		if ql.kind == qConv {
			op.Rounding = RoundHalfUp
		}
		op.Shift = append([]int32(nil), ql.shift...)
		op.ActMin, op.ActMax = ql.actMin, ql.actMax
	}
	wi, bi := b.tensor(wt), b.tensor(bt)
	outQ := QuantParams{}
	if ql != nil {
		outQ = ql.outQ
	}
	out := b.activation(l.name, outShape, outQ)
	op.Inputs, op.Outputs = []int{b.cur, wi, bi}, []int{out}
	g.Ops = append(g.Ops, op)
	b.cur = out
}

// batched returns the shape of an activation with the batch dimension; four
// asks for a 4-D NHWC shape (a (steps, channels) sequence as one row).
func batched(s shape, four bool) []int {
	switch {
	case four && s.rank == 2:
		return []int{1, 1, s.w, s.c}
	case four || s.rank == 3:
		return []int{1, s.h, s.w, s.c}
	case s.rank == 2:
		return []int{1, s.w, s.c}
	}
	return []int{1, s.c}
}
