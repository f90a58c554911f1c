package tflitefmt

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	fb "github.com/google/flatbuffers/go"

	"github.com/tinyimpulse/tinyimpulse/learn"
)

// ErrGraph is wrapped by the errors of Marshal for a graph that cannot be
// written.
var ErrGraph = errors.New("tflite: invalid graph")

// BufferAlign is the alignment of every constant buffer's data in the file.
const BufferAlign = 16

// SubgraphName is the name of the model's only subgraph.
const SubgraphName = "main"

// maxElements bounds the elements of one tensor (2^28, far above any network
// learn builds) so that sizes cannot overflow.
const maxElements = 1 << 28

// Description returns the model description Marshal writes for g.
func Description(g *learn.Graph) string {
	kind := "classifier"
	if g.Regression {
		kind = "regression"
	}
	return fmt.Sprintf("tinyimpulse %s %s", g.DType, kind)
}

// MinRuntimeVersion returns the oldest TensorFlow Lite release that runs
// every operator of g at the version Marshal writes.
func MinRuntimeVersion(g *learn.Graph) string {
	best := "1.5.0"
	for _, op := range g.Ops {
		info := Ops[op.Kind]
		v := info.Float32Runtime
		if g.DType == learn.Int8 {
			v = info.Int8Runtime
		}
		if versionLess(best, v) {
			best = v
		}
	}
	return best
}

// versionLess compares dotted release numbers.
func versionLess(a, b string) bool {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := range min(len(pa), len(pb)) {
		var x, y int
		fmt.Sscan(pa[i], &x)
		fmt.Sscan(pb[i], &y)
		if x != y {
			return x < y
		}
	}
	return len(pa) < len(pb)
}

// Labels encodes the labels metadata of g: a first line "classification"
// or "regression", then the class names (the regression target's name), one
// per line.
func Labels(g *learn.Graph) string {
	kind := "classification"
	if g.Regression {
		kind = "regression"
	}
	return strings.Join(append([]string{kind}, g.Labels...), "\n")
}

// Check reports why g cannot be written, or nil. It checks what the file
// format and TensorFlow Lite's kernels need: tensor indices in range,
// shapes of at most 4 positive dimensions, constant data matching the
// shape and type, quantisation on every int8 tensor and per-channel scales
// matching their dimension, known operator kinds with their inputs and
// options, and labels without line breaks.
func Check(g *learn.Graph) error {
	if g == nil {
		return fmt.Errorf("%w: nil graph", ErrGraph)
	}
	if g.DType != learn.Float32 && g.DType != learn.Int8 {
		return fmt.Errorf("%w: activation type %v", ErrGraph, g.DType)
	}
	nt := len(g.Tensors)
	if nt == 0 || len(g.Ops) == 0 {
		return fmt.Errorf("%w: %d tensors and %d operators", ErrGraph, nt, len(g.Ops))
	}
	if g.Input < 0 || g.Input >= nt || g.Output < 0 || g.Output >= nt || g.Input == g.Output {
		return fmt.Errorf("%w: input %d and output %d of %d tensors", ErrGraph, g.Input, g.Output, nt)
	}
	for _, l := range g.Labels {
		if strings.ContainsAny(l, "\r\n") {
			return fmt.Errorf("%w: label %q has a line break", ErrGraph, l)
		}
	}
	for i := range g.Tensors {
		if err := checkTensor(g, i); err != nil {
			return err
		}
	}
	for _, i := range []int{g.Input, g.Output} {
		if t := &g.Tensors[i]; t.Constant() || t.Type != g.DType {
			return fmt.Errorf("%w: tensor %d (%s) is the graph's input or output but is a %v constant=%v", ErrGraph, i, t.Name, t.Type, t.Constant())
		}
	}
	produced := make([]bool, nt)
	produced[g.Input] = true
	for i := range g.Ops {
		if err := checkOp(g, i, produced); err != nil {
			return err
		}
	}
	if !produced[g.Output] {
		return fmt.Errorf("%w: no operator writes the output tensor %d", ErrGraph, g.Output)
	}
	return nil
}

