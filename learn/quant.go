package learn

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"

	"gonum.org/v1/gonum/mat"
)

// Int8Network is a network quantised after training as TensorFlow Lite does it
// (full-integer, int8 input and output): symmetric int8 weights (per output
// channel for convolutions and batch normalisation, one scale per tensor for
// dense layers), int32 biases, asymmetric int8 activations calibrated on
// representative windows, every scale a float32 as a .tflite file stores it,
// and inference as TensorFlow Lite 2.9's builtin int8 kernels compute it:
// integer accumulation with fixed-point requantisation, and the softmax
// through a float32 exponential table. Its methods are safe for concurrent use.
type Int8Network struct {
	in         Input
	regression bool
	labels     []string
	vis        []VisualLayer // the enabled visual layers it was built from
	float      []layer       // the float network's layers (for Ops; their parameters are not kept)
	layers     []qlayer
	input      QuantParams // input tensor
	output     QuantParams // output tensor (softmax: 1/256, −128)
	maxSize    int
	maxC       int
	pool       sync.Pool // *qscratch
}

// QuantParams are the affine int8 parameters of a tensor: real = Scale·(q − ZeroPoint).
type QuantParams struct {
	Scale     float64
	ZeroPoint int32
}

// softmaxQuant is the fixed quantisation of TFLite's int8 softmax output.
var softmaxQuant = QuantParams{Scale: 1.0 / 256, ZeroPoint: -128}

type qkind uint8

const (
	qConv    qkind = iota + 1 // dense (1×1 window over the whole input), conv1d, conv2d
	qPool                     // max pooling 2/2 'same' (h = 1 for 1-D)
	qAffine                   // batch normalisation: per-channel x·a + b
	qSoftmax                  // int8 softmax, output 1/256, −128
)

// qlayer is one integer op. For qConv the weights are (kh, kw, cin, cout); a dense
// layer is kh = kw = h = w = 1 with cin = its input size.
type qlayer struct {
	kind           qkind
	in, out        shape // conv: spatial shape (h, w, c)
	kh, kw         int
	w              []int8
	bias           []int32
	mult           []int32   // per output channel fixed-point multiplier (Q31)
	shift          []int32   // per output channel exponent
	wScale         []float64 // per output channel, or one scale (dense: perTensor)
	inQ, outQ      QuantParams
	actMin, actMax int32
	table          []float32 // softmax: table[255−d] = exp(−s_in·d), d = 0..255
	src            int       // index of the float layer it comes from
	relu           bool
	perTensor      bool      // a dense layer: one weight scale, TFLite's FULLY_CONNECTED multiplier
	wf             []float32 // the int8 weights as float32, when sums stay exact (see convExact)
}

type qscratch struct {
	a, b []int8
	acc  []int32
	xf   []float32 // conv input minus its zero point, as float32
	yf   []float32 // convExact's accumulators
}

// Features returns the number of input features per window.
func (q *Int8Network) Features() int { return q.in.Features() }

// Outputs returns the number of outputs.
func (q *Int8Network) Outputs() int { return q.layers[len(q.layers)-1].out.c }

// Labels returns the class names (or the regression target name).
func (q *Int8Network) Labels() []string { return append([]string(nil), q.labels...) }

// InputQuant returns the quantisation of the input tensor.
func (q *Int8Network) InputQuant() QuantParams { return q.input }

// OutputQuant returns the quantisation of the output tensor.
func (q *Int8Network) OutputQuant() QuantParams { return q.output }

// Shape returns the input shape the network was built for.
func (q *Int8Network) Shape() Input { return q.in }

// Regression reports whether the network has a linear output.
func (q *Int8Network) Regression() bool { return q.regression }

// asymmetric returns TFLite's int8 parameters for a calibrated range, widened to
// include 0: scale = (max − min)/255 rounded to float32, zero point =
// round(−128 − min/scale) clamped.
func asymmetric(lo, hi float64) QuantParams {
	lo, hi = min(lo, 0), max(hi, 0)
	s := float32Scale((hi - lo) / 255)
	if s == 0 || math.IsNaN(s) || math.IsInf(s, 0) {
		return QuantParams{Scale: 1, ZeroPoint: -128}
	}
	zp := -128 - lo/s
	switch {
	case zp < -128:
		zp = -128
	case zp > 127:
		zp = 127
	}
	return QuantParams{Scale: s, ZeroPoint: int32(math.Round(zp))}
}

