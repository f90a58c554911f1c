package device

import (
	"context"
	"errors"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/tinyimpulse/tinyimpulse/learn"
)

// TestFromGraph describes learn's graphs of every layer type and checks that
// the estimator's own MAC count (from shapes and kernels) agrees with the
// graph's, operator by operator, in both model types, and that the constant
// bytes are the graph's weights and biases.
func TestFromGraph(t *testing.T) {
	t.Parallel()
	rate := 0.25
	for _, c := range []struct {
		name   string
		in     learn.Input
		layers []learn.VisualLayer
	}{
		{"dense", learn.Input{Kind: learn.InputFlat, Width: 33}, nil},
		{"kws", learn.Input{Kind: learn.InputMFCC, Width: 50, Height: 13}, nil},
		{"image", learn.Input{Kind: learn.InputImage, Width: 16, Height: 16, Channels: 1}, nil},
		{"batchnorm", learn.Input{Kind: learn.InputFlat, Width: 12}, []learn.VisualLayer{{Type: "dense", Neurons: 8},
			{Type: "batchNormalization"}, {Type: "dropout", DropoutRate: &rate}, {Type: "dense", Neurons: 4}}},
	} {
		cfg := learn.DefaultConfig(c.in)
		if c.layers != nil {
			cfg.VisualLayers = c.layers
		}
		n, err := learn.New(cfg, c.in, []string{"a", "b", "c"}, false, 1)
		if err != nil {
			t.Fatal(err)
		}
		X := mat.NewDense(4, c.in.Features(), nil)
		for i := range 4 {
			for j := range c.in.Features() {
				X.Set(i, j, float64((i*7+j*3)%11)/10)
			}
		}
		q, err := learn.Quantize(context.Background(), n, X, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range []*learn.Graph{n.Graph(), q.Graph()} {
			dn, err := FromGraph(g)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			macs, err := dn.MACs()
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			consts := 0
			for i, op := range g.Ops {
				if macs[i] != float64(op.MACs) {
					t.Errorf("%s %v op %d (%s): estimator counts %v MACs, the graph %d", c.name, g.DType, i, op.Kind, macs[i], op.MACs)
				}
				consts += dn.Ops[i].WeightBytes + dn.Ops[i].BiasBytes
			}
			want := 0
			for _, tn := range g.Tensors {
				if tn.Constant() && !isShape(g, tn.Name) {
					want += tn.Bytes()
				}
			}
			if consts != want {
				t.Errorf("%s %v: %d constant bytes, the graph's weights and biases are %d", c.name, g.DType, consts, want)
			}
			if _, err := ProfileNetwork(dn, ProfileConfig{}); err != nil {
				t.Errorf("%s %v: %v", c.name, g.DType, err)
			}
		}
	}
	if _, err := FromGraph(nil); !errors.Is(err, ErrNetwork) {
		t.Errorf("nil graph: %v", err)
	}
}

// isShape reports whether a constant tensor is a RESHAPE's target shape.
func isShape(g *learn.Graph, name string) bool {
	for _, op := range g.Ops {
		if op.Kind == learn.OpReshape && g.Tensors[op.Inputs[1]].Name == name {
			return true
		}
	}
	return false
}
