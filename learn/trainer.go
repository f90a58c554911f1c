package learn

import (
	"math"
	"math/rand/v2"
)

// trainer holds every buffer one training step needs, so that a step does not
// allocate.
type trainer struct {
	net     *Network
	nb      int         // batch size
	acts    [][]float32 // acts[i] is the input of layer i, acts[len] the logits
	grads   [][]float32 // gradients of acts
	idx     [][]int32   // max-pooling argmax
	mask    [][]float32 // dropout scale per element (0 or 1/(1−rate))
	xhat    [][]float32 // batch normalisation: normalised input
	inv     [][]float32 // batch normalisation: 1/√(var+ε) per channel
	needDx  []bool      // layer i must produce its input gradient
	g, m, v []float32   // gradient and Adam moments, laid out like params
	wt      []float32   // a dense or convolution kernel transposed (denseBackward, convBackwardPadded)
	xpad    [][]float32 // convolutions: the zero-padded input (padInput)
	dxpad   [][]float32 // convolutions: its gradient
	patch   []float32   // convolutions with few taps per kernel row: one window's patches
	dwT     []float32   // a kernel gradient transposed (sparseGrad)
	steps   int
	drop    *rand.Rand
	// fixMask makes dropout reuse its last mask (gradient checks).
	fixMask bool
	peer    *peer // computes half of every batch on another goroutine
	trainData
	rows []int // rows of the current batch
}

// trainData is the data set a trainer (and its peer) draws batches from.
type trainData struct {
	xs      []float32 // all windows, row-major
	nf      int       // features per window
	y       []int     // classes (classification)
	targets []float64 // targets (regression)
	sw      []float64 // sample weights
}

func newTrainer(n *Network, batch int, seed uint64) *trainer {
	L := len(n.layers)
	t := &trainer{net: n, nb: batch,
		acts: make([][]float32, L+1), grads: make([][]float32, L+1),
		idx: make([][]int32, L), mask: make([][]float32, L), xhat: make([][]float32, L), inv: make([][]float32, L),
		xpad: make([][]float32, L), dxpad: make([][]float32, L),
		needDx: make([]bool, L),
		g:      make([]float32, len(n.params)), m: make([]float32, len(n.params)), v: make([]float32, len(n.params)),
		drop: newRand(seed, 4),
	}
	t.acts[0] = make([]float32, batch*n.in.Features())
	t.grads[0] = make([]float32, batch*n.in.Features())
	params := false
	for i := range n.layers {
		l := &n.layers[i]
		switch l.kind {
		case kDense:
			t.wt = make([]float32, max(len(t.wt), l.wn))
		case kConv1D, kConv2D:
			kh := l.kernelRows()
			t.xpad[i] = make([]float32, batch*(l.in.h+kh-1)*(l.in.w+l.k-1)*l.in.c)
			if i+1 < L && (n.layers[i+1].kind == kPool2D || n.layers[i+1].kind == kPool1D) && sparseGrad(l.act == actReLU && !l.l1, l.out.c, l.k*l.in.c) {
				t.dwT = make([]float32, max(len(t.dwT), l.wn))
			}
			if kh > 1 && l.k*l.in.c <= patchTaps {
				t.patch = make([]float32, max(len(t.patch), l.in.h*l.in.w*kh*l.k*l.in.c))
			}
			if params {
				t.dxpad[i] = make([]float32, len(t.xpad[i]))
				t.wt = make([]float32, max(len(t.wt), l.wn))
			}
		}
		t.needDx[i] = params
		params = params || l.wn > 0
		if l.kind == kReshape {
			t.acts[i+1], t.grads[i+1] = t.acts[i], t.grads[i]
			continue
		}
		sz := batch * l.out.size()
		t.acts[i+1] = make([]float32, sz)
		t.grads[i+1] = make([]float32, sz)
		switch l.kind {
		case kPool1D, kPool2D:
			t.idx[i] = make([]int32, sz)
		case kDropout:
			t.mask[i] = make([]float32, sz)
		case kBatchNorm:
			t.xhat[i] = make([]float32, sz)
			t.inv[i] = make([]float32, l.out.c)
		}
	}
	return t
}