// float32Scale rounds a scale to the float32 a .tflite file stores; every
// multiplier and bias derives from the rounded scales, as TensorFlow Lite
// derives them from the file's.
func float32Scale(s float64) float64 { return float64(float32(s)) }

// requantScale returns the real multiplier s_in·s_w/s_out of a convolution or
// depthwise output channel, in float64 from the float32 scales, as
// TensorFlow Lite's PopulateConvolutionQuantizationParams computes it; for a
// dense layer (FULLY_CONNECTED, GetQuantizedConvolutionMultipler) the
// product s_in·s_w is rounded to float32 first.
func requantScale(in, w, out float64, fullyConnected bool) float64 {
	if fullyConnected {
		return float64(float32(in)*float32(w)) / out
	}
	return in * w / out
}

// biasScale returns the scale of a bias, s_in·s_w rounded to float32 as the
// converter stores it.
func biasScale(in, w float64) float64 { return float64(float32(in) * float32(w)) }

// quantizeMultiplier splits a positive real multiplier m into a Q31 mantissa and a
// power-of-two exponent, m ≈ q·2^(shift−31), as TFLite's QuantizeMultiplier does.
func quantizeMultiplier(m float64) (q int32, shift int32) {
	if m == 0 {
		return 0, 0
	}
	f, e := math.Frexp(m)
	qf := int64(math.Round(f * (1 << 31)))
	if qf == 1<<31 {
		qf /= 2
		e++
	}
	if e < -31 {
		return 0, 0
	}
	if e > 30 {
		return math.MaxInt32, 30
	}
	return int32(qf), int32(e)
}

// saturatingRoundingDoublingHighMul returns round(a·b / 2^31), saturating the single
// overflow case (gemmlowp).
func saturatingRoundingDoublingHighMul(a, b int32) int32 {
	if a == b && a == math.MinInt32 {
		return math.MaxInt32
	}
	ab := int64(a) * int64(b)
	nudge := int64(1 << 30)
	if ab < 0 {
		nudge = 1 - (1 << 30)
	}
	return int32((ab + nudge) / (1 << 31))
}

// roundingDivideByPOT returns x / 2^e rounded to nearest, ties away from zero (gemmlowp).
func roundingDivideByPOT(x int32, e int32) int32 {
	mask := int32(1)<<e - 1
	rem := x & mask
	th := mask >> 1
	if x < 0 {
		th++
	}
	r := x >> e
	if rem > th {
		r++
	}
	return r
}

// multiplyByQuantizedMultiplier returns x·q·2^(shift−31), rounded, as
// TensorFlow Lite's reference kernels (and TFLite Micro's) do: the final
// right shift rounds half away from zero.
func multiplyByQuantizedMultiplier(x, q, shift int32) int32 {
	left, right := int32(0), -shift
	if shift > 0 {
		left, right = shift, 0
	}
	return roundingDivideByPOT(saturatingRoundingDoublingHighMul(x*(1<<left), q), right)
}

// multiplyByQuantizedMultiplierHalfUp is multiplyByQuantizedMultiplier with
// the final right shift rounding half up (toward +∞), as the ruy matrix
// kernels behind TensorFlow Lite 2.9's optimized FULLY_CONNECTED and CONV_2D
// requantise: (r + 2^(e−1)) >> e. The two differ only on negative values
// exactly halfway between two integers.
func multiplyByQuantizedMultiplierHalfUp(x, q, shift int32) int32 {
	left, right := int32(0), -shift
	if shift > 0 {
		left, right = shift, 0
	}
	r := saturatingRoundingDoublingHighMul(x*(1<<left), q)
	if right == 0 {
		return r
	}
	return int32((int64(r) + 1<<(right-1)) >> right)
}

// ErrNoCalibration is returned by [Quantize] without representative windows.
var ErrNoCalibration = errors.New("learn: quantisation needs at least one representative window")

