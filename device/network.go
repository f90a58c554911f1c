package device

import (
	"fmt"
	"slices"
	"strings"
)

// DType is the numeric type of a network's weights and activations.
type DType string

// The model variants Studio builds.
const (
	Int8    DType = "int8"
	Float32 DType = "float32"
)

func (d DType) bytes() int {
	if d == Float32 {
		return 4
	}
	return 1
}

// OpKind names a TensorFlow Lite builtin operator, as in the .tflite schema.
type OpKind string

// Operators the estimator knows. Conv1D layers are CONV_2D ops with height 1
// (TensorFlow Lite converts them so); Keras Flatten is RESHAPE.
const (
	Conv2D          OpKind = "CONV_2D"
	DepthwiseConv2D OpKind = "DEPTHWISE_CONV_2D"
	FullyConnected  OpKind = "FULLY_CONNECTED"
	AveragePool2D   OpKind = "AVERAGE_POOL_2D"
	MaxPool2D       OpKind = "MAX_POOL_2D"
	Add             OpKind = "ADD"
	Mul             OpKind = "MUL"
	Softmax         OpKind = "SOFTMAX"
	Reshape         OpKind = "RESHAPE"
	Squeeze         OpKind = "SQUEEZE"
	ExpandDims      OpKind = "EXPAND_DIMS"
	Quantize        OpKind = "QUANTIZE"
	Dequantize      OpKind = "DEQUANTIZE"
	Relu            OpKind = "RELU"
	Relu6           OpKind = "RELU6"
	Logistic        OpKind = "LOGISTIC"
	Tanh            OpKind = "TANH"
	Pad             OpKind = "PAD"
	Mean            OpKind = "MEAN"
	Concatenation   OpKind = "CONCATENATION"
	StridedSlice    OpKind = "STRIDED_SLICE"
	Transpose       OpKind = "TRANSPOSE"
)

// Network is a plain description of a TensorFlow Lite model for the
// on-device estimator: the input shape and the operators in execution
// order. It is what a converter would put in a .tflite file, without the
// weights' values.
//
// Activation tensors are numbered: 0 is the network input and k ≥ 1 the
// output of Ops[k-1]. The output of the last op is the network output.
// Shapes leave out the batch dimension: [H, W, C] for images and
// 2-D convolutions (H = 1 for 1-D convolutions), [N] for dense layers.
type Network struct {
	// DType is the model variant; the zero value means [Int8].
	DType DType `json:"dtype,omitempty"`
	// Input is the input shape.
	Input []int `json:"input"`
	Ops   []Op  `json:"ops"`
	// FlatbufferBytes is the size of the model's .tflite file when it is
	// known (FromGraph sets it to the size of the file the tflite exporter
	// writes); 0 means estimate it from the ops (device-estimates.md §4.1).
	FlatbufferBytes int `json:"flatbufferBytes,omitempty"`
}

// Op is one operator of a [Network].
type Op struct {
	Kind OpKind `json:"kind"`
	// Inputs lists the activation tensors the op reads (see [Network]); nil
	// means the previous op's output (the network input for Ops[0]).
	Inputs []int `json:"inputs,omitempty"`
	// Output is the op's output shape.
	Output []int `json:"output"`
	// KernelH and KernelW are the kernel size of convolutions and pooling;
	// 0 means 1.
	KernelH int `json:"kernelH,omitempty"`
	KernelW int `json:"kernelW,omitempty"`
	// StrideH and StrideW are the strides; 0 means 1.
	StrideH int `json:"strideH,omitempty"`
	StrideW int `json:"strideW,omitempty"`
	// Padding is "same" or "valid" (any case); "" means "same". It is
	// informational:
	// Output already carries its effect.
	Padding string `json:"padding,omitempty"`
	// WeightBytes and BiasBytes are the sizes of the op's constant weight and
	// bias tensors (for ADD and MUL, WeightBytes is a constant second
	// operand) (int8 weights and int32 biases in int8 models, float32
	// in float models); 0 means the op has no such tensor. A RESHAPE also
	// reads a constant int32 shape tensor, which is counted automatically.
	WeightBytes int `json:"weightBytes,omitempty"`
	BiasBytes   int `json:"biasBytes,omitempty"`
}

// opInfo is an op with everything derived from the network.
type opInfo struct {
	Op
	in         []int // activation tensor ids
	inShape    []int
	kh, kw     int
	sh, sw     int
	cin, cout  int
	macs       float64
	inElems    int // elements of the first input
	outElems   int
	outPixels  int // H·W of the output (elements / channels)
	constCount int // constant tensors read
	constBytes int
}

type graph struct {
	dtype  DType
	shapes [][]int // activation tensor shapes, index = tensor id
	ops    []opInfo
}

func prod(s []int) int {
	n := 1
	for _, v := range s {
		n *= v
	}
	return n
}

func orOne(v int) int {
	if v <= 0 {
		return 1
	}
	return v
}

