// Package gorgref builds small networks in gorgonia (symbolic differentiation,
// float64) so that learn's own float32 kernels can be checked against an
// independent implementation: forward outputs, loss and gradients. It is used
// by tests only; no gorgonia type leaves this package.
package gorgref

import (
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Dense is a fully connected layer with a (in, out) row-major kernel, as Keras
// stores it.
type Dense struct {
	In, Out int
	W, B    []float64
	ReLU    bool
	L1      float64 // activity regulariser factor (0 for none)
}

// Conv1D is a 'same', stride-1 1-D convolution (kernel (k, cin, cout), Keras
// layout) with ReLU, followed by MaxPooling1D(2, 2) when Pool is set.
type Conv1D struct {
	K, Cin, Cout int
	W, B         []float64
	Pool         bool
}

// Result holds the outputs of one batch.
type Result struct {
	Loss  float64   // mean cross-entropy plus activity regularisation / batch
	Probs []float64 // softmax outputs, row-major (batch, classes)
	// Grads holds, per layer in order (convolutions first, then dense layers),
	// the gradient of Loss for the kernel (in the layer's Keras layout) and the bias.
	GradW, GradB [][]float64
}

// Run evaluates a network made of convs (applied to x seen as (n, steps, cin),
// channels-last) followed by a flatten and the dense layers (the last one is the
// softmax output), with integer class labels y.
func Run(x []float64, n, steps int, convs []Conv1D, dense []Dense, y []int) (*Result, error) {
	g := G.NewGraph()
	var learnables G.Nodes
	var l1 []*G.Node
	var cur *G.Node
	if len(convs) > 0 {
		cin := convs[0].Cin
		// (n, steps, cin) → (n, cin, 1, steps)
		xt := make([]float64, len(x))
		for s := range n {
			for t := range steps {
				for c := range cin {
					xt[((s*cin+c)*1)*steps+t] = x[(s*steps+t)*cin+c]
				}
			}
		}
		cur = G.NewTensor(g, tensor.Float64, 4, G.WithShape(n, cin, 1, steps), G.WithName("x"),
			G.WithValue(tensor.New(tensor.WithShape(n, cin, 1, steps), tensor.WithBacking(xt))))
		for i, c := range convs {
			f := make([]float64, len(c.W)) // (cout, cin, 1, k)
			for j := range c.K {
				for ci := range c.Cin {
					for co := range c.Cout {
						f[(co*c.Cin+ci)*c.K+j] = c.W[(j*c.Cin+ci)*c.Cout+co]
					}
				}
			}
			wn := G.NewTensor(g, tensor.Float64, 4, G.WithShape(c.Cout, c.Cin, 1, c.K), G.WithName(fmt.Sprintf("cw%d", i)),
				G.WithValue(tensor.New(tensor.WithShape(c.Cout, c.Cin, 1, c.K), tensor.WithBacking(f))))
			bn := G.NewTensor(g, tensor.Float64, 4, G.WithShape(1, c.Cout, 1, 1), G.WithName(fmt.Sprintf("cb%d", i)),
				G.WithValue(tensor.New(tensor.WithShape(1, c.Cout, 1, 1), tensor.WithBacking(append([]float64(nil), c.B...)))))
			learnables = append(learnables, wn, bn)
			conv, err := G.Conv2d(cur, wn, tensor.Shape{1, c.K}, []int{0, (c.K - 1) / 2}, []int{1, 1}, []int{1, 1})
			if err != nil {
				return nil, err
			}
			if conv, err = G.BroadcastAdd(conv, bn, nil, []byte{0, 2, 3}); err != nil {
				return nil, err
			}
			if cur, err = G.Rectify(conv); err != nil {
				return nil, err
			}
			if c.Pool {
				if cur, err = G.MaxPool2D(cur, tensor.Shape{1, 2}, []int{0, 0}, []int{1, 2}); err != nil {
					return nil, err
				}
			}
		}
		// (n, c, 1, L) → channels-last flatten (n, L·c)
		sh := cur.Shape()
		t, err := G.Transpose(cur, 0, 2, 3, 1)
		if err != nil {
			return nil, err
		}
		if cur, err = G.Reshape(t, tensor.Shape{n, sh[1] * sh[3]}); err != nil {
			return nil, err
		}
	} else {
		cur = G.NewMatrix(g, tensor.Float64, G.WithShape(n, dense[0].In), G.WithName("x"),
			G.WithValue(tensor.New(tensor.WithShape(n, dense[0].In), tensor.WithBacking(append([]float64(nil), x...)))))
	}
	for i, d := range dense {
		w := G.NewMatrix(g, tensor.Float64, G.WithShape(d.In, d.Out), G.WithName(fmt.Sprintf("w%d", i)),
			G.WithValue(tensor.New(tensor.WithShape(d.In, d.Out), tensor.WithBacking(append([]float64(nil), d.W...)))))
		b := G.NewMatrix(g, tensor.Float64, G.WithShape(1, d.Out), G.WithName(fmt.Sprintf("b%d", i)),
			G.WithValue(tensor.New(tensor.WithShape(1, d.Out), tensor.WithBacking(append([]float64(nil), d.B...)))))
		learnables = append(learnables, w, b)
		z, err := G.Mul(cur, w)
		if err != nil {
			return nil, err
		}
		if z, err = G.BroadcastAdd(z, b, nil, []byte{0}); err != nil {
			return nil, err
		}
		cur = z
		if d.ReLU {
			if cur, err = G.Rectify(z); err != nil {
				return nil, err
			}
		}
		if d.L1 > 0 {
			a, err := G.Abs(cur)
			if err != nil {
				return nil, err
			}
			s, err := G.Sum(a)
			if err != nil {
				return nil, err
			}
			if s, err = G.Mul(s, G.NewConstant(d.L1/float64(n))); err != nil {
				return nil, err
			}
			l1 = append(l1, s)
		}
	}
	classes := dense[len(dense)-1].Out
	onehot := make([]float64, n*classes)
	for s, c := range y {
		onehot[s*classes+c] = 1
	}
	oh := G.NewMatrix(g, tensor.Float64, G.WithShape(n, classes), G.WithName("onehot"),
		G.WithValue(tensor.New(tensor.WithShape(n, classes), tensor.WithBacking(onehot))))
	probs, err := G.SoftMax(cur)
	if err != nil {
		return nil, err
	}
	lsm, err := G.Log(probs) // gorgonia v0.9.18.s LogSoftMax gave a wrong (negative) loss here
	if err != nil {
		return nil, err
	}
	picked, err := G.HadamardProd(lsm, oh)
	if err != nil {
		return nil, err
	}
	total, err := G.Sum(picked)
	if err != nil {
		return nil, err
	}
	loss, err := G.Mul(total, G.NewConstant(-1/float64(n)))
	if err != nil {
		return nil, err
	}
	for _, r := range l1 {
		if loss, err = G.Add(loss, r); err != nil {
			return nil, err
		}
	}
	var logitsV G.Value
	G.Read(cur, &logitsV)
	if _, err := G.Grad(loss, learnables...); err != nil {
		return nil, err
	}
	m := G.NewTapeMachine(g, G.BindDualValues(learnables...))
	defer m.Close()
	if err := m.RunAll(); err != nil {
		return nil, err
	}
	res := &Result{Loss: loss.Value().Data().(float64), Probs: softmaxRows(logitsV.Data().([]float64), classes)}
	for i, node := range learnables {
		gv, err := node.Grad()
		if err != nil {
			return nil, err
		}
		grad := append([]float64(nil), gv.Data().([]float64)...)
		if i%2 == 1 {
			res.GradB = append(res.GradB, grad)
			continue
		}
		if i/2 < len(convs) { // back to (k, cin, cout)
			c := convs[i/2]
			k := make([]float64, len(grad))
			for j := range c.K {
				for ci := range c.Cin {
					for co := range c.Cout {
						k[(j*c.Cin+ci)*c.Cout+co] = grad[(co*c.Cin+ci)*c.K+j]
					}
				}
			}
			grad = k
		}
		res.GradW = append(res.GradW, grad)
	}
	return res, nil
}

// softmaxRows returns the row-wise softmax of (rows, c) logits. (The graph's own
// softmax output is overwritten in place by the log that follows it.)
func softmaxRows(z []float64, c int) []float64 {
	out := make([]float64, len(z))
	for r := 0; r < len(z); r += c {
		m := z[r]
		for _, v := range z[r : r+c] {
			m = max(m, v)
		}
		var s float64
		for j, v := range z[r : r+c] {
			out[r+j] = math.Exp(v - m)
			s += out[r+j]
		}
		for j := range c {
			out[r+j] /= s
		}
	}
	return out
}
