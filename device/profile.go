package device

import (
	"errors"
	"fmt"
	"math"
	"strconv"
)

// ProfileConfig holds the settings of an on-device estimate. The zero value
// profiles for [DefaultTarget] with the calibrated defaults.
type ProfileConfig struct {
	// Target is the profile-device id; "" means DefaultTarget.
	Target string `json:"target,omitempty"`
	// RAMBytes and ROMBytes override the target's memory budgets when > 0.
	RAMBytes int `json:"ramBytes,omitempty"`
	ROMBytes int `json:"romBytes,omitempty"`
	// ClockMHz overrides the target's core clock when > 0.
	ClockMHz float64 `json:"clockMhz,omitempty"`
	// CoreFactor overrides the core's cycles per Cortex-M4 instruction when
	// > 0 (device-estimates.md §5.3).
	CoreFactor float64 `json:"coreFactor,omitempty"`
	// OptLevelFactor scales instruction counts for the compiler's
	// optimisation level (1.25–1.45 for int8 at -Os); 0 means 1 (-O2).
	OptLevelFactor float64 `json:"optLevelFactor,omitempty"`
	// EONRAMFactor scales the EON RAM figure (e.g. 0.75 to imitate Edge
	// Impulse's published ratios); 0 means 1, the derived value.
	EONRAMFactor float64 `json:"eonRamFactor,omitempty"`
	// SDKRAMOverhead is added to every RAM figure (bytes).
	SDKRAMOverhead int `json:"sdkRamOverhead,omitempty"`
	// TensorNameBytes is the mean length of tensor names stored in the
	// .tflite file; 0 means 150, the mean of converted Keras models.
	TensorNameBytes int `json:"tensorNameBytes,omitempty"`
	// TinyImpulseMetrics adds the network's figures as tinyimpulse's C
	// library to Studio's onDevicePerformance entries, as customMetrics
	// (the one place Studio's types leave for another engine).
	TinyImpulseMetrics bool `json:"tinyImpulseMetrics,omitempty"`
}

func (c ProfileConfig) target() (Target, coreParams, error) {
	t, err := LookupTarget(c.Target)
	if err != nil {
		return t, coreParams{}, err
	}
	for _, v := range []float64{c.ClockMHz, c.CoreFactor, c.OptLevelFactor, c.EONRAMFactor} {
		if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
			return t, coreParams{}, fmt.Errorf("device: ProfileConfig factor %v: %w", v, ErrValue)
		}
	}
	if c.RAMBytes < 0 || c.ROMBytes < 0 || c.SDKRAMOverhead < 0 || c.TensorNameBytes < 0 {
		return t, coreParams{}, fmt.Errorf("device: ProfileConfig: negative byte count: %w", ErrValue)
	}
	if c.RAMBytes > 0 {
		t.RAMBytes = c.RAMBytes
	}
	if c.ROMBytes > 0 {
		t.ROMBytes = c.ROMBytes
	}
	if c.ClockMHz > 0 {
		t.ClockMHz = c.ClockMHz
	}
	return t, cores[t.Core], nil
}

func (c ProfileConfig) factor(core Core, d DType) float64 {
	f := core.Factor(d)
	if c.CoreFactor > 0 {
		f = c.CoreFactor
	}
	if c.OptLevelFactor > 0 {
		f *= c.OptLevelFactor
	}
	return f
}

// Memory is the memory one deployment of a model needs, in bytes.
type Memory struct {
	// RAM is the arena plus the runtime's static RAM.
	RAM int `json:"ramRequired"`
	// ROM is kernels, runtime and model.
	ROM int `json:"romRequired"`
	// Arena is the tensor arena.
	Arena int `json:"arenaSize"`
	// Model is the model's share of ROM: the .tflite file for TFLite Micro,
	// the generated data and structures for EON.
	Model int `json:"modelSize"`
}

// OpProfile is the estimate of one op.
type OpProfile struct {
	Kind OpKind
	MACs float64
	// Instructions is the Cortex-M4 instruction count of the op: its
	// kernel's fitted model plus the interpreter's measured per-op overhead.
	Instructions float64
	// Cycles is the instruction count times the core factor.
	Cycles float64
}