// Quantize converts n to int8 with the rows of X (all rows when rows is nil) as
// the representative dataset, one window at a time, as Studio does with its
// validation windows. Activations take the min/max seen over those windows.
// Batch normalisation becomes a per-channel integer affine op; the softmax output
// has the fixed scale 1/256 and zero point −128.
func Quantize(ctx context.Context, n *Network, X mat.Matrix, rows []int) (*Int8Network, error) {
	rows, err := selectRows(X, n.Features(), rows)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, ErrNoCalibration
	}
	c := n.Features()
	L := len(n.layers)
	lo, hi := make([]float64, L+1), make([]float64, L+1)
	for i := range lo {
		lo[i], hi[i] = math.Inf(1), math.Inf(-1)
	}
	buf := make([]float32, 2*n.maxSize)
	x := make([]float64, c)
	done := ctx.Done()
	track := func(i int, v []float32) {
		for _, f := range v {
			lo[i] = min(lo[i], float64(f))
			hi[i] = max(hi[i], float64(f))
		}
	}
	for k, ri := range rows {
		if k%256 == 0 {
			select {
			case <-done:
				return nil, fmt.Errorf("learn: quantisation cancelled: %w", ctx.Err())
			default:
			}
		}
		mat.Row(x, ri, X)
		a, b := buf[:n.maxSize], buf[n.maxSize:]
		for j, v := range x {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("%w: window %d feature %d is %v", ErrNotFinite, ri, j, v)
			}
			a[j] = float32(v)
		}
		track(0, a[:c])
		for i := range n.layers {
			l := &n.layers[i]
			if l.view() {
				lo[i+1], hi[i+1] = math.NaN(), math.NaN() // same tensor as the input
				continue
			}
			y := b[:l.out.size()]
			l.apply(n.params, n.state, a[:l.in.size()], y, nil, 1)
			if l.act == actReLU { // a softmax output calibrates its logits
				relu(y)
			}
			track(i+1, y)
			a, b = b, a
		}
	}
	q := &Int8Network{in: n.in, regression: n.regression, labels: append([]string(nil), n.labels...), vis: n.vis,
		float: n.layers, layers: int8Layout(n.layers)}
	cur := asymmetric(lo[0], hi[0])
	q.input = cur
	for i := range q.layers {
		ql := &q.layers[i]
		l := &n.layers[ql.src]
		ql.inQ = cur
		switch ql.kind {
		case qPool:
			ql.outQ = cur
		case qSoftmax:
			ql.outQ = softmaxQuant
		default:
			ql.outQ = asymmetric(lo[ql.src+1], hi[ql.src+1])
			cout := l.out.c
			var w, b []float32
			if l.kind == kBatchNorm {
				w, b = make([]float32, cout), make([]float32, cout)
				for j := range cout {
					a := float64(n.params[l.w+j]) / math.Sqrt(float64(n.state[l.s+cout+j])+bnEpsilon)
					w[j] = float32(a)
					b[j] = float32(float64(n.params[l.b+j]) - float64(n.state[l.s+j])*a)
				}
			} else {
				w, b = n.params[l.w:l.w+l.wn], n.params[l.b:l.b+l.bn]
			}
			ql.quantizeWeights(w, b, cout, ql.perTensor)
		}
		ql.finish()
		cur = ql.outQ
	}
	q.output = cur
	q.sizes()
	return q, nil
}

// int8Layout returns the integer ops of a float network's layers without their
// parameters: reshape, flatten and dropout disappear, a dense layer becomes a
// 1×1 convolution over a 1×1 map, and a softmax op follows a classification
// output.
func int8Layout(layers []layer) []qlayer {
	var qs []qlayer
	for i := range layers {
		l := &layers[i]
		ql := qlayer{src: i, in: l.in, out: l.out, relu: l.act == actReLU}
		switch l.kind {
		case kReshape, kDropout:
			continue
		case kPool1D, kPool2D:
			ql.kind = qPool
		case kDense:
			ql.kind, ql.kh, ql.kw, ql.perTensor = qConv, 1, 1, true
			ql.in, ql.out = shape{3, 1, 1, l.in.c}, shape{3, 1, 1, l.out.c}
		case kConv1D:
			ql.kind, ql.kh, ql.kw = qConv, 1, l.k
			ql.in, ql.out = shape{3, 1, l.in.w, l.in.c}, shape{3, 1, l.out.w, l.out.c}
		case kConv2D:
			ql.kind, ql.kh, ql.kw = qConv, l.k, l.k
		case kBatchNorm:
			ql.kind = qAffine
		}
		qs = append(qs, ql)
		if l.act == actSoftmax {
			qs = append(qs, qlayer{kind: qSoftmax, src: i, in: l.out, out: l.out})
		}
	}
	return qs
}

