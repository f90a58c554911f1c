package device

import (
	"fmt"
	"math"

	"github.com/tinyimpulse/tinyimpulse/dsp"
)

// The tinyimpulse C library engine: an impulse as package deploy generates
// it (the processing blocks, network and anomaly block compiled to C on
// tinyimpulse's runtime, no interpreter), the third deployment beside
// TensorFlow Lite Micro and EON. Its figures come from the library's own
// measurements on the emulated Cortex-M4F (device/calibration/
// tinyimpulse-qemu-*.csv): instructions from models fitted per operator
// class, processing block class and anomaly block (CFits), memory from
// the generator's own layout, computed exactly.

// CEngine is a network's figures in the C library engine.
type CEngine struct {
	// Memory: Arena is the network's activations and scratch columns,
	// RAM the arena with the int8 input and output buffers, ROM its
	// kernels and constant data (Model).
	Memory
	// Instructions is the Cortex-M4 instruction count of one inference
	// (the operators and the stage around them); Cycles scales it by the
	// core factor and LatencyMs by the clock.
	Instructions, Cycles, LatencyMs float64
}

// CDSPBlock is a processing block of a CLibrary.
type CDSPBlock struct {
	Name  string
	Block dsp.Block
}

// CLibrary describes an impulse as tinyimpulse's generated C library for
// ProfileCLibrary.
type CLibrary struct {
	// DSP are the processing blocks in the impulse's order.
	DSP []CDSPBlock
	// Network is the network (FromGraph of the learn block's int8 or
	// float32 graph), nil without one; NetworkRanges is the number of
	// separate ranges of the processing blocks' features it reads (1: it
	// reads them in place).
	Network       *Network
	NetworkRanges int
	// Anomaly is the anomaly block (its Features are its axes), nil
	// without one; AnomalyFeatures is the number of features it reads and
	// AnomalyRanges their ranges.
	Anomaly                        *AnomalyBlock
	AnomalyFeatures, AnomalyRanges int
}

// CStage is one stage of a CLibraryProfile.
type CStage struct {
	Name string
	// Instructions on a Cortex-M4; Cycles and LatencyMs on the target.
	Instructions, Cycles, LatencyMs float64
	// Arena is the stage's working memory, ROM its code and constant data.
	Arena, ROM int
}

// CLibraryProfile is the estimate of an impulse as the generated C library
// on one target.
type CLibraryProfile struct {
	Target Target
	// DType is the network's (Int8 or Float32; "" without a network).
	DType DType
	DSP   []CStage
	// NN and Anomaly are the network and anomaly stages (zero when the
	// impulse has none).
	NN, Anomaly CStage
	// Arena is the library's working memory (ti_impulse_arena_size): the
	// features and the largest stage. RAM is its static RAM as Edge
	// Impulse counts RAM (static data, no stack): the arena and the
	// library's own variables, exactly as the generated library has them.
	// Stack is the estimated stack high-water mark of run_classifier
	// (measured per stage on the calibration impulses).
	Arena, RAM, Stack int
	// ROM is the library's code and constant data (estimated).
	ROM int
	// Instructions, Cycles and LatencyMs are the whole run_classifier.
	Instructions, Cycles, LatencyMs float64
}

// cArena mirrors the C runtime's ti_take: buffers aligned to 8 bytes.
type cArena struct{ used int }

func (a *cArena) take(count, elem int) {
	a.used = (a.used+7)&^7 + count*elem
}