func checkTensor(g *learn.Graph, i int) error {
	t := &g.Tensors[i]
	where := fmt.Sprintf("tensor %d (%s)", i, t.Name)
	if len(t.Shape) == 0 || len(t.Shape) > 4 {
		return fmt.Errorf("%w: %s: shape %v", ErrGraph, where, t.Shape)
	}
	n := 1
	for _, d := range t.Shape {
		if d <= 0 || d > maxElements || n*d > maxElements {
			return fmt.Errorf("%w: %s: shape %v", ErrGraph, where, t.Shape)
		}
		n *= d
	}
	var have int
	filled := 0
	if t.Float32 != nil {
		have, filled = len(t.Float32), filled+1
	}
	if t.Int8 != nil {
		have, filled = len(t.Int8), filled+1
	}
	if t.Int32 != nil {
		have, filled = len(t.Int32), filled+1
	}
	switch {
	case t.Type != learn.Float32 && t.Type != learn.Int8 && t.Type != learn.Int32:
		return fmt.Errorf("%w: %s: type %v", ErrGraph, where, t.Type)
	case filled > 1:
		return fmt.Errorf("%w: %s: data in more than one type", ErrGraph, where)
	case filled == 1 && ((t.Type == learn.Float32) != (t.Float32 != nil) || (t.Type == learn.Int8) != (t.Int8 != nil) || (t.Type == learn.Int32) != (t.Int32 != nil)):
		return fmt.Errorf("%w: %s: %v tensor holds data of another type", ErrGraph, where, t.Type)
	case filled == 1 && have != n:
		return fmt.Errorf("%w: %s: %d values for shape %v", ErrGraph, where, have, t.Shape)
	case filled == 0 && t.Type != g.DType:
		return fmt.Errorf("%w: %s: %v activation in a %v graph", ErrGraph, where, t.Type, g.DType)
	}
	for _, v := range t.Float32 {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("%w: %s: value %v", ErrGraph, where, v)
		}
	}
	q := t.Quant
	if t.Type == learn.Int8 && q == nil {
		return fmt.Errorf("%w: %s: int8 tensor without quantisation", ErrGraph, where)
	}
	if q == nil {
		return nil
	}
	if t.Type == learn.Float32 {
		return fmt.Errorf("%w: %s: float32 tensor with quantisation", ErrGraph, where)
	}
	if len(q.Scale) == 0 || len(q.Scale) != len(q.ZeroPoint) || q.Axis < 0 || q.Axis >= len(t.Shape) ||
		(len(q.Scale) > 1 && len(q.Scale) != t.Shape[q.Axis]) {
		return fmt.Errorf("%w: %s: %d scales, %d zero points on axis %d of shape %v", ErrGraph, where, len(q.Scale), len(q.ZeroPoint), q.Axis, t.Shape)
	}
	for j, s := range q.Scale {
		if !(s > 0) || math.IsInf(s, 0) || float32(s) == 0 || math.IsInf(float64(float32(s)), 0) {
			return fmt.Errorf("%w: %s: scale %d is %v", ErrGraph, where, j, s)
		}
		if z := q.ZeroPoint[j]; t.Type == learn.Int8 && (z < -128 || z > 127) {
			return fmt.Errorf("%w: %s: zero point %d is %d", ErrGraph, where, j, z)
		}
	}
	return nil
}