// Profile is the on-device estimate of a network on one target
// (device-estimates.md).
type Profile struct {
	Target Target
	DType  DType
	// TFLite, EON and EONRAMOptimized are Edge Impulse's deployments. When
	// the RAM-optimised variant does not apply, EONRAMOptimized equals EON.
	TFLite, EON, EONRAMOptimized Memory
	// TinyImpulse is the network as tinyimpulse's generated C library runs
	// it (package deploy; see ProfileCLibrary for the whole impulse), with
	// its own latency; nil when the library has no kernel for one of the
	// network's operators.
	TinyImpulse *CEngine
	// RAMOptimized reports whether EON's RAM optimisation applies
	// (§3.8), and Patches the patches per side it would use.
	RAMOptimized bool
	Patches      int
	// Head is the planned (non-persistent) arena region, Tail the
	// persistent one, both as TFLite Micro lays them out.
	Head, Tail int
	// FlatbufferBytes is the .tflite size: the exported file's when the
	// Network gives it, else an estimate.
	FlatbufferBytes int
	// MACs is the total multiply-accumulate count.
	MACs float64
	// Cycles and LatencyMs are the inference time on the target (exact;
	// Studio shows whole milliseconds, see [Profile.Performance]).
	Cycles    float64
	LatencyMs float64
	// RAMOptimizedLatencyMs includes the patches' recomputation.
	RAMOptimizedLatencyMs float64
	Ops                   []OpProfile
	// Fits is false when the EON deployment exceeds the target's RAM or
	// ROM; FitError then says why.
	Fits     bool
	FitError string

	tinyImpulseMetrics bool
}

// ProfileNetwork estimates the RAM, ROM and latency of a network on a
// target. It returns an error wrapping [ErrNetwork] for a malformed
// network, [ErrUnknownTarget] for an unknown target id, [ErrUndefined] for a
// target without performance estimates (Linux and NPU targets) and
// [ErrValue] for a bad configuration.
func ProfileNetwork(n *Network, c ProfileConfig) (*Profile, error) {
	t, core, err := c.target()
	if err != nil {
		return nil, err
	}
	if !t.HasPerformance {
		return nil, fmt.Errorf("device: target %s has no performance model: %w", t.ID, ErrUndefined)
	}
	g, err := analyze(n)
	if err != nil {
		return nil, err
	}
	lm, err := fittedLatency()
	if err != nil {
		return nil, err
	}
	p := &Profile{Target: t, DType: g.dtype, tinyImpulseMetrics: c.TinyImpulseMetrics}
	plan := planArena(g, core)
	p.Head, p.Tail = plan.head, plan.tail
	names := c.TensorNameBytes
	if names == 0 {
		names = defaultNameBytes
	}
	p.FlatbufferBytes = g.flatbufferBytes(names)
	if n.FlatbufferBytes > 0 {
		p.FlatbufferBytes = n.FlatbufferBytes
	}
	types := len(g.opTypes())
	kernels := g.kernelBytes(core)

	// Latency (§5.1–5.3).
	f := c.factor(t.Core, g.dtype)
	for i := range g.ops {
		o := &g.ops[i]
		insn := lm.fits[g.dtype][classOf(o)].insn(o.basis(g.dtype)) + lm.overhead[g.dtype]
		insn = math.Max(insn, 0)
		op := OpProfile{Kind: o.Kind, MACs: o.macs, Instructions: insn, Cycles: f * insn}
		p.Ops = append(p.Ops, op)
		p.MACs += o.macs
		p.Cycles += op.Cycles
	}
	p.LatencyMs = t.millis(p.Cycles)

	// TFLite Micro (§3.6, §4.3).
	static := interpreterBytes + resolverSlot*types
	p.TFLite = Memory{
		Arena: plan.arena,
		RAM:   plan.arena + static + c.SDKRAMOverhead,
		ROM:   romRuntime + kernels + p.FlatbufferBytes + romPerOpType*types,
		Model: p.FlatbufferBytes,
	}
	// EON (§3.7, §4.4).
	eonArena := plan.head + plan.persist
	eonRAM := float64(eonArena + evalTensorBytes*plan.tensors + 28*plan.ops + 64)
	if c.EONRAMFactor > 0 {
		eonRAM *= c.EONRAMFactor
	}
	model := g.eonModelBytes() + romEONGlue
	p.EON = Memory{
		Arena: eonArena,
		RAM:   min(int(eonRAM+0.5)+c.SDKRAMOverhead, p.TFLite.RAM),
		ROM:   kernels + model,
		Model: model,
	}
	// EON RAM-optimised (§3.8).
	p.EONRAMOptimized = p.EON
	p.RAMOptimizedLatencyMs = p.LatencyMs
	if ro, ok := ramOptimize(g, plan); ok {
		p.RAMOptimized, p.Patches = true, ro.patches
		arena := ro.head + plan.persist
		p.EONRAMOptimized = Memory{
			Arena: arena,
			RAM:   min(p.EON.RAM-eonArena+arena, p.EON.RAM),
			ROM:   p.EON.ROM + romRAMOptimized,
			Model: p.EON.Model + romRAMOptimized,
		}
		extra := 0.0
		for k, h := range ro.halo {
			extra += p.Ops[k].Cycles * (h - 1)
		}
		p.RAMOptimizedLatencyMs = t.millis(p.Cycles + extra)
	}
	// tinyimpulse's C library.
	if e, err := cEngine(n, t, c, core); err == nil {
		p.TinyImpulse = &e
	} else if !errors.Is(err, ErrNetwork) && !errors.Is(err, ErrUndefined) {
		return nil, err
	}
	// Budgets (§6): the EON deployment must fit.
	p.Fits = true
	switch {
	case p.EON.RAM > t.RAMBytes:
		p.Fits, p.FitError = false, fmt.Sprintf("model needs %s RAM, %s has %s", kb(p.EON.RAM), t.Name, kb(t.RAMBytes))
	case t.ROMBytes > 0 && p.EON.ROM > t.ROMBytes:
		p.Fits, p.FitError = false, fmt.Sprintf("model needs %s ROM, %s has %s", kb(p.EON.ROM), t.Name, kb(t.ROMBytes))
	}
	return p, nil
}

