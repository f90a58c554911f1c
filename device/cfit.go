package device

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"

	"gonum.org/v1/gonum/mat"

	"github.com/tinyimpulse/tinyimpulse/dsp"
)

// The measurements of tinyimpulse's generated C library (package deploy)
// on the emulated Cortex-M4F, recorded by deploy's TestQEMUCalibration
// (testdata/device/README.md gives their provenance).
var (
	//go:embed calibration/tinyimpulse-qemu-ops.csv
	cOpsCSV []byte
	//go:embed calibration/tinyimpulse-qemu-dsp.csv
	cDSPCSV []byte
	//go:embed calibration/tinyimpulse-qemu-anomaly.csv
	cAnomalyCSV []byte
	//go:embed calibration/tinyimpulse-qemu-impulses.csv
	cImpulsesCSV []byte
)

// CFit is one fitted instruction model of the C library engine: the
// Cortex-M4 instructions of a class of operators, processing blocks or
// anomaly blocks as a linear function of terms of their shape, fitted
// with github.com/sajari/regression on the library's emulator
// measurements.
type CFit struct {
	// Class names what the model covers, e.g. "int8 CONV_2D" or "dsp
	// spectral-analysis fft".
	Class string
	// Formula is the model, e.g. "1.5·groups + 12·out + 310".
	Formula string
	// N is the number of measurements the model was fitted on (0: not
	// measured; a default).
	N int
	// MeanError and MaxError are its relative errors on them.
	MeanError, MaxError float64

	terms []string
	coef  []float64 // intercept, then one per term
}

func (f *CFit) predict(x []float64) float64 {
	s := f.coef[0]
	for i, v := range x {
		s += f.coef[i+1] * v
	}
	return s
}

func (f *CFit) formula() string {
	var parts []string
	for i, c := range f.coef[1:] {
		if c != 0 {
			parts = append(parts, strconv.FormatFloat(c, 'g', 3, 64)+"·"+f.terms[i])
		}
	}
	if f.coef[0] != 0 || len(parts) == 0 {
		parts = append(parts, strconv.FormatFloat(f.coef[0], 'g', 4, 64))
	}
	return strings.ReplaceAll(strings.Join(parts, " + "), "+ -", "− ")
}

// cObs is one measurement: the terms of a model and the instructions.
type cObs struct {
	x []float64
	y float64
}

// fitC fits y = c0 + Σ c_i x_i, minimising the squared relative errors
// (each measurement weighted by 1/y, so that small and large shapes count
// alike), with gonum's singular value decomposition: terms that do not
// vary over the measurements are left out, and directions the
// measurements do not determine (singular values below 1e-9 of the
// largest, the columns scaled to unit norm) are given no weight.
func fitC(class string, terms []string, obs []cObs) (*CFit, error) {
	f := &CFit{Class: class, terms: terms, coef: make([]float64, len(terms)+1), N: len(obs)}
	if len(obs) == 0 {
		return nil, fmt.Errorf("device: fitting %s: no measurements: %w", class, ErrEmpty)
	}
	use := []int{-1} // the intercept
	for j := range terms {
		for _, o := range obs[1:] {
			if o.x[j] != obs[0].x[j] {
				use = append(use, j)
				break
			}
		}
	}
	var rows []cObs
	for _, o := range obs {
		if o.y > 0 {
			rows = append(rows, o)
		}
	}
	if len(rows) == 0 {
		return f, nil // every measurement 0 (RESHAPE): the model is 0
	}
	a := mat.NewDense(len(rows), len(use), nil)
	b := mat.NewDense(len(rows), 1, nil)
	for i, o := range rows {
		for k, j := range use {
			v := 1.0
			if j >= 0 {
				v = o.x[j]
			}
			a.Set(i, k, v/o.y)
		}
		b.Set(i, 0, 1)
	}
	norms := make([]float64, len(use))
	for k := range use {
		norms[k] = mat.Norm(a.ColView(k), 2)
		if norms[k] == 0 {
			norms[k] = 1
		}
		for i := range rows {
			a.Set(i, k, a.At(i, k)/norms[k])
		}
	}
	var svd mat.SVD
	if !svd.Factorize(a, mat.SVDThin) {
		return nil, fmt.Errorf("device: fitting %s: the decomposition failed: %w", class, ErrValue)
	}
	var c mat.Dense
	svd.SolveTo(&c, b, svd.Rank(1e-9))
	for k, j := range use {
		f.coef[j+1] = c.At(k, 0) / norms[k]
	}
	for _, v := range f.coef {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("device: fitting %s: singular: %w", class, ErrValue)
		}
	}
	for _, o := range rows {
		e := math.Abs(f.predict(o.x)/o.y - 1)
		f.MeanError += e
		f.MaxError = math.Max(f.MaxError, e)
	}
	f.MeanError /= float64(len(rows))
	f.Formula = f.formula()
	return f, nil
}

