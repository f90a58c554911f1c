package tflite

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/tinyimpulse/tinyimpulse/internal/tflitefmt"
	"github.com/tinyimpulse/tinyimpulse/learn"
)

// ErrFormat is wrapped by every error of [Unmarshal]: the data is not a
// well-formed TensorFlow Lite model of the operators this package writes.
var ErrFormat = errors.New("tflite: invalid model file")

// Model is a decoded .tflite file.
type Model struct {
	// Graph holds the model's tensors, with their data and quantisation,
	// and its operators with their options. The fields a file does not hold
	// are left empty: the operators' requantisation (Multiplier, Shift,
	// Rounding, ActMin, ActMax) and SoftmaxTable, which TensorFlow Lite
	// derives from the tensors when it loads the model. Labels and
	// Regression come from the labels metadata Marshal writes; without it
	// Labels is nil and Regression reports a model not ending in SOFTMAX.
	Graph *learn.Graph
	// Description is the model's description; Name its subgraph's name.
	Description, Name string
	// MinRuntimeVersion is the "min_runtime_version" metadata ("" when
	// the file has none).
	MinRuntimeVersion string
	// Versions holds the version of each operator code.
	Versions map[learn.OpKind]int
}

// kindOf maps builtin operator codes to the graph's operator kinds.
var kindOf = func() map[int32]learn.OpKind {
	m := map[int32]learn.OpKind{}
	for k, info := range tflitefmt.Ops {
		m[info.Code] = k
	}
	return m
}()

// Unmarshal decodes and verifies a .tflite file of the kind [Marshal]
// writes: one subgraph with one input and one output, the operators
// FULLY_CONNECTED, CONV_2D, DEPTHWISE_CONV_2D, MAX_POOL_2D, RESHAPE and
// SOFTMAX with SAME padding, no dilation and a ReLU or no fused
// activation, float32, int8 and int32 tensors of at most 4 dimensions,
// each constant buffer used by one tensor. It checks the flatbuffer's
// structure (every offset, length and alignment) and the model's
// consistency (shapes, data sizes, quantisation, operator inputs), as
// [Marshal] checks a graph. Anything else — a corrupted or truncated file,
// another operator or option — is an error wrapping [ErrFormat]; Unmarshal
// never panics, and its time and memory stay within a small multiple of
// len(data), however the file's tables share their data.
func Unmarshal(data []byte) (*Model, error) {
	f := newFbuf(data)
	root, err := f.root(tflitefmt.FileIdentifier)
	if err != nil {
		return nil, err
	}
	d := decoder{f: f}
	m, err := d.model(root)
	if err != nil {
		return nil, err
	}
	if err := tflitefmt.Check(m.Graph); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFormat, strings.TrimPrefix(err.Error(), tflitefmt.ErrGraph.Error()+": "))
	}
	return m, nil
}

type decoder struct {
	f       *fbuf
	buffers [][]byte
	used    []bool
}