func checkOp(g *learn.Graph, i int, produced []bool) error {
	op := &g.Ops[i]
	where := fmt.Sprintf("operator %d (%s)", i, op.Kind)
	if _, ok := Ops[op.Kind]; !ok {
		return fmt.Errorf("%w: %s: unknown operator", ErrGraph, where)
	}
	want := 1
	switch op.Kind {
	case learn.OpFullyConnected, learn.OpConv2D, learn.OpDepthwiseConv2D:
		want = 3
	case learn.OpReshape:
		want = 2
	}
	if len(op.Inputs) != want || len(op.Outputs) != 1 {
		return fmt.Errorf("%w: %s: %d inputs and %d outputs, want %d and 1", ErrGraph, where, len(op.Inputs), len(op.Outputs), want)
	}
	for _, x := range append(slices.Clone(op.Inputs), op.Outputs...) {
		if x < 0 || x >= len(g.Tensors) {
			return fmt.Errorf("%w: %s: tensor index %d out of range", ErrGraph, where, x)
		}
	}
	in, out := &g.Tensors[op.Inputs[0]], &g.Tensors[op.Outputs[0]]
	switch {
	case in.Constant() || out.Constant():
		return fmt.Errorf("%w: %s: constant input or output", ErrGraph, where)
	case !produced[op.Inputs[0]]:
		return fmt.Errorf("%w: %s: input %d (%s) is neither the graph's input nor an earlier operator's output", ErrGraph, where, op.Inputs[0], in.Name)
	case produced[op.Outputs[0]]:
		return fmt.Errorf("%w: %s: output %d (%s) is written twice", ErrGraph, where, op.Outputs[0], out.Name)
	}
	produced[op.Outputs[0]] = true
	for _, x := range op.Inputs[1:] {
		if !g.Tensors[x].Constant() {
			return fmt.Errorf("%w: %s: input %d (%s) is not a constant", ErrGraph, where, x, g.Tensors[x].Name)
		}
	}
	for _, k := range []int{op.KernelH, op.KernelW, op.StrideH, op.StrideW} {
		if k < 1 || k > 1<<16 {
			return fmt.Errorf("%w: %s: kernel %d×%d, stride %d×%d", ErrGraph, where, op.KernelH, op.KernelW, op.StrideH, op.StrideW)
		}
	}
	if g.DType == learn.Int8 && len(in.Quant.Scale) != 1 || g.DType == learn.Int8 && len(out.Quant.Scale) != 1 {
		return fmt.Errorf("%w: %s: activations need one scale", ErrGraph, where)
	}
	ceil := func(a, b int) int { return (a + b - 1) / b }
	shapeErr := func(what string) error {
		return fmt.Errorf("%w: %s: %s (input %v, output %v)", ErrGraph, where, what, in.Shape, out.Shape)
	}
	switch op.Kind {
	case learn.OpReshape:
		s := &g.Tensors[op.Inputs[1]]
		if s.Type != learn.Int32 || len(s.Shape) != 1 || !slices.Equal(toInts(s.Int32), out.Shape) {
			return fmt.Errorf("%w: %s: shape tensor %s %v is not the output shape %v", ErrGraph, where, s.Name, s.Int32, out.Shape)
		}
		if in.Elements() != out.Elements() {
			return shapeErr("element counts differ")
		}
		if g.DType == learn.Int8 && !sameQuant(in.Quant, out.Quant) {
			return shapeErr("quantisation changes")
		}
	case learn.OpSoftmax:
		if !slices.Equal(in.Shape, out.Shape) {
			return shapeErr("shapes differ")
		}
		if g.DType == learn.Int8 && (float32(out.Quant.Scale[0]) != 1.0/256 || out.Quant.ZeroPoint[0] != -128) {
			return fmt.Errorf("%w: %s: int8 output quantisation %v, %v; TensorFlow Lite needs 1/256, -128", ErrGraph, where, out.Quant.Scale, out.Quant.ZeroPoint)
		}
	case learn.OpMaxPool2D:
		if len(in.Shape) != 4 || len(out.Shape) != 4 || in.Shape[0] != 1 ||
			!slices.Equal(out.Shape, []int{1, ceil(in.Shape[1], op.StrideH), ceil(in.Shape[2], op.StrideW), in.Shape[3]}) {
			return shapeErr("not a SAME pooling")
		}
		if g.DType == learn.Int8 && !sameQuant(in.Quant, out.Quant) {
			return shapeErr("quantisation changes")
		}
	default:
		if err := checkWeighted(g, op, where); err != nil {
			return err
		}
	}
	return nil
}