// cModel is the fitted C library engine.
type cModel struct {
	ops      map[string]*CFit // "int8 CONV_2D", ...
	dsp      map[string]*CFit // dspClass
	anomaly  map[AnomalyKind]*CFit
	overhead map[DType]*CFit // network stage beyond its operators
	// stack high-water marks of the stages measured per processing block
	// type, network ("int8", "int8 conv", ...) and anomaly block
	stackDSP, stackNN, stackAnomaly map[string]int
	stackMax                        [3]int
	order                           []string // fits in report order
	fits                            map[string]*CFit
}

var (
	cOnce sync.Once
	cM    *cModel
	cErr  error
)

func fittedC() (*cModel, error) {
	cOnce.Do(func() { cM, cErr = fitCModel() })
	return cM, cErr
}

// CFits returns every fitted model of the C library engine with its error
// on the measurements it was fitted on.
func CFits() ([]CFit, error) {
	m, err := fittedC()
	if err != nil {
		return nil, err
	}
	out := make([]CFit, 0, len(m.order))
	for _, k := range m.order {
		out = append(out, *m.fits[k])
	}
	return out, nil
}

func fitCModel() (*cModel, error) {
	m := &cModel{ops: map[string]*CFit{}, dsp: map[string]*CFit{}, anomaly: map[AnomalyKind]*CFit{}, overhead: map[DType]*CFit{},
		stackDSP: map[string]int{}, stackNN: map[string]int{}, stackAnomaly: map[string]int{}, fits: map[string]*CFit{}}
	add := func(key string, f *CFit) {
		m.order = append(m.order, key)
		m.fits[key] = f
	}
	// Operators.
	recs, err := readCSV("tinyimpulse-qemu-ops.csv", cOpsCSV)
	if err != nil {
		return nil, err
	}
	byClass := map[string][]cObs{}
	var classes []string
	for _, r := range recs {
		o := cOp{dtype: DType(r["dtype"]), kind: OpKind(r["op"]), kh: atoi(r["kh"]), kw: atoi(r["kw"]), sh: atoi(r["sh"]), sw: atoi(r["sw"]),
			cin: atoi(r["cin"]), cout: atoi(r["cout"]), ih: atoi(r["in_h"]), iw: atoi(r["in_w"]), oh: atoi(r["out_h"]), ow: atoi(r["out_w"])}
		y := atof(r["instructions"])
		if o.cout <= 0 || o.cin <= 0 || y < 0 {
			return nil, fmt.Errorf("device: tinyimpulse-qemu-ops.csv: bad row %v: %w", r, ErrValue)
		}
		key := string(o.dtype) + " " + string(o.kind)
		if _, ok := byClass[key]; !ok {
			classes = append(classes, key)
		}
		byClass[key] = append(byClass[key], cObs{o.terms(), y})
	}
	for _, key := range classes {
		d, k, _ := strings.Cut(key, " ")
		f, err := fitC(key, cOpTerms(DType(d), OpKind(k)), byClass[key])
		if err != nil {
			return nil, err
		}
		m.ops[key] = f
		add("op "+key, f)
	}
	// Processing blocks.
	recs, err = readCSV("tinyimpulse-qemu-dsp.csv", cDSPCSV)
	if err != nil {
		return nil, err
	}
	dspObs := map[string][]cObs{}
	var dspClasses []string
	for _, r := range recs {
		var params map[string]any
		dec := json.NewDecoder(strings.NewReader(r["params"]))
		dec.UseNumber()
		if err := dec.Decode(&params); err != nil {
			return nil, fmt.Errorf("device: tinyimpulse-qemu-dsp.csv: %s: params: %v: %w", r["source"], err, ErrValue)
		}
		in := dsp.Input{FrequencyHz: atof(r["frequency_hz"]), Axes: atoi(r["axes"]), Samples: atoi(r["samples"]), Width: atoi(r["width"]), Height: atoi(r["height"])}
		b, err := dsp.New(r["block"], atoi(r["version"]), params, in)
		if err != nil {
			return nil, fmt.Errorf("device: tinyimpulse-qemu-dsp.csv: %s: %v: %w", r["source"], err, ErrValue)
		}
		d, err := dsp.DesignOf(b)
		if err != nil {
			return nil, err
		}
		class, x := dspTerms(d)
		if _, ok := dspObs[class]; !ok {
			dspClasses = append(dspClasses, class)
		}
		dspObs[class] = append(dspObs[class], cObs{x, atof(r["instructions"])})
	}
	for _, class := range dspClasses {
		f, err := fitC("dsp "+class, dspTermNames[class], dspObs[class])
		if err != nil {
			return nil, err
		}
		m.dsp[class] = f
		add("dsp "+class, f)
	}
	// Anomaly blocks.
	recs, err = readCSV("tinyimpulse-qemu-anomaly.csv", cAnomalyCSV)
	if err != nil {
		return nil, err
	}
	anObs := map[AnomalyKind][]cObs{}
	for _, r := range recs {
		k := AnomalyKMeans
		if r["kind"] == "gmm" {
			k = AnomalyGMM
		}
		anObs[k] = append(anObs[k], cObs{anomalyTerms(k, atoi(r["clusters"]), atoi(r["axes"])), atof(r["instructions"])})
	}
	for _, k := range []AnomalyKind{AnomalyKMeans, AnomalyGMM} {
		f, err := fitC("anomaly "+string(k), anomalyTermNames[k], anObs[k])
		if err != nil {
			return nil, err
		}
		m.anomaly[k] = f
		add("anomaly "+string(k), f)
	}
	// The calibration impulses: the network stage beyond its operators
	// (quantising the features, the runner, de-quantising) and the stack.
	recs, err = readCSV("tinyimpulse-qemu-impulses.csv", cImpulsesCSV)
	if err != nil {
		return nil, err
	}
	ovObs := map[DType][]cObs{}
	for _, r := range recs {
		d := DType(r["dtype"])
		ovObs[d] = append(ovObs[d], cObs{[]float64{atof(r["inputs"]), atof(r["outputs"]), atof(r["ops"])}, atof(r["nn"]) - atof(r["op_instructions"])})
		for _, s := range []struct {
			m     map[string]int
			key   string
			stage int
			col   string
		}{{m.stackDSP, r["dsp_blocks"], 0, "stack_dsp"}, {m.stackNN, nnStackKey(d, r["conv"] == "1"), 1, "stack_nn"}, {m.stackAnomaly, r["anomaly_block"], 2, "stack_anomaly"}} {
			v := atoi(r[s.col])
			if s.key == "" || v == 0 {
				continue
			}
			s.m[s.key] = max(s.m[s.key], v)
			m.stackMax[s.stage] = max(m.stackMax[s.stage], v)
		}
	}
	for _, d := range []DType{Int8, Float32} {
		f, err := fitC("network stage "+string(d), []string{"inputs", "outputs", "ops"}, ovObs[d])
		if err != nil {
			return nil, err
		}
		m.overhead[d] = f
		add("network stage "+string(d), f)
	}
	return m, nil
}