func (d *decoder) model(root table) (*Model, error) {
	f := d.f
	if err := root.only(tflitefmt.ModelVersion, tflitefmt.ModelOperatorCodes, tflitefmt.ModelSubgraphs, tflitefmt.ModelDescription,
		tflitefmt.ModelBuffers, tflitefmt.ModelMetadataBuffer, tflitefmt.ModelMetadata); err != nil {
		return nil, err
	}
	if _, err := root.int32s(tflitefmt.ModelMetadataBuffer); err != nil { // verified, not used
		return nil, err
	}
	v, err := root.uint32(tflitefmt.ModelVersion, 0)
	if err != nil {
		return nil, err
	}
	if v != tflitefmt.SchemaVersion {
		return nil, f.errorf("schema version %d, want %d", v, tflitefmt.SchemaVersion)
	}
	m := &Model{Versions: map[learn.OpKind]int{}}
	if m.Description, err = root.string(tflitefmt.ModelDescription); err != nil {
		return nil, err
	}
	bufs, err := root.tables(tflitefmt.ModelBuffers, "Buffer")
	if err != nil {
		return nil, err
	}
	if len(bufs) == 0 {
		return nil, f.errorf("no buffers (buffer 0 must be an empty sentinel)")
	}
	d.buffers, d.used = make([][]byte, len(bufs)), make([]bool, len(bufs))
	for i, b := range bufs {
		if err := b.only(tflitefmt.BufferData); err != nil { // offset and size would keep data outside the flatbuffer
			return nil, err
		}
		if d.buffers[i], _, err = b.bytes(tflitefmt.BufferData); err != nil {
			return nil, err
		}
	}
	if len(d.buffers[0]) != 0 {
		return nil, f.errorf("buffer 0 holds %d bytes; it must be empty", len(d.buffers[0]))
	}
	kinds, err := d.opcodes(root, m)
	if err != nil {
		return nil, err
	}
	sgs, err := root.tables(tflitefmt.ModelSubgraphs, "SubGraph")
	if err != nil {
		return nil, err
	}
	if len(sgs) != 1 {
		return nil, f.errorf("%d subgraphs, want 1", len(sgs))
	}
	if m.Graph, err = d.subgraph(sgs[0], kinds); err != nil {
		return nil, err
	}
	if m.Name, err = sgs[0].string(tflitefmt.SubGraphName); err != nil {
		return nil, err
	}
	if err := d.metadata(root, m); err != nil {
		return nil, err
	}
	return m, nil
}

func (d *decoder) opcodes(root table, m *Model) ([]learn.OpKind, error) {
	codes, err := root.tables(tflitefmt.ModelOperatorCodes, "OperatorCode")
	if err != nil {
		return nil, err
	}
	kinds := make([]learn.OpKind, len(codes))
	for i, c := range codes {
		if err := c.only(tflitefmt.OpCodeDeprecatedBuiltin, tflitefmt.OpCodeCustom, tflitefmt.OpCodeVersion, tflitefmt.OpCodeBuiltin); err != nil {
			return nil, err
		}
		dep, err1 := c.int8(tflitefmt.OpCodeDeprecatedBuiltin, 0)
		code, err2 := c.int32(tflitefmt.OpCodeBuiltin, 0)
		ver, err3 := c.int32(tflitefmt.OpCodeVersion, 1)
		custom, err4 := c.string(tflitefmt.OpCodeCustom)
		if err := errors.Join(err1, err2, err3, err4); err != nil {
			return nil, err
		}
		code = max(code, int32(dep)) // as TensorFlow Lite reads the two fields
		k, ok := kindOf[code]
		if !ok || custom != "" {
			return nil, d.f.errorf("operator code %d: builtin operator %d (custom %q) is not one this package reads", i, code, custom)
		}
		if top := tflitefmt.Ops[k].Int8Version; ver < 1 || ver > top {
			return nil, d.f.errorf("operator code %d: %s version %d, this package reads versions 1 to %d", i, k, ver, top)
		}
		if _, dup := m.Versions[k]; dup {
			return nil, d.f.errorf("operator code %d: %s listed twice", i, k)
		}
		kinds[i], m.Versions[k] = k, int(ver)
	}
	return kinds, nil
}

