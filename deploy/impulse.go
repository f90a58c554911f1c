package deploy

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Impulse describes a whole impulse for the C runtime's ti_run_classifier:
// its processing blocks (their features concatenated in order), an
// optional network and an optional anomaly block, each reading ranges of
// those features.
type Impulse struct {
	// InputAxes is the number of axes interleaved in the signal and
	// InputLength its total length (values).
	InputAxes, InputLength int
	DSP                    []ImpulseDSP

	Network      *Network // nil without a classifier
	NetworkInput []Range
	Regression   bool
	Labels       []string
	// MinScore is the confidence threshold: below it the top label is
	// uncertain.
	MinScore float64

	Anomaly      *Anomaly // nil without an anomaly block
	AnomalyInput []Range
	// AnomalyThreshold: above it a window is an anomaly.
	AnomalyThreshold float64
}

// ImpulseDSP is one processing block of an Impulse, reading the input axes
// Axes (nil: all of them, in order).
type ImpulseDSP struct {
	Block *DSPBlock
	Axes  []int
}

// Range is a range of the concatenated processing blocks' features.
type Range struct {
	Offset, Count int
}

func rangesLen(rs []Range) int {
	n := 0
	for _, r := range rs {
		n += r.Count
	}
	return n
}

// features returns the length of the concatenated features.
func (imp *Impulse) features() int {
	n := 0
	for _, d := range imp.DSP {
		n += d.Block.Features()
	}
	return n
}

// ArenaBytes returns the working memory of ti_run_classifier in precision
// p (what ti_impulse_arena_size returns): the features, then the largest of
// the processing blocks' arenas and the learn blocks' needs.
func (imp *Impulse) ArenaBytes(p Precision) int {
	var a arena
	a.take(imp.features(), p.realSize())
	need := a.used
	scratch := a
	scratch.take(0, 1)
	for _, d := range imp.DSP {
		t := scratch
		t.take(d.Block.ArenaBytes(p), 1)
		need = max(need, t.used)
	}
	if imp.Network != nil {
		t := a
		nf := rangesLen(imp.NetworkInput)
		if len(imp.NetworkInput) != 1 {
			t.take(nf, p.realSize())
		} else {
			t.take(0, p.realSize())
		}
		switch {
		case imp.Network.Int8():
			t.take(imp.Network.Inputs(), 1)
			t.take(imp.Network.Outputs(), 1)
		case p == Float64:
			t.take(nf, 4)
		default:
			t.take(0, 4)
		}
		t.take(imp.Network.ArenaBytes(), 1)
		need = max(need, t.used)
	}
	if imp.Anomaly != nil {
		t := a
		if len(imp.AnomalyInput) != 1 {
			t.take(rangesLen(imp.AnomalyInput), p.realSize())
		} else {
			t.take(0, p.realSize())
		}
		need = max(need, t.used)
	}
	return need
}