// load copies the windows of rows into acts[0].
func (t *trainer) load(rows []int) {
	t.rows = rows
	for j, r := range rows {
		copy(t.acts[0][j*t.nf:(j+1)*t.nf], t.xs[r*t.nf:(r+1)*t.nf])
	}
}

// step trains on one batch and returns the summed (weighted) loss of the batch,
// activity regularisation included, and the number of correct predictions.
// With a peer, the second half of the batch runs on the peer's goroutine and
// its gradient is added to this half's (always in this order, so the result
// does not depend on scheduling).
func (t *trainer) step(rows []int, lr float64) (float64, int) {
	nb := len(rows)
	if t.peer == nil || nb < 2 {
		t.load(rows)
		reg := t.forward(nb, true)
		loss, correct := t.head(nb, true)
		t.backward(nb)
		t.adam(lr)
		return loss + reg, correct
	}
	half := (nb + 1) / 2
	t.peer.req <- peerReq{rows: rows[half:], total: nb}
	t.load(rows[:half])
	reg := t.forward(half, true)
	loss, correct := t.headOf(half, nb, true)
	t.backwardOf(half, nb)
	r := <-t.peer.res
	g, pg := t.g, t.peer.t.g[:len(t.g)]
	for i, v := range pg {
		g[i] += v
	}
	t.adam(lr)
	return loss + reg + r.loss, correct + r.correct
}

// peer is a second trainer on its own goroutine that computes the gradient
// of the second half of every batch.
type peer struct {
	t   *trainer
	req chan peerReq
	res chan peerRes
}

type peerReq struct {
	rows  []int
	total int
}

type peerRes struct {
	loss    float64
	correct int
}

// minParallelMACs is the forward work per window (multiply-accumulates) from
// which a batch is split over two goroutines; below it the hand-over costs
// more than it saves. The choice depends only on the architecture, so a given
// network and seed always train the same way.
const minParallelMACs = 8192

// parallel reports whether n trains with a peer: enough work per window and
// no batch normalisation (whose statistics span the whole batch).
func parallel(n *Network) bool {
	macs := 0
	for i := range n.layers {
		l := &n.layers[i]
		switch l.kind {
		case kBatchNorm:
			return false
		case kDense, kConv1D, kConv2D:
			macs += l.out.size() * l.wn / l.out.c
		}
	}
	return macs >= minParallelMACs
}

// startPeer gives t a peer sharing its network and data; stop must be called.
func (t *trainer) startPeer(seed uint64) {
	p := newTrainer(t.net, (t.nb+1)/2, seed)
	p.drop = newRand(seed, 5)
	p.trainData = t.trainData
	t.peer = &peer{t: p, req: make(chan peerReq), res: make(chan peerRes)}
	go func(pp *peer) {
		for r := range pp.req {
			n := len(r.rows)
			pp.t.load(r.rows)
			reg := pp.t.forward(n, true)
			l, c := pp.t.headOf(n, r.total, true)
			pp.t.backwardOf(n, r.total)
			pp.res <- peerRes{loss: l + reg, correct: c}
		}
	}(t.peer)
}

// stop ends the peer's goroutine.
func (t *trainer) stop() {
	if t.peer != nil {
		close(t.peer.req)
		t.peer = nil
	}
}

// evaluate runs the inference pass over rows in batches and returns the summed
// unweighted loss (plus activity regularisation) and the number correct.
func (t *trainer) evaluate(rows []int) (float64, int) {
	var loss float64
	var correct int
	for b := 0; b < len(rows); b += t.nb {
		r := rows[b:min(b+t.nb, len(rows))]
		t.load(r)
		reg := t.forward(len(r), false)
		l, c := t.head(len(r), false)
		loss += l + reg
		correct += c
	}
	return loss, correct
}