func (d *decoder) subgraph(sg table, kinds []learn.OpKind) (*learn.Graph, error) {
	f := d.f
	if err := sg.only(tflitefmt.SubGraphTensors, tflitefmt.SubGraphInputs, tflitefmt.SubGraphOutputs, tflitefmt.SubGraphOperators, tflitefmt.SubGraphName); err != nil {
		return nil, err
	}
	ts, err := sg.tables(tflitefmt.SubGraphTensors, "Tensor")
	if err != nil {
		return nil, err
	}
	g := &learn.Graph{Tensors: make([]learn.Tensor, len(ts))}
	for i, t := range ts {
		if g.Tensors[i], err = d.tensor(t, i); err != nil {
			return nil, err
		}
	}
	ins, err1 := sg.int32s(tflitefmt.SubGraphInputs)
	outs, err2 := sg.int32s(tflitefmt.SubGraphOutputs)
	if err := errors.Join(err1, err2); err != nil {
		return nil, err
	}
	if len(ins) != 1 || len(outs) != 1 {
		return nil, f.errorf("%d inputs and %d outputs, want 1 and 1", len(ins), len(outs))
	}
	g.Input, g.Output = int(ins[0]), int(outs[0])
	if g.Input < 0 || g.Input >= len(g.Tensors) {
		return nil, f.errorf("input tensor %d of %d", g.Input, len(g.Tensors))
	}
	g.DType = g.Tensors[g.Input].Type
	ops, err := sg.tables(tflitefmt.SubGraphOperators, "Operator")
	if err != nil {
		return nil, err
	}
	g.Ops = make([]learn.Operator, len(ops))
	for i, o := range ops {
		if g.Ops[i], err = d.operator(o, i, kinds, g); err != nil {
			return nil, err
		}
	}
	g.Regression = len(g.Ops) == 0 || g.Ops[len(g.Ops)-1].Kind != learn.OpSoftmax
	return g, nil
}

// elements returns the element count of shape, or an error when a
// dimension is not positive or the count is absurd.
func (d *decoder) elements(shape []int32, what string) (int, error) {
	n := 1
	for _, s := range shape {
		if s <= 0 || int(s) > maxElements/n {
			return 0, d.f.errorf("%s: shape %v", what, shape)
		}
		n *= int(s)
	}
	return n, nil
}

// maxElements bounds a tensor's elements (2^28).
const maxElements = 1 << 28

func (d *decoder) tensor(t table, i int) (learn.Tensor, error) {
	f := d.f
	var out learn.Tensor
	if err := t.only(tflitefmt.TensorShape, tflitefmt.TensorType, tflitefmt.TensorBuffer, tflitefmt.TensorName,
		tflitefmt.TensorQuantization, tflitefmt.TensorIsVariable, tflitefmt.TensorShapeSignature); err != nil {
		return out, err
	}
	if _, err := t.int32s(tflitefmt.TensorShapeSignature); err != nil { // verified, not used
		return out, err
	}
	var err error
	if out.Name, err = t.string(tflitefmt.TensorName); err != nil {
		return out, err
	}
	what := fmt.Sprintf("tensor %d (%s)", i, out.Name)
	shape, err := t.int32s(tflitefmt.TensorShape)
	if err != nil {
		return out, err
	}
	if len(shape) == 0 || len(shape) > 4 {
		return out, f.errorf("%s: shape %v", what, shape)
	}
	n, err := d.elements(shape, what)
	if err != nil {
		return out, err
	}
	out.Shape = make([]int, len(shape))
	for j, s := range shape {
		out.Shape[j] = int(s)
	}
	typ, err := t.int8(tflitefmt.TensorType, tflitefmt.TypeFloat32)
	if err != nil {
		return out, err
	}
	switch typ {
	case tflitefmt.TypeFloat32:
		out.Type = learn.Float32
	case tflitefmt.TypeInt8:
		out.Type = learn.Int8
	case tflitefmt.TypeInt32:
		out.Type = learn.Int32
	default:
		return out, f.errorf("%s: tensor type %d is not float32, int8 or int32", what, typ)
	}
	if v, err := t.bool(tflitefmt.TensorIsVariable); err != nil || v {
		return out, errors.Join(err, f.errorf("%s is a variable", what))
	}
	buf, err := t.uint32(tflitefmt.TensorBuffer, 0)
	if err != nil {
		return out, err
	}
	if int64(buf) >= int64(len(d.buffers)) {
		return out, f.errorf("%s: buffer %d of %d", what, buf, len(d.buffers))
	}
	if data := d.buffers[buf]; len(data) > 0 {
		if d.used[buf] {
			return out, f.errorf("%s: buffer %d is shared with another tensor", what, buf)
		}
		d.used[buf] = true
		if len(data) != n*out.Type.Size() {
			return out, f.errorf("%s: buffer %d holds %d bytes, shape %v of %v needs %d", what, buf, len(data), out.Shape, out.Type, n*out.Type.Size())
		}
		switch out.Type {
		case learn.Float32:
			out.Float32 = make([]float32, n)
			for j := range out.Float32 {
				out.Float32[j] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*j:]))
			}
		case learn.Int8:
			out.Int8 = make([]int8, n)
			for j, b := range data {
				out.Int8[j] = int8(b)
			}
		case learn.Int32:
			out.Int32 = make([]int32, n)
			for j := range out.Int32 {
				out.Int32[j] = int32(binary.LittleEndian.Uint32(data[4*j:]))
			}
		}
	}
	q, ok, err := t.child(tflitefmt.TensorQuantization, "QuantizationParameters")
	if !ok || err != nil {
		return out, err
	}
	if err := q.only(tflitefmt.QuantMin, tflitefmt.QuantMax, tflitefmt.QuantScale, tflitefmt.QuantZeroPoint, tflitefmt.QuantDimension); err != nil {
		return out, err // details: custom quantisation
	}
	_, errMin := q.float32s(tflitefmt.QuantMin) // verified, not used
	_, errMax := q.float32s(tflitefmt.QuantMax)
	if err := errors.Join(errMin, errMax); err != nil {
		return out, err
	}
	scale, err1 := q.float32s(tflitefmt.QuantScale)
	zp, err2 := q.int64s(tflitefmt.QuantZeroPoint)
	axis, err3 := q.int32(tflitefmt.QuantDimension, 0)
	if err := errors.Join(err1, err2, err3); err != nil {
		return out, err
	}
	if len(scale) == 0 && len(zp) == 0 {
		return out, nil // min/max only, or nothing: not quantised
	}
	out.Quant = &learn.Quantization{Scale: make([]float64, len(scale)), ZeroPoint: zp, Axis: int(axis)}
	for j, s := range scale {
		out.Quant.Scale[j] = float64(s)
	}
	return out, nil
}

