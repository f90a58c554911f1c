package device

import "slices"

// Sizes in bytes of TensorFlow Lite Micro's structures on a 32-bit target
// (TF_LITE_STATIC_MEMORY), device-estimates.md §3.5–3.6.
const (
	arenaAlign      = 16 // MicroArenaBufferAlignment()
	evalTensorBytes = 12 // TfLiteEvalTensor, one per tensor (constants too)
	nodeBytes       = 32 // NodeAndRegistration, one per op
	scratchHandle   = 4  // ScratchBufferHandle, one per scratch buffer
	allocInfoBytes  = 24 // AllocationInfo, temp, one per tensor and scratch buffer
	plannerEntry    = 40 // GreedyMemoryPlanner per-buffer bookkeeping, temp
	ioTensorBytes   = 32 // persistent TfLiteTensor of a graph input/output
	ioQuantBytes    = 20 // its affine quantisation (int8 models)
	// tailFixed is the allocator, planner and interpreter bookkeeping in
	// the tail that does not scale with the model: the mean residual of the
	// tail model over the seven measured MLPerf Tiny models (int8 and
	// float32) of device-calibration-qemu-models.csv, checked by
	// TestTailFixedIsMeanResidual (leave-one-out in TestMLPerfArena).
	tailFixed        = 110
	interpreterBytes = 172 + 12 + 256 // MicroInterpreter, resolver header, globals (§3.6)
	resolverSlot     = 44             // per op type in MicroMutableOpResolver
)

func align(n, a int) int { return (n + a - 1) / a * a }

// opPersist returns the persistent ("tail") bytes an op's kernel allocates
// in TFLM: its builtin options (4-byte aligned), its OpData (16-byte
// aligned) and, for int8 convolutions, per-channel multipliers and shifts
// (§3.5).
func opPersist(o *opInfo, d DType) int {
	var builtin, opData int
	switch o.Kind {
	case Conv2D, DepthwiseConv2D:
		builtin, opData = 28, 56 // TfLite{,Depthwise}ConvParams; OpDataConv + buffer index
	case FullyConnected:
		// TfLiteFullyConnectedParams; OpDataFullyConnected + buffer index.
		// The options' 16 B are raised to 24 B so that the ten-FC AD model's
		// tail agrees with the other six measured tails (see tailFixed).
		builtin, opData = 24, 44
	case AveragePool2D, MaxPool2D:
		builtin, opData = 40, 36 // TfLitePoolParams; OpDataPooling + buffer index
	case Add, Mul:
		builtin, opData = 8, 60 // TfLiteAddParams; OpDataAdd
	case Softmax:
		builtin, opData = 4, 56 // TfLiteSoftmaxParams; SoftmaxParams
	case Reshape:
		builtin = 36 // TfLiteReshapeParams
	case Quantize, Dequantize:
		opData = 24
	case Logistic, Tanh:
		opData = 24
	case Pad:
		builtin, opData = 0, 32
	case Mean:
		builtin, opData = 4, 40
	case Concatenation:
		builtin, opData = 8, 24
	case StridedSlice:
		builtin, opData = 20, 32
	}
	n := builtin
	if opData > 0 {
		n = align(n, 4) + align(opData, arenaAlign)
	}
	if d == Int8 && (o.Kind == Conv2D || o.Kind == DepthwiseConv2D) {
		n += 2 * align(4*o.cout, arenaAlign)
	}
	return n
}

// scratchBytes returns the CMSIS-NN scratch buffer an int8 op requests in
// Prepare (§3.4); float32 reference kernels request none.
func scratchBytes(o *opInfo, d DType, k scratchKind) int {
	if d != Int8 {
		return 0
	}
	inH := 1
	if len(o.inShape) == 3 {
		inH = o.inShape[0]
	}
	outW := 1
	if len(o.Output) == 3 {
		outW = o.Output[1]
	}
	switch o.Kind {
	case Conv2D:
		if o.kh == 1 && o.kw == 1 {
			return 0 // arm_convolve_1x1_s8(_fast)
		}
		if k == scratchMVE {
			return 4 * 8 * ((o.cin*o.kh*o.kw + 7) / 8)
		}
		if inH == 1 && o.kh == 1 && outW%4 == 0 {
			return 4 * o.cin * o.kw // arm_convolve_1_x_n_s8
		}
		return 4 * o.cin * o.kh * o.kw // im2col, two int16 columns
	case DepthwiseConv2D:
		if o.cin != o.cout {
			return 0 // depth multiplier > 1
		}
		switch k {
		case scratchNone:
			return 0
		case scratchMVE:
			return 4 * 124 * o.kh * o.kw
		}
		return 2 * o.cin * o.kh * o.kw // arm_depthwise_conv_s8_opt
	case AveragePool2D:
		if k == scratchDSP {
			return 4 * o.cin // arm_avgpool_s8 accumulators
		}
	}
	return 0
}