// finish derives what inference needs from the quantisation parameters:
// requantisation multipliers, the activation clamp and the softmax table.
func (ql *qlayer) finish() {
	ql.actMin, ql.actMax = -128, 127
	switch ql.kind {
	case qConv, qAffine:
		cout := ql.out.c
		if k := ql.kh * ql.kw * ql.in.c; ql.kind == qConv && cout%8 == 0 && k*255*127 < 1<<24 {
			ql.wf = make([]float32, len(ql.w))
			for i, v := range ql.w {
				ql.wf[i] = float32(v)
			}
		}
		ql.mult, ql.shift = make([]int32, cout), make([]int32, cout)
		for o := range cout {
			ql.mult[o], ql.shift[o] = quantizeMultiplier(requantScale(ql.inQ.Scale, ql.weightScale(o), ql.outQ.Scale, ql.perTensor))
		}
		if ql.relu {
			ql.actMin = max(-128, ql.outQ.ZeroPoint)
		}
	case qSoftmax:
		ql.table = SoftmaxTable(ql.inQ.Scale)
	}
}

// SoftmaxTable returns the exponential table of TensorFlow Lite 2.9's int8
// softmax (optimized_ops::PopulateSoftmaxLookupTable, β = 1) for an input
// scale s: table[255−d] = expf(−s·d) for d = 0…255, −s·d a float32 product
// and expf GNU libc's, bit for bit (see expf), which is not always the
// float32 nearest to the exponential.
func SoftmaxTable(s float64) []float32 {
	t := make([]float32, 256)
	ns := -float32(s)
	for d := range 256 {
		t[255-d] = expf(float32(ns * float32(d)))
	}
	return t
}

// weightScale returns the scale of output channel o's weights.
func (ql *qlayer) weightScale(o int) float64 {
	if len(ql.wScale) == 1 {
		return ql.wScale[0]
	}
	return ql.wScale[o]
}

// sizes sets the scratch sizes.
func (q *Int8Network) sizes() {
	q.maxSize, q.maxC = q.in.Features(), 1
	for _, l := range q.layers {
		q.maxSize = max(q.maxSize, l.out.size(), l.in.size())
		q.maxC = max(q.maxC, l.out.c)
	}
}

// quantizeWeights sets the symmetric int8 weights of a (…, cout) kernel,
// scale = max|w|/127 (rounded to float32) per output channel, or over the
// whole kernel when perTensor, and the int32 biases, scale = s_in·s_w.
func (ql *qlayer) quantizeWeights(w, b []float32, cout int, perTensor bool) {
	ql.w = make([]int8, len(w))
	ql.bias = make([]int32, cout)
	ql.wScale = make([]float64, cout)
	scale := func(m float64) float64 {
		if s := float32Scale(m / 127); s > 0 {
			return s
		}
		return 1
	}
	if perTensor {
		var m float64
		for _, v := range w {
			m = max(m, math.Abs(float64(v)))
		}
		ql.wScale = []float64{scale(m)}
	} else {
		for o := range cout {
			var m float64
			for j := o; j < len(w); j += cout {
				m = max(m, math.Abs(float64(w[j])))
			}
			ql.wScale[o] = scale(m)
		}
	}
	for o := range cout {
		s := ql.weightScale(o)
		for j := o; j < len(w); j += cout {
			ql.w[j] = int8(max(-127, min(127, math.Round(float64(w[j])/s))))
		}
		bs := biasScale(ql.inQ.Scale, s)
		ql.bias[o] = int32(max(math.MinInt32, min(math.MaxInt32, math.Round(float64(b[o])/bs))))
	}
}

// QuantizeInput converts a real feature to int8 as Studio's inference code does:
// clip(round(x/scale + zero point), −128, 127), rounding half to even (numpy).
func (p QuantParams) QuantizeInput(x float64) int8 {
	v := math.RoundToEven(x/p.Scale + float64(p.ZeroPoint))
	return int8(max(-128, min(127, v)))
}

