package deploy_test

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/tinyimpulse/tinyimpulse/anomaly"
	"github.com/tinyimpulse/tinyimpulse/deploy"
	"github.com/tinyimpulse/tinyimpulse/dsp"
	"github.com/tinyimpulse/tinyimpulse/learn"
)

// TestImpulseErrors checks that parts that do not fit together, names that
// are not C identifiers and what the runtime cannot run are refused with
// an error naming the problem.
func TestImpulseErrors(t *testing.T) {
	spectral, err := dsp.NewSpectral(dsp.DefaultSpectralConfig(), dsp.Input{FrequencyHz: 62.5, Axes: 3, Samples: 125})
	if err != nil {
		t.Fatal(err)
	}
	blk, err := deploy.NewDSPBlock(spectral)
	if err != nil {
		t.Fatal(err)
	}
	d := blobs(60, 39, 3, 1, 5)
	in := learn.Input{Kind: learn.InputFlat, Width: 39}
	res, err := learn.Train(context.Background(), learn.Config{VisualLayers: []learn.VisualLayer{{Type: "dense", Neurons: 4}}, TrainingCycles: 1}, in, d, learn.Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	net, err := deploy.NewNetwork(res.Network.Graph())
	if err != nil {
		t.Fatal(err)
	}
	km, err := anomaly.FitKMeans(context.Background(), anomaly.KMeansConfig{ClusterCount: 2}, d.X, 1)
	if err != nil {
		t.Fatal(err)
	}
	an, err := deploy.NewAnomaly(km)
	if err != nil {
		t.Fatal(err)
	}
	good := func() *deploy.Impulse {
		return &deploy.Impulse{InputAxes: 3, InputLength: 375, DSP: []deploy.ImpulseDSP{{Block: blk}},
			Network: net, NetworkInput: []deploy.Range{{0, 39}}, Labels: d.Labels, MinScore: 0.6,
			Anomaly: an, AnomalyInput: []deploy.Range{{0, 39}}, AnomalyThreshold: 0.3}
	}
	if _, err := good().CSource("imp"); err != nil {
		t.Fatalf("a valid impulse: %v", err)
	}
	for _, c := range []struct {
		name string
		edit func(*deploy.Impulse)
		want string
	}{
		{"no blocks", func(i *deploy.Impulse) { i.DSP = nil }, "without processing blocks"},
		{"input not whole samples", func(i *deploy.Impulse) { i.InputLength = 376 }, "whole number"},
		{"window length", func(i *deploy.Impulse) { i.InputLength = 300 }, "takes 375 values"},
		{"axis out of range", func(i *deploy.Impulse) { i.DSP[0].Axes = []int{0, 1, 3} }, "reads axis 3"},
		{"range past the features", func(i *deploy.Impulse) { i.NetworkInput = []deploy.Range{{10, 39}} }, "reads features [10, 49) of 39"},
		{"too few features", func(i *deploy.Impulse) { i.AnomalyInput = []deploy.Range{{0, 30}} }, "reads 30 features, it takes 39"},
		{"labels", func(i *deploy.Impulse) { i.Labels = i.Labels[:2] }, "2 labels for 3 network outputs"},
	} {
		imp := good()
		c.edit(imp)
		if _, err := imp.CSource("imp"); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
	if _, err := good().CSource("not an identifier"); err == nil {
		t.Error("accepted a name that is not a C identifier")
	}
	if _, err := blk.CSource("9lives"); err == nil {
		t.Error("DSPBlock.CSource accepted a name that is not a C identifier")
	}
	q, err := learn.Quantize(context.Background(), res.Network, d.X, res.Validation)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := deploy.NewNetwork(q.Graph()); err != nil {
		t.Errorf("int8 graph: %v", err)
	}
	// A bias so large that the int32 accumulator could overflow (undefined
	// in C), and an operator the runtime does not have.
	big := q.Graph()
	big.Tensors[big.Ops[0].Inputs[2]].Int32[0] = math.MaxInt32 - 10
	if _, err := deploy.NewNetwork(big); !errors.Is(err, deploy.ErrUnsupported) || !strings.Contains(err.Error(), "overflow") {
		t.Errorf("int8 graph whose accumulator could overflow: error %v, want ErrUnsupported naming the overflow", err)
	}
	add := q.Graph()
	add.Ops[0].Kind = "ADD"
	if _, err := deploy.NewNetwork(add); !errors.Is(err, deploy.ErrUnsupported) || !strings.Contains(err.Error(), "ADD") {
		t.Errorf("int8 graph with an ADD: error %v, want ErrUnsupported naming ADD", err)
	}
	if _, err := deploy.NewDSPBlock(fakeBlock{spectral}); err == nil {
		t.Error("NewDSPBlock accepted a block from outside package dsp")
	}
}

// fakeBlock is a dsp.Block that package dsp did not build.
type fakeBlock struct{ dsp.Block }