// buffer is one planned buffer: size (aligned) and lifetime in scopes.
type buffer struct{ size, first, last int }

// greedyPlan lays out buffers as TFLM's GreedyMemoryPlanner does
// (§3.3) and returns the offsets and the head size.
func greedyPlan(bufs []buffer) (offsets []int, head int) {
	n := len(bufs)
	if n == 0 {
		return nil, 0
	}
	// Fill from the tail (reversed order), then bubble-sort by size,
	// descending, swapping only when strictly smaller.
	ids := make([]int, n)
	for i := range ids {
		ids[i] = n - 1 - i
	}
	for swapped := true; swapped; {
		swapped = false
		for i := 1; i < n; i++ {
			if bufs[ids[i-1]].size < bufs[ids[i]].size {
				ids[i-1], ids[i] = ids[i], ids[i-1]
				swapped = true
			}
		}
	}
	offsets = make([]int, n)
	placed := []int{ids[0]} // buffer ids by increasing offset (stable)
	for _, id := range ids[1:] {
		w := bufs[id]
		cand := 0
		for _, p := range placed {
			b := bufs[p]
			if b.last < w.first || b.first > w.last {
				continue
			}
			if offsets[p]-cand >= w.size {
				break
			}
			cand = max(cand, offsets[p]+b.size)
		}
		offsets[id] = cand
		at := len(placed)
		for i, p := range placed {
			if offsets[p] > cand {
				at = i
				break
			}
		}
		placed = slices.Insert(placed, at, id)
	}
	for i, b := range bufs {
		head = max(head, offsets[i]+b.size)
	}
	return offsets, head
}

// arenaPlan is the TFLM memory layout of a network on one core family.
type arenaPlan struct {
	bufs         []buffer // planned tensors, then scratch buffers
	tensorBufs   int      // number of planned tensors in bufs
	tensorIDs    []int    // activation tensor id of each planned tensor
	head         int      // greedy head with scratch buffers
	persist      int      // Σ op persistent bytes
	tail         int      // persistent tail at the end of AllocateTensors
	arena        int      // arena size the interpreter needs (§3.6)
	tensors, ops int
	live         []int // live bytes per scope (ops + 2 scopes)
}

// lifetimes returns [first, last] scope of every activation tensor
// (micro_allocation_info.cc): the input lives from scope 0, op k runs in
// scope k+1, the network output lives to the end.
func (g *graph) lifetimes() (first, last []int) {
	n := len(g.shapes)
	first, last = make([]int, n), make([]int, n)
	for i := range first {
		first[i], last[i] = -1, -1
	}
	first[0], last[0] = 0, 0
	for k, o := range g.ops {
		s := k + 1
		if first[k+1] < 0 {
			first[k+1] = s
		}
		for _, t := range o.in {
			last[t] = max(last[t], s)
		}
		last[k+1] = max(last[k+1], s)
	}
	last[n-1] = max(last[n-1], len(g.ops)+1)
	return first, last
}

func planArena(g *graph, core coreParams) arenaPlan {
	var p arenaPlan
	first, last := g.lifetimes()
	for id := range g.shapes {
		p.bufs = append(p.bufs, buffer{align(g.tensorBytes(id), arenaAlign), first[id], last[id]})
		p.tensorIDs = append(p.tensorIDs, id)
	}
	p.tensorBufs = len(p.bufs)
	for k := range g.ops {
		o := &g.ops[k]
		if s := scratchBytes(o, g.dtype, core.scratch); s > 0 {
			p.bufs = append(p.bufs, buffer{align(s, arenaAlign), k + 1, k + 1})
		}
		p.persist += opPersist(o, g.dtype)
	}
	_, p.head = greedyPlan(p.bufs)
	p.tensors = g.tensorCount()
	p.ops = len(g.ops)
	p.live = make([]int, len(g.ops)+2)
	for _, b := range p.bufs {
		for s := b.first; s <= b.last; s++ {
			p.live[s] += b.size
		}
	}
	nScratch := len(p.bufs) - p.tensorBufs
	io := 2 * ioTensorBytes
	if g.dtype == Int8 {
		io += 2 * ioQuantBytes
	}
	p.tail = tailFixed + evalTensorBytes*p.tensors + nodeBytes*p.ops + scratchHandle*nScratch + io + p.persist
	// The arena must hold head and tail after planning, and, while
	// planning, the tail plus the planner's temporary bookkeeping (§3.6):
	//   arena = max(align16(head + tail),
	//               align16(tail + 24·(T+S) + 40·B) + 16)
	// with T tensors, S scratch buffers and B planned buffers. The second
	// term decides for tiny models (AD int8: 2,848 B measured).
	used := align(p.head+p.tail, arenaAlign)
	planning := align(p.tail+allocInfoBytes*(p.tensors+nScratch)+plannerEntry*len(p.bufs), arenaAlign) + arenaAlign
	p.arena = max(used, planning)
	return p
}