func (d *decoder) operator(o table, i int, kinds []learn.OpKind, g *learn.Graph) (learn.Operator, error) {
	f := d.f
	op := learn.Operator{KernelH: 1, KernelW: 1, StrideH: 1, StrideW: 1}
	if err := o.only(tflitefmt.OpOpcodeIndex, tflitefmt.OpInputs, tflitefmt.OpOutputs, tflitefmt.OpOptionsType, tflitefmt.OpOptions); err != nil {
		return op, err
	}
	idx, err := o.uint32(tflitefmt.OpOpcodeIndex, 0)
	if err != nil {
		return op, err
	}
	if int64(idx) >= int64(len(kinds)) {
		return op, f.errorf("operator %d: opcode index %d of %d", i, idx, len(kinds))
	}
	op.Kind = kinds[idx]
	what := fmt.Sprintf("operator %d (%s)", i, op.Kind)
	ins, err1 := o.int32s(tflitefmt.OpInputs)
	outs, err2 := o.int32s(tflitefmt.OpOutputs)
	if err := errors.Join(err1, err2); err != nil {
		return op, err
	}
	for _, x := range append(slices.Clone(ins), outs...) {
		if x < 0 || int(x) >= len(g.Tensors) {
			return op, f.errorf("%s: tensor index %d of %d", what, x, len(g.Tensors))
		}
	}
	op.Inputs, op.Outputs = toInts(ins), toInts(outs)
	info := tflitefmt.Ops[op.Kind]
	otype, err := o.int8(tflitefmt.OpOptionsType, 0)
	if err != nil {
		return op, err
	}
	opts, ok, err := o.child(tflitefmt.OpOptions, string(op.Kind)+" options")
	if err != nil {
		return op, err
	}
	if !ok || byte(otype) != info.Options {
		if op.Kind != learn.OpReshape || ok || otype != 0 {
			return op, f.errorf("%s: options of type %d, want %d", what, otype, info.Options)
		}
	}
	var act int8
	ints := func(slots ...int) ([]int32, error) {
		v := make([]int32, len(slots))
		var errs []error
		for j, s := range slots {
			var err error
			v[j], err = opts.int32(s, 0)
			errs = append(errs, err)
		}
		return v, errors.Join(errs...)
	}
	padding := func(slot int) error {
		p, err := opts.int8(slot, tflitefmt.PaddingSame)
		if err == nil && p != tflitefmt.PaddingSame {
			err = f.errorf("%s: padding %d; this package reads SAME padding only", what, p)
		}
		return err
	}
	dilation := func(slots ...int) error {
		for _, s := range slots {
			v, err := opts.int32(s, 1)
			if err != nil {
				return err
			}
			if v != 1 {
				return f.errorf("%s: dilation %d", what, v)
			}
		}
		return nil
	}
	known := map[learn.OpKind][]int{
		learn.OpFullyConnected:  {tflitefmt.FCActivation, tflitefmt.FCWeightsFormat, tflitefmt.FCKeepNumDims},
		learn.OpConv2D:          {tflitefmt.ConvPadding, tflitefmt.ConvStrideW, tflitefmt.ConvStrideH, tflitefmt.ConvActivation, tflitefmt.ConvDilationW, tflitefmt.ConvDilationH},
		learn.OpDepthwiseConv2D: {tflitefmt.DWPadding, tflitefmt.DWStrideW, tflitefmt.DWStrideH, tflitefmt.DWMultiplier, tflitefmt.DWActivation, tflitefmt.DWDilationW, tflitefmt.DWDilationH},
		learn.OpMaxPool2D:       {tflitefmt.PoolPadding, tflitefmt.PoolStrideW, tflitefmt.PoolStrideH, tflitefmt.PoolFilterW, tflitefmt.PoolFilterH, tflitefmt.PoolActivation},
		learn.OpSoftmax:         {tflitefmt.SoftmaxBeta},
		learn.OpReshape:         {tflitefmt.ReshapeNewShape},
	}[op.Kind]
	if ok {
		if err := opts.only(known...); err != nil {
			return op, err
		}
	}
	switch op.Kind {
	case learn.OpFullyConnected:
		act, err = opts.int8(tflitefmt.FCActivation, 0)
		var wf int8
		wf, err2 = opts.int8(tflitefmt.FCWeightsFormat, 0)
		keep, err3 := opts.bool(tflitefmt.FCKeepNumDims)
		if err := errors.Join(err, err2, err3); err != nil {
			return op, err
		}
		if wf != 0 || keep {
			return op, f.errorf("%s: weights format %d, keep_num_dims %v", what, wf, keep)
		}
	case learn.OpConv2D, learn.OpDepthwiseConv2D:
		var s []int32
		if op.Kind == learn.OpConv2D {
			s, err = ints(tflitefmt.ConvStrideW, tflitefmt.ConvStrideH)
			act, err2 = opts.int8(tflitefmt.ConvActivation, 0)
			err = errors.Join(err, err2, padding(tflitefmt.ConvPadding), dilation(tflitefmt.ConvDilationW, tflitefmt.ConvDilationH))
		} else {
			var mult int32
			s, err = ints(tflitefmt.DWStrideW, tflitefmt.DWStrideH)
			act, err2 = opts.int8(tflitefmt.DWActivation, 0)
			mult, err3 := opts.int32(tflitefmt.DWMultiplier, 0)
			err = errors.Join(err, err2, err3, padding(tflitefmt.DWPadding), dilation(tflitefmt.DWDilationW, tflitefmt.DWDilationH))
			if err == nil && mult != 1 {
				err = f.errorf("%s: depth multiplier %d", what, mult)
			}
		}
		if err != nil {
			return op, err
		}
		op.StrideW, op.StrideH = int(s[0]), int(s[1])
		if len(ins) > 1 {
			if w := g.Tensors[ins[1]].Shape; len(w) == 4 {
				op.KernelH, op.KernelW = w[1], w[2]
			}
		}
	case learn.OpMaxPool2D:
		s, err := ints(tflitefmt.PoolStrideW, tflitefmt.PoolStrideH, tflitefmt.PoolFilterW, tflitefmt.PoolFilterH)
		act, err2 = opts.int8(tflitefmt.PoolActivation, 0)
		if err := errors.Join(err, err2, padding(tflitefmt.PoolPadding)); err != nil {
			return op, err
		}
		op.StrideW, op.StrideH, op.KernelW, op.KernelH = int(s[0]), int(s[1]), int(s[2]), int(s[3])
	case learn.OpSoftmax:
		beta, err := opts.float32(tflitefmt.SoftmaxBeta, 0)
		if err != nil {
			return op, err
		}
		if beta != 1 {
			return op, f.errorf("%s: beta %v; this package reads β = 1 only", what, beta)
		}
	case learn.OpReshape:
		if ok {
			ns, err := opts.int32s(tflitefmt.ReshapeNewShape)
			if err != nil {
				return op, err
			}
			if len(outs) == 1 && ns != nil && !slices.Equal(toInts(ns), g.Tensors[outs[0]].Shape) {
				return op, f.errorf("%s: new shape %v, output tensor %v", what, ns, g.Tensors[outs[0]].Shape)
			}
		}
	}
	switch act {
	case tflitefmt.ActivationNone:
	case tflitefmt.ActivationReLU:
		op.ReLU = true
	default:
		return op, f.errorf("%s: fused activation %d; this package reads NONE and RELU only", what, act)
	}
	op.MACs = macs(g, &op)
	return op, nil
}

