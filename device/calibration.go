package device

import (
	"bytes"
	_ "embed"
	"encoding/csv"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"sync"

	"github.com/sajari/regression"
)

// The calibration data of device-estimates.md, copied from the project's
// spec folder so that the package needs nothing outside itself at run time.
var (
	//go:embed calibration/device-calibration-qemu-perop.csv
	perOpCSV []byte
	//go:embed calibration/device-calibration-qemu-models.csv
	modelsCSV []byte
	//go:embed calibration/device-calibration-mlperf.csv
	mlperfCSV []byte
)

// Basis terms of the per-op instruction models: the instruction count of
// an op is the dot product of a model's coefficients with
// [MACs, output elements, output pixels, input elements, 1, output bytes].
const (
	termMACs = iota
	termOutElems
	termOutPixels
	termInElems
	termConst
	termOutBytes
	nTerms
)

var termNames = [nTerms]string{"MACs", "out", "pixels", "in", "1", "bytes"}

func (o *opInfo) basis(d DType) [nTerms]float64 {
	return [nTerms]float64{o.macs, float64(o.outElems), float64(o.outPixels), float64(o.inElems), 1, float64(o.outElems * d.bytes())}
}

// opClass names a group of ops that share one instruction model.
type opClass string

const (
	classConv1x1   opClass = "conv 1x1"
	classConvKxK   opClass = "conv kxk"
	classDepthwise opClass = "depthwise"
	classDense     opClass = "fully connected"
	classAdd       opClass = "add"
	classAvgPool   opClass = "average pool"
	classSoftmax   opClass = "softmax"
	classReshape   opClass = "reshape"
	classMaxPool   opClass = "max pool"
	classElem      opClass = "element-wise"
)

func classOf(o *opInfo) opClass {
	switch o.Kind {
	case Conv2D:
		if o.kh == 1 && o.kw == 1 {
			return classConv1x1
		}
		return classConvKxK
	case DepthwiseConv2D:
		return classDepthwise
	case FullyConnected:
		return classDense
	case Add, Mul:
		return classAdd
	case AveragePool2D, Mean:
		return classAvgPool
	case MaxPool2D:
		return classMaxPool
	case Softmax:
		return classSoftmax
	case Reshape, Squeeze, ExpandDims, Pad, Concatenation, StridedSlice, Transpose:
		return classReshape
	}
	return classElem
}

// knownOps is the set of ops the estimator accepts.
var knownOps = map[OpKind]bool{
	Conv2D: true, DepthwiseConv2D: true, FullyConnected: true, AveragePool2D: true, MaxPool2D: true,
	Add: true, Mul: true, Softmax: true, Reshape: true, Squeeze: true, ExpandDims: true, Quantize: true,
	Dequantize: true, Relu: true, Relu6: true, Logistic: true, Tanh: true, Pad: true, Mean: true,
	Concatenation: true, StridedSlice: true, Transpose: true,
}

// LatencyFit describes one fitted per-op instruction model
// (device-estimates.md §5.2): the Cortex-M4 instruction count of one class
// of ops as a linear function of the op's shape, fitted with
// github.com/sajari/regression on the per-op QEMU measurements.
type LatencyFit struct {
	DType DType
	Class string
	// Formula is the model, e.g. "1.45·MACs + 42.6·out".
	Formula string
	// N is the number of measured ops the model was fitted on; 0 means the
	// class was not measured and the model is device-estimates.md's
	// estimate.
	N int
	// MeanError and MaxError are the mean and largest relative error of the
	// model on the ops it was fitted on.
	MeanError, MaxError float64

	coef [nTerms]float64
}

func (f *LatencyFit) insn(b [nTerms]float64) float64 {
	s := 0.0
	for i, c := range f.coef {
		s += c * b[i]
	}
	return s
}

func (f *LatencyFit) formula() string {
	s := ""
	for i, c := range f.coef {
		if c == 0 {
			continue
		}
		if s != "" {
			if c < 0 {
				s += " − "
				c = -c
			} else {
				s += " + "
			}
		}
		v := strconv.FormatFloat(c, 'g', 3, 64)
		if i == termConst {
			s += v
		} else {
			s += v + "·" + termNames[i]
		}
	}
	return s
}