// checkWeighted checks a FULLY_CONNECTED, CONV_2D or DEPTHWISE_CONV_2D
// operator's shapes and quantisation.
func checkWeighted(g *learn.Graph, op *learn.Operator, where string) error {
	in, out := &g.Tensors[op.Inputs[0]], &g.Tensors[op.Outputs[0]]
	w, b := &g.Tensors[op.Inputs[1]], &g.Tensors[op.Inputs[2]]
	wt, bt := g.DType, g.DType
	if g.DType == learn.Int8 {
		bt = learn.Int32
	}
	if w.Type != wt || b.Type != bt {
		return fmt.Errorf("%w: %s: weights %v and bias %v", ErrGraph, where, w.Type, b.Type)
	}
	ceil := func(a, b int) int { return (a + b - 1) / b }
	var cout, axis int
	ok := false
	switch op.Kind {
	case learn.OpFullyConnected:
		cout = w.Shape[0]
		ok = len(w.Shape) == 2 && in.Elements() == w.Shape[1] && slices.Equal(out.Shape, []int{1, cout})
	case learn.OpConv2D:
		cout = w.Shape[0]
		ok = len(in.Shape) == 4 && len(w.Shape) == 4 && in.Shape[0] == 1 && w.Shape[1] == op.KernelH && w.Shape[2] == op.KernelW && w.Shape[3] == in.Shape[3] &&
			slices.Equal(out.Shape, []int{1, ceil(in.Shape[1], op.StrideH), ceil(in.Shape[2], op.StrideW), cout})
	case learn.OpDepthwiseConv2D:
		cout, axis = w.Shape[len(w.Shape)-1], 3
		ok = len(in.Shape) == 4 && len(w.Shape) == 4 && in.Shape[0] == 1 && w.Shape[0] == 1 && w.Shape[1] == op.KernelH && w.Shape[2] == op.KernelW && cout == in.Shape[3] &&
			slices.Equal(out.Shape, []int{1, ceil(in.Shape[1], op.StrideH), ceil(in.Shape[2], op.StrideW), cout})
	}
	if !ok || !slices.Equal(b.Shape, []int{cout}) {
		return fmt.Errorf("%w: %s: input %v, weights %v, bias %v, output %v do not fit", ErrGraph, where, in.Shape, w.Shape, b.Shape, out.Shape)
	}
	if g.DType != learn.Int8 {
		return nil
	}
	wq, bq := w.Quant, b.Quant
	if bq == nil || len(wq.Scale) != len(bq.Scale) || (len(wq.Scale) > 1 && wq.Axis != axis) || (op.Kind == learn.OpFullyConnected && len(wq.Scale) != 1) {
		return fmt.Errorf("%w: %s: weight scales %d on axis %d, bias scales %v", ErrGraph, where, len(wq.Scale), wq.Axis, bq)
	}
	for c, s := range wq.Scale {
		if wq.ZeroPoint[c] != 0 {
			return fmt.Errorf("%w: %s: weight zero point %d is %d, must be 0", ErrGraph, where, c, wq.ZeroPoint[c])
		}
		if p := float64(float32(in.Quant.Scale[0])) * float64(float32(s)); math.Abs(float64(float32(bq.Scale[c]))-p) > 1e-6*p {
			return fmt.Errorf("%w: %s: bias scale %d is %v, not input scale × weight scale %v", ErrGraph, where, c, bq.Scale[c], p)
		}
	}
	return nil
}

func sameQuant(a, b *learn.Quantization) bool {
	return float32(a.Scale[0]) == float32(b.Scale[0]) && a.ZeroPoint[0] == b.ZeroPoint[0]
}

func toInts(v []int32) []int {
	r := make([]int, len(v))
	for i, x := range v {
		r[i] = int(x)
	}
	return r
}