func kb(n int) string { return fmt.Sprintf("%.1fK", float64(n)/1024) }

// LatencyMillis returns a latency as Studio shows it: whole milliseconds,
// at least 1.
func LatencyMillis(ms float64) int {
	return max(1, int(math.Round(ms)))
}

// ramOpt is the outcome of the RAM-optimised planning.
type ramOpt struct {
	patches int
	head    int
	halo    map[int]float64 // op index → recomputation factor (≥ 1)
}

// sliceable reports whether EON's RAM optimisation can run an op patch by
// patch (§3.8).
func sliceable(k OpKind) bool {
	switch k {
	case Conv2D, DepthwiseConv2D, MaxPool2D, AveragePool2D, Pad, Relu, Relu6, Logistic, Tanh, Quantize:
		return true
	}
	return false
}

// ramOptimize applies device-estimates.md §3.8: find the first op q at or
// after the peak scope such that ops 0…q can be run patch by patch and out_q
// is at most half the peak, then pick the fewest patches per side (2…8)
// whose stage peak stays under the rest of the network's peak. Per-patch
// buffers are computed from the receptive field of each op's output for one
// patch of out_q, so the overlap (halo) is included.
func ramOptimize(g *graph, plan arenaPlan) (ramOpt, bool) {
	peak := 0
	for s, l := range plan.live {
		if l > plan.live[peak] {
			peak = s
		}
	}
	q := -1
	for k := range g.ops {
		o := &g.ops[k]
		if o.Kind == Add {
			// Both inputs from inside the stage, the second the previous op.
			if k == 0 || o.in[len(o.in)-1] != k {
				break
			}
		} else if !sliceable(o.Kind) {
			break
		}
		spatial := len(o.Output) == 3
		for _, t := range o.in {
			spatial = spatial && len(g.shapes[t]) == 3
		}
		if !spatial {
			break
		}
		if k+1 >= peak && o.Output[0] >= 2 && o.Output[1] >= 2 && g.tensorBytes(k+1)*2 <= plan.live[peak] {
			q = k
			break
		}
	}
	if q < 0 {
		return ramOpt{}, false
	}
	outQ := align(g.tensorBytes(q+1), arenaAlign)
	// Peak of the rest: greedy plan of the ops after q, out_q as their input.
	var rest []buffer
	for i, b := range plan.bufs {
		if b.first > q+1 || (i < plan.tensorBufs && plan.tensorIDs[i] == q+1) {
			if b.first <= q+1 {
				b.first = q + 1
			}
			rest = append(rest, b)
		}
	}
	_, restHead := greedyPlan(rest)
	restPeak := 0
	for s := q + 2; s < len(plan.live); s++ {
		restPeak = max(restPeak, plan.live[s])
	}
	hq, wq := g.shapes[q+1][0], g.shapes[q+1][1]
	var best ramOpt
	for n := 2; n <= 8; n++ {
		th, tw := (hq+n-1)/n, (wq+n-1)/n
		// Walk back from q: region of each tensor needed for one patch.
		need := map[int][2]int{q + 1: {th, tw}}
		halo := map[int]float64{}
		stage := 0
		for k := q; k >= 0; k-- {
			o := &g.ops[k]
			r, ok := need[k+1]
			if !ok {
				continue
			}
			oh, ow := min(r[0], o.Output[0]), min(r[1], o.Output[1])
			ih, iw := (oh-1)*o.sh+o.kh, (ow-1)*o.sw+o.kw
			if o.Kind == Add {
				ih, iw = oh, ow
			}
			for _, t := range o.in {
				s := g.shapes[t]
				h, w := min(ih, s[0]), min(iw, s[1])
				if cur, ok := need[t]; ok {
					h, w = max(h, cur[0]), max(w, cur[1])
				}
				need[t] = [2]int{h, w}
			}
			out := float64(oh*ow*o.cout) * float64(g.dtype.bytes())
			in := 0.0
			for _, t := range o.in {
				s := g.shapes[t]
				in += float64(min(ih, s[0])*min(iw, s[1])*s[2]) * float64(g.dtype.bytes())
			}
			stage = max(stage, int(in+out))
			// Work per patch × patches over the work without patches.
			halo[k] = float64(oh*ow*n*n) / float64(o.Output[0]*o.Output[1])
		}
		best = ramOpt{patches: n, head: max(outQ+stage, restHead), halo: halo}
		if outQ+stage <= restPeak {
			break
		}
	}
	if best.head >= plan.head {
		return ramOpt{}, false
	}
	return best, true
}

