package learn

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
)

// shape is a tensor shape without the batch dimension, in Keras' channels-last
// order: rank 1 is (c), rank 2 is (w, c) (a sequence of w steps), rank 3 is (h, w, c).
type shape struct{ rank, h, w, c int }

func flatShape(n int) shape { return shape{1, 1, 1, n} }

func (s shape) size() int { return s.h * s.w * s.c }

// dims returns the Keras shape without the batch dimension.
func (s shape) dims() []int {
	switch s.rank {
	case 1:
		return []int{s.c}
	case 2:
		return []int{s.w, s.c}
	}
	return []int{s.h, s.w, s.c}
}

type kind uint8

const (
	kDense kind = iota + 1
	kConv1D
	kConv2D
	kPool1D
	kPool2D
	kDropout
	kReshape // reshape and flatten: the data does not move
	kBatchNorm
)

type activation uint8

const (
	actLinear activation = iota
	actReLU
	actSoftmax
)

const (
	l1Activity  = 1e-5 // Dense activity_regularizer L1(1e-5)
	bnEpsilon   = 1e-3 // Keras BatchNormalization epsilon
	bnMomentum  = 0.99 // Keras BatchNormalization momentum
	maxNormConv = 1.0  // Conv2D kernel_constraint MaxNorm(1)
	kerasEps    = 1e-7 // backend.epsilon()
)

// layer is one Keras layer. Weights live in the network's flat parameter vector
// at [w, w+wn) and [b, b+bn); batch normalisation's moving statistics live in the
// state vector at [s, s+2c).
type layer struct {
	kind    kind
	act     activation
	name    string // Keras layer name
	in, out shape
	k       int     // kernel size
	rate    float32 // dropout rate
	l1      bool    // L1 activity regulariser on the output
	maxNorm bool    // MaxNorm(1) kernel constraint
	w, wn   int
	b, bn   int
	s       int
}

// view reports whether the layer leaves the data untouched at inference.
func (l *layer) view() bool { return l.kind == kReshape || l.kind == kDropout }

// Network is a trained or freshly initialised float32 network. Its methods are
// safe for concurrent use; nothing mutates a Network after Train returns it.
type Network struct {
	in         Input
	regression bool
	labels     []string
	vis        []VisualLayer // the enabled visual layers it was built from
	layers     []layer
	params     []float32 // all trainable weights, layer by layer
	state      []float32 // batch normalisation moving mean and variance
	maxSize    int       // largest activation, in floats per window
	pool       sync.Pool // *[]float32 scratch for Classify
}

// build constructs the layers of cfg for input in with the given number of
// outputs, as Studio's code generator does, and allocates zero parameters.
func build(cfg Config, in Input, outputs int, regression bool) (*Network, error) {
	return buildLimit(cfg, in, outputs, regression, 1<<26)
}