// cDSPArena returns a processing block's arena in the float build,
// exactly as package deploy's DSPBlock.ArenaBytes(Float32).
func cDSPArena(d dsp.Design) int {
	var a cArena
	switch d.Type {
	case "flatten":
		a.take(d.Input.Samples, 4)
	case "spectral-analysis":
		s := d.Spectral
		cfg := d.Config.(dsp.SpectralConfig)
		n, h := cfg.FFTLength, cfg.FFTLength/2+1
		a.take(d.Input.Samples, 4)
		if len(s.DecimationStages) > 0 || s.LowFreqFeatures > 0 {
			a.take(d.Input.Samples, 4)
		}
		switch s.Analysis {
		case "fft":
			a.take(n, 4)
			a.take(h, 4)
			a.take(h, 4)
		case "wavelet":
			lv := len(s.WaveletLengths) - 1
			for l := 1; l <= lv; l++ {
				a.take(s.WaveletLengths[l], 4)
				a.take(s.WaveletLengths[l], 4)
			}
			a.take(s.WaveletLengths[min(lv, 1)], 4)
		case "v1":
			a.take(n, 4)
			a.take(n+2, 4)
			a.take(h, 4)
			a.take(n/2, 4)
			a.take(n/2, 2)
			a.take(h, 4)
		}
	case "spectrogram":
		a.take(d.Audio.FFTLength, 4)
	case "mfe":
		a.take(d.Audio.FFTLength, 4)
		a.take(d.Audio.FFTLength/2+1, 4)
		if d.Version <= 2 {
			cmvnArena(&a, d.Audio.Frames, false)
		}
	case "mfcc":
		cfg := d.Config.(dsp.MFCCConfig)
		a.take(d.Audio.FFTLength, 4)
		a.take(d.Audio.FFTLength/2+1, 4)
		a.take(cfg.NumFilters, 4)
		if cfg.WinSize > 0 {
			cmvnArena(&a, d.Audio.Frames, true)
		}
	}
	return a.used
}

func cmvnArena(a *cArena, rows int, variance bool) {
	a.take(2*rows+1, 8)
	if variance {
		a.take(2*rows+1, 8)
	}
	a.take(2*rows, 2)
	a.take(rows, 4)
}

// cNet is a network as the C runtime runs it: its operators and layout.
type cNet struct {
	dtype        DType
	ops          []cOp
	reshape      []bool
	inputs, outs int
	arena        int
}

// cNetwork lays a network out as package deploy's NewNetwork does:
// activations alternate between the two ends of one arena (a RESHAPE's
// output aliases its input); an int8 CONV_2D whose windows cannot be read
// in place adds two im2col columns of kh·kw·cin bytes between them.
func cNetwork(n *Network) (*cNet, error) {
	g, err := analyze(n)
	if err != nil {
		return nil, err
	}
	c := &cNet{dtype: g.dtype, inputs: prod(g.shapes[0]), outs: prod(g.shapes[len(g.shapes)-1])}
	const input, low, high = -1, 0, 1
	loc := make([]int, len(g.shapes))
	loc[0] = input
	elem := g.dtype.bytes()
	for k, o := range g.ops {
		hw := func(s []int) (int, int, int) {
			if len(s) == 3 {
				return s[0], s[1], s[2]
			}
			return 1, 1, prod(s)
		}
		ih, iw, ic := hw(o.inShape)
		oh, ow, oc := hw(o.Output)
		op := cOp{dtype: g.dtype, kind: o.Kind, kh: o.kh, kw: o.kw, sh: o.sh, sw: o.sw, cin: ic, cout: oc, ih: ih, iw: iw, oh: oh, ow: ow}
		c.ops = append(c.ops, op)
		c.reshape = append(c.reshape, o.Kind == Reshape)
		in := o.in[0]
		switch o.Kind {
		case Reshape:
			loc[k+1] = loc[in]
			continue
		case FullyConnected, Conv2D, DepthwiseConv2D, MaxPool2D, Softmax:
		default:
			return nil, fmt.Errorf("device: the C library has no %s kernel: %w", o.Kind, ErrNetwork)
		}
		if o.Kind == DepthwiseConv2D && ic != oc {
			return nil, fmt.Errorf("device: the C library has no depthwise kernel with a depth multiplier: %w", ErrNetwork)
		}
		if loc[in] == low {
			loc[k+1] = high
		} else {
			loc[k+1] = low
		}
		inB, outB := prod(g.shapes[in])*elem, o.outElems*elem
		if g.dtype == Float32 {
			need := outB
			if loc[in] != input {
				need += inB
			}
			c.arena = max(c.arena, need)
			continue
		}
		scratch := 0
		if o.Kind == Conv2D && !op.inPlace() {
			scratch = 2 * o.kh * o.kw * ic
		}
		lo, hi := outB, 0
		if loc[in] == low {
			lo, hi = inB, outB
		} else if loc[in] == high {
			hi = inB
		}
		c.arena = max(c.arena, (lo+3)&^3+scratch+hi)
	}
	return c, nil
}