// Marshal encodes g as a TensorFlow Lite model: schema version 3, one
// subgraph named "main" with g's tensors, in g's order, and its operators
// in execution order, buffer 0 empty and one buffer, 16-byte aligned, per
// constant tensor, the "min_runtime_version" metadata, the labels metadata
// and a description. Encoding is deterministic. A graph Check refuses is
// an error wrapping ErrGraph.
func Marshal(g *learn.Graph) ([]byte, error) {
	if err := Check(g); err != nil {
		return nil, err
	}
	size := 1024
	for i := range g.Tensors {
		size += 256
		if t := &g.Tensors[i]; t.Constant() {
			size += t.Bytes() + BufferAlign
		}
	}
	b := fb.NewBuilder(size)

	// Buffers: 0 is empty, then one per constant tensor, then the metadata.
	// The builder writes back to front: the runtime version's 16 bytes,
	// written first, end the file, so that the file has no trailing padding
	// and any truncation cuts data a reader must see.
	runtime := make([]byte, 16)
	copy(runtime, MinRuntimeVersion(g))
	runtimeData := alignedBytes(b, runtime)
	var bufData []fb.UOffsetT // data vector of buffer i+1
	tensorBuf := make([]uint32, len(g.Tensors))
	for i := range g.Tensors {
		t := &g.Tensors[i]
		if !t.Constant() {
			continue
		}
		bufData = append(bufData, alignedBytes(b, tensorBytes(t)))
		tensorBuf[i] = uint32(len(bufData))
	}
	metaNames := []string{MinRuntimeVersionKey, LabelsKey}
	bufData = append(bufData, runtimeData, alignedBytes(b, []byte(Labels(g))))
	buffers := make([]fb.UOffsetT, 0, len(bufData)+1)
	b.StartObject(BufferFields)
	buffers = append(buffers, b.EndObject())
	for _, d := range bufData {
		b.StartObject(BufferFields)
		b.PrependUOffsetTSlot(BufferData, d, 0)
		buffers = append(buffers, b.EndObject())
	}
	buffersVec := tableVector(b, buffers)

	// Tensors.
	tensors := make([]fb.UOffsetT, len(g.Tensors))
	for i := range g.Tensors {
		t := &g.Tensors[i]
		shape := intVector(b, t.Shape)
		name := b.CreateString(t.Name)
		var quant fb.UOffsetT
		if t.Quant != nil {
			quant = quantization(b, t.Quant)
		}
		b.StartObject(TensorFields)
		b.PrependUOffsetTSlot(TensorShape, shape, 0)
		b.PrependInt8Slot(TensorType, typeCode(t.Type), TypeFloat32)
		b.PrependUint32Slot(TensorBuffer, tensorBuf[i], 0)
		b.PrependUOffsetTSlot(TensorName, name, 0)
		if t.Quant != nil {
			b.PrependUOffsetTSlot(TensorQuantization, quant, 0)
		}
		tensors[i] = b.EndObject()
	}
	tensorsVec := tableVector(b, tensors)

	// Operator codes, in order of first use.
	var kinds []learn.OpKind
	for _, op := range g.Ops {
		if !slices.Contains(kinds, op.Kind) {
			kinds = append(kinds, op.Kind)
		}
	}
	codes := make([]fb.UOffsetT, len(kinds))
	for i, k := range kinds {
		info := Ops[k]
		v := info.Float32Version
		if g.DType == learn.Int8 {
			v = info.Int8Version
		}
		b.StartObject(OpCodeFields)
		b.PrependInt8Slot(OpCodeDeprecatedBuiltin, int8(info.Code), 0)
		b.PrependInt32Slot(OpCodeVersion, v, 1)
		b.PrependInt32Slot(OpCodeBuiltin, info.Code, 0)
		codes[i] = b.EndObject()
	}
	codesVec := tableVector(b, codes)

	// Operators.
	ops := make([]fb.UOffsetT, len(g.Ops))
	for i := range g.Ops {
		op := &g.Ops[i]
		ins, outs := intVector(b, op.Inputs), intVector(b, op.Outputs)
		opts := options(b, g, op)
		b.StartObject(OpFields)
		b.PrependUint32Slot(OpOpcodeIndex, uint32(slices.Index(kinds, op.Kind)), 0)
		b.PrependUOffsetTSlot(OpInputs, ins, 0)
		b.PrependUOffsetTSlot(OpOutputs, outs, 0)
		b.PrependByteSlot(OpOptionsType, Ops[op.Kind].Options, 0)
		b.PrependUOffsetTSlot(OpOptions, opts, 0)
		ops[i] = b.EndObject()
	}
	opsVec := tableVector(b, ops)

	sgIn, sgOut := intVector(b, []int{g.Input}), intVector(b, []int{g.Output})
	sgName := b.CreateString(SubgraphName)
	b.StartObject(SubGraphFields)
	b.PrependUOffsetTSlot(SubGraphTensors, tensorsVec, 0)
	b.PrependUOffsetTSlot(SubGraphInputs, sgIn, 0)
	b.PrependUOffsetTSlot(SubGraphOutputs, sgOut, 0)
	b.PrependUOffsetTSlot(SubGraphOperators, opsVec, 0)
	b.PrependUOffsetTSlot(SubGraphName, sgName, 0)
	subgraphs := tableVector(b, []fb.UOffsetT{b.EndObject()})

	meta := make([]fb.UOffsetT, len(metaNames))
	for i, name := range metaNames {
		s := b.CreateString(name)
		b.StartObject(MetadataFields)
		b.PrependUOffsetTSlot(MetadataName, s, 0)
		b.PrependUint32Slot(MetadataBuffer, uint32(len(buffers)-len(metaNames)+i), 0)
		meta[i] = b.EndObject()
	}
	metaVec := tableVector(b, meta)
	desc := b.CreateString(Description(g))

	b.StartObject(ModelFields)
	b.PrependUint32Slot(ModelVersion, SchemaVersion, 0)
	b.PrependUOffsetTSlot(ModelOperatorCodes, codesVec, 0)
	b.PrependUOffsetTSlot(ModelSubgraphs, subgraphs, 0)
	b.PrependUOffsetTSlot(ModelDescription, desc, 0)
	b.PrependUOffsetTSlot(ModelBuffers, buffersVec, 0)
	b.PrependUOffsetTSlot(ModelMetadata, metaVec, 0)
	b.FinishWithFileIdentifier(b.EndObject(), []byte(FileIdentifier))
	out := b.FinishedBytes()
	return slices.Clip(out), nil
}