// analyze validates the network and derives per-op figures
// (device-estimates.md §2).
func analyze(n *Network) (*graph, error) {
	if n == nil {
		return nil, fmt.Errorf("device: nil network: %w", ErrNetwork)
	}
	g := &graph{dtype: n.DType}
	if g.dtype == "" {
		g.dtype = Int8
	}
	if g.dtype != Int8 && g.dtype != Float32 {
		return nil, fmt.Errorf("device: network dtype %q: want int8 or float32: %w", n.DType, ErrNetwork)
	}
	if len(n.Ops) == 0 {
		return nil, fmt.Errorf("device: network has no ops: %w", ErrNetwork)
	}
	if err := checkShape("input", n.Input); err != nil {
		return nil, err
	}
	g.shapes = append(g.shapes, slices.Clone(n.Input))
	for k, op := range n.Ops {
		name := fmt.Sprintf("ops[%d] (%s)", k, op.Kind)
		if !knownOps[op.Kind] {
			return nil, fmt.Errorf("device: %s: unknown op kind: %w", name, ErrNetwork)
		}
		if err := checkShape(name+".output", op.Output); err != nil {
			return nil, err
		}
		if op.WeightBytes < 0 || op.BiasBytes < 0 || op.KernelH < 0 || op.KernelW < 0 || op.StrideH < 0 || op.StrideW < 0 {
			return nil, fmt.Errorf("device: %s: negative kernel, stride or byte count: %w", name, ErrNetwork)
		}
		if max(op.KernelH, op.KernelW, op.StrideH, op.StrideW) > maxKernel || max(op.WeightBytes, op.BiasBytes) > maxElems {
			return nil, fmt.Errorf("device: %s: kernel, stride or byte count too large: %w", name, ErrNetwork)
		}
		switch strings.ToLower(op.Padding) {
		case "", "same", "valid":
		default:
			return nil, fmt.Errorf("device: %s: padding %q: want same or valid: %w", name, op.Padding, ErrNetwork)
		}
		in := op.Inputs
		if in == nil {
			in = []int{k}
		}
		if len(in) == 0 {
			return nil, fmt.Errorf("device: %s: no inputs: %w", name, ErrNetwork)
		}
		for _, t := range in {
			if t < 0 || t > k {
				return nil, fmt.Errorf("device: %s: input tensor %d is not the network input or an earlier op's output: %w", name, t, ErrNetwork)
			}
		}
		o := opInfo{Op: op, in: slices.Clone(in), inShape: g.shapes[in[0]]}
		o.kh, o.kw = orOne(op.KernelH), orOne(op.KernelW)
		o.sh, o.sw = orOne(op.StrideH), orOne(op.StrideW)
		o.inElems = prod(o.inShape)
		o.outElems = prod(op.Output)
		o.cin = o.inShape[len(o.inShape)-1]
		o.cout = op.Output[len(op.Output)-1]
		o.outPixels = o.outElems / o.cout
		switch op.Kind {
		case Conv2D:
			if len(o.inShape) != 3 || len(op.Output) != 3 {
				return nil, fmt.Errorf("device: %s: want [H W C] input and output shapes, have %v and %v: %w", name, o.inShape, op.Output, ErrNetwork)
			}
			o.macs = float64(o.outElems) * float64(o.kh*o.kw*o.cin)
		case DepthwiseConv2D:
			if len(o.inShape) != 3 || len(op.Output) != 3 {
				return nil, fmt.Errorf("device: %s: want [H W C] input and output shapes, have %v and %v: %w", name, o.inShape, op.Output, ErrNetwork)
			}
			o.macs = float64(o.outElems) * float64(o.kh*o.kw)
		case FullyConnected:
			o.cin = o.inElems
			o.macs = float64(o.inElems) * float64(o.cout)
		case AveragePool2D, MaxPool2D:
			if len(o.inShape) != 3 || len(op.Output) != 3 {
				return nil, fmt.Errorf("device: %s: want [H W C] input and output shapes, have %v and %v: %w", name, o.inShape, op.Output, ErrNetwork)
			}
		case Add, Mul:
			// Two activations, or one and a constant (WeightBytes > 0), as a
			// folded batch normalisation.
			if want := 2 - min(op.WeightBytes, 1); len(in) != want {
				return nil, fmt.Errorf("device: %s: want %d activation input(s), have %d: %w", name, want, len(in), ErrNetwork)
			}
		}
		if op.WeightBytes > 0 {
			o.constCount++
			o.constBytes += op.WeightBytes
		}
		if op.BiasBytes > 0 {
			o.constCount++
			o.constBytes += op.BiasBytes
		}
		if op.Kind == Reshape {
			o.constCount++
			o.constBytes += 4 * len(op.Output)
		}
		g.ops = append(g.ops, o)
		g.shapes = append(g.shapes, slices.Clone(op.Output))
	}
	return g, nil
}

// maxKernel bounds kernel sizes and strides.
const maxKernel = 1 << 12

// maxElems bounds a tensor's elements (2³¹ − 1, TFLite's int32 sizes).
const maxElems = 1<<31 - 1

func checkShape(name string, s []int) error {
	if len(s) == 0 {
		return fmt.Errorf("device: %s: empty shape: %w", name, ErrNetwork)
	}
	n := 1
	for _, v := range s {
		if v <= 0 {
			return fmt.Errorf("device: %s: shape %v has a non-positive dimension: %w", name, s, ErrNetwork)
		}
		if v > maxElems/n {
			return fmt.Errorf("device: %s: shape %v has more than %d elements: %w", name, s, maxElems, ErrNetwork)
		}
		n *= v
	}
	return nil
}

// MACs returns the multiply-accumulate count of every op
// (device-estimates.md §2: CONV_2D out·kh·kw·cin, DEPTHWISE_CONV_2D
// out·kh·kw, FULLY_CONNECTED in·out, every other op 0).
func (n *Network) MACs() ([]float64, error) {
	g, err := analyze(n)
	if err != nil {
		return nil, err
	}
	out := make([]float64, len(g.ops))
	for i, o := range g.ops {
		out[i] = o.macs
	}
	return out, nil
}

// tensorCount returns the number of tensors of the .tflite model: the
// activations plus every constant tensor.
func (g *graph) tensorCount() int {
	t := len(g.shapes)
	for _, o := range g.ops {
		t += o.constCount
	}
	return t
}

func (g *graph) tensorBytes(id int) int { return prod(g.shapes[id]) * g.dtype.bytes() }