// instructions returns the network stage's Cortex-M4 instructions: its
// operators and the stage around them.
func (c *cNet) instructions(m *cModel) (float64, error) {
	total := 0.0
	for _, o := range c.ops {
		f := m.ops[string(c.dtype)+" "+string(o.kind)]
		if f == nil {
			return 0, fmt.Errorf("device: no C library measurements of %s %s: %w", c.dtype, o.kind, ErrUndefined)
		}
		total += math.Max(0, f.predict(o.terms()))
	}
	ov := m.overhead[c.dtype]
	return total + math.Max(0, ov.predict([]float64{float64(c.inputs), float64(c.outs), float64(len(c.ops))})), nil
}

// The generated structures' sizes (32-bit targets).
const (
	cQOpBytes     = 92 // ti_qop
	cOpBytes      = 56 // ti_op
	cNetworkBytes = 36 // ti_qnetwork (ti_network 20)
	cImpulseBytes = 96 // ti_impulse, with its block and range tables
)

// cKernelCode is the code of each kernel in the float and int8 runtimes,
// measured from the calibration impulses' linker maps (GCC 12 -O2,
// Cortex-M4F, --gc-sections), "" the runner and the stage around it.
var cKernelCode = map[DType]map[OpKind]int{
	Int8:    {"": 650, FullyConnected: 850, Conv2D: 2900, DepthwiseConv2D: 800, MaxPool2D: 350, Softmax: 350},
	Float32: {"": 300, FullyConnected: 150, Conv2D: 600, DepthwiseConv2D: 0, MaxPool2D: 300, Softmax: 200},
}

// rom returns the network's code and constant data.
func (c *cNet) rom() (code, data int) {
	seen := map[OpKind]bool{"": true}
	code = cKernelCode[c.dtype][""]
	data = cNetworkBytes
	for _, o := range c.ops {
		if !seen[o.kind] {
			seen[o.kind] = true
			code += cKernelCode[c.dtype][o.kind]
		}
		if c.dtype == Int8 {
			data += cQOpBytes
		} else {
			data += cOpBytes
		}
		k := o.kh * o.kw * o.cin
		switch {
		case o.kind == Softmax && c.dtype == Int8:
			data += 1024
		case c.dtype == Int8 && (o.kind == FullyConnected || o.kind == Conv2D):
			data += 8*((o.cout+1)/2)*((k+3)/4) + 17*o.cout // packed weights; bias, multiplier, shift, rounding
		case c.dtype == Int8 && o.kind == DepthwiseConv2D:
			data += o.kh*o.kw*o.cout + 17*o.cout
		case o.kind == FullyConnected || o.kind == Conv2D:
			data += 4*k*o.cout + 4*o.cout
		case o.kind == DepthwiseConv2D:
			data += 4*o.kh*o.kw*o.cout + 4*o.cout
		}
	}
	return code, data
}

// cDSPCode is the code a processing block links, measured from the
// calibration impulses' linker maps (spectral analysis: ti_spectral and
// ti_common; MFCC: ti_audio, ti_common and the software double routines
// it uses; image: ti_basic); blocks not among them are estimated.
var cDSPCode = map[string]int{
	"spectral-analysis": 4670, "image": 480, "mfcc": 7020, "mfe": 6500, "spectrogram": 5500, "raw": 300, "flatten": 3000,
}