// Size returns the size in bytes of the file Marshal writes for g.
func Size(g *learn.Graph) (int, error) {
	b, err := Marshal(g)
	return len(b), err
}

func typeCode(t learn.DType) int8 {
	switch t {
	case learn.Int8:
		return TypeInt8
	case learn.Int32:
		return TypeInt32
	}
	return TypeFloat32
}

// tensorBytes returns a constant tensor's data, little-endian.
func tensorBytes(t *learn.Tensor) []byte {
	switch t.Type {
	case learn.Int8:
		d := make([]byte, len(t.Int8))
		for i, v := range t.Int8 {
			d[i] = byte(v)
		}
		return d
	case learn.Int32:
		d := make([]byte, 0, 4*len(t.Int32))
		for _, v := range t.Int32 {
			d = binary.LittleEndian.AppendUint32(d, uint32(v))
		}
		return d
	}
	d := make([]byte, 0, 4*len(t.Float32))
	for _, v := range t.Float32 {
		d = binary.LittleEndian.AppendUint32(d, math.Float32bits(v))
	}
	return d
}

// alignedBytes writes a byte vector whose first element is BufferAlign-aligned
// in the finished file.
func alignedBytes(b *fb.Builder, d []byte) fb.UOffsetT {
	b.StartVector(1, len(d), BufferAlign)
	for i := len(d) - 1; i >= 0; i-- {
		b.PlaceByte(d[i])
	}
	return b.EndVector(len(d))
}