func nnStackKey(d DType, conv bool) string {
	if conv {
		return string(d) + " conv"
	}
	return string(d)
}

// cOp is one operator of the C library's network runners.
type cOp struct {
	dtype                     DType
	kind                      OpKind
	kh, kw, sh, sw            int
	cin, cout, ih, iw, oh, ow int
}

// validTaps returns Σ over output positions of the kernel taps inside the
// input along one dimension (TensorFlow's SAME padding).
func validTaps(in, out, k, s int) int {
	if out > 1<<20 {
		return out * min(k, in) // no shape the runtime runs is this large
	}
	pad := max(0, (out-1)*s+k-in) / 2
	n := 0
	for o := range out {
		lo := o*s - pad
		n += min(in, lo+k) - max(0, lo)
	}
	return n
}

// inPlace reports whether every window of a CONV_2D lies inside its input
// and is contiguous there (deploy's kernels then read it without im2col).
func (o *cOp) inPlace() bool {
	if (o.oh-1)*o.sh+o.kh > o.ih || (o.ow-1)*o.sw+o.kw > o.iw {
		return false
	}
	return o.kh == 1 || o.kw == o.iw
}

// cOpTerms names the terms of an operator class's model.
func cOpTerms(d DType, k OpKind) []string {
	switch {
	case d == Int8 && k == FullyConnected:
		return []string{"pairs·groups", "pairs·tail", "out"}
	case d == Int8 && k == Conv2D:
		return []string{"pixelpairs·pairs·groups", "pixelpairs·pairs·tail", "pixelpairs·pairs", "out", "pixels", "im2col bytes", "im2col rows"}
	case d == Int8 && k == DepthwiseConv2D:
		return []string{"taps·quads", "taps·rest", "out", "pixels"}
	case k == MaxPool2D:
		return []string{"taps·channels", "out"}
	case k == Softmax:
		return []string{"elements"}
	case d == Float32 && k == FullyConnected:
		return []string{"MACs", "out"}
	case d == Float32 && k == Conv2D:
		return []string{"valid MACs", "taps·out channels", "out"}
	case d == Float32 && k == DepthwiseConv2D:
		return []string{"valid MACs", "out"}
	}
	return nil
}