// forward computes the activations of nb windows up to the logits and returns
// the activity-regularisation loss summed over the batch (λ·Σ|a|).
func (t *trainer) forward(nb int, train bool) float64 {
	n := t.net
	p, st := n.params, n.state
	var reg float64
	for i := range n.layers {
		l := &n.layers[i]
		x, y := t.acts[i][:nb*l.in.size()], t.acts[i+1][:nb*l.out.size()]
		switch l.kind {
		case kDropout:
			if !train || l.rate == 0 {
				copy(y, x)
				mk := t.mask[i][:len(y)]
				for j := range mk {
					mk[j] = 1
				}
				break
			}
			keep := 1 - l.rate
			scale := 1 / keep
			mk := t.mask[i][:len(y)]
			if t.fixMask {
				for j, v := range x {
					y[j] = v * mk[j]
				}
				break
			}
			thr := uint32(min(float64(l.rate)*(1<<32), 1<<32-1))
			var r uint64
			for j, v := range x {
				if j%2 == 0 {
					r = t.drop.Uint64()
				} else {
					r >>= 32
				}
				var k float32
				if uint32(r) >= thr {
					k = scale
				}
				mk[j] = k
				y[j] = v * k
			}
		case kBatchNorm:
			if train {
				t.bnForwardTrain(i, x, y)
			} else {
				l.apply(p, st, x, y, nil, nb)
			}
		case kReshape: // acts[i+1] is acts[i]
		case kConv1D, kConv2D:
			kh := l.kernelRows()
			padInput(t.xpad[i], x, nb, l.in.h, l.in.w, l.in.c, kh, l.k)
			convForwardPadded(p[l.w:l.w+l.wn], p[l.b:l.b+l.bn], t.xpad[i], y, nb, l.in.h, l.in.w, l.in.c, l.out.c, kh, l.k, l.act == actReLU)
		default:
			l.apply(p, st, x, y, t.idx[i], nb)
		}
		if l.act == actReLU && l.kind != kConv1D && l.kind != kConv2D {
			relu(y)
		}
		if l.l1 {
			var s float64
			for _, v := range y {
				s += math.Abs(float64(v))
			}
			reg += l1Activity * s
		}
	}
	return reg
}

// head computes the loss of the logits against the batch's targets (weighted by
// the sample weights when train) and, when train, the gradient of the mean loss
// with respect to the logits.
func (t *trainer) head(nb int, train bool) (float64, int) { return t.headOf(nb, nb, train) }

// headOf is head for nb windows of a batch of total windows (the gradient is
// that of the mean over the whole batch).
func (t *trainer) headOf(nb, total int, train bool) (float64, int) {
	n := t.net
	L := len(n.layers)
	C := n.Outputs()
	out, dz := t.acts[L][:nb*C], t.grads[L][:nb*C]
	var loss float64
	correct := 0
	inb := 1 / float64(total)
	for s, r := range t.rows {
		w := 1.0
		if train {
			w = t.sw[r]
		}
		z := out[s*C : s*C+C]
		if n.regression {
			d := float64(z[0]) - t.targets[r]
			loss += w * d * d
			dz[s] = float32(2 * w * d * inb)
			continue
		}
		m, am := z[0], 0
		for o, v := range z {
			if v > m {
				m, am = v, o
			}
		}
		var se float64
		for _, v := range z {
			se += math.Exp(float64(v - m))
		}
		lse := float64(m) + math.Log(se)
		y := t.y[r]
		loss += w * (lse - float64(z[y]))
		if am == y {
			correct++
		}
		if train {
			g := dz[s*C : s*C+C]
			for o, v := range z {
				p := math.Exp(float64(v) - lse)
				if o == y {
					p--
				}
				g[o] = float32(w * p * inb)
			}
		}
	}
	return loss, correct
}

// backward propagates the logits' gradient down the layers, accumulating the
// parameter gradients in t.g.
func (t *trainer) backward(nb int) { t.backwardOf(nb, nb) }

