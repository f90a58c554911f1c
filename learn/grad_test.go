package learn

import (
	"math/rand/v2"
	"testing"
)

// gradCase is a network whose analytic gradients are checked against central
// finite differences of the training loss (dropout masks held fixed).
type gradCase struct {
	name   string
	layers []VisualLayer
	in     Input
	k      int // classes; 0 = regression
	cw     bool
}

func gradCases() []gradCase {
	r := ptr(0.3)
	return []gradCase{
		{name: "dense", layers: []VisualLayer{{Type: "dense", Neurons: 7}, {Type: "dense", Neurons: 5}}, in: Input{Kind: InputFlat, Width: 6}, k: 3},
		{name: "dense-dropout-bn", layers: []VisualLayer{{Type: "dense", Neurons: 8}, {Type: "dropout", DropoutRate: r}, {Type: "batchNormalization"}, {Type: "dense", Neurons: 4}}, in: Input{Kind: InputFlat, Width: 5}, k: 3, cw: true},
		{name: "regression", layers: []VisualLayer{{Type: "dense", Neurons: 6}, {Type: "batchNormalization"}}, in: Input{Kind: InputFlat, Width: 4}},
		{name: "conv1d", layers: []VisualLayer{{Type: "reshape", Columns: 3}, {Type: "conv1d", Neurons: 4, KernelSize: 3, Stack: 2}, {Type: "dropout", DropoutRate: r},
			{Type: "conv1d", Neurons: 5, KernelSize: 4}, {Type: "batchNormalization"}, {Type: "flatten"}}, in: Input{Kind: InputMFCC, Width: 7, Height: 3}, k: 3},
		{name: "conv2d-image", layers: []VisualLayer{{Type: "conv2d", Neurons: 4, KernelSize: 3}, {Type: "batchNormalization"}, {Type: "conv2d", Neurons: 3, KernelSize: 2},
			{Type: "flatten"}, {Type: "dropout", DropoutRate: r}, {Type: "dense", Neurons: 6}}, in: Input{Kind: InputImage, Width: 5, Height: 6, Channels: 2}, k: 4},
		{name: "conv2d-reshape", layers: []VisualLayer{{Type: "reshape", Columns: 4}, {Type: "conv2d", Neurons: 3, KernelSize: 3, Stack: 2}, {Type: "flatten"}},
			in: Input{Kind: InputMFE, Width: 5, Height: 4}, k: 2},
	}
}

// newCaseNet builds the network of c with random weights and a trainer loaded
// with a batch of random windows.
func newCaseNet(t testing.TB, c gradCase, nb int, seed uint64) (*Network, *trainer) {
	t.Helper()
	outputs := max(c.k, 1)
	net, err := build(Config{VisualLayers: c.layers}, c.in, outputs, c.k == 0)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 7))
	net.initParams(rng)
	for i := range net.params {
		net.params[i] += float32(rng.NormFloat64() * 0.05) // non-zero biases, BN γ ≠ 1
	}
	tr := newTrainer(net, nb, seed)
	nf := c.in.Features()
	tr.nf = nf
	tr.xs = make([]float32, nb*nf)
	for i := range tr.xs {
		tr.xs[i] = float32(rng.NormFloat64())
	}
	tr.y = make([]int, nb)
	tr.targets = make([]float64, nb)
	tr.sw = make([]float64, nb)
	rows := make([]int, nb)
	for i := range rows {
		rows[i] = i
		tr.y[i] = i % outputs
		tr.targets[i] = rng.NormFloat64()
		tr.sw[i] = 1
		if c.cw {
			tr.sw[i] = 0.5 + float64(i%3)*0.4
		}
	}
	tr.load(rows)
	return net, tr
}

func TestGradientsFiniteDifferences(t *testing.T) {
	t.Parallel()
	for _, c := range gradCases() {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			const nb = 5
			net, tr := newCaseNet(t, c, nb, 11)
			tr.forward(nb, true) // draws the dropout masks
			tr.fixMask = true
			loss := func() float64 {
				reg := tr.forward(nb, true)
				l, _ := tr.head(nb, true)
				return (l + reg) / nb
			}
			loss()
			tr.backward(nb)
			g := append([]float32(nil), tr.g...)
			// Central differences at two step sizes: where they disagree the loss
			// is not smooth there (a ReLU or max-pool kink within h), and the
			// parameter is skipped; at most 10% may be.
			fd := func(i int, h float32) float64 {
				p0 := net.params[i]
				net.params[i] = p0 + h
				lp := loss()
				net.params[i] = p0 - h
				lm := loss()
				net.params[i] = p0
				return (lp - lm) / float64(2*h)
			}
			bad, skipped := 0, 0
			for i := range net.params {
				n1, n2 := fd(i, 1e-3), fd(i, 5e-4)
				if !close32(n1, n2, 3e-4, 2e-2) {
					skipped++
					continue
				}
				if !close32(float64(g[i]), n2, 3e-4, 2e-2) {
					bad++
					if bad < 10 {
						t.Errorf("param %d: analytic %.6g, finite difference %.6g", i, g[i], n2)
					}
				}
			}
			if bad > 0 || skipped > len(net.params)/10 {
				t.Errorf("%d of %d gradients differ, %d skipped as non-smooth", bad, len(net.params), skipped)
			}
		})
	}
}