// buildLimit is build with an upper bound on the parameter count, checked
// before anything is allocated.
func buildLimit(cfg Config, in Input, outputs int, regression bool, limit int) (*Network, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	if outputs <= 0 {
		return nil, fmt.Errorf("learn: %d outputs", outputs)
	}
	for i, l := range cfg.VisualLayers {
		if err := l.validate(); err != nil {
			return nil, fmt.Errorf("learn: visualLayers[%d]: %w", i, err)
		}
	}
	n := &Network{in: in, regression: regression}
	cur := flatShape(in.Features())
	if in.Kind == InputImage {
		cur = shape{3, in.Height, in.Width, max(in.Channels, 1)}
	}
	counts := map[string]int{}
	name := func(base string) string {
		c := counts[base]
		counts[base]++
		if c == 0 {
			return base
		}
		return fmt.Sprintf("%s_%d", base, c)
	}
	var np, ns int
	add := func(l layer) {
		l.w, l.b, l.s = np, np+l.wn, ns
		np += l.wn + l.bn
		if l.kind == kBatchNorm {
			ns += 2 * l.out.c
		}
		n.layers = append(n.layers, l)
		cur = l.out
	}
	vis := make([]VisualLayer, 0, len(cfg.VisualLayers))
	for _, v := range cfg.VisualLayers {
		if v.enabled() {
			vis = append(vis, v)
		}
	}
	n.vis = vis
	for i, v := range vis {
		where := fmt.Sprintf("learn: visual layer %d (%s)", i, v.Type)
		switch v.Type {
		case LayerDense:
			if cur.rank != 1 {
				return nil, fmt.Errorf("%s: input has shape %v, needs a flatten layer first", where, cur.dims())
			}
			add(layer{kind: kDense, act: actReLU, l1: true, name: name("dense"), in: cur, out: flatShape(v.Neurons),
				wn: cur.c * v.Neurons, bn: v.Neurons})
		case LayerReshape:
			if cur.rank != 1 || cur.c%v.Columns != 0 {
				return nil, fmt.Errorf("%s: cannot reshape %v into rows of %d columns", where, cur.dims(), v.Columns)
			}
			out := shape{2, 1, cur.c / v.Columns, v.Columns}
			for _, nx := range vis[i+1:] {
				if nx.Type == LayerConv2D {
					out = shape{3, cur.c / v.Columns, v.Columns, 1}
				}
				if nx.Type == LayerConv1D || nx.Type == LayerConv2D {
					break
				}
			}
			add(layer{kind: kReshape, name: name("reshape"), in: cur, out: out})
		case LayerFlatten:
			add(layer{kind: kReshape, name: name("flatten"), in: cur, out: flatShape(cur.size())})
		case LayerDropout:
			add(layer{kind: kDropout, name: name("dropout"), in: cur, out: cur, rate: float32(v.rate())})
		case LayerBatchNormalization:
			add(layer{kind: kBatchNorm, name: name("batch_normalization"), in: cur, out: cur, wn: cur.c, bn: cur.c})
		case LayerConv1D:
			if cur.rank != 2 {
				return nil, fmt.Errorf("%s: input has shape %v, needs a (steps, channels) input (add a reshape layer)", where, cur.dims())
			}
			k := v.kernel()
			for range v.stack() {
				add(layer{kind: kConv1D, act: actReLU, name: name("conv1d"), in: cur, out: shape{2, 1, cur.w, v.Neurons}, k: k,
					wn: k * cur.c * v.Neurons, bn: v.Neurons})
			}
			add(layer{kind: kPool1D, name: name("max_pooling1d"), in: cur, out: shape{2, 1, (cur.w + 1) / 2, cur.c}})
		case LayerConv2D:
			if cur.rank != 3 {
				return nil, fmt.Errorf("%s: input has shape %v, needs a (rows, columns, channels) input", where, cur.dims())
			}
			k := v.kernel()
			for range v.stack() {
				add(layer{kind: kConv2D, act: actReLU, maxNorm: true, name: name("conv2d"), in: cur, out: shape{3, cur.h, cur.w, v.Neurons}, k: k,
					wn: k * k * cur.c * v.Neurons, bn: v.Neurons})
			}
			add(layer{kind: kPool2D, name: name("max_pooling2d"), in: cur, out: shape{3, (cur.h + 1) / 2, (cur.w + 1) / 2, cur.c}})
		}
		if cur.size() > maxFeatures {
			return nil, fmt.Errorf("%s: output has %d values per window", where, cur.size())
		}
	}
	if cur.rank != 1 {
		return nil, fmt.Errorf("learn: the output layer needs a flat input, got shape %v (add a flatten layer)", cur.dims())
	}
	act := actSoftmax
	if regression {
		act = actLinear
	}
	add(layer{kind: kDense, act: act, name: "y_pred", in: cur, out: flatShape(outputs), wn: cur.c * outputs, bn: outputs})
	if np+ns > limit {
		return nil, fmt.Errorf("learn: network has %d parameters, more than %d", np+ns, limit)
	}
	n.params = make([]float32, np)
	n.state = make([]float32, ns)
	n.maxSize = in.Features()
	for i := range n.layers {
		n.maxSize = max(n.maxSize, n.layers[i].out.size())
		if n.layers[i].kind == kBatchNorm {
			l := &n.layers[i]
			for c := range l.out.c {
				n.params[l.w+c] = 1        // gamma
				n.state[l.s+l.out.c+c] = 1 // moving variance
			}
		}
	}
	return n, nil
}

// initParams sets every kernel as Keras' glorot_uniform does,
// U(−√(6/(fan_in+fan_out)), +√(…)), and biases to zero, from rng.
func (n *Network) initParams(rng *rand.Rand) {
	for i := range n.layers {
		l := &n.layers[i]
		var fanIn, fanOut int
		switch l.kind {
		case kDense:
			fanIn, fanOut = l.in.c, l.out.c
		case kConv1D:
			fanIn, fanOut = l.k*l.in.c, l.k*l.out.c
		case kConv2D:
			fanIn, fanOut = l.k*l.k*l.in.c, l.k*l.k*l.out.c
		default:
			continue
		}
		lim := math.Sqrt(6 / float64(fanIn+fanOut))
		w := n.params[l.w : l.w+l.wn]
		for j := range w {
			w[j] = float32((2*rng.Float64() - 1) * lim)
		}
		clear(n.params[l.b : l.b+l.bn])
	}
}

// Labels returns the class names in output order (classification), or the single
// target name (regression).
func (n *Network) Labels() []string { return append([]string(nil), n.labels...) }

// Outputs returns the number of network outputs.
func (n *Network) Outputs() int { return n.layers[len(n.layers)-1].out.c }