// Dequantize returns Scale·(q − ZeroPoint).
func (p QuantParams) Dequantize(q int8) float64 { return p.Scale * float64(int32(q)-p.ZeroPoint) }

// Classify quantises the window x, runs the integer network and stores the
// de-quantised outputs in dst (softmax outputs are not re-normalised). With
// enough capacity in dst it does not allocate.
func (q *Int8Network) Classify(dst, x []float64) ([]float64, error) {
	if len(x) != q.Features() {
		return dst, fmt.Errorf("%w: window has %d, network takes %d", ErrShape, len(x), q.Features())
	}
	for i, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return dst, fmt.Errorf("%w: feature %d is %v", ErrNotFinite, i, v)
		}
	}
	sc := q.scratch()
	a := sc.a[:len(x)]
	for i, v := range x {
		a[i] = q.input.QuantizeInput(v)
	}
	out := q.run(sc)
	if cap(dst) < len(out) {
		dst = make([]float64, len(out))
	}
	dst = dst[:len(out)]
	for i, v := range out {
		dst[i] = q.output.Dequantize(v)
	}
	q.pool.Put(sc)
	return dst, nil
}

// ClassifyInt8 runs the integer network on an already quantised window and
// writes the int8 outputs to dst (len Outputs()), as a device would.
func (q *Int8Network) ClassifyInt8(dst, x []int8) error {
	if len(x) != q.Features() || len(dst) != q.Outputs() {
		return fmt.Errorf("%w: %d inputs / %d outputs, want %d / %d", ErrShape, len(x), len(dst), q.Features(), q.Outputs())
	}
	sc := q.scratch()
	copy(sc.a, x)
	copy(dst, q.run(sc))
	q.pool.Put(sc)
	return nil
}

func (q *Int8Network) scratch() *qscratch {
	sc, _ := q.pool.Get().(*qscratch)
	if sc == nil {
		sc = &qscratch{a: make([]int8, q.maxSize), b: make([]int8, q.maxSize), acc: make([]int32, max(q.maxC, 1)),
			xf: make([]float32, q.maxSize), yf: make([]float32, q.maxSize)}
	}
	return sc
}

// run executes the integer layers on sc.a and returns the output (inside sc).
func (q *Int8Network) run(sc *qscratch) []int8 {
	a, b := sc.a, sc.b
	for i := range q.layers {
		l := &q.layers[i]
		x, y := a[:l.in.size()], b[:l.out.size()]
		switch l.kind {
		case qConv:
			if l.wf != nil {
				l.convExact(x, y, sc)
			} else {
				l.conv(x, y, sc.acc)
			}
		case qPool:
			maxPool(x, y, nil, 1, l.in.h, l.in.w, l.in.c)
		case qAffine:
			l.affine(x, y)
		case qSoftmax:
			l.softmax(x, y)
		}
		a, b = b, a
	}
	return a[:q.Outputs()]
}

// requant maps an int32 accumulator of output channel o to int8: dense
// layers and convolutions round as TensorFlow Lite's ruy kernels do, batch
// normalisation (DEPTHWISE_CONV_2D) as its reference kernels do.
func (l *qlayer) requant(acc int32, o int) int8 {
	var v int32
	if l.kind == qConv {
		v = multiplyByQuantizedMultiplierHalfUp(acc, l.mult[o], l.shift[o])
	} else {
		v = multiplyByQuantizedMultiplier(acc, l.mult[o], l.shift[o])
	}
	v += l.outQ.ZeroPoint
	return int8(max(l.actMin, min(l.actMax, v)))
}

// conv is the int8 convolution ('same' padding, stride 1; dense when the kernel
// covers a 1×1 map): acc = bias + Σ (x − zp_in)·w, then requantised.
func (l *qlayer) conv(x, y []int8, acc []int32) {
	h, w, cin, cout := l.in.h, l.in.w, l.in.c, l.out.c
	kh, kw := l.kh, l.kw
	padH, padW := (kh-1)/2, (kw-1)/2
	zp := l.inQ.ZeroPoint
	acc = acc[:cout]
	for oy := range h {
		dylo, dyhi := max(0, padH-oy), min(kh, h+padH-oy)
		for ox := range w {
			jlo, jhi := max(0, padW-ox), min(kw, w+padW-ox)
			copy(acc, l.bias)
			for dy := dylo; dy < dyhi; dy++ {
				row := (oy+dy-padH)*w + ox - padW
				seg := x[(row+jlo)*cin : (row+jhi)*cin]
				ws := l.w[(dy*kw+jlo)*cin*cout : (dy*kw+jhi)*cin*cout]
				macInt8(acc, seg, ws, zp)
			}
			yr := y[(oy*w+ox)*cout : (oy*w+ox)*cout+cout]
			for o, v := range acc {
				yr[o] = l.requant(v, o)
			}
		}
	}
}

