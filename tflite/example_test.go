package tflite_test

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"

	"gonum.org/v1/gonum/mat"

	"github.com/tinyimpulse/tinyimpulse/learn"
	"github.com/tinyimpulse/tinyimpulse/tflite"
)

// Train a small classifier, quantise it as Studio does and export the int8
// network as a .tflite file.
func ExampleExport() {
	// Two classes of 4 features: sin and cos waves.
	X := mat.NewDense(200, 4, nil)
	y := make([]int, 200)
	for i := range 200 {
		y[i] = i % 2
		for j := range 4 {
			v := math.Sin(float64(i+j) / 3)
			if y[i] == 1 {
				v = math.Cos(float64(i+j) / 3)
			}
			X.Set(i, j, v)
		}
	}
	d := learn.Dataset{X: X, Y: y, Labels: []string{"sin", "cos"}}
	in := learn.Input{Kind: learn.InputFlat, Width: 4}
	cfg := learn.Config{VisualLayers: []learn.VisualLayer{{Type: "dense", Neurons: 8}}, TrainingCycles: 3}
	res, err := learn.Train(context.Background(), cfg, in, d, learn.Options{Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	q, err := learn.Quantize(context.Background(), res.Network, X, res.Validation)
	if err != nil {
		fmt.Println(err)
		return
	}
	var file bytes.Buffer
	if err := tflite.Export(&file, res.Network, q, tflite.Int8); err != nil {
		fmt.Println(err)
		return
	}
	m, err := tflite.Unmarshal(file.Bytes())
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, op := range m.Graph.Ops {
		fmt.Println(op.Kind, m.Versions[op.Kind])
	}
	input := m.Graph.Tensors[m.Graph.Input]
	fmt.Println("input", input.Type, input.Shape, "labels", m.Graph.Labels, "runtime", m.MinRuntimeVersion)
	// Output:
	// FULLY_CONNECTED 4
	// FULLY_CONNECTED 4
	// SOFTMAX 2
	// input int8 [1 4] labels [sin cos] runtime 1.14.0
}

// Read a model and list its tensors.
func ExampleUnmarshal() {
	data, err := os.ReadFile("testdata/dense-bn.int8.tflite")
	if err != nil {
		fmt.Println(err)
		return
	}
	m, err := tflite.Unmarshal(data)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m.Description)
	for _, t := range m.Graph.Tensors {
		fmt.Printf("%-33s %-5v %v\n", t.Name, t.Type, t.Shape)
	}
	in := m.Graph.Tensors[m.Graph.Input].Quant
	fmt.Printf("input scale %.6g, zero point %d\n", in.Scale[0], in.ZeroPoint[0])
	// Output:
	// tinyimpulse int8 classifier
	// x_input                           int8  [1 12]
	// dense/kernel                      int8  [16 12]
	// dense/bias                        int32 [16]
	// dense                             int8  [1 16]
	// batch_normalization/expand/shape  int32 [4]
	// batch_normalization/expand        int8  [1 1 1 16]
	// batch_normalization/kernel        int8  [1 1 1 16]
	// batch_normalization/bias          int32 [16]
	// batch_normalization               int8  [1 1 1 16]
	// batch_normalization/squeeze/shape int32 [2]
	// batch_normalization/squeeze       int8  [1 16]
	// dense_1/kernel                    int8  [8 16]
	// dense_1/bias                      int32 [8]
	// dense_1                           int8  [1 8]
	// y_pred/kernel                     int8  [3 8]
	// y_pred/bias                       int32 [3]
	// y_pred                            int8  [1 3]
	// y_pred/softmax                    int8  [1 3]
	// input scale 0.0583744, zero point -7
}