// Features returns the number of input features per window.
func (n *Network) Features() int { return n.in.Features() }

// Shape returns the input shape the network was built for.
func (n *Network) Shape() Input { return n.in }

// Regression reports whether the network has a linear output trained with MSE.
func (n *Network) Regression() bool { return n.regression }

// ErrShape is returned when a window or matrix has the wrong number of features.
var ErrShape = errors.New("learn: wrong number of features")

// ErrNotFinite is returned for NaN or infinite inputs.
var ErrNotFinite = errors.New("learn: value is NaN or infinite")

// Classify runs the network on one window x and stores its outputs (softmax
// probabilities, or the regression value) in dst, which it returns. A dst with
// too small a capacity is reallocated; with enough capacity Classify does not
// allocate.
func (n *Network) Classify(dst, x []float64) ([]float64, error) {
	if len(x) != n.Features() {
		return dst, fmt.Errorf("%w: window has %d, network takes %d", ErrShape, len(x), n.Features())
	}
	sp, _ := n.pool.Get().(*[]float32)
	if sp == nil {
		s := make([]float32, 2*n.maxSize)
		sp = &s
	}
	buf := *sp
	a := buf[:n.maxSize]
	for i, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			n.pool.Put(sp)
			return dst, fmt.Errorf("%w: feature %d is %v", ErrNotFinite, i, v)
		}
		a[i] = float32(v)
	}
	out := n.forward(buf, 1)
	if cap(dst) < len(out) {
		dst = make([]float64, len(out))
	}
	dst = dst[:len(out)]
	for i, v := range out {
		dst[i] = float64(v)
	}
	n.pool.Put(sp)
	return dst, nil
}

// forward runs the inference pass on nb windows stored at the start of buf,
// which holds two halves of nb·maxSize floats, and returns the output slice
// (inside buf).
func (n *Network) forward(buf []float32, nb int) []float32 {
	half := len(buf) / 2
	x, y := buf[:half], buf[half:]
	for i := range n.layers {
		l := &n.layers[i]
		if l.view() {
			continue
		}
		l.forward(n.params, n.state, x[:nb*l.in.size()], y[:nb*l.out.size()], nb)
		x, y = y, x
	}
	return x[:nb*n.Outputs()]
}

// forward computes the inference-mode output of l for nb windows, activation
// included.
func (l *layer) forward(p, st, x, y []float32, nb int) {
	l.apply(p, st, x, y, nil, nb)
	switch l.act {
	case actReLU:
		relu(y)
	case actSoftmax:
		for i := 0; i < len(y); i += l.out.c {
			softmax(y[i : i+l.out.c])
		}
	}
}

// apply computes the output of l for nb windows before its activation, in
// inference mode: batch normalisation with its moving statistics, dropout as
// the identity. When idx is not nil, max pooling records its argmax there.
func (l *layer) apply(p, st, x, y []float32, idx []int32, nb int) {
	switch l.kind {
	case kDense:
		denseForward(p[l.w:l.w+l.wn], p[l.b:l.b+l.bn], x, y, nb, l.in.c, l.out.c)
	case kConv1D:
		convForward(p[l.w:l.w+l.wn], p[l.b:l.b+l.bn], x, y, nb, 1, l.in.w, l.in.c, l.out.c, 1, l.k)
	case kConv2D:
		convForward(p[l.w:l.w+l.wn], p[l.b:l.b+l.bn], x, y, nb, l.in.h, l.in.w, l.in.c, l.out.c, l.k, l.k)
	case kPool1D:
		maxPool(x, y, idx, nb, 1, l.in.w, l.in.c)
	case kPool2D:
		maxPool(x, y, idx, nb, l.in.h, l.in.w, l.in.c)
	case kBatchNorm:
		c := l.out.c
		g, b := p[l.w:l.w+c], p[l.b:l.b+c]
		mean, vr := st[l.s:l.s+c], st[l.s+c:l.s+2*c]
		for i := 0; i < len(x); i += c {
			xr, yr := x[i:i+c], y[i:i+c]
			for j := range yr {
				yr[j] = float32((xr[j]-mean[j])/float32(math.Sqrt(float64(vr[j]+bnEpsilon)))*g[j]) + b[j]
			}
		}
	case kReshape, kDropout:
		copy(y, x)
	}
}

// softmax replaces z by exp(z−max)/Σexp(z−max), computed in float64.
func softmax(z []float32) {
	m := z[0]
	for _, v := range z[1:] {
		m = max(m, v)
	}
	var s float64
	for i, v := range z {
		e := math.Exp(float64(v - m))
		z[i] = float32(e)
		s += e
	}
	for i := range z {
		z[i] = float32(float64(z[i]) / s)
	}
}
