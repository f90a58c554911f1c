package learn

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// TestGraphKWS checks the graph of Studio's default MFCC network against
// hand-derived shapes and MACs: conv1d 8 over 50×13 = 50·8·3·13 = 15,600 MACs,
// conv1d 16 over 25×8 = 25·16·3·8 = 9,600, dense 208·4 = 832; the reshape
// layer and the 4-D expansion fold into one RESHAPE, as do the last
// squeeze and the flatten layer.
func TestGraphKWS(t *testing.T) {
	t.Parallel()
	in := Input{Kind: InputMFCC, Width: 50, Height: 13}
	n, err := build(DefaultConfig(in), in, 4, false)
	if err != nil {
		t.Fatal(err)
	}
	g := n.Graph()
	var got []string
	for _, op := range g.Ops {
		w, b := 0, 0
		if len(op.Inputs) == 3 {
			w, b = g.Tensors[op.Inputs[1]].Bytes(), g.Tensors[op.Inputs[2]].Bytes()
		}
		got = append(got, fmt.Sprintf("%s %v->%v k%dx%d s%d macs %d w%d b%d relu %v", op.Kind, g.Tensors[op.Inputs[0]].Shape,
			g.Tensors[op.Outputs[0]].Shape, op.KernelH, op.KernelW, op.StrideW, op.MACs, w, b, op.ReLU))
	}
	want := []string{
		"RESHAPE [1 650]->[1 1 50 13] k1x1 s1 macs 0 w0 b0 relu false",
		"CONV_2D [1 1 50 13]->[1 1 50 8] k1x3 s1 macs 15600 w1248 b32 relu true",
		"MAX_POOL_2D [1 1 50 8]->[1 1 25 8] k1x2 s2 macs 0 w0 b0 relu false",
		"CONV_2D [1 1 25 8]->[1 1 25 16] k1x3 s1 macs 9600 w1536 b64 relu true",
		"MAX_POOL_2D [1 1 25 16]->[1 1 13 16] k1x2 s2 macs 0 w0 b0 relu false",
		"RESHAPE [1 1 13 16]->[1 208] k1x1 s1 macs 0 w0 b0 relu false",
		"FULLY_CONNECTED [1 208]->[1 4] k1x1 s1 macs 832 w3328 b16 relu false",
		"SOFTMAX [1 4]->[1 4] k1x1 s1 macs 0 w0 b0 relu false",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("ops:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(g.Tensors) != 9+2+6 {
		t.Errorf("%d tensors, want 17 (9 activations, 2 reshape shapes, 3 weights and 3 biases): unused ones left?", len(g.Tensors))
	}
	layers := n.KerasLayers()
	var names []string
	for _, l := range layers {
		names = append(names, fmt.Sprintf("%s:%d->%s:%d", l.Input.Name, l.Input.Shape, l.Output.Name, l.Output.Shape))
	}
	wantL := "x_input:650->reshape:50 reshape:50->conv1d:50 conv1d:50->max_pooling1d:25 max_pooling1d:25->dropout:25 dropout:25->conv1d_1:25 " +
		"conv1d_1:25->max_pooling1d_1:13 max_pooling1d_1:13->dropout_1:13 dropout_1:13->flatten:208 flatten:208->y_pred:4"
	if strings.Join(names, " ") != wantL {
		t.Errorf("layers: %s\nwant     %s", strings.Join(names, " "), wantL)
	}
}

// TestGraphInt8: the int8 graph has the float graph's operators and shapes
// with int8 activations and weights and int32 biases, before and after
// saving.
func TestGraphInt8(t *testing.T) {
	t.Parallel()
	net, q, _ := trainedPair(t)
	b, err := q.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	q2, err := UnmarshalInt8Network(b)
	if err != nil {
		t.Fatal(err)
	}
	fg, qg := net.Graph(), q.Graph()
	if len(fg.Ops) != len(qg.Ops) || len(fg.Tensors) != len(qg.Tensors) {
		t.Fatalf("int8 graph: %d ops, %d tensors; float32: %d, %d", len(qg.Ops), len(qg.Tensors), len(fg.Ops), len(fg.Tensors))
	}
	for i, f := range fg.Tensors {
		qt := qg.Tensors[i]
		want := map[DType]DType{Float32: Int8}[f.Type]
		if f.Type == Int32 || strings.HasSuffix(f.Name, "/bias") {
			want = Int32
		}
		if fmt.Sprint(qt.Shape) != fmt.Sprint(f.Shape) || qt.Type != want {
			t.Errorf("tensor %d (%s): int8 %v %v, float32 %v %v", i, f.Name, qt.Type, qt.Shape, f.Type, f.Shape)
		}
	}
	if !reflect.DeepEqual(q2.Graph(), qg) {
		t.Error("the int8 graph changes after saving and loading")
	}
}