// validate checks that the parts fit together.
func (imp *Impulse) validate() error {
	if len(imp.DSP) == 0 {
		return fmt.Errorf("deploy: impulse without processing blocks")
	}
	if imp.InputAxes < 1 || imp.InputLength%imp.InputAxes != 0 {
		return fmt.Errorf("deploy: impulse input of %d values is not a whole number of %d-axis samples", imp.InputLength, imp.InputAxes)
	}
	for i, d := range imp.DSP {
		axes := imp.InputAxes
		if d.Axes != nil {
			axes = len(d.Axes)
			for _, a := range d.Axes {
				if a < 0 || a >= imp.InputAxes {
					return fmt.Errorf("deploy: processing block %d reads axis %d of %d", i, a, imp.InputAxes)
				}
			}
		}
		if want := imp.InputLength / imp.InputAxes * axes; d.Block.InputLen() != want {
			return fmt.Errorf("deploy: processing block %d takes %d values, its axes of the input give %d", i, d.Block.InputLen(), want)
		}
	}
	for _, t := range []float64{imp.MinScore, imp.AnomalyThreshold} {
		if !(math.Abs(t) < math.MaxFloat32) {
			return fmt.Errorf("deploy: threshold %v is not a finite float32 value", t)
		}
	}
	n := imp.features()
	check := func(what string, rs []Range, want int) error {
		for _, r := range rs {
			if r.Offset < 0 || r.Count < 0 || r.Offset+r.Count > n {
				return fmt.Errorf("deploy: %s reads features [%d, %d) of %d", what, r.Offset, r.Offset+r.Count, n)
			}
		}
		if got := rangesLen(rs); len(rs) == 0 || got != want {
			return fmt.Errorf("deploy: %s reads %d features, it takes %d", what, got, want)
		}
		return nil
	}
	if imp.Network != nil {
		if err := check("the network", imp.NetworkInput, imp.Network.Inputs()); err != nil {
			return err
		}
		if !imp.Regression && len(imp.Labels) != imp.Network.Outputs() {
			return fmt.Errorf("deploy: %d labels for %d network outputs", len(imp.Labels), imp.Network.Outputs())
		}
		// An int8 classifier's scores must be k/256 (SOFTMAX), which the
		// float build compares with its thresholds exactly.
		if q := imp.Network.g.Tensors[imp.Network.g.Output].Quant; imp.Network.Int8() && !imp.Regression && (q.Scale[0] != 1.0/256 || q.ZeroPoint[0] != -128) {
			return fmt.Errorf("%w: an int8 classifier whose output is not a SOFTMAX (scale %v, zero point %d)", ErrUnsupported, q.Scale[0], q.ZeroPoint[0])
		}
	}
	if imp.Anomaly != nil {
		if err := check("the anomaly block", imp.AnomalyInput, imp.Anomaly.Features()); err != nil {
			return err
		}
	}
	return nil
}

