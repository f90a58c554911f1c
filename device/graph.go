package device

import (
	"fmt"

	"github.com/tinyimpulse/tinyimpulse/internal/tflitefmt"
	"github.com/tinyimpulse/tinyimpulse/learn"
)

// FromGraph describes a network's inference graph (learn's Network.Graph
// or Int8Network.Graph) for the estimator: its operators in order, their
// output shapes without the batch dimension, kernels and strides, and the
// sizes of their constant weight and bias tensors. The estimates then
// describe the very graph the tflite writer and the C generator export.
// FlatbufferBytes is the size of the .tflite file package tflite writes
// for the graph. The graph must be a chain (each operator reading the previous one's
// output), as learn's graphs are.
func FromGraph(g *learn.Graph) (*Network, error) {
	if g == nil || g.Input < 0 || g.Input >= len(g.Tensors) {
		return nil, fmt.Errorf("device: FromGraph: no input tensor: %w", ErrNetwork)
	}
	n := &Network{DType: Float32, Input: unbatched(g.Tensors[g.Input].Shape)}
	if g.DType == learn.Int8 {
		n.DType = Int8
	}
	cur := g.Input
	for i, op := range g.Ops {
		if len(op.Inputs) == 0 || len(op.Outputs) != 1 || op.Inputs[0] != cur {
			return nil, fmt.Errorf("device: FromGraph: operator %d (%s) does not read the previous output: %w", i, op.Kind, ErrNetwork)
		}
		for _, id := range append(append([]int(nil), op.Inputs...), op.Outputs...) {
			if id < 0 || id >= len(g.Tensors) {
				return nil, fmt.Errorf("device: FromGraph: operator %d (%s) names tensor %d: %w", i, op.Kind, id, ErrNetwork)
			}
		}
		d := Op{Kind: OpKind(op.Kind), Output: unbatched(g.Tensors[op.Outputs[0]].Shape),
			KernelH: op.KernelH, KernelW: op.KernelW, StrideH: op.StrideH, StrideW: op.StrideW}
		switch op.Kind {
		case learn.OpFullyConnected, learn.OpConv2D, learn.OpDepthwiseConv2D:
			if len(op.Inputs) != 3 {
				return nil, fmt.Errorf("device: FromGraph: operator %d (%s) has %d inputs, want 3: %w", i, op.Kind, len(op.Inputs), ErrNetwork)
			}
			d.WeightBytes = g.Tensors[op.Inputs[1]].Bytes()
			d.BiasBytes = g.Tensors[op.Inputs[2]].Bytes()
		}
		n.Ops = append(n.Ops, d)
		cur = op.Outputs[0]
	}
	if cur != g.Output {
		return nil, fmt.Errorf("device: FromGraph: the last operator does not give the output tensor: %w", ErrNetwork)
	}
	// The TensorFlow Lite Micro figures describe the file the exporter
	// writes: its size is the encoder's, not an estimate.
	size, err := tflitefmt.Size(g)
	if err != nil {
		return nil, fmt.Errorf("device: FromGraph: %v: %w", err, ErrNetwork)
	}
	n.FlatbufferBytes = size
	return n, nil
}

// unbatched drops the leading batch dimension of an activation shape.
func unbatched(s []int) []int {
	if len(s) > 1 && s[0] == 1 {
		return append([]int(nil), s[1:]...)
	}
	return append([]int(nil), s...)
}