// macs returns the multiply-accumulates of one inference of op.
func macs(g *learn.Graph, op *learn.Operator) int {
	if len(op.Inputs) < 2 || len(op.Outputs) != 1 {
		return 0
	}
	w, out := &g.Tensors[op.Inputs[1]], &g.Tensors[op.Outputs[0]]
	switch op.Kind {
	case learn.OpFullyConnected:
		return w.Elements()
	case learn.OpConv2D:
		if len(w.Shape) == 4 {
			return out.Elements() * w.Shape[1] * w.Shape[2] * w.Shape[3]
		}
	case learn.OpDepthwiseConv2D:
		if len(w.Shape) == 4 {
			return out.Elements() * w.Shape[1] * w.Shape[2]
		}
	}
	return 0
}

func toInts(v []int32) []int {
	r := make([]int, len(v))
	for i, x := range v {
		r[i] = int(x)
	}
	return r
}

func (d *decoder) metadata(root table, m *Model) error {
	f := d.f
	meta, err := root.tables(tflitefmt.ModelMetadata, "Metadata")
	if err != nil {
		return err
	}
	for i, t := range meta {
		name, err1 := t.string(tflitefmt.MetadataName)
		buf, err2 := t.uint32(tflitefmt.MetadataBuffer, 0)
		if err := errors.Join(err1, err2); err != nil {
			return err
		}
		if int64(buf) >= int64(len(d.buffers)) {
			return f.errorf("metadata %d (%s): buffer %d of %d", i, name, buf, len(d.buffers))
		}
		data := d.buffers[buf]
		switch name {
		case tflitefmt.MinRuntimeVersionKey:
			if j := slices.Index(data, 0); j >= 0 {
				data = data[:j]
			}
			m.MinRuntimeVersion = string(data)
		case tflitefmt.LabelsKey:
			lines := strings.Split(string(data), "\n")
			switch lines[0] {
			case "classification", "regression":
				m.Graph.Regression = lines[0] == "regression"
			default:
				return f.errorf("labels metadata starts with %q, want classification or regression", lines[0])
			}
			if len(lines) > 1 {
				m.Graph.Labels = lines[1:]
			}
		}
	}
	return nil
}