// cDSPData returns a processing block's constant tables and configuration.
func cDSPData(d dsp.Design) int {
	n := 120 // the configuration struct and the wrapper's table entry
	if s := d.Spectral; s != nil {
		cfg := d.Config.(dsp.SpectralConfig)
		if s.Analysis != "wavelet" {
			n += 4 * cfg.FFTLength // twiddles
		}
		n += 20*len(s.Filter) + 12*len(s.WaveletLo) + 4*len(s.WaveletLengths) + 4*len(s.PowerEdges)
	}
	if a := d.Audio; a != nil {
		n += 4*a.FFTLength + 8*len(a.MelStart) + 4 + 4*len(a.LevelThresholds)
		for _, w := range a.MelWeights {
			n += 4 * len(w)
		}
		for _, r := range a.DCT {
			n += 4 * len(r)
		}
	}
	return n
}

// cAnomalyCode is an anomaly block's code (K-means measured; GMM
// estimated).
var cAnomalyCode = map[AnomalyKind]int{AnomalyKMeans: 220, AnomalyGMM: 700}

// cBaseCode is ti_run_classifier with its layout and the generated
// library's run_classifier (measured).
const cBaseCode = 1660

// ProfileCLibrary estimates an impulse as tinyimpulse's generated C
// library on the target of c: each stage's instructions from the models
// fitted on the library's emulator measurements (CFits), converted to
// cycles with the core's factors (float32 for the processing and anomaly
// blocks, the network's dtype for the network stage), the arena and
// static RAM exactly as the generator lays them out (run_classifier's
// static arena and clock pointer), the stack from the measured stages and
// the ROM from the kernels' measured code and the constant data. It
// returns an error wrapping ErrValue or ErrNetwork for a malformed
// description, ErrUndefined for a block the library has no measurements
// of, and the target errors of ProfileNetwork.
func ProfileCLibrary(l CLibrary, c ProfileConfig) (*CLibraryProfile, error) {
	t, core, err := c.target()
	if err != nil {
		return nil, err
	}
	if !t.HasPerformance {
		return nil, fmt.Errorf("device: target %s has no performance model: %w", t.ID, ErrUndefined)
	}
	m, err := fittedC()
	if err != nil {
		return nil, err
	}
	p := &CLibraryProfile{Target: t}
	fFloat := c.factor(t.Core, Float32)
	features := 0
	rom := cBaseCode + cImpulseBytes
	stack := 0
	codeSeen := map[string]bool{}
	for i, b := range l.DSP {
		d, err := dsp.DesignOf(b.Block)
		if err != nil {
			return nil, fmt.Errorf("device: processing block %d: %w", i, err)
		}
		class, x := dspTerms(d)
		f := m.dsp[class]
		if f == nil {
			return nil, fmt.Errorf("device: no C library measurements of %s: %w", class, ErrUndefined)
		}
		insn := math.Max(0, f.predict(x))
		st := CStage{Name: b.Name, Instructions: insn, Cycles: insn * fFloat, Arena: cDSPArena(d), ROM: cDSPData(d)}
		if st.Name == "" {
			st.Name = d.Type
		}
		if !codeSeen[d.Type] {
			codeSeen[d.Type] = true
			st.ROM += cDSPCode[d.Type]
		}
		st.LatencyMs = t.millis(st.Cycles)
		p.DSP = append(p.DSP, st)
		features += d.Features
		rom += st.ROM
		stack = max(stack, stackOf(m.stackDSP, d.Type, m.stackMax[0]))
	}
	var a cArena
	a.take(features, 4)
	need := a.used
	for _, s := range p.DSP {
		t := a
		t.take(0, 1)
		t.take(s.Arena, 1)
		need = max(need, t.used)
	}
	if l.Network != nil {
		cn, err := cNetwork(l.Network)
		if err != nil {
			return nil, err
		}
		insn, err := cn.instructions(m)
		if err != nil {
			return nil, err
		}
		p.DType = cn.dtype
		code, data := cn.rom()
		p.NN = CStage{Name: "NN " + string(cn.dtype), Instructions: insn, Cycles: insn * c.factor(t.Core, cn.dtype), Arena: cn.arena, ROM: code + data}
		p.NN.LatencyMs = t.millis(p.NN.Cycles)
		rom += p.NN.ROM
		s := a
		gather := 0
		if l.NetworkRanges > 1 {
			gather = cn.inputs
		}
		s.take(gather, 4)
		if cn.dtype == Int8 {
			s.take(cn.inputs, 1)
			s.take(cn.outs, 1)
		} else {
			s.take(0, 4)
		}
		s.take(cn.arena, 1)
		need = max(need, s.used)
		conv := false
		for _, o := range cn.ops {
			conv = conv || o.kind == Conv2D
		}
		stack = max(stack, stackOf(m.stackNN, nnStackKey(cn.dtype, conv), m.stackMax[1]))
	}
	if l.Anomaly != nil {
		f := m.anomaly[l.Anomaly.Kind]
		if f == nil {
			return nil, fmt.Errorf("device: no C library measurements of anomaly block %q: %w", l.Anomaly.Kind, ErrUndefined)
		}
		if l.Anomaly.Clusters <= 0 || l.Anomaly.Features <= 0 {
			return nil, fmt.Errorf("device: anomaly block with %d clusters and %d axes: %w", l.Anomaly.Clusters, l.Anomaly.Features, ErrValue)
		}
		insn := math.Max(0, f.predict(anomalyTerms(l.Anomaly.Kind, l.Anomaly.Clusters, l.Anomaly.Features)))
		k, ax := l.Anomaly.Clusters, l.Anomaly.Features
		data := 36 + 12*ax + 4*k*ax + 4*k
		if l.Anomaly.Kind == AnomalyGMM {
			data = 48 + 4*ax + 4*k*ax + 4*k*ax*ax + 8*k
		}
		name := l.Anomaly.Name
		if name == "" {
			name = string(l.Anomaly.Kind)
		}
		p.Anomaly = CStage{Name: name, Instructions: insn, Cycles: insn * fFloat, ROM: cAnomalyCode[l.Anomaly.Kind] + data}
		p.Anomaly.LatencyMs = t.millis(p.Anomaly.Cycles)
		rom += p.Anomaly.ROM
		s := a
		gather := 0
		if l.AnomalyRanges > 1 {
			gather = l.AnomalyFeatures
		}
		s.take(gather, 4)
		need = max(need, s.used)
		stack = max(stack, stackOf(m.stackAnomaly, anomalyStackKey(l.Anomaly.Kind), m.stackMax[2]))
	}
	p.Arena = need
	// run_classifier's static arena, uint64_t[(arena + 7) / 8 + 1], and
	// its clock pointer.
	p.RAM = 8*((need+7)/8+1) + 4 + c.SDKRAMOverhead
	p.Stack = stack
	p.ROM = int(float64(rom)*core.rom + 0.5)
	for _, s := range append(append([]CStage(nil), p.DSP...), p.NN, p.Anomaly) {
		p.Instructions += s.Instructions
		p.Cycles += s.Cycles
	}
	p.LatencyMs = t.millis(p.Cycles)
	return p, nil
}