// convExact computes the same integer accumulators as conv with the float32
// convolution (convForward, zero bias): every product (x − zp)·w is an integer
// of magnitude ≤ 255·127 and every partial sum of at most k = kh·kw·cin of them
// stays below 2^24 (finish only sets wf when k·255·127 < 2^24), so float32
// represents all of them exactly and the result is bit-identical to integer
// arithmetic.
func (l *qlayer) convExact(x, y []int8, sc *qscratch) {
	cout := l.out.c
	zp := l.inQ.ZeroPoint
	xf, yf := sc.xf[:len(x)], sc.yf[:len(y)]
	for i, v := range x {
		xf[i] = float32(int32(v) - zp)
	}
	convForward(l.wf, nil, xf, yf, 1, l.in.h, l.in.w, l.in.c, cout, l.kh, l.kw)
	for p := 0; p < len(yf); p += cout {
		for o, v := range yf[p : p+cout] {
			y[p+o] = l.requant(l.bias[o]+int32(v), o)
		}
	}
}

// affine is batch normalisation in int8: y = requant(bias + (x − zp_in)·a) per channel.
func (l *qlayer) affine(x, y []int8) {
	c := l.out.c
	zp := l.inQ.ZeroPoint
	for i := 0; i < len(x); i += c {
		for o := range c {
			y[i+o] = l.requant(l.bias[o]+(int32(x[i+o])-zp)*int32(l.w[o]), o)
		}
	}
}

// softmax is TensorFlow Lite 2.9's int8 softmax (optimized_ops::Softmax
// with its lookup table), in float32 arithmetic: e_j = table[255 − (max −
// x_j)], sum = Σe_j added in order, inv = 1/(sum·(1/256)), y_j =
// round(e_j·inv) − 128 (half away from zero), clamped to int8.
func (l *qlayer) softmax(x, y []int8) {
	m := x[0]
	for _, v := range x[1:] {
		m = max(m, v)
	}
	off := 255 - int32(m) // table index of an input v: off + v, in [0, 255]
	var sum float32
	for _, v := range x {
		sum += l.table[off+int32(v)]
	}
	inv := 1 / (sum * float32(softmaxQuant.Scale))
	for j, v := range x {
		p := l.table[off+int32(v)] * inv
		q := int32(math.Round(float64(p))) + softmaxQuant.ZeroPoint
		y[j] = int8(max(-128, min(127, q)))
	}
}

// macInt8 adds Σ_t (x[t] − zp)·w[t·c+o] to acc[o], c = len(acc).
func macInt8(acc []int32, x, w []int8, zp int32) {
	c := len(acc)
	if c%8 == 0 {
		for o := 0; o < c; o += 8 {
			a := acc[o : o+8 : o+8]
			a0, a1, a2, a3, a4, a5, a6, a7 := a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]
			for t, xv := range x {
				xi := int32(xv) - zp
				wr := w[t*c+o : t*c+o+8 : t*c+o+8]
				a0 += xi * int32(wr[0])
				a1 += xi * int32(wr[1])
				a2 += xi * int32(wr[2])
				a3 += xi * int32(wr[3])
				a4 += xi * int32(wr[4])
				a5 += xi * int32(wr[5])
				a6 += xi * int32(wr[6])
				a7 += xi * int32(wr[7])
			}
			a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7] = a0, a1, a2, a3, a4, a5, a6, a7
		}
		return
	}
	for t, xv := range x {
		xi := int32(xv) - zp
		if xi == 0 {
			continue
		}
		wr := w[t*c : t*c+c]
		for o, wv := range wr {
			acc[o] += xi * int32(wv)
		}
	}
}