// DevicePerformance is one entry of Studio's onDevicePerformance list
// (KerasModelMetadataMetrics).
type DevicePerformance struct {
	// MCU is the profile-device id and Name its label.
	MCU       string `json:"mcu"`
	Name      string `json:"name"`
	IsDefault bool   `json:"isDefault"`
	// Latency is the inference time in whole milliseconds.
	Latency         int     `json:"latency"`
	TFLite          Memory  `json:"tflite"`
	EON             Memory  `json:"eon"`
	EONRAMOptimized *Memory `json:"eon_ram_optimized,omitempty"`
	// CustomMetrics are device-specific figures.
	CustomMetrics  []CustomMetric `json:"customMetrics,omitempty"`
	HasPerformance bool           `json:"hasPerformance"`
	// ProfilingError says why the model cannot run on the target.
	ProfilingError string `json:"profilingError,omitempty"`
}

// CustomMetric is Studio's KerasCustomMetric.
type CustomMetric struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Performance returns the profile as an onDevicePerformance entry. The
// RAM-optimised figures are included only when the optimisation applies;
// a model that does not fit carries a profilingError; with
// ProfileConfig.TinyImpulseMetrics, customMetrics give the tinyimpulse C
// library's latency, RAM, ROM and arena.
func (p *Profile) Performance(isDefault bool) DevicePerformance {
	d := DevicePerformance{
		MCU:            p.Target.ID,
		Name:           p.Target.Name,
		IsDefault:      isDefault,
		Latency:        LatencyMillis(p.LatencyMs),
		TFLite:         p.TFLite,
		EON:            p.EON,
		HasPerformance: true,
		ProfilingError: p.FitError,
	}
	if p.RAMOptimized {
		m := p.EONRAMOptimized
		d.EONRAMOptimized = &m
	}
	if e := p.TinyImpulse; e != nil && p.tinyImpulseMetrics {
		d.CustomMetrics = append(d.CustomMetrics,
			CustomMetric{Name: "tinyimpulse C library latency (ms)", Value: strconv.Itoa(LatencyMillis(e.LatencyMs))},
			CustomMetric{Name: "tinyimpulse C library RAM (bytes)", Value: strconv.Itoa(e.RAM)},
			CustomMetric{Name: "tinyimpulse C library ROM (bytes)", Value: strconv.Itoa(e.ROM)},
			CustomMetric{Name: "tinyimpulse C library arena (bytes)", Value: strconv.Itoa(e.Arena)})
	}
	return d
}

// OnDevicePerformance profiles the network on each target id (none means
// [DefaultTarget]) and returns Studio's onDevicePerformance list; the
// default target's entry has isDefault set. Targets without a performance
// model get an entry with hasPerformance false. Settings other than Target
// come from c.
func OnDevicePerformance(n *Network, c ProfileConfig, targetIDs ...string) ([]DevicePerformance, error) {
	if len(targetIDs) == 0 {
		targetIDs = []string{DefaultTarget}
	}
	out := make([]DevicePerformance, 0, len(targetIDs))
	for _, id := range targetIDs {
		t, err := LookupTarget(id)
		if err != nil {
			return nil, err
		}
		if !t.HasPerformance {
			out = append(out, DevicePerformance{MCU: t.ID, Name: t.Name, IsDefault: t.ID == DefaultTarget})
			continue
		}
		cc := c
		cc.Target = t.ID
		p, err := ProfileNetwork(n, cc)
		if err != nil {
			return nil, err
		}
		out = append(out, p.Performance(t.ID == DefaultTarget))
	}
	return out, nil
}