func anomalyStackKey(k AnomalyKind) string {
	if k == AnomalyGMM {
		return "gmm"
	}
	return "kmeans"
}

// stackOf returns a stage's measured stack, or the largest measured of its
// kind for one not measured.
func stackOf(m map[string]int, key string, fallback int) int {
	if v, ok := m[key]; ok {
		return v
	}
	return fallback
}

// cEngine returns a network's figures in the C library engine (the
// network alone: its arena with the int8 input and output, its kernels and
// constant data).
func cEngine(n *Network, t Target, c ProfileConfig, core coreParams) (CEngine, error) {
	m, err := fittedC()
	if err != nil {
		return CEngine{}, err
	}
	cn, err := cNetwork(n)
	if err != nil {
		return CEngine{}, err
	}
	insn, err := cn.instructions(m)
	if err != nil {
		return CEngine{}, err
	}
	code, data := cn.rom()
	e := CEngine{Instructions: insn, Cycles: insn * c.factor(t.Core, cn.dtype)}
	e.LatencyMs = t.millis(e.Cycles)
	e.Arena = cn.arena
	e.RAM = cn.arena + c.SDKRAMOverhead
	if cn.dtype == Int8 {
		e.RAM += cn.inputs + cn.outs
	}
	e.Model = data
	e.ROM = int(float64(code+data)*core.rom + 0.5)
	return e, nil
}
