package learn

// Op describes one operator of the network as TensorFlow Lite would run it, for
// on-device estimates. Shapes include the batch dimension (1); convolutions and
// pooling are 4-D NHWC (a 1-D convolution is a 1×k CONV_2D on a 1-row map).
type Op struct {
	// Kind is the TFLite builtin name: FULLY_CONNECTED, CONV_2D, MAX_POOL_2D,
	// RESHAPE, SOFTMAX, MUL, ADD.
	Kind          string
	Input, Output []int
	// KernelH, KernelW, StrideH, StrideW and Padding ("SAME") describe
	// convolutions and pooling; zero/empty otherwise.
	KernelH, KernelW int
	StrideH, StrideW int
	Padding          string
	// Activation is the fused activation: "RELU" or "NONE".
	Activation string
	// DType is "float32" or "int8".
	DType string
	// WeightBytes and BiasBytes are the constant data of the op (int8 weights and
	// int32 biases for int8; float32 otherwise).
	WeightBytes, BiasBytes int
	// Channels is the number of quantisation scales of the int8 weights (one
	// per output channel; 1 for FULLY_CONNECTED, whose weights have one scale),
	// else 0.
	Channels int
	// MACs is the number of multiply-accumulates of one inference.
	MACs int
}

// Ops lists the float32 network's operators in execution order.
func (n *Network) Ops() []Op { return describeOps(n.layers, false) }

// Ops lists the int8 network's operators in execution order.
func (q *Int8Network) Ops() []Op { return describeOps(q.float, true) }

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

func describeOps(layers []layer, int8 bool) []Op {
	dt, wb, bb := "float32", 4, 4
	if int8 {
		dt, wb = "int8", 1
	}
	var ops []Op
	expanded := false // a (steps, channels) tensor currently held as 1×steps×channels 4-D
	for i := range layers {
		l := &layers[i]
		oneD := l.kind == kConv1D || l.kind == kPool1D
		inFour := oneD
		switch {
		case oneD && !expanded && len(ops) > 0 && ops[len(ops)-1].Kind == "RESHAPE":
			ops[len(ops)-1].Output = batched(l.in, true) // reshape straight to 4-D
		case oneD && !expanded:
			ops = append(ops, Op{Kind: "RESHAPE", Input: batched(l.in, false), Output: batched(l.in, true), DType: dt, Activation: "NONE"})
		case !oneD && expanded && l.kind == kReshape:
			inFour = true // reshape straight from 4-D
		case !oneD && expanded && l.kind != kDropout:
			ops = append(ops, Op{Kind: "RESHAPE", Input: batched(l.in, true), Output: batched(l.in, false), DType: dt, Activation: "NONE"})
		}
		if l.kind != kDropout {
			expanded = oneD
		}
		op := Op{Input: batched(l.in, inFour), Output: batched(l.out, oneD), DType: dt, Activation: "NONE"}
		if l.act == actReLU {
			op.Activation = "RELU"
		}
		switch l.kind {
		case kDense:
			op.Kind = "FULLY_CONNECTED"
			op.WeightBytes, op.BiasBytes = wb*l.wn, bb*l.bn
			op.MACs = l.wn
		case kConv1D, kConv2D:
			op.Kind = "CONV_2D"
			op.KernelH, op.KernelW, op.StrideH, op.StrideW, op.Padding = l.k, l.k, 1, 1, "SAME"
			if l.kind == kConv1D {
				op.KernelH = 1
			}
			op.WeightBytes, op.BiasBytes = wb*l.wn, bb*l.bn
			op.MACs = l.out.size() * l.wn / l.out.c
		case kPool1D, kPool2D:
			op.Kind = "MAX_POOL_2D"
			op.KernelH, op.KernelW, op.StrideH, op.StrideW, op.Padding = 2, 2, 2, 2, "SAME"
			if l.kind == kPool1D {
				op.KernelH, op.StrideH = 1, 1
			}
		case kReshape:
			op.Kind = "RESHAPE"
		case kDropout:
			continue
		case kBatchNorm:
			mul := op
			mul.Kind, mul.WeightBytes = "MUL", wb*l.out.c
			add := op
			add.Kind, add.WeightBytes = "ADD", wb*l.out.c
			ops = append(ops, mul, add)
			continue
		}
		if int8 && op.WeightBytes > 0 {
			op.Channels = l.out.c
			if l.kind == kDense {
				op.Channels = 1
			}
		}
		ops = append(ops, op)
		if l.act == actSoftmax {
			ops = append(ops, Op{Kind: "SOFTMAX", Input: batched(l.out, false), Output: batched(l.out, false), DType: dt, Activation: "NONE"})
		}
	}
	return ops
}

// LayerInfo is one entry of KerasModelMetadata.layers: the input and output of a
// Keras layer.
type LayerInfo struct {
	Input  TensorInfo `json:"input"`
	Output TensorInfo `json:"output"`
}

// TensorInfo describes a Keras tensor: Shape is the size of its first non-batch
// dimension, Name the tensor's name, Type its dtype as TensorFlow prints it.
type TensorInfo struct {
	Shape int    `json:"shape"`
	Name  string `json:"name"`
	Type  string `json:"type"`
}

// KerasLayers returns the KerasModelMetadata.layers entries: one per Keras layer
// (dropout, reshape and pooling layers included), the input named "x_input" as in
// Studio's generated scripts and every output named after its layer.
func (n *Network) KerasLayers() []LayerInfo {
	const dtype = "<dtype: 'float32'>"
	prev := TensorInfo{Name: "x_input", Type: dtype}
	var out []LayerInfo
	for i := range n.layers {
		l := &n.layers[i]
		prev.Shape = l.in.dims()[0]
		cur := TensorInfo{Shape: l.out.dims()[0], Name: l.name, Type: dtype}
		out = append(out, LayerInfo{Input: prev, Output: cur})
		prev = cur
	}
	return out
}