// CSource returns C source defining the impulse as `const ti_impulse
// <name>`, with every block's configuration (named <name>_dsp0, ...,
// <name>_net, <name>_anomaly). It includes ti_impulse.h and compiles in
// either precision: its arena sizes are ArenaBytes(Float32) or
// ArenaBytes(Float64) by TI_DSP_DOUBLE.
func (imp *Impulse) CSource(name string) (string, error) {
	if !cIdent.MatchString(name) {
		return "", fmt.Errorf("deploy: %q is not a C identifier", name)
	}
	if err := imp.validate(); err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString("#include \"ti_impulse.h\"\n\n")
	var blocks []string
	for i, d := range imp.DSP {
		cfg := fmt.Sprintf("%s_dsp%d", name, i)
		src, err := d.Block.CSource(cfg)
		if err != nil {
			return "", err
		}
		b.WriteString(src)
		axes := "NULL"
		if d.Axes != nil {
			axes = fmt.Sprintf("%s_axes%d", name, i)
			fmt.Fprintf(&b, "static const uint16_t %s[%d] = {%s};\n", axes, len(d.Axes), joinInts(d.Axes))
		}
		// A wrapper per block, so that only the blocks used are linked.
		fmt.Fprintf(&b, "static int %s_run(const void *c, const ti_signal *s, ti_real *o, void *a, size_t n)\n{\n\treturn %s(c, s, o, a, n);\n}\n", cfg, d.Block.Func())
		blocks = append(blocks, fmt.Sprintf("\t{.run = %s_run, .config = &%s, .features = %du, .arena = %s, .n_axes = %d, .axes = %s},\n",
			cfg, cfg, d.Block.Features(), arenaLit(d.Block.ArenaBytes(Float32), d.Block.ArenaBytes(Float64)), len(d.Axes), axes))
	}
	fmt.Fprintf(&b, "static const ti_dsp_block %s_blocks[%d] = {\n%s};\n", name, len(blocks), strings.Join(blocks, ""))
	ranges := func(what string, rs []Range) string {
		var parts []string
		for _, r := range rs {
			parts = append(parts, fmt.Sprintf("{%du, %du}", r.Offset, r.Count))
		}
		fmt.Fprintf(&b, "static const ti_range %s_%s[%d] = {%s};\n", name, what, len(rs), strings.Join(parts, ", "))
		return fmt.Sprintf("{.n_ranges = %d, .ranges = %s_%s, .features = %du}", len(rs), name, what, rangesLen(rs))
	}
	stage, network, qnetwork, networkIn, labels := "NULL", "NULL", "NULL", "{0, NULL, 0}", "NULL"
	if imp.Network != nil {
		src, err := imp.Network.CSource(name + "_net")
		if err != nil {
			return "", err
		}
		b.WriteString(src)
		if imp.Network.Int8() {
			stage, qnetwork = "ti_int8_network_stage", "&"+name+"_net"
		} else {
			stage, network = "ti_float_network_stage", "&"+name+"_net"
		}
		networkIn = ranges("network_input", imp.NetworkInput)
	}
	if len(imp.Labels) > 0 {
		var q []string
		for _, l := range imp.Labels {
			q = append(q, cString(l))
		}
		labels = name + "_labels"
		fmt.Fprintf(&b, "static const char *const %s[%d] = {%s};\n", labels, len(q), strings.Join(q, ", "))
	}
	anomalyFn, anomalyPtr, anomalyIn := "NULL", "NULL", "{0, NULL, 0}"
	if imp.Anomaly != nil {
		src, err := imp.Anomaly.CSource(name + "_anomaly")
		if err != nil {
			return "", err
		}
		b.WriteString(src)
		anomalyFn = name + "_anomaly_score"
		fmt.Fprintf(&b, "static ti_real %s(const void *c, const ti_real *x)\n{\n\treturn %s(c, x);\n}\n", anomalyFn, imp.Anomaly.Func())
		anomalyPtr = "&" + name + "_anomaly"
		anomalyIn = ranges("anomaly_input", imp.AnomalyInput)
	}
	fmt.Fprintf(&b, "const ti_impulse %s = {\n\t.input_axes = %du,\n\t.input_length = %du,\n\t.n_dsp = %d,\n\t.dsp = %s_blocks,\n\t.features = %du,\n",
		name, imp.InputAxes, imp.InputLength, len(imp.DSP), name, imp.features())
	fmt.Fprintf(&b, "\t.network_stage = %s,\n\t.network = %s,\n\t.qnetwork = %s,\n\t.network_input = %s,\n\t.regression = %d,\n\t.anomaly_score = %s,\n\t.anomaly = %s,\n\t.anomaly_input = %s,\n",
		stage, network, qnetwork, networkIn, b2i(imp.Regression), anomalyFn, anomalyPtr, anomalyIn)
	fmt.Fprintf(&b, "\t.n_labels = %d,\n\t.labels = %s,\n\t.min_score = %s,\n\t.anomaly_threshold = %s,\n\t.arena = %s,\n};\n",
		len(imp.Labels), labels, thresholdLit(imp.MinScore, true), thresholdLit(imp.AnomalyThreshold, false), arenaLit(imp.ArenaBytes(Float32), imp.ArenaBytes(Float64)))
	return b.String(), nil
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ", ")
}

// arenaLit formats an arena size that depends on the precision.
func arenaLit(f32, f64 int) string {
	if f32 == f64 {
		return fmt.Sprintf("%du", f32)
	}
	return fmt.Sprintf("TI_ARENA_SIZE(%du, %du)", f32, f64)
}

// thresholdLit formats a decision threshold as a ti_real constant: the
// double itself for the double build, and for the float build the float
// rounded up (up) or down, so that a float score compares with it as its
// double value compares with the double threshold: s < up(t) exactly when
// s < t, s > down(t) exactly when s > t.
func thresholdLit(t float64, up bool) string {
	f := float32(t)
	switch {
	case up && float64(f) < t:
		f = math.Nextafter32(f, float32(math.Inf(1)))
	case !up && float64(f) > t:
		f = math.Nextafter32(f, float32(math.Inf(-1)))
	}
	return fmt.Sprintf("TI_REAL(%s, %s)", f32Lit(float64(f)), realLit(t))
}