// latencyModel is the fitted set of instruction models.
type latencyModel struct {
	fits map[DType]map[opClass]*LatencyFit
	// overhead is the per-op instruction count measured around the kernels
	// (model total − Σ per-op), per dtype.
	overhead map[DType]float64
}

var (
	latencyOnce sync.Once
	latencyM    *latencyModel
	latencyErr  error
)

// fittedLatency fits the instruction models once, on first use.
func fittedLatency() (*latencyModel, error) {
	latencyOnce.Do(func() { latencyM, latencyErr = fitLatency() })
	return latencyM, latencyErr
}

// LatencyFits returns every per-op instruction model with its error on the
// measurements it was fitted on, ordered by dtype and class.
func LatencyFits() ([]LatencyFit, error) {
	m, err := fittedLatency()
	if err != nil {
		return nil, err
	}
	var out []LatencyFit
	for _, d := range []DType{Int8, Float32} {
		for _, c := range classOrder {
			if f, ok := m.fits[d][c]; ok {
				out = append(out, *f)
			}
		}
	}
	return out, nil
}

var classOrder = []opClass{classConv1x1, classConvKxK, classDepthwise, classDense, classAdd, classAvgPool, classSoftmax, classReshape, classMaxPool, classElem}

// perOpRow is one row of device-calibration-qemu-perop.csv.
type perOpRow struct {
	model string
	op    opInfo
	dtype DType
	insn  float64
}

func readCSV(name string, data []byte) ([]map[string]string, error) {
	recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("device: %s: %w", name, err)
	}
	if len(recs) < 2 {
		return nil, fmt.Errorf("device: %s: no rows: %w", name, ErrEmpty)
	}
	var out []map[string]string
	for _, r := range recs[1:] {
		m := map[string]string{}
		for i, h := range recs[0] {
			if i < len(r) {
				m[h] = r[i]
			}
		}
		out = append(out, m)
	}
	return out, nil
}

func atoi(s string) int     { v, _ := strconv.Atoi(s); return v }
func atof(s string) float64 { v, _ := strconv.ParseFloat(s, 64); return v }

// readPerOp parses the per-op measurements. The CSV gives output elements
// only; the input of a pooling, add or reshape op is the previous op's
// output in all four models, so in_elems is taken from the previous row.
func readPerOp() ([]perOpRow, error) {
	recs, err := readCSV("device-calibration-qemu-perop.csv", perOpCSV)
	if err != nil {
		return nil, err
	}
	// Compiled here, not at package start-up: this runs once, inside
	// fittedLatency.
	reConv := regexp.MustCompile(`^k(\d+)x(\d+) s(\d+) cin(\d+) cout(\d+) out(\d+)x(\d+)$`)
	reDense := regexp.MustCompile(`^(\d+)->(\d+)$`)
	var rows []perOpRow
	prevOut := map[string]int{}
	for _, r := range recs {
		d := DType(r["dtype"])
		p := perOpRow{model: r["model"], dtype: d, insn: atof(r["instructions_m4_gcc12_O2"])}
		o := &p.op
		o.Kind = OpKind(r["op"])
		o.kh, o.kw, o.sh, o.sw = 1, 1, 1, 1
		o.macs = atof(r["macs"])
		o.outElems = atoi(r["out_elems"])
		o.cout = o.outElems
		o.outPixels = 1
		if m := reConv.FindStringSubmatch(r["config"]); m != nil {
			o.kh, o.kw, o.sh, o.cin, o.cout = atoi(m[1]), atoi(m[2]), atoi(m[3]), atoi(m[4]), atoi(m[5])
			o.sw = o.sh
			o.outPixels = atoi(m[6]) * atoi(m[7])
			o.inElems = o.outPixels * o.sh * o.sw * o.cin
		} else if m := reDense.FindStringSubmatch(r["config"]); m != nil {
			o.cin, o.cout = atoi(m[1]), atoi(m[2])
			o.inElems = o.cin
		} else {
			o.inElems = prevOut[p.model+string(d)]
			if o.Kind == Softmax || o.Kind == Reshape || o.Kind == Add {
				o.inElems = o.outElems
			}
		}
		prevOut[p.model+string(d)] = o.outElems
		if p.insn <= 0 || o.outElems <= 0 {
			return nil, fmt.Errorf("device: device-calibration-qemu-perop.csv: bad row %v: %w", r, ErrValue)
		}
		rows = append(rows, p)
	}
	return rows, nil
}