// backwardOf is backward for nb windows of a batch of total windows.
func (t *trainer) backwardOf(nb, total int) {
	n := t.net
	clear(t.g)
	p := n.params
	reluDone := -1 // the layer whose ReLU gradient pooling applied
	for i := len(n.layers) - 1; i >= 0; i-- {
		l := &n.layers[i]
		x, y := t.acts[i][:nb*l.in.size()], t.acts[i+1][:nb*l.out.size()]
		dy := t.grads[i+1][:nb*l.out.size()]
		var dx []float32
		if t.needDx[i] {
			dx = t.grads[i][:nb*l.in.size()]
		}
		if l.act == actReLU && i != reluDone {
			var g float32
			if l.l1 {
				g = float32(l1Activity / float64(total))
			}
			reluBackward(dy, y, g)
		}
		switch l.kind {
		case kDense:
			denseBackward(p[l.w:l.w+l.wn], t.g[l.w:l.w+l.wn], t.g[l.b:l.b+l.bn], x, dy, dx, t.wt, nb, l.in.c, l.out.c)
		case kConv1D, kConv2D:
			kh := l.kernelRows()
			var dxp []float32
			if dx != nil {
				dxp = t.dxpad[i]
			}
			var dwT []float32
			if sparseGrad(i == reluDone, l.out.c, l.k*l.in.c) {
				dwT = t.dwT
			}
			convBackwardPadded(p[l.w:l.w+l.wn], t.g[l.w:l.w+l.wn], t.g[l.b:l.b+l.bn], t.xpad[i], dy, dxp, t.wt, t.patch, dwT, nb, l.in.h, l.in.w, l.in.c, l.out.c, kh, l.k)
			if dx != nil {
				unpadInput(dx, dxp, nb, l.in.h, l.in.w, l.in.c, kh, l.k)
			}
		case kPool1D, kPool2D:
			if dx != nil {
				var yin, yout []float32
				if i > 0 && n.layers[i-1].act == actReLU && !n.layers[i-1].l1 {
					yin, yout, reluDone = x, y, i-1
				}
				poolBackward(dy, dx, t.idx[i], yin, yout, nb, l.in.h, l.in.w, l.in.c)
			}
		case kDropout:
			if dx != nil {
				for j, g := range dy {
					dx[j] = g * t.mask[i][j]
				}
			}
		case kBatchNorm:
			t.bnBackward(i, dy, dx)
		case kReshape:
		}
	}
}

// adam applies one Adam step to every parameter, as Keras does (products are
// rounded before they are added, see axpyRows):
// α_t = lr·√(1−β2^t)/(1−β1^t), m += (g−m)(1−β1), v += (g²−v)(1−β2),
// w −= α_t·m/(√v + ε); then the MaxNorm(1) constraint of conv2d kernels.
func (t *trainer) adam(lr float64) {
	const b1, b2, eps = 0.9, 0.999, 1e-7
	t.steps++
	a := float32(lr * math.Sqrt(1-math.Pow(b2, float64(t.steps))) / (1 - math.Pow(b1, float64(t.steps))))
	p, m, v := t.net.params, t.m, t.v
	m, v = m[:len(p)], v[:len(p)]
	for i, g := range t.g[:len(p)] {
		m[i] += float32((g - m[i]) * (1 - b1))
		v[i] += float32((float32(g*g) - v[i]) * (1 - b2))
		p[i] -= a * m[i] / (float32(math.Sqrt(float64(v[i]))) + eps)
	}
	for i := range t.net.layers {
		l := &t.net.layers[i]
		if l.maxNorm {
			applyMaxNorm(p[l.w:l.w+l.wn], l.k)
		}
	}
}

// applyMaxNorm applies Keras' MaxNorm(1) with its default axis 0, as Studio's
// generated Conv2D layers get it (kernel_constraint=MaxNorm(1), no axis), to a
// (kh, kw, cin, cout) kernel: the norm is taken over the kh axis alone, one
// norm per (kw, cin, cout) column, and every column becomes
// w·clip(‖w‖, 0, 1)/(ε + ‖w‖) with ε = 1e-7. It does not cap whole filters
// (Keras' axis=[0, 1, 2]).
func applyMaxNorm(w []float32, kh int) {
	cols := len(w) / kh
	for j := range cols {
		var s float64
		for i := j; i < len(w); i += cols {
			s += float64(w[i]) * float64(w[i])
		}
		nrm := math.Sqrt(s)
		f := float32(min(nrm, maxNormConv) / (kerasEps + nrm))
		for i := j; i < len(w); i += cols {
			w[i] *= f
		}
	}
}