// terms returns an operator's terms (see cOpTerms).
func (o *cOp) terms() []float64 {
	out := float64(o.oh * o.ow * o.cout)
	pixels := o.oh * o.ow
	taps := float64(validTaps(o.ih, o.oh, o.kh, o.sh) * validTaps(o.iw, o.ow, o.kw, o.sw))
	pairs := float64((o.cout + 1) / 2)
	switch {
	case o.dtype == Int8 && o.kind == FullyConnected:
		return []float64{pairs * float64(o.cin/4), pairs * float64(b2f(o.cin%4 != 0)), float64(o.cout)}
	case o.dtype == Int8 && o.kind == Conv2D:
		k := o.kh * o.kw * o.cin
		pp := float64((pixels + 1) / 2)
		cols := b2f(!(o.kh == 1 && o.kw == 1 && o.sh == 1 && o.sw == 1) && !o.inPlace())
		return []float64{pp * pairs * float64(k/4), pp * pairs * b2f(k%4 != 0), pp * pairs, out, float64(pixels), cols * float64(pixels*k), cols * float64(pixels*o.kh)}
	case o.dtype == Int8 && o.kind == DepthwiseConv2D:
		return []float64{taps * float64(o.cout/4), taps * float64(o.cout%4), out, float64(pixels)}
	case o.kind == MaxPool2D:
		return []float64{taps * float64(o.cout), out}
	case o.kind == Softmax:
		return []float64{float64(o.cout)}
	case o.dtype == Float32 && o.kind == FullyConnected:
		return []float64{float64(o.cin * o.cout), float64(o.cout)}
	case o.dtype == Float32 && o.kind == Conv2D:
		return []float64{taps * float64(o.cin*o.cout), taps * float64(o.cout), out}
	case o.dtype == Float32 && o.kind == DepthwiseConv2D:
		return []float64{taps * float64(o.cout), out}
	}
	return []float64{}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// The processing blocks' model classes and terms.
var dspTermNames = map[string][]string{
	"raw":                       {"values"},
	"flatten":                   {"values", "values·statistics", "axes·statistics"},
	"image":                     {"pixels", "pixels·rgb"},
	"spectral-analysis fft":     {"axes", "values", "values·sections", "values·stages", "axes·frames·N·log2N", "axes·frames·N", "axes·features", "axes·features·log", "axes·bins·statistics", "axes·low-frequency"},
	"spectral-analysis wavelet": {"axes", "values", "values·sections", "values·stages", "axes·wavelet work", "axes·features"},
	"spectral-analysis v1":      {"axes", "values", "values·sections", "axes·frames·N·log2N", "axes·frames·N", "axes·peaks"},
	"spectrogram":               {"frames", "frames·frame length", "frames·N·log2N", "frames·N", "frames·N·normalised"},
	"mfe":                       {"frames", "frames·frame length", "frames·N·log2N", "frames·N", "frames·mel weights", "frames·filters", "frames·filters·normalised", "frames·filters·quantised"},
	"mfcc":                      {"frames", "frames·frame length", "frames·N·log2N", "frames·N", "frames·mel weights", "frames·filters", "frames·cepstra·filters", "frames·cepstra·normalised"},
}

// dspTerms returns a processing block's model class and terms.
func dspTerms(d dsp.Design) (string, []float64) {
	in := d.Input
	values := float64(in.Axes * in.Samples)
	switch d.Type {
	case "raw":
		return "raw", []float64{values}
	case "flatten":
		cfg := d.Config.(dsp.FlattenConfig)
		n := 0
		for _, on := range []bool{cfg.Average, cfg.Minimum, cfg.Maximum, cfg.RMS, cfg.Stdev, cfg.Skewness, cfg.Kurtosis} {
			n += int(b2f(on))
		}
		return "flatten", []float64{values, values * float64(n), float64(in.Axes * n)}
	case "image":
		cfg := d.Config.(dsp.ImageConfig)
		return "image", []float64{float64(in.Samples), float64(in.Samples) * b2f(cfg.Channels != "Grayscale")}
	case "spectral-analysis":
		s := d.Spectral
		cfg := d.Config.(dsp.SpectralConfig)
		a := float64(in.Axes)
		n := cfg.FFTLength
		frames := 1
		if s.Hop > 0 && s.EffectiveSamples > n {
			frames = (s.EffectiveSamples-n)/s.Hop + 1
		}
		fft := float64(n) * math.Log2(float64(max(n, 2)))
		sections, stages := float64(len(s.Filter)), float64(len(s.DecimationStages))
		switch s.Analysis {
		case "wavelet":
			work := 0
			for _, l := range s.WaveletLengths[1:] {
				work += l * len(s.WaveletLo)
			}
			return "spectral-analysis wavelet", []float64{a, values, values * sections, values * stages, a * float64(work), a * float64(s.AxisFeatures)}
		case "v1":
			return "spectral-analysis v1", []float64{a, values, values * sections, a * float64(frames) * fft, a * float64(frames*n), a * float64(cfg.SpectralPeaksCount)}
		}
		bins := float64(s.MainBins.Stop - s.MainBins.Start)
		return "spectral-analysis fft", []float64{a, values, values * sections, values * stages, a * float64(frames) * fft, a * float64(frames*n),
			a * float64(s.AxisFeatures), a * float64(s.AxisFeatures) * b2f(cfg.DoLog), a * bins * b2f(d.Version >= 4), a * float64(s.LowFreqFeatures)}
	}
	au := d.Audio
	f, n := float64(au.Frames), au.FFTLength
	fft := float64(n) * math.Log2(float64(max(n, 2)))
	weights := 0
	for _, w := range au.MelWeights {
		weights += len(w)
	}
	m := float64(len(au.MelStart))
	fl := f * float64(au.FrameLength)
	switch d.Type {
	case "spectrogram":
		return "spectrogram", []float64{f, fl, f * fft, f * float64(n), f * float64(n) * b2f(d.Version >= 3)}
	case "mfe":
		cfg := d.Config.(dsp.MFEConfig)
		return "mfe", []float64{f, fl, f * fft, f * float64(n), f * float64(weights), f * m, f * m * b2f(cfg.WinSize > 0 && d.Version <= 2), f * m * b2f(d.Version >= 3)}
	}
	cfg := d.Config.(dsp.MFCCConfig)
	c := float64(len(au.DCT))
	return "mfcc", []float64{f, fl, f * fft, f * float64(n), f * float64(weights), f * m, f * c * m, f * c * b2f(cfg.WinSize > 0)}
}

var anomalyTermNames = map[AnomalyKind][]string{
	AnomalyKMeans: {"clusters·axes", "clusters"},
	AnomalyGMM:    {"components·axes²", "components·axes", "components"},
}

func anomalyTerms(k AnomalyKind, clusters, axes int) []float64 {
	c, a := float64(clusters), float64(axes)
	if k == AnomalyGMM {
		return []float64{c * a * a, c * a, c}
	}
	return []float64{c * a, c}
}
