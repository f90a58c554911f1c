package device

// Code and model size constants of device-estimates.md §4 (Cortex-M4F,
// GCC 12.2 -Os with section garbage collection, TFLM + CMSIS-NN of
// edgeimpulse/inferencing-sdk-cpp v1.93.20).
const (
	romRuntime       = 12900 // interpreter, allocator, planner, flatbuffer parsing (§4.3)
	romShared        = 6500  // helpers shared by the conv/dw/fc/softmax/add/mul kernels (§4.2)
	romPerOpType     = 40    // resolver registration per op type (§4.3)
	romEONGlue       = 1500  // EON init/invoke glue (§4.4)
	romRAMOptimized  = 2048  // EON RAM-optimised slicing loops (§4.4)
	dtypeStrip       = 0.9   // single-dtype model: unused dtype paths dropped (§4.2)
	defaultNameBytes = 150   // mean tensor name length in a converted model; see TestFlatbufferSize
)

// kernelROM is the incremental code size of each op type (§4.2).
var kernelROM = map[OpKind]int{
	Conv2D: 10450, DepthwiseConv2D: 8770, FullyConnected: 5800, Softmax: 5950, Add: 4250, Mul: 3850,
	Mean: 4400, Tanh: 1750, Logistic: 1550, Quantize: 6720, Dequantize: 3532, StridedSlice: 6508,
	Pad: 5612, Relu: 4916, Relu6: 2292, MaxPool2D: 3856, AveragePool2D: 3664, Concatenation: 3524,
	Squeeze: 2316, Transpose: 2200, Reshape: 2008, ExpandDims: 1508,
}

func (g *graph) opTypes() []OpKind {
	seen := map[OpKind]bool{}
	var out []OpKind
	for _, o := range g.ops {
		if !seen[o.Kind] {
			seen[o.Kind] = true
			out = append(out, o.Kind)
		}
	}
	return out
}

// kernelBytes is ROM_kernels = S_shared + Σ incremental(op type), scaled
// for a single-dtype model and for the core's instruction set.
func (g *graph) kernelBytes(core coreParams) int {
	n := 0
	shared := false
	for _, k := range g.opTypes() {
		n += kernelROM[k]
		switch k {
		case Conv2D, DepthwiseConv2D, FullyConnected, Softmax, Add, Mul:
			shared = true
		}
	}
	if shared {
		n += romShared
	}
	return int(float64(n)*dtypeStrip*core.rom + 0.5)
}

// constTensor is one constant tensor of the .tflite model.
type constTensor struct{ bytes, rank, channels int }

// consts lists the constant tensors: weights (rank 4 for convolutions, 2
// for dense), biases and reshape shape vectors (rank 1). In int8 models
// convolution weights and biases are quantised per output channel, dense
// ones per tensor; shape vectors are not quantised.
func (g *graph) consts() []constTensor {
	var out []constTensor
	for _, o := range g.ops {
		ch := 1
		if o.Kind == Conv2D || o.Kind == DepthwiseConv2D {
			ch = o.cout
		}
		q := 0
		if g.dtype == Int8 {
			q = ch
		}
		wr := 2
		if o.Kind == Conv2D || o.Kind == DepthwiseConv2D {
			wr = 4
		}
		if o.WeightBytes > 0 {
			out = append(out, constTensor{o.WeightBytes, wr, q})
		}
		if o.BiasBytes > 0 {
			out = append(out, constTensor{o.BiasBytes, 1, q})
		}
		if o.Kind == Reshape {
			out = append(out, constTensor{4 * len(o.Output), 1, 0})
		}
	}
	return out
}

// flatbufferBytes estimates the .tflite file size (§4.1):
// 1000 + Σ_const (align16(bytes) + 16) + Σ_tensors (100 + name + 4·rank)
// + Σ_quantised (40 + 12·channels) + 60 per op.
func (g *graph) flatbufferBytes(nameBytes int) int {
	n := 1000 + 60*len(g.ops)
	q := 0
	if g.dtype == Int8 {
		q = 1
	}
	for _, s := range g.shapes { // activations: batch dimension added
		n += 100 + nameBytes + 4*(len(s)+1)
		if q > 0 {
			n += 40 + 12
		}
	}
	for _, c := range g.consts() {
		n += align(c.bytes, 16) + 16 + 100 + nameBytes + 4*c.rank
		if c.channels > 0 {
			n += 40 + 12*c.channels
		}
	}
	return n
}

// eonModelBytes is the EON compiler's model data and static structures
// (§4.4): Σ_const align8(bytes) + Σ_tensors (28 + 4·(rank+1))
// + Σ_quantised (16 + 8·channels) + Σ_ops (24 + 4·(inputs + outputs + 2) + 16).
func (g *graph) eonModelBytes() int {
	n := 0
	q := g.dtype == Int8
	for _, s := range g.shapes {
		n += 28 + 4*(len(s)+2)
		if q {
			n += 16 + 8
		}
	}
	for _, c := range g.consts() {
		n += align(c.bytes, 8) + 28 + 4*(c.rank+1)
		if c.channels > 0 {
			n += 16 + 8*c.channels
		}
	}
	for _, o := range g.ops {
		in := len(o.in) + o.constCount
		n += 24 + 4*(in+1+2) + 16
	}
	return n
}