// bnForwardTrain normalises with the batch statistics (biased variance) and
// updates the moving statistics: moving −= (moving − batch)·(1 − momentum). For
// 2-D feature maps (Keras' fused kernel) the moving variance takes the unbiased
// batch variance, as TensorFlow's fused batch norm does.
func (t *trainer) bnForwardTrain(i int, x, y []float32) {
	n := t.net
	l := &n.layers[i]
	c := l.out.c
	M := len(x) / c
	g, b := n.params[l.w:l.w+c], n.params[l.b:l.b+c]
	mean, vr := n.state[l.s:l.s+c], n.state[l.s+c:l.s+2*c]
	xh := t.xhat[i][:len(x)]
	inv := t.inv[i]
	for j := range c {
		var s float64
		for k := j; k < len(x); k += c {
			s += float64(x[k])
		}
		mu := s / float64(M)
		var s2 float64
		for k := j; k < len(x); k += c {
			d := float64(x[k]) - mu
			s2 += float64(d * d)
		}
		va := s2 / float64(M)
		iv := 1 / math.Sqrt(va+bnEpsilon)
		inv[j] = float32(iv)
		for k := j; k < len(x); k += c {
			h := float32((float64(x[k]) - mu) * iv)
			xh[k] = h
			y[k] = float32(h*g[j]) + b[j]
		}
		uv := va
		if l.in.rank == 3 && M > 1 {
			uv = va * float64(M) / float64(M-1)
		}
		mean[j] -= float32((mean[j] - float32(mu)) * (1 - bnMomentum))
		vr[j] -= float32((vr[j] - float32(uv)) * (1 - bnMomentum))
	}
}

// bnBackward: dγ += Σ dy·x̂, dβ += Σ dy, dx = γ·inv/M·(M·dy − Σdy − x̂·Σdy·x̂).
func (t *trainer) bnBackward(i int, dy, dx []float32) {
	n := t.net
	l := &n.layers[i]
	c := l.out.c
	M := len(dy) / c
	g := n.params[l.w : l.w+c]
	dg, db := t.g[l.w:l.w+c], t.g[l.b:l.b+c]
	xh := t.xhat[i][:len(dy)]
	for j := range c {
		var sd, sdx float64
		for k := j; k < len(dy); k += c {
			sd += float64(dy[k])
			sdx += float64(float64(dy[k]) * float64(xh[k]))
		}
		dg[j] += float32(sdx)
		db[j] += float32(sd)
		if dx == nil {
			continue
		}
		f := float64(g[j]) * float64(t.inv[i][j]) / float64(M)
		for k := j; k < len(dy); k += c {
			dx[k] = float32(f * (float64(float64(M)*float64(dy[k])) - sd - float64(float64(xh[k])*sdx)))
		}
	}
}

// relu sets negative values (and −0) to +0 without branches.
func relu(y []float32) {
	if useAVX2 && len(y) >= 8 {
		n := len(y) &^ 7
		reluAVX(y[:n])
		y = y[n:]
	}
	for j, v := range y {
		u := math.Float32bits(v)
		y[j] = math.Float32frombits(u &^ uint32(int32(u)>>31))
	}
}

// reluBackward sets dy[j] = dy[j]+g where y[j] > 0 and 0 elsewhere (y ≥ 0).
func reluBackward(dy, y []float32, g float32) {
	y = y[:len(dy)]
	if useAVX2 && len(dy) >= 8 {
		n := len(dy) &^ 7
		reluBackAVX(dy[:n], y[:n], g)
		dy, y = dy[n:], y[n:]
	}
	for j, v := range y {
		u := math.Float32bits(v)
		m := uint32(int32(u|-u) >> 31) // all ones when y[j] ≠ 0
		dy[j] = math.Float32frombits(math.Float32bits(dy[j]+g) & m)
	}
}