// fitSpec says how a class is fitted: the observation and regressors of one
// measured op, and how the regression's coefficients (intercept first) map
// to the basis.
type fitSpec struct {
	obs   func(o *opInfo, d DType, insn float64) (y float64, x []float64)
	terms []int // basis term of the intercept, then of each regressor
}

var fitSpecs = map[opClass]fitSpec{
	// insn/MACs = a + b/cin  ⇒  insn = a·MACs + b·out (MACs/cin = out for 1×1).
	classConv1x1: {func(o *opInfo, _ DType, y float64) (float64, []float64) {
		return y / o.macs, []float64{1 / float64(o.cin)}
	}, []int{termMACs, termOutElems}},
	// insn/MACs = a + b/(kh·kw·cin) + c/(kh·kw·cin·cout)  ⇒  a·MACs + b·out + c·pixels.
	classConvKxK: {func(o *opInfo, _ DType, y float64) (float64, []float64) {
		k := float64(o.kh * o.kw * o.cin)
		return y / o.macs, []float64{1 / k, 1 / (k * float64(o.cout))}
	}, []int{termMACs, termOutElems, termOutPixels}},
	// insn/MACs = a + b/(kh·kw·cout)  ⇒  a·MACs + b·pixels.
	classDepthwise: {func(o *opInfo, _ DType, y float64) (float64, []float64) {
		return y / o.macs, []float64{1 / float64(o.kh*o.kw*o.cout)}
	}, []int{termMACs, termOutPixels}},
	// insn/MACs = a + b/MACs + c/cin  ⇒  a·MACs + b + c·out.
	classDense: {func(o *opInfo, _ DType, y float64) (float64, []float64) {
		return y / o.macs, []float64{1 / o.macs, 1 / float64(o.cin)}
	}, []int{termMACs, termConst, termOutElems}},
	classAdd: {func(o *opInfo, _ DType, y float64) (float64, []float64) {
		return y, []float64{float64(o.outElems)}
	}, []int{termConst, termOutElems}},
	classAvgPool: {func(o *opInfo, _ DType, y float64) (float64, []float64) {
		return y, []float64{float64(o.inElems)}
	}, []int{termConst, termInElems}},
	classSoftmax: {func(o *opInfo, _ DType, y float64) (float64, []float64) {
		return y, []float64{float64(o.outElems)}
	}, []int{termConst, termOutElems}},
	// Reshape copies bytes, whatever their type.
	classReshape: {func(o *opInfo, d DType, y float64) (float64, []float64) {
		return y, []float64{float64(o.outElems * d.bytes())}
	}, []int{termConst, termOutBytes}},
}

// pooledFits are the classes fitted once on the ops of both dtypes.
var pooledFits = map[opClass]bool{classReshape: true}

// defaultFits are device-estimates.md §5.2's estimates for classes without
// (enough) measurements, in basis coefficients.
var defaultFits = map[opClass][nTerms]float64{
	classMaxPool: {termInElems: 4, termConst: 200},
	classElem:    {termOutElems: 10, termConst: 300},
	classReshape: {termOutBytes: 0.5, termConst: 200},
	classAdd:     {termOutElems: 80},
	classAvgPool: {termInElems: 6.5, termConst: 200},
	classSoftmax: {termOutElems: 300, termConst: 1500},
}