func intVector(b *fb.Builder, v []int) fb.UOffsetT {
	b.StartVector(4, len(v), 4)
	for i := len(v) - 1; i >= 0; i-- {
		b.PrependInt32(int32(v[i]))
	}
	return b.EndVector(len(v))
}

func tableVector(b *fb.Builder, v []fb.UOffsetT) fb.UOffsetT {
	b.StartVector(4, len(v), 4)
	for i := len(v) - 1; i >= 0; i-- {
		b.PrependUOffsetT(v[i])
	}
	return b.EndVector(len(v))
}

func quantization(b *fb.Builder, q *learn.Quantization) fb.UOffsetT {
	b.StartVector(4, len(q.Scale), 4)
	for i := len(q.Scale) - 1; i >= 0; i-- {
		b.PrependFloat32(float32(q.Scale[i]))
	}
	scale := b.EndVector(len(q.Scale))
	b.StartVector(8, len(q.ZeroPoint), 8)
	for i := len(q.ZeroPoint) - 1; i >= 0; i-- {
		b.PrependInt64(q.ZeroPoint[i])
	}
	zp := b.EndVector(len(q.ZeroPoint))
	b.StartObject(QuantFields)
	b.PrependUOffsetTSlot(QuantScale, scale, 0)
	b.PrependUOffsetTSlot(QuantZeroPoint, zp, 0)
	b.PrependInt32Slot(QuantDimension, int32(q.Axis), 0)
	return b.EndObject()
}

// options writes an operator's builtin options table. Every padding is SAME,
// every dilation 1.
func options(b *fb.Builder, g *learn.Graph, op *learn.Operator) fb.UOffsetT {
	act := int8(ActivationNone)
	if op.ReLU {
		act = ActivationReLU
	}
	switch op.Kind {
	case learn.OpFullyConnected:
		b.StartObject(FCFields)
		b.PrependInt8Slot(FCActivation, act, 0)
	case learn.OpConv2D:
		b.StartObject(ConvFields)
		b.PrependInt8Slot(ConvPadding, PaddingSame, PaddingSame)
		b.PrependInt32Slot(ConvStrideW, int32(op.StrideW), 0)
		b.PrependInt32Slot(ConvStrideH, int32(op.StrideH), 0)
		b.PrependInt8Slot(ConvActivation, act, 0)
		b.PrependInt32Slot(ConvDilationW, 1, 1)
		b.PrependInt32Slot(ConvDilationH, 1, 1)
	case learn.OpDepthwiseConv2D:
		b.StartObject(DWFields)
		b.PrependInt8Slot(DWPadding, PaddingSame, PaddingSame)
		b.PrependInt32Slot(DWStrideW, int32(op.StrideW), 0)
		b.PrependInt32Slot(DWStrideH, int32(op.StrideH), 0)
		b.PrependInt32Slot(DWMultiplier, 1, 0)
		b.PrependInt8Slot(DWActivation, act, 0)
		b.PrependInt32Slot(DWDilationW, 1, 1)
		b.PrependInt32Slot(DWDilationH, 1, 1)
	case learn.OpMaxPool2D:
		b.StartObject(PoolFields)
		b.PrependInt8Slot(PoolPadding, PaddingSame, PaddingSame)
		b.PrependInt32Slot(PoolStrideW, int32(op.StrideW), 0)
		b.PrependInt32Slot(PoolStrideH, int32(op.StrideH), 0)
		b.PrependInt32Slot(PoolFilterW, int32(op.KernelW), 0)
		b.PrependInt32Slot(PoolFilterH, int32(op.KernelH), 0)
		b.PrependInt8Slot(PoolActivation, act, 0)
	case learn.OpSoftmax:
		b.StartObject(SoftmaxFields)
		b.PrependFloat32Slot(SoftmaxBeta, 1, 0)
	case learn.OpReshape:
		shape := intVector(b, g.Tensors[op.Outputs[0]].Shape)
		b.StartObject(ReshapeFields)
		b.PrependUOffsetTSlot(ReshapeNewShape, shape, 0)
	}
	return b.EndObject()
}
