package learn_test

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/tinyimpulse/tinyimpulse/learn"
	"gonum.org/v1/gonum/mat"
)

// twoClusters returns n windows of 10 features around two centres.
func twoClusters(n int) learn.Dataset {
	rng := rand.New(rand.NewPCG(1, 2))
	X := mat.NewDense(n, 10, nil)
	y := make([]int, n)
	for i := range n {
		y[i] = i % 2
		for j := range 10 {
			X.Set(i, j, float64(2*y[i]-1)+0.5*rng.NormFloat64())
		}
	}
	return learn.Dataset{X: X, Y: y, Labels: []string{"idle", "wave"}}
}

func ExampleDefaultConfig() {
	cfg := learn.DefaultConfig(learn.Input{Kind: learn.InputMFCC, Width: 50, Height: 13})
	fmt.Println(cfg.TrainingCycles, cfg.LearningRate)
	for _, l := range cfg.VisualLayers {
		fmt.Println(l.Type, l.Neurons, l.Columns)
	}
	// Output:
	// 100 0.005
	// reshape 0 13
	// conv1d 8 0
	// dropout 0 0
	// conv1d 16 0
	// dropout 0 0
	// flatten 0 0
}

func ExampleTrain() {
	d := twoClusters(200)
	in := learn.Input{Kind: learn.InputFlat, Width: 10}
	cfg := learn.DefaultConfig(in) // dense 20 → dense 10, 30 epochs, lr 0.0005
	res, err := learn.Train(context.Background(), cfg, in, d, learn.Options{Seed: 3})
	if err != nil {
		fmt.Println(err)
		return
	}
	last := res.History[len(res.History)-1]
	fmt.Printf("trained on %d, validated on %d windows\n", len(res.Train), len(res.Validation))
	fmt.Printf("validation accuracy %.2f\n", last.ValAccuracy)

	p, err := res.Network.Classify(nil, d.X.RawRowView(1))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("window 1 is %q\n", res.Network.Labels()[argmax(p)])
	// Output:
	// trained on 160, validated on 40 windows
	// validation accuracy 1.00
	// window 1 is "wave"
}

func ExampleQuantize() {
	d := twoClusters(200)
	in := learn.Input{Kind: learn.InputFlat, Width: 10}
	res, err := learn.Train(context.Background(), learn.DefaultConfig(in), in, d, learn.Options{Seed: 3})
	if err != nil {
		fmt.Println(err)
		return
	}
	q, err := learn.Quantize(context.Background(), res.Network, d.X, res.Validation)
	if err != nil {
		fmt.Println(err)
		return
	}
	probs, err := learn.Predict(context.Background(), q, d.X, res.Validation)
	if err != nil {
		fmt.Println(err)
		return
	}
	correct := 0
	for i, r := range res.Validation {
		if argmax(probs.RawRowView(i)) == d.Y[r] {
			correct++
		}
	}
	fmt.Printf("int8 validation accuracy %.2f, output scale 1/%.0f, zero point %d\n",
		float64(correct)/float64(len(res.Validation)), 1/q.OutputQuant().Scale, q.OutputQuant().ZeroPoint)
	// Output:
	// int8 validation accuracy 1.00, output scale 1/256, zero point -128
}

func ExampleNetwork_Graph() {
	d := twoClusters(50)
	in := learn.Input{Kind: learn.InputFlat, Width: 10}
	cfg := learn.DefaultConfig(in)
	cfg.TrainingCycles = 1
	res, err := learn.Train(context.Background(), cfg, in, d, learn.Options{Seed: 3})
	if err != nil {
		fmt.Println(err)
		return
	}
	g := res.Network.Graph()
	for _, op := range g.Ops {
		consts := 0
		for _, id := range op.Inputs[1:] {
			consts += g.Tensors[id].Bytes()
		}
		fmt.Println(op.Kind, g.Tensors[op.Inputs[0]].Shape, g.Tensors[op.Outputs[0]].Shape, "relu", op.ReLU, op.MACs, consts)
	}
	// Output:
	// FULLY_CONNECTED [1 10] [1 20] relu true 200 880
	// FULLY_CONNECTED [1 20] [1 10] relu true 200 840
	// FULLY_CONNECTED [1 10] [1 2] relu false 20 88
	// SOFTMAX [1 2] [1 2] relu false 0 0
}

func argmax(v []float64) int {
	b := 0
	for i, x := range v {
		if x > v[b] {
			b = i
		}
	}
	return b
}