func fitLatency() (*latencyModel, error) {
	rows, err := readPerOp()
	if err != nil {
		return nil, err
	}
	m := &latencyModel{fits: map[DType]map[opClass]*LatencyFit{}, overhead: map[DType]float64{}}
	// Rows by dtype and class; dtype "" holds both dtypes, for pooled fits.
	type group struct {
		d DType
		c opClass
	}
	byGroup := map[group][]perOpRow{}
	for _, r := range rows {
		c := classOf(&r.op)
		byGroup[group{r.dtype, c}] = append(byGroup[group{r.dtype, c}], r)
		byGroup[group{"", c}] = append(byGroup[group{"", c}], r)
	}
	pooled := map[opClass]*LatencyFit{}
	for _, d := range []DType{Int8, Float32} {
		m.fits[d] = map[opClass]*LatencyFit{}
		for _, c := range classOrder {
			f := &LatencyFit{DType: d, Class: string(c)}
			spec, ok := fitSpecs[c]
			obs := byGroup[group{d, c}]
			if pooledFits[c] {
				obs = byGroup[group{"", c}]
			}
			switch {
			case pooled[c] != nil:
				*f = *pooled[c]
				f.DType = d
			case ok && len(obs) >= 2 && len(obs) >= len(spec.terms):
				if err := fitClass(f, obs, spec); err != nil {
					return nil, err
				}
				if pooledFits[c] {
					pooled[c] = f
				}
			default:
				f.coef = defaultFits[c]
				if c == classAdd && d == Float32 {
					f.coef = [nTerms]float64{termOutElems: 14}
				}
			}
			f.Formula = f.formula()
			m.fits[d][c] = f
		}
	}
	// Per-op overhead: measured model totals minus the sum of their ops.
	sums := map[string]float64{}
	counts := map[string]int{}
	short := map[string]string{"kws_ref_model": "kws", "vww_96_int8": "vww", "pretrainedResnet_quant": "ic", "ad01_int8": "ad",
		"vww_96_float": "vww", "pretrainedResnet": "ic", "ad01_fp32": "ad"}
	for _, r := range rows {
		sums[r.model+string(r.dtype)] += r.insn
		counts[r.model+string(r.dtype)]++
	}
	recs, err := readCSV("device-calibration-qemu-models.csv", modelsCSV)
	if err != nil {
		return nil, err
	}
	n := map[DType]int{}
	for _, r := range recs {
		d := DType(r["dtype"])
		key := short[r["model"]] + string(d)
		if counts[key] == 0 {
			continue
		}
		m.overhead[d] += (atof(r["instructions_invoke_O2"]) - sums[key]) / float64(counts[key])
		n[d]++
	}
	for d := range m.overhead {
		m.overhead[d] /= float64(n[d])
	}
	return m, nil
}

// fitClass runs one regression and records its relative error on the
// instruction counts it was fitted on.
func fitClass(f *LatencyFit, obs []perOpRow, spec fitSpec) error {
	ys := make([]float64, len(obs))
	xs := make([][]float64, len(obs))
	for i, o := range obs {
		ys[i], xs[i] = spec.obs(&o.op, o.dtype, o.insn)
	}
	var coef []float64
	if len(obs) == 2 && len(xs[0]) == 1 {
		// sajari/regression needs three observations; two points on a line
		// determine it exactly.
		if xs[0][0] == xs[1][0] {
			return fmt.Errorf("device: fitting %s %s instruction model: singular: %w", f.DType, f.Class, ErrValue)
		}
		b := (ys[1] - ys[0]) / (xs[1][0] - xs[0][0])
		coef = []float64{ys[0] - b*xs[0][0], b}
	} else {
		r := new(regression.Regression)
		r.SetObserved("y")
		for i := range ys {
			r.Train(regression.DataPoint(ys[i], xs[i]))
		}
		if err := r.Run(); err != nil {
			return fmt.Errorf("device: fitting %s %s instruction model: %w", f.DType, f.Class, err)
		}
		for i := range spec.terms {
			coef = append(coef, r.Coeff(i))
		}
	}
	for i, t := range spec.terms {
		c := coef[i]
		if math.IsNaN(c) || math.IsInf(c, 0) {
			return fmt.Errorf("device: fitting %s %s instruction model: singular: %w", f.DType, f.Class, ErrValue)
		}
		f.coef[t] = c
	}
	f.N = len(obs)
	for _, o := range obs {
		e := math.Abs(f.insn(o.op.basis(o.dtype))/o.insn - 1)
		f.MeanError += e
		f.MaxError = math.Max(f.MaxError, e)
	}
	f.MeanError /= float64(len(obs))
	return nil
}
